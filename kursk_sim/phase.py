"""The times of day at which the rules act.

A day is split into ordered phases, so the order of the rules within a day
is explicit rather than an accident of scheduling:

===========  =====  ==========================================================
phase        time   processes
===========  =====  ==========================================================
SUPPLY       0.0    replenishment (:mod:`kursk_sim.rules.supply`)
RETURNS      0.031  wounded returning to duty
ARRIVALS     0.0625 reinforcement waves
CONDITIONS   0.125  modifiers (learning, fatigue, strikes, offensive)
COMBAT       0.25   attrition
MANOEUVRE    0.5    territory
ENCIRCLE     0.625  encirclement
WITHDRAW     0.6875 withdrawal
MOBILISE     0.75   mobilisation
RECORD       0.875  recorder (end of day)
===========  =====  ==========================================================
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Phase"]


class Phase(float, Enum):
    """Time of day (fraction of a day) at which a process acts."""

    SUPPLY = 0.0
    RETURNS = 0.03125
    ARRIVALS = 0.0625
    CONDITIONS = 0.125
    COMBAT = 0.25
    MANOEUVRE = 0.5
    ENCIRCLE = 0.625
    WITHDRAW = 0.6875
    MOBILISE = 0.75
    RECORD = 0.875
