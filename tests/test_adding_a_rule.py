"""The worked example of docs/model.md, "Adding a rule", run as written.

The package is copied, the example module written into it from the page and
registered with the one line the page asks for; a scenario using the new
table then runs in a fresh interpreter, and its output reaches results and
exports with personnel conserved.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kursk_sim

DOCS = Path(__file__).resolve().parents[1] / "docs" / "model.md"

SCRIPT = """
import json, sys
import numpy as np
import kursk_sim as ks
from kursk_sim.rules import OUTPUTS

sc = ks.load_scenario("kursk-2024")
data = sc.to_dict()
data.pop("schedules")  # the North Korean rotation also counts as departed; without it departed = deserted
data["desertion"] = {"contingent": "kpa", "share_per_day": 0.002}
with_rule = ks.Scenario.from_dict(data)
ens = ks.simulate(with_rule, 200, seed=1)
deserted = ens.trajectory("deserted").values
f = ens.final
balance = f["initial"] + f["arrived"] + f["returned"] - (f["killed"] + f["wounded"] + f["missing"]) - f["departed"]
ens.export(sys.argv[1])
plain = ks.simulate(sc, 50, seed=1)
try:
    ks.Scenario.from_dict({**data, "desertion": {"contingent": "nobody", "share_per_day": 0.002}})
    error = ""
except ks.ScenarioError as err:
    error = str(err)
print(json.dumps({
    "outputs": list(OUTPUTS),
    "kpa_deserted_end": float(deserted[:, -1, 1].mean()),
    "others_deserted": float(np.abs(deserted[:, :, [0, 2]]).max()),
    "monotone": bool((np.diff(deserted, axis=1) >= 0).all()),
    "departed_is_deserted": bool(np.array_equal(f["departed"][:, 1], deserted[:, -1, 1].astype(float))),
    "conserved": bool(np.allclose(balance, f["strength"])),
    "plain_deserted": float(np.abs(plain.trajectory("deserted").values).max()),
    "mean_from_sums": float(ens.mean("deserted").values[-1, 1]),
    "error": error,
}))
"""


def _example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Adding a rule") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_worked_example_adds_a_rule_with_one_file_and_one_line(tmp_path: Path) -> None:
    package = Path(kursk_sim.__file__).parent
    copy = tmp_path / "pkg" / "kursk_sim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "rules" / "desertion.py").write_text(_example(), encoding="utf-8")
    registry = copy / "rules" / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    assert text.count("    schedules.RULE,\n)") == 1
    text = text.replace("    schedules.RULE,\n)", "    schedules.RULE,\n    desertion.RULE,\n)")
    text = text.replace("from .base import", "from . import desertion\nfrom .base import", 1)
    registry.write_text(text, encoding="utf-8")

    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "results")],
        env={"PYTHONPATH": str(tmp_path / "pkg"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,  # not the repository: "-c" puts the working directory first on the path
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["outputs"][-2:] == ["deserted", "area"]  # each contingent's outputs, then the front's
    assert got["kpa_deserted_end"] > 100 and got["others_deserted"] == 0.0 and got["monotone"]
    assert got["departed_is_deserted"] and got["conserved"]
    assert got["plain_deserted"] == 0.0  # a scenario without the table runs as before
    assert abs(got["mean_from_sums"] - got["kpa_deserted_end"]) < 1e-3 * got["kpa_deserted_end"]
    assert "desertion.contingent" in got["error"] and "nobody" in got["error"]
    summary = (tmp_path / "results" / "summary.csv").read_text(encoding="utf-8")
    assert "deserted" in summary
