"""Models: symbolic derivatives agree with finite differences; validation; samplers; backend."""

from __future__ import annotations

import numpy as np
import pytest

from ebmcheck.checks.anatomy import critical_z, mean_and_standard_error
from ebmcheck.theory import models, quadrature
from ebmcheck.theory.backend import BackendUnavailable, derive_seed, get_backend

CASES = [
    (models.gaussian(1), models.gaussian(1).pack([0.3], [[1.7]])),
    (models.gaussian(2), models.gaussian(2).pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])),
    (models.two_mode_mixture(), np.array([-np.log(4.0)])),
    (models.quartic(), np.array([0.5, -1.0, 1.0])),
    (models.gaussian_precision(), np.array([2.5])),
]
IDS = [m.name for m, _ in CASES]


@pytest.mark.parametrize(("model", "theta"), CASES, ids=IDS)
def test_score_and_laplacian_match_finite_differences(model, theta):
    x = np.random.default_rng(0).normal(size=(7, model.dim))
    step = 1e-5
    basis = np.eye(model.dim) * step
    fd_score = np.stack(
        [(model.log_f(x + e, theta) - model.log_f(x - e, theta)) / (2 * step) for e in basis], axis=-1
    )
    np.testing.assert_allclose(model.score(x, theta), fd_score, rtol=1e-6, atol=1e-6)
    fd_laplacian = sum(
        (model.score(x + e, theta)[:, i] - model.score(x - e, theta)[:, i]) / (2 * step) for i, e in enumerate(basis)
    )
    np.testing.assert_allclose(model.laplacian(x, theta), fd_laplacian, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("model", "theta"), CASES, ids=IDS)
def test_theta_gradient_and_hessian_match_finite_differences(model, theta):
    x = np.random.default_rng(1).normal(size=(5, model.dim))
    step = 1e-6
    basis = np.eye(model.num_params) * step
    fd_grad = np.stack([(model.log_f(x, theta + e) - model.log_f(x, theta - e)) / (2 * step) for e in basis], axis=-1)
    np.testing.assert_allclose(model.grad_theta(x, theta), fd_grad, rtol=1e-5, atol=1e-6)
    fd_hess = np.stack(
        [(model.grad_theta(x, theta + e) - model.grad_theta(x, theta - e)) / (2 * step) for e in basis], axis=-1
    )
    np.testing.assert_allclose(model.hess_theta(x, theta), fd_hess, rtol=1e-5, atol=1e-5)


def test_batched_parameters_broadcast_against_data():
    model = models.gaussian(2)
    thetas = np.stack([model.pack([m, 0.0], np.eye(2)) for m in (0.0, 1.0, 2.0)])  # (3, p)
    x = np.zeros((10, 1, 2))
    assert model.score(x, thetas).shape == (10, 3, 2)
    assert model.hess_theta(x, thetas).shape == (10, 3, model.num_params, model.num_params)


@pytest.mark.parametrize(("model", "theta"), [c for c in CASES if c[0].log_normalizer_expr is not None or c[0].dim > 1], ids=str)
def test_closed_form_log_normalizer(model, theta):
    if model.dim == 1:
        value, error = quadrature.log_normalizer_1d(model, theta)
        assert abs(model.log_normalizer(theta) - value) < 1e-10 + error
    else:  # Gaussian in d = 2: compare with a tensor-product quadrature
        nodes, weights = quadrature.gauss_legendre(-12, 12, 60, 16)
        grid = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1)
        mass = np.einsum("i,j,ij->", weights, weights, np.exp(model.log_f(grid, theta)))
        assert model.log_normalizer(theta) == pytest.approx(np.log(mass), abs=1e-10)


@pytest.mark.parametrize(("model", "theta"), CASES, ids=IDS)
def test_exact_sampler_mean_matches_quadrature(model, theta):
    """Sample mean of x_0 against its exact expectation: z-test at the suite's alpha."""
    samples = model.sample(theta, 50_000, np.random.default_rng(2))
    mean, se = mean_and_standard_error(samples[:, 0])
    if model.dim == 1:
        exact, _ = quadrature.expect_model(model, theta, lambda x: x[:, 0])
    else:
        exact = model.unpack(theta)[0][0]
    assert abs(mean - exact) <= critical_z() * se


def test_invalid_parameters_raise_clear_errors():
    model = models.gaussian(2)
    with pytest.raises(ValueError, match="positive definite"):
        model.pack([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="symmetric"):
        model.pack([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"mean must have shape \(2,\)"):
        model.pack([0.0, 0.0, 0.0], np.eye(2))
    with pytest.raises(ValueError, match="positive definite"):
        model.validate(np.array([0.0, 0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="trailing dimension d=2"):
        model.score(np.zeros((4, 3)), model.pack([0.0, 0.0], np.eye(2)))
    with pytest.raises(ValueError, match="trailing dimension p=5"):
        model.score(np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="theta3"):
        models.quartic().validate([0.0, 1.0, -1.0])
    with pytest.raises(ValueError, match="num_samples"):
        models.gaussian_precision().sample([1.0], 0, np.random.default_rng(0))


def test_backend_selection():
    assert get_backend("numpy").name == "numpy"
    with pytest.raises(ValueError, match="choose one of numpy, cupy"):
        get_backend("torch")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(BackendUnavailable, match="not installed"):
            get_backend("cupy")


def test_seeds_depend_on_key_not_on_order():
    assert derive_seed(1, "claim", "a") == derive_seed(1, "claim", "a")
    assert derive_seed(1, "claim", "a") != derive_seed(1, "claim", "b")
    assert derive_seed(1, "claim", "a") != derive_seed(2, "claim", "a")
    with pytest.raises(ValueError, match="non-negative"):
        derive_seed(-1, "x")
