#!/usr/bin/python3
# Copyright: Bulwark maintainers
# Apache-2.0
"""Disable the account of a person who has left (B17-B21), recording every change (E13).

Each step is checked first and only done when needed, so a second run changes nothing and
writes no record. Evidence (authorized_keys, crontab, at jobs) is moved, never deleted.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import time
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: bulwark_offboard
short_description: Disable a departed person's account and keep the evidence
description:
  - Locks the password, expires the account, sets a nologin shell, removes the account from
    the given groups, moves its authorized_keys, crontab and at jobs to a root-only quarantine
    directory, ends its processes and, only with I(remove), deletes the account (home kept).
  - Appends one JSON line per change to I(log_path): time, host, account, action, detail, actor.
  - Supports check mode (reports what would change, writes nothing).
options:
  name:
    description: Login name of the departed person.
    type: str
    required: true
  groups:
    description: Groups the account is taken out of (admin, sudo, SSH access groups).
    type: list
    elements: str
    default: []
  nologin_shell:
    description: Shell given to the account.
    type: path
    default: /usr/sbin/nologin
  quarantine_dir:
    description: Root-only directory; evidence goes to a sub-directory named after the account.
    type: path
    required: true
  authorized_keys_files:
    description: Key files relative to the home directory.
    type: list
    elements: str
    default: [.ssh/authorized_keys, .ssh/authorized_keys2]
  log_path:
    description: JSON-lines record of every change.
    type: path
    required: true
  log_group:
    description: Group that may read the record (the auditors read /var/log through it).
    type: str
    default: adm
  actor:
    description: Who ran the play (controller user and host, remote user); copied into each record.
    type: dict
    default: {}
  remove:
    description: Delete the account after disabling it (the home directory is kept).
    type: bool
    default: false
"""

CRON_SPOOL = "/var/spool/cron/crontabs"
AT_SPOOL = "/var/spool/cron/atjobs"


def _shadow_fields(name: str) -> list[str] | None:
    with open("/etc/shadow", encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split(":")
            if fields[0] == name:
                return fields
    return None


def _user_pids(uid: int) -> list[int]:
    """Processes whose real or effective uid is the account's."""
    pids: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("Uid:"):
                        real, effective = (int(v) for v in line.split()[1:3])
                        if uid in (real, effective):
                            pids.append(int(entry))
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pids


class Offboarding:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.name: str = module.params["name"]
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.actions: list[dict[str, str]] = []

    # -- helpers ---------------------------------------------------------------------------
    def _run(self, argv: list[str]) -> None:
        rc, _out, err = self.module.run_command(argv)
        if rc != 0:
            self.module.fail_json(
                msg=f"{argv[0]} failed for {self.name}: {err.strip()}", actions=self.actions
            )

    def _record(self, action: str, detail: str) -> None:
        self.actions.append({"action": action, "detail": detail})
        if self.module.check_mode:
            return
        log_path = self.params["log_path"]
        log_dir = os.path.dirname(log_path)
        if not os.path.isdir(log_dir):
            os.makedirs(log_dir, mode=0o750)
        new_file = not os.path.exists(log_path)
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.getfqdn(),
            "account": self.name,
            "action": action,
            "detail": detail,
            "actor": self.params["actor"],
        }
        with open(log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
        if new_file:
            os.chmod(log_path, 0o640)
            try:
                os.chown(log_path, 0, grp.getgrnam(self.params["log_group"]).gr_gid)
            except KeyError:
                os.chown(log_path, 0, 0)

    def _quarantine(self, source: str, label: str) -> str:
        """Move a file into the account's root-only quarantine directory."""
        target_dir = os.path.join(self.params["quarantine_dir"], self.name)
        target = os.path.join(target_dir, f"{label}.{self.stamp}")
        if self.module.check_mode:
            return target
        for directory in (self.params["quarantine_dir"], target_dir):
            if not os.path.isdir(directory):
                os.makedirs(directory, mode=0o700)
            os.chown(directory, 0, 0)
            os.chmod(directory, 0o700)
        shutil.move(source, target)
        os.lchown(target, 0, 0)
        if not os.path.islink(target):
            os.chmod(target, 0o600)
        return target

    # -- steps -----------------------------------------------------------------------------
    def lock_password(self, shadow: list[str]) -> None:
        if not shadow[1].startswith("!"):
            if not self.module.check_mode:
                self._run(["usermod", "--lock", self.name])
            self._record("password_locked", "usermod --lock")

    def expire(self, shadow: list[str]) -> None:
        today = int(time.time() // 86400)
        expires = shadow[7] if len(shadow) > 7 else ""
        if not expires or int(expires) > today:
            if not self.module.check_mode:
                self._run(["usermod", "--expiredate", "1970-01-02", self.name])
            self._record("account_expired", "expire date 1970-01-02")

    def nologin(self, entry: pwd.struct_passwd) -> None:
        shell = self.params["nologin_shell"]
        if entry.pw_shell != shell:
            if not self.module.check_mode:
                self._run(["usermod", "--shell", shell, self.name])
            self._record("shell_nologin", f"{entry.pw_shell} -> {shell}")

    def leave_groups(self) -> None:
        for group in self.params["groups"]:
            try:
                members = grp.getgrnam(group).gr_mem
            except KeyError:
                continue
            if self.name in members:
                if not self.module.check_mode:
                    self._run(["gpasswd", "--delete", self.name, group])
                self._record("group_removed", group)

    def end_processes(self, uid: int) -> None:
        pids = _user_pids(uid)
        if not pids:
            return
        count = len(pids)
        if not self.module.check_mode:
            if shutil.which("loginctl"):
                # Ends the logind sessions (and their scopes) first; errors mean no session.
                self.module.run_command(["loginctl", "terminate-user", self.name])
            deadline = time.monotonic() + 10
            while pids and time.monotonic() < deadline:
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
                pids = _user_pids(uid)
            if pids:
                self.module.fail_json(
                    msg=f"processes of {self.name} survived SIGKILL: {pids}", actions=self.actions
                )
        self._record("processes_ended", f"{count} process(es) killed")

    def quarantine_keys(self, home: str) -> None:
        for relative in self.params["authorized_keys_files"]:
            path = os.path.join(home, relative)
            if os.path.lexists(path):
                target = self._quarantine(path, os.path.basename(relative))
                self._record("authorized_keys_quarantined", f"{path} -> {target}")

    def quarantine_cron(self) -> None:
        path = os.path.join(CRON_SPOOL, self.name)
        if os.path.lexists(path):
            target = self._quarantine(path, "crontab")
            self._record("crontab_disabled", f"{path} -> {target}")

    def quarantine_at_jobs(self, uid: int) -> None:
        if not os.path.isdir(AT_SPOOL):
            return
        for entry in sorted(os.listdir(AT_SPOOL)):
            path = os.path.join(AT_SPOOL, entry)
            if entry.startswith(".") or not os.path.isfile(path):
                continue
            if os.stat(path).st_uid == uid:
                target = self._quarantine(path, f"atjob-{entry}")
                self._record("at_job_disabled", f"{path} -> {target}")

    def remove(self) -> None:
        if not self.module.check_mode:
            self._run(["userdel", self.name])
        self._record("account_removed", "userdel (home directory kept)")

    def run(self) -> dict[str, Any]:
        try:
            entry = pwd.getpwnam(self.name)
        except KeyError:
            return {"changed": False, "present": False, "actions": []}
        shadow = _shadow_fields(self.name)
        if shadow is None:
            self.module.fail_json(msg=f"{self.name} is in passwd but not in /etc/shadow")
        # New logins are impossible first; then running sessions end; then the evidence moves.
        self.lock_password(shadow)
        self.expire(shadow)
        self.nologin(entry)
        self.leave_groups()
        self.end_processes(entry.pw_uid)
        self.quarantine_keys(entry.pw_dir)
        self.quarantine_cron()
        self.quarantine_at_jobs(entry.pw_uid)
        if self.params["remove"]:
            self.remove()
        return {"changed": bool(self.actions), "present": True, "actions": self.actions}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "groups": {"type": "list", "elements": "str", "default": []},
            "nologin_shell": {"type": "path", "default": "/usr/sbin/nologin"},
            "quarantine_dir": {"type": "path", "required": True},
            "authorized_keys_files": {
                "type": "list",
                "elements": "str",
                "default": [".ssh/authorized_keys", ".ssh/authorized_keys2"],
            },
            "log_path": {"type": "path", "required": True},
            "log_group": {"type": "str", "default": "adm"},
            "actor": {"type": "dict", "default": {}},
            "remove": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    if module.params["name"] == "root":
        module.fail_json(msg="refusing to offboard root")
    module.exit_json(**Offboarding(module).run())


if __name__ == "__main__":
    main()
