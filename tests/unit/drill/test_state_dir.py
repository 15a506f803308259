"""A drill that could not record its result must not start: state_dir is checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bulwark.backup.actions.drill import DrillOptions, run_drill
from bulwark.backup.config import BackupConfig
from bulwark.backup.errors import InputError


class NoRestic:
    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("restic ran although the drill could not be recorded")


def test_unwritable_state_dir_stops_the_drill_before_any_restore(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be")
    password = tmp_path / "pass"  # every other pre-flight check passes
    password.write_text("correct horse battery staple\n")
    password.chmod(0o600)
    config = BackupConfig.model_validate({
        "sources": [tmp_path], "password_file": tmp_path / "pass",
        "state_dir": blocker / "bulwark", "repositories": {"primary": {"url": str(tmp_path)}},
    })
    with pytest.raises(InputError) as caught:
        run_drill(config, NoRestic(), DrillOptions())  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"state_dir {blocker / 'bulwark'}: cannot create")
    assert caught.value.exit_code == 2
