"""Unit tests of theory.sampling_chains and of derivations.sampling's exports as checks.sampling uses them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ebmcheck.checks import sampling as checks
from ebmcheck.derivations import sampling as derivation
from ebmcheck.theory import models, samplers
from ebmcheck.theory import sampling_chains as chains
from ebmcheck.theory.symbolic import compile_expression

TARGET = np.array([0.1, 0.2, 0.3, 0.4])
SYMMETRIC = np.full((4, 4), 0.25)


def _acceptance():
    return checks._acceptance()


def test_the_exported_acceptance_is_min_of_one_and_the_ratio():
    reverse, forward = np.array([0.2, 3.0, 1.0]), np.array([1.0, 1.5, 1.0])
    np.testing.assert_allclose(_acceptance()(reverse, forward), np.minimum(1.0, reverse / forward), rtol=1e-15)


@pytest.mark.parametrize("order", ["proposal-first", "current-first", "no-correction", "always-accept"])
def test_every_mh_matrix_is_row_stochastic(order):
    transition = chains.mh_transition_matrix(checks.TARGET, checks.PROPOSAL, _acceptance(), order)
    assert np.all(transition >= -1e-15)
    np.testing.assert_allclose(transition.sum(axis=1), 1.0, rtol=0, atol=1e-14)


def test_the_swapped_acceptance_with_a_symmetric_proposal_is_stationary_for_one_over_rho():
    """Derivation step 'swapped-law': with A(x, y) the chain balances 1/ρ, not ρ."""
    transition = chains.mh_transition_matrix(TARGET, SYMMETRIC, _acceptance(), "current-first")
    inverse = (1 / TARGET) / (1 / TARGET).sum()
    np.testing.assert_allclose(inverse @ transition, inverse, atol=1e-15)
    assert np.max(np.abs(TARGET @ transition - TARGET)) > 0.01


def test_the_limit_matrix_of_a_two_state_chain_is_its_stationary_law():
    a, b = 0.3, 0.1
    limit, error = chains.limit_matrix(np.array([[1 - a, a], [b, 1 - b]]))
    np.testing.assert_allclose(limit, np.array([[b, a], [b, a]]) / (a + b), atol=1e-14)
    assert error < 1e-14


def test_the_printed_kernel_of_eq_80_is_not_stochastic_and_the_corrected_one_is_the_algorithm():
    printed = chains.printed_kernel_eq80(checks.TARGET, checks.PROPOSAL, _acceptance())
    corrected = chains.corrected_kernel_eq80(checks.TARGET, checks.PROPOSAL, _acceptance())
    algorithm = chains.mh_transition_matrix(checks.TARGET, checks.PROPOSAL, _acceptance())
    np.testing.assert_allclose(corrected, algorithm, atol=1e-15)
    assert np.max(np.abs(printed.sum(axis=1) - 1)) > 0.01


def test_chain_inputs_are_validated():
    with pytest.raises(ValueError, match="row-stochastic"):
        chains.mh_transition_matrix(TARGET, np.ones((4, 4)), _acceptance())
    with pytest.raises(ValueError, match="proposal must be"):
        chains.mh_transition_matrix(TARGET, np.eye(3), _acceptance())
    with pytest.raises(ValueError, match="positive probabilities"):
        chains.mh_transition_matrix(np.array([0.5, 0.6, -0.1, 0.0]), SYMMETRIC, _acceptance())
    with pytest.raises(ValueError, match="order"):
        chains.mh_transition_matrix(TARGET, SYMMETRIC, _acceptance(), "swapped")
    with pytest.raises(ValueError, match="step_size"):
        chains.ula_escape_fraction(lambda x: x, np.zeros(3), -0.1, 10, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="start_law"):
        chains.grid_langevin_law(lambda x: x**2 / 2, np.linspace(-1, 1, 5), np.ones(4) / 4, [1.0])


def test_random_walk_mh_keeps_a_gaussian_target_and_the_uncorrected_chain_drifts():
    """From exact N(0, 1) draws, 20 steps with the asymmetric proposal y = x + 0.5 + ξ: the mean stays
    within 5 SE of 0; without the proposal correction it moves by more than 20 SE."""
    rng = np.random.default_rng(7)
    start = rng.standard_normal(20_000)
    log_density = lambda x: -x**2 / 2  # noqa: E731
    means = {}
    for order in ("proposal-first", "no-correction"):
        final, rate = chains.random_walk_mh(log_density, start, 0.5, 1.0, 20, np.random.default_rng(8), _acceptance(), order)
        means[order] = (final.mean(), final.std(ddof=1) / math.sqrt(final.size))
        assert 0 < rate < 1
    assert abs(means["proposal-first"][0]) < 5 * means["proposal-first"][1]
    assert abs(means["no-correction"][0]) > 20 * means["no-correction"][1]


def test_grid_langevin_law_follows_the_ornstein_uhlenbeck_mean_and_keeps_mass():
    """U = x²/2: from a narrow start at m the mean is m e^{−t} (OU); the discretisation error is
    O(δ²), so halving δ shrinks it about fourfold; every law sums to 1; at large t the law is e^{−U}."""
    errors = []
    for points in (201, 401):
        grid = np.linspace(-8, 8, points)
        start = np.exp(-((grid - 3) ** 2) / (2 * 0.05**2))
        start /= start.sum()
        laws = chains.grid_langevin_law(lambda x: x**2 / 2, grid, start, [0.5, 30.0])
        np.testing.assert_allclose(laws.sum(axis=1), 1.0, atol=1e-12)
        stationary = np.exp(-(grid**2) / 2) / np.exp(-(grid**2) / 2).sum()
        np.testing.assert_allclose(laws[1], stationary, atol=1e-12)
        exact_mean = (start @ grid) * math.exp(-0.5)
        errors.append(abs(laws[0] @ grid - exact_mean))
    assert errors[1] < errors[0] / 3


def test_ula_escapes_on_the_quartic_from_far_starts_only():
    rng = np.random.default_rng(3)
    h = 0.1
    far = chains.ula_escape_fraction(lambda x: x**3, np.full(500, 2 / math.sqrt(h)), h, 50, 1e6, rng)
    near = chains.ula_escape_fraction(lambda x: x**3, np.full(500, 0.5), h, 50, 1e6, rng)
    assert far == 1.0 and near == 0.0


def test_the_exported_mala_log_ratio_is_the_samplers_log_ratio():
    """log ρ(y) − log ρ(x) + log g(x|y) − log g(y|x) for N(0, 1), computed by theory.samplers, equals
    the derivation's export at y = x − hx + √(2h)ξ."""
    log_ratio = compile_expression((derivation.x, derivation.xi, derivation.h), derivation.mala_acceptance().exports["log_ratio"])
    rng = np.random.default_rng(5)
    x, xi, h = rng.standard_normal(50), rng.standard_normal(50), 0.37
    y = x - h * x + math.sqrt(2 * h) * xi
    forward = samplers.proposal_log_density(y[:, None], x[:, None], -x[:, None], h)
    backward = samplers.proposal_log_density(x[:, None], y[:, None], -y[:, None], h)
    np.testing.assert_allclose(log_ratio(x, xi, h), -y**2 / 2 + x**2 / 2 + backward - forward, atol=1e-12)


def test_mala_rejection_vanishes_at_the_derived_rate():
    """At h = 10⁻³ the quadrature rejection rate is h^{3/2}/(√2π) to within 15 % (next order O(h^{1/2}))."""
    exports = derivation.mala_acceptance().exports
    log_ratio = compile_expression((derivation.x, derivation.xi, derivation.h), exports["log_ratio"])
    leading = float(exports["rejection_leading"].subs(derivation.h, 1e-3))
    rejection = 1 - checks._gaussian_acceptance(log_ratio, 1e-3, 1)[0]
    assert rejection == pytest.approx(leading, rel=0.15)


def test_the_ula_checks_use_the_derived_gradient_and_threshold():
    exports = derivation.ula_transience().exports
    gradient = compile_expression((derivation.x,), exports["gradient"])
    points = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(gradient(points), points + np.tanh(points - 1), atol=1e-14)
    assert float(exports["critical_step"]) == 2.0


def test_the_langevin_checks_use_the_exported_energy():
    energy = compile_expression((derivation.x,), derivation.langevin_stationary().exports["energy"])
    points = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(energy(points), points**2 / 2 + np.log(np.cosh(points - 1)), atol=1e-14)


def test_the_quartic_target_is_the_models_quartic():
    model, log_density = checks._quartic_log_density()
    points = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(log_density(points), points - points**2 / 2 - points**4 / 8, atol=1e-14)
    assert isinstance(model, models.Model)


def _context(claim_id: str):
    from ebmcheck.checks.anatomy import Context
    from ebmcheck.checks.config import RunConfig
    return Context(claim_id, RunConfig(seed=1, profile="quick", backend="numpy"))


def test_the_mala_check_fails_when_the_exported_log_ratio_is_wrong(monkeypatch):
    """The Gaussian acceptance check takes its prediction from the export: doubling the log-ratio
    (a wrong derivation) moves the quadrature prediction and the check fails."""
    original = derivation.mala_acceptance

    def doubled():
        result = original()
        return type(result)(result.title, result.steps, {**result.exports, "log_ratio": 2 * result.exports["log_ratio"]})

    monkeypatch.setattr(derivation, "mala_acceptance", doubled)
    results = checks.mala_checks(_context("sampling-mala-acceptance"))
    assert not results[0].passed


def test_the_mh_checks_fail_when_the_exported_acceptance_drops_the_ratio(monkeypatch):
    """With an export that ignores the flux ratio (always accept), stationarity fails."""
    original = derivation.mh_stationary
    checks._acceptance.cache_clear()

    def always():
        result = original()
        return type(result)(result.title, result.steps, {"acceptance": derivation.reverse / derivation.reverse})

    monkeypatch.setattr(derivation, "mh_stationary", always)
    try:
        first = checks.stationary_checks(_context("sampling-mh-stationary"))[0]
    finally:
        checks._acceptance.cache_clear()
    assert not first.passed


def test_not_encoded_entries_name_their_source_and_a_reason():
    for entry in checks.NOT_ENCODED:
        assert entry.source.seed_file == "003" and entry.source.statement and len(entry.reason) > 40
