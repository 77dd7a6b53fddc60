"""Unit tests of the Euler–Maruyama integrator (theory/sde.py) and of the diffusion topic's exports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ebmcheck.checks import diffusion as checks
from ebmcheck.derivations import diffusion as derivation
from ebmcheck.theory.sde import coupled_euler_maruyama, euler_maruyama, linear_moments


def test_linear_moments_reproduce_the_simulated_em_law_at_a_coarse_step():
    """At h = 0.25 the EM variance of OU differs from the SDE's by several SE: the simulation follows the
    scheme's exact moments, and not the continuous-time variance."""
    n, steps, horizon = 200_000, 4, 1.0
    rng = np.random.default_rng(1)
    x = euler_maruyama(lambda x, t: -x, lambda x, t: 1.0, np.zeros(n), 0.0, horizon, steps, rng).x
    em = linear_moments(lambda t: -1.0, lambda t: 0.0, lambda t: 1.0, 0.0, 0.0, 0.0, horizon, steps)
    exact = (1 - math.exp(-2 * horizon)) / 2
    se = x.var() * math.sqrt(2 / n)
    assert abs(x.var() - em.variance) < 4 * se
    assert abs(x.var() - exact) > 8 * se


def test_weak_order_one_from_the_exact_scheme_moments():
    exact = (1 - math.exp(-2.0)) / 2
    biases = [linear_moments(lambda t: -1.0, lambda t: 0.0, lambda t: 1.0, 0.0, 0.0, 0.0, 1.0, k).variance - exact
              for k in (40, 80, 160)]
    orders = [math.log2(b1 / b2) for b1, b2 in zip(biases, biases[1:])]
    assert all(abs(order - 1) < 0.05 for order in orders)


def test_backward_run_uses_a_negative_step_and_saves_grid_times():
    rng = np.random.default_rng(0)
    result = euler_maruyama(lambda x, t: np.ones_like(x), lambda x, t: 0.0, np.zeros(3), 1.0, 0.0, 4, rng, save_at=(0.5,))
    np.testing.assert_allclose(result.x, -1.0)
    np.testing.assert_allclose(result.saved[0], -0.5)


def test_matrix_noise_gives_covariance_sigma_sigma_transpose():
    sigma = np.array(derivation.SIGMA_2D, dtype=float)
    x = euler_maruyama(lambda x, t: 0.0, lambda x, t: sigma, np.zeros((100_000, 2)), 0.0, 1.0, 1,
                       np.random.default_rng(2), matrix_noise=True).x
    np.testing.assert_allclose(np.cov(x.T), sigma @ sigma.T, atol=0.08)


@pytest.mark.parametrize("kwargs, message", [
    ({"t1": 0.0}, "t1 must differ"),
    ({"steps": 0}, "steps"),
    ({"save_at": (0.3,)}, "grid time"),
    ({"diffusion": lambda x, t: np.ones((5, 7))}, "broadcastable"),
])
def test_bad_inputs_raise_clear_errors(kwargs, message):
    arguments = {"drift": lambda x, t: 0.0, "diffusion": lambda x, t: 1.0, "x0": np.zeros(5), "t0": 0.0, "t1": 1.0,
                 "steps": 2, "rng": np.random.default_rng(0)}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        euler_maruyama(**arguments)


def test_non_finite_state_is_reported():
    with pytest.raises(FloatingPointError, match="non-finite"):
        euler_maruyama(lambda x, t: np.full_like(x, np.inf), lambda x, t: 0.0, np.zeros(2), 0.0, 1.0, 3,
                       np.random.default_rng(0))


def test_the_checks_take_the_fokker_planck_predictions_from_the_derivation():
    exports = derivation.fokker_planck().exports
    sigma = np.array(exports["sigma"], dtype=float)
    np.testing.assert_allclose(np.array(exports["covariance"].subs(derivation.t, 1), dtype=float), sigma @ sigma.T)
    assert not np.allclose(np.array(exports["covariance_printed"].subs(derivation.t, 1), dtype=float), sigma @ sigma.T)


def test_the_mixture_score_is_the_derivative_of_the_log_density():
    forward = checks._ForwardOU(checks.MIXTURE)
    points, h, time = np.linspace(-3, 3, 7)[:, None], 1e-5, 0.4
    weights, means, variances = forward.components(time)

    def log_density(y):
        return np.log(np.sum(weights * np.exp(-(y - means) ** 2 / (2 * variances)) / np.sqrt(2 * np.pi * variances), axis=1))

    numeric = (log_density(points + h) - log_density(points - h)) / (2 * h)
    np.testing.assert_allclose(forward.score(points, time)[:, 0], numeric, rtol=1e-6)


def test_coupled_runs_share_the_brownian_path():
    """With zero drift and unit diffusion both runs end at W_T: the same value on the same path."""
    pair = coupled_euler_maruyama(lambda x, t: 0.0, lambda x, t: 1.0, np.zeros(50), 0.0, 1.0, 8,
                                  np.random.default_rng(3), save_at=(0.25, 0.125))
    np.testing.assert_allclose(pair.fine.x, pair.coarse.x)
    np.testing.assert_allclose(pair.fine.saved[0], pair.coarse.saved[0])
    assert len(pair.fine.saved) == 2 and len(pair.coarse.saved) == 1  # 0.125 is not a coarse-grid time


def test_coupled_richardson_variance_matches_the_derived_combination_with_one_runs_error():
    """OU at a coarse step: the per-path Richardson estimate agrees with 2v_K − v_{K/2} from the scheme's exact
    moments, and the coupling keeps its SE near a single run's (independent runs would give √5 times it)."""
    n, steps = 100_000, 8
    pair = coupled_euler_maruyama(lambda x, t: -x, lambda x, t: 1.0, np.zeros(n), 0.0, 1.0, steps,
                                  np.random.default_rng(4))
    estimate, se = checks._richardson_variance(pair)
    exact = [linear_moments(lambda t: -1.0, lambda t: 0.0, lambda t: 1.0, 0.0, 0.0, 0.0, 1.0, k).variance
             for k in (steps, steps // 2)]
    assert abs(estimate - (2 * exact[0] - exact[1])) < 4 * se
    assert se < 1.6 * pair.fine.x.var() * math.sqrt(2 / n)


def test_coupled_run_needs_an_even_step_count():
    with pytest.raises(ValueError, match="even"):
        coupled_euler_maruyama(lambda x, t: 0.0, lambda x, t: 1.0, np.zeros(3), 0.0, 1.0, 5, np.random.default_rng(0))


def test_the_gaussian_reverse_moments_recover_the_data_only_with_g_equal_q():
    """The scheme's exact moments of the Gaussian reverse SDE (linear) converge to the data's N(μ₀, v₀) with g = q,
    and not with g² = q²/2 or the score's sign flipped (the controls' predictions)."""
    mean, variance = checks._continuous_reverse_moments()
    assert abs(mean - checks.GAUSSIAN["means"][0]) < 1e-3 and abs(variance - checks.GAUSSIAN["variances"][0]) < 1e-3
    assert abs(checks._continuous_reverse_moments(g_squared=checks.Q_SQUARED / 2)[1] - checks.GAUSSIAN["variances"][0]) > 0.05
    assert abs(checks._continuous_reverse_moments(score_factor=-1.0)[1] - checks.GAUSSIAN["variances"][0]) > 0.05
