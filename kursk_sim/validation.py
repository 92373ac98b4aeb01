"""How well attrition laws predict casualty ratios across battles, out of sample.

Over a battle in which losses stay small against strengths, a law's losses
``k_enemy F_enemy**p S_own**q`` (:mod:`kursk_sim.laws`) make the attacker's
casualties over the defender's

    log(C_A / C_D) = log E + (p_A - q_D) log D0 + (q_A - p_D) log A0

where ``(p_A, q_A)`` are the exponents of the attacker's losses, ``(p_D,
q_D)`` the defender's, ``A0``, ``D0`` the initial strengths and ``E`` the
lethality ratio, one constant fitted across battles. The square law predicts
a ratio proportional to ``D0 / A0``, the linear law a constant ratio, the
logarithmic law one proportional to ``A0 / D0``; ``fitted`` lets both
exponents free (a Helmbold-type law). :func:`casualty_ratio_skill` fits each
on some battles and scores it on the others (k-fold cross-validation), next
to a no-skill forecast, the training battles' mean log ratio, which the
linear law's prediction equals.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a0, d0 = rng.uniform(1e3, 1e5, 400), rng.uniform(1e3, 1e5, 400)
>>> ca = 0.1 * d0 * rng.lognormal(0.0, 0.2, 400); cd = 0.1 * a0  # square-law casualties
>>> table = casualty_ratio_skill(a0, d0, ca, cd, folds=5, seed=1)
>>> best = min(table.rows, key=lambda r: r[1])[0]
>>> best in ("square", "fitted")
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .results import Table
from .rules.combat import LAW_PRESETS

__all__ = ["casualty_ratio_skill", "law_predictors"]


def law_predictors() -> dict[str, tuple[float, float]]:
    """Each symmetric preset's coefficients ``(on log D0, on log A0)`` of the log casualty ratio."""
    out = {}
    for name in ("square", "linear", "logarithmic"):
        (p_a, q_a), (p_d, q_d) = LAW_PRESETS[name]
        out[name] = (p_a - q_d, q_a - p_d)
    return out


def _design(log_d: NDArray[np.float64], log_a: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.column_stack([np.ones_like(log_d), log_d, log_a])


def casualty_ratio_skill(
    attacker_strength: ArrayLike,
    defender_strength: ArrayLike,
    attacker_casualties: ArrayLike,
    defender_casualties: ArrayLike,
    folds: int = 10,
    seed: int = 0,
) -> Table:
    """Out-of-sample error of each law's log casualty ratio, with a no-skill forecast beside them.

    Parameters
    ----------
    attacker_strength, defender_strength : array_like
        Initial strengths (positive).
    attacker_casualties, defender_casualties : array_like
        Casualties over the battle (positive).
    folds : int
        Folds of the cross-validation (battles shuffled with ``seed``).
    seed : int

    Returns
    -------
    Table
        Per law: root mean squared error of the log ratio out of sample,
        skill against the no-skill forecast (1 - MSE / MSE of no skill; 0:
        no better, negative: worse), and the coefficients fitted on all
        battles (``log E``, on ``log D0``, on ``log A0``).
    """
    a0, d0, ca, cd = (
        np.asarray(x, dtype=float)
        for x in (attacker_strength, defender_strength, attacker_casualties, defender_casualties)
    )
    if not (a0.shape == d0.shape == ca.shape == cd.shape) or a0.ndim != 1:
        raise ValueError("casualty_ratio_skill: four 1-D arrays of the same length expected")
    if not ((a0 > 0) & (d0 > 0) & (ca > 0) & (cd > 0)).all():
        raise ValueError("casualty_ratio_skill: strengths and casualties must be positive (filter the battles first)")
    if not 2 <= folds <= a0.size:
        raise ValueError(f"folds: got {folds}, expected 2..{a0.size}")
    y = np.log(ca / cd)
    log_d, log_a = np.log(d0), np.log(a0)
    x = _design(log_d, log_a)
    fold = np.random.default_rng(seed).permutation(a0.size) % folds
    fixed = law_predictors()
    errors: dict[str, list[NDArray[np.float64]]] = {name: [] for name in ("no skill", *fixed, "fitted")}
    for k in range(folds):
        train, test = fold != k, fold == k
        errors["no skill"].append(y[test] - y[train].mean())
        for name, (b_d, b_a) in fixed.items():
            offset = b_d * log_d + b_a * log_a
            log_e = (y[train] - offset[train]).mean()
            errors[name].append(y[test] - (log_e + offset[test]))
        coef, *_ = np.linalg.lstsq(x[train], y[train], rcond=None)
        errors["fitted"].append(y[test] - x[test] @ coef)
    mse = {name: float(np.mean(np.concatenate(e) ** 2)) for name, e in errors.items()}
    full_fit, *_ = np.linalg.lstsq(x, y, rcond=None)
    rows = []
    for name in errors:
        if name == "no skill":
            coef = (float(y.mean()), 0.0, 0.0)
        elif name == "fitted":
            coef = tuple(float(c) for c in full_fit)
        else:
            b_d, b_a = fixed[name]
            coef = (float((y - b_d * log_d - b_a * log_a).mean()), b_d, b_a)
        rows.append((name, float(np.sqrt(mse[name])), 1.0 - mse[name] / mse["no skill"], *coef))
    title = f"log casualty ratio (attacker / defender), {a0.size} battles, {folds}-fold cross-validation"
    return Table(title, ("law", "rmse", "skill", "log E", "on log D0", "on log A0"), rows)
