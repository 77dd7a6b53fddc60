"""Unit and property tests of theory.toy (the slides' two-mode model) and its derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from ebmcheck.derivations import toy as derivation
from ebmcheck.derivations.steps import DEFINITION
from ebmcheck.theory import models, samplers
from ebmcheck.theory.toy import ToyModel, ml_fixed_point, nce_fixed_point, nce_normalizer_fixed_point, solve_flow, stable_log

THETA_STAR = -math.log(4.0)


@given(
    st.floats(min_value=-6, max_value=0), st.floats(min_value=0.5, max_value=6),
    st.floats(min_value=-8, max_value=8), st.floats(min_value=-4, max_value=4),
)
def test_stable_forms_match_the_symbolic_model(a, gap, x, theta):
    """log f, score, ∂θU and log Z of theory.toy equal the SymPy-derived functions of models.two_mode_mixture."""
    a = round(a, 3)
    b = round(a + gap, 3)
    toy, symbolic = ToyModel(a, b), models.two_mode_mixture(a, b)
    point, parameter = np.array([[x]]), np.array([theta])
    np.testing.assert_allclose(toy.log_f(x, theta), symbolic.log_f(point, parameter)[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(toy.score(x, theta), symbolic.score(point, parameter)[0, 0], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(toy.responsibility(x, theta), -symbolic.grad_theta(point, parameter)[0, 0], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(toy.log_partition(theta), symbolic.log_normalizer(parameter), rtol=1e-12)


@pytest.mark.parametrize("a, b", [(-10, 10), (-3, 2), (-1.25, 0.5)])
def test_compiled_forms_are_the_derivations_stable_forms_at_the_modes(a, b):
    """What theory.toy compiles at (a, b) is derivations.toy.stable_forms (checked by SymPy) with the modes put in,
    and the derivation's symbolic-mode declaration is theory.models.two_mode_mixture(a, b)."""
    declared = models.two_mode_mixture(a, b)
    modes = {derivation.a: sp.nsimplify(a), derivation.b: sp.nsimplify(b)}
    assert derivation.LOG_F.xreplace(modes) == declared.log_f_expr
    exports = derivation.stable_forms().exports
    for general, expr in ((exports["log_f"], declared.log_f_expr), (exports["log_Z"], declared.log_normalizer_expr)):
        assert sp.expand(general.xreplace(modes) - stable_log(expr, declared.theta[0])) == 0


def test_declared_normalizer_is_the_derived_partition_function():
    assert sp.simplify(sp.exp(derivation.LOG_Z) - derivation.partition_function().exports["Z"]) == 0


@pytest.mark.parametrize("x", [-300.0, -50.0, 60.0, 400.0])
def test_stable_forms_far_from_the_modes_equal_the_declaration_in_high_precision(x):
    """Where the declaration's log(e^u + e^v) underflows in float64, the compiled stable forms still equal it
    (evaluated with 50-digit mpmath)."""
    toy, theta = ToyModel(), 0.7
    declared = toy.declaration
    point = {declared.x[0]: sp.Float(x, 50), declared.theta[0]: sp.Float(theta, 50)}
    with np.errstate(divide="ignore"):
        assert not np.isfinite(declared.log_f(np.array([[x]]), np.array([theta]))[0])
    for value, expr in ((toy.log_f(x, theta), declared.log_f_expr), (toy.score(x, theta), declared.score_expr[0]),
                        (toy.responsibility(x, theta), -declared.grad_theta_expr[0])):
        exact = float(expr.evalf(50, subs=point))
        np.testing.assert_allclose(value, exact, rtol=1e-14, atol=1e-300)


def test_expectation_of_one_is_one_and_model_term_is_q():
    toy = ToyModel()
    thetas = np.array([-3.0, 0.0, 2.5])
    ones = toy.expect(lambda x: np.ones((x.shape[0], 1)), thetas)
    np.testing.assert_allclose(ones.value, 1.0, atol=1e-13)
    model_term = toy.expect(lambda x: toy.responsibility(x, thetas[None, :]), thetas)
    np.testing.assert_allclose(model_term.value, toy.weight_b(thetas), atol=1e-13)


def test_ml_and_nce_fixed_points():
    assert abs(ml_fixed_point(THETA_STAR).theta - THETA_STAR) < 1e-11
    corrected = THETA_STAR + math.log((1 + math.exp(-THETA_STAR)) / (1 + math.exp(-1.0)))
    assert abs(nce_fixed_point(THETA_STAR, 1.0).theta - corrected) < 1e-11
    assert abs(nce_fixed_point(THETA_STAR, THETA_STAR).theta - THETA_STAR) < 1e-11  # noise = target: consistent
    theta, c, *_, converged = nce_normalizer_fixed_point(THETA_STAR, 2.0)
    assert converged and abs(theta - THETA_STAR) < 1e-10 and abs(c + ToyModel().log_partition(THETA_STAR)) < 1e-10


def test_flows_are_minus_loss_gradients():
    toy, step = ToyModel(-3.0, 2.0), 1e-5
    for flow, loss in ((toy.ml_flow, toy.ml_loss), (toy.sm_flow, toy.sm_loss), (lambda t, s: toy.nce_flow(t, s, 0.5)[0], lambda t, s: toy.nce_loss(t, s, 0.5))):
        difference = (loss(0.3 + step, THETA_STAR).value - loss(0.3 - step, THETA_STAR).value) / (2 * step)
        np.testing.assert_allclose(flow(0.3, THETA_STAR).value, -difference, rtol=1e-6, atol=1e-9)


def test_trajectories_and_pcd_shapes():
    toy = ToyModel()
    paths = solve_flow(toy.flow("ml", THETA_STAR), [0.0, 2.0], 50.0, num_times=11)
    assert paths.theta.shape == (2, 11) and np.all(paths.error > 0)
    run = toy.pcd(0.0, THETA_STAR, num_walkers=50, num_replicates=3, step_size=0.05, num_steps=20, rng=np.random.default_rng(1))
    assert run.theta.shape == run.fraction_b.shape == (3, 3) and run.walkers.shape == (3, 50)


def test_pcd_step_is_the_slides_order_with_the_samplers_langevin_move(monkeypatch):
    """One PCD step: θ moves by h(mean walker responsibility − E_*[r_θ]), then every walker makes the ULA move of
    theory.samplers under the new θ, with the same standard-normal draws."""
    moves = []
    move = samplers.langevin_move
    monkeypatch.setattr(samplers, "langevin_move", lambda *args, **kwargs: moves.append(args) or move(*args, **kwargs))
    toy, step = ToyModel(-3.0, 3.0), 0.05
    run = toy.pcd(0.5, THETA_STAR, num_walkers=7, num_replicates=2, step_size=step, num_steps=1, rng=np.random.default_rng(3))
    rng = np.random.default_rng(3)
    walkers = toy.sample(0.5, (2, 7), rng)
    positive = toy.ml_flow(0.5, THETA_STAR).value[0] - toy.weight_b(0.5)  # −E_*[r_θ] by the finer rule
    theta = 0.5 + step * (toy.responsibility(walkers, 0.5).mean(axis=1) + positive)
    np.testing.assert_allclose(run.theta[:, -1], theta, rtol=1e-12)
    expected = walkers + step * toy.score(walkers, run.theta[:, -1:]) + np.sqrt(2 * step) * rng.standard_normal((2, 7))
    np.testing.assert_array_equal(run.walkers, expected)
    assert len(moves) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: ToyModel(1.0, 1.0),
        lambda: ToyModel(2.0, -2.0),
        lambda: ToyModel(float("nan"), 1.0),
        lambda: nce_fixed_point(float("inf"), 1.0),
        lambda: nce_fixed_point(0.0, float("nan")),
        lambda: nce_fixed_point(0.0, 1.0, a=3.0, b=-3.0),
        lambda: ToyModel().flow("cd", 0.0),
        lambda: ToyModel().sample(0.0, (2, 0), np.random.default_rng(0)),
        lambda: ToyModel().pcd(0.0, 0.0, num_walkers=10, num_replicates=2, step_size=2.5, num_steps=5, rng=np.random.default_rng(0)),
    ],
)
def test_invalid_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("build", [derivation.stable_forms, derivation.partition_function, derivation.ml_flow, derivation.sm_flow,
                                   derivation.nce_fixed_point, derivation.nce_with_normalizer, derivation.pcd_flow])
def test_derivations_check(build):
    assert all(result.ok for result in build().check())


def test_symbolic_modes_are_the_same_declaration():
    """derivations.toy's declaration (modes the symbols a, b) is theory.models.two_mode_mixture at any numbers."""
    for a_value, b_value in ((-3, 2), (-10, 10), (0.5, 7)):
        numeric = models.two_mode_mixture(a_value, b_value)
        at = {derivation.a: sp.nsimplify(a_value), derivation.b: sp.nsimplify(b_value)}
        assert derivation.LOG_F.xreplace(at) == numeric.log_f_expr
        assert derivation.LOG_Z == numeric.log_normalizer_expr
    with pytest.raises(TypeError, match="both"):
        models.two_mode_mixture(derivation.a, 3)
    with pytest.raises(ValueError, match="no exact sampler"):
        derivation.DECLARATION.sample([0.0], 3, np.random.default_rng(0))


DERIVATIONS = [derivation.stable_forms, derivation.partition_function, derivation.ml_flow, derivation.sm_flow,
               derivation.nce_fixed_point, derivation.nce_with_normalizer, derivation.pcd_flow]


@pytest.mark.parametrize("build", DERIVATIONS)
def test_derivations_show_what_they_prove(build):
    """No step is a = a as SymPy holds it, and every step on the result's chain says what it rests on."""
    built = build()
    depth = built.depth()
    assert depth.vacuous == ()
    assert depth.annotated and depth.from_definition and depth.placeholders == ()


def test_nce_fixed_point_chain_starts_from_the_exact_discriminator_and_names_the_approximation():
    """The toy NCE chain starts from the model's exact D_θ (a definition), derives the separated-mode objective as
    the L → ∞ limit, and carries the separated-mode approximation as a named assumption, not silently."""
    built = derivation.nce_fixed_point()
    depth = built.depth()
    first = built.steps[depth.chain[0] - 1]
    assert first.label == "discriminator" and first.rests_on == (DEFINITION,)
    f_theta, f_mu = sp.exp(derivation.log_f()), sp.exp(derivation.log_f(derivation.mu))
    assert first.lhs == f_theta / (f_theta + f_mu)
    limit_step = next(step for step in built.steps if step.label == "objective")
    assert limit_step.lhs.has(sp.Limit) and limit_step.rhs == built.exports["slide_first_line"]
    assert derivation.SEPARATED_MODES in limit_step.assumptions and "separated-modes" in depth.assumptions


def test_nce_fixed_point_error_has_the_derived_rate():
    """The exact NCE fixed point θ_L leaves the separated-mode θ_∞ at the derived rate ε_L = e^{−L²/8}/(√(2π)L): the
    leading term ε_L c_L of the expansion (c_L by quadrature of the derivation's ∂θG) holds to O(ε_L²), every new step of
    the expansion is symbolic, and the fixed-point-remainder assumption is named on the step that uses it."""
    from ebmcheck.checks import toy as checks
    from ebmcheck.theory.symbolic import compile_expression

    built = derivation.nce_fixed_point()
    labels = ("exact-remainder", "flow-difference", "envelope", "prefactor", "fixed-point-shift", "rate-exponent")
    for step in (step for step in built.steps if step.label in labels):
        assert step.check().status == "symbolic" and not step.vacuous, step.label
    shift_step = next(step for step in built.steps if step.label == "fixed-point-shift")
    assert derivation.FIXED_POINT_REMAINDER in shift_step.assumptions
    corrected = compile_expression((derivation.theta_star, derivation.mu), built.exports["corrected"], cse=False)
    theta_limit, shift = checks._nce_shift(built.exports, corrected)
    for separation in (5.0, 7.0):
        rate, leading, _ = shift(separation)
        assert rate == pytest.approx(math.exp(-separation**2 / 8) / (math.sqrt(2 * math.pi) * separation), rel=1e-14)
        error = nce_fixed_point(THETA_STAR, checks.RATE_MU, -separation / 2, separation / 2).theta - theta_limit
        assert abs(error - rate * leading) <= rate**2 * abs(leading) + 1e-11  # O(ε_L²), constant ≤ 1 (measured ≤ 0.8)
