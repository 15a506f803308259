"""The one-line error handling every `bulwark` command shares (bulwark.cli_support)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bulwark.cli import main
from bulwark.cli_support import one_line_errors
from bulwark.errors import BulwarkError


class Refused(BulwarkError):
    exit_code = 4


@click.command()
@click.argument("what")
def demo(what: str) -> None:
    with one_line_errors(interrupted="interrupted; nothing was changed"):
        if what == "error":
            raise Refused("first line\n  second   line")
        if what == "ctrl-c":
            raise KeyboardInterrupt
    click.echo("done")


@pytest.mark.parametrize(
    ("what", "code", "stderr"),
    [
        ("error", 4, "bulwark: error: first line second line\n"),
        ("ctrl-c", 130, "bulwark: interrupted; nothing was changed\n"),
        ("fine", 0, ""),
    ],
)
def test_one_line_and_the_exit_code(what: str, code: int, stderr: str) -> None:
    result = CliRunner().invoke(demo, [what])
    assert result.exit_code == code
    assert result.stderr == stderr
    assert "Traceback" not in result.output


def test_the_top_level_group_uses_the_same_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.command()
    def broken() -> None:
        raise Refused("raised past\nthe command")

    monkeypatch.setattr(type(main), "get_command", lambda self, ctx, name: broken)
    with pytest.raises(SystemExit) as caught:
        main.main(["broken"], prog_name="bulwark")
    assert caught.value.code == 4
    assert capsys.readouterr().err == "bulwark: error: raised past the command\n"


@pytest.mark.parametrize(
    "command",
    [["backup", "run"], ["backup", "check-config"], ["backup", "status"], ["backup", "init"],
     ["backup", "drill"], ["fleet", "status"]],
)
def test_a_config_that_cannot_be_read_is_the_loader_s_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    # A directory: click used to answer with its three-line usage message.
    result = CliRunner().invoke(main, [*command, "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"bulwark: error: config {tmp_path}: is a directory\n"

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    config = tmp_path / "backup.yml"
    config.write_text("sources: [/srv]\n")
    result = CliRunner().invoke(main, [*command, "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == f"bulwark: error: config {config}: permission denied\n"
