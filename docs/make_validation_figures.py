"""Draw the figures of docs/validation.md into docs/images/.

Run ``python docs/make_validation_figures.py`` (a few seconds; the CDB90 figure needs ``../shared/data``
beside the checkout and is skipped without it). The Iwo Jima scenario is the one ``tests/test_historical.py``
runs.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import kursk_sim as ks  # noqa: E402

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"


def iwo_jima_figure() -> Path:
    """The binomial ensemble's bands, the deterministic course and Engel's own difference equations."""
    historical = runpy.run_path(str(DOCS.parent / "tests" / "test_historical.py"))
    ens = ks.simulate(historical["iwo_jima"](noise="binomial"), replications=2000, seed=4, progress=False)
    engel = historical["engel_recurrence"]()
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    ks.plot.fan(ens, "strength", ax=ax)
    dates = np.datetime64(ens.scenario.start_date) + np.arange(len(engel))
    ax.plot(dates, engel[:, 0], "k:", lw=1.5, label="Engel's difference equations")
    ax.plot(dates, engel[:, 1], "k:", lw=1.5)
    ax.legend(fontsize=8, loc="center right")
    ax.set_title("Iwo Jima 1945: 2,000 binomial replications against Engel's deterministic course", fontsize=10)
    path = IMAGES / "validation_iwo_jima.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cdb90_figure() -> Path | None:
    """Log casualty ratio against log force ratio, with what the square law and the free fit predict."""
    validation = runpy.run_path(str(DOCS / "make_validation.py"))
    try:
        b = validation["cdb90_battles"]()
    except FileNotFoundError:
        return None
    a0, d0, ca, cd = (b[k] for k in validation["COLUMNS"])
    x, y = np.log(a0 / d0), np.log(ca / cd)
    slope, intercept = np.polyfit(x, y, 1)
    grid = np.linspace(x.min(), x.max(), 50)
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    ax.scatter(x, y, s=8, alpha=0.5, color="0.3", label=f"CDB90 battles ({len(x)})")
    ax.plot(grid, y.mean() - (grid - x.mean()), color="#D55E00", label="square law (slope -1)")
    ax.plot(grid, np.full_like(grid, y.mean()), color="#0072B2", label="linear law = no skill (slope 0)")
    ax.plot(grid, intercept + slope * grid, color="#009E73", ls="--", label=f"least-squares fit (slope {slope:+.2f})")
    ax.set_xlabel("log(attacker strength / defender strength)")
    ax.set_ylabel("log(attacker casualties / defender casualties)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    path = IMAGES / "validation_cdb90.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    for made in (iwo_jima_figure(), cdb90_figure()):
        print(f"wrote {made}" if made else "skipped the CDB90 figure: no ../shared/data")
