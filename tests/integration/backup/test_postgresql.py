"""Databases: pg_dump streamed into `restic backup --stdin`; a failed dump never counts."""

from __future__ import annotations

import subprocess

import pytest

from bulwark.backup.hooks.postgresql import PostgresDatabase
from tests.fixtures.postgresql import PostgresServer
from tests.integration.backup.conftest import Site, assert_one_line_error

pytestmark = pytest.mark.integration


def db_entry(db: PostgresDatabase) -> dict[str, object]:
    return db.model_dump(mode="json", exclude_none=True)


def test_database_dump_is_streamed_and_tagged(
    site: Site, postgresql_database: PostgresDatabase
) -> None:
    site.write_config(databases={"postgresql": [db_entry(postgresql_database)]})
    assert site.bulwark("init").returncode == 0
    done = site.bulwark("run", "--only", "databases")
    assert done.returncode == 0, done.stderr
    url = site.repositories["primary"]["url"]
    [snapshot] = site.snapshots(url)
    name = postgresql_database.name
    assert snapshot["paths"] == [f"/postgresql/{name}.pgdump"]
    assert {"bulwark", "postgresql", f"db:{name}"} <= set(snapshot["tags"])
    dump = subprocess.run(
        ["restic", "-r", url, "--password-file", str(site.password), "dump", snapshot["id"],
         f"/postgresql/{name}.pgdump"], capture_output=True, check=True)
    assert dump.stdout.startswith(b"PGDMP") and len(dump.stdout) > 2000
    steps = [(s["step"], s["ok"]) for s in site.runs()[-1]["steps"]]
    assert steps == [(f"dump:{name}", True), ("retention", True)]
    # No file backup ran: --only databases.
    assert not any("files" in (s.get("tags") or []) for s in site.snapshots(url))


def test_failed_dump_is_forgotten(
    site: Site, postgresql_server: PostgresServer, postgresql_database: PostgresDatabase
) -> None:
    # A table the backup role may not read: pg_dump fails after it has started streaming.
    postgresql_server.sql(
        "CREATE TABLE secret_ledger (id int); INSERT INTO secret_ledger VALUES (1);",
        database=postgresql_database.name, superuser=True)
    site.write_config(databases={"postgresql": [db_entry(postgresql_database)]})
    assert site.bulwark("init").returncode == 0
    done = site.bulwark("run")
    line = assert_one_line_error(done, 1, f"dump:{postgresql_database.name} on primary",
                                 "pg_dump of database", "permission denied")
    assert "was forgotten" in line
    url = site.repositories["primary"]["url"]
    snapshots = site.snapshots(url)
    assert all("postgresql" not in (s.get("tags") or []) for s in snapshots)
    assert len(snapshots) == 1  # the file backup
    steps = {s["step"]: s["ok"] for s in site.runs()[-1]["steps"]}
    assert steps == {"backup": True, f"dump:{postgresql_database.name}": False}


def test_unreachable_database_names_it(site: Site, postgresql_database: PostgresDatabase) -> None:
    entry = db_entry(postgresql_database) | {"name": "no_such_db"}
    site.write_config(databases={"postgresql": [entry]})
    assert site.bulwark("init").returncode == 0
    done = site.bulwark("run", "--only", "databases")
    assert_one_line_error(done, 1, "dump:no_such_db", "no_such_db")
    assert site.snapshots(site.repositories["primary"]["url"]) == []
