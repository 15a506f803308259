"""Bad input: one clear line naming the problem, a non-zero exit, no traceback, nothing lost."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulwark.cli import main
from tests.integration.backup.conftest import (
    PASSWORD,
    Site,
    assert_one_line_error,
    tree_fingerprint,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good backup, made once per module and copied for each test (saves restic runs)."""
    root = tmp_path_factory.mktemp("template")
    site = Site(root=root)
    site.src.mkdir()
    (site.src / "file.txt").write_text("hello\n")
    site.password.write_text(PASSWORD)
    site.password.chmod(0o600)
    site.repositories = {"primary": {"url": str(root / "repo")}}
    site.write_config()
    assert site.bulwark("init").returncode == 0
    done = site.bulwark("run")
    assert done.returncode == 0, done.stderr
    return root / "repo"


@pytest.fixture
def backed_up(site: Site, template_repo: Path) -> Site:
    """A site whose primary already holds a good backup: every case must leave it untouched."""
    shutil.copytree(template_repo, site.repositories["primary"]["url"])
    site.write_config()
    return site


def primary(site: Site) -> Path:
    return Path(site.repositories["primary"]["url"])


def test_mistyped_config_key(backed_up: Site) -> None:
    text = backed_up.config.read_text().replace("monthly:", "montly:")
    backed_up.config.write_text(text)
    before = tree_fingerprint(primary(backed_up))
    line = assert_one_line_error(backed_up.bulwark("run"), 2, "retention.montly",
                                 "did you mean 'monthly'")
    assert f"{backed_up.config}:" in line
    assert tree_fingerprint(primary(backed_up)) == before


def test_unknown_key_through_click_runner(backed_up: Site) -> None:
    backed_up.config.write_text(backed_up.config.read_text() + "compresion: max\n")
    result = CliRunner().invoke(main, ["backup", "status", "--config", str(backed_up.config)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "unknown key 'compresion'" in result.output


def test_missing_source_runs_nothing(backed_up: Site, tmp_path: Path) -> None:
    backed_up.write_config(sources=[str(backed_up.src), str(tmp_path / "gone")])
    before = tree_fingerprint(primary(backed_up))
    assert_one_line_error(backed_up.bulwark("run"), 2, f"source {tmp_path / 'gone'}",
                          "no such file")
    assert tree_fingerprint(primary(backed_up)) == before
    last = backed_up.runs()[-1]
    assert last["result"] == "failed" and last["steps"] == []


@pytest.mark.parametrize("problem", ["missing", "directory", "empty"])
def test_unreadable_password_file(backed_up: Site, problem: str) -> None:
    backed_up.password.unlink()
    if problem == "directory":
        backed_up.password.mkdir()
    elif problem == "empty":
        backed_up.password.write_text("")
    before = tree_fingerprint(primary(backed_up))
    expected = {"missing": "no such file", "directory": "is a directory", "empty": "is empty"}
    assert_one_line_error(backed_up.bulwark("run"), 2, f"password_file {backed_up.password}",
                          expected[problem])
    assert tree_fingerprint(primary(backed_up)) == before


def test_wrong_password_changes_nothing(
    backed_up: Site, with_offsite: Callable[[], Site]
) -> None:
    with_offsite()
    assert backed_up.bulwark("init").returncode == 0
    before = tree_fingerprint(primary(backed_up))
    backed_up.password.write_text("not the password\n")
    done = backed_up.bulwark("run")
    line = assert_one_line_error(done, 1, "wrong password", "backup on primary")
    assert "copy" not in line  # nothing else is attempted against a repository it cannot open
    assert tree_fingerprint(primary(backed_up)) == before
    status = backed_up.bulwark("status", "--json")
    assert status.returncode == 1 and "wrong password" in status.stdout


def test_missing_repository(backed_up: Site, tmp_path: Path) -> None:
    backed_up.repositories["primary"]["url"] = str(tmp_path / "never-initialised")
    backed_up.write_config()
    assert_one_line_error(backed_up.bulwark("run"), 1, "no repository at this location",
                          "bulwark backup init")
    assert not (tmp_path / "never-initialised").exists()


def test_unreachable_offsite_still_backs_up_primary(
    backed_up: Site, s3_env_file: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    backed_up.repositories["offsite"] = {
        "url": f"s3:http://127.0.0.1:{dead_port}/bucket/host1", "env_file": str(s3_env_file)}
    backed_up.write_config()
    done = backed_up.bulwark("run", timeout=60)
    assert_one_line_error(done, 1, "copy on offsite",
                          f"cannot connect to http://127.0.0.1:{dead_port}")
    steps = {(s["step"], s["repository"]): s["ok"] for s in backed_up.runs()[-1]["steps"]}
    assert steps == {("backup", "primary"): True, ("retention", "primary"): True,
                     ("copy", "offsite"): False}


def test_missing_env_file(backed_up: Site, tmp_path: Path) -> None:
    backed_up.repositories["offsite"] = {"url": "s3:http://127.0.0.1:1/b/p",
                                         "env_file": str(tmp_path / "none.env")}
    backed_up.write_config()
    assert_one_line_error(backed_up.bulwark("run"), 2, f"env_file {tmp_path / 'none.env'}")


def test_missing_config_file(tmp_path: Path) -> None:
    site = Site(root=tmp_path)
    assert_one_line_error(site.bulwark("run"), 2, f"config {site.config}: no such file")


def test_only_databases_without_databases(backed_up: Site) -> None:
    done = backed_up.bulwark("run", "--only", "databases")
    assert_one_line_error(done, 2, "--only databases", "nothing of that kind")


def test_password_command_works_and_its_failure_is_one_line(backed_up: Site) -> None:
    secret_copy = backed_up.root / "vault-answer"
    secret_copy.write_text(backed_up.password.read_text())
    backed_up.write_config(password_file=None, password_command=f"cat {secret_copy}")
    text = backed_up.config.read_text().replace("password_file: null\n", "")
    backed_up.config.write_text(text)
    done = backed_up.bulwark("run")
    assert done.returncode == 0, done.stderr
    secret_copy.unlink()
    done = backed_up.bulwark("run")
    line = assert_one_line_error(done, 1, "backup on primary", "password_command failed")
    assert "copy" not in line
