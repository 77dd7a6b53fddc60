r"""Noise-contrastive estimation with a learned log-normalizer (seed 000, "Noise Contrastive Estimation").

The model is :math:`\log p_{\theta,c}(x) = \log f_\theta(x) + c`, with :math:`c = -\log Z` a free
parameter (seed 000 treats :math:`Z` as trainable). With a noise density :math:`p_n` (normalized,
log-density ``log_noise``) and :math:`\nu = m/n` noise samples per data sample, the logit is

.. math:: h(x) = \log f_\theta(x) + c - \log p_n(x) - \log\nu

(seed 000: :math:`h_{\theta,Z} = f_\theta - \log p_n - \log Z` with :math:`\nu = 1`), and the
empirical loss — the negative of seed 000's :math:`\mathcal L_{NCE}` for :math:`\nu = 1` — is

.. math:: J(\theta, c) = \frac1n\Big[\sum_{i=1}^n \operatorname{softplus}(-h(x_i))
          + \sum_{j=1}^m \operatorname{softplus}(h(y_j))\Big].

Per-sample derivatives with :math:`D = \sigma(h)` and :math:`\partial h = (\nabla_\theta\log f_\theta, 1)`:
data terms have gradient :math:`-(1-D)\,\partial h`, noise terms :math:`D\,\partial h`, and both
have Hessian :math:`D(1-D)\,\partial h\,\partial h^\top \mp (\cdot)\,\partial^2 h` with
:math:`\partial^2 h = \operatorname{diag}(\nabla^2_\theta \log f_\theta, 0)`.

Parameters are packed as ``params = (θ, c)``, shape (..., p + 1). Every function broadcasts
leading axes, so replicates are an array axis: ``x`` (R, n, d), ``y`` (R, m, d), ``params``
(R, p + 1). :func:`fit` minimizes :math:`J` for all replicates at once by damped Newton.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import special

from ebmcheck.theory import fitting
from ebmcheck.theory.models import Model
from ebmcheck.theory.validation import function, positive_int, real_array, real_scalar

LogDensity = Callable[[np.ndarray], np.ndarray]  # x (..., d) -> (...)


class Terms(NamedTuple):
    """Per-sample loss, gradient and Hessian with respect to ``params = (θ, c)``."""

    loss: np.ndarray  # (..., n)
    grad: np.ndarray  # (..., n, P)
    hess: np.ndarray  # (..., n, P, P)


class Objective(NamedTuple):
    """The empirical NCE loss J, its gradient and Hessian, per replicate."""

    loss: np.ndarray  # (...)
    grad: np.ndarray  # (..., P)
    hess: np.ndarray  # (..., P, P)


class Fit(NamedTuple):
    """Result of :func:`fit` for every replicate."""

    params: np.ndarray  # (R, P)
    converged: np.ndarray  # (R,) bool: Newton decrement below tolerance
    iterations: int
    grad_norm: np.ndarray  # (R,)


def _check_model(model) -> Model:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a theory.models.Model, got {model!r}")
    return model


def _check_samples(model, name: str, samples) -> np.ndarray:
    """Samples of shape (..., n, d): finite reals, n >= 1, d the model's dimension."""
    samples = real_array(name, samples)
    if samples.ndim < 2 or samples.shape[-1] != model.dim:
        raise ValueError(f"{name}: samples must have shape (..., n, {model.dim}) for {model.name}, got shape {samples.shape}")
    return samples


def _check_log_noise(log_noise):
    return function("log_noise", log_noise, "x (..., d) -> log p_n(x) (...)")


def _check(model, params, x, name: str = "x") -> tuple[np.ndarray, np.ndarray]:
    _check_model(model)
    params = real_array("params", params)
    if params.ndim == 0 or params.shape[-1] != model.num_params + 1:
        raise ValueError(
            f"params must have trailing dimension p + 1 = {model.num_params + 1} (θ of {model.name} then c), "
            f"got shape {params.shape}"
        )
    return params, _check_samples(model, name, x)


def logit(model, params, x, log_noise: LogDensity, noise_ratio: float = 1.0) -> np.ndarray:
    r""":math:`h(x) = \log f_\theta(x) + c - \log p_n(x) - \log\nu`, shape (..., n)."""
    params, x = _check(model, params, x)
    noise_ratio = real_scalar("noise_ratio", noise_ratio, low=0.0, low_inclusive=False)
    theta = params[..., None, :-1]
    log_p_n = np.asarray(_check_log_noise(log_noise)(x), dtype=float)
    try:
        fits = np.broadcast_shapes(log_p_n.shape, x.shape[:-1]) == x.shape[:-1]
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"log_noise must map x of shape {x.shape} to shape {x.shape[:-1]}, got shape {log_p_n.shape}")
    return model.log_f(x, theta) + params[..., None, -1] - log_p_n - np.log(noise_ratio)


def _terms(model, params, x, log_noise, noise_ratio, label: int, name: str) -> Terms:
    params, x = _check(model, params, x, name)
    theta = params[..., None, :-1]
    h = logit(model, params, x, log_noise, noise_ratio)
    grad_h = np.concatenate([model.grad_theta(x, theta), np.ones(h.shape + (1,))], axis=-1)
    p = model.num_params
    hess_h = np.zeros(h.shape + (p + 1, p + 1))
    hess_h[..., :p, :p] = model.hess_theta(x, theta)
    sign = -1.0 if label == 1 else 1.0  # data: softplus(−h); noise: softplus(h)
    loss = np.logaddexp(0.0, sign * h)
    first = sign * special.expit(sign * h)  # d loss / dh: −(1 − D) for data, D for noise
    second = special.expit(h) * special.expit(-h)
    grad = first[..., None] * grad_h
    hess = second[..., None, None] * grad_h[..., :, None] * grad_h[..., None, :] + first[..., None, None] * hess_h
    return Terms(loss, grad, hess)


def data_terms(model, params, x, log_noise: LogDensity, noise_ratio: float = 1.0) -> Terms:
    r"""Per-data-sample :math:`-\log D(x_i) = \operatorname{softplus}(-h(x_i))` with gradient and Hessian."""
    return _terms(model, params, x, log_noise, noise_ratio, 1, "x")


def noise_terms(model, params, y, log_noise: LogDensity, noise_ratio: float = 1.0) -> Terms:
    r"""Per-noise-sample :math:`-\log(1 - D(y_j)) = \operatorname{softplus}(h(y_j))` with gradient and Hessian."""
    return _terms(model, params, y, log_noise, noise_ratio, 0, "y")


def objective(model, params, x, y, log_noise: LogDensity) -> Objective:
    r"""The empirical NCE loss :math:`J` (module docstring) with :math:`\nu = m/n`, its gradient and Hessian."""
    params, x = _check(model, params, x)
    _, y = _check(model, params, y, "y")
    _check_log_noise(log_noise)
    n, m = x.shape[-2], y.shape[-2]
    ratio = m / n
    data, noise = data_terms(model, params, x, log_noise, ratio), noise_terms(model, params, y, log_noise, ratio)
    return Objective(
        (data.loss.sum(-1) + noise.loss.sum(-1)) / n,
        (data.grad.sum(-2) + noise.grad.sum(-2)) / n,
        (data.hess.sum(-3) + noise.hess.sum(-3)) / n,
    )


def fit(
    model,
    x,
    y,
    log_noise: LogDensity,
    init,
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-12,
    fixed_normalizer: float | None = None,
) -> Fit:
    r"""Minimize :math:`J` for all replicates at once (batched modified Newton, :func:`theory.fitting.newton`).

    Parameters
    ----------
    x, y : array, shape (R, n, d) and (R, m, d)
        Data and noise samples of R replicates.
    init : array, shape (P,) or (R, P)
        Starting ``params = (θ, c)``.
    fixed_normalizer : float, optional
        Hold :math:`c` at this value (NCE *without* a learned normalizer) and fit θ only.
    tolerance, max_iterations
        Convergence when the squared Newton decrement :math:`g^\top H^{-1} g` is below
        ``tolerance·(1 + |J|)``; replicates that do not converge are reported in ``converged`` —
        never silently returned as fits.
    """
    _check_model(model)
    x, y = _check_samples(model, "x", x), _check_samples(model, "y", y)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (R, n, d) (replicates, points, dimension), got shape {x.shape}")
    if y.ndim != 3 or y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape (R, m, d) with the R = {x.shape[0]} replicates of x, got shape {y.shape}")
    _check_log_noise(log_noise)
    max_iterations = positive_int("max_iterations", max_iterations)
    tolerance = real_scalar("tolerance", tolerance, low=0.0, low_inclusive=False)
    if fixed_normalizer is not None:
        fixed_normalizer = real_scalar("fixed_normalizer", fixed_normalizer)
    replicates = x.shape[0]
    size = model.num_params + 1
    init = real_array("init", init, ndim=(1, 2), shape=(size,))
    if init.ndim == 2 and init.shape[0] not in (1, replicates):
        raise ValueError(f"init must have shape ({size},) or (R, {size}) with R = {replicates}, got shape {init.shape}")
    full = np.broadcast_to(init, (replicates, size)).copy()
    free = np.arange(size) if fixed_normalizer is None else np.arange(size - 1)
    if fixed_normalizer is not None:
        full[:, -1] = fixed_normalizer

    def evaluate(params, rows):
        complete = full[rows].copy()
        complete[:, free] = params
        return objective(model, complete, x[rows], y[rows], log_noise)

    def loss_grad_hess(params, rows):
        value = evaluate(params, rows)
        return value.loss, value.grad[:, free], value.hess[:, free][:, :, free]

    result = fitting.newton(
        loss_grad_hess, lambda params, rows: evaluate(params, rows).loss, full[:, free],
        tolerance=tolerance, max_iterations=max_iterations,
    )
    full[:, free] = result.params
    _, grad, _ = loss_grad_hess(result.params, np.arange(replicates))
    return Fit(full, result.converged, int(result.iterations.max()), np.linalg.norm(grad, axis=-1))
