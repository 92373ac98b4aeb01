"""A folder that keeps a sweep's finished chunks, so an interrupted sweep resumes where it stopped.

``ks.sweep(..., store="dir/")`` writes ``dir/manifest.json`` (the sweep's
identity: package version, scenario, design, seed, replications, chunk
size, recorded dates, what is kept) and, as each chunk finishes, its
reductions as ``dir/chunk-<index>.npz`` (written to a temporary name, then
renamed: a killed process leaves no half-written chunk). The same call
after an interruption (Ctrl-C, a killed process or machine) loads the
finished chunks and runs only the others; the result is bit-identical to an
uninterrupted run, because each chunk is seeded on its own and chunks are
merged in chunk order. A folder holding a different sweep is refused with an
error saying what differs.

Processes of your own (``extra_processes``) are not part of the identity:
resume with the same ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .chunks import ChunkFailure
from .point_reduction import PointChunk

__all__ = ["SweepStore"]

MANIFEST = "manifest.json"


class SweepStore:
    """Finished chunks of one sweep in a folder.

    Parameters
    ----------
    directory : str or Path
        Created if missing. A file of that name is refused.
    identity : dict
        What the sweep is (JSON-serialisable); a folder whose manifest
        differs is refused.

    Raises
    ------
    ValueError
        If the folder holds another sweep (naming each difference) or the
        path is a file.
    """

    def __init__(self, directory: str | Path, identity: dict[str, Any]) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"store: got {str(self.directory)!r}, expected a folder (it is a file)")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(
                f"store: got {str(self.directory)!r}, could not create the folder ({err.strerror or err})"
            ) from None
        self.identity = json.loads(json.dumps(identity))  # as it reads back
        manifest = self.directory / MANIFEST
        if manifest.exists():
            stored = json.loads(manifest.read_text(encoding="utf-8"))
            differs = [
                f"{key}: stored {stored.get(key)!r}, this sweep {self.identity.get(key)!r}"
                for key in sorted(set(stored) | set(self.identity))
                if stored.get(key) != self.identity.get(key)
            ]
            if differs:
                raise ValueError(
                    f"store {str(self.directory)!r} holds a different sweep ({'; '.join(differs)}); "
                    "use another folder, or the same arguments to resume it"
                )
        else:
            _write_atomically(manifest, json.dumps(self.identity, indent=2, sort_keys=True).encode("utf-8"))

    @staticmethod
    def stored_identity(directory: str | Path) -> dict[str, Any] | None:
        """The identity in a folder's manifest, or None when there is none."""
        manifest = Path(directory) / MANIFEST
        if not manifest.is_file():
            return None
        return json.loads(manifest.read_text(encoding="utf-8"))

    def _path(self, chunk: int) -> Path:
        return self.directory / f"chunk-{chunk:06d}.npz"

    def save(self, chunk: int, results: list[PointChunk], failures: list[ChunkFailure]) -> None:
        """Write one finished chunk (its reductions and its points that failed)."""
        arrays: dict[str, np.ndarray] = {}
        meta = []
        for i, part in enumerate(results):
            arrays[f"{i}/mean"], arrays[f"{i}/m2"] = part.mean, part.m2
            if part.diff_mean is not None:
                arrays[f"{i}/diff_mean"], arrays[f"{i}/diff_m2"] = part.diff_mean, part.diff_m2
            for name, hist in part.events.items():
                arrays[f"{i}/events/{name}"] = hist
            for name, hist in (part.both or {}).items():
                arrays[f"{i}/both/{name}"] = hist
            if part.sketch is not None:
                arrays[f"{i}/sketch_index"], arrays[f"{i}/sketch_counts"] = part.sketch
            meta.append(
                {
                    "chunk": part.chunk,
                    "points": list(part.points),
                    "replications": part.replications,
                    "alone": part.alone,
                    "events": list(part.events),
                    "paired": part.diff_mean is not None,
                    "both": part.both is not None,
                    "sketch": part.sketch is not None,
                }
            )
        failed = [
            {
                "chunk": f.chunk,
                "replications": list(f.replications),
                "seed": f.seed,
                "error": f.error,
                "details": f.details,
                "points": list(f.points),
            }
            for f in failures
        ]
        arrays["meta"] = np.array(json.dumps({"results": meta, "failures": failed}))
        path = self._path(chunk)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)

    def load(self) -> dict[int, tuple[list[PointChunk], list[ChunkFailure]]]:
        """Every chunk stored so far: ``{chunk: (reductions, failures)}``."""
        out = {}
        for path in sorted(self.directory.glob("chunk-*.npz")):
            chunk = int(path.stem.split("-")[1])
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                results = []
                for i, m in enumerate(meta["results"]):
                    results.append(
                        PointChunk(
                            chunk=m["chunk"],
                            points=tuple(m["points"]),
                            replications=m["replications"],
                            mean=data[f"{i}/mean"],
                            m2=data[f"{i}/m2"],
                            events={name: data[f"{i}/events/{name}"] for name in m["events"]},
                            diff_mean=data[f"{i}/diff_mean"] if m["paired"] else None,
                            diff_m2=data[f"{i}/diff_m2"] if m["paired"] else None,
                            both={name: data[f"{i}/both/{name}"] for name in m["events"]} if m["both"] else None,
                            sketch=(data[f"{i}/sketch_index"], data[f"{i}/sketch_counts"]) if m["sketch"] else None,
                            alone=m["alone"],
                        )
                    )
                failures = [
                    ChunkFailure(
                        f["chunk"], tuple(f["replications"]), f["seed"], f["error"], f["details"], tuple(f["points"])
                    )
                    for f in meta["failures"]
                ]
            out[chunk] = (results, failures)
        return out


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
