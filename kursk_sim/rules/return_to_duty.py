"""Return to duty: wounded on their way back pass through stages; the last returns them.

Scenario table: each contingent's ``return_to_duty``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..batch import one_row_if_all_same
from ..phase import Phase
from ..schema import Value, param
from .base import Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model

__all__ = ["ReturnToDuty", "RULE", "return_to_duty"]

Array = NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class ReturnToDuty:
    """Wounded returning to duty after a random delay.

    The delay is the sum of ``stages`` independent geometric stage times of
    mean ``mean_delay_days / stages`` (a discrete Erlang, i.e. a shifted
    negative binomial distribution; see docs/model.md).
    """

    share: Value = param("share", "share of the wounded who return to duty", ge=0.0, le=1.0, default=0.0)
    mean_delay_days: Value = param("days", "mean delay before return", ge=1.0, default=30.0)
    stages: int = param("1", "stages of the delay: more stages, less spread", kind="int", ge=1, le=12, default=2)


def return_to_duty(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Wounded on their way back pass through stages; the last returns them.

    Each day every troop in a stage leaves it with probability
    ``stages / mean_delay_days``, every stage drawn from the day's counts
    before any troop moves, so each stage lasts a geometric number of days (at least one)
    with mean ``mean_delay_days / stages``, and the delay from wounding to
    return is a discrete Erlang (``stages`` plus a negative binomial) with
    mean ``mean_delay_days``. Contingents with fewer stages than others
    return their troops from their own last stage.
    """
    p, s = model.params, model.state
    stages = p.rtd_stages
    hazard = one_row_if_all_same(np.minimum(stages / p.per_contingent("return_to_duty.mean_delay_days"), 1.0))
    n_stages = s.recovering.shape[0]
    # per stage, the contingents that return troops from it: those whose last stage it is (a contingent
    # with fewer stages than the longest has no troops in the stages beyond its own)
    home = [(stages - 1 == i) | (i == n_stages - 1) for i in range(n_stages)]
    yield model.wait_for(Phase.RETURNS)
    while True:
        if s.recovering.any():
            leaving = [model.thin(s.recovering[i], hazard, "return_to_duty") for i in range(n_stages)]  # today's counts
            for i, out in enumerate(leaving):
                s.recovering[i] -= out
                if home[i].any():
                    back = out if home[i].all() else out * home[i]
                    s.strength += back
                    s.returned += back
                if not home[i].all():  # the others move on to the next stage
                    s.recovering[i + 1] += out if not home[i].any() else out * ~home[i]
        yield model.env.timeout(1.0)


RULE = Rule(
    name="return_to_duty",
    doc="a share of the wounded return after a staged (discrete Erlang) delay",
    processes=lambda params: [return_to_duty],
    sections=(Section("return_to_duty", ReturnToDuty, "wounded returning", default=ReturnToDuty, contingent=True),),
)
