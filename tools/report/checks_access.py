"""Checks of accounts, passwords, sudo and SSH (roles accounts and ssh)."""

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
    na,
    ok,
    unknown,
    verdict,
)

_NO_ACCOUNT_STATUS = Finding(Status.UNKNOWN, "passwd --status --all gave no output")
_NO_PROBE = Finding(Status.UNKNOWN, "the evidence probe did not run (see evidence.log)")


def _admins(ev: dict[str, Any]) -> list[str]:
    return [str(a) for a in (ev.get("inventory") or {}).get("admins") or []]


# --- 7 / B23, B1, B3: default, empty and weak passwords ----------------------------------
@control("B23", "No account has a vendor default or common password (crypt comparison)",
         by="role accounts (bulwark_weak_passwords)")
def check_vendor_passwords(ev: dict[str, Any], ctx: Context) -> Finding:
    findings = ev.get("weak_passwords")
    if not isinstance(findings, list):
        return unknown("the accounts role's password comparison did not run: "
                       f"{ev.get('weak_passwords_error') or 'no result'}")
    usable = sorted(f"{f.get('user')} ({str(f.get('finding', '')).replace('_', ' ')})"
                    for f in findings if isinstance(f, dict) and not f.get("locked"))
    if usable:
        return fail(f"usable default/common password: {', '.join(usable)}")
    locked = sum(1 for f in findings if isinstance(f, dict))
    return ok(f"no account has a usable default or common password ({locked} locked ones)")


@control("B23-vendor-accounts", "Vendor default accounts are locked",
         by="role accounts (vendor_accounts)")
def check_vendor_accounts(ev: dict[str, Any], ctx: Context) -> Finding:
    statuses = facts.account_statuses(ev)
    if not statuses:
        return _NO_ACCOUNT_STATUS
    admins = set(_admins(ev))
    open_vendor = sorted(s.user for s in statuses if s.user in ctx.vendor_accounts
                         and s.user not in admins and s.state != "L")
    root_usable = any(s.user == "root" and s.state == "P" for s in statuses)
    problems = [f"vendor accounts not locked: {', '.join(open_vendor)}"] if open_vendor else []
    if root_usable:
        problems.append("root has a usable password")
    return verdict(problems, "no vendor account with a usable password; root password locked")


@control("B1", "Every account has a password (none empty)", by="role accounts")
def check_empty_passwords(ev: dict[str, Any], ctx: Context) -> Finding:
    statuses = facts.account_statuses(ev)
    if not statuses:
        return _NO_ACCOUNT_STATUS
    empty = sorted(s.user for s in statuses if s.state == "NP")
    if empty:
        return fail(f"accounts with an empty password: {', '.join(empty)}")
    return ok(f"{len(statuses)} accounts, none with an empty password")


_STRONG_SCHEMES = {"$y$", "$gy$", "$6$", "$7$", "$2b$"}


@control("B3", "Password hashes use a strong scheme and shadow is not readable by others",
         by="role accounts (ENCRYPT_METHOD), role baseline (permissions)")
def check_hash_schemes(ev: dict[str, Any], ctx: Context) -> Finding:
    entries = probe.shadow(ev)
    if not entries:
        return _NO_PROBE
    weak = sorted(f"{e.user} ({e.scheme})" for e in entries
                  if e.scheme.startswith("$") and e.scheme not in _STRONG_SCHEMES)
    problems = [f"weak hash scheme: {', '.join(weak)}"] if weak else []
    method = probe.key_space_values(probe.section(ev, "login.defs-umask")).get("ENCRYPT_METHOD")
    if method not in ("YESCRYPT", "SHA512"):
        problems.append(f"login.defs ENCRYPT_METHOD={method}")
    return verdict(problems, f"every hash is yescrypt/sha512; ENCRYPT_METHOD={method}")


def _mode_check(ev: dict[str, Any], path: str, max_mode: int, groups: set[str]) -> Finding:
    st = probe.stats(ev).get(path)
    if not probe.has_probe(ev):
        return _NO_PROBE
    if st is None:
        return fail(f"{path} missing")
    problems = []
    if st.mode & ~max_mode & 0o7777:
        problems.append(f"{path} mode {st.mode:04o} (at most {max_mode:04o})")
    if st.owner != "root" or st.group not in groups:
        problems.append(f"{path} owned by {st.owner}:{st.group}")
    return verdict(problems, f"{path} {st.mode:04o} {st.owner}:{st.group}")


@control("B3b-shadow", "/etc/shadow is readable by root and group shadow only",
         by="Debian defaults, role baseline")
def check_shadow_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    return _mode_check(ev, "/etc/shadow", 0o640, {"root", "shadow"})


@control("B3b-gshadow", "/etc/gshadow is readable by root and group shadow only",
         by="Debian defaults, role baseline")
def check_gshadow_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    return _mode_check(ev, "/etc/gshadow", 0o640, {"root", "shadow"})


@control("A2-passwd-mode", "/etc/passwd and /etc/group are not writable by others",
         by="Debian defaults, role baseline")
def check_passwd_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    a = _mode_check(ev, "/etc/passwd", 0o644, {"root"})
    b = _mode_check(ev, "/etc/group", 0o644, {"root"})
    return a if a.status != Status.PASS else b if b.status != Status.PASS else ok(
        f"{a.evidence}; {b.evidence}")


# --- 8 / B4-B7: password quality ----------------------------------------------------------
def _pwquality(ev: dict[str, Any]) -> tuple[set[str], dict[str, str]]:
    modules = facts.pam_modules(ev, "/etc/pam.d/common-password")
    conf = facts.merged_conf(ev, "/etc/security/pwquality.conf",
                             "/etc/security/pwquality.conf.d")
    conf.update(facts.pam_module_args(ev, "/etc/pam.d/common-password", "pam_pwquality"))
    return modules, conf


def _int(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.lstrip("-").isdigit() else default


@control("B6", "Password quality enforced: minimum length > 8", by="role accounts (pwquality)")
def check_pwquality(ev: dict[str, Any], ctx: Context) -> Finding:
    modules, conf = _pwquality(ev)
    if "pam_pwquality" not in modules:
        return fail("pam_pwquality is not in /etc/pam.d/common-password")
    minlen = _int(conf.get("minlen"), 8)  # libpwquality's built-in default is 8
    if minlen < ctx.thresholds.admin_password_minlen:
        return fail(f"pwquality minlen={minlen}, policy needs more than 8")
    return ok(f"pam_pwquality active, minlen={minlen}")


@control("B5", "Password quality enforced: minimum length > 6 for every user",
         by="role accounts (pwquality)")
def check_min_length_users(ev: dict[str, Any], ctx: Context) -> Finding:
    modules, conf = _pwquality(ev)
    minlen = _int(conf.get("minlen"), 8)
    if "pam_pwquality" not in modules:
        return fail("pam_pwquality is not in /etc/pam.d/common-password")
    return ok(f"minlen={minlen}") if minlen > 6 else fail(f"minlen={minlen}")


@control("B7", "Passwords mix letters and digits", by="role accounts (pwquality credits)")
def check_letters_digits(ev: dict[str, Any], ctx: Context) -> Finding:
    modules, conf = _pwquality(ev)
    if "pam_pwquality" not in modules:
        return fail("pam_pwquality is not in /etc/pam.d/common-password")
    d, lo = _int(conf.get("dcredit"), 0), _int(conf.get("lcredit"), 0)
    shown = f"dcredit={d}, lcredit={lo}"
    return ok(shown) if d < 0 and lo < 0 else fail(f"digits and letters not required ({shown})")


@control("B4", "Passwords: no repeats, sequences, dictionary words or user names",
         by="role accounts (pwquality)")
def check_password_patterns(ev: dict[str, Any], ctx: Context) -> Finding:
    modules, conf = _pwquality(ev)
    if "pam_pwquality" not in modules:
        return fail("pam_pwquality is not in /etc/pam.d/common-password")
    problems = []
    for key in ("maxrepeat", "maxsequence"):
        value = _int(conf.get(key), 0)
        if value == 0 or value > 3:
            problems.append(f"{key}={value}")
    for key in ("dictcheck", "usercheck"):
        if conf.get(key, "1") == "0":
            problems.append(f"{key}=0")
    return verdict(problems, f"maxrepeat={conf.get('maxrepeat')}, "
                             f"maxsequence={conf.get('maxsequence')}, dictcheck and usercheck on")


@control("B10", "Old passwords cannot be reused (pam_pwhistory)", by="role accounts (pwhistory)")
def check_pwhistory(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    line = probe.section(ev, "pam-pwhistory").strip()
    remember = re.search(r"remember=(\d+)", line)
    if not line:
        return fail("pam_pwhistory is not in /etc/pam.d/common-password")
    return ok(line) if remember and int(remember.group(1)) > 0 else fail(f"no remember=N: {line}")


# --- 9 / B9, B11-B14: password ageing -----------------------------------------------------
@control("B11", "Password maximum age at most one month", by="role accounts (ageing)")
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
    return verdict(problems,
                   f"PASS_MAX_DAYS={defs}; every account with a password expires within {limit} d")


@control("B14", "Passwords change at least every half year", by="role accounts (ageing)")
def check_password_ceiling(ev: dict[str, Any], ctx: Context) -> Finding:
    limit = ctx.thresholds.max_password_days_ceiling
    too_long = sorted(s.user for s in facts.account_statuses(ev)
                      if s.state == "P" and (s.max_days is None or s.max_days > limit))
    if not facts.account_statuses(ev):
        return _NO_ACCOUNT_STATUS
    return verdict([f"passwords never expiring within {limit} d: {', '.join(too_long)}"]
                   if too_long else [], f"every usable password expires within {limit} days")


@control("B12", "Admins with a password change it every 15 days", by="role accounts (ageing)")
def check_admin_age(ev: dict[str, Any], ctx: Context) -> Finding:
    limit = ctx.thresholds.max_admin_password_days
    admins = set(_admins(ev))
    usable = {s.user: s for s in facts.account_statuses(ev) if s.user in admins}
    with_password = [s for s in usable.values() if s.state == "P"]
    if not admins:
        return unknown("the inventory names no admins (bulwark_admins)")
    bad = sorted(s.user for s in with_password if s.max_days is None or s.max_days > limit)
    if bad:
        return fail(f"admins with a password valid > {limit} days: {', '.join(bad)}")
    return ok(f"{len(with_password)} admins with a password, all ≤ {limit} days; "
              f"{len(usable) - len(with_password)} key-only")


@control("B9", "Minimum days between password changes (no cycling the history)",
         by="role accounts (ageing)")
def check_min_days(ev: dict[str, Any], ctx: Context) -> Finding:
    value = facts.login_defs(ev).get("PASS_MIN_DAYS")
    return ok(f"PASS_MIN_DAYS={value}") if value and value.isdigit() and int(value) >= 1 \
        else fail(f"PASS_MIN_DAYS={value}")


# --- 10 / B19, B22, B27: account hygiene and least privilege -------------------------------
@control("B19", "Vendor and unused accounts cannot log in (nologin shell or expired)",
         by="role accounts (vendor_accounts)")
def check_vendor_shells(ev: dict[str, Any], ctx: Context) -> Finding:
    passwd = ev.get("passwd") or {}
    if not passwd:
        return unknown("account database not read")
    admins = set(_admins(ev))
    shells = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false")
    bad = sorted(u for u, f in passwd.items() if u in ctx.vendor_accounts and u not in admins
                 and f and len(f) > 5 and f[5] not in shells)
    if bad:
        return fail(f"vendor accounts with a login shell: {', '.join(bad)}")
    return ok("no vendor account has a login shell")


@control("B22", "One account per person: no two accounts share a UID",
         by="role accounts (one admin account each)")
def check_unique_uids(ev: dict[str, Any], ctx: Context) -> Finding:
    passwd = ev.get("passwd") or {}
    if not passwd:
        return unknown("account database not read")
    seen: dict[str, list[str]] = {}
    for user, fields in passwd.items():
        if fields and len(fields) > 1:
            seen.setdefault(str(fields[1]), []).append(user)
    shared = sorted(f"uid {uid}: {', '.join(sorted(users))}" for uid, users in seen.items()
                    if len(users) > 1)
    return verdict([f"shared UIDs: {'; '.join(shared)}"] if shared else [],
                   f"{len(passwd)} accounts, every UID unique")


@control("B27-uid0", "No UID-0 account besides root", by="role accounts")
def check_uid_zero(ev: dict[str, Any], ctx: Context) -> Finding:
    if not ev.get("passwd"):
        return unknown("account database not read")
    extra = [u for u in facts.uid_zero_accounts(ev) if u != "root"]
    if extra:
        return fail(f"UID 0 besides root: {', '.join(extra)}")
    return ok("only root has UID 0")


@control("B27", "Only the inventory's admins may use sudo (sudo -l -U per account)",
         by="role accounts (admins, sudo group)")
def check_sudo(ev: dict[str, Any], ctx: Context) -> Finding:
    per_user = probe.sudo_per_user(ev)
    if not per_user:
        return _NO_PROBE
    admins = set(_admins(ev)) | {"root"}
    granted = {u: probe.sudo_commands(text) for u, text in per_user.items()}
    bad = sorted(f"{u}: {'; '.join(cmds)[:120]}" for u, cmds in granted.items()
                 if cmds and u not in admins)
    if bad:
        return fail(f"non-admins may run sudo: {' | '.join(bad)}")
    allowed = sorted(u for u, c in granted.items() if c and u != "root")
    return ok(f"{len(per_user)} accounts checked; sudo only for admins: "
              f"{', '.join(allowed) or 'none'}")


@control("B27-su", "su is restricted to the sudo group (pam_wheel)", by="role accounts (su)")
def check_su(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    line = probe.section(ev, "pam-su").strip()
    return ok(line) if "pam_wheel" in line else fail("pam_wheel is not active in /etc/pam.d/su")


@control("B34", "Failed logins lock out (pam_faillock)", by="role accounts (faillock)")
def check_lockout(ev: dict[str, Any], ctx: Context) -> Finding:
    modules = facts.pam_modules(ev, "/etc/pam.d/common-auth")
    if "pam_faillock" in modules:
        conf = facts.key_values(facts.file_text(ev, "/etc/security/faillock.conf"))
        return ok(f"pam_faillock active (deny={conf.get('deny', 'default 3')})")
    return fail("pam_faillock is not in /etc/pam.d/common-auth")


# --- 11 / C12, C13: SSH -------------------------------------------------------------------
_SSHD_WANTED = {
    "passwordauthentication": {"no"},
    "permitemptypasswords": {"no"},
    "kbdinteractiveauthentication": {"no"},
}


def _sshd(ev: dict[str, Any]) -> dict[str, dict[str, str] | None]:
    return probe.sshd_per_user(ev)


def _key_always_required(settings: dict[str, str]) -> bool:
    """Every AuthenticationMethods list includes publickey: keyboard-interactive can only come
    after a key (B35 TOTP: publickey,keyboard-interactive:pam), or is not offered at all (an
    MFA-exempt admin's Match block: publickey), so it cannot replace the key and the account
    stays key-based (C12). PasswordAuthentication yes stays a FAIL whatever the methods say:
    nothing in Bulwark's design turns it on, so it is drift."""
    methods = (settings.get("authenticationmethods") or "any").split()
    return "any" not in methods and all(
        "publickey" in {x.split(":")[0] for x in m.split(",")} for m in methods)


def _sshd_user_check(ev: dict[str, Any], want: dict[str, set[str]], users: list[str] | None,
                     what: str) -> Finding:
    per_user = _sshd(ev)
    if not per_user:
        return unknown("sshd -T -C did not run (see evidence.log)")
    failed = sorted(u for u, s in per_user.items() if s is None)
    if failed:
        return unknown(f"sshd -T -C failed for {', '.join(failed)}")
    problems = []
    for user in users if users is not None else sorted(per_user):
        settings = per_user.get(user)
        if settings is None:
            continue
        bad = [f"{k} {settings.get(k)}" for k, good in want.items()
               if settings.get(k) not in good
               and not (k == "kbdinteractiveauthentication" and _key_always_required(settings))]
        if bad:
            problems.append(f"user={user}: {', '.join(bad)}")
    return verdict(problems, f"{what} for {len(per_user)} accounts "
                             f"({', '.join(f'{k} {sorted(v)[0]}' for k, v in want.items())})")


@control("C12", "SSH is key-only for every account, Match blocks included (sshd -T -C)",
         by="role ssh")
def check_sshd(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_user_check(ev, _SSHD_WANTED, None, "key-only")


@control("C12-root", "root cannot log in over SSH", by="role ssh")
def check_sshd_root(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_user_check(ev, {"permitrootlogin": {"no"}}, None, "root login off")


@control("C13", "Only the inventory's admins may log in over SSH (AllowUsers/AllowGroups)",
         by="role ssh (AllowUsers = bulwark_admins)")
def check_allow_users(ev: dict[str, Any], ctx: Context) -> Finding:
    settings = _sshd(ev).get(probe.PROBE_USER)
    if settings is None:
        return unknown("sshd -T -C for a non-admin did not run")
    users, groups = settings.get("allowusers"), settings.get("allowgroups")
    if not users and not groups:
        return fail("no AllowUsers/AllowGroups: every account with a key may log in")
    admins = set(_admins(ev))
    listed = set((users or "").split())
    extra = sorted(u for u in listed if u.split("@")[0] not in admins and u.split("@")[0] != "*")
    if "*" in {u.split("@")[0] for u in listed}:
        return fail(f"AllowUsers contains a wildcard: {users}")
    if extra:
        return fail(f"AllowUsers lists non-admins: {', '.join(extra)}")
    return ok(f"AllowUsers {users or '-'}; AllowGroups {groups or '-'}")


def _sshd_value(ev: dict[str, Any], key: str) -> tuple[str | None, Finding | None]:
    per_user = _sshd(ev)
    settings = per_user.get(probe.PROBE_USER) or next(
        (s for s in per_user.values() if s), None)
    if settings is None:
        return None, unknown("sshd -T -C did not run")
    return settings.get(key), None


def _sshd_number(ev: dict[str, Any], key: str, low: int, high: int) -> Finding:
    value, problem = _sshd_value(ev, key)
    if problem:
        return problem
    number = _int(value, -1)
    return ok(f"{key} {value}") if low <= number <= high else fail(
        f"{key} {value} (wanted {low}..{high})")


@control("C19-maxauthtries", "SSH allows at most 4 authentication attempts per connection",
         by="role ssh")
def check_max_auth_tries(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_number(ev, "maxauthtries", 1, 4)


@control("C12-grace", "SSH login grace time at most 60 s", by="role ssh")
def check_grace(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_number(ev, "logingracetime", 1, 60)


@control("A11-ssh", "Idle SSH sessions are ended (ClientAliveInterval × CountMax ≤ 15 min)",
         by="role ssh")
def check_client_alive(ev: dict[str, Any], ctx: Context) -> Finding:
    interval, problem = _sshd_value(ev, "clientaliveinterval")
    count, _ = _sshd_value(ev, "clientalivecountmax")
    if problem:
        return problem
    total = _int(interval, 0) * _int(count, 3)
    shown = f"clientaliveinterval {interval}, clientalivecountmax {count}"
    return ok(shown) if 0 < total <= ctx.thresholds.max_idle_seconds else fail(shown)


@control("C12-loglevel", "SSH logs key fingerprints (LogLevel VERBOSE) for login review",
         by="role ssh")
def check_ssh_loglevel(ev: dict[str, Any], ctx: Context) -> Finding:
    value, problem = _sshd_value(ev, "loglevel")
    if problem:
        return problem
    return ok(f"loglevel {value}") if value in ("VERBOSE", "DEBUG1", "DEBUG") \
        else fail(f"loglevel {value}")


def _sshd_off(ev: dict[str, Any], keys: list[str]) -> Finding:
    per_user = _sshd(ev)
    if not per_user or all(s is None for s in per_user.values()):
        return unknown("sshd -T -C did not run")
    bad = sorted({f"user={u}: {k} {s.get(k)}" for u, s in per_user.items() if s
                  for k in keys if s.get(k) not in ("no", "none")})
    return verdict(bad, ", ".join(f"{k} no" for k in keys) + f" for {len(per_user)} accounts")


@control("C21", "SSH forwarding and tunnels are off (no relay through the host)",
         by="role ssh")
def check_forwarding(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_off(ev, ["allowtcpforwarding", "permittunnel", "x11forwarding"])


@control("C12-agent", "SSH agent and stream-local forwarding are off", by="role ssh")
def check_agent_forwarding(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_off(ev, ["allowagentforwarding", "allowstreamlocalforwarding"])


_WEAK_CRYPTO = re.compile(r"cbc|arcfour|3des|md5|hmac-sha1|umac-64|sha1\b|group1-|group14-sha1"
                          r"|ecdh-sha2-nistp|ssh-dss|ecdsa-sha2")


@control("G5", "SSH uses only strong ciphers, MACs, key exchanges and host keys", by="role ssh")
def check_ssh_crypto(ev: dict[str, Any], ctx: Context) -> Finding:
    per_user = _sshd(ev)
    settings = next((s for s in per_user.values() if s), None)
    if settings is None:
        return unknown("sshd -T -C did not run")
    problems = []
    for key in ("ciphers", "macs", "kexalgorithms", "hostkeyalgorithms"):
        weak = [a for a in (settings.get(key) or "").split(",") if _WEAK_CRYPTO.search(a)]
        if weak:
            problems.append(f"{key}: {', '.join(weak)}")
    return verdict(problems, "no CBC, SHA-1, MD5, NIST-curve or DSA algorithm offered")


@control("C12-hostbased", "SSH host-based and rhosts authentication are off for every account",
         by="role ssh")
def check_hostbased(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_user_check(ev, {"hostbasedauthentication": {"no"}, "ignorerhosts": {"yes"}},
                            None, "host-based authentication off")


@control("A2-ssh-banner", "SSH shows the legal banner before login", by="role ssh")
def check_ssh_banner(ev: dict[str, Any], ctx: Context) -> Finding:
    value, problem = _sshd_value(ev, "banner")
    if problem:
        return problem
    return fail("no SSH banner") if value in (None, "none") else ok(f"banner {value}")


@control("A2-ssh-config-mode", "sshd_config and SSH host private keys are root-only",
         by="role ssh")
def check_ssh_modes(ev: dict[str, Any], ctx: Context) -> Finding:
    stats = probe.stats(ev)
    if not probe.has_probe(ev):
        return _NO_PROBE
    problems = []
    for path, st in stats.items():
        if path.startswith("/etc/ssh/ssh_host_") and st.mode & 0o077:
            problems.append(f"{path} {st.mode:04o}")
    cfg = stats.get("/etc/ssh/sshd_config")
    if cfg and cfg.mode & 0o022:
        problems.append(f"/etc/ssh/sshd_config {cfg.mode:04o}")
    keys = sum(1 for p in stats if p.startswith("/etc/ssh/ssh_host_"))
    return verdict(problems, f"{keys} host private keys 0600; sshd_config not writable by others")


@control("A2-root-home", "root's home directory is not readable by others",
         by="role baseline (permissions)")
def check_root_home(ev: dict[str, Any], ctx: Context) -> Finding:
    st = probe.stats(ev).get("/root")
    if st is None:
        return _NO_PROBE if not probe.has_probe(ev) else na("no /root")
    return ok(f"/root {st.mode:04o}") if not st.mode & 0o077 else fail(
        f"/root is readable by others ({st.mode:04o})")


@control("B20", "Unused passwords expire into disabled accounts (useradd INACTIVE)",
         by="role accounts (inactive days)")
def check_inactive(ev: dict[str, Any], ctx: Context) -> Finding:
    text = probe.section(ev, "useradd")
    if not probe.has_probe(ev):
        return _NO_PROBE
    m = re.search(r"INACTIVE=(-?\d+)", text)
    value = int(m.group(1)) if m else -1
    return ok(f"INACTIVE={value}") if value >= 0 else fail(f"INACTIVE={value} (never disabled)")


@control("C12-maxsessions", "SSH sessions per connection limited (MaxSessions ≤ 4)", by="role ssh")
def check_max_sessions(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_number(ev, "maxsessions", 1, 4)


def _sshd_is(ev: dict[str, Any], key: str, want: str) -> Finding:
    value, problem = _sshd_value(ev, key)
    if problem:
        return problem
    return ok(f"{key} {value}") if value == want else fail(f"{key} {value} (wanted {want})")


@control("C12-userenv", "Users cannot pass environment to sshd (PermitUserEnvironment no)",
         by="role ssh")
def check_user_env(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_is(ev, "permituserenvironment", "no")


@control("C12-strictmodes", "sshd refuses keys in group/world-writable homes (StrictModes)",
         by="role ssh")
def check_strict_modes(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_is(ev, "strictmodes", "yes")


@control("E5-lastlog", "Users see their last login on SSH login (PrintLastLog)", by="role ssh")
def check_print_lastlog(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_is(ev, "printlastlog", "yes")


@control("G5-rsa-size", "SSH refuses RSA keys shorter than 3072 bits (RequiredRSASize)",
         by="role ssh")
def check_rsa_size(ev: dict[str, Any], ctx: Context) -> Finding:
    return _sshd_number(ev, "requiredrsasize", 3072, 16384)


@control("G5-hostkeys", "Only ed25519 and RSA host keys exist (no DSA/ECDSA files)",
         by="role ssh (host keys)")
def check_host_key_files(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    keys = sorted(p for p in probe.stats(ev) if p.startswith("/etc/ssh/ssh_host_"))
    weak = [p for p in keys if "_dsa_" in p or "_ecdsa_" in p]
    return fail(f"weak host keys present: {', '.join(weak)}") if weak else ok(
        f"host keys: {', '.join(k.rsplit('/', 1)[1] for k in keys)}")


@control("B27-sudoers-mode", "/etc/sudoers is read-only for root (0440)", by="role accounts")
def check_sudoers_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    return _mode_check(ev, "/etc/sudoers", 0o440, {"root"})


@control("C13-keys", "Only the inventory's admins have SSH authorized keys", by="role accounts")
def check_authorized_keys(ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return _NO_PROBE
    users = probe.section(ev, "authorized-keys").split()
    extra = sorted(set(users) - set(_admins(ev)))
    return fail(f"authorized_keys of non-admins: {', '.join(extra)}") if extra else ok(
        f"authorized keys only for admins: {', '.join(sorted(users)) or 'none'}")


@control("B34-faillock-conf", "faillock locks after a bounded number of failures for ≥ 15 min",
         by="role accounts (faillock)")
def check_faillock_conf(ev: dict[str, Any], ctx: Context) -> Finding:
    conf = facts.key_values(facts.file_text(ev, "/etc/security/faillock.conf"))
    deny, unlock = _int(conf.get("deny"), 3), _int(conf.get("unlock_time"), 600)
    shown = f"deny={deny}, unlock_time={unlock}"
    if "pam_faillock" not in facts.pam_modules(ev, "/etc/pam.d/common-auth"):
        return fail(f"pam_faillock not active ({shown} unused)")
    return ok(shown) if 1 <= deny <= 10 and (unlock == 0 or unlock >= 900) else fail(shown)
