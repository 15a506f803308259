#!/usr/bin/env python3
"""Benchmark 3: `playbooks/site.yml` over SSH on one fresh lab host, its idempotent re-run,
then the same on a fleet. Goals: fleet time ≤ 2 × one-host time; re-run ≤ 1/3 of the first
converge. Prints the five slowest tasks (profile_tasks).
"""

from __future__ import annotations

import argparse
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


def bulwark(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("bulwark")), "lab", "--name", LAB, *args],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


@dataclass
class Converge:
    seconds: float
    cpu_seconds: float            # the whole machine's busy CPU time (controller and hosts)
    slowest: list[tuple[float, str]]
    recap: str


def busy_cpu_seconds() -> float:
    """User + system + softirq CPU time of the whole machine so far (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def converge(inventory: Path) -> Converge:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="all")
    start, cpu = time.perf_counter(), busy_cpu_seconds()
    proc = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "-i",
                           str(inventory), "playbooks/site.yml"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, busy_cpu_seconds() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"site.yml failed:\n{proc.stdout[-3000:]}")
    tasks = []
    for line in proc.stdout.splitlines():
        m = _TASK_TIME.match(line.strip())
        if m:
            tasks.append((float(m["secs"]), m["task"].strip()))
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):].split("\n\n")[0]
    return Converge(seconds, cpu, sorted(tasks, reverse=True)[:5], recap)


SSH_AUDIT_POLICY = "Hardened Debian 12 (version 3)"
FIRST_PORT = 2401


def ssh_audit() -> str:
    """ssh-audit of the converged host's sshd: [fail]/[warn] counts and the policy result."""
    audit = str(Path(sys.executable).with_name("ssh-audit"))
    port = ["-p", str(FIRST_PORT), "127.0.0.1"]
    plain = subprocess.run([audit, "-n", *port], capture_output=True, text=True, timeout=120)
    policy = subprocess.run([audit, "-n", "-P", SSH_AUDIT_POLICY, *port], capture_output=True,
                            text=True, timeout=120)
    verdict = "passed" if policy.returncode == 0 and "Passed" in policy.stdout else "FAILED"
    return (f"{plain.stdout.count('[fail]')} [fail], {plain.stdout.count('[warn]')} [warn]; "
            f"policy \"{SSH_AUDIT_POLICY}\": {verdict}")


def fleet(count: int) -> tuple[Converge, Converge, str]:
    inventory = common.WORK / f"inventory-{count}"
    bulwark("down", "--inventory-dir", str(inventory))
    bulwark("up", "--hosts", str(count), "--first-port", str(FIRST_PORT), "--inventory-dir",
            str(inventory))
    try:
        first = converge(inventory)
        rerun = converge(inventory)
        if re.search(r"changed=[1-9]", rerun.recap):
            raise SystemExit(f"re-run was not idempotent:\n{rerun.recap}")
        return first, rerun, ssh_audit()
    finally:
        bulwark("down", "--inventory-dir", str(inventory))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleet", type=common.positive, default=10)
    args = parser.parse_args()
    facts = common.machine_facts()
    one, one_rerun, audit = fleet(1)
    print(f"one host: {one.seconds:.0f} s, re-run {one_rerun.seconds:.0f} s; ssh-audit {audit}",
          flush=True)
    many, many_rerun, _ = fleet(args.fleet)
    cores = os.cpu_count() or 1
    # If every host needs the CPU one host needed, the machine cannot finish sooner than this.
    floor = args.fleet * one.cpu_seconds / cores
    lines = [
        "## Hardening (`bench/bench_hardening.py`)",
        "",
        "`ansible-playbook playbooks/site.yml` over SSH (pipelining, ControlPersist, forks 20) "
        "on fresh lab hosts; every lab host is a container on this same machine.",
        "",
        "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "| Measure | Result | Goal |", "|---|---|---|",
        f"| one host: first converge | {one.seconds:.0f} s (machine CPU busy "
        f"{one.cpu_seconds:.0f} s) | — |",
        f"| one host: re-run / first | {one_rerun.seconds / one.seconds:.2f} "
        f"({one_rerun.seconds:.0f} s) | ≤ 0.33 |",
        f"| {args.fleet} hosts: first converge | {many.seconds:.0f} s (machine CPU busy "
        f"{many.cpu_seconds:.0f} s) | — |",
        f"| {args.fleet} hosts / one host | {many.seconds / one.seconds:.2f} × | ≤ 2 × |",
        f"| CPU floor for {args.fleet} hosts here ({args.fleet} × one host's CPU / {cores} "
        f"cores) | {floor:.0f} s = {floor / one.seconds:.2f} × one host | — |",
        f"| {args.fleet} hosts: re-run | {many_rerun.seconds:.0f} s | — |",
        f"| ssh-audit of the converged host | {audit} | 0 [fail], policy passed |",
        "",
        "Five slowest tasks on one host (first converge):",
        "",
        *[f"- {secs:.1f} s — {task}" for secs, task in one.slowest],
        "",
        "Five slowest tasks on one host (idempotent re-run):",
        "",
        *[f"- {secs:.1f} s — {task}" for secs, task in one_rerun.slowest],
    ]
    path = common.write_results("hardening", lines)
    print("\n".join(lines[-22:]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
