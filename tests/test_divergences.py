"""Unit tests of the divergences topic: the derivation's exports against independent computations, the
checks' machinery (densities, finite differences, argmin), and that the checks take their predictions
from the exports."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from ebmcheck.checks import divergences as checks
from ebmcheck.checks.anatomy import Context
from ebmcheck.checks.config import RunConfig
from ebmcheck.derivations import divergences as derivation
from ebmcheck.theory import densities

means = st.floats(min_value=-3, max_value=3, allow_nan=False)
sds = st.floats(min_value=0.3, max_value=3, allow_nan=False)


def _quad(func, lo=-60.0, hi=60.0) -> float:
    return integrate.quad(func, lo, hi, limit=200, epsabs=1e-12, epsrel=1e-12)[0]


@given(means, sds, means, sds)
def test_gaussian_closed_forms_match_scipy_quadrature(m1, s1, m2, s2):
    """The exported H(ρ₁,ρ₂), H(ρ₁), KL(ρ₁‖ρ₂) are the integrals of eqs. 9–11 (SciPy's quad, scipy.stats densities)."""
    exports = derivation.cross_entropy_decomposition().exports
    first, second = stats.norm(m1, s1), stats.norm(m2, s2)
    lo, hi = m1 - 12 * s1, m1 + 12 * s1
    expected = {
        "cross_entropy": _quad(lambda x: -first.pdf(x) * second.logpdf(x), lo, hi),
        "entropy": float(first.entropy()),
        "kl": _quad(lambda x: first.pdf(x) * (first.logpdf(x) - second.logpdf(x)), lo, hi),
    }
    for name, value in expected.items():
        assert float(checks._closed_form(exports[name])(m1, s1, m2, s2)) == pytest.approx(value, rel=1e-8, abs=1e-9), name


def test_printed_lemma_is_the_swapped_cross_entropy_and_differs_from_the_true_one():
    exports = derivation.cross_entropy_decomposition().exports
    gap = checks._closed_form(exports["printed_minus_true"])
    cross = checks._closed_form(exports["cross_entropy"])
    assert float(gap(0.0, 1.0, 0.0, 2.0)) == pytest.approx(float(cross(0.0, 2.0, 0.0, 1.0) - cross(0.0, 1.0, 0.0, 2.0)))
    assert abs(float(gap(0.0, 1.0, 0.0, 2.0))) > 0.1
    assert float(gap(0.3, 1.5, -0.2, 1.5)) == pytest.approx(0.0, abs=1e-12)  # equal variances: symmetric


def test_gaussian_expectation_refuses_degrees_above_the_derived_moments():
    with pytest.raises(ValueError, match="degree 3"):
        derivation.gaussian_expectation(derivation.x**3, derivation.m1, derivation.s1)


def test_example_energies_at_the_stated_values():
    """Corrected U: e^{−U} is the stated mixture; printed U: e^{−U} ≥ 1 (not normalizable); sign-fixed weight 14/17."""
    energies, numbers = checks._example_energies()
    grid = np.linspace(-10.0, 15.0, 501)
    np.testing.assert_allclose(-energies["corrected_energy"](grid), checks._stated_mixture_log_density(grid), rtol=1e-12, atol=1e-12)
    assert np.all(-energies["printed_energy"](grid) >= 0.0)
    exports = derivation.example_mixture_energy().exports
    assert exports["sign_fixed_weight"].subs(derivation.EXAMPLE_PARAMETERS) == sp.Rational(14, 17)
    assert numbers["corrected_mean"] == pytest.approx(1.5)


def test_densities_are_normalized_and_sample_their_law():
    rng = np.random.default_rng(0)
    for density in (densities.gaussian(0.5, 2.0), checks.quartic_density(), checks.mixture_density()):
        one, error = density.expect(lambda x: np.ones(x.shape[0]))
        assert one == pytest.approx(1.0, abs=1e-12) and error < 1e-12
        mean, _ = density.expect(lambda x: x[:, 0])
        samples = density.sample(200_000, rng)
        assert abs(samples.mean() - mean) < 5 * samples.std() / math.sqrt(samples.size)


def test_finite_difference_and_argmin_on_known_functions():
    value, error = checks._finite_difference(lambda t: math.sin(t[0]) * t[1] ** 2, np.array([0.3, 1.5]), 0)
    assert value == pytest.approx(math.cos(0.3) * 2.25, abs=max(10 * error, 1e-10)) and error < 1e-8
    argmin, error = checks._argmin(lambda t: (t - 0.7) ** 2 + 0.1 * (t - 0.7) ** 4, 0.0, 3.0)
    assert abs(argmin - 0.7) <= 10 * error and error < 1e-5


def test_checks_take_their_predictions_from_the_exports():
    context = Context("divergences-cross-entropy-lemma", RunConfig(seed=1, profile="quick"))
    exports = derivation.cross_entropy_decomposition().exports
    h_plus_kl = checks._closed_form(exports["entropy"] + exports["kl"])
    gaussian = [c for c in checks.lemma_checks(context) if "pair" in c.details]
    assert len(gaussian) == len(checks.GAUSSIAN_PAIRS) + 2
    for check in gaussian:
        assert check.test.prediction == pytest.approx(float(h_plus_kl(*check.details["pair"])), rel=1e-15)
        assert check.control_is_statement
