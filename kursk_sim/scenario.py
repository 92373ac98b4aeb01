"""Scenarios: every parameter of a run, validated, with units and sources.

A :class:`Scenario` is a frozen tree of small frozen dataclasses. It is
usually read from a TOML file (:func:`load_scenario`), changed with
:meth:`Scenario.replace`, printed with :meth:`Scenario.describe` and written
back with :meth:`Scenario.save`. Every leaf value may be fixed or uncertain
(a :mod:`~kursk_sim.distributions` distribution drawn once per replication).

Parameter paths mirror the TOML layout: ``ru.replenishment.per_day``,
``kpa.second_wave.probability`` (a reinforcement wave is a named table inside
its contingent), ``modifiers.offensive.multiply.ru.effectiveness``.

Examples
--------
>>> import kursk_sim as ks
>>> sc = ks.load_scenario("kursk-2024")
>>> sc.contingent_ids
('ru', 'kpa', 'ua')
>>> sc2 = sc.replace({"ru.replenishment.per_day": 900})
>>> sc2.get("ru.replenishment.per_day")
900.0
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from . import schema
from .constraints import Intervals, check_constraints
from .distributions import Distribution
from .errors import ScenarioError
from .schema import Provenance, named_sections, param, section
from .toml_writer import dumps as toml_dumps

__all__ = [
    "Scenario",
    "Side",
    "Contingent",
    "Casualties",
    "ReturnToDuty",
    "Replenishment",
    "Wave",
    "Law",
    "Exponents",
    "Noise",
    "Territory",
    "Withdrawal",
    "Encirclement",
    "Mobilisation",
    "Modifier",
    "Multipliers",
    "load_scenario",
    "builtin_scenarios",
]

Value = float | Distribution
DateValue = dt.date | Distribution

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
class ReturnToDuty:
    """Wounded returning to duty after a random delay.

    The delay is the sum of ``stages`` independent geometric stage times of
    mean ``mean_delay_days / stages`` (a discrete Erlang, i.e. a shifted
    negative binomial distribution; see docs/model.md).
    """

    share: Value = param("share", "share of the wounded who return to duty", ge=0.0, le=1.0, default=0.0)
    mean_delay_days: Value = param("days", "mean delay before return", ge=1.0, default=30.0)
    stages: int = param("1", "stages of the delay: more stages, less spread", kind="int", ge=1, le=12, default=2)


@dataclass(frozen=True, kw_only=True)
class Replenishment:
    """A steady inflow of replacements.

    The daily quota is ``per_day * (1 - decline_per_day) ** days_since_start``
    between ``start`` and ``stop``; while the contingent is at or above
    ``cap`` (a strength ceiling), no replacements arrive.
    """

    per_day: Value = param("troops/day", "daily inflow at its start", ge=0.0, default=0.0)
    start: DateValue | None = param("date", "first day of inflow (default: scenario start)", kind="date", default=None)
    stop: DateValue | None = param("date", "day the inflow stops (default: never)", kind="date", default=None)
    cap: Value | None = param("troops", "strength ceiling the inflow fills up to (default: none)", ge=0.0, default=None)
    decline_per_day: Value = param("1/day", "fractional daily decline of the quota", ge=0.0, lt=1.0, default=0.0)


@dataclass(frozen=True, kw_only=True)
class Wave:
    """A discrete reinforcement: ``size`` troops arrive on ``date`` with ``probability``."""

    size: Value = param("troops", "troops arriving", ge=0.0)
    date: DateValue = param("date", "arrival date", kind="date")
    probability: Value = param("probability", "chance the wave happens at all", ge=0.0, le=1.0, default=1.0)


@dataclass(frozen=True, kw_only=True)
class Contingent:
    """A force on one side with its own strength, quality and losses.

    Any sub-table that is not one of the keys below is a reinforcement
    :class:`Wave` of this contingent, named by its key.
    """

    EXTRA_TABLES: ClassVar[tuple[str, type]] = ("waves", Wave)

    side: str = param("", "attacker | defender", kind="choice", choices=("attacker", "defender"))
    name: str = param("", "display name", kind="str")
    strength: Value = param("troops", "strength at the start", ge=0.0)
    effectiveness: Value = param("1", "fire effectiveness per soldier (relative)", ge=0.0, default=1.0)
    exposure: Value = param("1", "share of the enemy's fire drawn per soldier (relative)", ge=0.0, default=1.0)
    casualties: Casualties = section(Casualties, "how losses split")
    return_to_duty: ReturnToDuty = section(ReturnToDuty, "wounded returning", default_factory=ReturnToDuty)
    replenishment: Replenishment = section(Replenishment, "steady inflow", default_factory=Replenishment)
    waves: dict[str, Wave] = field(default_factory=dict)


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


@dataclass(frozen=True, kw_only=True)
class Territory:
    """Area held by the defender and how the force ratio moves it.

    Each day the defender loses
    ``advance_km2_per_day * max(ratio - threshold_ratio, 0)`` km², where
    ``ratio`` is the attacker's effective strength over the defender's.
    """

    initial_area_km2: Value = param("km²", "area held by the defender at the start", ge=0.0)
    reference_area_km2: Value = param("km²", "area at stake, for shares (default: initial)", gt=0.0, default=None)
    threshold_ratio: Value = param("1", "force ratio below which the attacker gains no ground", ge=0.0, default=1.0)
    advance_km2_per_day: Value = param(
        "km²/day", "ground taken per day per unit of ratio above threshold", ge=0.0, default=0.0
    )


@dataclass(frozen=True, kw_only=True)
class Withdrawal:
    """The defender withdraws the day the first enabled criterion holds."""

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    strength_below: Value | None = param(
        "share", "withdraw when side strength < this share of its start", ge=0.0, le=1.0, default=None
    )
    area_below_km2: Value | None = param("km²", "withdraw when area held < this", ge=0.0, default=None)
    on_date: DateValue | None = param("date", "withdraw on this date at the latest", kind="date", default=None)


@dataclass(frozen=True, kw_only=True)
class Encirclement:
    """Risk of encirclement while the defender holds too little ground."""

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    area_below_km2: Value = param("km²", "the daily hazard applies while area held < this", ge=0.0, default=0.0)
    daily_hazard: Value = param(
        "probability/day", "chance of encirclement each day at risk", ge=0.0, le=1.0, default=0.0
    )
    loss_fraction: Value = param(
        "share", "share of the defender's strength lost when encircled", ge=0.0, le=1.0, default=0.5
    )
    captured_share: Value = param(
        "share", "share of those losses captured (the rest killed)", ge=0.0, le=1.0, default=0.5
    )


@dataclass(frozen=True, kw_only=True)
class Mobilisation:
    """The attacker mobilises when replenishment fails and losses mount."""

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    contingent: str = param("", "attacker contingent that receives the mobilised troops", kind="str", default="")
    replenishment_below: Value = param(
        "troops/day", "fires once that contingent's quota is below this", ge=0.0, default=0.0
    )
    losses_above: Value = param("troops", "and the attacker's cumulative casualties exceed this", ge=0.0, default=0.0)
    delay_days: Value = param("days", "days from decision to first arrivals", ge=0.0, default=60.0)
    per_day: Value = param(
        "troops/day", "extra daily inflow once mobilised (not limited by the cap)", ge=0.0, default=0.0
    )


@dataclass(frozen=True, kw_only=True)
class Multipliers:
    """Full-effect multipliers of one target (contingent or ``territory``)."""

    effectiveness: Value | None = param("1", "multiplier on fire effectiveness", ge=0.0, default=None)
    exposure: Value | None = param("1", "multiplier on exposure", ge=0.0, default=None)
    advance: Value | None = param(
        "1", "multiplier on the territorial advance (target 'territory')", ge=0.0, default=None
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


META_KEYS = ("name", "title", "start_date", "end_date")
SECTION_KEYS = (
    "law",
    "attacker",
    "defender",
    "noise",
    "territory",
    "withdrawal",
    "encirclement",
    "mobilisation",
    "modifiers",
)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Everything one run needs.

    Build it from a file with :func:`load_scenario` or from a dict with
    :meth:`from_dict`; the constructor itself validates nothing, so prefer
    those. Top-level tables that are not one of the section names are
    contingents, keyed by their id.

    Attributes
    ----------
    name, title : str
        Identifier and one-line description.
    start_date, end_date : datetime.date
        The calendar span; the horizon is ``end_date - start_date`` days.
    contingents : dict of str to Contingent
        In file order; attackers and defenders mixed.
    provenance : dict of str to Provenance
        Source or assumption of each parameter path that has one.
    """

    EXTRA_TABLES: ClassVar[tuple[str, type]] = ("contingents", Contingent)

    name: str = param("", "identifier", kind="str")
    title: str = param("", "one-line description", kind="str", default="")
    start_date: dt.date = param("date", "day 0 of the run", kind="date", uncertain=False)
    end_date: dt.date = param("date", "last instant of the run", kind="date", uncertain=False)
    law: Law = section(Law, "attrition law", default_factory=Law)
    attacker: Side = section(Side, "the attacking side")
    defender: Side = section(Side, "the defending side")
    noise: Noise = section(Noise, "scatter of realised losses", default_factory=Noise)
    territory: Territory = section(Territory, "ground held by the defender")
    withdrawal: Withdrawal = section(
        Withdrawal, "defender's withdrawal rule", default_factory=lambda: Withdrawal(enabled=False)
    )
    encirclement: Encirclement = section(
        Encirclement, "encirclement risk", default_factory=lambda: Encirclement(enabled=False)
    )
    mobilisation: Mobilisation = section(
        Mobilisation, "attacker's mobilisation", default_factory=lambda: Mobilisation(enabled=False)
    )
    modifiers: dict[str, Modifier] = named_sections(Modifier, "multipliers over time")
    contingents: dict[str, Contingent] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name}: {self.start_date}..{self.end_date}, "
            f"contingents {', '.join(self.contingent_ids)}; describe() lists every parameter>"
        )

    # ----------------------------------------------------------------- build
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate the dict form (as read from TOML) and build a scenario.

        Raises
        ------
        ScenarioError
            Naming the parameter path, the value and what was expected.
        """
        prov: dict[str, Provenance] = {}
        body = schema.parse_section(cls, data, "", prov)
        sc = cls(**{f.name: getattr(body, f.name) for f in fields(cls) if f.name != "provenance"}, provenance=prov)
        sc._validate()
        return sc

    def to_dict(self) -> dict[str, Any]:
        """The dict form, provenance inlined; ``from_dict`` inverts it."""
        return schema.section_to_raw(self, "", self.provenance)

    # ------------------------------------------------------------- validate
    def _validate(self) -> None:
        if not self.name:
            raise ScenarioError("name", self.name, "a non-empty scenario name")
        if self.end_date <= self.start_date:
            raise ScenarioError("end_date", self.end_date, f"a date after start_date={self.start_date}")
        for key in self.contingents:
            if not key.isidentifier():
                raise ScenarioError(key, None, "a contingent id made of letters, digits and _")
        for role in ("attacker", "defender"):
            if not any(c.side == role for c in self.contingents.values()):
                raise ScenarioError("", sorted(self.contingents), f"at least one contingent with side = '{role}'")
        if self.attacker.id == self.defender.id:
            raise ScenarioError("defender.id", self.defender.id, "an id different from attacker.id")
        law = self.law
        if law.preset == "custom" and (law.attacker is None or law.defender is None):
            raise ScenarioError(
                "law", law.preset, "both [law.attacker] and [law.defender] exponents for preset 'custom'"
            )
        if law.preset != "custom" and (law.attacker is not None or law.defender is not None):
            raise ScenarioError("law.preset", law.preset, "'custom' when exponents are given (or no exponents)")
        for name, mod in self.modifiers.items():
            self._validate_modifier(name, mod)
        mob = self.mobilisation
        if mob.enabled:
            target = self.contingents.get(mob.contingent)
            if target is None or target.side != "attacker":
                attackers = [k for k, c in self.contingents.items() if c.side == "attacker"]
                raise ScenarioError(
                    "mobilisation.contingent", mob.contingent, f"an attacker contingent, one of {attackers}"
                )
        self._validate_joint_samples()
        check_constraints(self, Intervals(self))

    def _validate_joint_samples(self) -> None:
        """The columns of a joint sample (an empirical group) must have the same rows and weights."""
        first: dict[str, tuple[str, Any]] = {}
        for path, value, _ in schema.iter_leaves(self):
            group = getattr(value, "group", "") if isinstance(value, Distribution) else ""
            if not group:
                continue
            if group not in first:
                first[group] = (path, value)
                continue
            other_path, other = first[group]
            if len(value.values) != len(other.values) or value.weights != other.weights:
                raise ScenarioError(
                    path,
                    value.summary(),
                    f"as many values, with the same weights, as the other columns of group '{group}' ({other_path})",
                )

    def _validate_modifier(self, name: str, mod: Modifier) -> None:
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
                bad = [k for k in ("effectiveness", "exposure") if getattr(mult, k) is not None]
                allowed = "advance"
            elif target in self.contingents:
                bad = ["advance"] if mult.advance is not None else []
                allowed = "effectiveness or exposure"
            else:
                raise ScenarioError(sub, None, f"a contingent id {sorted(self.contingents)} or 'territory'")
            if bad:
                raise ScenarioError(f"{sub}.{bad[0]}", getattr(mult, bad[0]), f"only {allowed} for this target")

    # ------------------------------------------------------------- access
    @property
    def contingent_ids(self) -> tuple[str, ...]:
        """Contingent ids in file order."""
        return tuple(self.contingents)

    @property
    def horizon_days(self) -> int:
        """Days from ``start_date`` to ``end_date``."""
        return (self.end_date - self.start_date).days

    def parameters(self) -> list[tuple[str, Any, str, str]]:
        """Every parameter that is set: ``(path, value, unit, provenance)``.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> rows = ks.load_scenario("kursk-2024").parameters()
        >>> [r for r in rows if r[0] == "kpa.strength"][0][1:3]
        (11000.0, 'troops')
        """
        rows = []
        for path, value, spec in schema.iter_leaves(self):
            if value is None:  # an optional parameter that is not set
                continue
            prov = self.provenance.get(path)
            rows.append((path, value, spec.unit, prov.describe() if prov else "library default"))
        return rows

    def get(self, path: str) -> Any:
        """The value (number, date or distribution) at a dotted parameter path."""
        rows = self.parameters()
        for p, value, *_ in rows:
            if p == path:
                return value
        raise ScenarioError(path, None, f"a known parameter path{schema.suggest(path, [r[0] for r in rows])}")

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """A new scenario with some parameters changed, validated again.

        Parameters
        ----------
        changes : mapping of str to value
            Dotted path to new value: a number, a date (or ISO string), a
            :class:`~kursk_sim.distributions.Distribution`, a dict in the TOML
            form, a whole table, or ``None`` to unset an optional parameter
            (a required one then fails validation). A replaced value loses its source and is
            noted as "set with Scenario.replace" (``describe`` shows it).

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            For an unknown path or an invalid value.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> sc = ks.load_scenario("kursk-2024").replace({"kpa.second_wave.probability": 1.0})
        >>> sc.get("kpa.second_wave.probability")
        1.0
        """
        data = self.to_dict()
        for path, value in changes.items():
            parts = path.split(".")
            node = data
            for i, part in enumerate(parts[:-1]):
                if not isinstance(node.get(part), Mapping) or "value" in node[part] or "dist" in node[part]:
                    here = ".".join(parts[: i + 1])
                    if part not in node and i == len(parts) - 2:
                        node[part] = {}  # an optional table not yet present
                    else:
                        known = [p for p, *_ in self.parameters()]
                        raise ScenarioError(
                            path,
                            value,
                            f"a known parameter path{schema.suggest(path, known)} ('{here}' is not a table)",
                        )
                node = node[part]
            if value is None:  # unset an optional parameter (a withdrawal criterion, a cap)
                node.pop(parts[-1], None)
                continue
            if isinstance(value, Distribution):
                value = value.to_dict()
            if isinstance(value, Mapping) and ("dist" in value or "value" in value):
                value = {"note": "set with Scenario.replace", **value}  # a note given with the value is kept
            elif not isinstance(value, Mapping):
                value = {"value": value, "note": "set with Scenario.replace"}
            node[parts[-1]] = value
        return Scenario.from_dict(data)

    # --------------------------------------------------------------- output
    def describe(self) -> str:
        """A table of every parameter: path, value, unit, source.

        Examples
        --------
        >>> import kursk_sim as ks
        >>> print(ks.load_scenario("kursk-2024").describe().splitlines()[0])  # doctest: +ELLIPSIS
        kursk-2024: ...
        """
        rows = [(p, _fmt_value(v), u, s) for p, v, u, s in self.parameters() if p not in ("name", "title")]
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        w2 = max(len(r[2]) for r in rows)
        lines = [f"{self.name}: {self.title}", ""]
        lines.append(f"{'parameter':<{w0}}  {'value':<{w1}}  {'unit':<{w2}}  source or assumption".rstrip())
        for p, v, u, s in rows:
            lines.append(f"{p:<{w0}}  {v:<{w1}}  {u:<{w2}}  {s}".rstrip())
        return "\n".join(lines)

    def to_toml(self) -> str:
        """The scenario as TOML text; ``load_scenario`` reads it back."""
        return toml_dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        """Write the scenario to a TOML file and return its path."""
        path = Path(path)
        path.write_text(self.to_toml(), encoding="utf-8")
        return path


def _fmt_value(v: Any) -> str:
    if isinstance(v, Distribution):
        return v.summary()
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package.

    Examples
    --------
    >>> "kursk-2024" in builtin_scenarios()
    True
    """
    folder = resources.files("kursk_sim") / "scenarios"
    return sorted(p.name[:-5].replace("_", "-") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a TOML scenario file by path.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        ``"kursk-2024"`` (see :func:`builtin_scenarios`) or a path to a
        ``.toml`` file.

    Returns
    -------
    Scenario

    Raises
    ------
    FileNotFoundError
        When neither a built-in name nor an existing file.
    ScenarioError
        When the file has an unknown key or an invalid value.

    Examples
    --------
    >>> import kursk_sim as ks
    >>> ks.load_scenario("kursk-2024").start_date
    datetime.date(2024, 11, 25)
    """
    text: str
    key = str(name_or_path)
    if key in builtin_scenarios():
        res = resources.files("kursk_sim") / "scenarios" / (key.replace("-", "_") + ".toml")
        text = res.read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise FileNotFoundError(
                f"no scenario '{key}': not a built-in ({', '.join(builtin_scenarios())}) and no such file"
            )
        text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError("", key, f"valid TOML ({err})") from None
    return Scenario.from_dict(data)
