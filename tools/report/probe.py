"""Parse the output of playbooks/files/evidence-probe.sh ("### section" blocks) into values.

Like facts.py, nothing here raises on missing or odd input: an absent section is an empty
string, and the checks turn that into UNKNOWN or FAIL with a reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PROBE_USER = "bulwark-nonadmin-probe"  # a name that is nobody's: what a non-admin gets


def sections(ev: dict[str, Any]) -> dict[str, str]:
    cached = ev.get("_sections")
    if isinstance(cached, dict):
        return cached
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in str(ev.get("probe") or "").splitlines():
        if line.startswith("### "):
            current = out.setdefault(line[4:].strip(), [])
        elif current is not None:
            current.append(line)
    parsed = {k: "\n".join(v) for k, v in out.items()}
    ev["_sections"] = parsed
    return parsed


def has_probe(ev: dict[str, Any]) -> bool:
    return "end" in sections(ev)


def section(ev: dict[str, Any], name: str) -> str:
    return sections(ev).get(name, "")


def sshd_per_user(ev: dict[str, Any]) -> dict[str, dict[str, str] | None]:
    """`sshd -T -C user=U,…` per account: {user: {keyword: value}} (None: sshd failed)."""
    out: dict[str, dict[str, str] | None] = {}
    for name, text in sections(ev).items():
        if not name.startswith("sshd "):
            continue
        lines = text.splitlines()
        if not lines or lines[-1].strip() != "rc=0":
            out[name[5:]] = None
            continue
        settings: dict[str, str] = {}
        for line in lines[:-1]:
            key, _, value = line.strip().partition(" ")
            if key:
                # Repeated keywords (allowusers, …) are joined, as sshd applies them all.
                settings[key.lower()] = (settings[key.lower()] + " " + value.strip()
                                         if key.lower() in settings else value.strip())
        out[name[5:]] = settings
    return out


def sudo_per_user(ev: dict[str, Any]) -> dict[str, str]:
    return {name[5:]: text for name, text in sections(ev).items() if name.startswith("sudo ")}


def sudo_commands(text: str) -> list[str]:
    """The command lines `sudo -l -U` lists (empty when the user may not run sudo)."""
    if "is not allowed to run sudo" in text or "not installed" in text:
        return []
    _, _, tail = text.partition("may run the following commands")
    return [line.strip() for line in tail.splitlines()[1:] if line.strip()]


@dataclass(frozen=True)
class ShadowEntry:
    user: str
    scheme: str  # "$y$", "$6$", "*", "" (empty password), …
    locked: bool
    max_days: int | None


def shadow(ev: dict[str, Any]) -> list[ShadowEntry]:
    out = []
    for line in section(ev, "shadow-schemes").splitlines():
        parts = line.split(" ")
        if len(parts) < 2:
            continue
        raw = parts[1]
        locked = raw.startswith("locked:")
        scheme = raw[len("locked:"):] if locked else raw
        max_days = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        out.append(ShadowEntry(parts[0], scheme, locked, max_days))
    return out


def apt_config(ev: dict[str, Any]) -> dict[str, str]:
    values = {}
    for line in section(ev, "apt-config").splitlines():
        m = re.match(r'^(\S+)\s+"(.*)";', line.strip())
        if m:
            values[m.group(1)] = m.group(2)
    return values


def nft_ruleset(ev: dict[str, Any]) -> list[dict[str, Any]] | None:
    try:
        doc = json.loads(section(ev, "nft-json") or "null")
    except json.JSONDecodeError:
        return None
    items = doc.get("nftables") if isinstance(doc, dict) else None
    return items if isinstance(items, list) else None


@dataclass(frozen=True)
class Timer:
    unit: str
    next: str  # "-" when nothing is scheduled


def timers(ev: dict[str, Any]) -> dict[str, Timer]:
    """`systemctl list-timers --all`: NEXT is the first columns up to the unit name."""
    out = {}
    for line in section(ev, "timers").splitlines():
        fields = line.split()
        unit = next((f for f in fields if f.endswith(".timer")), None)
        if unit:
            out[unit] = Timer(unit, "-" if fields[0] in ("-", "n/a") else " ".join(fields[:4]))
    return out


def unit_files(ev: dict[str, Any]) -> dict[str, str]:
    out = {}
    for line in section(ev, "unit-files").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            out[fields[0]] = fields[1]
    return out


@dataclass(frozen=True)
class Stat:
    mode: int
    owner: str
    group: str


def stats(ev: dict[str, Any]) -> dict[str, Stat]:
    out = {}
    for line in section(ev, "stat").splitlines():
        parts = line.rsplit(" ", 3)
        if len(parts) == 4 and re.fullmatch(r"[0-7]{3,4}", parts[1]):
            out[parts[0]] = Stat(int(parts[1], 8), parts[2], parts[3])
    return out


def packages(ev: dict[str, Any]) -> set[str]:
    return {line.strip().split(":")[0] for line in section(ev, "packages").splitlines()
            if line.strip()}


def sysctl(ev: dict[str, Any]) -> dict[str, str]:
    out = {}
    for line in section(ev, "sysctl").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def key_space_values(text: str) -> dict[str, str]:
    """`KEY value` lines (login.defs, useradd -D as KEY=value is handled by the caller)."""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and not parts[0].startswith("#"):
            out[parts[0]] = parts[1].strip()
    return out


def journald(ev: dict[str, Any]) -> dict[str, str]:
    """The effective journald settings: `systemd-analyze cat-config`, later files win."""
    values = {}
    for line in section(ev, "journald").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("["):
            values[key.strip()] = value.strip()
    return values


# Terminal colour codes (a forced-colour Ansible or a PTY puts them in output).
ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


def expand(ev: dict[str, Any]) -> dict[str, Any]:
    """Fill the evidence keys the checks read (files, passwd, services, apt, drills, …) from the
    probe's sections. Idempotent; keys already present (older evidence files) are kept."""
    if "probe" not in ev or ev.get("_expanded"):
        return ev
    # The script module's output comes through a pty: CRLF line ends, maybe colours.
    ev["probe"] = ANSI_ESCAPES.sub("", str(ev.get("probe") or "")).replace("\r\n", "\n")
    ev.pop("_sections", None)
    secs = sections(ev)
    files = {n[5:]: t + "\n" for n, t in secs.items() if n.startswith("file ")}
    ev.setdefault("files", files)
    ev.setdefault("container", section(ev, "container").strip() == "yes")
    passwd: dict[str, list[str]] = {}
    for line in section(ev, "passwd").splitlines():
        parts = line.split(":")
        if len(parts) >= 7:
            passwd[parts[0]] = parts[1:]
    ev.setdefault("passwd", passwd)
    ev.setdefault("passwd_status", section(ev, "passwd-status"))
    sim = section(ev, "apt-simulate").splitlines()
    rc = sim[-1][3:] if sim and sim[-1].startswith("rc=") else "1"
    lists = section(ev, "apt-lists").strip()
    ev.setdefault("apt", {"rc": rc, "out": "\n".join(sim[:-1]),
                          "lists": int(lists) if lists.isdigit() else 0,
                          "trusted_sources": section(ev, "apt-trusted").split()})
    ev.setdefault("listening", section(ev, "listening"))
    enabled = unit_files(ev)
    services: dict[str, dict[str, str]] = {}
    for line in section(ev, "services").splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0].endswith(".service"):
            services[fields[0]] = {
                "name": fields[0], "state": "running" if fields[3] == "running" else "stopped",
                "status": "not-found" if fields[1] == "not-found"
                else enabled.get(fields[0], "unknown")}
    ev.setdefault("services", services)
    runs = "\n".join(t for n, t in secs.items() if n.startswith("runs "))
    ev.setdefault("runs_tail", runs)
    ev.setdefault("drills", {n[6:]: t for n, t in secs.items() if n.startswith("drill ")})
    ev.setdefault("backup_configs", {p: t for p, t in files.items()
                                     if p.startswith("/etc/bulwark/")
                                     and p.endswith((".yml", ".yaml"))})
    clam = section(ev, "clamav").strip()
    ev.setdefault("clamav_daily_mtime", float(clam) if clam.isdigit() else None)
    ev.setdefault("journal_persistent", section(ev, "journal").strip() == "present")
    ev.setdefault("nft", {"rc": 0 if section(ev, "nft-rc").strip() == "installed" else 2})
    snmp = re.fullmatch(r"configured default=(\d+) weak=(\d+)", section(ev, "snmp").strip())
    ev.setdefault("snmp_configured", snmp is not None)
    ev.setdefault("snmp_default_community", bool(snmp and int(snmp.group(1))))
    ev.setdefault("snmp_weak_community", int(snmp.group(2)) if snmp else 0)
    ev["_expanded"] = True
    return ev
