"""The accounts and ssh roles' validation filters (B22, B30, B35), without a host."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROLES = Path(__file__).resolve().parents[3] / "roles"
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv8z3m0Zx0V7Zf3kO1Pj3Yw1fGm6fQ0aXbq0s1xYz1A ann@lap"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2c9mZl3Qw7r0Jt5Xv8yK1pN4sD6fH9gL2aZ0xC3vB5 bob@lap"
ROLE_NAMES = ["sysadmin", "secadmin", "auditor"]


def _load(relative: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(relative.replace("/", "_"), ROLES / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


admins = _load("accounts/filter_plugins/admins.py")
networks = _load("ssh/filter_plugins/networks.py")


def test_valid_admin_list_has_no_problem() -> None:
    listed = [
        {"name": "ann", "ssh_keys": [KEY_A]},
        {"name": "bob", "role": "auditor", "ssh_keys": [KEY_B]},
    ]
    assert admins.admin_problems(listed, ROLE_NAMES) == []


def test_one_person_with_two_roles_is_refused() -> None:
    listed = [
        {"name": "ann", "role": "sysadmin", "ssh_keys": [KEY_A]},
        {"name": "ann", "role": "auditor", "ssh_keys": [KEY_A]},
    ]
    problems = admins.admin_problems(listed, ROLE_NAMES)
    assert problems == [
        "ann is listed 2 times (sysadmin, auditor): one person, one entry and one role (B22, B30)"
    ]


def test_one_key_under_two_names_is_refused_whatever_the_comment() -> None:
    other_comment = KEY_A.replace("ann@lap", "shared")
    listed = [{"name": "ann", "ssh_keys": [KEY_A]}, {"name": "bob", "ssh_keys": [other_comment]}]
    (problem,) = admins.admin_problems(listed, ROLE_NAMES)
    assert "is declared for ann, bob: one key per person (B22)" in problem


def test_unknown_role_is_refused() -> None:
    listed = [{"name": "ann", "role": "root", "ssh_keys": []}]
    (problem,) = admins.admin_problems(listed, ROLE_NAMES)
    assert problem.startswith("ann: role 'root' is not one of sysadmin, secadmin, auditor")


def test_role_defaults_to_sysadmin() -> None:
    assert admins.admin_role({"name": "ann"}) == "sysadmin"
    assert admins.admin_role({"name": "ann", "role": None}) == "sysadmin"
    assert admins.admin_role({"name": "ann", "role": "auditor"}) == "auditor"


def test_address_in_exempt_sources() -> None:
    assert networks.address_in("10.88.0.1", ["10.0.0.0/8"])
    assert networks.address_in("::ffff:10.88.0.1", ["10.0.0.0/8"])
    assert not networks.address_in("203.0.113.9", ["10.0.0.0/8", "192.0.2.0/24"])
    assert not networks.address_in("", ["0.0.0.0/0"])
    assert not networks.address_in("10.1.1.1", [])
