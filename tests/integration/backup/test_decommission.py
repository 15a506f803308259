"""playbooks/decommission.yml on this machine (local connection): a final kept snapshot, a full
drill, and the run log fetched to the controller; a failed backup stops it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.backup.conftest import BULWARK, Site, clean_env

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]


def decommission(site: Site, records: Path) -> subprocess.CompletedProcess[str]:
    extra = {"bulwark_decommission_hosts": "localhost",
             "bulwark_decommission_backup_config": str(site.config),
             "bulwark_decommission_bulwark_bin": BULWARK,
             "bulwark_decommission_state_dir": str(site.state),
             "bulwark_decommission_record_dir": str(records),
             "ansible_python_interpreter": sys.executable}
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
         "-c", "local", str(REPO_ROOT / "playbooks" / "decommission.yml"),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, timeout=600, check=False,
        env=clean_env({"ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}),
    )


def test_final_kept_snapshot_full_drill_and_record(site: Site, tmp_path: Path) -> None:
    site.write_config(status_object=False)
    assert site.bulwark("init").returncode == 0
    done = decommission(site, tmp_path / "records")
    assert done.returncode == 0, done.stdout[-2000:]
    snapshots = site.snapshots(str(site.root / "repo-primary"))
    assert len(snapshots) == 1
    assert {"keep", "reason:decommission"} <= set(snapshots[0]["tags"])
    fetched = (tmp_path / "records" / "localhost-runs.jsonl").read_text().splitlines()
    runs = [json.loads(line) for line in fetched]
    assert [(r["command"], r["result"]) for r in runs] == [("init", "ok"), ("run", "ok"),
                                                          ("drill", "ok")]
    assert runs[1]["options"]["keep"] == "decommission"
    assert runs[2]["options"]["full"] is True


def test_a_failed_backup_stops_before_the_drill(site: Site, tmp_path: Path) -> None:
    site.write_config(status_object=False)  # no init: the backup fails
    done = decommission(site, tmp_path / "records")
    assert done.returncode != 0
    assert "TASK [Restore every repository" not in done.stdout
    assert not (tmp_path / "records").exists()
