"""Property tests: the Gaussian score and the partition-free score, over random models."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from ebmcheck.derivations import score_matching
from ebmcheck.theory import models

dimensions = st.integers(min_value=1, max_value=4)


@st.composite
def gaussian_cases(draw):
    dim = draw(dimensions)
    floats = st.floats(min_value=-3, max_value=3, allow_nan=False)
    mean = np.array(draw(st.lists(floats, min_size=dim, max_size=dim)))
    factor = np.array(draw(st.lists(floats, min_size=dim * dim, max_size=dim * dim))).reshape(dim, dim)
    precision = factor @ factor.T + 0.5 * np.eye(dim)  # symmetric positive definite by construction
    x = np.array(draw(st.lists(floats, min_size=dim, max_size=dim)))
    return dim, mean, precision, x


@given(gaussian_cases())
def test_model_score_is_minus_precision_times_offset(case):
    """gaussian-score: the symbolic model's score equals -Σ⁻¹(x − μ) with Σ⁻¹ = Λ."""
    dim, mean, precision, x = case
    model = models.gaussian(dim)
    theta = model.pack(mean, precision)
    expected = -precision @ (x - mean)
    np.testing.assert_allclose(model.score(x, theta), expected, rtol=1e-10, atol=1e-10)


@given(gaussian_cases(), st.floats(min_value=-50, max_value=50))
def test_score_ignores_the_normalizer(case, shift):
    """ebm-score-partition-free: adding any constant (−log Z) to log f leaves the score unchanged."""
    dim, mean, precision, x = case
    model = models.gaussian(dim)
    shifted = models.MatrixModel("shifted", model.data, model.parameters, model.log_f_matrix + shift * sp.Identity(1))
    theta = model.pack(mean, precision)
    np.testing.assert_array_equal(shifted.score(x, theta), model.score(x, theta))


@given(st.integers(min_value=1, max_value=3), st.data())
def test_derived_closed_form_matches_numeric_gradient(dim, data):
    """The exported closed form −Σ⁻¹(x − μ) equals a finite-difference gradient of the log-density."""
    closed_form = score_matching.gaussian_score().exports[f"score_d{dim}"]
    floats = st.floats(min_value=-2, max_value=2, allow_nan=False)
    factor = np.array(data.draw(st.lists(floats, min_size=dim * dim, max_size=dim * dim))).reshape(dim, dim)
    covariance = factor @ factor.T + np.eye(dim)
    mean = np.array(data.draw(st.lists(floats, min_size=dim, max_size=dim)))
    x = np.array(data.draw(st.lists(floats, min_size=dim, max_size=dim)))
    values = {f"x{i + 1}": x[i] for i in range(dim)} | {f"mu{i + 1}": mean[i] for i in range(dim)}
    values |= {f"sigma{i + 1}{j + 1}": covariance[i, j] for i in range(dim) for j in range(i, dim)}
    formula = np.array(closed_form.subs({s: values[str(s)] for s in closed_form.free_symbols}), dtype=float)[:, 0]
    precision = np.linalg.inv(covariance)
    log_density = lambda y: -0.5 * (y - mean) @ precision @ (y - mean)  # noqa: E731
    step = 1e-6
    gradient = np.array([(log_density(x + e) - log_density(x - e)) / (2 * step) for e in np.eye(dim) * step])
    np.testing.assert_allclose(formula, gradient, rtol=1e-5, atol=1e-5)


# ---- derivation depth (issue 15) ---------------------------------------------------------------------
DERIVATIONS = {
    "hyvarinen-identity": score_matching.hyvarinen_identity,
    "hyvarinen-identity-factor-two": score_matching.hyvarinen_identity_factor_two,
    "hyvarinen-identity-review-eq54": score_matching.hyvarinen_identity_review_eq54,
    "ebm-score-partition-free": score_matching.score_partition_free,
    "gaussian-score": score_matching.gaussian_score,
}


@pytest.mark.parametrize("name", DERIVATIONS)
def test_derivation_has_no_vacuous_step_and_is_annotated(name):
    """Every step shows two different sides, and every step on the result's chain says what it rests on."""
    derivation = DERIVATIONS[name]()
    assert not [i + 1 for i, step in enumerate(derivation.steps) if step.vacuous]
    assert derivation.depth().annotated
    assert all(step.rests_on for step in derivation.steps), "every step, on the chain or beside it, is annotated"


def test_hyvarinen_identity_derives_from_the_definitions():
    """The 1-D identity with its boundary term is derived: chain from the definitions, no placeholder,
    and the only assumption on it is the named positivity of p (s_p = p'/p)."""
    derivation = score_matching.hyvarinen_identity()
    depth = derivation.depth()
    assert depth.derives
    assert depth.assumptions == ("density-positive",)
    labels = {derivation.steps[i - 1].label for i in depth.chain}
    assert {"fundamental-theorem", "integration-by-parts", "identity-1d"} <= labels


def test_boundary_term_per_family():
    """The boundary term −[p s_θ] is 0 for the Gaussian and quartic families on ℝ and λμ for Exp(1) data
    on [0, ∞), each step checked symbolically; the multivariate steps name the divergence theorem."""
    steps = {step.label: step for step in score_matching.hyvarinen_identity().steps}
    for label in ("boundary-gaussian", "boundary-quartic", "boundary-exponential"):
        assert steps[label].check().status == "symbolic"
    lam, mu = sp.Symbol("lambda", positive=True), sp.Symbol("mu", real=True)
    assert steps["boundary-gaussian"].rhs == 0 and steps["boundary-quartic"].rhs == 0
    assert steps["boundary-exponential"].rhs == lam * mu
    for label in ("identity-2d", "identity-3d"):
        assert "divergence-theorem" in {a.name for a in steps[label].assumptions}


def test_integration_by_parts_keeps_its_boundary_term():
    """The derived 1-D identity is F = J + ½∫p s_p² − [p s_θ]_a^b − R, the boundary term −[p s_θ]_a^b standing on
    its right-hand side as two terms (R, zero by the fundamental theorem step, is one bracket)."""
    steps = {step.label: step for step in score_matching.hyvarinen_identity().steps}
    identity = steps["identity-1d"]
    assert identity.check().status == "symbolic"
    x, a, b = sp.Symbol("x", real=True), *sp.symbols("a b", real=True)
    flux = sp.Function("p", positive=True)(x) * sp.Derivative(sp.Function("ell", real=True)(x), x)
    assert {-sp.Subs(flux, x, b), sp.Subs(flux, x, a)} <= set(identity.rhs.args)
