"""The backup_agent role's config template carries classification, immutable_days and
max_classification into a config that bulwark.backup accepts (rendered by Ansible itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bulwark.backup.config import load_config
from tests.integration.backup.conftest import clean_env

pytestmark = pytest.mark.integration

ROLE = Path(__file__).resolve().parents[3] / "roles" / "backup_agent"


def _render(tmp_path: Path, **extra: object) -> Path:
    """backup.yml.j2 rendered by Ansible with the role's plain defaults and `extra`."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    variables = {
        **{k: v for k, v in defaults.items() if "{{" not in str(v)},
        "bulwark_backup_agent_sources": ["/etc"], "bulwark_backup_agent_exclude": [],
        "__bulwark_backup_agent_password_file": str(tmp_path / "restic.pass"),
        "bulwark_backup_agent_state_dir": str(tmp_path / "state"),
        "bulwark_backup_agent_metrics_file": "",
        "bulwark_backup_agent_retention": {"daily": 7},
        "bulwark_backup_agent_classification": "confidential",
        "bulwark_backup_agent_config_dir": str(tmp_path),
        "bulwark_backup_agent_databases": {"postgresql": []},
        "bulwark_backup_agent_repositories": {
            "primary": {"url": "/var/backups/bulwark"},
            "offsite": {"url": "s3:https://s3.example.com/vault/web1", "env": {"A": "b"},
                        "immutable_days": 30, "max_classification": "top-secret"},
        },
        "ansible_python_interpreter": sys.executable,
        "__bulwark_backup_agent_creds": False,
        "__bulwark_backup_agent_secret_dir": str(tmp_path),
        **extra,
    }
    rendered = tmp_path / "backup.yml"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,",
         "-c", "local", "-m", "ansible.builtin.template",
         "-a", f"src={ROLE / 'templates' / 'backup.yml.j2'} dest={rendered}",
         "-e", json.dumps(variables)],
        capture_output=True, text=True, timeout=300, check=False, env=clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return rendered


def test_template_renders_classification_and_immutability(tmp_path: Path) -> None:
    (tmp_path / "restic.pass").write_text("x\n")
    config = load_config(_render(tmp_path))
    assert config.password_file == tmp_path / "restic.pass"
    assert config.repositories["offsite"].env_file == tmp_path / "offsite.env"
    assert config.classification == "confidential"
    assert config.repositories["offsite"].immutable_days == 30
    assert config.repositories["offsite"].max_classification == "top-secret"
    assert config.repositories["primary"].max_classification is None


def test_systemd_creds_mode_names_the_units_credentials(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = _render(tmp_path, __bulwark_backup_agent_creds=True,
                       __bulwark_backup_agent_secret_dir="${CREDENTIALS_DIRECTORY}")
    text = rendered.read_text()
    assert "password_file: ${CREDENTIALS_DIRECTORY}/restic.pass" in text
    assert "env_file: ${CREDENTIALS_DIRECTORY}/offsite.env" in text
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/bulwark-backup.service")
    config = load_config(rendered)
    assert str(config.password_file) == "/run/credentials/bulwark-backup.service/restic.pass"
    assert str(config.repositories["offsite"].env_file).endswith("service/offsite.env")
