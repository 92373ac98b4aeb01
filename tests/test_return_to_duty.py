"""Return to duty: the delay from wounding to return is a discrete Erlang.

With ``S`` stages and a daily hazard ``h = S / mean_delay_days`` per stage,
a troop wounded on day ``d`` (and put in the first stage that day) returns on
day ``d + T`` with ``T = S + NegativeBinomial(S, h)``: ``S`` geometric stage
times of at least one day each, mean ``S / h = mean_delay_days``. In a
mean-field run the returned share is that distribution function exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks
from kursk_sim.model import Model, recorder
from kursk_sim.parameters import draw_parameters
from kursk_sim.rules.return_to_duty import return_to_duty

POOL = 1000.0  # troops put in the first stage before day 0 (wounded "on day -1")


def returned_by_day(scenario: ks.Scenario, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``returned`` after each day ``(days, n, C)``, the stage counts ``(C,)`` and the hazards ``(n, C)``."""
    params = draw_parameters(scenario, n, seed)
    rows: list[np.ndarray] = []
    model = Model(
        params, seed, [return_to_duty, recorder], recorders=[lambda m, row: rows.append(m.state.returned.copy())]
    )
    model.state.recovering[0] = POOL
    model.run()
    hazard = np.minimum(params.rtd_stages / params.per_contingent("return_to_duty.mean_delay_days"), 1.0)
    return np.array(rows[1:]), params.rtd_stages, hazard


@pytest.mark.parametrize("ua_stages", [2, 3])  # 3: contingents with different numbers of stages
def test_mean_field_returns_follow_the_discrete_erlang(kursk: ks.Scenario, ua_stages: int) -> None:
    sc = kursk.replace({"noise.kind": "none", "ua.return_to_duty.stages": ua_stages})
    returned, stages, hazard = returned_by_day(sc, 4, seed=1)
    days = np.arange(1, returned.shape[0] + 1)[:, None, None]  # after day t, troops wounded on day -1 waited t + 1
    expected = POOL * stats.nbinom.cdf(days - stages, stages, hazard)
    np.testing.assert_allclose(returned, expected, rtol=1e-9, atol=1e-9)
    assert (stages == [2, 2, ua_stages]).all()


def test_mean_delay_is_the_parameter(kursk: ks.Scenario) -> None:
    """Counting run: the mean delay of returned troops is ``mean_delay_days`` within 4 standard errors."""
    sc = kursk.replace({"ru.return_to_duty.mean_delay_days": 20.0, "ru.return_to_duty.stages": 2})
    returned, _, _ = returned_by_day(sc, 200, seed=2)
    ru = 0
    daily = np.diff(returned[:, :, ru], axis=0, prepend=0.0)  # troops back on each day
    days = np.arange(1, returned.shape[0] + 1)  # a troop back after day t (row t) waited t + 1 days
    assert returned[-1, :, ru].sum() > 0.999 * 200 * POOL  # (almost) all back within the horizon
    delays = np.repeat(np.tile(days, 200), daily.T.ravel().astype(int))
    se = delays.std() / np.sqrt(delays.size)
    assert abs(delays.mean() - 20.0) < 4 * se
