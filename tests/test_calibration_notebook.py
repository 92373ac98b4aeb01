"""The calibration notebook runs and says what it should.

``notebooks/calibration.ipynb`` is executed once per session (:mod:`executed_notebooks`), and what it
printed is checked:

- no cell raised, and every figure drawn (each ``plt.show()``) came out as a PNG image;
- the least-squares fit of the advance rate is ``estimated``, its estimate inside its own interval, and the
  two-parameter fit (North Korean exposure and the advance, from three figures of which two are bounds)
  flags both parameters as not identifiable;
- the likelihood fit of a synthetic daily series converged, and each parameter's 95% interval holds the true
  value the series was drawn from (and its own estimate);
- ABC-SMC ran the populations the notebook asked for, ending at a positive, finite tolerance with an
  effective sample size no larger than the particles accepted;
- the withdrawal probabilities of the default and calibrated scenarios are probabilities.
"""

from __future__ import annotations

import math
import re

from executed_notebooks import code_source, errors, executed, images, printed

NAME = "calibration.ipynb"
NUMBER = r"([-+]?\d[\d.]*(?:e[-+]?\d+)?|nan)"
FIT = re.compile(rf"^fit of territory\.advance_km2_per_day: {NUMBER} \[{NUMBER}, {NUMBER}\] \((.+)\)$", re.MULTILINE)
TWO = re.compile(r"^two-parameter fit, (\S+): (.+), ended at \S+$", re.MULTILINE)
RECOVERED = re.compile(
    rf"^recovered (\S+): true {NUMBER}, estimate {NUMBER}, 95% \[{NUMBER}, {NUMBER}\]$", re.MULTILINE
)
ABC = re.compile(rf"^ABC: (\d+) populations, last tolerance {NUMBER}, ESS {NUMBER}$", re.MULTILINE)
WITHDRAWAL = re.compile(rf"^P\(ua_withdrawal by 2025-03-31\): default {NUMBER}, calibrated {NUMBER}$", re.MULTILINE)


def test_calibration_notebook() -> None:
    path = executed(NAME)
    source = code_source(NAME)
    assert not errors(path)
    text = printed(path)

    # figures: the fit against the figures, the posterior pairs, the predictive fan
    assert len(images(path)) == source.count("plt.show()") == 3

    # 2. least squares: one assumption estimated inside its interval; two from one value, not identifiable
    fits = FIT.findall(text)
    assert len(fits) == 1
    estimate, low, high, status = fits[0]
    assert status == "estimated"
    assert 1.0 <= float(low) < float(estimate) < float(high) <= 6.0
    two = dict(TWO.findall(text))
    assert two == {"kpa.exposure": "not identifiable", "territory.advance_km2_per_day": "not identifiable"}

    # 3. likelihood: every true value inside its 95% interval, from a converged fit
    assert re.search(
        r"^fit: 3 parameters, .* degrees of freedom, converged after \d+ model calls$", text, flags=re.MULTILINE
    )
    recovered = {path: tuple(float(v) for v in rest) for path, *rest in RECOVERED.findall(text)}
    assert set(recovered) == {"defender.lethality", "attacker.lethality", "noise.dispersion"}
    for path, (true, est, lo, hi) in recovered.items():
        assert lo <= true <= hi, (path, true, lo, hi)
        assert lo < est < hi, (path, est, lo, hi)
    assert recovered["defender.lethality"][0] == 0.0145 and recovered["attacker.lethality"][0] == 1.16e-7

    # 4. ABC-SMC: the populations asked for, a positive finite tolerance, a sensible effective sample size
    asked = re.findall(r"ks\.abc\(.*populations=(\d+)", source)
    abc = ABC.findall(text)
    assert len(asked) == 1 and len(abc) == 1
    populations, epsilon, ess = abc[0]
    assert int(populations) == int(asked[0])
    assert float(epsilon) > 0.0 and math.isfinite(float(epsilon))
    accepted = re.search(r"^ABC-SMC posterior: .*, ([\d,]+) particles \(ESS", text, flags=re.MULTILINE).group(1)
    assert 1.0 <= float(ess) <= int(accepted.replace(",", ""))

    # 5. the calibrated scenario against the default: probabilities
    withdrawal = WITHDRAWAL.findall(text)
    assert len(withdrawal) == 1
    assert all(0.0 <= float(p) <= 1.0 for p in withdrawal[0])
    assert re.search(r"^8 calibrated assumptions$", text, flags=re.MULTILINE)
    assert len(re.findall(r"^\S+ .*calibration: ABC-SMC to kursk-2024-article", text, flags=re.MULTILINE)) == 8
