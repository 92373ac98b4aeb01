"""Modifiers: the profiles ``g(t)`` and the multipliers ``1 + (m - 1) g(t)`` they put on the state."""

from __future__ import annotations

import numpy as np
import pytest

import kursk_sim as ks
from kursk_sim.model import Model, recorder
from kursk_sim.parameters import ModifierParameters, draw_parameters
from kursk_sim.rules.modifiers import conditions

START = np.array([0.0, 5.0, 10.5])  # per replication; a fractional start too
END = np.array([np.inf, 20.0, 12.0])
SCALE = np.array([30.0, 4.0, 1.0])
DAYS = np.arange(-3, 40)


def modifier(profile: str) -> ModifierParameters:
    ones = np.ones((3, 2))
    return ModifierParameters("m", profile, START, END, SCALE, ones, ones, np.ones(3), np.ones((3, 2)))


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("step", lambda t: ((t >= START) & (t < END)).astype(float)),
        ("linear", lambda t: np.clip((t - START) / SCALE, 0.0, 1.0)),
        ("exponential", lambda t: np.where(t >= START, 1.0 - np.exp(-(t - START) / SCALE), 0.0)),
    ],
)
def test_profiles(profile: str, expected) -> None:  # noqa: ANN001
    m = modifier(profile)
    for day in DAYS:
        g = m.profile_at(float(day))
        np.testing.assert_allclose(g, expected(float(day)), rtol=1e-12, atol=1e-15)
        assert ((g >= 0.0) & (g <= 1.0)).all()
        assert not np.signbit(g).any()  # no -0.0 before the start


def test_conditions_multiply_only_what_modifiers_change(kursk: ks.Scenario) -> None:
    params = draw_parameters(kursk, 64, seed=3)
    seen: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def keep(model: Model, row: int) -> None:
        s = model.state
        seen[row - 1] = (s.effectiveness.copy(), s.exposure.copy(), s.advance.copy())

    Model(params, 3, [conditions, recorder], recorders=[keep]).run()
    for day in (0, 30, 61, 150):
        eff, exp, adv = params.per_contingent("effectiveness"), params.per_contingent("exposure"), np.ones(64)
        for mod in params.modifiers:
            g = mod.profile_at(day)
            eff = eff * (1.0 + (mod.effectiveness - 1.0) * g[:, None])
            exp = exp * (1.0 + (mod.exposure - 1.0) * g[:, None])
            adv = adv * (1.0 + (mod.advance - 1.0) * g)
        for got, want in zip(seen[day], (eff, exp, adv), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    kpa = params.contingent_ids.index("kpa")
    assert (seen[150][0][:, kpa] == params.per_contingent("effectiveness")[:, kpa]).all()  # no modifier on it
