"""Unit and property tests of theory.samplers and derivations.ula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebmcheck.checks.anatomy import Check, Claim, ZTest, judge
from ebmcheck.derivations import ula as derivation
from ebmcheck.theory import models, samplers


@st.composite
def spd_matrices(draw, max_dim: int = 4):
    dim = draw(st.integers(min_value=1, max_value=max_dim))
    floats = st.floats(min_value=-2, max_value=2, allow_nan=False)
    factor = np.array(draw(st.lists(floats, min_size=dim * dim, max_size=dim * dim))).reshape(dim, dim)
    return factor @ factor.T + draw(st.floats(min_value=0.05, max_value=2.0)) * np.eye(dim)


@given(spd_matrices(), st.floats(min_value=1e-3, max_value=0.999))
def test_stationary_covariance_solves_the_lyapunov_equation(sigma, fraction):
    """C = A C Aᵀ + 2h I with A = I − hΣ⁻¹, to rounding, for every h in (0, 2λ_min)."""
    h = fraction * 2 * np.linalg.eigvalsh(sigma)[0]
    covariance = samplers.ula_stationary_covariance(sigma, h)
    transition = np.eye(len(sigma)) - h * np.linalg.inv(sigma)
    residual = transition @ covariance @ transition.T + 2 * h * np.eye(len(sigma)) - covariance
    scale = np.linalg.norm(covariance) * (1 + np.linalg.norm(transition) ** 2) + 2 * h
    condition = np.linalg.cond(sigma)
    assert np.linalg.norm(residual) <= 200 * len(sigma) * condition * np.finfo(float).eps * scale
    np.testing.assert_allclose(covariance, covariance.T, rtol=0, atol=1e-12 * np.abs(covariance).max())
    assert np.linalg.eigvalsh(covariance)[0] > 0


@given(spd_matrices(), st.floats(min_value=1.0, max_value=10.0))
def test_step_sizes_outside_the_stable_set_are_refused(sigma, factor):
    edge = 2 * np.linalg.eigvalsh(sigma)[0]
    with pytest.raises(ValueError, match=r"outside \(0, 2·λ_min\(Σ\)\)"):
        samplers.ula_stationary_covariance(sigma, factor * edge)
    with pytest.raises(ValueError, match="outside"):
        samplers.ula_stationary_covariance(sigma, -factor)


@pytest.mark.parametrize(
    "sigma, message",
    [([[1.0, 2.0], [2.0, 1.0]], "positive definite"), ([[1.0, 0.5], [0.0, 1.0]], "symmetric"), ([1.0, 2.0], "square")],
)
def test_non_spd_sigma_is_refused(sigma, message):
    with pytest.raises(ValueError, match=message):
        samplers.ula_stationary_covariance(np.array(sigma), 0.1)


def test_matches_eq90_as_written():
    sigma = np.array([[1.0, 0.6], [0.6, 2.0]])
    for h in (0.1, 0.9, 1.4):  # 1.4 > λ_min ≈ 0.72: beyond the review's condition, inside the exact one
        expected = sigma @ np.linalg.inv(np.eye(2) - h / 2 * np.linalg.inv(sigma))
        np.testing.assert_allclose(samplers.ula_stationary_covariance(sigma, h), expected, rtol=1e-12)


@given(spd_matrices(max_dim=3), st.floats(min_value=0.01, max_value=3.0), st.integers(min_value=0, max_value=30))
def test_law_at_step_is_the_one_step_recursion(sigma, fraction, k):
    """(m_{k+1}, C_{k+1}) = (μ + A(m_k − μ), A C_k Aᵀ + 2h I) for any h > 0, stable or not."""
    d = len(sigma)
    h = fraction * np.linalg.eigvalsh(sigma)[0]
    mu, mean0 = np.linspace(-1, 1, d), np.linspace(2, 0, d)
    cov0 = 0.3 * np.eye(d) + 0.1 * np.ones((d, d))
    transition = np.eye(d) - h * np.linalg.inv(sigma)
    mean_k, cov_k = samplers.ula_law_at_step(sigma, h, k, mean0, cov0, mu)
    mean_next, cov_next = samplers.ula_law_at_step(sigma, h, k + 1, mean0, cov0, mu)
    np.testing.assert_allclose(mean_next, mu + transition @ (mean_k - mu), rtol=1e-8, atol=1e-8 * (1 + np.abs(mean_k).max()))
    expected = transition @ cov_k @ transition.T + 2 * h * np.eye(d)
    np.testing.assert_allclose(cov_next, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


def test_law_at_step_limits():
    sigma = np.array([[1.0, 0.6], [0.6, 2.0]])
    mean, cov = samplers.ula_law_at_step(sigma, 0.5, 0, [1.0, 2.0], np.eye(2))
    np.testing.assert_allclose(mean, [1.0, 2.0])
    np.testing.assert_allclose(cov, np.eye(2), atol=1e-15)
    _, cov = samplers.ula_law_at_step(sigma, 0.5, 5000, [1.0, 2.0], np.eye(2))
    np.testing.assert_allclose(cov, samplers.ula_stationary_covariance(sigma, 0.5), rtol=1e-12)
    # the marginal step h = 2λ_min: variance grows as c_0 + 2hk along q_min
    lam, q = np.linalg.eigh(sigma)
    _, cov = samplers.ula_law_at_step(sigma, 2 * lam[0], 10, [0.0, 0.0], np.zeros((2, 2)))
    assert q[:, 0] @ cov @ q[:, 0] == pytest.approx(2 * 2 * lam[0] * 10, rel=1e-9)
    with pytest.raises(ValueError, match="k=-1"):
        samplers.ula_law_at_step(sigma, 0.5, -1, [0.0, 0.0], np.eye(2))


class _ZeroNoise:
    def standard_normal(self, shape):
        return np.zeros(shape)

    def random(self, shape):
        return np.zeros(shape)


def test_ula_move_uses_the_model_score():
    model = models.gaussian(2)
    theta = model.pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])
    x = np.array([[0.0, 0.0], [1.0, 2.0]])
    state = samplers.langevin_init(x, model, theta)
    new, info = samplers.ula_kernel(_ZeroNoise(), state, model, theta, 0.1)
    np.testing.assert_allclose(new.position, x + 0.1 * model.score(x, theta))
    assert not info.diverged.any()
    # MALA with u = 0 accepts every finite proposal; the move is the same
    new_mala, info_mala = samplers.mala_kernel(_ZeroNoise(), state, model, theta, 0.1)
    np.testing.assert_allclose(new_mala.position, new.position)
    assert info_mala.is_accepted.all() and np.all((info_mala.acceptance_probability > 0) & (info_mala.acceptance_probability <= 1))


def test_mala_keeps_the_target_where_ula_is_biased():
    """1-D, h = 0.9·(2σ²): MALA's variance stays σ² (ULA's would be 10σ²)."""
    model = models.gaussian(1)
    theta = model.pack([0.0], [[1.0]])
    rng = np.random.default_rng(1)
    state = samplers.langevin_init(rng.standard_normal((20_000, 1)), model, theta)
    for _ in range(20):
        state, info = samplers.mala_kernel(rng, state, model, theta, 1.8)
    variance = float(np.mean(state.position**2))
    assert abs(variance - 1.0) < 5 * math.sqrt(2 / 20_000)  # 5 SE, seeded


def test_divergence_beyond_the_edge_is_detected_and_never_scored():
    model = models.gaussian(1)
    theta = model.pack([0.0], [[1.0]])  # σ² = 1, edge h = 2
    rng = np.random.default_rng(0)
    state = samplers.langevin_init(rng.standard_normal((200, 1)), model, theta)
    diverged_at = None
    for step in range(2000):  # |a| = 2: overflow after about 1024 steps, without warnings
        state, info = samplers.ula_kernel(rng, state, model, theta, 3.0)
        if info.diverged.all():
            diverged_at = step + 1
            break
    assert diverged_at is not None and 900 < diverged_at < 1100
    check = Check("beyond edge", "Var", ZTest(1.0, math.nan, math.nan), ZTest(2.0, math.nan, math.nan), "control")
    assert check.diverged and not check.passed and not check.control_rejected
    claim = Claim("x", "x", "ula", (), "verified", derivation.bias_order, lambda c: [])
    assert judge(claim, [], [check]).verdict == "inconclusive"


def test_kernel_inputs_are_validated():
    model = models.gaussian(1)
    theta = model.pack([0.0], [[1.0]])
    state = samplers.langevin_init(np.zeros((3, 1)), model, theta)
    with pytest.raises(ValueError, match="step_size"):
        samplers.ula_kernel(np.random.default_rng(0), state, model, theta, -0.1)
    with pytest.raises(ValueError, match="shape"):
        samplers.langevin_init(np.zeros((3, 2)), model, theta)


@pytest.mark.parametrize(
    "build", [derivation.stationary_covariance, derivation.step_size_region, derivation.noise_scale, derivation.mala, derivation.bias_order]
)
def test_derivation_steps_are_proved(build):
    results = build().check()
    assert all(r.status == "symbolic" for r in results), [(r.step.justification, r.detail) for r in results if r.status != "symbolic"]


def test_stable_edge_is_twice_lambda_min():
    assert derivation.step_size_region().exports["edge_factor"] == 2
    assert samplers.stable_step_size_bound(np.array([[1.0, 0.6], [0.6, 2.0]])) == pytest.approx(2 * np.linalg.eigvalsh([[1.0, 0.6], [0.6, 2.0]])[0])


def test_ula_kernel_is_the_one_move_driven_by_fresh_noise():
    """ula_kernel = langevin_step with increment √(2τh)ξ, ξ the generator's next standard normals (the stream is unchanged)."""
    model = models.gaussian(2)
    theta = model.pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])
    state = samplers.langevin_init(np.random.default_rng(3).standard_normal((100, 2)), model, theta)
    for temperature in (1.0, 0.5):
        new, _ = samplers.ula_kernel(np.random.default_rng(4), state, model, theta, 0.2, temperature=temperature)
        noise = np.random.default_rng(4).standard_normal((100, 2))
        expected, _ = samplers.langevin_step(state, model, theta, 0.2, math.sqrt(2 * temperature * 0.2) * noise)
        for field in ("position", "log_density", "score"):
            np.testing.assert_array_equal(getattr(new, field), getattr(expected, field))
        np.testing.assert_array_equal(samplers.langevin_move(state, noise, 0.2, temperature), new.position)


def test_langevin_step_inputs_are_validated():
    model = models.gaussian(1)
    theta = model.pack([0.0], [[1.0]])
    state = samplers.langevin_init(np.zeros((3, 1)), model, theta)
    with pytest.raises(ValueError, match="increment"):
        samplers.langevin_step(state, model, theta, 0.1, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="increment"):
        samplers.langevin_step(state, model, theta, 0.1, np.full((3, 1), np.nan))
    with pytest.raises(ValueError, match="step_size"):
        samplers.langevin_step(state, model, theta, 0.0, np.zeros((3, 1)))


_DERIVATIONS = [derivation.stationary_covariance, derivation.step_size_region, derivation.noise_scale, derivation.mala, derivation.bias_order]


@pytest.mark.parametrize("build", _DERIVATIONS)
def test_derivation_has_no_vacuous_step_and_is_annotated(build):
    """Every step shows two different sides and the chain to the result says what each step rests on."""
    built = build()
    assert not [index for index, step in enumerate(built.steps, start=1) if step.vacuous]
    depth = built.depth()
    assert depth.annotated and depth.from_definition
    assert all(step.label and step.rests_on for step in built.steps)


def test_stationary_covariance_derives_eq90_from_the_update_rule():
    """ula-stationary-covariance (headline): eq. 90 rests on the update rule through derived steps only —
    linear update, one-step covariance (sympy.stats), eigenbasis, stationary solve — with no placeholder."""
    built = derivation.stationary_covariance()
    depth = built.depth()
    assert depth.derives
    labels = [built.steps[index - 1].label for index in depth.chain]
    assert {"update-linear", "one-step-covariance", "eigenbasis", "decoupled", "stationary-eigenbasis", "eq90"} <= set(labels)
    assert {"noise-independent", "eigenbasis-reduction", "step-size-stable"} <= set(depth.assumptions)


def test_one_step_covariance_is_not_assumed():
    """The recursion Cov(AX + √(2h)ξ) = ACAᵀ + 2hI is a sympy.stats computation (the left side holds
    covariances of single coordinates), proved symbolically, not typed in."""
    from sympy import stats

    step = next(s for s in derivation.stationary_covariance().steps if s.label == "one-step-covariance")
    assert step.lhs.has(stats.Covariance) or step.lhs.has(stats.Variance)
    assert step.check().status == "symbolic"


def test_one_step_covariance_matches_monte_carlo():
    """The same identity on a concrete case, against simulation (5 SE on each entry, seeded)."""
    rng = np.random.default_rng(7)
    transition, factor, h_value, n = np.array([[0.8, -0.3], [0.2, 0.5]]), np.array([[1.0, 0.0], [0.6, 0.7]]), 0.3, 200_000
    y = (transition @ factor @ rng.standard_normal((2, n))) + math.sqrt(2 * h_value) * rng.standard_normal((2, n))
    expected = transition @ factor @ factor.T @ transition.T + 2 * h_value * np.eye(2)
    covariance = np.cov(y)
    scale = np.sqrt((expected**2 + np.outer(np.diag(expected), np.diag(expected))) / n)
    assert np.all(np.abs(covariance - expected) < 5 * scale)
