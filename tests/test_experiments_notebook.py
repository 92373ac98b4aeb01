"""The experiments notebook runs and says what it should.

``notebooks/experiments.ipynb`` is executed as ``tests/test_examples.py`` executes the projection notebook
(nbclient, kernel ``python3``, in a temporary folder), and its printed text is checked:

- the Sobol analysis covers every ranged assumption of ``kursk-2024``, and the parameter it names as most
  influential on ``ua_withdrawal@2025-03-31`` is one of them;
- both figures (tornado and heatmap) are drawn, as PNG images;
- the heatmap's sweep table has one row per point of the 4 x 4 grid, with probabilities in [0, 1] that
  vary across the grid;
- each paired what-if line (``point <j>: ΔP(...) = ... (paired), ... (unpaired)``) gives a paired standard
  error smaller than the unpaired one, and every probability or difference lies in [-1, 1].
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import kursk_sim as ks
from kursk_sim.design import ranged_parameters

ROOT = Path(__file__).resolve().parents[1]
WHATIF = re.compile(
    r"point (\d+): ΔP\(ua_withdrawal by 2025-03-31\) = ([+-]\d+\.\d+) ± (\d+\.\d+) \(paired\), ± (\d+\.\d+) \(unpaired\)"
)


def _table_rows(text: str, title: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the printed Table whose title starts with ``title`` (cells split on 2+ spaces)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    header = re.split(r"\s{2,}", lines[start + 1].strip())
    rows = []
    for line in lines[start + 3 :]:
        if not line.strip() or not line[0].isdigit():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return header, rows


def test_experiments_notebook(tmp_path: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "experiments.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    text = "\n".join(out.get("text", "") for out in outputs)

    # 1. sensitivity: every ranged assumption, and the most influential one is among them
    ranged = ranged_parameters(ks.load_scenario("kursk-2024"))
    assert f"ua_withdrawal@2025-03-31 (probability): {len(ranged)} parameters" in text
    found = re.findall(r"^most influential on ua_withdrawal@2025-03-31: (\S+)$", text, flags=re.MULTILINE)
    assert len(found) == 1 and found[0] in ranged

    # figures: the tornado and the heatmap
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 2

    # 2. the heatmap's sweep: 16 points, probabilities in [0, 1] that vary across the levers
    header, rows = _table_rows(text, "kursk-2024: 16 points x 500 replications")
    assert [int(r[0]) for r in rows] == list(range(16))
    assert all(len(r) == len(header) for r in rows)
    p = [float(r[header.index("P(ua_withdrawal)")]) for r in rows]
    assert all(0.0 <= v <= 1.0 for v in p)
    assert max(p) - min(p) > 0.3

    # 3. paired what-ifs: one line per variant, paired standard error below the unpaired one
    lines = WHATIF.findall(text)
    assert [int(j) for j, *_ in lines] == [1, 2, 3]
    for _, diff, paired, unpaired in lines:
        assert all(-1.0 <= float(v) <= 1.0 for v in (diff, paired, unpaired))
        assert float(paired) < float(unpaired)

    # 4. replications needed for a given half-width
    assert re.search(r"baseline P\(ua_withdrawal by 2025-03-31\) = 0\.\d{3}, 95% interval", text)
    assert re.search(r"±0\.01: about [\d,]+ replications", text)
