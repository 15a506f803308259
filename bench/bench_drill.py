#!/usr/bin/env python3
"""Benchmark 2: `bulwark backup drill --full` against raw `restic restore` + `sha256sum` of
the restored and the live tree. Goal ≤ 1.2 ×. (The full drill also runs
`restic check --read-data`; the raw side does not — the figure includes that extra proof.)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

import common
from bench_backup import bulwark_bin, bulwark_env, setup


def raw_drill(tree: Path, env: dict[str, str], target: Path) -> tuple[common.Measure, float]:
    """Raw restore + sha256sum of both trees; also how long deleting the restore takes (the
    drill must delete it, G16; the raw side's clock stops before)."""
    shutil.rmtree(target, ignore_errors=True)
    restore = common.run(["restic", "restore", "latest", "--target", str(target)], env=env)
    hashing = common.run(
        [f"find {target} {tree} -type f -print0 | xargs -0 -P 2 -n 2000 sha256sum >/dev/null"],
        shell=True)
    removal = common.run(["rm", "-rf", str(target)])
    return common.Measure(restore.seconds + hashing.seconds,
                          max(restore.peak_rss_kb, hashing.peak_rss_kb),
                          max(restore.peak_tree_rss_kb, hashing.peak_tree_rss_kb)), removal.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=common.positive, default=5)
    parser.add_argument("--warmup", type=common.natural, default=1,
                        help="uncounted rounds first: the first restore into never-used disk "
                             "space runs markedly faster than every later one")
    parser.add_argument("--files", type=common.positive, default=50_000)
    parser.add_argument("--mib", type=common.positive, default=1024)
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

    ratios, with_rm, drill_s, raw_s = [], [], [], []
    rm_seconds = 0.0
    for rnd in range(-args.warmup, args.rounds):
        order = ["bulwark", "raw"] if rnd % 2 == 0 else ["raw", "bulwark"]
        times: dict[str, common.Measure] = {}
        for who in order:
            if who == "bulwark":
                times[who] = common.run([bulwark_bin(), "backup", "drill", "--full", "--config",
                                         str(config)], env=bulwark_env(work))
            else:
                times[who], rm_seconds = raw_drill(tree, env, work / "raw-restore")
        if rnd < 0:
            print(f"warm-up: drill {times['bulwark'].seconds:.1f}s, "
                  f"raw {times['raw'].seconds:.1f}s (not counted)", flush=True)
            continue
        ratios.append(times["bulwark"].seconds / times["raw"].seconds)
        with_rm.append(times["bulwark"].seconds / (times["raw"].seconds + rm_seconds))
        drill_s.append(times["bulwark"].seconds)
        raw_s.append(times["raw"].seconds)
        print(f"round {rnd + 1}: drill {drill_s[-1]:.1f}s, raw {raw_s[-1]:.1f}s, "
              f"{ratios[-1]:.3f} ×", flush=True)
    lines = [
        "## Restore drill (`bench/bench_drill.py`)",
        "",
        f"Tree: {files} files, {size / 2**30:.2f} GiB; {args.rounds} rounds after {args.warmup} "
        "uncounted warm-up round(s), order alternated.",
        "Raw: `restic restore latest --target T` + `sha256sum` of every file of T and of the "
        "live tree (2 parallel workers). Bulwark: `bulwark backup drill --full` (restore, "
        "SHA-256 of both sides, `restic check --read-data`, cleanup).",
        "",
        "| Machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "| Measure | Result | Goal |", "|---|---|---|",
        f"| drill --full / raw | {common.ratio_summary(ratios)} | ≤ 1.2 × |",
        f"| drill --full / (raw + `rm -rf` of the restore) | {common.ratio_summary(with_rm)} "
        "| — |",
        f"| drill --full seconds, median (min) | {statistics.median(drill_s):.1f} s "
        f"({min(drill_s):.1f} s) | — |",
        f"| raw seconds, median (min) | {statistics.median(raw_s):.1f} s ({min(raw_s):.1f} s) "
        "| — |",
    ]
    path = common.write_results("drill", lines)
    print("\n".join(lines[-5:]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
