"""Modifiers: multipliers on effectiveness, exposure, the advance and lethality that change over time.

Scenario table: ``[modifiers.<name>]``. Learning, fatigue, long-range
strikes and offensive phases are all modifiers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..batch import one_row_if_all_same
from ..errors import ScenarioError
from ..phase import Phase
from ..schema import DateValue, Value, named_sections, param
from .base import Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model
    from ..scenario import Scenario

__all__ = ["Modifier", "ModifierParameters", "Multipliers", "RULE", "conditions", "modifier_parameters"]

Array = NDArray[np.float64]


#: End day of a modifier without one.
NEVER = np.inf


@dataclass(frozen=True, kw_only=True)
class Multipliers:
    """Full-effect multipliers of one target: a contingent, ``territory``, or a side (``attacker``, ``defender``)."""

    effectiveness: Value | None = param("1", "multiplier on fire effectiveness", ge=0.0, default=None)
    exposure: Value | None = param("1", "multiplier on exposure", ge=0.0, default=None)
    advance: Value | None = param(
        "1", "multiplier on the territorial advance (target 'territory')", ge=0.0, default=None
    )
    lethality: Value | None = param(
        "1", "multiplier on the side's lethality k (target 'attacker' or 'defender')", ge=0.0, default=None
    )


@dataclass(frozen=True, kw_only=True)
class Modifier:
    """A multiplier that changes over time.

    With profile ``g(t)`` in [0, 1], a target's factor is ``1 + (m - 1) g(t)``
    for each full-effect multiplier ``m`` in ``multiply``:

    - ``step``: ``g = 1`` from ``start`` until ``end`` (if given), else 0;
    - ``linear``: ``g`` rises from 0 at ``start`` to 1 after ``duration_days``;
    - ``exponential``: ``g = 1 - exp(-(t - start) / tau_days)`` after ``start``.

    Learning (exposure falls), fatigue (effectiveness decays), long-range
    strikes and offensive phases are all modifiers.
    """

    enabled: bool = param("", "switch the modifier on or off", kind="bool", default=True)
    profile: str = param("", "step | linear | exponential", kind="choice", choices=("step", "linear", "exponential"))
    start: DateValue = param("date", "when the effect begins", kind="date")
    end: DateValue | None = param("date", "when the effect ends (step only)", kind="date", default=None)
    duration_days: Value | None = param("days", "ramp length (linear only)", gt=0.0, default=None)
    tau_days: Value | None = param("days", "time constant (exponential only)", gt=0.0, default=None)
    multiply: dict[str, Multipliers] = named_sections(Multipliers, "targets and their full-effect multipliers")


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
    lethality: Array  # (n, 2) attacker's, defender's

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


def conditions(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """Modifiers and schedules: today's multipliers on effectiveness, exposure, the advance and lethality.

    A modifier with full-effect multiplier ``m`` and profile ``g(t)`` in
    [0, 1] multiplies its target by ``1 + (m - 1) g(t)``; a schedule of the
    same target (:mod:`kursk_sim.rules.schedules`) multiplies it by its value
    of the day.
    """
    p, s = model.params, model.state
    eff0 = p.per_contingent("effectiveness")
    exp0 = p.per_contingent("exposure")
    # (modifier, [(column, full effect - 1)] for effectiveness, the same for exposure, advance's or None,
    # [(side, full effect - 1)] for lethality): only the contingents and sides a modifier changes are touched
    effects = [
        (
            _timing_once(mod),
            _changed_columns(mod.effectiveness),
            _changed_columns(mod.exposure),
            _changed(mod.advance),
            _changed_columns(mod.lethality),
        )
        for mod in p.modifiers
    ]
    # schedules: (state array, column or None, values per day)
    ids = p.contingent_ids
    scheduled = [
        (name, c, p.schedules[f"{cid}.{name}"])
        for name in ("effectiveness", "exposure")
        for c, cid in enumerate(ids)
        if f"{cid}.{name}" in p.schedules
    ]
    scheduled += [
        ("lethality", side, p.schedules[f"{role}.lethality"])
        for side, role in enumerate(("attacker", "defender"))
        if f"{role}.lethality" in p.schedules
    ]
    if "territory.advance" in p.schedules:
        scheduled.append(("advance", None, p.schedules["territory.advance"]))
    yield model.wait_for(Phase.CONDITIONS)
    if not effects and not scheduled:  # nothing changes them: each day starts again from the scenario's values
        yield from _unchanged_conditions(model, eff0, exp0)
    while True:
        eff, exp, adv, leth = np.copy(eff0), np.copy(exp0), np.ones(p.n), np.ones((p.n, 2), order="F")
        for mod, d_eff, d_exp, d_adv, d_leth in effects:
            g = mod.profile_at(model.day)
            if not g.any():
                continue
            for target, columns in ((eff, d_eff), (exp, d_exp), (leth, d_leth)):
                for c, d in columns:
                    target[:, c] *= 1.0 + d * g
            if d_adv is not None:
                adv *= 1.0 + d_adv * g
        day = model.day
        arrays = {"effectiveness": eff, "exposure": exp, "lethality": leth, "advance": adv}
        for name, c, values in scheduled:
            if day < values.size and not np.isnan(values[day]):
                if c is None:
                    arrays[name] *= values[day]
                else:
                    arrays[name][:, c] *= values[day]
        s.effectiveness, s.exposure, s.advance, s.lethality = eff, exp, adv, leth
        yield model.env.timeout(1.0)


def _unchanged_conditions(model: Model, eff0: Array, exp0: Array) -> Generator[simpy.events.Event, Any, None]:
    """:func:`conditions` with no modifier or schedule: the scenario's values every day, written in place.

    The arrays are this process's own; where a process of a user's has put
    others in the state, fresh ones are set, as :func:`conditions` does
    every day.
    """
    s, n = model.state, model.params.n
    own: tuple[Array, ...] = ()
    while True:
        now = (s.effectiveness, s.exposure, s.advance, s.lethality)
        if len(own) == 4 and all(a is b for a, b in zip(now, own, strict=True)):
            np.copyto(own[0], eff0)
            np.copyto(own[1], exp0)
            own[2].fill(1.0)
            own[3].fill(1.0)
        else:
            own = (np.copy(eff0), np.copy(exp0), np.ones(n), np.ones((n, 2), order="F"))
            s.effectiveness, s.exposure, s.advance, s.lethality = own
        yield model.env.timeout(1.0)


def _timing_once(mod: ModifierParameters) -> ModifierParameters:
    """The modifier with its timing as one row when every replication has the same (its profile computed once)."""
    start, end, scale = (one_row_if_all_same(x) for x in (mod.start, mod.end, mod.scale))
    if start.shape == end.shape == scale.shape == (1,):
        return dataclasses.replace(mod, start=start, end=end, scale=scale)
    return mod


def _changed(multiplier: Array) -> Array | None:
    """``multiplier - 1`` (one row if the same in every replication), or None where it is 1 throughout."""
    return None if np.all(multiplier == 1.0) else one_row_if_all_same(multiplier - 1.0)


def _changed_columns(multiplier: Array) -> list[tuple[int, Array]]:
    """``(column, multiplier[:, column] - 1)`` of each column of ``(n, C)`` multipliers not 1 throughout."""
    return [(c, d) for c in range(multiplier.shape[1]) if (d := _changed(multiplier[:, c])) is not None]


def modifier_parameters(scenario: Scenario, n: int, values: dict[str, Any]) -> tuple[ModifierParameters, ...]:
    """Each enabled modifier laid out over a batch of ``n`` rows."""
    index = {cid: i for i, cid in enumerate(scenario.contingent_ids)}
    n_c = len(index)
    modifiers = []
    for mname, mod in scenario.modifiers.items():
        if not mod.enabled:
            continue
        base = f"modifiers.{mname}"
        eff = np.ones((n, n_c), order="F")
        exp = np.ones((n, n_c), order="F")
        adv = np.ones(n)
        leth = np.ones((n, 2), order="F")
        for target, mult in mod.multiply.items():
            for attr in ("effectiveness", "exposure", "advance", "lethality"):
                if getattr(mult, attr) is None:
                    continue
                v = values[f"{base}.multiply.{target}.{attr}"]
                if attr == "advance":
                    adv = adv * v
                elif attr == "lethality":
                    leth[:, 0 if target == "attacker" else 1] = v
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
                leth,
            )
        )
    return tuple(modifiers)


def validate(scenario: Scenario) -> None:
    """Each modifier's profile has the keys it needs and targets what it may."""
    for name, mod in scenario.modifiers.items():
        _validate_modifier(scenario, name, mod)


def _validate_modifier(scenario: Scenario, name: str, mod: Modifier) -> None:
    path = f"modifiers.{name}"
    needs = {"linear": "duration_days", "exponential": "tau_days"}
    for prof, key in needs.items():
        if mod.profile == prof and getattr(mod, key) is None:
            raise ScenarioError(f"{path}.{key}", None, f"a value: profile '{prof}' needs it")
        if mod.profile != prof and getattr(mod, key) is not None:
            raise ScenarioError(f"{path}.{key}", getattr(mod, key), f"no value: only profile '{prof}' uses it")
    if mod.end is not None and mod.profile != "step":
        raise ScenarioError(f"{path}.end", mod.end, "no value: only profile 'step' uses it")
    if not mod.multiply:
        raise ScenarioError(f"{path}.multiply", {}, "at least one target, e.g. multiply.ru.effectiveness = 0.8")
    for target, mult in mod.multiply.items():
        sub = f"{path}.multiply.{target}"
        if target == "territory":
            allowed_keys = ("advance",)
        elif target in ("attacker", "defender"):
            allowed_keys = ("lethality",)
        elif target in scenario.contingents:
            allowed_keys = ("effectiveness", "exposure")
        else:
            raise ScenarioError(
                sub, None, f"a contingent id {sorted(scenario.contingents)}, 'territory', 'attacker' or 'defender'"
            )
        bad = [
            k
            for k in ("effectiveness", "exposure", "advance", "lethality")
            if k not in allowed_keys and getattr(mult, k) is not None
        ]
        allowed = " or ".join(allowed_keys)
        if bad:
            raise ScenarioError(f"{sub}.{bad[0]}", getattr(mult, bad[0]), f"only {allowed} for this target")
        if all(getattr(mult, k) is None for k in allowed_keys):
            raise ScenarioError(sub, {}, f"a multiplier: {allowed}")


RULE = Rule(
    name="modifiers",
    doc="multipliers on effectiveness, exposure, the advance and lethality over time (and the schedules of these)",
    processes=lambda params: [conditions],
    sections=(Section("modifiers", Modifier, "multipliers over time", default=dict, named=True),),
    validate=validate,
)
