"""Hashing of restored and live files: digests, buffer reuse across files, delete_after."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bulwark.backup.drill.hashing import CHUNK, Hasher


def test_digests_match_hashlib_across_sizes_with_a_shared_buffer(tmp_path: Path) -> None:
    # Sizes around the reused buffer's length: a stale tail from a bigger file must not leak.
    sizes = [CHUNK * 2 + 7, 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5]
    paths = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"f{i}"
        path.write_bytes(bytes([i + 1]) * size)
        paths.append(str(path))
    with Hasher(workers=1) as hasher:
        digests = {p: f.result() for p, f in hasher.submit_all(paths).items()}
    for path in paths:
        data = Path(path).read_bytes()
        assert digests[path].sha256 == hashlib.sha256(data).hexdigest()
        assert digests[path].size == len(data)


def test_delete_after_removes_only_the_hashed_copies(tmp_path: Path) -> None:
    live, restored = tmp_path / "live", tmp_path / "restored"
    live.write_text("customer data")
    restored.write_text("customer data")
    with Hasher() as hasher:
        kept = hasher.submit_all([str(live)])[str(live)].result()
        gone = hasher.submit_all([str(restored)], delete_after=True)[str(restored)].result()
    assert kept.sha256 == gone.sha256 == hashlib.sha256(b"customer data").hexdigest()
    assert live.exists()
    assert not restored.exists()


def test_missing_restored_file_is_reported_not_raised(tmp_path: Path) -> None:
    with Hasher() as hasher:
        digest = hasher.submit_all([str(tmp_path / "nope")], delete_after=True)
    assert digest[str(tmp_path / "nope")].result().error == "missing"
