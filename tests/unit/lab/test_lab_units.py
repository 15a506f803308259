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
