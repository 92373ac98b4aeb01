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

from collections.abc import Sequence
from typing import Any

import numpy as np

from .results import UNITS, Ensemble

__all__ = ["fan", "event_dates", "projection_figure"]


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
    ax: Any = None,
) -> Any:
    """Fan chart: median line and quantile bands over dates.

    Parameters
    ----------
    ensemble : Ensemble
    name : str
        An output name (``strength``, ``casualties``, ``area``, ...).
    bands : sequence of (low, high)
        Quantile bands, drawn widest first with falling transparency.
    contingents : sequence of str, optional
        Which contingents to draw (default all); ignored for ``area``.
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
    if name == "area":
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
