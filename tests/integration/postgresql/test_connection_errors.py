"""Secrets stay out of argv and logs; bad settings fail with one clear line before any restore."""

from __future__ import annotations

import io
import logging
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from bulwark.backup.hooks.postgresql import (
    PostgresDatabase,
    PostgresError,
    check_server,
    client_env,
    dump_argv,
    dump_failure,
    restore_check,
    stdin_filename,
    version_problem,
)
from bulwark.errors import BulwarkError
from tests.fixtures.postgresql import PostgresServer
from tests.integration.postgresql.dumping import dump_bytes, scratch_left

pytestmark = pytest.mark.integration


def one_line(exc: pytest.ExceptionInfo[BulwarkError]) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    assert isinstance(exc.value, BulwarkError)
    return message


def with_password_file(db: PostgresDatabase, path: Path) -> PostgresDatabase:
    return db.model_copy(update={"password_file": path})


def secret_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_password_is_in_the_environment_never_in_argv(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    password = postgresql_server.password_file.read_text().strip()
    argv = dump_argv(postgresql_database)
    assert argv[0].endswith("pg_dump") and "--format=custom" in argv
    assert not any(password in arg for arg in argv)
    assert not any("password=" in arg.lower() for arg in argv)
    env = client_env(postgresql_database)
    assert env["PGPASSWORD"] == password
    assert env["PGDATABASE"] == postgresql_database.name
    assert env["PGHOST"] == "127.0.0.1" and env["PGPORT"] == str(postgresql_server.port)
    assert stdin_filename(postgresql_database) == f"postgresql/{postgresql_database.name}.pgdump"


def test_password_never_reaches_the_log(
    postgresql_server: PostgresServer,
    postgresql_database: PostgresDatabase,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = postgresql_server.password_file.read_text().strip()
    caplog.set_level(logging.DEBUG, logger="bulwark")
    check = restore_check(postgresql_database, io.BytesIO(dump_bytes(postgresql_database)))
    assert check.ok
    assert "pg_restore" in caplog.text
    assert password not in caplog.text


def test_missing_password_file_is_one_clear_line(
    postgresql_database: PostgresDatabase, tmp_path: Path
) -> None:
    db = with_password_file(postgresql_database, tmp_path / "absent.password")
    with pytest.raises(PostgresError) as exc:
        client_env(db)
    assert one_line(exc) == (
        f"database {db.name!r}: password_file {tmp_path / 'absent.password'}: no such file"
    )


@pytest.mark.parametrize(
    ("text", "mode", "problem"),
    [
        ("", 0o600, "is empty"),
        ("\n", 0o600, "is empty"),
        ("first\nsecond\n", 0o600, "must hold the password on a single line"),
        ("secret\n", 0o644, "is readable by every user (mode 0644); chmod 600 it"),
    ],
)
def test_unusable_password_file_is_one_clear_line(
    postgresql_database: PostgresDatabase, tmp_path: Path, text: str, mode: int, problem: str
) -> None:
    path = secret_file(tmp_path / "db.password", text, mode)
    with pytest.raises(PostgresError) as exc:
        client_env(with_password_file(postgresql_database, path))
    message = one_line(exc)
    assert message.startswith(f"database {postgresql_database.name!r}: password_file {path}: ")
    assert message.endswith(problem)
    assert "secret" not in message


def test_directory_as_password_file_is_one_clear_line(
    postgresql_database: PostgresDatabase, tmp_path: Path
) -> None:
    with pytest.raises(PostgresError) as exc:
        client_env(with_password_file(postgresql_database, tmp_path))
    assert one_line(exc) == (
        f"database {postgresql_database.name!r}: password_file {tmp_path}: is a directory"
    )


@pytest.mark.parametrize("via", ["tcp", "socket"])
def test_wrong_password_fails_before_any_restore(
    postgresql_server: PostgresServer,
    postgresql_database: PostgresDatabase,
    tmp_path: Path,
    via: Literal["tcp", "socket"],
) -> None:
    wrong = f"wrong-{secrets.token_hex(8)}"
    db = with_password_file(
        postgresql_server.config(postgresql_database.name, via=via),
        secret_file(tmp_path / "wrong.password", wrong + "\n"),
    )
    with pytest.raises(PostgresError) as exc:
        check_server(db)
    message = one_line(exc)
    assert message.endswith(f'password authentication failed for user "{postgresql_server.user}"')
    assert message.startswith(f"database {db.name!r} on ")
    assert wrong not in message
    with pytest.raises(PostgresError):
        restore_check(db, io.BytesIO(b"never read"))
    assert scratch_left(postgresql_server.database_names()) == []


def test_failed_dump_exits_non_zero_without_prompting_or_leaking(
    postgresql_database: PostgresDatabase, tmp_path: Path
) -> None:
    wrong = f"wrong-{secrets.token_hex(8)}"
    db = with_password_file(postgresql_database, secret_file(tmp_path / "w.password", wrong))
    result = subprocess.run(
        dump_argv(db),
        env={**os.environ, **client_env(db)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == b""
    assert b"password authentication failed" in result.stderr
    assert wrong.encode() not in result.stderr
    # The words `backup run` puts after "pg_dump of <database> failed: " (DumpFailed).
    reason = dump_failure(result.returncode, result.stderr.decode())
    assert "\n" not in reason and wrong not in reason
    assert reason.startswith("error: connection to server")
    assert reason.endswith(f'password authentication failed for user "{db.user}"')


def test_unknown_database_is_one_clear_line(postgresql_server: PostgresServer) -> None:
    db = postgresql_server.config("no_such_shop")
    with pytest.raises(PostgresError) as exc:
        restore_check(db, io.BytesIO(b""))
    assert one_line(exc).endswith('database "no_such_shop" does not exist')


@pytest.fixture
def reader_role(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase, tmp_path: Path
) -> Iterator[PostgresDatabase]:
    """A login role that may read the shop but not create databases (not the DB admin)."""
    role = f"bulwark_reader_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(18)
    postgresql_server.sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    postgresql_server.sql(
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        database=postgresql_database.name,
        superuser=False,
    )
    try:
        yield postgresql_database.model_copy(
            update={"user": role, "password_file": secret_file(tmp_path / "r.pw", password)}
        )
    finally:
        postgresql_server.sql(f"DROP OWNED BY {role}", database=postgresql_database.name)
        postgresql_server.sql(f"DROP ROLE {role}")


def test_role_that_cannot_create_databases_may_not_run_the_drill(
    postgresql_server: PostgresServer, reader_role: PostgresDatabase
) -> None:
    with pytest.raises(PostgresError) as exc:
        restore_check(reader_role, io.BytesIO(b"never read"))
    assert one_line(exc).endswith(
        f"role {reader_role.user!r} may not create databases, so it cannot run the restore "
        "drill (B31: back up and restore with the DB admin role)"
    )
    assert scratch_left(postgresql_server.database_names()) == []


def test_table_the_role_cannot_read_is_one_clear_line(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    postgresql_server.sql(
        "CREATE TABLE secret_notes (id int); REVOKE ALL ON secret_notes FROM PUBLIC",
        database=postgresql_database.name,
    )
    with pytest.raises(PostgresError) as exc:
        restore_check(postgresql_database, io.BytesIO(b"never read"))
    assert one_line(exc).endswith("permission denied for table secret_notes")
    assert scratch_left(postgresql_server.database_names()) == []


def test_missing_dump_file_is_one_clear_line(
    postgresql_database: PostgresDatabase, tmp_path: Path
) -> None:
    with pytest.raises(PostgresError) as exc:
        restore_check(postgresql_database, tmp_path / "gone.pgdump")
    assert one_line(exc) == (
        f"dump file {tmp_path / 'gone.pgdump'} for database {postgresql_database.name!r} "
        "does not exist"
    )


def test_missing_client_tools_are_one_clear_line(
    postgresql_database: PostgresDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PostgresError) as exc:
        dump_argv(postgresql_database)
    assert one_line(exc) == (
        "pg_dump not found on PATH: install the PostgreSQL client tools "
        "(Debian: apt-get install postgresql-client)"
    )
    with pytest.raises(PostgresError):
        restore_check(postgresql_database, io.BytesIO(b"never read"))


def test_server_and_client_versions_are_compatible(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    info = check_server(postgresql_database)
    assert info.server_major == postgresql_server.major
    assert info.client_major >= info.server_major
    assert info.role == postgresql_server.user and info.can_create_databases


def test_older_pg_dump_than_server_is_named() -> None:
    assert version_problem(16, 15) is None
    assert version_problem(15, 15) is None
    assert version_problem(14, 16) == (
        "pg_dump 14 is older than the PostgreSQL 16 server; install postgresql-client-16 or newer"
    )
