"""The what-if and sweeps notebook runs and says what it should.

``notebooks/whatif_and_sweeps.ipynb`` is executed once per session (:mod:`executed_notebooks`), and what
it printed is checked:

- the heatmap's sweep table has one row per point of the 4 x 4 grid, with probabilities in [0, 1] that
  vary across the grid, fall as Ukrainian rotations rise at a fixed offensive and rise with the offensive
  at fixed rotations (allowing for noise), and a second-wave probability that is the same at every point
  (common random numbers);
- each paired what-if line (``point <j>: ΔP(...) = ... (paired), ... (unpaired)``) gives a paired standard
  error smaller than the unpaired one, every probability or difference lies in [-1, 1], and a certain
  second wave raises the odds of withdrawal;
- the replications needed for a given half-width are printed and grow as the half-width shrinks;
- every figure shown came out as a PNG image (the heatmap, the four variants' curves).
"""

from __future__ import annotations

import re

from executed_notebooks import code_source, errors, executed, images, printed

NAME = "whatif_and_sweeps.ipynb"
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


def test_whatif_and_sweeps_notebook() -> None:
    path = executed(NAME)
    assert not errors(path)
    text = printed(path)

    # 1. the heatmap's sweep: 16 points, probabilities in [0, 1] that vary across the levers as they should
    header, rows = _table_rows(text, "kursk-2024: 16 points x 500 replications")
    assert [int(r[0]) for r in rows] == list(range(16))
    assert all(len(r) == len(header) for r in rows)
    p = [float(r[header.index("P(ua_withdrawal)")]) for r in rows]
    assert all(0.0 <= v <= 1.0 for v in p)
    assert max(p) - min(p) > 0.3
    rotations = [float(r[header.index("ua.replenishment.per_day")].replace(",", "")) for r in rows]
    offensive = [float(r[header.index("modifiers.offensive.multiply.ru.effectiveness")]) for r in rows]
    grid = {(rotations[i], offensive[i]): p[i] for i in range(16)}
    levels_r, levels_o = sorted(set(rotations)), sorted(set(offensive))
    assert len(levels_r) == len(levels_o) == 4
    for o in levels_o:  # more rotations, less withdrawal (500 replications: allow 0.05 of noise)
        assert all(grid[(a, o)] >= grid[(b, o)] - 0.05 for a, b in zip(levels_r, levels_r[1:], strict=False)), o
        assert grid[(levels_r[0], o)] > grid[(levels_r[-1], o)]
    for r in levels_r:  # a stronger offensive, more withdrawal
        assert grid[(r, levels_o[-1])] > grid[(r, levels_o[0])], r
    wave = {r[header.index("P(kpa_second_wave)")] for r in rows}
    assert len(wave) == 1  # the same random numbers decide the wave at every point

    # 2. paired what-ifs: one line per variant, paired standard error below the unpaired one
    lines = WHATIF.findall(text)
    assert [int(j) for j, *_ in lines] == [1, 2, 3]
    for _, diff, paired, unpaired in lines:
        assert all(-1.0 <= float(v) <= 1.0 for v in (diff, paired, unpaired))
        assert float(paired) < float(unpaired)
    diff, paired = float(lines[0][1]), float(lines[0][2])
    assert diff > 2 * paired  # a certain second wave: more withdrawal, clearly

    # 3. replications needed for a given half-width
    assert re.search(r"baseline P\(ua_withdrawal by 2025-03-31\) = 0\.\d{3}, 95% interval", text)
    assert re.search(r"±0\.01: about [\d,]+ replications", text)
    needed = [int(n.replace(",", "")) for n in re.findall(r"^±0\.0\d+: about ([\d,]+) replications$", text, re.M)]
    assert len(needed) == 3 and needed == sorted(needed) and needed[-1] > 10 * needed[0]

    # figures: one per plt.show()
    assert len(images(path)) == code_source(NAME).count("plt.show()") == 2
