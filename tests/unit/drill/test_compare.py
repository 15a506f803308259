import os
from datetime import UTC, datetime, timedelta

import pytest

from bulwark.backup.drill.compare import Verdict, judge
from bulwark.backup.drill.hashing import NOT_REGULAR, FileDigest, sha256_file
from bulwark.backup.restic.ls import SnapshotFile

SNAP = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ENTRY = SnapshotFile(path="/srv/shop/a.txt", size=5, mtime=SNAP - timedelta(days=1))
BEFORE = SNAP - timedelta(hours=1)
AFTER = SNAP + timedelta(hours=1)


def digest(sha: str, mtime: datetime = BEFORE, size: int = 5) -> FileDigest:
    return FileDigest(sha, size=size, mtime=mtime)


@pytest.mark.parametrize(
    ("restored", "live", "verdict"),
    [
        (digest("aa"), digest("aa"), Verdict.MATCH),
        (digest("aa"), digest("bb", AFTER), Verdict.CHANGED_SINCE_BACKUP),
        (digest("aa"), digest("bb", BEFORE), Verdict.CONTENT_MISMATCH),
        (FileDigest(None, error="missing"), digest("aa"), Verdict.MISSING_FROM_RESTORE),
        (digest("aa", size=4), digest("aa"), Verdict.SIZE_MISMATCH),
        (digest("aa"), FileDigest(None, error="missing"), Verdict.REMOVED_SINCE_BACKUP),
        (digest("aa"), FileDigest(None, error="Permission denied"), Verdict.UNREADABLE),
    ],
)
def test_judge(restored: FileDigest, live: FileDigest, verdict: Verdict) -> None:
    assert judge(ENTRY, restored, live, SNAP).verdict is verdict


def test_only_source_side_movement_is_not_a_failure() -> None:
    assert not Verdict.CHANGED_SINCE_BACKUP.failed
    assert not Verdict.REMOVED_SINCE_BACKUP.failed
    assert Verdict.CONTENT_MISMATCH.failed
    assert Verdict.MISSING_FROM_RESTORE.failed


def test_sha256_file_matches_hashlib_across_chunk_boundaries(tmp_path) -> None:
    import hashlib

    data = bytes(range(256)) * (5 * 1024 * 1024 // 256 + 3)
    path = tmp_path / "f"
    path.write_bytes(data)
    got = sha256_file(str(path))
    assert got.sha256 == hashlib.sha256(data).hexdigest()
    assert got.size == len(data)
    assert sha256_file(str(tmp_path / "nope")).error == "missing"


def test_sha256_file_refuses_what_is_not_a_regular_file(tmp_path) -> None:
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    os.mkfifo(tmp_path / "fifo")  # must not block
    (tmp_path / "dir").mkdir()
    for name in ("link", "fifo", "dir"):
        assert sha256_file(str(tmp_path / name)).error == NOT_REGULAR, name


def test_live_path_replaced_by_something_else_counts_as_changed() -> None:
    live = FileDigest(None, error=NOT_REGULAR)
    assert judge(ENTRY, digest("aa"), live, SNAP).verdict is Verdict.CHANGED_SINCE_BACKUP
    assert judge(ENTRY, live, digest("aa"), SNAP).verdict is Verdict.UNREADABLE
