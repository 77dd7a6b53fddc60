"""Unit tests of theory.nce (NCE with a learned normalizer, batched Newton) and its derivations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from ebmcheck.derivations import nce as derivation
from ebmcheck.theory import models, nce
from ebmcheck.theory import noise as nz

NOISE = nz.Gaussian([0.0], [[4.0]])


@given(st.floats(min_value=-1, max_value=1), st.floats(min_value=0.5, max_value=3), st.floats(min_value=-1, max_value=1))
def test_gradient_and_hessian_match_finite_differences(mean, precision, c):
    model = models.gaussian(1)
    rng = np.random.default_rng(3)
    x, y = rng.normal(0.3, 0.7, (40, 1)), NOISE.sample(np.zeros((60, 1)), 1, rng)[:, 0]
    params = np.array([mean, precision, c])
    value = nce.objective(model, params, x, y, NOISE)
    step = 1e-6
    for j in range(3):
        shift = np.eye(3)[j] * step
        plus, minus = nce.objective(model, params + shift, x, y, NOISE), nce.objective(model, params - shift, x, y, NOISE)
        np.testing.assert_allclose(value.grad[j], (plus.loss - minus.loss) / (2 * step), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(value.hess[:, j], (plus.grad - minus.grad) / (2 * step), rtol=1e-5, atol=1e-6)


def test_batched_fit_converges_per_replicate_and_recovers_log_z():
    model = models.gaussian_precision()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3000, 1)) / 2.0  # precision 4
    y = NOISE.sample(x, 1, rng)[..., 0, :]
    fit = nce.fit(model, x, y, NOISE, np.array([1.0, 0.0]))
    gradient = nce.objective(model, fit.params, x, y, NOISE).grad
    assert fit.converged.all() and np.all(np.linalg.norm(gradient, axis=-1) < 1e-4)
    assert abs(fit.params[:, 1].mean() + 0.5 * np.log(2 * np.pi / 4)) < 0.05
    stuck = nce.fit(model, x, y, NOISE, np.array([1.0, 0.0]), max_iterations=1)
    assert not stuck.converged.any() and np.all(stuck.iterations == 1)  # non-convergence is reported, not hidden


def test_fixed_normalizer_stays_in_the_result_and_log_noise_values_give_the_same_fit():
    model = models.gaussian_precision()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 500, 1))
    y = NOISE.sample(x, 1, rng)[..., 0, :]
    fixed = nce.fit(model, x, y, NOISE, np.array([1.0, 0.0]), fixed_normalizer=-0.5)
    assert fixed.params.shape == (3, 2) and np.all(fixed.params[:, 1] == -0.5) and fixed.converged.all()
    by_values = nce.fit(model, x, y, None, np.array([1.0, 0.0]), log_noise=(NOISE.log_density(x), NOISE.log_density(y)))
    np.testing.assert_array_equal(by_values.params, nce.fit(model, x, y, NOISE, np.array([1.0, 0.0])).params)


def test_gaussian_and_logistic_noises_are_scipy_draw_for_draw():
    """The unconditional noises of theory.noise reproduce scipy.stats' frozen laws bit for bit (the
    NCE checks were written with those)."""
    x = np.zeros((7, 11, 1))
    for ours, scipys in ((nz.Gaussian([0.5], [[1.5**2]]), stats.norm(0.5, 1.5)), (nz.Logistic(0.5, 1.0), stats.logistic(0.5, 1.0))):
        y = ours.sample(x, 1, np.random.default_rng(2))[..., 0, :]
        np.testing.assert_array_equal(y, scipys.rvs(size=x.shape, random_state=np.random.default_rng(2)))
        np.testing.assert_array_equal(ours.log_density(y), scipys.logpdf(y).sum(-1))


def test_invalid_inputs_raise():
    model = models.gaussian_precision()
    x = np.zeros((2, 5, 1))
    with pytest.raises(ValueError, match="trailing dimension"):
        nce.objective(model, np.array([1.0]), x, x, NOISE)
    with pytest.raises(ValueError, match="samples must have shape"):
        nce.objective(model, np.array([1.0, 0.0]), np.zeros(5), x, NOISE)
    with pytest.raises(ValueError, match="finite"):
        nce.objective(model, np.array([np.nan, 0.0]), x, x, NOISE)
    with pytest.raises(ValueError, match="noise_ratio"):
        nce.logit(model, np.array([1.0, 0.0]), x, NOISE, noise_ratio=0.0)
    with pytest.raises(TypeError, match="unconditional"):
        nce.objective(model, np.array([1.0, 0.0]), x, x, nz.LocalGaussian(1.0))


@pytest.mark.parametrize("build", [derivation.optimal_discriminator, derivation.identifiability, derivation.learned_normalizer])
def test_derivations_check(build):
    assert all(result.ok for result in build().check())


@pytest.mark.parametrize("build", [derivation.optimal_discriminator, derivation.identifiability, derivation.learned_normalizer])
def test_derivations_show_what_they_prove(build):
    """No step is a = a as SymPy holds it, and every step on the result's chain says what it rests on."""
    depth = build().depth()
    assert depth.vacuous == ()
    assert depth.annotated and depth.from_definition and depth.placeholders == ()
