"""`bulwark backup drill|restore` as an operator sees them: one-line errors, exit codes."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from click.testing import CliRunner

from bulwark.backup.cli import backup
from bulwark.backup.cli_drill import drill, restore

from .conftest import Lab

pytestmark = pytest.mark.integration

if "drill" not in backup.commands:
    backup.add_command(drill)
if "restore" not in backup.commands:
    backup.add_command(restore)


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(backup, list(args), catch_exceptions=False)


def test_drill_prints_a_summary_and_exits_zero(lab: Lab) -> None:
    result = invoke("drill", "--config", str(lab.config_path), "--repository", "primary")
    assert result.exit_code == 0, result.output
    assert "drill primary: PASSED (sample, seed " in result.output
    assert "restored and verified 48 files" in result.output
    assert "offsite offsite: all 1 snapshots present" in result.output


def test_drill_json_and_failure_exit_code(lab: Lab) -> None:
    victim = lab.sources[1] / "shop.conf"
    st = victim.stat()
    victim.write_text("listen = 127.0.0.2\n")  # same size, mtime put back
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = invoke("drill", "--config", str(lab.config_path), "--json", "--full")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    failed = {r["repository"]: [f["path"] for f in r["failures"]] for r in document["reports"]}
    assert failed == {"primary": [str(victim)], "offsite": [str(victim)]}
    assert "restore drill FAILED for primary, offsite" in result.stderr


def test_unreachable_offsite_fails_the_drill_in_one_line(lab: Lab) -> None:
    config = yaml.safe_load(lab.config_path.read_text())
    config["repositories"]["offsite"]["url"] = "s3:http://127.0.0.1:1/gone/host1"
    lab.rewrite(repositories=config["repositories"])
    result = invoke("drill", "--config", str(lab.config_path))
    assert result.exit_code == 1
    assert result.stderr == (
        "bulwark: error: restore drill FAILED for primary, offsite; status object upload to "
        "offsite failed: cannot connect to http://127.0.0.1:1\n")
    assert "offsite offsite: FAILED: restic snapshots on offsite" in result.stdout
    assert "repository unreachable" in result.stdout  # not "run `bulwark backup init`"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["drill", "--config", "/nonexistent.yml"], "config /nonexistent.yml: no such file"),
        (["drill", "--repository", "nope"], "repository 'nope' is not in the config"),
        (["restore", "--snapshot", "latest", "--target", "/"], "refusing to restore over /"),
        (["restore", "--snapshot", "cafe1234", "--target", "x"], "snapshot cafe1234 not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(lab: Lab, args: list[str], message: str) -> None:
    if "--config" not in args:
        args = [args[0], "--config", str(lab.config_path), *args[1:]]
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("bulwark: error: ")  # the same line as every command
    assert "Traceback" not in result.output


def test_restore_into_a_file_is_one_line(lab: Lab) -> None:
    result = invoke("restore", "--config", str(lab.config_path), "--snapshot", "latest",
                    "--target", str(lab.config_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"bulwark: error: target {lab.config_path} exists and is not a directory\n")


def test_restore_says_what_it_backed_up_and_verified(lab: Lab) -> None:
    target = lab.root / "t"
    existing = target / str(lab.sources[1]).lstrip("/") / "local.conf"
    existing.parent.mkdir(parents=True)
    existing.write_text("x\n")
    result = invoke("restore", "--config", str(lab.config_path), "--snapshot", "latest",
                    "--target", str(target), "--include", str(lab.sources[1]))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"backing up {existing.parent} to repository primary before restoring (policy F17)" \
        in lines[0]
    assert lines[1].startswith("safety backup: snapshot ")
    assert "restore verified: 1/1 files" in result.stdout
    assert "restic restore --verify" in result.stdout


def test_drill_settings_come_from_the_config(lab: Lab) -> None:
    """Issue 19 item 4: `drill: {max_files, max_bytes, check_slices}` in the config."""
    data = yaml.safe_load(lab.config_path.read_text())
    data["drill"] = {"max_files": 5, "check_slices": 3}
    lab.config_path.write_text(yaml.safe_dump(data))
    result = invoke("drill", "--config", str(lab.config_path), "--repository", "primary",
                    "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["reports"][0]
    assert report["check"]["subset"] == "1/3"
    assert report["restore"]["files"] == 5
    # A flag overrides the config for one drill.
    result = invoke("drill", "--config", str(lab.config_path), "--repository", "primary",
                    "--json", "--check-slices", "7", "--max-files", "4")
    report = json.loads(result.output)["reports"][0]
    assert report["check"]["subset"] == "2/7" and report["restore"]["files"] == 4
