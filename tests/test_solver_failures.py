"""Solvers that fail say so: the cases of the solver-failure issue, each failing on the old code.

- theory.toy.nce_normalizer_fixed_point (NCE with a learned log-normalizer, slide's unnormalized
  noise e^{-U_mu}) at (theta*, mu) = (1, -1): the old hand-written Newton raised LinAlgError at
  a = -10, b = 10 and returned converged=False, theta = 76.3 beside a 1e-13 error at a = -2, b = 2.
- theory.asymptotics.cnce_matrices for the two-mode model with local noise eps = 2: the old code
  raised ValueError (log f underflows at far Gauss-Hermite nodes).
- A non-converged result never carries an error estimate that looks like success.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from ebmcheck.theory import asymptotics, models
from ebmcheck.theory import noise as nz
from ebmcheck.theory import toy as toy_module
from ebmcheck.theory.fitting import ConvergenceError
from ebmcheck.theory.quadrature import gauss_legendre
from ebmcheck.theory.toy import Flow, ToyModel, find_fixed_point, nce_normalizer_fixed_point


@pytest.mark.parametrize("a", [10.0, 2.0])
def test_nce_with_normalizer_unnormalized_noise_finds_the_exact_fixed_point(a):
    # With the slide's noise e^{-U_mu} the family contains the optimum: theta = theta*,
    # c = log(Z_mu / Z_*) = log((1 + e^{-mu}) / (1 + e^{-theta*})), which is exactly 1 at (1, -1).
    theta_star, mu = 1.0, -1.0
    expected_c = math.log((1 + math.exp(-mu)) / (1 + math.exp(-theta_star)))
    point = nce_normalizer_fixed_point(theta_star, mu, -a, a, normalized_noise=False)
    assert point.converged
    assert np.isfinite(point.theta_error) and np.isfinite(point.c_error)
    assert point.theta_error < 1e-11 and point.c_error < 1e-11
    assert abs(point.theta - theta_star) <= point.theta_error
    assert abs(point.c - expected_c) <= point.c_error


def test_nce_with_normalizer_non_convergence_is_flagged_with_infinite_errors(monkeypatch):
    real_newton = toy_module.fitting.newton

    def one_step(*args, **kwargs):  # Newton stopped after one iteration: certainly not converged
        return real_newton(*args, **{**kwargs, "max_iterations": 1})

    monkeypatch.setattr(toy_module.fitting, "newton", one_step)
    point = nce_normalizer_fixed_point(1.0, -1.0, -10.0, 10.0, normalized_noise=False)
    assert not point.converged
    assert point.theta_error == math.inf and point.c_error == math.inf


def test_fixed_point_not_isolated_reports_an_infinite_error():
    # F = 0 on the whole interval [0.29, 0.31]: Brent stops on an exact zero, the slope there is 0,
    # so the flow's quadrature error does not bound the root's error (the old code divided by 0).
    def flow(theta):
        offset = np.asarray(theta, dtype=float) - 0.3
        return Flow(-np.sign(offset) * np.maximum(np.abs(offset) - 0.01, 0.0), np.full(offset.shape, 1e-15))

    point = find_fixed_point(flow, -1.0, 1.0)
    assert abs(point.theta - 0.3) <= 0.01
    assert point.slope == 0.0 and point.error == math.inf


def test_brent_non_convergence_raises_a_convergence_error():
    # F = -(theta - 0.3)^3 is below rounding on a band around the root, so Brent's method cannot
    # meet xtol = 1e-13 in its 100 iterations; the old code let scipy's bare RuntimeError through.
    def flow(theta):
        theta = np.asarray(theta, dtype=float)
        return Flow(-((theta - 0.3) ** 3), np.full(theta.shape, 1e-15))

    with pytest.raises(ConvergenceError, match=r"Brent's method did not converge on \[lo, hi\] = \[-1.0, 1.0\]"):
        find_fixed_point(flow, -1.0, 1.0)


def _independent_cnce_matrices(a, b, theta, eps, panels=80):
    """C1, C2, C3 by a tensor Gauss-Legendre rule in (x, z), y = x + eps z, with theory.toy's
    log-space closed forms (log f by logaddexp, d/dtheta log f = -sigma(l(x) - theta))."""
    toy = ToyModel(a, b)
    x, wx = gauss_legendre(a - 13.0, b + 13.0, panels, 16)
    z, wz = gauss_legendre(-13.0, 13.0, panels, 16)
    wx = wx * np.exp(toy.log_density(x, theta))
    wz = wz * np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    X = x[:, None]
    Y = X + eps * z[None, :]
    F = toy.log_f(X, theta) - toy.log_f(Y, theta)
    grad_F = toy.responsibility(Y, theta) - toy.responsibility(X, theta)
    s_plus, s_minus = special.expit(F), special.expit(-F)
    C1 = wx @ ((s_plus * s_minus * grad_F**2) @ wz)
    C2 = wx @ ((s_minus**2 * grad_F**2) @ wz)
    m = (grad_F * s_minus) @ wz
    return C1, C2, wx @ m**2


def test_cnce_matrices_two_mode_wide_local_noise_in_log_space():
    theta, eps = 1.0, 2.0
    mats = asymptotics.cnce_matrices(models.two_mode_mixture(), [theta], nz.LocalGaussian(eps))
    reference = _independent_cnce_matrices(-10.0, 10.0, theta, eps)
    for value, error, expected in zip((mats.C1, mats.C2, mats.C3), (mats.C1_error, mats.C2_error, mats.C3_error), reference):
        assert value.shape == (1, 1) and np.all(np.isfinite(value)) and np.all(np.isfinite(error))
        assert value[0, 0] > 0
        assert error[0, 0] <= 1e-2 * value[0, 0]  # an informative error estimate
        assert abs(value[0, 0] - expected) <= error[0, 0]  # and an honest one
    np.testing.assert_allclose(mats.C1, mats.C2, rtol=1e-6)  # C2 = C1 at theta* (derivations.cnce)
    sigma, sigma_error = asymptotics.cnce_covariance_with_error(models.two_mode_mixture(), [theta], nz.LocalGaussian(eps), 2)
    assert np.all(np.isfinite(sigma)) and np.all(np.isfinite(sigma_error)) and sigma[0, 0] > 0


def test_log_space_form_equals_the_closed_form_where_that_is_finite():
    model = models.two_mode_mixture(-2.5, 2.5)
    points = np.linspace(-8.0, 8.0, 41)[:, None]
    theta = np.array([0.7])
    log_f, grad = asymptotics._log_f_and_gradient(model, points, theta)
    np.testing.assert_allclose(log_f, model.log_f(points, theta), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(grad, model.grad_theta(points, theta), rtol=1e-12, atol=1e-15)
