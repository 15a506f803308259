"""One password guess over SSH, classified. The only place `scan-creds` talks SSH.

Each guess uses a fresh connection, as an attacker's tool would, and closes it in `finally`:
an accepted password never gets a channel (no shell, no session is opened) and nothing is
left established. paramiko's Transport is used directly rather than SSHClient.connect so the
outcome is exact: SSHClient folds "method not offered" and "wrong password" into one error.
Host keys are not checked: the audit asks what any client reaching the port could do.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from dataclasses import dataclass, field
from enum import StrEnum

import paramiko

# paramiko logs protocol noise ("unhandled type 3") to the root handler; the outcome is ours.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False

AUTH_FAILURE_DELAY = 10.0  # seconds added to the auth wait for the server's failure delay


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    METHOD_NOT_ALLOWED = "password auth disabled"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    detail: str = ""
    methods: tuple[str, ...] = field(default_factory=tuple)  # what the server offered


def try_password(address: str, port: int, user: str, password: str, timeout: float) -> Attempt:
    """Try `user`/`password` once (password, else keyboard-interactive) and say what happened."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except TimeoutError:
        return Attempt(Outcome.TIMEOUT, f"no TCP answer within {timeout:g}s")
    except OSError as exc:
        return Attempt(Outcome.UNREACHABLE, exc.strerror or type(exc).__name__)
    except UnicodeError as exc:  # the idna codec refuses the name (a label over 63 chars, "a..b")
        return Attempt(Outcome.UNREACHABLE, f"invalid host name ({exc.__cause__ or exc})")
    transport = None
    try:
        transport = paramiko.Transport(sock)
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        # sshd (PAM) delays every failed password by ~2-3 s; that is an answer, not a hang.
        transport.auth_timeout = timeout + AUTH_FAILURE_DELAY
        transport.start_client(timeout=timeout)
        if transport.session_id is None:  # start_client gave up waiting: no key exchange
            return Attempt(Outcome.TIMEOUT, f"no SSH handshake within {timeout:g}s")
        return _authenticate(transport, user, password)
    except paramiko.SSHException as exc:
        text = str(exc) or type(exc).__name__
        if "banner" in text.lower() or "timed out" in text.lower():
            return Attempt(Outcome.TIMEOUT, f"no SSH handshake within {timeout:g}s ({text})")
        return Attempt(Outcome.ERROR, text.splitlines()[0])
    except (TimeoutError, EOFError) as exc:
        return Attempt(Outcome.TIMEOUT, f"connection stalled: {type(exc).__name__}")
    except OSError as exc:
        return Attempt(Outcome.ERROR, exc.strerror or type(exc).__name__)
    finally:
        # shutdown() first: it sends the FIN now and wakes paramiko's reader thread, which
        # otherwise keeps the connection established until its blocking read returns.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        if transport is not None:
            transport.close()
        sock.close()


def _authenticate(transport: paramiko.Transport, user: str, password: str) -> Attempt:
    try:
        remaining = transport.auth_password(user, password, fallback=False)
        return _accepted(remaining, "password")
    except paramiko.BadAuthenticationType as exc:
        methods = tuple(exc.allowed_types)
    except paramiko.AuthenticationException as exc:
        return _failed(exc)
    if "keyboard-interactive" not in methods:
        return Attempt(Outcome.METHOD_NOT_ALLOWED, f"server offers {','.join(methods)}", methods)
    # PAM behind keyboard-interactive checks the same password: answer every prompt with it.
    def answer(_title: str, _instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
        return [password] * len(prompts)

    try:
        remaining = transport.auth_interactive(user, answer)
        return _accepted(remaining, "keyboard-interactive", methods)
    except paramiko.BadAuthenticationType as exc:
        return Attempt(Outcome.METHOD_NOT_ALLOWED, "server offers publickey only",
                       tuple(exc.allowed_types))
    except paramiko.AuthenticationException as exc:
        return _failed(exc, methods)


def _accepted(remaining: list[str], how: str, methods: tuple[str, ...] = ()) -> Attempt:
    if remaining:
        return Attempt(Outcome.ACCEPTED,
                       f"{how} accepted; server then asks for {','.join(remaining)}", methods)
    return Attempt(Outcome.ACCEPTED, f"{how} accepted", methods)


def _failed(exc: paramiko.AuthenticationException, methods: tuple[str, ...] = ()) -> Attempt:
    if "timeout" in str(exc).lower():
        return Attempt(Outcome.TIMEOUT, "authentication timed out", methods)
    return Attempt(Outcome.REJECTED, "", methods)
