"""A run killed mid-way does not block the next one; a live restic lock is waited for."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.backup.conftest import BULWARK, Site, clean_env

pytestmark = pytest.mark.integration


def wait_for(condition, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def locks(repo: Path) -> list[Path]:
    """restic lock files (64 hex digits; a `-tmp-` file is a lock still being written)."""
    if not (repo / "locks").exists():
        return []
    return [path for path in (repo / "locks").iterdir() if re.fullmatch(r"[0-9a-f]{64}", path.name)]


def test_killed_run_leaves_stale_lock_that_the_next_run_removes(site: Site) -> None:
    repo = Path(site.repositories["primary"]["url"])
    site.write_config()
    assert site.bulwark("init").returncode == 0
    (site.src / "big.bin").write_bytes(os.urandom(96 * 1024 * 1024))
    proc = subprocess.Popen(
        [BULWARK, "backup", "run", "--config", str(site.config)],
        env=clean_env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: bool(locks(repo)))
    os.killpg(proc.pid, signal.SIGKILL)  # like systemd killing the unit's cgroup
    proc.wait()
    assert locks(repo), "the killed restic must have left its lock behind"

    done = site.bulwark("run")
    assert done.returncode == 0, done.stderr
    assert locks(repo) == []
    snapshots = site.snapshots(str(repo))
    assert len(snapshots) == 1
    assert [run["result"] for run in site.runs()] == ["ok", "interrupted", "ok"]
    assert ("note: the previous bulwark backup run was killed before it finished; logged as "
            "interrupted") in done.stdout


def test_live_lock_is_waited_for_not_removed(site: Site) -> None:
    repo = Path(site.repositories["primary"]["url"])
    site.write_config(lock_wait=60)
    assert site.bulwark("init").returncode == 0
    env = clean_env({"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD_FILE": str(site.password)})
    holder = subprocess.Popen(
        ["restic", "backup", "--stdin", "--stdin-filename", "slow.txt", "--host", site.host],
        stdin=subprocess.PIPE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    assert holder.stdin is not None
    wait_for(lambda: bool(locks(repo)))
    runner = subprocess.Popen(
        [BULWARK, "backup", "run", "--config", str(site.config)],
        env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(4)
    assert runner.poll() is None, "retention must wait while a live process holds the lock"
    holder.stdin.write(b"held for a while\n")
    holder.stdin.close()
    assert holder.wait(timeout=30) == 0, "the live lock holder must not be disturbed"
    out, err = runner.communicate(timeout=90)
    assert runner.returncode == 0, err
    assert "Traceback" not in err
    assert {tuple(s["paths"]) for s in site.snapshots(str(repo))} >= {("/slow.txt",)}


def test_lock_wait_is_bounded(site: Site) -> None:
    repo = Path(site.repositories["primary"]["url"])
    site.write_config(lock_wait=3)
    assert site.bulwark("init").returncode == 0
    env = clean_env({"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD_FILE": str(site.password)})
    holder = subprocess.Popen(
        ["restic", "backup", "--stdin", "--stdin-filename", "slow.txt", "--host", site.host],
        stdin=subprocess.PIPE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: bool(locks(repo)))
        started = time.monotonic()
        done = site.bulwark("run")
        elapsed = time.monotonic() - started
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert done.returncode == 1
    assert "retention on primary" in done.stderr and "locked" in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 60
    # The backup itself succeeded; only retention was skipped and reported.
    assert site.runs()[-1]["failed_step"] == "retention:primary"


def test_second_run_of_same_config_is_refused(site: Site) -> None:
    from bulwark.backup.config import load_config
    from bulwark.backup.lock import run_lock
    from tests.integration.backup.conftest import assert_one_line_error

    site.write_config()
    config = load_config(site.config)
    with run_lock(config.state_dir, config.config_id, what="test"):
        done = site.bulwark("run")
    assert_one_line_error(done, 4, "another bulwark backup run", str(os.getpid()))
    assert not Path(site.repositories["primary"]["url"]).exists()  # nothing ran


def test_same_config_under_two_names_is_one_run_at_a_time(site: Site) -> None:
    """Issue 14 item 11: the lock was keyed by the config's path, so a copy (or a symlink, or
    another config writing to the same repositories) ran at the same time."""
    from tests.integration.backup.conftest import assert_one_line_error

    site.write_config()
    assert site.bulwark("init").returncode == 0
    (site.src / "big.bin").write_bytes(os.urandom(96 * 1024 * 1024))
    other = site.root / "copy-of-backup.yml"
    repo = site.repositories["primary"]["url"]
    other.write_text(site.config.read_text().replace(f"url: {repo}",
                                                     f"url: {repo}/../repo-primary/."))
    first = subprocess.Popen(
        [BULWARK, "backup", "run", "--config", str(site.config)],
        env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: bool(locks(Path(repo))))
        second = subprocess.run([BULWARK, "backup", "run", "--config", str(other)],
                                capture_output=True, text=True, env=clean_env(), timeout=120,
                                check=False)
    finally:
        first.communicate(timeout=300)
    assert first.returncode == 0
    assert_one_line_error(second, 4, "another bulwark backup run on the same repositories",
                          str(site.config))
