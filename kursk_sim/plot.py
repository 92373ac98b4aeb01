"""Matplotlib figures of an ensemble: fan charts and event-date distributions.

Every function draws on an :class:`~matplotlib.axes.Axes` (a new one if
none is given) and returns it, so figures compose in notebooks and reports.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import kursk_sim as ks
>>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 100, seed=1)
>>> ax = ks.plot.fan(ens, "strength")
>>> len(ax.get_lines())  # one median line per contingent
3
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from .results import UNITS, Ensemble
from .rules import per_contingent

__all__ = ["fan", "event_dates", "projection_figure", "tornado", "sweep_heatmap", "observed", "posterior_pairs"]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    return ax


def fan(
    ensemble: Ensemble,
    name: str = "strength",
    *,
    bands: Sequence[tuple[float, float]] = ((0.05, 0.95), (0.25, 0.75)),
    contingents: Sequence[str] | None = None,
    observations: Any = None,
    ax: Any = None,
) -> Any:
    """Fan chart: median line and quantile bands over dates, observed figures over them.

    Parameters
    ----------
    ensemble : Ensemble
    name : str
        An output name (``strength``, ``casualties``, ``area``, ...).
    bands : sequence of (low, high)
        Quantile bands, drawn widest first with falling transparency.
    contingents : sequence of str, optional
        Which contingents to draw (default all); ignored for ``area``.
    observations : Observations, optional
        Figures of this output stated on a date (``state`` and bounds
        without a range) drawn over the fan with ±2 sd error bars, in the
        colour of their contingent (^ at least, v at most).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    qs = sorted({0.5, *[q for band in bands for q in band]})
    data = ensemble.quantiles(name, q=qs)
    dates = ensemble.dates.astype("datetime64[D]").astype(object)
    series: list[tuple[str, np.ndarray]]
    if not per_contingent(name):
        series = [("area held", data.values)]
    else:
        chosen = list(contingents) if contingents is not None else list(ensemble.contingents)
        unknown = [c for c in chosen if c not in ensemble.contingents]
        if unknown:
            raise KeyError(f"contingents {unknown} not in {ensemble.contingents}")
        series = [(c, data.values[:, :, ensemble.contingents.index(c)]) for c in chosen]
    for i, (label, values) in enumerate(series):
        color = f"C{i}"
        for j, (lo, hi) in enumerate(sorted(bands, key=lambda b: b[0])):
            ax.fill_between(
                dates,
                values[qs.index(lo)],
                values[qs.index(hi)],
                color=color,
                alpha=0.15 + 0.12 * j,
                linewidth=0,
                label=None,
            )
        ax.plot(dates, values[qs.index(0.5)], color=color, lw=1.8, label=_label(ensemble, label))
        for o in observations or ():
            on_fan = o.output == name and o.start is None and o.kind in ("state", "at_least", "at_most")
            if on_fan and (not per_contingent(name) or o.contingents == (label,)):
                marker = {"at_least": "^", "at_most": "v"}.get(o.kind, "o")
                err = 2 * o.sd if o.sd is not None else None
                when = o.date + dt.timedelta(days=1)  # counted to the end of the day
                ax.errorbar([when], [o.value], yerr=err, fmt=marker, color=color, mec="k", capsize=3, zorder=5)
    widest = min(b[0] for b in bands), max(b[1] for b in bands)
    ax.set_ylabel(f"{name} ({UNITS[name]})")
    ax.set_title(
        f"{ensemble.scenario.name}: {name}, median and {100 * (widest[1] - widest[0]):g}% band "
        f"({ensemble.replications:,} replications)",
        fontsize=10,
    )
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.figure.autofmt_xdate()
    return ax


def _label(ensemble: Ensemble, cid: str) -> str:
    c = ensemble.scenario.contingents.get(cid)
    return f"{cid}: {c.name}" if c else cid


def event_dates(ensemble: Ensemble, events: Sequence[str] | None = None, *, ax: Any = None) -> Any:
    """Cumulative probability of each event by date (over all replications, kept or not).

    Parameters
    ----------
    ensemble : Ensemble
    events : sequence of str, optional
        Event names (default all).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    chosen = list(events) if events is not None else list(ensemble.event_names)
    dates = ensemble.dates.astype(object)
    for i, event in enumerate(chosen):
        counts = ensemble.event_counts(event).values
        ax.step(dates, np.cumsum(counts) / ensemble.replications, where="post", color=f"C{i}", label=event)
    ax.set_ylabel("probability by date")
    ax.set_ylim(0, 1)
    ax.set_title(f"{ensemble.scenario.name}: events ({ensemble.replications:,} replications)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    ax.figure.autofmt_xdate()
    return ax


def projection_figure(ensemble: Ensemble) -> Any:
    """The standard report figure: strength, area held and event odds.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(9, 11), layout="constrained", sharex=True)
    fan(ensemble, "strength", ax=axes[0])
    fan(ensemble, "area", ax=axes[1])
    event_dates(ensemble, ax=axes[2])
    return fig


def tornado(result: Any, output: str | int | None = None, *, top: int = 15, ax: Any = None) -> Any:
    """Tornado chart of a sensitivity analysis: the most influential parameters of one output.

    Sobol: total-order (bar, with its confidence interval) and first-order
    (inner bar) indices. Morris: mu* with its interval and sigma.

    Parameters
    ----------
    result : SensitivityResult
    output : str or int, optional
        Which output (default the first).
    top : int
        How many parameters, most influential first.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    k = result._output_index(output)
    names = result.ranking(k)[:top][::-1]  # most influential at the top
    idx = [result.paths.index(p) for p in names]
    y = np.arange(len(names))
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 0.35 * len(names) + 1.5), layout="constrained")
    ix = result.indices
    level = f"{100 * result.confidence_level:g}%"
    if result.method == "sobol":
        total, first = ix["total"][k, idx], ix["first"][k, idx]
        err = np.abs(ix["total_ci"][:, k, idx] - total)
        ax.barh(y, total, color="C0", alpha=0.45, label="total order")
        ax.errorbar(total, y, xerr=err, fmt="none", ecolor="C0", capsize=3, label=f"total order {level} interval")
        ax.barh(y, first, height=0.4, color="C1", label="first order")
        ax.set_xlabel("Sobol index (share of the output's variance)")
        ax.axvline(0.0, color="k", lw=0.8)
    else:
        mu_star, conf = ix["mu_star"][k, idx], ix["mu_star_conf"][k, idx]
        ax.barh(y, mu_star, color="C0", alpha=0.6, xerr=conf, capsize=3, label=f"mu* ({level} interval)")
        ax.plot(ix["sigma"][k, idx], y, "o", color="C3", label="sigma")
        ax.set_xlabel(f"Morris mu* ({result.outputs[k].unit} per unit of the parameter's quantile)")
    ax.set_yticks(y, names, fontsize=8)
    o = result.outputs[k]
    ax.set_title(f"{result.method} sensitivity of {o.text} ({result.points:,} points)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def sweep_heatmap(
    result: Any, output: str, x: str, y: str, *, ax: Any = None, cmap: str = "viridis", annotate: bool = True
) -> Any:
    """Heatmap of one output over two parameters of a sweep's design (a grid over ``x`` and ``y``).

    Parameters
    ----------
    result : SweepResult
    output : str
        ``<event>@<date>`` (probability), ``<output>.<contingent>@<date>``
        or ``area@<date>`` (mean), as in :func:`~kursk_sim.sensitivity.sensitivity`.
    x, y : str
        Design paths; every ``(x, y)`` pair must occur exactly once.
    ax : matplotlib Axes, optional
    cmap : str
    annotate : bool
        Write each cell's value.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .sensitivity import parse_output

    o = parse_output(output, result.scenario, result.event_names)
    values = o.of(result)
    for path in (x, y):
        if path not in result.points.paths:
            raise KeyError(f"{path!r} is not a path of the design {result.points.paths}")
    xs, ys = np.asarray(result.points[x]), np.asarray(result.points[y])
    ux, uy = np.unique(xs), np.unique(ys)
    grid = np.full((uy.size, ux.size), np.nan)
    count = np.zeros(grid.shape, dtype=int)
    ix, iy = np.searchsorted(ux, xs), np.searchsorted(uy, ys)
    np.add.at(count, (iy, ix), 1)
    if (count != 1).any():
        raise ValueError(f"sweep_heatmap: the design is not a grid over {x} and {y} (each pair must occur once)")
    grid[iy, ix] = values
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(1.0 * ux.size + 3, 0.6 * uy.size + 2), layout="constrained")
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap)
    ax.set_xticks(np.arange(ux.size), [_tick(v) for v in ux], fontsize=8)
    ax.set_yticks(np.arange(uy.size), [_tick(v) for v in uy], fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    label = f"P({o.name} by {o.date})" if o.event else f"mean {o.text} ({o.unit})"
    ax.figure.colorbar(image, ax=ax, label=label)
    if annotate:
        for (r, c), v in np.ndenumerate(grid):
            text = f"{v:.2f}" if o.event else f"{v:,.0f}"
            ax.text(c, r, text, ha="center", va="center", fontsize=7, color="w" if v < np.nanmean(grid) else "k")
    ax.set_title(f"{result.scenario.name}: {label}, {result.replications:,} replications a point", fontsize=10)
    return ax


def _tick(v: Any) -> str:
    return str(v) if isinstance(v, np.datetime64) else f"{float(v):g}"


def observed(scenario: Any, observations: Any, *, run: Any = None, values: Any = None, ax: Any = None) -> Any:
    """Observed figures against the deterministic model: one panel per observed series, error bars of ±2 sd.

    Parameters
    ----------
    scenario : Scenario
        The scenario (a fitted one, say ``ks.fit(...).scenario``).
    observations : Observations
    run : DeterministicRun, optional
        The run to draw (default: ``ks.deterministic(scenario, values)``).
    values : mapping, optional
        One row's values for the default run.
    ax : matplotlib Axes, optional
        Draws every series on it (default: a figure with one panel per series).

    Returns
    -------
    ndarray of matplotlib.axes.Axes
    """
    from .deterministic import deterministic

    if run is None:
        run = deterministic(scenario, values={k: [v] for k, v in (values or {}).items()} or None)
    groups: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
    for o in observations:
        if not o.event:
            groups.setdefault((o.output, o.contingents), []).append(o)
    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(len(groups), 1, figsize=(8, 2.8 * len(groups)), layout="constrained", squeeze=False)
        axes = axes[:, 0]
    else:
        axes = np.array([ax] * len(groups))
    dates = run.dates.astype(object)
    for a, ((output, contingents), figures) in zip(axes, groups.items(), strict=True):
        series = run.trajectory(output).values[0]
        if per_contingent(output):
            series = series[:, [run.contingents.index(c) for c in contingents]].sum(axis=1)
        label = output + (f" {'+'.join(contingents)}" if contingents else "")
        a.plot(dates, series, color="C0", lw=1.6, label=f"model: {label}")
        for o in figures:
            when = o.date + dt.timedelta(days=1)  # counted to the end of the day: the next date's row
            first, last = o.rows(run.scenario.start_date)
            if first is None:  # a state, or a bound on one
                shown, scale = o.value, 1.0
            else:  # an increase over a range, drawn from the model's value at its start
                scale = float(last - first) if o.kind == "rate" else 1.0
                shown = series[first] + o.value * scale
            err = 2 * o.sd * scale if o.sd is not None else None
            marker = {"at_least": "^", "at_most": "v"}.get(o.kind, "o")
            a.errorbar([when], [shown], yerr=err, fmt=marker, color="C3", capsize=3)
        a.set_ylabel(f"{label} ({UNITS[output]})", fontsize=8)
        a.grid(alpha=0.3)
        a.legend(loc="best", fontsize=8)
    axes[0].set_title(
        f"{run.scenario.name}: deterministic run and observations (red: ±2 sd; ^ at least, v at most)", fontsize=10
    )
    axes[0].figure.autofmt_xdate()
    return axes


def posterior_pairs(result: Any, paths: Sequence[str] | None = None, *, bins: int = 30, fig: Any = None) -> Any:
    """Pair plot of an ABC posterior: weighted histograms on the diagonal, weighted 2-D histograms below it.

    Parameters
    ----------
    result : ABCResult
    paths : sequence of str, optional
        The parameters (default all, at most 8 are readable).
    bins : int
    fig : matplotlib Figure, optional

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        ``(k, k)``; the axes above the diagonal are hidden.
    """
    import matplotlib.pyplot as plt

    chosen = list(paths) if paths is not None else list(result.paths)
    unknown = [p for p in chosen if p not in result.paths]
    if unknown:
        raise KeyError(f"paths {unknown} not in the posterior's {result.paths}")
    k = len(chosen)
    if fig is None:
        fig = plt.figure(figsize=(2.1 * k + 1, 2.1 * k + 1), layout="constrained")
    axes = fig.subplots(k, k, squeeze=False)
    w = result.weights
    for i, pi in enumerate(chosen):
        for j, pj in enumerate(chosen):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            x, y = result.samples[pj], result.samples[pi]
            if i == j:
                ax.hist(x, bins=bins, weights=w, color="C0", alpha=0.8)
                ax.set_yticks([])
            else:
                ax.hist2d(x, y, bins=bins, weights=w, cmap="Blues")
            if i == k - 1:
                ax.set_xlabel(pj.split(".", 1)[-1] if len(pj) > 24 else pj, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.split(".", 1)[-1] if len(pi) > 24 else pi, fontsize=7)
            ax.tick_params(labelsize=6)
    last = result.populations[-1]
    fig.suptitle(
        f"ABC-SMC posterior ({int(last['accepted']):,} particles, ESS {last['ess']:,.0f}, tolerance {last['epsilon']:.3g})",
        fontsize=10,
    )
    return axes
