from datetime import UTC, datetime

from bulwark.backup.drill.sampling import (
    SampleLimits,
    size_class,
    source_of,
    stratified_sample,
    stratify,
)
from bulwark.backup.restic.ls import SnapshotFile

T = datetime(2026, 1, 1, tzinfo=UTC)
SOURCES = ["/srv/shop", "/etc"]


def files() -> list[SnapshotFile]:
    def file(path: str, size: int) -> SnapshotFile:
        return SnapshotFile(path=path, size=size, mtime=T)

    out = [file(f"/srv/shop/img/{i}.png", 10_000) for i in range(200)]
    out += [file(f"/srv/shop/video/{i}.mp4", 20_000_000) for i in range(5)]
    out += [file(f"/srv/shop/docs/{i}.pdf", 1_000_000) for i in range(20)]
    out += [file(f"/etc/conf{i}", 500) for i in range(30)]
    return out


def test_size_classes_have_sharp_edges() -> None:
    assert size_class(0) == "small"
    assert size_class(64 * 1024) == "small"
    assert size_class(64 * 1024 + 1) == "medium"
    assert size_class(8 * 1024 * 1024 + 1) == "large"


def test_source_of_prefers_the_longest_source_and_respects_path_boundaries() -> None:
    assert source_of("/srv/shop/a", ["/srv", "/srv/shop"]) == "/srv/shop"
    assert source_of("/srv/shopping/a", ["/srv/shop"]) == "/srv"
    assert source_of("/etc/passwd", ["/"]) == "/"


def test_every_stratum_is_represented_even_with_a_tiny_budget() -> None:
    strata = stratify(files(), SOURCES)
    assert set(strata) == {
        ("/srv/shop", "small"),
        ("/srv/shop", "large"),
        ("/srv/shop", "medium"),
        ("/etc", "small"),
    }
    sample = stratified_sample(files(), SOURCES, SampleLimits(max_files=4, max_bytes=10**9), 7)
    assert {(source_of(f.path, SOURCES), size_class(f.size)) for f in sample} == set(strata)


def test_sample_respects_count_and_byte_limits() -> None:
    limits = SampleLimits(max_files=50, max_bytes=30_000_000)
    sample = stratified_sample(files(), SOURCES, limits, 1)
    assert len(sample) == 50
    assert sum(f.size for f in sample) <= 30_000_000
    assert len({f.path for f in sample}) == 50


def test_file_larger_than_budget_is_skipped_not_fatal() -> None:
    limits = SampleLimits(max_files=1000, max_bytes=5_000_000)
    sample = stratified_sample(files(), SOURCES, limits, 3)
    assert not [f for f in sample if f.size > 5_000_000]
    assert sum(f.size for f in sample) <= 5_000_000
    assert [f for f in sample if f.path.endswith(".pdf")]
    assert len([f for f in sample if f.path.startswith("/etc/")]) == 30


def test_same_seed_same_sample_other_seed_other_sample() -> None:
    limits = SampleLimits(max_files=20, max_bytes=10**9)
    first = stratified_sample(files(), SOURCES, limits, 42)
    assert first == stratified_sample(list(reversed(files())), SOURCES, limits, 42)
    assert first != stratified_sample(files(), SOURCES, limits, 43)
