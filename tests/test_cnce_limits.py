"""Tests of the cnce_limits machinery (quadrature rules, extrapolation, the bump and Table 1 problems) and that the
derivations' exports are what the checks use."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from ebmcheck.checks import cnce_limits as checks
from ebmcheck.derivations import cnce_limits as derivation
from ebmcheck.theory import asymptotics, models
from ebmcheck.theory import noise as nz


def test_hermite_rule_integrates_gaussian_moments():
    nodes, weights = checks.hermite_rule(10)
    assert np.isclose(weights.sum(), 1.0)
    assert np.isclose(np.sum(weights * nodes**4), 3.0)
    with pytest.raises(ValueError):
        checks.hermite_rule(0)


def test_pair_expectation_exact_for_polynomials_and_validates():
    value, error = checks.gaussian_pair_expectation(lambda x, xi: x**2 * xi**2, 2.0, 8)
    assert np.isclose(value, 0.5) and error < 1e-12
    with pytest.raises(ValueError):
        checks.gaussian_pair_expectation(lambda x, xi: x, -1.0, 8)


def test_richardson_removes_the_linear_term():
    value, error = checks.richardson_limit(lambda e: (0.3 - 2 * e + 5 * e**2, 0.0), 1e-2)
    assert abs(value - 0.3) < 1e-4 and abs(value - 0.3) <= error


def test_excess_loss_matches_the_exported_expansion():
    exports = derivation.score_matching_limit().exports
    series = 2 * sp.log(2) + exports["eps"] * exports["hyvarinen"] / 2 + exports["c2"] * exports["eps"] ** 2 - 2 * sp.log(2)
    theta = 1.3

    def residual(eps):
        expected = float(series.subs({exports["theta"]: theta, exports["theta_star"]: checks.THETA_STAR, exports["eps"]: eps}))
        return checks.gaussian_excess_loss(theta, eps)[0] - expected

    ratio = residual(2e-2) / residual(1e-2)
    assert 6 < ratio < 10  # the remainder after the exported ε² term is O(ε³): halving ε divides it by ~8
    assert exports["constant"] == sp.Rational(1, 2)


def test_bump_gradient_flat_below_the_gap_and_identifying_above():
    assert checks.bump_gradient(checks.THETA_BUMP + 0.7, 1.5, 8) == 0.0
    assert abs(checks.bump_gradient(checks.THETA_BUMP + 0.7, 3.0, 8)) > 1e-5  # few pairs cross: small but not 0
    assert abs(checks.bump_gradient(checks.THETA_BUMP, 3.0, 16)) < 1e-8
    with pytest.raises(ValueError):
        checks.bump_gradient(0.0, 0.0, 8)


def test_asymmetric_noise_term_matters_and_gradient_vanishes():
    assert abs(checks.ar_noise_gradient(checks.THETA_STAR, False, 60)) < 1e-9
    assert abs(checks.ar_noise_gradient(checks.THETA_STAR, True, 60)) > 1e-3


def test_merged_ratio_export_is_the_any_k_covariance_ratio():
    ratio = checks._ratio_function()
    model, theta = models.gaussian_precision(), np.array([checks.THETA_STAR])
    noise = nz.LocalGaussian(1.0)
    matrices = asymptotics.cnce_matrices(model, theta, noise)
    sigma1 = asymptotics.cnce_covariance(model, theta, noise, K=1)[0, 0]
    sigma2 = asymptotics.cnce_covariance(model, theta, noise, K=2)[0, 0]
    assert np.isclose(float(ratio(matrices.C2[0, 0], matrices.C3[0, 0])), sigma1 / sigma2, rtol=1e-8)


def test_variance_ratio_estimate_on_independent_terms():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(200_000), rng.standard_normal(200_000)
    estimate, se = checks.variance_ratio_estimate(2 * a, a + b)
    assert abs(estimate - 2.0) < 5 * se and se < 0.02


def test_label_minimiser_and_its_swap():
    assert np.isclose(checks.population_minimiser(swap=False), checks.THETA_STAR, atol=1e-6)
    assert np.isclose(checks.population_minimiser(swap=True), -checks.THETA_STAR, atol=1e-6)
    exports = derivation.label_convention().exports
    logit = sp.lambdify((exports["p1"], exports["p0"]), exports["optimal_logit"])
    assert np.isclose(1 / (1 + math.exp(-logit(0.3, 0.1))), 0.75)


def test_table_quadrature_matches_theory_asymptotics():
    model, theta, noises = checks.table_problem()
    for weight, name in ((0.0, "CNCE global"), (0.5, "CNCE mix")):
        ours, error = checks.table_trace_sigma(weight)
        reference = float(np.trace(asymptotics.cnce_covariance(model, theta, noises[name])))
        assert abs(ours - reference) <= 1e-4 * reference + 10 * error


def test_ratio_of_means_standard_error():
    rng = np.random.default_rng(1)
    a = rng.exponential(size=50_000)
    estimate, se = checks.ratio_of_means(2 * a + rng.exponential(size=a.size) * 0, a)
    assert np.isclose(estimate, 2.0) and se < 1e-10
