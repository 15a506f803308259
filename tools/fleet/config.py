"""The fleet config: where the status objects are, how old is too old, which hosts must report.

    stores:                          # S3 URL prefixes holding status objects (restic s3: syntax)
      - url: s3:http://127.0.0.1:9000/bulwark-offsite
        env_file: /etc/bulwark/offsite.env   # AWS_ACCESS_KEY_ID=…; optional (else boto3's own)
    max_backup_age_hours: 26         # default 26
    max_drill_age_days: 92           # default 92
    max_hardening_age_hours: 26      # default 26
    require_hardening: false         # true: a host without a hardening status object is flagged
    expected_hosts: [web1, db1]      # optional: a host without a status object is "missing"

A backup config (a file with `repositories:`) works too: its stores are the parent prefixes of
its S3 repositories, with their env_files, so `bulwark fleet status --config
/etc/bulwark/backup.yml` runs on any backed-up host. Problems are one ConfigError line naming
file, line and key, exactly as for the backup config (the same loader).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bulwark.backup import s3
from bulwark.backup.config import (
    BackupConfig,
    load_env_file,
    read_yaml_mapping,
    validate_model,
)
from bulwark.backup.errors import ConfigError, InputError
from bulwark.backup.status_object import store_of

DEFAULT_MAX_BACKUP_AGE_HOURS = 26.0
DEFAULT_MAX_DRILL_AGE_DAYS = 92.0
DEFAULT_MAX_HARDENING_AGE_HOURS = 26.0

PositiveFloat = Annotated[float, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Model):
    url: Annotated[str, Field(min_length=1)]
    env_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _s3_url(cls, url: str) -> str:
        try:
            s3.parse_url(url)
        except InputError as exc:
            raise ValueError(f"{exc}; a store is an s3: URL prefix "
                             "(s3:https://host/bucket[/prefix])") from None
        return url

    @field_validator("env_file")
    @classmethod
    def _absolute(cls, env_file: Path | None) -> Path | None:
        if env_file is not None and not env_file.is_absolute():
            raise ValueError(f"env_file {env_file} must be an absolute path")
        return env_file


class FleetConfig(_Model):
    stores: list[StoreConfig] = Field(min_length=1)
    max_backup_age_hours: PositiveFloat = DEFAULT_MAX_BACKUP_AGE_HOURS
    max_drill_age_days: PositiveFloat = DEFAULT_MAX_DRILL_AGE_DAYS
    max_hardening_age_hours: PositiveFloat = DEFAULT_MAX_HARDENING_AGE_HOURS
    require_hardening: bool = False
    expected_hosts: list[Annotated[str, Field(min_length=1)]] = []


@dataclass(frozen=True)
class Store:
    """One S3 prefix to list, with the credentials to list it."""

    location: s3.S3Location
    env_file: Path | None = None

    @property
    def display(self) -> str:
        return f"s3:{self.location.display}"

    def env(self) -> dict[str, str]:
        return load_env_file(self.env_file) if self.env_file else {}


@dataclass(frozen=True)
class FleetSettings:
    stores: tuple[Store, ...]
    max_backup_age_hours: float = DEFAULT_MAX_BACKUP_AGE_HOURS
    max_drill_age_days: float = DEFAULT_MAX_DRILL_AGE_DAYS
    max_hardening_age_hours: float = DEFAULT_MAX_HARDENING_AGE_HOURS
    require_hardening: bool = False
    expected_hosts: tuple[str, ...] = ()


def load_fleet_config(path: Path) -> FleetSettings:
    """A fleet config, or a backup config read as one (see the module docstring)."""
    text, data = read_yaml_mapping(path, expected="stores, max_backup_age_hours, …")
    if "repositories" in data:
        return _from_backup_config(path, validate_model(path, text, data, BackupConfig))
    config = validate_model(path, text, data, FleetConfig)
    return FleetSettings(
        stores=_unique(
            Store(location=s3.parse_url(store.url), env_file=store.env_file)
            for store in config.stores
        ),
        max_backup_age_hours=config.max_backup_age_hours,
        max_drill_age_days=config.max_drill_age_days,
        max_hardening_age_hours=config.max_hardening_age_hours,
        require_hardening=config.require_hardening,
        expected_hosts=tuple(config.expected_hosts),
    )


def _from_backup_config(path: Path, config: BackupConfig) -> FleetSettings:
    stores = _unique(
        Store(location=store_of(s3.parse_url(repo.url)), env_file=repo.env_file)
        for repo in config.repositories.values()
        if s3.is_s3(repo.url)
    )
    if not stores:
        raise ConfigError(f"{path}: a backup config without an s3: repository has no status "
                          "objects to read; write a fleet config with `stores:`")
    return FleetSettings(stores=stores)


def _unique(stores: Iterable[Store]) -> tuple[Store, ...]:
    """One Store per endpoint, bucket and prefix (the first one's env_file wins)."""
    seen: dict[s3.S3Location, Store] = {}
    for store in stores:
        seen.setdefault(store.location, store)
    return tuple(seen.values())
