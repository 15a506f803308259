"""Shared set-up for the backup integration tests: a source tree, a password, a config writer,
and helpers that run the real `bulwark` CLI and the real restic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.s3 import S3Server

MARKER = "BULWARK-PLAINTEXT-MARKER-7f3a9c"
PASSWORD = "correct horse battery staple\n"
BULWARK = str(Path(sys.executable).parent / "bulwark")


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without systemd or restic variables (tests run quiet, non-TTY)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RESTIC_", "AWS_"))
        and key not in ("INVOCATION_ID", "JOURNAL_STREAM")
    }
    env.update(extra or {})
    return env


@dataclass
class Site:
    """One host's backup set-up inside tmp_path."""

    root: Path
    host: str = "bulwark-test-host"
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def password(self) -> Path:
        return self.root / "restic.pass"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def config(self) -> Path:
        return self.root / "backup.yml"

    def write_config(self, **overrides: Any) -> Path:
        data: dict[str, Any] = {
            "sources": [str(self.src)],
            "exclude": ["*.tmp"],
            "password_file": str(self.password),
            "state_dir": str(self.state),
            "host": self.host,
            "retention": {"daily": 7, "monthly": 12, "yearly": 5},
            "lock_wait": 30,
            "repositories": self.repositories,
            **self.extra,
            **overrides,
        }
        self.config.write_text(yaml.safe_dump(data, sort_keys=False))
        return self.config

    def add_s3_offsite(self, server: S3Server, url: str, **extra: Any) -> Path:
        """Repository `offsite` at `url` on the S3 server, its keys in an env_file (returned);
        `extra` adds keys (retention, …). Call write_config() afterwards."""
        env_file = self.root / "offsite.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in server.env.items()))
        env_file.chmod(0o600)
        self.repositories["offsite"] = {"url": url, "env_file": str(env_file), **extra}
        return env_file

    def bulwark(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BULWARK, "backup", *args, "--config", str(self.config)],
            capture_output=True, text=True, env=clean_env(), timeout=timeout, check=False,
        )

    def restic(self, url: str, *args: str, env: dict[str, str] | None = None,
               check: bool = True) -> subprocess.CompletedProcess[str]:
        """Raw restic against a repository, for seeding and for independent checks."""
        done = subprocess.run(
            ["restic", *args],
            capture_output=True, text=True, check=False, timeout=120,
            env=clean_env({"RESTIC_REPOSITORY": url, "RESTIC_PASSWORD_FILE": str(self.password),
                           **(env or {})}),
        )
        if check and done.returncode != 0:
            raise AssertionError(f"restic {args} failed: {done.stderr}")
        return done

    def snapshots(self, url: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return json.loads(self.restic(url, "snapshots", "--json", env=env).stdout)

    def runs(self) -> list[dict[str, Any]]:
        path = self.state / "runs.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_one_line_error(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """Exit `code`, exactly one line on stderr naming the problem, never a traceback."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def tree_fingerprint(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with size and mtime: "nothing changed" means this is equal."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def make_site(root: Path) -> Site:
    """Source tree with a plaintext marker, password file, a local primary repository."""
    site = Site(root=root)
    site.src.mkdir()
    (site.src / "customers.csv").write_text(f"id,name,phone\n1,{MARKER},555-0100\n")
    (site.src / "sub").mkdir()
    (site.src / "sub" / "orders.json").write_text(json.dumps({"orders": list(range(200))}))
    (site.src / "sub" / "scratch.tmp").write_text("excluded\n")
    site.password.write_text(PASSWORD)
    site.password.chmod(0o600)
    site.repositories = {"primary": {"url": str(root / "repo-primary")}}
    return site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


@pytest.fixture
def with_offsite(site: Site, s3_url: str, s3_env_file: Path) -> Callable[[], Site]:
    def add() -> Site:
        site.repositories["offsite"] = {
            "url": s3_url,
            "env_file": str(s3_env_file),
            "retention": {"daily": 7, "monthly": 24, "yearly": 10},
        }
        site.write_config()
        return site

    return add
