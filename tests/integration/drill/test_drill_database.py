"""The drill restores each database dump into a throwaway database (F6, F18, G16)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bulwark.backup.actions.drill import DrillOptions, run_drill
from bulwark.backup.execute import Producer
from bulwark.backup.hooks.postgresql import PostgresDatabase, scratch_databases, stdin_filename
from bulwark.backup.restic.backup import stdin_args

from .conftest import Lab

pytestmark = pytest.mark.integration


@pytest.fixture
def db_lab(lab_factory: Callable[..., Lab], postgresql_database: PostgresDatabase) -> Lab:
    lab = lab_factory(offsite=False,
                      databases=[postgresql_database.model_dump(mode="json", exclude_none=True)])
    lab.backup()
    return lab


def primary_report(lab: Lab) -> dict:
    options = DrillOptions(workspace_parent=lab.root / "scratch")
    return run_drill(lab.config, lab.restic, options).reports[0]


def test_database_dump_restores_and_matches(db_lab: Lab,
                                            postgresql_database: PostgresDatabase) -> None:
    report = primary_report(db_lab)
    assert report["ok"], report
    (db,) = report["databases"]
    assert db["name"] == postgresql_database.name and db["ok"]
    assert db["tables"] == 5 and db["mismatches"] == []
    assert scratch_databases(postgresql_database) == []
    assert list((db_lab.root / "scratch").iterdir()) == []


def test_database_drill_catches_a_dump_that_does_not_restore(
    db_lab: Lab, postgresql_database: PostgresDatabase
) -> None:
    config = db_lab.config
    # A newer "dump" of the database that is not a pg_dump archive at all.
    db_lab.restic.run(
        config.target("primary"),
        stdin_args(stdin_filename(postgresql_database), host=config.host,
                   tags=["postgresql", f"db:{postgresql_database.name}"]),
        producer=Producer(name="garbage", argv=["head", "-c", "65536", "/dev/urandom"]),
    )
    report = primary_report(db_lab)
    assert not report["ok"]
    (db,) = report["databases"]
    assert not db["ok"]
    assert any("pg_restore" in m for m in db["mismatches"]), db
    assert scratch_databases(postgresql_database) == []
    assert list((db_lab.root / "scratch").iterdir()) == []


def test_database_without_any_dump_is_a_failure(
    lab_factory: Callable[..., Lab], postgresql_database: PostgresDatabase
) -> None:
    lab = lab_factory(offsite=False,
                      databases=[postgresql_database.model_dump(mode="json", exclude_none=True)])
    lab.backup()
    lab.rewrite(databases={"postgresql": [{**postgresql_database.model_dump(
        mode="json", exclude_none=True), "name": "never_backed_up"}]})
    report = primary_report(lab)
    assert not report["ok"]
    assert report["databases"][0]["error"].startswith("no snapshot tagged db:never_backed_up")
