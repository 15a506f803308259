"""Checks evaluated on evidence captured from real lab containers (tests/unit/report/data), and
on single changes to the hardened host's evidence: each weakness the issue found must FAIL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bulwark.report import catalogue, probe
from bulwark.report.controls import REGISTRY, Context, Status
from bulwark.report.evaluate import HostReport, covered_policies, evaluate
from tests.unit.report.conftest import load
from tests.unit.report.test_review_classification import review_checks_seen_failing


def _findings(evidence: dict[str, Any] | None, ctx: Context, problem: str = "") -> dict:
    host = evaluate(HostReport("h", "127.0.0.1", 22, evidence, problem), ctx)
    return dict(host.findings)


def _hardened() -> dict[str, Any]:
    return probe.expand(load("hardened"))


def _replace_section(ev: dict[str, Any], name: str, text: str) -> dict[str, Any]:
    """The hardened evidence with one probe section replaced (as if the host said `text`)."""
    raw = load("hardened")
    out, skip = [], False
    for line in raw["probe"].splitlines():
        if line.startswith("### "):
            skip = line[4:] == name
            out.append(line)
            if skip:
                out.append(text)
            continue
        if not skip:
            out.append(line)
    if f"### {name}" not in raw["probe"]:
        out[-1:-1] = [f"### {name}", text]
    raw["probe"] = "\n".join(out)
    return raw


def test_registry_ids_are_unique_quoted_and_at_least_120() -> None:
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids)) >= 120
    # E24's row quotes nothing: the policy states no retention period.
    assert all(c.quote.startswith("「") and c.quote.endswith("」") for c in REGISTRY
               if c.policy != "E24")
    ranks = {c.top15 for c in REGISTRY if c.top15}
    assert ranks >= set(range(1, 16)), sorted(ranks)


def test_every_policy_control_is_checked_or_listed_with_a_reason() -> None:
    covered = covered_policies()
    rest = dict(catalogue.unassessed(covered))
    assert set(catalogue.controls()) == covered | set(rest)
    assert all(reason for reason in rest.values())
    assert "B8" in rest and "not implemented" in rest["B8"]


@pytest.mark.parametrize(("control", "needle"), [
    ("C12", "passwordauthentication yes"),
    ("C12-root", "permitrootlogin yes"),
    ("B23", "pi (default password)"),
    ("B1", "guest"),
    ("C7", "telnet"),
    ("C8", "default community"),
    ("B11", "PASS_MAX_DAYS=99999"),
    ("F2", "no backup config"),
    ("E13", "no operation recorded"),
    ("F28", "no restore drill recorded"),
    ("C3", "nft not installed"),
    ("E1", "Storage=auto"),
    ("C13", "no AllowUsers"),
    ("A3", "no AIDE database"),
    ("F1", "bulwark-backup.timer not installed"),
    ("D2", "unattended-upgrades not installed"),
])
def test_neglected_host_fails(ctx: Context, control: str, needle: str) -> None:
    finding = _findings(load("neglected"), ctx)[control]
    assert finding.status is Status.FAIL, finding
    assert needle in finding.evidence


# The roles that had converged on the host hardened.json was captured from (data/README.md).
CONVERGED = {"accounts", "ssh", "firewall", "services", "backup_agent"}
# The capture predates the access review in the evidence and the snapshot tags in drill
# reports (UNKNOWN here; test_review_classification.py and the integration test
# test_access_review.py cover them); the lab host has no second factor, so B35 FAILs.
NOT_IN_CAPTURE = {"B32", "B32b", "B20b", "F12", "B35"}


def test_hardened_host_passes_every_check_of_the_converged_roles(ctx: Context) -> None:
    findings = _findings(load("hardened"), ctx)
    mine = {c.id for c in REGISTRY if c.roles and c.roles <= CONVERGED}
    bad = {cid: f"{f.status}: {f.evidence}" for cid, f in findings.items()
           if cid in mine and cid not in NOT_IN_CAPTURE
           and f.status not in (Status.PASS, Status.NOT_APPLICABLE)}
    assert len(mine) >= 60 and not bad, bad


def test_missing_evidence_is_unknown_for_every_check(ctx: Context) -> None:
    findings = _findings(None, ctx, "host unreachable over SSH")
    checks = {c.id for c in REGISTRY}
    assert {findings[c].status for c in checks} == {Status.UNKNOWN}
    assert "unreachable" in findings["C12"].evidence


# --- The weak checks of issue 13, one planted change each --------------------------------
def test_c12_sees_a_match_block_for_one_admin(ctx: Context) -> None:
    ev = load("hardened")
    ev["probe"] = ev["probe"].replace("### sshd ops\n",
                                      "### sshd ops\npasswordauthentication yes\n")
    finding = _findings(ev, ctx)["C12"]
    assert finding.status is Status.FAIL and "user=ops: passwordauthentication yes" in \
        finding.evidence


def test_b27_fails_nopasswd_all_for_a_non_admin(ctx: Context) -> None:
    ev = _replace_section(load("hardened"), "sudo e-plain",
                          "User e-plain may run the following commands on e-site:\n"
                          "    (ALL) NOPASSWD: ALL")
    finding = _findings(ev, ctx)["B27"]
    assert finding.status is Status.FAIL and "e-plain" in finding.evidence


def test_c3_fails_an_unconditional_accept_in_the_input_chain(ctx: Context) -> None:
    ev = _hardened()
    doc = json.loads(probe.section(ev, "nft-json"))
    chain = next(i["chain"] for i in doc["nftables"] if "chain" in i
                 and i["chain"].get("hook") == "input")
    doc["nftables"].append({"rule": {"family": chain["family"], "table": chain["table"],
                                     "chain": chain["name"], "handle": 999,
                                     "expr": [{"accept": None}]}})
    raw = _replace_section(load("hardened"), "nft-json", json.dumps(doc))
    finding = _findings(raw, ctx)["C3"]
    assert finding.status is Status.FAIL and "unconditional accept" in finding.evidence


def test_c7_fails_plain_http_not_allowed_by_the_inventory(ctx: Context) -> None:
    ev = _hardened()
    listening = probe.section(ev, "listening") + \
        '\ntcp LISTEN 0 5 0.0.0.0:80 0.0.0.0:* users:(("python3",pid=9,fd=3))'
    raw = _replace_section(load("hardened"), "listening", listening)
    findings = _findings(raw, ctx)
    assert findings["C7"].status is Status.FAIL and "HTTP (tcp/80" in findings["C7"].evidence
    assert findings["C20"].status is Status.FAIL
    raw["inventory"]["allowed_tcp"] = [22, 80]
    assert _findings(raw, ctx)["C7"].status is Status.PASS


def test_b23_uses_the_accounts_roles_crypt_comparison(ctx: Context) -> None:
    ev = load("hardened")
    ev["weak_passwords"] = [{"user": "e-weak", "finding": "default_password",
                             "source": "most common password lists", "locked": False}]
    finding = _findings(ev, ctx)["B23"]
    assert finding.status is Status.FAIL and "e-weak" in finding.evidence
    ev["weak_passwords"] = None
    assert _findings(ev, ctx)["B23"].status is Status.UNKNOWN


def test_a4_reads_apt_config_dump(ctx: Context) -> None:
    ev = _hardened()
    raw = _replace_section(load("hardened"), "apt-config", probe.section(ev, "apt-config")
                           + '\nAPT::Get::AllowUnauthenticated "true";')
    finding = _findings(raw, ctx)["A4"]
    assert finding.status is Status.FAIL and "AllowUnauthenticated" in finding.evidence


def test_f2_fails_a_repository_that_never_succeeded(ctx: Context) -> None:
    ev = _hardened()
    path, text = next(iter(ev["backup_configs"].items()))
    raw = load("hardened")
    raw["probe"] = raw["probe"].replace(f"### file {path}\n" + text.rstrip("\n"),
                                        f"### file {path}\n" + text.rstrip("\n").replace(
                                            "repositories:\n",
                                            "repositories:\n  spare:\n    url: /srv/spare\n"))
    finding = _findings(raw, ctx)["F2"]
    assert finding.status is Status.FAIL and "spare" in finding.evidence \
        and "never succeeded" in finding.evidence


def test_f28_reads_every_repositorys_newest_drill(ctx: Context) -> None:
    ev = _hardened()
    name, text = max(ev["drills"].items())
    doc = json.loads(text)
    doc["ok"], doc["errors"] = False, ["restic restore failed"]
    doc["ended"] = "2099-01-01T00:00:00+00:00"  # newest, and failed
    raw = load("hardened")
    raw["probe"] += f"\n### drill /var/lib/bulwark/drills/zz-failed.json\n{json.dumps(doc)}\n"
    finding = _findings(raw, ctx)["F28"]
    assert finding.status is Status.FAIL and "newest drill FAILED" in finding.evidence


def test_unreadable_drill_report_is_named(ctx: Context) -> None:
    raw = load("hardened")
    raw["probe"] += "\n### drill /var/lib/bulwark/drills/broken.json\n{not json\n"
    finding = _findings(raw, ctx)["F28"]
    assert finding.status is Status.FAIL and "unreadable drill report" in finding.evidence


def test_e13_fails_a_record_without_who(ctx: Context) -> None:
    ev = _hardened()
    runs = ev["runs_tail"].splitlines()
    bad = json.loads(runs[-1])
    bad["who"] = {}
    raw = load("hardened")
    raw["probe"] = raw["probe"].replace(runs[-1], runs[-1] + "\n" + json.dumps(bad))
    finding = _findings(raw, ctx)["E13"]
    assert finding.status is Status.FAIL and "no who" in finding.evidence


def test_secret_file_modes(ctx: Context) -> None:
    ev = _hardened()
    stat = probe.section(ev, "stat")
    pw = next(line for line in stat.splitlines() if line.endswith(" root root")
              and "/etc/bulwark/" in line and ".pass" in line)
    raw = _replace_section(load("hardened"), "stat", stat.replace(
        pw, pw.replace(" 600 ", " 644 ")).replace("/etc/shadow 640", "/etc/shadow 644"))
    findings = _findings(raw, ctx)
    assert findings["F7"].status is Status.FAIL and "0644" in findings["F7"].evidence
    assert findings["B3b-shadow"].status is Status.FAIL


def test_disabled_backup_timer_and_unattended_upgrades_fail(ctx: Context) -> None:
    ev = _hardened()
    units = re.sub(r"(?m)^(bulwark-backup\.timer|apt-daily-upgrade\.timer)\s+enabled",
                   r"\1 disabled", probe.section(ev, "unit-files"))
    raw = _replace_section(load("hardened"), "unit-files", units)
    findings = _findings(raw, ctx)
    assert findings["F1"].status is Status.FAIL and "disabled" in findings["F1"].evidence
    assert findings["D2"].status is Status.FAIL


@pytest.mark.parametrize("control", ["A9b", "A3-acct", "E3", "E8", "E13-audit"])
def test_machine_level_checks_fail_on_a_machine_without_them(ctx: Context, control: str) -> None:
    # Not applicable in a container; on a real machine the neglected state must FAIL.
    ev = load("neglected")
    ev["probe"] = ev["probe"].replace("### container\nyes", "### container\nno")
    finding = _findings(ev, ctx)[control]
    assert finding.status is Status.FAIL, finding


MACHINE_LEVEL = ["A9b", "A3-acct", "E3", "E8", "E13-audit"]
_RULES = ("-w /etc/sudoers -p wa -k sudoers\n-w /etc/ssh/sshd_config -p wa -k sshd\n"
          "-w /etc/nftables.conf -p wa -k firewall\n-a always,exit -F arch=b64 -S execve "
          "-F euid=0 -F auid>=1000 -F auid!=unset -k rootcmd\n")


def _container_with_the_roles_share() -> dict[str, Any]:
    """The neglected container after the roles' share of the machine-level controls: auditd,
    acct and usbguard installed, acct and usbguard enabled, the audit rules in rules.d."""
    ev = load("neglected")
    text = ev["probe"].replace("### packages\n", "### packages\nacct\nauditd\nusbguard\n")
    text = text.replace("### unit-files\n", "### unit-files\nacct.service  enabled  enabled\n"
                        "usbguard.service  enabled  enabled\n")
    ev["probe"] = text + f"\n### file /etc/audit/rules.d/bulwark.rules\n{_RULES}"
    return ev


@pytest.mark.parametrize("control", MACHINE_LEVEL)
def test_machine_level_checks_in_a_container(ctx: Context, control: str) -> None:
    # The neglected container has none of it: FAIL, even though it cannot run there.
    assert _findings(load("neglected"), ctx)[control].status is Status.FAIL
    # The role's share done: NOT_APPLICABLE (the kernel or USB bus belongs to the machine).
    finding = _findings(_container_with_the_roles_share(), ctx)[control]
    assert finding.status is Status.NOT_APPLICABLE and "container" in finding.evidence, finding
    # One piece of that share undone: FAIL again, naming it.
    ev = _container_with_the_roles_share()
    broken = {"A9b": ("usbguard.service  enabled", "usbguard.service  disabled"),
              "A3-acct": ("acct.service  enabled", "acct.service  masked"),
              "E3": ("### packages\nacct\nauditd\n", "### packages\nacct\n"),
              "E8": ("-w /etc/sudoers -p wa -k sudoers\n", ""),
              "E13-audit": ("-F auid>=1000", "")}[control]
    ev["probe"] = _swap(ev["probe"], *broken)
    finding = _findings(ev, ctx)[control]
    assert finding.status is Status.FAIL, finding


def test_a_commented_out_audit_rule_is_missing_in_a_container(ctx: Context) -> None:
    ev = _container_with_the_roles_share()
    ev["probe"] = _swap(ev["probe"], "-w /etc/sudoers -p wa", "# -w /etc/sudoers -p wa")
    assert _findings(ev, ctx)["E8"].status is Status.FAIL
    # enabled-runtime ends with this boot: not enabled for a real machine's next one.
    ev = _container_with_the_roles_share()
    ev["probe"] = _swap(ev["probe"], "acct.service  enabled", "acct.service  enabled-runtime")
    assert _findings(ev, ctx)["A3-acct"].status is Status.FAIL


def test_checks_of_a_role_for_molecule_verify() -> None:
    from bulwark.report.controls import for_roles

    ssh = {c.id for c in for_roles({"ssh"})}
    assert {"C12", "C12-root", "G5", "C13"} <= ssh and "F2" not in ssh
    assert "F28" in {c.id for c in for_roles({"backup_agent"})}
    # A check needs every role it names: C20 (listeners against allowed ports) is neither the
    # services role's alone nor the firewall's.
    assert {c.id for c in REGISTRY if c.roles == {"services", "firewall"}} == {"C20"}
    assert "C20" not in {c.id for c in for_roles({"services"})} | {
        c.id for c in for_roles({"firewall"})}
    assert "C20" in {c.id for c in for_roles({"services", "firewall"})}
    # SSH in a check's description is not the ssh role: C19 is the firewall's.
    assert "C19" in {c.id for c in for_roles({"firewall"})}
    with pytest.raises(ValueError, match="unknown role"):
        for_roles({"nosuchrole"})


def _prepend(probe_text: str, section: str, line: str) -> str:
    """Add `line` at the top of a probe section (sshd -T keeps the first value it reads)."""
    header = f"### {section}\n"
    if header not in probe_text:
        return probe_text + f"\n{header}{line}\n"
    return probe_text.replace(header, f"{header}{line}\n", 1)


def _swap(probe_text: str, old: str, new: str) -> str:
    assert old in probe_text, old
    return probe_text.replace(old, new)


def _restore_record(overwrites: int, safety: bool) -> str:
    steps = ([{"step": "safety-backup", "repository": "primary", "ok": True}] if safety else [])
    steps.append({"step": "restore", "repository": "primary", "ok": True})
    return json.dumps({"command": "restore", "who": {"user": "ops"}, "host": "h",
                       "started_at": 1796500000.0, "result": "ok",
                       "options": {"target": "/srv/shop", "overwrites": overwrites},
                       "steps": steps})


# One planted violation per check the neglected image passes (it does not break them),
# written the way the host would then report it. Mirrors PLANTS of the integration test.
MUTATIONS = {
    "B3": lambda p: _prepend(p, "shadow-schemes", "e-md5 $1$ 99999"),
    "B3b-shadow": lambda p: _swap(p, "/etc/shadow 640", "/etc/shadow 644"),
    "B3b-gshadow": lambda p: _swap(p, "/etc/gshadow 640", "/etc/gshadow 644"),
    "A2-passwd-mode": lambda p: _swap(p, "/etc/group 644", "/etc/group 666"),
    "B12": lambda p: re.sub(r"(?m)^ops \S+ .*$", "ops P 2026-12-06 0 99999 7 -1", p),
    "B22": lambda p: _prepend(p, "passwd", "e-dup:x:1000:1000::/home/e-dup:/usr/sbin/nologin"),
    "B27-uid0": lambda p: _prepend(p, "passwd", "e-toor:x:0:0::/root:/usr/sbin/nologin"),
    "B27": lambda p: p + "\n### sudo e-plain\nUser e-plain may run the following commands on "
                         "h:\n    (ALL) NOPASSWD: ALL\n",
    "C12-hostbased": lambda p: _prepend(p, f"sshd {probe.PROBE_USER}",
                                        "hostbasedauthentication yes"),
    "A2-ssh-config-mode": lambda p: re.sub(r"(?m)^/etc/ssh/sshd_config \d+",
                                           "/etc/ssh/sshd_config 666", p),
    "A2-root-home": lambda p: _swap(p, "/root 700", "/root 755"),
    "C12-userenv": lambda p: _prepend(p, f"sshd {probe.PROBE_USER}", "permituserenvironment yes"),
    "C12-strictmodes": lambda p: _prepend(p, f"sshd {probe.PROBE_USER}", "strictmodes no"),
    "E5-lastlog": lambda p: _prepend(p, f"sshd {probe.PROBE_USER}", "printlastlog no"),
    "B27-sudoers-mode": lambda p: _swap(p, "/etc/sudoers 440", "/etc/sudoers 444"),
    "C13-keys": lambda p: _prepend(p, "authorized-keys", "e-plain"),
    "A4": lambda p: _swap(p, "### apt-config\n",
                          '### apt-config\nAPT::Get::AllowUnauthenticated "true";\n')
    .replace('APT::Get::AllowUnauthenticated "false";', ""),
    "E6": lambda p: _swap(p, "logrotate.timer                        enabled",
                          "logrotate.timer                        disabled"),
    "D1": lambda p: _prepend(_swap(p, "### apt-lists\n0", "### apt-lists\n4"), "apt-simulate",
                             "Inst libssl3 [3.0.11-1] (3.0.15-1 Debian-Security:12/stable-security"
                             " [amd64])"),
    # A restore recorded as overwriting files with no safety backup before it.
    "F17": lambda p: p + f"\n### runs /srv/e-plant\n{_restore_record(3, safety=False)}\n",
    "F6": lambda p: p + "\n### file /etc/bulwark/backup.yml\nsources: [/etc]\npassword_file: "
                        "/etc/bulwark/restic.pass\nrepositories:\n  primary:\n    url: /srv/r\n"
                        "databases:\n  postgresql:\n  - name: shop\n",
}


def test_every_check_is_seen_failing(ctx: Context) -> None:
    """Every check FAILs on the neglected image, on it as a real machine (not a container),
    or on one planted violation; the list of checks never seen failing is printed."""
    failing: set[str] = set()
    neglected = load("neglected")
    failing |= {c for c, f in _findings(neglected, ctx).items() if f.status is Status.FAIL}
    machine = load("neglected")
    machine["probe"] = machine["probe"].replace("### container\nyes", "### container\nno")
    failing |= {c for c, f in _findings(machine, ctx).items() if f.status is Status.FAIL}
    planted_ok = {}
    for check, mutate in MUTATIONS.items():
        ev = load("neglected") if check in ("D1", "F6", "E6") else load("hardened")
        before = _findings(load("neglected") if check in ("D1", "F6", "E6") else
                           load("hardened"), ctx)[check].status
        ev["probe"] = mutate(ev["probe"].replace("\r\n", "\n"))
        after = _findings(ev, ctx)[check]
        planted_ok[check] = (before, after.status)
        if after.status is Status.FAIL:
            failing.add(check)
    # The access review checks read the review document, not the probe (planted there).
    failing |= review_checks_seen_failing(ctx)
    never = sorted({c.id for c in REGISTRY} - failing)
    print(f"\nchecks never seen failing: {never}")
    assert never == [], (never, planted_ok)
    # The plant, not something else, turned these from PASS to FAIL.
    # (F17: the capture records no restore, so NOT_APPLICABLE before; its PASS -> FAIL is
    # test_backup_before_restore_reads_every_recorded_restore.)
    flipped = [c for c, (b, a) in planted_ok.items() if b is not Status.PASS
               and c not in ("D1", "F6", "F17")]
    assert not flipped, {c: planted_ok[c] for c in flipped}


REPO = Path(__file__).resolve().parents[3]
_PROBE_SCRIPT = REPO / "playbooks" / "files" / "evidence-probe.sh"


def test_the_probe_lists_every_unit_type_a_check_looks_up() -> None:
    """A unit the probe never lists reads as 'not installed': A2-ctrlaltdel and A6-tmp FAILed
    on every hardened host while the probe listed only timers and services."""
    script = _PROBE_SCRIPT.read_text()
    listed = set(re.search(r"list-unit-files .*--type=([a-z,]+)", script)[1].split(","))
    sources = "\n".join(p.read_text() for p in REPO.glob("tools/report/*.py"))
    looked_up = set(re.findall(r'"[a-z0-9@_.-]+\.(target|mount|service|timer|socket|path)"',
                               sources))
    assert looked_up and looked_up <= listed, looked_up - listed


def test_masked_ctrl_alt_del_and_enabled_tmp_mount_pass(ctx: Context) -> None:
    units = ("ctrl-alt-del.target                    masked          enabled\n"
             "tmp.mount                              enabled         enabled\n")
    findings = _findings(probe.expand(_replace_section(_hardened(), "unit-files", units)), ctx)
    assert findings["A2-ctrlaltdel"].status is Status.PASS, findings["A2-ctrlaltdel"]
    assert findings["A6-tmp"].status is Status.PASS, findings["A6-tmp"]
    broken = units.replace("masked ", "static ").replace("enabled         enabled",
                                                          "disabled        enabled")
    findings = _findings(probe.expand(_replace_section(_hardened(), "unit-files", broken)), ctx)
    assert findings["A2-ctrlaltdel"].status is Status.FAIL
    assert findings["A6-tmp"].status is Status.FAIL


def _with_credentials(cred_mode: str | None) -> dict[str, Any]:
    """The hardened evidence as bulwark_backup_agent_secrets: systemd-creds leaves it: the
    config names ${CREDENTIALS_DIRECTORY}/…, the secrets are NAME.cred files (or missing)."""
    raw = load("hardened")
    text = raw["probe"].replace("\r\n", "\n")
    text = _swap(text, "password_file: /etc/bulwark/restic.pass",
                 "password_file: ${CREDENTIALS_DIRECTORY}/restic.pass")
    text = _swap(text, "env_file: /etc/bulwark/offsite.env",
                 "env_file: ${CREDENTIALS_DIRECTORY}/offsite.env")
    text = _swap(text, "/etc/bulwark/offsite.env 600 root root\n", "")
    creds = "" if cred_mode is None else (
        f"/etc/bulwark/credentials/restic.pass.cred {cred_mode} root root\n"
        f"/etc/bulwark/credentials/offsite.env.cred {cred_mode} root root\n")
    text = _swap(text, "/etc/bulwark/restic.pass 600 root root\n", creds)
    raw["probe"] = text
    return raw


def test_secrets_kept_as_systemd_credentials_are_checked_on_their_cred_files(
        ctx: Context) -> None:
    findings = _findings(_with_credentials("600"), ctx)
    assert findings["F7"].status is Status.PASS, findings["F7"]
    assert findings["G3"].status is Status.PASS, findings["G3"]
    open_ = _findings(_with_credentials("644"), ctx)
    assert open_["F7"].status is Status.FAIL
    assert "restic.pass.cred mode 0644" in open_["F7"].evidence
    assert open_["G3"].status is Status.FAIL
    missing = _findings(_with_credentials(None), ctx)
    assert missing["F7"].status is Status.FAIL
    assert "no encrypted credential restic.pass.cred" in missing["F7"].evidence
    assert missing["G3"].status is Status.FAIL
    assert "no encrypted credential offsite.env.cred" in missing["G3"].evidence


def test_rsyslog_check_needs_the_local_log_socket(ctx: Context) -> None:
    # rsyslog running with its files, as the logging role leaves it...
    ev = load("hardened")
    ev["services"] = dict(ev.get("services") or {}, **{"rsyslog.service": {
        "name": "rsyslog.service", "state": "running", "status": "enabled"}})
    ev["probe"] = _prepend(ev["probe"], "logs", "/var/log/auth.log /var/log/syslog")
    good = dict(ev, probe=_prepend(ev["probe"], "dev-log", "present"))
    assert _findings(good, ctx)["E1-rsyslog"].status is Status.PASS
    # ...but /dev/log deleted by a removed syslog daemon: nothing local reaches it.
    bad = dict(ev, probe=_prepend(ev["probe"], "dev-log", "missing"))
    finding = _findings(bad, ctx)["E1-rsyslog"]
    assert finding.status is Status.FAIL and "/dev/log" in finding.evidence, finding


def test_backup_before_restore_reads_every_recorded_restore(ctx: Context) -> None:
    def f17(*records: str) -> Any:
        ev = load("hardened")
        ev["probe"] += "\n### runs /srv/e-plant\n" + "\n".join(records) + "\n"
        return _findings(ev, ctx)["F17"]

    assert f17(_restore_record(3, safety=True)).status is Status.PASS
    # Nothing was in place: no safety backup needed.
    assert f17(_restore_record(0, safety=False)).status is Status.PASS
    bad = f17(_restore_record(3, safety=True), _restore_record(2, safety=False))
    assert bad.status is Status.FAIL and "2 existing paths overwritten" in bad.evidence, bad
