"""`bulwark backup check-config`: what the backup_agent role validates the config with."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bulwark.backup.cli import backup


def test_valid_config_passes(tmp_path: Path) -> None:
    password = tmp_path / "pass"
    password.write_text("secret-secret\n")
    config = tmp_path / "backup.yml"
    config.write_text(f"sources: [{tmp_path}]\npassword_file: {password}\n"
                      f"repositories:\n  primary: {{url: {tmp_path / 'repo'}}}\n")
    result = CliRunner().invoke(backup, ["check-config", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{config}: ok"
    assert not (tmp_path / "repo").exists()  # nothing touched


def test_mistyped_key_is_named_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "backup.yml"
    config.write_text("password_file: /etc/bulwark/restic.pass\nsourcez: [/srv]\n"
                      "repositories:\n  primary: {url: /var/backups/bulwark}\n")
    result = CliRunner().invoke(backup, ["check-config", "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}:2: unknown key 'sourcez' (did you mean 'sources'?)" in result.output
    assert "Traceback" not in result.output
