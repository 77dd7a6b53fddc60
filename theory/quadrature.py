r"""Vectorised 1-D quadrature for expectations under (unnormalized) densities.

Composite Gauss–Legendre: ``panels`` equal panels of ``order`` nodes each on a finite interval
outside which the density is negligible (below :math:`e^{-80}` of its maximum, about
:math:`10^{-35}`). The density is normalized by the same rule, so :math:`Z` is never needed.
The error of an expectation is estimated as the difference between the rule and the rule with
twice as many panels, floored at a rounding bound :math:`64\,\epsilon\,\mathbb{E}|g|`; a
floor keeps a z-statistic finite when the two rules agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LOG_TAIL = 80.0  # nats below the maximum at which the density is treated as zero


def support_interval(model, theta, tail: float = LOG_TAIL) -> tuple[float, float]:
    """Return [lo, hi] outside which :math:`\\log f(x;\\theta)` is ``tail`` below its maximum."""
    if model.dim != 1:
        raise ValueError(f"quadrature is 1-D; model {model.name!r} has d={model.dim}")
    theta = model.validate(theta)
    log_f = lambda grid: model.log_f(grid[:, None], theta)  # noqa: E731
    return _interval(log_f, tail)


def _interval(log_density: Callable, tail: float) -> tuple[float, float]:
    half_width = 8.0
    with np.errstate(all="ignore"):  # log f may be -inf far out (underflow), which is fine here
        while True:
            grid = np.linspace(-half_width, half_width, 8001)
            values = np.nan_to_num(log_density(grid), nan=-np.inf)
            inside = np.nonzero(values >= values.max() - tail)[0]
            if 0 < inside[0] and inside[-1] < grid.size - 1:
                step = grid[1] - grid[0]
                return grid[inside[0]] - step, grid[inside[-1]] + step
            if half_width > 1e6:
                raise ValueError("the density does not decay within |x| < 1e6; is it normalizable?")
            half_width *= 4


def gauss_legendre(lo: float, hi: float, panels: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of composite Gauss–Legendre on [lo, hi], shape (panels*order,)."""
    if not hi > lo:
        raise ValueError(f"need lo < hi, got [{lo}, {hi}]")
    unit_nodes, unit_weights = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(lo, hi, panels + 1)
    half = (edges[1:] - edges[:-1])[:, None] / 2
    nodes = (edges[:-1, None] + half * (unit_nodes + 1)).ravel()
    weights = (half * unit_weights).ravel()
    return nodes, weights


def expect(
    log_density: Callable[[np.ndarray], np.ndarray],
    func: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    panels: int = 200,
    order: int = 16,
    magnitude: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`\mathbb{E}_p[g(X)]` and its error estimate for ``p`` known up to a constant.

    Parameters
    ----------
    log_density : callable, x (N, 1) -> (N,)
        :math:`\log p` up to an additive constant.
    func : callable, x (N, 1) -> (N, ...)
        The integrand :math:`g`; trailing axes are kept.
    lo, hi : float
        Integration interval (the density must be negligible outside it).
    magnitude : callable, x (N, 1) -> (N, ...), optional
        Size of the terms that cancel inside ``func`` (default ``|func|``); the rounding floor
        of the error is :math:`64\,\epsilon\,\mathbb{E}[\text{magnitude}]`.
    """
    estimates = []
    for num_panels in (panels, 2 * panels):
        nodes, weights = gauss_legendre(lo, hi, num_panels, order)
        x = nodes[:, None]
        log_p = log_density(x)
        weights = weights * np.exp(log_p - log_p.max())
        weights = weights / weights.sum()
        values = np.asarray(func(x), dtype=float)
        sizes = np.abs(values) if magnitude is None else np.asarray(magnitude(x), dtype=float)
        shaped = weights.reshape((-1,) + (1,) * (values.ndim - 1))
        estimates.append(((shaped * values).sum(axis=0), (shaped * sizes).sum(axis=0)))
    (coarse, _), (fine, fine_abs) = estimates
    error = np.maximum(np.abs(fine - coarse), 64 * np.finfo(float).eps * np.maximum(fine_abs, 1e-300))
    return fine, error


def expect_model(model, theta, func, panels: int = 200, order: int = 16):
    """:func:`expect` under the normalized model density :math:`p_\\theta`, 1-D models."""
    lo, hi = support_interval(model, theta)
    theta = np.asarray(theta, dtype=float)
    return expect(lambda x: model.log_f(x, theta), func, lo, hi, panels, order)


def log_normalizer_1d(model, theta, panels: int = 200, order: int = 16) -> tuple[float, float]:
    """Return :math:`\\log Z(\\theta)` of a 1-D model by quadrature, and its absolute error."""
    lo, hi = support_interval(model, theta)
    results = []
    for num_panels in (panels, 2 * panels):
        nodes, weights = gauss_legendre(lo, hi, num_panels, order)
        log_f = model.log_f(nodes[:, None], theta)
        top = log_f.max()
        results.append(top + np.log(np.sum(weights * np.exp(log_f - top))))
    return float(results[1]), float(abs(results[1] - results[0]) + 64 * np.finfo(float).eps)
