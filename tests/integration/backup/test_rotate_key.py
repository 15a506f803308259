"""`rotate-key`: every repository gets the new key, the password file switches, old keys go;
killed (SIGKILL) at each step, every repository still opens with the password file's password,
and running it again finishes the rotation (B17, B18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.backup.conftest import PASSWORD, Site, assert_one_line_error

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a whole new passphrase for after people left\n"

# restic runs through this wrapper; the Nth call whose argv contains PATTERN kills bulwark (its
# parent) with SIGKILL, before restic runs or after it has done its work.
WRAPPER = """#!/bin/sh
dir=$(dirname "$0")
if [ -f "$dir/kill-at" ]; then
  read pattern nth when < "$dir/kill-at"
  case " $* " in *" $pattern "*)
    n=$(( $(cat "$dir/kill-count" 2>/dev/null || echo 0) + 1 )); echo $n > "$dir/kill-count"
    if [ "$n" -eq "$nth" ]; then
      rm -f "$dir/kill-at"
      if [ "$when" = after ]; then restic "$@"; fi
      kill -9 $PPID; exit 137
    fi;;
  esac
fi
exec restic "$@"
"""


def setup(site: Site) -> Path:
    site.repositories["copy"] = {"url": str(site.root / "repo-copy")}
    wrapper = site.root / "restic-wrapper"
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    site.write_config(restic_binary=str(wrapper))
    assert site.bulwark("init").returncode == 0
    assert site.bulwark("run").returncode == 0
    new = site.root / "new.pass"
    new.write_text(NEW_PASSWORD)
    new.chmod(0o600)
    return new


def opens(site: Site, repo: str, password: str) -> bool:
    file = site.root / "probe.pass"
    file.write_text(password)
    done = site.restic(str(site.root / repo), "cat", "config", "--no-lock",
                       env={"RESTIC_PASSWORD_FILE": str(file)}, check=False)
    return done.returncode == 0


def key_count(site: Site, repo: str) -> int:
    done = site.restic(str(site.root / repo), "key", "list", "--json", "--no-lock")
    return done.stdout.count('"id"')


REPOS = ("repo-primary", "repo-copy")


def assert_rotated(site: Site) -> None:
    assert site.password.read_text() == NEW_PASSWORD
    assert oct(site.password.stat().st_mode & 0o777) == "0o600"
    for repo in REPOS:
        assert opens(site, repo, NEW_PASSWORD)
        assert not opens(site, repo, PASSWORD)
        assert key_count(site, repo) == 1


def test_rotation_switches_every_repository_and_is_recorded(site: Site) -> None:
    new = setup(site)
    done = site.bulwark("rotate-key", "--new-password-file", str(new))
    assert done.returncode == 0, done.stderr
    assert_rotated(site)
    assert site.bulwark("run").returncode == 0  # the next run uses the new password
    record = next(r for r in reversed(site.runs()) if r["command"] == "rotate-key")
    assert record["result"] == "ok" and record["who"]["user"]
    steps = {(s["step"], s["repository"]) for s in record["steps"]}
    for name in ("primary", "copy"):
        assert {("key-add", name), ("key-verify", name), ("key-remove", name)} <= steps
    text = (site.state / "runs.jsonl").read_text()
    assert NEW_PASSWORD.strip() not in text and PASSWORD.strip() not in text


# (argv pattern, nth call, before/after): key list calls are 2 in the add phase (does the new
# password open it yet?), then 2 per repository in verify, then 1 per repository in remove.
KILL_POINTS = [
    ("add", 1, "before"),      # nothing added yet
    ("add", 1, "after"),       # primary has the new key, bulwark did not note it
    ("add", 2, "before"),      # primary has it, copy not
    ("list", 4, "after"),      # verifying
    ("remove", 1, "before"),   # switched, no old key removed
    ("remove", 1, "after"),    # switched, primary's old key removed
    ("remove", 2, "after"),    # every old key removed, state file not yet deleted
]


@pytest.mark.parametrize(("pattern", "nth", "when"), KILL_POINTS,
                         ids=[f"{p}-{n}-{w}" for p, n, w in KILL_POINTS])
def test_killed_at_any_step_every_repository_opens_and_a_rerun_finishes(
    site: Site, pattern: str, nth: int, when: str
) -> None:
    new = setup(site)
    (site.root / "kill-at").write_text(f"{pattern} {nth} {when}\n")
    killed = site.bulwark("rotate-key", "--new-password-file", str(new))
    assert killed.returncode == -9, (killed.returncode, killed.stdout, killed.stderr)
    in_file = site.password.read_text()
    assert in_file in (PASSWORD, NEW_PASSWORD)
    for repo in REPOS:  # the config's password opens every repository, whatever step died
        assert opens(site, repo, in_file), repo
    again = site.bulwark("rotate-key", "--new-password-file", str(new))
    assert again.returncode == 0, again.stderr
    assert "was killed; logged" in again.stdout
    assert_rotated(site)
    assert [r["result"] for r in site.runs() if r["command"] == "rotate-key"][-2:] == [
        "interrupted", "ok"]


def test_bad_input_is_refused_and_nothing_changes(site: Site, tmp_path: Path) -> None:
    setup(site)
    same = tmp_path / "same.pass"
    same.write_text(PASSWORD)
    empty = tmp_path / "empty.pass"
    empty.write_text("")
    for args, needle in (
        ((str(tmp_path / "missing"),), "no such file"),
        ((str(empty),), "is empty"),
        ((str(same),), "nothing to rotate"),
        ((str(site.password),), "is the config's password_file itself"),
    ):
        done = site.bulwark("rotate-key", "--new-password-file", *args)
        assert_one_line_error(done, 2, needle)
        assert site.password.read_text() == PASSWORD
        for repo in REPOS:
            assert key_count(site, repo) == 1 and opens(site, repo, PASSWORD)
