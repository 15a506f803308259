"""Checks of the host firewall (nft -j) and of what listens (ss), judged against the inventory."""

from __future__ import annotations

import json
from typing import Any

from bulwark.report import facts, probe
from bulwark.report.controls import (
    Context,
    Finding,
    control,
    fail,
    na,
    ok,
    unknown,
    verdict,
)

_CONDITIONS_FREE = {"counter", "log", "accept", "comment"}


def _nft(ev: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, str]:
    items = probe.nft_ruleset(ev)
    if items is not None:
        return items, ""
    nft = ev.get("nft") or {}
    if str(nft.get("rc")) == "2" or "not found" in probe.section(ev, "nft-json"):
        return None, "nft not installed: no host firewall"
    err = (probe.section(ev, "nft-json") or str(nft.get("err") or "")).strip().splitlines()
    return None, f"nft ruleset not readable ({err[0] if err else 'no output'})"


def _chains(items: list[dict[str, Any]], hook: str) -> tuple[list[dict[str, Any]],
                                                             dict[tuple[str, str, str],
                                                                  list[dict[str, Any]]]]:
    """Base chains on `hook` and every rule per (family, table, chain)."""
    base = [i["chain"] for i in items if "chain" in i and i["chain"].get("hook") == hook]
    rules: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for i in items:
        if "rule" in i:
            r = i["rule"]
            rules.setdefault((r.get("family"), r.get("table"), r.get("chain")), []).append(r)
    return base, rules


def _reachable_rules(base: list[dict[str, Any]], rules: dict[tuple[str, str, str],
                     list[dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """(chain label, rule) for every rule of the base chains and the chains they jump to."""
    out, todo, seen = [], [(c.get("family"), c.get("table"), c.get("name")) for c in base], set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        for rule in rules.get(key, []):
            out.append((f"{key[0]} {key[1]} {key[2]}", rule))
            for expr in rule.get("expr") or []:
                for verb in ("jump", "goto"):
                    if isinstance(expr, dict) and verb in expr:
                        todo.append((key[0], key[1], expr[verb].get("target")))
    return out


def _unconditional_accepts(rules: list[tuple[str, dict[str, Any]]]) -> list[str]:
    found = []
    for label, rule in rules:
        exprs = [e for e in rule.get("expr") or [] if isinstance(e, dict)]
        keys = {k for e in exprs for k in e}
        if "accept" in keys and keys <= _CONDITIONS_FREE:
            found.append(f"{label} (handle {rule.get('handle')})")
    return found


@control("C3", "Host firewall: every input hook chain default-deny, no unconditional accept",
         by="role firewall (nftables)")
def check_firewall(ev: dict[str, Any], ctx: Context) -> Finding:
    items, reason = _nft(ev)
    if items is None:
        return fail(reason)
    base, rules = _chains(items, "input")
    if not base:
        return fail("no input hook chain in the ruleset: everything is accepted")
    policies = [f"{c.get('family')} {c.get('table')} {c.get('name')}: {c.get('policy')}"
                for c in base]
    problems = []
    if not any(c.get("policy") == "drop" for c in base):
        problems.append(f"no input chain has policy drop ({'; '.join(policies)})")
    accepts = _unconditional_accepts(_reachable_rules(base, rules))
    if accepts:
        problems.append(f"unconditional accept in {', '.join(accepts)}")
    return verdict(problems, f"input chains: {'; '.join(policies)}; "
                             f"{len(_reachable_rules(base, rules))} rules, none accepts "
                             "unconditionally")


@control("C5", "No forwarding through the host (forward chain drop, ip_forward off)",
         by="roles firewall, kernel")
def check_forward(ev: dict[str, Any], ctx: Context) -> Finding:
    items, reason = _nft(ev)
    if items is None:
        return fail(reason)
    base, rules = _chains(items, "forward")
    forwarding = probe.sysctl(ev).get("net.ipv4.ip_forward")
    drops = [c for c in base if c.get("policy") == "drop"]
    accepts = _unconditional_accepts(_reachable_rules(base, rules))
    if drops and not accepts:
        return ok(f"forward chain policy drop; net.ipv4.ip_forward={forwarding}")
    if forwarding == "0" and not accepts:
        return fail("ip_forward is 0 now but no forward chain drops: one sysctl away from "
                    "routing")
    return fail(f"forward chains {[c.get('policy') for c in base]}, "
                f"net.ipv4.ip_forward={forwarding}; unconditional accepts: {accepts or 'none'}")


@control("C9", "Dropped inbound packets are logged (rate-limited)", by="role firewall")
def check_drop_log(ev: dict[str, Any], ctx: Context) -> Finding:
    items, reason = _nft(ev)
    if items is None:
        return fail(reason)
    base, rules = _chains(items, "input")
    logs = [label for label, r in _reachable_rules(base, rules)
            if any(isinstance(e, dict) and "log" in e for e in r.get("expr") or [])]
    return ok(f"log rules in {', '.join(sorted(set(logs)))}") if logs else fail(
        "no log rule in the input chains: dropped connections leave no trace")


@control("C19", "New SSH connections are rate-limited per source (scan/guess throttling)",
         by="role firewall (SSH rate limit, connlimit)")
def check_ssh_rate(ev: dict[str, Any], ctx: Context) -> Finding:
    items, reason = _nft(ev)
    if items is None:
        return fail(reason)
    base, rules = _chains(items, "input")
    limited = [label for label, r in _reachable_rules(base, rules)
               if any(k in json.dumps(r.get("expr")) for k in ('"limit"', '"meter"', '"ct count"',
                                                                 '"set"'))]
    return ok(f"rate/connection limits in {', '.join(sorted(set(limited)))}") if limited \
        else fail("no rate or connection limit in the input chains")


@control("C3-persist", "The firewall ruleset is loaded at boot (nftables.service enabled)",
         by="role firewall (persist)")
def check_firewall_persist(ev: dict[str, Any], ctx: Context) -> Finding:
    state = probe.unit_files(ev).get("nftables.service")
    if not probe.has_probe(ev):
        return unknown("the evidence probe did not run")
    return ok("nftables.service enabled") if state == "enabled" else fail(
        f"nftables.service {state or 'not installed'}: the ruleset is gone after a reboot")


# --- 12 / C7, C8, C20: listening services -------------------------------------------------
_CLEARTEXT_PORTS = {("tcp", 21): "FTP", ("tcp", 23): "telnet", ("udp", 69): "TFTP",
                    ("tcp", 512): "rexec", ("tcp", 513): "rlogin", ("tcp", 514): "rsh"}
_HTTP_PORTS = {80, 8000, 8008, 8080, 8888}
_CLEARTEXT_PROCESSES = {"vsftpd": "FTP", "proftpd": "FTP", "pure-ftpd": "FTP",
                        "in.tftpd": "TFTP", "inetd": "inetd", "xinetd": "inetd",
                        "in.telnetd": "telnet", "telnetd": "telnet", "rshd": "rsh",
                        "httpd": "HTTP", "nginx": "HTTP", "apache2": "HTTP",
                        "lighttpd": "HTTP", "mini_httpd": "HTTP"}


def _exposed(ev: dict[str, Any]) -> list[facts.Listener]:
    """Listeners reachable from the network (loopback-only sockets cannot be)."""
    out = []
    for s in facts.listeners(ev):
        addr = s.address.strip("[]").split("%")[0]
        if addr.startswith("127.") or addr == "::1" or addr == "localhost":
            continue
        out.append(s)
    return out


def _allowed(ev: dict[str, Any]) -> set[tuple[str, int]]:
    inv = ev.get("inventory") or {}
    allowed = {("tcp", int(p)) for p in inv.get("allowed_tcp") or [] if str(p).isdigit()}
    allowed |= {("udp", int(p)) for p in inv.get("allowed_udp") or [] if str(p).isdigit()}
    for spec in inv.get("allowed_ports") or []:
        proto, _, port = str(spec).partition("/")
        if port.isdigit():
            allowed.add((proto, int(port)))
    return allowed


@control("C7", "No HTTP, FTP, TFTP, telnet or r-services reachable from the network",
         by="role services")
def check_cleartext_services(ev: dict[str, Any], ctx: Context) -> Finding:
    if not ev.get("listening"):
        return unknown("listening sockets not read")
    allowed = _allowed(ev)
    found = set()
    for s in _exposed(ev):
        kind = (_CLEARTEXT_PORTS.get((s.proto, s.port))
                or _CLEARTEXT_PROCESSES.get(s.process)
                or ("HTTP" if s.proto == "tcp" and s.port in _HTTP_PORTS else None))
        if kind is None or (kind == "HTTP" and (s.proto, s.port) in allowed):
            continue
        found.add(f"{kind} ({s.proto}/{s.port} on {s.address}, {s.process})")
    if found:
        return fail(f"listening: {'; '.join(sorted(found))}")
    return ok(f"{len(_exposed(ev))} exposed sockets, none HTTP/FTP/TFTP/telnet/r-services "
              "(HTTP only where the inventory allows its port)")


@control("C20", "Every service reachable from the network is allowed by the inventory",
         by="roles services (listeners), firewall (allowed ports)")
def check_unapproved_listeners(ev: dict[str, Any], ctx: Context) -> Finding:
    if not ev.get("listening"):
        return unknown("listening sockets not read")
    allowed = _allowed(ev)
    extra = sorted({f"{s.proto}/{s.port} ({s.process})" for s in _exposed(ev)
                    if (s.proto, s.port) not in allowed})
    shown = ", ".join(f"{p}/{n}" for p, n in sorted(allowed))
    if extra:
        return fail(f"not allowed by the inventory ({shown}): {', '.join(extra)}")
    return ok(f"exposed sockets all allowed ({shown})")


@control("C7-packages", "No telnet, FTP, TFTP, rsh or inetd server installed",
         by="role services")
def check_cleartext_packages(ev: dict[str, Any], ctx: Context) -> Finding:
    pkgs = probe.packages(ev)
    if not pkgs:
        return unknown("installed packages not read")
    bad = sorted(p for p in pkgs if p in {
        "telnetd", "inetutils-telnetd", "telnetd-ssl", "vsftpd", "proftpd-basic", "pure-ftpd",
        "tftpd-hpa", "tftpd", "atftpd", "rsh-server", "rsh-redone-server", "openbsd-inetd",
        "inetutils-inetd", "xinetd", "nis", "talkd"})
    return fail(f"installed: {', '.join(bad)}") if bad else ok(
        "none of telnetd/vsftpd/tftpd/rsh-server/inetd installed")


@control("C8", "SNMP communities are strong (> 8 chars, letters and digits)",
         by="role services (SNMP)")
def check_snmp(ev: dict[str, Any], ctx: Context) -> Finding:
    if not facts.flag(ev, "snmp_configured"):
        return na("no /etc/snmp/snmpd.conf")
    weak = int(ev.get("snmp_weak_community") or 0)
    if facts.flag(ev, "snmp_default_community"):
        return fail(f"default community (public/private) configured; {weak} weak in total")
    if weak:
        return fail(f"{weak} community string(s) shorter than 9 or not letters+digits")
    return ok("every community string is > 8 characters with letters and digits")


@control("A14", "No unapproved server software: inetd has no services configured",
         by="role services")
def check_inetd(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return unknown("the evidence probe did not run")
    present = probe.section(ev, "inetd").split()
    return fail(f"inetd configuration present: {', '.join(present)}") if present else ok(
        "no /etc/inetd.conf or /etc/xinetd.d")


@control("C3-ipv6", "The firewall filters IPv6 too (inet or ip6 input chain)", by="role firewall")
def check_ipv6_filter(ev: dict[str, Any], ctx: Context) -> Finding:
    items, reason = _nft(ev)
    if items is None:
        return fail(reason)
    base, _ = _chains(items, "input")
    families = sorted({str(c.get("family")) for c in base if c.get("policy") == "drop"})
    return ok(f"drop-policy input chains in: {', '.join(families)}") if \
        {"inet", "ip6"} & set(families) else fail(
        f"no inet/ip6 input chain with policy drop ({families or 'none'}): IPv6 is open")
