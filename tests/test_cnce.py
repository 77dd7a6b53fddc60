"""Unit and property tests of the CNCE machinery: noises, per-sample derivatives, batched Newton, calculators."""

from __future__ import annotations

import numpy as np
import pytest
from ebmcheck.theory import asymptotics, cnce, models
from ebmcheck.theory import noise as nz
from hypothesis import given, settings
from hypothesis import strategies as st

PRECISION = models.gaussian_precision()
GAUSS1 = models.gaussian(1)


def _pairs(model, theta, noise, n=50, K=3, seed=0):
    rng = np.random.default_rng(seed)
    x = model.sample(theta, n, rng)[None]
    y = noise.bind(model, theta).sample(x, K, rng)
    return x, y


@settings(max_examples=15, deadline=None)
@given(st.floats(0.5, 3.0), st.floats(-1.0, 1.0), st.floats(0.2, 1.5))
def test_gradient_and_hessian_match_finite_differences(precision, mean, eps):
    """eqs. 25–34: the per-sample θ-gradient and Hessian are those of the per-sample loss."""
    theta = GAUSS1.pack([mean], [[precision]])
    noise = nz.Mixture(nz.LocalGaussian(eps), nz.KDE(0.5, [[-1.0], [0.3], [1.2]]), 0.6)
    x, y = _pairs(GAUSS1, theta, noise, n=20, K=2)
    grad = cnce.per_sample_gradient(GAUSS1, theta, x, y, noise)
    hess = cnce.per_sample_hessian(GAUSS1, theta, x, y, noise)
    h = 1e-6
    for k in range(2):
        step = np.eye(2)[k] * h
        up = cnce.per_sample_loss(GAUSS1, theta + step, x, y, noise)
        down = cnce.per_sample_loss(GAUSS1, theta - step, x, y, noise)
        np.testing.assert_allclose(grad[..., k], (up - down) / (2 * h), rtol=1e-5, atol=1e-6)
        g_up = cnce.per_sample_gradient(GAUSS1, theta + step, x, y, noise)
        g_down = cnce.per_sample_gradient(GAUSS1, theta - step, x, y, noise)
        np.testing.assert_allclose(hess[..., :, k], (g_up - g_down) / (2 * h), rtol=1e-5, atol=1e-6)
    _, mean_grad, mean_hess = cnce.loss_gradient_hessian(GAUSS1, theta, x, y, noise)
    np.testing.assert_allclose(mean_grad, grad.mean(axis=(-3, -2)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mean_hess, hess.mean(axis=(-4, -3)), rtol=1e-12, atol=1e-14)


_FAST_PATH_CASES = [
    (PRECISION, np.array([2.0]), nz.LocalGaussian(0.8)),
    (GAUSS1, GAUSS1.pack([0.3], [[1.5]]), nz.Autoregressive(0.5, 1.2)),
    (models.gaussian(2), models.gaussian(2).pack([0.2, -0.1], [[1.5, 0.3], [0.3, 0.8]]), nz.LocalGaussian(0.6)),
    (models.quartic(), np.array([0.5, -1.0, 0.5]), nz.Mixture(nz.LocalGaussian(0.5), nz.KDE(0.4, [[-1.0], [1.0]]), 0.5)),
    (models.two_mode_mixture(-2, 2), np.array([0.4]), nz.Autoregressive(0.3, 2.0)),
]


@pytest.mark.parametrize("model, theta, noise", _FAST_PATH_CASES, ids=lambda c: getattr(c, "name", ""))
def test_compiled_pair_path_matches_per_sample_reference(model, theta, noise):
    """loss / loss_and_gradient / loss_gradient_hessian (compiled F(x,y) differences, one-exp
    logistic terms, grouped logs) equal the means of the per-sample reference functions, also
    with a replicate axis, several θ, and more than one 512-pair group per row."""
    rng = np.random.default_rng(5)
    x = model.sample(theta, 3 * 400, rng).reshape(3, 400, model.dim)
    y = noise.sample(x, 3, rng)
    thetas = theta * np.array([[1.0], [1.1], [0.9]])  # a different θ per replicate
    reference = (
        cnce.per_sample_loss(model, thetas, x, y, noise).mean(axis=(-2, -1)),
        cnce.per_sample_gradient(model, thetas, x, y, noise).mean(axis=(-3, -2)),
        cnce.per_sample_hessian(model, thetas, x, y, noise).mean(axis=(-4, -3)),
    )
    value, gradient, hessian = cnce.loss_gradient_hessian(model, thetas, x, y, noise)
    for fast, slow in zip((value, gradient, hessian), reference):
        np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(hessian, np.swapaxes(hessian, -1, -2))
    value_only = cnce.loss(model, thetas, x, y, noise)
    value_g, gradient_g = cnce.loss_and_gradient(model, thetas, x, y, noise)
    # The line search compares these with each other: equal to rounding (the compiled functions
    # for each order share subexpressions differently).
    np.testing.assert_allclose(value_only, value, rtol=1e-14, atol=0)
    np.testing.assert_allclose(value_g, value, rtol=1e-14, atol=0)
    np.testing.assert_allclose(gradient_g, gradient, rtol=1e-12, atol=1e-15)


def test_blocks_and_replicate_subsets_give_the_same_fit(monkeypatch):
    """Evaluation in blocks of replicates (forced to 3 replicates per block here) equals one call,
    with an asymmetric noise's log-ratio array and with the scalar 0 of a symmetric noise."""
    rng = np.random.default_rng(11)
    theta = GAUSS1.pack([0.2], [[1.5]])
    x = GAUSS1.sample(theta, 10 * 50, rng).reshape(10, 50, 1)
    thetas = theta * rng.uniform(0.8, 1.2, size=(10, 2))
    for noise in (nz.Autoregressive(0.4, 1.0), nz.LocalGaussian(0.7)):
        y = noise.sample(x, 2, rng)
        term = 0.0 if noise.symmetric else cnce.noise_log_ratio(noise, x, y)
        whole = cnce.loss_gradient_hessian(GAUSS1, thetas, x, y, noise)
        monkeypatch.setattr(cnce, "_block_pairs", lambda xp: 3 * 50 * 2)
        blocked = cnce.in_blocks(cnce.loss_gradient_hessian, GAUSS1, thetas, x, y, term)
        for a, b in zip(whole, blocked):
            np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-15)
        fit_blocked = cnce.fit_cnce(GAUSS1, theta, x, y, noise)
        monkeypatch.undo()
        fit_whole = cnce.fit_cnce(GAUSS1, theta, x, y, noise)
        assert fit_blocked.converged.all() and fit_whole.converged.all()
        np.testing.assert_allclose(fit_blocked.params, fit_whole.params, rtol=1e-10)


def test_noise_term_with_its_own_batch_axes_broadcasts():
    """A precomputed noise term may carry batch axes that x, y and θ lack (as in the reference)."""
    rng = np.random.default_rng(2)
    noise = nz.Autoregressive(0.5, 1.0)
    x = GAUSS1.sample(GAUSS1.pack([0.0], [[1.0]]), 2 * 30, rng).reshape(2, 30, 1)
    y = noise.sample(x, 2, rng)
    term = np.stack([cnce.noise_log_ratio(noise, x[0], y[0]), cnce.noise_log_ratio(noise, x[0], y[0]) + 0.3])
    theta = GAUSS1.pack([0.1], [[1.2]])
    fast = cnce.loss_gradient_hessian(GAUSS1, theta, x[0], y[0], noise_term=term)
    assert fast[0].shape == (2,) and fast[2].shape == (2, 2, 2)
    np.testing.assert_allclose(fast[0], cnce.per_sample_loss(GAUSS1, theta, x[0], y[0], noise_term=term).mean(axis=(-2, -1)), rtol=1e-12)
    np.testing.assert_allclose(fast[1], cnce.per_sample_gradient(GAUSS1, theta, x[0], y[0], noise_term=term).mean(axis=(-3, -2)), rtol=1e-10, atol=1e-14)


def test_pair_derivatives_keep_only_entries_that_depend_on_x():
    """F⁰ = log f(x) − log f(y): parts of ∇²θ log f free of x cancel symbolically, before any arithmetic."""
    assert cnce.pair_derivatives(PRECISION, 2)[1] == ()  # log f linear in θ
    assert cnce.pair_derivatives(GAUSS1, 2)[1] == ((0, 1),)  # ∂μ∂Λ F⁰ = x − y; ∂²μ F⁰ = −Λ + Λ = 0
    function, _ = cnce.pair_derivatives(GAUSS1, 2)
    F, d_mu, d_lambda, d_mu_lambda = function(1.5, 0.5, 0.2, 2.0)  # x, y, μ, Λ
    np.testing.assert_allclose([F, d_mu, d_lambda, d_mu_lambda], [-2.0 * (1.3**2 - 0.3**2) / 2, 2.0, -(1.3**2 - 0.3**2) / 2, 1.0])
    with pytest.raises(ValueError, match="order=3"):
        cnce.pair_derivatives(GAUSS1, 3)


def test_logistic_terms_are_exact_for_extreme_F():
    """One exponential per pair and one log per 512 pairs: no overflow, and the values of
    −log σ(F), σ(−F), σ(F)σ(−F) agree with 50-digit arithmetic."""
    import mpmath

    mpmath.mp.dps = 50
    F = np.concatenate([[-800.0, -40.0, -1e-12, 0.0, 1e-12, 3.0, 40.0, 800.0], np.linspace(-30, 30, 1500)])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # e^{-800} underflows to 0, correctly
        total, sigma_minus, product = cnce._logistic_terms(F)

    def sigma(u):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(u)))

    exact_total = sum(-mpmath.log(sigma(f)) for f in F)
    assert abs(total - float(exact_total)) <= 1e-13 * float(exact_total)
    np.testing.assert_allclose(sigma_minus, [float(sigma(-f)) for f in F], rtol=1e-14, atol=0)
    np.testing.assert_allclose(product, [float(sigma(f) * sigma(-f)) for f in F], rtol=1e-14, atol=0)
    # Where every F is large the loss is a sum of tiny terms: the grouped logs keep it to an
    # absolute ~1e-16 per pair (documented), not to a relative accuracy.
    large = np.linspace(20.0, 40.0, 1000)
    total, _, _ = cnce._logistic_terms(large)
    exact = float(sum(-mpmath.log(sigma(f)) for f in large))
    assert abs(total - exact) <= 1e-16 * large.size


@settings(max_examples=15, deadline=None)
@given(st.floats(0.3, 4.0), st.floats(0.1, 2.0))
def test_lemma4_pointwise(theta_value, eps):
    """Lemma 4: −log σ(F(x, y)) = −log(1 − σ(F(y, x))) at every pair, for an asymmetric noise."""
    theta = np.array([theta_value])
    noise = nz.Mixture(nz.LocalGaussian(eps), nz.KDE(0.4, [[-0.5], [1.0]]), 0.3)
    x, y = _pairs(PRECISION, np.array([2.0]), noise, n=30, K=1)
    forward = cnce.log_ratio(PRECISION, theta, x, y, noise)
    backward = cnce.log_ratio(PRECISION, theta, y[:, :, 0, :], x[:, :, None, :], noise)
    np.testing.assert_allclose(forward, -backward, rtol=1e-12, atol=1e-12)
    lhs = cnce.softplus(-forward)
    rhs = -np.log1p(-cnce.sigmoid(backward))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-12)


def test_fit_converges_and_reports_failures():
    theta = np.array([2.0])
    rng = np.random.default_rng(1)
    x = PRECISION.sample(theta, 40 * 200, rng).reshape(40, 200, 1)
    noise = nz.LocalGaussian(0.7)
    y = noise.sample(x, 2, rng)
    fit = cnce.fit_cnce(PRECISION, theta, x, y, noise)
    assert fit.converged.all() and fit.num_failed == 0
    _, gradient = cnce.loss_and_gradient(PRECISION, fit.params, x, y, noise)  # at the returned estimates
    assert np.all(np.abs(gradient) < 1e-8)
    short = cnce.fit_cnce(PRECISION, np.array([0.5]), x, y, noise, max_iterations=1)
    assert short.num_failed > 0  # one Newton step from far away is not convergence; reported, not dropped
    assert short.params.shape == (40, 1) and np.all(short.iterations == 1)


def test_symmetry_gives_c2_equal_c1_and_sandwich_agrees():
    """At θ*, C2 = C1 (symmetry iii); the generic sandwich on the same grid gives the same Σ (K = 1)."""
    theta = GAUSS1.pack([0.5], [[2.0]])
    noise = nz.LocalGaussian(0.5)
    mats = asymptotics.cnce_matrices(GAUSS1, theta, noise)
    np.testing.assert_allclose(mats.C2, mats.C1, rtol=1e-9, atol=1e-12)
    x_nodes, x_weights = asymptotics._x_rule(GAUSS1, theta, 1)
    y, y_weights = noise.quadrature_rule(x_nodes, 1)
    x = x_nodes[:, None]
    grad = cnce.per_sample_gradient(GAUSS1, theta, x, y, noise).reshape(-1, 2)
    hess = cnce.per_sample_hessian(GAUSS1, theta, x, y, noise).reshape(-1, 2, 2)
    weights = (x_weights[:, None] * y_weights).reshape(-1)
    sandwich = asymptotics.sandwich_covariance(grad, hess, weights)
    np.testing.assert_allclose(sandwich, asymptotics.cnce_covariance(GAUSS1, theta, noise, 1), rtol=1e-6, atol=1e-10)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.5, 3.0), st.floats(0.2, 1.2), st.integers(1, 6))
def test_covariance_is_symmetric_positive_definite(precision, eps, K):
    theta = GAUSS1.pack([0.3], [[precision]])
    sigma = asymptotics.cnce_covariance(GAUSS1, theta, nz.LocalGaussian(eps), K)
    np.testing.assert_allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12)
    assert np.linalg.eigvalsh(sigma).min() > 0
    # never below the Cramér–Rao bound
    crlb = np.linalg.inv(asymptotics.fisher_information(GAUSS1, theta))
    assert np.linalg.eigvalsh(sigma - crlb).min() > -1e-8


@settings(max_examples=10, deadline=None)
@given(st.floats(0.5, 4.0), st.integers(1, 8))
def test_oracle_is_one_plus_one_over_k_crlb(theta_value, K):
    theta = np.array([theta_value])
    sigma = asymptotics.cnce_covariance(PRECISION, theta, nz.Oracle(), K)
    crlb = 1 / asymptotics.fisher_information(PRECISION, theta)
    np.testing.assert_allclose(sigma, (1 + 1 / K) * crlb, rtol=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.5, 3.0), st.floats(0.5, 2.0))
def test_efficiency_is_invariant_under_rescaling(scale, theta_value):
    """x → c x maps precision θ → θ/c² and ε → c ε: the efficiency tr Σ / tr I_F⁻¹ is unchanged."""
    base = asymptotics.efficiency(
        asymptotics.cnce_covariance(PRECISION, [theta_value], nz.LocalGaussian(0.5), 2),
        asymptotics.fisher_information(PRECISION, [theta_value]),
    )
    scaled_theta = [theta_value / scale**2]
    scaled = asymptotics.efficiency(
        asymptotics.cnce_covariance(PRECISION, scaled_theta, nz.LocalGaussian(0.5 * scale), 2),
        asymptotics.fisher_information(PRECISION, scaled_theta),
    )
    np.testing.assert_allclose(scaled, base, rtol=1e-7)


def test_fisher_information_gaussian_precision():
    np.testing.assert_allclose(asymptotics.fisher_information(PRECISION, [2.0]), [[1 / 8]], rtol=1e-12)


NOISES = (nz.LocalGaussian(0.3), nz.KDE(0.2, [[0.0], [1.0]]), nz.Oracle(PRECISION, [2.0]),
          nz.Mixture(nz.LocalGaussian(0.3), nz.Oracle(PRECISION, [2.0]), 0.5), nz.Autoregressive(0.5, 1.0),
          nz.Gaussian([0.3], [[0.8]]), nz.Logistic(0.5, 0.7), nz.MatchedGaussian(1.5).bind(PRECISION, [2.0]),
          nz.Mixture(nz.Gaussian([0.0], [[1.0]]), nz.KDE(0.2, [[0.0], [1.0]]), 0.3))


@pytest.mark.parametrize("noise", NOISES, ids=str)
def test_every_noise_follows_the_protocol(noise):
    """Shapes of sample and log_density, a normalized density, quadrature rules that integrate p_n(.|x),
    and the unconditional noises' log_density without x."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5, 1))
    assert isinstance(noise, nz.Noise) and nz.is_noise(noise)
    y = noise.sample(x, 3, rng)
    assert y.shape == (4, 5, 3, 1)
    assert noise.log_density(y, x[..., None, :]).shape == (4, 5, 3)
    if not noise.conditional:
        np.testing.assert_array_equal(noise.log_density(y), noise.log_density(y, x[..., None, :]))
    grid = np.linspace(-60, 60, 240001)[:, None]
    density = np.exp(noise.log_density(grid, np.array([[0.1]])))
    np.testing.assert_allclose(np.trapezoid(density, grid[:, 0]), 1.0, rtol=1e-6)
    for level in (0, 1):
        nodes, weights = noise.quadrature_rule(np.array([0.1, 0.7]), level)
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
        # E_{y|x}[y] by the rule against the same expectation on the grid
        mean = np.sum(weights * nodes[..., 0], axis=-1)
        for x_node, value in zip((0.1, 0.7), np.broadcast_to(mean, (2,))):
            on_grid = np.exp(noise.log_density(grid, np.array([[x_node]])))
            np.testing.assert_allclose(value, np.trapezoid(on_grid * grid[:, 0], grid[:, 0]), rtol=1e-5, atol=1e-6)


def test_matched_gaussian_is_unbound_until_bound_to_the_data():
    matched = nz.MatchedGaussian(2.0)
    assert str(matched) == "gaussian x2" and not matched.conditional
    with pytest.raises(ValueError, match="unbound"):
        matched.sample(np.zeros((2, 1)), 1, np.random.default_rng(0))
    bound = matched.bind(models.gaussian(1), models.gaussian(1).pack([0.5], [[4.0]]))
    np.testing.assert_allclose(bound.mean, [0.5])
    np.testing.assert_allclose(bound.covariance, [[4.0 * 0.25]])


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: nz.LocalGaussian(-1.0), "eps must be > 0, got -1"),
        (lambda: nz.KDE(0.0, [[0.0]]), "bandwidth must be > 0, got 0"),
        (lambda: nz.Mixture(nz.LocalGaussian(1.0), nz.Oracle(), 1.5), "weight=1.5"),
        (lambda: nz.LocalGaussian(1.0).sample(np.zeros((2, 1)), 0, np.random.default_rng(0)), "K must be an integer >= 1, got 0"),
        (lambda: nz.Oracle().sample(np.zeros((2, 1)), 1, np.random.default_rng(0)), "unbound"),
        (lambda: asymptotics.cnce_covariance(PRECISION, [2.0], nz.LocalGaussian(1.0), K=0), "K must be an integer >= 1, got 0"),
        (lambda: asymptotics.cnce_covariance(PRECISION, [-2.0], nz.LocalGaussian(1.0)), "theta must be > 0"),
        (lambda: asymptotics.cnce_covariance(models.gaussian(2), models.gaussian(2).pack([0, 0], np.eye(2)),
                                             nz.LocalGaussian(1.0)), "d=2"),
        (lambda: asymptotics.cnce_covariance(PRECISION, [2.0], "local"), "not a theory.noise"),
        (lambda: cnce.fit_cnce(PRECISION, [2.0], np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), nz.LocalGaussian(1.0)), "y must have shape"),
        (lambda: asymptotics.sandwich_covariance(np.zeros((3, 2)), np.zeros((3, 2))), "unit_hessians"),
    ],
)
def test_public_functions_validate_inputs(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


# ---- derivations (derivations/cnce.py): depth and closed forms ----------------------------------------------------
def _derivations():
    from ebmcheck.derivations import cnce as derivation

    return {"cnce-loss-symmetry": derivation.lemma4_symmetry, "fisher-information-unnormalized": derivation.lemma3_fisher,
            "cnce-asymptotic-covariance": derivation.theorem1, "cnce-asymptotic-covariance-any-k": derivation.cnce_any_k,
            "cnce-oracle-2crlb": derivation.corollary2}


@pytest.mark.parametrize("claim_id", list(_derivations()))
def test_derivation_has_no_vacuous_step_and_every_step_says_what_it_rests_on(claim_id):
    """Every step shows two different sides and names what it rests on (not only the steps on the chain)."""
    derivation = _derivations()[claim_id]()
    depth = derivation.depth()
    assert depth.vacuous == ()
    assert depth.annotated and depth.from_definition
    assert all(step.rests_on and step.label for step in derivation.steps)


@pytest.mark.parametrize("claim_id, derived", [
    ("cnce-loss-symmetry", {"merge"}),  # eq. 12 by the swap identity
    ("fisher-information-unnormalized", {"dlogZ", "eq14"}),  # eqs. 14–20 for any f
    ("cnce-asymptotic-covariance", {"sym-i", "sym-ii", "EH", "VarJ-count", "VarJ", "sandwich"}),
    ("cnce-asymptotic-covariance-any-k", {"sym-i", "EH", "VarJ_K", "sigma_K"}),
])
def test_general_model_results_derive_with_the_expectation_algebra(claim_id, derived):
    """The four results proved for a general model (any f, p_d, p_n) derive from the definitions with no placeholder:
    the swap identities, E[H] = 2C1, Var J = 4C2/N_d (any K: the C3 term) and eqs. 12, 14 are identities of the
    expectation algebra, C1, C2, C3 are expectations; what is assumed is named (the sandwich's LLN, CLT and Slutsky among them)."""
    derivation = _derivations()[claim_id]()
    depth = derivation.depth()
    assert depth.derives and depth.placeholders == ()
    on_chain = {derivation.steps[i - 1].label for i in depth.chain}
    assert derived <= on_chain
    if claim_id.startswith("cnce-asymptotic"):  # the sandwich is derived (derivations.mestimation) and on the chain
        assert {"clt", "lln", "slutsky"} <= set(depth.assumptions) and "m-sandwich" in on_chain


def test_the_errata_and_illustrations_keep_their_placeholders_off_the_chain():
    """Eq. 63, eqs. 4/22 (Theorem 1) and eqs. 47–54 (any K) stay errata on symbolic stand-ins, not on the result's chain."""
    for claim_id, errata in (("cnce-asymptotic-covariance", {"eq63", "eq4"}),
                             ("cnce-asymptotic-covariance-any-k", {"eq47-49", "eq51-54"})):
        derivation = _derivations()[claim_id]()
        steps = {step.label: step for step in derivation.steps}
        on_chain = {derivation.steps[i - 1].label for i in derivation.depth().chain}
        assert all(steps[label].erratum and steps[label].placeholders for label in errata) and not errata & on_chain


def test_the_algebra_steps_refuse_their_wrong_variants():
    """The swap identities are not accepted when the symmetry they use is broken: σ(F*) instead of σ(−F*) in (i),
    the class-0 term without eq. 21 (−log σ(F) on both classes), C3 for C2."""
    import sympy as sp
    from ebmcheck.derivations import cnce as d
    from ebmcheck.derivations.steps import Step

    grad_F = d._grad_F(d.X1, d.Y1)
    F0 = d.Named(d._F(d.X0, d.Y0), "F(#0,#1)", (d.X0, d.Y0))
    wrong = (
        (d.E1(grad_F[0] * d._posterior(d.X1, d.Y1, 1)), 0),
        (d.PairExpectation(-sp.log(d.Sigmoid(F0)), (d.X0, d.Y0), "p_0"), d.E1(-sp.log(d.Sigmoid(d._F(d.X1, d.Y1))))),
        (d._C(3)[0, 0].definition, d._C(2)[0, 0].definition),
    )
    for lhs, rhs in wrong:
        assert not Step(lhs, rhs, "wrong").check().ok


def test_oracle_2crlb_derives_from_the_gaussian_definition_with_no_placeholder():
    """Corollary 2's result chain (Gaussian precision model, oracle noise) reaches the model's definition through
    SymPy integrals with no placeholder and no vacuous step; the general-model algebra stays on the page, with its
    placeholders, off that chain."""
    derivation = _derivations()["cnce-oracle-2crlb"]()
    depth = derivation.depth()
    assert depth.derives and depth.placeholders == ()
    assert {"clt", "lln", "slutsky"} <= set(depth.assumptions)  # the sandwich derived, its assumptions named
    labels = [step.label for step in derivation.steps]
    on_chain = {derivation.steps[i - 1].label for i in depth.chain}
    assert {"G-I_F", "G-C1", "G-C2", "G-H", "G-V", "G-2CRLB"} <= on_chain
    general = derivation.steps[labels.index("eq75")]
    assert general.placeholders and "eq75" not in on_chain


@settings(max_examples=5, deadline=None)
@given(st.floats(0.5, 4.0), st.integers(1, 6))
def test_gaussian_closed_forms_match_quadrature(theta_value, K):
    """The derived closed forms I_F = 1/(2θ*²) and N_dΣ_K = (1 + 1/K) I_F⁻¹ equal the quadrature calculators'."""
    import sympy as sp
    from ebmcheck.derivations import cnce as derivation

    steps = {step.label: step for step in derivation.gaussian_oracle_steps()}
    values = {sp.Symbol("theta_star", positive=True): theta_value, sp.Symbol("K", positive=True, integer=True): K}
    theta = np.array([theta_value])
    fisher = float(steps["G-I_F"].rhs.subs(values))
    np.testing.assert_allclose(asymptotics.fisher_information(PRECISION, theta), [[fisher]], rtol=1e-9)
    sigma_K = float(steps["G-any-K"].rhs.subs(values).doit())
    np.testing.assert_allclose(asymptotics.cnce_covariance(PRECISION, theta, nz.Oracle(), K), [[sigma_K]], rtol=1e-9)
    np.testing.assert_allclose(float(steps["G-2CRLB"].rhs.subs(values).doit()), 2 / fisher, rtol=1e-12)


def test_local_noise_expansion_derives_from_the_gaussian_definition():
    """The ε → 0 expansion for local Gaussian noise (Gaussian precision model, K = 1): every step checks, none is
    vacuous, the chain reaches the model's definition with no placeholder, and the term-by-term integration is a
    named assumption on the chain."""
    from ebmcheck.derivations import cnce as derivation

    expansion = derivation.local_noise_expansion()
    assert all(result.ok for result in expansion.check())
    depth = expansion.depth()
    assert depth.derives and depth.placeholders == () and depth.vacuous == ()
    assert "series-integral-exchange" in depth.assumptions
    on_chain = {expansion.steps[i - 1].label for i in depth.chain}
    assert {"L-F", "L-jump", "L-C1", "L-C2", "L-m", "L-sigma", "L-leading", "m-sandwich"} <= on_chain


def test_local_noise_expansion_matches_quadrature_to_the_derived_order():
    """N_dΣ = 4θ*/ε² + 6θ*² + O(ε²): against the quadrature calculator at θ* = 2, the leading term's relative error
    is O(ε²) (it shrinks about 4× when ε halves) and the two-term form's O(ε⁴) (about 16×)."""
    from ebmcheck.derivations import cnce as derivation

    exports = derivation.local_noise_expansion().exports
    at = {exports["theta_star"]: 2.0}
    errors = {}
    for eps in (0.1, 0.05):
        exact = asymptotics.cnce_covariance(PRECISION, np.array([2.0]), nz.LocalGaussian(eps), 1)[0, 0]
        errors[eps] = [abs(float(exports[name].subs(at).subs(exports["eps"], eps)) / exact - 1)
                       for name in ("leading", "two_terms")]
    assert errors[0.1][0] < 0.05 and errors[0.1][1] < 1e-3
    assert 3.0 < errors[0.1][0] / errors[0.05][0] < 5.0  # ratio 4: the next term is O(ε²) relative
    assert 10.0 < errors[0.1][1] / errors[0.05][1] < 20.0  # ratio 16: then O(ε⁴)
