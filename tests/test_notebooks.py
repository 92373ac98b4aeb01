"""Every notebook in ``notebooks/`` is stored clean and checked by a test of what it says.

A notebook added without a test of its outputs fails here: some ``tests/test_*.py`` (other than this file
and the documentation site's test, which executes every notebook without reading what it says) must name
its file, as the notebook tests do when they ask :func:`executed_notebooks.executed` for it. Notebooks are
stored without outputs or execution counts (``jupyter nbconvert --clear-output --inplace``): the outputs
are made by running them, in the tests and for the site.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from executed_notebooks import NOTEBOOKS, notebook_names

TESTS = Path(__file__).resolve().parent
NOT_COVERAGE = {"test_notebooks.py", "test_docs_site.py"}


def test_there_are_notebooks() -> None:
    assert len(notebook_names()) >= 6


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_has_a_test_of_its_outputs(name: str) -> None:
    tests = [
        p.name
        for p in sorted(TESTS.glob("test_*.py"))
        if p.name not in NOT_COVERAGE and name in p.read_text(encoding="utf-8")
    ]
    assert tests, (
        f"no test reads what notebooks/{name} prints: add tests/test_<name>_notebook.py using executed({name!r})"
    )


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_is_stored_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{name} has no code"
    assert not [cell for cell in code if cell.get("outputs") or cell.get("execution_count") is not None], (
        f"store {name} without outputs: jupyter nbconvert --clear-output --inplace notebooks/{name}"
    )
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), f"{name} starts with a title"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
