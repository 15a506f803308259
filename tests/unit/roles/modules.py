"""Load a role's custom Ansible module (roles/<role>/library/<name>.py) as a Python module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROLES = Path(__file__).resolve().parents[3] / "roles"


def load(role: str, name: str) -> ModuleType:
    path = ROLES / role / "library" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bulwark_test_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
