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

Every public function validates its arguments (:mod:`theory.validation`) and raises a
``TypeError``/``ValueError`` that names the argument. Inside the kernels a chain that has left
the finite numbers is not an input error: its row is flagged ``diverged`` and the model is
evaluated on the finite rows only (the others get NaN).
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import NamedTuple

import numpy as np
import sympy as sp

from ebmcheck.theory.validation import flag, function, generator, positive_int, real_array, real_scalar, spd_matrix


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

    ``position`` must be a finite real array of shape (num_chains, d) and ``theta`` an allowed
    parameter of ``model`` (:meth:`theory.models.Model.validate`).
    ``log_density=False`` leaves ``state.log_density`` as None: ULA never needs it (MALA does),
    and :func:`ula_kernel` then skips evaluating it.
    """
    _check_model(model)
    log_density = flag("log_density", log_density)
    position = real_array("position", position, ndim=2)
    if position.shape[1] != model.dim:
        raise ValueError(f"position must have shape (num_chains, {model.dim}), got {tuple(position.shape)}")
    position = xp.asarray(position, dtype=float)
    theta = xp.asarray(model.validate(theta) if hasattr(model, "validate") else theta, dtype=float)
    value = model.log_f(position, theta, xp) if log_density else None
    return LangevinState(position, value, model.score(position, theta, xp))


def _check_model(model) -> None:
    if isinstance(model, type) or not all(callable(getattr(model, m, None)) for m in ("log_f", "score")) or not isinstance(
        getattr(model, "dim", None), int
    ):
        raise TypeError(f"model must be a theory.models.Model (with dim, log_f and score), got {model!r}")


def _check_state(state) -> LangevinState:
    if not isinstance(state, LangevinState):
        raise TypeError(f"state must be a LangevinState from langevin_init, got {type(state).__name__}")
    return state


def _check_step_size(step_size) -> float:
    """``step_size`` h: a finite real number > 0."""
    return real_scalar("step_size", step_size, low=0.0, low_inclusive=False)


def _check_temperature(temperature) -> float:
    """``temperature`` τ: a finite real number > 0."""
    return real_scalar("temperature", temperature, low=0.0, low_inclusive=False)


def _on_finite_rows(function, position, theta, xp, finite):
    """``function(position, theta, xp)`` on the chains whose position is finite (``finite``, (N,)); NaN on the others.

    A diverged chain is reported by the kernels' ``diverged`` flag, not raised: the model's
    public functions refuse non-finite points, so they only see the finite rows."""
    if bool(xp.all(finite)):
        return function(position, theta, xp)
    theta = xp.asarray(theta, dtype=float)
    if theta.ndim > 1:
        theta = xp.broadcast_to(theta, position.shape[:-1] + theta.shape[-1:])[finite]
    values = function(position[finite], theta, xp)
    out = xp.full(position.shape[:1] + values.shape[1:], xp.nan)
    out[finite] = values
    return out


def langevin_move(state: LangevinState, noise, step_size: float, temperature: float = 1.0):
    r"""The ULA move :math:`x + h s(x) + \sqrt{2\tau h}\,\xi` for standard-normal ``noise`` (N, d).

    ``state`` a :class:`LangevinState`, ``noise`` a finite real array of the positions' shape,
    ``step_size`` :math:`h > 0` and ``temperature`` :math:`\tau > 0` finite real numbers."""
    state = _check_state(state)
    noise = real_array("noise", noise, allow_empty=True)
    if tuple(noise.shape) != tuple(state.position.shape):
        raise ValueError(f"noise must have the positions' shape {tuple(state.position.shape)}, got {tuple(noise.shape)}")
    return _move(state, noise, _check_step_size(step_size), _check_temperature(temperature))


def _move(state: LangevinState, noise, step_size: float, temperature: float = 1.0):
    return state.position + step_size * state.score + math.sqrt(2.0 * temperature * step_size) * noise


def _finite_rows(xp, array):
    return xp.all(xp.isfinite(array), axis=-1)


def ula_kernel(rng, state: LangevinState, model, theta, step_size: float, *, temperature: float = 1.0, xp: ModuleType = np):
    """One ULA step for every chain; returns ``(LangevinState, ULAInfo)``.

    Divergence (overflow beyond the stable step-size region) is reported per chain in
    ``info.diverged``, never silently: numpy's overflow warnings are suppressed here because
    they are handled by that flag.

    ``rng`` is a random generator of the backend, ``state`` a :class:`LangevinState`,
    ``step_size`` :math:`h > 0` and ``temperature`` :math:`\\tau > 0` finite real numbers.
    """
    rng = generator("rng", rng)
    state = _check_state(state)
    _check_model(model)
    step_size = _check_step_size(step_size)
    temperature = _check_temperature(temperature)
    noise = rng.standard_normal(state.position.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        position = _move(state, noise, step_size, temperature)
        finite = _finite_rows(xp, position)
        value = None if state.log_density is None else _on_finite_rows(model.log_f, position, theta, xp, finite)
        new = LangevinState(position, value, _on_finite_rows(model.score, position, theta, xp, finite))
    return new, ULAInfo(~finite)


def proposal_log_density(x_to, x_from, score_from, step_size: float, xp: ModuleType = np):
    r""":math:`\log g(x'|x)` of the ULA move up to a constant: :math:`-\|x'-x-h s(x)\|^2/(4h)`.

    The correct form of review eq. 95 (which prints :math:`U(x)` for :math:`\nabla U(x)`, and a
    prefactor :math:`(2\pi h)^{-d/2}` that does not normalize; the prefactor cancels here).
    ``x_to``, ``x_from`` and ``score_from`` are finite real arrays (..., d) that broadcast,
    ``step_size`` a finite real number > 0.
    """
    arrays = [real_array(name, value, allow_empty=True) for name, value in
              (("x_to", x_to), ("x_from", x_from), ("score_from", score_from))]
    if any(a.ndim == 0 for a in arrays) or len({a.shape[-1] for a in arrays}) != 1:
        raise ValueError(
            "x_to, x_from and score_from must be arrays (..., d) with the same d, got shapes "
            + ", ".join(str(tuple(a.shape)) for a in arrays)
        )
    try:
        np.broadcast_shapes(*(tuple(a.shape) for a in arrays))
    except ValueError:
        raise ValueError(
            "x_to, x_from and score_from must broadcast, got shapes " + ", ".join(str(tuple(a.shape)) for a in arrays)
        ) from None
    x_to, x_from, score_from = (xp.asarray(a) for a in arrays)
    return _proposal_log_density(x_to, x_from, score_from, _check_step_size(step_size), xp)


def _proposal_log_density(x_to, x_from, score_from, step_size: float, xp: ModuleType = np):
    residual = x_to - x_from - step_size * score_from
    return -xp.sum(residual * residual, axis=-1) / (4.0 * step_size)


def mala_kernel(rng, state: LangevinState, model, theta, step_size: float, *, xp: ModuleType = np, log_proposal=None):
    r"""One MALA step: the ULA move, accepted with probability
    :math:`\min\{1, \rho(x')g(x|x')/(\rho(x)g(x'|x))\}` (review Definitions 4.2 and 4.4).

    ``log_proposal(x_to, x_from, state_from)`` replaces :func:`proposal_log_density` (used to
    test eq. 95 as printed). Returns ``(LangevinState, MALAInfo)``. ``rng``, ``state`` and
    ``step_size`` are validated as in :func:`ula_kernel`.
    """
    rng = generator("rng", rng)
    state = _check_state(state)
    _check_model(model)
    step_size = _check_step_size(step_size)
    if log_proposal is not None:
        function("log_proposal", log_proposal, "(x_to, x_from, state_from) or None")
    if state.log_density is None:
        raise ValueError("MALA needs state.log_density: build the state with langevin_init(..., log_density=True)")
    noise = rng.standard_normal(state.position.shape)
    uniform = rng.random(state.position.shape[:1])
    with np.errstate(over="ignore", invalid="ignore"):
        proposal = _move(state, noise, step_size)
        finite = _finite_rows(xp, proposal)
        proposed = LangevinState(
            proposal,
            _on_finite_rows(model.log_f, proposal, theta, xp, finite),
            _on_finite_rows(model.score, proposal, theta, xp, finite),
        )
        if log_proposal is None:
            forward = _proposal_log_density(proposal, state.position, state.score, step_size, xp)
            backward = _proposal_log_density(state.position, proposal, proposed.score, step_size, xp)
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
    from ebmcheck.derivations.ula import a, h, k, lam, scalar_forms, tau

    forms = scalar_forms()
    return {
        "contraction": sp.lambdify((lam, h), forms["contraction"], "numpy"),
        "stationary": sp.lambdify((lam, h, tau), forms["stationary_eigenvalue_tau"], "numpy"),
        "noise": sp.lambdify((a, h, k, tau), forms["noise_variance_after_k"], "numpy"),
        "noise_marginal": sp.lambdify((h, k, tau), forms["noise_variance_after_k_marginal"], "numpy"),
    }


def _spd_eigen(Sigma, name: str = "Sigma"):
    """Eigen-decomposition of a symmetric positive-definite ``Sigma`` (:func:`theory.validation.spd_matrix`)."""
    Sigma = spd_matrix(name, Sigma)
    eigenvalues, eigenvectors = np.linalg.eigh((Sigma + Sigma.T) / 2)
    if eigenvalues[0] <= 0:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is {eigenvalues[0]:.4g}")
    return eigenvalues, eigenvectors


def _step(h) -> float:
    """The step size ``h`` as a finite real number (its region is checked by the caller)."""
    return real_scalar("h", h)


def stable_step_size_bound(Sigma) -> float:
    r"""Return :math:`2\lambda_{\min}(\Sigma)`: ULA on :math:`\mathcal N(\mu,\Sigma)` has a stationary law iff :math:`0<h<2\lambda_{\min}`."""
    from ebmcheck.derivations.ula import step_size_region  # noqa: F401 (the derivation of the bound)

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
    TypeError
        Sigma not an array of real numbers, h or temperature not a real number.
    ValueError
        Sigma not finite, square, symmetric positive definite; h not finite or outside
        :math:`(0, 2\lambda_{\min})`; temperature not finite and > 0.
    """
    eigenvalues, eigenvectors = _spd_eigen(Sigma)
    h = _step(h)
    temperature = _check_temperature(temperature)
    edge = 2.0 * eigenvalues[0]
    # The edge itself is known only to rounding (an eigenvalue's absolute error is ~d·eps·λ_max),
    # so step sizes within that distance of it are refused too: there the covariance is ~1/eps.
    margin = 64 * eigenvalues.size * np.finfo(float).eps * 2.0 * eigenvalues[-1]
    if not 0 < h < edge - margin:
        raise ValueError(
            f"h={h!r} is outside (0, 2·λ_min(Σ)) = (0, {edge:.6g}): the chain has no stationary law"
        )
    values = _scalar_functions()["stationary"](eigenvalues, h, temperature)
    return (eigenvectors * values) @ eigenvectors.T


def ula_law_at_step(Sigma, h, k, mean0, cov0, mu=None, temperature: float = 1.0):
    r"""Return (mean, cov) of ULA's :math:`X_k` from :math:`X_0\sim\mathcal N(m_0, C_0)` (review eq. 88).

    .. math:: m_k = \mu + A_h^k(m_0-\mu),\qquad
              C_k = A_h^k C_0 A_h^k + Q\,\mathrm{diag}\Big(2\tau h\frac{1-a_i^{2k}}{1-a_i^2}\Big)Q^\top,
              \quad a_i = 1-h/\lambda_i,

    (:math:`2\tau hk` where :math:`a_i^2=1`). Valid for every h > 0 — beyond the stable edge the
    covariance grows geometrically. ``mu`` defaults to zero; ``cov0`` may be any symmetric
    positive semi-definite matrix (zero for a deterministic start). ``k`` is an int >= 0;
    ``Sigma`` SPD (d, d), ``mean0`` and ``mu`` finite (d,), ``temperature`` > 0. Arguments outside
    these sets raise ``TypeError``/``ValueError`` naming them.
    """
    eigenvalues, eigenvectors = _spd_eigen(Sigma)
    d = eigenvalues.size
    h = _step(h)
    if h <= 0:
        raise ValueError(f"h={h!r} must be a finite step size > 0")
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k < 0:
        raise ValueError(f"k={k!r} must be a non-negative integer (the number of steps)")
    k = positive_int("k", k, minimum=0)
    temperature = _check_temperature(temperature)
    arrays = {"mean0": mean0, "mu": np.zeros(d) if mu is None else mu, "cov0": cov0}
    for name, shape in (("mean0", (d,)), ("mu", (d,)), ("cov0", (d, d))):
        value = real_array(name, arrays[name], allow_empty=True, finite=False)
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(value.shape)}")
        arrays[name] = real_array(name, value)
    mean0, mu, cov0 = arrays["mean0"], arrays["mu"], arrays["cov0"]
    scale = max(1.0, float(np.abs(cov0).max()))
    if not np.allclose(cov0, cov0.T, rtol=1e-10, atol=1e-12 * scale):
        raise ValueError(f"cov0 must be symmetric, got max |C - C^T| = {np.abs(cov0 - cov0.T).max():.3g}")
    smallest = np.linalg.eigvalsh((cov0 + cov0.T) / 2)[0]
    if smallest < -1e-12 * scale:
        raise ValueError(f"cov0 must be positive semi-definite; its smallest eigenvalue is {smallest:.4g}")
    functions = _scalar_functions()
    contraction = functions["contraction"](eigenvalues, h)
    with np.errstate(over="ignore"):
        power = contraction ** int(k)
        marginal = np.isclose(contraction**2, 1.0, rtol=0, atol=1e-12)
        safe = np.where(marginal, 0.5, contraction)
        noise = np.where(
            marginal,
            functions["noise_marginal"](h, float(k), temperature),
            functions["noise"](safe, h, float(k), temperature),
        )
    transition_k = (eigenvectors * power) @ eigenvectors.T
    mean = mu + transition_k @ (mean0 - mu)
    cov = transition_k @ cov0 @ transition_k.T + (eigenvectors * noise) @ eigenvectors.T
    return mean, (cov + cov.T) / 2
