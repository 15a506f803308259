"""`bulwark backup check-config`: what the backup_agent role validates the config with."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bulwark.backup.cli import backup


def test_valid_config_passes(tmp_path: Path) -> None:
    password = tmp_path / "pass"
    password.write_text("secret-secret\n")
    password.chmod(0o600)
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


def write_config(tmp_path: Path, **extra: str) -> Path:
    """A config that passes, with `extra` lines replacing its keys."""
    password = tmp_path / "pass"
    password.write_text("secret-secret\n")
    password.chmod(0o600)
    env = tmp_path / "offsite.env"
    env.write_text("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\n")
    env.chmod(0o600)
    keys = {
        "sources": f"[{tmp_path}]",
        "password_file": str(password),
        "restic_binary": "restic",
        "repositories": (f"\n  primary: {{url: {tmp_path / 'repo'}}}"
                         f"\n  offsite: {{url: {tmp_path / 'off'}, env_file: {env}}}"),
        **extra,
    }
    config = tmp_path / "backup.yml"
    config.write_text("".join(f"{key}: {value}\n" for key, value in keys.items()))
    return config


def check(config: Path):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(backup, ["check-config", "--config", str(config)])


def test_check_config_makes_the_pre_flight_checks_of_run(tmp_path: Path) -> None:
    """Issue 14 item 6: each of these made `check-config` say ok while `run` refused."""
    assert check(write_config(tmp_path)).exit_code == 0
    cases = {
        "sources": (f"[{tmp_path / 'gone'}]", f"source {tmp_path / 'gone'}: no such file"),
        "password_file": (str(tmp_path / "nopass"), f"password_file {tmp_path / 'nopass'}: no "
                                                      "such file"),
        "restic_binary": ("/nonexistent/restic", "restic_binary /nonexistent/restic: not found"),
    }
    for key, (value, needle) in cases.items():
        result = check(write_config(tmp_path, **{key: value}))
        assert result.exit_code == 2, (key, result.output)
        assert needle in result.output and result.output.count("\n") == 1, result.output
    (tmp_path / "offsite.env").unlink()
    config = write_config(tmp_path)
    (tmp_path / "offsite.env").unlink()
    result = check(config)
    assert result.exit_code == 2 and f"env_file {tmp_path / 'offsite.env'}: no such file" in (
        result.output)
    assert not (tmp_path / "repo").exists() and not (tmp_path / "off").exists()


def test_world_readable_secret_files_are_refused(tmp_path: Path) -> None:
    """Issue 14 item 5: readable by every user is refused (like ssh and a private key)."""
    for name, what in (("pass", "password_file"), ("offsite.env", "repository offsite: env_file")):
        config = write_config(tmp_path)
        (tmp_path / name).chmod(0o644)
        result = check(config)
        assert result.exit_code == 2, result.output
        assert result.output.strip() == (
            f"bulwark: error: {what} {tmp_path / name}: is readable by every user (mode 0644); "
            "chmod 600 it")


def test_group_readable_secret_files_are_a_warning(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "pass").chmod(0o640)
    result = check(config)
    assert result.exit_code == 0, result.output
    assert (f"bulwark: warning: password_file {tmp_path / 'pass'} is readable by its group "
            "(mode 0640)") in result.output
