"""Every role knob is described once per place it must be, and the places agree.

A knob lives in three files: `defaults/main.yml` (value + comment), `meta/argument_specs.yml`
(type, default) and the role README's variables table. A newcomer who adds or changes a knob
in one place and forgets another is told here (issue: docs that cannot drift).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROLES_DIR = Path(__file__).resolve().parents[3] / "roles"
ROLES = sorted(p.name for p in ROLES_DIR.iterdir() if (p / "defaults" / "main.yml").is_file())
# Shared contract variables: declared in a role's argument spec, owned by the inventory, so
# they have no role default.
CONTRACT = {"bulwark_admins", "bulwark_accounts_departed"}


def _defaults(role: str) -> dict[str, Any]:
    return yaml.safe_load((ROLES_DIR / role / "defaults" / "main.yml").read_text()) or {}


def _options(role: str) -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load((ROLES_DIR / role / "meta" / "argument_specs.yml").read_text())
    options: dict[str, dict[str, Any]] = {}
    for entry_point in spec["argument_specs"].values():
        options.update(entry_point.get("options") or {})
    return options


def test_every_role_is_checked() -> None:
    assert len(ROLES) >= 10, ROLES


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_spec_name_the_same_knobs(role: str) -> None:
    defaults, options = set(_defaults(role)), set(_options(role))
    assert not defaults - options, f"{role}: in defaults, not in argument_specs"
    assert not options - defaults - CONTRACT, f"{role}: in argument_specs, not in defaults"


@pytest.mark.parametrize("role", ROLES)
def test_argument_spec_defaults_match_role_defaults(role: str) -> None:
    defaults, options = _defaults(role), _options(role)
    differing = {
        name: (spec["default"], defaults[name])
        for name, spec in options.items()
        if "default" in spec and name in defaults
        and not (isinstance(defaults[name], str) and "{{" in defaults[name])
        and spec["default"] != defaults[name]
    }
    assert not differing, f"{role}: argument_specs default != defaults/main.yml: {differing}"


@pytest.mark.parametrize("role", ROLES)
def test_every_knob_is_in_the_readme(role: str) -> None:
    readme = (ROLES_DIR / role / "README.md").read_text()
    missing = sorted(name for name in _options(role) if f"`{name}`" not in readme)
    assert not missing, f"{role}: README does not describe {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_every_default_has_a_comment(role: str) -> None:
    """Each top-level key sits in a block of keys that starts right under a comment line."""
    lines = (ROLES_DIR / role / "defaults" / "main.yml").read_text().splitlines()
    uncommented = []
    for index, line in enumerate(lines):
        if not line or line[0] in " #-" or ":" not in line:
            continue
        above = index - 1
        # Walk up over the key block (keys and their indented values) to what precedes it.
        while above >= 0 and lines[above] and not lines[above].startswith("#"):
            above -= 1
        if above < 0 or not lines[above].startswith("#"):
            uncommented.append(line.split(":", 1)[0])
    assert not uncommented, f"{role}: knobs without a comment: {uncommented}"
