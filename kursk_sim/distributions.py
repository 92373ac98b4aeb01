"""Distributions for uncertain scenario parameters.

An uncertain parameter is drawn once per replication, at the start of the
run, from one of these distributions. Each distribution knows its support so
that a scenario can reject, when it is loaded, a distribution that could draw
a value the parameter does not allow (a normal distribution for a
probability, say).

Date parameters (a reinforcement wave's arrival, the start of an offensive)
take the same distributions with dates as their location parameters and
spreads in days; draws are then day numbers, rounded to whole days.

Examples
--------
>>> import numpy as np
>>> from kursk_sim.distributions import Uniform
>>> d = Uniform(800.0, 1200.0)
>>> x = d.sample(np.random.default_rng(0), 5)
>>> bool(((x >= 800) & (x <= 1200)).all())
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from .errors import ScenarioError

__all__ = [
    "Distribution",
    "Empirical",
    "Uniform",
    "Normal",
    "LogNormal",
    "Triangular",
    "distribution_from_dict",
    "open_unit",
]

Number = float | dt.date


def _num(x: Number) -> float:
    """A location parameter as a number: dates become proleptic ordinals."""
    return float(x.toordinal()) if isinstance(x, dt.date) else float(x)


def open_unit(u: np.ndarray) -> np.ndarray:
    """Uniform variates in [0, 1) moved half a step (``2**-54``) into (0, 1), in place.

    ``Generator.random`` returns multiples of ``2**-53``; the shift makes
    every one a midpoint, so an inverse CDF never sees 0 (where an unbounded
    distribution's is infinite) and the shifted values stay symmetric about
    one half.
    """
    u += 2.0**-54
    # the largest draw, 1 - 2**-54, is not a float64 and rounds to 1, where an unbounded inverse CDF is infinite
    return np.minimum(u, 1.0 - 2.0**-53, out=u)


@dataclass(frozen=True)
class Distribution:
    """Base class: a distribution sampled once per replication.

    Location parameters given as ISO date strings (``"2025-02-01"``) become
    dates, so ``Uniform("2025-02-01", "2025-04-30")`` is a date distribution.
    """

    name: ClassVar[str] = ""
    location_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for f in self.location_fields:
            value = getattr(self, f)
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # not a date: left as is for _check to name
                    object.__setattr__(self, f, dt.date.fromisoformat(value))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values (dates as ordinal day numbers), by inverting the CDF.

        Each value takes exactly one uniform variate, moved half a step
        (``2**-54``) into the open interval (0, 1), so the first ``k`` of
        ``size`` draws are the ``k`` draws of a generator in the same state.
        """
        return self.ppf(open_unit(rng.random(size)))

    def ppf(self, u: ArrayLike) -> np.ndarray:
        """Inverse CDF (quantile function) at probabilities ``u`` in [0, 1] (dates as ordinal day numbers)."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can draw."""
        raise NotImplementedError

    def expected_value(self) -> float:
        """Mean of the distribution (dates as ordinal day numbers)."""
        raise NotImplementedError

    def summary(self) -> str:
        """One line: the distribution's name and parameters."""
        args = ", ".join(f"{k}={val}" for k, val in self.to_dict().items() if k != "dist")
        return f"{self.name}({args})"

    @property
    def is_date(self) -> bool:
        """True when the location parameters are dates."""
        return any(isinstance(getattr(self, f), dt.date) for f in self.location_fields)

    def to_dict(self) -> dict[str, Any]:
        """The TOML form: ``{"dist": name, <parameters>}``."""
        out: dict[str, Any] = {"dist": self.name}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value
        return out

    def _check(self, path: str) -> None:
        """Validate the parameters; raise ScenarioError naming ``path``."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name not in self.location_fields:  # a spread or a shape: a number (in days on a date parameter)
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ScenarioError(f"{path}.{f.name}", value, "a number (in days where the values are dates)")
            elif isinstance(value, bool) or not isinstance(value, (int, float, dt.date)):
                raise ScenarioError(f"{path}.{f.name}", value, "a number or a date")
            if isinstance(value, int) and abs(value) > 2**1023 or isinstance(value, float) and not math.isfinite(value):
                raise ScenarioError(f"{path}.{f.name}", value, "a finite number")
        # the location parameters given (a one-sided truncation leaves the other bound None)
        kinds = {isinstance(v, dt.date) for f in self.location_fields if (v := getattr(self, f)) is not None}
        if len(kinds) > 1:
            raise ScenarioError(path, self.to_dict(), "location parameters all dates or all numbers")


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``.

    Examples
    --------
    >>> Uniform(0.2, 0.4).expected_value()
    0.30000000000000004
    """

    low: Number
    high: Number
    name: ClassVar[str] = "uniform"
    location_fields: ClassVar[tuple[str, ...]] = ("low", "high")

    def _check(self, path: str) -> None:
        super()._check(path)
        if not _num(self.low) < _num(self.high):
            raise ScenarioError(f"{path}.high", self.high, f"a value greater than low={self.low}")

    def ppf(self, u: ArrayLike) -> np.ndarray:
        lo, hi = _num(self.low), _num(self.high)
        return lo + np.asarray(u, dtype=float) * (hi - lo)

    def support(self) -> tuple[float, float]:
        return _num(self.low), _num(self.high)

    def expected_value(self) -> float:
        return 0.5 * (_num(self.low) + _num(self.high))


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on ``[low, high]`` with its peak at ``mode``.

    Examples
    --------
    >>> Triangular(0.0, 1.0, 2.0).expected_value()
    1.0
    """

    low: Number
    mode: Number
    high: Number
    name: ClassVar[str] = "triangular"
    location_fields: ClassVar[tuple[str, ...]] = ("low", "mode", "high")

    def _check(self, path: str) -> None:
        super()._check(path)
        lo, mo, hi = _num(self.low), _num(self.mode), _num(self.high)
        if not lo < hi:
            raise ScenarioError(f"{path}.high", self.high, f"a value greater than low={self.low}")
        if not lo <= mo <= hi:
            raise ScenarioError(f"{path}.mode", self.mode, f"a value in [{self.low}, {self.high}]")

    def ppf(self, u: ArrayLike) -> np.ndarray:
        lo, mo, hi = _num(self.low), _num(self.mode), _num(self.high)
        u = np.asarray(u, dtype=float)
        left = lo + np.sqrt(u * (hi - lo) * (mo - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mo))
        return np.where(u < (mo - lo) / (hi - lo), left, right)

    def support(self) -> tuple[float, float]:
        return _num(self.low), _num(self.high)

    def expected_value(self) -> float:
        return (_num(self.low) + _num(self.mode) + _num(self.high)) / 3.0


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mean`` and standard deviation ``sd``.

    Optional ``low`` and ``high`` truncate it (sampled by inverting the CDF,
    so truncation costs no rejection loop). A parameter that must be
    non-negative needs ``low`` set: an unbounded normal is refused for it.

    Examples
    --------
    >>> import numpy as np
    >>> d = Normal(1.0, 0.5, low=0.0)
    >>> bool((d.sample(np.random.default_rng(1), 1000) >= 0).all())
    True
    """

    mean: Number
    sd: float
    low: Number | None = None
    high: Number | None = None
    name: ClassVar[str] = "normal"
    location_fields: ClassVar[tuple[str, ...]] = ("mean", "low", "high")

    def _check(self, path: str) -> None:
        super()._check(path)
        if not float(self.sd) > 0:
            raise ScenarioError(f"{path}.sd", self.sd, "a standard deviation > 0")
        lo, hi = self.support()
        if not lo < hi:
            raise ScenarioError(f"{path}.high", self.high, f"a value greater than low={self.low}")
        if self.low is not None or self.high is not None:
            self._check_truncation(path, lo, hi)

    def _check_truncation(self, path: str, lo: float, hi: float) -> None:
        """Refuse a truncation the sampler cannot draw: every draw would be a bound, far from the true quantiles.

        Far in the upper tail the CDF rounds to 1 and its inverse cannot resolve the interval; the mirrored
        CDF is exact there. Beyond about 38 sd either way neither can (the interval's probability underflows).
        """
        from scipy import special

        m, sd = _num(self.mean), float(self.sd)
        u = np.array([0.001, 0.5, 0.999])
        if lo > m:  # the upper tail: by the mirrored CDF
            a, b = special.ndtr((m - hi) / sd), special.ndtr((m - lo) / sd)
            exact = m - sd * special.ndtri(b - u * (b - a))
        else:
            a, b = special.ndtr((lo - m) / sd), special.ndtr((hi - m) / sd)
            exact = m + sd * special.ndtri(a + u * (b - a))
        exact = np.clip(exact, lo, hi)
        width = hi - lo
        resolved = b > a or width <= 1e-9 * sd  # (a width next to nothing is a point: any draw in it will do)
        if not resolved or not np.all(np.abs(self.ppf(u) - exact) <= 1e-3 * min(width, sd)):
            raise ScenarioError(
                path,
                self.to_dict(),
                "a truncation [low, high] that can be drawn: it lies too far in a tail "
                f"({(lo - m) / sd:.3g} to {(hi - m) / sd:.3g} sd from the mean); move mean towards it or widen sd",
            )

    def _bounds_cdf(self) -> tuple[float, float]:
        from scipy import special  # imported when first needed: scipy takes longer to import than the package

        lo, hi = self.support()
        m, s = _num(self.mean), float(self.sd)
        return float(special.ndtr((lo - m) / s)), float(special.ndtr((hi - m) / s))

    def ppf(self, u: ArrayLike) -> np.ndarray:
        from scipy import special

        m, s = _num(self.mean), float(self.sd)
        a, b = self._bounds_cdf()
        x = m + s * special.ndtri(a + np.asarray(u, dtype=float) * (b - a))
        lo, hi = self.support()
        return np.clip(x, lo, hi)  # guards only the last ulp of ndtri at the truncation points

    def support(self) -> tuple[float, float]:
        lo = -math.inf if self.low is None else _num(self.low)
        hi = math.inf if self.high is None else _num(self.high)
        return lo, hi

    def expected_value(self) -> float:
        m, s = _num(self.mean), float(self.sd)
        if self.low is None and self.high is None:
            return m
        lo, hi = self.support()
        alpha, beta = (lo - m) / s, (hi - m) / s
        from scipy import special

        z = special.ndtr(beta) - special.ndtr(alpha)
        pdf = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0  # noqa: E731
        return m + s * (pdf(alpha) - pdf(beta)) / z


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal with median ``median`` and log-scale spread ``sigma``.

    ``log(X)`` is normal with mean ``log(median)`` and standard deviation
    ``sigma``; all draws are positive.

    Examples
    --------
    >>> round(LogNormal(100.0, 0.5).expected_value(), 3)
    113.315
    """

    median: float
    sigma: float
    name: ClassVar[str] = "lognormal"
    location_fields: ClassVar[tuple[str, ...]] = ("median",)

    def _check(self, path: str) -> None:
        super()._check(path)
        if isinstance(self.median, dt.date):
            raise ScenarioError(f"{path}.median", self.median, "a positive number (not a date)")
        if not float(self.median) > 0:
            raise ScenarioError(f"{path}.median", self.median, "a median > 0")
        if not float(self.sigma) > 0:
            raise ScenarioError(f"{path}.sigma", self.sigma, "a log-scale sigma > 0")

    def ppf(self, u: ArrayLike) -> np.ndarray:
        from scipy import special

        return np.exp(math.log(float(self.median)) + float(self.sigma) * special.ndtri(np.asarray(u, dtype=float)))

    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    def expected_value(self) -> float:
        return float(self.median) * math.exp(0.5 * float(self.sigma) ** 2)


@dataclass(frozen=True)
class Empirical(Distribution):
    """A weighted sample, drawn row by row: the joint posterior of a calibration, say.

    Parameters that share a ``group`` draw the same row in every
    replication (one uniform variate per replication for the whole group,
    through :meth:`at`; see :func:`kursk_sim.parameters.sample_values`), so
    the sample's correlations are kept. Each parameter of the group holds
    its own column of ``values`` and the group's ``weights`` (equal when
    omitted). :meth:`ppf` is the marginal's quantile function.

    Examples
    --------
    >>> d = Empirical((3.0, 1.0, 2.0), weights=(0.5, 0.2, 0.3), group="fit")
    >>> d.ppf([0.1, 0.3, 0.9]).tolist(), d.at([0.1, 0.9]).tolist(), round(d.expected_value(), 2)
    ([1.0, 2.0, 3.0], [3.0, 2.0], 2.3)
    """

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    group: str = ""
    name: ClassVar[str] = "empirical"
    location_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for key in ("values", "weights"):  # lists (a scalar or a table is an error of the scenario, found in _check)
            given = getattr(self, key)
            if isinstance(given, (list, tuple, np.ndarray)):
                object.__setattr__(self, key, tuple(x.item() if isinstance(x, np.generic) else x for x in given))

    def _check(self, path: str) -> None:
        if not isinstance(self.values, tuple) or not self.values:
            raise ScenarioError(f"{path}.values", self.values, "a list of at least one value")
        if self.weights is not None and not isinstance(self.weights, tuple):
            raise ScenarioError(f"{path}.weights", self.weights, "a list of positive numbers, one per value")
        for i, v in enumerate(self.values):
            too_big = isinstance(v, int) and abs(v) > 2**1023
            if isinstance(v, bool) or not isinstance(v, (int, float)) or too_big or not math.isfinite(float(v)):
                also = "; an empirical distribution holds numbers, not dates" if isinstance(v, (dt.date, str)) else ""
                raise ScenarioError(f"{path}.values", v, f"finite numbers (value {i}){also}")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ScenarioError(f"{path}.weights", len(self.weights), f"one weight per value ({len(self.values)})")
            for i, w in enumerate(self.weights):
                bad = isinstance(w, bool) or not isinstance(w, (int, float)) or isinstance(w, int) and w > 2**1023
                if bad or not (math.isfinite(float(w)) and w > 0):
                    raise ScenarioError(f"{path}.weights", w, f"positive finite weights (weight {i})")
            with np.errstate(over="ignore"):  # the sum the sampler divides by (np.cumsum, as in rows())
                total = np.cumsum(np.asarray(self.weights, dtype=float))[-1]
            if not np.isfinite(total):
                raise ScenarioError(f"{path}.weights", list(self.weights), "positive weights with a finite sum")
        if not isinstance(self.group, str):
            raise ScenarioError(f"{path}.group", self.group, "a string")

    def _weights(self) -> np.ndarray:
        return np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, dtype=float)

    def rows(self, u: ArrayLike) -> np.ndarray:
        """The sample's rows drawn by uniform variates ``u`` (in stored order: the same rows for every column)."""
        cum = np.cumsum(self._weights())
        rows = np.searchsorted(cum / cum[-1], np.asarray(u, dtype=float), side="right")
        return np.minimum(rows, len(self.values) - 1)

    def at(self, u: ArrayLike) -> np.ndarray:
        """This column's values at the rows ``u`` draws (:meth:`rows`): a joint draw when a group shares ``u``."""
        return np.asarray(self.values, dtype=float)[self.rows(u)]

    def ppf(self, u: ArrayLike) -> np.ndarray:
        """The marginal's quantile function (values sorted; weighted)."""
        values = np.asarray(self.values, dtype=float)
        order = np.argsort(values, kind="stable")
        cum = np.cumsum(self._weights()[order])
        rows = np.searchsorted(cum / cum[-1], np.asarray(u, dtype=float), side="right")
        return values[order][np.minimum(rows, len(values) - 1)]

    def support(self) -> tuple[float, float]:
        return float(min(self.values)), float(max(self.values))

    def expected_value(self) -> float:
        return float(np.average(np.asarray(self.values, dtype=float), weights=self._weights()))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dist": self.name, "values": [float(v) for v in self.values]}
        if self.weights is not None:
            out["weights"] = [float(w) for w in self.weights]
        if self.group:
            out["group"] = self.group
        return out

    def summary(self) -> str:
        """``empirical(n=..., group=..., median ..., 90 % in [..., ...])``."""
        q = self.ppf([0.05, 0.5, 0.95])
        group = f", group={self.group}" if self.group else ""
        return f"empirical(n={len(self.values)}{group}, median {q[1]:.4g}, 90% in [{q[0]:.4g}, {q[2]:.4g}])"


_KINDS: dict[str, type[Distribution]] = {cls.name: cls for cls in (Uniform, Triangular, Normal, LogNormal, Empirical)}


def distribution_from_dict(data: dict[str, Any], path: str) -> Distribution:
    """Build a distribution from its TOML form.

    Parameters
    ----------
    data : dict
        ``{"dist": "uniform", "low": 1, "high": 2}`` and the like; keys other
        than the distribution's parameters are an error.
    path : str
        Parameter path, used in error messages.

    Returns
    -------
    Distribution

    Examples
    --------
    >>> distribution_from_dict({"dist": "triangular", "low": 0, "mode": 1, "high": 3}, "x")
    Triangular(low=0, mode=1, high=3)
    """
    kind = data.get("dist")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ScenarioError(f"{path}.dist", kind, f"one of {sorted(_KINDS)}")
    cls = _KINDS[kind]
    names = [f.name for f in fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "dist":
            continue
        if key not in names:
            raise ScenarioError(f"{path}.{key}", value, f"a parameter of '{kind}': {names}")
        if isinstance(value, (np.integer, np.floating)) and not isinstance(value, (int, float)):
            value = value.item()  # a NumPy scalar: the Python number it holds
        kwargs[key] = value
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    for name in required:
        if name not in kwargs:
            raise ScenarioError(f"{path}.{name}", None, f"a value (required by '{kind}')")
    dist = cls(**kwargs)
    dist._check(path)
    return dist
