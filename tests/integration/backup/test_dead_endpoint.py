"""A dead S3 endpoint fails in seconds, named, and the rest of the run still happens
(issue 14, item 9: it took 353 s). Dead means: accepts TCP and never answers (a hung proxy,
the worst case), or refuses the connection."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.fixtures.s3 import S3Server
from tests.fixtures.silent_tcp import silent_tcp_server
from tests.integration.backup.conftest import Site, assert_one_line_error

pytestmark = pytest.mark.integration


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """127.0.0.1:<random port>: accepts connections, reads nothing, never answers."""
    with silent_tcp_server() as port:
        yield f"http://127.0.0.1:{port}"


def refused_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed again: refused


@pytest.mark.parametrize("kind", ["silent", "refused"])
def test_dead_offsite_fails_fast_and_the_rest_of_the_run_happens(
    site: Site, s3_server: S3Server, silent_endpoint: str, kind: str
) -> None:
    dead = silent_endpoint if kind == "silent" else refused_endpoint()
    env_file = site.add_s3_offsite(s3_server, s3_server.url(f"bulwark-dead-{kind}", "host1"))
    site.write_config()
    assert site.bulwark("init", timeout=300).returncode == 0
    good = site.repositories.pop("offsite")
    site.repositories["dead"] = {"url": f"s3:{dead}/bucket/host1", "env_file": str(env_file)}
    site.repositories["offsite"] = good  # after the dead one: it must still get its copy
    site.write_config()
    started = time.monotonic()
    done = site.bulwark("run", timeout=300)
    elapsed = time.monotonic() - started
    line = assert_one_line_error(done, 1, "copy on dead", dead.removeprefix("http://"))
    assert elapsed < 45, elapsed  # the probe gives up after ~9 s; was 353 s
    assert "copy primary -> offsite: 1 copied" in done.stdout
    assert "retention on offsite" in done.stdout
    assert len(site.snapshots(site.repositories["primary"]["url"])) == 1
    assert "did not answer" in line if kind == "silent" else "cannot connect" in line
    assert "warning: status object upload to dead failed: not attempted" in done.stdout
