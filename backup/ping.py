"""Dead-man's-switch pings (healthchecks.io-compatible) around every `run` and `drill`.

With `monitoring.ping_url: https://hc-ping.com/<uuid>` in the config:

    <ping_url>/start   when the command starts (the monitor measures the duration)
    <ping_url>         when it succeeded, the last lines of its output as the body
    <ping_url>/fail    when it failed, `exit code N` and the last lines of its output

A monitor that stops hearing from a host alerts by itself (a dead timer, a dead host); that is
the point. A ping that fails never fails the backup: it is logged as one `warning:` line that
names only the ping URL's scheme and host (the path is the check's secret token).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

TIMEOUT = 10
BODY_LIMIT = 10_000  # healthchecks.io keeps the first 10 kB of a ping body


class Pinger:
    def __init__(self, url: str | None, *, warn: Callable[[str], None],
                 timeout: float = TIMEOUT):
        self.url = url.rstrip("/") if url else None
        self.warn = warn
        self.timeout = timeout

    def start(self) -> None:
        self._send("/start", "")

    def success(self, lines: Iterable[str]) -> None:
        self._send("", "\n".join(lines))

    def fail(self, exit_code: int, lines: Iterable[str]) -> None:
        self._send("/fail", "\n".join([f"exit code {exit_code}", *lines]))

    def _send(self, suffix: str, body: str) -> None:
        if self.url is None:
            return
        request = urllib.request.Request(
            self.url + suffix, data=body.encode()[-BODY_LIMIT:], method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            parts = urlsplit(self.url)
            reason = getattr(exc, "reason", None) or exc
            self.warn(f"warning: ping {suffix or '/'} to {parts.scheme}://{parts.netloc}/… "
                      f"failed: {reason}")
