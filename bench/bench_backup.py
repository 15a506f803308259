#!/usr/bin/env python3
"""Benchmark 1 and 4: `bulwark backup run` against the raw restic commands it wraps.

Raw = `restic backup --json --host H --tag bulwark TREE` + `restic forget --prune --host H
--keep-daily 7 --keep-monthly 12 --keep-yearly 5` on a second repository, same tree.
Initial run (fresh repositories each round) and day-2 run (1 % of the files rewritten).
Goals: initial ≤ 1.03 ×, day-2 ≤ 1.05 ×. Also the peak RSS of bulwark itself beside restic's.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import sys
import time
from pathlib import Path

import common

KEEP = ["--keep-daily", "7", "--keep-monthly", "12", "--keep-yearly", "5"]
HOST = "bench"


def bulwark_bin() -> str:
    return str(Path(sys.executable).with_name("bulwark"))


def setup(work: Path, tree: Path) -> tuple[Path, dict[str, str]]:
    password = work / "restic.pass"
    password.write_text("bench-password-not-secret\n")
    config = work / "bulwark.yml"
    config.write_text(
        f"sources: [{tree}]\npassword_file: {password}\nstate_dir: {work / 'state'}\n"
        f"host: {HOST}\nretention: {{daily: 7, monthly: 12, yearly: 5}}\n"
        f"repositories:\n  primary: {{url: {work / 'repo-bulwark'}}}\n")
    env = dict(os.environ, RESTIC_PASSWORD_FILE=str(password),
               RESTIC_REPOSITORY=str(work / "repo-raw"),
               RESTIC_CACHE_DIR=str(work / "cache-raw"))
    return config, env


def fresh_repos(work: Path, env: dict[str, str], config: Path) -> None:
    for name in ("repo-bulwark", "repo-raw", "state", "cache-raw", "cache-bulwark"):
        shutil.rmtree(work / name, ignore_errors=True)
    common.run(["restic", "init"], env=env)
    common.run([bulwark_bin(), "backup", "init", "--config", str(config)], env=bulwark_env(work))
    os.sync()
    time.sleep(5)  # let the deletion of last round's gigabyte settle before anything is timed


def bulwark_env(work: Path) -> dict[str, str]:
    return dict(os.environ, RESTIC_CACHE_DIR=str(work / "cache-bulwark"))


def raw_run(tree: Path, env: dict[str, str]) -> common.Measure:
    """Both raw commands under one clock, as bulwark runs them (no sync in between)."""
    backup = ["restic", "backup", "--json", "--host", HOST, "--tag", "bulwark", str(tree)]
    forget = ["restic", "forget", "--prune", "--host", HOST, *KEEP, "--quiet"]
    script = f"{shlex.join(backup)} >/dev/null && {shlex.join(forget)}"
    return common.run([script], env=env, shell=True)


def bulwark_run(work: Path, config: Path) -> common.Measure:
    return common.run([bulwark_bin(), "backup", "run", "--config", str(config)],
                      env=bulwark_env(work))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # Even: each side goes first equally often (the first command after the old repositories
    # are deleted pays for the file system catching up).
    parser.add_argument("--rounds", type=common.positive, default=6)
    parser.add_argument("--files", type=common.positive, default=50_000)
    parser.add_argument("--mib", type=common.positive, default=1024)
    args = parser.parse_args()
    work = common.WORK / "backup"
    work.mkdir(parents=True, exist_ok=True)
    tree = common.WORK / f"tree-{args.files}-{args.mib}"
    facts = common.machine_facts()
    common.compile_bytecode()
    files, size = common.make_tree(tree, files=args.files, total_bytes=args.mib << 20)
    config, env = setup(work, tree)

    initial, day2, mem = [], [], []
    seconds: dict[str, list[float]] = {"initial bulwark": [], "initial raw": [],
                                       "day-2 bulwark": [], "day-2 raw": []}
    for rnd in range(args.rounds):
        fresh_repos(work, env, config)
        order = ["bulwark", "raw"] if rnd % 2 == 0 else ["raw", "bulwark"]
        times: dict[str, common.Measure] = {}
        for who in order:
            times[who] = bulwark_run(work, config) if who == "bulwark" else raw_run(tree, env)
        initial.append(times["bulwark"].seconds / times["raw"].seconds)
        seconds["initial bulwark"].append(times["bulwark"].seconds)
        seconds["initial raw"].append(times["raw"].seconds)
        mem.append((times["bulwark"].peak_rss_kb, times["bulwark"].peak_tree_rss_kb,
                    times["raw"].peak_tree_rss_kb))
        changed = common.change_fraction(tree, 0.01, seed=100 + rnd)
        for who in reversed(order):
            times[who] = bulwark_run(work, config) if who == "bulwark" else raw_run(tree, env)
        day2.append(times["bulwark"].seconds / times["raw"].seconds)
        seconds["day-2 bulwark"].append(times["bulwark"].seconds)
        seconds["day-2 raw"].append(times["raw"].seconds)
        print(f"round {rnd + 1}: initial {initial[-1]:.3f} ×, day-2 ({changed} files) "
              f"{day2[-1]:.3f} ×", flush=True)
    # The tree was changed: mark it so the next run regenerates a pristine one.
    (tree / ".complete").unlink(missing_ok=True)

    own = statistics.median(m[0] for m in mem) / 1024
    total = statistics.median(m[1] for m in mem) / 1024
    restic_only = statistics.median(m[2] for m in mem) / 1024
    lines = [
        "## Backup overhead and memory (`bench/bench_backup.py`)",
        "",
        f"Tree: {files} files, {size / 2**30:.2f} GiB (incompressible); {args.rounds} rounds,",
        "order alternated. Raw: `restic backup --json --host H --tag bulwark TREE` + "
        "`restic forget --prune --host H --keep-daily 7 --keep-monthly 12 --keep-yearly 5`. "
        "Bulwark's modules are compiled to bytecode first, as `pip install` leaves them.",
        "",
        "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "| Measure | Result | Goal |", "|---|---|---|",
        f"| initial run, bulwark / raw | {common.ratio_summary(initial)} | ≤ 1.03 × |",
        f"| day-2 run (1 % changed), bulwark / raw | {common.ratio_summary(day2)} | ≤ 1.05 × |",
        *[f"| {name} run, median seconds | {statistics.median(values):.2f} s | — |"
          for name, values in seconds.items()],
        f"| peak RSS, bulwark's own Python process | {own:.0f} MiB | — |",
        f"| peak RSS, bulwark + restic | {total:.0f} MiB | — |",
        f"| peak RSS, raw restic | {restic_only:.0f} MiB | — |",
    ]
    path = common.write_results("backup", lines)
    print("\n".join(lines[-10:]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
