"""The notebook that extends the model with processes of its own runs and says what it should.

``notebooks/extending_with_a_process.ipynb`` is executed once per session (:mod:`executed_notebooks`), and
what it printed is checked:

- the reserve was asked for in at most every replication and arrived in at most those (a mask gone wrong
  would count a replication twice or every day);
- the reading process checked every day of the horizon and found conservation exact, and the end states
  of both runs conserve personnel;
- the reserve delays withdrawal (a negative paired difference, well beyond its standard error) and raises
  the risk of encirclement (positive), and the probabilities printed are probabilities;
- the figure (fans and event curves with and without the reserve) was drawn.
"""

from __future__ import annotations

import re

from executed_notebooks import code_source, errors, executed, images, printed

import kursk_sim as ks

NAME = "extending_with_a_process.ipynb"
EFFECT = re.compile(
    r"^reserve effect: ΔP\((\w+) by [\d-]+\) = ([+-]\d\.\d+) ± (\d\.\d+) \(paired standard error\)$", re.M
)


def test_extending_notebook() -> None:
    path = executed(NAME)
    assert not errors(path)
    text = printed(path)
    source = code_source(NAME)
    assert "extra_processes=[reserve, check]" in source

    asked, arrived = re.search(
        r"^reserve asked for in ([\d,]+) of 4,000 replications, arrived in ([\d,]+)$", text, re.M
    ).groups()
    asked, arrived = int(asked.replace(",", "")), int(arrived.replace(",", ""))
    assert 0 < arrived <= asked <= 4000

    sc = ks.load_scenario("kursk-2024")
    days, worst = re.search(
        r"^conservation checked on (\d+) days: largest departure (\S+) troops$", text, re.M
    ).groups()
    assert int(days) == sc.horizon_days and float(worst) == 0.0
    assert len(re.findall(r"conservation at the end holds in every replication: True$", text, re.M)) == 2
    assert "holds in every replication: False" not in text

    probabilities = re.findall(r"P\((?:ua_withdrawal by 2025-03-31|ua_encirclement)\) = (\d\.\d+)", text)
    assert len(probabilities) == 4 and all(0.0 <= float(p) <= 1.0 for p in probabilities)

    effects = {event: (float(d), float(se)) for event, d, se in EFFECT.findall(text)}
    assert set(effects) == {"ua_withdrawal", "ua_encirclement"}
    d, se = effects["ua_withdrawal"]
    assert d < -3 * se < 0  # a reserve keeps Ukraine in the salient longer
    d, se = effects["ua_encirclement"]
    assert d > 3 * se > 0  # ... and so exposed to the pocket closing

    assert len(images(path)) == source.count("plt.show()") == 1
