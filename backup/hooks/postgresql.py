"""PostgreSQL data source: dump argv and environment for `backup run`, restore check for the drill.

`backup run` streams `pg_dump --format=custom` into `restic backup --stdin` (F6: the database is
backed up at least weekly); the drill restores that dump into a throwaway database, compares
tables and exact row counts with the live database (F18: every restore is verified) and always
drops the throwaway copy afterwards (G16: restored customer data is deleted after use).

Only libpq's command-line tools are used (pg_dump, pg_restore, psql). Connection settings travel
in the environment that `client_env` returns and the password is read from `password_file` at run
time, so no secret ever appears in argv or a log line. Every command runs through
bulwark.backup.execute: `backup run` checks the server first (`check_server`: one clear line
before any streaming), then hands `dump_argv(db)` with `client_env(db)` to the runner as the
producer of `restic backup --stdin --stdin-filename <stdin_filename(db)>`; `dump_failure` words
the error of a dump that failed.

Row counts in the drill (see `restore_check`): the live database may have been written to since
the backup. A table whose live count is higher than the restored one is tolerated only when the
caller passes the snapshot time and it is in the past; it is then listed under `changed`, never
silently. Everything else (a missing or extra table, a restored count higher than the live one,
any pg_restore error) is a mismatch and makes the check fail.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bulwark.backup import credentials
from bulwark.backup.errors import read_text_file
from bulwark.backup.execute import Completed, error_line, run_command
from bulwark.errors import BulwarkError

log = logging.getLogger(__name__)

SCRATCH_PREFIX = "bulwark_drill_"
"""Every throwaway drill database starts with this, so leftovers are easy to find (G16)."""

APPLICATION_NAME = "bulwark"
"""Shown in pg_stat_activity and the server log, so exports can be traced to the tool (E12)."""

CONNECT_TIMEOUT_SECONDS = 10
_IDENTIFIER_MAX_BYTES = 63


class PostgresError(BulwarkError):
    """A PostgreSQL database cannot be dumped or checked as configured."""


class PostgresDatabase(BaseModel):
    """One database to back up, as written under `databases: {postgresql: [...]}`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    host: str | None = None
    port: int = Field(default=5432, ge=1, le=65535)
    user: str | None = None
    password_file: Path | None = None

    @field_validator("name")
    @classmethod
    def _name_is_a_database_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("database name is empty")
        if "\0" in value:
            raise ValueError("database name contains a NUL byte")
        if len(value.encode()) > _IDENTIFIER_MAX_BYTES:
            raise ValueError(f"database name is longer than {_IDENTIFIER_MAX_BYTES} bytes")
        return value

    # `$CREDENTIALS_DIRECTORY/<name>`: a systemd credential of the running unit (credentials.py)
    @field_validator("password_file", mode="before")
    @classmethod
    def _credential(cls, value: object) -> object:
        return credentials.expand(value)

    @field_validator("host", "user")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty; leave it out to use the libpq default")
        return value


@dataclass
class ServerInfo:
    """What `check_server` learnt about the server and the role Bulwark connects as."""

    server_version: int
    server_major: int
    client_major: int
    role: str
    can_create_databases: bool


@dataclass
class DatabaseCheck:
    """Outcome of one restore drill of one database (F18)."""

    ok: bool
    database: str
    scratch_name: str
    tables_live: dict[str, int] = field(default_factory=dict)
    tables_restored: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    bytes_restored: int = 0
    dropped: bool = False


def describe(db: PostgresDatabase) -> str:
    """`'shop' on 127.0.0.1:5432` — how a database is named in messages (never a secret)."""
    if db.host is None:
        where = f"the default server, port {db.port}"
    elif db.host.startswith("/"):
        where = f"socket {db.host} port {db.port}"
    else:
        where = f"{db.host}:{db.port}"
    return f"database {db.name!r} on {where}"


def stdin_filename(db: PostgresDatabase) -> str:
    """Path of the dump inside the restic snapshot."""
    return f"postgresql/{db.name}.pgdump"


def dump_argv(db: PostgresDatabase) -> list[str]:
    """pg_dump writing a custom-format archive to stdout; connection settings come from client_env.

    `--compress=0` leaves compression to restic, whose deduplication works on plain data but
    not on a zlib stream that changes wholesale when one row changes.
    """
    return [_tool("pg_dump"), "--format=custom", "--compress=0", "--no-password"]


def client_env(db: PostgresDatabase) -> dict[str, str]:
    """libpq environment for `db`; merge it over os.environ. Reads the password file now."""
    env = {
        "PGDATABASE": db.name,
        "PGPORT": str(db.port),
        "PGAPPNAME": APPLICATION_NAME,
        "PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
    }
    if db.host is not None:
        env["PGHOST"] = db.host
    if db.user is not None:
        env["PGUSER"] = db.user
    if db.password_file is not None:
        env["PGPASSWORD"] = read_password(db)
    return env


def read_password(db: PostgresDatabase) -> str:
    """The password in `db.password_file`: one line, not world-readable."""
    path = db.password_file
    if path is None:
        raise PostgresError(f"no password_file is configured for database {db.name!r}")
    what = f"database {db.name!r}: password_file"
    text = read_text_file(path, what, error=PostgresError)
    try:
        mode = path.stat().st_mode
    except OSError as exc:  # removed or replaced since it was read
        raise PostgresError(f"{what} {path}: cannot read ({exc.strerror})") from None
    if mode & stat.S_IROTH:
        raise PostgresError(
            f"{what} {path}: is readable by every user (mode {stat.S_IMODE(mode):04o}); "
            "chmod 600 it"
        )
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise PostgresError(f"{what} {path}: is empty")
    if any(line.strip() for line in lines[1:]):
        raise PostgresError(f"{what} {path}: must hold the password on a single line")
    return lines[0]


_PG_DUMP_ERROR = re.compile(r"^(?=.*error)", re.IGNORECASE)


def dump_failure(returncode: int, stderr: str) -> str:
    """Why pg_dump failed, in one line: its first error line ("error: query failed: …")."""
    return error_line(stderr, _PG_DUMP_ERROR, prefix="pg_dump:", limit=300) or (
        f"exit status {returncode}")


def version_problem(client_major: int, server_major: int) -> str | None:
    """Why this pg_dump cannot dump this server, or None: pg_dump refuses newer servers."""
    if client_major >= server_major:
        return None
    return (
        f"pg_dump {client_major} is older than the PostgreSQL {server_major} server; "
        f"install postgresql-client-{server_major} or newer"
    )


def check_server(db: PostgresDatabase) -> ServerInfo:
    """Connect once and check the versions; raises PostgresError with one line if unusable."""
    env = client_env(db)
    client_major = _client_major(env)
    row = _query_json(
        db,
        "SELECT json_build_object("
        " 'version', current_setting('server_version_num')::int,"
        " 'role', current_user,"
        " 'createdb', rolcreatedb OR rolsuper)"
        " FROM pg_roles WHERE rolname = current_user",
        env=env,
    )
    version = int(row["version"])
    info = ServerInfo(
        server_version=version,
        server_major=version // 10000,
        client_major=client_major,
        role=str(row["role"]),
        can_create_databases=bool(row["createdb"]),
    )
    problem = version_problem(info.client_major, info.server_major)
    if problem is not None:
        raise PostgresError(f"{describe(db)}: {problem}")
    return info


def table_counts(db: PostgresDatabase, database: str | None = None) -> dict[str, int]:
    """Exact row count of every ordinary and partitioned table, keyed by `schema.table`.

    `ONLY` keeps inheritance children from being counted twice; a partitioned parent has no
    rows of its own, its partitions are listed separately.
    """
    counts = _query_json(db, _TABLE_COUNTS_SQL, database=database)
    return {str(name): int(rows) for name, rows in sorted(counts.items())}


def scratch_databases(db: PostgresDatabase) -> list[str]:
    """Drill databases left on the server of `db` (a drill killed before it could drop them)."""
    names = _query_json(
        db,
        "SELECT coalesce(json_agg(datname ORDER BY datname), '[]')"
        f" FROM pg_database WHERE starts_with(datname, '{SCRATCH_PREFIX}')",
    )
    return [str(name) for name in names]


def drop_scratch_database(
    db: PostgresDatabase, scratch: str, *, server_major: int | None = None
) -> None:
    """Drop a drill database on the server of `db` (G16); refuses any other database name."""
    if not scratch.startswith(SCRATCH_PREFIX):
        raise PostgresError(
            f"refusing to drop {scratch!r}: "
            f"only drill databases named {SCRATCH_PREFIX}* are dropped"
        )
    if server_major is None:
        server_major = check_server(db).server_major
    # FORCE (PostgreSQL 13+) ends sessions someone opened to look at the restored copy.
    force = " WITH (FORCE)" if server_major >= 13 else ""
    _execute(db, f"DROP DATABASE IF EXISTS {_quote_ident(scratch)}{force}")


def scratch_name(database: str) -> str:
    """A fresh throwaway name, `bulwark_drill_<name>_<random>`, short enough for PostgreSQL."""
    slug = re.sub(r"[^a-z0-9_]+", "_", database.lower()).strip("_")[:32] or "db"
    return f"{SCRATCH_PREFIX}{slug}_{secrets.token_hex(4)}"


def restore_check(
    db: PostgresDatabase,
    dump: BinaryIO | Path,
    *,
    keep: bool = False,
    snapshot_time: datetime | None = None,
) -> DatabaseCheck:
    """Restore `dump` into a throwaway database and compare it with the live database `db`.

    `dump` is a custom-format archive: a file, or a readable binary stream such as the stdout
    of `restic dump`. The throwaway database is dropped afterwards even when the restore or the
    comparison fails, unless `keep` is set for debugging. `snapshot_time` (timezone-aware) is
    when the dump was taken; only with it can rows added since the backup be told apart from
    rows the backup lost. Connection, permission and version problems raise PostgresError;
    problems with the dump itself are reported in the returned check.
    """
    started = time.monotonic()
    info = check_server(db)
    if not info.can_create_databases:
        raise PostgresError(
            f"{describe(db)}: role {info.role!r} may not create databases, so it cannot run the "
            "restore drill (B31: back up and restore with the DB admin role)"
        )
    if isinstance(dump, Path) and not dump.is_file():
        raise PostgresError(f"dump file {dump} for database {db.name!r} does not exist")
    check = DatabaseCheck(ok=False, database=db.name, scratch_name=scratch_name(db.name))
    check.tables_live = table_counts(db)
    _execute(db, _create_scratch_sql(db, check.scratch_name))
    log.info("restoring %s into scratch database %s", describe(db), check.scratch_name)
    try:
        error, check.bytes_restored = _pg_restore(db, check.scratch_name, dump)
        if error is not None:
            check.mismatches.append(f"pg_restore of database {db.name!r} failed: {error}")
        check.tables_restored = table_counts(db, check.scratch_name)
        _compare(check, snapshot_time)
    finally:
        if keep:
            log.warning(
                "kept scratch database %s with restored data: drop it after use (G16)",
                check.scratch_name,
            )
        else:
            check.dropped = _drop_scratch(db, check, info)
    check.ok = not check.mismatches
    check.seconds = time.monotonic() - started
    return check


def _create_scratch_sql(db: PostgresDatabase, scratch: str) -> str:
    """CREATE DATABASE for the scratch copy with the live database's encoding and locale."""
    live = _query_json(
        db,
        "SELECT json_build_object('encoding', pg_encoding_to_char(encoding),"
        " 'collate', datcollate, 'ctype', datctype)"
        " FROM pg_database WHERE datname = current_database()",
    )
    return (
        f"CREATE DATABASE {_quote_ident(scratch)} TEMPLATE template0"
        f" ENCODING {_quote_literal(live['encoding'])}"
        f" LC_COLLATE {_quote_literal(live['collate'])}"
        f" LC_CTYPE {_quote_literal(live['ctype'])}"
    )


def _compare(check: DatabaseCheck, snapshot_time: datetime | None) -> None:
    live, restored = check.tables_live, check.tables_restored
    if snapshot_time is not None and snapshot_time.tzinfo is None:
        snapshot_time = snapshot_time.replace(tzinfo=UTC)  # a naive time is taken as UTC
    backup_is_older = snapshot_time is not None and snapshot_time < datetime.now(UTC)
    for table in sorted(live.keys() | restored.keys()):
        if table not in restored:
            check.mismatches.append(
                f"table {table} ({live[table]} rows live) is missing from the restore"
            )
        elif table not in live:
            check.mismatches.append(
                f"table {table} ({restored[table]} rows restored) is not in the live database"
            )
        elif restored[table] > live[table]:
            check.mismatches.append(
                f"table {table}: {restored[table]} rows restored but only {live[table]} live"
            )
        elif restored[table] < live[table]:
            difference = f"{restored[table]} rows restored, {live[table]} live"
            if backup_is_older and snapshot_time is not None:
                check.changed.append(
                    f"table {table}: {difference} (changed since the backup of "
                    f"{snapshot_time.isoformat(timespec='seconds')})"
                )
            else:
                check.mismatches.append(f"table {table}: {difference}")


def _drop_scratch(db: PostgresDatabase, check: DatabaseCheck, info: ServerInfo) -> bool:
    try:
        drop_scratch_database(db, check.scratch_name, server_major=info.server_major)
    except PostgresError as exc:
        check.mismatches.append(
            f"scratch database {check.scratch_name} could not be dropped, drop it by hand "
            f"(G16): {exc}"
        )
        return False
    return True


def _pg_restore(
    db: PostgresDatabase, scratch: str, dump: BinaryIO | Path
) -> tuple[str | None, int]:
    """Run pg_restore into `scratch`; returns (first error or None, bytes read)."""
    argv = [
        _tool("pg_restore"),
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        f"--dbname={scratch}",
    ]
    env = client_env(db)
    if isinstance(dump, Path):
        size = dump.stat().st_size
        result = _run([*argv, str(dump)], env, logged=len(argv) + 1)
    else:
        result = _run(argv, env, feed=dump, logged=len(argv))
        size = result.fed
    if result.returncode == 0:
        return None, size
    if size == 0:
        return "the dump is empty", size
    return _first_error(result.stderr) or f"exit status {result.returncode}", size


def _client_major(env: dict[str, str]) -> int:
    result = _run([_tool("pg_dump"), "--version"], env)
    match = re.search(r"\)\s+(\d+)(?:\.\d+)?", result.stdout)
    if result.returncode != 0 or match is None:
        raise PostgresError(f"cannot tell the version of pg_dump: {result.stdout.strip()!r}")
    return int(match.group(1))


def _query_json(db: PostgresDatabase, sql: str, *, database: str | None = None,
                env: dict[str, str] | None = None) -> Any:
    """Run one query returning one JSON value; any failure is one PostgresError line."""
    output = _psql(db, sql, database=database, env=env)
    try:
        return json.loads(output)
    except json.JSONDecodeError:
        raise PostgresError(
            f"{describe(db)}: unexpected answer from psql: {output[:80]!r}"
        ) from None


def _execute(db: PostgresDatabase, sql: str) -> None:
    _psql(db, sql)


def _psql(
    db: PostgresDatabase,
    sql: str,
    *,
    database: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    env = dict(env if env is not None else client_env(db))
    if database is not None:
        env["PGDATABASE"] = database
    argv = [
        _tool("psql"),
        "--no-psqlrc",
        "--no-password",
        "--tuples-only",
        "--no-align",
        "--quiet",
        "--set=ON_ERROR_STOP=1",
        f"--command={sql}",
    ]
    result = _run(argv, env)
    if result.returncode != 0:
        reason = _first_error(result.stderr) or f"psql exit status {result.returncode}"
        raise PostgresError(f"{describe(db)}: {reason}")
    return result.stdout.strip()


def _run(
    argv: list[str], env: dict[str, str], *, feed: BinaryIO | None = None, logged: int = 2
) -> Completed:
    # By default only the program and its first option are logged: the SQL can name tables.
    try:
        return run_command(argv, env=env, feed=feed, logged=logged)
    except OSError as exc:
        raise PostgresError(f"cannot run {argv[0]}: {exc.strerror}") from None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PostgresError(
            f"{name} not found on PATH: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)"
        )
    return path


# libpq repeats the marker after the connection target: the text after the last one is kept.
_LIBPQ_ERROR = re.compile(r".*(?:FATAL|ERROR|error):")


def _first_error(stderr: str) -> str:
    """The server's or tool's first error message, on one line."""
    return error_line(stderr, _LIBPQ_ERROR, limit=300)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


_TABLE_COUNTS_SQL = """
SELECT coalesce(json_object_agg(t.name, t.n), '{}')
FROM (
  SELECT format('%I.%I', n.nspname, c.relname) AS name,
         (xpath('/row/n/text()',
                query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', n.nspname, c.relname),
                             false, true, '')))[1]::text::bigint AS n
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND n.nspname <> 'information_schema'
    AND n.nspname !~ '^pg_'
) t
"""
