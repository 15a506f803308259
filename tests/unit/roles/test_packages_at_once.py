"""The facts role installs every role's packages in one apt transaction (issue 15).

It can only install what a role names in `__bulwark_<role>_packages_wanted` (vars/main.yml).
A role that installs a package its wanted list does not cover would fall back to its own,
extra transaction on every first converge; this test names the role and the package variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLES_DIR = ROOT / "roles"
# services installs snmpd only to harden an SNMP agent the host already runs.
OWN_TRANSACTION = {"services"}
_VAR = re.compile(r"\b(_{0,2}bulwark_[a-z0-9_]+)\b")


def _site_roles() -> list[str]:
    play = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text())[0]
    return [r["role"] if isinstance(r, dict) else r for r in play["roles"]]


def _tasks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for task in items or []:
        found.append(task)
        for key in ("block", "rescue", "always"):
            found += _tasks(task.get(key, []))
    return found


def installs(role: str, roles_dir: Path = ROLES_DIR) -> list[str]:
    """The `name:` expressions of the role's apt tasks that install (state present)."""
    names = []
    for path in sorted((roles_dir / role / "tasks").glob("*.yml")):
        for task in _tasks(yaml.safe_load(path.read_text())):
            apt = task.get("ansible.builtin.apt")
            if isinstance(apt, dict) and apt.get("name") and apt.get("state") == "present":
                names.append(str(apt["name"]))
    return names


def wanted(role: str, roles_dir: Path = ROLES_DIR) -> str:
    path = roles_dir / role / "vars" / "main.yml"
    data = yaml.safe_load(path.read_text()) if path.is_file() else None
    return str((data or {}).get(f"__bulwark_{role}_packages_wanted", ""))


def uncovered(role: str, roles_dir: Path = ROLES_DIR) -> list[str]:
    """Package variables the role's apt tasks install that its wanted list does not name."""
    text = wanted(role, roles_dir)
    missing = []
    for expression in installs(role, roles_dir):
        literal = not _VAR.search(expression)
        names = [expression] if literal else _VAR.findall(expression)
        missing += [n for n in names if n.strip("{} []'\"") not in text
                    and n != f"__bulwark_{role}_packages_wanted"]
    return missing


def test_site_roles_that_install_packages_are_found() -> None:
    roles = [r for r in _site_roles() if installs(r)]
    assert {"intrusion", "audit", "patching", "logging", "timesync", "baseline", "accounts",
            "ssh", "firewall"} <= set(roles)


# facts is the role that installs them all.
@pytest.mark.parametrize("role", [r for r in _site_roles() if r not in OWN_TRANSACTION | {"facts"}])
def test_every_package_a_role_installs_is_in_its_wanted_list(role: str) -> None:
    assert uncovered(role) == [], (
        f"{role}: add these to __bulwark_{role}_packages_wanted in vars/main.yml")


def test_a_package_missing_from_the_wanted_list_is_named(tmp_path: Path) -> None:
    role = tmp_path / "demo"
    (role / "tasks").mkdir(parents=True)
    (role / "vars").mkdir()
    (role / "tasks" / "main.yml").write_text(
        "- name: Install\n  ansible.builtin.apt:\n    name: \"{{ bulwark_demo_packages }}\"\n"
        "    state: present\n- name: Install more\n  ansible.builtin.apt:\n    name: tree\n"
        "    state: present\n")
    (role / "vars" / "main.yml").write_text(
        "__bulwark_demo_packages_wanted: \"{{ bulwark_demo_packages }}\"\n")
    assert uncovered("demo", tmp_path) == ["tree"]
