"""Fitting parameters to observed figures: least squares on the deterministic model.

:func:`fit` finds the parameter values whose deterministic run
(:func:`~kursk_sim.deterministic.deterministic`) comes closest to the
observations, with :func:`scipy.optimize.least_squares` (trust-region
reflective, within the bounds given).

Residuals. A figure with a standard deviation gives ``(model - value) /
sd``; one without gives the relative residual ``(model - value) / |value|``.
``at_least`` and ``at_most`` figures give a residual only when the bound is
broken. Events (``event_by``) are steps in a deterministic run and are
refused: fit them by ABC.

Scaling. Each parameter is fitted on an internal scale so nobody has to
reparametrise by hand: the logarithm when its lower bound is positive (rates,
lethalities, whose units move by orders of magnitude with the law's
exponents), else its position in ``[low, high]``.

Jacobian. Forward differences on the internal scale, every parameter's step
a row of one batched deterministic run: one model call per Jacobian, not
one per parameter.

Intervals. From the Jacobian of the figures with a value to match (bounds
limit parameters but do not pin them down) at the solution: the covariance
``(J'J)^-1``, scaled by the residual variance unless every such figure has
a standard deviation, on the internal scale and mapped back (so log-scaled
parameters get asymmetric intervals). A parameter those figures cannot pin
down (in a direction of ``J`` whose singular value is below :data:`RCOND`
of the largest, or with fewer figures than parameters) is reported as not
identifiable, and one that ends on a bound as at the bound: neither gets an
estimate or an interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .deterministic import deterministic
from .errors import ScenarioError
from .inputs import varying_parameters
from .model import Process
from .observations import Observation, Observations, load_observations
from .results import Table
from .scenario import Scenario
from .schema import suggest

__all__ = ["FitResult", "fit"]

#: Relative singular value below which a direction of the parameters counts as not identifiable.
RCOND = 1e-6


@dataclass
class FitResult:
    """What a fit found.

    Attributes
    ----------
    paths : tuple of str
    estimate : dict of str to float
        NaN for a parameter not identifiable or at a bound (see ``status``).
    interval : dict of str to (float, float)
        The ``level`` confidence interval, NaN where there is no estimate.
    status : dict of str to str
        ``estimated``, ``not identifiable`` or ``at lower bound`` / ``at upper bound``.
    values : dict of str to float
        Where the optimiser ended, for every parameter (what ``scenario`` uses).
    scenario : Scenario
        The scenario with ``values`` set.
    residuals : Table
        Per figure: observed, model, sd used, standardised residual.
    chi2 : float
        Sum of squared residuals.
    dof : int
        Figures with a value to match (not bounds) minus parameters.
    converged : bool
    message : str
        The optimiser's.
    calls, rows : int
        Deterministic model calls (batches) and rows run.
    level : float
    """

    paths: tuple[str, ...]
    estimate: dict[str, float]
    interval: dict[str, tuple[float, float]]
    status: dict[str, str]
    values: dict[str, float]
    scenario: Scenario = field(repr=False)
    residuals: Table = field(repr=False)
    chi2: float
    dof: int
    converged: bool
    message: str
    calls: int
    rows: int
    level: float

    @property
    def reduced_chi2(self) -> float:
        """``chi2 / dof`` (NaN with no degrees of freedom)."""
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    def table(self) -> Table:
        """One row per parameter: estimate, interval, status."""
        rows = [
            (p, self.estimate[p], self.interval[p][0], self.interval[p][1], self.status[p], self.values[p])
            for p in self.paths
        ]
        title = (
            f"fit: {len(self.paths)} parameters, chi2 {self.chi2:.4g} on {self.dof} degrees of freedom, "
            f"{'converged' if self.converged else 'NOT converged'} after {self.calls} model calls"
        )
        level = f"{100 * self.level:g}%"
        return Table(title, ("parameter", "estimate", f"{level} low", f"{level} high", "status", "ended at"), rows)


class _Scale:
    """A parameter's internal scale: log when its lower bound is positive, else its position in [low, high]."""

    def __init__(self, path: str, low: float, high: float) -> None:
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ScenarioError(f"params.{path}", (low, high), "bounds (low, high) with low < high, both finite")
        self.path, self.low, self.high = path, float(low), float(high)
        self.log = low > 0

    def inner(self, x: Any) -> Any:
        return np.log(x) if self.log else (np.asarray(x) - self.low) / (self.high - self.low)

    def outer(self, u: Any) -> Any:
        return np.exp(u) if self.log else self.low + np.asarray(u) * (self.high - self.low)

    @property
    def bounds(self) -> tuple[float, float]:
        return (float(self.inner(self.low)), float(self.inner(self.high)))


def _as_observations(observations: Observations | str | Any) -> Observations:
    return observations if isinstance(observations, Observations) else load_observations(observations)


def fit(
    scenario: Scenario,
    observations: Observations | str,
    params: Mapping[str, tuple[float, float]],
    method: str = "least_squares",
    *,
    start: Mapping[str, float] | None = None,
    at: str = "median",
    level: float = 0.95,
    max_calls: int = 200,
    extra_processes: Iterable[Process] = (),
) -> FitResult:
    """Fit parameters of ``scenario`` to ``observations`` by least squares on the deterministic model.

    Parameters
    ----------
    scenario : Scenario
    observations : Observations, or a built-in name or file path
    params : mapping of str to (low, high)
        The parameters to fit and their bounds (numbers).
    method : {"least_squares"}
    start : mapping of str to float, optional
        Starting values, within the bounds (default: the scenario's value,
        or its distribution's point ``at``).
    at : {"median", "mean"}
        Where the scenario's uncertain parameters not fitted sit.
    level : float
        Confidence level of the intervals.
    max_calls : int
        Most deterministic model calls.
    extra_processes : iterable of callables, optional

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> res = ks.fit(sc, "kursk-2024-article", {"kpa.exposure": (2.0, 6.0)})
    >>> res.status["kpa.exposure"], res.converged
    ('estimated', True)
    """
    from scipy import optimize, stats

    if method != "least_squares":
        raise ValueError(f"method: got {method!r}, expected 'least_squares'")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: got {level!r}, expected a confidence level in (0, 1)")
    obs = _as_observations(observations)
    obs.check(scenario)
    events = [o for o in obs if o.event]
    if events:
        raise ValueError(
            f"observations: {events[0].label()!r} is an event, a step in a deterministic run; fit it with ks.abc"
        )
    if not params:
        raise ValueError("params: got none, expected at least one path with (low, high) bounds")
    known = varying_parameters(scenario)
    scales = []
    for path, bounds in params.items():
        if path not in known or known[path][1].kind != "number":
            names = sorted(p for p, (_, spec) in known.items() if spec.kind == "number")
            raise ScenarioError(f"params.{path}", bounds, f"a number parameter the scenario sets{suggest(path, names)}")
        try:
            low, high = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise ScenarioError(f"params.{path}", bounds, "bounds (low, high)") from None
        scales.append(_Scale(path, low, high))
    paths = tuple(s.path for s in scales)
    fixed_point = deterministic(scenario, at=at).scenario
    x0 = []
    for s in scales:
        v = (start or {}).get(s.path, fixed_point.get(s.path))
        if not s.low <= float(v) <= s.high:
            raise ScenarioError(f"start.{s.path}", v, f"a starting value in [{s.low:g}, {s.high:g}]")
        x0.append(float(v))
    u0 = np.array([float(s.inner(x)) for s, x in zip(scales, x0, strict=True)])
    lower, upper = (np.array(b) for b in zip(*(s.bounds for s in scales), strict=True))
    u0 = np.clip(u0, lower, upper)
    counter = {"calls": 0, "rows": 0}
    obs_value = np.array([o.value for o in obs])
    sd = np.array([o.sd if o.sd is not None else max(abs(o.value), 1e-12) for o in obs])
    extra = list(extra_processes)

    def model(u_rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """Model values of every figure, ``(rows, figures)``."""
        if counter["calls"] >= max_calls:
            raise _Budget
        values = {s.path: s.outer(u_rows[:, i]) for i, s in enumerate(scales)}
        run = deterministic(scenario, values=values, at=at, extra_processes=extra)
        counter["calls"] += 1
        counter["rows"] += u_rows.shape[0]
        traj = run.trajectories()
        return np.stack([o.model_value(traj, run.contingents, scenario.start_date) for o in obs], axis=1)

    def residual(m: NDArray[np.float64]) -> NDArray[np.float64]:
        r = (m - obs_value) / sd
        for i, o in enumerate(obs):
            if o.kind == "at_least":
                r[..., i] = np.minimum(r[..., i], 0.0)
            elif o.kind == "at_most":
                r[..., i] = np.maximum(r[..., i], 0.0)
        return r

    cache: dict[bytes, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}

    def evaluate(u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Residuals and model values at ``u`` (the last point is kept: the Jacobian starts from it)."""
        key = u.tobytes()
        if key not in cache:
            cache.clear()
            m = model(u[None, :])[0]
            cache[key] = (residual(m), m)
        return cache[key]

    def fun(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return evaluate(u)[0]

    def jac(u: NDArray[np.float64]) -> NDArray[np.float64]:
        r0 = fun(u)
        h = 1e-7 * np.maximum(1.0, np.abs(u))
        h = np.where(u + h > upper, -h, h)  # step inwards at an upper bound
        rows = u[None, :] + np.diag(h)
        r = residual(model(rows))
        return ((r - r0[None, :]) / h[:, None]).T

    try:
        sol = optimize.least_squares(fun, u0, jac=jac, bounds=(lower, upper), x_scale="jac", method="trf")
        converged, message, u_end = bool(sol.success), str(sol.message), sol.x
    except _Budget:
        converged, message = False, f"stopped after max_calls={max_calls} model calls"
        u_end = np.frombuffer(next(iter(cache)), dtype=float) if cache else u0
    r_end, m_end = evaluate(u_end)
    j_end = jac(u_end)
    chi2 = float(r_end @ r_end)
    dof = sum(o.bound is None for o in obs) - len(paths)
    estimate, interval, status, values = _summarise(scales, u_end, j_end, chi2, dof, obs, level, lower, upper, stats)
    table = Table(
        "residuals",
        ("figure", "observed", "model", "sd", "residual", "source"),
        [
            (o.label(), o.value, float(m), float(s), float(r), o.source)
            for o, m, s, r in zip(obs, m_end, sd, r_end, strict=True)
        ],
    )
    return FitResult(
        paths,
        estimate,
        interval,
        status,
        values,
        scenario.replace(values),
        table,
        chi2,
        dof,
        converged,
        message,
        counter["calls"],
        counter["rows"],
        level,
    )


class _Budget(Exception):
    """Raised inside the objective when the model-call budget is spent."""


def _summarise(
    scales: Sequence[_Scale],
    u: NDArray[np.float64],
    j: NDArray[np.float64],
    chi2: float,
    dof: int,
    obs: Sequence[Observation],
    level: float,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    stats: Any,
) -> tuple[dict[str, float], dict[str, tuple[float, float]], dict[str, str], dict[str, float]]:
    values = {s.path: float(s.outer(u[i])) for i, s in enumerate(scales)}
    # only figures with a value to match pin parameters down; a bound (at_least, at_most) limits them
    two_sided = np.array([o.bound is None for o in obs])
    j = j[two_sided]
    unidentified = np.ones(len(scales), dtype=bool)
    if j.shape[0]:
        _, sv, vt = np.linalg.svd(j, full_matrices=False)
        weak = sv < RCOND * (sv[0] if sv[0] > 0 else 1.0)
        unidentified[:] = False
        for k in np.flatnonzero(weak):
            unidentified |= np.abs(vt[k]) > 0.01  # a parameter with any part in a flat direction
        if len(sv) < len(scales):  # fewer figures than parameters
            unidentified[:] = True
    absolute = all(o.sd is not None for o, keep in zip(obs, two_sided, strict=True) if keep)
    s2 = 1.0 if absolute else chi2 / dof if dof > 0 else float("nan")
    keep = ~unidentified
    cov = np.full((len(scales), len(scales)), np.nan)
    if keep.any():
        jk = j[:, keep]
        cov_k = np.linalg.pinv(jk.T @ jk) * s2
        cov[np.ix_(keep, keep)] = cov_k
    z = float(stats.norm.ppf(0.5 + level / 2))
    estimate, interval, status = {}, {}, {}
    span = upper - lower
    for i, s in enumerate(scales):
        at_low = u[i] - lower[i] <= 1e-6 * span[i]
        at_high = upper[i] - u[i] <= 1e-6 * span[i]
        if unidentified[i]:
            status[s.path] = "not identifiable"
        elif at_low or at_high:
            status[s.path] = f"at {'lower' if at_low else 'upper'} bound {s.low if at_low else s.high:g}"
        else:
            status[s.path] = "estimated"
        if status[s.path] == "estimated":
            se = float(np.sqrt(cov[i, i]))
            estimate[s.path] = values[s.path]
            interval[s.path] = (float(s.outer(u[i] - z * se)), float(s.outer(u[i] + z * se)))
        else:
            estimate[s.path] = float("nan")
            interval[s.path] = (float("nan"), float("nan"))
    return estimate, interval, status, values
