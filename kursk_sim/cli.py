"""The ``kursk-sim`` command.

::

    kursk-sim run [SCENARIO] [--replications N] [--seed S] [--workers K] [--trajectories N]
                  [--progress | --no-progress] [--out DIR] [--set PATH=VALUE ...]
    kursk-sim show [SCENARIO]
    kursk-sim list

``SCENARIO`` is a built-in name (default ``kursk-2024``) or a TOML file.
Bad input prints one line naming the parameter and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .scenario import builtin_scenarios, load_scenario

__all__ = ["main"]

DEFAULT_SCENARIO = "kursk-2024"
DEFAULT_REPLICATIONS = 10_000


def _whole(text: str, low: int) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a whole number >= {low}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a whole number >= {low}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _natural_int(text: str) -> int:
    return _whole(text, 0)


def _setting(text: str) -> tuple[str, Any]:
    """``path=value`` with the value read as TOML (numbers, dates, strings, inline tables)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected PATH=VALUE, e.g. ru.replenishment.per_day=900")
    path, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word, e.g. noise.kind=none
    return path, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kursk-sim",
        description="Monte Carlo projection of manpower attrition on a front (default: Kursk, winter 2024-25).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario, print a projection table, write CSVs and a figure")
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="built-in name or TOML file")
    run.add_argument("-n", "--replications", type=_positive_int, default=DEFAULT_REPLICATIONS)
    run.add_argument("--seed", type=int, default=1, help="seed of the run (default 1)")
    run.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help="local worker processes (default: run in this process); results do not depend on it",
    )
    run.add_argument(
        "--trajectories",
        type=_natural_int,
        default=None,
        metavar="N",
        help="keep the daily trajectories of the first N replications "
        "(default: all of them when they fit in 256 MiB, else none; summaries cover every replication)",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress line on standard error (default: when it is a terminal)",
    )
    run.add_argument("--out", type=Path, default=Path("kursk-sim-output"), help="output folder")
    run.add_argument(
        "--set",
        dest="settings",
        type=_setting,
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="change a parameter, e.g. --set kpa.second_wave.probability=1 (repeatable)",
    )
    run.add_argument("--no-figure", action="store_true", help="do not write the PNG figure")
    show = sub.add_parser("show", help="print every parameter with its value, unit and source")
    show.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    sub.add_parser("list", help="list the built-in scenarios")
    return parser


def _run(args: argparse.Namespace) -> None:
    from .run import simulate

    scenario = load_scenario(args.scenario)
    if args.settings:
        scenario = scenario.replace(dict(args.settings))
    t0 = time.perf_counter()
    ensemble = simulate(
        scenario,
        args.replications,
        seed=args.seed,
        workers=args.workers,
        trajectories=args.trajectories,
        progress=args.progress,
    )
    elapsed = time.perf_counter() - t0
    print(ensemble.projection())
    print()
    print(ensemble.summary())
    rep_days = args.replications * scenario.horizon_days
    print(
        f"\n{args.replications:,} replications x {scenario.horizon_days} days in {elapsed:.1f} s "
        f"({rep_days / elapsed:,.0f} replication-days/s), seed {args.seed}, "
        f"{args.workers or 1} process{'es' if (args.workers or 1) > 1 else ''}"
    )
    paths = ensemble.export(args.out)
    if not args.no_figure:
        import matplotlib

        matplotlib.use("Agg")
        from .plot import projection_figure

        fig = projection_figure(ensemble)
        png = args.out / "projection.png"
        fig.savefig(png, dpi=120)
        paths.append(png)
    print("wrote " + ", ".join(str(p) for p in paths))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kursk-sim``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            _run(args)
        elif args.command == "show":
            print(load_scenario(args.scenario).describe())
        else:
            print("\n".join(builtin_scenarios()))
    except (ScenarioError, FileNotFoundError, ValueError) as err:
        print(f"kursk-sim: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
