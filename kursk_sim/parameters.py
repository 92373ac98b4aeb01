"""Per-batch parameter arrays: a scenario drawn for a batch of replications.

:func:`draw_parameters` turns a :class:`~kursk_sim.scenario.Scenario` into
NumPy arrays whose leading axis is the replication: uncertain values are
drawn once per replication (in a fixed order, from the batch's generator),
fixed values broadcast. Dates become day numbers counted from the
scenario's start date. The model reads only these arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import schema
from .distributions import Distribution
from .scenario import LAW_PRESETS, Law, Scenario

__all__ = ["BatchParameters", "WaveParameters", "ModifierParameters", "draw_parameters"]

Array = NDArray[np.float64]
NEVER = np.inf


@dataclass(frozen=True)
class WaveParameters:
    """One reinforcement wave for the batch."""

    event: str
    contingent: int
    size: Array  # (n,)
    day: NDArray[np.int64]  # (n,) arrival day index
    happens: NDArray[np.bool_]  # (n,)


@dataclass(frozen=True)
class ModifierParameters:
    """One time-varying multiplier for the batch."""

    name: str
    profile: str
    start: Array  # (n,) day
    end: Array  # (n,) day, inf if open
    scale: Array  # (n,) duration_days or tau_days (1 for step)
    effectiveness: Array  # (n, C) full-effect multipliers (1 = none)
    exposure: Array  # (n, C)
    advance: Array  # (n,)

    def profile_at(self, day: float) -> Array:
        """``g(t)`` in [0, 1] for each replication."""
        if self.profile == "step":
            return ((day >= self.start) & (day < self.end)).astype(float)
        if self.profile == "linear":
            g = day - self.start
            g /= self.scale
            np.maximum(g, 0.0, out=g)
            return np.minimum(g, 1.0, out=g)
        g = self.start - day  # exponential: 1 - exp(-max(day - start, 0) / scale)
        np.minimum(g, 0.0, out=g)
        g /= self.scale
        np.expm1(g, out=g)
        return np.subtract(0.0, g, out=g)  # not np.negative: 0 - 0 is +0


@dataclass(frozen=True)
class BatchParameters:
    """Every parameter of a scenario as arrays over ``n`` replications."""

    n: int
    horizon: int
    integer_counts: bool
    contingent_ids: tuple[str, ...]
    attacker: NDArray[np.bool_]  # (C,) contingent is on the attacker's side
    values: dict[str, Any]
    waves: tuple[WaveParameters, ...]
    modifiers: tuple[ModifierParameters, ...]
    rtd_stages: NDArray[np.int64]  # (C,)
    noise: str
    normal_above: float  # binomial draws of at least this variance are normal; inf: all exact
    law: tuple[tuple[Any, Any], tuple[Any, Any]]  # (p, q) of the attacker's losses, of the defender's
    attacker_id: str
    defender_id: str
    mobilisation_contingent: int

    def __getitem__(self, path: str) -> Any:
        return self.values[path]

    @cached_property
    def side_of_contingent(self) -> NDArray[np.intp]:
        """``(C,)`` each contingent's side: 0 attacker, 1 defender (its column in ``(n, 2)`` side arrays)."""
        return np.where(self.attacker, 0, 1)

    @cached_property
    def contingents_of_side(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The contingents (column indices) of the attacker's side, then of the defender's."""
        attacker, defender = np.flatnonzero(self.attacker).tolist(), np.flatnonzero(~self.attacker).tolist()
        return tuple(attacker), tuple(defender)

    def per_contingent(self, suffix: str, default: float | None = None) -> Array:
        """``(n, C)`` array of the contingent parameter ``<id>.<suffix>``, column-major like the model's state.

        A contingent without the parameter (absent or ``None``) takes
        ``default``; without a default the parameter is required
        (``KeyError`` otherwise).
        """
        cols = []
        for cid in self.contingent_ids:
            value = self.values.get(f"{cid}.{suffix}")
            if value is None:
                if default is None:
                    raise KeyError(f"{cid}.{suffix}")
                value = default
            cols.append(np.broadcast_to(value, (self.n,)))
        return np.stack(cols, axis=1).astype(float, order="F")


def _law(law: Law, values: dict[str, Any]) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    if law.preset == "custom":
        return tuple((values[f"law.{role}.p"], values[f"law.{role}.q"]) for role in ("attacker", "defender"))
    return LAW_PRESETS[law.preset]


def draw_parameters(scenario: Scenario, n: int, rng: np.random.Generator) -> BatchParameters:
    """Draw every uncertain parameter once per replication.

    Parameters
    ----------
    scenario : Scenario
    n : int
        Number of replications in the batch.
    rng : numpy.random.Generator
        The batch's generator; uncertain parameters are drawn first, in the
        order the scenario lists them, so a batch is reproducible.

    Returns
    -------
    BatchParameters

    Examples
    --------
    >>> import numpy as np, kursk_sim as ks
    >>> bp = draw_parameters(ks.load_scenario("kursk-2024"), 4, np.random.default_rng(0))
    >>> bp.per_contingent("strength").shape
    (4, 3)
    """
    start = scenario.start_date.toordinal()
    values: dict[str, Any] = {}
    for path, value, spec in schema.iter_leaves(scenario):
        if isinstance(value, Distribution):
            draw = value.sample(rng, n)
            values[path] = np.rint(draw - start) if spec.kind == "date" else draw
        elif isinstance(value, dt.date):
            values[path] = float(value.toordinal() - start)
        else:
            values[path] = value
    integer = scenario.noise.kind != "none"
    ids = scenario.contingent_ids
    index = {cid: i for i, cid in enumerate(ids)}
    n_c = len(ids)

    if integer:  # whole troops when losses are drawn as counts
        for cid in ids:
            values[f"{cid}.strength"] = np.rint(values[f"{cid}.strength"])

    waves = []
    for cid, c in scenario.contingents.items():
        for wname in c.waves:
            size = np.broadcast_to(values[f"{cid}.{wname}.size"], (n,)).astype(float)
            if integer:
                size = np.rint(size)
            prob = np.broadcast_to(values[f"{cid}.{wname}.probability"], (n,))
            happens = rng.random(n) < prob
            day = np.broadcast_to(values[f"{cid}.{wname}.date"], (n,)).astype(np.int64)
            waves.append(WaveParameters(f"{cid}_{wname}", index[cid], size, day, happens))

    modifiers = []
    for mname, mod in scenario.modifiers.items():
        if not mod.enabled:
            continue
        base = f"modifiers.{mname}"
        eff = np.ones((n, n_c), order="F")
        exp = np.ones((n, n_c), order="F")
        adv = np.ones(n)
        for target, mult in mod.multiply.items():
            for attr in ("effectiveness", "exposure", "advance"):
                if getattr(mult, attr) is None:
                    continue
                v = values[f"{base}.multiply.{target}.{attr}"]
                if attr == "advance":
                    adv = adv * v
                else:
                    arr = eff if attr == "effectiveness" else exp
                    arr[:, index[target]] = v
        scale_key = {"linear": "duration_days", "exponential": "tau_days"}.get(mod.profile)
        modifiers.append(
            ModifierParameters(
                mname,
                mod.profile,
                np.broadcast_to(values[f"{base}.start"], (n,)).astype(float),
                np.broadcast_to(NEVER if mod.end is None else values[f"{base}.end"], (n,)).astype(float),
                np.broadcast_to(values[f"{base}.{scale_key}"] if scale_key else 1.0, (n,)).astype(float),
                eff,
                exp,
                adv,
            )
        )

    return BatchParameters(
        n=n,
        horizon=scenario.horizon_days,
        integer_counts=integer,
        contingent_ids=ids,
        attacker=np.array([c.side == "attacker" for c in scenario.contingents.values()]),
        values=values,
        waves=tuple(waves),
        modifiers=tuple(modifiers),
        rtd_stages=np.array([c.return_to_duty.stages for c in scenario.contingents.values()], dtype=np.int64),
        noise=scenario.noise.kind,
        normal_above=scenario.noise.normal_above if scenario.noise.approximation == "normal" else np.inf,
        law=_law(scenario.law, values),
        attacker_id=scenario.attacker.id,
        defender_id=scenario.defender.id,
        mobilisation_contingent=index.get(scenario.mobilisation.contingent, -1),
    )
