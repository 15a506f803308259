"""The process runner: the only place in bulwark.backup that spawns a command (restic and others).

Stable API (used by the backup, drill and restore actions):

    Target(name, url, env, password_file | password_command)   a repository as restic sees it
    Producer(name, argv, env)                                  a command whose stdout feeds restic
    Restic(binary, lock_wait=…, progress=…).run(target, args, source=…, producer=…) -> ResticResult
    Restic.version                                             (major, minor, patch), detected once
    classify(returncode, stderr) -> ResticError subclass | None

Secrets never reach argv or logs: the repository URL and password go through RESTIC_REPOSITORY
and RESTIC_PASSWORD_FILE / RESTIC_PASSWORD_COMMAND (RESTIC_FROM_* for the source of a copy),
env_file values are passed in the environment only, and everything logged or put into an error
message goes through `Redactor`. stdout is streamed line by line: `status` lines go to the
progress callback and are dropped, other JSON documents are kept, so memory does not grow with
the size of the tree.

Other tools (pg_dump, psql, pg_restore for hooks/postgresql.py) run through `run_command`, and
every "what went wrong" line shown to a user is picked out of a tool's stderr by `error_line`.

Exit codes (restic ≥ 0.17): 0 ok, 3 snapshot incomplete, 10 no repository, 11 lock failed,
12 wrong password. restic 0.14–0.16 returns 1 for the last three, so the stderr text is matched
too (`classify`).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import json
import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from bulwark.backup.errors import (
    BackupError,
    CredentialsRejected,
    InputError,
    PasswordUnavailable,
    RepositoryFull,
    RepositoryLocked,
    RepositoryNotFound,
    RepositoryPermissionDenied,
    RepositoryReadOnly,
    RepositoryUnreachable,
    ResticError,
    SnapshotIncomplete,
    WrongPassword,
    read_file,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, Any]], None]
Version = tuple[int, int, int]

MIN_VERSION: Version = (0, 14, 0)
STDERR_TAIL_LINES = 200
_FEED_CHUNK = 1 << 20
# Seconds a stopped restic gets to remove its lock before SIGKILL.
STOP_GRACE = 15
# Variables from the caller's environment that may reach restic; every other RESTIC_* is dropped
# so that the config file alone decides which repository and password are used.
_RESTIC_PASSTHROUGH = {"RESTIC_CACHE_DIR", "RESTIC_COMPRESSION", "RESTIC_PACK_SIZE"}

_EXIT_CODES: dict[int, type[ResticError]] = {
    3: SnapshotIncomplete,
    10: RepositoryNotFound,
    11: RepositoryLocked,
    12: WrongPassword,
}
# Storage that refuses for a reason no wait will fix. Before the lock pattern: restic reports
# a read-only repository as "unable to create lock" after retrying for most of a minute.
# Only lines about the repository count: an unreadable source file, or a restore target that
# is read-only or full, says the same words about another place.
_REPOSITORY_OP = (r"(unable to open (repository|config file)|unable to create lock|"
                  r"unable to save snapshot|Save\(<|Load\(<|ReadDir|List\(|Stat\().*")
_STORAGE_PATTERNS: list[tuple[re.Pattern[str], type[ResticError]]] = [
    (re.compile(_REPOSITORY_OP + "read-only file system", re.IGNORECASE), RepositoryReadOnly),
    (re.compile(_REPOSITORY_OP + "no space left on device", re.IGNORECASE), RepositoryFull),
    (re.compile(_REPOSITORY_OP + "permission denied", re.IGNORECASE), RepositoryPermissionDenied),
]
# restic < 0.17 exits 1 for all of these; the text is stable from 0.14 to 0.18.
_STDERR_PATTERNS: list[tuple[re.Pattern[str], type[ResticError]]] = [
    *_STORAGE_PATTERNS,
    (re.compile(r"wrong password or no key found"), WrongPassword),
    (re.compile(r"Resolving password failed"), PasswordUnavailable),
    (re.compile(r"unable to create lock|repository is already locked"), RepositoryLocked),
    # Before "no repository": restic 0.14 adds "Is there a repository at the following
    # location?" to every failure to open one, refused credentials and dead endpoints too.
    (
        re.compile(
            r"Access Key Id you provided does not exist|signature we calculated does not match"
            r"|InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Access Denied"
        ),
        CredentialsRejected,
    ),
    (
        re.compile(
            r"connection refused|no such host|i/o timeout|network is unreachable"
            r"|dial tcp|no route to host|TLS handshake timeout"
        ),
        RepositoryUnreachable,
    ),
    (
        re.compile(
            r"unable to open config file|Is there a repository at the following location"
            r"|repository does not exist|The specified bucket does not exist|NoSuchBucket"
        ),
        RepositoryNotFound,
    ),
]
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z0-9+.-]+://)(?P<user>[^/:@\s]*):(?P<pw>[^/@\s]+)@")


class Redactor:
    """Removes secrets (env_file values, passwords in URLs) from text shown or logged."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = _URL_USERINFO.sub(r"\g<scheme>\g<user>:***@", text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


_SECRET_KEY = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)


def secret_values(*envs: Mapping[str, str]) -> list[str]:
    """Values of variables whose names say they are secret (AWS_SECRET_ACCESS_KEY, PGPASSWORD…)."""
    return [value for env in envs for key, value in env.items() if _SECRET_KEY.search(key)]


def redact_url(url: str) -> str:
    """The URL with any password in it replaced by ***."""
    return Redactor()(url)


@dataclass(frozen=True)
class Target:
    """A repository as restic needs it: URL, credentials and extra environment (env_file)."""

    name: str
    url: str
    env: Mapping[str, str] = field(default_factory=dict)
    password_file: Path | None = None
    password_command: str | None = None

    def __post_init__(self) -> None:
        if (self.password_file is None) == (self.password_command is None):
            raise BackupError(f"repository {self.name}: set exactly one of password_file, "
                              "password_command")

    @property
    def display_url(self) -> str:
        return redact_url(self.url)


@dataclass(frozen=True)
class Producer:
    """A command whose stdout is piped into restic's stdin (e.g. pg_dump for `backup --stdin`)."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ResticResult:
    """What one restic invocation produced."""

    args: list[str]
    returncode: int
    messages: list[Any]
    text: list[str]
    stderr: str
    duration: float
    producer_returncode: int | None = None
    producer_stderr: str = ""

    def last(self, message_type: str) -> dict[str, Any] | None:
        """The last JSON message with this `message_type` (e.g. "summary"), if any."""
        for message in reversed(self.messages):
            if isinstance(message, dict) and message.get("message_type") == message_type:
                return message
        return None

    def document(self) -> Any:
        """The first JSON document on stdout (`snapshots --json`, `forget --json`, `cat config`)."""
        if not self.messages:
            raise BackupError(f"restic {' '.join(self.args)} printed no JSON")
        return self.messages[0]


def check_password_file(path: Path) -> None:
    """Fail with one line if restic could not read a password from this file."""
    # Bytes: restic takes any bytes as the password, not only UTF-8 text.
    if not read_file(path, "password_file").strip():
        raise InputError(f"password_file {path}: is empty")


def classify(returncode: int, stderr: str) -> type[ResticError] | None:
    """The error class for a restic exit, or None for success. Text first: it is more specific."""
    if returncode == 0:
        return None
    if returncode in (10, 11, 12):
        return _EXIT_CODES[returncode]
    for pattern, error in _STDERR_PATTERNS:
        if pattern.search(stderr):
            return error
    return _EXIT_CODES.get(returncode, ResticError)


def parse_version(text: str) -> Version:
    match = re.search(r"restic (\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise BackupError(f"cannot tell the restic version from {text.strip()[:80]!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


@functools.cache
def detect_version(binary: str) -> Version:
    """`restic version`, once per binary per process."""
    try:
        done = subprocess.run(
            [binary, "version"], capture_output=True, text=True, check=False, timeout=30
        )
    except FileNotFoundError:
        raise InputError(
            f"restic not found ({binary}): install it (apt-get install restic)"
        ) from None
    version = parse_version(done.stdout)
    if version < MIN_VERSION:
        raise InputError(
            f"restic {'.'.join(map(str, version))} is too old: Bulwark needs 0.14 or newer"
        )
    return version


def _merge_env(into: dict[str, str], extra: Mapping[str, str], what: str) -> None:
    for key, value in extra.items():
        if key in into and into[key] != value:
            raise InputError(
                f"{what}: both repositories set {key} differently in their env_file; restic copy "
                "uses one environment for both"
            )
        into[key] = value


def _password_env(target: Target, prefix: str) -> dict[str, str]:
    if target.password_file is not None:
        check_password_file(target.password_file)
        return {f"{prefix}PASSWORD_FILE": str(target.password_file)}
    return {f"{prefix}PASSWORD_COMMAND": str(target.password_command)}


def build_env(target: Target, source: Target | None = None) -> dict[str, str]:
    """The environment for restic against `target` (and `source` as --from-repo for copy/init)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("RESTIC_") or key in _RESTIC_PASSTHROUGH
    }
    extra: dict[str, str] = {}
    _merge_env(extra, target.env, f"repository {target.name}")
    env["RESTIC_REPOSITORY"] = target.url
    env.update(_password_env(target, "RESTIC_"))
    if source is not None:
        _merge_env(extra, source.env, f"copy {source.name} -> {target.name}")
        env["RESTIC_FROM_REPOSITORY"] = source.url
        env.update(_password_env(source, "RESTIC_FROM_"))
    env.update(extra)
    return env


def _drain(
    stream: Any, sink: collections.deque[str], on_storage_problem: Callable[[], None]
) -> None:
    stopped = False
    for line in stream:
        sink.append(line.rstrip("\n"))
        if not stopped and any(pattern.search(line) for pattern, _ in _STORAGE_PATTERNS):
            on_storage_problem()  # at once: restic would retry the write for most of a minute
            stopped = True


class Restic:
    """Runs restic: one instance per action, shared by every step of it."""

    def __init__(
        self,
        binary: str = "restic",
        *,
        lock_wait: float = 600.0,
        progress: ProgressCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.binary = binary
        self.lock_wait = lock_wait
        self.progress = progress
        self._sleep = sleep

    @property
    def version(self) -> Version:
        return detect_version(self.binary)

    @property
    def has_retry_lock(self) -> bool:
        return self.version >= (0, 16, 0)

    def run(
        self,
        target: Target,
        args: Sequence[str],
        *,
        source: Target | None = None,
        producer: Producer | None = None,
        json_output: bool = True,
        retry_lock: bool = True,
        check: bool = True,
    ) -> ResticResult:
        """Run `restic <args>` against `target`; raise the classified ResticError unless ok.

        A lock held by another process is handled here: stale locks (dead process on this host,
        or older than 30 minutes) are removed with `restic unlock` — never `--remove-all` — and
        live ones are waited for up to `lock_wait` seconds (`--retry-lock` on restic ≥ 0.16).
        With check=False the result is returned whatever the exit code.
        """
        env = build_env(target, source)
        redactor = Redactor(
            secret_values(
                target.env, source.env if source else {}, producer.env if producer else {}
            )
        )
        deadline = time.monotonic() + self.lock_wait
        delay = 1.0
        unlocked = False
        while True:
            extra: list[str] = []
            if unlocked and self.has_retry_lock:
                extra = [f"--retry-lock={max(1, int(deadline - time.monotonic()))}s"]
            result = self._spawn(target, [*extra, *args], env, redactor, producer, json_output)
            error = classify(result.returncode, result.stderr)
            if error is not RepositoryLocked or not retry_lock:
                break
            if time.monotonic() >= deadline or (unlocked and self.has_retry_lock):
                break
            self.unlock(target, env, redactor)
            if source is not None:  # copy/init lock the source repository too
                self.unlock(source, build_env(source), redactor)
            if unlocked:
                self._sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 30.0)
            unlocked = True
        if check:
            self.check(target, result)
        return result

    def check(self, target: Target, result: ResticResult) -> None:
        """Raise the classified ResticError for a result obtained with check=False."""
        error = classify(result.returncode, result.stderr)
        if error is not None:
            raise self._error(error, target, result.args, result)

    def unlock(self, target: Target, env: Mapping[str, str], redactor: Redactor) -> None:
        """`restic unlock`: removes only stale locks, so it is safe on a live repository."""
        log.info("repository %s is locked; removing stale locks (restic unlock)", target.name)
        result = self._spawn(target, ["unlock"], env, redactor, None, json_output=False)
        if result.returncode != 0:
            log.warning("restic unlock on %s failed: %s", target.name, result.stderr[-300:])

    @staticmethod
    def _error(
        error: type[ResticError], target: Target, args: Sequence[str], result: ResticResult
    ) -> ResticError:
        detail = _last_meaningful_line(result.stderr)
        if error is SnapshotIncomplete:
            detail = _unreadable_files(result.stderr) or detail
        command = next((arg for arg in args if not arg.startswith("-")), "restic")
        reason = error.reason
        if error is ResticError or (detail and error is SnapshotIncomplete):
            reason = f"{reason}: {detail}" if detail else f"exit {result.returncode}"
        message = f"restic {command} on {target.name} ({target.display_url}): {reason}"
        return error(
            message, repository=target.name, returncode=result.returncode, result=result
        )

    def _spawn(
        self,
        target: Target,
        args: Sequence[str],
        env: Mapping[str, str],
        redactor: Redactor,
        producer: Producer | None,
        json_output: bool,
    ) -> ResticResult:
        flags: list[str] = []
        if json_output:
            flags.append("--json")
        if self.progress is None and "backup" in args[:2]:
            flags.append("--quiet")
        # Global flags go first: argv may end with `-- <paths>`.
        argv = [self.binary, *flags, *args]
        run_env = dict(env)
        if self.progress is not None:
            run_env.setdefault("RESTIC_PROGRESS_FPS", "2")
        log.debug("restic %s (repository %s at %s)", " ".join(args), target.name,
                  target.display_url)
        started = time.monotonic()
        feeder: subprocess.Popen[bytes] | None = None
        feeder_err: collections.deque[str] = collections.deque(maxlen=50)
        threads: list[threading.Thread] = []
        if producer is not None:
            feeder = subprocess.Popen(
                list(producer.argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, **producer.env},
            )
            assert feeder.stderr is not None
            threads.append(self._reader(feeder.stderr, feeder_err, binary=True))
        try:
            proc = subprocess.Popen(
                argv,
                stdin=feeder.stdout if feeder else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=run_env,
                text=True,
                bufsize=1,
            )
        except OSError as exc:
            if feeder:
                feeder.kill()
                feeder.wait()
            if isinstance(exc, FileNotFoundError):
                raise InputError(
                    f"restic not found ({self.binary}): install it (apt-get install restic)"
                ) from None
            if exc.errno == errno.E2BIG:
                raise InputError(
                    f"restic {args[0] if args else ''}: too many arguments for one command "
                    f"({len(argv)}); shorten the list in the config"
                ) from None
            raise InputError(f"cannot run restic ({self.binary}): {exc.strerror}") from None
        if feeder is not None and feeder.stdout is not None:
            feeder.stdout.close()  # restic holds the read end; pg_dump gets SIGPIPE if it dies
        err_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        threads.append(self._reader(proc.stderr, err_tail,
                                    on_storage_problem=lambda: _interrupt(proc)))
        messages: list[Any] = []
        text: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                self._take(line, json_output, messages, text)
            proc.wait()
            if feeder is not None:
                feeder.wait()
        finally:
            for child in (proc, feeder):
                if child is not None and child.poll() is None:
                    _stop(child)
            for thread in threads:
                thread.join(timeout=5)
        result = ResticResult(
            args=list(args),
            returncode=proc.returncode,
            messages=messages,
            text=text,
            stderr=redactor("\n".join(err_tail)),
            duration=time.monotonic() - started,
            producer_returncode=feeder.returncode if feeder else None,
            producer_stderr=redactor("\n".join(feeder_err)),
        )
        log.debug("restic %s exited %d after %.1fs", args[0] if args else "", proc.returncode,
                  result.duration)
        return result

    def _take(self, line: str, json_output: bool, messages: list[Any], text: list[str]) -> None:
        stripped = line.strip()
        if not stripped:
            return
        if json_output and stripped[0] in "[{":
            try:
                document = json.loads(stripped)
            except json.JSONDecodeError:
                text.append(stripped)
                return
            if isinstance(document, dict) and document.get("message_type") == "status":
                if self.progress is not None:
                    self.progress(document)
                return
            messages.append(document)
            return
        if len(text) < 1000:
            text.append(stripped)

    @staticmethod
    def _reader(
        stream: Any, sink: collections.deque[str], *, binary: bool = False,
        on_storage_problem: Callable[[], None] = lambda: None,
    ) -> threading.Thread:
        if binary:
            def drain() -> None:
                for raw in stream:
                    sink.append(raw.decode("utf-8", "replace").rstrip("\n"))
        else:
            def drain() -> None:
                _drain(stream, sink, on_storage_problem)
        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
        return thread


def _interrupt(child: subprocess.Popen[Any]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGINT)


def _stop(child: subprocess.Popen[Any]) -> None:
    """Stop a child we are abandoning (Ctrl-C, SIGTERM, an error): SIGINT first, because
    restic then removes its repository lock, SIGKILL if it has not exited within the grace."""
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _unreadable_files(stderr: str, shown: int = 5) -> str:
    """"3 files unreadable: /a (open: permission denied), …, and 2 more" from restic's JSON
    error lines (0.14 gives Op/Path/Err, later versions a message); "" if there are none."""
    found: list[str] = []
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(document, dict) or document.get("message_type") != "error":
            continue
        error = document.get("error") or {}
        why = error.get("message") if isinstance(error, dict) else None
        if not why and isinstance(error, dict) and isinstance(error.get("Err"), int):
            why = f"{error.get('Op') or 'read'}: {os.strerror(error['Err']).lower()}"
        found.append(f"{document.get('item') or error.get('Path') or '?'} ({why or 'error'})")
    if not found:
        return ""
    # The runner keeps only the last STDERR_TAIL_LINES lines of stderr.
    count = f"at least {len(found)}" if len(stderr.splitlines()) >= STDERR_TAIL_LINES else str(
        len(found))
    more = f", and {len(found) - shown} more" if len(found) > shown else ""
    return f"{count} unreadable: {', '.join(found[:shown])}{more}"


_FATAL = re.compile(r"^Fatal:")


def _last_meaningful_line(stderr: str) -> str:
    """The line of restic's stderr that says what went wrong (its "Fatal:" line if any)."""
    return (error_line(stderr, _FATAL, last=True, fallback=False) or _json_error(stderr)
            or error_line(stderr, last=True))


def _json_error(stderr: str) -> str:
    """"item: message" of restic's last JSON error document on stderr, or ""."""
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                document = json.loads(line)
            except json.JSONDecodeError:
                continue
            if document.get("message_type") == "error":
                item = document.get("item", "")
                return f"{item}: {document.get('error', {}).get('message', '')}".strip(": ")
    return ""


def error_line(
    stderr: str,
    marker: re.Pattern[str] | None = None,
    *,
    last: bool = False,
    fallback: bool = True,
    prefix: str = "",
    limit: int | None = None,
) -> str:
    """The line of a tool's stderr that says what went wrong, on one line ("" if none).

    The first (or `last`) line `marker` matches, from the end of the match on; without such a
    line the first (last) non-blank line, unless `fallback` is off. `prefix` (the tool's name,
    e.g. "pg_dump:") is dropped, blanks are collapsed, and the text is cut at `limit`.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    ordered = lines[::-1] if last else lines
    chosen = None
    if marker is not None:
        chosen = next((line[m.end():] for line in ordered if (m := marker.search(line))), None)
    if chosen is None:
        if not fallback or not ordered:
            return ""
        chosen = ordered[0]
    return " ".join(chosen.strip().removeprefix(prefix).split())[:limit]


@dataclass(frozen=True)
class Completed:
    """What a command other than restic did: exit status, output, bytes fed to its stdin."""

    returncode: int
    stdout: str
    stderr: str
    fed: int = 0


def run_command(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    feed: BinaryIO | None = None,
    logged: int = 2,
) -> Completed:
    """Run a command (not restic) with `env` over os.environ; stdin is `feed` or nothing.

    Only the first `logged` words of argv are logged: the rest can hold SQL naming customer
    tables. Output goes to temporary files, so a command that writes much while it is fed
    cannot block. A command that stops reading `feed` (it hit an error) is not an error here:
    its exit status and stderr say why. A missing program raises OSError for the caller to name.
    """
    log.debug("running %s%s", " ".join(argv[:logged]), " < stream" if feed else "")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        fed = 0
        with subprocess.Popen(
            list(argv),
            env={**os.environ, **env},
            stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        ) as proc:
            if feed is not None:
                assert proc.stdin is not None
                try:
                    while chunk := feed.read(_FEED_CHUNK):
                        fed += len(chunk)
                        proc.stdin.write(chunk)
                    proc.stdin.close()
                except BrokenPipeError:
                    with contextlib.suppress(BrokenPipeError):
                        proc.stdin.close()
            returncode = proc.wait()
        out.seek(0)
        err.seek(0)
        return Completed(returncode=returncode,
                         stdout=out.read().decode("utf-8", "replace"),
                         stderr=err.read().decode("utf-8", "replace"), fed=fed)
