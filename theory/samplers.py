r"""Langevin samplers (ULA, MALA) vectorised over chains, and ULA's exact Gaussian laws.

Samplers follow the init/kernel pattern (STYLE.md §1): :func:`langevin_init` builds a
:class:`LangevinState` that caches what the next step needs (position, :math:`\log f`, score);
:func:`ula_kernel` and :func:`mala_kernel` take the random generator as an argument and return
``(state, info)``. This module holds the one Langevin move of the project: ULA is the move
(:func:`langevin_step`) driven by fresh noise, MALA is the same move plus a Metropolis–Hastings
accept step, and chains that share their noise (synchronous couplings) call
:func:`langevin_step` with the increments they build, so the claim "MALA removes ULA's bias"
compares two kernels that share their move.

Positions have shape ``(num_chains, d)``; the drift is the model's SymPy-derived score
:math:`s = \nabla_x\log f = -\nabla U` (review, seed 003, eq. 84):

.. math:: X_{k+1} = X_k + h\,s(X_k) + \sqrt{2\tau h}\,\xi_k,\qquad \xi_k\sim\mathcal N(0, I_d),

with temperature :math:`\tau = 1` (eq. 84, the :math:`\sqrt{2\eta}` slides of seed 002) or
:math:`\tau = 1/2` (the :math:`\sqrt\eta` slide "Using an EBM").

Backends: the array namespace comes from the inputs (:func:`theory.backend.namespace` of the
positions and θ: numpy, cupy, array-api-strict), never from a parameter, and the code uses only
the array API standard. Random draws go through :mod:`theory.backend`'s shim
(:func:`~theory.backend.standard_normal`, :func:`~theory.backend.uniform`): the generator
``rng`` is numpy's or cupy's, and a namespace without a random module (array-api-strict) is
served by a numpy generator whose draws are converted with ``xp.asarray``.

Every public function validates its arguments (:mod:`theory.validation`) and raises a
``TypeError``/``ValueError`` that names the argument. Inside the kernels a chain that has left
the finite numbers is not an input error: its row is flagged ``diverged`` and the model is
evaluated on the finite rows only (the others get NaN).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from ebmcheck.theory.backend import namespace, standard_normal, uniform
from ebmcheck.theory.symbolic import compile_expression
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


def langevin_init(position, model, theta, *, log_density: bool = True) -> LangevinState:
    """Return the state at ``position`` (N, d) for ``model`` at parameter ``theta`` (p,).

    ``position`` must be a finite real array of shape (num_chains, d) and ``theta`` an allowed
    parameter of ``model`` (:meth:`theory.models.Model.validate`), both of one array namespace
    (the chains run in it). ``log_density=False`` leaves ``state.log_density`` as None: ULA
    never needs it (MALA does), and :func:`ula_kernel` then skips evaluating it.
    """
    _check_model(model)
    log_density = flag("log_density", log_density)
    position = real_array("position", position, ndim=2)
    if position.shape[1] != model.dim:
        raise ValueError(f"position must have shape (num_chains, {model.dim}), got {tuple(position.shape)}")
    theta = model.validate(theta) if hasattr(model, "validate") else real_array("theta", theta)
    xp = namespace(position, theta)
    position, theta = xp.asarray(position, dtype=xp.float64), xp.asarray(theta, dtype=xp.float64)
    value = model.log_f(position, theta) if log_density else None
    return LangevinState(position, value, model.score(position, theta))


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


def _check_theta(theta):
    """θ as an array (a list becomes a numpy array; an array keeps its namespace)."""
    return real_array("theta", theta)


def _noise_scale(step_size: float, temperature: float) -> float:
    r""":math:`\sqrt{2\tau h}`: the increment of one move is :math:`\sqrt{2\tau h}\,\xi`."""
    return math.sqrt(2.0 * temperature * step_size)


def _on_finite_rows(function, position, theta, finite):
    """``function(position, theta)`` on the chains whose position is finite (``finite``, (N,)); NaN on the others.

    A diverged chain is reported by the kernels' ``diverged`` flag, not raised: the model's
    public functions refuse non-finite points, so they only see the finite rows."""
    xp = namespace(position, theta)
    if bool(xp.all(finite)):
        return function(position, theta)
    if theta.ndim > 1:
        theta = xp.broadcast_to(theta, position.shape[:-1] + theta.shape[-1:])[finite]
    values = function(position[finite], theta)
    out = xp.full(position.shape[:1] + values.shape[1:], xp.nan, dtype=xp.float64)
    out[finite] = values
    return out


def langevin_move(state: LangevinState, noise, step_size: float, temperature: float = 1.0):
    r"""The ULA move :math:`x + h s(x) + \sqrt{2\tau h}\,\xi` for standard-normal ``noise`` ξ (N, d): the new positions.

    ``state`` a :class:`LangevinState`, ``noise`` a finite real array of the positions' shape
    and namespace, ``step_size`` :math:`h > 0` and ``temperature`` :math:`\tau > 0` finite real
    numbers."""
    state = _check_state(state)
    noise = _check_increment("noise", noise, state)
    step_size = _check_step_size(step_size)
    return _move(state, _noise_scale(step_size, _check_temperature(temperature)) * noise, step_size)


def _check_increment(name: str, value, state: LangevinState):
    value = real_array(name, value, allow_empty=True)
    if tuple(value.shape) != tuple(state.position.shape):
        raise ValueError(f"{name} must have the positions' shape {tuple(state.position.shape)}, got {tuple(value.shape)}")
    namespace(state.position, value)  # one namespace: a TypeError naming both otherwise
    return value


def _move(state: LangevinState, increment, step_size: float):
    r""":math:`x + h\,s(x) + \Delta` — the one Langevin move; Δ is :math:`\sqrt{2\tau h}\,\xi` or a coupling's increment."""
    moved = step_size * state.score  # a fresh array, updated in place: no temporary per term
    moved += state.position
    moved += increment  # every caller's increment has the positions' shape (_check_increment, the kernels)
    return moved


def _finite_rows(xp, array):
    """(N,) bool: which rows of ``array`` (N, d) are finite.

    The whole array is checked first: one reduction over contiguous memory is ~40× faster in numpy
    than a reduction along a short last axis (4 ms for (10⁵, 2)), and the rows are needed only
    once a chain has diverged."""
    if bool(xp.all(xp.isfinite(array))):
        return xp.ones(array.shape[:1], dtype=xp.bool)
    return xp.all(xp.isfinite(array), axis=-1)


def langevin_step(state: LangevinState, model, theta, step_size: float, increment) -> tuple[LangevinState, ULAInfo]:
    r"""The move :math:`x' = x + h\,s(x) + \Delta` for a given Gaussian increment Δ (N, d), and the state at :math:`x'`.

    :func:`ula_kernel` is this step with :math:`\Delta = \sqrt{2\tau h}\,\xi` for fresh noise ξ;
    coupled chains pass increments built from shared noise (e.g. a coarse step h driven by the
    sum of a fine chain's two increments at h/2). The model is evaluated at :math:`x'` on the
    finite rows only; ``info.diverged`` flags the others (numpy's overflow warnings are
    suppressed here because they are handled by that flag). ``state.log_density`` is updated
    only if the state carries one.

    ``state`` a :class:`LangevinState`, ``model`` and ``theta`` as in :func:`langevin_init`,
    ``step_size`` :math:`h > 0` a finite real number, ``increment`` a real array of the
    positions' shape and namespace.
    """
    state = _check_state(state)
    _check_model(model)
    theta = _check_theta(theta)
    increment = _check_increment("increment", increment, state)
    return _langevin_step(state, model, theta, _check_step_size(step_size), increment)


def _langevin_step(state: LangevinState, model, theta, step_size: float, increment) -> tuple[LangevinState, ULAInfo]:
    xp = namespace(state.position, theta)
    with np.errstate(over="ignore", invalid="ignore"):
        position = _move(state, increment, step_size)
        finite = _finite_rows(xp, position)
        value = None if state.log_density is None else _on_finite_rows(model.log_f, position, theta, finite)
        new = LangevinState(position, value, _on_finite_rows(model.score, position, theta, finite))
    return new, ULAInfo(~finite)


def ula_kernel(rng, state: LangevinState, model, theta, step_size: float, *, temperature: float = 1.0):
    """One ULA step for every chain; returns ``(LangevinState, ULAInfo)``.

    The noise ξ ~ N(0, I) of shape (N, d) is drawn by ``rng`` (:func:`theory.backend.standard_normal`)
    and the step is :func:`langevin_step` with increment :math:`\\sqrt{2\\tau h}\\,\\xi`.
    Divergence (overflow beyond the stable step-size region) is reported per chain in
    ``info.diverged``, never silently.

    ``rng`` is a random generator (numpy's or cupy's), ``state`` a :class:`LangevinState`,
    ``theta`` an array of the positions' namespace, ``step_size`` :math:`h > 0` and
    ``temperature`` :math:`\\tau > 0` finite real numbers.
    """
    rng = generator("rng", rng)
    state = _check_state(state)
    _check_model(model)
    theta = _check_theta(theta)
    step_size = _check_step_size(step_size)
    temperature = _check_temperature(temperature)
    xp = namespace(state.position, theta)
    increment = standard_normal(rng, tuple(state.position.shape), xp)
    increment *= _noise_scale(step_size, temperature)  # the fresh draws scaled in place
    return _langevin_step(state, model, theta, step_size, increment)


def proposal_log_density(x_to, x_from, score_from, step_size: float):
    r""":math:`\log g(x'|x)` of the ULA move up to a constant: :math:`-\|x'-x-h s(x)\|^2/(4h)`.

    The correct form of review eq. 95 (which prints :math:`U(x)` for :math:`\nabla U(x)`, and a
    prefactor :math:`(2\pi h)^{-d/2}` that does not normalize; the prefactor cancels here).
    ``x_to``, ``x_from`` and ``score_from`` are finite real arrays (..., d) of one namespace that
    broadcast, ``step_size`` a finite real number > 0.
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
    return _proposal_log_density(*arrays, _check_step_size(step_size))


def _proposal_log_density(x_to, x_from, score_from, step_size: float):
    xp = namespace(x_to, x_from, score_from)
    residual = x_to - x_from - step_size * score_from
    return -xp.sum(residual * residual, axis=-1) / (4.0 * step_size)


def mala_kernel(rng, state: LangevinState, model, theta, step_size: float, *, log_proposal=None):
    r"""One MALA step: the ULA move, accepted with probability
    :math:`\min\{1, \rho(x')g(x|x')/(\rho(x)g(x'|x))\}` (review Definitions 4.2 and 4.4).

    The move's noise ξ (N, d) and then the uniforms u (N,) of the accept step are drawn by
    ``rng`` (:mod:`theory.backend`'s shim). ``log_proposal(x_to, x_from, state_from)``
    replaces :func:`proposal_log_density` (used to test eq. 95 as printed). Returns
    ``(LangevinState, MALAInfo)``. ``rng``, ``state``, ``theta`` and ``step_size`` are
    validated as in :func:`ula_kernel`.
    """
    rng = generator("rng", rng)
    state = _check_state(state)
    _check_model(model)
    theta = _check_theta(theta)
    step_size = _check_step_size(step_size)
    if log_proposal is not None:
        function("log_proposal", log_proposal, "(x_to, x_from, state_from) or None")
    if state.log_density is None:
        raise ValueError("MALA needs state.log_density: build the state with langevin_init(..., log_density=True)")
    xp = namespace(state.position, theta)
    num_chains = state.position.shape[0]
    noise = standard_normal(rng, tuple(state.position.shape), xp)
    threshold = uniform(rng, (num_chains,), xp)
    proposed, _ = _langevin_step(state, model, theta, step_size, _noise_scale(step_size, 1.0) * noise)
    proposal = proposed.position
    with np.errstate(over="ignore", invalid="ignore"):
        if log_proposal is None:
            forward = _proposal_log_density(proposal, state.position, state.score, step_size)
            backward = _proposal_log_density(state.position, proposal, proposed.score, step_size)
        else:
            forward = log_proposal(proposal, state.position, state)
            backward = log_proposal(state.position, proposal, proposed)
        log_ratio = proposed.log_density - state.log_density + backward - forward
        # 0-d arrays, not Python scalars, in where/minimum: scalars there are array API 2024.12 only
        log_ratio = xp.where(xp.isfinite(log_ratio), log_ratio, xp.asarray(-math.inf, dtype=xp.float64))
        probability = xp.exp(xp.minimum(log_ratio, xp.asarray(0.0, dtype=xp.float64)))
        accept = threshold < probability
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
        "contraction": compile_expression((lam, h), forms["contraction"], cse=False),
        "stationary": compile_expression((lam, h, tau), forms["stationary_eigenvalue_tau"], cse=False),
        "noise": compile_expression((a, h, k, tau), forms["noise_variance_after_k"], cse=False),
        "noise_marginal": compile_expression((h, k, tau), forms["noise_variance_after_k_marginal"], cse=False),
    }


def _spd_eigen(Sigma, name: str = "Sigma"):
    """Eigen-decomposition of a symmetric positive-definite ``Sigma`` (:func:`theory.validation.spd_matrix`),
    in ``Sigma``'s namespace: (eigenvalues ascending, eigenvectors as columns)."""
    Sigma = spd_matrix(name, Sigma)
    xp = namespace(Sigma)
    eigenvalues, eigenvectors = xp.linalg.eigh((Sigma + Sigma.T) / 2)
    if float(eigenvalues[0]) <= 0:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is {float(eigenvalues[0]):.4g}")
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
        Target covariance, symmetric positive definite; the result is an array of its namespace.
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
    edge = 2.0 * float(eigenvalues[0])
    # The edge itself is known only to rounding (an eigenvalue's absolute error is ~d·eps·λ_max),
    # so step sizes within that distance of it are refused too: there the covariance is ~1/eps.
    margin = 64 * eigenvalues.shape[0] * np.finfo(float).eps * 2.0 * float(eigenvalues[-1])
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
    ``Sigma`` SPD (d, d), ``mean0`` and ``mu`` finite (d,), ``temperature`` > 0; the arrays are
    of one namespace, which the result's are. Arguments outside these sets raise
    ``TypeError``/``ValueError`` naming them.
    """
    eigenvalues, eigenvectors = _spd_eigen(Sigma)
    xp = namespace(eigenvalues)
    d = eigenvalues.shape[0]
    h = _step(h)
    if h <= 0:
        raise ValueError(f"h={h!r} must be a finite step size > 0")
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k < 0:
        raise ValueError(f"k={k!r} must be a non-negative integer (the number of steps)")
    k = positive_int("k", k, minimum=0)
    temperature = _check_temperature(temperature)
    arrays = {"mean0": mean0, "mu": xp.zeros(d, dtype=xp.float64) if mu is None else mu, "cov0": cov0}
    for name, shape in (("mean0", (d,)), ("mu", (d,)), ("cov0", (d, d))):
        value = real_array(name, arrays[name], allow_empty=True, finite=False)
        if tuple(value.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(value.shape)}")
        arrays[name] = real_array(name, value)
    mean0, mu, cov0 = arrays["mean0"], arrays["mu"], arrays["cov0"]
    namespace(eigenvalues, mean0, mu, cov0)  # one namespace: a TypeError naming both otherwise
    scale = max(1.0, float(xp.max(xp.abs(cov0))))
    asymmetry = xp.abs(cov0 - cov0.T)
    if not bool(xp.all(asymmetry <= 1e-12 * scale + 1e-10 * xp.abs(cov0.T))):
        raise ValueError(f"cov0 must be symmetric, got max |C - C^T| = {float(xp.max(asymmetry)):.3g}")
    smallest = float(xp.linalg.eigvalsh((cov0 + cov0.T) / 2)[0])
    if smallest < -1e-12 * scale:
        raise ValueError(f"cov0 must be positive semi-definite; its smallest eigenvalue is {smallest:.4g}")
    functions = _scalar_functions()
    contraction = functions["contraction"](eigenvalues, h)
    with np.errstate(over="ignore"):
        power = contraction ** int(k)
        marginal = xp.abs(contraction**2 - 1.0) <= 1e-12
        safe = xp.where(marginal, xp.asarray(0.5, dtype=xp.float64), contraction)
        noise = xp.where(
            marginal,
            xp.asarray(functions["noise_marginal"](h, float(k), temperature), dtype=xp.float64),
            functions["noise"](safe, h, float(k), temperature),
        )
    transition_k = (eigenvectors * power) @ eigenvectors.T
    mean = mu + transition_k @ (mean0 - mu)
    cov = transition_k @ cov0 @ transition_k.T + (eigenvectors * noise) @ eigenvectors.T
    return mean, (cov + cov.T) / 2
