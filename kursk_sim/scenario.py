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
from dataclasses import MISSING, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from . import schema
from .constraints import Intervals, check_constraints
from .distributions import Distribution
from .errors import ScenarioError
from .rules import RULES
from .rules import sections as rule_sections
from .rules.combat import Casualties, Exponents, Law, Noise, Side
from .rules.encirclement import Encirclement
from .rules.mobilisation import Mobilisation
from .rules.modifiers import Modifier, Multipliers
from .rules.return_to_duty import ReturnToDuty
from .rules.supply import Replenishment
from .rules.territory import Territory
from .rules.waves import Wave
from .rules.withdrawal import Withdrawal
from .schema import MAX_TROOPS, Provenance, Value, named_sections, param, section
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


def _with_rule_tables(*, contingent: bool) -> Any:
    """Class decorator: add the rules' tables to a class's fields, then make it a frozen dataclass.

    Each :class:`~kursk_sim.rules.Section` of :data:`kursk_sim.rules.RULES`
    becomes a field: a contingent's sub-table (``contingent=True``) or a
    top-level table of the scenario, in the registry's order, placed before
    ``contingents`` (or last). A contingent's named section (the waves) is
    its ``EXTRA_TABLES``: any sub-table that is not one of its keys.
    """

    def decorate(cls: type) -> type:
        own = dict(cls.__dict__.get("__annotations__", {}))
        added: dict[str, Any] = {}
        for sec in rule_sections(contingent):
            if sec.named and contingent:
                cls.EXTRA_TABLES = (sec.key, sec.cls)  # type: ignore[attr-defined]
                setattr(cls, sec.key, field(default_factory=dict))
                added[sec.key] = f"dict[str, {sec.cls.__name__}]"
            elif sec.named:
                setattr(cls, sec.key, named_sections(sec.cls, sec.doc))
                added[sec.key] = f"dict[str, {sec.cls.__name__}]"
            else:
                default = MISSING if sec.default is None else sec.default
                setattr(cls, sec.key, section(sec.cls, sec.doc, default_factory=default))
                added[sec.key] = sec.cls.__name__
        names = list(own)
        at = names.index("contingents") if "contingents" in names else len(names)
        cls.__annotations__ = {**{k: own[k] for k in names[:at]}, **added, **{k: own[k] for k in names[at:]}}
        return dataclass(frozen=True, kw_only=True)(cls)

    return decorate


@_with_rule_tables(contingent=True)
class Contingent:
    """A force on one side with its own strength, quality and losses.

    Any sub-table that is not one of the keys below is a reinforcement
    :class:`Wave` of this contingent, named by its key.
    """

    side: str = param("", "attacker | defender", kind="choice", choices=("attacker", "defender"))
    name: str = param("", "display name", kind="str")
    strength: Value = param("troops", "strength at the start", ge=0.0, le=MAX_TROOPS)
    effectiveness: Value = param("1", "fire effectiveness per soldier (relative)", ge=0.0, default=1.0)
    exposure: Value = param("1", "share of the enemy's fire drawn per soldier (relative)", ge=0.0, default=1.0)
    # then each rule's sub-tables (kursk_sim.rules): casualties, return_to_duty, replenishment, waves


META_KEYS = ("name", "title", "start_date", "end_date")


@_with_rule_tables(contingent=False)
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
    # here each rule's tables (kursk_sim.rules): law, attacker, defender, noise, territory, ...
    contingents: dict[str, Contingent] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name}: {self.start_date}..{self.end_date}, "
            f"contingents {', '.join(self.contingent_ids)}; describe() lists every parameter>"
        )

    # ----------------------------------------------------------------- build
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: str | Path | None = None) -> Scenario:
        """Validate the dict form (as read from TOML) and build a scenario.

        Files a table names (a schedule's ``file``) are read relative to
        ``base`` (default: the working directory).

        Raises
        ------
        ScenarioError
            Naming the parameter path, the value and what was expected.
        """
        if not isinstance(data, Mapping):
            raise ScenarioError("", type(data).__name__, "a table (a dict) of the scenario's keys")
        for rule in RULES:
            if rule.read_files is not None:
                data = rule.read_files(data, None if base is None else Path(base))
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
            side_id = getattr(self, role).id
            if not side_id.isidentifier():
                raise ScenarioError(f"{role}.id", side_id, "an id made of letters, digits and _ (it names events)")
            if not any(c.side == role for c in self.contingents.values()):
                raise ScenarioError("", sorted(self.contingents), f"at least one contingent with side = '{role}'")
        for rule in RULES:
            if rule.validate is not None:
                rule.validate(self)
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
        if not isinstance(changes, Mapping):
            raise TypeError(
                f"changes: got {type(changes).__name__}, expected a mapping of dotted parameter path to value, "
                "e.g. {'ru.replenishment.per_day': 900}"
            )
        data = self.to_dict()
        for path, value in changes.items():
            if not isinstance(path, str):
                raise ScenarioError(str(path), value, "a dotted parameter path (a string)")
            parts = path.split(".")
            if not all(parts):
                known = [p for p, *_ in self.parameters()]
                raise ScenarioError(
                    path, value, f"a dotted parameter path without empty parts{schema.suggest(path, known)}"
                )
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
    if isinstance(v, tuple):  # a list of dates or numbers (a schedule)
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
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
    base = None
    if key in builtin_scenarios():
        res = resources.files("kursk_sim") / "scenarios" / (key.replace("-", "_") + ".toml")
        text = res.read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if path.is_dir():
            raise ScenarioError("", key, "a scenario file (a TOML file), not a directory")
        if not path.is_file():
            raise FileNotFoundError(
                f"no scenario '{key}': not a built-in ({', '.join(builtin_scenarios())}) and no such file"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(
                "", key, "a UTF-8 text file of TOML (this one is binary or in another encoding)"
            ) from None
        base = path.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError("", key, f"valid TOML ({err})") from None
    return Scenario.from_dict(data, base=base)
