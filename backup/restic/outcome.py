"""What a restic command that the caller judges itself (restore, check) ended with."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from bulwark.backup.execute import ResticResult, Target, error_line

# Words in the lines where restic names what it found damaged or could not restore.
_FINDING = re.compile(r"error|does not match|fail|damaged", re.IGNORECASE)
_FATAL = re.compile(r"^Fatal:")


class Outcome(BaseModel):
    """Exit status and output of one restic command, whatever the exit status."""

    model_config = ConfigDict(frozen=True)

    command: str
    repository: str
    returncode: int
    stderr: str
    text: tuple[str, ...] = ()
    seconds: float = 0.0

    @classmethod
    def of(cls, command: str, target: Target, result: ResticResult) -> Outcome:
        return cls(command=command, repository=target.name, returncode=result.returncode,
                   stderr=result.stderr, text=tuple(result.text), seconds=result.duration)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def problem(self, limit: int = 3) -> str:
        """One line naming what restic found: the damaged pack or file, then its Fatal: verdict."""
        output = "\n".join([self.stderr, *self.text])
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        findings = [line for line in lines if not _FATAL.match(line) and _FINDING.search(line)]
        fatal = error_line(output, _FATAL, fallback=False)
        detail = "; ".join(findings[:limit] + ([fatal] if fatal else [])) or error_line(
            output, last=True)
        if len(findings) > limit:
            detail += f" (and {len(findings) - limit} more)"
        return (f"restic {self.command} on {self.repository} exited {self.returncode}: "
                f"{detail[:600]}")
