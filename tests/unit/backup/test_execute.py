"""The runner's pure parts: exit-code classification, redaction, environment, version."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.backup.errors import (
    CredentialsRejected,
    InputError,
    PasswordUnavailable,
    RepositoryLocked,
    RepositoryNotFound,
    RepositoryUnreachable,
    ResticError,
    SnapshotIncomplete,
    WrongPassword,
)
from bulwark.backup.execute import (
    Redactor,
    Target,
    build_env,
    check_password_file,
    classify,
    parse_version,
    redact_url,
)


@pytest.mark.parametrize(
    ("code", "stderr", "expected"),
    [
        (0, "", None),
        (3, "Warning: at least one source file could not be read", SnapshotIncomplete),
        (10, "", RepositoryNotFound),
        (11, "", RepositoryLocked),
        (12, "", WrongPassword),
        # restic 0.14-0.16 exit 1 and say it in text:
        (1, "Fatal: unable to open config file: stat /r/config: no such file or directory\n"
            "Is there a repository at the following location?", RepositoryNotFound),
        (1, "Fatal: wrong password or no key found", WrongPassword),
        (1, "unable to create lock in backend: repository is already locked by PID 7 on vm",
         RepositoryLocked),
        (1, "Fatal: create repository at s3:x failed: dial tcp 127.0.0.1:1: connect: "
            "connection refused", RepositoryUnreachable),
        (1, "Fatal: Resolving password failed: exit status 1", PasswordUnavailable),
        # restic 0.14 asks "Is there a repository…?" whatever kept it from opening one:
        (1, 'Fatal: unable to open config file: Stat: Get "http://127.0.0.1:1/b/?location=": '
            "dial tcp 127.0.0.1:1: connect: connection refused\n"
            "Is there a repository at the following location?", RepositoryUnreachable),
        (1, "Fatal: unable to open config file: Stat: The AWS Access Key Id you provided does "
            "not exist in our records.\nIs there a repository at the following location?",
         CredentialsRejected),
        (1, "Fatal: unable to open config file: Stat: Access Denied.\n"
            "Is there a repository at the following location?", CredentialsRejected),
        (1, "Fatal: unable to open config file: Stat: The specified bucket does not exist\n"
            "Is there a repository at the following location?", RepositoryNotFound),
        (1, "Fatal: something else", ResticError),
        (130, "", ResticError),
    ],
)
def test_classify(code: int, stderr: str, expected: type[ResticError] | None) -> None:
    assert classify(code, stderr) is expected


def test_redactor_hides_url_passwords_and_secrets() -> None:
    redact = Redactor(["AKIASECRETVALUE", "abc"])
    text = "rest:https://user:hunter2@host/repo failed with AKIASECRETVALUE and abc"
    assert redact(text) == "rest:https://user:***@host/repo failed with *** and abc"
    assert redact_url("s3:https://s3.example.com/b/p") == "s3:https://s3.example.com/b/p"


def test_env_has_no_secret_in_argv_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password = tmp_path / "pass"
    password.write_text("pw\n")
    monkeypatch.setenv("RESTIC_PASSWORD", "leaked-from-caller")
    primary = Target("primary", "/r1", password_file=password)
    offsite = Target("offsite", "s3:http://h/b", env={"AWS_SECRET_ACCESS_KEY": "k"},
                     password_file=password)
    env = build_env(offsite, primary)
    assert env["RESTIC_REPOSITORY"] == "s3:http://h/b"
    assert env["RESTIC_FROM_REPOSITORY"] == "/r1"
    assert env["RESTIC_PASSWORD_FILE"] == env["RESTIC_FROM_PASSWORD_FILE"] == str(password)
    assert env["AWS_SECRET_ACCESS_KEY"] == "k"
    assert "RESTIC_PASSWORD" not in env


def test_conflicting_env_files_are_refused(tmp_path: Path) -> None:
    password = tmp_path / "pass"
    password.write_text("pw\n")
    one = Target("one", "s3:http://a/b", env={"AWS_ACCESS_KEY_ID": "x"}, password_file=password)
    two = Target("two", "s3:http://c/d", env={"AWS_ACCESS_KEY_ID": "y"}, password_file=password)
    with pytest.raises(InputError, match="AWS_ACCESS_KEY_ID"):
        build_env(two, one)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_text("  \n"), "is empty"),
    ],
)
def test_password_file_problems(tmp_path: Path, make, expected: str) -> None:  # noqa: ANN001
    path = tmp_path / "pass"
    make(path)
    with pytest.raises(InputError, match=expected):
        check_password_file(path)


def test_password_file_may_hold_any_bytes(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    path.write_bytes(b"\xff\xfe random key bytes \x00\n")  # restic reads bytes, not UTF-8
    check_password_file(path)


def test_parse_version() -> None:
    assert parse_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64") == (0, 14, 0)
    assert parse_version("restic 0.18.1 compiled with go1.24.4 on linux/amd64") == (0, 18, 1)
