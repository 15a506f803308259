"""Checks of patching, malware protection, integrity monitoring, baseline, kernel and logging."""

from __future__ import annotations

import re
from typing import Any

from bulwark.report import facts, probe
from bulwark.report.controls import (
    Context,
    Finding,
    Status,
    control,
    fail,
    hours,
    na,
    ok,
    unknown,
    verdict,
)

_NO_PROBE = Finding(Status.UNKNOWN, "the evidence probe did not run (see evidence.log)")


def _container(ev: dict[str, Any]) -> bool:
    return facts.flag(ev, "container")


def _container_configured(ev: dict[str, Any], package: str, unit: str | None,
                          why: str) -> Finding:
    """For a container: what belongs to the machine's kernel or bus cannot run there, so the
    check is NOT_APPLICABLE, but only once the role did its share: `package` installed and,
    when `unit` is given, that unit enabled for every boot (not `enabled-runtime`, which ends
    with this one). A container where the role skipped that FAILs."""
    if not probe.has_probe(ev):
        return _NO_PROBE
    if package not in probe.packages(ev):
        return fail(f"{package} not installed")
    done = f"{package} installed"
    if unit:
        state = probe.unit_files(ev).get(unit, "absent")
        if state != "enabled":
            return fail(f"{unit} {state}: it would not start on a real boot either")
        done += f", {unit} enabled"
    return na(f"host is a container: {why} ({done})")


def timer_check(ev: dict[str, Any], unit: str, what: str) -> Finding:
    """A timer is enabled and has a next elapse: the job will really run."""
    if not probe.has_probe(ev):
        return _NO_PROBE
    state = probe.unit_files(ev).get(unit)
    timer = probe.timers(ev).get(unit)
    if state is None:
        return fail(f"{unit} not installed: {what} never runs")
    if state not in ("enabled", "static", "enabled-runtime"):
        return fail(f"{unit} is {state}: {what} does not run")
    if timer is None or timer.next == "-":
        return fail(f"{unit} {state} but not scheduled (no next run)")
    return ok(f"{unit} {state}, next run {timer.next}")


def _service_running(ev: dict[str, Any], *names: str) -> Finding:
    state = facts.service_active(ev, *names)
    if state is None:
        return fail(f"{' / '.join(names)} not installed")
    return ok(state) if state.endswith("running") else fail(state)


# --- 13 / D1-D4, A4: patching and trusted repositories -----------------------------------
@control("D1", "No pending security updates", by="role patching")
def check_security_updates(ev: dict[str, Any], ctx: Context) -> Finding:
    count, total, names = facts.pending_security_updates(ev)
    if count is None:
        return unknown("apt has no package lists (apt-get update never ran): cannot tell")
    if count:
        return fail(f"{count} security updates pending: {', '.join(names[:10])}")
    return ok(f"no security updates pending ({total} other upgrades)")


_INSECURE_APT = ("APT::Get::AllowUnauthenticated", "Acquire::AllowInsecureRepositories",
                 "Acquire::AllowDowngradeToInsecureRepositories",
                 "Acquire::AllowWeakRepositories", "APT::Get::AllowInsecureRepositories")


@control("A4", "Software only from signed repositories (apt-config dump, sources)",
         by="role patching (apt-signed.conf)")
def check_trusted_sources(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    conf = probe.apt_config(ev)
    problems = [f"{k} \"{conf[k]}\"" for k in _INSECURE_APT
                if conf.get(k, "false").lower() in ("true", "1", "yes")]
    trusted = (ev.get("apt") or {}).get("trusted_sources") or []
    if trusted:
        problems.append(f"trusted=yes in: {', '.join(trusted)}")
    return verdict(problems, "apt verifies signatures: no Allow* override, no trusted=yes source")


@control("D2", "Security updates are installed automatically (unattended-upgrades)",
         by="role patching")
def check_unattended(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    conf = probe.apt_config(ev)
    problems = []
    if "unattended-upgrades" not in probe.packages(ev):
        problems.append("unattended-upgrades not installed")
    for key in ("APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade"):
        if conf.get(key, "0") in ("0", "", "false"):
            problems.append(f"{key} \"{conf.get(key, 'unset')}\"")
    timer = timer_check(ev, "apt-daily-upgrade.timer", "automatic upgrades")
    if timer.status != Status.PASS:
        problems.append(timer.evidence)
    return verdict(problems, "unattended-upgrades installed, APT::Periodic on, "
                             f"{timer.evidence}")


@control("D3", "Services using patched libraries are restarted (needrestart)", by="role patching")
def check_needrestart(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    return ok("needrestart installed") if "needrestart" in probe.packages(ev) else fail(
        "needrestart not installed: patched libraries stay loaded in running services")


@control("D4", "Patch runs are recorded (patching record)", by="role patching (records)")
def check_patch_record(ev: dict[str, Any], ctx: Context) -> Finding:
    doc = facts.json_doc(facts.file_text(ev, "/var/lib/bulwark/patching/latest.json"))
    if doc is None:
        return fail("no patch record (/var/lib/bulwark/patching/latest.json)")
    return ok(f"last patch record {doc.get('time') or doc.get('finished') or ''}".strip())


# --- 14 / D7-D9, D16: malware protection ---------------------------------------------------
@control("D9", "Antivirus (ClamAV) installed with signatures updated within a day",
         by="role intrusion (ClamAV, freshclam)")
def check_antivirus(ev: dict[str, Any], ctx: Context) -> Finding:
    if "clamav" not in probe.packages(ev) and "clamav-freshclam" not in probe.packages(ev):
        return fail("ClamAV not installed")
    mtime = ev.get("clamav_daily_mtime")
    try:
        age = ctx.now - float(mtime)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return fail("ClamAV installed but no signature database in /var/lib/clamav")
    if age > ctx.thresholds.max_signature_age_hours * 3600:
        return fail(f"signatures {hours(age)} old")
    return ok(f"signatures {hours(age)} old")


@control("D9-updater", "The signature updater (freshclam) is running", by="role intrusion")
def check_freshclam_running(ev: dict[str, Any], ctx: Context) -> Finding:
    return _service_running(ev, "clamav-freshclam")


@control("D8", "A full antivirus scan is scheduled at least weekly", by="role intrusion")
def check_av_scan(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "bulwark-clamav-scan.timer", "the weekly virus scan")


@control("D16", "Virus scan results are logged (/var/log/bulwark)", by="role intrusion")
def check_av_log(ev: dict[str, Any], ctx: Context) -> Finding:
    st = probe.stats(ev).get("/var/log/bulwark")
    if not probe.has_probe(ev):
        return _NO_PROBE
    return ok(f"/var/log/bulwark {st.mode:04o}") if st else fail("no /var/log/bulwark")


# --- A1, A3: integrity monitoring -----------------------------------------------------------
@control("A3", "File integrity database (AIDE) present and checked daily", by="role intrusion")
def check_aide(ev: dict[str, Any], ctx: Context) -> Finding:
    stats = probe.stats(ev)
    if not probe.has_probe(ev):
        return _NO_PROBE
    db = next((p for p in ("/var/lib/aide/aide.db", "/var/lib/aide/aide.db.gz") if p in stats),
              None)
    timer = timer_check(ev, "dailyaidecheck.timer", "the AIDE check")
    problems = [] if db else ["no AIDE database (/var/lib/aide/aide.db)"]
    if timer.status != Status.PASS:
        problems.append(timer.evidence)
    return verdict(problems, f"{db}; {timer.evidence}")


@control("A3-rkhunter", "Rootkit scan (rkhunter) scheduled", by="role intrusion")
def check_rkhunter(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "bulwark-rkhunter-scan.timer", "the rootkit scan")


@control("A3-cron", "Only root may schedule jobs (cron.allow, at.allow)", by="role baseline")
def check_cron_allow(ev: dict[str, Any], ctx: Context) -> Finding:
    stats = probe.stats(ev)
    if not probe.has_probe(ev):
        return _NO_PROBE
    missing = [p for p in ("/etc/cron.allow", "/etc/at.allow") if p not in stats]
    return fail(f"missing {', '.join(missing)}: every user may schedule jobs") if missing \
        else ok("cron.allow and at.allow present")


@control("A1", "Host firewall and intrusion detection installed", by="roles firewall, intrusion")
def check_ids(ev: dict[str, Any], ctx: Context) -> Finding:
    pkgs = probe.packages(ev)
    if not pkgs:
        return unknown("installed packages not read")
    missing = [p for p in ("nftables", "aide", "rkhunter") if p not in pkgs]
    return fail(f"not installed: {', '.join(missing)}") if missing else ok(
        "nftables, aide and rkhunter installed")


# --- A2, A6, A9, A11, A12: baseline and kernel ----------------------------------------------
_SYSCTL_WANTED = {
    "net.ipv4.conf.all.accept_redirects": "0", "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.all.accept_source_route": "0", "net.ipv4.tcp_syncookies": "1",
    "net.ipv4.icmp_echo_ignore_broadcasts": "1", "net.ipv4.conf.all.log_martians": "1",
    "net.ipv6.conf.all.accept_redirects": "0",
}


@control("A2", "Network stack hardened (redirects, source routing, syncookies, martians)",
         by="role kernel (sysctl)")
def check_sysctl(ev: dict[str, Any], ctx: Context) -> Finding:
    live = probe.sysctl(ev)
    if not live:
        return _NO_PROBE
    bad = [f"{k}={live.get(k)}" for k, v in _SYSCTL_WANTED.items()
           if k in live and live[k] != v]
    return verdict([f"live values: {', '.join(bad)}"] if bad else [],
                   f"{len(_SYSCTL_WANTED)} network keys as hardened")


@control("A2-kernel-file", "Kernel hardening keys are configured for boot (sysctl.d)",
         by="role kernel (sysctl)")
def check_sysctl_file(ev: dict[str, Any], ctx: Context) -> Finding:
    text = facts.file_text(ev, "/etc/sysctl.d/90-bulwark.conf")
    keys = dict(facts.key_values(text))
    wanted = {"kernel.randomize_va_space": "2", "fs.suid_dumpable": "0",
              "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1"}
    bad = [f"{k}={keys.get(k)}" for k, v in wanted.items() if keys.get(k) != v]
    return verdict([f"/etc/sysctl.d/90-bulwark.conf: {', '.join(bad)}"] if bad else [],
                   "kernel.* and fs.* hardening keys set for boot (a container cannot set "
                   "them live)")


@control("A2-umask", "Default umask 027 (login.defs and login shells)", by="role baseline")
def check_umask(ev: dict[str, Any], ctx: Context) -> Finding:
    defs = probe.key_space_values(probe.section(ev, "login.defs-umask"))
    if not probe.has_probe(ev):
        return _NO_PROBE
    shells = probe.section(ev, "profile")
    problems = []
    if defs.get("UMASK") not in ("027", "077"):
        problems.append(f"login.defs UMASK={defs.get('UMASK')}")
    if not re.search(r"umask\s+0?[02]7", shells):
        problems.append("no umask 027 for login shells")
    return verdict(problems, f"UMASK={defs.get('UMASK')}; login shells umask 027")


@control("A11", "Idle shell sessions end (read-only TMOUT)", by="role baseline (tmout)")
def check_tmout(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    text = probe.section(ev, "profile")
    m = re.search(r"TMOUT=(\d+)", text)
    if not m:
        return fail("TMOUT is not set for login shells")
    value = int(m.group(1))
    if not 0 < value <= ctx.thresholds.max_idle_seconds:
        return fail(f"TMOUT={value}")
    return ok(f"TMOUT={value}" + (", read-only" if "readonly" in text else ""))


@control("A2-ctrlaltdel", "Ctrl-Alt-Del cannot reboot the host", by="role baseline")
def check_ctrlaltdel(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    state = probe.unit_files(ev).get("ctrl-alt-del.target")
    return ok("ctrl-alt-del.target masked") if state == "masked" else fail(
        f"ctrl-alt-del.target {state or 'not masked'}")


_COMPILERS = ("/usr/bin/gcc", "/usr/bin/cc", "/usr/bin/as", "/usr/bin/g++")


@control("A6", "Compilers restricted to root (dpkg-statoverride)", by="role baseline")
def check_compilers(ev: dict[str, Any], ctx: Context) -> Finding:
    pkgs = probe.packages(ev)
    if not pkgs:
        return _NO_PROBE
    if not any(p.startswith(("gcc", "binutils")) for p in pkgs):
        return na("no compiler installed")
    overrides = probe.section(ev, "statoverride")
    restricted = [line.split()[-1] for line in overrides.splitlines() if line.split()
                  and re.search(r"(gcc|cc|as|g\+\+|x86_64-linux-gnu-)", line.split()[-1])]
    return ok(f"restricted: {', '.join(restricted)}") if restricted else fail(
        "compilers installed and usable by every account")


@control("A6-tmp", "/tmp is a private mount with nosuid and nodev", by="role baseline (tmp)")
def check_tmp(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    mount = probe.section(ev, "mounts").strip()
    state = probe.unit_files(ev).get("tmp.mount")
    # In a container the engine mounts /tmp; what the host will do is tmp.mount's state.
    if _container(ev):
        return ok(f"tmp.mount {state} (a container keeps the engine's /tmp: {mount})") \
            if state == "enabled" else fail(f"tmp.mount {state or 'not installed'}")
    if mount and "nosuid" in mount and "nodev" in mount:
        return ok(f"/tmp: {mount}")
    return fail(f"/tmp: {mount or 'part of /'}; tmp.mount {state or 'not enabled'}")


@control("A9", "USB storage and FireWire modules cannot load", by="role kernel (modules)")
def check_usb_storage(ev: dict[str, Any], ctx: Context) -> Finding:
    text = probe.section(ev, "modprobe")
    if not probe.has_probe(ev):
        return _NO_PROBE
    conf = facts.file_text(ev, "/etc/modprobe.d/bulwark-blacklist.conf")
    blocked = [m for m in ("usb-storage", "firewire-core")
               if re.search(rf"install\s+{m}\s+\S*/(false|true)\b", conf)
               or re.search(rf"^{m} .*install \S*/(false|true)\b", text, re.M)]
    missing = [m for m in ("usb-storage", "firewire-core") if m not in blocked]
    return fail(f"module loadable: {', '.join(missing)}") if missing else ok(
        "usb-storage and firewire-core map to /bin/false")


@control("A9b", "New USB devices are blocked (USBGuard)", by="role baseline (usbguard)")
def check_usbguard(ev: dict[str, Any], ctx: Context) -> Finding:
    if _container(ev):
        return _container_configured(ev, "usbguard", "usbguard.service",
                                     "it has no USB bus (USBGuard runs on the machine)")
    return _service_running(ev, "usbguard")


@control("A12", "Resource history is collected (sysstat)", by="role intrusion (sysstat)")
def check_sysstat(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "sysstat-collect.timer", "resource collection")


@control("A3-acct", "Process accounting records every command (acct)", by="role intrusion")
def check_acct(ev: dict[str, Any], ctx: Context) -> Finding:
    if _container(ev):
        return _container_configured(ev, "acct", "acct.service",
                                     "process accounting belongs to the machine's kernel")
    return _service_running(ev, "acct")


# --- 15 / E1-E9: logging and audit -----------------------------------------------------------
@control("E1", "System logs kept on disk (journald Storage=persistent, effective config)",
         by="role logging (journald)")
def check_journald(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    conf = probe.journald(ev)
    storage = conf.get("Storage", "auto (unset)")
    persistent = facts.flag(ev, "journal_persistent")
    evidence = f"Storage={storage}, /var/log/journal {'present' if persistent else 'absent'}"
    # "auto" only persists while someone keeps /var/log/journal: the policy needs a setting.
    return ok(evidence) if storage == "persistent" else fail(evidence)


@control("E1-rsyslog", "rsyslog writes the auth and system logs", by="role logging (rsyslog)")
def check_rsyslog(ev: dict[str, Any], ctx: Context) -> Finding:
    running = _service_running(ev, "rsyslog")
    if running.status != Status.PASS:
        return running
    logs = probe.section(ev, "logs").split()
    missing = [p for p in ("/var/log/auth.log", "/var/log/syslog") if p not in logs]
    # Without /dev/log (a removed syslog daemon deletes it) sshd, sudo and PAM log nothing.
    dev_log = probe.section(ev, "dev-log").strip() or "not probed (older evidence)"
    if dev_log == "missing":
        missing.append("/dev/log (local programs cannot log)")
    return fail(f"{running.evidence}; missing {', '.join(missing)}") if missing else ok(
        f"{running.evidence}; auth.log and syslog present; /dev/log {dev_log}")


@control("E24", "Journal retention bounded (MaxRetentionSec set; policy gives no period)",
         by="role logging (journald)")
def check_retention(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    conf = probe.journald(ev)
    value = conf.get("MaxRetentionSec")
    return ok(f"MaxRetentionSec={value}, SystemMaxUse={conf.get('SystemMaxUse')}") if value \
        else fail("MaxRetentionSec unset: retention is whatever disk space allows")


@control("E7", "Journal forwarded to syslog (copies outside the journal)",
         by="role logging (journald, rsyslog)")
def check_forward_syslog(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    value = probe.journald(ev).get("ForwardToSyslog", "no (default)")
    return ok(f"ForwardToSyslog={value}") if value == "yes" else fail(f"ForwardToSyslog={value}")


@control("E5", "Login logs are reviewed weekly", by="role logging (login review)")
def check_login_review(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "bulwark-login-review.timer", "the weekly login review")


@control("E6", "Logs are rotated (logrotate scheduled)", by="role logging (logrotate)")
def check_logrotate(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "logrotate.timer", "log rotation")


@control("E3", "Audit trail of access and operations (auditd running)", by="role audit")
def check_auditd(ev: dict[str, Any], ctx: Context) -> Finding:
    if _container(ev):
        # The audit role keeps auditd disabled in a container (it could only fail there).
        return _container_configured(ev, "auditd", None,
                                     "the kernel audit log belongs to the machine")
    return _service_running(ev, "auditd")


_AUDIT_RULES_D = "/etc/audit/rules.d/"


def _audit_rules(ev: dict[str, Any], needles: tuple[str, ...], what: str) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    if _container(ev):
        # The kernel's rules belong to the machine; what a boot would load (augenrules reads
        # rules.d) is still this host's, and must be there.
        files = ev.get("files") or {}
        rules = "\n".join(line for path, text in sorted(files.items())
                          if path.startswith(_AUDIT_RULES_D) and path.endswith(".rules")
                          for line in text.splitlines() if not line.lstrip().startswith("#"))
        missing = [n for n in needles if n not in rules]
        if missing:
            return fail(f"{_AUDIT_RULES_D}*.rules lack {', '.join(missing)} ({what})")
        return na(f"host is a container: the kernel audit rules belong to the machine "
                  f"({_AUDIT_RULES_D} has {', '.join(needles)})")
    rules = probe.section(ev, "audit-rules")
    missing = [n for n in needles if n not in rules]
    return fail(f"audit rules lack {', '.join(missing)} ({what})") if missing else ok(
        f"audit rules watch {', '.join(needles)}")


@control("E8", "Changes to access control (sudoers, firewall, sshd) are audited", by="role audit")
def check_audit_acl(ev: dict[str, Any], ctx: Context) -> Finding:
    return _audit_rules(ev, ("/etc/sudoers", "/etc/ssh/sshd_config", "/etc/nftables.conf"),
                        "access-control changes")


@control("E9", "Start, shutdown and restart are recorded (persistent journal, wtmp)",
         by="role logging")
def check_boot_records(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    persistent = facts.flag(ev, "journal_persistent") and \
        probe.journald(ev).get("Storage") == "persistent"
    wtmp = "/var/log/wtmp" in probe.section(ev, "logs").split()
    problems = [] if persistent else ["journal not persistent: boots are forgotten"]
    if not wtmp:
        problems.append("no /var/log/wtmp")
    return verdict(problems, "persistent journal and wtmp record every boot")


@control("E13-audit", "Privileged commands of human accounts are audited", by="role audit")
def check_audit_privileged(ev: dict[str, Any], ctx: Context) -> Finding:
    return _audit_rules(ev, ("-F auid>=1000", "execve"), "privileged commands")


@control("A3-crontab", "System crontab and cron.d are root-only", by="role baseline (permissions)")
def check_crontab_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    stats = probe.stats(ev)
    if not probe.has_probe(ev):
        return _NO_PROBE
    problems = [f"{p} {stats[p].mode:04o}" for p in ("/etc/crontab", "/etc/cron.d")
                if p in stats and stats[p].mode & 0o077]
    return verdict(problems, "/etc/crontab and /etc/cron.d not accessible to others")


def _modules_blocked(ev: dict[str, Any], names: tuple[str, ...]) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    text = probe.section(ev, "modprobe")
    conf = facts.file_text(ev, "/etc/modprobe.d/bulwark-blacklist.conf")
    # modprobe -n shows the effective rule; containers often lack kmod, then the file decides.
    loadable = [m for m in names
                if not re.search(rf"^{m} .*install \S*/(false|true)\b", text, re.M)
                and not re.search(rf"^\s*install\s+{m}\s+\S*/(false|true)\b", conf, re.M)]
    return fail(f"loadable: {', '.join(loadable)}") if loadable else ok(
        f"{', '.join(names)} map to /bin/false")


@control("A2-modules-fs", "Unused filesystems cannot be mounted (cramfs, freevxfs)",
         by="role kernel (modules)")
def check_fs_modules(ev: dict[str, Any], ctx: Context) -> Finding:
    return _modules_blocked(ev, ("cramfs", "freevxfs"))


@control("A2-modules-net", "Rare network protocols cannot load (dccp, sctp, rds, tipc)",
         by="role kernel (modules)")
def check_net_modules(ev: dict[str, Any], ctx: Context) -> Finding:
    return _modules_blocked(ev, ("dccp", "sctp", "rds", "tipc"))


@control("A2-coredump", "Core dumps are disabled (limits and systemd-coredump)",
         by="role kernel (coredump)")
def check_coredump(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    text = probe.section(ev, "coredump")
    problems = []
    if not re.search(r"hard\s+core\s+0", text):
        problems.append("no '* hard core 0' limit")
    if "Storage=none" not in text:
        problems.append("systemd-coredump keeps dumps (Storage=none unset)")
    return verdict(problems, "hard core limit 0; systemd-coredump Storage=none")


@control("D7", "freshclam checks for signatures at least daily", by="role intrusion")
def check_freshclam(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    m = re.search(r"Checks\s+(\d+)", probe.section(ev, "freshclam"))
    if m is None:
        return fail("no freshclam.conf Checks setting (ClamAV not configured)")
    return ok(f"Checks {m.group(1)} per day") if int(m.group(1)) >= 1 else fail(
        f"Checks {m.group(1)}")


@control("E7-auth-log", "The auth log is not readable by every user", by="role logging")
def check_auth_log_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    st = probe.stats(ev).get("/var/log/auth.log")
    if not probe.has_probe(ev):
        return _NO_PROBE
    if st is None:
        return fail("no /var/log/auth.log")
    return ok(f"/var/log/auth.log {st.mode:04o} {st.owner}:{st.group}") if not st.mode & 0o007 \
        else fail(f"/var/log/auth.log {st.mode:04o}")


@control("A2-accept-ra", "The host ignores IPv6 router advertisements and redirects",
         by="role kernel (sysctl)")
def check_accept_ra(ev: dict[str, Any], ctx: Context) -> Finding:
    live = probe.sysctl(ev)
    if not live:
        return _NO_PROBE
    value = live.get("net.ipv6.conf.all.accept_ra")
    return ok(f"accept_ra={value}") if value in ("0", None) else fail(f"accept_ra={value}")


@control("C19-fail2ban", "Repeated SSH failures are banned (fail2ban running)",
         by="role intrusion (fail2ban)")
def check_fail2ban(ev: dict[str, Any], ctx: Context) -> Finding:
    return _service_running(ev, "fail2ban")
