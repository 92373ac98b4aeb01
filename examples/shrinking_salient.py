"""A salient that shrinks: a staged withdrawal with a rearguard against an immediate one.

A scenario script for the rules of a shrinking front (docs/model.md): it
loads ``examples/salient.toml`` (an advance that slows as the salient
shrinks, a fighting withdrawal that leaves a rearguard on a foothold, pockets
that hold out, a battalion rotating out and back from ``rotation.csv``, a
week's surge of fire, a counter-attack, a drone company far more effective
against infantry than armour), runs it and a variant whose withdrawal is
immediate with the same seed, prints a comparison table and writes a figure
of the area held under both.

Usage
-----
::

    python examples/shrinking_salient.py [--replications N] [--seed S] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import kursk_sim as ks  # noqa: E402

HERE = Path(__file__).resolve().parent
IMMEDIATE = {"withdrawal.pace_km2_per_day": None, "withdrawal.remnant_km2": 0.0, "withdrawal.rearguard_share": 0.0}


def main(argv: list[str] | None = None) -> int:
    """Run the scenario and its variant; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("salient-output"))
    args = parser.parse_args(argv)

    staged = ks.load_scenario(HERE / "salient.toml")
    variants = {"staged, rearguard": staged, "immediate": staged.replace(IMMEDIATE)}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
    rows = []
    for ax, (label, sc) in zip(axes, variants.items(), strict=True):
        ens = ks.simulate(sc, args.replications, seed=args.seed)
        area = ens.trajectory("area").values
        departed = ens.final["departed"][:, sc.contingent_ids.index("bde")]
        rows.append(
            (
                label,
                ens.probability("south_withdrawal"),
                ens.probability("south_encirclement"),
                float(np.mean(area[:, -1] > 0)),
                float(np.median(area[:, -1])),
                float(np.mean(departed)),
            )
        )
        ks.plot.fan(ens, "area", ax=ax)
        ax.set_title(f"{label} withdrawal", fontsize=10)
    table = ks.Table(
        f"salient: {args.replications:,} replications each, seed {args.seed}",
        (
            "withdrawal",
            "P(withdrawal)",
            "P(encircled)",
            "P(ground held at end)",
            "median area at end (km²)",
            "brigade departed (mean)",
        ),
        rows,
    )
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    fig.suptitle("A shrinking salient: area held, median and 50 % / 90 % bands", fontsize=11)
    fig.savefig(args.out / "salient_area.png", dpi=120)
    table.to_csv(args.out / "salient.csv")
    print(f"wrote {args.out / 'salient_area.png'} and {args.out / 'salient.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
