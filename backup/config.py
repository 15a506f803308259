"""The backup config file: pydantic models, loading, validation, normalisation.

Stable API: `load_config(path) -> BackupConfig`; `BackupConfig.targets()` gives the
`execute.Target` of every repository, `BackupConfig.primary` names the primary one and
`BackupConfig.retention_for(name)` its retention. Every model forbids unknown keys, so a typo
is reported with its file:line and a suggestion instead of being silently ignored.

The file (keys are stable; documented in backup/README.md):

    sources: [/srv/shop, /etc]              # absolute paths; checked before anything runs
    exclude: ["*.tmp"]                      # optional, restic --exclude patterns
    password_file: /etc/bulwark/restic.pass # or password_command: "…" (exactly one); secret
                                            # paths may start with $CREDENTIALS_DIRECTORY/
                                            # (systemd credentials, credentials.py)
    state_dir: /var/lib/bulwark             # locks, run log, state, metrics
    metrics_file: /var/lib/node_exporter/textfile/bulwark_backup.prom   # optional
    host: web1                              # optional, default: this host's name
    tags: [shop]                            # optional, extra snapshot tags (F12 labelling)
    retention: {daily: 7, monthly: 12, yearly: 5}
    lock_wait: 600                          # seconds to wait for a live restic lock
    repositories:                           # the one named `primary` (else the first) is primary
      primary: {url: /var/backups/bulwark}
      offsite:
        url: s3:https://s3.example.com/bucket/host1
        env_file: /etc/bulwark/offsite.env
        retention: {daily: 7, monthly: 24, yearly: 10}
        immutable_days: 30                  # optional: Object Lock + versioning (immutable.py)
    databases:
      postgresql: [{name: shop}]            # see bulwark.backup.hooks.postgresql
    monitoring: {ping_url: https://hc-ping.com/…}  # optional dead-man's switch (ping.py)
    classification: internal                # G21 level: internal, secret, confidential,
                                            # top-secret; snapshots get class:<level>; a
                                            # repository's max_classification caps what it holds
    status_object: true                     # after each run and drill, upload a small status
                                            # JSON next to every S3 repository (for
                                            # `bulwark fleet status`); false to switch it off
    drill: {max_files: 500, max_bytes: 536870912, check_slices: 13}   # see drill/settings.py
"""

from __future__ import annotations

import difflib
import hashlib
import re
import socket
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bulwark.backup import credentials, retention, s3, yaml_strict
from bulwark.backup.classification import Level, below
from bulwark.backup.drill.settings import DrillSettings
from bulwark.backup.errors import ConfigError, InputError, read_text_file
from bulwark.backup.execute import Target, check_password_file
from bulwark.backup.hooks.postgresql import PostgresDatabase

DEFAULT_STATE_DIR = Path("/var/lib/bulwark")
_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_URL_SCHEMES = ("local:", "sftp:", "rest:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

PositiveInt = Annotated[int, Field(ge=1)]
M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retention(_Model):
    """restic's keep rules (F2: daily, monthly and yearly backups)."""

    last: int | None = None
    hourly: int | None = None
    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None
    yearly: int | None = None
    within: str | None = None

    # A rule that keeps nothing is refused whatever its spelling (retention.py: restic 0.14).
    @field_validator("last", "hourly", "daily", "weekly", "monthly", "yearly")
    @classmethod
    def _count_keeps_something(cls, value: int | None) -> int | None:
        return None if value is None else retention.check_count(value)

    @field_validator("within")
    @classmethod
    def _within_keeps_something(cls, value: str | None) -> str | None:
        return None if value is None else retention.check_within(value)

    @model_validator(mode="after")
    def _one_rule(self) -> Retention:
        if not any(value is not None for value in self.model_dump().values()):
            raise ValueError("retention needs at least one rule (daily, monthly, yearly, …)")
        return self

    def describe(self) -> str:
        """`{daily: 7, monthly: 12}`, as written in the config (names it in messages)."""
        rules = ", ".join(f"{k}: {v}" for k, v in self.model_dump().items() if v is not None)
        return f"{{{rules}}}"

    def forget_args(self) -> list[str]:
        """`--keep-daily 7 --keep-monthly 12 …` for `restic forget`."""
        args: list[str] = []
        for key, value in self.model_dump().items():
            if value is not None:
                args += [f"--keep-{key}", str(value)]
        return args


class RepositoryConfig(_Model):
    url: Annotated[str, Field(min_length=1)]
    env_file: Path | None = None
    retention: Retention | None = None
    # F10: S3 Object Lock (COMPLIANCE) + versioning on the bucket, for this many days (immutable.py)
    immutable_days: PositiveInt | None = None
    # G22: the highest classification this repository may hold (classification.py)
    max_classification: Level | None = None

    # `$CREDENTIALS_DIRECTORY/<name>`: a systemd credential of the running unit (credentials.py)
    @field_validator("env_file", mode="before")
    @classmethod
    def _credential(cls, value: object) -> object:
        return credentials.expand(value)

    @model_validator(mode="after")
    def _known_url(self) -> RepositoryConfig:
        if not (self.url.startswith("/") or self.url.startswith(_URL_SCHEMES)):
            raise ValueError(
                f"url {self.url!r} is neither an absolute path nor a restic URL "
                f"({', '.join(s.rstrip(':') for s in _URL_SCHEMES)})"
            )
        if s3.is_s3(self.url):  # found now, not when the run reaches the repository
            try:
                s3.parse_url(self.url)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        if self.env_file is not None and not self.env_file.is_absolute():
            raise ValueError(f"env_file {self.env_file} must be an absolute path")
        if self.immutable_days is not None and not s3.is_s3(self.url):
            raise ValueError("immutable_days needs an s3: repository (S3 Object Lock)")
        return self


class Databases(_Model):
    postgresql: list[PostgresDatabase] = []


class Monitoring(_Model):
    # healthchecks.io-compatible dead-man's switch pinged around every run and drill (ping.py)
    ping_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")] | None = None


class BackupConfig(_Model):
    sources: list[Path] = []
    exclude: list[str] = []
    password_file: Path | None = None
    password_command: Annotated[str, Field(min_length=1)] | None = None
    state_dir: Path = DEFAULT_STATE_DIR
    metrics_file: Path | None = None
    # The host names its status object's key (bulwark fleet status trusts the key): a name.
    host: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")] = Field(
        default_factory=socket.gethostname
    )
    tags: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:=-]+$")]] = []
    retention: Retention = Retention(daily=7, monthly=12, yearly=5)
    lock_wait: Annotated[int, Field(ge=0)] = 600
    restic_binary: str = "restic"
    one_file_system: bool = False
    repositories: dict[Annotated[str, Field(pattern=_NAME)], RepositoryConfig] = Field(
        min_length=1
    )
    databases: Databases = Databases()
    status_object: bool = True
    monitoring: Monitoring = Monitoring()
    classification: Level = "internal"  # G21 level of this host's data (classification.py)
    drill: DrillSettings = DrillSettings()

    _path: Path | None = PrivateAttr(default=None)

    @field_validator("password_file", mode="before")
    @classmethod
    def _credential(cls, value: object) -> object:
        return credentials.expand(value)

    @model_validator(mode="after")
    def _coherent(self) -> BackupConfig:
        if (self.password_file is None) == (self.password_command is None):
            raise ValueError("set exactly one of password_file, password_command")
        for source in self.sources:
            if not source.is_absolute():
                raise ValueError(f"source {source} must be an absolute path")
        if not self.sources and not self.databases.postgresql:
            raise ValueError("nothing to back up: set sources and/or databases")
        for path in (self.state_dir, self.metrics_file, self.password_file):
            if path is not None and not path.is_absolute():
                raise ValueError(f"{path} must be an absolute path")
        primary = self.repositories[self.primary].max_classification
        if below(primary, self.classification):
            raise ValueError(
                f"classification {self.classification}: the primary repository {self.primary} "
                f"receives every snapshot but may hold at most {primary} (max_classification)"
            )
        return self

    @property
    def path(self) -> Path | None:
        """The file this config was loaded from."""
        return self._path

    @property
    def primary(self) -> str:
        """The repository named `primary`, else the first one listed."""
        return "primary" if "primary" in self.repositories else next(iter(self.repositories))

    @property
    def secondaries(self) -> list[str]:
        return [name for name in self.repositories if name != self.primary]

    @property
    def metrics_path(self) -> Path:
        return self.metrics_file or self.state_dir / "metrics" / "bulwark_backup.prom"

    @property
    def config_id(self) -> str:
        """Short stable id of the repositories this config writes to: names the run lock, so
        the same config under two names (or two configs sharing repositories) never run at
        once. Local paths are resolved (symlinks, `..`); other URLs are taken as written."""
        urls = sorted(_canonical_url(repo.url) for repo in self.repositories.values())
        return hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]

    def check_password(self) -> None:
        """An unreadable or empty password_file is reported before anything runs."""
        if self.password_file is not None:
            check_password_file(self.password_file)

    def retention_for(self, name: str) -> Retention:
        return self.repositories[name].retention or self.retention

    def target(self, name: str) -> Target:
        repo = self.repositories[name]
        env = load_env_file(repo.env_file) if repo.env_file else {}
        return Target(
            name=name,
            url=repo.url,
            env=env,
            password_file=self.password_file,
            password_command=self.password_command,
        )

    def targets(self) -> dict[str, Target]:
        """Every repository as an execute.Target, primary first; env_files are read here."""
        return {name: self.target(name) for name in [self.primary, *self.secondaries]}


def _canonical_url(url: str) -> str:
    path = url.removeprefix("local:")
    return str(Path(path).resolve()) if path.startswith("/") else url


def load_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (optional `export`, quotes, # comments). Values never appear in errors."""
    text = read_text_file(path, "env_file")
    env: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _ENV_NAME.match(key):
            raise InputError(f"env_file {path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key] = value
    return env


def load_config(path: Path) -> BackupConfig:
    """Read, parse and validate the config; every problem is one ConfigError line with file:line."""
    text, data = read_yaml_mapping(path, expected="sources, repositories, …")
    config = validate_model(path, text, data, BackupConfig)
    config._path = path.absolute()
    return config


def read_yaml_mapping(path: Path, *, expected: str) -> tuple[str, dict[str, Any]]:
    """The file's text and its YAML mapping; any problem is one ConfigError line naming the file.

    Shared by every Bulwark YAML file (the backup config, the fleet config): `expected` names
    the keys a reader should have written, for the "not a mapping" message.
    """
    text = read_text_file(path, "config", error=ConfigError)
    try:
        data = yaml_strict.load(text)
    except (yaml_strict.DuplicateKey, yaml_strict.TooDeep) as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(path, exc)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys ({expected})")
    return text, data


def validate_model(path: Path, text: str, data: dict[str, Any], model: type[M]) -> M:
    """`model` validated from `data`; a problem is one ConfigError line with file:line and key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_validation_problem(path, text, exc, model)) from None


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"{path}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}"
    return f"{path}: invalid YAML: {problem}"


def _validation_problem(
    path: Path, text: str, exc: ValidationError, root: type[BaseModel] = BackupConfig
) -> str:
    # A typo also makes the real key "missing": report the unknown key, which is the cause.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    line = _line_of(text, loc)
    where = f"{path}:{line}" if line else str(path)
    dotted = ".".join(str(part) for part in loc)
    if first["type"] == "extra_forbidden":
        key = str(loc[-1])
        message = f"unknown key {dotted!r}"
        allowed = _allowed_keys(root, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        elif allowed:
            message += f" (allowed: {', '.join(sorted(allowed))})"
    elif first["type"] == "missing":
        message = f"missing required key {dotted!r}"
    else:
        detail = first["msg"].removeprefix("Value error, ")
        message = f"{dotted}: {detail}" if dotted else detail
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return f"{where}: {message}"


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at `loc` (for "did you mean" suggestions).

    A list or dict field makes the next part of `loc` an index or key (e.g.
    `repositories.offsite.retention`), skipped on the way to the model inside.
    """
    model: Any = root
    container: Any = None  # a list/dict annotation whose index or key comes next
    for part in loc:
        if container is not None:
            model, container = _model_in(container), None
            if model is None:
                return []
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        if _is_container(field.annotation):
            container = field.annotation
            continue
        model = _model_in(field.annotation)
        if model is None:
            return []
    if container is not None:
        return []
    return list(getattr(model, "model_fields", {}))


def _is_container(annotation: Any) -> bool:
    """list[…] / dict[…] (optionally inside `… | None`)."""
    if get_origin(annotation) in (list, dict, tuple, set):
        return True
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_container(arg) for arg in get_args(annotation))
    return False


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def check_sources(config: BackupConfig) -> None:
    """A missing source is reported before restic runs: one line, nothing started."""
    for source in config.sources:
        try:
            source.stat()
        except FileNotFoundError:
            raise InputError(f"source {source}: no such file or directory") from None
        except PermissionError:
            raise InputError(f"source {source}: permission denied") from None
