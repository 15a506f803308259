"""The runner for commands other than restic, and the one stderr summariser (execute.py)."""

from __future__ import annotations

import io
import re

import pytest

from bulwark.backup.execute import error_line, run_command
from bulwark.backup.hooks.postgresql import _first_error, dump_failure
from bulwark.backup.restic.outcome import Outcome

PG_DUMP_PASSWORD = (
    'pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: '
    'FATAL:  password authentication failed for user "shop"\n'
)


def test_output_exit_status_and_environment_of_a_real_command() -> None:
    done = run_command(["sh", "-c", 'echo "out $WHO"; echo err >&2; exit 3'],
                       env={"WHO": "bulwark"})
    assert (done.returncode, done.stdout, done.stderr) == (3, "out bulwark\n", "err\n")


def test_a_fed_stream_reaches_stdin_and_is_counted() -> None:
    data = b"x" * (3 << 20)  # more than one chunk and more than a pipe holds
    done = run_command(["wc", "-c"], env={}, feed=io.BytesIO(data))
    assert done.returncode == 0 and done.fed == len(data)
    assert done.stdout.strip() == str(len(data))


def test_a_command_that_stops_reading_is_not_an_error_of_the_runner() -> None:
    done = run_command(["sh", "-c", "head -c 10 >/dev/null; echo stopped >&2; exit 1"],
                       env={}, feed=io.BytesIO(b"y" * (8 << 20)))
    assert done.returncode == 1 and done.stderr == "stopped\n"


def test_a_missing_program_raises_for_the_caller_to_name() -> None:
    with pytest.raises(OSError):
        run_command(["/nonexistent/pg_dump"], env={})


def test_error_line_takes_the_first_or_last_marked_line_else_the_first_or_last_line() -> None:
    text = "note: one\nERROR: first  problem\nERROR: second\nbye\n"
    marker = re.compile(r"ERROR:")
    assert error_line(text, marker) == "first problem"
    assert error_line(text, marker, last=True) == "second"
    assert error_line("a\n\n b \n", marker) == "a"
    assert error_line("a\n\n b \n", marker, last=True) == "b"
    assert error_line("a\nb\n", marker, fallback=False) == ""
    assert error_line("", marker) == ""
    assert error_line("x: " + "y" * 500, limit=300) == ("x: " + "y" * 500)[:300]


def test_libpq_errors_keep_the_innermost_message() -> None:
    assert _first_error(PG_DUMP_PASSWORD) == 'password authentication failed for user "shop"'
    assert _first_error("") == ""


def test_a_failed_dump_is_named_by_its_first_error_line_without_the_program_name() -> None:
    stderr = ("pg_dump: error: query failed: ERROR:  permission denied for table secret\n"
              "pg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE\n")
    assert dump_failure(1, stderr) == (
        "error: query failed: ERROR: permission denied for table secret")
    assert dump_failure(1, "pg_dump: killed\n") == "killed"
    assert dump_failure(-9, "") == "exit status -9"


def test_restic_problem_names_findings_then_the_fatal_verdict() -> None:
    outcome = Outcome(command="check", repository="primary", returncode=1, stderr=(
        "using temporary cache\n"
        "error for tree 1a2b: blob 3c4d not found\n"
        "pack 5e6f: does not match its hash\n"
        "Fatal: repository contains errors\n"), text=("check snapshots, trees and blobs",))
    assert not outcome.ok
    assert outcome.problem() == (
        "restic check on primary exited 1: error for tree 1a2b: blob 3c4d not found; "
        "pack 5e6f: does not match its hash; repository contains errors")
    quiet = Outcome(command="restore", repository="s3", returncode=2, stderr="something odd\n")
    assert quiet.problem() == "restic restore on s3 exited 2: something odd"
