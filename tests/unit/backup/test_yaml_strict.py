"""Duplicate keys and absurd nesting in a config are one-line errors (issue 14, items 2 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.backup.config import load_config
from bulwark.backup.errors import ConfigError

BASE = """\
sources: [/srv/shop]
password_file: /etc/bulwark/restic.pass
repositories:
  primary: {url: /var/backups/bulwark}
"""


def problem(tmp_path: Path, text: str) -> str:
    path = tmp_path / "backup.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    return message.removeprefix(f"{path}:")


def test_second_sources_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    assert problem(tmp_path, BASE + "sources: [/etc]\n") == (
        "5: duplicate key 'sources' (lines 1 and 5)")


def test_second_primary_repository_is_refused(tmp_path: Path) -> None:
    text = BASE + "  offsite: {url: /mnt/offsite}\n  primary:\n    url: /mnt/other\n"
    assert problem(tmp_path, text) == "6: duplicate key 'primary' (lines 4 and 6)"


def test_duplicate_in_a_flow_mapping(tmp_path: Path) -> None:
    text = BASE + "retention: {daily: 7, daily: 1}\n"
    assert problem(tmp_path, text) == "5: duplicate key 'daily' (lines 5 and 5)"


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = ("x-repo: &repo {url: /var/backups/bulwark}\n" + BASE.split("repositories:")[0]
            + "repositories:\n  primary: {<<: *repo}\n")
    assert "unknown key 'x-repo'" in problem(tmp_path, text)  # parsed; the key is the problem


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path: Path, depth: int) -> None:
    flow = "sources: " + "[" * depth + "]" * depth + "\n"
    assert problem(tmp_path, flow) == "1: nested more than 64 levels deep"


def test_deep_block_nesting(tmp_path: Path) -> None:
    text = "".join("  " * level + "a:\n" for level in range(1000))
    assert problem(tmp_path, text) == "64: nested more than 64 levels deep"
