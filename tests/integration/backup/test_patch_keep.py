"""playbooks/patch.yml takes a kept pre-patch snapshot first (F35), run on this machine with a
local connection and only the snapshot tasks (--tags), so nothing is upgraded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.backup.conftest import BULWARK, Site, clean_env

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]


def patch_snapshot_tasks(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
         "-c", "local", "--tags", "bulwark-pre-patch-snapshot",
         str(REPO_ROOT / "playbooks" / "patch.yml"),
         "-e", json.dumps({"ansible_python_interpreter": sys.executable, **extra})],
        capture_output=True, text=True, timeout=600, check=False,
        env=clean_env({"ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}),
    )


def test_patch_takes_a_kept_pre_patch_snapshot(site: Site) -> None:
    site.write_config()
    assert site.bulwark("init").returncode == 0
    done = patch_snapshot_tasks({"bulwark_patch_backup_config": str(site.config),
                                 "bulwark_patch_bulwark_bin": BULWARK})
    assert done.returncode == 0, done.stdout[-2000:]
    snapshots = site.snapshots(str(site.root / "repo-primary"))
    assert len(snapshots) == 1
    assert {"keep", "reason:pre-patch"} <= set(snapshots[0]["tags"])


def test_hosts_without_bulwark_backups_are_left_alone(tmp_path: Path) -> None:
    missing = tmp_path / "backup.yml"
    done = patch_snapshot_tasks({"bulwark_patch_backup_config": str(missing),
                                 "bulwark_patch_bulwark_bin": "/nonexistent/bulwark"})
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Take a pre-patch snapshot" in done.stdout and "skipping: [localhost]" in done.stdout


def test_a_failed_backup_stops_the_host_before_patching(site: Site) -> None:
    site.write_config()  # no `init`: the backup fails
    done = patch_snapshot_tasks({"bulwark_patch_backup_config": str(site.config),
                                 "bulwark_patch_bulwark_bin": BULWARK})
    assert done.returncode != 0
    assert "failed=1" in done.stdout
    failed_task = done.stdout.split("fatal: [localhost]")[0].rsplit("TASK [", 1)[1]
    assert failed_task.startswith("Take a pre-patch snapshot"), done.stdout[-2000:]
    assert "no repository" in done.stdout
