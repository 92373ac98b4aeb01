"""Seeds: the same seed gives identical results; one batch of N has the same
distribution as N runs of one replication seeded from one SeedSequence."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

import kursk_sim as ks


def _short(sc: ks.Scenario, days: int = 60) -> ks.Scenario:
    return sc.replace({"end_date": sc.start_date + dt.timedelta(days=days)})


def test_same_seed_identical(kursk: ks.Scenario) -> None:
    a = ks.simulate(kursk, replications=300, seed=42)
    b = ks.simulate(kursk, replications=300, seed=42)
    for name in ("strength", "casualties", "area"):
        np.testing.assert_array_equal(a.trajectory(name).values, b.trajectory(name).values)
    for event in a.event_names:
        np.testing.assert_array_equal(a.event_day(event), b.event_day(event))


def test_different_seed_differs(kursk: ks.Scenario) -> None:
    a = ks.simulate(kursk, replications=50, seed=1)
    b = ks.simulate(kursk, replications=50, seed=2)
    assert not np.array_equal(a.trajectory("strength").values, b.trajectory("strength").values)


def test_seed_sequence_accepted_and_equivalent_to_int(kursk: ks.Scenario) -> None:
    sc = _short(kursk)
    a = ks.simulate(sc, replications=20, seed=9)
    b = ks.simulate(sc, replications=20, seed=np.random.SeedSequence(9))
    np.testing.assert_array_equal(a.final["strength"], b.final["strength"])


def test_chunks_are_independent_of_what_follows(kursk: ks.Scenario) -> None:
    """Chunk i is seeded from child i: the first chunk of a larger run is the smaller run."""
    sc = _short(kursk)
    small = ks.simulate(sc, replications=64, seed=5, chunk_size=64)
    large = ks.simulate(sc, replications=256, seed=5, chunk_size=64)
    np.testing.assert_array_equal(small.final["strength"], large.final["strength"][:64])
    assert not np.array_equal(large.final["strength"][:64], large.final["strength"][64:128])


def test_unseeded_run_records_its_entropy(kursk: ks.Scenario) -> None:
    sc = _short(kursk, 20)
    a = ks.simulate(sc, replications=10)
    b = ks.simulate(sc, replications=10, seed=a.seed.entropy)
    np.testing.assert_array_equal(a.final["strength"], b.final["strength"])


def test_one_at_a_time_matches_one_batch_in_distribution(kursk: ks.Scenario) -> None:
    """N runs of one replication (seeds spawned from one SeedSequence) vs one batch of N.

    Two-sample Kolmogorov-Smirnov tests on end-of-run outputs; with N = 300
    per sample a correct program fails one of these four tests at the 0.001
    level with probability under 0.4%. A model whose batch and single runs
    differed (a rule applied per batch rather than per replication) shows
    p-values far below that.
    """
    sc = _short(kursk, 45).replace({"noise.kind": "negative_binomial", "noise.dispersion": 10.0})
    n = 300
    batch = ks.simulate(sc, replications=n, seed=123)
    children = np.random.SeedSequence(456).spawn(n)
    singles = [ks.simulate(sc, replications=1, seed=child) for child in children]
    for name, idx in (("strength", "ua"), ("strength", "kpa"), ("casualties", "ru"), ("area", None)):
        b = batch.trajectory(name).values[:, -1]
        s = np.concatenate([e.trajectory(name).values[:, -1] for e in singles])
        if idx is not None:
            k = batch.contingents.index(idx)
            b, s = b[:, k], s[:, k]
        result = stats.ks_2samp(b, s)
        assert result.pvalue > 1e-3, (name, idx, result)
        assert abs(b.mean() - s.mean()) < 4 * np.sqrt(b.var() / n + s.var() / n)


def test_bad_arguments_raise(kursk: ks.Scenario) -> None:
    with pytest.raises(ValueError, match="replications"):
        ks.simulate(kursk, replications=0)
    with pytest.raises(ValueError, match="chunk_size"):
        ks.simulate(kursk, replications=5, chunk_size=0)
    with pytest.raises(TypeError, match="expected a Scenario"):
        ks.simulate("kursk-2024", replications=5)
