r"""Exact laws of ULA chains and of the CD birth–death equation in 1-D, on grids.

**k ULA steps.** The step :math:`X' = X + \eta s(X) + \sqrt{2\eta}\,\xi` (s = −U') maps a density p to

.. math:: p'(y) = \int p(x)\,\varphi_{2\eta}\big(y - x - \eta s(x)\big)\,dx,

a Gaussian-kernel integral. On a uniform grid of spacing δ the trapezoid rule for it is
spectrally accurate while δ is a fraction of the kernel's width √(2η) and of the data's scale
(error :math:`\sim e^{-2\pi^2\sigma^2/\delta^2}`); :func:`ula_expectations` uses δ = σ/4 with
σ = min(√(2η), data scale) and estimates the error by the same computation at δ/2
(:func:`theory.quadrature.refine`). Mass leaving the interval is not put back: the interval
must hold the chains (the checks take 8 scales beyond the modes).

**One ULA step, small η.** :func:`one_step_difference` computes
:math:`\mathbb{E}_{p_1}[g] - \mathbb{E}_{p}[g] = \int p(x)\,\mathbb{E}_\xi[g(x+\eta s(x)+\sqrt{2\eta}\xi) - g(x)]\,dx`
by Gauss–Legendre in x and Gauss–Hermite in ξ, differencing inside the integral so that an
O(η) difference keeps its relative precision.

**The reset (CD) equation, eq. 112, at frozen θ.** Its stationary law solves
:math:`(\nu - \alpha L^*)\check\rho = \nu\rho_*` with :math:`L^*\rho = (U'\rho + \rho')'`;
:func:`reset_gap` discretises the flux :math:`U'\rho + \rho'` at half-nodes (second order in δ,
zero flux at the ends) and returns :math:`\nu\,(\mathbb{E}_*[g] - \mathbb{E}_{\check\rho}[g])`, with
the error estimated by halving δ.

These belong with :mod:`theory.samplers` (ULA) but are grid solvers, not samplers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ebmcheck.theory.quadrature import gauss_legendre, refine
from ebmcheck.theory.validation import function, positive_int, real_scalar
from scipy.linalg import solve_banded

HERMITE_NODES = 40


def _interval(lo, hi) -> tuple[float, float]:
    lo, hi = real_scalar("lo", lo), real_scalar("hi", hi)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    return lo, hi


def _positive(name: str, value) -> float:
    value = real_scalar(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def _grid(lo: float, hi: float, spacing: float) -> tuple[np.ndarray, float]:
    count = int(np.ceil((hi - lo) / spacing)) + 1
    nodes = np.linspace(lo, hi, count)
    return nodes, nodes[1] - nodes[0]


def _density(log_density: Callable, nodes: np.ndarray, spacing: float) -> np.ndarray:
    values = np.asarray(log_density(nodes), dtype=float)
    if values.shape != nodes.shape or not np.all(np.isfinite(values)):
        raise ValueError("log_density must return finite values of the nodes' shape")
    density = np.exp(values - values.max())
    return density / (density.sum() * spacing)


def ula_expectations(log_density: Callable, score: Callable, func: Callable, lo, hi, step, steps,
                     scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\mathbb{E}_{p_k}[g]` for each k in ``steps`` (ints ≥ 0), p_0 ∝ exp(``log_density``), p_k the law
    after k ULA steps of size ``step`` with drift ``score`` (= −U'), on [lo, hi]; returns (values, errors),
    shape (len(steps),) + g's trailing shape. ``func``: nodes (n,) -> (n,) or (n, q)."""
    for name, f in (("log_density", log_density), ("score", score), ("func", func)):
        function(name, f)
    lo, hi = _interval(lo, hi)
    step, scale = _positive("step", step), _positive("scale", scale)
    steps = [int(k) for k in steps]
    if not steps or min(steps) < 0:
        raise ValueError(f"steps must be a non-empty list of ints >= 0, got {steps}")
    base = min(np.sqrt(2 * step), scale) / 4

    def at_level(level):
        nodes, spacing = _grid(lo, hi, base / 2**level)
        density = _density(log_density, nodes, spacing)
        drifted = nodes + step * np.asarray(score(nodes), dtype=float)
        kernel = spacing * np.exp(-((nodes[:, None] - drifted[None, :]) ** 2) / (4 * step)) / np.sqrt(4 * np.pi * step)
        values = np.asarray(func(nodes), dtype=float)
        values = values.reshape(nodes.size, -1)
        results, sizes, current, done = {}, {}, density, 0
        for k in sorted(set(steps)):
            for _ in range(k - done):
                current = kernel @ current
            done = k
            weights = current * spacing
            results[k], sizes[k] = weights @ values, weights @ np.abs(values)
        shape = np.asarray(func(nodes[:1]), dtype=float).shape[1:]
        out = np.array([results[k] for k in steps]).reshape((len(steps),) + shape)
        size = np.array([sizes[k] for k in steps]).reshape((len(steps),) + shape)
        return out, size

    return refine(at_level)


def one_step_difference(log_density: Callable, score: Callable, func: Callable, lo, hi, step,
                        panels: int = 200, order: int = 16) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\mathbb{E}_{p_1}[g] - \mathbb{E}_{p}[g]` after one ULA step of size ``step``; (value, error).
    ``func``: points (..., ) -> (..., ) or (..., q) elementwise."""
    for name, f in (("log_density", log_density), ("score", score), ("func", func)):
        function(name, f)
    lo, hi = _interval(lo, hi)
    step = _positive("step", step)
    panels = positive_int("panels", panels)
    hermite_t, hermite_w = np.polynomial.hermite_e.hermegauss(HERMITE_NODES)
    hermite_w = hermite_w / hermite_w.sum()

    def at_level(level):
        nodes, weights = gauss_legendre(lo, hi, panels * 2**level, order)
        log_p = np.asarray(log_density(nodes), dtype=float)
        weights = weights * np.exp(log_p - log_p.max())
        weights = weights / weights.sum()
        moved = nodes[:, None] + step * np.asarray(score(nodes), dtype=float)[:, None] + np.sqrt(2 * step) * hermite_t[None, :]
        before = np.asarray(func(nodes), dtype=float)
        after = np.asarray(func(moved), dtype=float)
        change = np.tensordot(hermite_w, np.moveaxis(after, 1, 0), axes=(0, 0)) - before
        size = np.abs(before) + np.abs(np.tensordot(hermite_w, np.moveaxis(after, 1, 0), axes=(0, 0)))
        return np.tensordot(weights, change, axes=(0, 0)), np.tensordot(weights, size, axes=(0, 0))

    return refine(at_level)


def reset_gap(log_density: Callable, energy_gradient: Callable, func: Callable, lo, hi, rate, speed,
              spacing: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\nu\,(\mathbb{E}_*[g] - \mathbb{E}_{\check\rho}[g])` for the stationary law of eq. 112 at frozen θ:
    :math:`(\nu - \alpha L^*)\check\rho = \nu\rho_*`, ``rate`` ν, ``speed`` α, ``energy_gradient`` U'.
    Returns (value, error) with the error from halving ``spacing``."""
    for name, f in (("log_density", log_density), ("energy_gradient", energy_gradient), ("func", func)):
        function(name, f)
    lo, hi = _interval(lo, hi)
    rate, speed, spacing = _positive("rate", rate), _positive("speed", speed), _positive("spacing", spacing)

    def at_level(level):
        nodes, delta = _grid(lo, hi, spacing / 2**level)
        density = _density(log_density, nodes, delta)
        half = 0.5 * (nodes[1:] + nodes[:-1])
        drift = np.asarray(energy_gradient(half), dtype=float)
        # flux at half node j+1/2: U'(x_{j+1/2}) (ρ_j + ρ_{j+1})/2 + (ρ_{j+1} − ρ_j)/δ; L*ρ_j = (F_{j+1/2} − F_{j−1/2})/δ
        upper = drift / 2 + 1 / delta  # coefficient of ρ_{j+1} in F_{j+1/2}
        lower = drift / 2 - 1 / delta  # coefficient of ρ_j in F_{j+1/2}
        n = nodes.size
        diagonal, above, below = np.zeros(n), np.zeros(n - 1), np.zeros(n - 1)
        diagonal[:-1] += lower / delta
        above += upper / delta
        diagonal[1:] -= upper / delta
        below -= lower / delta
        generator_rho = np.zeros(n)
        generator_rho[:-1] += (lower * density[:-1] + upper * density[1:]) / delta
        generator_rho[1:] -= (lower * density[:-1] + upper * density[1:]) / delta
        banded = np.zeros((3, n))
        banded[0, 1:] = -speed * above
        banded[1] = rate - speed * diagonal
        banded[2, :-1] = -speed * below
        # ρ̌ − ρ_* = (ν − αL*)^{-1} α L* ρ_*
        excess = solve_banded((1, 1), banded, speed * generator_rho)
        values = np.asarray(func(nodes), dtype=float).reshape(n, -1)
        shape = np.asarray(func(nodes[:1]), dtype=float).shape[1:]
        gap = -rate * delta * (excess @ values)
        size = rate * delta * (np.abs(excess) @ np.abs(values)) + delta * (density @ np.abs(values))
        return gap.reshape(shape), size.reshape(shape)

    return refine(at_level)
