#!/usr/bin/env python3
"""Benchmark 4: `bulwark report` (one evidence play, every check) for one host and for N hosts.

Usage, from bench/:
  ../.venv/bin/python bench_report.py --lab 10 [--rounds 2]   # starts e-bench-1..10, removes them
  ../.venv/bin/python bench_report.py -i INVENTORY [--rounds 2]  # e.g. a lab hardened by make demo

Each round times `bulwark report` for the inventory's first host (`--limit`) and for all of its
hosts, alternating which goes first, and notes the 1-minute load average at the start of each
run beside its time: the machine is shared, and on 2 cores a load of 10 more than doubles any
wall-clock figure. The evidence play's own per-task times (profile_tasks, from the report's
evidence.log) are recorded too. Goal: one host ≤ 30 s; N hosts ≤ 2 × one host.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The lab ports this benchmark may use (127.0.0.1 only): those of the report tests.
LAB_PORTS = [*range(2391, 2400), 2349]
_TASK = re.compile(r"^(.+?) -{3,} (\d+\.\d+)s$", re.M)
_TOTAL = re.compile(r"\(\d+:\d+:[\d.]+\)\s+(\d+):(\d+):([\d.]+) \*+\s*\n=+", re.M)


@dataclass
class Run:
    seconds: float
    load: float  # 1-minute load average when the run started
    cpu_seconds: float  # the whole machine's busy CPU time (controller and lab hosts)
    controller_cpu: float  # CPU time of `bulwark report` and every process it started
    play_seconds: float | None  # the evidence play alone (profile_tasks' total)
    tasks: list[tuple[str, float]]
    summary: str


def one_report(inventory: Path, limit: str | None) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as out:
        argv = [str(Path(sys.executable).with_name("bulwark")), "report", "-i", str(inventory),
                "--out", out]
        if limit:
            argv += ["--limit", limit]
        load = os.getloadavg()[0]
        started, cpu = time.monotonic(), common.busy_cpu_seconds()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        seconds, cpu = time.monotonic() - started, common.busy_cpu_seconds() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        controller = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        log = (Path(out) / "evidence.log").read_text() if (Path(out) / "evidence.log").exists() \
            else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bulwark report failed (exit {proc.returncode}): "
                         f"{proc.stderr.strip()[-300:]}")
    total = _TOTAL.search(log)
    play = (int(total.group(1)) * 3600 + int(total.group(2)) * 60 + float(total.group(3))
            if total else None)
    tasks = [(name.strip(), float(secs)) for name, secs in _TASK.findall(log)]
    summary = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""
    return Run(seconds, load, cpu, controller, play, tasks, summary)


def start_lab(count: int, workdir: Path) -> tuple[Path, list[str]]:
    """`count` base-image lab hosts (sshd, the lab admin with a key) and their inventory."""
    from bulwark.lab.hosts import wait_ssh
    from bulwark.lab.image import BASE_IMAGE
    from tests.fixtures import labhosts

    if count > len(LAB_PORTS):
        raise SystemExit(f"--lab: at most {len(LAB_PORTS)} hosts (ports {LAB_PORTS})")
    key = workdir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    hosts = [labhosts._start(f"e-bench-{i + 1}", BASE_IMAGE, port, key)
             for i, port in enumerate(LAB_PORTS[:count])]
    for h in hosts:
        wait_ssh(h.port)
    return labhosts.write_inventory(workdir / "hosts.yml", hosts), [h.name for h in hosts]


def first_host(inventory: Path) -> str:
    out = subprocess.run([str(Path(sys.executable).with_name("ansible-inventory")), "-i",
                          str(inventory), "--list"], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    names = [h for g, v in doc.items() if g != "_meta" and isinstance(v, dict)
             for h in v.get("hosts", [])]
    if not names:
        raise SystemExit(f"no hosts in {inventory}")
    return sorted(names)[0]


def _fmt(runs: list[Run]) -> str:
    return ", ".join(f"{r.seconds:.1f} s (load {r.load:.1f})" for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-i", "--inventory", type=Path)
    source.add_argument("--lab", type=common.positive, metavar="N",
                        help="start N base-image lab hosts (e-bench-*) and remove them after")
    parser.add_argument("--rounds", type=common.positive, default=2)
    args = parser.parse_args()
    if args.inventory and not args.inventory.exists():
        parser.error(f"inventory not found: {args.inventory}")
    common.compile_bytecode()
    started_hosts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-report-lab-") as tmp:
        try:
            if args.lab:
                inventory, started_hosts = start_lab(args.lab, Path(tmp))
                label = f"{args.lab} base-image lab hosts"
            else:
                inventory, label = args.inventory, str(args.inventory)
            one = first_host(inventory)
            singles: list[Run] = []
            fleets: list[Run] = []
            for i in range(args.rounds):
                order = [(one, singles), (None, fleets)]
                for limit, runs in order if i % 2 == 0 else reversed(order):
                    runs.append(one_report(inventory, limit))
        finally:
            if started_hosts:
                from bulwark.lab import hosts
                for name in started_hosts:
                    hosts.remove_host(name)
    n = fleets[-1].summary.split()[0] if fleets[-1].summary else "?"
    single_med = statistics.median(r.seconds for r in singles)
    fleet_med = statistics.median(r.seconds for r in fleets)
    ratio = fleet_med / single_med
    single_cpu = statistics.median(r.cpu_seconds for r in singles)
    fleet_cpu = statistics.median(r.cpu_seconds for r in fleets)
    single_ctl = statistics.median(r.controller_cpu for r in singles)
    fleet_ctl = statistics.median(r.controller_cpu for r in fleets)
    cores = os.cpu_count() or 1
    # The lab hosts run on the controller's cores: N hosts' work cannot finish sooner than
    # their CPU time spread over every core (a real fleet runs each probe on its own host).
    floor = fleet_cpu / cores
    facts = common.machine_facts()
    lines = ["## Compliance report (`bench/bench_report.py`)", "",
             f"`bulwark report` on {label}: the first host (`--limit`) and all {n} hosts, "
             f"{args.rounds} rounds, order alternated. Summary line: {fleets[-1].summary}. "
             "The machine is shared with other jobs: the 1-minute load average at the start of "
             "each run stands beside its time (2 cores; a load of 10 means a process gets about "
             "a fifth of a core).", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += ["", "| Measure | Result | Goal |", "|---|---|---|",
              f"| 1 host, each run (load at start) | {_fmt(singles)} | — |",
              f"| 1 host, median | {single_med:.1f} s | ≤ 30 s |",
              f"| {n} hosts, each run (load at start) | {_fmt(fleets)} | — |",
              f"| {n} hosts, median | {fleet_med:.1f} s | — |",
              f"| {n} hosts / 1 host | {ratio:.2f} × | ≤ 2 × |",
              f"| machine CPU busy, median: 1 host / {n} hosts | {single_cpu:.1f} s / "
              f"{fleet_cpu:.1f} s | — |",
              f"| controller CPU (`bulwark report` and its Ansible), median: 1 host / {n} hosts "
              f"| {single_ctl:.1f} s / {fleet_ctl:.1f} s | — |",
              f"| CPU floor for {n} hosts here ({n} hosts' CPU / {cores} cores) | {floor:.1f} s "
              f"= {floor / single_med:.2f} × one host | — |", "",
              f"One host ≤ 30 s: {'met' if single_med <= 30 else 'not met'} at a mean load of "
              f"{statistics.mean(r.load for r in singles):.0f} on 2 cores; {n} hosts ≤ 2 × one "
              f"host: {'met' if ratio <= 2 else 'not met'}.", "",
              f"Where the {n}-host time goes: the lab hosts are containers on the controller's "
              f"own {cores} cores, so each host's probe, sshd, sudo and Python modules compete "
              f"with the controller. The {n}-host run needs {fleet_cpu:.1f} CPU s in all, so it "
              f"cannot take less than {floor:.1f} s here ({floor / single_med:.2f} × one host; "
              f"measured {fleet_med / floor:.2f} × that floor). Of it, the controller's own CPU "
              f"grows from {single_ctl:.1f} s to {fleet_ctl:.1f} s "
              f"({fleet_ctl / single_ctl:.2f} × for {n} × the hosts); on a fleet whose hosts "
              f"are other machines that is the part left on the controller (not measured "
              f"here: the lab has no other machines)."]
    last = singles[-1]
    if last.tasks:
        lines += ["", f"Evidence play, 1 host, last run (profile_tasks; play "
                  f"{last.play_seconds or 0:.1f} s of the report's {last.seconds:.1f} s, "
                  f"load {last.load:.1f}):", ""]
        lines += [f"- {name}: {secs:.1f} s" for name, secs in last.tasks]
    big = fleets[-1]
    if big.tasks:
        lines += ["", f"Evidence play, {n} hosts, last run (play {big.play_seconds or 0:.1f} s "
                  f"of {big.seconds:.1f} s, load {big.load:.1f}):", ""]
        lines += [f"- {name}: {secs:.1f} s" for name, secs in big.tasks]
    print("\n".join(lines))
    common.write_results("report", lines)


if __name__ == "__main__":
    main()
