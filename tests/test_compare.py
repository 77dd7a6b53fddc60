"""``report --check``: every number compared within its own resolution (checks.report.compare)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ebmcheck.checks.report.compare import ROUNDING, STATISTICAL_FRACTION, compare_documents, compare_results


def _check(name, error_kind, prediction, estimate, se, **details):
    z = (estimate - prediction) / se
    return {
        "name": name, "quantity": "q", "error_kind": error_kind, "prediction": prediction, "estimate": estimate,
        "standard_error": se, "statistic": z, "threshold": 3.89, "alpha": 1e-4, "passed": abs(z) <= 3.89,
        "diverged": False,
        "negative_control": {"label": "wrong", "prediction": prediction * 1.5, "estimate": estimate, "standard_error": se,
                             "statistic": (estimate - 1.5 * prediction) / se, "rejected": True},
        "details": details,
    }


def _document():
    quadrature = _check("quadrature", "quadrature", 50.0, 50.0 + 2e-12, 1e-11,
                        prediction_matrix=[[50.0, 4.3e-15], [4.3e-15, 5.0]], quadrature_error=[[1e-11, 2e-15]])
    monte_carlo = _check("monte carlo", "monte-carlo", 2.0, 2.01, 0.01, acceptance_rate=0.7113875, steps=10,
                         omitted_for_lack_of_power=[{"label": "C[1,2]", "gap": 0.0269, "standard_error": 0.004, "required_z": 7.61}])
    ode = _check("ode", "ode", -0.16, -0.16 + 1e-12, 3e-11)
    claim = {"id": "a-claim", "verdict": "verified", "checks": [quadrature, monte_carlo, ode]}
    provenance = {"seed": 1, "profile": "quick", "backend": "numpy", "python": "3.11", "versions": {"numpy": "2"},
                  "platform": {"machine": "x86_64", "numpy_cpu_features": "AVX2", "blas": "openblas Haswell x2"}}
    return {"provenance": provenance, "claims": [claim]}


def _other_platform(document):
    fresh = copy.deepcopy(document)
    fresh["provenance"]["platform"] |= {"numpy_cpu_features": "AVX2 AVX512F", "blas": "openblas SkylakeX x2"}
    return fresh


def _checks(document):
    return {c["name"]: c for c in document["claims"][0]["checks"]}


def test_same_platform_compares_exactly():
    committed = _document()
    fresh = copy.deepcopy(committed)
    assert compare_documents(committed, fresh).reproduced
    _checks(fresh)["monte carlo"]["estimate"] = np.nextafter(2.01, 3.0)
    comparison = compare_documents(committed, fresh)
    assert comparison.fraction == 0 and comparison.same_platform
    assert comparison.differences == [
        f"/claims[a-claim]/checks[monte carlo]/estimate: committed 2.01, regenerated {np.nextafter(2.01, 3.0)!r}"]


def test_what_another_kernel_moves_is_accepted():
    """The differences measured on an AVX-512/SkylakeX machine against an AVX2/Haswell one."""
    committed = _document()
    fresh = _other_platform(committed)
    checks = _checks(fresh)
    checks["quadrature"]["standard_error"] = 1.4e-11  # an error estimate moves by 40 %
    checks["quadrature"]["estimate"] += 5e-12  # a value moves within its own error estimate
    checks["quadrature"]["statistic"] = 0.9  # a ratio of rounding-level numbers: not compared
    checks["quadrature"]["details"]["prediction_matrix"][0][1] = 2.4e-15  # rounding noise beside 50
    checks["quadrature"]["details"]["quadrature_error"] = [[6e-12, 9e-16]]
    checks["monte carlo"]["estimate"] += 0.5 * STATISTICAL_FRACTION * 0.01  # a flipped accept/reject
    checks["monte carlo"]["statistic"] += 0.5 * STATISTICAL_FRACTION
    checks["monte carlo"]["details"]["acceptance_rate"] = 0.71139
    checks["monte carlo"]["details"]["omitted_for_lack_of_power"][0]["gap"] = 0.0269 + 1e-16
    checks["ode"]["standard_error"] = 2.1e-11
    comparison = compare_documents(committed, fresh)
    assert not comparison.same_platform and comparison.fraction == STATISTICAL_FRACTION
    assert comparison.platform_notes and comparison.reproduced, comparison.differences
    assert not compare_documents(committed, fresh, rtol=0.0).reproduced  # exact when asked


@pytest.mark.parametrize(
    "path, value",
    [
        (("quadrature", "estimate"), 50.0 + 1e-6),  # beyond the error estimate and rounding
        (("quadrature", "prediction"), 50.0 * (1 + 10 * ROUNDING)),  # a prediction is deterministic
        (("quadrature", "standard_error"), 3e-10),  # an error estimate 30x larger
        (("quadrature", "standard_error"), -3e-11),  # a sign flip above the rounding floor
        (("monte carlo", "estimate"), 2.01 + 0.1 * 0.01),  # a tenth of a standard error
        (("monte carlo", "statistic"), 1.0 + 2 * STATISTICAL_FRACTION),
        (("monte carlo", "passed"), False),  # flags: exact
        (("monte carlo", "details", "steps"), 11),  # integers: exact
        (("monte carlo", "details", "omitted_for_lack_of_power", 0, "label"), "C[2,1]"),  # strings: exact
        (("ode", "estimate"), -0.16 + 1e-9),
    ],
)
def test_a_change_in_the_science_is_found_on_another_platform(path, value):
    committed = _document()
    fresh = _other_platform(committed)
    target = _checks(fresh)[path[0]]
    for key in path[1:-1]:
        target = target[key]
    target[path[-1]] = value
    differences = compare_documents(committed, fresh).differences
    if path[-1] == "label":  # records are matched by their label: one missing, one new
        assert len(differences) == 2 and all("C[2,1]" in d or "C[1,2]" in d for d in differences), differences
    else:
        assert len(differences) == 1 and f"/{path[-1]}:" in differences[0], differences


def test_missing_claims_checks_and_run_settings_are_named():
    committed = _document()
    fresh = copy.deepcopy(committed)
    fresh["claims"][0]["checks"].pop(0)
    assert compare_results(committed["claims"], fresh["claims"], 0.0, "/claims") == [
        "/claims[a-claim]/checks[quadrature]: committed, missing from the regenerated results"]
    other_seed = copy.deepcopy(committed)
    other_seed["provenance"]["seed"] = 2
    assert compare_documents(committed, other_seed).differences == ["/provenance/seed: committed 1, regenerated 2"]


@pytest.mark.parametrize("rtol", [-1.0, float("nan"), float("inf"), "0.1"])
def test_a_bad_tolerance_is_refused(rtol):
    with pytest.raises(ValueError, match="rtol"):
        compare_results(_document(), _document(), rtol)


def test_a_document_that_is_not_a_results_file_is_refused():
    with pytest.raises(ValueError, match="claims"):
        compare_documents({"x": 1}, _document())


def _results_under(environment: dict, claim_ids: list[str]) -> dict:
    """results.json of a few claims, computed in a fresh process under ``environment``."""
    code = (
        "import json, sys; from ebmcheck.checks import registry; from ebmcheck.checks.runner import run_claims; from ebmcheck.checks.config import RunConfig; "
        "from ebmcheck.checks.report.results import results_document; "
        "r = run_claims([registry.get_claim(i) for i in sys.argv[1:]], progress=False, seed=20261123); "
        "print(json.dumps(results_document(r, RunConfig())))"
    )
    env = {**os.environ, **environment}
    run = subprocess.run([sys.executable, "-W", "ignore", "-c", code, *claim_ids], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(run.stdout)


def test_results_reproduce_under_another_floating_point_kernel():
    """Regenerated with numpy's SIMD loops limited to SSE4 and OpenBLAS forced to another core, the
    results agree with this process's within their resolution (quadrature, ODE and Monte Carlo
    claims; on a machine where the kernels are the same this still tests the comparison)."""
    claims = ["toy-ml-flow-converges", "fisher-information-unnormalized", "cnce-loss-symmetry"]
    here = _results_under({}, claims)
    other = _results_under({"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
                            "OPENBLAS_CORETYPE": "Nehalem"}, claims)
    comparison = compare_documents(here, other)
    assert comparison.reproduced, comparison.differences
