"""Evidence file names and the play recap: hostile or odd inventory names."""

from __future__ import annotations

import json
from pathlib import Path

from bulwark.report import gather


def test_evidence_file_name_is_a_digest_whatever_the_host_name() -> None:
    for name in ("../../x/evil", "web 01", "/etc/passwd", "a" * 300):
        fname = gather.evidence_file_name(name)
        assert "/" not in fname and ".." not in fname and len(fname) == 69
    assert gather.evidence_file_name("a") != gather.evidence_file_name("b")


RECAP = """fatal: [web 01]: UNREACHABLE! => changed=false
  msg: 'Failed to connect to the host via ssh: ssh: Could not resolve hostname web 01'
  unreachable: true

PLAY RECAP *********************************************************************
../../x/evil               : ok=5    changed=0    unreachable=0    failed=0    skipped=0
web 01                     : ok=0    changed=0    unreachable=1    failed=0    skipped=0
"""


def _gather(tmp_path: Path, monkeypatch, returncode: int, stdout: str, with_evidence: str,
            env: dict[str, str] | None = None) -> gather.Gathered:
    """gather() over a fake ansible-playbook that prints `stdout` and writes the evidence of
    `with_evidence`; the environment it was given lands in `env`."""
    class Proc:
        pass

    def run(argv: list[str], **kw: object) -> Proc:
        if env is not None:
            env.update(kw["env"])  # type: ignore[arg-type]
        directory = Path(json.loads(argv[argv.index("-e") + 1])["bulwark_evidence_dir"])
        (directory / gather.evidence_file_name(with_evidence)).write_text('{"probe": ""}')
        proc = Proc()
        proc.returncode, proc.stdout, proc.stderr = returncode, stdout, ""  # type: ignore[attr-defined]
        return proc

    monkeypatch.setattr(gather.subprocess, "run", run)
    playbook = tmp_path / "p.yml"
    playbook.write_text("---\n")
    return gather.gather(tmp_path / "inv", None, tmp_path, playbook)


def test_recap_with_spaces_is_unreachable_with_the_reason(tmp_path: Path,
                                                          monkeypatch) -> None:
    got = _gather(tmp_path, monkeypatch, 4, RECAP, "../../x/evil")
    assert got.evidence == {"../../x/evil": {"probe": ""}}
    assert got.problems["web 01"].startswith("host unreachable over SSH (Failed to connect")
    assert not list(tmp_path.parent.glob("x"))


def test_a_coloured_recap_still_names_the_hosts(tmp_path: Path, monkeypatch) -> None:
    # Molecule exports ANSIBLE_FORCE_COLOR=1: the play must run without colour, and a recap
    # that has colour anyway is still read.
    monkeypatch.setenv("ANSIBLE_FORCE_COLOR", "1")
    seen: dict[str, str] = {}
    recap = ("PLAY RECAP ****\n\x1b[0;32mweb1\x1b[0m   : \x1b[0;32mok=6   \x1b[0m "
             "changed=0    unreachable=0    failed=0    skipped=0\n")
    got = _gather(tmp_path, monkeypatch, 0, recap, "web1", env=seen)
    assert got.evidence == {"web1": {"probe": ""}} and not got.problems
    assert seen["ANSIBLE_FORCE_COLOR"] == "0" and seen["ANSIBLE_NOCOLOR"] == "1"
