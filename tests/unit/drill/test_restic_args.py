import json
from datetime import UTC, datetime

import pytest

from bulwark.backup.errors import BackupError
from bulwark.backup.restic.check import check_args
from bulwark.backup.restic.ls import ls_args, parse_ls
from bulwark.backup.restic.restore import batches, exact_pattern, restore_args

LS_OUTPUT = [
    '{"time":"2026-11-23T08:32:29.861147788+08:00","tree":"46","paths":["/srv"],'
    '"hostname":"vm","id":"1cfe","short_id":"1cfe","struct_type":"snapshot"}',
    '{"name":"srv","type":"dir","path":"/srv","mtime":"2026-11-23T08:32:29Z",'
    '"struct_type":"node"}',
    '{"name":"f1","type":"file","path":"/srv/f1","size":3,'
    '"mtime":"2026-11-20T01:02:03.5Z","struct_type":"node"}',
    '{"name":"l","type":"symlink","path":"/srv/l","mtime":"2026-11-20T01:02:03Z",'
    '"struct_type":"node"}',
]


def test_parse_ls_keeps_regular_files_and_the_snapshot() -> None:
    snapshot, files = parse_ls(json.loads(line) for line in LS_OUTPUT)
    assert snapshot.id == "1cfe" and snapshot.paths == ("/srv",)
    assert snapshot.time.utcoffset().total_seconds() == 8 * 3600
    assert [(f.path, f.size) for f in files] == [("/srv/f1", 3)]
    assert files[0].mtime == datetime(2026, 11, 20, 1, 2, 3, 500000, tzinfo=UTC)
    assert ls_args("abc") == ["ls", "abc"]


def test_parse_ls_without_header_is_an_error() -> None:
    with pytest.raises(BackupError, match="no snapshot header"):
        parse_ls([json.loads(LS_OUTPUT[2])])


def test_exact_pattern_escapes_glob_characters() -> None:
    assert exact_pattern("/srv/odd [name]*?.txt") == "/srv/odd \\[name]\\*\\?.txt"
    assert exact_pattern("/srv/back\\slash") == "/srv/back\\\\slash"


def test_restore_args() -> None:
    assert restore_args("id", "/t") == ["restore", "id", "--target", "/t"]
    assert restore_args("id", "/t", includes=["/a*"], verify=True) == [
        "restore", "id", "--target", "/t", "--include", "/a\\*", "--verify"]
    assert [len(b) for b in batches(list(range(950)), 400)] == [400, 400, 150]


def test_check_args() -> None:
    assert check_args(read_all=True) == ["check", "--read-data"]
    assert check_args(read_all=False, slice_n=3, slices=90) == [
        "check", "--read-data-subset=3/90"]
    assert check_args(read_all=False) == ["check"]
    with pytest.raises(ValueError):
        check_args(read_all=False, slice_n=91, slices=90)
