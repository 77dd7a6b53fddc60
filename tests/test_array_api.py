"""The sampling core on array-api-strict, the array API standard's reference namespace, against numpy.

array-api-strict refuses everything outside the standard (numpy-only functions, methods such as
``.reshape``, implicit conversions), so these tests run the non-numpy path of the numerical core
on every commit without a GPU: the ULA and MALA kernels, the one Langevin move, the proposal
density, ULA's closed forms, and checks/ula.py's chain code. The standard has no random module:
the shim (:mod:`theory.backend`) gives array-api-strict a numpy generator whose draws are converted
with ``xp.asarray``, so a run with the same seed sees the same numbers as numpy — and the tests
require the same results.

The model is a stand-in written against the inputs' namespace (a Gaussian with
θ = (μ, vec Λ)), so these tests do not depend on theory.models.
"""

from __future__ import annotations

import types

import array_api_strict as xs
import numpy as np
import pytest

from ebmcheck.checks import ula as ula_checks
from ebmcheck.theory import samplers
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
