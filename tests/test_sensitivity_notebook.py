"""The sensitivity notebook runs and says what it should.

``notebooks/sensitivity.ipynb`` is executed once per session (:mod:`executed_notebooks`), and what it
printed is checked:

- the Sobol analysis covers every ranged assumption of ``kursk-2024``, the parameter it names as most
  influential on ``ua_withdrawal@2025-03-31`` is one of them and heads its table, whose rows are in
  falling order of total index, each total inside its own interval;
- Morris screening of the same output agrees with Sobol on at least half of the top six (a ranking at
  random would share fewer than one), and the directions it prints are the ones the model implies
  (deadlier Russian fire, a faster advance, a stronger offensive bring withdrawal sooner; Ukrainian
  rotations, strength and a higher threshold ratio delay it), each consistent with the sign of its ``mu``;
- every figure shown came out as a PNG image (the tornado, then Sobol and Morris side by side).
"""

from __future__ import annotations

import re

from executed_notebooks import code_source, errors, executed, images, printed

import kursk_sim as ks
from kursk_sim.design import ranged_parameters

NAME = "sensitivity.ipynb"
WITHDRAWAL = "ua_withdrawal@2025-03-31"
SOBOL_ROW = re.compile(
    r"^(\S+)\s+(-?\d[\d.e-]*)\s+\[(-?[\d.]+), (-?[\d.]+)\]\s+(-?\d[\d.e-]*)\s+\[(-?[\d.]+), (-?[\d.]+)\]$"
)
DIRECTION = re.compile(r"^direction: (\S+) (raises|lowers) the probability of withdrawal \(mu = ([+-]\d\.\d+)\)$", re.M)
EXPECTED = {
    "attacker.lethality": "raises",
    "territory.advance_km2_per_day": "raises",
    "modifiers.offensive.multiply.ru.effectiveness": "raises",
    "modifiers.offensive.multiply.territory.advance": "raises",
    "ua.replenishment.per_day": "lowers",
    "ua.strength": "lowers",
    "territory.threshold_ratio": "lowers",
}


def _sobol_rows(text: str) -> list[tuple[str, float, float, float]]:
    """(parameter, total, low, high) of the Sobol table of the withdrawal probability."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"sobol sensitivity of {WITHDRAWAL}"))
    rows = []
    for line in lines[start + 3 :]:
        m = SOBOL_ROW.match(line.strip())
        if not m:
            break
        rows.append((m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4))))
    return rows


def test_sensitivity_notebook() -> None:
    path = executed(NAME)
    assert not errors(path)
    text = printed(path)

    # Sobol: every ranged assumption, and the most influential one is among them and heads the table
    ranged = ranged_parameters(ks.load_scenario("kursk-2024"))
    assert f"{WITHDRAWAL} (probability): {len(ranged)} parameters" in text
    found = re.findall(rf"^most influential on {WITHDRAWAL}: (\S+)$", text, flags=re.MULTILINE)
    assert len(found) == 1 and found[0] in ranged
    rows = _sobol_rows(text)
    assert len(rows) == 10 and rows[0][0] == found[0]
    totals = [total for _, total, _, _ in rows]
    assert totals == sorted(totals, reverse=True)
    assert all(low <= total <= high for _, total, low, high in rows)
    assert all(name in ranged for name, *_ in rows)

    # Morris: agrees with Sobol on the top, and the directions are the model's
    shared = re.search(r"^top six of both methods: (\d) in common", text, re.M)
    assert shared and int(shared.group(1)) >= 3
    directions = DIRECTION.findall(text)
    assert len(directions) == 5
    for name, word, mu in directions:
        assert name in ranged
        assert (float(mu) > 0) == (word == "raises"), name
        if name in EXPECTED:
            assert word == EXPECTED[name], name
    assert sum(name in EXPECTED for name, _, _ in directions) >= 3

    # figures: one per plt.show()
    assert len(images(path)) == code_source(NAME).count("plt.show()") == 2
