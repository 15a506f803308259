"""Errors a user can cause or fix. The CLI prints their message on one line and exits non-zero."""

from __future__ import annotations


class BulwarkError(Exception):
    """A problem the operator can act on: reported as one clear line, never a traceback."""

    exit_code = 2


class LabError(BulwarkError):
    """The local lab cannot do what was asked (podman missing, port taken, unknown host…)."""
