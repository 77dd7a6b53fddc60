r"""Noise-contrastive estimation with a learned log-normalizer (seed 000, "Noise Contrastive Estimation").

The model is :math:`\log p_{\theta,c}(x) = \log f_\theta(x) + c`, with :math:`c = -\log Z` a free
parameter (seed 000 treats :math:`Z` as trainable). With an unconditional noise :math:`p_n` (a
:mod:`theory.noise` distribution, normalized) and :math:`\nu = m/n` noise samples per data sample,
the logit is

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

The noise enters only through :math:`\log p_n` at the points, which does not depend on
:math:`(\theta, c)`: every function takes either ``noise`` or the precomputed values
``log_noise`` (:math:`\log p_n` at the points, broadcasting to their shape; e.g. 0 to leave the
noise density out of the logit, as a plain logistic regression does).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from ebmcheck.theory import fitting
from ebmcheck.theory.models import Model
from ebmcheck.theory.noise import is_noise
from ebmcheck.theory.validation import positive_int, real_array, real_scalar


class Terms(NamedTuple):
    """Per-sample loss, gradient and Hessian with respect to ``params = (θ, c)``."""

    loss: np.ndarray  # (..., n)
    grad: np.ndarray  # (..., n, P)
    hess: np.ndarray  # (..., n, P, P)


class EmpiricalLoss(NamedTuple):
    """The empirical NCE loss J, its gradient and Hessian with respect to ``params = (θ, c)``, per replicate."""

    loss: np.ndarray  # (...)
    grad: np.ndarray  # (..., P)
    hess: np.ndarray  # (..., P, P)


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


def _check_noise(noise):
    """An unconditional :mod:`theory.noise` distribution: NCE needs :math:`p_n` at the data points."""
    if not is_noise(noise):
        raise TypeError(
            f"noise must be a theory.noise distribution instance (e.g. noise.Gaussian(mean, covariance)), or give "
            f"log_noise; got {noise!r}"
        )
    if noise.conditional:
        raise TypeError(f"noise must be unconditional (NCE evaluates p_n at the data points); {noise} is conditional: use CNCE")
    return noise


def _log_noise_at(points, noise, log_noise, name: str) -> np.ndarray:
    r""":math:`\log p_n` at ``points`` (..., n, d), from ``noise`` or the given values ``log_noise``
    (broadcasting to (..., n)); exactly one of them must be given."""
    if (noise is None) == (log_noise is None):
        raise TypeError(f"give either noise (a theory.noise distribution) or log_noise (log p_n at {name}), not both or neither")
    if noise is not None:
        return np.asarray(_check_noise(noise).log_density(points), dtype=float)
    values = real_array("log_noise", log_noise, finite=False)
    try:
        fits = np.broadcast_shapes(values.shape, points.shape[:-1]) == points.shape[:-1]
    except ValueError:
        fits = False
    if not fits or np.any(np.isnan(values)):
        raise ValueError(f"log_noise must be log p_n at {name}, broadcasting to shape {points.shape[:-1]}; got shape {values.shape}")
    return values


def _check(model, params, x, name: str = "x") -> tuple[np.ndarray, np.ndarray]:
    _check_model(model)
    params = real_array("params", params)
    if params.ndim == 0 or params.shape[-1] != model.num_params + 1:
        raise ValueError(
            f"params must have trailing dimension p + 1 = {model.num_params + 1} (θ of {model.name} then c), "
            f"got shape {params.shape}"
        )
    return params, _check_samples(model, name, x)


def logit(model, params, x, noise=None, noise_ratio: float = 1.0, *, log_noise=None) -> np.ndarray:
    r""":math:`h(x) = \log f_\theta(x) + c - \log p_n(x) - \log\nu`, shape (..., n).

    Give either ``noise`` or ``log_noise``, the values :math:`\log p_n(x)` (module docstring)."""
    params, x = _check(model, params, x)
    noise_ratio = real_scalar("noise_ratio", noise_ratio, low=0.0, low_inclusive=False)
    log_p_n = _log_noise_at(x, noise, log_noise, "x")
    return model.log_f(x, params[..., None, :-1]) + params[..., None, -1] - log_p_n - np.log(noise_ratio)


def _terms(model, params, x, noise, noise_ratio, log_noise, label: int, name: str) -> Terms:
    params, x = _check(model, params, x, name)
    theta = params[..., None, :-1]
    h = logit(model, params, x, noise, noise_ratio, log_noise=log_noise)
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


def data_terms(model, params, x, noise=None, noise_ratio: float = 1.0, *, log_noise=None) -> Terms:
    r"""Per-data-sample :math:`-\log D(x_i) = \operatorname{softplus}(-h(x_i))` with gradient and Hessian.

    Give either ``noise`` or ``log_noise`` (:math:`\log p_n(x_i)`)."""
    return _terms(model, params, x, noise, noise_ratio, log_noise, 1, "x")


def noise_terms(model, params, y, noise=None, noise_ratio: float = 1.0, *, log_noise=None) -> Terms:
    r"""Per-noise-sample :math:`-\log(1 - D(y_j)) = \operatorname{softplus}(h(y_j))` with gradient and Hessian.

    Give either ``noise`` or ``log_noise`` (:math:`\log p_n(y_j)`)."""
    return _terms(model, params, y, noise, noise_ratio, log_noise, 0, "y")


def _empirical_loss(model, params, x, y, log_noise_x, log_noise_y) -> EmpiricalLoss:
    n, m = x.shape[-2], y.shape[-2]
    ratio = m / n
    data = data_terms(model, params, x, noise_ratio=ratio, log_noise=log_noise_x)
    noise = noise_terms(model, params, y, noise_ratio=ratio, log_noise=log_noise_y)
    return EmpiricalLoss(
        (data.loss.sum(-1) + noise.loss.sum(-1)) / n,
        (data.grad.sum(-2) + noise.grad.sum(-2)) / n,
        (data.hess.sum(-3) + noise.hess.sum(-3)) / n,
    )


def objective(model, params, x, y, noise=None, *, log_noise=None) -> EmpiricalLoss:
    r"""The empirical NCE loss :math:`J` (module docstring) with :math:`\nu = m/n`, its gradient and Hessian.

    Give either ``noise`` or ``log_noise = (log p_n(x), log p_n(y))``."""
    params, x = _check(model, params, x)
    _, y = _check(model, params, y, "y")
    log_noise_x, log_noise_y = _log_noise_pair(x, y, noise, log_noise)
    return _empirical_loss(model, params, x, y, log_noise_x, log_noise_y)


def _log_noise_pair(x, y, noise, log_noise) -> tuple[np.ndarray, np.ndarray]:
    """(log p_n(x), log p_n(y)) from ``noise`` or the pair ``log_noise``."""
    if log_noise is None:
        return _log_noise_at(x, noise, None, "x"), _log_noise_at(y, noise, None, "y")
    if noise is not None or not isinstance(log_noise, (tuple, list)) or len(log_noise) != 2:
        raise TypeError(f"give either noise or log_noise = (log p_n(x), log p_n(y)), a pair; got noise={noise!r}, "
                        f"log_noise of type {type(log_noise).__name__}")
    return _log_noise_at(x, None, log_noise[0], "x"), _log_noise_at(y, None, log_noise[1], "y")


def fit(
    model,
    x,
    y,
    noise,
    init,
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-12,
    fixed_normalizer: float | None = None,
    log_noise=None,
) -> fitting.FitResult:
    r"""Minimize :math:`J` for all replicates at once (batched modified Newton, :func:`theory.fitting.newton`).

    Parameters
    ----------
    x, y : array, shape (R, n, d) and (R, m, d)
        Data and noise samples of R replicates.
    noise : an unconditional :mod:`theory.noise` distribution, or None with ``log_noise``
        The noise the samples ``y`` were drawn from; :math:`\log p_n` is evaluated once.
    init : array, shape (P,) or (R, P)
        Starting ``params = (θ, c)``.
    fixed_normalizer : float, optional
        Hold :math:`c` at this value (NCE *without* a learned normalizer) and fit θ only.
    tolerance, max_iterations
        Convergence when the squared Newton decrement :math:`g^\top H^{-1} g` is below
        ``tolerance·(1 + |J|)``; replicates that do not converge are reported in ``converged`` —
        never silently returned as fits.
    log_noise : pair of arrays, optional
        ``(log p_n(x), log p_n(y))`` in place of ``noise``, broadcasting to (R, n) and (R, m).

    Returns
    -------
    theory.fitting.FitResult
        ``params`` (R, P) with the fixed normalizer in place where one is given.
    """
    _check_model(model)
    x, y = _check_samples(model, "x", x), _check_samples(model, "y", y)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (R, n, d) (replicates, points, dimension), got shape {x.shape}")
    if y.ndim != 3 or y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape (R, m, d) with the R = {x.shape[0]} replicates of x, got shape {y.shape}")
    log_noise_x, log_noise_y = _log_noise_pair(x, y, noise, log_noise)  # θ-free: evaluated once
    log_noise_x, log_noise_y = np.broadcast_to(log_noise_x, x.shape[:-1]), np.broadcast_to(log_noise_y, y.shape[:-1])
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
        return _empirical_loss(model, complete, x[rows], y[rows], log_noise_x[rows], log_noise_y[rows])

    def loss_grad_hess(params, rows):
        value = evaluate(params, rows)
        return value.loss, value.grad[:, free], value.hess[:, free][:, :, free]

    result = fitting.newton(
        loss_grad_hess, lambda params, rows: evaluate(params, rows).loss, full[:, free],
        tolerance=tolerance, max_iterations=max_iterations,
    )
    full[:, free] = result.params
    return result._replace(params=full)
