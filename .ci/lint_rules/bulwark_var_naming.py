"""ansible-lint rule `bulwark-var-naming`: the project's variable naming contract for roles.

The stock `var-naming[no-role-prefix]` wants `<role dir>_` (`ssh_port`), but the public knobs
are `bulwark_<role>_*` and the role directories must keep their short names (the collection
exposes `bulwark.hardening.ssh`). This rule checks the real convention instead:

- defaults/*.yml and meta/argument_specs.yml (public knobs): `bulwark_<role>_*`;
- everything else a role defines (vars/*.yml, register, set_fact, loop_var, task and block
  vars) is internal: `__bulwark_<role>_*`;
- plus SHARED_CONTRACT: names several roles and the inventory agree on.

Enabled from .ansible-lint (rulesdir + enable_list: a custom rule outside the production
profile is otherwise unloaded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from ansiblelint.errors import MatchError
from ansiblelint.file_utils import Lintable
from ansiblelint.rules import AnsibleLintRule

# Shared contract names: defined by one role (or the inventory) and read by others, so they
# carry no single role's prefix. Add a name here only when several roles or users depend on it.
SHARED_CONTRACT = frozenset({"bulwark_admins"})

_SET_FACT = {"set_fact", "ansible.builtin.set_fact", "ansible.legacy.set_fact"}
_BLOCK_KEYS = ("block", "rescue", "always")


def _role_of(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """(role name, path parts below the role) for a file under roles/<role>/."""
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "roles" and index + 2 < len(parts):
            return parts[index + 1], parts[index + 2:]
    return None


def _task_definitions(tasks: Any) -> Iterator[tuple[str, str]]:
    """(kind, name) of every variable the tasks (and nested blocks) define."""
    if not isinstance(tasks, list):
        return
    for task in tasks:
        if not isinstance(task, dict):
            continue
        register = task.get("register")
        if isinstance(register, str):
            yield "register", register
        for module in _SET_FACT & task.keys():
            if isinstance(task[module], dict):
                yield from (("set_fact", key) for key in task[module] if key != "cacheable")
        loop_var = (task.get("loop_control") or {}).get("loop_var")
        if isinstance(loop_var, str):
            yield "loop_var", loop_var
        if isinstance(task.get("vars"), dict):
            yield from (("vars", key) for key in task["vars"])
        for key in _BLOCK_KEYS:
            yield from _task_definitions(task.get(key))


def definitions(role: str, below: tuple[str, ...], data: Any) -> Iterator[tuple[str, str, bool]]:
    """(kind, name, public) of the variables a role file defines; public = a knob."""
    top = below[0] if below else ""
    if top == "defaults" and isinstance(data, dict):
        yield from (("default", str(key), True) for key in data)
    elif top == "meta" and below[-1].startswith("argument_specs") and isinstance(data, dict):
        for entry in (data.get("argument_specs") or {}).values():
            options = (entry or {}).get("options") or {}
            yield from (("argument spec", str(key), True) for key in options)
    elif top == "vars" and isinstance(data, dict):
        yield from (("vars file", str(key), False) for key in data)
    elif top in ("tasks", "handlers"):
        yield from ((kind, name, False) for kind, name in _task_definitions(data))


def problem(role: str, name: str, public: bool) -> str | None:
    """Why `name` breaks the convention, or None."""
    if name in SHARED_CONTRACT or "{{" in name:
        return None
    if public:
        if name.startswith(f"bulwark_{role}_") and not name.startswith(f"bulwark_{role}__"):
            return None
        return f"a public knob of role {role} must be named bulwark_{role}_*"
    if name.startswith(f"__bulwark_{role}_"):
        return None
    return f"an internal variable of role {role} must be named __bulwark_{role}_*"


def _line_of(content: str, name: str) -> int:
    match = re.search(rf"(?m)^.*(?<![\w]){re.escape(name)}(?![\w]).*$", content)
    return content.count("\n", 0, match.start()) + 1 if match else 1


class BulwarkVarNamingRule(AnsibleLintRule):
    """Role variables are bulwark_<role>_* (knobs) or __bulwark_<role>_* (internal)."""

    id = "bulwark-var-naming"
    description = (
        "Public role knobs (defaults, argument specs) are named bulwark_<role>_*; every other "
        "variable a role defines is internal and named __bulwark_<role>_*; shared contract "
        "names are listed in the rule."
    )
    severity = "MEDIUM"
    tags = ["idiom"]
    version_changed = "26.10.1"

    def matchyaml(self, file: Lintable) -> list[MatchError]:
        where = _role_of(Path(str(file.path)))
        if where is None or file.path.suffix not in (".yml", ".yaml"):
            return []
        role, below = where
        try:
            data = yaml.safe_load(file.content)
        except yaml.YAMLError:
            return []  # the syntax rules report it
        results = []
        for kind, name, public in definitions(role, below, data):
            why = problem(role, name, public)
            if why:
                results.append(self.create_matcherror(
                    message=f"{why} ({kind}: {name})", lineno=_line_of(file.content, name),
                    filename=file))
        return results
