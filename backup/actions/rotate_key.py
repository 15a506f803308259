"""`bulwark backup rotate-key --new-password-file F`: change the repository password (B17, B18).

Order, chosen so that a rotation killed at any point leaves every repository opening with the
password in the config's password_file (old before the switch, new after it):

1. add:    `restic key add` of the new password to every repository it does not open yet;
2. verify: open every repository with the new password (`key list`), note the old key's id;
3. switch: write the old key ids to state_dir/rotate-key-<config-id>.json, then replace the
           password_file's content with the new password atomically (same directory, fsync,
           rename; mode and owner kept);
4. remove: `restic key remove` of the old keys, authenticated with the new password; the
           state file is deleted once every repository is done.

Run it again after an interruption: before the switch it starts over (keys already added are
kept), after it (password_file already holds the new password) it finishes step 4 from the
state file. The rotation takes the run lock (no backup runs meanwhile) and is recorded like a
run (runs.jsonl: who, when, which repositories and steps; a killed one is logged as
interrupted by the next command). Neither password is ever put in argv, logs or records.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from bulwark.backup import credentials
from bulwark.backup.config import BackupConfig
from bulwark.backup.errors import BackupError, InputError, WrongPassword, read_file
from bulwark.backup.execute import Restic, Target, check_password_file
from bulwark.backup.lock import run_lock
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic.key import add_key, current_key, list_keys, remove_key
from bulwark.errors import BulwarkError

Say = Callable[[str], None]


class RotationFailed(BackupError):
    """A step of the rotation failed; the message says which and what state is left (exit 1)."""


def rotate_key(
    config: BackupConfig, restic: Restic, new_password_file: Path, say: Say = lambda line: None
) -> RunRecord:
    if config.password_file is None:
        raise InputError("rotate-key needs password_file in the config (with password_command, "
                         "change the password where the command reads it)")
    if credentials.holds(config.password_file):
        raise InputError(f"rotate-key: password_file {config.password_file} is a systemd "
                         "credential (read-only); rotate with a plain password file, then "
                         "encrypt the new password as the credential")
    check_password_file(new_password_file)
    if new_password_file.resolve() == config.password_file.resolve():
        raise InputError(f"--new-password-file {new_password_file} is the config's "
                         "password_file itself; give a file holding the new password")
    records = Records(config)
    records.ensure_dirs()
    record = RunRecord.start("rotate-key", config)
    key = config.config_id
    try:
        with run_lock(config.state_dir, key, what=str(config.path)):
            interrupted = records.recover(key)
            if interrupted is not None:
                say(f"note: the previous {interrupted.get('command')} was killed; logged")
            records.begin(record, key)
            try:
                _Rotation(config, restic, record, new_password_file, say).run()
            finally:
                exc = sys.exc_info()[1]
                record.finish(error=str(exc) if isinstance(exc, BulwarkError) else None)
                records.save(record)
                records.end(key)
    except BulwarkError as exc:
        if record.finished_at is None:  # refused before it started (busy, state_dir)
            record.finish(error=str(exc))
            records.save(record)
        raise
    return record


class _Rotation:
    def __init__(self, config: BackupConfig, restic: Restic, record: RunRecord,
                 new_password_file: Path, say: Say):
        assert config.password_file is not None
        self.config = config
        self.restic = restic
        self.record = record
        self.say = say
        self.password_file = config.password_file
        self.new_file = new_password_file
        self.state_path = config.state_dir / f"rotate-key-{config.config_id}.json"

    def run(self) -> None:
        new = _password(read_file(self.new_file, "--new-password-file"))
        current = _password(read_file(self.password_file, "password_file"))
        targets = self.config.targets()
        with_new = {name: replace(t, password_file=self.new_file, password_command=None)
                    for name, t in targets.items()}
        pending = self._pending()
        if new == current:
            if not pending:
                raise InputError(f"--new-password-file {self.new_file}: holds the password "
                                 "password_file already has; nothing to rotate")
            self.say("resuming: password_file already holds the new password; removing old keys")
            self._remove(with_new, pending)
            return
        for name, target in targets.items():
            with self._step("key-add", name) as step:
                if _opens(self.restic, with_new[name]):
                    step.detail = "new key already there"
                else:
                    add_key(self.restic, target, self.new_file)
                    step.detail = "new key added"
                self.say(f"key add {name}: {step.detail}")
        old_keys: dict[str, list[str]] = {}
        for name, target in targets.items():
            with self._step("key-verify", name) as step:
                new_id = current_key(self.restic, with_new[name])
                old_id = current_key(self.restic, target)
                old_keys[name] = sorted({old_id, *pending.get(name, [])} - {new_id})
                step.detail = f"new key {new_id} opens it"
                self.say(f"verify {name}: {step.detail}")
        self._write_pending(old_keys)
        with self._step("password-switch", self.config.primary) as step:
            _replace_content(self.password_file, self.new_file)
            step.detail = f"{self.password_file} now holds the new password"
            self.say(f"switch: {step.detail}")
        self._remove(with_new, old_keys)

    def _remove(self, with_new: dict[str, Target], old_keys: dict[str, list[str]]) -> None:
        for name, target in with_new.items():
            with self._step("key-remove", name) as step:
                present = {key.id: key for key in list_keys(self.restic, target)}
                gone = []
                for key_id in old_keys.get(name, []):
                    if key_id in present and not present[key_id].current:
                        remove_key(self.restic, target, key_id)
                        gone.append(key_id)
                step.detail = f"old key {', '.join(gone) or 'already'} removed"
                self.say(f"key remove {name}: {step.detail}")
        self.state_path.unlink(missing_ok=True)

    def _pending(self) -> dict[str, list[str]]:
        """Old key ids of a rotation that was interrupted after its switch."""
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{self.state_path}: unreadable ({exc}); check `restic key list` "
                             "of each repository and delete the file") from None
        return {str(k): [str(i) for i in v] for k, v in dict(data.get("old_keys", {})).items()}

    def _write_pending(self, old_keys: dict[str, list[str]]) -> None:
        text = json.dumps({"old_keys": old_keys, "written_at": time.time()}, indent=2)
        _write_atomically(self.state_path, text.encode(), mode=0o600)

    @contextlib.contextmanager
    def _step(self, name: str, repository: str) -> Iterator[StepRecord]:
        step = self.record.add(StepRecord(step=name, repository=repository, ok=False))
        started = time.monotonic()
        try:
            yield step
            step.ok = True
        except BulwarkError as exc:
            step.error = str(exc)
            switched = any(s.step == "password-switch" and s.ok for s in self.record.steps)
            state = ("password_file holds the NEW password; run rotate-key again to remove the "
                     "old keys" if switched else
                     "password_file still holds the OLD password, which opens every repository")
            raise RotationFailed(f"rotate-key: {name} on {repository} failed ({exc}); "
                                 f"{state}") from None
        finally:
            step.duration = time.monotonic() - started


def _password(data: bytes) -> bytes:
    """restic ignores the trailing newline of a password file."""
    return data.rstrip(b"\r\n")


def _opens(restic: Restic, target: Target) -> bool:
    try:
        list_keys(restic, target)
    except WrongPassword:
        return False
    return True


def _replace_content(path: Path, source: Path) -> None:
    """`path` gets `source`'s bytes in one rename; its mode and owner stay."""
    info = path.stat()
    _write_atomically(path, read_file(source, "--new-password-file"), mode=info.st_mode & 0o777,
                      owner=(info.st_uid, info.st_gid))


def _write_atomically(path: Path, data: bytes, *, mode: int,
                      owner: tuple[int, int] | None = None) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        if owner is not None and os.geteuid() == 0:
            os.fchown(fd, *owner)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temporary, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
