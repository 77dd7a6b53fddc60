"""Unit tests of theory.nce (NCE with a learned normalizer, batched Newton) and its derivations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from ebmcheck.derivations import nce as derivation
from ebmcheck.theory import models, nce

NOISE = stats.norm(0.0, 2.0)
LOG_NOISE = lambda z: NOISE.logpdf(z).sum(-1)  # noqa: E731


@given(st.floats(min_value=-1, max_value=1), st.floats(min_value=0.5, max_value=3), st.floats(min_value=-1, max_value=1))
def test_gradient_and_hessian_match_finite_differences(mean, precision, c):
    model = models.gaussian(1)
    rng = np.random.default_rng(3)
    x, y = rng.normal(0.3, 0.7, (40, 1)), NOISE.rvs(size=(60, 1), random_state=rng)
    params = np.array([mean, precision, c])
    value = nce.objective(model, params, x, y, LOG_NOISE)
    step = 1e-6
    for j in range(3):
        shift = np.eye(3)[j] * step
        plus, minus = nce.objective(model, params + shift, x, y, LOG_NOISE), nce.objective(model, params - shift, x, y, LOG_NOISE)
        np.testing.assert_allclose(value.grad[j], (plus.loss - minus.loss) / (2 * step), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(value.hess[:, j], (plus.grad - minus.grad) / (2 * step), rtol=1e-5, atol=1e-6)


def test_batched_fit_converges_per_replicate_and_recovers_log_z():
    model = models.gaussian_precision()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3000, 1)) / 2.0  # precision 4
    y = NOISE.rvs(size=(6, 3000, 1), random_state=rng)
    fit = nce.fit(model, x, y, LOG_NOISE, np.array([1.0, 0.0]))
    assert fit.converged.all() and np.all(fit.grad_norm < 1e-4)
    assert abs(fit.params[:, 1].mean() + 0.5 * np.log(2 * np.pi / 4)) < 0.05
    stuck = nce.fit(model, x, y, LOG_NOISE, np.array([1.0, 0.0]), max_iterations=1)
    assert not stuck.converged.any()  # non-convergence is reported, not hidden


def test_invalid_inputs_raise():
    model = models.gaussian_precision()
    x = np.zeros((2, 5, 1))
    with pytest.raises(ValueError, match="trailing dimension"):
        nce.objective(model, np.array([1.0]), x, x, LOG_NOISE)
    with pytest.raises(ValueError, match="samples must have shape"):
        nce.objective(model, np.array([1.0, 0.0]), np.zeros(5), x, LOG_NOISE)
    with pytest.raises(ValueError, match="finite"):
        nce.objective(model, np.array([np.nan, 0.0]), x, x, LOG_NOISE)
    with pytest.raises(ValueError, match="noise_ratio"):
        nce.logit(model, np.array([1.0, 0.0]), x, LOG_NOISE, noise_ratio=0.0)


@pytest.mark.parametrize("build", [derivation.optimal_discriminator, derivation.identifiability, derivation.learned_normalizer])
def test_derivations_check(build):
    assert all(result.ok for result in build().check())
