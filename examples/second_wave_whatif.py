"""What if the second North Korean wave comes, and Russia's replenishment falls?

A scenario script: it loads the default ``kursk-2024`` scenario, varies the
probability of the second North Korean wave and Russia's daily replenishment,
runs each variant with the same seed, prints a comparison table and writes a
figure of the area held under each variant.

Usage
-----
::

    python examples/second_wave_whatif.py [--replications N] [--seed S] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import kursk_sim as ks  # noqa: E402

VARIANTS = {
    "no second wave": {"kpa.second_wave.probability": 0.0},
    "default (30%)": {},
    "second wave certain": {"kpa.second_wave.probability": 1.0},
    "certain, replenishment 400/day": {"kpa.second_wave.probability": 1.0, "ru.replenishment.per_day": 400},
}


def main(argv: list[str] | None = None) -> int:
    """Run the variants; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("whatif-output"))
    args = parser.parse_args(argv)

    base = ks.load_scenario("kursk-2024")
    rows = []
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for i, (label, changes) in enumerate(VARIANTS.items()):
        ens = ks.simulate(base.replace(changes) if changes else base, args.replications, seed=args.seed)
        rows.append(
            (
                label,
                ens.probability("kpa_second_wave"),
                ens.probability("ua_withdrawal", by="2025-03-31"),
                ens.probability("ua_encirclement"),
                float(ens.quantiles("area", q=(0.5,)).sel(quantile=0.5, date="2025-03-01")),
            )
        )
        median = ens.quantiles("area", q=(0.5,)).values[0]
        ax.plot(ens.dates.astype(object), median, color=f"C{i}", label=label)
    table = ks.Table(
        f"kursk-2024 variants, {args.replications:,} replications each, seed {args.seed}",
        ("variant", "P(second wave)", "P(withdrawal by 31 Mar)", "P(encirclement)", "median area 1 Mar (km²)"),
        rows,
    )
    print(table)
    ax.set_ylabel("area held, median (km²)")
    ax.set_title("Kursk: area held by Ukraine under each variant", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "whatif_area.png", dpi=120)
    table.to_csv(args.out / "whatif.csv")
    print(f"wrote {args.out / 'whatif_area.png'} and {args.out / 'whatif.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
