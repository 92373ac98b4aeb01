"""Random streams by purpose: what makes variants comparable (common random numbers).

Every random number of a run comes from a stream named by its purpose, and
no two purposes share a stream. So changing one thing (a parameter's value
or distribution, a rule switched on) leaves every other purpose's numbers
where they were, and two variants run with the same seed differ only where
the change acts.

Two kinds of stream, both derived from the run's
:class:`numpy.random.SeedSequence` (its ``entropy`` and ``spawn_key``) and a
64-bit word hashed from the purpose's name:

*Replication streams* give each replication its own uniform variates,
whatever chunk, point of a design or worker it runs in: replication ``r``
takes position ``r mod REPLICATION_BLOCK`` of the stream of block
``r // REPLICATION_BLOCK``. Uncertain parameters (purpose
``parameter:<path>``, sampled through their inverse CDF), whether a
reinforcement wave happens (``wave:<event>``) and the daily encirclement
hazard (``encirclement``, one substream per day) use them: replication ``r``
of every point of a sweep, and of two runs of different variants, draws the
same values.

*Chunk streams* serve the rules' noise (binomial losses and their split,
returns to duty), where the numbers drawn depend on the state: one
:class:`numpy.random.Generator` per purpose and range of replications (a
chunk of a plain run; the chunks of a sweep holding the same replications
of other points share it). Normal variates, which approximate the large
binomial draws, have a stream of their own (``<purpose>:normal``) and, in
a chunk of several points, are drawn once per replication and shared by
its points. Exact (small) binomial draws are not shared between points.
Between variants, chunk streams are common as far as the draws stay in
step.

Examples
--------
>>> import numpy as np
>>> root = np.random.SeedSequence(7)
>>> u = replication_uniforms(root, "parameter:ua.strength", 0, 5)
>>> bool(np.array_equal(u[2:], replication_uniforms(root, "parameter:ua.strength", 2, 5)))
True
>>> bool(np.array_equal(u, replication_uniforms(root, "parameter:ru.strength", 0, 5)))
False
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "REPLICATION_BLOCK",
    "ChunkStreams",
    "root_sequence",
    "purpose_word",
    "replication_uniforms",
]

#: Replications per block of a replication stream (fixed: a replication's values depend on the seed and its index only).
REPLICATION_BLOCK = 16384
#: Variates reserved for one step (day) of a replication stream: 2**64, far more than a block ever draws.
_STEP = 1 << 64
# spawn-key tags keeping the two kinds of stream apart
_REPLICATION_TAG = 0
_CHUNK_TAG = 1


def root_sequence(seed: object) -> np.random.SeedSequence:
    """The root :class:`numpy.random.SeedSequence` of a run seeded ``seed``, checked.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or None
        A whole number >= 0 (NumPy integers too), a seed sequence (used as
        it is), or ``None`` for fresh entropy (recorded in results).

    Raises
    ------
    ValueError
        Naming ``seed``, for anything else (a negative or fractional number,
        a string, a list).

    Examples
    --------
    >>> root_sequence(1).entropy
    1
    >>> root_sequence(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed: got -1, expected a whole number >= 0, a numpy.random.SeedSequence or None
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: got {seed!r}, expected a whole number >= 0, a numpy.random.SeedSequence or None")
    return np.random.SeedSequence(int(seed))


def purpose_word(purpose: str) -> int:
    """A stable 64-bit word naming a purpose (BLAKE2b of its UTF-8 bytes).

    Examples
    --------
    >>> purpose_word("combat") == purpose_word("combat") != purpose_word("return_to_duty")
    True
    """
    return int.from_bytes(hashlib.blake2b(purpose.encode("utf-8"), digest_size=8).digest(), "little")


def _bit_generator(root: np.random.SeedSequence, *key: int) -> np.random.PCG64:
    return np.random.PCG64(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key)))


def replication_uniforms(root: np.random.SeedSequence, purpose: str, lo: int, hi: int, step: int = 0) -> NDArray:
    """Uniform variates in [0, 1) of replications ``lo .. hi - 1`` for ``purpose``.

    Parameters
    ----------
    root : numpy.random.SeedSequence
        The run's seed.
    purpose : str
        What the numbers are for (``parameter:ua.strength``, ``wave:kpa_second_wave``).
    lo, hi : int
        The replications (global indices).
    step : int
        Substream (the day, for a daily draw); each step's variates are
        independent of every other step's.

    Returns
    -------
    ndarray of float64, shape (hi - lo,)
        Replication ``r``'s variate is the same whatever ``lo`` and ``hi``.
    """
    return _ReplicationStream(root, purpose).uniforms(lo, hi, step)


class _ReplicationStream:
    """One purpose's replication stream: a PCG64 per block, repositioned for each draw."""

    def __init__(self, root: np.random.SeedSequence, purpose: str) -> None:
        self.root = root
        self.word = purpose_word(purpose)
        self._blocks: dict[int, tuple[np.random.PCG64, dict]] = {}

    def uniforms(self, lo: int, hi: int, step: int = 0) -> NDArray:
        out = np.empty(hi - lo)
        for block in range(lo // REPLICATION_BLOCK, (hi - 1) // REPLICATION_BLOCK + 1 if hi > lo else 0):
            first = block * REPLICATION_BLOCK
            a, z = max(lo, first), min(hi, first + REPLICATION_BLOCK)
            cached = self._blocks.get(block)
            if cached is None:
                bit = _bit_generator(self.root, _REPLICATION_TAG, block, self.word)
                cached = self._blocks[block] = (bit, bit.state)
            bit, start = cached
            bit.state = start
            bit.advance(step * _STEP + (a - first))  # random() takes exactly one 64-bit output per variate
            out[a - lo : z - lo] = np.random.Generator(bit).random(z - a)
        return out


class ChunkStreams:
    """The random streams of one chunk of a run, by purpose.

    Parameters
    ----------
    root : numpy.random.SeedSequence
        The run's seed.
    chunk : int
        The chunk's range of replications (its index in a plain run; see
        :meth:`~kursk_sim.chunks.ChunkPlan.span`).
    replications : (int, int)
        First and one-past-last replication (global indices) the chunk's
        rows belong to.

    Examples
    --------
    >>> import numpy as np
    >>> s = ChunkStreams(np.random.SeedSequence(1), chunk=0, replications=(0, 4))
    >>> s.generator("combat") is s.generator("combat")
    True
    >>> s.uniforms("encirclement", step=3).shape
    (4,)
    """

    def __init__(self, root: np.random.SeedSequence, chunk: int, replications: tuple[int, int]) -> None:
        self.root = root
        self.chunk = int(chunk)
        self.replications = (int(replications[0]), int(replications[1]))
        self._generators: dict[str, np.random.Generator] = {}
        self._replication_streams: dict[str, _ReplicationStream] = {}

    def generator(self, purpose: str) -> np.random.Generator:
        """The chunk's generator for ``purpose`` (the same object on every call)."""
        gen = self._generators.get(purpose)
        if gen is None:
            gen = self._generators[purpose] = np.random.Generator(
                _bit_generator(self.root, _CHUNK_TAG, self.chunk, purpose_word(purpose))
            )
        return gen

    def uniforms(self, purpose: str, step: int = 0) -> NDArray:
        """Replication-stream uniforms of the chunk's replications (one per replication, not per row)."""
        stream = self._replication_streams.get(purpose)
        if stream is None:
            stream = self._replication_streams[purpose] = _ReplicationStream(self.root, purpose)
        return stream.uniforms(*self.replications, step)
