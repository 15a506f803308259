"""restic's storage errors are named for what they are (issue 14, item 4); lines are restic
0.14's own (captured from a read-only bind mount, a full tmpfs and a repository owned by root
opened as nobody)."""

from __future__ import annotations

from bulwark.backup.errors import (
    RepositoryFull,
    RepositoryLocked,
    RepositoryPermissionDenied,
    RepositoryReadOnly,
    SnapshotIncomplete,
)
from bulwark.backup.execute import classify

READ_ONLY = ("Save(<lock/dfbe88faef>) returned error, retrying after 552.330144ms: open "
             "/repo/locks/dfbe88fa-tmp-1908477645: read-only file system\n"
             "unable to create lock in backend")
FULL = ("Fatal: unable to save snapshot: write /repo/data/5c/5c598d34-tmp-1967874439: no space "
        "left on device")
DENIED = "Fatal: unable to open repository at /repo: ReadDir: open /repo/keys: permission denied"
UNREADABLE_SOURCE = "error: open /srv/shop/secret.key: permission denied"


def test_storage_problems_are_not_a_lock() -> None:
    assert classify(1, READ_ONLY) is RepositoryReadOnly
    assert classify(1, FULL) is RepositoryFull
    assert classify(1, DENIED) is RepositoryPermissionDenied
    assert classify(1, "unable to create lock in backend: repository is already locked") is (
        RepositoryLocked)


def test_an_unreadable_source_file_is_not_a_repository_problem() -> None:
    assert classify(3, UNREADABLE_SOURCE) is SnapshotIncomplete


def test_an_incomplete_snapshot_names_the_unreadable_files() -> None:
    """Issue 14 item 11: only the last unreadable file was named."""
    from bulwark.backup.execute import Restic, ResticResult, Target

    lines = [f'{{"message_type":"error","error":{{"Op":"open","Path":"src/s{n}","Err":13}},'
             f'"during":"archival","item":"/src/s{n}"}}' for n in range(1, 8)]
    stderr = "\n".join([*lines, "Warning: at least one source file could not be read"])
    target = Target(name="primary", url="/repo", password_command="true")
    error = Restic._error(SnapshotIncomplete, target, ["backup"],
                          ResticResult(["backup"], 3, [], [], stderr, 0.0))
    assert str(error).endswith(
        "7 unreadable: /src/s1 (open: permission denied), /src/s2 (open: permission denied), "
        "/src/s3 (open: permission denied), /src/s4 (open: permission denied), "
        "/src/s5 (open: permission denied), and 2 more")


def test_a_read_only_or_full_restore_target_is_not_the_repository() -> None:
    for words in ("read-only file system", "no space left on device"):
        line = f"ignoring error for /srv/shop/a.csv: open /restore/srv/shop/a.csv: {words}"
        assert classify(1, line) not in (RepositoryReadOnly, RepositoryFull)
