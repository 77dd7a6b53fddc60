"""Unit tests of the integrators the interpolant checks use (theory.sde), the arcsine times (theory.interpolants) and of what the checks take from the derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from ebmcheck.checks import interpolants as checks
from ebmcheck.derivations import interpolants as derivation
from ebmcheck.theory import sde as integrators
from ebmcheck.theory.interpolants import arcsine_times
from scipy import integrate


# ---- integrators -------------------------------------------------------------------------------------
def test_rk4_has_global_order_four_on_a_linear_ode():
    """ẋ = cos(t)·x from x₀ = 1: x(1) = e^{sin 1}; halving h divides the error by ~16."""
    velocity = lambda x, t: np.cos(t) * x
    errors = [abs(integrators.rk4_flow(velocity, np.ones(2), 0.0, 1.0, n)[0] - math.exp(math.sin(1.0))) for n in (4, 8, 16)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(3.6 < order < 4.4 for order in orders), orders


OU = (lambda t: 0.3, lambda t: -1.0)  # dX = (0.3 − X)dt + √2 dW: mean 0.3(1 − e^{−t}), variance 1 − e^{−2t} from X₀ = 0


def _ou_bias(steps: int, scheme: str) -> float:
    _, var = integrators.affine_scheme_moments(*OU, math.sqrt(2.0), 0.0, 0.0, 0.0, 1.0, steps, scheme)
    return var - (1 - math.exp(-2.0))


@pytest.mark.parametrize("scheme, order", [("euler-maruyama", 1.0), ("heun", 2.0)])
def test_the_exact_scheme_law_has_the_scheme_s_weak_order_on_ou(scheme, order):
    ratio = math.log2(_ou_bias(40, scheme) / _ou_bias(80, scheme))
    assert abs(ratio - order) < 0.1


def test_the_exact_ou_mean_is_reached_as_the_step_shrinks():
    mean, _ = integrators.affine_scheme_moments(*OU, math.sqrt(2.0), 0.0, 0.0, 0.0, 1.0, 2000)
    assert mean == pytest.approx(0.3 * (1 - math.exp(-1.0)), abs=1e-6)


def _euler_maruyama(drift, noise, x0, t0, t1, steps, rng):
    """theory.sde.euler_maruyama with a constant (additive) noise, in stochastic_heun's signature."""
    return integrators.euler_maruyama(drift, lambda x, t: noise, x0, t0, t1, steps, rng).x


@pytest.mark.parametrize("simulate, scheme", [(_euler_maruyama, "euler-maruyama"),
                                              (integrators.stochastic_heun, "heun")])
def test_simulated_paths_have_the_scheme_s_exact_law(simulate, scheme):
    """Coarse steps (h = 1/4), so the scheme's law differs from the OU law; the simulation follows the scheme's."""
    rng = np.random.default_rng(7)
    x = simulate(lambda y, t: 0.3 - y, math.sqrt(2.0), np.zeros(200_000), 0.0, 1.0, 4, rng)
    mean, var = integrators.affine_scheme_moments(*OU, math.sqrt(2.0), 0.0, 0.0, 0.0, 1.0, 4, scheme)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / x.size)
    assert abs(x.var() - var) < 5 * var * math.sqrt(2 / x.size)


def test_arcsine_times_integrate_over_the_unit_interval():
    t, weight = arcsine_times(400_000, np.random.default_rng(3))
    assert np.all((t > 0) & (t < 1))
    assert np.mean(weight) == pytest.approx(1.0, abs=0.01)
    assert np.mean(weight * t**2) == pytest.approx(1 / 3, abs=0.01)


@pytest.mark.parametrize("call, message", [
    (lambda: integrators.rk4_flow(lambda x, t: x, [0.0], 1.0, 0.5, 4), "t1 must be greater than t0"),
    (lambda: integrators.rk4_flow(lambda x, t: x, [0.0], 0.0, 1.0, 0), "steps"),
    (lambda: integrators.stochastic_heun(lambda x, t: x, -1.0, [0.0], 0.0, 1.0, 4, np.random.default_rng()), "noise"),
    (lambda: integrators.affine_scheme_moments(*OU, 1.0, 0.0, 1.0, 0.0, 1.0, 4, "rk4"), "scheme"),
    (lambda: integrators.affine_scheme_moments(*OU, 1.0, 0.0, -1.0, 0.0, 1.0, 4), "var0"),
    (lambda: arcsine_times(0, np.random.default_rng()), "num"),
])
def test_bad_input_is_a_value_error_naming_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_a_velocity_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="velocity"):
        integrators.rk4_flow(3.0, [0.0], 0.0, 1.0, 2)


# ---- what the checks take from the derivations ---------------------------------------------------------
def _closed_form(name: str, x, t, m, s):
    expr = derivation.transport_equation().exports[name]
    return sp.lambdify([derivation.x, derivation.t, derivation.m, derivation.s], expr)(x, t, m, s)


def test_the_checks_single_component_closed_forms_are_the_derivation_s_exports():
    data = checks._data(derivation.transport_equation().exports, "gaussian")
    x = np.linspace(-3, 3, 7)
    (m,), (s,) = checks.GAUSSIAN_DATA[1], checks.GAUSSIAN_DATA[2]
    for name in ("velocity", "velocity_without_gamma_dot", "score"):
        np.testing.assert_allclose(data.weighted(name, x, 0.3), _closed_form(name, x, 0.3, m, s), rtol=1e-13)


def test_the_mixture_s_velocity_is_the_posterior_weighted_flux():
    """b = Σ w_k ρ_k b_k / ρ, and the mixture density integrates to 1 at every t."""
    data = checks._data(derivation.transport_equation().exports, "mixture")
    x, t = np.linspace(-4, 4, 9), 0.6
    flux = sum(w * _closed_form("density", x, t, m, s) * _closed_form("velocity", x, t, m, s)
               for w, m, s in zip(*checks.MIXTURE_DATA))
    np.testing.assert_allclose(data.weighted("velocity", x, t), flux / data.density(x, t), rtol=1e-12)
    for time in (0.0, 0.5, 1.0):
        assert integrate.quad(lambda y, at=time: data.density(np.array([y]), at)[0], -30, 30)[0] == pytest.approx(1.0, abs=1e-9)


def test_the_excess_loss_export_is_half_the_mean_squared_velocity_gap():
    """½E|b₀ − b|² by quadrature under ρ(·, t) against the exported ½(1 − 2t)²/Var X_t."""
    exports = derivation.loss_minimisers().exports
    data = checks._data(exports, "gaussian")
    (m,), (s,) = checks.GAUSSIAN_DATA[1], checks.GAUSSIAN_DATA[2]
    excess = sp.lambdify([derivation.t, derivation.m, derivation.s], exports["excess_without_gamma_dot"])
    for t in (0.1, 0.4, 0.9):
        def gap(y, at=t):
            point = np.array([y])
            difference = data.weighted("velocity_without_gamma_dot", point, at) - data.weighted("velocity", point, at)
            return 0.5 * difference[0] ** 2 * data.density(point, at)[0]

        assert integrate.quad(gap, -30, 30)[0] == pytest.approx(excess(t, m, s), rel=1e-9)


def test_the_ode_flow_map_export_is_the_rk4_flow_of_the_velocity_export():
    exports = derivation.ode_generative().exports
    data = checks._data(exports, "gaussian")
    (m,), (s,) = checks.GAUSSIAN_DATA[1], checks.GAUSSIAN_DATA[2]
    x0 = np.array([-1.0, 0.0, 2.0])
    flow = sp.lambdify([derivation.x0, derivation.m, derivation.s], exports["flow_at_one"])(x0, m, s)
    np.testing.assert_allclose(checks._flow(data, "velocity", x0, 40), flow, atol=1e-8)


def test_every_statement_of_the_section_is_a_claim_or_not_encoded_with_a_reason():
    assert all(len(entry.reason) > 40 for entry in checks.NOT_ENCODED)
    assert {claim.topic for claim in checks.CLAIMS} == {checks.TOPIC}
    assert all(claim.id.startswith("interpolants-") for claim in checks.CLAIMS)


def test_coupled_runs_share_their_brownian_path():
    """Coarse normals are standard and the coarse Brownian increments sum the fine ones: with zero drift the
    coupled endpoints coincide exactly."""
    fine = np.random.default_rng(5).standard_normal((8, 50_000))
    coarse = integrators.coarse_normals(fine)
    assert coarse.shape == (4, 50_000) and abs(coarse.std() - 1.0) < 0.01
    zero = lambda x, t: 0.0 * x
    rng = np.random.default_rng(0)
    end_fine = integrators.stochastic_heun(zero, 1.3, np.zeros(50_000), 0.0, 1.0, 8, rng, fine)
    end_coarse = integrators.stochastic_heun(zero, 1.3, np.zeros(50_000), 0.0, 1.0, 4, rng, coarse)
    np.testing.assert_allclose(end_fine, end_coarse, atol=1e-12)
    with pytest.raises(ValueError, match="even number"):
        integrators.coarse_normals(fine[:3])
    with pytest.raises(ValueError, match="normals"):
        integrators.stochastic_heun(zero, 1.0, np.zeros(3), 0.0, 1.0, 4, rng, np.zeros((3, 3)))
