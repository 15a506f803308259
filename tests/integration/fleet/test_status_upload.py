"""When the status object cannot be uploaded: the run stays recorded, a good run exits 1 with one
line, a failed run keeps its own error. The S3 endpoint really goes away: a private moto server
is killed by the restic wrapper right after the run's last restic call."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.s3 import S3Server, _free_port, _moto_command, _wait_ready
from tests.integration.backup.conftest import Site, assert_one_line_error, make_site

pytestmark = pytest.mark.integration


@pytest.fixture
def private_s3(tmp_path: Path) -> Iterator[tuple[S3Server, subprocess.Popen[bytes]]]:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with (tmp_path / "private-moto.log").open("wb") as out:
        proc = subprocess.Popen(_moto_command(port), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_ready(endpoint, proc)
        yield S3Server(endpoint=endpoint, access_key="private", secret_key="private-secret"), proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_upload_failure_after_a_good_run_then_with_a_failed_run(
    tmp_path: Path, private_s3: tuple[S3Server, subprocess.Popen[bytes]]
) -> None:
    server, proc = private_s3
    site: Site = make_site(tmp_path)
    site.add_s3_offsite(server, server.url("gone", "fleet/host1"))
    # The endpoint dies after the last restic call of the run (retention on the offsite).
    wrapper = site.root / "restic-then-s3-dies"
    wrapper.write_text(
        '#!/bin/sh\nrestic "$@"\nrc=$?\n'
        f'case "$RESTIC_REPOSITORY $* " in s3:*" forget "*) kill -9 {proc.pid}; sleep 0.2;; esac\n'
        'exit $rc\n')
    wrapper.chmod(0o755)
    site.write_config(restic_binary=str(wrapper))
    assert site.bulwark("init").returncode == 0

    done = site.bulwark("run")
    line = assert_one_line_error(done, 1, "status object upload to offsite failed",
                                 f"cannot connect to {server.endpoint}")
    assert line.startswith("bulwark: error: ")
    assert f"warning: status object upload to offsite failed: cannot connect to " \
           f"{server.endpoint}" in done.stdout
    assert proc.poll() is not None  # the endpoint really is gone
    run = site.runs()[-1]  # the run is recorded, and recorded as the success it was
    assert run["command"] == "run" and run["result"] == "ok"
    assert [s["step"] for s in run["steps"]] == ["backup", "retention", "copy", "retention"]
    state = json.loads((site.state / "state.json").read_text())
    assert state["repositories"]["offsite"]["last_success"] == run["finished_at"]

    # Now the run itself fails (the offsite is unreachable): its own error and exit code stay.
    done = site.bulwark("run", timeout=60)
    assert_one_line_error(done, 1, "copy on offsite", f"cannot connect to {server.endpoint}")
    assert "warning: status object upload to offsite failed" in done.stdout
    runs = site.runs()
    assert len(runs) == 3 and runs[-1]["result"] == "failed"

