"""Property tests: the Gaussian score and the partition-free score, over random models."""

from __future__ import annotations

import numpy as np
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
