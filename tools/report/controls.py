"""The registry of automatable policy controls and the check that verifies each on a host.

Ids, quotes and line numbers come from ../shared/policy/policy-controls.md ("Top 15"
first). A check reads one host's evidence and returns PASS / FAIL / NOT_APPLICABLE / UNKNOWN
with the evidence that decided it. Organisational controls (training, drills of people,
approvals) cannot be seen on a host and are deliberately absent: the report claims nothing
about them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bulwark.report import facts


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Finding:
    status: Status
    evidence: str


@dataclass(frozen=True)
class Thresholds:
    """Numbers the policy gives (strictest where it conflicts) or the project chose."""

    max_backup_age_hours: float = 26.0  # F2 daily backups, plus a scheduling margin
    max_drill_age_days: float = 92.0  # F28 gives no number; quarterly is a project choice
    max_password_days: int = 30  # B11: at most one month
    admin_password_minlen: int = 9  # B6: longer than 8 characters
    max_signature_age_hours: float = 26.0  # D7: daily signature updates


@dataclass(frozen=True)
class Context:
    now: float
    vendor_accounts: frozenset[str]
    thresholds: Thresholds = field(default_factory=Thresholds)


Check = Callable[[dict[str, Any], Context], Finding]


@dataclass(frozen=True)
class Control:
    id: str
    top15: int | None  # rank in the policy's Top 15, None for "other automatable"
    title: str
    quote: str
    source: str  # file and line of the quote
    check: Check


REGISTRY: list[Control] = []


def control(id: str, top15: int | None, title: str, quote: str,
            source: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        REGISTRY.append(Control(id, top15, title, quote, source, fn))
        return fn
    return register


def _ok(evidence: str) -> Finding:
    return Finding(Status.PASS, evidence)


def _fail(evidence: str) -> Finding:
    return Finding(Status.FAIL, evidence)


def _unknown(evidence: str) -> Finding:
    return Finding(Status.UNKNOWN, evidence)


def _verdict(problems: list[str], passed: str) -> Finding:
    """FAIL naming every problem, or PASS with `passed` when there is none."""
    return _fail("; ".join(problems)) if problems else _ok(passed)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


# --- 1 / F2: tiered backups --------------------------------------------------------------
@control("F2", 1, "Daily backups run and succeed",
         "「要按要求对数据进行日备份、月备份和年备份」", "002 L1143")
def check_daily_backup(ev: dict[str, Any], ctx: Context) -> Finding:
    newest, per_repo = facts.last_backup_success(ev)
    if newest is None:
        return _fail("no backup recorded (no successful run in /var/lib/bulwark/state.json)")
    age = ctx.now - newest
    limit = ctx.thresholds.max_backup_age_hours * 3600
    repos = ", ".join(f"{n}: {_hours(ctx.now - t)} ago" for n, t in sorted(per_repo.items()))
    stale = [n for n, t in per_repo.items() if ctx.now - t > limit]
    if stale:
        return _fail(f"last success older than {_hours(limit)} for {', '.join(sorted(stale))} "
                     f"({repos})")
    return _ok(f"newest success {_hours(age)} ago ({repos})")


# --- 1 / F3 + 15 / E13: every run recorded with who, when, what, result --------------------
@control("E13", 15, "Backup runs are logged with who, when, what and result",
         "「记录进行操作的人员、时间、地点和事项,留作信息安全审计依据」", "002 L785")
def check_run_log(ev: dict[str, Any], ctx: Context) -> Finding:
    runs = facts.backup_runs(ev)
    if not runs:
        return _fail("no backup recorded (runs.jsonl absent or empty)")
    last = runs[-1]
    missing = [k for k in ("who", "command", "result") if not last.get(k)]
    if missing:
        return _fail(f"last run record lacks {', '.join(missing)}")
    who = last["who"].get("user") if isinstance(last["who"], dict) else last["who"]
    return _ok(f"{len(runs)} recent runs recorded; last: {last.get('command')} by {who}, "
               f"result {last.get('result')}")


# --- 4 / F28: restore drills -------------------------------------------------------------
@control("F28", 4, "Restore drills run regularly and pass (RTO measured)",
         "「定期进行数据恢复测试,确保备份数据的可用性」", "000 L148")
def check_drill(ev: dict[str, Any], ctx: Context) -> Finding:
    drill = facts.json_doc(str(ev.get("drill") or ""))
    if drill is None:
        return _fail("no restore drill recorded (/var/lib/bulwark/drills/*.json)")
    restore = drill.get("restore") or {}
    rto = (f"RTO {restore.get('seconds')} s for {restore.get('bytes')} bytes "
           f"({restore.get('mb_per_s')} MB/s)")
    ended = facts.iso_epoch(drill.get("ended"))
    if not drill.get("ok"):
        return _fail(f"last drill of {drill.get('repository')} failed; {rto}")
    if ended is None:
        return _unknown(f"last drill passed but has no end time; {rto}")
    age_days = (ctx.now - ended) / 86400
    if age_days > ctx.thresholds.max_drill_age_days:
        return _fail(f"last passing drill is {age_days:.0f} days old; {rto}")
    return _ok(f"last drill of {drill.get('repository')} passed {age_days:.1f} days ago; {rto}")


# --- 7 / B23, B1: vendor defaults and empty passwords --------------------------------------
_NO_ACCOUNT_STATUS = _unknown("passwd --status --all gave no output")


@control("B23", 7, "No vendor default accounts with a usable password",
         "「避免使用信息系统和网络供应商提供的默认密码、安全参数」", "002 L765")
def check_vendor_accounts(ev: dict[str, Any], ctx: Context) -> Finding:
    statuses = facts.account_statuses(ev)
    if not statuses:
        return _NO_ACCOUNT_STATUS
    open_vendor = sorted(s.user for s in statuses
                         if s.user in ctx.vendor_accounts and s.state != "L")
    root_usable = any(s.user == "root" and s.state == "P" for s in statuses)
    problems = [f"vendor accounts not locked: {', '.join(open_vendor)}"] if open_vendor else []
    if root_usable:
        problems.append("root has a usable password")
    return _verdict(problems, "no vendor account with a usable password; root password locked")


@control("B1", 7, "Every account has a password (none empty)",
         "「确认所有帐号都有口令」", "002 L395")
def check_empty_passwords(ev: dict[str, Any], ctx: Context) -> Finding:
    statuses = facts.account_statuses(ev)
    if not statuses:
        return _NO_ACCOUNT_STATUS
    empty = sorted(s.user for s in statuses if s.state == "NP")
    if empty:
        return _fail(f"accounts with an empty password: {', '.join(empty)}")
    return _ok(f"{len(statuses)} accounts, none with an empty password")


# --- 8 / B6: password strength ------------------------------------------------------------
@control("B6", 8, "Password quality enforced (minimum length > 8)",
         "「管理员账户密码、口令长度大于8字符」", "002 L1749")
def check_pwquality(ev: dict[str, Any], ctx: Context) -> Finding:
    modules = facts.pam_modules(ev, "/etc/pam.d/common-password")
    conf = facts.merged_conf(ev, "/etc/security/pwquality.conf", "/etc/security/pwquality.conf.d")
    conf.update(facts.pam_module_args(ev, "/etc/pam.d/common-password", "pam_pwquality"))
    if "pam_pwquality" not in modules:
        return _fail("pam_pwquality is not in /etc/pam.d/common-password")
    raw = conf.get("minlen", "8")  # libpwquality's built-in default is 8
    minlen = int(raw) if raw.isdigit() else 0
    if minlen < ctx.thresholds.admin_password_minlen:
        return _fail(f"pwquality minlen={minlen}, policy needs more than 8")
    return _ok(f"pam_pwquality active, minlen={minlen}")


# --- 9 / B11: password ageing -------------------------------------------------------------
@control("B11", 9, "Password maximum age at most one month",
         "「密码应定期修改,间隔时间不得超过一个月」", "002 L185")
def check_password_age(ev: dict[str, Any], ctx: Context) -> Finding:
    limit = ctx.thresholds.max_password_days
    defs = facts.login_defs(ev).get("PASS_MAX_DAYS")
    too_long = sorted(s.user for s in facts.account_statuses(ev)
                      if s.state == "P" and (s.max_days is None or s.max_days > limit))
    problems = []
    if defs is None or not defs.isdigit() or int(defs) > limit:
        problems.append(f"login.defs PASS_MAX_DAYS={defs}")
    if too_long:
        problems.append(f"accounts with passwords allowed > {limit} days: {', '.join(too_long)}")
    return _verdict(problems,
                    f"PASS_MAX_DAYS={defs}; every account with a password expires within {limit} d")


# --- 10 / B27: least privilege ------------------------------------------------------------
@control("B27", 10, "No UID-0 account besides root",
         "「基于权限最小化和权限分离原则,向从业人员分配满足工作需要的最小操作权限」",
         "002 L771")
def check_uid_zero(ev: dict[str, Any], ctx: Context) -> Finding:
    if not ev.get("passwd"):
        return _unknown("account database not read")
    extra = [u for u in facts.uid_zero_accounts(ev) if u != "root"]
    if extra:
        return _fail(f"UID 0 besides root: {', '.join(extra)}")
    return _ok("only root has UID 0")


@control("B34", 10, "Failed logins lock out (faillock or fail2ban)",
         "「不准猜测和扫描其他用户的密码」", "002 L403")
def check_lockout(ev: dict[str, Any], ctx: Context) -> Finding:
    modules = facts.pam_modules(ev, "/etc/pam.d/common-auth")
    fail2ban = facts.service_active(ev, "fail2ban")
    if "pam_faillock" in modules:
        conf = facts.key_values(facts.file_text(ev, "/etc/security/faillock.conf"))
        return _ok(f"pam_faillock active (deny={conf.get('deny', 'default 3')})")
    if fail2ban and fail2ban.endswith("running"):
        return _ok(fail2ban)
    return _fail("neither pam_faillock in common-auth nor fail2ban running")


# --- 11 / C3, C12: firewall and remote access ---------------------------------------------
@control("C3", 11, "Host firewall denies inbound by default",
         "「明确需进行安全防护的边界,并实施有效的访问控制策略和机制」", "002 L1145")
def check_firewall(ev: dict[str, Any], ctx: Context) -> Finding:
    policy, reason = facts.nft_input_policy(ev)
    if policy == "drop":
        return _ok(reason)
    return _fail(reason if policy is None else f"input policy is {policy} ({reason})")


_SSHD_WANTED = {
    "permitrootlogin": {"no"},
    "passwordauthentication": {"no"},
    "permitemptypasswords": {"no"},
    "kbdinteractiveauthentication": {"no"},
}


@control("C12", 11, "Remote access (SSH) is key-only and root cannot log in",
         "「严格审查并监控对信息系统、网络设备的远程访问」", "002 L765")
def check_sshd(ev: dict[str, Any], ctx: Context) -> Finding:
    settings = facts.sshd_settings(ev)
    if settings is None:
        return _unknown("sshd -T failed")
    shown = ", ".join(f"{k} {settings.get(k, '?')}" for k in _SSHD_WANTED)
    bad = [k for k, ok in _SSHD_WANTED.items() if settings.get(k) not in ok]
    if bad:
        return _fail(f"not hardened: {', '.join(f'{k} {settings.get(k)}' for k in bad)}")
    return _ok(shown)


# --- 12 / C7, C8: insecure services -------------------------------------------------------
_CLEARTEXT = {("tcp", 21): "FTP", ("tcp", 23): "telnet", ("udp", 69): "TFTP",
              ("tcp", 512): "rexec", ("tcp", 513): "rlogin", ("tcp", 514): "rsh"}


@control("C7", 12, "No FTP, TFTP, telnet or r-services listening",
         "「关闭络设备HTTP、FTP、TFTP等服务」", "002 L1793")
def check_cleartext_services(ev: dict[str, Any], ctx: Context) -> Finding:
    if not ev.get("listening"):
        return _unknown("listening sockets not read")
    found = sorted({f"{_CLEARTEXT[(s.proto, s.port)]} ({s.proto}/{s.port}, {s.process})"
                    for s in facts.listeners(ev) if (s.proto, s.port) in _CLEARTEXT})
    if found:
        return _fail(f"listening: {'; '.join(found)}")
    return _ok("none of FTP/TFTP/telnet/rsh/rlogin/rexec listening")


@control("C8", 12, "SNMP communities are strong (> 8 chars, letters and digits)",
         "「SNMP社区串、本地用户口令强健(>8字符,数字、字母混杂)」", "002 L1793")
def check_snmp(ev: dict[str, Any], ctx: Context) -> Finding:
    if not ev.get("snmp_configured"):
        return Finding(Status.NOT_APPLICABLE, "no /etc/snmp/snmpd.conf")
    weak = int(ev.get("snmp_weak_community") or 0)
    if facts.flag(ev, "snmp_default_community"):
        return _fail(f"default community (public/private) configured; {weak} weak in total")
    if weak:
        return _fail(f"{weak} community string(s) shorter than 9 or not letters+digits")
    return _ok("every community string is > 8 characters with letters and digits")


# --- 13 / D1, A4: patching and trusted repositories ---------------------------------------
@control("D1", 13, "No pending security updates",
         "「及时为操作系统和应用软件打补丁,修复已知的安全漏洞」", "000 L76")
def check_security_updates(ev: dict[str, Any], ctx: Context) -> Finding:
    count, total, names = facts.pending_security_updates(ev)
    if count is None:
        return _unknown("apt has no package lists (apt-get update never ran): cannot tell")
    if count:
        return _fail(f"{count} security updates pending: {', '.join(names[:10])}")
    return _ok(f"no security updates pending ({total} other upgrades)")


@control("A4", 13, "Software only from signed repositories",
         "「只从官方和可信赖的渠道下载和安装软件」", "000 L77")
def check_trusted_sources(ev: dict[str, Any], ctx: Context) -> Finding:
    trusted = (ev.get("apt") or {}).get("trusted_sources") or []
    if trusted:
        return _fail(f"signature checks disabled (trusted=yes) in: {', '.join(trusted)}")
    return _ok("no apt source disables signature checks")


# --- 14 / D9, D7: malware protection -------------------------------------------------------
@control("D9", 14, "Antivirus installed with signatures updated daily",
         "「所有信息系统服务器、工作终端、用户终端必须安装安全防病毒软件」", "002 L2107")
def check_antivirus(ev: dict[str, Any], ctx: Context) -> Finding:
    daemon = facts.service_active(ev, "clamav-daemon", "clamav-freshclam")
    mtime = ev.get("clamav_daily_mtime")
    if daemon is None:
        return _fail("no ClamAV service installed")
    if not isinstance(mtime, int | float):
        return _fail(f"{daemon}; no signature database in /var/lib/clamav")
    age = ctx.now - float(mtime)
    if age > ctx.thresholds.max_signature_age_hours * 3600:
        return _fail(f"{daemon}; signatures {_hours(age)} old")
    return _ok(f"{daemon}; signatures {_hours(age)} old")


# --- 15 / E3, E1: audit logging ------------------------------------------------------------
@control("E3", 15, "Audit trail of access and operations (auditd)",
         "「建立数据安全审计机制,对数据访问和操作进行记录和审计」", "000 L39")
def check_auditd(ev: dict[str, Any], ctx: Context) -> Finding:
    state = facts.service_active(ev, "auditd")
    if facts.flag(ev, "container"):
        return Finding(Status.NOT_APPLICABLE,
                       f"host is a container: the kernel audit log belongs to the machine "
                       f"({state or 'auditd not installed'})")
    if state is None:
        return _fail("auditd not installed")
    if not state.endswith("running"):
        return _fail(state)
    return _ok(state)


@control("E1", 15, "System logs kept persistently (journald)",
         "「记录系统中的操作日志、访问日志等」", "000 L149")
def check_journald(ev: dict[str, Any], ctx: Context) -> Finding:
    conf = facts.merged_conf(ev, "/etc/systemd/journald.conf", "/etc/systemd/journald.conf.d")
    storage = conf.get("Storage", "auto")
    persistent = facts.flag(ev, "journal_persistent")
    kept = storage == "persistent" or (storage == "auto" and persistent)
    evidence = f"Storage={storage}, /var/log/journal {'present' if persistent else 'absent'}"
    return _ok(evidence) if kept else _fail(evidence)
