"""Checks of backups and restore drills: every repository of every backup config on the host,
every repository's newest drill, the timers that run them and the secrets they use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import yaml

from bulwark.backup import credentials
from bulwark.report import facts, probe
from bulwark.report.checks_system import timer_check
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

DEFAULT_STATE_DIR = "/var/lib/bulwark"


@dataclass(frozen=True)
class Repo:
    config: str
    name: str
    url: str
    primary: bool
    env_file: str | None


def configs(ev: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Parsed backup configs by path, and one line per config that could not be read."""
    out, problems = {}, []
    for path, text in sorted((ev.get("backup_configs") or {}).items()):
        try:
            doc = yaml.safe_load(text or "")
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not YAML ({str(exc).splitlines()[0]})")
            continue
        if isinstance(doc, dict) and isinstance(doc.get("repositories"), dict):
            out[path] = doc
        elif text:
            problems.append(f"{path}: no repositories")
    return out, problems


def repositories(ev: dict[str, Any]) -> list[Repo]:
    out = []
    for path, doc in configs(ev)[0].items():
        repos = doc["repositories"]
        primary = "primary" if "primary" in repos else next(iter(repos), None)
        for name, repo in repos.items():
            repo = repo if isinstance(repo, dict) else {}
            out.append(Repo(path, str(name), str(repo.get("url", "")), name == primary,
                            repo.get("env_file")))
    return out


def _no_config(ev: dict[str, Any]) -> Finding:
    _, problems = configs(ev)
    return fail("; ".join(problems) if problems else "no backup config in /etc/bulwark")


def configured(
    fn: Callable[[dict[str, dict[str, Any]], dict[str, Any], Context], Finding],
) -> Callable[[dict[str, Any], Context], Finding]:
    """A check of the host's backup configs: FAIL naming why when there is none (or none
    parses), otherwise `fn(configs by path, evidence, context)`."""
    @wraps(fn)
    def check(ev: dict[str, Any], ctx: Context) -> Finding:
        docs, _ = configs(ev)
        return fn(docs, ev, ctx) if docs else _no_config(ev)
    return check


def _state(ev: dict[str, Any]) -> dict[str, Any]:
    return facts.json_doc(facts.file_text(ev, f"{DEFAULT_STATE_DIR}/state.json")) or {}


def _repo_state(ev: dict[str, Any], name: str) -> dict[str, Any]:
    repo = (_state(ev).get("repositories") or {}).get(name)
    return repo if isinstance(repo, dict) else {}


def _success(ev: dict[str, Any], name: str) -> float | None:
    when = _repo_state(ev, name).get("last_success")
    return float(when) if isinstance(when, int | float) else None


# --- 1 / F1, F2, F3, F5, F6: tiered backups --------------------------------------------------
@control("F2", "Every repository of every backup config has a successful backup within a day",
         by="bulwark backup run")
def check_daily_backup(ev: dict[str, Any], ctx: Context) -> Finding:
    repos = repositories(ev)
    if not repos:
        return _no_config(ev)
    limit = ctx.thresholds.max_backup_age_hours * 3600
    problems, fresh = [], []
    for r in repos:
        when = _success(ev, r.name)
        if when is None:
            problems.append(f"{r.name} ({r.config}): never succeeded")
        elif ctx.now - when > limit:
            problems.append(f"{r.name}: last success {hours(ctx.now - when)} ago")
        else:
            fresh.append(f"{r.name}: {hours(ctx.now - when)} ago")
    return verdict(problems, f"every repository fresh ({', '.join(fresh)})")


@control("F2-retention", "Retention keeps daily, monthly and yearly snapshots",
         by="bulwark backup run (retention)")
@configured
def check_retention(docs: dict[str, dict[str, Any]], ev: dict[str, Any], ctx: Context) -> Finding:
    problems = []
    for path, doc in docs.items():
        default = doc.get("retention") or {"daily": 7, "monthly": 12, "yearly": 5}
        for name, repo in doc["repositories"].items():
            ret = (repo or {}).get("retention") or default
            missing = [k for k in ("daily", "monthly", "yearly")
                       if not isinstance(ret, dict) or not int(ret.get(k) or 0) > 0]
            if missing:
                problems.append(f"{path} {name}: no {'/'.join(missing)} snapshots kept")
    return verdict(problems, "every repository keeps daily, monthly and yearly snapshots")


@control("F1", "The daily backup is scheduled (bulwark-backup.timer enabled, next run set)",
         by="role backup_agent (timers)")
def check_backup_timer(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "bulwark-backup.timer", "the daily backup")


@control("F5", "A full restore drill is scheduled quarterly", by="role backup_agent (timers)")
def check_full_drill_timer(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "bulwark-full-drill.timer", "the quarterly full drill")


@control("F6", "Databases are backed up at least weekly", by="role backup_agent (db timer)")
def check_db_backup(ev: dict[str, Any], ctx: Context) -> Finding:
    docs, _ = configs(ev)
    dbs = [db for doc in docs.values()
           for db in ((doc.get("databases") or {}).get("postgresql") or [])]
    if not dbs:
        return na("no database configured for backup on this host")
    timer = timer_check(ev, "bulwark-db.timer", "the weekly database backup")
    if timer.status != Status.PASS:
        return timer
    runs = (_state(ev).get("last_runs") or {}).get("run") or {}
    return ok(f"{len(dbs)} databases; {timer.evidence}; last run {runs.get('result')}")


@control("F3", "Every backup run is recorded and the last one succeeded",
         by="bulwark backup (runs.jsonl)")
def check_run_recorded(ev: dict[str, Any], ctx: Context) -> Finding:
    runs = facts.backup_runs(ev, "run")
    if not runs:
        return fail("no backup run recorded (runs.jsonl)")
    last = runs[-1]
    started = last.get("started_at")
    age = ctx.now - float(started) if isinstance(started, int | float) else None
    if last.get("result") != "ok":
        return fail(f"last run {last.get('result')}: {last.get('failed_step')} "
                    f"{last.get('error') or ''}".strip())
    if age is None or age > ctx.thresholds.max_backup_age_hours * 3600:
        return fail(f"last run record is {hours(age) if age is not None else 'undated'} old")
    return ok(f"last run ok {hours(age)} ago ({len(runs)} runs in the recent log)")


# --- 5 / F17: backup before restore ----------------------------------------------------------
@control("F17", "Every restore that overwrote files made a safety backup of them first",
         by="bulwark backup (restore, runs.jsonl)")
def check_backup_before_restore(ev: dict[str, Any], ctx: Context) -> Finding:
    restores = facts.backup_runs(ev, "restore")
    if not restores:
        return na("no restore in the recent run log (runs.jsonl)")
    bad, overwrote, unknown_count = [], 0, 0
    for r in restores:
        count = (r.get("options") or {}).get("overwrites")
        if not isinstance(count, int):
            unknown_count += 1  # recorded by a Bulwark before the count was kept
            continue
        steps = [s for s in r.get("steps") or [] if isinstance(s, dict)]
        restored = any(s.get("step") == "restore" for s in steps)
        if count and restored:
            overwrote += 1
            if not any(s.get("step") == "safety-backup" and s.get("ok") for s in steps):
                who = r.get("who") if isinstance(r.get("who"), dict) else {}
                bad.append(f"restore at {r.get('started_at')} by {who.get('user')}: {count} "
                           f"existing paths overwritten without a safety backup")
    if bad:
        return fail("; ".join(bad[:3]))
    note = f" ({unknown_count} older records without the count)" if unknown_count else ""
    return ok(f"{len(restores)} restores recorded; {overwrote} overwrote files, each after a "
              f"safety backup (tag pre-restore){note}")


# --- 15 / E13: who, when, where, what ---------------------------------------------------------
@control("E13", "Every backup/restore record names who, when, where, what and the result",
         by="bulwark backup (runs.jsonl)")
def check_run_log(ev: dict[str, Any], ctx: Context) -> Finding:
    runs = facts.backup_runs(ev)
    if not runs:
        return fail("no operation recorded (runs.jsonl absent or empty)")
    bad = []
    for i, r in enumerate(runs):
        who = r.get("who") if isinstance(r.get("who"), dict) else {}
        missing = [k for k, v in (("who", who.get("user")), ("when", r.get("started_at")),
                                  ("where", r.get("host")), ("what", r.get("command")),
                                  ("result", r.get("result"))) if v in (None, "")]
        if missing:
            bad.append(f"record {i + 1}: no {'/'.join(missing)}")
    if bad:
        return fail(f"{len(bad)} of {len(runs)} records incomplete: {'; '.join(bad[:3])}")
    last = runs[-1]
    return ok(f"{len(runs)} recent records complete; last {last.get('command')} by "
              f"{last['who'].get('user')} on {last.get('host')}: {last.get('result')}")


# --- 2 / F7, G3: encryption at rest and its secrets ---------------------------------------------
def _secret_problems(ev: dict[str, Any], path: str | None, what: str) -> list[str]:
    if not path:
        return []
    if credentials.is_reference(path):
        # A systemd credential (bulwark_backup_agent_secrets: systemd-creds): what is on disk
        # is <config dir>/credentials/NAME.cred, encrypted; systemd decrypts it for the unit.
        name = path.rsplit("/", 1)[-1]
        found = [p for p in probe.stats(ev) if p.endswith(f"/credentials/{name}.cred")]
        if not found:
            return [f"{what} {path}: no encrypted credential {name}.cred on the host"]
        what, path = f"{what} (encrypted credential)", found[0]
    st = probe.stats(ev).get(path)
    if st is None:
        return [f"{what} {path} missing"]
    problems = []
    if st.mode & 0o077:
        problems.append(f"{what} {path} mode {st.mode:04o} (readable beyond root)")
    if st.owner != "root":
        problems.append(f"{what} {path} owned by {st.owner}")
    return problems


@control("F7", "Repositories are encrypted (restic) and the key file is root-only",
         by="bulwark backup, role backup_agent (secrets 0600)")
@configured
def check_encryption(docs: dict[str, dict[str, Any]], ev: dict[str, Any], ctx: Context) -> Finding:
    if not probe.has_probe(ev):
        return unknown("file modes not read")
    problems = []
    for path, doc in docs.items():
        if not doc.get("password_file") and not doc.get("password_command"):
            problems.append(f"{path}: no repository password")
        problems += _secret_problems(ev, doc.get("password_file"), "password file")
        st = probe.stats(ev).get(path)
        if st and st.mode & 0o007:
            problems.append(f"config {path} readable by others ({st.mode:04o})")
    return verdict(problems, f"{len(docs)} configs; restic encrypts every repository (AES-256); "
                             "password files 0600 root")


@control("G3", "Repository credentials (env files) are root-only",
         by="role backup_agent (secrets 0600)")
def check_env_files(ev: dict[str, Any], ctx: Context) -> Finding:
    repos = repositories(ev)
    if not repos:
        return _no_config(ev)
    if not probe.has_probe(ev):
        return unknown("file modes not read")
    problems = [p for r in repos for p in _secret_problems(ev, r.env_file, "env file")]
    files = [r.env_file for r in repos if r.env_file]
    return verdict(problems, f"{len(files)} env files, all root-only" if files
                   else "no env files (no credentials on disk)")


@control("G3-state", "Backup state directory not readable by others",
         by="bulwark backup (state_dir)")
def check_state_dir(ev: dict[str, Any], ctx: Context) -> Finding:
    st = probe.stats(ev).get(DEFAULT_STATE_DIR)
    if not probe.has_probe(ev):
        return unknown("file modes not read")
    if st is None:
        return fail(f"{DEFAULT_STATE_DIR} missing: no backup ever ran")
    return ok(f"{DEFAULT_STATE_DIR} {st.mode:04o}") if not st.mode & 0o007 else fail(
        f"{DEFAULT_STATE_DIR} mode {st.mode:04o}")


# --- 3 / F11, F13: offsite copies ---------------------------------------------------------------
_REMOTE = ("s3:", "sftp:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:")


@control("F11", "An offsite repository receives copies and is fresh",
         by="bulwark backup run (copies to non-primary repositories)")
def check_offsite(ev: dict[str, Any], ctx: Context) -> Finding:
    repos = repositories(ev)
    if not repos:
        return _no_config(ev)
    remote = [r for r in repos if not r.primary and r.url.startswith(_REMOTE)]
    if not remote:
        return fail("no offsite (remote, non-primary) repository configured")
    limit = ctx.thresholds.max_backup_age_hours * 3600
    problems = []
    for r in remote:
        when = _success(ev, r.name)
        if when is None or ctx.now - when > limit:
            problems.append(f"{r.name}: no copy within {hours(limit)}")
    return verdict(problems, ", ".join(f"{r.name} ({r.url.split(':')[0]})" for r in remote)
                   + " fresh")


@control("F13", "Copies are kept apart from the primary data (another location)",
         by="bulwark backup run")
def check_separate(ev: dict[str, Any], ctx: Context) -> Finding:
    repos = repositories(ev)
    if not repos:
        return _no_config(ev)
    elsewhere = [r.name for r in repos if r.url.startswith(_REMOTE)]
    return ok(f"held elsewhere: {', '.join(elsewhere)}") if elsewhere else fail(
        "every repository is on this host's own disks")


# --- 4, 6 / F28, F26, F27, F18, F9, F4: restore drills ------------------------------------------
def drills(ev: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The newest drill report per repository, and one line per unreadable report."""
    newest: dict[str, dict[str, Any]] = {}
    problems = []
    for path, text in sorted((ev.get("drills") or {}).items()):
        doc = facts.json_doc(text or "")
        if doc is None or "repository" not in doc:
            problems.append(f"unreadable drill report {path}")
            continue
        ended = facts.iso_epoch(doc.get("ended")) or 0.0
        repo = str(doc["repository"])
        if repo not in newest or ended > (facts.iso_epoch(newest[repo].get("ended")) or 0.0):
            newest[repo] = doc
    return newest, problems


def _drilled(ev: dict[str, Any]) -> tuple[list[Repo], dict[str, dict[str, Any]], list[str]]:
    newest, problems = drills(ev)
    return repositories(ev), newest, problems


@control("F28", "Every repository's newest restore drill passed within 92 days",
         by="bulwark backup drill")
def check_drill(ev: dict[str, Any], ctx: Context) -> Finding:
    repos, newest, unreadable = _drilled(ev)
    if not newest:
        return fail("; ".join(unreadable) or "no restore drill recorded (drills/*.json)")
    problems = list(unreadable)
    limit = ctx.thresholds.max_drill_age_days
    shown = []
    names = sorted({r.name for r in repos if r.primary} | set(newest))
    for name in names:
        doc = newest.get(name)
        if doc is None:
            problems.append(f"{name}: never drilled")
            continue
        ended = facts.iso_epoch(doc.get("ended"))
        restore = doc.get("restore") or {}
        rto = f"RTO {restore.get('seconds')} s for {restore.get('bytes')} bytes"
        if not doc.get("ok"):
            errors = '; '.join(doc.get('errors') or [])[:120]
            problems.append(f"{name}: newest drill FAILED ({errors}"
                            f"{'' if doc.get('errors') else rto})")
        elif ended is None or (ctx.now - ended) / 86400 > limit:
            problems.append(f"{name}: newest passing drill older than {limit:.0f} days")
        else:
            shown.append(f"{name} passed {(ctx.now - ended) / 86400:.1f} d ago, {rto}")
        for off in doc.get("offsite") or []:
            if isinstance(off, dict) and not off.get("ok"):
                problems.append(f"{name}: offsite {off.get('repository')} verification failed")
    return verdict(problems, "; ".join(shown))


@control("F26", "Restore drills are scheduled weekly", by="role backup_agent (timers)")
def check_drill_timer(ev: dict[str, Any], ctx: Context) -> Finding:
    return timer_check(ev, "bulwark-drill.timer", "the weekly restore drill")


@control("F18", "Drills verify restored files against the live data (SHA-256)",
         by="bulwark backup drill")
def check_drill_verified(ev: dict[str, Any], ctx: Context) -> Finding:
    newest, unreadable = drills(ev)
    if not newest:
        return fail("; ".join(unreadable) or "no restore drill recorded")
    problems = []
    for name, doc in sorted(newest.items()):
        checked = int(doc.get("files_checked") or 0)
        failures = doc.get("failures") or []
        if checked == 0:
            problems.append(f"{name}: no file verified")
        elif failures:
            problems.append(f"{name}: {len(failures)} of {checked} files differ or are missing")
    return verdict(problems, ", ".join(f"{n}: {d.get('files_checked')} files verified"
                                       for n, d in sorted(newest.items())))


@control("F9", "Repository integrity checked (restic check) in the newest drill",
         by="bulwark backup drill (check rotation)")
def check_integrity(ev: dict[str, Any], ctx: Context) -> Finding:
    newest, unreadable = drills(ev)
    if not newest:
        return fail("; ".join(unreadable) or "no restore drill recorded")
    problems = []
    for name, doc in sorted(newest.items()):
        check = doc.get("check")
        if not isinstance(check, dict):
            problems.append(f"{name}: newest drill ran no restic check")
        elif not check.get("ok"):
            problems.append(f"{name}: restic check failed: {check.get('message')}")
    return verdict(problems, ", ".join(
        f"{n}: restic check ok ({(d.get('check') or {}).get('mode')})"
        for n, d in sorted(newest.items())))


@control("F4", "Offsite copies match the primary (drill compares snapshots)",
         by="bulwark backup drill (offsite)")
def check_offsite_match(ev: dict[str, Any], ctx: Context) -> Finding:
    newest, unreadable = drills(ev)
    if not newest:
        return fail("; ".join(unreadable) or "no restore drill recorded")
    entries = [(n, o) for n, d in newest.items() for o in d.get("offsite") or []
               if isinstance(o, dict)]
    remote = [r for r in repositories(ev) if not r.primary]
    if not entries:
        return na("no offsite repository to compare") if not remote else fail(
            "the newest drill compared no offsite copy")
    bad = [f"{o.get('repository')}: {o.get('error') or str(o.get('missing')) + ' missing'}"
           for _, o in entries if not o.get("ok")]
    return verdict(bad, ", ".join(f"{o.get('repository')} matches" for _, o in entries))


@control("E12", "Backup, copy and restore operations are recorded in the run log",
         by="bulwark backup (runs.jsonl)")
def check_ops_logged(ev: dict[str, Any], ctx: Context) -> Finding:
    runs = facts.backup_runs(ev)
    newest, _ = drills(ev)
    commands = {str(r.get("command")) for r in runs}
    problems = []
    if "run" not in commands:
        problems.append("no backup run in the log")
    if newest and "drill" not in commands:
        problems.append("drills ran but none is in the run log")
    return verdict(problems, f"commands recorded: {', '.join(sorted(commands))}")


@control("G3-config-dir", "/etc/bulwark (configs and secrets) is root-only",
         by="role backup_agent")
def check_config_dir(ev: dict[str, Any], ctx: Context) -> Finding:
    if not configs(ev)[0]:
        return _no_config(ev)
    st = probe.stats(ev).get("/etc/bulwark")
    if st is None:
        return unknown("/etc/bulwark not stat'ed")
    return ok(f"/etc/bulwark {st.mode:04o} {st.owner}") if not st.mode & 0o007 and \
        st.owner == "root" else fail(f"/etc/bulwark {st.mode:04o} {st.owner}:{st.group}")


@control("G3-repo-mode", "Local repositories are not readable by others", by="bulwark backup")
def check_local_repo_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    local = [r for r in repositories(ev) if r.url.startswith("/")]
    if not repositories(ev):
        return _no_config(ev)
    if not local:
        return na("no local repository")
    stats = probe.stats(ev)
    problems = []
    for r in local:
        st = stats.get(r.url.rstrip("/")) or stats.get(r.url)
        if st is None:
            problems.append(f"{r.name}: {r.url} missing")
        elif st.mode & 0o007:
            problems.append(f"{r.name}: {r.url} mode {st.mode:04o}")
    return verdict(problems, ", ".join(f"{r.name} {r.url} not accessible to others"
                                       for r in local))


@control("E7-runlog", "The backup run log cannot be altered by non-root users",
         by="bulwark backup (runs.jsonl)")
def check_runlog_mode(ev: dict[str, Any], ctx: Context) -> Finding:
    st = probe.stats(ev).get(f"{DEFAULT_STATE_DIR}/runs.jsonl")
    if st is None:
        return fail("no run log (runs.jsonl)")
    return ok(f"runs.jsonl {st.mode:04o} {st.owner}") if not st.mode & 0o022 and \
        st.owner == "root" else fail(f"runs.jsonl {st.mode:04o} {st.owner}:{st.group}")


@control("F27", "Every configured primary repository has a drill report on the host",
         by="bulwark backup drill (reports)")
def check_drill_reports(ev: dict[str, Any], ctx: Context) -> Finding:
    repos, newest, unreadable = _drilled(ev)
    if not repos:
        return _no_config(ev)
    missing = sorted({r.name for r in repos if r.primary} - set(newest))
    problems = [f"no drill report for {', '.join(missing)}"] if missing else []
    return verdict(problems + unreadable, f"drill reports for {', '.join(sorted(newest))}")
