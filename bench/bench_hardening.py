#!/usr/bin/env python3
"""Benchmark 3: `playbooks/site.yml` over SSH on one fresh lab host, its idempotent re-run,
then the same on a fleet. Goals (issue 15): one-host re-run ≤ 30 s with changed=0, first
converge ≤ 200 s. Prints the five slowest tasks of the first converge and the twenty slowest
of the re-run (profile_tasks). `--mitogen` re-runs once more with the Mitogen strategy plugin
(`pip install mitogen`) for a side-by-side figure; `--fleet 0` measures one host only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parent.parent
LAB = "bench"
_TASK_TIME = re.compile(r"^(?P<task>.+?) -+ (?P<secs>\d+\.\d+)s$")


def bulwark(*args: str, lab: str = LAB, check: bool = True) -> None:
    subprocess.run([str(Path(sys.executable).with_name("bulwark")), "lab", "--name", lab, *args],
                   check=check, cwd=ROOT, stdout=subprocess.DEVNULL)


def mitogen_env() -> dict[str, str]:
    """Environment that switches ansible-playbook to Mitogen's linear strategy."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("--mitogen: the mitogen package is not installed (pip install mitogen)")
    plugins = Path(list(spec.submodule_search_locations)[0]) / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


@dataclass
class Converge:
    seconds: float
    cpu_seconds: float            # the whole machine's busy CPU time (controller and hosts)
    slowest: list[tuple[float, str]]
    recap: str
    load: tuple[float, float]     # 1-min load average at the start and at the end of the run


def load(run: Converge) -> str:
    """The machine's 1-min load average around a run (other work shares these CPUs)."""
    return f"load {run.load[0]:.1f} → {run.load[1]:.1f}"


def converge(inventory: Path, extra_env: dict[str, str] | None = None) -> Converge:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="all", **(extra_env or {}))
    load_start = os.getloadavg()[0]
    start, cpu = time.perf_counter(), common.busy_cpu_seconds()
    proc = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "-i",
                           str(inventory), "playbooks/site.yml"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, common.busy_cpu_seconds() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"site.yml failed:\n{proc.stdout[-3000:]}")
    tasks = []
    for line in proc.stdout.splitlines():
        m = _TASK_TIME.match(line.strip())
        if m:
            tasks.append((float(m["secs"]), m["task"].strip()))
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):].split("\n\n")[0]
    return Converge(seconds, cpu, sorted(tasks, reverse=True)[:20], recap,
                    (load_start, os.getloadavg()[0]))


SSH_AUDIT_POLICY = "Hardened Debian 12 (version 3)"
FIRST_PORT = 2401


def ssh_audit(first_port: int = FIRST_PORT) -> str:
    """ssh-audit of the converged host's sshd: [fail]/[warn] counts and the policy result."""
    audit = str(Path(sys.executable).with_name("ssh-audit"))
    port = ["-p", str(first_port), "127.0.0.1"]
    plain = subprocess.run([audit, "-n", *port], capture_output=True, text=True, timeout=120)
    policy = subprocess.run([audit, "-n", "-P", SSH_AUDIT_POLICY, *port], capture_output=True,
                            text=True, timeout=120)
    verdict = "passed" if policy.returncode == 0 and "Passed" in policy.stdout else "FAILED"
    return (f"{plain.stdout.count('[fail]')} [fail], {plain.stdout.count('[warn]')} [warn]; "
            f"policy \"{SSH_AUDIT_POLICY}\": {verdict}")


@dataclass
class Fleet:
    first: Converge
    rerun: Converge
    audit: str
    mitogen: Converge | None = None


def fleet(count: int, *, lab: str = LAB, first_port: int = FIRST_PORT,
          mitogen: bool = False) -> Fleet:
    inventory = common.WORK / f"inventory-{lab}-{count}"
    # Leftovers of an interrupted run; a lab without hosts is fine here.
    bulwark("down", "--inventory-dir", str(inventory), lab=lab, check=False)
    bulwark("up", "--hosts", str(count), "--first-port", str(first_port), "--inventory-dir",
            str(inventory), lab=lab)
    try:
        first = converge(inventory)
        rerun = converge(inventory)
        side = converge(inventory, mitogen_env()) if mitogen else None
        for run in (rerun, side):
            if run is not None and re.search(r"changed=[1-9]", run.recap):
                raise SystemExit(f"re-run was not idempotent:\n{run.recap}")
        return Fleet(first, rerun, ssh_audit(first_port), side)
    finally:
        bulwark("down", "--inventory-dir", str(inventory), lab=lab)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=common.natural, default=10,
                        help="hosts in the fleet run; 0 measures one host only")
    parser.add_argument("--lab", default=LAB, help="lab name (prefixes the containers)")
    parser.add_argument("--first-port", type=common.natural, default=FIRST_PORT,
                        help="SSH port of the first lab host on 127.0.0.1")
    parser.add_argument("--mitogen", action="store_true",
                        help="also re-run one host with the Mitogen strategy plugin")
    args = parser.parse_args()
    facts = common.machine_facts()
    one = fleet(1, lab=args.lab, first_port=args.first_port, mitogen=args.mitogen)
    print(f"one host: {one.first.seconds:.0f} s, re-run {one.rerun.seconds:.0f} s; "
          f"ssh-audit {one.audit}", flush=True)
    rows = [
        f"| one host: first converge | {one.first.seconds:.0f} s (machine CPU busy "
        f"{one.first.cpu_seconds:.0f} s; {load(one.first)}) | ≤ 200 s |",
        f"| one host: idempotent re-run (changed=0) | {one.rerun.seconds:.0f} s "
        f"({one.rerun.seconds / one.first.seconds:.2f} of the first; {load(one.rerun)}) "
        "| ≤ 30 s |",
    ]
    if one.mitogen is not None:
        rows.append(f"| one host: re-run with Mitogen (`mitogen_linear`, changed=0) | "
                    f"{one.mitogen.seconds:.0f} s ({load(one.mitogen)}) | — |")
    if args.fleet:
        many = fleet(args.fleet, lab=args.lab, first_port=args.first_port)
        cores = os.cpu_count() or 1
        # If every host needs the CPU one host needed, the machine cannot finish sooner.
        floor = args.fleet * one.first.cpu_seconds / cores
        rows += [
            f"| {args.fleet} hosts: first converge | {many.first.seconds:.0f} s (machine CPU "
            f"busy {many.first.cpu_seconds:.0f} s) | — |",
            f"| {args.fleet} hosts / one host | {many.first.seconds / one.first.seconds:.2f} × "
            "| ≤ 2 × |",
            f"| CPU floor for {args.fleet} hosts here ({args.fleet} × one host's CPU / {cores} "
            f"cores) | {floor:.0f} s = {floor / one.first.seconds:.2f} × one host | — |",
            f"| {args.fleet} hosts: re-run | {many.rerun.seconds:.0f} s | — |",
        ]
    lines = [
        "## Hardening (`bench/bench_hardening.py`)",
        "",
        "`ansible-playbook playbooks/site.yml` over SSH (pipelining, ControlPersist, forks 20) "
        "on fresh lab hosts; every lab host is a container on this same machine.",
        "",
        "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "| Measure | Result | Goal |", "|---|---|---|",
        *rows,
        f"| ssh-audit of the converged host | {one.audit} | 0 [fail], policy passed |",
        "",
        "Five slowest tasks on one host (first converge):",
        "",
        *[f"- {secs:.1f} s — {task}" for secs, task in one.first.slowest[:5]],
        "",
        "Twenty slowest tasks on one host (idempotent re-run, profile_tasks):",
        "",
        *[f"- {secs:.1f} s — {task}" for secs, task in one.rerun.slowest],
    ]
    path = common.write_results("hardening", lines)
    print("\n".join(lines))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
