"""scan-creds option checks that fail before any host is contacted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulwark.scan import cli
from bulwark.scan.scanner import HostResult, HostStatus


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def scan(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("hosts scanned although the options are wrong")

    monkeypatch.setattr(cli, "scan", scan)
    path = tmp_path / "hosts.yml"
    path.write_text("lab:\n  hosts:\n    h1: {ansible_host: 127.0.0.1, ansible_port: 2999}\n")
    return path


@pytest.mark.parametrize(("users", "message"), [
    (["nosuch"], "--user 'nosuch': no such user in the credential list"),
    (["root", "nosuch"], "--user 'nosuch': no such user"),  # a typo must not shrink the audit
    (["root,admin"], "'root,admin': no such user in the credential list (one name per --user"),
])
def test_unknown_user_is_a_usage_error(inventory: Path, users: list[str], message: str) -> None:
    args = ["-i", str(inventory)]
    for user in users:
        args += ["--user", user]
    result = CliRunner().invoke(cli.scan_creds, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_user_from_the_extra_file_is_known(inventory: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("svc:not-shown\n")
    tried: list[list[str]] = []

    def scan(hosts: list, creds_for: Callable, settings: object) -> list[HostResult]:
        tried.extend([c.user for c in creds_for(h)] for h in hosts)
        return [HostResult(h, HostStatus.PASSWORD_AUTH_DISABLED) for h in hosts]

    monkeypatch.setattr(cli, "scan", scan)
    result = CliRunner().invoke(cli.scan_creds, ["-i", str(inventory), "--extra", str(extra),
                                                 "--user", "svc"])
    assert result.exit_code == 0, result.output
    assert tried == [["svc"]]


@pytest.mark.parametrize("option", ["--delay", "--timeout", "--host-timeout"])
@pytest.mark.parametrize("value", ["nan", "NaN", "-1", "inf"])
def test_seconds_must_be_a_number_in_range(inventory: Path, option: str, value: str) -> None:
    result = CliRunner().invoke(cli.scan_creds, ["-i", str(inventory), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert "Traceback" not in result.output
