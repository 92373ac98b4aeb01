"""Matplotlib figures of runs, sweeps, sensitivity analyses and calibrations, in one house style.

Every function that draws one panel takes ``ax=`` (a new figure if none is
given) and returns the :class:`~matplotlib.axes.Axes` it drew on, so figures
compose in notebooks and reports; the figures of several panels
(:func:`observed`, :func:`posterior_pairs`, :func:`projection_figure`) take
``axes=`` or ``fig=`` and return what they drew on. All of them share
:func:`style` (fonts, grid, date ticks) and :data:`PALETTE` (Okabe-Ito,
safe for colour-blind readers); nothing changes Matplotlib's global
``rcParams``. An unknown output, contingent, event or parameter is a
:class:`ValueError` naming the valid ones (also a :class:`KeyError`, as it
was before).

The gallery (``docs/gallery.md``, made by ``docs/make_gallery.py``) shows
each figure with the code that made it.

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
from .rules import OUTPUTS, per_contingent

__all__ = [
    "PALETTE",
    "CASUALTY_COLORS",
    "style",
    "fan",
    "event_dates",
    "casualties",
    "territory",
    "projection_figure",
    "tornado",
    "sweep_heatmap",
    "observed",
    "posterior_pairs",
]

#: Okabe-Ito colours (safe for the common colour-vision deficiencies), in the order series take them:
#: blue, vermillion, bluish green, reddish purple, orange, sky blue, yellow, black.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: Colours of the casualty categories in :func:`casualties`.
CASUALTY_COLORS: dict[str, str] = {"killed": "#000000", "wounded": "#E69F00", "missing": "#56B4E9"}
#: Colour of the defender's area held.
AREA_COLOR = "#009E73"
#: Default figure size (inches) of a one-panel figure: readable at the width of a report page.
FIGSIZE = (7.5, 4.2)
_TITLE, _LABEL, _TICK, _LEGEND = 11, 10, 9, 8.5


class _UnknownName(ValueError, KeyError):
    """A name that is not among the valid ones (a ValueError, and a KeyError as plots raised before)."""

    __str__ = Exception.__str__


def _check_names(what: str, given: Sequence[str], valid: Sequence[str]) -> None:
    unknown = [g for g in given if g not in valid]
    if unknown:
        raise _UnknownName(f"unknown {what} {unknown}; valid: {list(valid)}")


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def style(
    ax: Any,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    dates: bool = False,
    grid: str = "both",
) -> Any:
    """Apply the house style to an Axes: font sizes, a light grid, no top and right spines, concise date ticks.

    Every figure of this module goes through it; apply it to your own panels
    so they match. It sets properties of ``ax`` only, never ``rcParams``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    title, xlabel, ylabel : str, optional
        Set if given.
    dates : bool
        The x axis holds dates: concise ticks (``Dec``, ``2025``, ``Feb``).
    grid : {"both", "x", "y", "none"}

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import kursk_sim as ks
    >>> fig, ax = plt.subplots()
    >>> ks.plot.style(ax, title="my panel", ylabel="troops") is ax
    True
    >>> ax.get_title()
    'my panel'
    """
    if title is not None:
        ax.set_title(title, fontsize=_TITLE)
    if xlabel is not None:
        ax.set_xlabel("" if _inner_shared_x(ax) else xlabel, fontsize=_LABEL)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=_LABEL)
    ax.tick_params(labelsize=_TICK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid not in ("both", "x", "y", "none"):
        raise ValueError(f"grid: got {grid!r}, expected one of 'both', 'x', 'y', 'none'")
    if grid != "none":
        ax.grid(True, axis=grid, alpha=0.3, linewidth=0.6)
        ax.set_axisbelow(True)
    if dates:
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def _inner_shared_x(ax: Any) -> bool:
    """Whether ``ax`` shares its x axis with a panel below it (its x label would sit between the panels)."""
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    shared = len(ax.get_shared_x_axes().get_siblings(ax)) > 1
    return bool(spec is not None and shared and not spec.is_last_row())


#: Where each kind of result a plot takes is defined: ``(module, class)``.
_RESULTS = {
    "Ensemble": ("kursk_sim.results", "Ensemble"),
    "SweepResult": ("kursk_sim.sweep_results", "SweepResult"),
    "SensitivityResult": ("kursk_sim.sensitivity", "SensitivityResult"),
    "ABCResult": ("kursk_sim.abc", "ABCResult"),
}


def _require(value: Any, name: str, kind: str, made_by: str) -> None:
    """A ``TypeError`` naming the argument unless ``value`` is the result ``kind`` (made by ``made_by``)."""
    import importlib

    module, cls = _RESULTS[kind]
    if not isinstance(value, getattr(importlib.import_module(module), cls)):
        article = "an" if kind[0] in "AEIOU" else "a"
        raise TypeError(f"{name}: got {type(value).__name__}, expected {article} {kind} (from {made_by})")


def _require_figure(fig: Any) -> None:
    from matplotlib.figure import Figure

    if fig is not None and not isinstance(fig, Figure):
        raise TypeError(f"fig: got {fig!r}, expected a matplotlib Figure")


def _axes(ax: Any, figsize: tuple[float, float] = FIGSIZE) -> Any:
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"ax: got {ax!r}, expected a matplotlib Axes")
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _legend(
    ax: Any, handles: list[Any] | None = None, labels: list[str] | None = None, *, outside: bool = False, **kwargs: Any
) -> None:
    """A legend in the house style; ``outside``: to the right of the axes, clear of the data, long labels wrapped."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    assert labels is not None
    if outside:
        import textwrap

        labels = ["\n".join(textwrap.wrap(text, 34)) for text in labels]
        kwargs = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0, **kwargs}
    ax.legend(handles, labels, fontsize=_LEGEND, framealpha=0.9, **{"loc": "best", **kwargs})


def _dates(ensemble: Any) -> list[dt.date]:
    return list(np.asarray(ensemble.dates).astype("datetime64[D]").astype(object))


def _day(d: dt.date) -> str:
    """``23 Mar 2025``, kept on one line of a legend."""
    return f"{d.day}\u00a0{d:%b}\u00a0{d.year}"


def _label(ensemble: Ensemble, cid: str) -> str:
    c = ensemble.scenario.contingents.get(cid)
    return f"{cid}: {c.name}" if c else cid


def _contingents(ensemble: Ensemble, contingents: str | Sequence[str] | None) -> list[str]:
    if contingents is None:
        return list(ensemble.contingents)
    chosen = [contingents] if isinstance(contingents, str) else list(contingents)
    _check_names("contingents", chosen, ensemble.contingents)
    if not chosen:
        raise ValueError(f"contingents: got none, expected some of {list(ensemble.contingents)}")
    return chosen


def _check_bands(bands: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    try:
        out = [(float(lo), float(hi)) for lo, hi in bands]
    except (TypeError, ValueError):  # not pairs of numbers: (0.05, 0.95) instead of ((0.05, 0.95),), say
        out = []
    if not out or any(not 0.0 <= lo < hi <= 1.0 for lo, hi in out):
        raise ValueError(f"bands: got {bands!r}, expected (low, high) quantile pairs with 0 <= low < high <= 1")
    return sorted(out)


def _band_handles(color: str, bands: list[tuple[float, float]]) -> tuple[list[Any], list[str]]:
    from matplotlib.patches import Patch

    handles = [Patch(color=color, alpha=_band_alpha(j), linewidth=0) for j in range(len(bands))]
    labels = [f"{100 * (hi - lo):g}% band" for lo, hi in bands]
    return handles, labels


def _band_alpha(j: int) -> float:
    return 0.15 + 0.12 * j


_OBSERVED = {"at_least": "observed: at least", "at_most": "observed: at most"}


def _observed_label(kind: str, seen: set[str]) -> str | None:
    """The legend entry of an observed figure of this kind, once per kind (``None`` once given)."""
    label = _OBSERVED.get(kind, "observed (±2 sd)")
    if label in seen:
        return None
    seen.add(label)
    return label


def _observation_markers(ax: Any, observations: Any, name: str, contingent: str | None, color: str) -> int:
    """Draw the observations of ``name`` (of one contingent) stated on a date; how many were drawn."""
    drawn, kinds = 0, set(ax.get_legend_handles_labels()[1])
    for o in observations or ():
        on_fan = o.output == name and o.start is None and o.kind in ("state", "at_least", "at_most")
        if on_fan and (contingent is None or o.contingents == (contingent,)):
            marker = {"at_least": "^", "at_most": "v"}.get(o.kind, "o")
            err = 2 * o.sd if o.sd is not None else None
            when = o.date + dt.timedelta(days=1)  # counted to the end of the day
            ax.errorbar(
                [when],
                [o.value],
                yerr=err,
                fmt=marker,
                color=color,
                mec="k",
                ms=7,
                capsize=3,
                zorder=5,
                label=_observed_label(o.kind, kinds),
            )
            drawn += 1
    return drawn


def fan(
    ensemble: Ensemble,
    name: str = "strength",
    *,
    bands: Sequence[tuple[float, float]] = ((0.05, 0.95), (0.25, 0.75)),
    contingents: str | Sequence[str] | None = None,
    observations: Any = None,
    ax: Any = None,
) -> Any:
    """Fan chart: median line and quantile bands over dates, observed figures over them.

    Parameters
    ----------
    ensemble : Ensemble
    name : str
        An output name (``strength``, ``killed``, ``casualties``, ``area``, ...).
    bands : sequence of (low, high)
        Quantile bands, drawn widest first, the narrower ones darker.
    contingents : str or sequence of str, optional
        Which contingents to draw (default all), each in its own colour;
        ignored for ``area``.
    observations : Observations, optional
        Figures of this output stated on a date (``state`` and bounds
        without a range) drawn over the fan with ±2 sd error bars, in the
        colour of their contingent (^ at least, v at most). A figure stated
        on date *D* counts to the end of that day, so its marker sits on
        *D* + 1 day, the row of the state after day *D*.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        One median line per series (:meth:`~matplotlib.axes.Axes.get_lines`),
        in the order of ``contingents``.

    Raises
    ------
    ValueError
        An unknown output or contingent (the message names the valid ones),
        or bands that are not quantile pairs.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 50, seed=1)
    >>> obs = ks.load_observations("kursk-2024-article")
    >>> ax = ks.plot.fan(ens, "casualties", contingents=["kpa"], observations=obs)
    >>> ax.get_ylabel()
    'casualties (troops)'
    >>> try:
    ...     ks.plot.fan(ens, "strenght")
    ... except ValueError as err:
    ...     print(err)
    unknown output ['strenght']; valid: ['strength', 'killed', 'wounded', 'missing', 'casualties', 'area']
    """
    _require(ensemble, "ensemble", "Ensemble", "ks.simulate")
    _check_names("output", [name], list(OUTPUTS))
    chosen_bands = _check_bands(bands)
    ax = _axes(ax)
    qs = sorted({0.5, *[q for band in chosen_bands for q in band]})
    data = ensemble.quantiles(name, q=qs)
    dates = _dates(ensemble)
    series: list[tuple[str | None, str, np.ndarray]]
    if not per_contingent(name):
        series = [(None, AREA_COLOR if name == "area" else _color(0), data.values)]
    else:
        chosen = _contingents(ensemble, contingents)
        series = [
            (c, _color(ensemble.contingents.index(c)), data.values[:, :, ensemble.contingents.index(c)]) for c in chosen
        ]
    for cid, color, values in series:
        for j, (lo, hi) in enumerate(chosen_bands):
            ax.fill_between(
                dates, values[qs.index(lo)], values[qs.index(hi)], color=color, alpha=_band_alpha(j), linewidth=0
            )
        label = _label(ensemble, cid) if cid is not None else f"{OUTPUTS[name].doc}, median"
        ax.plot(dates, values[qs.index(0.5)], color=color, lw=1.8, label=label)
    for cid, color, _ in series:  # after every median line, which come first in get_lines()
        _observation_markers(ax, observations, name, cid, color)
    widest = chosen_bands[0]
    style(
        ax,
        title=f"{ensemble.scenario.name}: {name}, median and {100 * (widest[1] - widest[0]):g}% band "
        f"({ensemble.replications:,} replications)",
        xlabel="date",
        ylabel=f"{name} ({UNITS[name]})" if name != "area" else f"area held ({UNITS[name]})",
        dates=True,
    )
    handles, labels = ax.get_legend_handles_labels()
    extra_h, extra_l = _band_handles("0.45", chosen_bands)
    _legend(ax, handles + extra_h, labels + extra_l, outside=True)
    ax.set_ylim(bottom=0)
    ax.set_xlim(dates[0], dates[-1])
    return ax


def event_dates(ensemble: Ensemble, events: str | Sequence[str] | None = None, *, ax: Any = None) -> Any:
    """Cumulative probability of each event by date (over all replications, kept or not).

    Parameters
    ----------
    ensemble : Ensemble
    events : str or sequence of str, optional
        Event names (default all).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One step line per event, labelled with the event's name; its last
        value is :meth:`Ensemble.probability` of the event by the end.

    Raises
    ------
    ValueError
        An unknown event (the message names the valid ones).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 50, seed=1)
    >>> ax = ks.plot.event_dates(ens, ["ua_withdrawal", "ua_encirclement"])
    >>> [line.get_label() for line in ax.get_lines()]
    ['ua_withdrawal', 'ua_encirclement']
    """
    _require(ensemble, "ensemble", "Ensemble", "ks.simulate")
    chosen = [events] if isinstance(events, str) else list(events) if events is not None else list(ensemble.event_names)
    _check_names("events", chosen, ensemble.event_names)
    ax = _axes(ax)
    dates = _dates(ensemble)
    labels = []
    for event in chosen:
        i = ensemble.event_names.index(event)
        counts = ensemble.event_counts(event).values
        ax.step(dates, np.cumsum(counts) / ensemble.replications, where="post", color=_color(i), lw=1.8, label=event)
        labels.append(f"{event}: {100 * ensemble.probability(event):.0f}%")
    style(
        ax,
        title=f"{ensemble.scenario.name}: probability of each event by date ({ensemble.replications:,} replications)",
        xlabel="date",
        ylabel="probability by date (share of replications)",
        dates=True,
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(dates[0], dates[-1])
    _legend(ax, ax.get_lines(), labels, outside=True, title=f"by {_day(dates[-1])}", title_fontsize=_LEGEND)
    return ax


def casualties(
    ensemble: Ensemble,
    contingents: str | Sequence[str] | None = None,
    *,
    stat: str = "median",
    ax: Any = None,
) -> Any:
    """Cumulative casualties stacked by kind: killed, wounded and missing or captured, over dates.

    Each layer is the ``stat`` of one kind across replications (the medians,
    by default), summed over the chosen contingents; the line on top is their
    sum. A median is not additive: the top of a stack of medians is near,
    not equal to, the median of all casualties (``stat="mean"`` adds up
    exactly). Wounded count every wound, including those who return to duty.

    Parameters
    ----------
    ensemble : Ensemble
    contingents : str or sequence of str, optional
        Whose casualties (default every contingent's, summed; pass one
        contingent, or one side's, for a meaningful total).
    stat : {"median", "mean"}
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Three stacked layers (:attr:`~matplotlib.axes.Axes.collections`,
        killed first) and one line, their top.

    Raises
    ------
    ValueError
        An unknown contingent (the message names the valid ones) or ``stat``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 50, seed=1)
    >>> ax = ks.plot.casualties(ens, "kpa")
    >>> top = ax.get_lines()[0].get_ydata()
    >>> median = {k: ens.quantiles(k, q=0.5).sel(contingent="kpa").values[0] for k in ("killed", "wounded", "missing")}
    >>> bool((top == median["killed"] + median["wounded"] + median["missing"]).all())
    True
    """
    _require(ensemble, "ensemble", "Ensemble", "ks.simulate")
    if stat not in ("median", "mean"):
        raise ValueError(f"stat: got {stat!r}, expected 'median' or 'mean'")
    chosen = _contingents(ensemble, contingents)
    cols = [ensemble.contingents.index(c) for c in chosen]
    ax = _axes(ax)
    dates = _dates(ensemble)
    kinds = ("killed", "wounded", "missing")
    layers = []
    for kind in kinds:
        values = ensemble.quantiles(kind, q=(0.5,)).values[0] if stat == "median" else ensemble.mean(kind).values
        layers.append(np.asarray(values)[:, cols].sum(axis=1))
    names = {"killed": "killed", "wounded": "wounded (incl. returned to duty)", "missing": "missing or captured"}
    ax.stackplot(
        dates,
        *layers,
        labels=[names[k] for k in kinds],
        colors=[CASUALTY_COLORS[k] for k in kinds],
        alpha=0.85,
        linewidth=0,
    )
    top = layers[0] + layers[1] + layers[2]
    ax.plot(dates, top, color="k", lw=1.0, label=f"total of the {stat}s")
    who = " + ".join(chosen) if len(chosen) < len(ensemble.contingents) else "all contingents"
    style(
        ax,
        title=f"{ensemble.scenario.name}: cumulative casualties of {who}\n"
        f"{stat}s of each kind, stacked ({ensemble.replications:,} replications)",
        xlabel="date",
        ylabel="cumulative casualties (troops)",
        dates=True,
    )
    handles, labels = ax.get_legend_handles_labels()
    _legend(ax, handles[::-1], labels[::-1], outside=True)  # in the stack's order, top first
    ax.set_ylim(bottom=0)
    ax.set_xlim(dates[0], dates[-1])
    return ax


def territory(
    ensemble: Ensemble,
    *,
    bands: Sequence[tuple[float, float]] = ((0.05, 0.95), (0.25, 0.75)),
    events: str | Sequence[str] | None = None,
    observations: Any = None,
    ax: Any = None,
) -> Any:
    """Area held by the defender: median and bands over dates, the area at the start, and when it withdraws.

    Each event is marked by a dashed line at its median date among the
    replications where it happened and a shaded span from its 5% to its 95%
    date; its legend entry gives its probability by the end of the run.
    Events that never happened are left out.

    Parameters
    ----------
    ensemble : Ensemble
    bands : sequence of (low, high)
        Quantile bands of the area.
    events : str or sequence of str, optional
        Events to mark (default the defender's withdrawal, if the run tracks it).
    observations : Observations, optional
        Area figures drawn over the band, as in :func:`fan`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The median is the first line (:meth:`~matplotlib.axes.Axes.get_lines`),
        the area at the start the second, then one dashed line per event.

    Raises
    ------
    ValueError
        An unknown event (the message names the valid ones) or bad bands.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> ens = ks.simulate(ks.load_scenario("kursk-2024"), 50, seed=1)
    >>> ax = ks.plot.territory(ens)
    >>> ax.get_ylabel()
    'area held (km²)'
    >>> ax.get_lines()[2].get_label()  # the withdrawal's median date
    'ua_withdrawal'
    """
    _require(ensemble, "ensemble", "Ensemble", "ks.simulate")
    from .rules.withdrawal import withdrawal_event

    chosen_bands = _check_bands(bands)
    if events is None:
        default = withdrawal_event(ensemble.scenario)
        chosen = [default] if default in ensemble.event_names else []
    else:
        chosen = [events] if isinstance(events, str) else list(events)
    _check_names("events", chosen, ensemble.event_names)
    ax = _axes(ax)
    dates = _dates(ensemble)
    qs = sorted({0.5, *[q for band in chosen_bands for q in band]})
    area = ensemble.quantiles("area", q=qs).values
    for j, (lo, hi) in enumerate(chosen_bands):
        ax.fill_between(dates, area[qs.index(lo)], area[qs.index(hi)], color=AREA_COLOR, alpha=_band_alpha(j), lw=0)
    ax.plot(dates, area[qs.index(0.5)], color=AREA_COLOR, lw=1.8, label="area held, median")
    start = float(area[qs.index(0.5), 0])
    ax.axhline(start, color="0.35", lw=0.9, ls=":", label=f"held at the start ({start:,.0f} km²)")
    handles, labels = ax.get_legend_handles_labels()
    band_h, band_l = _band_handles(AREA_COLOR, chosen_bands)
    handles, labels = handles[:1] + band_h + handles[1:], labels[:1] + band_l + labels[1:]
    before_events = len(handles)
    for event in chosen:
        p = ensemble.probability(event)
        if p == 0.0:
            continue
        lo, mid, hi = (d.astype(object) for d in ensemble.event_quantiles(event, (0.05, 0.5, 0.95)))
        color = _color(ensemble.event_names.index(event))
        ax.axvspan(lo, hi + dt.timedelta(days=1), color=color, alpha=0.08, lw=0)
        line = ax.axvline(mid, color=color, lw=1.4, ls="--", label=event)
        handles.append(line)
        labels.append(f"{event} (P = {100 * p:.0f}%): median {_day(mid)}, 90% within {_day(lo)} – {_day(hi)}")
    _observation_markers(ax, observations, "area", None, AREA_COLOR)  # after the event lines, listed before them
    observed = [(h, t) for h, t in zip(*ax.get_legend_handles_labels(), strict=True) if t.startswith("observed")]
    handles[before_events:before_events] = [h for h, _ in observed]
    labels[before_events:before_events] = [t for _, t in observed]
    widest = chosen_bands[0]
    style(
        ax,
        title=f"{ensemble.scenario.name}: area held, median and {100 * (widest[1] - widest[0]):g}% band "
        f"({ensemble.replications:,} replications)",
        xlabel="date",
        ylabel="area held (km²)",
        dates=True,
    )
    _legend(ax, handles, labels, outside=True)
    ax.set_ylim(0, 1.08 * max(float(np.nanmax(area)), start, 1.0))
    ax.set_xlim(dates[0], dates[-1])
    return ax


def projection_figure(ensemble: Ensemble, *, fig: Any = None) -> Any:
    """The standard report figure: strength, area held and event odds, one panel each, dates shared.

    Parameters
    ----------
    ensemble : Ensemble
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on (default a new one, 9 x 11 inches).

    Returns
    -------
    matplotlib.figure.Figure
        Its ``axes`` are the :func:`fan` of strength, the :func:`territory`
        and the :func:`event_dates`, top to bottom.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> fig = ks.plot.projection_figure(ks.simulate(ks.load_scenario("kursk-2024"), 50, seed=1))
    >>> [ax.get_ylabel() for ax in fig.axes][:2]
    ['strength (troops)', 'area held (km²)']
    """
    import matplotlib.pyplot as plt

    _require(ensemble, "ensemble", "Ensemble", "ks.simulate")
    _require_figure(fig)
    if fig is None:
        fig = plt.figure(figsize=(9, 11), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    fan(ensemble, "strength", ax=axes[0])
    territory(ensemble, ax=axes[1])
    event_dates(ensemble, ax=axes[2])
    return fig


def _units(scenario: Any) -> dict[str, str]:
    try:
        return {path: unit for path, _, unit, _ in scenario.parameters() if unit}
    except Exception:  # noqa: BLE001 - labels only
        return {}


def _with_unit(path: str, units: dict[str, str]) -> str:
    unit = units.get(path)
    if not unit or unit in ("1", "date", "probability"):
        return path
    return f"{path}, {unit}" if "(" in unit else f"{path} ({unit})"


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
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The parameters are the y tick labels, the most influential at the
        top; the first bar container holds the total-order indices (Sobol)
        or mu* (Morris).

    Raises
    ------
    ValueError
        ``top`` below 1.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> paths = ["defender.lethality", "ua.strength", "territory.advance_km2_per_day"]
    >>> sens = ks.sensitivity(sc, "area@2025-03-01", n=8, paths=paths, replications=2, seed=1, n_resamples=99)
    >>> ax = ks.plot.tornado(sens, top=3)
    >>> [t.get_text() for t in ax.get_yticklabels()][::-1] == sens.ranking()[:3]
    True
    """
    _require(result, "result", "SensitivityResult", "ks.sensitivity")
    if top < 1:
        raise ValueError(f"top: got {top}, expected at least 1")
    k = result._output_index(output)
    names = result.ranking(k)[:top][::-1]  # most influential at the top
    idx = [result.paths.index(p) for p in names]
    y = np.arange(len(names))
    ax = _axes(ax, figsize=(7.5, 0.32 * len(names) + 1.6))
    ix = result.indices
    level = f"{100 * result.confidence_level:g}%"
    if result.method == "sobol":
        total, first = ix["total"][k, idx], ix["first"][k, idx]
        err = np.abs(ix["total_ci"][:, k, idx] - total)
        ax.barh(y, total, color=PALETTE[0], alpha=0.45, label="total order")
        ax.errorbar(
            total, y, xerr=err, fmt="none", ecolor=PALETTE[0], capsize=3, label=f"total order, {level} interval"
        )
        ax.barh(y, first, height=0.4, color=PALETTE[1], label="first order")
        xlabel = "Sobol index (share of the output's variance)"
        ax.axvline(0.0, color="k", lw=0.8)
    else:
        mu_star, conf = ix["mu_star"][k, idx], ix["mu_star_conf"][k, idx]
        ax.barh(y, mu_star, color=PALETTE[0], alpha=0.6, xerr=conf, capsize=3, label=f"mu* ({level} interval)")
        ax.plot(ix["sigma"][k, idx], y, "o", color=PALETTE[1], label="sigma")
        xlabel = f"Morris mu* ({result.outputs[k].unit} per unit of the parameter's quantile)"
    ax.set_yticks(y, names)
    o = result.outputs[k]
    style(
        ax,
        title=f"{result.method.capitalize()} sensitivity of {o.text} ({o.unit}; {result.points:,} points)",
        xlabel=xlabel,
        grid="x",
    )
    ax.tick_params(axis="y", labelsize=8)
    _legend(ax, loc="lower right")
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
    ax : matplotlib.axes.Axes, optional
    cmap : str
        A perceptually uniform colormap reads best (the default, viridis,
        is safe for colour-blind readers).
    annotate : bool
        Write each cell's value.

    Returns
    -------
    matplotlib.axes.Axes
        The image (:meth:`~matplotlib.axes.Axes.get_images`) has a row per
        value of ``y`` and a column per value of ``x``, both ascending.

    Raises
    ------
    ValueError
        ``x`` or ``y`` not a path of the design (the message names them),
        or the design not a grid over them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> design = ks.grid({"ru.replenishment.per_day": [600, 1200], "kpa.second_wave.probability": [0.0, 1.0]})
    >>> res = ks.sweep(sc, design, replications=20, seed=1)
    >>> ax = ks.plot.sweep_heatmap(res, "ua_withdrawal@2025-03-31", x="ru.replenishment.per_day",
    ...                            y="kpa.second_wave.probability")
    >>> ax.get_images()[0].get_array().shape
    (2, 2)
    """
    from .sensitivity import parse_output

    _require(result, "result", "SweepResult", "ks.sweep")
    _check_names("design paths", [x, y], list(result.points.paths))
    o = parse_output(output, result.scenario, result.event_names)
    values = o.of(result)
    xs, ys = np.asarray(result.points[x]), np.asarray(result.points[y])
    ux, uy = np.unique(xs), np.unique(ys)
    grid = np.full((uy.size, ux.size), np.nan)
    count = np.zeros(grid.shape, dtype=int)
    ix, iy = np.searchsorted(ux, xs), np.searchsorted(uy, ys)
    np.add.at(count, (iy, ix), 1)
    if (count != 1).any():
        raise ValueError(f"sweep_heatmap: the design is not a grid over {x} and {y} (each pair must occur once)")
    grid[iy, ix] = values
    ax = _axes(ax, figsize=(max(5.5, 0.9 * ux.size + 3.5), max(3.5, 0.55 * uy.size + 2.2)))
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap)
    ax.set_xticks(np.arange(ux.size), [_tick(v) for v in ux])
    ax.set_yticks(np.arange(uy.size), [_tick(v) for v in uy])
    units = _units(result.scenario)
    label = f"P({o.name} by {o.date})" if o.event else f"mean {o.text} ({o.unit})"
    bar = ax.figure.colorbar(image, ax=ax)
    bar.set_label(label, fontsize=_LABEL)
    bar.ax.tick_params(labelsize=_TICK)
    if annotate:
        import matplotlib

        colormap, norm = matplotlib.colormaps[cmap], image.norm
        for (r, c), v in np.ndenumerate(grid):
            red, green, blue, _ = colormap(norm(v))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            text = f"{v:.2f}" if o.event else f"{v:,.0f}"
            ax.text(c, r, text, ha="center", va="center", fontsize=8, color="w" if dark else "k")
    style(
        ax,
        title=f"{result.scenario.name}: {label} ({result.replications:,} replications a point)",
        xlabel=_with_unit(x, units),
        ylabel=_with_unit(y, units),
        grid="none",
    )
    return ax


def _tick(v: Any) -> str:
    return str(v) if isinstance(v, np.datetime64) else f"{float(v):g}"


def observed(
    scenario: Any, observations: Any, *, run: Any = None, values: Any = None, ax: Any = None, axes: Any = None
) -> Any:
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
    ax : matplotlib.axes.Axes, optional
        Draws every series on it.
    axes : sequence of matplotlib.axes.Axes, optional
        One per observed series (default: a new figure with one panel per series).

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        One per observed series (the same Axes repeated with ``ax=``): the
        model's line first, then one error bar per figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> axes = ks.plot.observed(ks.load_scenario("kursk-2024"), ks.load_observations("kursk-2024-article"))
    >>> [ax.get_ylabel() for ax in axes]
    ['casualties kpa (troops)', 'area (km²)']
    """
    from .deterministic import deterministic

    if run is None:
        run = deterministic(scenario, values={k: [v] for k, v in (values or {}).items()} or None)
    groups: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
    for o in observations:
        if not o.event:
            groups.setdefault((o.output, o.contingents), []).append(o)
    if axes is not None:
        axes = np.asarray(axes, dtype=object).ravel()
        if len(axes) != len(groups):
            raise ValueError(f"axes: got {len(axes)}, expected one per observed series ({len(groups)})")
    elif ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            len(groups), 1, figsize=(7.5, 2.8 * len(groups) + 0.4), layout="constrained", squeeze=False
        )
        axes = axes[:, 0]
    else:
        axes = np.array([ax] * len(groups))
    dates = run.dates.astype("datetime64[D]").astype(object)
    for a, ((output, contingents), figures) in zip(axes, groups.items(), strict=True):
        series = run.trajectory(output).values[0]
        if per_contingent(output):
            series = series[:, [run.contingents.index(c) for c in contingents]].sum(axis=1)
        label = output + (f" {'+'.join(contingents)}" if contingents else "")
        a.plot(dates, series, color=PALETTE[0], lw=1.6, label=f"model: {label}")
        labelled: set[str] = set()
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
            a.errorbar(
                [when],
                [shown],
                yerr=err,
                fmt=marker,
                color=PALETTE[1],
                mec="k",
                capsize=3,
                label=_observed_label(o.kind, labelled),
            )
        style(a, ylabel=f"{label} ({UNITS[output]})", dates=True)
        _legend(a)
    axes[-1].set_xlabel("date", fontsize=_LABEL)
    axes[0].set_title(f"{run.scenario.name}: deterministic run and observations", fontsize=_TITLE)
    return axes


def posterior_pairs(
    result: Any, paths: Sequence[str] | None = None, *, bins: int | None = None, fig: Any = None, axes: Any = None
) -> Any:
    """Pair plot of an ABC posterior: weighted histograms on the diagonal, weighted 2-D histograms below it.

    Parameters
    ----------
    result : ABCResult
    paths : sequence of str, optional
        The parameters (default all; at most 8 are readable).
    bins : int, optional
        Bins per parameter (default from the effective sample size, by
        Rice's rule ``2 * ess ** (1/3)``, between 8 and 40).
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on (default a new one, sized to the parameters).
    axes : ndarray of matplotlib.axes.Axes, optional
        ``(k, k)`` axes to draw on instead, ``k`` the number of parameters.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        ``(k, k)``; the axes above the diagonal are hidden. Each diagonal
        histogram's bar heights sum to 1 (the weights do).

    Raises
    ------
    ValueError
        An unknown parameter (the message names the posterior's), or
        ``axes`` of the wrong shape.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> obs = ks.load_observations("kursk-2024-article")
    >>> post = ks.abc(sc, obs, ["defender.lethality", "kpa.exposure"], particles=100, populations=2, seed=1)
    >>> ks.plot.posterior_pairs(post).shape
    (2, 2)
    """
    import matplotlib.pyplot as plt

    _require(result, "result", "ABCResult", "ks.abc")
    _require_figure(fig)
    chosen = list(paths) if paths is not None else list(result.paths)
    _check_names("paths", chosen, result.paths)
    k = len(chosen)
    if axes is not None:
        axes = np.asarray(axes, dtype=object).reshape(-1)
        if axes.size != k * k:
            raise ValueError(f"axes: got {axes.size}, expected {k} x {k} for {k} parameters")
        axes = axes.reshape(k, k)
        fig = axes[0, 0].figure
    else:
        if fig is None:
            fig = plt.figure(figsize=(2.3 * k + 1.2, 2.3 * k + 1.0), layout="constrained")
        axes = fig.subplots(k, k, squeeze=False)
    from matplotlib.ticker import MaxNLocator

    units = _units(result.prior)
    w = result.weights
    limits = {p: (float(np.min(result.samples[p])), float(np.max(result.samples[p]))) for p in chosen}
    limits = {p: (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5) for p, (lo, hi) in limits.items()}
    if bins is None:
        ess = 1.0 / float(np.sum(np.square(w / w.sum())))
        bins = int(np.clip(round(2 * ess ** (1 / 3)), 8, 40))
    elif bins < 1:
        raise ValueError(f"bins: got {bins}, expected at least 1")
    for i, pi in enumerate(chosen):
        for j, pj in enumerate(chosen):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            x, y = result.samples[pj], result.samples[pi]
            if i == j:
                ax.hist(x, bins=bins, weights=w, color=PALETTE[0], alpha=0.85)
                ax.set_yticks([])
            else:
                ax.hist2d(x, y, bins=bins, weights=w, cmap="Blues")
            style(ax, grid="none")
            ax.tick_params(labelsize=7)
            ax.set_xlim(limits[pj])
            ax.xaxis.set_major_locator(MaxNLocator(4))
            if i != j:
                ax.set_ylim(limits[pi])
                ax.yaxis.set_major_locator(MaxNLocator(4))
            if i == k - 1:
                ax.set_xlabel(_with_unit(pj, units), fontsize=8)
            else:  # the column shares its range: numbers once, at the bottom
                ax.tick_params(labelbottom=False)
            if j == 0 and i > 0:
                ax.set_ylabel(_with_unit(pi, units), fontsize=8)
            elif i != j:
                ax.tick_params(labelleft=False)
    last = result.populations[-1]
    fig.suptitle(
        f"ABC-SMC posterior ({int(last['accepted']):,} particles, ESS {last['ess']:,.0f}, "
        f"tolerance {last['epsilon']:.3g})",
        fontsize=_TITLE,
    )
    return axes
