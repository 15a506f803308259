"""A real backup setup for drill and restore tests: local primary + S3 offsite (moto), restic.

Snapshots are made with the backup engineer's own actions (`init_repositories`, `run_backup`),
so the drill is tested against exactly what the nightly job writes.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bulwark.backup.actions.init import init_repositories
from bulwark.backup.actions.run import run_backup
from bulwark.backup.config import BackupConfig, load_config
from bulwark.backup.execute import Restic

if shutil.which("restic") is None:
    raise RuntimeError("integration tests need restic (apt-get install restic)")


@dataclass
class Lab:
    """One host's sources, state dir, repositories and config file."""

    root: Path
    config_path: Path
    sources: list[Path]

    @property
    def config(self) -> BackupConfig:
        return load_config(self.config_path)

    @property
    def restic(self) -> Restic:
        return Restic(lock_wait=30)

    @property
    def state_dir(self) -> Path:
        return self.config.state_dir

    @property
    def primary_repo(self) -> Path:
        return self.root / "repo-primary"

    def backup(self) -> None:
        run_backup(self.config, self.restic)

    def rewrite(self, **changes: Any) -> None:
        data = yaml.safe_load(self.config_path.read_text())
        data.update(changes)
        self.config_path.write_text(yaml.safe_dump(data))


def make_tree(root: Path) -> list[Path]:
    """Two sources with small, medium and large files, odd names included."""
    shop, etc = root / "srv" / "shop", root / "etc"
    (shop / "img").mkdir(parents=True)
    (shop / "orders").mkdir()
    etc.mkdir(parents=True)
    for i in range(40):
        (shop / "img" / f"p{i}.jpg").write_bytes(secrets.token_bytes(1000 + i * 97))
    for i in range(5):
        (shop / "orders" / f"2026-0{i + 1}.csv").write_bytes(secrets.token_bytes(300_000))
    (shop / "catalog.bin").write_bytes(secrets.token_bytes(9 * 1024 * 1024))
    (shop / "odd [name]*?.txt").write_text("glob characters in a file name\n")
    (etc / "shop.conf").write_text("listen = 127.0.0.1\n")
    return [shop, etc]


@pytest.fixture
def lab_factory(
    tmp_path: Path, s3_url: str, s3_env_file: Path
) -> Callable[..., Lab]:
    def build(offsite: bool = True, databases: list[dict[str, Any]] | None = None) -> Lab:
        sources = make_tree(tmp_path / "live")
        password = tmp_path / "restic.pass"
        password.write_text(secrets.token_hex(16))
        password.chmod(0o600)
        repositories: dict[str, Any] = {"primary": {"url": str(tmp_path / "repo-primary")}}
        if offsite:
            repositories["offsite"] = {"url": s3_url, "env_file": str(s3_env_file)}
        config: dict[str, Any] = {
            "sources": [str(s) for s in sources],
            "password_file": str(password),
            "state_dir": str(tmp_path / "state"),
            "retention": {"daily": 7, "monthly": 12, "yearly": 5},
            "repositories": repositories,
        }
        if databases:
            config["databases"] = {"postgresql": databases}
        path = tmp_path / "bulwark.yml"
        path.write_text(yaml.safe_dump(config))
        lab = Lab(root=tmp_path, config_path=path, sources=sources)
        init_repositories(lab.config, lab.restic)
        return lab

    return build


@pytest.fixture
def lab(lab_factory: Callable[..., Lab]) -> Lab:
    built = lab_factory()
    built.backup()
    return built


def flip_bytes_in_a_pack(files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """Pick the largest pack and flip bytes in its middle; return its name and new content."""
    name, content = max(files, key=lambda item: len(item[1]))
    middle = len(content) // 2
    damaged = content[:middle] + bytes(b ^ 0xFF for b in content[middle : middle + 64])
    return name, damaged + content[middle + 64 :]


def corrupt_local_pack(repo: Path) -> str:
    packs = [p for p in (repo / "data").rglob("*") if p.is_file()]
    name, damaged = flip_bytes_in_a_pack([(str(p), p.read_bytes()) for p in packs])
    os.chmod(name, 0o600)
    Path(name).write_bytes(damaged)
    return Path(name).name
