"""Declarative parameter schema: specs, parsing and validation of sections.

Every scenario section is a frozen dataclass whose fields carry a
:class:`Spec` (unit, description, allowed range, whether it may be
uncertain). The generic functions here turn the plain-dict form of a section
(as read from TOML) into that dataclass and back, and raise
:class:`~kursk_sim.errors.ScenarioError` naming the parameter path for every
kind of bad input: unknown keys, missing values, wrong types, NaN, values out
of range. Nothing is clamped.

A leaf value in the dict form is one of::

    50000                                          # a plain value
    {value = 50000, source = "article: ..."}       # a value with provenance
    {dist = "uniform", low = 1, high = 2, assumption = "..."}   # uncertain

Provenance keys are ``source`` (a citation), ``assumption`` (why a value the
source does not give was chosen), ``range`` (plausible ``[low, high]`` for
sweeps) and ``note``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from .distributions import Distribution, distribution_from_dict
from .errors import ScenarioError, _show

__all__ = [
    "Spec",
    "Provenance",
    "param",
    "section",
    "named_sections",
    "Value",
    "DateValue",
    "MAX_TROOPS",
    "MAX_TROOPS_PER_DAY",
    "MAX_AREA_KM2",
]

#: Largest count of troops a parameter may hold (strengths, sizes, ceilings): far above any front, and low enough
#: that every count the model reaches stays exact and inside the quantile sketch's range (2**40).
MAX_TROOPS = 1e9
#: Largest area a parameter may hold (km²): twice the Earth's surface, low enough that every area the model reaches
#: stays inside the quantile sketch's range, whatever the replication count.
MAX_AREA_KM2 = 1e9
#: Largest daily flow of troops (replenishment, mobilisation): ``MAX_TROOPS`` a decade over 36 years stays in range.
MAX_TROOPS_PER_DAY = 1e8
#: The largest uniform variate below 1 (``open_unit``'s largest draws round to it or to 1): where an unbounded
#: distribution's largest draw is, for the check of what its tail reaches.
LARGEST_U = 1.0 - 2.0**-53
#: A number parameter: fixed, or uncertain (drawn per replication).
Value = float | Distribution
#: A date parameter: fixed, or uncertain.
DateValue = dt.date | Distribution

PROVENANCE_KEYS = ("source", "assumption", "range", "note")
_LEAF_KEYS = {"value", *PROVENANCE_KEYS}


@dataclass(frozen=True)
class Provenance:
    """Where a parameter value comes from.

    Attributes
    ----------
    source : str or None
        Citation of the figure (article, report, paper).
    assumption : str or None
        Reason for a value that no source gives.
    range : tuple of float or None
        Plausible ``(low, high)`` for sensitivity studies (not sampled).
    note : str or None
        Anything else worth knowing.
    """

    source: str | None = None
    assumption: str | None = None
    range: tuple[Any, Any] | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in PROVENANCE_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if key == "range" else value
        return out

    def describe(self) -> str:
        """One line: source, or 'assumption: ...', plus range."""
        parts = []
        if self.source:
            parts.append(self.source)
        if self.assumption:
            parts.append(f"assumption: {self.assumption}")
        if self.range:
            parts.append(f"range {self.range[0]}..{self.range[1]}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


@dataclass(frozen=True)
class Spec:
    """What one parameter accepts.

    ``kind`` is one of ``number``, ``int``, ``date``, ``str``, ``bool``,
    ``choice``, ``numbers`` or ``dates`` (non-empty lists), ``section`` (a
    nested dataclass) or ``named`` (a table of named nested dataclasses).
    """

    kind: str = "number"
    unit: str = ""
    doc: str = ""
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    uncertain: bool = True
    choices: tuple[str, ...] = ()
    cls: Any = None

    def bounds_text(self) -> str:
        parts = []
        if self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.gt is not None:
            parts.append(f"> {self.gt:g}")
        if self.le is not None:
            parts.append(f"<= {self.le:g}")
        if self.lt is not None:
            parts.append(f"< {self.lt:g}")
        return " and ".join(parts)

    def check_span(self, lo: float, hi: float, path: str, given: Any, what: str) -> None:
        """Refuse ``[lo, hi]`` (a declared range, bounds to fit or sample within) reaching outside the allowed values.

        Checked as given, so the error names what the user wrote rather than a value drawn from it later.
        """
        if not self.allows(lo, hi):
            raise ScenarioError(path, given, f"{what} within what the parameter allows ({self.bounds_text()})")

    def allows(self, lo: float, hi: float) -> bool:
        """True when every value in ``[lo, hi]`` is allowed."""
        return not (
            (self.ge is not None and lo < self.ge)
            or (self.gt is not None and lo <= self.gt)
            or (self.le is not None and hi > self.le)
            or (self.lt is not None and hi >= self.lt)
        )


def param(
    unit: str = "",
    doc: str = "",
    *,
    kind: str = "number",
    default: Any = MISSING,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    uncertain: bool = True,
    choices: tuple[str, ...] = (),
) -> Any:
    """A dataclass field carrying its :class:`Spec`.

    An area (unit ``km²``) is at most :data:`MAX_AREA_KM2` unless a lower bound is given.
    """
    if unit == "km²" and kind == "number" and le is None and lt is None:
        le = MAX_AREA_KM2
    spec = Spec(kind, unit, doc, ge, gt, le, lt, uncertain and kind in ("number", "date"), choices)
    return field(default=default, metadata={"spec": spec})


def section(cls: type, doc: str = "", *, default_factory: Any = MISSING) -> Any:
    """A field holding a nested section dataclass."""
    spec = Spec("section", doc=doc, uncertain=False, cls=cls)
    if default_factory is MISSING:
        return field(metadata={"spec": spec})
    return field(default_factory=default_factory, metadata={"spec": spec})


def named_sections(cls: type, doc: str = "") -> Any:
    """A field holding ``{name: section}`` of one dataclass type."""
    spec = Spec("named", doc=doc, uncertain=False, cls=cls)
    return field(default_factory=dict, metadata={"spec": spec})


def spec_of(f: Any) -> Spec:
    return f.metadata["spec"]


def suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_key(path: str, key: str, value: Any, known: list[str]) -> ScenarioError:
    where = f"{path}.{key}" if path else key
    return ScenarioError(where, given(value), f"one of the known keys {known}{suggest(key, known)}")


def wrapped(value: Any) -> bool:
    """Whether ``value`` is a plain value with provenance (``{value = ..., note = ...}``), not a table of keys."""
    return (
        isinstance(value, Mapping)
        and "value" in value
        and not isinstance(value["value"], Mapping)
        and set(value) <= _LEAF_KEYS
    )


def given(value: Any) -> Any:
    """The value as the user gave it: without the ``{value = ..., note = ...}`` wrapper around a plain value."""
    return value["value"] if wrapped(value) else value


# ---------------------------------------------------------------------------
# leaves


def _coerce_date(value: Any, path: str) -> dt.date:
    """A date from a date, a datetime at midnight, a ``numpy.datetime64`` or ``YYYY-MM-DD``; a time of day is refused."""
    if isinstance(value, np.datetime64) and not np.isnat(value):
        day = value.astype("datetime64[D]")
        if day != value:
            raise ScenarioError(path, value, "a date (YYYY-MM-DD), without a time of day")
        value = day.item()
    if isinstance(value, dt.datetime):
        if value.time() != dt.time() or value.tzinfo is not None:
            raise ScenarioError(path, value, "a date (YYYY-MM-DD), without a time of day")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ScenarioError(path, value, "a date (YYYY-MM-DD)")


def plain_number(value: Any) -> int | float | None:
    """``value`` as a Python int or float if it is a number (NumPy scalars included, booleans not), else None.

    Integers too large for a float (``10**400``) come back as ``inf``, which
    every check then refuses as not finite.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]  # a 0-d array: the NumPy scalar it holds
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    if isinstance(value, (int, np.integer)):
        value = int(value)
        return value if abs(value) <= 2**1023 else (math.inf if value > 0 else -math.inf)
    return float(value)


def _check_number(value: Any, spec: Spec, path: str) -> float:
    number = plain_number(value)
    if number is None:
        raise ScenarioError(path, value, f"a number{_unit(spec)}")
    x = float(number)
    if not math.isfinite(x):
        raise ScenarioError(path, value, f"a finite number{_unit(spec)}")
    if not spec.allows(x, x):
        raise ScenarioError(path, value, f"a number {spec.bounds_text()}{_unit(spec)}")
    return x


def _unit(spec: Spec) -> str:
    return f" ({spec.unit})" if spec.unit else ""


def parse_leaf(raw: Any, spec: Spec, path: str, prov: dict[str, Provenance]) -> Any:
    """Parse one leaf value, recording its provenance under ``path``."""
    if isinstance(raw, Mapping):
        node = dict(raw)
        meta = {k: node.pop(k) for k in PROVENANCE_KEYS if k in node}
        prov[path] = _provenance(meta, path)
        if prov[path].range is not None:
            _check_range(prov[path].range, spec, f"{path}.range")
        if "dist" in node:
            if not spec.uncertain:
                raise ScenarioError(path, node, f"a fixed {spec.kind} (this parameter cannot be uncertain)")
            return _check_distribution(distribution_from_dict(node, path), spec, path)
        if set(node) != {"value"}:
            extra = sorted(set(node) - {"value"})
            if "value" not in node:
                raise ScenarioError(path, raw, "a value: a plain value, {value = ...} or {dist = ...}")
            raise unknown_key(path, extra[0], node[extra[0]], ["value", "dist", *PROVENANCE_KEYS])
        raw = node["value"]
    else:
        prov[path] = Provenance()  # given, without a source
    if isinstance(raw, Distribution):
        if not spec.uncertain:
            raise ScenarioError(path, raw, f"a fixed {spec.kind} (this parameter cannot be uncertain)")
        raw._check(path)
        return _check_distribution(raw, spec, path)
    return _parse_fixed(raw, spec, path)


def _parse_fixed(raw: Any, spec: Spec, path: str) -> Any:
    if spec.kind == "number":
        return _check_number(raw, spec, path)
    if spec.kind == "int":
        raw = plain_number(raw) if plain_number(raw) is not None else raw
        whole = isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer())
        if isinstance(raw, bool) or not whole:
            raise ScenarioError(path, raw, f"a whole number{_unit(spec)}")
        x = _check_number(raw, spec, path)
        return int(x)
    if spec.kind == "date":
        return _coerce_date(raw, path)
    if spec.kind == "str":
        if not isinstance(raw, str):
            raise ScenarioError(path, raw, "a string")
        return raw
    if spec.kind == "bool":
        raw = bool(raw) if isinstance(raw, np.bool_) else raw
        if not isinstance(raw, bool):
            raise ScenarioError(path, raw, "true or false")
        return raw
    if spec.kind in ("numbers", "dates"):  # a list: each element a number (within the bounds) or a date
        if isinstance(raw, (str, bytes, Mapping)) or not isinstance(raw, (list, tuple)) or not raw:
            raise ScenarioError(path, raw, f"a non-empty list of {'dates' if spec.kind == 'dates' else 'numbers'}")
        one = Spec(
            "date" if spec.kind == "dates" else "number", spec.unit, spec.doc, spec.ge, spec.gt, spec.le, spec.lt
        )
        return tuple(_parse_fixed(x, one, f"{path}[{i}]") for i, x in enumerate(raw))
    if spec.kind == "choice":
        if raw not in spec.choices:
            raise ScenarioError(path, raw, f"one of {list(spec.choices)}{suggest(str(raw), list(spec.choices))}")
        return raw
    raise AssertionError(spec.kind)


def _check_distribution(dist: Distribution, spec: Spec, path: str) -> Distribution:
    if spec.kind == "date":
        if not dist.is_date:
            expected = "a distribution whose low/high/mode/mean are dates"
            if dist.name == "empirical":
                expected = "a uniform, triangular or normal distribution of dates (an empirical one holds numbers only)"
            raise ScenarioError(path, dist.to_dict(), expected)
        return dist
    if dist.is_date:
        raise ScenarioError(path, dist.to_dict(), f"a distribution of numbers{_unit(spec)}, not dates")
    lo, hi = dist.support()
    if not spec.allows(lo, hi) and math.isfinite(hi):
        raise ScenarioError(
            path,
            dist.to_dict(),
            f"a distribution whose every draw is {spec.bounds_text()} (its support is [{lo:g}, {hi:g}])",
        )
    if not spec.allows(lo, hi):  # an unbounded tail: what the sampler can reach is its largest draw
        largest = float(dist.ppf(np.array([LARGEST_U]))[0])
        if not math.isfinite(largest) or not spec.allows(lo, largest):
            raise ScenarioError(
                path,
                dist.to_dict(),
                f"a distribution whose every draw is {spec.bounds_text()} (its largest draw is {largest:g})",
            )
    return dist


def _check_range(rng: tuple[Any, Any], spec: Spec, path: str) -> None:
    """A declared range (for sweeps and sensitivity): two finite numbers or two dates, low < high."""
    if spec.kind not in ("number", "int", "date"):
        raise ScenarioError(path, list(rng), f"no range: a {spec.kind} parameter does not vary")
    ends = []
    for x in rng:
        number = plain_number(x)
        if number is not None and math.isfinite(number):
            ends.append(float(number))
            continue
        try:
            ends.append(_coerce_date(x, path))
        except ScenarioError:
            raise ScenarioError(path, list(rng), "a range [low, high] of two finite numbers or two dates") from None
    if isinstance(ends[0], dt.date) != isinstance(ends[1], dt.date):
        raise ScenarioError(path, list(rng), "a range [low, high] of two finite numbers or two dates")
    dates = isinstance(ends[0], dt.date)
    if dates != (spec.kind == "date"):
        raise ScenarioError(
            path, list(rng), f"a range of {'dates' if spec.kind == 'date' else 'numbers'}, as the value"
        )
    if not ends[0] < ends[1]:
        raise ScenarioError(path, list(rng), "a range [low, high] with low < high")
    if not dates:
        spec.check_span(ends[0], ends[1], path, list(rng), "a range")


def _provenance(meta: dict[str, Any], path: str) -> Provenance:
    for key in ("source", "assumption", "note"):
        if key in meta and not isinstance(meta[key], str):
            raise ScenarioError(f"{path}.{key}", meta[key], "a string")
    rng = meta.get("range")
    if rng is not None:
        if not (isinstance(rng, (list, tuple)) and len(rng) == 2):
            raise ScenarioError(f"{path}.range", rng, "a list [low, high]")
        rng = tuple(rng)
    return Provenance(meta.get("source"), meta.get("assumption"), rng, meta.get("note"))


def leaf_to_raw(value: Any, provenance: Provenance | None) -> Any:
    """The dict form of a leaf, with its provenance inlined."""
    node: Any = value.to_dict() if isinstance(value, Distribution) else value
    if provenance is None:
        return node
    meta = provenance.to_dict()
    if not meta:
        return node
    if isinstance(node, dict):
        return {**node, **meta}
    return {"value": node, **meta}


# ---------------------------------------------------------------------------
# sections


def parse_section(
    cls: type,
    raw: Any,
    path: str,
    prov: dict[str, Provenance],
    extra: tuple[str, type] | None = None,
) -> Any:
    """Parse ``raw`` (a dict) into the dataclass ``cls``.

    ``extra = (field_name, section_class)`` sends every unknown sub-table to
    ``field_name`` as a named section (a contingent's reinforcement waves);
    unknown scalars are always an error.
    """
    if not isinstance(raw, Mapping) or wrapped(raw):
        raise ScenarioError(path, given(raw), f"a table of {cls.__name__} parameters")
    known = {f.name: f for f in fields(cls) if f.init and "spec" in f.metadata}
    if extra is None:
        extra = getattr(cls, "EXTRA_TABLES", None)
    kwargs: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise ScenarioError(path, key, "keys that are names (strings)")
        sub = f"{path}.{key}" if path else key
        if key not in known:
            if extra is not None and isinstance(value, Mapping) and "value" not in value and "dist" not in value:
                extras[key] = value
                continue
            if extra is None:
                raise unknown_key(path, key, value, sorted(known))
            # a key of its own here names a table (a wave, a target): say so
            table = f"a {extra[1].__name__} table"
            names = sorted(known)
            what = f"one of the known keys {names} or {table}" if names else table
            raise ScenarioError(_join(path, key), given(value), f"{what}{suggest(key, names)}")
        spec = spec_of(known[key])
        if spec.kind == "section":
            kwargs[key] = parse_section(spec.cls, value, sub, prov)
        elif spec.kind == "named":
            if not isinstance(value, Mapping) or wrapped(value):
                raise ScenarioError(sub, given(value), f"a table of named {spec.cls.__name__} tables")
            kwargs[key] = {name: parse_section(spec.cls, item, f"{sub}.{name}", prov) for name, item in value.items()}
        else:
            kwargs[key] = parse_leaf(value, spec, sub, prov)
    if extra is not None:
        target, extra_cls = extra
        for key, value in extras.items():
            if not key.isidentifier():
                raise ScenarioError(_join(path, key or repr(key)), value, "a name made of letters, digits and _")
            try:
                extras[key] = parse_section(extra_cls, value, _join(path, key), prov)
            except ScenarioError as err:
                hint = suggest(key, sorted(known))
                if not hint:  # a table of its own (a contingent, a wave): the error is about its contents
                    raise
                # a name close to a key of this table: most likely a typo of it rather than a new table, so
                # the error names the table's own path first and says why it is not a table of its own either
                inner = err.path.removeprefix(f"{_join(path, key)}.")
                raise ScenarioError(
                    _join(path, key),
                    value,
                    f"a {cls.__name__} key{hint}; read as a {extra_cls.__name__} table it fails at {inner}: got "
                    f"{_show(err.value)}, expected {err.expected}",
                ) from None
        kwargs[target] = extras
    for name, f in known.items():
        if name not in kwargs and f.default is MISSING and f.default_factory is MISSING:
            sub = f"{path}.{name}" if path else name
            spec = spec_of(f)
            raise ScenarioError(sub, None, f"a value: this parameter is required{_unit(spec)}")
    return cls(**kwargs)


def section_to_raw(obj: Any, path: str, prov: Mapping[str, Provenance]) -> dict[str, Any]:
    """The dict form of a section, the inverse of :func:`parse_section`."""
    out: dict[str, Any] = {}
    extra = getattr(type(obj), "EXTRA_TABLES", None)
    for f in fields(obj):
        value = getattr(obj, f.name)
        if extra is not None and f.name == extra[0]:
            for name, item in value.items():
                out[name] = section_to_raw(item, _join(path, name), prov)
            continue
        if "spec" not in f.metadata:
            continue
        sub = _join(path, f.name)
        spec = spec_of(f)
        if value is None:
            continue
        if spec.kind == "section":
            out[f.name] = section_to_raw(value, sub, prov)
        elif spec.kind == "named":
            out[f.name] = {name: section_to_raw(item, f"{sub}.{name}", prov) for name, item in value.items()}
        else:
            out[f.name] = leaf_to_raw(value, prov.get(sub))
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def iter_leaves(obj: Any, path: str = ""):
    """Yield ``(path, value, spec)`` for every leaf parameter of a section."""
    extra = getattr(type(obj), "EXTRA_TABLES", None)
    for f in fields(obj):
        value = getattr(obj, f.name)
        if extra is not None and f.name == extra[0]:
            for name, item in value.items():
                yield from iter_leaves(item, _join(path, name))
            continue
        if "spec" not in f.metadata:
            continue
        sub = _join(path, f.name)
        spec = spec_of(f)
        if spec.kind == "section":
            if value is not None:
                yield from iter_leaves(value, sub)
        elif spec.kind == "named":
            for name, item in value.items():
                yield from iter_leaves(item, f"{sub}.{name}")
        elif is_dataclass(value) and not isinstance(value, Distribution):
            yield from iter_leaves(value, sub)
        else:
            yield sub, value, spec
