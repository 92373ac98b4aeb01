"""The notebook that writes a scenario for another front from scratch runs and says what it should.

``notebooks/another_front.ipynb`` is executed once per session (:mod:`executed_notebooks`), and what it
printed is checked:

- the scenario written in the notebook validated, and each deliberate mistake was refused with a
  ``ScenarioError`` that starts with the path of the parameter at fault (the typo with its correction);
- the saved file reads back equal, and personnel are conserved in every replication;
- the event table: probabilities in [0, 1] that never fall as the date moves on, no mobilisation (the
  scenario has no such table), the marines in about 60 % of the replications as the scenario says;
- certain marines make an early withdrawal less likely than none;
- the pandas exports agree with the ensemble; both figures were drawn.
"""

from __future__ import annotations

import re

from executed_notebooks import code_source, errors, executed, images, printed

NAME = "another_front.ipynb"
EVENT_ROW = re.compile(r"^(\w+)\s+((?:\d\.\d{3}\s+){4})\s*(\S+) / (\S+) / (\S+)$", re.M)


def test_another_front_notebook() -> None:
    path = executed(NAME)
    assert not errors(path)
    text = printed(path)

    assert "validated: river-town-2031, 90 days, contingents rifles, assault, guards" in text
    refused = re.findall(r"^(.+):\n    ScenarioError: (\S+): (.+)$", text, re.M)
    assert [(what, where) for what, where, _ in refused] == [
        ("a misspelt key", "guards.replenishmnet"),
        ("a probability above 1", "guards.marines.probability"),
        ("casualty shares above 1", "guards.casualties.missing"),
    ]
    assert "did you mean 'replenishment'" in refused[0][2]
    assert "got 1.6" in refused[1][2]
    assert "accepted (it should not be)" not in text

    assert "read back equal: True" in text
    assert re.search(r"conservation \(.*\) in every replication: True$", text, re.M)

    rows = {event: [float(v) for v in probs.split()] for event, probs, *_ in EVENT_ROW.findall(text)}
    assert set(rows) == {"south_withdrawal", "south_encirclement", "north_mobilisation", "guards_marines"}
    for event, p in rows.items():
        assert all(0.0 <= v <= 1.0 for v in p), event
        assert p == sorted(p), event  # by a later date, at least as likely
    assert rows["north_mobilisation"] == [0.0] * 4
    assert abs(rows["guards_marines"][-1] - 0.6) < 0.03  # 4,000 draws of a 0.6 chance: sd 0.008
    assert rows["south_withdrawal"][-1] > 0.5

    marines = dict(
        re.findall(r"^marines probability (\d\.\d): P\(south_withdrawal by 2031-10-31\) = (\d\.\d+)", text, re.M)
    )
    assert set(marines) == {"0.0", "1.0"}
    assert float(marines["1.0"]) < float(marines["0.0"])

    assert re.search(
        r"^to_dataframe: [\d,]+ rows, columns \['date', 'output', 'contingent', 'q', 'value', 'unit'\]$", text, re.M
    )
    assert "agree: True" in text and "matches ens.probability: True" in text
    assert "event dates: 4,000 replications x 4 events" in text
    assert "run.json" in text and "quantiles.csv" in text

    assert len(images(path)) == code_source(NAME).count("plt.show()") == 2
