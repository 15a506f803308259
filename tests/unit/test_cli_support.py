"""The one-line error handling every `bulwark` command shares (bulwark.cli_support)."""

from __future__ import annotations

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
