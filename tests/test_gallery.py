"""The gallery (docs/make_gallery.py): every figure made, the page current, and each plot drawing what it says."""

from __future__ import annotations

import datetime as dt
import runpy
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

import kursk_sim as ks

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parents[1] / "docs"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def maker() -> dict[str, Any]:
    return runpy.run_path(str(DOCS / "make_gallery.py"))


@pytest.fixture(scope="module")
def made(maker: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("gallery")
    return folder, maker["make"](folder)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG, f"{path.name} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _edges(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edge of a filled area, by x ascending."""
    v = np.concatenate([p.vertices for p in layer.get_paths()])
    xs = np.unique(v[:, 0])
    lower = np.array([v[v[:, 0] == x, 1].min() for x in xs])
    upper = np.array([v[v[:, 0] == x, 1].max() for x in xs])
    return lower, upper


def test_every_figure_is_a_nonempty_png(maker: dict[str, Any], made: tuple[Path, dict[str, Any]]) -> None:
    folder, namespaces = made
    names = [f.name for f in maker["FIGURES"]]
    assert sorted(namespaces) == sorted(names)
    assert sorted(p.stem for p in (folder / "gallery").glob("*.png")) == sorted(names)
    for name in names:
        path = folder / "gallery" / f"{name}.png"
        width, height = _png_size(path)
        assert 500 <= width <= 1600 and 300 <= height <= 1600, (name, width, height)
        assert 5_000 < path.stat().st_size < 400_000, name  # drawn, and small enough to commit


def test_the_page_is_current(maker: dict[str, Any], made: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = made
    page = (folder / "gallery.md").read_text(encoding="utf-8")
    assert (DOCS / "gallery.md").read_text(encoding="utf-8") == page, "run: python docs/make_gallery.py"
    for f in maker["FIGURES"]:
        assert f"](gallery/{f.name}.png)" in page  # relative links, for the site
        assert f.code.rstrip("\n") in page  # the exact code that made it
        assert (DOCS / "gallery" / f"{f.name}.png").is_file(), f"docs/gallery/{f.name}.png is not committed"
        _png_size(DOCS / "gallery" / f"{f.name}.png")


def test_every_plot_function_is_in_the_gallery(maker: dict[str, Any]) -> None:
    code = "\n".join(f.code for f in maker["FIGURES"])
    functions = [n for n in ks.plot.__all__ if callable(getattr(ks.plot, n)) and n not in ("style", "observed")]
    assert [n for n in functions if f"ks.plot.{n}(" not in code] == []


def test_fan_draws_medians_and_the_observations_at_their_dates(made: tuple[Path, dict[str, Any]]) -> None:
    ns = made[1]["fan"]
    ens, obs, ax = ns["ens"], ns["obs"], ns["ax"]
    median = ens.quantiles("casualties", q=0.5)
    for line, cid in zip(ax.get_lines(), ("kpa", "ua"), strict=False):
        np.testing.assert_allclose(line.get_ydata(), median.sel(contingent=cid).values[0])
    shown = [o for o in obs if o.output == "casualties" and o.start is None]
    assert len(shown) == 1
    (bar,) = [c for c in ax.containers if hasattr(c, "lines")]
    # a figure stated on 23 December counts to the end of that day: the row of 24 December
    assert bar.lines[0].get_xdata()[0] == shown[0].date + dt.timedelta(days=1) == dt.date(2024, 12, 24)
    assert bar.lines[0].get_ydata()[0] == shown[0].value == 3000
    assert bar.lines[0].get_marker() == "^"  # an "at least" figure
    assert ax.get_ylabel() == "casualties (troops)" and ax.get_xlabel() == "date"
    assert ax.get_ylim()[0] == 0.0


def test_every_panel_function_returns_the_axes_it_was_given(made: tuple[Path, dict[str, Any]]) -> None:
    import matplotlib.pyplot as plt

    ens = made[1]["fan"]["ens"]
    for draw in (
        lambda ax: ks.plot.fan(ens, "area", ax=ax),
        lambda ax: ks.plot.event_dates(ens, ax=ax),
        lambda ax: ks.plot.casualties(ens, ax=ax),
        lambda ax: ks.plot.territory(ens, ax=ax),
        lambda ax: ks.plot.style(ax),
    ):
        fig, ax = plt.subplots()
        assert draw(ax) is ax
        plt.close(fig)
    ns = made[1]["sweep_heatmap"]
    fig, ax = plt.subplots()
    assert (
        ks.plot.sweep_heatmap(ns["res"], "area@2025-03-01", "ru.replenishment.per_day", "defender.lethality", ax=ax)
        is ax
    )
    fig, ax = plt.subplots()
    assert ks.plot.tornado(made[1]["tornado"]["sens"], ax=ax) is ax
    post = made[1]["posterior_pairs"]["post"]
    fig, given = plt.subplots(2, 2)
    axes = ks.plot.posterior_pairs(post, ["kpa.exposure", "defender.lethality"], axes=given)
    assert all(a is b for a, b in zip(axes.ravel(), given.ravel(), strict=True))
    with pytest.raises(ValueError, match="expected 1 x 1"):
        ks.plot.posterior_pairs(post, ["kpa.exposure"], axes=given)


def test_event_curves_end_at_each_events_probability(made: tuple[Path, dict[str, Any]]) -> None:
    ns = made[1]["event_dates"]
    ens, ax = ns["ens"], ns["ax"]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(ens.event_names)
    for line in lines:
        y = line.get_ydata()
        assert y[-1] == pytest.approx(ens.probability(line.get_label()))
        assert (np.diff(y) >= 0).all()  # cumulative
    assert ax.get_ylim() == (0.0, 1.0)


def test_casualties_stack_the_medians_of_each_kind(made: tuple[Path, dict[str, Any]]) -> None:
    ns = made[1]["casualties"]
    ens, axes = ns["ens"], ns["axes"]
    for ax, chosen in zip(axes, (["ru", "kpa"], ["ua"]), strict=True):
        cols = [ens.contingents.index(c) for c in chosen]
        medians = {k: ens.quantiles(k, q=0.5).values[0][:, cols].sum(axis=1) for k in ("killed", "wounded", "missing")}
        (top,) = ax.get_lines()
        np.testing.assert_allclose(top.get_ydata(), medians["killed"] + medians["wounded"] + medians["missing"])
        # three layers, killed at the bottom, each on the one below
        layers = ax.collections
        assert len(layers) == 3
        below = np.zeros(len(ens.dates))
        for layer, kind in zip(layers, ("killed", "wounded", "missing"), strict=True):
            lower, upper = _edges(layer)
            np.testing.assert_allclose(lower, below)
            below = below + medians[kind]
            np.testing.assert_allclose(upper, below)
    # the means add up: their stack's top is the mean of all casualties
    ax = ks.plot.casualties(ens, "ua", stat="mean")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), ens.mean("casualties").sel(contingent="ua").values)
    with pytest.raises(ValueError, match=r"unknown contingents \['xx'\]; valid: \['ru', 'kpa', 'ua'\]"):
        ks.plot.casualties(ens, ["ua", "xx"])
    with pytest.raises(ValueError, match="stat"):
        ks.plot.casualties(ens, stat="mode")


def test_territory_band_stays_on_the_ground_held_and_marks_the_withdrawal(made: tuple[Path, dict[str, Any]]) -> None:
    ns = made[1]["territory"]
    ens, ax = ns["ens"], ns["ax"]
    initial = ens.scenario.get("territory.initial_area_km2")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    q = ens.quantiles("area", q=(0.05, 0.25, 0.75, 0.95)).values
    for band, (lo, hi) in zip(bands, ((0, 3), (1, 2)), strict=True):  # widest first
        lower, upper = _edges(band)
        np.testing.assert_allclose(lower, q[lo])
        np.testing.assert_allclose(upper, q[hi])
        assert lower.min() >= 0.0 and upper.max() <= initial
    median, start, withdrawal = ax.get_lines()[:3]
    np.testing.assert_allclose(median.get_ydata(), ens.quantiles("area", q=0.5).values[0])
    assert start.get_ydata()[0] == initial
    assert withdrawal.get_label() == "ua_withdrawal"
    assert withdrawal.get_xdata()[0] == ens.event_quantiles("ua_withdrawal", (0.5,))[0].astype(object)
    assert any(o.output == "area" for o in ns["obs"]) and len(ax.containers) == 1  # the article's area figure
    with pytest.raises(ValueError, match="valid: .*'ua_withdrawal'"):
        ks.plot.territory(ens, events=["withdrawal"])


def test_heatmap_tornado_and_pairs_draw_their_results(made: tuple[Path, dict[str, Any]]) -> None:
    ns = made[1]["sweep_heatmap"]
    res, ax = ns["res"], ns["ax"]
    p = res.probability("ua_withdrawal", by="2025-03-31").values
    xs, ys = np.asarray(res.points["ru.replenishment.per_day"]), np.asarray(res.points["defender.lethality"])
    image = np.asarray(ax.get_images()[0].get_array())
    assert image.shape == (3, 4)  # a row per lethality, a column per replenishment
    for k in range(len(p)):
        assert image[np.searchsorted(np.unique(ys), ys[k]), np.searchsorted(np.unique(xs), xs[k])] == p[k]
    with pytest.raises(ValueError, match="valid"):
        ks.plot.sweep_heatmap(res, "area@2025-03-01", x="ru.strength", y="defender.lethality")

    ns = made[1]["tornado"]
    sens, ax = ns["sens"], ns["ax"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == sens.ranking()[::-1] and len(labels) == 8
    widths = [bar.get_width() for bar in ax.containers[0]]
    np.testing.assert_allclose(widths, [sens.indices["total"][0, sens.paths.index(p)] for p in labels])

    ns = made[1]["posterior_pairs"]
    post, axes = ns["post"], ns["axes"]
    assert axes.shape == (3, 3)
    assert [axes[i, j].get_visible() for i in range(3) for j in range(3) if j > i] == [False] * 3
    for i in range(3):
        assert sum(patch.get_height() for patch in axes[i, i].patches) == pytest.approx(1.0)
    assert axes[2, 0].get_xlabel().startswith("defender.lethality")
    with pytest.raises(ValueError, match="valid"):
        ks.plot.posterior_pairs(post, ["ua.strength"])


def test_projection_figure_panels_and_style_leave_rcparams_alone(made: tuple[Path, dict[str, Any]]) -> None:
    fig = made[1]["projection"]["fig"]
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "strength (troops)",
        "area held (km²)",
        "probability by date (share of replications)",
    ]
    before = dict(matplotlib.rcParams)
    ens = made[1]["fan"]["ens"]
    ks.plot.fan(ens, "strength")
    ks.plot.casualties(ens)
    assert dict(matplotlib.rcParams) == before
    with pytest.raises(ValueError, match=r"unknown output \['strenght'\]; valid: \['strength'"):
        ks.plot.fan(ens, "strenght")
    with pytest.raises(KeyError):  # as before: an unknown name is also a KeyError
        ks.plot.fan(ens, "strength", contingents=["xx"])
    # the palette is Okabe-Ito, each contingent in the colour of its place
    lines = ks.plot.fan(ens, "strength", contingents=["ua"]).get_lines()
    assert matplotlib.colors.to_hex(lines[0].get_color()) == ks.plot.PALETTE[2].lower()
