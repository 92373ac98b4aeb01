"""The ``kursk-sim`` command.

::

    kursk-sim run [SCENARIO] [--replications N] [--seed S] [--workers K] [--trajectories N]
                  [--outputs NAME,...] [--progress | --no-progress] [--out DIR] [--set PATH=VALUE ...]
    kursk-sim sweep [SCENARIO] (--grid PATH=V1,V2,... ... | --sample METHOD:N [--path PATH ...])
                    [-n R] [--seed S] [--workers K] [--store DIR] [--reference I | --no-reference]
                    [--heatmap OUTPUT] [--out DIR] [--set PATH=VALUE ...]
    kursk-sim sensitivity [SCENARIO] --output OUTPUT ... [--method sobol|morris] [-N N] [-n R]
                    [--path PATH ...] [--seed S] [--workers K] [--out DIR] [--set PATH=VALUE ...]
    kursk-sim fit SCENARIO OBSERVATIONS --param PATH=LOW:HIGH ... [--method least_squares|likelihood]
                  [--start PATH=VALUE ...] [--out DIR]
    kursk-sim abc SCENARIO OBSERVATIONS --param PATH[=LOW:HIGH] ... [--particles N] [--populations P]
                  [--seed S] [--workers K] [--out DIR]
    kursk-sim show [SCENARIO]
    kursk-sim list

``SCENARIO`` is a built-in name (default ``kursk-2024``) or a TOML file.
Bad input prints one line naming the parameter and exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .errors import ScenarioError
from .execution import SimulationError
from .rules.withdrawal import withdrawal_event
from .scenario import builtin_scenarios, load_scenario

__all__ = ["main"]

DEFAULT_SCENARIO = "kursk-2024"
DEFAULT_REPLICATIONS = 10_000
DEFAULT_SWEEP_REPLICATIONS = 1000
DEFAULT_SENSITIVITY_REPLICATIONS = 8


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
    if not path:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected PATH=VALUE with a parameter path before '='")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word, e.g. noise.kind=none
    return path, value


def _outputs(text: str) -> tuple[str, ...]:
    from .chunks import recorded_outputs

    try:
        return recorded_outputs([name.strip() for name in text.split(",") if name.strip()])
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("outputs: ")) from None


def _levels(text: str) -> tuple[str, list[Any]]:
    """``path=v1,v2,...`` with each level read as TOML (numbers, dates)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(
            f"got {text!r}, expected PATH=V1,V2,..., e.g. ru.replenishment.per_day=600,1200"
        )
    path, raw = (part.strip() for part in text.split("=", 1))
    if not raw:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected at least one level after '='")
    parts = raw.split(",")
    if any(not v.strip() for v in parts):
        raise argparse.ArgumentTypeError(f"got {text!r}, expected levels separated by single commas (one is empty)")
    return path, [_setting(f"{path}={v}")[1] for v in parts]


def _bounds(text: str) -> tuple[str, tuple[float, float]]:
    """``path=low:high``."""
    path, _, raw = text.partition("=")
    low, _, high = raw.partition(":")
    try:
        return path.strip(), (float(low), float(high))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"got {text!r}, expected PATH=LOW:HIGH, e.g. defender.lethality=0.005:0.05"
        ) from None


def _prior(text: str) -> tuple[str, tuple[float, float] | None]:
    """``path`` or ``path=low:high``."""
    if "=" not in text:
        return text.strip(), None
    return _bounds(text)


def _method_n(text: str) -> tuple[str, int]:
    """``method:n``, e.g. ``lhs:64``."""
    method, _, n = text.partition(":")
    try:
        return method, int(n.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected METHOD:N, e.g. lhs:64 or sobol:128") from None


def _common(parser: argparse.ArgumentParser, replications: int) -> None:
    """Arguments every running command takes."""
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="built-in name or TOML file")
    parser.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=replications,
        help=f"replications (for sweep and sensitivity: per point; default {replications:,})",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the run (default 1)")
    parser.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help="local worker processes (default: run in this process); results do not depend on it",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress line on standard error (default: when it is a terminal)",
    )
    _set_option(parser, "change a parameter, e.g. --set kpa.second_wave.probability=1 (repeatable)")


def _set_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """The repeatable ``--set PATH=VALUE`` option of a command."""
    parser.add_argument(
        "--set", dest="settings", type=_setting, action="append", default=[], metavar="PATH=VALUE", help=help_text
    )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``kursk-sim run: error: ...``) and exit 2, like the others."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (usage: {self.prog} --help)\n")


def _folder(text: str) -> Path:
    """An output folder given on the command line: a name, not an empty or blank string (which would be '.')."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"got {text!r}, expected the name of a folder")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kursk-sim",
        description="Monte Carlo projection of manpower attrition on a front (default: Kursk, winter 2024-25).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario, print a projection table, write CSVs and a figure")
    _common(run, DEFAULT_REPLICATIONS)
    run.add_argument(
        "--trajectories",
        type=_natural_int,
        default=None,
        metavar="N",
        help="keep the daily trajectories of the first N replications "
        "(default: all of them when they fit in 256 MiB, else none; summaries cover every replication)",
    )
    run.add_argument(
        "--outputs",
        type=_outputs,
        default=None,
        metavar="NAME,NAME,...",
        help="record only these outputs (of strength, killed, wounded, missing, casualties, area; default all): "
        "faster, less memory; the figure needs strength and area",
    )
    run.add_argument("--out", type=_folder, default=Path("kursk-sim-output"), help="output folder")
    run.add_argument("--no-figure", action="store_true", help="do not write the PNG figure")
    sw = sub.add_parser(
        "sweep",
        help="run every point of a design (a grid or a sample), print a table per point, write CSVs and a figure",
    )
    _common(sw, DEFAULT_SWEEP_REPLICATIONS)
    how = sw.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--grid",
        type=_levels,
        action="append",
        metavar="PATH=V1,V2,...",
        help="levels of a parameter (repeatable: the full factorial of all)",
    )
    how.add_argument(
        "--sample",
        type=_method_n,
        metavar="METHOD:N",
        help="N points by lhs, sobol, halton or random over each parameter's range or distribution",
    )
    sw.add_argument("--path", dest="paths", action="append", metavar="PATH", help="with --sample: parameters to vary")
    sw.add_argument("--store", type=Path, default=None, help="folder keeping finished chunks: a rerun resumes")
    pair = sw.add_mutually_exclusive_group()
    pair.add_argument("--reference", type=_natural_int, default=0, help="point paired differences are taken against")
    pair.add_argument("--no-reference", dest="reference", action="store_const", const=None, help="no pairing")
    sw.add_argument(
        "--heatmap",
        metavar="OUTPUT",
        default=None,
        help="with a grid of two parameters: the output drawn (default: the defender's withdrawal by the end), "
        "e.g. ua_withdrawal@2025-03-31 or strength.ua@2025-03-01",
    )
    sw.add_argument("--out", type=_folder, default=Path("kursk-sim-sweep"), help="output folder")
    se = sub.add_parser("sensitivity", help="Sobol indices or Morris screening of outputs; ranked tables and a figure")
    _common(se, DEFAULT_SENSITIVITY_REPLICATIONS)
    se.add_argument(
        "--output",
        dest="outputs",
        action="append",
        required=True,
        metavar="OUTPUT",
        help="e.g. area@2025-03-01, strength.ua@2025-05-31, ua_withdrawal@2025-03-31 (repeatable)",
    )
    se.add_argument("--method", choices=("sobol", "morris"), default="sobol", help="estimator (default sobol)")
    se.add_argument(
        "-N",
        dest="n",
        type=_positive_int,
        default=None,
        help="Sobol: base sample, a power of two (default 1024; N x (parameters + 2) points); "
        "Morris: trajectories (default 64)",
    )
    se.add_argument("--path", dest="paths", action="append", metavar="PATH", help="parameters (default: all ranged)")
    se.add_argument("--top", type=_positive_int, default=15, help="parameters shown per output (default 15)")
    se.add_argument("--out", type=_folder, default=Path("kursk-sim-sensitivity"), help="output folder")
    fi = sub.add_parser("fit", help="least-squares fit of parameters to observed figures; tables, CSVs and a figure")
    fi.add_argument("scenario", help="built-in name or TOML file")
    fi.add_argument("observations", help="built-in name (kursk-2024-article) or a CSV or TOML file")
    fi.add_argument(
        "--param",
        dest="params",
        type=_bounds,
        action="append",
        required=True,
        metavar="PATH=LOW:HIGH",
        help="a parameter to fit and its bounds (repeatable)",
    )
    fi.add_argument(
        "--method",
        choices=("least_squares", "likelihood"),
        default="least_squares",
        help="least squares on the figures' sds, or the likelihood of the counts under the noise model",
    )
    fi.add_argument("--start", type=_setting, action="append", default=[], metavar="PATH=VALUE", help="starting value")
    _set_option(fi, "change a parameter before fitting (repeatable)")
    fi.add_argument("--out", type=_folder, default=Path("kursk-sim-fit"), help="output folder")
    ab = sub.add_parser(
        "abc", help="Bayesian calibration by ABC-SMC; posterior tables, the calibrated scenario, figures"
    )
    ab.add_argument("scenario", help="built-in name or TOML file")
    ab.add_argument("observations", help="built-in name (kursk-2024-article) or a CSV or TOML file")
    ab.add_argument(
        "--param",
        dest="params",
        type=_prior,
        action="append",
        required=True,
        metavar="PATH[=LOW:HIGH]",
        help="a parameter and its uniform prior (default: its distribution, else its declared range); repeatable",
    )
    ab.add_argument("--particles", type=_positive_int, default=4000, help="particles per population (default 4000)")
    ab.add_argument("--populations", type=_positive_int, default=5, help="populations, each with a lower tolerance")
    ab.add_argument("--seed", type=int, default=1, help="seed of the run (default 1)")
    ab.add_argument("-w", "--workers", type=_positive_int, default=None, help="local worker processes")
    _set_option(ab, "change a parameter before calibrating (repeatable)")
    ab.add_argument("--out", type=_folder, default=Path("kursk-sim-abc"), help="output folder")
    show = sub.add_parser("show", help="print every parameter with its value, unit and source")
    show.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="built-in name or TOML file")
    sub.add_parser("list", help="list the built-in scenarios")
    return parser


def _run(args: argparse.Namespace) -> None:
    from .run import simulate

    outputs = args.outputs
    if outputs is not None and not args.no_figure and not {"strength", "area"} <= set(outputs):
        raise ValueError(f"--outputs: got {','.join(outputs)}; the figure needs strength and area (or --no-figure)")
    scenario = _scenario(args)
    t0 = time.perf_counter()
    ensemble = simulate(
        scenario,
        args.replications,
        seed=args.seed,
        workers=args.workers,
        trajectories=args.trajectories,
        progress=args.progress,
        outputs=outputs,
    )
    elapsed = time.perf_counter() - t0
    if outputs is None or {"strength", "area"} & set(outputs):
        print(ensemble.projection())
        print()
    print(ensemble.summary())
    rep_days = args.replications * scenario.horizon_days
    print(
        f"\n{args.replications:,} replications x {scenario.horizon_days} days in {elapsed:.1f} s "
        f"({rep_days / elapsed:,.0f} replication-days/s), seed {args.seed}, "
        f"{args.workers or 1} process{'es' if (args.workers or 1) > 1 else ''}"
    )
    paths = ensemble.export(args.out, command=sys.argv)
    if not args.no_figure:
        _figure_backend()
        from .plot import projection_figure

        fig = projection_figure(ensemble)
        png = args.out / "projection.png"
        fig.savefig(png, dpi=120)
        paths.append(png)
    print("wrote " + ", ".join(str(p) for p in paths))


def _scenario(args: argparse.Namespace) -> Any:
    scenario = load_scenario(args.scenario)
    return scenario.replace(dict(args.settings)) if args.settings else scenario


def _figure_backend() -> None:
    import matplotlib

    matplotlib.use("Agg")


def _sweep(args: argparse.Namespace) -> None:
    from . import design as designs
    from .sweep import sweep

    scenario = _scenario(args)
    if args.grid:
        _once("--grid", [path for path, _ in args.grid], " with all its levels")
        design = designs.grid(dict(args.grid))
    else:
        method, n = args.sample
        _once("--path", list(args.paths or []))
        design = designs.sample(scenario, n, method, paths=args.paths, seed=args.seed)
    t0 = time.perf_counter()
    result = sweep(
        scenario,
        design,
        args.replications,
        seed=args.seed,
        workers=args.workers,
        progress=args.progress,
        store=args.store,
        reference=args.reference,
    )
    elapsed = time.perf_counter() - t0
    print(result.table())
    if result.reference is not None and len(design) > 1:
        print()
        print(_differences(result))
    rows = len(design) * args.replications
    print(
        f"\n{len(design)} points x {args.replications:,} replications x {scenario.horizon_days} days in "
        f"{elapsed:.1f} s ({rows * scenario.horizon_days / elapsed:,.0f} replication-days/s), seed {args.seed}"
    )
    for failure in result.failures:
        print(f"failed: {failure}")
    args.out.mkdir(parents=True, exist_ok=True)
    paths = result.export(args.out, command=sys.argv)
    paths.append(design.to_csv(args.out / "design.csv"))
    figure = _sweep_figure(result, design if args.grid else None, args.heatmap, args.out)
    if figure is not None:
        paths.append(figure)
    print("wrote " + ", ".join(str(p) for p in paths))


def _differences(result: Any) -> Any:
    """Paired differences from the reference point of the defender's withdrawal and each contingent's strength."""
    from .results import Table

    ref = result.reference
    event = withdrawal_event(result.scenario)
    d_event = result.difference(event).values
    d_strength = result.difference("strength").values[:, :, -1]
    cols = ("point", f"Δ P({event})", *(f"Δ {c} strength" for c in result.contingents))
    rows = []
    for j in range(result.n_points):
        if j == ref:
            continue
        cells = [f"{d_event[0, j]:+.3f} ± {_se_text(d_event[1, j], '.3f')}"]
        cells += [
            f"{d_strength[0, j, c]:+,.0f} ± {_se_text(d_strength[1, j, c], ',.0f')}"
            for c in range(len(result.contingents))
        ]
        rows.append((j, *cells))
    title = f"paired differences from point {ref} on {result.dates[-1]} (± standard error)"
    return Table(title, cols, rows)


def _sweep_figure(result: Any, design: Any, heatmap: str | None, out: Path) -> Path | None:
    """A heatmap when the design is a grid (``None`` otherwise) of two parameters."""
    if design is None or len(design.paths) != 2:
        if heatmap is not None:
            raise ValueError(f"--heatmap: got {heatmap!r}, but it needs a grid of two parameters")
        return None
    _figure_backend()
    from .plot import sweep_heatmap

    output = heatmap or f"{withdrawal_event(result.scenario)}@{result.dates[-1]}"
    x, y = design.paths
    ax = sweep_heatmap(result, output, x=x, y=y)
    png = out / "heatmap.png"
    ax.figure.savefig(png, dpi=120)
    return png


def _sensitivity(args: argparse.Namespace) -> None:
    from .sensitivity import sensitivity

    scenario = _scenario(args)
    _once("--path", list(args.paths or []))
    n = args.n if args.n is not None else (1024 if args.method == "sobol" else 64)
    t0 = time.perf_counter()
    try:
        result = sensitivity(
            scenario,
            args.outputs,
            method=args.method,
            n=n,
            paths=args.paths,
            seed=args.seed,
            replications=args.replications,
            workers=args.workers,
            progress=args.progress,
        )
    except ValueError as err:  # the function's n is this command's -N (its -n is the replications)
        if str(err).startswith("n: "):
            raise ValueError(f"-N: {str(err)[3:]}") from None
        raise
    elapsed = time.perf_counter() - t0
    for k in range(len(result.outputs)):
        print(result.table(k, top=args.top))
        print()
    widest = f", widest {100 * result.confidence_level:g}% interval ±{result.widest_interval:.3f}"
    print(
        f"{len(result.paths)} parameters, {result.points:,} points x {result.replications} replications in "
        f"{elapsed:.1f} s{widest if args.method == 'sobol' else ''}, seed {args.seed}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [_indices_csv(result, args.out / "indices.csv")]
    for k in range(len(result.outputs)):
        paths.append(result.table(k).to_csv(args.out / f"ranking_{k + 1}.csv"))
    _figure_backend()
    import matplotlib.pyplot as plt

    from .plot import tornado

    top = min(args.top, len(result.paths))
    fig, axes = plt.subplots(
        len(result.outputs),
        1,
        figsize=(9, (0.32 * top + 1.4) * len(result.outputs)),
        layout="constrained",
        squeeze=False,
    )
    for k, ax in enumerate(axes[:, 0]):
        tornado(result, k, top=top, ax=ax)
    png = args.out / "tornado.png"
    fig.savefig(png, dpi=120)
    paths.append(png)
    print("wrote " + ", ".join(str(p) for p in paths))


def _fit(args: argparse.Namespace) -> None:
    from .fit import fit
    from .observations import load_observations

    scenario = _scenario(args)
    observations = load_observations(args.observations)
    t0 = time.perf_counter()
    for option, pairs in (("--param", args.params), ("--start", args.start)):
        _once(option, [path for path, _ in pairs])
    start = {k: _start_value(k, v) for k, v in args.start} or None
    result = fit(scenario, observations, dict(args.params), method=args.method, start=start)
    elapsed = time.perf_counter() - t0
    print(result.table())
    print()
    print(result.residuals)
    print(f"\n{result.calls} model calls ({result.rows} rows) in {elapsed:.1f} s: {result.message}")
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [result.table().to_csv(args.out / "parameters.csv"), result.residuals.to_csv(args.out / "residuals.csv")]
    paths.append(result.scenario.save(args.out / "fitted.toml"))
    _figure_backend()
    from .plot import observed

    axes = observed(result.scenario, observations)
    png = args.out / "fit.png"
    axes[0].figure.savefig(png, dpi=120)
    paths.append(png)
    print("wrote " + ", ".join(str(p) for p in paths))


def _start_value(path: str, value: Any) -> float:
    """A ``--start PATH=VALUE`` value: a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"--start: got {path}={value!r}, expected a number")
    return float(value)


def _abc(args: argparse.Namespace) -> None:
    from .abc import abc
    from .observations import load_observations

    scenario = _scenario(args)
    observations = load_observations(args.observations)
    _once("--param", [path for path, _ in args.params])
    t0 = time.perf_counter()
    result = abc(
        scenario,
        observations,
        dict(args.params),
        particles=args.particles,
        populations=args.populations,
        seed=args.seed,
        workers=args.workers,
    )
    elapsed = time.perf_counter() - t0
    print(result.diagnostics())
    print()
    print(result.table())
    print(
        f"\n{sum(p['simulated'] for p in result.populations):,} particles simulated in {elapsed:.1f} s, seed {args.seed}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    posterior = args.out / "posterior.csv"
    with posterior.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("weight", *result.paths))
        for i, weight in enumerate(result.weights):
            w.writerow((repr(float(weight)), *(repr(float(result.samples[p][i])) for p in result.paths)))
    paths = [posterior, result.diagnostics().to_csv(args.out / "populations.csv")]
    paths.append(result.table().to_csv(args.out / "parameters.csv"))
    calibrated = result.scenario(name=f"{scenario.name}-abc")
    paths.append(calibrated.save(args.out / "calibrated.toml"))
    _figure_backend()
    import matplotlib.pyplot as plt

    from .plot import fan, posterior_pairs

    axes = posterior_pairs(result)
    paths.append(args.out / "pairs.png")
    axes[0, 0].figure.savefig(paths[-1], dpi=110)
    ensemble = simulate_predictive(calibrated)
    outputs = sorted({o.output for o in observations if not o.event})
    fig, panels = plt.subplots(len(outputs), 1, figsize=(8, 3.3 * len(outputs)), layout="constrained", squeeze=False)
    for ax, output in zip(panels[:, 0], outputs, strict=True):
        fan(ensemble, output, observations=observations, ax=ax)
    paths.append(args.out / "predictive.png")
    fig.savefig(paths[-1], dpi=110)
    print("wrote " + ", ".join(str(p) for p in paths))


def simulate_predictive(scenario: Any) -> Any:
    """The posterior predictive ensemble drawn in the figure."""
    from .run import simulate

    return simulate(scenario, 2000, seed=0)


def _indices_csv(result: Any, path: Path) -> Path:
    keys = list(result.indices)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        header = ["output", "parameter"]
        for key in keys:
            header += [f"{key}_low", f"{key}_high"] if result.indices[key].ndim == 3 else [key]
        w.writerow(header)
        for k, o in enumerate(result.outputs):
            for i, p in enumerate(result.paths):
                row: list[Any] = [o.text, p]
                for key in keys:
                    v = result.indices[key]
                    row += [f"{v[0, k, i]:.6g}", f"{v[1, k, i]:.6g}"] if v.ndim == 3 else [f"{v[k, i]:.6g}"]
                w.writerow(row)
    return path


#: Suffixes of the files the commands write: a folder with one of these names in --out is in the way.
OUTPUT_SUFFIXES = (".csv", ".png", ".toml", ".json", ".parquet", ".nc")


def _once(option: str, paths: list[str], how: str = "") -> None:
    """Refuse a parameter given more than once to a repeatable option (the later would silently win)."""
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise ValueError(f"{option}: got {twice[0]} more than once, expected each parameter once{how}")


def _se_text(se: float, spec: str) -> str:
    """A standard error for a table: ``-`` where it is undefined (one replication)."""
    return "-" if math.isnan(se) else format(se, spec)


def _check_out(out: Path) -> None:
    """Refuse, before any simulation, an output folder that cannot take the results (nothing is created here)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: {out} exists and is not a folder")
    if not out.exists():
        parent = next(p for p in out.absolute().parents if p.exists())
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ValueError(f"--out: cannot create {out}: {parent} is not a writable folder")
        return
    try:
        probe = out / f".kursk-sim-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"--out: cannot write in {out} ({err.strerror})") from None
    for child in out.iterdir():
        if child.is_dir() and child.suffix in OUTPUT_SUFFIXES:
            raise ValueError(f"--out: {child} is a folder where an output file goes")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kursk-sim``; returns the exit status (2 for an error, 130 when interrupted)."""
    args = _parser().parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            _check_out(args.out)
        if args.command == "run":
            _run(args)
        elif args.command == "sweep":
            _sweep(args)
        elif args.command == "sensitivity":
            _sensitivity(args)
        elif args.command == "fit":
            _fit(args)
        elif args.command == "abc":
            _abc(args)
        elif args.command == "show":
            print(load_scenario(args.scenario).describe())
        else:
            print("\n".join(builtin_scenarios()))
    except KeyboardInterrupt:
        print("kursk-sim: interrupted", file=sys.stderr)
        return 130
    except SimulationError as err:
        first = str(err).splitlines()[0]
        print(f"kursk-sim: error: the model failed: {first}", file=sys.stderr)
        return 2
    except (ScenarioError, FileNotFoundError, ValueError, TypeError, KeyError, ImportError) as err:
        print(f"kursk-sim: error: {str(err).splitlines()[0] if str(err) else type(err).__name__}", file=sys.stderr)
        return 2
    except OSError as err:  # writing results (the folder was checked before the run)
        where = f" {err.filename}" if err.filename else ""
        print(
            f"kursk-sim: error: could not write{where}: {err.strerror or err}; files before it were written",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
