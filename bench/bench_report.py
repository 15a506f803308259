#!/usr/bin/env python3
"""Benchmark 4: `bulwark report` (one evidence play, every check) on an existing inventory.

Usage: `bench_report.py -i INVENTORY [--rounds N] [--label "1 host"]`. Point it at a lab
inventory (`bulwark lab up`, hardened by `make demo`); run it once for a one-host inventory
and once for the ten-host one. Goal: one host ≤ 30 s; ten hosts ≤ 2 × one host.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parent.parent


def one_report(inventory: Path) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as out:
        started = time.monotonic()
        proc = subprocess.run([str(Path(sys.executable).with_name("bulwark")), "report", "-i",
                               str(inventory), "--out", out], capture_output=True, text=True,
                              cwd=ROOT)
        seconds = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bulwark report failed (exit {proc.returncode}): "
                         f"{proc.stderr.strip()[-300:]}")
    return seconds, proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--inventory", type=Path, required=True)
    parser.add_argument("--rounds", type=common.positive, default=3)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    if not args.inventory.exists():
        parser.error(f"inventory not found: {args.inventory}")
    common.compile_bytecode()
    runs = [one_report(args.inventory) for _ in range(args.rounds)]
    times = [t for t, _ in runs]
    facts = common.machine_facts()
    label = args.label or str(args.inventory)
    lines = ["## Compliance report (`bench/bench_report.py`)", "",
             f"`bulwark report -i INVENTORY` ({label}), {args.rounds} rounds; "
             f"summary line: {runs[-1][1]}", "", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += ["", "| Measure | Result | Goal |", "|---|---|---|",
              f"| {label}: median (min) seconds | {statistics.median(times):.1f} s "
              f"({min(times):.1f} s) | one host ≤ 30 s |"]
    print("\n".join(lines))
    common.write_results(f"report {label}", lines)


if __name__ == "__main__":
    main()
