#!/usr/bin/env python3
"""Rename the internal role variables to the project convention `__bulwark_<role>_<name>`.

Issue #19 item 5: registers, set_fact names, vars/*.yml keys and task/block vars used four
schemes (`bulwark_<role>_x`, `_bulwark_<role>_x`, `bulwark_<role>__x`, bare `__x`). Public
knobs (`bulwark_<role>_*` in defaults/ and meta/argument_specs.yml) and shared contract names
(bulwark_admins, the facts role's facts ...) are not in the map and never change.

The map below is explicit (old -> new per role) and the rewrite is idempotent: a new name never
matches an old one, so running it twice, or again after merging other branches that still use
old names, only rewrites what is left. A role-prefixed old name is rewritten in every tracked
text file (playbooks and tests read some registers); a bare `__x` name only in its own role.

    python3 .ci/rename_internal_vars.py [--check] [--root DIR]

--check rewrites nothing and exits 1 when an old name is still in use (lists file:line).
Variables added later that break the convention are caught by ansible-lint's
`bulwark-var-naming` rule (.ci/lint_rules/), not renamed silently: --propose prints map
entries for them (run it with the project's .venv/bin/python, the rule imports ansible-lint),
to review and paste into RENAMES before the rewrite.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

RENAMES: dict[str, dict[str, str]] = {
    "accounts": {
        "__both": "__bulwark_accounts_both",
        "__problems": "__bulwark_accounts_problems",
        "bulwark_accounts_evidence_weak": "__bulwark_accounts_evidence_weak",
    },
    "audit": {
        "bulwark_audit_arches": "__bulwark_audit_arches",
        "bulwark_audit_binary": "__bulwark_audit_binary",
        "bulwark_audit_load": "__bulwark_audit_load",
        "bulwark_audit_present_watches": "__bulwark_audit_present_watches",
        "bulwark_audit_privileged_find": "__bulwark_audit_privileged_find",
        "bulwark_audit_privileged_programs": "__bulwark_audit_privileged_programs",
        "bulwark_audit_state": "__bulwark_audit_state",
        "bulwark_audit_syscalls": "__bulwark_audit_syscalls",
        "bulwark_audit_unit_present": "__bulwark_audit_unit_present",
        "bulwark_audit_watch_stat": "__bulwark_audit_watch_stat",
    },
    "backup_agent": {
        "_bulwark_backup_agent_bin": "__bulwark_backup_agent_bin",
        "_bulwark_backup_agent_bin_stat": "__bulwark_backup_agent_bin_stat",
        "_bulwark_backup_agent_dbs": "__bulwark_backup_agent_dbs",
        "_bulwark_backup_agent_has_db": "__bulwark_backup_agent_has_db",
        "_bulwark_backup_agent_has_files": "__bulwark_backup_agent_has_files",
        "_bulwark_backup_agent_init": "__bulwark_backup_agent_init",
        "_bulwark_backup_agent_installed": "__bulwark_backup_agent_installed",
        "_bulwark_backup_agent_jobs": "__bulwark_backup_agent_jobs",
        "_bulwark_backup_agent_local_repos": "__bulwark_backup_agent_local_repos",
        "_bulwark_backup_agent_password_file": "__bulwark_backup_agent_password_file",
        "_bulwark_backup_agent_password_stat": "__bulwark_backup_agent_password_stat",
        "_bulwark_backup_agent_pip": "__bulwark_backup_agent_pip",
        "_bulwark_backup_agent_pip_args": "__bulwark_backup_agent_pip_args",
        "_bulwark_backup_agent_units": "__bulwark_backup_agent_units",
        "_bulwark_backup_agent_wheels": "__bulwark_backup_agent_wheels",
    },
    "baseline": {
        "_bulwark_baseline_apt_lists": "__bulwark_baseline_apt_lists",
        "_bulwark_baseline_cc_stat": "__bulwark_baseline_cc_stat",
        "_bulwark_baseline_cc_todo": "__bulwark_baseline_cc_todo",
        "_bulwark_baseline_overrides": "__bulwark_baseline_overrides",
        "_bulwark_baseline_packages": "__bulwark_baseline_packages",
        "_bulwark_baseline_perm_stat": "__bulwark_baseline_perm_stat",
        "_bulwark_baseline_root_only": "__bulwark_baseline_root_only",
        "_bulwark_baseline_tmp_unit": "__bulwark_baseline_tmp_unit",
        "_bulwark_baseline_usb_bus": "__bulwark_baseline_usb_bus",
        "_bulwark_baseline_usb_policy": "__bulwark_baseline_usb_policy",
        "_bulwark_baseline_usb_rules": "__bulwark_baseline_usb_rules",
        "_bulwark_baseline_wanted": "__bulwark_baseline_wanted",
        "bulwark_baseline_at_group": "__bulwark_baseline_at_group",
        "bulwark_baseline_crontab_group": "__bulwark_baseline_crontab_group",
        "bulwark_baseline_login_defs": "__bulwark_baseline_login_defs",
        "bulwark_baseline_profile_dir": "__bulwark_baseline_profile_dir",
        "bulwark_baseline_tmp_unit_source": "__bulwark_baseline_tmp_unit_source",
        "bulwark_baseline_usbguard_config": "__bulwark_baseline_usbguard_config",
        "bulwark_baseline_usbguard_rules": "__bulwark_baseline_usbguard_rules",
    },
    "firewall": {
        "bulwark_firewall__apt_lists": "__bulwark_firewall_apt_lists",
        "bulwark_firewall__conf": "__bulwark_firewall_conf",
        "bulwark_firewall__dropin_dir": "__bulwark_firewall_dropin_dir",
        "bulwark_firewall__install": "__bulwark_firewall_install",
        "bulwark_firewall__live": "__bulwark_firewall_live",
        "bulwark_firewall__nft": "__bulwark_firewall_nft",
        "bulwark_firewall__nft_stat": "__bulwark_firewall_nft_stat",
        "bulwark_firewall__packages": "__bulwark_firewall_packages",
        "bulwark_firewall__ruleset_file": "__bulwark_firewall_ruleset_file",
        "bulwark_firewall__service": "__bulwark_firewall_service",
        "bulwark_firewall__table": "__bulwark_firewall_table",
    },
    "intrusion": {
        "_bulwark_intrusion_apt_lists": "__bulwark_intrusion_apt_lists",
        "_bulwark_intrusion_clam_sigs": "__bulwark_intrusion_clam_sigs",
        "_bulwark_intrusion_clam_units": "__bulwark_intrusion_clam_units",
        "_bulwark_intrusion_packages": "__bulwark_intrusion_packages",
        "_bulwark_intrusion_ready": "__bulwark_intrusion_ready",
        "_bulwark_intrusion_rkh_units": "__bulwark_intrusion_rkh_units",
        "_bulwark_intrusion_wanted": "__bulwark_intrusion_wanted",
        "bulwark_intrusion__aide_checksums": "__bulwark_intrusion_aide_checksums",
        "bulwark_intrusion__aide_excludes": "__bulwark_intrusion_aide_excludes",
        "bulwark_intrusion__jail": "__bulwark_intrusion_jail",
        "bulwark_intrusion__rkhunter_conf": "__bulwark_intrusion_rkhunter_conf",
        "bulwark_intrusion__ssh_connection": "__bulwark_intrusion_ssh_connection",
        "bulwark_intrusion_acct_packages": "__bulwark_intrusion_acct_packages",
        "bulwark_intrusion_aide_conf_dir": "__bulwark_intrusion_aide_conf_dir",
        "bulwark_intrusion_aide_db": "__bulwark_intrusion_aide_db",
        "bulwark_intrusion_aide_packages": "__bulwark_intrusion_aide_packages",
        "bulwark_intrusion_clamav_db_dir": "__bulwark_intrusion_clamav_db_dir",
        "bulwark_intrusion_clamav_packages": "__bulwark_intrusion_clamav_packages",
        "bulwark_intrusion_clamscan": "__bulwark_intrusion_clamscan",
        "bulwark_intrusion_fail2ban_packages": "__bulwark_intrusion_fail2ban_packages",
        "bulwark_intrusion_rkhunter_bin": "__bulwark_intrusion_rkhunter_bin",
        "bulwark_intrusion_rkhunter_db": "__bulwark_intrusion_rkhunter_db",
        "bulwark_intrusion_rkhunter_packages": "__bulwark_intrusion_rkhunter_packages",
        "bulwark_intrusion_sysstat_packages": "__bulwark_intrusion_sysstat_packages",
    },
    "kernel": {
        "_bulwark_kernel_block_vfat": "__bulwark_kernel_block_vfat",
        "_bulwark_kernel_blocked": "__bulwark_kernel_blocked",
        "_bulwark_kernel_efi": "__bulwark_kernel_efi",
        "_bulwark_kernel_keys": "__bulwark_kernel_keys",
        "_bulwark_kernel_now": "__bulwark_kernel_now",
        "_bulwark_kernel_proc_sys": "__bulwark_kernel_proc_sys",
        "_bulwark_kernel_sysctl": "__bulwark_kernel_sysctl",
        "_bulwark_kernel_sysctl_live": "__bulwark_kernel_sysctl_live",
        "_bulwark_kernel_sysctl_settable": "__bulwark_kernel_sysctl_settable",
        "bulwark_kernel_coredump_dropin_dir": "__bulwark_kernel_coredump_dropin_dir",
        "bulwark_kernel_false_binary": "__bulwark_kernel_false_binary",
        "bulwark_kernel_limits_dir": "__bulwark_kernel_limits_dir",
    },
    "logging": {
        "bulwark_logging_login_review_units": "__bulwark_logging_login_review_units",
        "bulwark_logging_rsyslog_packages": "__bulwark_logging_rsyslog_packages",
        "bulwark_logging_rsyslogd": "__bulwark_logging_rsyslogd",
    },
    "patching": {
        "bulwark_patching_after": "__bulwark_patching_after",
        "bulwark_patching_before": "__bulwark_patching_before",
        "bulwark_patching_dry_run": "__bulwark_patching_dry_run",
        "bulwark_patching_forced_update": "__bulwark_patching_forced_update",
        "bulwark_patching_insecure_source_regex": "__bulwark_patching_insecure_source_regex",
        "bulwark_patching_insecure_sources": "__bulwark_patching_insecure_sources",
        "bulwark_patching_install": "__bulwark_patching_install",
        "bulwark_patching_latest": "__bulwark_patching_latest",
        "bulwark_patching_mirror_effective": "__bulwark_patching_mirror_effective",
        "bulwark_patching_pending": "__bulwark_patching_pending",
        "bulwark_patching_policy": "__bulwark_patching_policy",
        "bulwark_patching_policy_after": "__bulwark_patching_policy_after",
        "bulwark_patching_reboot": "__bulwark_patching_reboot",
        "bulwark_patching_reboot_flag": "__bulwark_patching_reboot_flag",
        "bulwark_patching_record": "__bulwark_patching_record",
        "bulwark_patching_record_name": "__bulwark_patching_record_name",
        "bulwark_patching_record_needed": "__bulwark_patching_record_needed",
        "bulwark_patching_security_uri_effective": "__bulwark_patching_security_uri_effective",
        "bulwark_patching_security_uris": "__bulwark_patching_security_uris",
        "bulwark_patching_sources": "__bulwark_patching_sources",
        "bulwark_patching_sources_added": "__bulwark_patching_sources_added",
        "bulwark_patching_sources_changed": "__bulwark_patching_sources_changed",
        "bulwark_patching_sources_deduplicated": "__bulwark_patching_sources_deduplicated",
        "bulwark_patching_sources_removed": "__bulwark_patching_sources_removed",
        "bulwark_patching_started": "__bulwark_patching_started",
        "bulwark_patching_state": "__bulwark_patching_state",
        "bulwark_patching_state_now": "__bulwark_patching_state_now",
        "bulwark_patching_state_unchanged": "__bulwark_patching_state_unchanged",
        "bulwark_patching_upgrade": "__bulwark_patching_upgrade",
        "bulwark_patching_upgraded": "__bulwark_patching_upgraded",
        "bulwark_patching_uu_binary": "__bulwark_patching_uu_binary",
    },
    "pull_agent": {
        "bulwark_pull_agent__archives": "__bulwark_pull_agent_archives",
        "bulwark_pull_agent__collections_dir": "__bulwark_pull_agent_collections_dir",
        "bulwark_pull_agent__credentials_dir": "__bulwark_pull_agent_credentials_dir",
        "bulwark_pull_agent__gnupghome": "__bulwark_pull_agent_gnupghome",
        "bulwark_pull_agent__installed": "__bulwark_pull_agent_installed",
        "bulwark_pull_agent__keyring": "__bulwark_pull_agent_keyring",
        "bulwark_pull_agent__keys": "__bulwark_pull_agent_keys",
        "bulwark_pull_agent__script": "__bulwark_pull_agent_script",
        "bulwark_pull_agent__settings": "__bulwark_pull_agent_settings",
        "bulwark_pull_agent__settings_file": "__bulwark_pull_agent_settings_file",
        "bulwark_pull_agent__signing_keys_file": "__bulwark_pull_agent_signing_keys_file",
        "bulwark_pull_agent__vars_file": "__bulwark_pull_agent_vars_file",
        "bulwark_pull_agent__wheel_dir": "__bulwark_pull_agent_wheel_dir",
    },
    "ssh": {
        "__bad_secrets": "__bulwark_ssh_bad_secrets",
        "__line": "__bulwark_ssh_line",
        "bulwark_ssh__authorized": "__bulwark_ssh_authorized",
        "bulwark_ssh__ciphers": "__bulwark_ssh_ciphers",
        "bulwark_ssh__crypto": "__bulwark_ssh_crypto",
        "bulwark_ssh__crypto_profiles": "__bulwark_ssh_crypto_profiles",
        "bulwark_ssh__debian_banner_supported": "__bulwark_ssh_debian_banner_supported",
        "bulwark_ssh__declared_keys": "__bulwark_ssh_declared_keys",
        "bulwark_ssh__dropin_name": "__bulwark_ssh_dropin_name",
        "bulwark_ssh__foreign_dropins": "__bulwark_ssh_foreign_dropins",
        "bulwark_ssh__guard_keys_file": "__bulwark_ssh_guard_keys_file",
        "bulwark_ssh__guard_keys_path": "__bulwark_ssh_guard_keys_path",
        "bulwark_ssh__guard_keys_stat": "__bulwark_ssh_guard_keys_stat",
        "bulwark_ssh__guard_source": "__bulwark_ssh_guard_source",
        "bulwark_ssh__host_key_algorithms": "__bulwark_ssh_host_key_algorithms",
        "bulwark_ssh__host_keys": "__bulwark_ssh_host_keys",
        "bulwark_ssh__macs": "__bulwark_ssh_macs",
        "bulwark_ssh__managed_keywords": "__bulwark_ssh_managed_keywords",
        "bulwark_ssh__mfa_packages": "__bulwark_ssh_mfa_packages",
        "bulwark_ssh__moduli": "__bulwark_ssh_moduli",
        "bulwark_ssh__obsolete_host_keys": "__bulwark_ssh_obsolete_host_keys",
        "bulwark_ssh__openssh_version": "__bulwark_ssh_openssh_version",
        "bulwark_ssh__packages": "__bulwark_ssh_packages",
        "bulwark_ssh__privsep_dir": "__bulwark_ssh_privsep_dir",
        "bulwark_ssh__probe": "__bulwark_ssh_probe",
        "bulwark_ssh__profile": "__bulwark_ssh_profile",
        "bulwark_ssh__pruned": "__bulwark_ssh_pruned",
        "bulwark_ssh__q": "__bulwark_ssh_q",
        "bulwark_ssh__remote_user": "__bulwark_ssh_remote_user",
        "bulwark_ssh__sections": "__bulwark_ssh_sections",
        "bulwark_ssh__service": "__bulwark_ssh_service",
        "bulwark_ssh__sftp_server": "__bulwark_ssh_sftp_server",
        "bulwark_ssh__ssh_connection_pattern": "__bulwark_ssh_ssh_connection_pattern",
        "bulwark_ssh__sshd_binary": "__bulwark_ssh_sshd_binary",
        "bulwark_ssh__usable_keys": "__bulwark_ssh_usable_keys",
        "bulwark_ssh__version": "__bulwark_ssh_version",
    },
    "timesync": {
        "bulwark_timesync_chronyd": "__bulwark_timesync_chronyd",
    },
}

_WORD = "A-Za-z0-9_"


def _pattern(old: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![{_WORD}]){re.escape(old)}(?![{_WORD}])")


def validate_map() -> None:
    """Fail before touching a file when the map could merge two variables into one."""
    news: dict[str, str] = {}
    olds = {old for table in RENAMES.values() for old in table}
    for role, table in RENAMES.items():
        for old, new in table.items():
            if not new.startswith(f"__bulwark_{role}_"):
                raise SystemExit(f"map error: {old} -> {new} is not __bulwark_{role}_*")
            if new in olds:
                raise SystemExit(f"map error: {new} is also an old name (not idempotent)")
            if news.setdefault(new, old) != old:
                raise SystemExit(f"map error: {news[new]} and {old} both become {new}")


def tracked_files(root: Path) -> list[Path]:
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode().split("\0")
    me = Path(__file__).resolve()
    # The script's own test spells old names on purpose (its fixture tree).
    own_test = Path("tests/unit/roles/test_rename_internal_vars.py")
    files = []
    for name in filter(None, listed):
        path = root / name
        # Symlinks (plugins/) point at files that are rewritten under their own name.
        if path.is_symlink() or not path.is_file() or path.resolve() == me:
            continue
        if Path(name) == own_test:
            continue
        files.append(path)
    return files


def rules_for(root: Path, path: Path) -> list[tuple[re.Pattern[str], str]]:
    rel = path.relative_to(root).parts
    rules = []
    for role, table in RENAMES.items():
        in_role = rel[:2] == ("roles", role)
        for old, new in table.items():
            # A bare `__x` is only this role's; `bulwark_<role>...` names are unique anywhere.
            if in_role or f"bulwark_{role}" in old:
                rules.append((_pattern(old), new))
    return rules


def propose(root: Path) -> int:
    """Print RENAMES entries for role variables that break the convention and are not mapped."""
    import importlib.util

    import yaml

    source = Path(__file__).resolve().parent / "lint_rules" / "bulwark_var_naming.py"
    spec = importlib.util.spec_from_file_location("bulwark_var_naming", source)
    assert spec is not None and spec.loader is not None
    rule = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rule)
    found: dict[str, dict[str, str]] = {}
    for path in sorted((root / "roles").glob("*/**/*.yml")):
        role, *below = path.relative_to(root / "roles").parts
        data = yaml.safe_load(path.read_text())
        for _, name, public in rule.definitions(role, tuple(below), data):
            if public or not rule.problem(role, name, public) or name in RENAMES.get(role, {}):
                continue
            stem = name
            for prefix in (f"_bulwark_{role}_", f"bulwark_{role}__", f"bulwark_{role}_", "__", "_"):
                if stem.startswith(prefix):
                    stem = stem[len(prefix):]
                    break
            found.setdefault(role, {})[name] = f"__bulwark_{role}_{stem}"
    for role, table in sorted(found.items()):
        print(f'    "{role}": {{')
        for old, new in sorted(table.items()):
            print(f'        "{old}": "{new}",')
        print("    },")
    return 1 if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="repository to rewrite (default: the one holding this script)")
    parser.add_argument("--check", action="store_true",
                        help="rewrite nothing; exit 1 when an old name is still used")
    parser.add_argument("--propose", action="store_true",
                        help="print map entries for unmapped names that break the convention")
    args = parser.parse_args()
    root = args.root.resolve()
    if not (root / "roles").is_dir():
        print(f"rename_internal_vars: {root} has no roles/ directory", file=sys.stderr)
        return 2
    validate_map()
    if args.propose:
        return propose(root)
    changed = left = 0
    for path in tracked_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new_text = text
        for pattern, new in rules_for(root, path):
            if args.check:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    print(f"{path.relative_to(root)}:{line}: {match.group(0)} -> {new}")
                    left += 1
            else:
                new_text = pattern.sub(new, new_text)
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
            changed += 1
    if args.check:
        print(f"{left} old internal variable name(s) in use", file=sys.stderr)
        return 1 if left else 0
    print(f"rewrote {changed} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
