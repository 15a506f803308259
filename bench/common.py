"""Shared helpers for the benchmarks: machine facts, the test tree, timing and peak memory.

Benchmarks compare Bulwark with the raw commands it wraps, in the same run, alternating the
order each round, and report min and median of the ratios: on a noisy 2-core machine a ratio
measured side by side means something; an absolute time does not.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

WORK = Path(os.environ.get("BULWARK_BENCH_WORK", Path(__file__).resolve().parent / "work"))


def machine_facts() -> dict[str, str]:
    restic = subprocess.run(["restic", "version"], capture_output=True, text=True).stdout.strip()
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "restic": restic,
        "load (1 min) at start": f"{os.getloadavg()[0]:.2f}",
    }


def busy_cpu_seconds() -> float:
    """User + system + irq CPU time of the whole machine so far (/proc/stat): the controller
    and every lab container share these cores, so a run's cost is the difference."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def natural(text: str, least: int = 0) -> int:
    """argparse type: a whole number of at least ``least``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def positive(text: str) -> int:
    """argparse type: at least 1 (0 rounds, files or hosts would measure nothing)."""
    return natural(text, least=1)


def compile_bytecode() -> None:
    """Compile bulwark's modules to bytecode first, as `pip install` does on a real host: an
    editable checkout run with PYTHONDONTWRITEBYTECODE would otherwise re-compile every module
    on every run and charge that to bulwark."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "tools"),
                    str(root / "backup")], check=True, stdout=subprocess.DEVNULL)


def make_tree(root: Path, *, files: int = 50_000, total_bytes: int = 1 << 30,
              seed: int = 1) -> tuple[int, int]:
    """A deterministic tree: many small files and a few large ones, incompressible content,
    spread over 2-level directories. Returns (files, bytes)."""
    if (root / ".complete").exists():
        done = (root / ".complete").read_text().split()
        return int(done[0]), int(done[1])
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(seed)
    large = max(1, files // 500)                 # 0.2 % of the files hold half the bytes
    small = files - large
    small_size = (total_bytes // 2) // small
    large_size = (total_bytes // 2) // large
    written = 0
    for i in range(files):
        size = large_size if i < large else rng.randint(small_size // 2, small_size * 3 // 2)
        path = root / f"d{i % 100:02d}" / f"s{(i // 100) % 50:02d}" / f"f{i:06d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size))
        written += size
    (root / ".complete").write_text(f"{files} {written}")
    return files, written


def change_fraction(root: Path, fraction: float, seed: int) -> int:
    """Rewrite ``fraction`` of the files with new content (a day's worth of change)."""
    rng = random.Random(seed)
    paths = sorted(p for p in root.rglob("*.bin"))
    chosen = rng.sample(paths, max(1, int(len(paths) * fraction)))
    for path in chosen:
        size = path.stat().st_size
        path.write_bytes(rng.randbytes(size))
    return len(chosen)


@dataclass
class Measure:
    seconds: float
    peak_rss_kb: int          # the command's own process
    peak_tree_rss_kb: int     # the command plus its children (e.g. bulwark + restic)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = Path(f"/proc/{current}/task").iterdir()
            for task in tasks:
                children = (task / "children").read_text().split()
                for child in children:
                    out.append(int(child))
                    stack.append(int(child))
        except OSError:
            continue
    return out


def run(argv: Sequence[str], *, env: dict[str, str] | None = None, shell: bool = False,
        check: bool = True) -> Measure:
    """Run a command, timing it and sampling its memory every 20 ms.

    The page cache is written back first (sync), so the gigabyte the previous command wrote
    is not flushed on this command's clock."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(argv if not shell else argv[0], env=env, shell=shell,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = peak_tree = 0
    while proc.poll() is None:
        own = _rss_kb(proc.pid)
        tree = own + sum(_rss_kb(child) for child in _descendants(proc.pid))
        peak, peak_tree = max(peak, own), max(peak_tree, tree)
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if check and proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): "
                         f"{' '.join(argv)}\n{stderr[-2000:]}")
    return Measure(seconds, peak, peak_tree)


def ratio_summary(ratios: list[float]) -> str:
    return f"min {min(ratios):.3f} × / median {statistics.median(ratios):.3f} ×"


def write_results(section: str, lines: list[str]) -> Path:
    """Replace ``section`` in bench/RESULTS.md with ``lines`` (other sections are kept)."""
    results = Path(__file__).resolve().parent / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Bulwark benchmarks\n"
    marker = f"<!-- {section} -->"
    block = f"{marker}\n" + "\n".join(lines).rstrip() + f"\n{marker} end\n"
    if marker in text:
        head, rest = text.split(marker + "\n", 1)
        tail = rest.split(f"{marker} end\n", 1)[1] if f"{marker} end\n" in rest else ""
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block
    results.write_text(text)
    return results
