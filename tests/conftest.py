"""Shared fixtures: the default scenario and the reference data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

import kursk_sim as ks

matplotlib.use("Agg")

#: ../shared/data beside the checkout (CI puts shared/ there).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def kursk() -> ks.Scenario:
    return ks.load_scenario("kursk-2024")


@pytest.fixture(scope="session")
def central(kursk: ks.Scenario) -> ks.Ensemble:
    """The default scenario's central run: mean-field, Ukraine at its most likely 20,000, offensive on 15 January,
    no second wave."""
    sc = kursk.replace(
        {
            "noise.kind": "none",
            "ua.strength": 20000,
            "modifiers.offensive.start": "2025-01-15",
            "kpa.second_wave.probability": 0.0,
        }
    )
    return ks.simulate(sc, replications=1, seed=0)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Every figure a test draws is closed after it (pyplot keeps them open otherwise)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
