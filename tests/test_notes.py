"""Tests of the notes topic: its derivations' exports are what the checks use, and the check helpers."""

import numpy as np
import pytest
import sympy as sp

from ebmcheck.checks import notes as checks
from ebmcheck.derivations import notes as derivation
from ebmcheck.theory import asymptotics


def test_edge_term_export_is_minus_lambda_mu():
    exports = derivation.sm_boundary_conditions().exports
    assert sp.simplify(exports["edge_term"] - (-derivation.lam * derivation.mu)) == 0
    assert sp.simplify(exports["cross"] - exports["ibp"] - exports["edge_term"]) == 0


def test_printed_r_is_minus_the_loss():
    exports = derivation.nce_r_sign().exports
    assert sp.simplify(exports["printed"] + exports["loss"]) == 0


def test_dsm_constant_export_matches_gaussian_case():
    """ρ_* = N(0, 1): E|∇log ρ_σ|² = 1/(1 + σ²), so DSM − SM_σ = 1/σ² − 1/(1 + σ²)."""
    constant = derivation.dsm_vincent().exports["dsm_minus_sm_sigma"]
    value = constant.subs({derivation.sigma: 0.5, derivation.fisher_sigma: 1 / 1.25})
    assert abs(float(value) - (4.0 - 0.8)) < 1e-12


def test_mixture_score_matches_finite_differences():
    x = np.linspace(-5, 5, 11)
    log_density, score = checks._mixture_log_density_and_score(x, 0.3)
    h = 1e-5
    plus, _ = checks._mixture_log_density_and_score(x + h, 0.3)
    minus, _ = checks._mixture_log_density_and_score(x - h, 0.3)
    assert np.allclose(score, (plus - minus) / (2 * h), atol=1e-6)
    assert abs(np.trapezoid(np.exp(checks._mixture_log_density_and_score(np.linspace(-20, 20, 40001), 0.3)[0]),
                            np.linspace(-20, 20, 40001)) - 1) < 1e-8


def test_disjoint_objective_does_not_depend_on_weight_and_equals_export():
    flat = float(derivation.sm_consistency().exports["flat_value"])
    values = [checks._disjoint_objective(w)[0] for w in (0.2, 0.7)]
    assert np.allclose(values, flat, atol=1e-8)


def test_overlap_objective_minimum_moves_with_the_data_weight():
    grid = np.linspace(0.05, 0.95, 91)
    values = [checks._overlap_objective(w, 60) for w in grid]
    assert abs(grid[int(np.argmin(values))] - checks.W_STAR) <= 0.011


def test_nce_variance_formula_gives_twice_cramer_rao_when_noise_is_data():
    value, error = checks._derived_variance(0.0)
    assert abs(value - 2.0) < 1e-8 + error


def test_nce_measured_variance_agrees_with_derived_formula_far_from_data():
    derived, derived_error = checks._derived_variance(2.0)
    measured, measured_error = checks._measured_variance(2.0)
    assert abs(measured - derived) <= 10 * (measured_error + derived_error)
    assert derived > 3 * checks._derived_variance(0.0)[0]


def _pair_score_sandwich(g, p, mu_n, weights):
    """A⁻¹ V A⁻¹ from the definitions: A = ∫ggᵀ pμ/(p+μ) (the Hessian at θ*) and V = Var ψ of the pair score
    ψ = g(x)(1 − D(x)) − g(y)D(y), x ~ p, y ~ μ independent (data and noise parts' variances add)."""
    d = p / (p + mu_n)
    a = np.einsum("i,ji,ki->jk", weights * p * mu_n / (p + mu_n), g, g)
    variance = np.zeros((2, 2))
    for part, density in ((g * (1 - d), p), (g * d, mu_n)):
        mean = part @ (weights * density)
        variance += np.einsum("i,ji,ki->jk", weights * density, part, part) - np.outer(mean, mean)
    inverse = np.linalg.inv(a)
    return a, inverse @ variance @ inverse


def test_nce_matrices_feed_the_derived_formula_which_is_the_pair_score_sandwich():
    for shift, scale in ((0.0, 1.0), (1.5, 1.0), (2.0, 0.8)):
        weights, p, mu_n, g, _ = checks._nce_pieces(shift, scale)
        a, m = asymptotics.nce_matrices(g.T, p, mu_n, weights)
        expected_a, sandwich = _pair_score_sandwich(g, p, mu_n, weights)
        np.testing.assert_allclose(a, expected_a, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(m, np.einsum("i,ji->j", weights * p * mu_n / (p + mu_n), g), rtol=1e-13, atol=1e-15)
        derived = checks._variance_formula()(a[0, 0], a[0, 1], a[1, 1], m[0], m[1])
        assert derived == pytest.approx(sandwich[0, 0], rel=1e-10)


def test_nce_matrices_reject_bad_input():
    weights, p, mu_n, g, _ = checks._nce_pieces(1.0)
    with pytest.raises(ValueError, match="noise_density must have shape"):
        asymptotics.nce_matrices(g.T, p, mu_n[:-1], weights)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        asymptotics.nce_matrices(g.T, p, mu_n, -weights)
    with pytest.raises(ValueError, match="positive at every node"):
        asymptotics.nce_matrices(g.T, np.zeros_like(p), np.zeros_like(p), weights)
