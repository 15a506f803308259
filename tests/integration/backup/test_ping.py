"""monitoring.ping_url: /start, success or /fail (exit code + last lines) around run and drill;
a ping that fails never fails the backup."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.integration.backup.conftest import Site

pytestmark = pytest.mark.integration

TOKEN = "5f1c2b9e-bulwark-check-token"


class _Recorder(http.server.BaseHTTPRequestHandler):
    pings: list[tuple[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).pings.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def monitor() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    pings: list[tuple[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"pings": pings})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{TOKEN}", pings
    finally:
        server.shutdown()


def test_run_and_drill_ping_start_and_success(site: Site, monitor) -> None:  # noqa: ANN001
    url, pings = monitor
    site.write_config(monitoring={"ping_url": url}, status_object=False)
    assert site.bulwark("init").returncode == 0
    done = site.bulwark("run")
    assert done.returncode == 0, done.stderr
    assert [path for path, _ in pings] == [f"/{TOKEN}/start", f"/{TOKEN}"]
    assert "backup -> primary: snapshot" in pings[1][1]
    pings.clear()
    drill = site.bulwark("drill")
    assert drill.returncode == 0, drill.stderr
    assert [path for path, _ in pings] == [f"/{TOKEN}/start", f"/{TOKEN}"]


def test_a_failed_run_pings_fail_with_its_exit_code(site: Site, monitor) -> None:  # noqa: ANN001
    url, pings = monitor
    site.write_config(monitoring={"ping_url": url}, status_object=False)  # no init: no repo
    done = site.bulwark("run")
    assert done.returncode == 1
    assert [path for path, _ in pings] == [f"/{TOKEN}/start", f"/{TOKEN}/fail"]
    body = pings[1][1]
    assert body.startswith("exit code 1\n") and "no repository" in body


def test_a_dead_monitor_never_fails_the_backup(site: Site) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    site.write_config(monitoring={"ping_url": f"http://127.0.0.1:{port}/{TOKEN}"},
                      status_object=False)
    assert site.bulwark("init").returncode == 0
    done = site.bulwark("run")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ping")]
    assert len(warnings) == 2 and f"http://127.0.0.1:{port}/…" in warnings[0]
    assert TOKEN not in done.stderr + done.stdout
    assert len(site.snapshots(str(site.root / "repo-primary"))) == 1


def test_a_ping_url_that_is_not_http_is_refused(site: Site) -> None:
    site.write_config(monitoring={"ping_url": "ftp://example.com/x"})
    done = site.bulwark("check-config")
    assert done.returncode == 2 and "monitoring.ping_url" in done.stderr
