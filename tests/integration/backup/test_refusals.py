"""Careless configs found by the issue 14 probes: one line, the right exit code, nothing lost.

Duplicate keys (item 2), secret files others can read (item 5), absurd nesting and more exclude
patterns than argv holds (item 8), a missing restic binary (item 11: a config error, exit 2).
"""

from __future__ import annotations

import json

import pytest

from tests.integration.backup.conftest import Site, assert_one_line_error, tree_fingerprint

pytestmark = pytest.mark.integration


@pytest.fixture
def ready(site: Site) -> Site:
    site.write_config()
    assert site.bulwark("init").returncode == 0
    return site


def repo_state(site: Site) -> dict[str, tuple[int, int]]:
    return tree_fingerprint(site.root / "repo-primary")


def test_duplicate_sources_key_is_refused(ready: Site) -> None:
    before = repo_state(ready)
    text = ready.config.read_text()
    ready.config.write_text(text + f"sources: [{ready.root}]\n")
    line = assert_one_line_error(ready.bulwark("run"), 2, "duplicate key 'sources' (lines 1 and")
    assert str(ready.config) in line
    assert repo_state(ready) == before


def test_deep_nesting_is_one_line(ready: Site) -> None:
    ready.config.write_text(ready.config.read_text() + "tags: " + "[" * 1000 + "]" * 1000 + "\n")
    assert_one_line_error(ready.bulwark("check-config"), 2, "nested more than 64 levels deep")


def test_world_readable_password_file_is_refused_before_restic(ready: Site) -> None:
    before = repo_state(ready)
    ready.password.chmod(0o644)
    assert_one_line_error(ready.bulwark("run"), 2, f"password_file {ready.password}: is readable "
                          "by every user (mode 0644); chmod 600 it")
    assert repo_state(ready) == before
    ready.password.chmod(0o640)
    done = ready.bulwark("run")
    assert done.returncode == 0, done.stderr
    assert f"warning: password_file {ready.password} is readable by its group" in done.stdout


def test_missing_restic_binary_is_a_config_error(ready: Site) -> None:
    ready.write_config(restic_binary="/usr/local/bin/no-such-restic")
    for command in ("check-config", "run"):
        assert_one_line_error(ready.bulwark(command), 2,
                              "restic_binary /usr/local/bin/no-such-restic: not found")


def test_more_exclude_patterns_than_argv_holds(ready: Site) -> None:
    """60 000 patterns are over 2 MiB as arguments (the kernel's limit); they go through
    --exclude-file, with restic's `$` expansion escaped."""
    (ready.src / "price$list.txt").write_text("excluded by a pattern with a dollar sign\n")
    (ready.src / "keep.txt").write_text("kept\n")
    patterns = ["*.tmp", "price$list.txt", *(f"/nonexistent/dir-{n:06d}/*.cache"
                                              for n in range(60_000))]
    ready.write_config(exclude=patterns)
    done = ready.bulwark("run", timeout=600)
    assert done.returncode == 0, done.stderr
    url = ready.repositories["primary"]["url"]
    listing = ready.restic(url, "ls", "--json", "latest").stdout.splitlines()
    names = {json.loads(line).get("name") for line in listing[1:]}
    assert "keep.txt" in names and "customers.csv" in names
    assert "price$list.txt" not in names and "scratch.tmp" not in names
    assert not list(ready.state.glob(".exclude-*"))  # the pattern file is removed
