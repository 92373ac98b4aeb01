"""Global sensitivity analysis: which assumptions decide the outputs.

:func:`sensitivity` samples the chosen parameters (by default every
assumption with a declared range or a distribution) over their ranges, runs
every sample point for ``replications`` replications in one sweep
(:func:`~kursk_sim.sweep.sweep`), and estimates each parameter's influence
on each output:

``sobol``
    First- and total-order Sobol indices, from Saltelli's design (matrices
    A, B and the d matrices A with one column from B, drawn from one
    scrambled Sobol sequence of 2d dimensions, :class:`scipy.stats.qmc.Sobol`),
    estimated by :func:`scipy.stats.sobol_indices` (Saltelli 2010 first
    order, Jansen total order), with percentile bootstrap confidence
    intervals from :func:`scipy.stats.bootstrap`, seeded. Costs ``n (d + 2)``
    points.
``morris``
    Morris elementary effects (mu*, mu, sigma, and a bootstrap interval of
    mu*) from SALib (the ``sensitivity`` extra), on ``n`` trajectories of
    ``d + 1`` points each. A screening method: cheap, ranks, does not
    apportion variance.

Each parameter is sampled through its marginal (:class:`~kursk_sim.design.Marginals`):
uniform over its declared range, or its distribution through the inverse
CDF. An output of a point is the mean over its replications of an output
on a date (``area@2025-03-01``, ``strength.ua@2025-05-31``, a sum of
contingents ``casualties.ru+kpa@2025-05-31``) or the probability of an
event by a date (``ua_withdrawal@2025-03-31``). Replication ``r`` of every
point draws the same values of the parameters not sampled, the same waves,
hazards and normal noise (:mod:`kursk_sim.streams`), so the noise left in
an output is largely common to the points and the indices describe the
parameters, not the noise.

Why the Sobol design is built here and not by :func:`scipy.stats.sobol_indices`
itself: given a function, SciPy calls it three times (A, B, then the
mixed matrices); one sweep of all ``n (d + 2)`` points is one batch, and
SciPy takes the three sets of values as a dict. The bootstrap is called
directly because ``SobolResult.bootstrap`` takes no seed; it resamples the
``n`` rows and re-estimates with :func:`scipy.stats.sobol_indices`, which
needs ``n`` rows, hence percentile intervals (BCa's jackknife leaves one
row out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .design import Marginals
from .results import OUTPUT_NAMES, UNITS, Table, _need
from .rules import per_contingent
from .run import DEFAULT_CHUNK_SIZE, _whole
from .scenario import Scenario
from .sweep import sweep
from .sweep_results import SweepResult

__all__ = ["Output", "SensitivityResult", "sensitivity", "sobol", "parse_output"]

METHODS = ("sobol", "morris")


@dataclass(frozen=True)
class Output:
    """A scalar output of a point of a design.

    Attributes
    ----------
    text : str
        As written: ``area@2025-03-01``, ``strength.ua@2025-05-31``,
        ``casualties.ru+kpa@2025-05-31``, ``ua_withdrawal@2025-03-31``.
    name : str
        An output (``strength``, ``area``, ...) or an event.
    contingents : tuple of str
        Summed (outputs other than area).
    date : numpy.datetime64
    event : bool
        The probability of the event by the date, rather than a mean.
    """

    text: str
    name: str
    contingents: tuple[str, ...]
    date: np.datetime64
    event: bool

    @property
    def unit(self) -> str:
        return "probability" if self.event else UNITS[self.name]

    def of(self, result: SweepResult) -> NDArray[np.float64]:
        """The output of every point of a sweep, ``(points,)``."""
        if self.event:
            return result.probability(self.name, by=self.date).values
        mean = result.mean(self.name).sel(date=self.date)
        if not per_contingent(self.name):
            return mean.values
        cols = [result.contingents.index(c) for c in self.contingents]
        return mean.values[:, cols].sum(axis=1)


def parse_output(text: str, scenario: Scenario, events: Sequence[str]) -> Output:
    """Read ``<output>[.<contingent>[+<contingent>...]][@<date>]`` or ``<event>[@<date>]`` (date default: the end).

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> parse_output("casualties.ru+kpa@2025-03-01", sc, ["ua_withdrawal"]).contingents
    ('ru', 'kpa')
    >>> parse_output("ua_withdrawal", sc, ["ua_withdrawal"]).date
    np.datetime64('2025-05-31')
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"output: got {text!r}, expected e.g. 'area@2025-03-01' or 'ua_withdrawal@2025-03-31'")
    what, _, when = text.partition("@")
    try:
        date = np.datetime64(when or scenario.end_date, "D")
    except ValueError:
        raise ValueError(f"output {text!r}: got date {when!r}, expected YYYY-MM-DD") from None
    start, end = np.datetime64(scenario.start_date, "D"), np.datetime64(scenario.end_date, "D")
    if not start <= date <= end:
        raise ValueError(f"output {text!r}: got date {date}, expected a date in {start}..{end}")
    if what in events:
        return Output(text, what, (), date, True)
    name, _, which = what.partition(".")
    if name not in OUTPUT_NAMES:
        raise ValueError(
            f"output {text!r}: got {name!r}, expected one of the outputs {OUTPUT_NAMES} or events {tuple(events)}"
        )
    ids = scenario.contingent_ids
    if not per_contingent(name):
        if which:
            raise ValueError(f"output {text!r}: area has no contingent, expected 'area@<date>'")
        return Output(text, name, (), date, False)
    chosen = tuple(which.split("+")) if which else ()
    bad = [c for c in chosen if c not in ids]
    if not chosen or bad:
        raise ValueError(
            f"output {text!r}: expected '{name}.<contingent>' (or a sum 'a+b') with contingents from {ids}"
            + (f", got {bad}" if bad else "")
        )
    return Output(text, name, chosen, date, False)


# ------------------------------------------------------------------ estimators
def sobol(
    func: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    d: int,
    n: int,
    seed: int | np.random.Generator | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> dict[str, NDArray[np.float64]]:
    """First- and total-order Sobol indices of ``func`` on the unit cube, with bootstrap intervals.

    Parameters
    ----------
    func : callable
        ``func(u)`` with ``u`` of shape ``(m, d)`` in [0, 1) returns ``(s, m)``
        (or ``(m,)``) outputs; called once, with ``m = n (d + 2)``.
    d : int
        Number of inputs.
    n : int
        Base sample size, a power of two.
    seed : int or Generator, optional
        Seeds the Sobol sequence's scrambling and the bootstrap.
    confidence_level, n_resamples
        Of the percentile bootstrap intervals.

    Returns
    -------
    dict
        ``first``, ``total`` ``(s, d)``; ``first_ci``, ``total_ci``
        ``(2, s, d)`` (low, high).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda u: 2.0 * u[:, 0] + u[:, 1]  # variances 4:1, no interaction
    >>> out = sobol(f, 2, 1024, seed=1, n_resamples=99)
    >>> np.round(out["first"], 2).tolist(), np.round(out["total"], 2).tolist()
    ([[0.8, 0.2]], [[0.8, 0.2]])
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    if n < 2 or n & (n - 1):
        raise ValueError(f"n: got {n}, expected a power of two (the balance of Sobol points needs one), at least 2")
    base = stats.qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
    a, b = base[:, :d], base[:, d:]
    mixed = np.repeat(a[None], d, axis=0)  # (d, n, d): A with column i from B
    for i in range(d):
        mixed[i, :, i] = b[:, i]
    f = np.asarray(func(np.concatenate([a, b, mixed.reshape(d * n, d)])), dtype=float)
    f = f.reshape(-1, n * (d + 2))
    s = f.shape[0]
    f_a, f_b = f[:, :n], f[:, n : 2 * n]
    f_ab = f[:, 2 * n :].reshape(s, d, n).transpose(1, 0, 2)  # (d, s, n), as SciPy takes it

    def indices(idx: NDArray[np.intp]) -> NDArray[np.float64]:
        res = stats.sobol_indices(func={"f_A": f_a[:, idx], "f_B": f_b[:, idx], "f_AB": f_ab[..., idx]}, n=n)
        return np.stack([np.reshape(res.first_order, (s, d)), np.reshape(res.total_order, (s, d))])

    point = indices(np.arange(n))
    boot = stats.bootstrap(
        (np.arange(n),),
        indices,
        vectorized=False,
        method="percentile",
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        rng=rng,
    )
    low, high = np.asarray(boot.confidence_interval.low), np.asarray(boot.confidence_interval.high)
    return {
        "first": point[0],
        "total": point[1],
        "first_ci": np.stack([low[0], high[0]]),
        "total_ci": np.stack([low[1], high[1]]),
    }


def _morris(
    func: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    paths: Sequence[str],
    n: int,
    levels: int,
    seed: int | None,
    confidence_level: float,
    n_resamples: int,
) -> dict[str, NDArray[np.float64]]:
    salib = _need("SALib", "sensitivity")
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    del salib
    d = len(paths)
    problem = {"num_vars": d, "names": list(paths), "bounds": [[0.0, 1.0]] * d}
    grid = sample.sample(problem, n, num_levels=levels, seed=seed)
    # SALib's levels include 0 and 1, where an unbounded distribution's inverse CDF is infinite: the middles
    # of the levels' strata instead (the steps shrink by (levels - 1) / levels; SALib sees the points used)
    unit = (grid * (levels - 1) + 0.5) / levels
    f = np.asarray(func(unit), dtype=float).reshape(-1, unit.shape[0])
    out: dict[str, list[Any]] = {"mu_star": [], "mu": [], "sigma": [], "mu_star_conf": []}
    for y in f:
        res = analyze.analyze(
            problem,
            unit,
            y,
            conf_level=confidence_level,
            num_resamples=n_resamples,
            num_levels=levels,
            seed=seed,
        )
        for key in out:
            out[key].append(np.asarray(res[key], dtype=float))
    return {k: np.array(v) for k, v in out.items()}


# ------------------------------------------------------------------ the analysis
@dataclass
class SensitivityResult:
    """Sensitivity indices of several outputs to several parameters.

    Attributes
    ----------
    method : str
        ``sobol`` or ``morris``.
    outputs : tuple of Output
    paths : tuple of str
        The parameters, in the order of the indices' last axis.
    n : int
        Base sample size (Sobol) or trajectories (Morris).
    replications : int
        Replications of each point.
    points : int
        Points run (``n (d + 2)`` for Sobol, ``n (d + 1)`` for Morris).
    indices : dict of str to ndarray
        Sobol: ``first``, ``total`` ``(outputs, parameters)`` and
        ``first_ci``, ``total_ci`` ``(2, outputs, parameters)``. Morris:
        ``mu_star``, ``mu``, ``sigma``, ``mu_star_conf`` (half-width).
        Morris effects are per unit of each parameter's quantile (its
        marginal's probability scale), so they compare across parameters.
    confidence_level : float
    sweep : SweepResult
        The sweep of every point (means of every output at the outputs' dates).
    """

    method: str
    outputs: tuple[Output, ...]
    paths: tuple[str, ...]
    n: int
    replications: int
    points: int
    indices: dict[str, NDArray[np.float64]]
    confidence_level: float
    sweep: SweepResult = field(repr=False)

    def _output_index(self, output: str | int | None) -> int:
        if output is None:
            return 0
        if isinstance(output, int):
            return output
        texts = [o.text for o in self.outputs]
        if output not in texts:
            raise KeyError(f"no output {output!r}; outputs are {texts}")
        return texts.index(output)

    def ranking(self, output: str | int | None = None) -> list[str]:
        """Parameters from most to least influential on ``output`` (total order, or mu*)."""
        k = self._output_index(output)
        key = "total" if self.method == "sobol" else "mu_star"
        return [self.paths[i] for i in np.argsort(-self.indices[key][k], kind="stable")]

    @property
    def widest_interval(self) -> float:
        """The largest half-width of any Sobol index's confidence interval (NaN for Morris)."""
        if self.method != "sobol":
            return float("nan")
        return float(max(np.nanmax(np.diff(self.indices[k], axis=0)) / 2.0 for k in ("first_ci", "total_ci")))

    def table(self, output: str | int | None = None, top: int | None = None) -> Table:
        """Parameters ranked by their influence on one output, with intervals."""
        k = self._output_index(output)
        order = [self.paths.index(p) for p in self.ranking(k)][:top]
        level = f"{100 * self.confidence_level:g}%"
        if self.method == "sobol":
            ix = self.indices
            cols = ("parameter", "total", f"total {level}", "first", f"first {level}")
            rows = [
                (
                    self.paths[i],
                    float(ix["total"][k, i]),
                    _interval(ix["total_ci"][:, k, i]),
                    float(ix["first"][k, i]),
                    _interval(ix["first_ci"][:, k, i]),
                )
                for i in order
            ]
        else:
            ix = self.indices
            cols = ("parameter", "mu*", f"mu* ± ({level})", "mu", "sigma")
            rows = [
                (
                    self.paths[i],
                    float(ix["mu_star"][k, i]),
                    float(ix["mu_star_conf"][k, i]),
                    float(ix["mu"][k, i]),
                    float(ix["sigma"][k, i]),
                )
                for i in order
            ]
        o = self.outputs[k]
        title = (
            f"{self.method} sensitivity of {o.text} ({o.unit}): {len(self.paths)} parameters, n={self.n}, "
            f"{self.points:,} points x {self.replications} replications"
        )
        return Table(title, cols, rows)

    def to_pandas(self) -> Any:
        """A tidy DataFrame: one row per output and parameter (needs pandas)."""
        pd = _need("pandas", "pandas")
        rows = []
        for k, o in enumerate(self.outputs):
            for i, path in enumerate(self.paths):
                row: dict[str, Any] = {"output": o.text, "parameter": path}
                for key, value in self.indices.items():
                    if value.ndim == 3:
                        row[f"{key}_low"], row[f"{key}_high"] = value[0, k, i], value[1, k, i]
                    else:
                        row[key] = value[k, i]
                rows.append(row)
        return pd.DataFrame(rows)


def _interval(ci: NDArray[np.float64]) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def sensitivity(
    scenario: Scenario,
    outputs: str | Iterable[str],
    method: str = "sobol",
    n: int = 1024,
    paths: Sequence[str] | None = None,
    seed: int | None = None,
    *,
    replications: int = 16,
    bounds: Mapping[str, Sequence[Any]] | None = None,
    levels: int = 4,
    confidence_level: float = 0.95,
    n_resamples: int = 999,
    workers: int | None = None,
    executor: Any = None,
    store: Any = None,
    progress: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> SensitivityResult:
    """Global sensitivity of outputs to the scenario's assumptions, in one sweep.

    Parameters
    ----------
    scenario : Scenario
    outputs : str or iterable of str
        ``<output>.<contingent>@<date>`` (a mean; contingents may be summed
        with ``+``), ``area@<date>``, or ``<event>@<date>`` (a probability);
        the date defaults to the end.
    method : {"sobol", "morris"}
    n : int
        Sobol: base sample, a power of two (``n (d + 2)`` points). Morris:
        trajectories (``n (d + 1)`` points).
    paths : sequence of str, optional
        The parameters; default every one with a declared range or a
        distribution (:func:`~kursk_sim.design.ranged_parameters`).
    seed : int, optional
        Seeds the sample, the replications and the bootstrap.
    replications : int
        Replications of each point (an output is their mean).
    bounds : mapping, optional
        Uniform bounds overriding some parameters' ranges or distributions.
    levels : int
        Morris grid levels.
    confidence_level, n_resamples
        Of the bootstrap intervals.
    workers, executor, store, progress, chunk_size
        As for :func:`~kursk_sim.sweep.sweep`.

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> res = ks.sensitivity(sc, "strength.ua@2025-03-01", n=32, replications=4, seed=1,
    ...                      paths=["defender.lethality", "ua.replenishment.per_day", "kpa.exposure"], n_resamples=99)
    >>> res.ranking()[0]
    'ua.replenishment.per_day'
    """
    if method not in METHODS:
        raise ValueError(f"method: got {method!r}, expected one of {METHODS}")
    n = _whole("n", n, 2)
    replications = _whole("replications", replications, 1)
    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"confidence_level: got {confidence_level!r}, expected a level in (0, 1)")
    texts = [outputs] if isinstance(outputs, str) else list(outputs)
    if not texts:
        raise ValueError("outputs: got none, expected at least one, e.g. 'area@2025-03-01'")
    from .rules import event_names

    events = event_names(scenario)
    parsed = tuple(parse_output(t, scenario, events) for t in texts)
    marginals = Marginals(scenario, paths, bounds)
    dates = sorted({str(o.date) for o in parsed})
    holder: dict[str, SweepResult] = {}

    def run(unit: NDArray[np.float64]) -> NDArray[np.float64]:
        design = marginals.design(unit)
        res = sweep(
            scenario,
            design,
            replications,
            seed,
            dates=dates,
            quantiles=False,
            reference=None,
            workers=workers,
            executor=executor,
            store=store,
            progress=progress,
            chunk_size=chunk_size,
        )
        holder["sweep"] = res
        return np.stack([o.of(res) for o in parsed])

    d = len(marginals.paths)
    if method == "sobol":
        indices = sobol(run, d, n, seed, confidence_level, n_resamples)
        points = n * (d + 2)
    else:
        indices = _morris(run, marginals.paths, n, levels, seed, confidence_level, n_resamples)
        points = n * (d + 1)
    return SensitivityResult(
        method, parsed, marginals.paths, n, replications, points, indices, confidence_level, holder["sweep"]
    )
