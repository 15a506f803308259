"""Secret paths under $CREDENTIALS_DIRECTORY (systemd credentials): expanded when the config
is loaded; refused with one line naming file, line and key when the variable is unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.backup.config import load_config
from bulwark.backup.credentials import expand
from bulwark.backup.errors import ConfigError

CONFIG = """\
sources: [/etc]
password_file: ${CREDENTIALS_DIRECTORY}/restic.pass
repositories:
  primary: {url: /var/backups/bulwark}
  offsite:
    url: s3:https://s3.example.com/bucket/host1
    env_file: $CREDENTIALS_DIRECTORY/offsite.env
databases:
  postgresql: [{name: shop, password_file: $CREDENTIALS_DIRECTORY/postgresql-shop.pass}]
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "backup.yml"
    path.write_text(CONFIG)
    return path


def test_every_secret_path_is_expanded(config_file: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/bulwark-backup.service/")
    config = load_config(config_file)
    base = Path("/run/credentials/bulwark-backup.service")
    assert config.password_file == base / "restic.pass"
    assert config.repositories["offsite"].env_file == base / "offsite.env"
    assert config.databases.postgresql[0].password_file == base / "postgresql-shop.pass"
    assert config.target("primary").password_file == base / "restic.pass"


def test_unset_variable_is_one_line_naming_file_line_and_key(
        config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{config_file}:2: password_file: ")
    assert "$CREDENTIALS_DIRECTORY is not set" in message
    assert "systemctl start bulwark-backup.service" in message


@pytest.mark.parametrize("value", ["", "relative/dir"])
def test_empty_or_relative_directory_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="CREDENTIALS_DIRECTORY"):
        expand("$CREDENTIALS_DIRECTORY/restic.pass", {"CREDENTIALS_DIRECTORY": value})


@pytest.mark.parametrize("value", [
    "/etc/bulwark/restic.pass",                # a plain file: untouched
    "$HOME/restic.pass",                       # no other variable is expanded
    "$CREDENTIALS_DIRECTORYX/restic.pass",     # not the variable, only a longer name
    "/x/$CREDENTIALS_DIRECTORY/restic.pass",   # only at the start
    None,
])
def test_only_a_leading_credentials_reference_is_expanded(value: str | None) -> None:
    assert expand(value, {"CREDENTIALS_DIRECTORY": "/run/creds"}) == value


def test_other_variables_stay_relative_and_are_refused(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/root")
    path = tmp_path / "backup.yml"
    path.write_text(CONFIG.replace("${CREDENTIALS_DIRECTORY}", "$HOME"))
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/creds")
    with pytest.raises(ConfigError, match=r"\$HOME/restic.pass must be an absolute path"):
        load_config(path)
