"""Draw the figures of the home page, the README and the tutorial into docs/images/.

Run ``python docs/make_figures.py`` (about a minute) after a change that moves the default projection. The
runs are those the pages show: ``kursk-2024``, 5,000 replications, seed 2025.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import kursk_sim as ks  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
SEED = 2025
REPLICATIONS = 5000


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    sc = ks.load_scenario("kursk-2024")
    obs = ks.load_observations("kursk-2024-article")
    ens = ks.simulate(sc, replications=REPLICATIONS, seed=SEED, progress=False)

    fig = ks.plot.projection_figure(ens)
    fig.savefig(IMAGES / "projection.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(2, 1, figsize=(9, 7.5), layout="constrained", sharex=True)
    ks.plot.fan(ens, "strength", ax=axes[0])
    ks.plot.fan(ens, "area", ax=axes[1], observations=obs)
    fig.savefig(IMAGES / "tutorial_fan.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    ks.plot.event_dates(ens, ax=ax)
    fig.savefig(IMAGES / "tutorial_events.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained", sharey=True)
    for ax, p in zip(axes, (0.0, 1.0), strict=True):
        variant = ks.simulate(sc.replace({"kpa.second_wave.probability": p}), REPLICATIONS, seed=SEED, progress=False)
        ks.plot.fan(variant, "area", ax=ax)
        ax.set_title(f"area held, second wave probability {p:.0%}", fontsize=10)
    fig.savefig(IMAGES / "tutorial_second_wave.png", dpi=110)
    plt.close(fig)
    for png in sorted(IMAGES.glob("*.png")):
        print(f"wrote {png} ({png.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
