from __future__ import annotations

from bulwark.report import facts

APT_SIMULATION = """Reading package lists...
Inst libssl3 [3.0.11-1~deb12u1] (3.0.15-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])
Conf libssl3 (3.0.15-1~deb12u1 Debian-Security:12/stable-security [amd64])
"""


def test_sshd_effective_config_is_parsed_lowercase() -> None:
    ev = {"sshd": {"rc": "0", "out": "port 22\nPermitRootLogin no\npasswordauthentication yes"}}
    assert facts.sshd_settings(ev) == {"port": "22", "permitrootlogin": "no",
                                       "passwordauthentication": "yes"}
    assert facts.sshd_settings({"sshd": {"rc": 255, "out": ""}}) is None


def test_security_updates_are_told_apart_and_missing_lists_are_unknown() -> None:
    ev = {"apt": {"rc": 0, "out": APT_SIMULATION, "lists": 4}}
    assert facts.pending_security_updates(ev) == (1, 2, ["libssl3"])
    assert facts.pending_security_updates({"apt": {"rc": 0, "out": "", "lists": 0}})[0] is None


def test_listeners_and_nft_policy() -> None:
    ev = {"listening": 'tcp LISTEN 0 32 *:21 *:* users:(("vsftpd",pid=40,fd=3))\n'
                       "udp UNCONN 0 0 [::]:161 [::]:*\n",
          "nft": {"rc": 0, "out": "table inet f {\n chain input {\n"
                                  "  type filter hook input priority filter; policy drop;\n"}}
    assert [(s.proto, s.port, s.process) for s in facts.listeners(ev)] == [
        ("tcp", 21, "vsftpd"), ("udp", 161, "?")]
    assert facts.nft_input_policy(ev)[0] == "drop"
    assert facts.nft_input_policy({"nft": {"rc": 2, "out": ""}})[0] is None


def test_account_states_and_pam_stack() -> None:
    ev = {"passwd_status": "root L 2026-11-23 0 99999 7 -1\nguest NP 2026-11-23 0 30 7 -1\n",
          "files": {"/etc/pam.d/common-auth": "# pam_faillock.so here is a comment\n"
                                              "auth required pam_unix.so nullok\n"}}
    states = facts.account_statuses(ev)
    assert [(s.user, s.state, s.max_days) for s in states] == [
        ("root", "L", 99999), ("guest", "NP", 30)]
    assert facts.pam_modules(ev, "/etc/pam.d/common-auth") == {"pam_unix"}


def test_dropins_and_pam_arguments_override_the_main_file() -> None:
    ev = {"files": {
        "/etc/security/pwquality.conf": "# minlen = 20\nminlen = 6\ndcredit = 0\n",
        "/etc/security/pwquality.conf.d/50-site.conf": "minlen = 9\n",
        "/etc/security/pwquality.conf.d/10-early.conf": "minlen = 7\ndcredit = -1\n",
        "/etc/pam.d/common-password":
            "password requisite pam_pwquality.so retry=3 minlen=12\n"
            "# password requisite pam_pwquality.so minlen=1\n"}}
    merged = facts.merged_conf(ev, "/etc/security/pwquality.conf",
                               "/etc/security/pwquality.conf.d")
    assert merged == {"minlen": "9", "dcredit": "-1"}
    assert facts.pam_module_args(ev, "/etc/pam.d/common-password", "pam_pwquality") == {
        "retry": "3", "minlen": "12"}
