"""Bulwark pull agent: one ansible-pull run of the baseline on this host, then its report.

Run by bulwark-pull.service (a oneshot on a timer) with the venv's Python; standard library
only. Settings come from a JSON file the pull_agent role writes (no secrets in it):

    {"repo_url", "ref", "playbook", "inventory", "vars_file", "venv", "dir",
     "collections_path", "status_config", "bulwark_bin", "verify_commit", "gnupghome",
     "credentials_dir"}

1. Takes the lock `<dir>/.lock` (flock): a second run while one is going exits 4, at once.
2. `ansible-pull -U repo_url -C ref -d <dir>/checkout -i inventory -e @vars_file playbook`,
   with `--verify-commit` and GNUPGHOME=gnupghome (a keyring of the configured signing keys
   only) when verify_commit is set: an unsigned commit is checked out but not applied.
3. Reads the play recap and the names of failed tasks from ansible's output.
4. On success records the commit as the last good one; on failure puts the checkout back to
   the last good commit, so what is on disk is what the host last applied cleanly.
5. Writes `<dir>/last-run.json` and uploads the hardening status object with
   `bulwark fleet put-hardening-status` when the backup config exists (E13, A13). When the
   backup agent keeps its secrets as encrypted systemd credentials (credentials_dir/*.cred),
   they are decrypted for that one command into a private directory on /run, named by
   $CREDENTIALS_DIRECTORY as systemd does for the backup units, and removed right after.
Exit: 0 the run applied cleanly, 1 it failed (or its status could not be uploaded), 4 busy.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SETTINGS = Path("/etc/bulwark/pull.json")
EXIT_BUSY = 4
_TASK = re.compile(r"^TASK \[(?P<name>.*)\] \**$")
_FAILED = re.compile(r"^(fatal|failed): \[[^\]]+\]")
_RECAP = re.compile(r"^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
_MAX_TASKS = 50
_ERROR_PREFIX = re.compile(r"^\[ERROR\]: (Task failed: )?(Module failed: )?")
_MESSAGE = re.compile(r'^\s*"msg": "(?P<msg>(?:[^"\\]|\\.)*)"')


def parse_output(text: str) -> dict[str, Any]:
    """changed/failed counts of the play recap and the failed tasks' names, in order."""
    changed = failed = 0
    failed_tasks: list[str] = []
    task = ""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if match := _TASK.match(line):
            task = match.group("name")
        elif _FAILED.match(line):
            ignored = any(later.startswith("...ignoring") for later in lines[index + 1:index + 4])
            if not ignored and task and task not in failed_tasks:
                failed_tasks.append(task)
        elif match := _RECAP.match(line):
            changed += int(match.group(2))
            failed += int(match.group(3)) + int(match.group(4))
    return {"changed": changed, "failed": failed, "failed_tasks": failed_tasks[:_MAX_TASKS]}


def first_error(text: str) -> str:
    """The line that says why a run that reached no task failed (bad YAML, no checkout, a
    commit whose signature does not verify): for a failed module, its message."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "FAILED!" in line:
            for later in lines[index:index + 40]:
                if match := _MESSAGE.match(later):
                    return json.loads(f'"{match.group("msg")}"')[:200]
            return line.strip()[:200]
        if line.startswith(("ERROR!", "[ERROR]", "fatal:")):
            # ansible-core 2.19: "[ERROR]: Task failed: Module failed: <the module's message>"
            return _ERROR_PREFIX.sub("", line.strip())[:200]
    return "ansible-pull failed before running any task"


def _git(checkout: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def run(settings: dict[str, Any]) -> int:
    workdir = Path(settings["dir"])
    checkout = workdir / "checkout"
    state_file = workdir / "state.json"
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = open(workdir / ".lock", "w")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("bulwark-pull: another run is in progress; this one did not start")
        return EXIT_BUSY
    state = json.loads(state_file.read_text()) if state_file.is_file() else {}
    argv = [f"{settings['venv']}/bin/ansible-pull", "--url", settings["repo_url"],
            "--checkout", settings["ref"], "--directory", str(checkout),
            "--inventory", settings["inventory"], "--extra-vars", f"@{settings['vars_file']}",
            settings["playbook"]]
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": settings["collections_path"],
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{settings['venv']}/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    if settings.get("verify_commit"):
        argv.insert(-1, "--verify-commit")
        env["GNUPGHOME"] = settings["gnupghome"]
    started = datetime.now(UTC)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    output = proc.stdout + proc.stderr
    (workdir / "last-run.log").write_text(output)
    sys.stdout.write(output)  # the journal keeps the whole run
    parsed = parse_output(output)
    commit = _git(checkout, "rev-parse", "HEAD")
    ok = proc.returncode == 0
    if ok:
        state["last_good_commit"] = commit
    else:
        if not parsed["failed_tasks"]:
            parsed["failed_tasks"] = [first_error(output)]
        parsed["failed"] = max(parsed["failed"], 1)
        if state.get("last_good_commit") and commit != state["last_good_commit"]:
            _git(checkout, "checkout", "--quiet", "--detach", state["last_good_commit"])
    record = {"started_at": started.isoformat(timespec="seconds"),
              "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "result": "ok" if ok else "failed", "commit": commit or None,
              "last_good_commit": state.get("last_good_commit"), **parsed}
    (workdir / "last-run.json").write_text(json.dumps(record, indent=2) + "\n")
    state_file.write_text(json.dumps(state) + "\n")
    print(f"bulwark-pull: {record['result']} at {commit[:12] or 'no commit'}: "
          f"changed={parsed['changed']} failed={parsed['failed']}")
    uploaded = upload(settings, record)
    return 0 if ok and uploaded else 1


def upload(settings: dict[str, Any], record: dict[str, Any]) -> bool:
    """Put the hardening status object next to the backup status object; False if it failed."""
    config, bulwark = Path(settings["status_config"]), Path(settings["bulwark_bin"])
    if not (config.is_file() and bulwark.is_file()):
        print(f"bulwark-pull: no status upload ({config} or {bulwark} is missing)")
        return True
    argv = [str(bulwark), "fleet", "put-hardening-status", "--config", str(config),
            "--result", record["result"], "--changed", str(record["changed"]),
            "--failed", str(record["failed"])]
    if record["commit"]:
        argv += ["--commit", record["commit"]]
    for task in record["failed_tasks"]:
        argv += ["--failed-task", task]
    with credentials(settings) as extra_env:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, **extra_env})
    print((proc.stdout + proc.stderr).strip())
    return proc.returncode == 0


@contextmanager
def credentials(settings: dict[str, Any]) -> Iterator[dict[str, str]]:
    """{"CREDENTIALS_DIRECTORY": dir} with the backup agent's encrypted credentials decrypted
    into a fresh 0700 directory on /run (tmpfs), removed on exit; {} when there are none."""
    directory = Path(settings.get("credentials_dir") or "/nonexistent")
    creds = sorted(directory.glob("*.cred")) if directory.is_dir() else []
    if not creds:
        yield {}
        return
    with tempfile.TemporaryDirectory(dir="/run", prefix="bulwark-pull-credentials.") as tmp:
        old_umask = os.umask(0o077)  # systemd-creds writes its output world-readable otherwise
        try:
            for cred in creds:
                name = cred.name.removesuffix(".cred")
                done = subprocess.run(["systemd-creds", "decrypt", f"--name={name}", str(cred),
                                       str(Path(tmp) / name)], capture_output=True, text=True,
                                      check=False)
                if done.returncode != 0:  # the upload then names the missing file
                    print(f"bulwark-pull: cannot decrypt {cred}: {done.stderr.strip()[:200]}")
        finally:
            os.umask(old_umask)
        yield {"CREDENTIALS_DIRECTORY": tmp}


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else SETTINGS
    return run(json.loads(path.read_text()))


if __name__ == "__main__":
    sys.exit(main())
