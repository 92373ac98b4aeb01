"""Fitting parameters to observed figures on the deterministic model: least squares or maximum likelihood.

:func:`fit` finds the parameter values whose deterministic run
(:func:`~kursk_sim.deterministic.deterministic`) comes closest to the
observations, with :func:`scipy.optimize.least_squares` (trust-region
reflective, within the bounds given), or maximises their likelihood under
the noise model with :func:`scipy.optimize.minimize` (L-BFGS-B): counts of
losses over a range by the noise model's own distribution (binomial, or
negative binomial with a fittable size ``noise.dispersion``), other figures
Gaussian. The likelihood's intervals come from the observed information,
second differences of the log-likelihood whose steps are the rows of one
batched run.

Residuals. A figure gives ``(model - value) / sd``; one without an sd is
taken to be known to 10 % (:attr:`~kursk_sim.observations.Observation.scale`).
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
from .rules import OUTPUTS
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


COUNTS = tuple(name for name, o in OUTPUTS.items() if o.losses)


def _is_count(o: Observation) -> bool:
    """A figure that counts losses over a range (its likelihood is the noise model's)."""
    return o.kind in ("cumulative", "rate") and o.output in COUNTS


class _Problem:
    """The figures, the parameters' scales and the batched deterministic model behind a fit."""

    def __init__(
        self,
        scenario: Scenario,
        obs: Observations,
        scales: Sequence[_Scale],
        at: str,
        extra: list[Process],
        max_calls: int,
    ) -> None:
        self.scenario, self.obs, self.at, self.extra, self.max_calls = scenario, obs, at, extra, max_calls
        self.scales = [s for s in scales if s.path != DISPERSION]  # the model's parameters
        self.calls = self.rows = 0
        self.value = np.array([o.value for o in obs])
        self.sd = np.array([o.scale for o in obs])
        self.count = np.array([_is_count(o) for o in obs])
        self.days = np.array(
            [
                float(o.rows(scenario.start_date)[1] - o.rows(scenario.start_date)[0]) if c else 1.0
                for o, c in zip(obs, self.count, strict=True)
            ]
        )

    def run(self, u_rows: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Per row and figure: the model's value; for counts, the expected count, sum of squared daily means, trials."""
        if self.calls >= self.max_calls:
            raise _Budget
        values = {s.path: s.outer(u_rows[:, i]) for i, s in enumerate(self.scales)}
        run = deterministic(self.scenario, values=values or None, at=self.at, extra_processes=self.extra)
        if not values:
            run = _repeat_rows(run, u_rows.shape[0])
        self.calls += 1
        self.rows += u_rows.shape[0]
        traj = run.trajectories()
        start = self.scenario.start_date
        out = {"value": np.stack([o.model_value(traj, run.contingents, start) for o in self.obs], axis=1)}
        n_rows, n_obs = u_rows.shape[0], len(self.obs)
        mean, square, trials = (np.full((n_rows, n_obs), np.nan) for _ in range(3))
        for i, o in enumerate(self.obs):
            if not self.count[i]:
                continue
            first, last = o.rows(start)
            cols = [run.contingents.index(c) for c in o.contingents]
            daily = np.diff(traj[o.output][:, first : last + 1][:, :, cols].sum(axis=2), axis=1)
            mean[:, i] = daily.sum(axis=1)
            square[:, i] = (daily * daily).sum(axis=1)
            trials[:, i] = traj["strength"][:, first][:, cols].sum(axis=1)
        out |= {"mean": mean, "square": square, "trials": trials}
        return out

    def residual(self, m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Least-squares residuals of model values ``m``."""
        r = (m - self.value) / self.sd
        for i, o in enumerate(self.obs):
            if o.kind == "at_least":
                r[..., i] = np.minimum(r[..., i], 0.0)
            elif o.kind == "at_most":
                r[..., i] = np.maximum(r[..., i], 0.0)
        return r

    def nll(self, out: dict[str, NDArray[np.float64]], dispersion: float | None) -> NDArray[np.float64]:
        """Negative log-likelihood of every row (counts by the noise model, other figures Gaussian)."""
        from scipy import special, stats

        total = np.zeros(out["value"].shape[0])
        kind = self.scenario.noise.kind
        for i, o in enumerate(self.obs):
            if self.count[i]:
                k = self.value[i] * self.days[i]
                mu = np.maximum(out["mean"][:, i], 1e-12)
                if kind == "negative_binomial":  # a sum of daily NB counts, its size matched on the variance
                    r = dispersion * mu * mu / np.maximum(out["square"][:, i], 1e-300)
                    ll = (
                        special.gammaln(k + r)
                        - special.gammaln(r)
                        - special.gammaln(k + 1)
                        + r * np.log(r / (r + mu))
                        + k * np.log(mu / (r + mu))
                    )
                else:  # binomial among the troops there at the range's start
                    n = np.maximum(out["trials"][:, i], k + 1e-9)
                    p = np.clip(mu / n, 1e-300, 1 - 1e-16)
                    ll = (
                        special.gammaln(n + 1)
                        - special.gammaln(k + 1)
                        - special.gammaln(n - k + 1)
                        + k * np.log(p)
                        + (n - k) * np.log1p(-p)
                    )
            else:
                z = (out["value"][:, i] - self.value[i]) / self.sd[i]
                if o.kind == "at_least":
                    ll = stats.norm.logcdf(z)
                elif o.kind == "at_most":
                    ll = stats.norm.logcdf(-z)
                else:
                    ll = -0.5 * z * z - np.log(self.sd[i] * np.sqrt(2 * np.pi))
            total -= ll
        return total


def _repeat_rows(run: Any, n: int) -> Any:
    """A one-row run as ``n`` identical rows (a fit with no model parameter)."""
    import dataclasses

    return dataclasses.replace(
        run,
        series=np.repeat(run.series, n, axis=0),
        events={k: np.repeat(v, n) for k, v in run.events.items()},
    )


#: The negative binomial's size, a parameter of the likelihood alone (the deterministic model does not use it).
DISPERSION = "noise.dispersion"


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
    """Fit parameters of ``scenario`` to ``observations`` on the deterministic model.

    Parameters
    ----------
    scenario : Scenario
    observations : Observations, or a built-in name or file path
    params : mapping of str to (low, high)
        The parameters to fit and their bounds (numbers).
        ``noise.dispersion`` (negative binomial noise, ``likelihood`` only)
        is a parameter of the likelihood, not of the model.
    method : {"least_squares", "likelihood"}
        ``least_squares``: standardised residuals (module docstring).
        ``likelihood``: maximum likelihood, counts of losses over a range
        (``cumulative`` and ``rate`` figures of killed, wounded, missing or
        casualties) by the noise model's own distribution, binomial among
        the troops there at the range's start or negative binomial with
        size ``noise.dispersion`` per day (a sum of days: the size matched on
        the variance), other figures Gaussian (bounds one-sided).
    start : mapping of str to float, optional
        Starting values, within the bounds (default: the scenario's value,
        or its distribution's point ``at``).
    at : {"median", "mean"}
        Where the scenario's uncertain parameters not fitted sit.
    level : float
        Confidence level of the intervals.
    max_calls : int
        Most deterministic model calls (batches).
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
    from scipy import stats

    if method not in ("least_squares", "likelihood"):
        raise ValueError(f"method: got {method!r}, expected 'least_squares' or 'likelihood'")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: got {level!r}, expected a confidence level in (0, 1)")
    obs = _as_observations(observations)
    obs.check(scenario)
    events = [o for o in obs if o.event]
    if events:
        raise ValueError(
            f"observations: {events[0].label()!r} is an event, a step in a deterministic run; fit it with ks.abc"
        )
    if method == "likelihood" and scenario.noise.kind == "none":
        raise ValueError(
            "method 'likelihood': noise.kind 'none' has no distribution of counts; set it or use least_squares"
        )
    if not params:
        raise ValueError("params: got none, expected at least one path with (low, high) bounds")
    known = varying_parameters(scenario)
    scales = []
    for path, bounds in params.items():
        if path not in known or known[path][1].kind != "number":
            names = sorted(p for p, (_, spec) in known.items() if spec.kind == "number")
            raise ScenarioError(f"params.{path}", bounds, f"a number parameter the scenario sets{suggest(path, names)}")
        if path == DISPERSION and (method != "likelihood" or scenario.noise.kind != "negative_binomial"):
            raise ScenarioError(
                f"params.{path}",
                bounds,
                "a model parameter (the dispersion is fitted by the likelihood of negative binomial noise)",
            )
        try:
            low, high = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise ScenarioError(f"params.{path}", bounds, "bounds (low, high)") from None
        if low < high:  # (low >= high is _Scale's error)
            known[path][1].check_span(low, high, f"params.{path}", bounds, "bounds")
        scales.append(_Scale(path, low, high))
    paths = tuple(s.path for s in scales)
    for path in start or {}:
        if path not in paths:
            raise ScenarioError(
                f"start.{path}", start[path], f"a starting value of a fitted parameter, one of {list(paths)}"
            )
    fixed_point = deterministic(scenario, at=at).scenario
    x0 = []
    for s in scales:
        given = s.path in (start or {})
        v = start[s.path] if given else fixed_point.get(s.path)
        if not s.low <= float(v) <= s.high:
            which = "" if given else " (the scenario's value: give a start within the bounds)"
            raise ScenarioError(f"start.{s.path}", v, f"a starting value in [{s.low:g}, {s.high:g}]{which}")
        x0.append(float(v))
    u0 = np.array([float(s.inner(x)) for s, x in zip(scales, x0, strict=True)])
    lower, upper = (np.array(b) for b in zip(*(s.bounds for s in scales), strict=True))
    problem = _Problem(scenario, obs, scales, at, list(extra_processes), max_calls)
    solve = _least_squares if method == "least_squares" else _likelihood
    u_end, info, factor, model_end, r_end, converged, message, chi2, dof = solve(problem, scales, u0, lower, upper)
    estimate, interval, status, values = _summarise(scales, u_end, info, factor, level, lower, upper, stats)
    table = Table(
        "residuals",
        ("figure", "observed", "model", "sd", "residual", "source"),
        [
            (o.label(), o.value, float(m), float(sd), float(r), o.source)
            for o, m, sd, r in zip(obs, model_end, problem.sd, r_end, strict=True)
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
        problem.calls,
        problem.rows,
        level,
    )


def _least_squares(problem: _Problem, scales: Sequence[_Scale], u0: Any, lower: Any, upper: Any) -> tuple:
    from scipy import optimize

    cache: dict[bytes, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}

    def evaluate(u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Residuals and model values at ``u`` (the last point is kept: the Jacobian starts from it)."""
        key = u.tobytes()
        if key not in cache:
            cache.clear()
            m = problem.run(u[None, :])["value"][0]
            cache[key] = (problem.residual(m), m)
        return cache[key]

    def fun(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return evaluate(u)[0]

    def jac(u: NDArray[np.float64]) -> NDArray[np.float64]:
        r0 = fun(u)
        h = 1e-7 * np.maximum(1.0, np.abs(u))
        h = np.where(u + h > upper, -h, h)  # step inwards at an upper bound
        r = problem.residual(problem.run(u[None, :] + np.diag(h))["value"])
        return ((r - r0[None, :]) / h[:, None]).T

    try:
        sol = optimize.least_squares(fun, np.clip(u0, lower, upper), jac=jac, bounds=(lower, upper), x_scale="jac")
        converged, message, u_end = bool(sol.success), str(sol.message), sol.x
    except _Budget:
        converged, message = False, f"stopped after max_calls={problem.max_calls} model calls"
        u_end = np.frombuffer(next(iter(cache)), dtype=float) if cache else u0
        problem.max_calls += len(scales) + 2  # room for the summary's Jacobian
    r_end, m_end = evaluate(u_end)
    j = jac(u_end)
    chi2 = float(r_end @ r_end)
    # only figures with a value to match pin parameters down; a bound (at_least, at_most) limits them
    two_sided = np.array([o.bound is None for o in problem.obs])
    dof = int(two_sided.sum()) - len(scales)
    j = j[two_sided]
    absolute = all(o.sd is not None for o, keep in zip(problem.obs, two_sided, strict=True) if keep)
    factor = 1.0 if absolute else chi2 / dof if dof > 0 else float("nan")
    info = j.T @ j if j.shape[0] >= len(scales) else np.zeros((len(scales), len(scales)))
    return u_end, info, factor, m_end, r_end, converged, message, chi2, dof


def _likelihood(problem: _Problem, scales: Sequence[_Scale], u0: Any, lower: Any, upper: Any) -> tuple:
    from scipy import optimize

    d = len(scales)
    disp = next((i for i, s in enumerate(scales) if s.path == DISPERSION), None)
    model_ix = [i for i in range(d) if i != disp]

    def nll_rows(u_rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """nll of each row of full parameter vectors (the model run once for all rows)."""
        out = problem.run(u_rows[:, model_ix])
        if disp is None:
            return problem.nll(out, _dispersion(problem.scenario))
        return np.array(
            [
                problem.nll({k: v[i : i + 1] for k, v in out.items()}, float(scales[disp].outer(u_rows[i, disp])))[0]
                for i in range(u_rows.shape[0])
            ]
        )

    def value_and_grad(u: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """The nll and its gradient by central differences (one-sided at a bound), all rows in one batch."""
        h = 1e-5 * np.maximum(1.0, np.abs(u))
        up = np.minimum(u + h, upper)
        down = np.maximum(u - h, lower)
        f = nll_rows(np.vstack([u, u[None, :] + np.diag(up - u), u[None, :] + np.diag(down - u)]))
        return float(f[0]), (f[1 : d + 1] - f[d + 1 :]) / (up - down)

    try:
        sol = optimize.minimize(
            value_and_grad,
            np.clip(u0, lower, upper),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(lower, upper, strict=True)),
        )
        converged, message, u_end = bool(sol.success), str(sol.message), sol.x
    except _Budget:
        converged, message, u_end = False, f"stopped after max_calls={problem.max_calls} model calls", u0
        problem.max_calls += 3
    # observed information: second differences of the nll, every pair of steps a row of one batch
    h = 1e-4 * np.maximum(1.0, np.abs(u_end))
    h = np.where(u_end + 2 * h > upper, -h, h)
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    rows = [u_end] + [u_end + h * np.eye(d)[i] for i in range(d)]
    rows += [u_end + h * (np.eye(d)[i] + np.eye(d)[j]) for i, j in pairs]
    f = nll_rows(np.array(rows))
    f0, fi = f[0], f[1 : d + 1]
    info = np.zeros((d, d))
    for k, (i, j) in enumerate(pairs):
        info[i, j] = info[j, i] = (f[d + 1 + k] - fi[i] - fi[j] + f0) / (h[i] * h[j])
    out = problem.run(u_end[None, model_ix])
    m_end = out["value"][0]
    r_end = problem.residual(m_end)
    loglik = -float(f0)
    dof = len(problem.obs) - d
    return u_end, info, 1.0, m_end, r_end, converged, message, -2.0 * loglik, dof


def _dispersion(scenario: Scenario) -> float:
    value = scenario.noise.dispersion
    return float(value.ppf(0.5)) if hasattr(value, "ppf") else float(value)


class _Budget(Exception):
    """Raised inside the objective when the model-call budget is spent."""


def _summarise(
    scales: Sequence[_Scale],
    u: NDArray[np.float64],
    info: NDArray[np.float64],
    factor: float,
    level: float,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    stats: Any,
) -> tuple[dict[str, float], dict[str, tuple[float, float]], dict[str, str], dict[str, float]]:
    """Estimates, intervals and statuses from the information matrix on the internal scale.

    ``info`` is ``J'J`` (least squares; the covariance is its inverse times
    ``factor``) or the observed information (likelihood, ``factor`` 1). A
    parameter with any part (above 1 %) in a direction whose eigenvalue is
    below ``RCOND**2`` of the largest is not identifiable.
    """
    values = {s.path: float(s.outer(u[i])) for i, s in enumerate(scales)}
    n = len(scales)
    unidentified = np.ones(n, dtype=bool)
    sym = (info + info.T) / 2
    if np.isfinite(sym).all() and np.abs(sym).max() > 0:
        eig, vec = np.linalg.eigh(sym)
        weak = eig < RCOND**2 * eig.max()
        unidentified[:] = False
        for k in np.flatnonzero(weak):
            unidentified |= np.abs(vec[:, k]) > 0.01  # a parameter with any part in a flat direction
    keep = ~unidentified
    cov = np.full((n, n), np.nan)
    if keep.any():
        cov[np.ix_(keep, keep)] = np.linalg.pinv(sym[np.ix_(keep, keep)]) * factor
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
