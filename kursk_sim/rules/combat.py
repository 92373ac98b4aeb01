"""Combat: the attrition law, its noise, and how losses split.

Each day each side's expected losses follow the law
``k_enemy * F_enemy**p * S_own**q`` (:mod:`kursk_sim.laws`), where ``F`` is
the enemy's effectiveness-weighted strength and ``S`` the side's own
strength; they are shared among the side's contingents in proportion to
exposure times strength, drawn by the noise model, and split into killed,
missing and wounded, a share of the wounded starting on their way back to
duty (:mod:`kursk_sim.rules.return_to_duty`).

Scenario tables: ``[law]``, ``[attacker]``, ``[defender]``, ``[noise]`` and
each contingent's ``casualties``. Outputs: ``strength``, ``killed``,
``wounded``, ``missing`` and ``casualties`` of each contingent.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from numpy.typing import NDArray

from ..batch import RowsOf, held, one_row_if_all_same, side_totals, take_rows
from ..errors import ScenarioError
from ..laws import expected_losses
from ..phase import Phase
from ..schema import Value, param, section
from .base import Output, Rule, Section

if TYPE_CHECKING:
    from ..model import Model
    from ..parameters import BatchParameters
    from ..scenario import Scenario

__all__ = ["Casualties", "Exponents", "Law", "LAW_PRESETS", "Noise", "Side", "RULE", "combat"]

Array = NDArray[np.float64]

LAW_PRESETS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    # (attacker's losses (p, q), defender's losses (p, q))
    "square": ((1.0, 0.0), (1.0, 0.0)),
    "linear": ((1.0, 1.0), (1.0, 1.0)),
    "logarithmic": ((0.0, 1.0), (0.0, 1.0)),
    "mixed": ((1.0, 0.0), (1.0, 1.0)),
}


@dataclass(frozen=True, kw_only=True)
class Exponents:
    """Exponents of the law ``loss = k * F**p * S**q`` for one side's losses."""

    p: Value = param("1", "exponent of the enemy's effective strength F", ge=0.0)
    q: Value = param("1", "exponent of the side's own strength S", ge=0.0)


@dataclass(frozen=True, kw_only=True)
class Law:
    """The attrition law: a named preset or explicit exponents per side.

    Presets (``attacker``'s losses; ``defender``'s losses):

    - ``square``: ``k F`` for both (aimed fire, Lanchester's square law);
    - ``linear``: ``k F S`` for both (area fire, Lanchester's linear law);
    - ``logarithmic``: ``k S`` for both (a fixed casualty rate, Peterson);
    - ``mixed``: attacker ``k F`` (aimed fire on troops moving in the open),
      defender ``k F S`` (area fire on troops under cover; Deitchman);
    - ``custom``: the ``attacker`` and ``defender`` exponents given.

    A day's expected losses integrate the law over the day in
    ``steps_per_day`` explicit Euler steps (the strengths updated between
    them, effectiveness and exposure held for the day).
    """

    preset: str = param(
        "",
        "square | linear | logarithmic | mixed | custom",
        kind="choice",
        choices=(*LAW_PRESETS, "custom"),
        default="square",
    )
    attacker: Exponents | None = section(
        Exponents, "exponents of the attacker's losses (custom only)", default_factory=lambda: None
    )
    defender: Exponents | None = section(
        Exponents, "exponents of the defender's losses (custom only)", default_factory=lambda: None
    )
    steps_per_day: int = param(
        "1",
        "Euler steps of the law within a day: 1 is Lanchester's difference equations, more approach the continuous law",
        kind="int",
        ge=1,
        le=1000,
        default=1,
    )

    def exponents(self, role: str) -> tuple[Value, Value]:
        """``(p, q)`` of the law giving the losses of ``role``'s side."""
        if self.preset == "custom":
            ex = getattr(self, role)
            return ex.p, ex.q
        att, dfd = LAW_PRESETS[self.preset]
        return att if role == "attacker" else dfd


@dataclass(frozen=True, kw_only=True)
class Side:
    """One of the two sides. Its contingents name it in their ``side`` key."""

    id: str = param("", "short name used in event names (ua_withdrawal)", kind="str")
    name: str = param("", "display name", kind="str")
    lethality: Value = param(
        "per day (law units)", "k: scales the losses this side's fire inflicts on the enemy", ge=0.0
    )


@dataclass(frozen=True, kw_only=True)
class Casualties:
    """Split of losses; the wounded share is ``1 - killed - missing``."""

    killed: Value = param("share", "share of losses killed", ge=0.0, le=1.0)
    missing: Value = param("share", "share of losses missing or captured", ge=0.0, le=1.0)


@dataclass(frozen=True, kw_only=True)
class Noise:
    """How realised losses scatter around their expectation.

    ``binomial``: each soldier is lost independently with probability
    ``expected / strength``. ``negative_binomial``: overdispersed, variance
    ``mean + mean**2 / dispersion``. ``none``: losses equal their expectation
    (the mean-field difference equations, exactly).

    Every binomial draw of the model (losses, their split, returns to duty)
    whose variance ``n p (1 - p)`` is at least ``normal_above`` is drawn, when
    ``approximation = "normal"``, as a normal variate with the same mean and
    variance, rounded and kept within ``[0, n]``: one cheap draw instead of a
    costly exact one where the two distributions agree closely (see
    docs/performance.md for the comparison). ``approximation = "none"``
    draws every count exactly.
    """

    kind: str = param(
        "",
        "binomial | negative_binomial | none",
        kind="choice",
        choices=("binomial", "negative_binomial", "none"),
        default="binomial",
    )
    dispersion: Value = param("1", "negative binomial size r (smaller: more scatter)", gt=0.0, default=20.0)
    approximation: str = param(
        "",
        "normal | none: how binomial draws of large variance are made",
        kind="choice",
        choices=("normal", "none"),
        default="normal",
    )
    normal_above: float = param(
        "troops²",
        "variance n·p·(1-p) from which a binomial draw is approximated by a rounded normal",
        ge=1.0,
        default=10.0,
        uncertain=False,
    )


def combat(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Attrition: expected losses from the law, shared by exposure, then drawn.

    Each side's expected losses are ``k_enemy * F_enemy**p * S_own**q``; they
    are shared among the side's contingents in proportion to exposure times
    strength, drawn by the noise model, and split into killed, missing and
    wounded; a share of the wounded starts on the way back to duty.
    """
    p, s = model.params, model.state
    k = {"attacker": p["attacker.lethality"], "defender": p["defender.lethality"]}
    killed_share = one_row_if_all_same(p.per_contingent("casualties.killed"))
    missing_share = one_row_if_all_same(p.per_contingent("casualties.missing"))
    shape = np.broadcast_shapes(missing_share.shape, killed_share.shape)  # one row each, or one per replication
    missing_of_rest = np.divide(missing_share, 1.0 - killed_share, out=np.ones(shape), where=killed_share < 1.0)
    rtd_share = one_row_if_all_same(p.per_contingent("return_to_duty.share"))
    side = p.side_of_contingent  # each contingent's column in (n, 2) side arrays
    (pa, qa), (pd, qd) = p.law
    # negative binomial draws use the generator even where the mean is 0, so only full batches for them
    may_subset = p.noise != "negative_binomial"
    yield model.wait_for(Phase.COMBAT)
    while True:
        engaged = s.engaged
        fighting = np.count_nonzero(engaged)
        if fighting == 0:  # the front is gone everywhere: no losses, no draws (the same as drawing zeros)
            yield model.env.timeout(1.0)
            continue
        # where few replications still fight, compute for those alone: the others would draw zeros,
        # which use no random numbers, so the draws (and results) are the same either way
        rows = np.flatnonzero(engaged) if may_subset and fighting < SUBSET_BELOW * p.n else slice(None)
        at = RowsOf(rows)
        strength, exposure = take_rows(s.strength, rows), take_rows(s.exposure, rows)
        fire = side_totals(p, take_rows(s.effectiveness, rows) * strength)
        side_strength = side_totals(p, strength)
        side_loss = np.empty_like(side_strength)
        side_loss[:, 0] = expected_losses(at(k["defender"]), fire[:, 1], side_strength[:, 0], at(pa), at(qa))
        side_loss[:, 1] = expected_losses(at(k["attacker"]), fire[:, 0], side_strength[:, 1], at(pd), at(qd))
        side_loss *= held(s)[rows, None]
        # a contingent's expected losses are its side's in proportion to exposure * strength, so each
        # of its troops is lost with probability exposure * side loss / side total of exposure * strength
        side_weight = side_totals(p, exposure * strength)
        loss_per_weight = np.divide(side_loss, side_weight, out=np.zeros_like(side_loss), where=side_weight > 0)
        prob = exposure * loss_per_weight[:, side]
        np.minimum(prob, 1.0, out=prob)
        if p.steps_per_day > 1:
            prob = _integrated_probability(
                p, strength, exposure, take_rows(s.effectiveness, rows), at, k, held(s)[rows]
            )
        lost = model.draw_losses(strength, prob, "combat", rows)
        killed = model.thin(lost, at(killed_share), "combat", rows)
        wounded = lost - killed  # the rest, for now
        missing = model.thin(wounded, at(missing_of_rest), "combat", rows)
        wounded -= missing
        recovering = model.thin(wounded, at(rtd_share), "combat", rows)
        s.strength[rows] -= lost
        s.killed[rows] += killed
        s.missing[rows] += missing
        s.wounded[rows] += wounded
        s.recovering[0, rows] += recovering
        yield model.env.timeout(1.0)


def _integrated_probability(
    p: BatchParameters, strength: Array, exposure: Array, effectiveness: Array, at: Any, k: dict[str, Any], held: Array
) -> Array:
    """Each troop's probability of being lost today, the law integrated over the day in ``steps_per_day`` Euler steps.

    Strengths are updated between the steps; effectiveness and exposure are
    the day's. The probability is the day's expected losses over the
    strength at its start.
    """
    (pa, qa), (pd, qd) = p.law
    side = p.side_of_contingent
    steps = p.steps_per_day
    current = np.copy(strength)
    lost = np.zeros_like(strength)
    for _ in range(steps):
        fire = side_totals(p, effectiveness * current)
        side_strength = side_totals(p, current)
        side_loss = np.empty_like(side_strength)
        side_loss[:, 0] = expected_losses(at(k["defender"]), fire[:, 1], side_strength[:, 0], at(pa), at(qa))
        side_loss[:, 1] = expected_losses(at(k["attacker"]), fire[:, 0], side_strength[:, 1], at(pd), at(qd))
        side_loss *= held[:, None] / steps
        weight = side_totals(p, exposure * current)
        per_weight = np.divide(side_loss, weight, out=np.zeros_like(side_loss), where=weight > 0)
        step = np.minimum(exposure * per_weight[:, side] * current, current)
        current -= step
        lost += step
    prob = np.divide(lost, strength, out=np.zeros_like(lost), where=strength > 0)
    return np.minimum(prob, 1.0, out=prob)


#: Combat computes for the engaged replications alone when they are fewer than this share of the batch.
SUBSET_BELOW = 0.5


def validate(scenario: Scenario) -> None:
    """The law's exponents go with preset 'custom'; the sides have different ids."""
    if scenario.attacker.id == scenario.defender.id:
        raise ScenarioError("defender.id", scenario.defender.id, "an id different from attacker.id")
    law = scenario.law
    if law.preset == "custom" and (law.attacker is None or law.defender is None):
        raise ScenarioError("law", law.preset, "both [law.attacker] and [law.defender] exponents for preset 'custom'")
    if law.preset != "custom" and (law.attacker is not None or law.defender is not None):
        raise ScenarioError("law.preset", law.preset, "'custom' when exponents are given (or no exponents)")


def _casualties(s: Any) -> Any:
    return s.killed + s.wounded + s.missing


RULE = Rule(
    name="combat",
    doc="attrition by the law, drawn by the noise model, split into killed, wounded and missing",
    processes=lambda params: [combat],
    sections=(
        Section("law", Law, "attrition law", default=Law),
        Section("attacker", Side, "the attacking side"),
        Section("defender", Side, "the defending side"),
        Section("noise", Noise, "scatter of realised losses", default=Noise),
        Section("casualties", Casualties, "how losses split", contingent=True),
    ),
    outputs=(
        Output("strength", "troops", "strength of each contingent", True, lambda s: s.strength),
        Output("killed", "troops", "cumulative killed", True, lambda s: s.killed, losses=True),
        Output(
            "wounded",
            "troops",
            "cumulative wounded (including those who return)",
            True,
            lambda s: s.wounded,
            losses=True,
        ),
        Output("missing", "troops", "cumulative missing or captured", True, lambda s: s.missing, losses=True),
        Output(
            "casualties",
            "troops",
            "killed + wounded + missing",
            True,
            _casualties,
            sum_of=("killed", "wounded", "missing"),
            losses=True,
        ),
    ),
    validate=validate,
)
