"""Attrition laws: the generalised Lanchester form, its ODE and closed forms.

One law covers the Lanchester family: the expected daily losses of side B
under fire from side A are ::

    loss_B = k_A * F_A**p * S_B**q

with ``F_A`` the enemy's effectiveness-weighted strength and ``S_B`` the
side's own strength. Square law: ``p=1, q=0``; linear law: ``p=1, q=1``;
logarithmic (a fixed casualty rate): ``p=0, q=1``; Helmbold-style exponents
in between.

The functions are array in, array out, so the same code serves one
replication and a batch of a million. :func:`solve_ode` integrates the
continuous form with :func:`scipy.integrate.solve_ivp`, and
:func:`square_law_solution` / :func:`linear_law_solution` give the closed
forms the tests check the simulation against.

Examples
--------
>>> import numpy as np
>>> expected_losses(0.01, np.array([1000.0]), np.array([500.0]), 1.0, 0.0)
array([10.])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PRESETS",
    "expected_losses",
    "solve_ode",
    "OdeSolution",
    "square_law_solution",
    "linear_law_solution",
]

#: Named exponents ``(p, q)`` of the generalised law.
PRESETS: dict[str, tuple[float, float]] = {
    "square": (1.0, 0.0),
    "linear": (1.0, 1.0),
    "logarithmic": (0.0, 1.0),
}


def expected_losses(k: ArrayLike, fire: ArrayLike, own: ArrayLike, p: ArrayLike, q: ArrayLike) -> NDArray[np.float64]:
    """Expected losses ``k * fire**p * own**q`` per day.

    Parameters
    ----------
    k : array_like
        Lethality of the firing side (per day, in units that depend on p, q).
    fire : array_like
        Effectiveness-weighted strength of the firing side, ``F >= 0``.
    own : array_like
        Strength of the side taking losses, ``S >= 0``.
    p, q : array_like
        Exponents; all arguments broadcast together.

    Returns
    -------
    ndarray
        Expected losses, zero where the firing side has no strength (so a
        logarithmic law does not keep killing after the enemy is gone).

    Examples
    --------
    >>> expected_losses(0.001, 100.0, 50.0, 1.0, 1.0)
    array(5.)
    >>> expected_losses(0.1, 0.0, 50.0, 0.0, 1.0)
    array(0.)
    """
    fire = np.asarray(fire, dtype=float)
    own = np.asarray(own, dtype=float)
    out = np.asarray(k, dtype=float) * _power(fire, p)
    if not (isinstance(q, float) and q == 0.0):  # own**0 is 1 (NaN and inf included): no factor
        out = out * _power(own, q)
    return np.where(fire > 0, out, 0.0)


def _power(x: NDArray[np.float64], e: ArrayLike) -> NDArray[np.float64]:
    """``x ** e``, ``x`` itself where ``e`` is the float 1 (the same values, without the pass)."""
    return x if isinstance(e, float) and e == 1.0 else np.power(x, e)


@dataclass(frozen=True)
class OdeSolution:
    """Trajectories of the continuous two-side model.

    Attributes
    ----------
    t : ndarray
        Times in days.
    attacker, defender : ndarray
        Strengths at ``t``.
    """

    t: NDArray[np.float64]
    attacker: NDArray[np.float64]
    defender: NDArray[np.float64]


def solve_ode(
    attacker0: float,
    defender0: float,
    k_attacker: float,
    k_defender: float,
    exponents_attacker: tuple[float, float],
    exponents_defender: tuple[float, float],
    t_eval: ArrayLike,
    inflow_attacker: Callable[[float], float] | None = None,
    inflow_defender: Callable[[float], float] | None = None,
    rtol: float = 1e-10,
    atol: float = 1e-8,
) -> OdeSolution:
    """Integrate the continuous generalised Lanchester model.

    ::

        dA/dt = -k_defender * D**p_A * A**q_A + inflow_attacker(t)
        dD/dt = -k_attacker * A**p_D * D**q_D + inflow_defender(t)

    where ``(p_A, q_A) = exponents_attacker`` governs the attacker's losses.
    Strengths stop at zero (the integration ends for a side at zero).

    Parameters
    ----------
    attacker0, defender0 : float
        Initial strengths.
    k_attacker, k_defender : float
        Lethality of each side's fire.
    exponents_attacker, exponents_defender : tuple of float
        ``(p, q)`` of the law giving that side's losses.
    t_eval : array_like
        Times (days) at which to report.
    inflow_attacker, inflow_defender : callable, optional
        Reinforcement rates (troops/day) as functions of time.
    rtol, atol : float
        Tolerances passed to :func:`scipy.integrate.solve_ivp`.

    Returns
    -------
    OdeSolution

    Examples
    --------
    >>> sol = solve_ode(1000, 800, 0.05, 0.05, (1, 0), (1, 0), [0, 10])
    >>> round(float(sol.attacker[-1]**2 - sol.defender[-1]**2))  # square law invariant
    360000
    """
    t_eval = np.asarray(t_eval, dtype=float)
    pa, qa = exponents_attacker
    pd, qd = exponents_defender
    fa = inflow_attacker or (lambda t: 0.0)
    fd = inflow_defender or (lambda t: 0.0)

    def rhs(t: float, y: NDArray[np.float64]) -> list[float]:
        a, d = max(y[0], 0.0), max(y[1], 0.0)
        da = -float(expected_losses(k_defender, d, a, pa, qa)) if a > 0 else 0.0
        dd = -float(expected_losses(k_attacker, a, d, pd, qd)) if d > 0 else 0.0
        return [da + fa(t), dd + fd(t)]

    from scipy.integrate import solve_ivp  # here, not at the top: it takes half a second to import

    sol = solve_ivp(
        rhs,
        (float(t_eval[0]), float(t_eval[-1])),
        [attacker0, defender0],
        t_eval=t_eval,
        rtol=rtol,
        atol=atol,
        method="DOP853",
    )
    if not sol.success:  # pragma: no cover - solve_ivp reports its own reason
        raise RuntimeError(f"ODE integration failed: {sol.message}")
    return OdeSolution(sol.t, np.maximum(sol.y[0], 0.0), np.maximum(sol.y[1], 0.0))


def square_law_solution(
    attacker0: float, defender0: float, k_attacker: float, k_defender: float, t: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Closed form of the square law, ``dA/dt = -k_d D``, ``dD/dt = -k_a A``.

    ::

        A(t) = A0 cosh(wt) - sqrt(k_d/k_a) D0 sinh(wt),   w = sqrt(k_a k_d)
        D(t) = D0 cosh(wt) - sqrt(k_a/k_d) A0 sinh(wt)

    valid until one side reaches zero (values past that are not returned:
    both strengths are held at their state when the first side hits zero).

    Examples
    --------
    >>> a, d = square_law_solution(1000.0, 800.0, 0.05, 0.05, [0.0, 5.0])
    >>> round(float(a[1]**2 - d[1]**2))
    360000
    """
    t = np.asarray(t, dtype=float)
    w = np.sqrt(k_attacker * k_defender)
    ra = np.sqrt(k_defender / k_attacker)
    a = attacker0 * np.cosh(w * t) - ra * defender0 * np.sinh(w * t)
    d = defender0 * np.cosh(w * t) - attacker0 / ra * np.sinh(w * t)
    end = np.inf
    if (a <= 0).any() or (d <= 0).any():
        # time the losing side reaches zero: tanh(w t*) = ratio of initial forces
        if ra * defender0 > attacker0:
            end = np.arctanh(attacker0 / (ra * defender0)) / w
        else:
            end = np.arctanh(ra * defender0 / attacker0) / w
    after = t >= end
    if after.any():
        a_end = attacker0 * np.cosh(w * end) - ra * defender0 * np.sinh(w * end)
        d_end = defender0 * np.cosh(w * end) - attacker0 / ra * np.sinh(w * end)
        a = np.where(after, max(a_end, 0.0), a)
        d = np.where(after, max(d_end, 0.0), d)
    return a, d


def linear_law_solution(
    attacker0: float, defender0: float, k_attacker: float, k_defender: float, t: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Closed form of the linear law, ``dA/dt = -k_d A D``, ``dD/dt = -k_a A D``.

    ``k_a A - k_d D = c`` is conserved, which gives a logistic solution::

        A(t) = c A0 / (k_a A0 - k_d D0 exp(-c t))     (c != 0)

    and ``A = A0 / (1 + k_a A0 t)`` when ``c = 0``.

    Examples
    --------
    >>> a, d = linear_law_solution(1000.0, 800.0, 1e-4, 1e-4, [0.0, 3.0])
    >>> round(float(1e-4 * (a[1] - d[1])), 9)
    0.02
    """
    t = np.asarray(t, dtype=float)
    c = k_attacker * attacker0 - k_defender * defender0
    if abs(c) < 1e-15 * max(k_attacker * attacker0, 1e-300):
        a = attacker0 / (1.0 + k_attacker * attacker0 * t)
        d = defender0 / (1.0 + k_defender * defender0 * t)
        return a, d
    e = np.exp(-c * t)
    a = c * attacker0 / (k_attacker * attacker0 - k_defender * defender0 * e)
    d = (k_attacker * a - c) / k_defender
    return a, d
