"""``import kursk_sim`` pays only for the model: SciPy, Matplotlib and the optional libraries load when first used.

Which modules a plain import loads is checked here in a fresh interpreter (a
test that can fail); how long the import takes is a figure of
``benchmarks/bench_duel.py``, not a test.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib", "pandas", "xarray", "dask", "SALib")


def _modules_after(code: str) -> list[str]:
    """The heavy modules loaded after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))"
    return json.loads(_printed(probe).splitlines()[-1])


def _printed(code: str) -> str:
    """What ``code`` prints when run in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout


def test_plain_import_loads_no_heavy_module() -> None:
    assert _modules_after("import kursk_sim") == []


def test_plain_import_leaves_numpy_scenarios_the_model_and_simpy_for_first_use() -> None:
    probe = (
        "import sys, kursk_sim as ks\n"
        "before = [m for m in ('simpy', 'numpy', 'kursk_sim.model', 'kursk_sim.scenario') if m in sys.modules]\n"
        "ks.simulate\n"
        "print(before, 'simpy' in sys.modules and 'kursk_sim.model' in sys.modules)"
    )
    assert _printed(probe).strip() == "[] True"


def test_loading_a_scenario_loads_no_heavy_module() -> None:
    assert _modules_after("import kursk_sim as ks\nks.load_scenario('kursk-2024')") == []


@pytest.mark.parametrize(
    ("code", "heavy"),
    [
        (
            "import kursk_sim as ks\nks.laws.solve_ode(100.0, 80.0, 0.01, 0.01, (1.0, 0.0), (1.0, 0.0), [0.0, 1.0])",
            "scipy.integrate",
        ),
        ("import kursk_sim as ks\nks.Normal(0.0, 1.0, low=-1.0).ppf([0.5])", "scipy.special"),
        ("import kursk_sim as ks\nks.plot.fan", "kursk_sim.plot"),
    ],
)
def test_heavy_modules_load_when_first_used(code: str, heavy: str) -> None:
    probe = f"{code}\nimport sys\nprint({heavy!r} in sys.modules)"
    assert _printed(probe).split()[-1] == "True"


def test_every_public_name_is_importable_and_lazy_names_resolve() -> None:
    import kursk_sim as ks

    for name in ks.__all__:
        assert getattr(ks, name) is not None
    namespace: dict[str, object] = {}
    exec("from kursk_sim import *", namespace)  # the star import is what is tested
    assert set(ks.__all__) <= set(namespace)
    assert set(ks.__all__) <= set(dir(ks))


def test_a_submodule_named_like_its_function_does_not_hide_the_function() -> None:
    # importing the submodule kursk_sim.fit (or .sweep, ...) first must leave ks.fit the function
    code = (
        "import kursk_sim.fit, kursk_sim.sweep, kursk_sim.deterministic, kursk_sim.abc, kursk_sim.sensitivity\n"
        "import kursk_sim as ks, types\n"
        "names = ('fit', 'sweep', 'deterministic', 'abc', 'sensitivity')\n"
        "print(all(callable(getattr(ks, n)) and not isinstance(getattr(ks, n), types.ModuleType) for n in names))"
    )
    assert _printed(code).split()[-1] == "True"
