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
The array namespace is the inputs' (:func:`theory.backend.namespace`: numpy, cupy, array-api-strict):
``theta``, ``x``, ``y`` and an array ``noise_term`` of two different libraries are a ``TypeError``.

The per-pair functions above are the readable reference. The fit uses :func:`loss_gradient_hessian`
(and :func:`loss`, :func:`loss_and_gradient`), which evaluate the same means faster: the
differences :math:`\log f(x) - \log f(y)` and their θ-derivatives are formed symbolically and
compiled as one function (:func:`pair_derivatives`), the logistic terms come from one exponential
per pair, and sums over pairs are dot products. Tests hold the two against each other.
"""

from __future__ import annotations

import functools
import itertools

import array_api_compat
import numpy as np
import sympy as sp

from ebmcheck.theory import fitting
from ebmcheck.theory.backend import namespace, to_host
from ebmcheck.theory.models import Model
from ebmcheck.theory.noise import is_noise
from ebmcheck.theory.symbolic import compile_expression
from ebmcheck.theory.validation import positive_int, real_array, real_scalar


# ---- overflow-free logistic functions -----------------------------------------------------------
def softplus(u):
    r""":math:`\log(1 + e^u) = \max(u, 0) + \log(1 + e^{-|u|})`, without overflow; on ``u``'s namespace."""
    xp = namespace(u)
    return xp.maximum(u, 0.0) + xp.log1p(xp.exp(-xp.abs(u)))


def sigmoid(u):
    r""":math:`\sigma(u) = 1/(1+e^{-u}) = e^{-\mathrm{softplus}(-u)}`, without overflow; on ``u``'s namespace."""
    return namespace(u).exp(-softplus(-u))


# ---- input validation ----------------------------------------------------------------------------
def _arrays(*values):
    """``(xp, arrays)``: the values as float64 arrays of their one namespace (lists become numpy arrays)."""
    values = [v if hasattr(v, "__array_namespace__") else np.asarray(v, dtype=float) for v in values]
    xp = namespace(*values)
    return xp, [xp.asarray(v, dtype=xp.float64) for v in values]


def _prepare(model, theta, x, y):
    """``(xp, theta, x, y)`` on the inputs' namespace, with the shapes checked against ``model``."""
    xp, (theta, x, y) = _arrays(theta, x, y)
    p, d = model.num_params, model.dim
    if theta.ndim < 1 or theta.shape[-1] != p:
        raise ValueError(f"theta must have shape (..., {p}) for model {model.name}, got {tuple(theta.shape)}")
    if x.ndim < 2 or x.shape[-1] != d:
        raise ValueError(f"x must have shape (..., n, {d}) for model {model.name}, got {tuple(x.shape)}")
    if y.ndim < 3 or y.shape[-1] != d:
        raise ValueError(f"y must have shape (..., n, K, {d}) (K noise points per data point), got {tuple(y.shape)}")
    if y.shape[-3] != x.shape[-2] and x.shape[-2] != 1 and y.shape[-3] != 1:
        raise ValueError(f"x has n={x.shape[-2]} data points but y has {y.shape[-3]} rows of noise points")
    return xp, theta, x, y


def _check_arguments(model, theta, x, y, noise=None, noise_term=None, *, need_noise=True):
    """Type, finiteness and shape checks of a public CNCE function's arguments (before any arithmetic).

    ``model`` a :class:`~theory.models.Model`; ``theta`` (..., p), ``x`` (..., n, d), ``y``
    (..., n, K, d) finite real arrays; ``noise`` a :mod:`theory.noise` distribution, or
    ``noise_term`` a finite real array (or scalar) broadcasting to (..., n, K)."""
    if not isinstance(model, Model):
        raise TypeError(f"model must be a theory.models.Model, got {model!r}")
    p, d = model.num_params, model.dim
    real_array("theta", theta, shape=(p,))
    x_checked = real_array("x", x, shape=(d,))
    if x_checked.ndim < 2:
        raise ValueError(f"x must have shape (..., n, {d}) for model {model.name}, got {tuple(x_checked.shape)}")
    y_checked = real_array("y", y, shape=(d,))
    if y_checked.ndim < 3:
        raise ValueError(f"y must have shape (..., n, K, {d}) (K noise points per data point), got {tuple(y_checked.shape)}")
    if noise_term is not None:
        term = real_array("noise_term", noise_term)
        try:
            np.broadcast_shapes(tuple(term.shape), tuple(y_checked.shape[:-1]))
        except ValueError:
            raise ValueError(
                f"noise_term must broadcast to the pairs' shape (..., n, K) = {tuple(y_checked.shape[:-1])}, "
                f"got shape {tuple(term.shape)}"
            ) from None
    elif need_noise and not is_noise(noise):
        raise TypeError(
            f"noise must be a theory.noise distribution (with sample, log_density, bind), or give noise_term; got {noise!r}"
        )


def noise_log_ratio(noise, x, y):
    r""":math:`\log p_n(y\mid x) - \log p_n(x\mid y)`, shape (*B, n, K); 0 for a symmetric noise.

    It does not depend on θ, so a fit computes it once. ``noise`` must be bound
    (:meth:`bind`) for an :class:`~theory.noise.Oracle`. On the namespace of ``x`` and ``y``.
    """
    xp, (x, y) = _arrays(x, y)
    xb = x[..., :, None, :]
    if getattr(noise, "symmetric", False):
        return xp.zeros(np.broadcast_shapes(tuple(xb.shape[:-1]), tuple(y.shape[:-1])), dtype=xp.float64)
    return noise.log_density(y, xb) - noise.log_density(xb, y)


def log_ratio(model, theta, x, y, noise=None, *, noise_term=None):
    r""":math:`F_\theta(x_i, y_{ij})`, shape (*B, n, K) (seed 004, eq. 24).

    Give either ``noise`` or a precomputed ``noise_term`` (:func:`noise_log_ratio`).
    """
    _check_arguments(model, theta, x, y, noise, noise_term)
    _, theta, x, y = _prepare(model, theta, x, y)
    if noise_term is None:
        if noise is None:
            raise ValueError("give noise (a theory.noise distribution) or noise_term")
        noise_term = noise_log_ratio(noise, x, y)
    th = theta[..., None, None, :]
    return model.log_f(x[..., :, None, :], th) - model.log_f(y, th) + noise_term


def _grad_F(model, theta, x, y):
    th = theta[..., None, None, :]
    return model.grad_theta(x[..., :, None, :], th) - model.grad_theta(y, th)


def per_sample_loss(model, theta, x, y, noise=None, *, noise_term=None):
    r""":math:`\ell = -2\log\sigma(F_\theta(x_i,y_{ij}))`, shape (*B, n, K)."""
    _check_arguments(model, theta, x, y, noise, noise_term)
    return 2.0 * softplus(-log_ratio(model, theta, x, y, noise, noise_term=noise_term))


def per_sample_gradient(model, theta, x, y, noise=None, *, noise_term=None):
    r""":math:`s = -2\sigma(-F)\nabla_\theta F` (eqs. 25–29 with the factor −2), shape (*B, n, K, p)."""
    _check_arguments(model, theta, x, y, noise, noise_term)
    _, theta, x, y = _prepare(model, theta, x, y)
    F = log_ratio(model, theta, x, y, noise, noise_term=noise_term)
    return -2.0 * sigmoid(-F)[..., None] * _grad_F(model, theta, x, y)


def per_sample_hessian(model, theta, x, y, noise=None, *, noise_term=None):
    r""":math:`-2\sigma(-F)\nabla^2_\theta F + 2\sigma(F)\sigma(-F)\nabla_\theta F\nabla_\theta F^\top`
    (eqs. 30–34), shape (*B, n, K, p, p)."""
    _check_arguments(model, theta, x, y, noise, noise_term)
    _, theta, x, y = _prepare(model, theta, x, y)
    F = log_ratio(model, theta, x, y, noise, noise_term=noise_term)
    th = theta[..., None, None, :]
    grad_F = _grad_F(model, theta, x, y)
    hess_F = model.hess_theta(x[..., :, None, :], th) - model.hess_theta(y, th)
    return (-2.0 * sigmoid(-F))[..., None, None] * hess_F + (2.0 * sigmoid(F) * sigmoid(-F))[
        ..., None, None
    ] * grad_F[..., :, None] * grad_F[..., None, :]


def loss_gradient_hessian(model, theta, x, y, noise=None, *, noise_term=None):
    r"""Empirical loss :math:`\mathcal L_N`, gradient :math:`J_N` and Hessian :math:`H_N`, means over (n, K).

    Shapes (*B,), (*B, p), (*B, p, p). With :math:`M = N_d K` pairs,

    .. math:: J_N = -\frac2M\sum \sigma(-F)\,\nabla_\theta F, \qquad
              H_N = \frac2M\sum \big[\sigma(F)\sigma(-F)\,\nabla_\theta F\,\nabla_\theta F^\top
              - \sigma(-F)\,\nabla^2_\theta F\big],

    each entry a weighted sum over the pairs (a dot product), never a per-pair matrix. The
    pair quantities come from :func:`pair_derivatives` (one compiled function, shared
    subexpressions, only the non-zero entries of :math:`\nabla^2_\theta F`).
    """
    _check_arguments(model, theta, x, y, noise, noise_term)
    return _loss_gradient_hessian(model, theta, x, y, noise, noise_term=noise_term)


def _loss_gradient_hessian(model, theta, x, y, noise=None, *, noise_term=None):
    """:func:`loss_gradient_hessian` without the argument checks (for the Newton loop)."""
    F, grad_F, hess_F, pairs = _pair_terms(model, theta, x, y, noise, noise_term, 2)
    softplus_sum, sigma_minus, sigma_product = _logistic_terms(F)
    xp, p = namespace(F), len(grad_F)
    gradient = xp.stack([_dot(g, sigma_minus) for g in grad_F], axis=-1) * (-2.0 / pairs)
    hessian = xp.empty(tuple(gradient.shape) + (p,), dtype=xp.float64)
    for i in range(p):
        weighted = grad_F[i] * sigma_product
        for j in range(i, p):
            hessian[..., i, j] = hessian[..., j, i] = _dot(weighted, grad_F[j])
    for (i, j), entry in hess_F.items():
        term = _dot(entry, sigma_minus)
        hessian[..., i, j] -= term
        if i != j:
            hessian[..., j, i] -= term
    return softplus_sum * (2.0 / pairs), gradient, hessian * (2.0 / pairs)


def loss_and_gradient(model, theta, x, y, noise=None, *, noise_term=None):
    r"""Empirical loss :math:`\mathcal L_N` (*B,) and gradient :math:`J_N` (*B, p), for gradient-based optimisers.

    The same evaluation as :func:`loss_gradient_hessian` without the Hessian.
    """
    _check_arguments(model, theta, x, y, noise, noise_term)
    F, grad_F, _, pairs = _pair_terms(model, theta, x, y, noise, noise_term, 1)
    softplus_sum, sigma_minus, _ = _logistic_terms(F, with_product=False)
    gradient = namespace(F).stack([_dot(g, sigma_minus) for g in grad_F], axis=-1) * (-2.0 / pairs)
    return softplus_sum * (2.0 / pairs), gradient


def _pair_terms(model, theta, x, y, noise, noise_term, order):
    """F (*B, M), its θ-gradient entries [(*B, M)] and non-zero θ-Hessian entries {(i, j): (*B, M)}, with M = nK."""
    xp, theta, x, y = _prepare(model, theta, x, y)
    if noise_term is None:
        if noise is None:
            raise ValueError("give noise (a theory.noise distribution) or noise_term")
        noise_term = 0.0 if getattr(noise, "symmetric", False) else noise_log_ratio(noise, x, y)
    function, hessian_entries = pair_derivatives(model, order, xp)
    xb, th = x[..., :, None, :], theta[..., None, None, :]
    values = function(*[xb[..., i] for i in range(model.dim)], *[y[..., i] for i in range(model.dim)], *[th[..., j] for j in range(model.num_params)])
    shape = np.broadcast_shapes(*(tuple(a.shape[:-1]) for a in (xb, y, th)), tuple(getattr(noise_term, "shape", ())))
    flat = shape[:-2] + (shape[-2] * shape[-1],)

    def pairwise(value):  # (*B, M); a constant (e.g. a structural zero) or a smaller array is broadcast
        if getattr(value, "shape", None) != shape:
            value = xp.broadcast_to(xp.asarray(value, dtype=xp.float64), shape)
        return xp.reshape(value, flat)

    F = values[0] + noise_term if getattr(noise_term, "ndim", 0) or noise_term != 0 else values[0]
    p = model.num_params
    grad_F = [pairwise(v) for v in values[1 : 1 + p]] if order >= 1 else None
    hess_F = {ij: pairwise(v) for ij, v in zip(hessian_entries, values[1 + p :])} if order >= 2 else None
    return pairwise(F), grad_F, hess_F, flat[-1]


_PRODUCT_GROUP = 512  # pairs whose factors 1 + e ∈ (1, 2] are multiplied before one log: ≤ 2^512, no overflow


def _logistic_terms(F, with_product=True):
    r"""(:math:`\sum -\log\sigma(F)` over the last axis, :math:`\sigma(-F)`, :math:`\sigma(F)\sigma(-F)`).

    With :math:`e = e^{-|F|} \in (0, 1]`, from one exponential per pair and no overflow for any F:
    :math:`-\log\sigma(F) = \max(-F, 0) + \log(1 + e)`; :math:`\sigma(-F) = e/(1+e)` where
    :math:`F \ge 0` and :math:`1/(1+e)` elsewhere; :math:`\sigma(F)\sigma(-F) = e/(1+e)^2`.
    The sum of :math:`\log(1+e)` is taken as the log of products of 512 factors (each in
    (1, 2], so a product stays below :math:`2^{512}`): one log per 512 pairs instead of one per
    pair, which halves the transcendental work. The error is absolute: about 512 ulp per group
    (~1e-16 per pair), and a factor 1 + e with e below ~1e-16 counts as 1. So a sum of tiny terms
    (every F above ~35, a loss near 0) loses its relative accuracy, which ``log1p`` would keep;
    losses of order one, as in any fit, are exact to rounding. Arrays are updated in place where
    the array API allows it (operators such as ``*=``); numpy's ``out=`` ufuncs were measured to
    give the same evaluation time (R = 600, N_d = 1000, K = 4).
    """
    xp = namespace(F)
    e = xp.abs(F)
    e *= -1.0
    e = xp.exp(e)  # e^{−|F|}
    one_plus_e = e + 1.0
    softplus_sum = _sum_of_logs(one_plus_e) - xp.sum(xp.minimum(F, 0.0), axis=-1)
    inverse = 1.0 / one_plus_e  # σ(|F|)
    e *= inverse  # σ(−|F|)
    product = e * inverse if with_product else None  # σ(F)σ(−F) = σ(|F|)σ(−|F|)
    return softplus_sum, xp.where(F >= 0, e, inverse), product  # σ(−F)


def _sum_of_logs(factors):
    """Σ log over the last axis of factors in (1, 2]: logs of products of :data:`_PRODUCT_GROUP` on numpy;
    one log per factor on other namespaces (the array API has no ``reduceat``)."""
    if array_api_compat.is_numpy_array(factors):
        groups = np.arange(0, factors.shape[-1], _PRODUCT_GROUP)
        return np.sum(np.log(np.multiply.reduceat(factors, groups, axis=-1)), axis=-1)
    xp = namespace(factors)
    return xp.sum(xp.log(factors), axis=-1)


def _dot(a, b):
    r""":math:`\sum_m a_m b_m` over the last axis of two (*B, M) arrays, as a batched matrix product."""
    return namespace(a, b).matmul(a[..., None, :], b[..., :, None])[..., 0, 0]


@functools.lru_cache(maxsize=None)
def _compiled_pair_derivatives(log_f, x_symbols, theta_symbols, order, xp):
    y_symbols = tuple(sp.Dummy(f"y_{s}") for s in x_symbols)
    at_y = dict(zip(x_symbols, y_symbols))

    def difference(expr):  # g(x) − g(y): terms free of x cancel structurally (sympy's Add)
        # Common factors pulled out (θ(y² − x²)/2, not θy²/2 − θx²/2): fewer array operations.
        return sp.factor_terms(expr - expr.xreplace(at_y))

    outputs = [difference(log_f)]
    gradient = [sp.diff(log_f, t) for t in theta_symbols]
    if order >= 1:
        outputs += [difference(g) for g in gradient]
    entries = []
    if order >= 2:
        for i, j in itertools.combinations_with_replacement(range(len(theta_symbols)), 2):
            entry = difference(sp.diff(gradient[i], theta_symbols[j]))
            if entry != 0:
                entries.append((i, j))
                outputs.append(entry)
    function = compile_expression(x_symbols + y_symbols + theta_symbols, outputs, xp)
    return function, tuple(entries)


def pair_derivatives(model, order: int = 2, xp=None):
    r"""Compile :math:`F^0_\theta(x, y) = \log f(x;\theta) - \log f(y;\theta)` and its θ-derivatives.

    Returns ``(function, hessian_entries)``: ``function(x_1..x_d, y_1..y_d, θ_1..θ_p)`` gives the
    list [:math:`F^0`, :math:`\partial_1 F^0 .. \partial_p F^0` (order ≥ 1), then the entries
    :math:`\partial_i\partial_j F^0`, i ≤ j, listed in ``hessian_entries`` (order 2)]. The
    differences are formed symbolically, so whatever does not depend on x cancels before any
    arithmetic (e.g. :math:`\partial^2_\Lambda F = 0` and :math:`\partial_\mu\partial_\Lambda F = x - y`
    for a Gaussian), common factors are pulled out (``sympy.factor_terms``), and one compiled
    function shares subexpressions across all outputs.
    The noise term of :math:`F_\theta` does not depend on θ and is added by the caller.
    ``function`` is compiled for the namespace ``xp``, or without it takes its arguments' namespace
    (:func:`theory.symbolic.compile_expression`).
    """
    if order not in (0, 1, 2):
        raise ValueError(f"order={order!r} must be 0 (F), 1 (F and gradient) or 2 (and Hessian)")
    return _compiled_pair_derivatives(model.log_f_expr, model.x, model.theta, order, xp)


def loss(model, theta, x, y, noise=None, *, noise_term=None):
    r"""Empirical CNCE loss (eq. 13) :math:`\frac{2}{M}\sum -\log\sigma(F)` over the M = nK pairs, shape (*B,).

    Equal to :func:`loss_gradient_hessian`'s to rounding.
    """
    _check_arguments(model, theta, x, y, noise, noise_term)
    return _loss(model, theta, x, y, noise, noise_term=noise_term)


def _loss(model, theta, x, y, noise=None, *, noise_term=None):
    """:func:`loss` without the argument checks (for the Newton line search)."""
    F, _, _, pairs = _pair_terms(model, theta, x, y, noise, noise_term, 0)
    softplus_sum, _, _ = _logistic_terms(F, with_product=False)  # as in the Newton evaluation
    return softplus_sum * (2.0 / pairs)


# ---- batched Newton ------------------------------------------------------------------------------
def _block_pairs(xp) -> int:
    """(data, noise) pairs per block: 2¹⁶ on numpy (the CPU), where a block's temporaries (512 kB
    each) then stay in cache (measured at R = 2000, N_d = 2000, K = 4: one evaluation 0.75 s
    against 1.1 s with 2²⁰-pair blocks); 2²² on other namespaces (a GPU), where fewer, larger kernels pay."""
    return 2**16 if array_api_compat.is_numpy_namespace(xp) else 2**22


def in_blocks(function, model, theta, x, y, noise_term):
    """``function(model, theta, x, y, noise_term=...)`` over blocks of replicates (leading axis).

    A block holds about :func:`_block_pairs` (data, noise) pairs, so the temporaries stay small
    instead of GB-sized. ``noise_term`` is an array with the replicate axis first, or the scalar
    0 of a symmetric noise. The results, an array or a tuple of arrays with the replicate axis
    first, are concatenated (on the inputs' namespace).
    """
    xp = namespace(theta, x, y)
    block = max(1, _block_pairs(xp) // (y.shape[1] * y.shape[2]))
    rows = [slice(i, min(i + block, x.shape[0])) for i in range(0, x.shape[0], block)]
    parts = [
        function(model, theta[r, ...], x[r, ...], y[r, ...], noise_term=noise_term[r, ...] if getattr(noise_term, "ndim", 0) else noise_term)
        for r in rows
    ]
    if isinstance(parts[0], tuple):
        return tuple(xp.concat(part) for part in zip(*parts))
    return xp.concat(parts)


def fit_cnce(
    model,
    theta0,
    x,
    y,
    noise,
    *,
    tolerance: float = 1e-14,
    max_iterations: int = 50,
) -> fitting.FitResult:
    r"""Minimise the empirical CNCE loss (eq. 13) for every replicate at once (:func:`theory.fitting.newton`).

    Parameters
    ----------
    model : theory.models.Model
    theta0 : array, shape (p,) or (R, p)
        Starting point(s) (e.g. the true parameter), of the namespace of ``x`` and ``y`` (a
        ``TypeError`` otherwise), which the fit runs on.
    x : array, shape (R, n, d)
        R replicate data sets of n points.
    y : array, shape (R, n, K, d)
        K noise points per data point (from ``noise.sample(x, K, rng)``).
    noise : a :mod:`theory.noise` distribution, bound to the data distribution if it refers to it.
    tolerance : float > 0
        Convergence: squared Newton decrement below ``tolerance·(1 + |loss|)``; the final Newton
        step is then taken, which squares the error (the default leaves gradients ~1e-14).
    max_iterations : int >= 1

    Returns
    -------
    theory.fitting.FitResult
        ``params`` (R, p), the estimates. Replicates that did not converge keep their last iterate
        and ``converged = False``; nothing is dropped. The gradient at the estimates is not evaluated (it would cost one more
        evaluation); :func:`loss_and_gradient` gives it.

    Notes
    -----
    Replicates form an array axis (no Python loop over replicates); each iteration evaluates
    :func:`loss_gradient_hessian` on the active replicates only. The noise log-ratio does not
    depend on θ and is computed once.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a theory.models.Model, got {model!r}")
    tolerance = real_scalar("tolerance", tolerance, low=0.0, low_inclusive=False)
    max_iterations = positive_int("max_iterations", max_iterations)
    x = real_array("x", x)
    y = real_array("y", y)
    if x.ndim != 3 or x.shape[-1] != model.dim:
        raise ValueError(f"x must have shape (R, n, d={model.dim}) (replicates, points, dimension), got {tuple(x.shape)}")
    if y.ndim != 4 or y.shape[:2] != x.shape[:2] or y.shape[-1] != model.dim:
        raise ValueError(f"y must have shape (R, n, K, d) = ({x.shape[0]}, {x.shape[1]}, K, {x.shape[2]}), got {tuple(y.shape)}")
    if not is_noise(noise):
        raise TypeError(f"noise must be a theory.noise distribution (with sample, log_density, bind), got {noise!r}")
    replicates = x.shape[0]
    theta0 = real_array("theta0", theta0, ndim=(1, 2), shape=(model.num_params,))
    if theta0.ndim == 2 and theta0.shape[0] != replicates:
        raise ValueError(f"theta0 must have shape ({model.num_params},) or (R, {model.num_params}) with R = {replicates}, "
                         f"got shape {tuple(theta0.shape)}")
    model.validate(to_host(theta0))  # the family's domain (e.g. a precision > 0)
    xp = namespace(theta0, x, y)
    theta = xp.broadcast_to(theta0, (replicates, model.num_params))
    _prepare(model, theta, x, y)
    # θ-free, so computed once; a symmetric noise contributes nothing (no array of zeros).
    noise_term = 0.0 if getattr(noise, "symmetric", False) else noise_log_ratio(noise, x, y)

    def select(rows, array):  # all replicates: the array itself, not a gathered copy
        if not getattr(array, "ndim", 0) or len(rows) == replicates:
            return array
        return xp.take(array, xp.asarray(rows), axis=0)

    def loss_grad_hess(th, rows):
        return in_blocks(_loss_gradient_hessian, model, th, select(rows, x), select(rows, y), select(rows, noise_term))

    def loss_only(th, rows):
        return in_blocks(_loss, model, th, select(rows, x), select(rows, y), select(rows, noise_term))

    return fitting.newton(loss_grad_hess, loss_only, theta, tolerance=tolerance, max_iterations=max_iterations)
