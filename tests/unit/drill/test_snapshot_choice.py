from datetime import UTC, datetime, timedelta

import pytest

from bulwark.backup.actions.restore import (
    RestoreRefused,
    RestoreRequest,
    _checked_includes,
    _checked_target,
    resolve_snapshot,
    select,
)
from bulwark.backup.errors import InputError
from bulwark.backup.restic.ls import SnapshotFile
from bulwark.backup.restic.snapshots import Snapshot, latest_source_snapshot

T = datetime(2026, 5, 1, tzinfo=UTC)
SOURCES = ["/srv/shop", "/etc"]


def snap(i: int, hours: int, tags=(), paths=("/srv/shop", "/etc"), host="h1") -> Snapshot:  # noqa: ANN001
    return Snapshot(id=f"{i:x}" * 8, time=T + timedelta(hours=hours), tree="t",
                    paths=paths, tags=tags, hostname=host)


SNAPS = [
    snap(1, 1),
    snap(2, 2),
    snap(3, 3, tags=("bulwark", "postgresql", "db:shop"), paths=("/postgresql/shop.pgdump",)),
    snap(4, 4, tags=("bulwark", "pre-restore"), paths=("/srv/shop",)),
    snap(5, 5, host="other"),
    snap(6, 6, paths=("/home",)),
]


def test_latest_source_snapshot_skips_dumps_safety_backups_other_hosts_and_paths() -> None:
    assert latest_source_snapshot(SNAPS, "h1", SOURCES).id == "2" * 8
    assert latest_source_snapshot(SNAPS, "nobody", SOURCES) is None


def test_resolve_snapshot_by_prefix_and_latest() -> None:
    assert resolve_snapshot(SNAPS, "latest", "h1", SOURCES, "primary").id == "2" * 8
    assert resolve_snapshot(SNAPS, "1111", "h1", SOURCES, "primary").id == "1" * 8
    with pytest.raises(InputError, match="not found in repository primary"):
        resolve_snapshot(SNAPS, "abcd", "h1", SOURCES, "primary")
    with pytest.raises(InputError, match="give `latest` or a snapshot id"):
        resolve_snapshot(SNAPS, "1", "h1", SOURCES, "primary")
    twins = [snap(0xA, 1), Snapshot(id="aaaab", time=T, tree="t", paths=(), hostname="h1")]
    with pytest.raises(InputError, match="ambiguous"):
        resolve_snapshot(twins, "aaaa", "h1", SOURCES, "primary")


def test_select_by_include_respects_path_boundaries() -> None:
    files = [SnapshotFile(path=p, size=1, mtime=T)
             for p in ("/srv/shop/a", "/srv/shopping/b", "/etc/c")]
    assert [f.path for f in select(files, ["/srv/shop"])] == ["/srv/shop/a"]
    assert len(select(files, [])) == 3
    assert len(select(files, ["/"])) == 3


def test_target_checks(tmp_path) -> None:
    with pytest.raises(RestoreRefused, match="over /"):
        _checked_target(RestoreRequest("latest", tmp_path / ".." / ".." / ".." / ".."))
    assert _checked_target(RestoreRequest("latest", tmp_path.parents[-1], force_root=True)) \
        == tmp_path.parents[-1]
    (tmp_path / "file").write_text("x")
    with pytest.raises(RestoreRefused, match="not a directory"):
        _checked_target(RestoreRequest("latest", tmp_path / "file"))
    with pytest.raises(RestoreRefused, match="absolute path"):
        _checked_includes(["srv/shop"])
    assert _checked_includes(["/srv/shop/"]) == ("/srv/shop",)
