"""Classification labels (F12, G21, G22): every snapshot carries class:<level>; a copy to a
repository below the data's level is refused before any data moves."""

from __future__ import annotations

import pytest

from tests.integration.backup.conftest import Site, assert_one_line_error, tree_fingerprint

pytestmark = pytest.mark.integration


def tags(site: Site, repo: str) -> list[set[str]]:
    return [set(s.get("tags") or ()) for s in site.snapshots(str(site.root / repo))]


def test_default_level_is_internal_on_every_snapshot(site: Site) -> None:
    site.write_config()
    assert site.bulwark("init").returncode == 0
    assert site.bulwark("run").returncode == 0
    assert [t for t in tags(site, "repo-primary") if "class:internal" in t]


def test_copy_to_a_lower_class_repository_is_refused_before_data_moves(site: Site) -> None:
    site.repositories["low"] = {"url": str(site.root / "repo-low"),
                                "max_classification": "secret"}
    site.repositories["high"] = {"url": str(site.root / "repo-high"),
                                 "max_classification": "top-secret"}
    site.write_config(classification="confidential")
    assert site.bulwark("init").returncode == 0
    low_before = tree_fingerprint(site.root / "repo-low")
    done = site.bulwark("run")
    line = assert_one_line_error(done, 1, "copy primary -> low refused",
                                 "classified confidential", "low may hold at most secret")
    assert "high" not in line
    assert tree_fingerprint(site.root / "repo-low") == low_before  # nothing moved
    assert site.snapshots(str(site.root / "repo-low")) == []
    assert [t for t in tags(site, "repo-high") if "class:confidential" in t]
    record = site.runs()[-1]
    assert record["failed_step"] == "copy:low"


def test_snapshots_labelled_higher_never_reach_a_lower_repository(site: Site) -> None:
    """Data once classified top-secret, later labelled secret: the old snapshots stay put."""
    site.extra["retention"] = {"last": 5}
    site.write_config(classification="top-secret")
    assert site.bulwark("init").returncode == 0
    assert site.bulwark("run").returncode == 0  # a top-secret snapshot in the primary
    site.repositories["low"] = {"url": str(site.root / "repo-low"),
                                "max_classification": "secret"}
    site.write_config(classification="secret")
    assert site.bulwark("init").returncode == 0
    (site.src / "new.txt").write_text("relabelled\n")
    done = site.bulwark("run")
    assert done.returncode == 0, done.stderr
    low = tags(site, "repo-low")
    assert len(low) == 1 and "class:secret" in low[0]
    assert len(tags(site, "repo-primary")) == 2


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"classification": "restricted"}, "classification"),
    ({"classification": "secret",
      "repositories": {"primary": {"url": "/srv/r", "max_classification": "internal"}}},
     "the primary repository primary receives every snapshot but may hold at most internal"),
])
def test_bad_classification_config_is_refused(site: Site, overrides: dict[str, object],
                                              needle: str) -> None:
    site.write_config(**overrides)
    done = site.bulwark("check-config")
    assert_one_line_error(done, 2, needle)
