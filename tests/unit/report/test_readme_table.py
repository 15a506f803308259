"""README's "Where the policy controls are implemented" table is generated from the registry."""

from __future__ import annotations

from pathlib import Path

from bulwark.report import readme_table

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_table_matches_the_check_registry() -> None:
    text = README.read_text(encoding="utf-8")
    assert readme_table.BEGIN in text and readme_table.END in text
    assert readme_table.rewrite(text) == text, (
        "README table is stale: python -m bulwark.report.readme_table README.md")
    assert "B8: not implemented" in text
