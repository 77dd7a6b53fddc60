"""Unit tests of the VAE topic: the derivations' exports are what the checks compile, and the check
machinery (Gauss–Hermite expectations, the local Gaussians' score matrix) does what it says."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from ebmcheck.checks import vae as checks
from ebmcheck.derivations import vae as derivation

POINT = (1.1, -0.3, 0.8, 0.6, 0.25, 0.7)  # (x, b, w, σ, m, s)


@pytest.mark.parametrize(("builder", "name"), [("elbo_decomposition", "elbo"), ("elbo_decomposition", "kl_posterior"),
                                               ("elbo_reconstruction_form", "kl_prior"), ("reparametrisation", "gradient_s")])
def test_the_checks_compile_the_derivations_exports(builder, name):
    expression = getattr(derivation, builder)().exports[name]
    expected = float(expression.subs(dict(zip(checks.PARAMETERS, POINT))))
    assert checks._compiled(builder, name)(*POINT) == pytest.approx(expected, rel=1e-12)


def test_the_decomposition_exports_add_up_and_the_swapped_control_does_not():
    elbo, kl, swapped, log_marginal = checks._exports("elbo_decomposition", "elbo", "kl_posterior",
                                                      "kl_posterior_swapped", "log_marginal")
    rng = np.random.default_rng(3)
    point = (*rng.normal(size=3), 0.7, rng.normal(), 0.4)
    assert elbo(*point) + kl(*point) == pytest.approx(log_marginal(*point), rel=1e-12)
    assert abs(elbo(*point) + swapped(*point) - log_marginal(*point)) > 1e-3


def test_the_kl_vanishes_exactly_at_the_posterior():
    kl = checks._compiled("elbo_decomposition", "kl_posterior")
    at_posterior = checks._near_posterior(POINT[:4], 0.0, 1.0)
    assert kl(*at_posterior) == pytest.approx(0.0, abs=1e-14)
    assert kl(*checks._near_posterior(POINT[:4], 0.1, 1.0)) > 0 and kl(*checks._near_posterior(POINT[:4], 0.0, 1.1)) > 0


def test_gauss_hermite_is_exact_for_quadratics_and_reports_a_small_error():
    value, error = checks._hermite(lambda z: z**2 - 3 * z, 0.4, 1.7, 4)
    assert value == pytest.approx(0.4**2 + 1.7**2 - 3 * 0.4, rel=1e-13) and error < 1e-12


def test_pathwise_gradients_average_to_the_exact_gradients():
    """Quadratic in ε: Gauss–Hermite with 4 nodes is exact, so the exports must agree to rounding."""
    for name, exact in (("pathwise_gradient_m", "gradient_m"), ("pathwise_gradient_s", "gradient_s")):
        pathwise = checks._compiled("reparametrisation", name, ("epsilon",))
        value, _ = checks._hermite(lambda e, f=pathwise: f(*POINT, e), 0.0, 1.0, 4)
        assert value == pytest.approx(checks._compiled("reparametrisation", exact)(*POINT), rel=1e-12)


@pytest.mark.parametrize(("points", "latent"), [(1, 1), (2, 2), (1, 4)])
def test_the_score_matrix_rank_counts_the_free_gaussian_parameters(points, latent):
    scores = checks._gaussian_scores(np.random.default_rng(0), points, latent, 100)
    assert scores.shape[1] == points * (latent + latent**2)  # every raw entry of Σ is a column
    assert np.linalg.matrix_rank(scores) == points * latent * (latent + 3) // 2  # the symmetric part only
    n, dim = sp.symbols("N L", positive=True, integer=True)
    assert derivation.variational_parameter_count().exports["count"].subs({n: points, dim: latent}) == np.linalg.matrix_rank(scores)


def test_the_printed_count_differs_from_the_count_in_every_dimension():
    exports = derivation.variational_parameter_count().exports
    n, dim, d = sp.symbols("N L d", positive=True, integer=True)
    for size in range(1, 6):
        assert exports["printed"].subs({n: 1, d: size}) != exports["count"].subs({n: 1, dim: size})


def _data(seed: int = 4, size: int = 300):
    return np.random.default_rng(seed).multivariate_normal([0.2, -0.4], [[1.6, 0.5], [0.5, 0.9]], size)


def test_the_elbo_at_the_posterior_of_the_same_parameters_is_the_log_likelihood():
    """Lemma 3.1's equality case in d = 2: the E step of θ closes the gap at θ, and only there."""
    data = _data()
    offset = data.mean(axis=0)
    theta = (np.array([0.7, -0.2]), 0.5)
    assert checks._elbo(data, offset, *theta, *theta) == pytest.approx(checks._log_likelihood(data, offset, *theta), abs=1e-12)
    other = (np.array([0.5, 0.1]), 0.8)
    assert checks._elbo(data, offset, *theta, *other) < checks._log_likelihood(data, offset, *theta) - 1e-4


def test_the_exported_em_step_keeps_the_tipping_bishop_solution_and_w_zero():
    """Independent of the derivation: the PPCA maximum likelihood (w = u₁(λ₁ − λ₂)^½, σ² = λ₂) and the
    saddle w = 0 are fixed points of one exact EM iteration."""
    data = _data()
    centred = data - data.mean(axis=0)
    eigenvalues, vectors = np.linalg.eigh(centred.T @ centred / len(data))
    optimum = (vectors[:, 1] * np.sqrt(eigenvalues[1] - eigenvalues[0]), eigenvalues[0])
    weight, sigma2 = checks._run_em(data, *optimum, 1)[-1]
    assert weight == pytest.approx(optimum[0], rel=1e-10) and sigma2 == pytest.approx(optimum[1], rel=1e-10)
    weight, _ = checks._run_em(data, (0.0, 0.0), 1.0, 3)[-1]
    assert np.all(weight == 0.0)


def test_em_never_decreases_the_likelihood():
    data = _data(5)
    offset = data.mean(axis=0)
    levels = [checks._log_likelihood(data, offset, *theta) for theta in checks._run_em(data, (0.1, 0.9), 2.0, 30)]
    assert np.all(np.diff(levels) >= -1e-12)
