"""Every role-local module and filter is also a plugin of the collection bulwark.hardening.

A role installed from a collection loads neither its `library/` nor its `filter_plugins/`, so
each file there must be linked under `plugins/modules` or `plugins/filter`, or the role fails
when AWX or ansible-pull run it from the collection. And every role calls them in the one way
that works from both the collection and the checkout (below).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _exposed(kind: str) -> set[Path]:
    return {link.resolve() for link in (ROOT / "plugins" / kind).glob("*.py")}


def test_every_role_module_is_a_collection_module() -> None:
    modules = {p.resolve() for p in ROOT.glob("roles/*/library/*.py")}
    assert modules, "no role-local modules found"
    missing = sorted(str(p.relative_to(ROOT)) for p in modules - _exposed("modules"))
    assert not missing, f"link these under plugins/modules/: {missing}"


def test_every_role_filter_is_a_collection_filter() -> None:
    filters = {p.resolve() for p in ROOT.glob("roles/*/filter_plugins/*.py")}
    missing = sorted(str(p.relative_to(ROOT)) for p in filters - _exposed("filter"))
    assert not missing, f"link these under plugins/filter/: {missing}"


# --- Project filters and modules as the roles call them (issue #18) -------------------------
# From the collection, a project filter resolves by FQCN only (bulwark.hardening.<filter>);
# from the checkout, by its short name only (the role's filter_plugins/). So every call names
# both, chosen by GUARD. Modules resolve by short name in both places (a collection role
# searches its own collection first), but from the checkout only from the calling role's own
# library/.
GUARD = "ansible_role_name.startswith('bulwark.hardening.')"
FQCN = "bulwark.hardening."
_SKIP = {"name", "when", "vars", "register", "loop", "loop_control", "tags", "notify",
         "become", "become_user", "changed_when", "failed_when", "check_mode", "no_log",
         "delegate_to", "run_once", "environment", "args", "until", "retries", "delay",
         "ignore_errors", "listen", "block", "rescue", "always", "diff", "throttle"}


def _load_plugin(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(f"filters_{path.parent.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_filters() -> set[str]:
    names: set[str] = set()
    for path in ROOT.glob("roles/*/filter_plugins/*.py"):
        names |= set(_load_plugin(path).FilterModule().filters())  # type: ignore[attr-defined]
    return names


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def expressions(path: Path) -> Iterator[str]:
    """The units Ansible templates at once: each YAML string, each {{ }} / {% %} of a template."""
    text = path.read_text()
    if path.suffix == ".j2":
        yield from re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, flags=re.S)
    else:
        yield from _strings(yaml.safe_load(text))


def filter_problems(expression: str, filters: set[str]) -> list[str]:
    """Why this expression fails from the collection or from the checkout (empty: it works)."""
    problems = []
    for name in sorted(filters):
        short = re.search(rf"(?<![\w.]){name}(?!\w)", expression)
        fqcn = re.search(rf"(?<![\w.]){re.escape(FQCN)}{name}(?!\w)", expression)
        if short and not (fqcn and GUARD in expression):
            problems.append(f"short name {name} without its FQCN twin behind {GUARD}")
        elif fqcn and not (short and GUARD in expression):
            problems.append(f"{FQCN}{name} without its short-name twin behind {GUARD}")
    return problems


def test_the_filter_check_sees_a_short_name_and_an_unguarded_fqcn() -> None:
    filters = {"bulwark_demo_role"}
    assert filter_problems("{{ admin | bulwark_demo_role }}", filters)
    assert filter_problems("{{ admins | map('bulwark_demo_role') }}", filters)
    assert filter_problems("{{ admin | bulwark.hardening.bulwark_demo_role }}", filters)
    assert not filter_problems(
        f"{{{{ (a | {FQCN}bulwark_demo_role) if {GUARD} else (a | bulwark_demo_role) }}}}",
        filters)
    assert not filter_problems("{{ bulwark_demo_role_groups | __bulwark_demo_role_of }}",
                               filters)


def test_every_project_filter_call_works_from_the_collection_and_the_checkout() -> None:
    filters = project_filters()
    assert {"bulwark_ssh_usable_keys", "bulwark_accounts_role"} <= filters
    found = []
    for path in sorted(ROOT.glob("roles/**/*.yml")) + sorted(ROOT.glob("roles/**/*.j2")):
        for expression in expressions(path):
            found += [f"{path.relative_to(ROOT)}: {why}"
                      for why in filter_problems(expression, filters)]
    assert found == []


def _tasks(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for task in data:
            if isinstance(task, dict):
                yield task
                for key in ("block", "rescue", "always"):
                    yield from _tasks(task.get(key))


def module_problems(role: str, task: dict, modules: dict[str, str]) -> list[str]:
    """modules: project module name -> the role whose library/ holds it."""
    problems = []
    for key in task.keys() - _SKIP:
        name = key.removeprefix(FQCN)
        if name not in modules:
            continue
        if key != name:
            problems.append(f"{key}: the FQCN does not resolve from the checkout")
        elif modules[name] != role:
            problems.append(f"{name} is in roles/{modules[name]}/library/, not this role's")
    return problems


def test_the_module_check_sees_a_foreign_and_a_fqcn_module() -> None:
    modules = {"bulwark_demo": "demo"}
    assert module_problems("other", {"bulwark_demo": {}}, modules)
    assert module_problems("demo", {f"{FQCN}bulwark_demo": {}}, modules)
    assert not module_problems("demo", {"bulwark_demo": {}, "register": "x"}, modules)


def test_every_project_module_call_works_from_the_collection_and_the_checkout() -> None:
    modules = {path.stem: path.parts[-3] for path in ROOT.glob("roles/*/library/*.py")}
    found = []
    used = set()
    for path in sorted([*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("roles/*/handlers/*.yml")]):
        role = path.relative_to(ROOT).parts[1]
        for task in _tasks(yaml.safe_load(path.read_text())):
            used |= {key.removeprefix(FQCN) for key in task} & modules.keys()
            found += [f"{path.relative_to(ROOT)}: {why}"
                      for why in module_problems(role, task, modules)]
    assert found == []
    assert used, "no project module call found: the check looks at nothing"
