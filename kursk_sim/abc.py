"""Bayesian calibration by approximate Bayesian computation with sequential Monte Carlo (ABC-SMC).

:func:`abc` finds which values of chosen parameters make the stochastic
model reproduce the observations, without a likelihood: particles
(parameter sets) are simulated, and those whose simulated figures come
close enough to the observed ones are kept. Every population of particles
is one batched run of the one model, each particle a replication with its
own values (``simulate(values=...)``), so 20,000 particles cost one
20,000-replication run.

The algorithm (Beaumont et al. 2009; Del Moral et al. 2012's adaptive
tolerance):

1. Work on the prior's probability scale: each parameter's prior is its
   distribution in the scenario, its declared range, or bounds given, and a
   particle is a point ``u`` of the unit cube mapped through the priors'
   inverse CDFs (:class:`~kursk_sim.design.Marginals`). The prior is uniform
   there, so importance weights need no prior densities.
2. Population 0: ``particles`` draws from the prior, each simulated once (a
   replication; the horizon cut after the last observation); distance = the
   Euclidean norm over figures of ``(simulated - observed) / sd`` (a
   figure without an sd taken as known to 10 %; bounds count only when
   broken; events as 1 / 0). The ``quantile`` of the distances is the tolerance; the particles
   within it are accepted.
3. Each next population's tolerance is the ``quantile`` of the last
   population's accepted distances, so it shrinks. Proposals: accepted
   particles resampled by weight and perturbed with a Gaussian kernel of
   twice their weighted covariance (on the unit cube; proposals outside it
   drawn again), simulated in batches of ``particles`` until ``quantile *
   particles`` are within the tolerance, weighted by ``1 / sum_j w_j K(u |
   u_j)``.

Diagnostics per population: tolerance, acceptance rate (accepted over
simulated), effective sample size, proposals outside the prior.
:meth:`ABCResult.scenario` returns the scenario with the parameters' joint
posterior as a joint empirical sample (:class:`~kursk_sim.distributions.Empirical`,
group ``abc``), which keeps the correlations and is stored with the file.

Why not pyabc or ELFI: both run one simulation per particle through a
Python call (and pyabc a database per run); here a population is one
batch of the vectorised model, which is what makes 20,000 particles a
population affordable, and the unit-cube formulation keeps the weights
exact without prior densities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .design import Marginals
from .distributions import Distribution, Empirical
from .observations import Observation, Observations, load_observations
from .results import Ensemble, Table
from .rules import OUTPUTS
from .run import simulate
from .scenario import Scenario
from .streams import root_sequence

__all__ = ["ABCResult", "abc", "distances"]

GROUP = "abc"


def distances(summaries: NDArray[np.float64], obs: Sequence[Observation]) -> NDArray[np.float64]:
    """Distance of each particle's simulated figures ``(particles, figures)`` from the observed ones.

    Examples
    --------
    >>> from kursk_sim.observations import Observations
    >>> obs = Observations.from_rows([{"date": "2025-01-01", "output": "area", "kind": "state", "value": 100,
    ...                                "sd": 10, "source": "s"}])
    >>> distances(np.array([[100.0], [130.0]]), obs).tolist()
    [0.0, 3.0]
    """
    value = np.array([o.value for o in obs])
    r = (summaries - value) / np.array([o.scale for o in obs])
    for i, o in enumerate(obs):
        if o.kind == "at_least":
            r[:, i] = np.minimum(r[:, i], 0.0)
        elif o.kind == "at_most":
            r[:, i] = np.maximum(r[:, i], 0.0)
    return np.sqrt((r * r).sum(axis=1))


@dataclass
class ABCResult:
    """A weighted sample of the posterior, and how it was reached.

    Attributes
    ----------
    paths : tuple of str
    samples : dict of str to ndarray
        The last population's accepted particles, in scenario units.
    weights : ndarray
        Their importance weights, summing to 1.
    populations : list of dict
        Per population: ``epsilon`` (tolerance), ``accepted``, ``simulated``,
        ``acceptance`` (accepted / simulated), ``ess`` (effective sample
        size), ``outside`` (proposals outside the prior, drawn again).
    prior : Scenario
        The scenario with the priors as the parameters' values.
    observations : Observations
    seed : numpy.random.SeedSequence
    priors : dict of str to str
        Each parameter's prior, described.
    """

    paths: tuple[str, ...]
    samples: dict[str, NDArray[np.float64]]
    weights: NDArray[np.float64]
    populations: list[dict[str, float]]
    prior: Scenario = field(repr=False)
    observations: Observations = field(repr=False)
    seed: np.random.SeedSequence = field(repr=False)
    priors: dict[str, str] = field(default_factory=dict)

    def quantiles(self, path: str, q: Sequence[float] = (0.05, 0.5, 0.95)) -> NDArray[np.float64]:
        """Weighted posterior quantiles of one parameter."""
        x = self.samples[path]
        order = np.argsort(x, kind="stable")
        cum = np.cumsum(self.weights[order])
        idx = np.searchsorted(cum / cum[-1], np.asarray(q, dtype=float), side="left")
        return x[order][np.minimum(idx, x.size - 1)]

    def mean(self, path: str) -> float:
        """Weighted posterior mean."""
        return float(np.average(self.samples[path], weights=self.weights))

    def table(self) -> Table:
        """Per parameter: prior, posterior mean, median and 90 % credible interval."""
        rows = []
        for p in self.paths:
            lo, mid, hi = self.quantiles(p)
            rows.append((p, self.priors.get(p, ""), self.mean(p), mid, lo, hi))
        last = self.populations[-1]
        title = (
            f"ABC-SMC posterior: {len(self.populations)} populations, last tolerance {last['epsilon']:.4g}, "
            f"{int(last['accepted']):,} particles (ESS {last['ess']:,.0f})"
        )
        return Table(title, ("parameter", "prior", "mean", "median", "5%", "95%"), rows)

    def diagnostics(self) -> Table:
        """The tolerance schedule, acceptance rates and effective sample sizes."""
        cols = ("population", "epsilon", "simulated", "accepted", "acceptance", "ess", "outside prior")
        rows = [
            (i, p["epsilon"], int(p["simulated"]), int(p["accepted"]), p["acceptance"], p["ess"], int(p["outside"]))
            for i, p in enumerate(self.populations)
        ]
        return Table("ABC-SMC populations", cols, rows)

    def scenario(self, name: str | None = None) -> Scenario:
        """The scenario whose parameters are the joint posterior (a joint empirical sample, group ``abc``)."""
        changes: dict[str, Any] = {
            p: Empirical(tuple(float(v) for v in self.samples[p]), tuple(float(w) for w in self.weights), GROUP)
            for p in self.paths
        }
        if name is not None:
            changes["name"] = name
        return self.prior.replace(changes)

    def predictive(self, replications: int = 2000, seed: int | None = 0, **kwargs: Any) -> Ensemble:
        """The posterior predictive ensemble: :func:`~kursk_sim.run.simulate` of :meth:`scenario`."""
        return simulate(self.scenario(), replications, seed, **kwargs)


def abc(
    scenario: Scenario,
    observations: Observations | str,
    priors: Mapping[str, Any] | Sequence[str] | None = None,
    particles: int = 2000,
    populations: int = 5,
    seed: int | np.random.SeedSequence | None = None,
    *,
    quantile: float = 0.5,
    max_batches: int = 20,
    workers: int | None = None,
    executor: Any = None,
    progress: bool | None = False,
    extra_processes: Iterable[Any] = (),
) -> ABCResult:
    """Calibrate parameters to observations by ABC-SMC (see the module's docstring).

    Parameters
    ----------
    scenario : Scenario
    observations : Observations, or a built-in name or file path
    priors : mapping or sequence of str, optional
        The parameters and their priors: ``{path: Distribution}``,
        ``{path: (low, high)}`` (uniform) or ``{path: None}`` / a list of
        paths (the scenario's distribution, else its declared range).
        Default: every parameter with a distribution or a declared range.
    particles : int
        Particles simulated in each population (each one replication).
    populations : int
    seed : int or SeedSequence, optional
    quantile : float
        The tolerance of a population is this quantile of the last
        population's accepted distances (of the prior's, for the first); a
        population is simulated in batches of ``particles`` until
        ``quantile * particles`` are accepted.
    max_batches : int
        Most batches in a population.
    workers, executor, progress, extra_processes
        As for :func:`~kursk_sim.run.simulate`.

    Returns
    -------
    ABCResult

    Examples
    --------
    >>> import kursk_sim as ks
    >>> sc = ks.load_scenario("kursk-2024")
    >>> res = ks.abc(sc, "kursk-2024-article", {"territory.advance_km2_per_day": None}, particles=200,
    ...              populations=2, seed=1)
    >>> len(res.populations), res.populations[-1]["accepted"] >= 100  # half the particles, at least, each population
    (2, True)
    """
    obs = observations if isinstance(observations, Observations) else load_observations(observations)
    obs.check(scenario)
    if isinstance(particles, bool) or not isinstance(particles, (int, np.integer)) or particles < 2:
        raise ValueError(f"particles: got {particles!r}, expected a whole number >= 2")
    if isinstance(populations, bool) or not isinstance(populations, (int, np.integer)) or populations < 1:
        raise ValueError(f"populations: got {populations!r}, expected a whole number >= 1")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile: got {quantile!r}, expected a share in (0, 1)")
    prior, paths, bounds = _priors(scenario, priors)
    marginals = Marginals(prior, paths, bounds)
    if any(marginals._dates):
        raise ValueError("priors: ABC of date parameters is not supported yet; give it numbers")
    d = len(marginals.paths)
    root = root_sequence(seed)
    rng = np.random.default_rng(root.spawn(1)[0])
    last_day = max((o.date - prior.start_date).days for o in obs) + 1
    cut = prior.replace({"end_date": prior.start_date + dt.timedelta(days=max(last_day, 1))})
    run_kw = dict(workers=workers, executor=executor, progress=progress, extra_processes=list(extra_processes))

    def simulate_particles(u: NDArray[np.float64], population: int) -> NDArray[np.float64]:
        design = marginals.design(u)
        values = {p: np.asarray(design[p]) for p in design.paths}
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1, population))
        ens = simulate(cut, u.shape[0], child, values=values, trajectories=True, **run_kw)
        return distances(_summaries(ens, obs), obs)

    history: list[dict[str, float]] = []
    target = max(2, int(round(particles * quantile)))
    u = rng.random((particles, d))
    dist = simulate_particles(u, 0)
    eps = float(np.quantile(dist, quantile))
    keep = dist <= eps
    pop_u, pop_d, w = u[keep], dist[keep], np.full(int(keep.sum()), 1.0 / keep.sum())
    history.append(_stats(eps, particles, pop_u.shape[0], w, 0))
    batch = 1
    for _ in range(1, populations):
        eps = float(np.quantile(pop_d, quantile))  # shrinks: the accepted distances are all within the last one
        cov = 2.0 * np.atleast_2d(np.cov(pop_u, rowvar=False, aweights=w))
        chol = np.linalg.cholesky(cov + 1e-12 * np.eye(d))
        kept_u, kept_d, simulated, outside = [], [], 0, 0
        while sum(x.shape[0] for x in kept_u) < target:
            if simulated >= max_batches * particles:
                break
            proposals, out = _propose(rng, pop_u, w, chol, particles)
            dist = simulate_particles(proposals, batch)
            batch += 1
            simulated += particles
            outside += out
            keep = dist <= eps
            kept_u.append(proposals[keep])
            kept_d.append(dist[keep])
        new_u, new_d = np.concatenate(kept_u), np.concatenate(kept_d)
        if new_u.shape[0] < 2:
            raise RuntimeError(
                f"abc: tolerance {eps:.4g} accepted {new_u.shape[0]} of {simulated:,} particles; "
                "use fewer populations or more particles"
            )
        new_w = 1.0 / _kernel_sum(new_u, pop_u, w, chol)
        pop_u, pop_d, w = new_u, new_d, new_w / new_w.sum()
        history.append(_stats(eps, simulated, pop_u.shape[0], w, outside))
    final = marginals.design(pop_u)
    samples = {p: np.asarray(final[p], dtype=float) for p in final.paths}
    described = {
        p: m.summary() if isinstance(m, Distribution) else f"uniform({m[0]:g}, {m[1]:g})"
        for p, m in zip(marginals.paths, marginals.marginals, strict=True)
    }
    return ABCResult(marginals.paths, samples, w, history, prior, obs, root, described)


def _priors(scenario: Scenario, priors: Any) -> tuple[Scenario, list[str] | None, dict[str, Any]]:
    """The scenario with the priors set, the paths (None: the default set) and uniform bounds."""
    if priors is None:
        return scenario, None, {}
    if isinstance(priors, str):
        priors = [priors]
    if not isinstance(priors, Mapping):
        return scenario, list(priors), {}
    changes, bounds = {}, {}
    for path, prior in priors.items():
        if isinstance(prior, Distribution):
            changes[path] = prior
        elif prior is not None:
            bounds[path] = prior
    return (scenario.replace(changes) if changes else scenario), list(priors), bounds


def _summaries(ens: Ensemble, obs: Sequence[Observation]) -> NDArray[np.float64]:
    traj = {name: ens.trajectory(name).values for name in OUTPUTS}
    traj |= {f"event.{e}": np.nan_to_num(ens.event_day(e), nan=-1).astype(int) for e in ens.event_names}
    start = ens.scenario.start_date
    return np.stack([o.model_value(traj, ens.contingents, start) for o in obs], axis=1)


def _propose(
    rng: np.random.Generator, pop: NDArray[np.float64], w: NDArray[np.float64], chol: NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], int]:
    """``n`` perturbed particles inside the unit cube, and how many proposals fell outside it."""
    out, outside, have = np.empty((n, pop.shape[1])), 0, 0
    while have < n:
        m = 2 * (n - have)
        parents = rng.choice(pop.shape[0], size=m, p=w)
        cand = pop[parents] + rng.standard_normal((m, pop.shape[1])) @ chol.T
        ok = ((cand > 0.0) & (cand < 1.0)).all(axis=1)
        outside += int((~ok).sum())
        take = cand[ok][: n - have]
        out[have : have + take.shape[0]] = take
        have += take.shape[0]
    return out, outside


def _kernel_sum(
    x: NDArray[np.float64], pop: NDArray[np.float64], w: NDArray[np.float64], chol: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``sum_j w_j K(x_i | pop_j)`` for a Gaussian kernel with Cholesky factor ``chol`` (constants dropped), in blocks."""
    inv = np.linalg.inv(chol)
    zx, zp = x @ inv.T, pop @ inv.T
    px = (zp * zp).sum(axis=1)
    out = np.empty(x.shape[0])
    for lo in range(0, x.shape[0], 512):  # squared distances as |a|^2 + |b|^2 - 2 a.b: (512, n) at a time
        a = zx[lo : lo + 512]
        sq = (a * a).sum(axis=1)[:, None] + px[None, :] - 2.0 * a @ zp.T
        out[lo : lo + 512] = np.exp(-0.5 * np.maximum(sq, 0.0)) @ w
    return out


def _stats(eps: float, simulated: int, accepted: int, w: NDArray[np.float64], outside: int) -> dict[str, float]:
    return {
        "epsilon": eps,
        "simulated": int(simulated),
        "accepted": int(accepted),
        "acceptance": accepted / simulated,
        "ess": float(1.0 / np.sum(w * w)),
        "outside": int(outside),
    }
