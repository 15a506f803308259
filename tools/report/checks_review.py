"""The access review in the report (B32, B32b, B20b, B35): who can log in, and what the
inventory does not declare.

The evidence is the accounts role's own review (`bulwark_access_review`, run in check mode by
the evidence play, so it reflects the host now, not the last site.yml run): per account the
shell, password state, keys with fingerprints, sudo rules, role and last login, and flags for
an undeclared key, an undeclared sudo rule and a departed person who can still log in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from bulwark.report import facts, probe
from bulwark.report.controls import Context, Finding, control, fail, ok, unknown, verdict

_TOTP_PAM = {"pam_google_authenticator", "pam_oath"}


def review(ev: dict[str, Any]) -> dict[str, Any] | None:
    doc = ev.get("access_review")
    return doc if isinstance(doc, dict) and isinstance(doc.get("accounts"), list) else None


def _missing(ev: dict[str, Any]) -> Finding:
    why = str(ev.get("access_review_error") or "").strip().splitlines()
    return unknown("the accounts role's access review did not run"
                   + (f": {why[0][:200]}" if why else " (see evidence.log)"))


def reviewed(
    fn: Callable[[dict[str, Any], dict[str, Any], Context], Finding],
) -> Callable[[dict[str, Any], Context], Finding]:
    """A check of the access review: UNKNOWN with the reason when the review did not run,
    otherwise `fn(review document, evidence, context)`."""
    @wraps(fn)
    def check(ev: dict[str, Any], ctx: Context) -> Finding:
        doc = review(ev)
        return _missing(ev) if doc is None else fn(doc, ev, ctx)
    return check


def _flags(doc: dict[str, Any], kind: str) -> list[str]:
    return [f"{f.get('account')}: {f.get('detail')}" for f in doc.get("flags") or []
            if isinstance(f, dict) and f.get("flag") == kind]


def login_accounts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in doc["accounts"] if isinstance(a, dict) and a.get("can_log_in")]


def describe(account: dict[str, Any]) -> str:
    """One account as the auditor reads it: shell, password, keys, sudo, role, last login."""
    keys = [f"{k.get('type')} {k.get('fingerprint')}"
            + ("" if k.get("declared") else " UNDECLARED")
            for k in account.get("keys") or [] if isinstance(k, dict)]
    sudo = [str(r.get("rule")) + ("" if r.get("declared") else " UNDECLARED")
            for r in account.get("sudo") or [] if isinstance(r, dict)]
    last = account.get("last_login") or {}
    return (f"{account.get('name')} (shell {account.get('shell')}, password "
            f"{account.get('password')}, keys [{'; '.join(keys) or 'none'}], sudo "
            f"[{'; '.join(sudo) or 'none'}], role {account.get('role') or 'none'}, last login "
            f"{last.get('time', 'never') if isinstance(last, dict) else 'never'})")


@control("B32", "Access review: every SSH key of every account is declared in the inventory",
         by="role accounts (access review)")
@reviewed
def check_review_keys(doc: dict[str, Any], ev: dict[str, Any], ctx: Context) -> Finding:
    listed = "; ".join(describe(a) for a in login_accounts(doc)) or "no account can log in"
    undeclared = _flags(doc, "undeclared_key")
    if undeclared:
        return fail(f"undeclared keys: {' | '.join(undeclared)} || can log in: {listed}")
    stale = "" if ev.get("access_review_stored_current") in (True, "True", "true") else \
        " (the stored access-review.json is out of date: run playbooks/access_review.yml)"
    return ok(f"every key declared; can log in: {listed}{stale}")


@control("B32b", "Access review: every sudo rule is declared (Bulwark drop-in or sysadmin role)",
         by="role accounts (access review)")
@reviewed
def check_review_sudo(doc: dict[str, Any], ev: dict[str, Any], ctx: Context) -> Finding:
    undeclared = _flags(doc, "undeclared_sudo_rule")
    granted = sorted(f"{a.get('name')}: {len(a.get('sudo') or [])} rule(s)"
                     for a in doc["accounts"] if isinstance(a, dict) and a.get("sudo"))
    return verdict([f"undeclared sudo rules: {' | '.join(undeclared)}"] if undeclared else [],
                   f"every sudo rule declared ({', '.join(granted) or 'no sudo rules'})")


@control("B20b", "Departed staff cannot log in (no shell, key or usable password)",
         by="role accounts (bulwark_accounts_departed)")
@reviewed
def check_departed(doc: dict[str, Any], ev: dict[str, Any], ctx: Context) -> Finding:
    still = _flags(doc, "departed_can_log_in")
    departed = sorted(str(a.get("name")) for a in doc["accounts"]
                      if isinstance(a, dict) and a.get("departed"))
    if still:
        return fail(f"departed but able to log in: {' | '.join(still)}")
    return ok(f"departed accounts disabled: {', '.join(departed)}" if departed
              else "no departed account on this host")


def _second_factor_enforced(ev: dict[str, Any], name: str) -> str | None:
    """Why sshd does not ask `name` for a second factor, or None when it does."""
    settings = probe.sshd_per_user(ev).get(name)
    if settings is None:
        return "sshd -T -C did not run for this account"
    methods = (settings.get("authenticationmethods") or "any").split()
    if any("keyboard-interactive" not in m for m in methods):
        return f"sshd AuthenticationMethods {' '.join(methods)}"
    if not _TOTP_PAM & facts.pam_modules(ev, "/etc/pam.d/sshd"):
        return "no TOTP module in /etc/pam.d/sshd"
    return None


@control("B35", "Admins log in with two factors (SSH key and TOTP)",
         by="role ssh (bulwark_ssh_mfa, totp_secret of bulwark_admins)")
@reviewed
def check_second_factor(doc: dict[str, Any], ev: dict[str, Any], ctx: Context) -> Finding:
    inventory = ev.get("inventory") or {}
    exempt = {str(n) for n in inventory.get("ssh_mfa_exempt") or []}
    admins = [a for a in login_accounts(doc) if a.get("role")]
    if not admins:
        return unknown("no declared admin can log in (bulwark_admins)")
    without, shown = [], []
    for admin in admins:
        name = str(admin.get("name"))
        if name in exempt:
            shown.append(f"{name} exempt (bulwark_ssh_mfa_exempt)")
            continue
        if admin.get("second_factor") != "totp":
            without.append(f"{name} (no totp_secret)")
            continue
        why = _second_factor_enforced(ev, name)
        if why:
            without.append(f"{name} ({why})")
        else:
            shown.append(f"{name} key + TOTP")
    mfa = inventory.get("ssh_mfa", "none")
    return verdict([f"admins without a second factor (bulwark_ssh_mfa {mfa}): "
                    f"{', '.join(without)}"] if without else [], "; ".join(shown))
