"""Every role-local module and filter is also a plugin of the collection bulwark.hardening.

A role installed from a collection loads neither its `library/` nor its `filter_plugins/`, so
each file there must be linked under `plugins/modules` or `plugins/filter`, or the role fails
when AWX or ansible-pull run it from the collection.
"""

from __future__ import annotations

from pathlib import Path

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
