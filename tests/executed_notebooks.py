"""Execute each notebook of ``notebooks/`` once per test session, and read what it printed and drew.

``executed(name)`` runs ``notebooks/<name>`` with nbclient (kernel ``python3``, working directory a fresh
temporary folder, at most :data:`CELL_TIMEOUT` seconds a cell) the first time it is asked for, writes the
executed copy under the same file name into a temporary folder of the session, and returns its path; later
calls return the same path without running it again. The notebook tests read their outputs from it, and the
documentation site is built from the same copies, so each notebook runs once in a test session.

A notebook that fails to execute fails every test that asks for it, with the same error, without being run
again. Each run's wall-clock time is kept in :data:`SECONDS` and in the executed copy's metadata
(``kursk_sim.execution_seconds``); nothing asserts on it.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 300  # seconds, per cell

#: Wall-clock seconds each notebook took to execute in this session, by file name.
SECONDS: dict[str, float] = {}


def notebook_names() -> list[str]:
    """File names of every notebook in ``notebooks/``, sorted."""
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


@functools.cache
def _session_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kursk-sim-notebooks-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def _run(name: str) -> Path | BaseException:
    source = NOTEBOOKS / name
    if not source.is_file():
        return FileNotFoundError(f"no notebook {source}")
    nb = nbformat.read(source, as_version=4)
    try:
        with tempfile.TemporaryDirectory(prefix="kursk-sim-notebook-cwd-") as cwd:
            start = time.perf_counter()
            client = NotebookClient(
                nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": cwd}}
            )
            client.execute()
            SECONDS[name] = time.perf_counter() - start
    except Exception as exc:  # kept, so that every test asking for this notebook fails with it
        return exc
    nb.metadata.setdefault("kursk_sim", {})["execution_seconds"] = round(SECONDS[name], 2)
    out = _session_dir() / name
    nbformat.write(nb, out)
    return out


def executed(name: str) -> Path:
    """Path of ``notebooks/<name>`` executed (once per session), a copy with its outputs.

    Raises
    ------
    Exception
        What executing it raised (nbclient's ``CellExecutionError`` names the cell), on every call.
    """
    result = _run(name)
    if isinstance(result, BaseException):
        raise RuntimeError(f"notebooks/{name} failed to execute") from result
    return result


def code_outputs(path: Path) -> list[dict[str, Any]]:
    """Every output of every code cell of a notebook file, in order."""
    nb = nbformat.read(path, as_version=4)
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def printed(path: Path) -> str:
    """What the notebook's code cells printed and the plain text of their results, joined by newlines.

    Figures and other displayed data are left out (their plain text is only ``<Figure ...>``).
    """
    parts = []
    for out in code_outputs(path):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "execute_result" and "text/plain" in out.get("data", {}):
            parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def images(path: Path) -> list[dict[str, Any]]:
    """The outputs that hold a PNG image (one per figure shown)."""
    return [out for out in code_outputs(path) if "image/png" in out.get("data", {})]


def errors(path: Path) -> list[dict[str, Any]]:
    """The error outputs (none in a notebook that ran through)."""
    return [out for out in code_outputs(path) if out.get("output_type") == "error"]


def code_source(name: str) -> str:
    """The source of every code cell of ``notebooks/<name>`` as stored, joined by newlines."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
