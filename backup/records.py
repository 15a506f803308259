"""What each run leaves behind: a JSON line in the run log, per-repository state, metrics.

Stable API (the drill and restore actions use it too):

    record = RunRecord.start("run", config)            who / when / what (E13)
    record.add(StepRecord(step="backup", repository="primary", ok=True, …))
    record.finish()
    Records(config).save(record)   # appends runs.jsonl, updates state.json, rewrites metrics
    Records(config).state()        # {"repositories": {name: RepositoryState-like dict}}

Files under `state_dir` (policy F3: each backup recorded; E12/E13: every bulk copy logged with
who, when, where and what):

    runs.jsonl                     one JSON object per run, appended, never rewritten
    state.json                     per repository and step: last success, last failure, figures;
                                   `last_run` and, per command, `last_runs.<command>`
    metrics/bulwark_backup.prom    Prometheus textfile (or `metrics_file`), rewritten atomically

Metrics (labels repository, step; written from state.json, so a failed run does not erase the
last success timestamp):

    bulwark_backup_last_success_timestamp_seconds   last time the step succeeded
    bulwark_backup_last_run_timestamp_seconds       last time the step ran
    bulwark_backup_last_run_success                 1 if the last run of the step succeeded
    bulwark_backup_duration_seconds                 duration of the last run of the step
    bulwark_backup_bytes_added                      bytes added to the repository by it
    bulwark_backup_snapshots                        snapshots of this host (label repository)
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from bulwark.backup.errors import InputError

if TYPE_CHECKING:
    from bulwark.backup.config import BackupConfig

RUNS_FILE = "runs.jsonl"
STATE_FILE = "state.json"
STATE_VERSION = 1


def who() -> dict[str, Any]:
    """The operator of this run: user name, uid, host (E13 "who" and "where")."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {
        "user": user,
        "uid": os.getuid(),
        "sudo_user": os.environ.get("SUDO_USER"),
        "host": socket.gethostname(),
        "systemd_unit": os.environ.get("BULWARK_UNIT") or _systemd_unit(),
    }


def _systemd_unit() -> str | None:
    return "systemd" if os.environ.get("INVOCATION_ID") else None


@dataclass
class StepRecord:
    """One step of a run against one repository (backup, dump, retention, copy, init, …)."""

    step: str
    repository: str
    ok: bool
    started_at: float = field(default_factory=time.time)
    duration: float = 0.0
    error: str | None = None
    incomplete: bool = False
    snapshot_id: str | None = None
    snapshot_ids: list[str] = field(default_factory=list)
    bytes_added: int | None = None
    files_new: int | None = None
    files_changed: int | None = None
    snapshots: int | None = None
    removed: int | None = None
    detail: str | None = None


@dataclass
class RunRecord:
    """One invocation of a backup action: who ran it, when, on what, and how it ended."""

    command: str
    config: str | None
    who: dict[str, Any]
    host: str
    sources: list[str]
    repositories: dict[str, str]
    started_at: float
    finished_at: float | None = None
    duration: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    result: str = "running"
    failed_step: str | None = None
    error: str | None = None

    @classmethod
    def start(
        cls, command: str, config: BackupConfig, options: dict[str, Any] | None = None
    ) -> RunRecord:
        from bulwark.backup.execute import redact_url

        return cls(
            command=command,
            config=str(config.path) if config.path else None,
            who=who(),
            host=config.host,
            sources=[str(source) for source in config.sources]
            + [f"postgresql:{db.name}" for db in config.databases.postgresql],
            repositories={name: redact_url(repo.url) for name, repo in config.repositories.items()},
            started_at=time.time(),
            options=options or {},
        )

    def add(self, step: StepRecord) -> StepRecord:
        self.steps.append(step)
        return step

    @property
    def failures(self) -> list[StepRecord]:
        return [step for step in self.steps if not step.ok]

    def finish(self, error: str | None = None, *, interrupted: bool = False) -> None:
        """Close the record; `error` is for failures outside any step (lock, config) or, with
        `interrupted`, says how the run was stopped (SIGTERM, Ctrl-C)."""
        self.finished_at = time.time()
        self.duration = round(self.finished_at - self.started_at, 3)
        failures = self.failures
        if interrupted:
            self.result, self.error = "interrupted", error or "interrupted"
        elif error is not None:
            self.result, self.error = "failed", error
        elif any(not step.incomplete for step in failures):
            first = next(step for step in failures if not step.incomplete)
            self.result = "failed"
            self.failed_step = f"{first.step}:{first.repository}"
            self.error = first.error
        elif failures:
            self.result = "incomplete"
            self.failed_step = f"{failures[0].step}:{failures[0].repository}"
            self.error = failures[0].error
        else:
            self.result = "ok"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Per repository and step: the state.json key, and the metric it is exported as.
_STEP_GAUGES = {
    "last_success": ("bulwark_backup_last_success_timestamp_seconds",
                     "Unix time the step last succeeded"),
    "last_run": ("bulwark_backup_last_run_timestamp_seconds", "Unix time the step last ran"),
    "ok": ("bulwark_backup_last_run_success", "1 if the last run of the step succeeded, else 0"),
    "duration": ("bulwark_backup_duration_seconds", "Duration of the last run of the step"),
    "bytes_added": ("bulwark_backup_bytes_added",
                    "Bytes the last run of the step added to the repository"),
}


class Records:
    """Reads and writes everything under state_dir for one config."""

    def __init__(self, config: BackupConfig):
        self.state_dir = config.state_dir
        self.metrics_path = config.metrics_path
        self.runs_path = self.state_dir / RUNS_FILE
        self.state_path = self.state_dir / STATE_FILE

    def ensure_dirs(self) -> None:
        """state_dir and the metrics file's place are usable: checked before anything runs."""
        metrics_dir = self.metrics_path.parent
        for what, directory in (("state_dir", self.state_dir), ("metrics directory", metrics_dir)):
            try:
                directory.mkdir(parents=True, exist_ok=True, mode=0o750)
            except OSError as exc:
                raise InputError(f"{what} {directory}: cannot create ({exc.strerror})") from None
            if not os.access(directory, os.W_OK | os.X_OK):
                raise InputError(f"{what} {directory}: not writable")
        if self.metrics_path.is_dir():
            raise InputError(f"metrics_file {self.metrics_path}: is a directory")

    def save(self, record: RunRecord) -> None:
        """Append the run to runs.jsonl, fold it into state.json, rewrite the metrics file."""
        self.ensure_dirs()
        self.append_run(record)
        with self._state_lock():
            state = self.state()
            _fold(state, record)
            _write_json_atomically(self.state_path, state)
        self.write_metrics(state)

    def begin(self, record: RunRecord, key: str) -> None:
        """Note a run in progress (under the run lock): if it is killed, the next run logs it."""
        self.ensure_dirs()
        _write_json_atomically(self._running_path(key), record.as_dict())

    def end(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._running_path(key).unlink()

    def recover(self, key: str) -> dict[str, Any] | None:
        """Log a run that was killed before it could record itself (call under the run lock)."""
        path = self._running_path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError):
            data = {"command": "unknown"}
        data.update(result="interrupted", error="the run was killed before it finished")
        line = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
        self._append_line(line)
        path.unlink()
        return data

    def _running_path(self, key: str) -> Path:
        return self.state_dir / f"running-{key}.json"

    def append_run(self, record: RunRecord) -> None:
        line = json.dumps(record.as_dict(), sort_keys=True, separators=(",", ":"))
        self._append_line(line + "\n")

    def _append_line(self, line: str) -> None:
        fd = os.open(self.runs_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def runs(self) -> Iterator[dict[str, Any]]:
        """Every recorded run, oldest first (lines that are not JSON are skipped)."""
        if not self.runs_path.exists():
            return
        with self.runs_path.open(encoding="utf-8") as handle:
            for line in handle:
                with contextlib.suppress(json.JSONDecodeError):
                    yield json.loads(line)

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": STATE_VERSION, "repositories": {}}
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{self.state_path}: unreadable state file ({exc})") from None
        data.setdefault("repositories", {})
        return data

    def write_metrics(self, state: dict[str, Any]) -> None:
        registry = CollectorRegistry()
        labels = ["repository", "step"]
        gauges = {key: Gauge(name, text, labels, registry=registry)
                  for key, (name, text) in _STEP_GAUGES.items()}
        snapshots = Gauge(
            "bulwark_backup_snapshots", "Snapshots of this host in the repository",
            ["repository"], registry=registry)
        for repository, repo_state in state.get("repositories", {}).items():
            if repo_state.get("snapshots") is not None:
                snapshots.labels(repository).set(repo_state["snapshots"])
            for step, step_state in repo_state.get("steps", {}).items():
                for key, gauge in gauges.items():
                    value = step_state.get(key)
                    if value is not None:
                        gauge.labels(repository, step).set(float(value))
        try:
            write_to_textfile(str(self.metrics_path), registry)
        except OSError as exc:
            raise InputError(
                f"metrics_file {self.metrics_path}: cannot write ({exc.strerror})") from None

    @contextlib.contextmanager
    def _state_lock(self) -> Iterator[None]:
        with open(self.state_dir / ".state.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _fold(state: dict[str, Any], record: RunRecord) -> None:
    """Merge one run into the per-repository state (what `backup status` shows)."""
    repositories = state.setdefault("repositories", {})
    by_repo: dict[str, list[StepRecord]] = {}
    for step in record.steps:
        by_repo.setdefault(step.repository, []).append(step)
    finished = record.finished_at or time.time()
    for repository, steps in by_repo.items():
        repo_state = repositories.setdefault(repository, {"steps": {}})
        repo_steps = repo_state.setdefault("steps", {})
        for step in steps:
            step_state = repo_steps.setdefault(step.step, {})
            step_state.update(
                last_run=step.started_at,
                ok=1 if step.ok else 0,
                duration=round(step.duration, 3),
            )
            if step.bytes_added is not None:
                step_state["bytes_added"] = step.bytes_added
            if step.ok:
                step_state["last_success"] = step.started_at + step.duration
            if step.snapshots is not None:
                repo_state["snapshots"] = step.snapshots
            saved = _saved_snapshot(record.command, step)
            if saved is not None:
                repo_state["newest_snapshot"] = {
                    "id": saved, "saved_at": step.started_at + step.duration}
        failed = [step for step in steps if not step.ok]
        if failed:
            repo_state["last_failure"] = {
                "time": finished,
                "command": record.command,
                "step": failed[0].step,
                "error": failed[0].error,
            }
        else:
            repo_state[f"last_success_{record.command}"] = finished
            if record.command == "run":
                repo_state["last_success"] = finished
    state["last_run"] = {
        "command": record.command,
        "finished_at": finished,
        "result": record.result,
        "failed_step": record.failed_step,
    }
    # The newest run of each command (a drill does not hide how the last backup run ended).
    state.setdefault("last_runs", {})[record.command] = {
        **state["last_run"],
        "started_at": record.started_at,
        "error": record.error,
    }


def _saved_snapshot(command: str, step: StepRecord) -> str | None:
    """The snapshot a successful backup, dump or copy step of a `run` saved (copy: the last)."""
    if command != "run" or not step.ok:
        return None
    if step.step == "backup" or step.step.startswith("dump:"):
        return step.snapshot_id
    if step.step == "copy" and step.snapshot_ids:
        return step.snapshot_ids[-1]
    return None


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
