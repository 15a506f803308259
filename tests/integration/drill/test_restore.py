"""The operator's restore: safety backup first (F17), verification after (F18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulwark.backup.actions.restore import RestoreRefused, RestoreRequest, run_restore
from bulwark.backup.execute import Restic
from bulwark.backup.restic.ls import ls
from bulwark.backup.restic.snapshots import snapshots

from .conftest import Lab

pytestmark = pytest.mark.integration


def restore(lab: Lab, target, snapshot: str = "latest", includes=(), **kw):  # noqa: ANN001, ANN201
    said: list[str] = []
    outcome = run_restore(
        lab.config, lab.restic,
        RestoreRequest(snapshot=snapshot, target=target, includes=tuple(includes), **kw),
        said.append,
    )
    return outcome, said


def test_restore_into_occupied_target_takes_the_safety_backup_first(lab: Lab) -> None:
    target = lab.root / "target"
    conf = target / str(lab.sources[1]).lstrip("/") / "shop.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("the operator's hand edit, about to be overwritten\n")
    (target / "unrelated.txt").write_text("keep me\n")

    outcome, said = restore(lab, target)

    assert outcome.ok, outcome.problems
    assert outcome.verified == outcome.expected == 48
    assert conf.read_text() == "listen = 127.0.0.1\n"
    assert (target / "unrelated.txt").read_text() == "keep me\n"
    assert said[0].startswith(f"{target} already holds data where the restore writes: "
                              f"backing up {conf.parent} to repository primary")
    assert "policy F17" in said[0]
    assert said.index(next(s for s in said if s.startswith("restoring"))) > 1
    # The safety snapshot holds the previous contents: the hand edit is recoverable.
    config = lab.config
    safety = [s for s in snapshots(lab.restic, config.target("primary"), host=config.host)
              if "pre-restore" in s.tags]
    assert [s.id for s in safety] == [outcome.safety_snapshot]
    assert safety[0].paths == (str(conf.parent),)  # the only restored path that held data
    _, files = ls(lab.restic, config.target("primary"), safety[0].id)
    assert [f.path for f in files] == [str(conf)]
    # …and restoring the safety snapshot brings the hand edit back (undo).
    back, _ = restore(lab, Path("/"), snapshot=outcome.safety_snapshot, force_root=True)
    assert back.ok and conf.read_text().startswith("the operator's hand edit")
    runs = (lab.state_dir / "runs.jsonl").read_text().splitlines()
    assert '"command":"restore"' in runs[-1] and '"step":"safety-backup"' in runs[-1]
    # What the report's F17 reads: a restore that overwrote files, and its safety backup first.
    undo = json.loads(runs[-1])
    assert undo["command"] == "restore" and undo["options"]["overwrites"] >= 1
    assert [s["step"] for s in undo["steps"]][:2] == ["safety-backup", "restore"]


def test_restore_into_empty_target_needs_no_safety_backup(lab: Lab) -> None:
    target = lab.root / "empty"
    (target / "elsewhere").mkdir(parents=True)
    (target / "elsewhere" / "file").write_text("not where the restore writes\n")
    outcome, said = restore(lab, target, includes=[str(lab.sources[1])])
    assert outcome.ok and outcome.safety_snapshot is None
    assert outcome.expected == 1
    assert not any("F17" in line for line in said)
    assert (target / str(lab.sources[1]).lstrip("/") / "shop.conf").is_file()
    assert not (target / str(lab.sources[0]).lstrip("/")).exists()


def test_odd_file_names_restore_exactly(lab: Lab) -> None:
    odd = lab.sources[0] / "odd [name]*?.txt"
    outcome, _ = restore(lab, lab.root / "odd", includes=[str(odd)])
    assert outcome.ok and outcome.expected == 1


def test_restore_over_root_is_refused_unless_forced(lab: Lab) -> None:
    with pytest.raises(RestoreRefused, match="refusing to restore over /"):
        restore(lab, lab.root / ".." / ".." / ".." / ".." / "..")
    runs = lab.state_dir / "runs.jsonl"
    assert '"command":"restore"' not in runs.read_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"snapshot": "deadbeef"}, "snapshot deadbeef not found in repository primary"),
        ({"snapshot": "../x"}, "give `latest` or a snapshot id"),
        ({"includes": ["/nowhere"]}, "--include /nowhere matches no file"),
        ({"includes": ["relative/path"]}, "give the absolute path"),
    ],
)
def test_bad_requests_fail_before_touching_anything(lab: Lab, kwargs, message) -> None:  # noqa: ANN001
    target = lab.root / "occupied"
    target.mkdir()
    (target / "precious").write_text("untouched\n")
    with pytest.raises(Exception, match=message):
        restore(lab, target, **kwargs)
    assert [p.name for p in target.iterdir()] == ["precious"]
    config = lab.config
    assert not [s for s in snapshots(lab.restic, config.target("primary"), host=config.host)
                if "pre-restore" in s.tags]


def test_restore_reports_damage_it_cannot_repair(lab: Lab) -> None:
    from .conftest import corrupt_local_pack

    corrupt_local_pack(lab.primary_repo)
    outcome, _ = restore(lab, lab.root / "damaged")
    assert not outcome.ok
    assert outcome.problems[0].startswith("restic restore exited 1")
    assert any(p.startswith("ignoring error for ") for p in outcome.problems)


def test_wrong_password_is_one_line(lab: Lab) -> None:
    from bulwark.errors import BulwarkError

    password = lab.config.password_file
    assert password is not None
    password.write_text("not the password")
    with pytest.raises(BulwarkError, match="wrong password"):
        restore(lab, lab.root / "t")
    assert isinstance(lab.restic, Restic)
