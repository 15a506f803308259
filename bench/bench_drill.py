#!/usr/bin/env python3
"""Benchmark 2: `bulwark backup drill --full` against raw `restic restore` + `sha256sum` of
the restored and the live tree. Goal ≤ 1.2 ×. (The full drill also runs
`restic check --read-data`; the raw side does not — the figure includes that extra proof.)
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import common
from bench_backup import bulwark_bin, bulwark_env, setup


def raw_drill(tree: Path, env: dict[str, str], target: Path) -> common.Measure:
    shutil.rmtree(target, ignore_errors=True)
    restore = common.run(["restic", "restore", "latest", "--target", str(target)], env=env)
    hashing = common.run(
        [f"find {target} {tree} -type f -print0 | xargs -0 -P 2 -n 2000 sha256sum >/dev/null"],
        shell=True)
    shutil.rmtree(target, ignore_errors=True)
    return common.Measure(restore.seconds + hashing.seconds,
                          max(restore.peak_rss_kb, hashing.peak_rss_kb),
                          max(restore.peak_tree_rss_kb, hashing.peak_tree_rss_kb))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    work = common.WORK / "drill"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tree = common.WORK / f"tree-{args.files}-{args.mib}"
    facts = common.machine_facts()
    common.compile_bytecode()
    files, size = common.make_tree(tree, files=args.files, total_bytes=args.mib << 20)
    config, env = setup(work, tree)
    common.run(["restic", "init"], env=env)
    common.run(["restic", "backup", "--host", "bench", str(tree)], env=env)
    common.run([bulwark_bin(), "backup", "init", "--config", str(config)], env=bulwark_env(work))
    common.run([bulwark_bin(), "backup", "run", "--config", str(config)], env=bulwark_env(work))

    ratios, drill_s, raw_s = [], [], []
    for rnd in range(args.rounds):
        order = ["bulwark", "raw"] if rnd % 2 == 0 else ["raw", "bulwark"]
        times: dict[str, common.Measure] = {}
        for who in order:
            if who == "bulwark":
                times[who] = common.run([bulwark_bin(), "backup", "drill", "--full", "--config",
                                         str(config)], env=bulwark_env(work))
            else:
                times[who] = raw_drill(tree, env, work / "raw-restore")
        ratios.append(times["bulwark"].seconds / times["raw"].seconds)
        drill_s.append(times["bulwark"].seconds)
        raw_s.append(times["raw"].seconds)
        print(f"round {rnd + 1}: drill {drill_s[-1]:.1f}s, raw {raw_s[-1]:.1f}s, "
              f"{ratios[-1]:.3f} ×", flush=True)
    lines = [
        "## Restore drill (`bench/bench_drill.py`)",
        "",
        f"Tree: {files} files, {size / 2**30:.2f} GiB; {args.rounds} rounds, order alternated.",
        "Raw: `restic restore latest --target T` + `sha256sum` of every file of T and of the "
        "live tree (2 parallel workers). Bulwark: `bulwark backup drill --full` (restore, "
        "SHA-256 of both sides, `restic check --read-data`, cleanup).",
        "",
        "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "| Measure | Result | Goal |", "|---|---|---|",
        f"| drill --full / raw | {common.ratio_summary(ratios)} | ≤ 1.2 × |",
        f"| drill --full seconds (min) | {min(drill_s):.1f} s | — |",
        f"| raw seconds (min) | {min(raw_s):.1f} s | — |",
    ]
    path = common.write_results("drill", lines)
    print("\n".join(lines[-4:]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
