r"""Vectorised Euler–Maruyama for Itô SDEs, forward or backward in time, paths as an array axis.

The SDE :math:`dX_t = \mu(X_t, t)\,dt + \sigma(X_t, t)\,dW_t` on :math:`\mathbb{R}^d` is advanced on
the uniform grid :math:`t_k = t_0 + k h`, :math:`h = (t_1 - t_0)/K`, by

.. math:: X_{k+1} = X_k + \mu(X_k, t_k)\,h + \sigma(X_k, t_k)\,\sqrt{|h|}\,\xi_k,
          \qquad \xi_k \sim \mathcal N(0, I_d) \text{ i.i.d.}

With :math:`t_1 < t_0` the step :math:`h` is negative: this is the reverse-time convention of
Anderson's lemma ("ds is a negative infinitesimal time step"), where the caller's drift already
contains the score term, e.g. :math:`f - g^2\nabla\log\rho`. The noise always has variance
:math:`|h|`.

Shapes: ``x0`` is ``(n, d)`` (n paths, the first axis) or ``(n,)`` for d = 1; the result has the
shape of ``x0``. ``drift(x, t)`` receives the ``(n, d)`` array and the scalar time and returns an
array broadcastable to ``(n, d)``. ``diffusion(x, t)`` returns either an array broadcastable to
``(n, d)`` (a scalar or a diagonal diffusion, multiplied entrywise with ξ), or, with
``matrix_noise=True``, a ``(d, m)`` or ``(n, d, m)`` matrix σ applied to an m-dimensional ξ.

Euler–Maruyama has weak order 1 (for smooth coefficients, :math:`|\mathbb E\varphi(X_K) - \mathbb
E\varphi(X_{t_1})| = O(h)`) and is exact in law for constant coefficients.
:func:`linear_moments` gives the scheme's exact mean and variance for a 1-D linear SDE, so that
the discretisation bias of a check can be derived rather than guessed.

For additive noise, :math:`dX = \mu(X,t)\,dt + \sigma\,dW`: :func:`stochastic_heun` (weak order 2),
:func:`rk4_flow` for the deterministic flow :math:`\dot X = b(X,t)` (global error :math:`O(h^4)`),
:func:`affine_scheme_moments` — the *exact* law of Euler–Maruyama or Heun when the drift is affine,
:math:`\mu = a(t) + c(t)x` (a Gaussian stays Gaussian; mean and variance follow a recursion), so
that a scheme's bias and weak order are derived, not simulated — and :func:`coarse_normals` (the
same Brownian path on a grid twice as coarse, for coupled runs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ebmcheck.theory import validation
from ebmcheck.theory.validation import choice, function, generator, positive_int, real_array, real_scalar

SCHEMES = ("euler-maruyama", "heun")
"""The schemes :func:`affine_scheme_moments` knows."""


class SDESolution(NamedTuple):
    """The state at the final time and at the requested intermediate grid times (in their order)."""

    x: np.ndarray
    saved: tuple[np.ndarray, ...]


def _grid_indices(save_at: Sequence[float], t0: float, t1: float, steps: int) -> list[int]:
    """Grid index of each time in ``save_at``; ``ValueError`` unless each is a grid point in [t0, t1]."""
    h = (t1 - t0) / steps
    indices = []
    for time in save_at:
        time = validation.real_scalar("save_at entry", time)
        k = round((time - t0) / h)
        if not 0 <= k <= steps or abs(t0 + k * h - time) > 1e-9 * max(1.0, abs(t1 - t0)):
            raise ValueError(f"save_at entry {time:g} must be a grid time t0 + k·h in [{t0:g}, {t1:g}] with h = {h:g}")
        indices.append(k)
    return indices


def _as_paths(x0) -> tuple[np.ndarray, bool]:
    array = validation.real_array("x0", x0, ndim=(1, 2))
    return (array[:, None], True) if array.ndim == 1 else (array, False)


def _increment(diffusion, x, t, noise, matrix_noise: bool) -> np.ndarray:
    sigma = np.asarray(diffusion(x, t), dtype=float)
    if matrix_noise:
        if sigma.ndim not in (2, 3) or sigma.shape[-2] != x.shape[1] or sigma.shape[-1] != noise.shape[1]:
            raise ValueError(f"diffusion(x, t) must return a (d, m) or (n, d, m) matrix with d = {x.shape[1]}, "
                             f"m = {noise.shape[1]}; got shape {sigma.shape}")
        return noise @ sigma.T if sigma.ndim == 2 else np.einsum("nij,nj->ni", sigma, noise)
    try:
        return np.broadcast_to(sigma, x.shape) * noise
    except ValueError:
        raise ValueError(f"diffusion(x, t) must return an array broadcastable to {x.shape}; got shape {sigma.shape} "
                         "(pass matrix_noise=True for a matrix σ)") from None


def euler_maruyama(drift: Callable, diffusion: Callable, x0, t0: float, t1: float, steps: int, rng, *,
                   matrix_noise: bool = False, noise_dim: int | None = None,
                   save_at: Sequence[float] = ()) -> SDESolution:
    r"""Integrate :math:`dX = \mu\,dt + \sigma\,dW` from ``t0`` to ``t1`` (either order) in ``steps`` steps.

    ``drift(x, t)`` and ``diffusion(x, t)`` take the ``(n, d)`` state and the time at the left end
    of the step (for a backward run: the later time, as in Anderson's reverse SDE). ``noise_dim``
    is m, the Brownian motion's dimension, when ``matrix_noise`` (default d). ``save_at``: grid
    times at which the state is also returned. Returns :class:`SDESolution`; ``x`` has the shape
    of ``x0``. Non-finite states raise ``FloatingPointError`` naming the step.
    """
    validation.function("drift", drift, "(x, t)")
    validation.function("diffusion", diffusion, "(x, t)")
    t0, t1 = validation.real_scalar("t0", t0), validation.real_scalar("t1", t1)
    if t0 == t1:
        raise ValueError(f"t1 must differ from t0 (a forward run has t1 > t0, a backward run t1 < t0), got both {t0:g}")
    steps = validation.positive_int("steps", steps)
    validation.generator("rng", rng)
    matrix_noise = validation.flag("matrix_noise", matrix_noise)
    x, squeeze = _as_paths(x0)
    x = x.copy()
    m = x.shape[1] if noise_dim is None else validation.positive_int("noise_dim", noise_dim)
    if noise_dim is not None and not matrix_noise:
        raise ValueError("noise_dim is only meaningful with matrix_noise=True")
    wanted = _grid_indices(save_at, t0, t1, steps)
    h = (t1 - t0) / steps
    root = math.sqrt(abs(h))
    saved: dict[int, np.ndarray] = {}
    for k in range(steps + 1):
        if k in wanted:
            saved[k] = x[:, 0].copy() if squeeze else x.copy()
        if k == steps:
            break
        t = t0 + k * h
        noise = rng.standard_normal((x.shape[0], m))
        mu = np.broadcast_to(np.asarray(drift(x, t), dtype=float), x.shape)
        x = x + mu * h + root * _increment(diffusion, x, t, noise, matrix_noise)
        if not np.all(np.isfinite(x)):
            raise FloatingPointError(f"Euler–Maruyama produced a non-finite state at step {k + 1} (t = {t + h:g})")
    return SDESolution(x[:, 0] if squeeze else x, tuple(saved[k] for k in wanted))


class CoupledSolution(NamedTuple):
    """A fine run (K steps) and a coarse run (K/2 steps) driven by the same Brownian path."""

    fine: SDESolution
    coarse: SDESolution


def coupled_euler_maruyama(drift: Callable, diffusion: Callable, x0, t0: float, t1: float, steps: int, rng, *,
                           save_at: Sequence[float] = ()) -> CoupledSolution:
    r"""Euler–Maruyama with ``steps`` steps and with ``steps/2`` steps on the *same* Brownian path.

    The coarse increment over :math:`[t_{2j}, t_{2j+2}]` is the sum of the two fine ones,
    :math:`\sqrt{|h|}(\xi_{2j} + \xi_{2j+1})`, so the two endpoints are strongly correlated and the
    Richardson combination :math:`2\,\mathbb E\varphi(X^{h}) - \mathbb E\varphi(X^{2h})` (weak error
    :math:`O(h^2)`) is estimated per path with about the variance of one run, not five times it.
    Diagonal (entrywise) noise only; ``save_at`` are fine-grid times, saved for the fine run, and for
    the coarse run where they are coarse-grid times (else the coarse ``saved`` omits them).
    Arguments otherwise as :func:`euler_maruyama`; ``steps`` must be even.
    """
    validation.function("drift", drift, "(x, t)")
    validation.function("diffusion", diffusion, "(x, t)")
    t0, t1 = validation.real_scalar("t0", t0), validation.real_scalar("t1", t1)
    if t0 == t1:
        raise ValueError(f"t1 must differ from t0 (a forward run has t1 > t0, a backward run t1 < t0), got both {t0:g}")
    steps = validation.positive_int("steps", steps)
    if steps % 2:
        raise ValueError(f"steps must be even (the coarse run takes steps/2), got {steps}")
    validation.generator("rng", rng)
    x, squeeze = _as_paths(x0)
    fine, coarse = x.copy(), x.copy()
    wanted = _grid_indices(save_at, t0, t1, steps)
    h = (t1 - t0) / steps
    root = math.sqrt(abs(h))
    saved_fine: dict[int, np.ndarray] = {}
    saved_coarse: dict[int, np.ndarray] = {}

    def step(state, t, dt, noise):
        mu = np.broadcast_to(np.asarray(drift(state, t), dtype=float), state.shape)
        return state + mu * dt + _increment(diffusion, state, t, noise, False)

    def keep(store, k, state):
        if k in wanted:
            store[k] = state[:, 0].copy() if squeeze else state.copy()

    for j in range(steps // 2 + 1):
        keep(saved_fine, 2 * j, fine)
        keep(saved_coarse, 2 * j, coarse)
        if j == steps // 2:
            break
        t = t0 + 2 * j * h
        first, second = (root * rng.standard_normal(fine.shape) for _ in range(2))
        coarse = step(coarse, t, 2 * h, first + second)
        fine = step(fine, t, h, first)
        keep(saved_fine, 2 * j + 1, fine)
        fine = step(fine, t + h, h, second)
        if not (np.all(np.isfinite(fine)) and np.all(np.isfinite(coarse))):
            raise FloatingPointError(f"Euler–Maruyama produced a non-finite state at step {2 * j + 2} (t = {t + 2 * h:g})")

    def solution(state, store):
        return SDESolution(state[:, 0] if squeeze else state, tuple(store[k] for k in wanted if k in store))

    return CoupledSolution(solution(fine, saved_fine), solution(coarse, saved_coarse))


class Moments(NamedTuple):
    mean: float
    variance: float


def linear_moments(a: Callable[[float], float], b: Callable[[float], float], c: Callable[[float], float],
                   mean0: float, variance0: float, t0: float, t1: float, steps: int) -> Moments:
    r"""Exact mean and variance of the Euler–Maruyama chain for the 1-D linear SDE
    :math:`dX = (a(t)X + b(t))\,dt + c(t)\,dW` (forward or backward, as :func:`euler_maruyama`):

    .. math:: m_{k+1} = (1 + a_k h)\,m_k + b_k h, \qquad v_{k+1} = (1 + a_k h)^2 v_k + c_k^2 |h|,

    with :math:`a_k = a(t_k)` etc. Compared with the SDE's own moments this is the scheme's
    discretisation bias, derived, not estimated.
    """
    for name, value in (("a", a), ("b", b), ("c", c)):
        validation.function(name, value, "(t)")
    mean, variance = validation.real_scalar("mean0", mean0), validation.real_scalar("variance0", variance0, low=0.0)
    t0, t1 = validation.real_scalar("t0", t0), validation.real_scalar("t1", t1)
    steps = validation.positive_int("steps", steps)
    h = (t1 - t0) / steps
    for k in range(steps):
        t = t0 + k * h
        factor = 1.0 + float(a(t)) * h
        mean = factor * mean + float(b(t)) * h
        variance = factor**2 * variance + float(c(t)) ** 2 * abs(h)
    return Moments(mean, variance)


# ---- additive noise: Heun, RK4 for the probability-flow ODE, and their exact laws for an affine drift --------
def _times(t0, t1, steps) -> tuple[float, float, int]:
    t0 = real_scalar("t0", t0)
    t1 = real_scalar("t1", t1)
    steps = positive_int("steps", steps)
    if not t1 > t0:
        raise ValueError(f"t1 must be greater than t0, got t0={t0}, t1={t1}")
    return t0, t1, steps


def rk4_flow(velocity: Callable, x0, t0: float, t1: float, steps: int) -> np.ndarray:
    r"""Integrate :math:`\dot X = b(X, t)` from ``x0`` (any shape) on [t0, t1] with ``steps`` RK4 steps.

    ``velocity(x, t)`` returns an array of x's shape; ``t`` is a float."""
    function("velocity", velocity, "(x, t) -> array like x")
    x = real_array("x0", x0).copy()
    t0, t1, steps = _times(t0, t1, steps)
    h = (t1 - t0) / steps
    for n in range(steps):
        t = t0 + n * h
        k1 = velocity(x, t)
        k2 = velocity(x + 0.5 * h * k1, t + 0.5 * h)
        k3 = velocity(x + 0.5 * h * k2, t + 0.5 * h)
        k4 = velocity(x + h * k3, t + h)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def _sde(drift, noise, x0, t0, t1, steps, rng):
    function("drift", drift, "(x, t) -> array like x")
    noise = real_scalar("noise", noise, low=0.0)
    x = real_array("x0", x0).copy()
    t0, t1, steps = _times(t0, t1, steps)
    rng = generator("rng", rng)
    return drift, noise, x, t0, t1, steps, rng, (t1 - t0) / steps


def stochastic_heun(drift: Callable, noise: float, x0, t0: float, t1: float, steps: int, rng,
                    normals=None) -> np.ndarray:
    r"""Stochastic Heun (predictor–corrector) for additive noise, weak order 2:

    .. math:: \tilde X = X_n + h\mu(X_n,t_n) + \sigma\Delta W_n,\quad
              X_{n+1} = X_n + \tfrac h2\big(\mu(X_n,t_n) + \mu(\tilde X,t_{n+1})\big) + \sigma\Delta W_n.

    ``normals`` (optional, shape (steps, *x0.shape)): the standard normals ξ_n of ΔW_n = √h ξ_n,
    for coupled runs (:func:`coarse_normals`); drawn from ``rng`` when None."""
    drift, noise, x, t0, t1, steps, rng, h = _sde(drift, noise, x0, t0, t1, steps, rng)
    if normals is not None:
        normals = real_array("normals", normals, shape=(steps, *x.shape))
    for n in range(steps):
        t = t0 + n * h
        increment = noise * np.sqrt(h) * (rng.standard_normal(x.shape) if normals is None else normals[n])
        now = drift(x, t)
        predicted = x + h * now + increment
        x = x + 0.5 * h * (now + drift(predicted, t + h)) + increment
    return x


def affine_scheme_moments(offset: Callable, slope: Callable, noise: float, mean0: float, var0: float,
                          t0: float, t1: float, steps: int, scheme: str = "heun") -> tuple[float, float]:
    r"""Mean and variance after ``steps`` steps of ``scheme`` for the affine drift
    :math:`\mu(x,t) = a(t) + c(t)x` from :math:`X_{t_0}` with mean ``mean0`` and variance ``var0``.

    One step is :math:`X' = A X + B + C\sigma\Delta W`, so :math:`m' = Am + B`,
    :math:`V' = A^2V + C^2\sigma^2h`. Euler–Maruyama: :math:`A = 1 + hc_n, B = ha_n, C = 1`. Heun:
    :math:`A = 1 + \tfrac h2(c_n + c_{n+1} + hc_{n+1}c_n)`,
    :math:`B = \tfrac h2(a_n + a_{n+1} + hc_{n+1}a_n)`, :math:`C = 1 + \tfrac h2 c_{n+1}`.
    With ``steps`` large this is also the continuous-time law to :math:`O(h^p)`."""
    function("offset", offset, "(t) -> float")
    function("slope", slope, "(t) -> float")
    noise = real_scalar("noise", noise, low=0.0)
    mean = real_scalar("mean0", mean0)
    var = real_scalar("var0", var0, low=0.0)
    scheme = choice("scheme", scheme, SCHEMES)
    t0, t1, steps = _times(t0, t1, steps)
    h = (t1 - t0) / steps
    grid = t0 + h * np.arange(steps + 1)
    a, c = np.array([offset(t) for t in grid], float), np.array([slope(t) for t in grid], float)
    if scheme == "euler-maruyama":
        gain, shift, kick = 1 + h * c[:-1], h * a[:-1], np.ones(steps)
    else:
        gain = 1 + 0.5 * h * (c[:-1] + c[1:] + h * c[1:] * c[:-1])
        shift = 0.5 * h * (a[:-1] + a[1:] + h * c[1:] * a[:-1])
        kick = 1 + 0.5 * h * c[1:]
    for n in range(steps):
        mean = gain[n] * mean + shift[n]
        var = gain[n] ** 2 * var + kick[n] ** 2 * noise**2 * h
    return float(mean), float(var)


def coarse_normals(fine) -> np.ndarray:
    r"""The normals of the same Brownian path on a grid twice as coarse: :math:`(\xi_{2k} + \xi_{2k+1})/\sqrt2`.

    ``fine`` has an even number of steps on its first axis."""
    fine = real_array("fine", fine)
    if fine.ndim == 0 or fine.shape[0] % 2:
        raise ValueError(f"fine must have an even number of steps on its first axis, got shape {fine.shape}")
    return (fine[0::2] + fine[1::2]) / np.sqrt(2.0)
