"""Unit tests of the fisher topic's machinery, and that the checks use the derivation's exports."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import special

from ebmcheck.checks import fisher
from ebmcheck.derivations import fisher as derivation


def test_integrate_rejects_an_empty_interval_and_integrates_a_gaussian():
    with pytest.raises(ValueError, match="lo < hi"):
        fisher.integrate(np.exp, 1.0, 1.0)
    value, error = fisher.integrate(lambda x: np.exp(-x**2 / 2), -12.0, 12.0)
    assert abs(value - math.sqrt(2 * math.pi)) < 10 * error + 1e-13


def test_mixture_weight_outside_the_unit_interval_is_a_value_error():
    with pytest.raises(ValueError, match="weight_left"):
        fisher.mixture_log_density(np.zeros(3), 5.0, 1.0)


def test_mixture_score_is_the_derivative_of_the_mixture_log_density():
    x, step = np.linspace(-8, 8, 41), 1e-6
    for weight in (0.5, 0.2):
        numeric = (fisher.mixture_log_density(x + step, 3.0, weight) - fisher.mixture_log_density(x - step, 3.0, weight)) / (2 * step)
        np.testing.assert_allclose(fisher.mixture_score(x, 3.0, weight), numeric, atol=1e-7)


def test_the_exported_score_gap_is_the_experiment_s_score_difference():
    gap = sp.lambdify((derivation.x, derivation.m, derivation.z), derivation.mode_blindness().exports["score_gap"])
    x = np.linspace(-3, 3, 13)
    for separation, z in ((2.0, 1.0), (5.0, -3.0)):
        expected = fisher.mixture_score(x, separation, 0.5) - fisher.mixture_score(x, separation, special.expit(z))
        np.testing.assert_allclose(gap(x, separation, z), expected, atol=1e-10)


def test_the_kernel_integral_by_quadrature_is_the_derived_closed_form():
    d = derivation.mode_blindness()
    closed = next(s.rhs for s in d.steps if s.label == "kernel-integral")
    for z in (0.5, 3.0):
        total, _, _ = fisher.kernel_moments(z)
        assert total == pytest.approx(float(closed.subs(derivation.b, math.exp(-z / 2))), rel=1e-10)


def test_the_leading_asymptotics_is_the_export_and_approaches_quadrature_as_modes_separate():
    errors = []
    for separation in (3.0, 6.0, 9.0):
        (value, _), _ = fisher.fisher_and_kl(separation, 2.0)
        errors.append(abs(value / fisher.leading_fisher(separation, 2.0) - 1))
    assert errors[0] > errors[1] > errors[2]


def test_eq53_printed_sum_scales_with_n_and_the_loss_is_half_of_d_f():
    assert derivation.monte_carlo_estimators().exports["scale_printed"] == sp.Symbol("N", positive=True, integer=True)
    exports = derivation.score_matching_loss_is_half_fisher().exports
    assert sp.simplify(exports["loss"] / exports["fisher"]) == sp.Rational(1, 2)


def test_the_integrand_region_carries_its_share_of_d_f_and_rejects_a_bad_share():
    with pytest.raises(ValueError, match="share"):
        fisher.integrand_region(4.0, 1.5)
    lo, hi, mass, value, _ = fisher.integrand_region(4.0, 0.99)
    w = special.expit(4.0)
    inside = fisher.integrate(lambda x: np.exp(fisher.mixture_log_density(x, 5.0, 0.5)) * (
        fisher.mixture_score(x, 5.0, 0.5) - fisher.mixture_score(x, 5.0, w)) ** 2, lo, hi)[0]
    assert inside / value == pytest.approx(0.99, abs=2e-3)
    assert 0 < mass < 1e-4  # the region between the modes is a low-density one


def test_the_flat_probability_export_is_independence_of_the_samples():
    flat = derivation.sample_size().exports["flat"]
    p, n = sp.Symbol("p_A", positive=True), sp.Symbol("N", positive=True, integer=True)
    assert flat.subs({p: sp.Rational(1, 10), n: 3}) == sp.Rational(729, 1000)


def test_the_time_dependent_quadrature_normalizes_every_perturbed_density():
    """With s_θ = 0 only the data-score term survives; with the integrand 1 the weights give E_t λ(t) = 1 + T/2."""
    terms, _ = fisher._perturbed_terms(0.0, 0.0, 0.0, 100, 12)
    assert terms[1] == 0.0
    t_unit, t_weights = np.polynomial.legendre.leggauss(12)
    nodes, weights = fisher.quadrature.gauss_legendre(-14.0, 14.0, 100, 16)
    variance = fisher.DATA_VARIANCE + (t_unit + 1)[:, None] * fisher.HORIZON / 2
    density = np.exp(-(nodes[None, :] - 2.0) ** 2 / (2 * variance)) / np.sqrt(2 * np.pi * variance)
    assert np.allclose((density * weights).sum(axis=1), 1.0, atol=1e-12)
    assert ((1 + (t_unit + 1) / 2) * t_weights / 2).sum() == pytest.approx(1 + fisher.HORIZON / 2)


def test_eq57_weights_are_the_factor_two_convention_not_eq54_as_printed():
    assert derivation.time_dependent_identity().exports["weights"] == (1, 1, 2, 1)
