"""Models: symbolic derivatives agree with finite differences and with the entry-by-entry form;
validation; samplers; backend; array namespaces (array-api-strict); the one compile function."""

from __future__ import annotations

import inspect
import math
import warnings

import array_api_strict
import numpy as np
import pytest
import sympy as sp

from ebmcheck.checks.anatomy import critical_z, mean_and_standard_error
from ebmcheck.theory import models, quadrature
from ebmcheck.theory.backend import BackendUnavailable, derive_seed, get_backend
from ebmcheck.theory.symbolic import compile_expression, polynomial_degree

METHODS = ("log_f", "score", "laplacian", "grad_theta", "hess_theta", "score_jacobian_theta", "laplacian_grad_theta")

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


# ---- matrix models: the same numbers as the entry-by-entry form of the same declaration -----------
def _entry_by_entry(model):
    """The generic scalar-symbol model of a matrix model's scalar form (one symbol per entry)."""
    return models.Model(model.name, model.x, model.theta, model.log_f_expr, log_normalizer=model.log_normalizer_expr)


def _random_gaussian_theta(model, rng, batch=()):
    d = model.dim
    factor = rng.standard_normal(batch + (d, d))
    precision = factor @ np.swapaxes(factor, -1, -2) + d * np.eye(d)
    return np.concatenate([rng.standard_normal(batch + (d,)), model.parameters[1].pack(precision)], axis=-1)


@pytest.mark.parametrize("dim", [1, 2, 3, 4])
def test_gaussian_matrix_calculus_matches_entry_by_entry(dim):
    model = models.gaussian(dim)
    reference = _entry_by_entry(model)
    rng = np.random.default_rng(dim)
    x, theta = rng.standard_normal((5, 1, dim)), _random_gaussian_theta(model, rng, (3,))
    for method in METHODS:
        got, want = getattr(model, method)(x, theta), getattr(reference, method)(x, theta)
        assert got.shape == want.shape, method
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=method)
    if dim <= 3:
        np.testing.assert_allclose(model.log_normalizer(theta), reference.log_normalizer(theta), rtol=1e-12)


def test_gaussian_scalar_form_is_the_entry_by_entry_declaration():
    """Derivations see the same scalar log f and log Z (symbols x1.., mu1.., Lambda11..) as before."""
    d = 3
    x, mu = sp.symbols(f"x1:{d + 1}", real=True), sp.symbols(f"mu1:{d + 1}", real=True)
    upper = [(i, j) for i in range(d) for j in range(i, d)]
    lam = {(i, j): sp.Symbol(f"Lambda{i + 1}{j + 1}", real=True) for i, j in upper}
    precision = sp.Matrix(d, d, lambda i, j: lam[(min(i, j), max(i, j))])
    centred = sp.Matrix(x) - sp.Matrix(mu)
    model = models.gaussian(d)
    assert model.x == x and model.theta == tuple(mu) + tuple(lam[ij] for ij in upper)
    assert model.log_f_expr == sp.expand(-(centred.T * precision * centred)[0, 0] / 2)
    assert model.log_normalizer_expr == sp.Rational(d, 2) * sp.log(2 * sp.pi) - sp.log(precision.det()) / 2
    assert models.gaussian(4).log_normalizer_expr is None  # the symbolic determinant is built for d <= 3 only


def test_matrix_model_with_general_and_symmetric_blocks_matches_entry_by_entry():
    """Orientation of every derivative: asymmetric blocks (a full matrix A, a symmetric S used asymmetrically)."""
    d = 3
    x, m = sp.MatrixSymbol("x", d, 1), sp.MatrixSymbol("m", d, 1)
    a, s = sp.MatrixSymbol("A", d, d), sp.MatrixSymbol("S", d, d)
    log_f = -(x.T * x) / 2 + x.T * a * m + x.T * s * m - (x.T * a * a.T * x) / 8
    model = models.MatrixModel("test", x, (models.Parameter(m), models.Parameter(a), models.Parameter(s, symmetric=True)), log_f)
    assert model.num_params == d + d * d + d * (d + 1) // 2
    reference = _entry_by_entry(model)
    rng = np.random.default_rng(7)
    points, theta = rng.standard_normal((4, 1, d)), rng.standard_normal((2, model.num_params))
    for method in METHODS:
        got, want = getattr(model, method)(points, theta), getattr(reference, method)(points, theta)
        assert got.shape == want.shape, method
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11, err_msg=method)
    beyond = models.MatrixModel("S squared", x, (models.Parameter(m), models.Parameter(s, symmetric=True)), -(m.T * s * s * m) / 4)
    with pytest.raises(NotImplementedError, match="matrix calculus cannot take d/dm"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SymPy deprecates what it does on the way to giving up
        beyond.hess_theta(points, np.zeros(beyond.num_params))


def test_matrix_model_splits_large_batches_without_changing_results(monkeypatch):
    model = models.gaussian(4)
    rng = np.random.default_rng(3)
    x, theta = rng.standard_normal((37, 2, 4)), _random_gaussian_theta(model, rng, (2,))
    whole = {method: getattr(model, method)(x, theta) for method in METHODS}
    monkeypatch.setattr(models, "_CHUNK_ENTRIES", 50)  # a few rows per slice
    for method in METHODS:
        np.testing.assert_allclose(getattr(model, method)(x, theta), whole[method], rtol=1e-14, atol=1e-14, err_msg=method)


def test_gaussian_scales_to_large_dimension():
    """d = 60 (p = 1890): the score is -Λ(x - μ), the Laplacian -tr Λ, without one symbol per entry."""
    d = 60
    model = models.gaussian(d)
    rng = np.random.default_rng(4)
    factor = rng.standard_normal((d, d))
    precision, mean = factor @ factor.T / d + np.eye(d), rng.standard_normal(d)
    theta, x = model.pack(mean, precision), rng.standard_normal((20, d))
    np.testing.assert_allclose(model.score(x, theta), -(x - mean) @ precision, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.laplacian(x, theta), np.full(20, -np.trace(precision)), rtol=1e-13)
    np.testing.assert_allclose(model.log_normalizer(theta), d / 2 * np.log(2 * np.pi) - np.linalg.slogdet(precision)[1] / 2)
    assert model.grad_theta(x, theta).shape == (20, model.num_params)
    assert "x" not in vars(model) and "theta" not in vars(model)  # the scalar form was never built


def test_oversized_results_are_refused_before_any_work():
    model = models.gaussian(100)  # p = 5150: a theta-Hessian is 2.65e7 numbers per point
    theta = np.zeros(model.num_params)
    with pytest.raises(ValueError, match=r"hess_theta .* would hold 2\.65e\+11 numbers .* MAX_RESULT_ENTRIES"):
        model.hess_theta(np.zeros((10_000, 100)), theta)


def test_shifting_the_scalar_form_shifts_the_matrix_declaration():
    model = models.gaussian(2)
    theta, x = model.pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]]), np.random.default_rng(5).standard_normal((6, 2))
    shifted = models.gaussian(2)
    shifted.log_f_expr = shifted.log_f_expr + sp.Rational(3, 2)
    np.testing.assert_allclose(shifted.log_f(x, theta), model.log_f(x, theta) + 1.5, rtol=1e-15)
    for method in METHODS[1:]:
        np.testing.assert_array_equal(getattr(shifted, method)(x, theta), getattr(model, method)(x, theta))
    with pytest.raises(ValueError, match="only be shifted by a constant"):
        shifted.log_f_expr = shifted.log_f_expr + shifted.x[0]


# ---- array namespaces: taken from the inputs; array-api-strict ----------------------------------------
STRICT_ARRAY = type(array_api_strict.asarray(0.0))
STRICT_CASES = [
    (models.gaussian(2), models.gaussian(2).pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])),
    (models.gaussian(5), models.gaussian(5).pack(np.arange(5.0), 2 * np.eye(5) + 0.1)),
    (models.two_mode_mixture(), np.array([-np.log(4.0)])),
    (models.quartic(), np.array([0.5, -1.0, 1.0])),
]


@pytest.mark.parametrize(("model", "theta"), STRICT_CASES, ids=[m.name for m, _ in STRICT_CASES])
def test_models_evaluate_on_array_api_strict(model, theta):
    rng = np.random.default_rng(6)
    x, thetas = rng.standard_normal((4, 3, model.dim)), theta + 0.01 * rng.standard_normal((3, model.num_params))
    for method in ("log_f", "score", "laplacian", "grad_theta", "hess_theta"):
        got = getattr(model, method)(array_api_strict.asarray(x), array_api_strict.asarray(thetas))
        assert isinstance(got, STRICT_ARRAY), method
        np.testing.assert_allclose(np.from_dlpack(got), getattr(model, method)(x, thetas), rtol=1e-13, atol=1e-13, err_msg=method)


def test_inputs_of_two_array_libraries_are_refused():
    """The namespace is the inputs': host theta with array-api-strict x is a TypeError, not a silent copy."""
    model, theta = STRICT_CASES[0]
    x = array_api_strict.asarray(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="Multiple namespaces"):
        model.score(x, theta)
    assert isinstance(model.score(x, array_api_strict.asarray(theta)), STRICT_ARRAY)


# ---- the one compile function ----------------------------------------------------------------------
def test_compile_expression_is_lambdify_on_numpy_and_follows_the_namespace():
    x, t = sp.symbols("x t", real=True)
    expr = sp.log(sp.exp(-(x**2) / 2) + sp.sqrt(2) * sp.pi * sp.exp(-t)) + t * x**4 / 4
    values = np.linspace(-3, 3, 11)
    expected = sp.lambdify((x, t), expr, "numpy", cse=True)(values, 0.5)
    np.testing.assert_array_equal(compile_expression((x, t), expr)(values, 0.5), expected)
    plain = sp.lambdify((x, t), expr, "numpy")(values, 0.5)  # without cse: the expression as written
    np.testing.assert_array_equal(compile_expression((x, t), expr, cse=False)(values, 0.5), plain)
    assert compile_expression((x, t), expr) is compile_expression((x, t), expr)  # cached
    strict = compile_expression((x, t), expr, array_api_strict)(array_api_strict.asarray(values), array_api_strict.asarray(0.5))
    assert isinstance(strict, STRICT_ARRAY)
    np.testing.assert_allclose(np.from_dlpack(strict), expected, rtol=1e-15)
    assert compile_expression((x, t), [expr, 2 * t, sp.Integer(3)])(1.0, 2.0)[1:] == [4.0, 3]
    follows = compile_expression((x, t), expr)(array_api_strict.asarray(values), array_api_strict.asarray(0.5))
    assert isinstance(follows, STRICT_ARRAY)  # without xp: the namespace of the arguments
    np.testing.assert_array_equal(np.from_dlpack(follows), np.from_dlpack(strict))


def test_compile_expression_prints_sums_in_stored_order_and_takes_named_functions():
    x = sp.Symbol("x", real=True)
    assert "return 1 + x + x**2" in inspect.getsource(compile_expression((x,), x**2 + x + 1, np, order="none"))
    assert "return x**2 + x + 1" in inspect.getsource(compile_expression((x,), x**2 + x + 1, np))  # SymPy's default order

    class Twice(sp.Function):
        pass

    twice = compile_expression((x,), Twice(x) + 1, functions={"Twice": lambda v: 2 * v})
    np.testing.assert_array_equal(twice(np.array([1.0, 3.0])), [3.0, 7.0])


def test_compile_expression_refuses_what_it_cannot_compile():
    x, a = sp.Symbol("x"), sp.MatrixSymbol("A", 2, 2)
    with pytest.raises(TypeError, match="all sympy.Symbol or all sympy.MatrixSymbol"):
        compile_expression((x, a), x)
    with pytest.raises(TypeError, match="SymPy expression"):
        compile_expression((x,), "x + 1")
    with pytest.raises(NotImplementedError, match="no rule for Inverse"):
        compile_expression((a,), a.inverse())
    with pytest.raises(TypeError, match="scalar symbols only"):
        compile_expression((a,), a.T, order="none")
    with pytest.raises(TypeError, match="mapping of names to callables"):
        compile_expression((x,), x, functions={"f": 1.0})


@pytest.mark.parametrize("points", [100_000, 97, 1])
def test_compiled_score_is_the_plain_operations_bit_for_bit(points):
    """The compiler's two shortcuts change no number: x − μ added in long rows (the small operand
    tiled; 97 points has no divisor to group by, 1 point none needed) and −1 folded into Λ rather
    than the (N, d) product. Reference: numpy's own −((x − μ) @ Λᵀ)."""
    x, mu, lam = sp.MatrixSymbol("x", 2, 1), sp.MatrixSymbol("mu", 2, 1), sp.MatrixSymbol("Lambda", 2, 2)
    score = compile_expression((x, mu, lam), -lam * (x - mu))
    rng = np.random.default_rng(5)
    xs, m, precision = rng.standard_normal((points, 2, 1)), rng.standard_normal((2, 1)), rng.standard_normal((2, 2))
    want = -((xs - m)[..., 0] @ precision.T)
    np.testing.assert_array_equal(score(xs, m, precision)[..., 0], want)
    half = compile_expression((x, mu, lam), sp.MatMul(sp.Rational(1, 2), lam, x - mu))  # ½ folds into Λ
    np.testing.assert_array_equal(half(xs, m, precision)[..., 0], ((xs - m)[..., 0] @ precision.T) / 2)
    triple = compile_expression((x, mu, lam), sp.MatMul(3, lam, x - mu))  # 3 does not: 3Λ rounds
    np.testing.assert_array_equal(triple(xs, m, precision)[..., 0], 3 * ((xs - m)[..., 0] @ precision.T))


# ---- the θ-Hessian averaged over points ------------------------------------------------------------
def _quadratic_in_x_model():
    """log f = −(mᵀx)²/2 − ½ xᵀSx: ∂²/∂m² = −x xᵀ is of degree 2 in x, so it is summed over the points."""
    x, m, s = sp.MatrixSymbol("x", 3, 1), sp.MatrixSymbol("m", 3, 1), sp.MatrixSymbol("S", 3, 3)
    log_f = -(m.T * x * x.T * m) / 2 - (x.T * s * x) / 2
    return models.MatrixModel("quadratic in x", x, (models.Parameter(m), models.Parameter(s, symmetric=True)), log_f)


@pytest.mark.parametrize("case", ["gaussian(4)", "quadratic in x", "quartic (scalar Model)"])
def test_mean_theta_hessian_is_the_mean_of_the_per_point_hessians(case, monkeypatch):
    rng = np.random.default_rng(7)
    if case == "gaussian(4)":
        model = models.gaussian(4)
        theta = _random_gaussian_theta(model, rng)
    elif case == "quadratic in x":
        model = _quadratic_in_x_model()
        theta = rng.standard_normal(model.num_params)
    else:
        model, theta = models.quartic(), np.array([0.5, -1.0, 1.0])
    x = rng.standard_normal((2, 50, model.dim))  # every leading axis counts as points
    want = np.mean(model.hess_theta(x, theta), axis=(0, 1))
    np.testing.assert_allclose(model.mean_hess_theta(x, theta), want, rtol=1e-13, atol=1e-13)
    monkeypatch.setattr(models, "_CHUNK_ENTRIES", 40)  # summed in many slices, the last one short
    np.testing.assert_allclose(model.mean_hess_theta(x, theta), want, rtol=1e-13, atol=1e-13)
    strict = model.mean_hess_theta(array_api_strict.asarray(x), array_api_strict.asarray(theta))
    assert isinstance(strict, STRICT_ARRAY)
    np.testing.assert_allclose(np.from_dlpack(strict), want, rtol=1e-13, atol=1e-13)


def test_mean_theta_hessian_of_the_gaussian_does_not_visit_the_points(monkeypatch):
    """Every block of the Gaussian's θ-Hessian is affine in x: evaluated once, at the mean point."""
    model = models.gaussian(3)
    plan = models._plan(model.log_f_matrix, model.data, model.parameters, "hess_theta")
    assert [polynomial_degree(p.expr, model.data) for p, _, _ in plan.placements] == [0, 1]  # (Λ, Λ) is zero
    monkeypatch.setattr(models, "_sum_over_points", None)  # would fail if called
    rng = np.random.default_rng(8)
    theta, x = _random_gaussian_theta(model, rng), rng.standard_normal((1000, 3))
    np.testing.assert_allclose(model.mean_hess_theta(x, theta), model.hess_theta(x, theta).mean(axis=0), rtol=1e-12, atol=1e-12)


def test_polynomial_degree_reads_the_tree():
    x, a = sp.MatrixSymbol("x", 2, 1), sp.MatrixSymbol("A", 2, 2)
    assert polynomial_degree(a * a, x) == 0
    assert polynomial_degree(a * x + 3 * x, x) == 1
    assert polynomial_degree(sp.Trace(x * x.T * a), x) == 2
    assert polynomial_degree((x.T * a * x)[0, 0] ** 3, x) == math.inf  # an entry is not a node the reader knows
    assert polynomial_degree(sp.exp(sp.Trace(x * x.T)), x) == math.inf
    assert polynomial_degree(None, x) == 0


def test_mean_theta_hessian_refuses_what_it_cannot_average():
    model = models.gaussian(2)
    theta = model.pack([0.0, 0.0], np.eye(2))
    with pytest.raises(ValueError, match="one parameter vector theta of shape"):
        model.mean_hess_theta(np.zeros((3, 2)), np.stack([theta, theta]))
    with pytest.raises(ValueError, match="at least one point"):
        model.mean_hess_theta(np.zeros((0, 2)), theta)
    big = models.gaussian(1000)  # p = 501 500: the mean Hessian alone is 2.5e11 numbers
    with pytest.raises(ValueError, match=r"mean_hess_theta would hold 2\.52e\+11 numbers"):
        big.mean_hess_theta(np.zeros((1, 1000)), np.zeros(big.num_params))
