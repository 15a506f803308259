"""SIGTERM (timeout, cron wrappers, kill, systemd) is handled like Ctrl-C (issue 14, item 3).

For `run`, `drill` and `restore`: restic is stopped (no orphan keeps writing to the repository,
its repository lock is removed), the run is recorded as interrupted, the run lock is released,
one line is printed and the exit code is 143.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.backup.conftest import BULWARK, Site, clean_env
from tests.integration.backup.test_locks import locks, wait_for

pytestmark = pytest.mark.integration


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc: parent pid is field 4 of stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        todo += children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def restic_child(pid: int, command: str) -> int | None:
    for child in descendants(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"restic") and command.encode() in argv:
            return child
    return None


def terminate_during(site: Site, command: str, args: list[str]) -> tuple[subprocess.Popen[str],
                                                                          str, str, int]:
    """Start `bulwark backup <args>`, wait until restic runs `command`, send SIGTERM to bulwark
    only (not its group: restic must be stopped by Bulwark), return (proc, out, err, child)."""
    proc = subprocess.Popen(
        [BULWARK, "backup", *args, "--config", str(site.config)],
        env=clean_env(), start_new_session=True, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    child: list[int] = []

    def restic_running() -> bool:
        found = restic_child(proc.pid, command)
        if found:
            child.append(found)
        return bool(found)

    wait_for(restic_running, timeout=60)
    # restic removes its lock on SIGINT once it holds it; a signal while it is still writing
    # the lock file would leave a lock behind whatever Bulwark does (restic's own window).
    repo = Path(site.repositories["primary"]["url"])
    wait_for(lambda: locks(repo) != [], timeout=60)
    time.sleep(1.0)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 30
    return proc, out, err, child[0]


def big_source(site: Site) -> None:
    (site.src / "big.bin").write_bytes(os.urandom(160 * 1024 * 1024))


def assert_stopped_cleanly(site: Site, proc: subprocess.Popen[str], err: str, child: int,
                           command: str) -> dict:
    assert proc.returncode == 143, (proc.returncode, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "by SIGTERM" in lines[0], err
    assert "Traceback" not in err
    wait_for(lambda: not alive(child), timeout=5)  # no orphan restic
    repo = Path(site.repositories["primary"]["url"])
    assert locks(repo) == [], "restic was stopped with SIGINT, so it removed its lock"
    assert not list(site.state.glob("running-*.json"))
    record = site.runs()[-1]
    assert (record["command"], record["result"]) == (command, "interrupted")
    assert record["error"] == "interrupted by SIGTERM"
    return record


def test_sigterm_during_run(site: Site) -> None:
    site.write_config()
    assert site.bulwark("init").returncode == 0
    big_source(site)
    proc, _, err, child = terminate_during(site, "backup", ["run"])
    assert_stopped_cleanly(site, proc, err, child, "run")
    assert "bulwark: run interrupted (by SIGTERM)" in err
    # The run lock is free and the next run does not report a killed run: it was recorded.
    done = site.bulwark("run", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "killed" not in done.stdout
    assert [run["result"] for run in site.runs()][-2:] == ["interrupted", "ok"]


@pytest.fixture
def backed_up(site: Site) -> Site:
    site.write_config()
    assert site.bulwark("init").returncode == 0
    big_source(site)
    done = site.bulwark("run", timeout=300)
    assert done.returncode == 0, done.stderr
    return site


def test_sigterm_during_drill(backed_up: Site) -> None:
    proc, _, err, child = terminate_during(backed_up, "restore", ["drill", "--full"])
    assert_stopped_cleanly(backed_up, proc, err, child, "drill")
    assert "restored data removed" in err
    assert not list((backed_up.state / "tmp").glob("bulwark-drill-*"))


def test_sigterm_during_restore(backed_up: Site, tmp_path: Path) -> None:
    target = tmp_path / "restored"
    proc, _, err, child = terminate_during(
        backed_up, "restore", ["restore", "--snapshot", "latest", "--target", str(target)])
    assert_stopped_cleanly(backed_up, proc, err, child, "restore")
    again = backed_up.bulwark("restore", "--snapshot", "latest", "--target", str(target),
                              timeout=300)
    assert again.returncode == 0, again.stderr  # the run lock was released
