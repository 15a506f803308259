"""Parse the raw evidence one host produced (playbooks/evidence.yml) into plain values.

Each function takes the evidence document and answers one question; none raises on missing
or odd input, because a host that lacks a tool is a finding, not a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


def _rows(text: Any, min_fields: int) -> Iterator[tuple[str, list[str]]]:
    """(line, whitespace-split fields) of every line of command output or a file that has at
    least `min_fields` fields; shorter lines (headers, blanks, noise) are skipped."""
    for line in str(text).splitlines():
        fields = line.split()
        if len(fields) >= min_fields:
            yield line, fields


def flag(ev: dict[str, Any], key: str) -> bool:
    """A yes/no fact: a JSON boolean, or the string Ansible templating may make of one."""
    return ev.get(key) in (True, "True", "true")


def sshd_settings(ev: dict[str, Any]) -> dict[str, str] | None:
    """`sshd -T` as {keyword: value}; None if sshd could not report its configuration."""
    sshd = ev.get("sshd") or {}
    if str(sshd.get("rc")) != "0":
        return None
    settings: dict[str, str] = {}
    for line in str(sshd.get("out", "")).splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            settings.setdefault(key.lower(), value.strip())
    return settings


@dataclass(frozen=True)
class AccountStatus:
    user: str
    state: str  # P usable password, L locked, NP no password
    max_days: int | None


def account_statuses(ev: dict[str, Any]) -> list[AccountStatus]:
    """`passwd --status --all`: one line per account (state only, never a hash)."""
    out = []
    for _, parts in _rows(ev.get("passwd_status", ""), 2):
        max_days = int(parts[4]) if len(parts) > 4 and parts[4].lstrip("-").isdigit() else None
        out.append(AccountStatus(parts[0], parts[1], max_days))
    return out


def uid_zero_accounts(ev: dict[str, Any]) -> list[str]:
    """getent passwd: {user: [x, uid, gid, gecos, home, shell]}."""
    passwd = ev.get("passwd") or {}
    return sorted(u for u, fields in passwd.items() if fields and str(fields[1]) == "0")


def login_defs(ev: dict[str, Any]) -> dict[str, str]:
    return {parts[0]: parts[1] for _, parts in _rows(file_text(ev, "/etc/login.defs"), 2)
            if not parts[0].startswith("#")}


def key_values(text: str) -> dict[str, str]:
    """`key = value` files (pwquality.conf, faillock.conf, journald.conf)."""
    values = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def merged_conf(ev: dict[str, Any], main: str, dropin_dir: str) -> dict[str, str]:
    """`main` overridden by `dropin_dir/*.conf` in name order, as libpwquality/systemd read."""
    files = ev.get("files") or {}
    values = key_values(files.get(main) or "")
    for path in sorted(p for p in files if p.startswith(dropin_dir.rstrip("/") + "/")):
        values.update(key_values(files.get(path) or ""))
    return values


def pam_module_args(ev: dict[str, Any], path: str, module: str) -> dict[str, str]:
    """`key=value` arguments given to `module` in a PAM stack file (they win over files)."""
    args: dict[str, str] = {}
    for line in file_text(ev, path).splitlines():
        if line.strip().startswith("#") or f"{module}.so" not in line:
            continue
        for word in line.split(f"{module}.so", 1)[1].split():
            key, sep, value = word.partition("=")
            if sep:
                args[key] = value
    return args


def file_text(ev: dict[str, Any], path: str) -> str:
    return (ev.get("files") or {}).get(path) or ""


def pam_modules(ev: dict[str, Any], path: str) -> set[str]:
    """Modules active in a PAM stack file (comment lines ignored)."""
    found = set()
    for line in file_text(ev, path).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            found.update(re.findall(r"(pam_\w+)\.so", line))
    return found


@dataclass(frozen=True)
class Listener:
    proto: str
    port: int
    address: str
    process: str


def listeners(ev: dict[str, Any]) -> list[Listener]:
    """`ss -tuln -p` rows: proto, state, recv-q, send-q, local, peer, [process]."""
    out = []
    for line, parts in _rows(ev.get("listening", ""), 5):
        address, _, port = parts[4].rpartition(":")
        if not port.isdigit():
            continue
        proc = re.search(r'\(\("([^"]+)"', line)
        out.append(Listener(parts[0], int(port), address, proc.group(1) if proc else "?"))
    return out


def pending_security_updates(ev: dict[str, Any]) -> tuple[int | None, int, list[str]]:
    """(security updates, all updates, security package names); None when apt cannot tell."""
    apt = ev.get("apt") or {}
    if str(apt.get("rc")) != "0" or not int(apt.get("lists") or 0):
        return None, 0, []
    security, total = [], 0
    for line in str(apt.get("out", "")).splitlines():
        if not line.startswith("Inst "):
            continue
        total += 1
        if re.search(r"[-/]security\b|Debian-Security", line):
            security.append(line.split()[1])
    return len(security), total, security


def nft_input_policy(ev: dict[str, Any]) -> tuple[str | None, str]:
    """The policy of the input hook chains ('drop' if any is drop) and a one-line reason."""
    nft = ev.get("nft") or {}
    if str(nft.get("rc")) != "0":
        err = str(nft.get("err") or "").strip().splitlines()
        if not err and str(nft.get("rc")) == "2":
            return None, "nft not installed: no host firewall"
        return None, f"nft failed (rc {nft.get('rc')}{': ' + err[0] if err else ''})"
    text = str(nft.get("out", ""))
    policies = re.findall(r"hook input priority [^;]+;\s*policy (\w+);", text)
    if not policies:
        return None, "no input chain in the ruleset"
    return ("drop" if "drop" in policies else policies[0]), f"input chain policies: {policies}"


def json_doc(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def backup_runs(ev: dict[str, Any], command: str | None = None) -> list[dict[str, Any]]:
    """The recent records of runs.jsonl, oldest first; only `command`'s when given."""
    runs = []
    for line in str(ev.get("runs_tail", "")).splitlines():
        doc = json_doc(line.strip())
        if doc is not None and (command is None or doc.get("command") == command):
            runs.append(doc)
    return runs


def last_backup_success(ev: dict[str, Any]) -> tuple[float | None, dict[str, float]]:
    """Newest successful backup (epoch seconds) across repositories, and per repository."""
    state = json_doc(file_text(ev, "/var/lib/bulwark/state.json")) or {}
    per_repo = {}
    for name, repo in (state.get("repositories") or {}).items():
        when = repo.get("last_success") if isinstance(repo, dict) else None
        if isinstance(when, int | float):
            per_repo[name] = float(when)
    return (max(per_repo.values()) if per_repo else None), per_repo


def service_active(ev: dict[str, Any], *names: str) -> str | None:
    """The first of `names` that is installed, with its state, or None if none is."""
    services = ev.get("services") or {}
    for name in names:
        svc = services.get(name) or services.get(f"{name}.service")
        if isinstance(svc, dict) and svc.get("status") != "not-found":
            return f"{svc.get('name', name)} {svc.get('state')}"
    return None


def iso_epoch(value: Any) -> float | None:
    """An ISO 8601 timestamp (as the drill report writes) as epoch seconds."""
    from datetime import UTC, datetime

    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
