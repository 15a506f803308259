"""Lab building blocks that need no podman: engine config, key pairs, CLI input checks."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import paramiko
import pytest
from click.testing import CliRunner

from bulwark.cli import main
from bulwark.errors import LabError
from bulwark.lab import fleet, keys
from bulwark.lab import podman as pm


def test_engine_config_written_with_runc_and_ulimits(tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    assert pm.ensure_engine_config(conf) is True
    text = conf.read_text()
    assert 'runtime = "runc"' in text
    assert 'default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]' in text
    assert pm.ensure_engine_config(conf) is False  # already right: left alone


def test_engine_config_refuses_to_clobber_a_foreign_file(tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text('[engine]\nruntime = "crun"\n')
    with pytest.raises(LabError, match="does not set runtime=runc"):
        pm.ensure_engine_config(conf)
    assert conf.read_text() == '[engine]\nruntime = "crun"\n'


def test_keypair_is_private_and_loadable(tmp_path: Path) -> None:
    key = tmp_path / "ssh" / "id_ed25519"
    public = keys.ensure_keypair(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    loaded = paramiko.Ed25519Key.from_private_key(io.StringIO(key.read_text()))
    assert public.split()[1] == loaded.get_base64()
    assert keys.ensure_keypair(key) == public  # kept, not regenerated


def test_host_names() -> None:
    assert fleet.host_names(3) == ["lab1", "lab2", "lab3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lab", "up", "--hosts", "2", "--neglected", "lab7"], "unknown host name 'lab7'"),
        (["lab", "up", "--hosts", "0"], "Invalid value for '--hosts'"),
    ],
)
def test_lab_up_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["bad name!", "", "-dash-first", "a/b"])
def test_lab_name_that_cannot_prefix_a_container_is_a_usage_error(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def status(_lab: str) -> list:
        raise AssertionError("podman asked about a lab name it cannot have")

    monkeypatch.setattr(fleet, "status", status)
    result = CliRunner().invoke(main, ["lab", "--name", name, "status"])
    assert result.exit_code == 2
    assert "Invalid value for '--name'" in result.output
    assert "Traceback" not in result.output


def test_lab_name_follows_podman_naming() -> None:
    for good in (fleet.DEFAULT_LAB, "t-lab", "lab_2.test"):
        assert fleet.LAB_NAME.fullmatch(good)


def _generated_inventory(inv: Path) -> list[Path]:
    files = [inv / "hosts.yml", inv / "group_vars" / "all.yml", inv / ".ssh" / "known_hosts"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("generated\n")
    return files


def _labs_running(monkeypatch: pytest.MonkeyPatch, labs: list[str]) -> None:
    def containers(label: str) -> list[dict]:
        rows = [{"Names": [f"{lab}-lab1"], "State": "running",
                 "Labels": {fleet.LABEL: lab, f"{fleet.LABEL}.host": "lab1",
                            f"{fleet.LABEL}.port": "2201"}} for lab in labs]
        wanted = label.partition("=")[2]
        return [r for r in rows if not wanted or r["Labels"][fleet.LABEL] == wanted]

    def remove_host(name: str) -> None:
        raise AssertionError(f"{name} removed")

    monkeypatch.setattr(pm, "containers", containers)
    monkeypatch.setattr(fleet.hosts, "remove_host", remove_host)


def test_down_with_a_wrong_name_keeps_the_running_labs_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _labs_running(monkeypatch, ["bulwark"])
    files = _generated_inventory(tmp_path)
    result = CliRunner().invoke(main, ["lab", "--name", "typo", "down",
                                       "--inventory-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == ("bulwark: error: lab 'typo' has no hosts (labs with "
                                     "hosts: bulwark; pass --name): nothing removed")
    assert all(path.exists() for path in files)


def test_down_when_no_lab_runs_is_idempotent(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _labs_running(monkeypatch, [])
    files = _generated_inventory(tmp_path)
    result = CliRunner().invoke(main, ["lab", "down", "--inventory-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 host(s) removed"
    assert not any(path.exists() for path in files)  # stale files of a lab that is gone


def test_fleet_up_checks_the_host_count_the_cli_offers(tmp_path: Path) -> None:
    # The API refuses what the CLI's IntRange refuses, before podman is asked.
    for count in (0, fleet.MAX_HOSTS + 1):
        with pytest.raises(LabError, match=f"between 1 and {fleet.MAX_HOSTS}, got {count}"):
            fleet.up(count, inventory_dir=tmp_path)
