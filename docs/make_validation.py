"""Write docs/validation.md: the model against public data.

Run ``python docs/make_validation.py`` (needs ``../shared/data`` beside the
checkout); tests/test_validation.py checks the CDB90 table in the file is
current.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from kursk_sim.validation import casualty_ratio_skill

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
COLUMNS = ("attacker_initial_strength", "defender_initial_strength", "attacker_casualties", "defender_casualties")


def cdb90_battles(path: Path = DATA / "cdb90_battles.csv") -> dict[str, np.ndarray]:
    """The CDB90 battles with both strengths and both casualty figures positive, duplicates left out."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    keep = [r for r in rows if not r["duplicate_of"] and all(r[k] and float(r[k]) > 0 for k in COLUMNS)]
    return {k: np.array([float(r[k]) for r in keep]) for k in COLUMNS}


def cdb90_table() -> str:
    """The cross-validation table as Markdown."""
    b = cdb90_battles()
    table = casualty_ratio_skill(*(b[k] for k in COLUMNS), folds=10, seed=0)
    lines = [f"*{table.title}*", "", "| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    for name, rmse, skill, log_e, on_d, on_a in table.rows:
        lines.append(f"| {name} | {rmse:.3f} | {skill:+.3f} | {log_e:+.3f} | {on_d:+.3f} | {on_a:+.3f} |")
    return "\n".join(lines)


TEMPLATE = """# Validation: the model against public data

What has been checked against cases with a known answer, and how well the
attrition laws predict real battles. Every check below is a test that runs
in CI. The figures are drawn by `docs/make_validation_figures.py`.

## Closed forms

With the noise off the model is Lanchester's difference equations.
`tests/test_lanchester.py` checks it against the closed-form solutions of the
square law (\\(\\cosh\\)/\\(\\sinh\\)) and the linear law within the Euler step's
error, first-order convergence to them as the step shrinks, convergence to
the ODE form integrated by SciPy, and that the mean of binomial replications
follows the mean-field course. `tests/test_invariants.py` checks
conservation of personnel on every day of every run;
`tests/test_sensitivity.py` checks the Sobol estimator against the Ishigami
function's analytic indices and against a duel whose indices are known in
closed form.

## Iwo Jima (Engel 1954)

`tests/test_historical.py` runs Engel's case: landings of 54,000, 6,000 and
13,000 US troops on days 1, 3 and 6 against 21,500 defenders, square law
with a = 0.0544 and b = 0.0106. The model reproduces Engel's difference
equations exactly (his published course: US strength peaking near 66,500
after the last landing, the garrison gone after 36 days, about 52,300 US
troops left), a binomial ensemble centres on it, and `ks.fit` recovers both
coefficients from the daily strengths (1 % errors) to within 0.1 %, inside
their 95 % intervals.

The daily step departs from the continuous solution: after 36 days the
difference equations leave 52,284 US troops; the square-law ODE with the
same landings (at the start of days 1, 3 and 6, integrated by
`scipy.integrate.solve_ivp` to 10⁻¹¹, fire stopping when a side is gone; the
garrison goes at day 35.4) leaves 52,797, so the daily step is 1.0 % low.
(The calibration issue quotes 51,985 for the continuous solution; we could
not reproduce that figure with these landing times.) `law.steps_per_day`
integrates each day's attrition in that many Euler steps: 8 steps leave
52,733 (−0.12 %), 32 steps 52,781 (−0.03 %, within the 0.1 % asked), 100
steps 52,792 (tested at 32, in the deterministic mode and as the centre of
a binomial ensemble).

![Strength of the US and Japanese forces on Iwo Jima by day: the bands of
2,000 binomial replications and Engel's difference equations](images/validation_iwo_jima.png)

*Iwo Jima: 2,000 binomial replications of the model (median and 50 % and
90 % bands, narrower than the lines at this scale) against Engel's
difference equations, written independently of the library (dotted).*

## Calibration recovers known values

Fits are checked on synthetic data made by the model itself, where the
answer is known. `tests/test_fit.py`: over 12 synthetic data sets, the
least-squares estimates fall within 10 % of the truth and their 95 %
intervals hold it at least 10 times in 12, an exact fit returns the truth, and
parameters that the figures confound are reported as not identifiable
rather than given a value; the likelihood fit recovers the lethalities, a
phase multiplier and the negative-binomial dispersion from daily counts.
`tests/test_abc.py`: on a one-day binomial loss model whose posterior is
known in closed form, ABC-SMC's posterior matches it. The notebook
[Calibration](notebooks/calibration.ipynb) shows a recovery from a synthetic
daily series step by step.

## CDB90: do the laws predict casualty ratios?

The CAA Database of Battles (CDB90, 660 battles 1600–1973; read from
`../shared/data/cdb90_battles.csv`, Arnold's tidy version, ODC-BY 1.0)
gives initial strengths and casualties. Over a battle whose losses stay
small against strengths, a law `k F^p S^q` makes the log of the attacker's
casualties over the defender's linear in the log strengths
(`kursk_sim.validation`): the square law predicts a ratio proportional to
`D0 / A0`, the linear law a constant ratio, the logarithmic law one
proportional to `A0 / D0`; `fitted` lets both coefficients free. Each law's
constant is fitted on nine tenths of the battles and scored on the tenth
(10-fold cross-validation), beside a no-skill forecast (the training mean
of the log ratio, which is also the linear law's prediction). Battles with
a missing or zero strength or casualty figure and the duplicates are left
out.

{table}

![Log casualty ratio against log force ratio for the CDB90 battles, with the
predictions of the square law, the linear law and a least-squares
line](images/validation_cdb90.png)

*skill*: 1 − MSE / MSE of no skill (0: no better than no skill, negative:
worse); the coefficients are fitted on all battles.

What this says, plainly: **no law predicts casualty ratios better than no
skill**. The square law's prediction is worse than ignoring the strengths,
the logarithmic law's too, the linear law is the no-skill forecast itself,
and the free fit, whose coefficients lean weakly towards the logarithmic
law (the larger side loses relatively more), gains nothing out of sample.
Across three and a half centuries of battles, initial strengths alone
explain almost none of the spread of casualty ratios (a standard deviation
of about 1.45 in the log ratio, a factor of four). This is the usual
finding (Helmbold; Hartley): Lanchester's laws describe the mechanics of
attrition within a battle, not the outcome across battles, where quality,
terrain, posture and surprise dominate. The Kursk scenario's mixed law and
its coefficients are assumptions calibrated to the article's figures, not
inferred from history.
"""


def validation_page() -> str:
    return TEMPLATE.format(table=cdb90_table())


if __name__ == "__main__":
    (ROOT / "docs" / "validation.md").write_text(validation_page(), encoding="utf-8")
