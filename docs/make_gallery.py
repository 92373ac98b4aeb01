"""Make the gallery of ``kursk_sim.plot``: every figure into docs/gallery/<name>.png, and docs/gallery.md.

    python docs/make_gallery.py

Each figure is made by running its snippet, exactly as the page shows it,
after the shared setup (small, seeded runs: the whole gallery takes seconds).
``tests/test_gallery.py`` runs it into a temporary folder and checks that the
committed page is the one this script writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
#: Resolution of the PNGs (small files, sharp at the page's width).
DPI = 110

SETUP = """\
import matplotlib.pyplot as plt
import kursk_sim as ks

sc = ks.load_scenario("kursk-2024")
obs = ks.load_observations("kursk-2024-article")  # the article's own figures
ens = ks.simulate(sc, 1000, seed=1)
"""


@dataclass(frozen=True)
class Figure:
    """One figure of the gallery: its file name, heading, what it shows and the code that draws it."""

    name: str
    title: str
    what: str
    code: str


FIGURES = (
    Figure(
        "fan",
        "Fan chart with observations",
        "Cumulative casualties of the North Korean and Ukrainian contingents: the median of 1,000 replications "
        "with its 50% and 90% bands, and the article's figure (over 3,000 North Korean casualties by "
        "23 December) as a lower bound.",
        'ax = ks.plot.fan(ens, "casualties", contingents=["kpa", "ua"], observations=obs)\n',
    ),
    Figure(
        "event_dates",
        "Event probabilities by date",
        "The share of replications in which each event (Ukraine's withdrawal begun and completed, "
        "encirclement, Russian mobilisation, the second North Korean wave) has happened by each date.",
        "ax = ks.plot.event_dates(ens)\n",
    ),
    Figure(
        "casualties",
        "Casualties by kind",
        "Cumulative killed, wounded and missing or captured, stacked (the median of each kind), "
        "for the attacking side (Russian and North Korean contingents summed) and for the defender.",
        'fig, axes = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, layout="constrained")\n'
        'ks.plot.casualties(ens, ["ru", "kpa"], ax=axes[0])\n'
        'ks.plot.casualties(ens, "ua", ax=axes[1])\n',
    ),
    Figure(
        "territory",
        "Territory held",
        "The area Ukraine holds, with its bands, the area at the start, the article's figure for "
        "1 January, and the withdrawal's median date with the span of 90% of its dates.",
        "ax = ks.plot.territory(ens, observations=obs)\n",
    ),
    Figure(
        "projection",
        "The projection figure",
        "The report figure that `kursk-sim run` saves as `projection.png`: strength, territory and events "
        "on one date axis.",
        "fig = ks.plot.projection_figure(ens)\n",
    ),
    Figure(
        "sweep_heatmap",
        "Sweep heatmap",
        "The probability that Ukraine withdraws by 31 March over a grid of two levers, Russia's daily "
        "replenishment and how many attackers a Ukrainian soldier puts out of action (150 paired replications a point).",
        'design = ks.grid({"ru.replenishment.per_day": [600, 900, 1200, 1500], "defender.lethality": [0.01, 0.0145, 0.02]})\n'
        "res = ks.sweep(sc, design, replications=150, seed=1)\n"
        'ax = ks.plot.sweep_heatmap(res, "ua_withdrawal@2025-03-31", x="ru.replenishment.per_day", y="defender.lethality")\n',
    ),
    Figure(
        "tornado",
        "Tornado chart of a sensitivity analysis",
        "Sobol indices of the area Ukraine holds on 1 March for eight assumptions, most influential at the "
        "top: total order with its 95% interval, first order inside (a small sample: the intervals are wide).",
        "paths = [\n"
        '    "attacker.lethality", "defender.lethality", "ua.strength", "territory.advance_km2_per_day",\n'
        '    "territory.threshold_ratio", "territory.frontage_exponent", "kpa.exposure",\n'
        '    "modifiers.offensive.multiply.territory.advance",\n'
        "]\n"
        'sens = ks.sensitivity(sc, "area@2025-03-01", n=32, paths=paths, replications=4, seed=1)\n'
        "ax = ks.plot.tornado(sens)\n",
    ),
    Figure(
        "posterior_pairs",
        "Posterior pair plot",
        "An ABC-SMC posterior of three assumptions given the article's figures: weighted histograms on the "
        "diagonal, joint densities below (a quick fit: 600 particles, three populations).",
        "post = ks.abc(\n"
        '    sc, obs, ["defender.lethality", "kpa.exposure", "territory.advance_km2_per_day"],\n'
        "    particles=600, populations=3, seed=1,\n"
        ")\n"
        "axes = ks.plot.posterior_pairs(post)\n",
    ),
)


def markdown() -> str:
    """The gallery page: one section per figure with its image, what it shows and its code."""
    lines = [
        "# Gallery",
        "",
        "Every figure `kursk_sim.plot` draws, each with the code that made it. Functions that draw one panel "
        "take `ax=` and return the Axes they drew on; the figures of several panels take `axes=` or `fig=`. "
        "They share one style (`ks.plot.style`) and a palette safe for colour-blind readers "
        "(`ks.plot.PALETTE`, Okabe-Ito), and change no global Matplotlib settings.",
        "",
        "The runs here are small so that the page is quick to rebuild (`python docs/make_gallery.py`); "
        "a report would use more replications. Every snippet starts from this setup:",
        "",
        "```python",
        SETUP.rstrip("\n"),
        "```",
        "",
    ]
    for f in FIGURES:
        lines += [
            f"## {f.title}",
            "",
            f"![{f.title}](gallery/{f.name}.png)",
            "",
            f.what,
            "",
            "```python",
            f.code.rstrip("\n"),
            "```",
            "",
        ]
    return "\n".join(lines)


def _figure_of(namespace: dict[str, Any]) -> Any:
    import numpy as np

    if "fig" in namespace:
        return namespace["fig"]
    if "ax" in namespace:
        return namespace["ax"].figure
    return np.ravel(namespace["axes"])[0].figure


def make(folder: Path = DOCS, names: Any = None) -> dict[str, dict[str, Any]]:
    """Draw every figure (or those ``names``) into ``folder/gallery/`` and write ``folder/gallery.md``.

    Returns each figure's namespace after its snippet ran (``ax``, ``axes``
    or ``fig``, and what the setup and the snippet made).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = folder / "gallery"
    images.mkdir(parents=True, exist_ok=True)
    setup: dict[str, Any] = {}
    exec(compile(SETUP, "gallery setup", "exec"), setup)  # noqa: S102 - our own snippets
    done = {}
    for f in FIGURES:
        if names is not None and f.name not in names:
            continue
        namespace = dict(setup)
        exec(compile(f.code, f"gallery: {f.name}", "exec"), namespace)  # noqa: S102
        figure = _figure_of(namespace)
        figure.savefig(images / f"{f.name}.png", dpi=DPI)
        plt.close(figure)
        done[f.name] = namespace
    (folder / "gallery.md").write_text(markdown(), encoding="utf-8")
    return done


if __name__ == "__main__":
    made = make()
    print(f"wrote {len(made)} figures to {DOCS / 'gallery'} and {DOCS / 'gallery.md'}")
