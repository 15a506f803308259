"""`ansible-builder create` makes a complete build context from execution-environment.yml (no
image build: there is no registry here), and the EE's inputs agree with pyproject.toml and
galaxy.yml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0].lower()


def test_python_requirements_are_pyproject_without_ansible() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {req for req in pyproject["project"]["dependencies"]
              if _name(req) not in ("ansible", "ansible-core")}
    lines = (ROOT / "ee" / "requirements.txt").read_text().splitlines()
    assert {line for line in lines if line and not line.startswith("#")} == wanted


def test_ansible_builder_create_makes_the_context(tmp_path: Path) -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    artefact = f"bulwark-hardening-{galaxy['version']}.tar.gz"
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "execution-environment.yml", project)
    shutil.copytree(ROOT / "ee", project / "ee")
    built = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(project / "dist"), str(ROOT)], capture_output=True, text=True,
                           timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    done = subprocess.run([str(BIN / "ansible-builder"), "create", "-f",
                           "execution-environment.yml", "-c", "context"], cwd=project,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    context = project / "context"
    containerfile = (context / "Containerfile").read_text()
    assert 'ANSIBLE_INSTALL_REFS="ansible-core>=2.17,<2.20 ansible-runner>=2.3"' in containerfile
    assert "ansible-galaxy collection install" in containerfile
    build = context / "_build"
    assert (build / "collections" / artefact).is_file()  # the collection, as built
    collections = yaml.safe_load((build / "requirements.yml").read_text())["collections"]
    names = {item["name"] for item in collections}
    assert f"collections/{artefact}" in names  # relative to /build, where galaxy installs
    assert set(galaxy["dependencies"]) <= names
    python = (build / "requirements.txt").read_text()
    for package in ("pydantic", "boto3", "click"):
        assert re.search(rf"^{package}\b", python, re.MULTILINE | re.IGNORECASE)
    assert "restic" not in python + (build / "bindep.txt").read_text()  # hosts run restic
    assert "openssh-clients" in (build / "bindep.txt").read_text()
