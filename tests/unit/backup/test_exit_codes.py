"""One exit-code table (issue 19, item 5): `errors.EXIT_CODES`. Every error class uses a code
in it, and backup/README.md and `bulwark backup --help` say exactly what it says."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from click.testing import CliRunner

import bulwark.backup
from bulwark.backup.cli import backup
from bulwark.backup.errors import EXIT_CODES, BackupError
from bulwark.backup.signals import Terminated
from bulwark.cli_support import EXIT_INTERRUPTED

README = Path(__file__).resolve().parents[3] / "backup" / "README.md"


def words(text: str) -> str:
    return " ".join(text.split())


def all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(all_subclasses(sub) for sub in found)) if found else found


def test_every_error_class_exits_with_a_documented_code() -> None:
    for module in pkgutil.walk_packages(bulwark.backup.__path__, "bulwark.backup."):
        importlib.import_module(module.name)
    classes = all_subclasses(BackupError)
    assert len(classes) > 10
    for cls in classes:
        assert cls.exit_code in EXIT_CODES, cls
    assert {Terminated.exit_code, EXIT_INTERRUPTED} <= set(EXIT_CODES)


def test_readme_table_is_the_same_table() -> None:
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)
    assert {int(code): meaning for code, meaning in rows} == EXIT_CODES


def test_cli_help_shows_the_same_table() -> None:
    text = words(CliRunner().invoke(backup, ["--help"]).output)
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {words(meaning)}" in text, code
