"""Unit tests of the GAN machinery (theory/densities.py) and of how the GAN checks use the derivations' exports."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from ebmcheck.checks import gans as checks
from ebmcheck.checks.anatomy import Context
from ebmcheck.checks.config import RunConfig
from ebmcheck.derivations import gans as derivation
from ebmcheck.theory.quadrature import integrate
from ebmcheck.theory.densities import (
    Density,
    diagonal_gaussian_log_pdf,
    gaussian,
    gaussian_log_pdf,
    l1_distance,
    maximise_pointwise,
    mixture,
    multiplicative_descent,
)
from ebmcheck.theory.quadrature import gauss_legendre


def _context(claim_id: str) -> Context:
    return Context(claim_id, RunConfig())


# ---- theory/densities.py -----------------------------------------------------------------------------------
def test_densities_integrate_to_one_and_match_scipy():
    two_modes = mixture((0.3, 0.7), (gaussian(-1.0, 0.5), gaussian(2.0, 1.5)))
    for density in (gaussian(0.4, 2.0), two_modes):
        value, error = integrate(density.pdf, *density.interval())
        assert abs(value - 1.0) <= 10 * error + 1e-14
    x = np.linspace(-3, 5, 17)
    reference = 0.3 * stats.norm.pdf(x, -1.0, 0.5) + 0.7 * stats.norm.pdf(x, 2.0, 1.5)
    np.testing.assert_allclose(two_modes.pdf(x), reference, rtol=1e-13)


def test_gaussian_log_pdf_is_scipys_and_broadcasts():
    x = np.linspace(-6.0, 9.0, 31)
    for mean, sd in ((0.0, 1.0), (1.5, 0.7), (-2.0, 3.0), (0.3, 1e-3)):
        np.testing.assert_allclose(gaussian_log_pdf(x, mean, sd), stats.norm.logpdf(x, mean, sd), rtol=1e-15, atol=1e-13)
    means, sds = np.array([-1.0, 2.0]), np.array([0.5, 1.3])
    grid = gaussian_log_pdf(x[:, None], means, sds)  # (31, 2): one column per (mean, sd)
    assert grid.shape == (31, 2)
    np.testing.assert_allclose(grid, stats.norm.logpdf(x[:, None], means, sds), rtol=1e-15, atol=1e-13)
    assert float(gaussian_log_pdf(0.0, 0.0, 1.0)) == pytest.approx(-0.5 * math.log(2 * math.pi), rel=1e-15)
    np.testing.assert_array_equal(gaussian(1.5, 0.7).log_pdf(x), gaussian_log_pdf(x, 1.5, 0.7))
    with pytest.raises(ValueError, match="sd must be positive"):
        gaussian_log_pdf(x, 0.0, np.array([1.0, 0.0]))


def test_diagonal_gaussian_log_pdf_is_the_sum_of_the_one_dimensional_ones():
    points = np.random.default_rng(1).normal(size=(50, 3))
    mean, sd = np.array([0.5, -1.0, 0.0]), np.array([0.8, 1.0, 2.5])
    expected = stats.multivariate_normal(mean, np.diag(sd**2)).logpdf(points)
    np.testing.assert_allclose(diagonal_gaussian_log_pdf(points, mean, sd), expected, rtol=1e-14)
    np.testing.assert_allclose(diagonal_gaussian_log_pdf(points, mean, sd), gaussian_log_pdf(points, mean, sd).sum(axis=-1),
                               rtol=1e-14)
    with pytest.raises(ValueError, match="mean and sd of shape"):
        diagonal_gaussian_log_pdf(points, mean[:2], sd[:2])
    with pytest.raises(ValueError, match="sd must be positive"):
        diagonal_gaussian_log_pdf(points, mean, -sd)


def test_gaussian_density_has_a_name_and_samples_its_law():
    density = gaussian(0.5, 2.0)
    assert density.name == "N(0.5, 2²)"
    draws = density.sample(100_000, np.random.default_rng(0))
    assert draws.shape == (100_000,)
    assert abs(draws.mean() - 0.5) < 5 * 2.0 / math.sqrt(draws.size)
    mean, error = density.expect(lambda x: x[:, 0])
    assert mean == pytest.approx(0.5, abs=1e-12) and error < 1e-12
    assert mixture((0.5, 0.5), (density, gaussian(1.0, 1.0))).sample is None
    with pytest.raises(TypeError, match="name"):
        Density(np.negative, 0.0, 1.0, name=3)
    with pytest.raises(TypeError, match="sample"):
        Density(np.negative, 0.0, 1.0, sample="draws")


def test_integrate_error_estimate_covers_a_coarse_rule():
    """With one 2-node panel the rule is crude; the reported error must cover the true error."""
    value, error = integrate(np.cos, 0.0, 3.0, panels=1, order=2)
    assert abs(value - math.sin(3.0)) <= error


def test_maximise_pointwise_finds_the_maximum_of_a_concave_function_without_using_its_derivative():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 5, 50), rng.uniform(0.01, 5, 50)
    y, best = maximise_pointwise(a, b)
    grid = np.linspace(1e-6, 1 - 1e-6, 200_001)[:, None]
    on_grid = (a * np.log(grid) + b * np.log(1 - grid)).max(axis=0)
    assert np.all(best >= on_grid - 1e-12)  # nothing on a fine grid beats the search
    np.testing.assert_allclose(y, a / (a + b), atol=1e-7)


def test_maximise_pointwise_goes_to_the_edge_when_one_density_vanishes():
    y, _ = maximise_pointwise(np.array([2.0, 0.0]), np.array([0.0, 3.0]))
    assert y[0] > 1 - 1e-15 and y[1] < 1e-15


@pytest.mark.parametrize("a, b, message", [
    (np.ones(3), np.ones(2), "one shape"),
    (np.array([-1.0]), np.array([1.0]), "non-negative"),
])
def test_maximise_pointwise_rejects_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        maximise_pointwise(a, b)


def test_mixture_and_gaussian_reject_bad_parameters():
    with pytest.raises(ValueError, match="sum to 1"):
        mixture((0.5, 0.6), (gaussian(0, 1), gaussian(1, 1)))
    with pytest.raises(ValueError, match="one weight per component"):
        mixture((1.0,), (gaussian(0, 1), gaussian(1, 1)))
    with pytest.raises(ValueError, match="positive"):
        gaussian(0.0, 0.0)


def test_unit_step_of_the_multiplicative_descent_is_the_average_with_the_data():
    """At η = 1, ρ_g(1 − D*)^{-1}/Z = (ρ_* + ρ_g)/2 (derivations.gans.functional_descent)."""
    nodes, weights = gauss_legendre(-12, 12, 50, 16)
    star, start = gaussian(-1.0, 0.7).log_pdf(nodes), gaussian(2.0, 1.3).log_pdf(nodes)
    after = multiplicative_descent(star, start, weights, 1.0, 1)[1]
    np.testing.assert_allclose(np.exp(after), (np.exp(star) + np.exp(start)) / 2, atol=1e-14)
    assert l1_distance(after, star, weights) == pytest.approx(l1_distance(start, star, weights) / 2, rel=1e-12)
    with pytest.raises(ValueError, match="positive step"):
        multiplicative_descent(star, start, weights, 0.0, 1)
    with pytest.raises(ValueError, match="share one grid"):
        multiplicative_descent(star[:-1], start, weights, 0.5, 1)


# ---- derivations' exports against independent references --------------------------------------------------------
def test_pushforward_density_is_scipys_lognormal():
    density = sp.lambdify((derivation.x, derivation.m, derivation.s), derivation.pushforward().exports["density"], "numpy")
    x = np.linspace(0.1, 6, 13)
    np.testing.assert_allclose(density(x, 0.3, 0.4), stats.lognorm.pdf(x, 0.4, scale=math.exp(0.3)), rtol=1e-12)


def test_optimal_discriminator_logit_coefficients_are_the_log_density_ratio():
    coefficients = sp.lambdify((derivation.m, derivation.s),
                               derivation.optimal_discriminator().exports["logit_coefficients"], "numpy")
    w = np.asarray(coefficients(1.5, 0.7), dtype=float).ravel()
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(w[0] + w[1] * x + w[2] * x**2,
                               stats.norm.logpdf(x) - stats.norm.logpdf(x, 1.5, 0.7), rtol=1e-12, atol=1e-12)


def test_saturating_gradient_stays_below_the_derived_bound():
    exports = derivation.saturating_gradient().exports
    integrand = sp.lambdify((derivation.x, derivation.theta), exports["saturating_integrand"], "numpy")
    bound = sp.lambdify(derivation.theta, exports["bound"], ["scipy", "numpy"])
    for theta in (0.5, 3.0, 9.0):
        generated = gaussian(theta, 1.0)
        value, _ = integrate(lambda x, t=theta, g=generated: g.pdf(x) * integrand(x, t), *generated.interval())
        assert 0 < value <= bound(theta)


# ---- the checks take their predictions from the exports ---------------------------------------------------------
def _with_export(monkeypatch, builder_name: str, key: str, value):
    original = getattr(derivation, builder_name)

    def patched():
        built = original()
        return dataclasses.replace(built, exports={**built.exports, key: value})

    monkeypatch.setattr(derivation, builder_name, patched)


def test_criterion_checks_fail_when_the_export_is_the_printed_formula(monkeypatch):
    printed = derivation.criterion_eq37().exports["printed_integrand"]
    assert all(c.passed for c in checks.criterion_checks(_context("gans-criterion-eq37")))
    _with_export(monkeypatch, "criterion_eq37", "criterion_integrand", printed)
    assert not any(c.passed for c in checks.criterion_checks(_context("gans-criterion-eq37")))


def test_saturating_checks_fail_when_the_exported_gradients_are_swapped(monkeypatch):
    exports = derivation.saturating_gradient().exports
    _with_export(monkeypatch, "saturating_gradient", "saturating_integrand", exports["non_saturating_integrand"])
    results = checks.saturating_checks(_context("gans-saturating-gradient"))
    assert not any(c.passed for c in results if "log(1 − D" in c.name)


def test_not_encoded_entries_name_their_source_and_a_reason():
    for entry in checks.NOT_ENCODED:
        assert entry.source.seed_file == "003" and entry.source.statement and len(entry.reason) > 40
