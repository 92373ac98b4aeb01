"""Combat: the attrition law, its noise, and how losses split.

Each day each side's expected losses follow the law
``k_enemy * F_enemy**p * S_own**q`` (:mod:`kursk_sim.laws`), where ``F`` is
the enemy's effectiveness-weighted strength and ``S`` the side's own
strength; they are shared among the side's contingents in proportion to
exposure times strength, drawn by the noise model, and split into killed,
missing and wounded, a share of the wounded starting on their way back to
duty (:mod:`kursk_sim.rules.return_to_duty`). An optional fire matrix
(each contingent's ``against`` table) makes a contingent's fire more or less
effective against particular enemy contingents (:class:`Against`).

Scenario tables: ``[law]``, ``[attacker]``, ``[defender]``, ``[noise]`` and
each contingent's ``casualties`` and ``against``. Outputs: ``strength``, ``killed``,
``wounded``, ``missing`` and ``casualties`` of each contingent.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from ..batch import RowsOf, held, one_row_if_all_same, side_totals, take_rows
from ..errors import ModelError, ScenarioError
from ..laws import expected_losses
from ..phase import Phase
from ..schema import Value, param, section
from .base import Output, Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model
    from ..parameters import BatchParameters
    from ..scenario import Scenario

__all__ = [
    "Against",
    "Casualties",
    "Exponents",
    "FireOn",
    "Law",
    "LAW_PRESETS",
    "Noise",
    "Side",
    "RULE",
    "combat",
    "fire_matrix",
]

Array = NDArray[np.float64]

#: Largest exponent of the law: F**p S**q stays finite for every strength a scenario allows (MAX_TROOPS**20 < 1e300).
MAX_EXPONENT = 10.0

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

    p: Value = param("1", "exponent of the enemy's effective strength F", ge=0.0, le=MAX_EXPONENT)
    q: Value = param("1", "exponent of the side's own strength S", ge=0.0, le=MAX_EXPONENT)


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
    docs/performance.md for the comparison). Negative binomial losses are
    drawn the same way where their variance is at least ``normal_above`` and
    the dispersion at least 20 (below it the normal would miss their skew
    and variance, so every draw is exact, by a gamma-Poisson mixture).
    ``approximation = "none"`` draws every count exactly.
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
        "normal | none: how draws of large variance are made",
        kind="choice",
        choices=("normal", "none"),
        default="normal",
    )
    normal_above: float = param(
        "troops²",
        "variance (n·p·(1-p), or m + m²/r) from which a draw is approximated by a rounded normal",
        ge=1.0,
        default=10.0,
        uncertain=False,
    )


@dataclass(frozen=True, kw_only=True)
class FireOn:
    """How effective a contingent's fire is against one enemy contingent."""

    effectiveness: Value = param(
        "1",
        "multiplier on this contingent's effectiveness against the target (1: as against the others)",
        ge=0.0,
    )


@dataclass(frozen=True, kw_only=True)
class Against:
    """A contingent's row of the fire matrix: a table per enemy contingent, keyed by its id.

    ``[ua.against.kpa] effectiveness = 2.0`` makes Ukrainian fire twice as
    effective against the North Korean contingent as against the others:
    the enemy fire a target ``j`` faces is ``F_j = sum_i e_i m_ij S_i``
    over the enemy's contingents ``i``, with ``m_ij`` this multiplier
    (1 where not given), and ``j`` takes the share ``x_j S_j / sum x S`` of
    its side's losses under the law with ``F_j`` for ``F``. The allocation
    of fire (by exposure times strength) is unchanged: ``m = 0`` makes the
    fire that falls on the target harmless, it does not aim it elsewhere.
    """

    EXTRA_TABLES: ClassVar[tuple[str, type]] = ("targets", FireOn)

    targets: dict[str, FireOn] = field(default_factory=dict)


#: One entry per target contingent (column): its enemy contingents (shooters, in their side's order) and the
#: multiplier of each one's fire against it, ``None`` where not given (1).
FireMatrix = list[list[tuple[int, Any]]]


def fire_matrix(p: BatchParameters) -> FireMatrix | None:
    """The fire matrix of a batch, or ``None`` where no contingent has an ``against`` table.

    Entry ``j`` lists ``(i, m_ij)`` for each contingent ``i`` of the side
    opposing ``j`` in the order of that side's contingents (the order of
    :func:`~kursk_sim.batch.side_total`), ``m_ij`` a number, a per-replication
    array (one row when every replication has the same value) or ``None``
    (not given: 1).
    """
    ids, side = p.contingent_ids, p.side_of_contingent
    matrix: FireMatrix = []
    given = False
    for j, target in enumerate(ids):
        shooters = []
        for i in p.contingents_of_side[1 - side[j]]:
            m = p.values.get(f"{ids[i]}.against.{target}.effectiveness")
            if m is not None:
                given = True
                m = one_row_if_all_same(m) if np.ndim(m) else m
            shooters.append((i, m))
        matrix.append(shooters)
    return matrix if given else None


def combat(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Attrition: expected losses from the law, shared by exposure, then drawn.

    Each side's expected losses are ``k_enemy * F_enemy**p * S_own**q``; they
    are shared among the side's contingents in proportion to exposure times
    strength, drawn by the noise model, and split into killed, missing and
    wounded; a share of the wounded starts on the way back to duty. With a
    fire matrix (:class:`Against`) each contingent ``j`` faces its own
    ``F_j`` and takes its share of ``k_enemy * F_j**p * S_own**q``.
    """
    p, s = model.params, model.state
    k_base = {"attacker": p["attacker.lethality"], "defender": p["defender.lethality"]}
    killed_share = one_row_if_all_same(p.per_contingent("casualties.killed"))
    missing_share = one_row_if_all_same(p.per_contingent("casualties.missing"))
    shape = np.broadcast_shapes(missing_share.shape, killed_share.shape)  # one row each, or one per replication
    missing_of_rest = np.divide(missing_share, 1.0 - killed_share, out=np.ones(shape), where=killed_share < 1.0)
    rtd_share = one_row_if_all_same(p.per_contingent("return_to_duty.share"))
    side = p.side_of_contingent  # each contingent's column in (n, 2) side arrays
    by_side = side.tolist() == [0, 1]  # one contingent a side, the attacker's first: side arrays are per contingent
    matrix = fire_matrix(p)  # None: the pooled fire of each side, computed as it always was
    # the law's exponents on a schedule (kursk_sim.rules.schedules): phases fought differently
    phases = {key: p.schedules[f"law.{key}"] for key in _EXPONENTS if f"law.{key}" in p.schedules}
    may_subset = True  # no noise draws random numbers for rows of zero mean (so combat may compute a subset)
    # every loss killed, and thinning by a share of 1 draws nothing (but exact binomial draws, which use
    # random numbers even then, and a batch of several points, whose shared normal variates are drawn
    # whether needed or not): the split is the losses themselves, with nothing to draw
    all_killed = (
        bool(np.all(killed_share == 1.0))
        and not (p.integer_counts and p.normal_above == np.inf)
        and p.rows.n_points == 1
    )
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
        k = _lethality_today(k_base, s.lethality)
        law = _law_today(p.law, phases, model.day) if phases else p.law
        strength, exposure = take_rows(s.strength, rows), take_rows(s.exposure, rows)
        finite = False  # whether prob is known finite (checked before its minimum with 1)
        inputs_finite = None  # whether effectiveness and exposure are finite, where known from what they gave
        if matrix is not None:  # each contingent faces its own enemy fire
            prob = _matrix_loss_rate(
                p, matrix, strength, exposure, take_rows(s.effectiveness, rows), at, k, held(s)[rows, None], law
            )
            np.minimum(prob, 1.0, out=prob)
        else:
            fire = side_totals(p, take_rows(s.effectiveness, rows) * strength)
            # a non-finite effectiveness makes its side's fire so; a non-finite exposure makes prob NaN
            # (x * 0 after x / x or y / inf), so the two checks below cover both
            inputs_finite = bool(np.isfinite(fire).all())
            side_strength = side_totals(p, strength)
            side_loss = _side_losses(k, fire, side_strength, law, at)
            if not (fighting == p.n and (s.holding == 1.0).all()):  # (a factor of 1 everywhere changes nothing)
                side_loss *= held(s)[rows, None]
            # a contingent's expected losses are its side's in proportion to exposure * strength, so each
            # of its troops is lost with probability exposure * side loss / side total of exposure * strength
            side_weight = side_totals(p, exposure * strength)
            with np.errstate(over="ignore", invalid="ignore"):
                loss_per_weight = np.divide(side_loss, side_weight, out=np.zeros_like(side_loss), where=side_weight > 0)
                prob = exposure * (loss_per_weight if by_side else loss_per_weight[:, side])
            finite = bool(np.isfinite(prob).all())
            if not finite:  # a side's weight so small (subnormal exposures) that the ratio overflowed
                prob = _shares_in_the_other_order(prob, exposure, side_weight, side_loss, side)
            np.minimum(prob, 1.0, out=prob)
        if p.steps_per_day > 1:
            prob = _integrated_probability(
                p, strength, exposure, take_rows(s.effectiveness, rows), at, k, held(s)[rows], matrix, law
            )
            finite = False
        prob_finite = finite or bool(np.isfinite(prob).all())  # (finite before the minimum: finite after it)
        if inputs_finite is None:
            inputs_finite = bool(np.isfinite(s.effectiveness).all() and np.isfinite(s.exposure).all())
        if not (prob_finite and inputs_finite):
            raise ModelError(  # e.g. 0 x inf in the law, or a process of a user's setting NaN
                f"combat, day {model.day}: a loss probability, effectiveness or exposure is not finite (lethality "
                f"{k['attacker']!r} / {k['defender']!r}, exponents {law}): check them and any process of your own"
            )
        lost = model.draw_losses(strength, prob, "combat", rows)
        s.strength[rows] -= lost
        if all_killed:  # no split to make: every loss is killed
            s.killed[rows] += lost
            yield model.env.timeout(1.0)
            continue
        killed = model.thin(lost, at(killed_share), "combat", rows)
        wounded = lost - killed  # the rest, for now
        missing = model.thin(wounded, at(missing_of_rest), "combat", rows)
        wounded -= missing
        recovering = model.thin(wounded, at(rtd_share), "combat", rows)
        s.killed[rows] += killed
        s.missing[rows] += missing
        s.wounded[rows] += wounded
        s.recovering[0, rows] += recovering
        yield model.env.timeout(1.0)


def _side_losses(k: dict[str, Any], fire: Array, strength: Array, law: Any, at: RowsOf) -> Array:
    """Each side's expected losses ``(rows, 2)`` (attacker, defender) from the enemy's fire ``F`` and its strength.

    Where both sides have one lethality and the same exponents (scalars) the
    law is applied to both columns at once, with the enemy's fire as a view
    of ``fire`` in the other order: the same values as side by side.
    """
    (pa, qa), (pd, qd) = law
    k_att, k_def = at(k["defender"]), at(k["attacker"])  # the lethality of the fire each side takes
    if all(isinstance(v, float) for v in (k_att, k_def, pa, qa, pd, qd)) and pa == pd and qa == qd:
        return expected_losses(np.array([k_att, k_def]), fire[:, ::-1], strength, pa, qa)
    out = np.empty_like(strength)
    out[:, 0] = expected_losses(k_att, fire[:, 1], strength[:, 0], at(pa), at(qa))
    out[:, 1] = expected_losses(k_def, fire[:, 0], strength[:, 1], at(pd), at(qd))
    return out


def _shares_in_the_other_order(prob: Array, exposure: Array, weight: Array, loss: Array, side: Array) -> Array:
    """``exposure / side weight * side loss`` where ``exposure * (side loss / side weight)`` was not finite.

    With exposures near the smallest float (1e-310) beside exposures of 0,
    the loss per unit of weight overflows and 0 x inf is NaN; dividing the
    exposure by the weight first keeps every share finite (at most 1 / S).
    Only the rows that overflowed are computed again, so results elsewhere
    are unchanged to the bit.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        share = np.divide(exposure, weight[:, side], out=np.zeros_like(exposure), where=weight[:, side] > 0)
        again = share * loss[:, side]
    return np.where(np.isfinite(prob), prob, again)


#: The law's exponents a schedule can set: ``law.<side>.<p or q>``, in the order of ``BatchParameters.law``.
_EXPONENTS = ("attacker.p", "attacker.q", "defender.p", "defender.q")


def _lethality_today(k: dict[str, Any], multiplier: Array) -> dict[str, Any]:
    """Each side's lethality times today's multiplier (modifiers and schedules on lethality), ``k`` where it is 1."""
    if (multiplier == 1.0).all():
        return k
    return {
        "attacker": k["attacker"] * one_row_if_all_same(multiplier[:, 0]),
        "defender": k["defender"] * one_row_if_all_same(multiplier[:, 1]),
    }


def _law_today(law: Any, phases: dict[str, Array], day: int) -> Any:
    """The law's exponents on ``day``: the scheduled ones where a schedule sets them, else the scenario's."""
    values = [law[0][0], law[0][1], law[1][0], law[1][1]]
    for i, key in enumerate(_EXPONENTS):
        scheduled = phases.get(key)
        if scheduled is not None and day < scheduled.size and not np.isnan(scheduled[day]):
            values[i] = float(scheduled[day])
    return (values[0], values[1]), (values[2], values[3])


def _integrated_probability(
    p: BatchParameters,
    strength: Array,
    exposure: Array,
    effectiveness: Array,
    at: Any,
    k: dict[str, Any],
    held: Array,
    matrix: FireMatrix | None = None,
    law: Any = None,
) -> Array:
    """Each troop's probability of being lost today, the law integrated over the day in ``steps_per_day`` Euler steps.

    Strengths are updated between the steps; effectiveness and exposure are
    the day's. The probability is the day's expected losses over the
    strength at its start. With a fire matrix each step is
    :func:`_matrix_loss_rate`'s. ``law``: today's exponents (default the scenario's).
    """
    law = law or p.law
    side = p.side_of_contingent
    steps = p.steps_per_day
    current = np.copy(strength)
    lost = np.zeros_like(strength)
    for _ in range(steps):
        if matrix is not None:
            rate = _matrix_loss_rate(p, matrix, current, exposure, effectiveness, at, k, held[:, None] / steps, law)
            step = np.minimum(rate * current, current)
            current -= step
            lost += step
            continue
        fire = side_totals(p, effectiveness * current)
        side_loss = _side_losses(k, fire, side_totals(p, current), law, at)
        side_loss *= held[:, None] / steps
        weight = side_totals(p, exposure * current)
        per_weight = np.divide(side_loss, weight, out=np.zeros_like(side_loss), where=weight > 0)
        step = np.minimum(exposure * per_weight[:, side] * current, current)
        current -= step
        lost += step
    prob = np.divide(lost, strength, out=np.zeros_like(lost), where=strength > 0)
    return np.minimum(prob, 1.0, out=prob)


def _matrix_loss_rate(
    p: BatchParameters,
    matrix: FireMatrix,
    strength: Array,
    exposure: Array,
    effectiveness: Array,
    at: Any,
    k: dict[str, Any],
    scale: Array,
    law: Any = None,
) -> Array:
    """Each troop's expected loss (per troop, not clipped) under a fire matrix, ``(n, C)``.

    Target ``j`` faces ``F_j = sum_i e_i m_ij S_i`` over its enemies ``i``
    and takes the share ``x_j S_j / W`` of ``k * F_j**p * S_own**q * scale``
    (``W`` its side's total of exposure times strength), so each of its
    troops is lost with probability ``x_j * loss_j / W``. The sums and
    products are those of the pooled computation in the same order, so
    with every ``m_ij = 1`` the result is the same to the bit.

    Parameters
    ----------
    p : BatchParameters
    matrix : FireMatrix
        From :func:`fire_matrix`.
    strength, exposure, effectiveness : ndarray
        ``(n, C)`` of the rows computed.
    at : RowsOf
        Takes those rows of per-replication parameters.
    k : dict
        Each side's lethality.
    scale : ndarray
        ``(n, 1)``: the share of the front held (over the steps of the day).
    law : tuple, optional
        Today's exponents ``((p, q) of the attacker's losses, of the defender's)``; default the scenario's.
    """
    (pa, qa), (pd, qd) = law or p.law
    side = p.side_of_contingent
    fire_each = effectiveness * strength
    side_strength = side_totals(p, strength)
    loss = np.empty_like(strength)
    for j, shooters in enumerate(matrix):
        terms = [fire_each[:, i] if m is None else fire_each[:, i] * at(m) for i, m in shooters]
        fire = terms[0] if len(terms) == 1 else np.add(terms[0], terms[1])
        for term in terms[2:]:
            fire += term
        if side[j] == 0:
            loss[:, j] = expected_losses(at(k["defender"]), fire, side_strength[:, 0], at(pa), at(qa))
        else:
            loss[:, j] = expected_losses(at(k["attacker"]), fire, side_strength[:, 1], at(pd), at(qd))
    loss *= scale
    weight = side_totals(p, exposure * strength)[:, side]
    per_weight = np.divide(loss, weight, out=np.zeros_like(loss), where=weight > 0)
    return exposure * per_weight


#: Combat computes for the engaged replications alone when they are fewer than this share of the batch.
SUBSET_BELOW = 0.5


def validate(scenario: Scenario) -> None:
    """The law's exponents go with preset 'custom'; the sides have different ids; fire is against enemies."""
    if scenario.attacker.id == scenario.defender.id:
        raise ScenarioError("defender.id", scenario.defender.id, "an id different from attacker.id")
    law = scenario.law
    if law.preset == "custom" and (law.attacker is None or law.defender is None):
        raise ScenarioError("law", law.preset, "both [law.attacker] and [law.defender] exponents for preset 'custom'")
    if law.preset != "custom" and (law.attacker is not None or law.defender is not None):
        raise ScenarioError("law.preset", law.preset, "'custom' when exponents are given (or no exponents)")
    for cid, contingent in scenario.contingents.items():
        if contingent.against is None:
            continue
        enemies = sorted(t for t, c in scenario.contingents.items() if c.side != contingent.side)
        for target, on in contingent.against.targets.items():
            where = f"{cid}.against.{target}"
            if target not in scenario.contingents:
                raise ScenarioError(where, on.effectiveness, f"an enemy contingent id {enemies} as the key")
            if scenario.contingents[target].side == contingent.side:
                whose = "the contingent itself" if target == cid else f"on the {contingent.side}'s side, like '{cid}'"
                raise ScenarioError(
                    where, on.effectiveness, f"an enemy contingent id {enemies} as the key ('{target}' is {whose})"
                )


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
        Section(
            "against",
            Against,
            "fire matrix row: effectiveness against particular enemy contingents",
            default=lambda: None,
            contingent=True,
        ),
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
