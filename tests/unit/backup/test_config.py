"""Config validation: every mistake is one line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.backup.config import Retention, load_config, load_env_file
from bulwark.backup.errors import ConfigError, InputError

GOOD = """\
sources: [/srv/shop, /etc]
exclude: ["*.tmp"]
password_file: /etc/bulwark/restic.pass
state_dir: /var/lib/bulwark
retention: {daily: 7, monthly: 12, yearly: 5}
repositories:
  primary:
    url: /var/backups/bulwark
  offsite:
    url: s3:https://s3.example.com/bucket/host1
    env_file: /etc/bulwark/offsite.env
    retention: {daily: 7, monthly: 24, yearly: 10}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "backup.yml"
    path.write_text(text)
    return path


def problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_contract_example_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.primary == "primary"
    assert config.secondaries == ["offsite"]
    assert config.retention_for("primary").forget_args() == [
        "--keep-daily", "7", "--keep-monthly", "12", "--keep-yearly", "5"]
    assert config.retention_for("offsite").monthly == 24
    assert config.metrics_path == Path("/var/lib/bulwark/metrics/bulwark_backup.prom")
    assert config.path == tmp_path / "backup.yml"


def test_first_repository_is_primary_without_that_name(tmp_path: Path) -> None:
    text = GOOD.replace("  primary:", "  local:")
    config = load_config(write(tmp_path, text))
    assert config.primary == "local"
    assert config.secondaries == ["offsite"]


def test_mistyped_nested_key_is_named_with_line_and_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("{daily: 7, monthly: 24", "{dayly: 7, monthly: 24")
    message = problem(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'backup.yml'}:12:")
    assert "repositories.offsite.retention.dayly" in message
    assert "did you mean 'daily'" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD + "sorces: [/x]\n")
    assert ":13:" in message and "'sorces'" in message and "did you mean 'sources'" in message


def test_missing_repositories(tmp_path: Path) -> None:
    text = GOOD.split("repositories:")[0]
    assert "missing required key 'repositories'" in problem(tmp_path, text)


def test_both_password_sources_rejected(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD + "password_command: cat /x\n")
    assert "exactly one of password_file, password_command" in message


def test_relative_source_rejected(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD.replace("[/srv/shop, /etc]", "[srv/shop]"))
    assert "source srv/shop must be an absolute path" in message


def test_bad_url_rejected(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD.replace("url: /var/backups/bulwark", "url: ftp://x/y"))
    assert "repositories.primary" in message and "restic URL" in message


def test_negative_retention_rejected(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD.replace("{daily: 7, monthly: 12", "{daily: -1, monthly: 12"))
    assert ":5:" in message and "retention.daily" in message


def test_empty_retention_rejected(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD.replace("{daily: 7, monthly: 12, yearly: 5}", "{}"))
    assert "at least one rule" in message


def test_yaml_syntax_error_has_file_line(tmp_path: Path) -> None:
    message = problem(tmp_path, GOOD + "  bad: [unclosed\n")
    assert message.startswith(f"{tmp_path / 'backup.yml'}:")
    assert "invalid YAML" in message


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "expected a mapping" in problem(tmp_path, "- a\n- b\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yml")


def test_repository_name_must_be_a_label(tmp_path: Path) -> None:
    assert "repositories.Off Site" in problem(tmp_path, GOOD.replace("offsite:", "Off Site:"))


def test_database_entries_use_the_hook_model(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD + "databases:\n  postgresql:\n    - name: shop\n"))
    assert config.databases.postgresql[0].name == "shop"
    message = problem(tmp_path, GOOD + "databases:\n  postgresql:\n    - nme: shop\n")
    assert ":15:" in message and "databases.postgresql.0.nme" in message


def test_retention_args_cover_every_rule() -> None:
    rules = Retention(last=3, weekly=4, within="2y5m")
    assert rules.forget_args() == [
        "--keep-last", "3", "--keep-weekly", "4", "--keep-within", "2y5m"]


def test_env_file_parsing(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text("# comment\nexport AWS_ACCESS_KEY_ID=abc\nAWS_SECRET_ACCESS_KEY='s=cr t'\n\n")
    assert load_env_file(path) == {"AWS_ACCESS_KEY_ID": "abc", "AWS_SECRET_ACCESS_KEY": "s=cr t"}


def test_env_file_bad_line_names_line_not_value(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text("A=1\nthis-is-secret\n")
    with pytest.raises(InputError) as caught:
        load_env_file(path)
    assert f"{path}:2" in str(caught.value)
    assert "this-is-secret" not in str(caught.value)


def assert_both_readers_say(path: Path, problem: str) -> None:
    """The env_file and the config reader report the same problem, each naming its file."""
    with pytest.raises(InputError) as caught:
        load_env_file(path)
    assert str(caught.value) == f"env_file {path}: {problem}"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"config {path}: {problem}"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"A=\xff\n"), "not UTF-8 text"),
    ],
)
def test_every_file_the_config_names_fails_the_same_way(
    tmp_path: Path, make, problem: str  # noqa: ANN001
) -> None:
    path = tmp_path / "x"
    make(path)
    assert_both_readers_say(path, problem)


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (PermissionError(13, "Permission denied"), "permission denied"),
        (OSError(5, "Input/output error"), "cannot read (Input/output error)"),
    ],
)
def test_unreadable_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, problem: str
) -> None:
    def refuse(self: Path) -> bytes:
        raise error

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert_both_readers_say(tmp_path / "offsite.env", problem)


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("s3:http://[::1/bucket/host1", "Invalid IPv6 URL"),
        ("s3:http://127.0.0.1:99999/bucket/host1", "Port out of range 0-65535"),
        ("s3:https://s3.example.com", "needs a host and a bucket"),
    ],
)
def test_bad_s3_url_is_found_when_the_config_is_read(
    tmp_path: Path, url: str, detail: str
) -> None:
    message = problem(tmp_path, GOOD.replace("s3:https://s3.example.com/bucket/host1", url))
    assert message.startswith(f"{tmp_path / 'backup.yml'}:9: repositories.offsite: s3 URL ")
    assert detail in message
