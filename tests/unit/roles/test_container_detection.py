"""roles/facts bulwark_container: the one container verdict every role reads (issue 19.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.roles.modules import load

container = load("facts", "bulwark_container")


def _write(root: Path, rel: str, data: bytes = b"") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_bare_host_is_not_a_container(tmp_path: Path) -> None:
    _write(tmp_path, "proc/1/environ", b"HOME=/\0TERM=linux\0")
    _write(tmp_path, "run/systemd/system/.keep")
    (tmp_path / "proc/vz").mkdir()
    (tmp_path / "proc/bc").mkdir()  # OpenVZ's host node has both: not a container
    assert container.detect(str(tmp_path)) == ""


@pytest.mark.parametrize(
    ("rel", "data", "manager"),
    [
        ("run/systemd/container", b"podman\n", "podman"),
        ("proc/1/environ", b"HOME=/\0container=lxc\0", "lxc"),
        ("run/host/container-manager", b"systemd-nspawn\n", "systemd-nspawn"),
        ("run/.containerenv", b"", "podman"),
        (".dockerenv", b"", "docker"),
    ],
)
def test_container_markers(tmp_path: Path, rel: str, data: bytes, manager: str) -> None:
    _write(tmp_path, rel, data)
    assert container.detect(str(tmp_path)) == manager


def test_openvz_guest(tmp_path: Path) -> None:
    (tmp_path / "proc/vz").mkdir(parents=True)
    assert container.detect(str(tmp_path)) == "openvz"


def test_systemd_verdict_wins_over_marker_files(tmp_path: Path) -> None:
    _write(tmp_path, "run/systemd/container", b"docker\n")
    _write(tmp_path, "run/.containerenv")
    assert container.detect(str(tmp_path)) == "docker"


def test_empty_container_variable_is_not_a_container(tmp_path: Path) -> None:
    _write(tmp_path, "proc/1/environ", b"container=\0")
    assert container.detect(str(tmp_path)) == ""
