"""The layers of bulwark.backup stay apart (issue #19): read from the source, so they cannot drift.

- only execute.py spawns processes (no other module imports subprocess or calls os.system…);
- only the modules in backup/restic/ call the restic runner (`restic.run`, `restic.check`…);
- restic/ knows nothing of the drill or the actions, and no action imports another action.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bulwark.backup

PACKAGE = Path(bulwark.backup.__file__).parent
RUNNER = PACKAGE / "execute.py"
RESTIC_DIR = PACKAGE / "restic"
# Calls on the runner that only backup/restic/<command>.py may make.
RUNNER_METHODS = {"run", "check", "unlock", "_spawn"}
SPAWNING_MODULES = {"subprocess", "pty", "multiprocessing"}
SPAWNING_OS_CALLS = {"system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp"}


def _module(path: Path) -> str:
    return "bulwark.backup." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _imports(tree: ast.AST, module: str) -> list[str]:
    """Every imported name, dotted in full (`from a.b import c` gives `a.b.c`)."""
    found: list[str] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def _receiver_name(node: ast.expr) -> str | None:
    """`restic` for `restic.run(…)` and `self.restic.run(…)`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def violations(path: Path, source: str) -> list[str]:
    """What in this module of bulwark.backup breaks the layering, one line each."""
    tree = ast.parse(source, filename=str(path))
    module = _module(path)
    name = path.relative_to(PACKAGE).as_posix()
    problems: list[str] = []
    imports = _imports(tree, module)
    if path != RUNNER:
        for imported in imports:
            if imported.split(".")[0] in SPAWNING_MODULES:
                problems.append(f"{name} imports {imported}: spawn through bulwark.backup.execute")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith(("exec", "spawn"))
                    or isinstance(node, ast.Attribute) and node.attr in SPAWNING_OS_CALLS) and (
                    isinstance(node.value, ast.Name) and node.value.id == "os"):
                problems.append(f"{name} calls os.{node.attr}: spawn through execute")
    if path != RUNNER and RESTIC_DIR not in path.parents:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in RUNNER_METHODS
                    and _receiver_name(node.func.value) == "restic"):
                problems.append(f"{name}:{node.lineno} calls restic.{node.func.attr} itself: "
                                "add a function to backup/restic/<command>.py")
    if RESTIC_DIR in path.parents:
        problems += [f"{name} imports {i}: restic/ must not know the drill or the actions"
                     for i in imports
                     if i.startswith(("bulwark.backup.drill", "bulwark.backup.actions"))]
    if path.parent == PACKAGE / "actions":
        problems += [f"{name} imports {i}: an action must not import another action"
                     for i in imports
                     if i.startswith("bulwark.backup.actions.") and i.split(".")[3] != path.stem
                     and i.count(".") >= 3]
    return problems


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_is_found() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in _sources()}
    assert {"execute.py", "actions/run.py", "hooks/postgresql.py", "restic/ls.py"} <= names


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_keeps_to_its_layer(path: Path) -> None:
    assert violations(path, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("hooks/postgresql.py", "import subprocess\n", "imports subprocess"),
        ("actions/run.py", "from subprocess import run\n", "imports subprocess"),
        ("hooks/postgresql.py", "import os\nos.system('pg_dump')\n", "calls os.system"),
        ("actions/drill.py", "def f(restic, t):\n    restic.run(t, ['ls'])\n",
         "calls restic.run itself"),
        ("actions/run.py", "def f(self, t, r):\n    self.restic.check(t, r)\n",
         "calls restic.check itself"),
        ("restic/ls.py", "from bulwark.backup.drill.sampling import SampleLimits\n",
         "must not know the drill"),
        ("restic/ls.py", "from ..actions import drill\n", "must not know the drill"),
        ("actions/restore.py", "from bulwark.backup.actions.drill import run_drill\n",
         "must not import another action"),
    ],
)
def test_a_module_that_breaks_its_layer_is_named(where: str, source: str, expected: str) -> None:
    found = violations(PACKAGE / where, source)
    assert len(found) == 1 and expected in found[0], found


def test_the_runner_and_the_restic_modules_may_do_what_others_may_not() -> None:
    assert violations(RUNNER, "import subprocess\n") == []
    assert violations(RESTIC_DIR / "ls.py", "def f(restic, t):\n    restic.run(t, [])\n") == []
    assert violations(PACKAGE / "actions/run.py",
                      "from bulwark.backup.actions.run import x\n") == []
