"""Encirclement: a daily hazard while the defender holds too little ground.

Scenario table: ``[encirclement]``. Event: ``<defender>_encirclement``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..batch import RowsOf, end_front, take_rows
from ..phase import Phase
from ..schema import Value, param
from .base import Rule, Section

if TYPE_CHECKING:
    import simpy

    from ..model import Model

__all__ = ["Encirclement", "RULE", "encirclement"]


@dataclass(frozen=True, kw_only=True)
class Encirclement:
    """Risk of encirclement while the defender holds too little ground.

    With ``collapse_days = 0`` an encircled front collapses the day it is
    cut off. With ``collapse_days = d`` the pocket holds out about ``d``
    days: its replacements stop, combat goes on, and each day it loses a
    share ``1 - (1 - loss_fraction) ** (1 / d)`` of its strength (so
    ``loss_fraction`` over the ``d`` days, on top of combat) and
    ``1 / d`` of the ground it held when cut off; the front ends when the
    ground is gone.
    """

    enabled: bool = param("", "switch the rule on or off", kind="bool", default=True)
    area_below_km2: Value = param("km²", "the daily hazard applies while area held < this", ge=0.0, default=0.0)
    daily_hazard: Value = param(
        "probability/day", "chance of encirclement each day at risk", ge=0.0, le=1.0, default=0.0
    )
    loss_fraction: Value = param(
        "share", "share of the defender's strength lost when encircled", ge=0.0, le=1.0, default=0.5
    )
    captured_share: Value = param(
        "share", "share of those losses captured (the rest killed)", ge=0.0, le=1.0, default=0.5
    )
    collapse_days: Value = param(
        "days", "days an encircled pocket holds out (0: it collapses at once)", ge=0.0, default=0.0
    )


def encirclement(model: Model) -> Generator[simpy.events.Event, Any, None]:
    """While area held is below the threshold, a daily hazard of encirclement.

    When it strikes, each defender contingent loses ``loss_fraction`` of its
    strength (``captured_share`` of them captured, the rest killed), the
    defender's front collapses (no more combat) and the remaining ground is
    lost.

    In mean-field runs (``noise.kind = "none"``) the hazard acts by its
    expected effect, with no draw: each day at risk a share ``h`` of the front
    still held is encircled (``holding`` falls by ``h * holding``), the
    defender loses ``h * holding * loss_fraction`` of its strength, combat,
    replacements and the area reported scale with ``holding``, and the
    encirclement event, which has no day of its own, is not recorded. The
    pocket's collapse is then immediate whatever ``collapse_days`` says.
    """
    p, s = model.params, model.state
    if not p["encirclement.enabled"]:
        return
    event = s.events[f"{p.defender_id}_encirclement"]
    dfd = ~p.attacker
    mean_field = p.noise == "none"
    days = np.broadcast_to(p["encirclement.collapse_days"], (p.n,)).astype(float)
    holds_out = days > 0.0  # rows whose pockets hold out (the others collapse at once)
    staged = bool(holds_out.any())
    if staged:
        with np.errstate(divide="ignore", over="ignore"):  # 1 / days: inf for 0 and for subnormal days
            daily_loss = 1.0 - (1.0 - np.broadcast_to(p["encirclement.loss_fraction"], (p.n,))) ** (1.0 / days)
    yield model.wait_for(Phase.ENCIRCLE)
    while True:
        at_risk = s.engaged & ~s.encircled & (s.area < p["encirclement.area_below_km2"])
        if at_risk.any() and mean_field:
            share = np.where(at_risk, p["encirclement.daily_hazard"], 0.0) * s.holding  # of the replication, today
            lost = s.strength * (share * p["encirclement.loss_fraction"])[:, None] * dfd[None, :]
            captured = lost * np.reshape(p["encirclement.captured_share"], (-1, 1))
            s.strength -= lost
            s.missing += captured
            s.killed += lost - captured
            s.holding -= share
        elif at_risk.any():
            hit = at_risk & (model.uniforms_per_replication("encirclement") < p["encirclement.daily_hazard"])
            collapse = hit & ~holds_out if staged else hit
            if collapse.any():
                _pocket_losses(model, collapse, p["encirclement.loss_fraction"])
                end_front(model, collapse, event)
            cut_off = hit & holds_out if staged else None
            if cut_off is not None and cut_off.any():  # replacements stop; the pocket holds out
                event[cut_off] = model.day
                s.encircled |= cut_off
                s.withdrawing &= ~cut_off
                s.supplied[cut_off] = 0.0
                s.pocket_area[cut_off] = s.area[cut_off]
        if staged and not mean_field:
            pocket = s.encircled & s.engaged
            if pocket.any():
                _pocket_losses(model, pocket, daily_loss)
                with np.errstate(
                    divide="ignore", invalid="ignore", over="ignore"
                ):  # (subnormal days: the whole pocket)
                    s.area -= np.where(pocket, np.minimum(s.pocket_area / days, s.area), 0.0)
                end_front(model, pocket & (s.area <= 0.0))
        yield model.env.timeout(1.0)


def _pocket_losses(model: Model, mask: Any, fraction: Any) -> None:
    """Each defender contingent of the rows ``mask`` loses ``fraction`` of its strength, ``captured_share`` captured.

    Drawn for those rows alone (``rows=None``: on the days and rows hit, not
    in step with other points of a sweep); the others would draw zeros.
    """
    p, s = model.params, model.state
    rows = np.flatnonzero(mask)
    at = RowsOf(rows)
    frac = np.reshape(at(fraction), (-1, 1)) * (~p.attacker)[None, :]
    lost = model.thin(take_rows(s.strength, rows), frac, "encirclement.losses", None)
    captured = model.thin(lost, np.reshape(at(p["encirclement.captured_share"]), (-1, 1)), "encirclement.losses", None)
    s.strength[rows] -= lost
    s.missing[rows] += captured
    s.killed[rows] += lost - captured


RULE = Rule(
    name="encirclement",
    doc="a daily hazard of encirclement while the area held is small; the pocket collapses at once or over days",
    processes=lambda params: [encirclement],
    sections=(Section("encirclement", Encirclement, "encirclement risk", default=lambda: Encirclement(enabled=False)),),
    events=lambda sc: [f"{sc.defender.id}_encirclement"],
)
