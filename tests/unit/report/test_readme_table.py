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
    # Rows issue 13 found claiming more than the code does.
    rank1 = next(line for line in text.splitlines() if line.startswith("| 1. "))
    assert "quarterly full restore drill timer" in rank1 and "F5" in rank1
    assert "weekly database timer where a database is configured" in rank1 and "F6" in rank1
    rank12 = next(line for line in text.splitlines() if line.startswith("| 12. "))
    assert "C7" in rank12 and "C20" in rank12
