"""kursk_sim: stochastic simulation of manpower attrition on a front.

Each force's strength day by day, its killed, wounded and missing, what
replenishes it, what reinforcements arrive, how much ground the defender
holds and when it must withdraw, as a Monte Carlo ensemble. The default
scenario is the Kursk front of winter 2024-25; nothing in the core is
specific to it.

Public API
----------
load_scenario, builtin_scenarios
    Read a scenario (built-in name or TOML path).
Scenario
    Parameters; ``replace``, ``describe``, ``save``.
simulate
    Run ``n`` replications with a seed, in this process, on local worker
    processes (``workers=``) or on any executor such as a Dask client
    (``executor=``), with the same result; returns an :class:`Ensemble`.
Ensemble
    ``summary``, ``projection``, ``quantiles``, ``probability``,
    ``trajectory``, ``event_date``, ``export``.
Uniform, Normal, LogNormal, Triangular, Empirical, Distribution
    Distributions for uncertain parameters (``Distribution``: their base
    class, e.g. to tell drawn values from fixed ones in ``Scenario.parameters()``).
Design, grid, sample
    Designs of experiments: tables of scenario points.
sweep, SweepResult
    Every point of a design, R replications each, in one batch; results by point.
sensitivity, SensitivityResult
    Sobol indices or Morris screening of outputs over the assumptions.
deterministic, DeterministicRun
    The model with nothing drawn (float64, smooth in continuous parameters), one or many rows.
fit, FitResult
    Least-squares or maximum-likelihood fit of parameters to observations, with intervals.
abc, ABCResult
    Bayesian calibration by ABC-SMC; the posterior as a scenario (a joint empirical sample).
load_observations, Observations
    Observed figures (the article's are built in: ``kursk-2024-article``).
ScenarioError
    Raised for bad input; names the parameter, value and expectation.
SimulationError
    Raised when chunks of a run failed; names each chunk and its seed and
    carries the other chunks' results.
plot, laws, model, chunks
    Figures; attrition laws and their ODE / closed forms; the SimPy
    processes, for users who add processes of their own; how a run is cut
    into seeded chunks (``run_chunk`` re-runs one alone).

``import kursk_sim`` loads each part when first used: scenarios and
distributions (with NumPy) with the first scenario, the model and its
runner (with SimPy) with the first ``simulate``; designs, sweeps,
sensitivity, fits, ABC, observations and ``plot`` when first asked for;
SciPy and Matplotlib only in the functions that need them.

Examples
--------
>>> import kursk_sim as ks
>>> sc = ks.load_scenario("kursk-2024")
>>> ens = ks.simulate(sc, replications=200, seed=7)
>>> 0.0 <= ens.probability("ua_withdrawal", by="2025-03-31") <= 1.0
True
"""

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import ScenarioError

if TYPE_CHECKING:
    from . import chunks, laws, model, plot
    from .abc import ABCResult, abc
    from .design import Design, grid, sample
    from .deterministic import DeterministicRun, deterministic
    from .distributions import Distribution, Empirical, LogNormal, Normal, Triangular, Uniform
    from .execution import SimulationError
    from .fit import FitResult, fit
    from .observations import Observations, load_observations
    from .results import Ensemble, LabelledArray, Table
    from .run import simulate
    from .scenario import Scenario, builtin_scenarios, load_scenario
    from .sensitivity import SensitivityResult, sensitivity
    from .sweep import sweep
    from .sweep_results import SweepResult

__all__ = [
    "ABCResult",
    "Design",
    "Empirical",
    "DeterministicRun",
    "Distribution",
    "Ensemble",
    "FitResult",
    "LabelledArray",
    "LogNormal",
    "Normal",
    "Observations",
    "Scenario",
    "ScenarioError",
    "SensitivityResult",
    "SimulationError",
    "SweepResult",
    "Table",
    "Triangular",
    "Uniform",
    "abc",
    "builtin_scenarios",
    "chunks",
    "deterministic",
    "fit",
    "grid",
    "laws",
    "load_observations",
    "load_scenario",
    "model",
    "plot",
    "sample",
    "sensitivity",
    "simulate",
    "sweep",
]

__version__ = "0.1.0"

#: Public names imported on first use, with the submodule that holds each (``None``: the name is that
#: submodule). Scenarios and distributions load with the first scenario, the model and its runner (SimPy)
#: with the first run, the experiments' layer, the observations and the figures (Matplotlib) when first
#: asked for: ``import kursk_sim`` itself costs next to nothing.
_LAZY: dict[str, str | None] = {
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "builtin_scenarios": "scenario",
    "Distribution": "distributions",
    "Empirical": "distributions",
    "LogNormal": "distributions",
    "Normal": "distributions",
    "Triangular": "distributions",
    "Uniform": "distributions",
    "laws": None,
    "simulate": "run",
    "Ensemble": "results",
    "LabelledArray": "results",
    "Table": "results",
    "SimulationError": "execution",
    "chunks": None,
    "model": None,
    "ABCResult": "abc",
    "abc": "abc",
    "Design": "design",
    "grid": "design",
    "sample": "design",
    "DeterministicRun": "deterministic",
    "deterministic": "deterministic",
    "FitResult": "fit",
    "fit": "fit",
    "Observations": "observations",
    "load_observations": "observations",
    "SensitivityResult": "sensitivity",
    "sensitivity": "sensitivity",
    "sweep": "sweep",
    "SweepResult": "sweep_results",
    "plot": None,
}


def __getattr__(name: str) -> Any:
    """Import a lazy public name (:data:`_LAZY`) on first access (PEP 562); ``from kursk_sim import X`` too."""
    where = _LAZY.get(name, "")
    if where == "":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f"{__name__}.{where or name}")
    value = module if where is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(ModuleType):
    """This package's module type: a submodule named like the function it holds does not hide the function.

    Importing a submodule binds it on its package (``kursk_sim.fit`` the module); the public name is the
    function (``ks.fit``), as it was when every submodule was imported here. Whichever imports the submodule
    first (this package's lazy look-up, another submodule, a user's ``from kursk_sim.fit import ...``), the
    package keeps the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, ModuleType)
            and _LAZY.get(name, "") == name
            and value.__name__ == f"{__name__}.{name}"
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
