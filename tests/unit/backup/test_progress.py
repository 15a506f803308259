"""The terminal progress line and when it is shown."""

from __future__ import annotations

import io

import pytest

from bulwark.backup.progress import TerminalProgress, for_terminal, human_bytes, status_line


def test_status_line_from_restic_status() -> None:
    line = status_line({"message_type": "status", "percent_done": 0.42, "total_files": 5000,
                        "files_done": 1200, "total_bytes": 1288490188, "bytes_done": 125829120,
                        "seconds_remaining": 91})
    assert line == " 42.0%  1200/5000 files  120.0 MiB/1.2 GiB  ETA 1:31"


def test_human_bytes() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(3 * 1024**3) == "3.0 GiB"


def test_progress_rewrites_one_line() -> None:
    stream = io.StringIO()
    progress = TerminalProgress(stream)
    progress({"percent_done": 0.5})
    progress({"percent_done": 1.0})
    progress.clear()
    assert stream.getvalue().count("\r") == 4 and "\n" not in stream.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_under_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    assert for_terminal(_Tty()) is not None
    assert for_terminal(io.StringIO()) is None
    monkeypatch.setenv("INVOCATION_ID", "abc")
    assert for_terminal(_Tty()) is None
