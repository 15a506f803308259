"""Gather evidence by running playbooks/evidence.yml with the operator's own Ansible setup.

Ansible (not a second SSH client) so that become, vault, bastions and ssh options work
exactly as they do for the hardening playbooks. The playbook only reads; each host's facts
land as JSON in a private temp dir on the controller, and the run's log is kept next to the
report for the auditor.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulwark.errors import BulwarkError
from bulwark.report import probe

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PLAYBOOK = REPO_ROOT / "playbooks" / "evidence.yml"
# Host names may contain spaces: the name is everything before the padded " : ok=".
_RECAP = re.compile(r"^(\S.*?)\s*:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)",
                    re.M)
_UNREACHABLE = re.compile(r"^fatal: \[(.+?)\]: UNREACHABLE! =>(.*(?:\n\s+.*)*)", re.M)


class GatherError(BulwarkError):
    """Evidence could not be gathered at all (no ansible-playbook, missing playbook)."""


@dataclass
class Gathered:
    evidence: dict[str, dict[str, Any]]  # host -> evidence document
    problems: dict[str, str]  # host -> why there is none
    log: str


def evidence_file_name(host: str) -> str:
    """The evidence file of `host`: a digest of its name, so no inventory name (`../../x`,
    spaces, slashes) can choose where the playbook writes. Same as the playbook's
    `inventory_hostname | hash('sha256')`."""
    return hashlib.sha256(host.encode("utf-8")).hexdigest() + ".json"


def _reason(detail: str) -> str:
    msg = re.search(r"msg['\"]?:\s*['\"]?(.+)", detail)
    text = (msg.group(1) if msg else detail).strip().strip("'\",}")
    return text.splitlines()[0][:200] if text else "no detail"


def ansible_playbook() -> str:
    found = shutil.which("ansible-playbook") or str(Path(sys.executable).with_name(
        "ansible-playbook"))
    if not Path(found).exists():
        raise GatherError("ansible-playbook not found (install bulwark with its dependencies)")
    return found


def gather(inventory: Path, limit: str | None, workdir: Path,
           playbook: Path = DEFAULT_PLAYBOOK, timeout: float = 1800) -> Gathered:
    if not playbook.exists():
        raise GatherError(f"evidence playbook not found: {playbook}")
    evidence_dir = workdir / "evidence"
    evidence_dir.mkdir(mode=0o700, exist_ok=True)
    argv = [ansible_playbook(), "-i", str(inventory), str(playbook),
            "-e", json.dumps({"bulwark_evidence_dir": str(evidence_dir)})]
    if limit:
        argv += ["--limit", limit]
    env = dict(os.environ)
    if "ANSIBLE_CONFIG" not in env and not Path("ansible.cfg").exists():
        env["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
    # The recap below is parsed: no colour, whatever the caller's environment asks for (Molecule
    # exports ANSIBLE_FORCE_COLOR=1, which used to make every host's evidence "not gathered").
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise GatherError(f"evidence playbook did not finish within {timeout:g}s") from exc
    log = probe.ANSI_ESCAPES.sub("", proc.stdout + proc.stderr)
    evidence, problems = {}, {}
    files = {p.name: p for p in evidence_dir.glob("*.json")}
    reasons = {host: _reason(detail) for host, detail in _UNREACHABLE.findall(log)}
    for host, unreachable, _failed in _RECAP.findall(log):
        path = files.get(evidence_file_name(host))
        if path is not None:
            try:
                evidence[host] = json.loads(path.read_text(encoding="utf-8"))
                continue
            except (OSError, ValueError) as exc:
                problems[host] = f"evidence file unreadable: {exc}"
                continue
        problems[host] = (f"host unreachable over SSH ({reasons.get(host, 'no detail')})"
                          if unreachable != "0" else "evidence playbook failed on this host")
    if proc.returncode != 0 and not evidence and not problems:
        tail = [line for line in log.strip().splitlines() if line.strip()][-1:] or ["no output"]
        raise GatherError(f"ansible-playbook failed (exit {proc.returncode}): {tail[0]}")
    return Gathered(evidence, problems, log)
