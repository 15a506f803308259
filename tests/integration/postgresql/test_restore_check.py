"""The restore drill against a real PostgreSQL server: good dumps pass, bad ones are caught."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from bulwark.backup.hooks.postgresql import (
    PostgresDatabase,
    PostgresError,
    client_env,
    drop_scratch_database,
    dump_argv,
    restore_check,
    scratch_databases,
)
from tests.fixtures.postgresql import SHOP_TABLE_COUNTS, PostgresServer
from tests.integration.postgresql.dumping import dump_bytes, scratch_left

pytestmark = pytest.mark.integration


def assert_scratch_gone(server: PostgresServer, scratch_name: str) -> None:
    names = server.database_names()
    assert scratch_name not in names
    assert scratch_left(names) == []


@pytest.mark.parametrize("via", ["tcp", "socket"])
def test_dump_streamed_into_restore_check_is_ok(
    postgresql_server: PostgresServer,
    postgresql_database: PostgresDatabase,
    via: Literal["tcp", "socket"],
) -> None:
    db = postgresql_server.config(postgresql_database.name, via=via)
    # pg_dump's stdout feeds the drill directly, as `restic dump` stdout will.
    with subprocess.Popen(
        dump_argv(db),
        env={**os.environ, **client_env(db)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    ) as dump:
        assert dump.stdout is not None
        check = restore_check(db, dump.stdout)
    assert dump.returncode == 0
    assert check.ok, check.mismatches
    assert check.mismatches == [] and check.changed == []
    assert check.tables_live == SHOP_TABLE_COUNTS
    assert check.tables_restored == SHOP_TABLE_COUNTS
    assert check.database == db.name
    assert check.scratch_name.startswith(f"bulwark_drill_{db.name}_")
    assert check.bytes_restored > 0 and check.seconds > 0
    assert check.dropped
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_dump_file_is_ok(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase, tmp_path: Path
) -> None:
    dump_file = tmp_path / "shop.pgdump"
    dump_file.write_bytes(dump_bytes(postgresql_database))
    check = restore_check(postgresql_database, dump_file)
    assert check.ok, check.mismatches
    assert check.tables_restored == SHOP_TABLE_COUNTS
    assert check.bytes_restored == dump_file.stat().st_size
    assert_scratch_gone(postgresql_server, check.scratch_name)


@pytest.mark.parametrize("keep_fraction", [0.5, 0.98])
def test_truncated_dump_does_not_restore(
    postgresql_server: PostgresServer,
    postgresql_database: PostgresDatabase,
    keep_fraction: float,
) -> None:
    data = dump_bytes(postgresql_database)
    truncated = data[: int(len(data) * keep_fraction)]
    check = restore_check(postgresql_database, io.BytesIO(truncated))
    assert not check.ok
    assert check.mismatches[0] == (
        f"pg_restore of database {postgresql_database.name!r} failed: "
        "could not read from input file: end of file"
    )
    assert check.bytes_restored == len(truncated)
    assert check.dropped
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_stream_that_is_not_a_dump_fails_early(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    # pg_restore gives up after the header; the drill must not hang feeding the rest.
    garbage = b"this is not a pg_dump archive\n" + bytes(8 << 20)
    check = restore_check(postgresql_database, io.BytesIO(garbage))
    assert not check.ok
    assert "does not appear to be a valid archive" in check.mismatches[0]
    assert (
        f"table public.customers ({SHOP_TABLE_COUNTS['public.customers']} rows live) is "
        "missing from the restore" in check.mismatches
    )
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_empty_dump_fails(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    check = restore_check(postgresql_database, io.BytesIO(b""))
    assert not check.ok
    assert check.mismatches[0].endswith("failed: the dump is empty")
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_dump_the_drill_role_cannot_restore_stops_at_the_first_error(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    # Only a superuser may create the untrusted file_fdw extension; the DB admin role may not,
    # so pg_restore must stop there instead of restoring the tables around the failure.
    postgresql_server.sql("CREATE EXTENSION file_fdw", database=postgresql_database.name)
    check = restore_check(postgresql_database, io.BytesIO(dump_bytes(postgresql_database)))
    assert not check.ok
    assert check.mismatches[0] == (
        f"pg_restore of database {postgresql_database.name!r} failed: "
        'permission denied to create extension "file_fdw"'
    )
    assert check.tables_restored == {}
    assert len(check.mismatches) == 1 + len(SHOP_TABLE_COUNTS)
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_dump_of_another_database_is_caught(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    other = f"{postgresql_database.name}_billing"
    postgresql_server.create_database(other)
    try:
        postgresql_server.sql(
            "CREATE TABLE invoices (id int PRIMARY KEY, amount numeric);"
            "INSERT INTO invoices SELECT i, i FROM generate_series(1, 7) AS i;",
            database=other,
            superuser=False,
        )
        wrong_dump = dump_bytes(postgresql_server.config(other))
    finally:
        postgresql_server.drop_database(other)
    check = restore_check(postgresql_database, io.BytesIO(wrong_dump))
    assert not check.ok
    assert check.tables_restored == {"public.invoices": 7}
    assert "table public.invoices (7 rows restored) is not in the live database" in (
        check.mismatches
    )
    assert "table public.orders (60 rows live) is missing from the restore" in check.mismatches
    assert len(check.mismatches) == len(SHOP_TABLE_COUNTS) + 1
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_rows_missing_from_the_dump_fail_without_a_snapshot_time(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    data = dump_bytes(postgresql_database)
    postgresql_server.sql(
        "INSERT INTO customers (name, address, phone) VALUES"
        " ('Late Customer', '1 New Street', '+1-555-9998'),"
        " ('Later Customer', '2 New Street', '+1-555-9999')",
        database=postgresql_database.name,
        superuser=False,
    )
    check = restore_check(postgresql_database, io.BytesIO(data))
    assert not check.ok
    assert check.mismatches == ["table public.customers: 25 rows restored, 27 live"]
    assert check.changed == []
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_rows_added_since_an_older_backup_are_reported_as_changed(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    taken = datetime.now(UTC)
    data = dump_bytes(postgresql_database)
    postgresql_server.sql(
        "INSERT INTO audit.exports (who, at) VALUES ('drill', now())",
        database=postgresql_database.name,
        superuser=False,
    )
    check = restore_check(postgresql_database, io.BytesIO(data), snapshot_time=taken)
    assert check.ok, check.mismatches
    assert check.changed == [
        "table audit.exports: 3 rows restored, 4 live "
        f"(changed since the backup of {taken.isoformat(timespec='seconds')})"
    ]
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_more_rows_restored_than_live_always_fails(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    taken = datetime.now(UTC) - timedelta(minutes=5)
    data = dump_bytes(postgresql_database)
    postgresql_server.sql(
        "DELETE FROM order_items WHERE quantity = 1",
        database=postgresql_database.name,
        superuser=False,
    )
    live = int(
        postgresql_server.sql(
            "SELECT count(*) FROM order_items", database=postgresql_database.name
        )[0][0]
    )
    assert live < SHOP_TABLE_COUNTS["public.order_items"]
    check = restore_check(postgresql_database, io.BytesIO(data), snapshot_time=taken)
    assert not check.ok
    assert check.mismatches == [
        f"table public.order_items: {SHOP_TABLE_COUNTS['public.order_items']} rows restored "
        f"but only {live} live"
    ]
    assert_scratch_gone(postgresql_server, check.scratch_name)


def test_keep_leaves_the_restored_copy_until_it_is_dropped(
    postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    data = dump_bytes(postgresql_database)
    check = restore_check(postgresql_database, io.BytesIO(data), keep=True)
    try:
        assert check.ok and not check.dropped
        assert scratch_databases(postgresql_database) == [check.scratch_name]
        rows = postgresql_server.sql(
            "SELECT phone FROM customers WHERE name = 'Customer 7'", database=check.scratch_name
        )
        assert rows == [["+1-555-0007"]]
        # Someone still looking at the restored copy does not stop it being dropped.
        with subprocess.Popen(
            [str(postgresql_server.bin_dir / "psql"), "-X", "-q", "-c", "SELECT pg_sleep(60)"],
            env={**os.environ, **client_env(postgresql_database), "PGDATABASE": check.scratch_name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as session:
            wait_for_session(postgresql_server, check.scratch_name)
            drop_scratch_database(postgresql_database, check.scratch_name)
            assert session.wait(timeout=30) != 0
    finally:
        postgresql_server.drop_database(check.scratch_name)
    assert scratch_databases(postgresql_database) == []
    assert postgresql_database.name in postgresql_server.database_names()


def test_only_drill_databases_can_be_dropped(postgresql_database: PostgresDatabase) -> None:
    with pytest.raises(PostgresError) as exc:
        drop_scratch_database(postgresql_database, postgresql_database.name)
    assert str(exc.value) == (
        f"refusing to drop {postgresql_database.name!r}: only drill databases named "
        "bulwark_drill_* are dropped"
    )


def wait_for_session(server: PostgresServer, database: str) -> None:
    for _ in range(300):
        rows = server.sql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'")
        if rows != [["0"]]:
            return
        time.sleep(0.1)
    raise AssertionError(f"no session appeared on {database}")


def test_scratch_copy_keeps_the_live_encoding(postgresql_server: PostgresServer) -> None:
    name = f"legacy_{secrets.token_hex(3)}"
    postgresql_server.sql(
        f"CREATE DATABASE {name} OWNER {postgresql_server.user} TEMPLATE template0"
        " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    try:
        postgresql_server.sql(
            "CREATE TABLE customers (name text); INSERT INTO customers VALUES ('Jürgen Müller')",
            database=name,
            superuser=False,
        )
        db = postgresql_server.config(name)
        check = restore_check(db, io.BytesIO(dump_bytes(db)), keep=True)
        try:
            assert check.ok, check.mismatches
            assert postgresql_server.sql(
                "SELECT pg_encoding_to_char(encoding) FROM pg_database"
                f" WHERE datname = '{check.scratch_name}'"
            ) == [["LATIN1"]]
            assert postgresql_server.sql(
                "SELECT name FROM customers", database=check.scratch_name
            ) == [["Jürgen Müller"]]
        finally:
            postgresql_server.drop_database(check.scratch_name)
    finally:
        postgresql_server.drop_database(name)
