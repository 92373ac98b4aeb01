"""Benchmark: peak resident memory of a large run, summaries only.

Runs ``kursk-sim``'s default scenario in a child process and samples the
resident memory of that process and all its workers (summed, from /proc)
every 0.2 s. Prints a table; asserts nothing. Linux only. Run::

    python benchmarks/bench_memory.py [--replications 10000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys, time, kursk_sim as ks
n, workers = int(sys.argv[1]), int(sys.argv[2])
t = time.perf_counter()
ens = ks.simulate(ks.load_scenario("kursk-2024"), n, seed=1, workers=workers, trajectories=False, progress=False)
dt = time.perf_counter() - t
print(f"{dt:.1f} {n * ens.scenario.horizon_days / dt:.0f} {ens.kept}")
print(ens.summary())
"""


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def peak_memory(replications: int, workers: int) -> tuple[float, float, int, str]:
    """Run in a child process: ``(seconds, replication-days/s, peak bytes of all processes, its output)``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(replications), str(workers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.2)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise RuntimeError(f"the benchmark's child process failed ({proc.returncode}):\n{out}")
    seconds, rate, _ = out.splitlines()[0].split()
    return float(seconds), float(rate), peak, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    seconds, rate, peak, out = peak_memory(args.replications, args.workers)
    print(
        f"{'replications':>14} {'workers':>8} {'seconds':>9} {'replication-days/s':>19} {'peak RSS (all processes)':>25}"
    )
    print(f"{args.replications:>14,} {args.workers:>8} {seconds:>9.1f} {rate:>19,.0f} {peak / 2**20:>21,.0f} MiB")
    print(f"trajectories kept: {out.splitlines()[0].split()[2]}")
    print("\n".join(out.splitlines()[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
