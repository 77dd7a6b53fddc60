"""The GPU path (issue 19): cupy against numpy in law, and benchmarks/bench_gpu.py on any machine.

- ULA on cupy agrees with numpy in law: the time-averaged second moments of independent
  stationary chains (``benchmarks/gpu_smoke.py``'s experiment, its ``second_moments``), tested entry
  by entry with two-sample z at the suite's α Bonferroni-split, with a negative control the
  experiment must reject (ULA's bias Σ_h − Σ, about 10 % of Σ). The same test runs numpy against
  numpy on every machine, so the experiment itself is exercised without a GPU; the cupy case
  skips without cupy or without a device.
- The CNCE batched fit on cupy gives numpy's estimates on the same data (to rounding); skips likewise.
- bench_gpu.py: a dry run (``--against numpy``) prints and writes every row with positive rates,
  the target verdict at N = 10⁶ (moved to a small N here), the one-line skip without cupy or
  without a GPU, clear errors for bad options, and its measuring functions on array-api-strict
  (the non-numpy path, standing in for cupy).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import array_api_strict
import numpy as np
import pytest
from scipy import stats

from ebmcheck.checks.anatomy import ALPHA
from ebmcheck.theory.backend import Backend, BackendUnavailable, get_backend

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    """The script ``benchmarks/<name>.py`` as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gpu_smoke = _load("gpu_smoke")
bench_gpu = _load("bench_gpu")


def _backend_or_skip(name: str) -> Backend:
    """The backend ``name``; the test is skipped if it is cupy and cupy or a device is missing."""
    if name == "cupy":
        pytest.importorskip("cupy")
    try:
        return get_backend(name)
    except BackendUnavailable as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("tested", ["numpy", "cupy"])
def test_ula_on_the_backend_agrees_with_numpy_in_law(tested):
    """Second moments of 4000 chains × 100 steps on ``tested`` and on numpy (other seeds): every
    two-sample z and every z against the closed form Σ_h within the Bonferroni threshold at α. The
    control, ``tested`` against the exact Σ (ULA's bias Σ_h − Σ, ~10 % of Σ) with the two-sample
    standard error, must exceed it at some entry in every d: the agreement test sees a difference
    of that size."""
    _backend_or_skip(tested)
    chains, steps = 4000, 100
    agreement, control = [], []
    for dim in gpu_smoke.DIMENSIONS:
        moments_a, stationary, exact = gpu_smoke.second_moments(tested, dim, chains, steps, seed=1)
        moments_b, _, _ = gpu_smoke.second_moments("numpy", dim, chains, steps, seed=2)
        (mean_a, se_a), (mean_b, se_b) = ((m.mean(0), m.std(0, ddof=1) / math.sqrt(chains)) for m in (moments_a, moments_b))
        agreement += [(mean_a - mean_b) / np.hypot(se_a, se_b), (mean_a - stationary) / se_a, (mean_b - stationary) / se_b]
        control.append((mean_a - exact) / np.hypot(se_a, se_b))  # the two-sample z's spread: as hard to reject
    tests = sum(z.size for z in agreement)
    threshold = stats.norm.isf(ALPHA / 2 / tests)
    worst = max(float(np.max(np.abs(z))) for z in agreement)
    assert worst <= threshold, f"{tested} and numpy disagree: max|z| = {worst:.2f} > {threshold:.2f} over {tests} z"
    for dim, z in zip(gpu_smoke.DIMENSIONS, control):
        assert np.max(np.abs(z)) > threshold, f"d={dim}: the ULA bias was not detected (max|z| = {np.max(np.abs(z)):.2f})"


def test_cnce_fit_on_cupy_gives_numpys_estimates():
    """The batched CNCE fit of 200 replicates on cupy and on numpy, same data: all converge, and
    the estimates agree to 1e-8 (the sums run in another order on the device)."""
    cupy_backend = _backend_or_skip("cupy")
    data = bench_gpu.cnce_data(200, 50, 2, seed=0)
    on_cupy = bench_gpu.cnce_rate(cupy_backend, data, repeats=1)
    on_numpy = bench_gpu.cnce_rate(get_backend("numpy"), data, repeats=1)
    assert on_cupy["converged"] == on_numpy["converged"] == 200
    np.testing.assert_allclose(on_cupy["params"], on_numpy["params"], rtol=1e-8, atol=1e-10)
    assert bench_gpu.ula_rate(cupy_backend, bench_gpu.gaussian_target(2), 1000, seed=0, min_seconds=0.01)["rate"] > 0


def test_dry_run_prints_and_writes_every_row(tmp_path, capsys, monkeypatch):
    """``--against numpy --sizes 300,600``: a row per (measure, d, N), finite positive rates, the
    ratio of the two, the same CNCE replicates converged with identical estimates on both sides
    (numpy, same data), and the target verdict at N = TARGET_SIZE (moved to 300: missed, ratio ~1)."""
    monkeypatch.setattr(bench_gpu, "TARGET_SIZE", 300)
    path = tmp_path / "bench.json"
    code = bench_gpu.main(["--against", "numpy", "--sizes", "300,600", "--seconds", "0.02", "--points", "20", "--json", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    results = json.loads(path.read_text())
    assert (results["against"], results["baseline"], results["sizes"]) == ("numpy", "numpy", [300, 600])
    keys = [(row["measure"], row["d"], row["N"]) for row in results["rows"]]
    assert keys == [("ula", 2, 300), ("ula", 2, 600), ("ula", 10, 300), ("ula", 10, 600), ("cnce", 1, 300), ("cnce", 1, 600)]
    for row in results["rows"]:
        rates = row["baseline"]["rate"], row["measured"]["rate"]
        assert all(math.isfinite(rate) and rate > 0 for rate in rates)
        assert row["ratio"] == pytest.approx(rates[1] / rates[0])
        assert row["target_met"] is (False if row["N"] == 300 else None)
        line = f"{row['measure']:<8} {row['d']:>3} {row['N']:>9} "
        assert any(printed.startswith(line) and printed.endswith("missed" if row["N"] == 300 else "x") for printed in out.splitlines())
        if row["measure"] == "cnce":
            assert row["baseline"]["converged"] == row["measured"]["converged"] >= 0.9 * row["N"]  # 20 points: a few may not
            assert row["max_abs_estimate_difference"] == 0.0
        else:
            assert min(row["baseline"]["steps"], row["measured"]["steps"]) >= bench_gpu.MIN_STEPS
    assert "at N = 300: met in 0 of 3 rows" in out


def test_without_cupy_the_script_says_skipped_and_exits_0():
    """The script run as a program with cupy unimportable: one line ``skipped: ...``, exit 0, no traceback."""
    hide_cupy = (
        "import runpy, sys; sys.modules['cupy'] = None; "  # `import cupy` raises ImportError
        f"sys.argv = ['bench_gpu.py']; runpy.run_path({str(BENCHMARKS / 'bench_gpu.py')!r}, run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", hide_cupy], capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("skipped: backend 'cupy' is not installed")
    assert "Traceback" not in done.stderr


def test_without_a_device_the_script_says_skipped(monkeypatch, capsys):
    """cupy installed but no usable GPU (get_backend's BackendUnavailable): ``skipped: ...``, exit 0."""

    def no_device(name):
        raise BackendUnavailable("backend 'cupy' is installed but no GPU is usable: cudaErrorNoDevice")

    monkeypatch.setattr(bench_gpu, "get_backend", no_device)
    assert bench_gpu.main([]) == 0
    assert capsys.readouterr().out.startswith("skipped: backend 'cupy' is installed but no GPU is usable")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "1000,abc"], "'abc' is not an integer >= 1"),
        (["--sizes", "1e4,0"], "'0' is not an integer >= 1"),
        (["--sizes", "2.5"], "'2.5' is not an integer >= 1"),
        (["--seconds", "-1"], "'-1' is not a finite float > 0"),
        (["--points", "nan"], "'nan' is not a finite int > 0"),
        (["--seed", "-3"], "'-3' is not an integer >= 0"),
        (["--against", "torch"], "invalid choice: 'torch'"),
    ],
)
def test_bad_options_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench_gpu.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_sizes_accept_integers_and_powers_of_ten():
    assert bench_gpu._sizes("10000,1e5, 1e6") == (10_000, 100_000, 1_000_000)


def test_measurements_run_on_a_namespace_other_than_numpy():
    """ula_rate and cnce_rate on array-api-strict (standing in for cupy: no numpy-only call passes):
    positive rates, and the CNCE estimates equal numpy's on the same data to rounding."""
    strict = Backend("array_api_strict", array_api_strict)
    bench_gpu.synchronize(array_api_strict)  # a no-op off cupy
    assert bench_gpu.ula_rate(strict, bench_gpu.gaussian_target(2), 200, seed=0, min_seconds=0.01)["rate"] > 0
    data = bench_gpu.cnce_data(20, 30, 2, seed=0)
    on_strict = bench_gpu.cnce_rate(strict, data, repeats=1)
    on_numpy = bench_gpu.cnce_rate(get_backend("numpy"), data, repeats=1)
    assert on_strict["rate"] > 0 and on_strict["converged"] == 20
    np.testing.assert_allclose(on_strict["params"], on_numpy["params"], rtol=1e-10)
