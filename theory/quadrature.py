r"""Vectorised 1-D quadrature for expectations under (unnormalized) densities.

Composite Gauss–Legendre: ``panels`` equal panels of ``order`` nodes each on a finite interval
outside which the density is negligible (below :math:`e^{-80}` of its maximum, about
:math:`10^{-35}`). The density is normalized by the same rule, so :math:`Z` is never needed.
The error of a quadrature value is estimated by :func:`refine`: the difference between a rule
(level 0) and its refinement (level 1, twice the panels or nodes), floored at a rounding bound
:math:`64\,\epsilon` times the size of the terms; a floor keeps a z-statistic finite when the two
rules agree to the last bit. Every quadrature error of the suite comes from it.

Arguments are validated (:mod:`theory.validation`): interval ends are finite reals with
``lo < hi``, ``panels`` and ``order`` ints >= 1, densities and integrands callables, and an
integrand's values must be finite real numbers; errors name the argument.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from ebmcheck.theory.validation import function, positive_int, real_array, real_scalar

LOG_TAIL = 80.0  # nats below the maximum at which the density is treated as zero
ROUNDING = 64 * np.finfo(float).eps  # rounding bound of a quadrature sum, per unit of the terms' size
LEVELS = (0, 1)  # a rule and its refinement


def refine(evaluate: Callable[[int], tuple], *, add_rounding: bool = False) -> tuple:
    r"""A quadrature value and its error estimate from a rule and its refinement.

    ``evaluate(level)`` returns ``(value, magnitude)`` computed with the rule at ``level`` 0 and
    with its refinement at level 1 (twice the panels, or twice the nodes: :func:`refined`);
    ``magnitude`` is the size of the terms summed (what rounding is relative to), broadcasting
    against ``value``. Returns the refined value and

    .. math:: \text{error} = \max\big(|v_1 - v_0|,\ 64\,\epsilon\,\max(m_1, 10^{-300})\big),

    or :math:`|v_1 - v_0| + 64\,\epsilon\,m_1` with ``add_rounding`` (the convention of
    :func:`log_normalizer_1d`, whose recorded errors it keeps).
    """
    function("evaluate", evaluate, "(level) -> (value, magnitude)")
    (coarse, _), (fine, magnitude) = (evaluate(level) for level in LEVELS)
    difference = np.abs(fine - coarse)
    if add_rounding:
        return fine, difference + ROUNDING * magnitude
    return fine, np.maximum(difference, ROUNDING * np.maximum(magnitude, 1e-300))


def refined(size: int, level: int) -> int:
    """The panels (or nodes) of the rule at ``level`` for a rule of ``size`` at level 0: doubled per level."""
    return size * 2**level


def support_interval(model, theta, tail: float = LOG_TAIL) -> tuple[float, float]:
    """Return [lo, hi] outside which :math:`\\log f(x;\\theta)` is ``tail`` below its maximum.

    ``model`` a 1-D :class:`theory.models.Model`, ``theta`` an allowed parameter (p,), ``tail`` in
    (0, 700] nats (:math:`e^{-700}` is near the smallest positive float64)."""
    _check_model(model)
    tail = real_scalar("tail", tail, low=0.0, low_inclusive=False, high=700.0)
    if model.dim != 1:
        raise ValueError(f"quadrature is 1-D; model {model.name!r} has d={model.dim}")
    theta = model.validate(theta)
    log_f = lambda grid: model.log_f(grid[:, None], theta)  # noqa: E731
    try:
        return _interval(log_f, tail)
    except ValueError as error:
        raise ValueError(f"{model.name} at theta={theta}: {error}") from None


def _check_model(model) -> None:
    if isinstance(model, type) or not isinstance(getattr(model, "dim", None), int) or not callable(
        getattr(model, "validate", None)
    ):
        raise TypeError(f"model must be a theory.models.Model instance, got {model!r}")


def _rule_size(panels, order) -> tuple[int, int]:
    """``panels`` and ``order``: ints >= 1; their product (the number of nodes) at most 2**26."""
    panels, order = positive_int("panels", panels), positive_int("order", order)
    if order > 1000:
        raise ValueError(f"order must be an integer <= 1000 (Gauss–Legendre nodes per panel), got {order}")
    if panels * order > 2**26:
        raise ValueError(f"panels * order must be <= 2**26 nodes, got panels={panels}, order={order}")
    return panels, order


def _values(name: str, values, num_nodes: int) -> np.ndarray:
    """An integrand's values at the nodes: finite reals with a leading axis of the nodes."""
    try:
        values = real_array(f"the values of {name}", values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must return finite real values at the quadrature nodes: {error}") from None
    if values.ndim == 0 or values.shape[0] != num_nodes:
        raise ValueError(f"{name} must return an array with one row per node ({num_nodes}, ...), got shape {values.shape}")
    return values


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
    r"""Nodes and weights of composite Gauss–Legendre on [lo, hi], shape (panels*order,).

    .. math:: \int_{lo}^{hi} g \approx \sum_{k,j} \tfrac{h}{2} w_j\, g\big(e_k + \tfrac h2(t_j+1)\big),
              \qquad e_k = lo + k h,\ h = (hi-lo)/\text{panels},

    with :math:`(t_j, w_j)` the ``order``-point Gauss–Legendre rule on [−1, 1]."""
    lo, hi = real_scalar("lo", lo), real_scalar("hi", hi)
    panels, order = _rule_size(panels, order)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
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
    function("log_density", log_density)
    function("func", func)
    if magnitude is not None:
        function("magnitude", magnitude)
    lo, hi = real_scalar("lo", lo), real_scalar("hi", hi)
    panels, order = _rule_size(panels, order)
    _rule_size(refined(panels, 1), order)  # the refined rule too

    def at_level(level):
        nodes, weights = gauss_legendre(lo, hi, refined(panels, level), order)
        x = nodes[:, None]
        log_p = _log_density_values(log_density, x)
        weights = weights * np.exp(log_p - log_p.max())
        weights = weights / weights.sum()
        values = _values("func", func(x), x.shape[0])
        sizes = np.abs(values) if magnitude is None else _values("magnitude", magnitude(x), x.shape[0])
        shaped = weights.reshape((-1,) + (1,) * (values.ndim - 1))
        return (shaped * values).sum(axis=0), (shaped * sizes).sum(axis=0)

    return refine(at_level)


def integrate(
    integrand: Callable[[np.ndarray], np.ndarray],
    lo: float,
    hi: float,
    panels: int = 200,
    order: int = 16,
    breaks: Sequence[float] = (),
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`\int_{lo}^{hi} g(x)\,dx` and its error estimate (a plain integral: no density is normalized).

    ``integrand`` maps nodes of shape (N,) to values (N,) or (N, k) (trailing axes are kept).
    ``breaks``: interior points where g has a kink (a radial flow at its centre, the edge of a
    support); each piece between them gets ``panels`` panels, so that no Gauss–Legendre panel
    straddles a kink. The error is :func:`refine`'s: the rule against twice the panels, floored by
    rounding relative to :math:`\int|g|`.
    """
    function("integrand", integrand, "nodes (N,) -> values (N,) or (N, k)")
    lo, hi = real_scalar("lo", lo), real_scalar("hi", hi)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    panels, order = _rule_size(panels, order)
    _rule_size(refined(panels, 1), order)
    edges = [lo, *sorted(real_scalar("break", b) for b in breaks if lo < b < hi), hi]

    def at_level(level):
        pieces = [gauss_legendre(a, b, refined(panels, level), order) for a, b in itertools.pairwise(edges)]
        nodes, weights = np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])
        values = _values("integrand", integrand(nodes), nodes.size)
        shaped = weights.reshape((-1,) + (1,) * (values.ndim - 1))
        return (shaped * values).sum(axis=0), (shaped * np.abs(values)).sum(axis=0)

    return refine(at_level)


def integrate_2d(
    integrand: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, panels: int = 24, order: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`\int_{[lo,hi]^2} g(y)\,dy` and its error estimate: tensor-product composite
    Gauss–Legendre, ``panels`` panels of ``order`` nodes per axis, the error :func:`refine`'s.

    ``integrand`` maps points (N, 2) to values (N,) or (N, k); it must be negligible outside the square.
    """
    function("integrand", integrand, "points (N, 2) -> values (N,) or (N, k)")
    lo, hi = real_scalar("lo", lo), real_scalar("hi", hi)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    panels, order = _rule_size(panels, order)
    _rule_size(refined(panels, 1), order)

    def at_level(level):
        nodes, weights = gauss_legendre(lo, hi, refined(panels, level), order)
        grid = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1).reshape(-1, 2)
        weight = np.outer(weights, weights).ravel()
        values = _values("integrand", integrand(grid), grid.shape[0])
        shaped = weight.reshape((-1,) + (1,) * (values.ndim - 1))
        return (shaped * values).sum(axis=0), (shaped * np.abs(values)).sum(axis=0)

    return refine(at_level)


def _log_density_values(log_density, x) -> np.ndarray:
    """log p at the nodes: real, shape (N,), no NaN or +inf, and not -inf everywhere."""
    with np.errstate(divide="ignore", under="ignore"):
        values = log_density(x)
    try:
        values = real_array("log_density", values, finite=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"log_density must return real values at the quadrature nodes: {error}") from None
    if values.shape != (x.shape[0],):
        raise ValueError(f"log_density must return shape ({x.shape[0]},) at x of shape {x.shape}, got {values.shape}")
    if np.any(np.isnan(values)) or np.any(values == np.inf) or not np.any(np.isfinite(values)):
        raise ValueError("log_density must be finite (or -inf where the density vanishes) and finite somewhere on [lo, hi]")
    return values


def expect_model(model, theta, func, panels: int = 200, order: int = 16):
    """:func:`expect` under the normalized model density :math:`p_\\theta`, 1-D models."""
    lo, hi = support_interval(model, theta)
    theta = model.validate(theta)
    return expect(lambda x: model.log_f(x, theta), func, lo, hi, panels, order)


def log_normalizer_1d(model, theta, panels: int = 200, order: int = 16) -> tuple[float, float]:
    """Return :math:`\\log Z(\\theta)` of a 1-D model by quadrature, and its absolute error.

    .. math:: \\log Z = \\log\\int e^{\\log f(x;\\theta)}dx = m + \\log\\sum_k w_k e^{\\log f(x_k) - m},\\quad m = \\max_k \\log f(x_k),

    the error being the difference from the rule with half the panels plus the rounding bound :math:`64\\epsilon`
    (:func:`refine`)."""
    lo, hi = support_interval(model, theta)
    theta = model.validate(theta)
    panels, order = _rule_size(panels, order)
    _rule_size(refined(panels, 1), order)

    def at_level(level):
        nodes, weights = gauss_legendre(lo, hi, refined(panels, level), order)
        log_f = model.log_f(nodes[:, None], theta)
        top = log_f.max()
        return top + np.log(np.sum(weights * np.exp(log_f - top))), 1.0

    value, error = refine(at_level, add_rounding=True)
    return float(value), float(error)
