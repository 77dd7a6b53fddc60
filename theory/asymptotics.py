r"""Asymptotic covariances: CNCE (seed 004, Theorem 1 and its any-K extension), NCE (ν = 1), Fisher information,
sandwich.

CNCE with :math:`K` noise points per data point (eq. 13) has, at the true parameter
:math:`\theta^*` of a well-specified model (:math:`p_d = p_{\theta^*}`),

.. math:: \sqrt{N_d}(\hat\theta - \theta^*) \to \mathcal N(0, \Sigma_K), \qquad
          \Sigma_K = \tfrac1K C_1^{-1} C_2 C_1^{-1} + \big(1 - \tfrac1K\big) C_1^{-1} C_3 C_1^{-1},

with :math:`C_1, C_2` of eqs. 5–6 and the within-x correlation term
:math:`C_3 = \mathbb{E}_x[m(x)m(x)^\top]`, :math:`m(x) = \mathbb{E}_{y\sim p_n(\cdot|x)}[\nabla_\theta F\,\sigma(-F)]`.
The weights :math:`1/K` and :math:`1-1/K` are the exports of :func:`derivations.cnce.cnce_any_k`.
At :math:`\theta^*` the symmetry of the problem gives :math:`C_2 = C_1` (also derived there); the
calculator computes :math:`C_2` separately and reports both.

Expectations are by tensor quadrature for d = 1: composite Gauss–Legendre over :math:`x` (on the
interval where :math:`p_d` is above :math:`e^{-80}` of its maximum) times the noise's own rule for
:math:`y\mid x` (Gauss–Hermite in :math:`z` for local noise, Gauss–Legendre for unconditional
noise). The error is the difference between that rule and its refinement (twice the panels and
twice the Hermite order), floored at :math:`64\epsilon` times the size of the terms
(:func:`theory.quadrature.refine`).
Models with d > 1 are not covered by these calculators (``ValueError``).

NCE with one noise point per data point (ν = 1; seed 000, the notes' NCE section) has, at the true parameter of a
well-specified model, :math:`\Sigma = A^{-1}(A - 2mm^\top)A^{-1}` (derived in
:func:`derivations.notes.nce_noise_variance`); its matrices :math:`A, m` are integrals against the data and noise
densities, taken on a quadrature rule the caller gives (:func:`nce_matrices`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy import special

from ebmcheck.theory import quadrature
from ebmcheck.theory.cnce import noise_log_ratio, sigmoid
from ebmcheck.theory.fitting import ConvergenceError  # noqa: F401  (re-exported: the project's non-convergence error)
from ebmcheck.theory.models import Model, evaluate
from ebmcheck.theory.noise import is_noise
from ebmcheck.theory.validation import positive_int, real_array, spd_matrix

Array = np.ndarray
_X_PANELS = 40  # Gauss–Legendre panels (of 16 nodes) over x at level 0, doubled at level 1


class NoiseTypeError(TypeError, ValueError):
    """``noise`` is not a :mod:`theory.noise` distribution.

    A :class:`TypeError`; also a :class:`ValueError` because earlier versions raised one (as
    :class:`numpy.exceptions.AxisError` is both an ``IndexError`` and a ``ValueError``)."""


@dataclass(frozen=True)
class CNCEMatrices:
    """:math:`C_1, C_2, C_3` at θ* with their quadrature errors (absolute, entrywise)."""

    C1: Array
    C2: Array
    C3: Array
    C1_error: Array
    C2_error: Array
    C3_error: Array


def _check_model(model) -> Model:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a theory.models.Model (e.g. models.gaussian_precision()), got {model!r}")
    if model.dim != 1:
        raise ValueError(f"model {model.name!r} has d={model.dim}; the quadrature calculators need a model with d = 1")
    return model


def _check_noise(noise):
    if not is_noise(noise) or not callable(getattr(noise, "quadrature_rule", None)):
        raise NoiseTypeError(
            f"noise={noise!r} is not a theory.noise distribution: noise must have sample, log_density, bind and "
            "quadrature_rule (e.g. theory.noise.LocalGaussian(0.5), Oracle(), KDE(...), Mixture(...))"
        )
    return noise


def _check_K(K) -> int:
    """K, the number of noise points per data point: an integer >= 1 (nan, 2.0 and "1" are refused)."""
    return positive_int("K", K)


def _check_inputs(model, theta, noise=None, K=1, *, need_noise=False):
    """Validate (model, θ*, noise, K) of the quadrature calculators; returns θ* as an array (p,)."""
    model = _check_model(model)
    theta = real_array("theta", theta, ndim=1)
    if theta.shape != (model.num_params,):
        raise ValueError(
            f"theta must be one parameter vector of shape ({model.num_params},) for {model.name}, got shape {theta.shape}"
        )
    theta = model.validate(theta)  # the family's domain (e.g. a precision > 0)
    if need_noise or noise is not None:
        _check_noise(noise)
    _check_K(K)
    return theta


def _x_rule(model, theta, level):
    lo, hi = quadrature.support_interval(model, theta)
    nodes, weights = quadrature.gauss_legendre(lo, hi, quadrature.refined(_X_PANELS, level), 16)
    log_f = model.log_f(nodes[:, None], theta)
    weights = weights * np.exp(log_f - log_f.max())
    return nodes, weights / weights.sum()


@functools.cache
def _log_sum_exp_form(log_f_expr, theta_symbols):
    r"""Exponents :math:`g_i` with :math:`\log f = \log\sum_i e^{g_i}` and their θ-gradients, or None.

    Recognises :math:`\log f = \log\big(\sum_i c_i\prod_j e^{u_{ij}}\big) + R` with constants
    :math:`c_i > 0` (SymPy proves the sign) and a remainder :math:`R` free of such a log; then
    :math:`g_i = \log c_i + \sum_j u_{ij} + R`. Returns (Matrix (k, 1) of :math:`g_i`,
    Matrix (k, p) of :math:`\partial g_i/\partial\theta_j`) or None for any other form.
    """
    parts = sp.Add.make_args(log_f_expr)
    logs = [t for t in parts if isinstance(t, sp.log) and isinstance(t.args[0], sp.Add)]
    if len(logs) != 1:
        return None
    remainder = sp.Add(*[t for t in parts if t is not logs[0]])
    exponents = []
    for term in logs[0].args[0].args:
        exponent = remainder
        for factor in sp.Mul.make_args(sp.powsimp(term)):
            if isinstance(factor, sp.exp):
                exponent += factor.args[0]
            elif factor.is_positive:
                exponent += sp.log(factor)
            else:
                return None
        exponents.append(exponent)
    gradient = sp.Matrix([[sp.diff(g, t) for t in theta_symbols] for g in exponents])
    return sp.ImmutableMatrix(exponents), sp.ImmutableMatrix(gradient)


def _log_f_and_gradient(model, points, theta):
    r""":math:`\log f` and :math:`\nabla_\theta\log f` at ``points`` (..., d), in log space where possible.

    For :math:`\log f = \log\sum_i e^{g_i}` (:func:`_log_sum_exp_form`, e.g. a mixture) they are
    :math:`\operatorname{logsumexp}_i g_i` and :math:`\sum_i w_i\nabla_\theta g_i` with
    :math:`w_i = e^{g_i - \operatorname{logsumexp} g}`: finite wherever the :math:`g_i` are, where
    the closed form :math:`\log(\sum_i e^{g_i})` underflows to :math:`\log 0` and its gradient
    to 0/0. Other models use their closed forms.
    """
    form = _log_sum_exp_form(model.log_f_expr, model.theta)
    if form is None:
        return model.log_f(points, theta), model.grad_theta(points, theta)
    exponents = evaluate(form[0], model.x, model.theta, points, theta)[..., 0]  # (..., k)
    gradients = evaluate(form[1], model.x, model.theta, points, theta)  # (..., k, p)
    log_f = special.logsumexp(exponents, axis=-1)
    weights = np.exp(exponents - log_f[..., None])
    return log_f, np.einsum("...k,...kp->...p", weights, gradients)


def _matrices_at_level(model, theta, noise, level):
    x_nodes, x_weights = _x_rule(model, theta, level)
    y, y_weights = noise.quadrature_rule(x_nodes, level)  # (n|1, m, 1), (n|1, m)
    y = np.broadcast_to(y, (x_nodes.size,) + y.shape[1:])
    y_weights = np.broadcast_to(y_weights, (x_nodes.size, y.shape[1]))
    x = x_nodes[:, None]  # (n, 1): n "data points", each with m noise nodes
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        term = noise_log_ratio(noise, x, y)
        th = theta[None, None, :]
        log_f_x, grad_x = _log_f_and_gradient(model, x[:, None, :], th)  # (n, 1), (n, 1, p)
        log_f_y, grad_y = _log_f_and_gradient(model, y, th)  # (n, m), (n, m, p)
        F = log_f_x - log_f_y + term
        grad_F = grad_x - grad_y  # (n, m, p)
    if not (np.all(np.isfinite(F)) and np.all(np.isfinite(grad_F))):
        raise ValueError(
            f"log f, its θ-gradient or the noise log-ratio is not finite at quadrature nodes of noise {noise} for "
            f"model {model.name} at theta={theta}: the closed form under/overflows where the noise reaches "
            "(write log f as a log-sum-exp, or use a narrower noise)"
        )
    s_plus, s_minus = sigmoid(F), sigmoid(-F)
    w = x_weights[:, None] * y_weights  # joint weights (n, m)
    outer = grad_F[..., :, None] * grad_F[..., None, :]
    C1 = np.einsum("nm,nmpq->pq", w * s_plus * s_minus, outer)
    C2 = np.einsum("nm,nmpq->pq", w * s_minus**2, outer)
    m = np.einsum("nm,nmp->np", y_weights * s_minus, grad_F)  # m(x) = E_{y|x}[∇F σ(−F)]
    C3 = np.einsum("n,np,nq->pq", x_weights, m, m)
    size = np.einsum("nm,nmpq->pq", w, np.abs(outer))
    return C1, C2, C3, size


@functools.lru_cache(maxsize=256)
def _cached_matrices(model, theta_key, noise):
    theta = np.array(theta_key)

    def at_level(level):
        C1, C2, C3, size = _matrices_at_level(model, theta, noise, level)
        return np.stack([C1, C2, C3]), size

    values, errors = quadrature.refine(at_level)
    return CNCEMatrices(*values, *errors)


def cnce_matrices(model, theta, noise) -> CNCEMatrices:
    r""":math:`C_1` (eq. 5), :math:`C_2` (eq. 6) and :math:`C_3 = \mathbb{E}_x[m m^\top]` at θ = θ*, by quadrature.

    .. math:: C_1 = \mathbb{E}\big[\sigma(F)\sigma(-F)\,\nabla_\theta F\,\nabla_\theta F^\top\big],\quad
              C_2 = \mathbb{E}\big[\sigma(-F)^2\,\nabla_\theta F\,\nabla_\theta F^\top\big],\quad
              C_3 = \mathbb{E}_x\big[m(x)m(x)^\top\big],

    with :math:`x \sim p_\theta`, :math:`y \sim p_n(\cdot\mid x)` and :math:`F = F_\theta(x, y)`.
    :math:`\log f` and :math:`\nabla_\theta\log f` are evaluated in log space where the model is a
    log-sum-exp (a mixture), so noise nodes far in the tails, where :math:`f` underflows, are
    exact too. ``noise`` is bound to the data distribution :math:`p_{\theta}` first (matters for
    Oracle). ``TypeError`` for a model or noise of the wrong kind, ``ValueError`` for θ outside
    the model's domain or a model with d > 1.
    """
    theta = _check_inputs(model, theta, noise, need_noise=True)
    return _cached_matrices(model, tuple(theta.tolist()), noise.bind(model, theta))


def _weights(K: int):
    from ebmcheck.derivations.cnce import any_k_weights  # the derived closed form (SymPy), evaluated at K

    a, b = any_k_weights()
    return float(a(K)), float(b(K))


def _sigma(mat: tuple[Array, Array, Array], K: int) -> Array:
    C1, C2, C3 = mat
    try:
        inverse = np.linalg.inv(C1)
    except np.linalg.LinAlgError:
        raise ValueError(
            "C1 is singular: the parameter is not identifiable by CNCE with this noise (C1 = E[σ(F)σ(−F)∇F∇Fᵀ])"
        ) from None
    a, b = _weights(K)
    return a * inverse @ C2 @ inverse + b * inverse @ C3 @ inverse


def cnce_covariance(model, theta, noise, K: int = 1) -> Array:
    r"""Asymptotic covariance :math:`\Sigma_K` of :math:`\sqrt{N_d}(\hat\theta-\theta^*)` for CNCE, shape (p, p).

    .. math:: \Sigma_K = \tfrac1K C_1^{-1}C_2C_1^{-1} + \big(1 - \tfrac1K\big) C_1^{-1}C_3C_1^{-1}
              \quad(:func:`cnce_matrices`).

    Parameters
    ----------
    model : theory.models.Model with d = 1, well specified (data :math:`p_d = p_\theta`).
    theta : array (p,)
        The true parameter θ*, finite and in the model's domain.
    noise : theory.noise distribution (LocalGaussian, Oracle, KDE, Mixture).
    K : int >= 1
        Noise points per data point. K = 1 is Theorem 1: :math:`C_1^{-1}C_2C_1^{-1}`.
    """
    return cnce_covariance_with_error(model, theta, noise, K)[0]


def cnce_covariance_with_error(model, theta, noise, K: int = 1) -> tuple[Array, Array]:
    """:func:`cnce_covariance` and its entrywise quadrature error (rule vs refined rule, propagated)."""
    theta = _check_inputs(model, theta, noise, K, need_noise=True)
    mats = cnce_matrices(model, theta, noise)
    K = int(K)
    sigma = _sigma((mats.C1, mats.C2, mats.C3), K)
    # Propagate by perturbing each matrix by its error estimate (first order, absolute values added).
    error = np.zeros_like(sigma)
    for i, (M, dM) in enumerate(((mats.C1, mats.C1_error), (mats.C2, mats.C2_error), (mats.C3, mats.C3_error))):
        parts = [mats.C1, mats.C2, mats.C3]
        parts[i] = M + dM
        error += np.abs(_sigma(tuple(parts), K) - sigma)
    return sigma, np.maximum(error, quadrature.ROUNDING * np.abs(sigma))


def cnce_matrices_coarse(model, theta, noise) -> tuple[Array, Array, Array]:
    """(C1, C2, C3) on the coarse rule only (no refinement, no error estimate): for plots."""
    theta = _check_inputs(model, theta, noise, need_noise=True)
    return _matrices_at_level(model, theta, noise.bind(model, theta), 0)[:3]


def sigma_from_matrices(matrices, K: int = 1) -> Array:
    r""":math:`\Sigma_K = \tfrac1K C_1^{-1}C_2C_1^{-1} + (1-\tfrac1K)C_1^{-1}C_3C_1^{-1}` from (C1, C2, C3) or a CNCEMatrices.

    C1 must be symmetric positive definite, C2 and C3 finite (p, p) matrices of the same size.
    """
    if isinstance(matrices, CNCEMatrices):
        matrices = (matrices.C1, matrices.C2, matrices.C3)
    if isinstance(matrices, (str, bytes)) or not hasattr(matrices, "__len__") or len(matrices) != 3:
        raise TypeError(f"matrices must be a CNCEMatrices or a sequence (C1, C2, C3), got {matrices!r}")
    C1 = spd_matrix("C1", matrices[0])
    C2 = real_array("C2", matrices[1], ndim=2, shape=C1.shape)
    C3 = real_array("C3", matrices[2], ndim=2, shape=C1.shape)
    return _sigma((C1, C2, C3), _check_K(K))


def nce_matrices(gradients, data_density, noise_density, weights) -> tuple[Array, Array]:
    r""":math:`A` and :math:`m` of NCE with ν = 1 at θ*, on a quadrature rule:

    .. math:: A = \int g\,g^\top\,\frac{p\,\mu}{p+\mu}\,dx
              \approx \sum_i w_i\,g_i g_i^\top\,\frac{p_i\mu_i}{p_i+\mu_i},
              \qquad m = \int g\,\frac{p\,\mu}{p+\mu}\,dx \approx \sum_i w_i\,g_i\,\frac{p_i\mu_i}{p_i+\mu_i},

    with :math:`g = \nabla_\theta\log f_\theta` at θ* (the model normalised there, :math:`f_{\theta^*} = p`), p the
    data density and μ the noise density. :math:`A` is the Hessian of the population NCE loss at θ* (its
    second-derivative terms cancel there) and :math:`\frac{p\mu}{p+\mu} = p(1-D^*) = \mu D^*`, :math:`D^* = p/(p+\mu)`.

    Parameters
    ----------
    gradients : array (n, p)
        :math:`g` at the n nodes.
    data_density, noise_density : arrays (n,)
        p and μ at the nodes, non-negative, :math:`p + \mu > 0`.
    weights : array (n,)
        Quadrature weights of the nodes for :math:`dx`, non-negative.

    Returns (A (p, p), m (p,)). ``ValueError`` naming the argument on a bad shape or value.
    """
    gradients = real_array("gradients", gradients, ndim=2)
    n = gradients.shape[0]
    values = {}
    for name, value in (("data_density", data_density), ("noise_density", noise_density), ("weights", weights)):
        values[name] = real_array(name, value, ndim=1)
        if values[name].shape != (n,):
            raise ValueError(
                f"{name} must have shape ({n},), one value per row of gradients; got {values[name].shape}")
        if np.any(values[name] < 0):
            raise ValueError(f"{name} must be non-negative")
    p, mu, w = values["data_density"], values["noise_density"], values["weights"]
    if np.any(p + mu <= 0):
        raise ValueError("data_density + noise_density must be positive at every node (D* = p/(p + μ) is 0/0 there)")
    g = np.ascontiguousarray(gradients.T)  # (p, n): the sums below run along the contiguous axis
    weighted = g * (w * p * mu / (p + mu))
    return weighted @ g.T, weighted.sum(1)


@functools.lru_cache(maxsize=256)
def _fisher_cached(model, theta_key):
    theta = np.array(theta_key)

    def at_level(level):
        nodes, weights = _x_rule(model, theta, level)
        g = model.grad_theta(nodes[:, None], theta)
        centred = g - weights @ g
        return np.einsum("n,np,nq->pq", weights, centred, centred), np.einsum("n,np,nq->pq", weights, np.abs(g), np.abs(g))

    return quadrature.refine(at_level)


def fisher_information(model, theta) -> Array:
    r"""Fisher information :math:`I_F(\theta) = \operatorname{Var}_{x\sim p_\theta}[\nabla_\theta \log f(x;\theta)]`, (p, p).

    Seed 004, Lemma 3 (eq. 14): computed from the *unnormalized* model; no :math:`Z(\theta)` needed.
    ``model``: a :class:`~theory.models.Model` with d = 1; ``theta``: array (p,) in its domain.
    """
    return fisher_information_with_error(model, theta)[0]


def fisher_information_with_error(model, theta) -> tuple[Array, Array]:
    """:func:`fisher_information` and its quadrature error estimate."""
    theta = _check_inputs(model, theta)
    return _fisher_cached(model, tuple(theta.tolist()))


def sandwich_covariance(unit_gradients, unit_hessians, weights=None) -> Array:
    r""":math:`H^{-1} V H^{-1}` for an M-estimator whose empirical loss is a mean of i.i.d. unit losses.

    Parameters
    ----------
    unit_gradients : array (..., n, p)
        Gradient of one unit's loss (e.g. for CNCE, :math:`\frac1K\sum_j s(x_i, y_{ij})`) at θ*,
        at quadrature nodes or Monte Carlo draws of the unit; leading axes are batches (e.g.
        disjoint Monte Carlo batches), each with its own sandwich.
    unit_hessians : array (..., n, p, p)
        Hessian of one unit's loss at the same points.
    weights : array (n,), optional
        Quadrature weights, non-negative, summing to 1 (default: equal weights, Monte Carlo).

    Returns
    -------
    array (..., p, p)
        :math:`H^{-1}VH^{-1}` with :math:`H = \mathbb{E}[\nabla^2\ell]`,
        :math:`V = \operatorname{Var}[\nabla\ell]`: the asymptotic covariance of
        :math:`\sqrt{n}(\hat\theta - \theta^*)` (seed 004, eq. 23, per unit). ``ValueError`` if
        some :math:`H` is singular.
    """
    gradients = real_array("unit_gradients", unit_gradients)
    if gradients.ndim < 2:
        raise ValueError(f"unit_gradients must have shape (..., n, p), got shape {gradients.shape}")
    hessians = real_array("unit_hessians", unit_hessians)
    if hessians.shape != gradients.shape + (gradients.shape[-1],):
        raise ValueError(
            f"unit_hessians must have shape (..., n, p, p) = {gradients.shape + (gradients.shape[-1],)} to match "
            f"unit_gradients (..., n, p); got unit_gradients {gradients.shape} and unit_hessians {hessians.shape}"
        )
    n = gradients.shape[-2]
    if weights is None:
        weights = np.full(n, 1.0 / n)
    weights = real_array("weights", weights, ndim=1)
    if weights.shape != (n,) or np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
        raise ValueError(
            f"weights must be (n,) = ({n},), non-negative, summing to 1; got shape {weights.shape}, "
            f"min {weights.min():.3g}, sum {weights.sum():.6g}"
        )
    H = np.einsum("n,...npq->...pq", weights, hessians)
    centred = gradients - np.einsum("n,...np->...p", weights, gradients)[..., None, :]
    V = np.einsum("n,...np,...nq->...pq", weights, centred, centred)
    if not np.all(np.isfinite(H)) or np.any(np.linalg.matrix_rank(H) < H.shape[-1]):
        raise ValueError(f"unit_hessians: their mean H is singular or not finite, so H^-1 V H^-1 does not exist:\n{H}")
    inverse = np.linalg.inv(H)
    return inverse @ V @ np.swapaxes(inverse, -1, -2)


def efficiency(covariance, fisher) -> float:
    r""":math:`\operatorname{tr}\Sigma / \operatorname{tr} I_F^{-1}`: 1 at the Cramér–Rao bound.

    ``covariance`` (Σ) and ``fisher`` (:math:`I_F`) must be symmetric positive-definite matrices
    of the same size (``ValueError`` naming the argument otherwise).
    """
    covariance = spd_matrix("covariance", covariance)
    fisher = spd_matrix("fisher", fisher, size=covariance.shape[0])
    return float(np.trace(covariance) / np.trace(np.linalg.inv(fisher)))
