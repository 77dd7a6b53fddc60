r"""Integrators for the generative ODE and SDE of stochastic interpolants (seed 003, §3.3).

Every particle is a row of one array updated per time step (no Python loop over particles):

- :func:`rk4_flow` — classical Runge–Kutta 4 for :math:`\dot X = b(X, t)` (global error
  :math:`O(h^4)`);
- :func:`euler_maruyama` and :func:`stochastic_heun` for
  :math:`dX = \mu(X, t)\,dt + \sigma\,dW` with additive noise (weak order 1 and 2);
- :func:`affine_scheme_moments` — the *exact* law of either scheme when the drift is affine,
  :math:`\mu = a(t) + c(t)x`: the scheme maps a Gaussian to a Gaussian, so its mean and variance
  follow a deterministic recursion. Subtracting the continuous-time law gives the scheme's
  discretisation bias exactly (no Monte Carlo), which is how the checks show it is below their
  standard error, and how the weak order of the scheme is measured.
- :func:`arcsine_times` — times :math:`t \sim \mathrm{Beta}(\tfrac12,\tfrac12)` with the weights
  :math:`1/q(t) = \pi\sqrt{t(1-t)}` that make :math:`\mathbb E_{t\sim q}[w(t) f(t)] = \int_0^1 f`.
  With :math:`\gamma(t) = \sqrt{2t(1-t)}` the integrands of eqs. 68–69 carry :math:`\dot\gamma^2`
  and :math:`\gamma^{-2}`, both :math:`\propto 1/(t(1-t))`: their Monte Carlo variance under
  :math:`t\sim\mathcal U[0,1]` is infinite, under the arcsine law finite.

These belong with the general SDE machinery (``theory/sde.py``, written on another branch) and
should move there when the branches merge.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ebmcheck.theory.validation import (
    choice,
    function,
    generator,
    positive_int,
    real_array,
    real_scalar,
)

SCHEMES = ("euler-maruyama", "heun")


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


def euler_maruyama(drift: Callable, noise: float, x0, t0: float, t1: float, steps: int, rng) -> np.ndarray:
    r"""Euler–Maruyama for :math:`dX = \mu(X,t)\,dt + \sigma\,dW`:
    :math:`X_{n+1} = X_n + h\,\mu(X_n, t_n) + \sigma\sqrt h\,\xi_n` (weak order 1)."""
    drift, noise, x, t0, t1, steps, rng, h = _sde(drift, noise, x0, t0, t1, steps, rng)
    for n in range(steps):
        x = x + h * drift(x, t0 + n * h) + noise * np.sqrt(h) * rng.standard_normal(x.shape)
    return x


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


def arcsine_times(num: int, rng) -> tuple[np.ndarray, np.ndarray]:
    r"""``num`` times :math:`t\sim\mathrm{Beta}(\tfrac12,\tfrac12)` and their weights
    :math:`\pi\sqrt{t(1-t)}` (so that the weighted mean estimates :math:`\int_0^1 f\,dt`)."""
    num = positive_int("num", num)
    rng = generator("rng", rng)
    t = rng.beta(0.5, 0.5, size=num)
    return t, np.pi * np.sqrt(t * (1 - t))
