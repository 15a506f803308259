"""The `databases: {postgresql: [...]}` entries are validated before anything connects."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bulwark.backup.hooks.postgresql import PostgresDatabase, client_env, describe, scratch_name


def test_minimal_entry_uses_libpq_defaults() -> None:
    db = PostgresDatabase(name="shop")
    assert (db.host, db.port, db.user, db.password_file) == (None, 5432, None, None)
    env = client_env(db)
    assert "PGHOST" not in env and "PGUSER" not in env and "PGPASSWORD" not in env
    assert env["PGDATABASE"] == "shop"
    assert describe(db) == "database 'shop' on the default server, port 5432"


def test_socket_directory_is_a_host() -> None:
    db = PostgresDatabase(name="shop", host="/run/postgresql", password_file=Path("/etc/pw"))
    assert client_env(db.model_copy(update={"password_file": None}))["PGHOST"] == (
        "/run/postgresql"
    )
    assert describe(db) == "database 'shop' on socket /run/postgresql port 5432"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"name": ""}, "database name is empty"),
        ({"name": "x" * 64}, "longer than 63 bytes"),
        ({"name": "shop", "port": 0}, "greater than or equal to 1"),
        ({"name": "shop", "port": 70000}, "less than or equal to 65535"),
        ({"name": "shop", "host": " "}, "must not be empty"),
        ({"name": "shop", "password": "inline"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_entries_are_rejected(entry: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError) as exc:
        PostgresDatabase.model_validate(entry)
    assert problem in str(exc.value)


def test_scratch_names_are_fresh_safe_and_short() -> None:
    first, second = scratch_name('Shop "EU"-2024'), scratch_name('Shop "EU"-2024')
    assert first != second
    assert first.startswith("bulwark_drill_shop_eu_2024_")
    long_name = scratch_name("x" * 63)
    assert len(long_name.encode()) <= 63
