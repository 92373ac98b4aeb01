"""Validation on public data: the casualty-ratio analysis of CDB90 (docs/validation.md) and its estimator."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from kursk_sim.validation import casualty_ratio_skill, law_predictors

ROOT = Path(__file__).resolve().parents[1]


def test_the_presets_give_the_textbook_predictors() -> None:
    assert law_predictors() == {"square": (1.0, -1.0), "linear": (0.0, 0.0), "logarithmic": (-1.0, 1.0)}


@pytest.mark.parametrize(("law", "exponent"), [("square", 1.0), ("logarithmic", -1.0)])
def test_the_law_that_made_the_data_wins_and_the_fit_recovers_it(law: str, exponent: float) -> None:
    rng = np.random.default_rng(3)
    a0, d0 = rng.uniform(1e3, 1e5, 600), rng.uniform(1e3, 1e5, 600)
    ratio = 1.5 * (d0 / a0) ** exponent * rng.lognormal(0.0, 0.3, 600)
    cd = rng.uniform(100, 1000, 600)
    table = casualty_ratio_skill(a0, d0, ratio * cd, cd, folds=10, seed=0)
    rows = {r[0]: r for r in table.rows}
    assert rows[law][2] > 0.8  # most of the variance predicted out of sample
    assert rows["linear"][2] == pytest.approx(0.0, abs=1e-12)  # the linear law is the no-skill forecast
    _, _, _, log_e, on_d, on_a = rows["fitted"]
    assert on_d == pytest.approx(exponent, abs=0.05) and on_a == pytest.approx(-exponent, abs=0.05)
    assert log_e == pytest.approx(np.log(1.5), abs=0.2)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="positive"):
        casualty_ratio_skill([1.0, 2.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0], folds=2)
    with pytest.raises(ValueError, match="folds"):
        casualty_ratio_skill([1.0, 2.0], [1.0, 2.0], [1.0, 1.0], [1.0, 1.0], folds=3)


def test_validation_page_is_current(shared_data: Path) -> None:
    page = runpy.run_path(str(ROOT / "docs" / "make_validation.py"))["validation_page"]()
    assert (ROOT / "docs" / "validation.md").read_text(encoding="utf-8") == page
    assert "| 486 battles" in page or "486 battles" in page
