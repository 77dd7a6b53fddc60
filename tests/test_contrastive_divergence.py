"""Tests of the contrastive-divergence topic: the grid machinery against independent closed forms,
its input validation, and that the derivations' exports are what the checks use."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from ebmcheck.checks import contrastive_divergence as checks
from ebmcheck.derivations import contrastive_divergence as derivation
from ebmcheck.theory import samplers
from ebmcheck.theory.contrastive_divergence_grid import (
    one_step_difference,
    reset_gap,
    ula_expectations,
)

MU, LAM = 0.3, 1.5


def _score(x):
    return -LAM * (x - MU)


def _moments(x):
    return np.stack([x, x**2], -1)


@pytest.mark.parametrize("step,k", [(0.05, 7), (0.4, 3)])
def test_grid_law_matches_ula_closed_form_of_samplers(step, k):
    """Mean and variance of k ULA steps on the grid = theory.samplers.ula_law_at_step (review eq. 88)."""
    values, errors = ula_expectations(lambda x: -(x - 1.0) ** 2 / (2 * 0.5), _score, _moments, -12, 12, step, [k])
    mean, cov = samplers.ula_law_at_step(np.array([[1 / LAM]]), step, k, np.array([1.0]), np.array([[0.5]]), mu=np.array([MU]))
    assert values[0, 0] == pytest.approx(float(mean[0]), abs=1e-10)
    assert values[0, 1] - values[0, 0] ** 2 == pytest.approx(float(cov[0, 0]), abs=1e-10)
    assert np.all(errors < 1e-9)


def test_one_step_difference_agrees_with_grid():
    toy_log_density, toy_score, toy_gradient = checks._data_log_density, checks._toy_score, checks._toy_gradient
    grid, _ = ula_expectations(toy_log_density, toy_score, toy_gradient, checks.LO, checks.HI, 0.1, [0, 1])
    difference, error = one_step_difference(toy_log_density, toy_score, toy_gradient, checks.LO, checks.HI, 0.1)
    assert float(difference) == pytest.approx(float(grid[1] - grid[0]), abs=1e-9)
    assert float(error) < 1e-9


def test_reset_gap_conserves_mass_and_matches_the_exact_gaussian_gap():
    ones, _ = reset_gap(lambda x: -x**2 / 2, lambda x: LAM * (x - MU), lambda x: np.ones_like(x), -10, 10, 7.0, 1.3)
    assert abs(float(ones)) < 1e-9
    value, error = reset_gap(lambda x: -x**2 / 2, lambda x: LAM * (x - MU), checks._gauss_energy_gradient, -10, 10, 7.0, 1.3)
    scaled = sp.lambdify(checks.SYMBOLS + (derivation.nu, derivation.alpha), derivation.birth_death_expansion().exports["scaled_gap"])
    exact = np.ravel(scaled(MU, LAM, 0.0, 1.0, 7.0, 1.3))
    assert np.all(np.abs(value - exact) <= 10 * error + 1e-12)


@pytest.mark.parametrize("call,message", [
    (lambda: ula_expectations(lambda x: -x**2, _score, _moments, 1, 0, 0.1, [1]), "lo < hi"),
    (lambda: ula_expectations(lambda x: -x**2, _score, _moments, -1, 1, 0.0, [1]), "step must be > 0"),
    (lambda: ula_expectations(lambda x: -x**2, _score, _moments, -1, 1, 0.1, [-1]), "steps must be"),
    (lambda: reset_gap(lambda x: -x**2, _score, _moments, -1, 1, -2.0, 1.0), "rate must be > 0"),
    (lambda: one_step_difference(lambda x: -x**2, _score, _moments, -1, 1, -0.1), "step must be > 0"),
])
def test_bad_inputs_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="score"):
        ula_expectations(lambda x: -x**2, 3.0, _moments, -1, 1, 0.1, [1])


def test_gaussian_exports_are_consistent():
    exports = derivation.gaussian_cd_k().exports
    args = checks.SYMBOLS + (derivation.eta, derivation.k)
    cd, bias = (sp.lambdify(args, exports[name]) for name in ("cd_gradient", "bias"))
    ml = sp.lambdify(checks.SYMBOLS, exports["ml_gradient"])
    point = (MU, LAM, -0.7, 2.0)
    assert np.allclose(np.ravel(cd(*point, 0.1, 4)) - np.ravel(ml(*point)), np.ravel(bias(*point, 0.1, 4)))
    limit = sp.lambdify(checks.SYMBOLS + (derivation.eta,), exports["bias_limit"])
    assert np.allclose(np.ravel(bias(*point, 0.1, 3000)), np.ravel(limit(*point, 0.1)), atol=1e-12)
    descent = sp.lambdify(checks.SYMBOLS, derivation.ml_descent().exports["descent_direction"])
    assert np.allclose(np.ravel(descent(*point)), -np.ravel(ml(*point)))


def test_hinton_gradient_is_the_cd_gradient_and_the_printed_one_is_not():
    objective, cd = derivation.cd_objective().exports, derivation.gaussian_cd_k().exports["cd_gradient"]
    args = checks.SYMBOLS + (derivation.eta, derivation.k)
    hinton, printed, cd_k = (sp.lambdify(args, e) for e in (objective["hinton_gradient"], objective["printed_gradient"], cd))
    point = (MU, LAM, -0.7, 2.0, 0.1, 3)
    assert np.allclose(np.ravel(hinton(*point)), np.ravel(cd_k(*point)))
    assert not np.allclose(np.ravel(printed(*point)), np.ravel(cd_k(*point)))


def test_score_matching_gradient_agrees_with_the_toy_flow():
    """The checks' ∂θJ (derivation's integrand, ½ convention) = −½ × the toy's SM flow (slides' convention, no ½)."""
    value, error = checks._toy_sm_gradient()
    flow = checks.TOY.sm_flow(np.array([checks.THETA_MODEL]), checks.THETA_DATA)
    assert value == pytest.approx(-0.5 * float(np.ravel(flow.value)[0]), abs=1e-9 + 10 * error)


def test_ml_gradient_agrees_with_the_toy_flow():
    flow = checks.TOY.ml_flow(np.array([checks.THETA_MODEL]), checks.THETA_DATA)
    assert checks._toy_ml_gradient() == pytest.approx(-float(np.ravel(flow.value)[0]), abs=1e-9)


def test_small_step_rate_is_what_the_gaussian_cd1_gives():
    exports = derivation.small_step_limit().exports
    ratio = sp.simplify(exports["cd1_gradient"] / derivation.eta - exports["sm_gradient"] - derivation.eta * exports["rate"])
    assert ratio == sp.zeros(2, 1)
