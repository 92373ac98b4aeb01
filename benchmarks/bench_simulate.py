"""Benchmark: the performance figures of the default scenario, as a table.

Prints the figures of the performance issue next to their targets, and the
machine they came from (not a test; nothing here asserts a time). Run::

    python benchmarks/bench_simulate.py                 # about 15 minutes, 10 of them the 10**7 run
    python benchmarks/bench_simulate.py --memory-replications 0   # skip the 10**7 run

Figures:

* replication-days per second of summaries-only runs (what a large run
  does) in this process and on 2 local worker processes, run alternately;
* the same model run one replication at a time (the speed-up is what the
  batch state buys);
* time in the step outside random draws relative to the draws, for a
  chunk as a worker runs it (median of three chunks; recording and
  sketching included): the draws are the time inside the NumPy
  ``Generator``'s methods, the rest is everything else (array arithmetic,
  SimPy, recording);
* peak resident memory of all processes of a 10**7-replication run with
  2 workers (``bench_memory.py``);
* the floor: the draws alone (the fastest the step could be with nothing
  else), the draws by ``Generator`` method, and the same draws each made
  at NumPy's fastest (scalar parameters, set-up made once);
* variants: every binomial draw exact (no normal approximation), mean-field
  (no draws), negative-binomial noise.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import kursk_sim as ks
from kursk_sim.chunks import _Reducer
from kursk_sim.model import Model, default_processes
from kursk_sim.parameters import ChunkRows, assemble, sample_values
from kursk_sim.streams import ChunkStreams

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import peak_memory  # noqa: E402


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


class DrawClock:
    """Seconds spent in Generator methods and variates returned, per method, over several generators."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.variates: dict[str, int] = {}
        self.calls = 0


class TimedGenerator:
    """A NumPy Generator that adds the seconds spent in each of its methods, and the variates, to a clock."""

    def __init__(self, rng: np.random.Generator, clock: DrawClock) -> None:
        self._rng = rng
        self._clock = clock

    def __getattr__(self, name: str):
        method = getattr(self._rng, name)
        clock = self._clock

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            result = method(*args, **kwargs)
            clock.seconds[name] = clock.seconds.get(name, 0.0) + time.perf_counter() - t0
            clock.variates[name] = clock.variates.get(name, 0) + np.size(result)
            clock.calls += 1
            return result

        return timed


class TimedStreams(ChunkStreams):
    """A chunk's streams whose rule generators are timed on one clock.

    (The replication streams' uniforms, drawn for the uncertain parameters
    once and for the encirclement hazard on days at risk, are not timed.)
    """

    def __init__(self, root: np.random.SeedSequence, chunk: int, replications: tuple[int, int]) -> None:
        super().__init__(root, chunk, replications)
        self.clock = DrawClock()
        self._timed: dict[str, TimedGenerator] = {}

    def generator(self, purpose: str):  # type: ignore[override]
        timed = self._timed.get(purpose)
        if timed is None:
            timed = self._timed[purpose] = TimedGenerator(super().generator(purpose), self.clock)
        return timed


@dataclass(frozen=True)
class DrawShare:
    """Where one chunk's time went: in the Generator's methods (by method) and in total."""

    total: float
    seconds: dict[str, float]
    variates: dict[str, int]
    calls: int

    @property
    def draws(self) -> float:
        return sum(self.seconds.values())

    @property
    def ratio(self) -> float:
        """Time outside the draws relative to the draws."""
        return (self.total - self.draws) / self.draws


def draw_share(sc: ks.Scenario, replications: int, seed: int = 1) -> DrawShare:
    """Time in random draws and in total, for one chunk as a worker runs it (recording and sketching included)."""
    rows = ChunkRows((0, 1), (0, replications))
    streams = TimedStreams(np.random.SeedSequence(seed), 0, rows.replications)
    params = assemble(sc, rows, streams, sample_values(sc, streams))
    reducer = _Reducer(replications, sc.horizon_days + 1, len(sc.contingent_ids), 0, True)
    model = Model(params, streams, default_processes(params), recorders=[reducer])
    t0 = time.perf_counter()
    model.run()
    clock = streams.clock
    return DrawShare(time.perf_counter() - t0, clock.seconds, clock.variates, clock.calls)


def fastest_variate_seconds(rng: np.random.Generator, method: str, size: int = 2_000_000) -> float:
    """Seconds per variate of ``method`` at NumPy's fastest: scalar parameters, so its set-up is made once.

    Binomial draws are timed at ``n = 90, p = 0.06`` (mean 5.4, like the
    step's exact draws, whose means are mostly 1-10); best of 5.
    """
    draw = {
        "binomial": lambda: rng.binomial(90, 0.06, size),
        "standard_normal": lambda: rng.standard_normal(size),
        "random": lambda: rng.random(size),
    }[method]
    return min(_time(draw, 1) for _ in range(5)) / size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=262_144, help="replications of the timed runs (16 chunks)")
    parser.add_argument("--singles", type=int, default=100, help="one-replication runs timed")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of 1 process and of 2 workers")
    parser.add_argument("--memory-replications", type=int, default=10_000_000, help="0: skip the memory run")
    args = parser.parse_args(argv)

    sc = ks.load_scenario("kursk-2024")
    days = sc.horizon_days
    n = args.replications

    def rate(scenario: ks.Scenario, workers: int | None = None) -> float:
        run = lambda: ks.simulate(scenario, n, seed=1, workers=workers, trajectories=False, progress=False)  # noqa: E731
        return n * days / _time(run, 1)

    # 1 process and 2 workers alternately, so that a machine whose speed drifts slows both alike
    pairs = [(rate(sc), rate(sc, workers=2)) for _ in range(args.repeat)]
    one = statistics.median(p[0] for p in pairs)
    two = statistics.median(p[1] for p in pairs)
    seeds = np.random.SeedSequence(1).spawn(args.singles)
    single = args.singles * days / _time(lambda: [ks.simulate(sc, 1, seed=s, progress=False) for s in seeds], 1)
    chunk_days = ks.run.DEFAULT_CHUNK_SIZE * days
    shares = sorted((draw_share(sc, ks.run.DEFAULT_CHUNK_SIZE, seed) for seed in range(1, 4)), key=lambda d: d.ratio)
    share = shares[1]  # the chunk of median ratio
    floor = chunk_days / share.draws
    variants = {
        "every binomial draw exact (noise.approximation = none)": rate(sc.replace({"noise.approximation": "none"})),
        "mean-field, no draws (noise.kind = none)": rate(sc.replace({"noise.kind": "none"})),
        "negative-binomial noise": rate(sc.replace({"noise.kind": "negative_binomial"})),
    }
    memory = peak_memory(args.memory_replications, 2) if args.memory_replications else None

    print(f"kursk_sim {ks.__version__} benchmark: default scenario kursk-2024, {days} days, summaries only")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(
        f"timed runs: {n:,} replications, chunks of {ks.run.DEFAULT_CHUNK_SIZE:,}, median of {args.repeat} "
        "(1 process and 2 workers alternately)\n"
    )
    print("| figure | target | measured |")
    print("| --- | --- | --- |")
    print(f"| replication-days per second, 2 workers | ≥ 10 million | {two:,.0f} |")
    print(f"| replication-days per second, 1 process | | {one:,.0f} |")
    print(
        f"| speed-up over the same model run one replication at a time ({single:,.0f}/s) | ≥ 300× | {one / single:,.0f}× |"
    )
    print(
        f"| time in the step outside random draws, relative to the draws | ≤ 1× | {share.ratio:.2f}× "
        f"(median of 3 chunks, range {shares[0].ratio:.2f}–{shares[2].ratio:.2f}; {share.draws:.2f} s of "
        f"{share.total:.2f} s in {share.calls:,} draw calls) |"
    )
    if memory is not None:
        seconds, mem_rate, peak, _ = memory
        print(
            f"| peak memory, {args.memory_replications:,} replications, summaries only, 2 workers | < 1 GB | "
            f"{peak / 2**20:,.0f} MiB ({seconds / 60:.1f} min, {mem_rate:,.0f} replication-days/s) |"
        )
    print(f"| 2 workers over 1 worker | ≥ 1.8× | {two / one:.2f}× |")
    print(f"\nfloor set by the draws alone: {floor:,.0f} replication-days/s per core, {2 * floor:,.0f} on 2 cores")
    print("draws of one chunk (the median one), by Generator method:")
    fastest = 0.0  # seconds per replication-day of the same draws at NumPy's fastest
    for name, seconds in sorted(share.seconds.items(), key=lambda kv: -kv[1]):
        count = share.variates[name]
        best = fastest_variate_seconds(np.random.default_rng(2), name)
        fastest += count / chunk_days * best
        print(
            f"  {name:<16} {count / chunk_days:5.2f} variates per replication-day, {seconds / count * 1e9:5.1f} ns each "
            f"({best * 1e9:4.1f} ns at NumPy's fastest), {seconds / chunk_days * 1e9:6.1f} ns per replication-day"
        )
    print(
        f"the same draws, each at NumPy's fastest, with nothing else: {1 / fastest:,.0f} replication-days/s per core, "
        f"{2 / fastest:,.0f} on 2 cores"
    )
    print("variants, 1 process:")
    for name, value in variants.items():
        print(f"  {name:<58} {value:>12,.0f} replication-days/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
