"""Storage that refuses writes is reported as what it is, at once (issue 14, item 4).

A read-only repository used to look like "locked by another process": restic retries its lock
for most of a minute, then Bulwark waited `lock_wait` for a lock nobody held (exit 4). The
mounts are made in a private mount namespace (`unshare -m`), so nothing outside the test sees
them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time

import pytest

from tests.integration.backup.conftest import BULWARK, Site, assert_one_line_error, clean_env

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                       reason="needs root and unshare for a private mount namespace"),
]


def in_namespace(site: Site, setup: str, *commands: str) -> subprocess.CompletedProcess[str]:
    """Run `setup` then each `bulwark backup <command>` in one private mount namespace; the
    output is that of the last command."""
    config = shlex.quote(str(site.config))
    steps = [f"{BULWARK} backup {command} --config {config}" for command in commands]
    script = " && ".join([setup, *[f"{step} >/dev/null 2>&1" for step in steps[:-1]],
                          f"exec {steps[-1]}"])
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, env=clean_env(), timeout=300,
                          check=False)


def test_read_only_repository_fails_at_once_as_read_only(site: Site) -> None:
    repo = site.repositories["primary"]["url"]
    site.write_config(lock_wait=600)
    assert site.bulwark("init").returncode == 0
    started = time.monotonic()
    done = in_namespace(site, f"mount --bind -o ro {repo} {repo}", "run")
    elapsed = time.monotonic() - started
    line = assert_one_line_error(done, 1, "backup on primary", "read-only")
    assert "locked" not in line
    assert elapsed < 20, elapsed  # restic alone retries ~45 s, then lock_wait was 600 s
    assert site.runs()[-1]["result"] == "failed"


def test_full_repository_is_reported_as_no_space(site: Site) -> None:
    repo = site.root / "small"
    repo.mkdir()
    site.repositories["primary"]["url"] = str(repo / "repo")
    site.write_config(lock_wait=600)
    (site.src / "big.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    started = time.monotonic()
    done = in_namespace(site, f"mount -t tmpfs -o size=3m tmpfs {repo}", "init", "run")
    assert time.monotonic() - started < 60
    assert_one_line_error(done, 1, "backup on primary", "no space left")
