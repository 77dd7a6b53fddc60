"""The sampling core on array-api-strict, the array API standard's reference namespace, against numpy.

array-api-strict refuses everything outside the standard (numpy-only functions, methods such as
``.reshape``, implicit conversions), so these tests run the non-numpy path of the numerical core
on every commit without a GPU: the ULA and MALA kernels, the one Langevin move, the proposal
density, ULA's closed forms, and checks/ula.py's chain code. The standard has no random module:
the shim (:mod:`theory.backend`) gives array-api-strict a numpy generator whose draws are converted
with ``xp.asarray``, so a run with the same seed sees the same numbers as numpy — and the tests
require the same results.

The sampler tests use a stand-in model written against the inputs' namespace (a Gaussian with
θ = (μ, vec Λ)), so they do not depend on theory.models. The CNCE core (theory.cnce with the
noises of theory.noise and theory.models' Gaussian) and the batched Newton fit
(theory.fitting.newton) run on array-api-strict too, and agree with numpy to rounding: a sum of
logs is one log per factor off numpy (numpy multiplies 512 factors per log), and a Newton
direction Qv is a plain sum where numpy uses einsum. Logistic noise is host-only (SciPy) and
refuses strict arrays.
"""

from __future__ import annotations

import types

import array_api_strict as xs
import numpy as np
import pytest

from ebmcheck.checks import ula as ula_checks
from ebmcheck.theory import cnce, fitting, models, samplers
from ebmcheck.theory import noise as nz
from ebmcheck.theory.backend import Backend, default_rng, namespace

SIGMA = np.array([[1.0, 0.6], [0.6, 2.0]])
MEAN = np.array([0.5, -1.0])


class StandInGaussian:
    r"""log f = −½ (x − μ)ᵀ Λ (x − μ), score = −Λ (x − μ), with θ = (μ, vec Λ) (p = d + d²), in the namespace of x and θ."""

    def __init__(self, dim: int):
        self.dim = dim

    def _unpack(self, x, theta):
        xp = namespace(x, theta)
        return xp, theta[: self.dim], xp.reshape(theta[self.dim :], (self.dim, self.dim))

    def score(self, x, theta):
        _, mean, precision = self._unpack(x, theta)
        return -((x - mean) @ precision)

    def log_f(self, x, theta):
        xp, mean, precision = self._unpack(x, theta)
        centred = x - mean
        return -0.5 * xp.sum((centred @ precision) * centred, axis=-1)


def _theta(mean, sigma):
    return np.concatenate([mean, np.linalg.inv(sigma).ravel()])


MODEL, THETA = StandInGaussian(2), _theta(MEAN, SIGMA)


def _start(num_chains=500, dim=2, seed=0):
    return np.random.default_rng(seed).standard_normal((num_chains, dim))


def _host(array):
    return np.asarray(array)


def _assert_same(strict, numpy_value):
    """The strict result is an array-api-strict array with exactly numpy's numbers."""
    assert namespace(strict) is xs
    np.testing.assert_array_equal(_host(strict), numpy_value)


def _run(kernel, xp, steps, step_size, **options):
    rng = default_rng(123, xp)
    theta = xp.asarray(THETA)
    state = samplers.langevin_init(xp.asarray(_start()), MODEL, theta)
    infos = []
    for _ in range(steps):
        state, info = kernel(rng, state, MODEL, theta, step_size, **options)
        infos.append(info)
    return state, infos


def test_ula_kernel_on_array_api_strict_is_numpys():
    for temperature in (1.0, 0.5):
        strict, _ = _run(samplers.ula_kernel, xs, 30, 0.4, temperature=temperature)
        reference, _ = _run(samplers.ula_kernel, np, 30, 0.4, temperature=temperature)
        for field in ("position", "log_density", "score"):
            _assert_same(getattr(strict, field), getattr(reference, field))


def test_mala_kernel_on_array_api_strict_is_numpys():
    strict, strict_infos = _run(samplers.mala_kernel, xs, 20, 1.2)
    reference, infos = _run(samplers.mala_kernel, np, 20, 1.2)
    for field in ("position", "log_density", "score"):
        _assert_same(getattr(strict, field), getattr(reference, field))
    for mine, theirs in zip(strict_infos, infos):
        _assert_same(mine.acceptance_probability, theirs.acceptance_probability)
        _assert_same(mine.is_accepted, theirs.is_accepted)
    rate = float(np.mean([np.mean(_host(info.is_accepted)) for info in strict_infos]))
    assert 0.05 < rate < 0.95  # both branches of the accept step ran


def test_divergence_on_array_api_strict():
    """Beyond the stable edge (σ² = 1, h = 3) chains overflow; the finite rows are still evaluated (masked assignment)."""
    model, theta = StandInGaussian(1), _theta(np.zeros(1), np.eye(1))
    diverged_at = {}
    for xp in (xs, np):
        rng = default_rng(0, xp)
        state = samplers.langevin_init(xp.asarray(_start(200, 1)), model, xp.asarray(theta))
        partly = False
        for step in range(2000):
            state, info = samplers.ula_kernel(rng, state, model, xp.asarray(theta), 3.0)
            diverged = _host(info.diverged)
            partly |= bool(diverged.any() and not diverged.all())
            if diverged.all():
                diverged_at[xp.__name__] = step + 1
                break
        assert partly  # some chains diverged before others: the masked branch ran
    assert diverged_at["array_api_strict"] == diverged_at["numpy"]


def test_langevin_step_move_and_proposal_density_on_array_api_strict():
    x = _start(50)
    increment = np.random.default_rng(1).standard_normal(x.shape)
    states = {xp.__name__: samplers.langevin_init(xp.asarray(x), MODEL, xp.asarray(THETA)) for xp in (xs, np)}
    strict, reference = states["array_api_strict"], states["numpy"]
    new, info = samplers.langevin_step(strict, MODEL, xs.asarray(THETA), 0.3, xs.asarray(increment))
    expected, _ = samplers.langevin_step(reference, MODEL, THETA, 0.3, increment)
    _assert_same(new.position, expected.position)
    _assert_same(new.score, expected.score)
    assert not bool(xs.any(info.diverged))
    _assert_same(samplers.langevin_move(strict, xs.asarray(increment), 0.3, 0.5), samplers.langevin_move(reference, increment, 0.3, 0.5))
    _assert_same(
        samplers.proposal_log_density(new.position, strict.position, strict.score, 0.3),
        samplers.proposal_log_density(expected.position, reference.position, reference.score, 0.3),
    )


def test_mixed_namespaces_are_refused():
    state = samplers.langevin_init(xs.asarray(_start(5)), MODEL, xs.asarray(THETA))
    with pytest.raises(TypeError):
        samplers.ula_kernel(np.random.default_rng(0), state, MODEL, THETA, 0.1)  # numpy θ with strict chains
    with pytest.raises(TypeError):
        samplers.langevin_step(state, MODEL, xs.asarray(THETA), 0.1, np.zeros((5, 2)))


@pytest.mark.parametrize("sigma", [SIGMA, np.array([[1.2, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 0.8]])])
def test_closed_forms_on_array_api_strict_are_numpys(sigma):
    d = len(sigma)
    edge = samplers.stable_step_size_bound(xs.asarray(sigma))
    assert edge == samplers.stable_step_size_bound(sigma)
    for h in (0.3 * edge, 0.95 * edge):
        _assert_same(samplers.ula_stationary_covariance(xs.asarray(sigma), h, 0.5), samplers.ula_stationary_covariance(sigma, h, 0.5))
    mean0, cov0, mu = np.linspace(2, 0, d), 0.3 * np.eye(d) + 0.1 * np.ones((d, d)), np.linspace(-1, 1, d)
    for h, k in ((0.4 * edge, 7), (0.5 * edge, 0), (edge, 10), (1.3 * edge, 5)):  # edge: the marginal a² = 1 branch
        strict = samplers.ula_law_at_step(xs.asarray(sigma), h, k, xs.asarray(mean0), xs.asarray(cov0), xs.asarray(mu))
        reference = samplers.ula_law_at_step(sigma, h, k, mean0, cov0, mu)
        for mine, theirs in zip(strict, reference):
            _assert_same(mine, theirs)
    mean, cov = samplers.ula_law_at_step(xs.asarray(sigma), 0.3, 2, xs.asarray(mean0), xs.asarray(cov0))  # mu defaults to 0
    assert namespace(mean, cov) is xs


# ---- checks/ula.py's chain code --------------------------------------------------------------------
def _context(xp, name):
    """What checks.ula._simulate reads from a checks.anatomy.Context, on backend ``xp``."""
    return types.SimpleNamespace(xp=xp, backend=Backend(name, xp), device_rng=lambda check: default_rng(77, xp))


@pytest.mark.parametrize("kernel, step_size, temperature", [("ula", 0.5, 1.0), ("ula", 0.5, 0.5), ("mala", 1.2, 1.0)])
def test_the_checks_chains_on_array_api_strict_are_numpys(kernel, step_size, temperature):
    runs = [
        ula_checks._simulate(_context(xp, name), "chain", MODEL, THETA, _start(), step_size, 15, kernel=kernel, temperature=temperature)
        for xp, name in ((xs, "array-api-strict"), (np, "numpy"))
    ]
    (x_strict, diverged_strict, acceptance_strict), (x_numpy, diverged_numpy, acceptance_numpy) = runs
    assert isinstance(x_strict, np.ndarray)  # brought back to the host for the statistics
    np.testing.assert_array_equal(x_strict, x_numpy)
    assert diverged_strict == diverged_numpy is None and acceptance_strict == acceptance_numpy


def test_the_printed_eq95_proposal_on_array_api_strict():
    model = types.SimpleNamespace(log_normalizer=lambda theta: 1.25)
    log_proposal = ula_checks._printed_eq95(model, THETA, 0.3)
    x, y = _start(20), _start(20, seed=1)
    states = [samplers.langevin_init(xp.asarray(x), MODEL, xp.asarray(THETA)) for xp in (xs, np)]
    _assert_same(log_proposal(xs.asarray(y), states[0].position, states[0]), log_proposal(y, states[1].position, states[1]))


def test_the_coupled_bias_chains_on_array_api_strict_are_numpys():
    x0 = _start(300)
    results = [
        ula_checks._coupled_time_averages(MODEL, THETA, xp.asarray(x0), 0.1, 5, 10, np.random.default_rng(8))
        for xp in (xs, np)
    ]
    for mine, theirs in zip(*results):
        _assert_same(mine, theirs)
    assert results[1][0].shape == (300, 4)
    # the coupling is synchronous: a chain's coarse and fine averages differ by O(h), far less than
    # averages differ between chains (which is what independent noise would give)
    coarse, fine = results[1]
    assert float(np.mean(np.abs(coarse - fine))) < 0.1 * float(np.std(coarse[:, 0]))


def test_validation_keeps_array_api_strict_arrays_and_refuses_bad_ones_by_name():
    from ebmcheck.theory import validation

    assert namespace(validation.real_array("x", xs.asarray(_start(3)))) is xs
    assert namespace(validation.spd_matrix("Sigma", xs.asarray(SIGMA))) is xs
    bad = xs.asarray(np.where(np.arange(6).reshape(3, 2) == 4, np.nan, 0.0))
    with pytest.raises(ValueError, match="position"):
        samplers.langevin_init(bad, MODEL, xs.asarray(THETA))
    with pytest.raises(ValueError, match="Sigma"):
        samplers.ula_stationary_covariance(xs.asarray([[1.0, 2.0], [2.0, 1.0]]), 0.1)


# ---- the CNCE core and the batched Newton fit ---------------------------------------------------------
def _assert_close(strict, numpy_value):
    """The strict result is an array-api-strict array with numpy's numbers to rounding."""
    assert namespace(strict) is xs
    np.testing.assert_allclose(_host(strict), numpy_value, rtol=1e-12, atol=1e-14)


GAUSS2 = models.gaussian(2)
CNCE_CASES = [
    (models.gaussian(1), np.array([0.3, 1.7])),
    (GAUSS2, GAUSS2.pack(np.array([0.2, -0.4]), np.array([[1.5, 0.3], [0.3, 0.8]]))),
]


def _noises(model, theta, x):
    d = model.dim
    return [nz.LocalGaussian(0.8), nz.Autoregressive(0.4, 1.5), nz.KDE(0.5, x[0, :20]), nz.Oracle(model, theta),
            nz.Mixture(nz.LocalGaussian(0.5), nz.Gaussian(np.zeros(d), 2.0 * np.eye(d)), 0.3)]


@pytest.mark.parametrize(("model", "theta"), CNCE_CASES, ids=lambda c: getattr(c, "name", ""))
def test_cnce_loss_gradient_hessian_on_array_api_strict_is_numpys(model, theta):
    x = model.sample(theta, 4 * 40, np.random.default_rng(0)).reshape(4, 40, model.dim)
    thetas = np.broadcast_to(theta, (4, theta.size)) + 0.05  # off the optimum: non-zero gradients
    for noise in _noises(model, theta, x):
        y = noise.sample(x, 3, np.random.default_rng(1))
        y_strict = noise.sample(xs.asarray(x), 3, np.random.default_rng(1))
        _assert_same(y_strict, y)  # the same draws, made through the shim or on the host and converted
        strict_inputs = (xs.asarray(thetas), xs.asarray(x), y_strict)
        for mine, theirs in zip(cnce.loss_gradient_hessian(model, *strict_inputs, noise),
                                cnce.loss_gradient_hessian(model, thetas, x, y, noise)):
            _assert_close(mine, theirs)
        term = cnce.noise_log_ratio(noise, xs.asarray(x), y_strict)  # precomputed, as a fit does
        _assert_close(term, cnce.noise_log_ratio(noise, x, y))
        for mine, theirs in zip(cnce.loss_and_gradient(model, *strict_inputs, noise_term=term),
                                cnce.loss_and_gradient(model, thetas, x, y, noise)):
            _assert_close(mine, theirs)
        _assert_close(cnce.per_sample_loss(model, *strict_inputs, noise), cnce.per_sample_loss(model, thetas, x, y, noise))
        _assert_close(cnce.per_sample_hessian(model, *strict_inputs, noise_term=term),
                      cnce.per_sample_hessian(model, thetas, x, y, noise))


def test_cnce_fit_on_array_api_strict_is_numpys():
    model, theta = CNCE_CASES[1]
    x = model.sample(theta, 3 * 60, np.random.default_rng(2)).reshape(3, 60, 2)
    noise = nz.Autoregressive(0.4, 1.5)  # asymmetric: the noise log-ratio enters F
    y = noise.sample(x, 2, np.random.default_rng(3))
    strict = cnce.fit_cnce(model, xs.asarray(theta), xs.asarray(x), xs.asarray(y), noise)
    reference = cnce.fit_cnce(model, theta, x, y, noise)
    assert isinstance(strict.params, np.ndarray) and strict.converged.all()
    np.testing.assert_allclose(strict.params, reference.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(strict.iterations, reference.iterations)


def _log_cosh_loss(centres, precision):
    r"""Per replicate r: :math:`L_r(\theta) = \sum_j \log\cosh(\theta_j - c_{rj}) + \tfrac12\theta^\top A\theta`,
    written with the namespace of ``centres`` (R, q); rows gathered with ``take``."""
    xp = namespace(centres)
    eye = xp.eye(precision.shape[0], dtype=xp.float64)

    def loss_grad_hess(params, rows):
        u = params - xp.take(centres, xp.asarray(rows), axis=0)
        tanh = xp.tanh(u)
        quadratic = params @ precision
        value = xp.sum(xp.log(xp.cosh(u)), axis=-1) + 0.5 * xp.sum(quadratic * params, axis=-1)
        return value, tanh + quadratic, (1.0 - tanh**2)[..., None] * eye + precision

    return loss_grad_hess, lambda params, rows: loss_grad_hess(params, rows)[0]


def test_newton_on_array_api_strict_is_numpys():
    """From θ = 4, Newton's full step on log cosh overshoots: the Armijo backtracking runs too."""
    centres = np.random.default_rng(4).normal(size=(5, 2))
    precision = np.array([[0.5, 0.1], [0.1, 0.3]])
    fits = [fitting.newton(*_log_cosh_loss(xp.asarray(centres), xp.asarray(precision)), xp.asarray(np.full((5, 2), 4.0)))
            for xp in (xs, np)]
    strict, reference = fits
    assert strict.converged.all() and isinstance(strict.params, np.ndarray)
    np.testing.assert_allclose(strict.params, reference.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(strict.loss, reference.loss, rtol=1e-12)
    np.testing.assert_array_equal(strict.iterations, reference.iterations)
    assert reference.iterations.max() > 3  # damped steps, not one Newton step on a quadratic
    _, gradient, _ = _log_cosh_loss(centres, precision)[0](reference.params, np.arange(5))
    assert np.abs(gradient).max() < 1e-10


def test_host_only_and_mixed_inputs_are_refused_on_array_api_strict():
    model, theta = CNCE_CASES[0]
    x = model.sample(theta, 2 * 10, np.random.default_rng(5)).reshape(2, 10, 1)
    logistic = nz.Logistic(0.0, 1.5)
    y = logistic.sample(xs.asarray(x), 2, np.random.default_rng(6))  # draws on the host, converted
    assert namespace(y) is xs
    with pytest.raises(TypeError, match="SciPy"):  # the log-density is SciPy's: not converted silently
        logistic.log_density(y)
    with pytest.raises(TypeError, match="SciPy"):
        cnce.loss_gradient_hessian(model, xs.asarray(np.tile(theta, (2, 1))), xs.asarray(x), y, logistic)
    with pytest.raises(TypeError):  # numpy θ with strict data: the caller converts, the library does not
        cnce.loss_gradient_hessian(model, np.tile(theta, (2, 1)), xs.asarray(x), y, nz.LocalGaussian(0.5))
    with pytest.raises(TypeError):
        cnce.fit_cnce(model, theta, xs.asarray(x), y, nz.LocalGaussian(0.5))
