r"""Langevin samplers (ULA, MALA) vectorised over chains, and ULA's exact Gaussian laws.

Samplers follow the init/kernel pattern (STYLE.md §1): :func:`langevin_init` builds a
:class:`LangevinState` that caches what the next step needs (position, :math:`\log f`, score);
:func:`ula_kernel` and :func:`mala_kernel` take the random generator as an argument and return
``(state, info)``. MALA is the ULA move (:func:`langevin_move`) plus a Metropolis–Hastings
accept step, so the claim "MALA removes ULA's bias" compares two kernels that share their move.

Positions have shape ``(num_chains, d)``; the drift is the model's SymPy-derived score
:math:`s = \nabla_x\log f = -\nabla U` (review, seed 003, eq. 84):

.. math:: X_{k+1} = X_k + h\,s(X_k) + \sqrt{2\tau h}\,\xi_k,\qquad \xi_k\sim\mathcal N(0, I_d),

with temperature :math:`\tau = 1` (eq. 84, the :math:`\sqrt{2\eta}` slides of seed 002) or
:math:`\tau = 1/2` (the :math:`\sqrt\eta` slide "Using an EBM"). Code is backend-generic: the
array namespace ``xp`` (numpy or cupy) goes with the generator.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import NamedTuple

import numpy as np
import sympy as sp


class LangevinState(NamedTuple):
    """Chain state: ``position`` (N, d), ``log_density`` = log f (N,), ``score`` (N, d)."""

    position: object
    log_density: object
    score: object


class ULAInfo(NamedTuple):
    """``diverged`` (N,): the chain left the finite numbers at this step."""

    diverged: object


class MALAInfo(NamedTuple):
    """``acceptance_probability`` (N,), ``is_accepted`` (N,), ``diverged`` (N,)."""

    acceptance_probability: object
    is_accepted: object
    diverged: object


def langevin_init(position, model, theta, xp: ModuleType = np, *, log_density: bool = True) -> LangevinState:
    """Return the state at ``position`` (N, d) for ``model`` at parameter ``theta`` (p,).

    ``log_density=False`` leaves ``state.log_density`` as None: ULA never needs it (MALA does),
    and :func:`ula_kernel` then skips evaluating it.
    """
    position = xp.asarray(position, dtype=float)
    if position.ndim != 2 or position.shape[1] != model.dim:
        raise ValueError(f"position must have shape (num_chains, {model.dim}), got {tuple(position.shape)}")
    theta = xp.asarray(theta, dtype=float)
    value = model.log_f(position, theta, xp) if log_density else None
    return LangevinState(position, value, model.score(position, theta, xp))


def _check_step_size(step_size) -> float:
    if not (isinstance(step_size, (int, float, np.floating)) and math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size={step_size!r} must be a finite number > 0")
    return float(step_size)


def langevin_move(state: LangevinState, noise, step_size: float, temperature: float = 1.0):
    r"""The ULA move :math:`x + h s(x) + \sqrt{2\tau h}\,\xi` for standard-normal ``noise`` (N, d)."""
    return state.position + step_size * state.score + math.sqrt(2.0 * temperature * step_size) * noise


def _finite_rows(xp, array):
    return xp.all(xp.isfinite(array), axis=-1)


def ula_kernel(rng, state: LangevinState, model, theta, step_size: float, *, temperature: float = 1.0, xp: ModuleType = np):
    """One ULA step for every chain; returns ``(LangevinState, ULAInfo)``.

    Divergence (overflow beyond the stable step-size region) is reported per chain in
    ``info.diverged``, never silently: numpy's overflow warnings are suppressed here because
    they are handled by that flag.
    """
    step_size = _check_step_size(step_size)
    if not temperature > 0:
        raise ValueError(f"temperature={temperature!r} must be > 0")
    noise = rng.standard_normal(state.position.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        position = langevin_move(state, noise, step_size, temperature)
        value = None if state.log_density is None else model.log_f(position, theta, xp)
        new = LangevinState(position, value, model.score(position, theta, xp))
    return new, ULAInfo(~_finite_rows(xp, position))


def proposal_log_density(x_to, x_from, score_from, step_size: float, xp: ModuleType = np):
    r""":math:`\log g(x'|x)` of the ULA move up to a constant: :math:`-\|x'-x-h s(x)\|^2/(4h)`.

    The correct form of review eq. 95 (which prints :math:`U(x)` for :math:`\nabla U(x)`, and a
    prefactor :math:`(2\pi h)^{-d/2}` that does not normalize; the prefactor cancels here).
    """
    residual = x_to - x_from - step_size * score_from
    return -xp.sum(residual * residual, axis=-1) / (4.0 * step_size)


def mala_kernel(rng, state: LangevinState, model, theta, step_size: float, *, xp: ModuleType = np, log_proposal=None):
    r"""One MALA step: the ULA move, accepted with probability
    :math:`\min\{1, \rho(x')g(x|x')/(\rho(x)g(x'|x))\}` (review Definitions 4.2 and 4.4).

    ``log_proposal(x_to, x_from, state_from)`` replaces :func:`proposal_log_density` (used to
    test eq. 95 as printed). Returns ``(LangevinState, MALAInfo)``.
    """
    step_size = _check_step_size(step_size)
    if state.log_density is None:
        raise ValueError("MALA needs state.log_density: build the state with langevin_init(..., log_density=True)")
    noise = rng.standard_normal(state.position.shape)
    uniform = rng.random(state.position.shape[:1])
    with np.errstate(over="ignore", invalid="ignore"):
        proposal = langevin_move(state, noise, step_size)
        proposed = LangevinState(proposal, model.log_f(proposal, theta, xp), model.score(proposal, theta, xp))
        if log_proposal is None:
            forward = proposal_log_density(proposal, state.position, state.score, step_size, xp)
            backward = proposal_log_density(state.position, proposal, proposed.score, step_size, xp)
        else:
            forward = log_proposal(proposal, state.position, state)
            backward = log_proposal(state.position, proposal, proposed)
        log_ratio = proposed.log_density - state.log_density + backward - forward
        log_ratio = xp.where(xp.isfinite(log_ratio), log_ratio, -xp.inf)
        probability = xp.exp(xp.minimum(log_ratio, 0.0))
        accept = uniform < probability
    keep = accept[:, None]
    new = LangevinState(
        xp.where(keep, proposal, state.position),
        xp.where(accept, proposed.log_density, state.log_density),
        xp.where(keep, proposed.score, state.score),
    )
    return new, MALAInfo(probability, accept, ~_finite_rows(xp, new.position))


# =============================================================================================
# Exact laws of ULA on a Gaussian target (review, seed 003, Example 4.1, eqs. 87–90)
# =============================================================================================


@functools.lru_cache(maxsize=None)
def _scalar_functions():
    from derivations.ula import a, h, k, lam, scalar_forms, tau

    forms = scalar_forms()
    return {
        "contraction": sp.lambdify((lam, h), forms["contraction"], "numpy"),
        "stationary": sp.lambdify((lam, h, tau), forms["stationary_eigenvalue_tau"], "numpy"),
        "noise": sp.lambdify((a, h, k, tau), forms["noise_variance_after_k"], "numpy"),
        "noise_marginal": sp.lambdify((h, k, tau), forms["noise_variance_after_k_marginal"], "numpy"),
    }


def _spd_eigen(Sigma, name: str = "Sigma"):
    Sigma = np.asarray(Sigma, dtype=float)
    if Sigma.ndim != 2 or Sigma.shape[0] != Sigma.shape[1] or Sigma.shape[0] < 1:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {Sigma.shape}")
    if not np.all(np.isfinite(Sigma)):
        raise ValueError(f"{name} must be finite")
    if not np.allclose(Sigma, Sigma.T, rtol=1e-12, atol=1e-14 * np.abs(Sigma).max()):
        raise ValueError(f"{name} must be symmetric, got\n{Sigma}")
    eigenvalues, eigenvectors = np.linalg.eigh((Sigma + Sigma.T) / 2)
    if eigenvalues[0] <= 0:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is {eigenvalues[0]:.4g}")
    return eigenvalues, eigenvectors


def stable_step_size_bound(Sigma) -> float:
    r"""Return :math:`2\lambda_{\min}(\Sigma)`: ULA on :math:`\mathcal N(\mu,\Sigma)` has a stationary law iff :math:`0<h<2\lambda_{\min}`."""
    from derivations.ula import step_size_region  # noqa: F401 (the derivation of the bound)

    return 2.0 * float(_spd_eigen(Sigma)[0][0])


def ula_stationary_covariance(Sigma, h, temperature: float = 1.0):
    r"""Return ULA's stationary covariance :math:`\Sigma(I-\tfrac h2\Sigma^{-1})^{-1}` (review eq. 90).

    .. math:: C_\infty = Q\,\mathrm{diag}\Big(\frac{2\tau\lambda_i^2}{2\lambda_i-h}\Big)Q^\top,
              \qquad \Sigma = Q\,\mathrm{diag}(\lambda)\,Q^\top,

    the unique solution of :math:`C = A_h C A_h^\top + 2\tau h I`, :math:`A_h = I-h\Sigma^{-1}`
    (derived in :func:`derivations.ula.stationary_covariance`; τ = 1 is eq. 84).

    Parameters
    ----------
    Sigma : array, shape (d, d)
        Target covariance, symmetric positive definite.
    h : float
        Step size, in :math:`(0, 2\lambda_{\min}(\Sigma))` — the exact stable set.
    temperature : float
        Noise :math:`\sqrt{2\tau h}`; 1/2 for the slide's :math:`\sqrt\eta` chain.

    Raises
    ------
    ValueError
        Sigma not symmetric positive definite, or h outside :math:`(0, 2\lambda_{\min})`.
    """
    eigenvalues, eigenvectors = _spd_eigen(Sigma)
    edge = 2.0 * eigenvalues[0]
    # The edge itself is known only to rounding (an eigenvalue's absolute error is ~d·eps·λ_max),
    # so step sizes within that distance of it are refused too: there the covariance is ~1/eps.
    margin = 64 * eigenvalues.size * np.finfo(float).eps * 2.0 * eigenvalues[-1]
    if not (isinstance(h, (int, float, np.floating)) and math.isfinite(h) and 0 < h < edge - margin):
        raise ValueError(
            f"h={h!r} is outside (0, 2·λ_min(Σ)) = (0, {edge:.6g}): the chain has no stationary law"
        )
    if not temperature > 0:
        raise ValueError(f"temperature={temperature!r} must be > 0")
    values = _scalar_functions()["stationary"](eigenvalues, float(h), float(temperature))
    return (eigenvectors * values) @ eigenvectors.T


def ula_law_at_step(Sigma, h, k, mean0, cov0, mu=None, temperature: float = 1.0):
    r"""Return (mean, cov) of ULA's :math:`X_k` from :math:`X_0\sim\mathcal N(m_0, C_0)` (review eq. 88).

    .. math:: m_k = \mu + A_h^k(m_0-\mu),\qquad
              C_k = A_h^k C_0 A_h^k + Q\,\mathrm{diag}\Big(2\tau h\frac{1-a_i^{2k}}{1-a_i^2}\Big)Q^\top,
              \quad a_i = 1-h/\lambda_i,

    (:math:`2\tau hk` where :math:`a_i^2=1`). Valid for every h > 0 — beyond the stable edge the
    covariance grows geometrically. ``mu`` defaults to zero; ``cov0`` may be any symmetric
    positive semi-definite matrix (zero for a deterministic start).
    """
    eigenvalues, eigenvectors = _spd_eigen(Sigma)
    d = eigenvalues.size
    if not (isinstance(h, (int, float, np.floating)) and math.isfinite(h) and h > 0):
        raise ValueError(f"h={h!r} must be a finite step size > 0")
    if int(k) != k or k < 0:
        raise ValueError(f"k={k!r} must be a non-negative integer")
    mean0 = np.asarray(mean0, dtype=float)
    cov0 = np.asarray(cov0, dtype=float)
    mu = np.zeros(d) if mu is None else np.asarray(mu, dtype=float)
    for name, value, shape in (("mean0", mean0, (d,)), ("mu", mu, (d,)), ("cov0", cov0, (d, d))):
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    if not np.allclose(cov0, cov0.T) or np.linalg.eigvalsh((cov0 + cov0.T) / 2)[0] < -1e-12 * max(1.0, np.abs(cov0).max()):
        raise ValueError("cov0 must be symmetric positive semi-definite")
    functions = _scalar_functions()
    contraction = functions["contraction"](eigenvalues, float(h))
    with np.errstate(over="ignore"):
        power = contraction ** int(k)
        marginal = np.isclose(contraction**2, 1.0, rtol=0, atol=1e-12)
        safe = np.where(marginal, 0.5, contraction)
        noise = np.where(
            marginal,
            functions["noise_marginal"](float(h), float(k), float(temperature)),
            functions["noise"](safe, float(h), float(k), float(temperature)),
        )
    transition_k = (eigenvectors * power) @ eigenvectors.T
    mean = mu + transition_k @ (mean0 - mu)
    cov = transition_k @ cov0 @ transition_k.T + (eigenvectors * noise) @ eigenvectors.T
    return mean, (cov + cov.T) / 2
