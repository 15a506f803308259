"""Run the real pg_dump exactly as `backup run` does: dump_argv under client_env."""

from __future__ import annotations

import os
import subprocess

from bulwark.backup.hooks.postgresql import PostgresDatabase, client_env, dump_argv


def dump_bytes(db: PostgresDatabase) -> bytes:
    result = subprocess.run(
        dump_argv(db),
        env={**os.environ, **client_env(db)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def scratch_left(names: list[str]) -> list[str]:
    return [name for name in names if name.startswith("bulwark_drill_")]
