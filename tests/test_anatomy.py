"""Meta-tests of the acceptance machinery: checks that cannot fail must be caught."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from checks.anatomy import Check, Claim, Source, ZTest, critical_z, decide_verdict, mean_and_standard_error
from derivations.steps import Derivation, Step

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", positive=True)


def _check(z_test: float, z_control: float) -> Check:
    return Check("c", "q", ZTest(0.0, z_test, 1.0), ZTest(0.0, z_control, 1.0), "wrong")


def _claim(**kwargs) -> Claim:
    defaults = dict(id="c", title="t", topic="t", sources=(Source("000", "eq", "a=b"),), expected_verdict="verified",
                    derivation=lambda: Derivation("d", ()), checks=lambda context: [])
    return Claim(**(defaults | kwargs))


def test_critical_value_matches_alpha():
    assert critical_z(0.05) == pytest.approx(1.959964, abs=1e-6)


def test_verdicts():
    claim = _claim()
    assert decide_verdict(claim, [], [_check(0.5, 10)]) == "verified"
    assert decide_verdict(claim, [], [_check(10, 20)]) == "refuted"
    assert decide_verdict(claim, [], [_check(0.5, 1.0)]) == "inconclusive", "a control that survives means no power"
    assert decide_verdict(_claim(conditions=("c",)), [], [_check(0.5, 10)]) == "verified-with-conditions"
    assert decide_verdict(_claim(corrected="a=c"), [], [_check(0.5, 10)]) == "refuted"
    assert decide_verdict(_claim(corrected="a=c"), [], [_check(9, 10)]) == "inconclusive"


def test_diverged_check_is_never_a_pass_or_a_fail():
    check = Check("c", "q", ZTest(0.0, math.nan, 1.0), ZTest(1.0, math.nan, 1.0), "wrong")
    assert check.diverged and not check.passed and not check.control_rejected
    assert decide_verdict(_claim(), [], [check]) == "inconclusive"


def test_standard_error_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        mean_and_standard_error([1.0])
    mean, se = mean_and_standard_error(np.array([1.0, 3.0]))
    assert mean == 2.0 and se == pytest.approx(1.0)


def test_step_symbolic_numeric_and_failed():
    assert Step(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, "pythagoras").check().status == "symbolic"
    assert Step((x + 1) ** 2, x**2 + 1, "wrong").check().status == "failed"
    f = sp.Function("f")(x)
    assert Step(sp.diff(f * f, x), 2 * f * sp.diff(f, x), "product rule").check().status == "symbolic"
    wrong = Step(sp.diff(f * f, x), f * sp.diff(f, x), "missing 2").check()
    assert wrong.status == "failed", "a generic function must be replaced by a concrete counterexample"


def test_inequation_step():
    assert Step(sp.diff(y**2, y), 0, "nonzero", relation="≠").check().status == "symbolic"
    assert Step(x - x, 0, "zero", relation="≠").check().status == "failed"


def test_steps_with_unevaluated_expectations_and_variances():
    """E[·] and Var(·) stay unevaluated in a step (so a report prints them) and are evaluated to check it."""
    from sympy import stats

    Z, v = stats.Normal("Z", 0, 1), sp.Symbol("v", positive=True)
    assert Step(stats.Expectation(v * Z**2), v, "mean").check().status == "symbolic"
    assert Step(stats.Variance(v * Z**2), 2 * v**2, "variance").check().status == "symbolic"
    assert Step(stats.Variance(v * Z**2), 0, "not a constant", relation="≠").check().status == "symbolic"
    assert Step(stats.Variance(v * Z**2), v**2, "wrong").check().status == "failed"
    assert r"\operatorname{Var}" in Step(stats.Variance(v * Z**2), 0, "", relation="≠").latex()
