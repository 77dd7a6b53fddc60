r"""Conditional noise-contrastive estimation (CNCE): per-sample loss, θ-derivatives, batched Newton fit.

Seed 004 (CNCE paper), eqs. 13 and 24: with :math:`N_d` data points :math:`x_i \sim p_d` and
:math:`K` noise points :math:`y_{ij} \sim p_n(\cdot\mid x_i)` per data point,

.. math:: \mathcal L_N(\theta) = \frac{-2}{N_d K}\sum_{i=1}^{N_d}\sum_{j=1}^{K}
          \log\sigma\big(F_\theta(x_i, y_{ij})\big), \qquad
          F_\theta(x,y) = \log f(x;\theta) - \log f(y;\theta) + \log p_n(y\mid x) - \log p_n(x\mid y).

Per pair, with :math:`g = \nabla_\theta \log f` and :math:`h = \nabla^2_\theta \log f` (from the
model's SymPy definition), :math:`\nabla_\theta F = g(x) - g(y)` and
:math:`\nabla^2_\theta F = h(x) - h(y)`; the loss :math:`\ell(F) = -2\log\sigma(F)` has
:math:`\ell'(F) = -2\sigma(-F)` and :math:`\ell''(F) = 2\sigma(F)\sigma(-F)` (derived and
checked in :mod:`derivations.cnce`, eqs. 25–33), so

.. math:: \nabla_\theta \ell = -2\sigma(-F)\,\nabla_\theta F, \qquad
          \nabla^2_\theta \ell = -2\sigma(-F)\,\nabla^2_\theta F + 2\sigma(F)\sigma(-F)\,
          \nabla_\theta F\,\nabla_\theta F^\top.

The sigmoid and :math:`\log\sigma` are evaluated in overflow-free form
(:math:`\log\sigma(F) = -\mathrm{softplus}(-F)`).

Array conventions (batch axes lead, e.g. replicates): ``theta`` (*B, p), ``x`` (*B, n, d),
``y`` (*B, n, K, d); per-pair results are (*B, n, K[, p[, p]]), means over the pairs (*B[, p[, p]]).
``xp`` is the array namespace (numpy or cupy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory import fitting

Array = np.ndarray


# ---- overflow-free logistic functions -----------------------------------------------------------
def softplus(u, xp=np):
    r""":math:`\log(1 + e^u)` without overflow."""
    return xp.maximum(u, 0.0) + xp.log1p(xp.exp(-xp.abs(u)))


def sigmoid(u, xp=np):
    r""":math:`\sigma(u) = 1/(1+e^{-u})` without overflow."""
    return xp.exp(-softplus(-u, xp))


# ---- input validation ----------------------------------------------------------------------------
def _prepare(model, theta, x, y, xp):
    theta = xp.asarray(theta, dtype=float)
    x = xp.asarray(x, dtype=float)
    y = xp.asarray(y, dtype=float)
    p, d = model.num_params, model.dim
    if theta.ndim < 1 or theta.shape[-1] != p:
        raise ValueError(f"theta must have shape (..., {p}) for model {model.name}, got {tuple(theta.shape)}")
    if x.ndim < 2 or x.shape[-1] != d:
        raise ValueError(f"x must have shape (..., n, {d}) for model {model.name}, got {tuple(x.shape)}")
    if y.ndim < 3 or y.shape[-1] != d:
        raise ValueError(f"y must have shape (..., n, K, {d}) (K noise points per data point), got {tuple(y.shape)}")
    if y.shape[-3] != x.shape[-2] and x.shape[-2] != 1 and y.shape[-3] != 1:
        raise ValueError(f"x has n={x.shape[-2]} data points but y has {y.shape[-3]} rows of noise points")
    return theta, x, y


def noise_log_ratio(noise, x, y, xp=np):
    r""":math:`\log p_n(y\mid x) - \log p_n(x\mid y)`, shape (*B, n, K); 0 for a symmetric noise.

    It does not depend on θ, so a fit computes it once. ``noise`` must be bound
    (:meth:`bind`) for an :class:`~theory.noise.Oracle`.
    """
    x = xp.asarray(x, dtype=float)
    y = xp.asarray(y, dtype=float)
    xb = x[..., :, None, :]
    if getattr(noise, "symmetric", False):
        return xp.zeros(np.broadcast_shapes(xb.shape[:-1], y.shape[:-1]))
    return noise.log_prob(y, xb, xp) - noise.log_prob(xb, y, xp)


def log_ratio(model, theta, x, y, noise=None, *, noise_term=None, xp=np):
    r""":math:`F_\theta(x_i, y_{ij})`, shape (*B, n, K) (seed 004, eq. 24).

    Give either ``noise`` or a precomputed ``noise_term`` (:func:`noise_log_ratio`).
    """
    theta, x, y = _prepare(model, theta, x, y, xp)
    if noise_term is None:
        if noise is None:
            raise ValueError("give noise (a theory.noise distribution) or noise_term")
        noise_term = noise_log_ratio(noise, x, y, xp)
    th = theta[..., None, None, :]
    return model.log_f(x[..., :, None, :], th, xp) - model.log_f(y, th, xp) + noise_term


def _grad_F(model, theta, x, y, xp):
    th = theta[..., None, None, :]
    return model.grad_theta(x[..., :, None, :], th, xp) - model.grad_theta(y, th, xp)


def per_sample_loss(model, theta, x, y, noise=None, *, noise_term=None, xp=np):
    r""":math:`\ell = -2\log\sigma(F_\theta(x_i,y_{ij}))`, shape (*B, n, K)."""
    return 2.0 * softplus(-log_ratio(model, theta, x, y, noise, noise_term=noise_term, xp=xp), xp)


def per_sample_gradient(model, theta, x, y, noise=None, *, noise_term=None, xp=np):
    r""":math:`s = -2\sigma(-F)\nabla_\theta F` (eqs. 25–29 with the factor −2), shape (*B, n, K, p)."""
    theta, x, y = _prepare(model, theta, x, y, xp)
    F = log_ratio(model, theta, x, y, noise, noise_term=noise_term, xp=xp)
    return -2.0 * sigmoid(-F, xp)[..., None] * _grad_F(model, theta, x, y, xp)


def per_sample_hessian(model, theta, x, y, noise=None, *, noise_term=None, xp=np):
    r""":math:`-2\sigma(-F)\nabla^2_\theta F + 2\sigma(F)\sigma(-F)\nabla_\theta F\nabla_\theta F^\top`
    (eqs. 30–34), shape (*B, n, K, p, p)."""
    theta, x, y = _prepare(model, theta, x, y, xp)
    F = log_ratio(model, theta, x, y, noise, noise_term=noise_term, xp=xp)
    th = theta[..., None, None, :]
    grad_F = _grad_F(model, theta, x, y, xp)
    hess_F = model.hess_theta(x[..., :, None, :], th, xp) - model.hess_theta(y, th, xp)
    return (-2.0 * sigmoid(-F, xp))[..., None, None] * hess_F + (2.0 * sigmoid(F, xp) * sigmoid(-F, xp))[
        ..., None, None
    ] * grad_F[..., :, None] * grad_F[..., None, :]


def loss_gradient_hessian(model, theta, x, y, noise=None, *, noise_term=None, xp=np):
    r"""Empirical loss :math:`\mathcal L_N`, gradient :math:`J_N` and Hessian :math:`H_N`, means over (n, K).

    Shapes (*B,), (*B, p), (*B, p, p). The outer-product part of the Hessian is contracted
    without materialising per-pair matrices.
    """
    theta, x, y = _prepare(model, theta, x, y, xp)
    if noise_term is None:
        if noise is None:
            raise ValueError("give noise (a theory.noise distribution) or noise_term")
        noise_term = noise_log_ratio(noise, x, y, xp)
    th = theta[..., None, None, :]
    F = model.log_f(x[..., :, None, :], th, xp) - model.log_f(y, th, xp) + noise_term
    count = F.shape[-1] * F.shape[-2]
    grad_F = _grad_F(model, theta, x, y, xp)  # (*B, n, K, p)
    log_sigma_minus = softplus(-F, xp)  # −log σ(F), once; σ(F) = e^{−it}, σ(−F) = e^{−(it + F)}
    sigma_plus, sigma_minus = xp.exp(-log_sigma_minus), xp.exp(-(log_sigma_minus + F))
    first = -2.0 * sigma_minus  # ℓ'(F)
    second = 2.0 * sigma_plus * sigma_minus  # ℓ''(F)
    loss = xp.sum(2.0 * log_sigma_minus, axis=(-2, -1)) / count
    # Sums over the (n, K) pairs as batched matrix products: g is (*B, nK, p).
    p = grad_F.shape[-1]
    pairs = grad_F.shape[:-3] + (count,)
    g = xp.reshape(grad_F, pairs + (p,))
    gradient = _weighted_sum(xp.reshape(first, pairs), g, xp) / count
    hessian = xp.matmul(xp.swapaxes(g * xp.reshape(second, pairs)[..., None], -1, -2), g)
    if not model.hess_theta_expr.is_zero_matrix:  # log f linear in θ (exponential family): ∇²F = 0
        # Σ_{n,k} ℓ'(F)(∇²log f(x_n) − ∇²log f(y_nk)) = Σ_n (Σ_k ℓ'(F)) ∇²log f(x_n) − Σ_{n,k} ℓ'(F) ∇²log f(y_nk)
        hess_x = model.hess_theta(x, theta[..., None, :], xp)  # (*B, n, p, p)
        hess_y = model.hess_theta(y, th, xp)  # (*B, n, K, p, p)
        hessian = hessian + xp.reshape(
            _weighted_sum(xp.sum(first, axis=-1), xp.reshape(hess_x, hess_x.shape[:-2] + (p * p,)), xp)
            - _weighted_sum(xp.reshape(first, pairs), xp.reshape(hess_y, pairs + (p * p,)), xp),
            hessian.shape,
        )
    hessian = hessian / count
    return loss, gradient, hessian


def _mean_gradient(model, theta, x, y, *, noise_term, xp=np):
    """The empirical gradient :math:`J_N` alone, (*B, p)."""
    return xp.mean(per_sample_gradient(model, theta, x, y, noise_term=noise_term, xp=xp), axis=(-3, -2))


def _weighted_sum(weights, values, xp):
    r""":math:`\sum_m w_m v_m` over the second-to-last axis of ``values`` (*B, M, q), as a matrix product."""
    return xp.matmul(weights[..., None, :], values)[..., 0, :]


def loss(model, theta, x, y, noise=None, *, noise_term=None, xp=np):
    """Empirical CNCE loss (eq. 13), shape (*B,)."""
    return xp.mean(per_sample_loss(model, theta, x, y, noise, noise_term=noise_term, xp=xp), axis=(-2, -1))


# ---- batched Newton ------------------------------------------------------------------------------
_BLOCK_PAIRS = 2**20


def in_blocks(function, model, theta, x, y, noise_term, *, xp=np):
    """``function(model, theta, x, y, noise_term=..., xp=xp)`` over blocks of replicates (leading axis).

    Each block holds about 2²⁰ (data, noise) pairs, so the temporaries stay a few MB instead of
    GBs (measured: a fit at R = 2000, N_d = 2000, K = 4 takes a fifth less time). The results,
    an array or a tuple of arrays with the replicate axis first, are concatenated.
    """
    block = max(1, _BLOCK_PAIRS // (y.shape[1] * y.shape[2]))
    parts = [
        function(model, theta[i : i + block], x[i : i + block], y[i : i + block], noise_term=noise_term[i : i + block], xp=xp)
        for i in range(0, x.shape[0], block)
    ]
    if isinstance(parts[0], tuple):
        return tuple(xp.concatenate(part) for part in zip(*parts))
    return xp.concatenate(parts)
@dataclass(frozen=True)
class CNCEFit:
    """Result of :func:`fit_cnce`: one row per replicate."""

    theta: Array  # (R, p) estimates (last iterate where not converged)
    converged: Array  # (R,) bool
    iterations: Array  # (R,) Newton iterations used
    gradient_norm: Array  # (R,) max-norm of the empirical gradient at the estimate
    loss: Array  # (R,) empirical loss at the estimate

    @property
    def num_failed(self) -> int:
        return int(np.size(self.converged) - np.count_nonzero(self.converged))


def fit_cnce(
    model,
    theta0,
    x,
    y,
    noise,
    *,
    tol: float = 1e-14,
    max_iter: int = 50,
    xp=np,
) -> CNCEFit:
    r"""Minimise the empirical CNCE loss (eq. 13) for every replicate at once (:func:`theory.fitting.newton`).

    Parameters
    ----------
    model : theory.models.Model
    theta0 : array, shape (p,) or (R, p)
        Starting point(s) (e.g. the true parameter).
    x : array, shape (R, n, d)
        R replicate data sets of n points.
    y : array, shape (R, n, K, d)
        K noise points per data point (from ``noise.sample(x, K, rng)``).
    noise : a :mod:`theory.noise` distribution, bound to the data distribution if it refers to it.
    tol : float
        Convergence: squared Newton decrement below ``tol·(1 + |loss|)``.
    max_iter : int

    Returns
    -------
    CNCEFit
        Replicates that did not converge keep their last iterate and ``converged = False``;
        nothing is dropped.

    Notes
    -----
    Replicates form an array axis (no Python loop over replicates); each iteration evaluates
    :func:`loss_gradient_hessian` on the active replicates only. The noise log-ratio does not
    depend on θ and is computed once.
    """
    if not (float(tol) > 0):
        raise ValueError(f"tol={tol!r} must be > 0")
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter={max_iter!r} must be a positive integer")
    x = xp.asarray(x, dtype=float)
    y = xp.asarray(y, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (R, n, d) (replicates, points, dimension), got {tuple(x.shape)}")
    if y.ndim != 4 or y.shape[:2] != x.shape[:2]:
        raise ValueError(f"y must have shape (R, n, K, d) = ({x.shape[0]}, {x.shape[1]}, K, {x.shape[2]}), got {tuple(y.shape)}")
    replicates = x.shape[0]
    theta = xp.broadcast_to(xp.asarray(theta0, dtype=float), (replicates, model.num_params))
    _prepare(model, theta, x, y, xp)
    noise_term = noise_log_ratio(noise, x, y, xp)

    def select(rows):  # all replicates: the arrays themselves, not a fancy-indexed copy
        return slice(None) if len(rows) == replicates else rows

    def loss_grad_hess(th, rows):
        s = select(rows)
        return in_blocks(loss_gradient_hessian, model, th, x[s], y[s], noise_term[s], xp=xp)

    def loss_only(th, rows):
        s = select(rows)
        return in_blocks(loss, model, th, x[s], y[s], noise_term[s], xp=xp)

    result = fitting.newton(loss_grad_hess, loss_only, theta, tolerance=tol, max_iterations=max_iter, xp=xp)
    with np.errstate(over="ignore", invalid="ignore"):
        gradient = in_blocks(_mean_gradient, model, xp.asarray(result.params), x, y, noise_term, xp=xp)
    return CNCEFit(
        theta=result.params,
        converged=result.converged,
        iterations=result.iterations,
        gradient_norm=fitting.to_host(xp.max(xp.abs(gradient), axis=-1)),
        loss=result.loss,
    )
