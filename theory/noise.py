r"""Noise distributions :math:`p_n(y \mid x)` for conditional noise-contrastive estimation (CNCE).

Seed 004 (CNCE paper), eq. 3 and appendix A: CNCE contrasts a data point :math:`x \sim p_d` with
a noise point :math:`y \sim p_n(\cdot \mid x)` through the log-ratio

.. math:: F_\theta(x, y) = \log f(x;\theta) - \log f(y;\theta)
          + \log p_n(y \mid x) - \log p_n(x \mid y).

Every noise here has

- ``sample(x, K, rng)``: ``x`` of shape ``(..., d)`` → ``y`` of shape ``(..., K, d)``, K noise
  points per data point, drawn independently given ``x``;
- ``log_prob(y, x)``: :math:`\log p_n(y \mid x)`, broadcasting leading axes, shape ``(...)``;
- ``bind(model, theta)``: the noise with any reference to the data distribution resolved
  (:class:`Oracle` uses :math:`p_d = p_{\theta^*}`; the others return themselves);
- ``quadrature_rule(x_nodes, level)`` (d = 1): nodes ``y`` (n, m, 1) and weights (n, m), each row
  summing to 1, that integrate :math:`\mathbb{E}_{y \sim p_n(\cdot\mid x)}` for each ``x`` node;
  ``level`` 0 and 1 are a rule and its refinement (for the error estimate).

Kinds: :class:`LocalGaussian` (:math:`y = x + \varepsilon z`, symmetric, the paper's "CNCE
local"), :class:`Oracle` (:math:`y \sim p_d` independent of :math:`x`, Corollary 2),
:class:`KDE` (a Gaussian kernel density estimate on fixed centres, "CNCE global"),
:class:`Mixture` (draws from ``a`` with probability ``weight``, else from ``b``; "CNCE mix"), and
:class:`Autoregressive` (an asymmetric AR(1) jump, to exercise the log-ratio term of :math:`F_\theta`).

Note: the paper writes :math:`\mathcal N(y \mid x, \varepsilon I)`; here :math:`\varepsilon` is the
*standard deviation* of the jump.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theory import quadrature

Array = np.ndarray

# Gauss–Hermite orders (probabilists') and composite Gauss–Legendre panels per refinement level.
_HERMITE_ORDER = (48, 96)
_LEGENDRE_PANELS = (40, 80)
_LEGENDRE_ORDER = 16


def _check_positive(name: str, value) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}={value!r} must be a finite number > 0")
    return value


def _check_K(K) -> int:
    if isinstance(K, bool) or int(K) != K or K < 1:
        raise ValueError(f"K={K!r} must be a positive integer (noise samples per data point)")
    return int(K)


def _check_x(x, xp=np):
    x = xp.asarray(x, dtype=float)
    if x.ndim == 0:
        raise ValueError(f"x must have a trailing data dimension d, got a scalar {x!r}")
    return x


@functools.lru_cache(maxsize=None)
def _hermite(order: int) -> tuple[Array, Array]:
    """Probabilists' Gauss–Hermite rule: nodes z and weights summing to 1 for N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    return nodes, weights / weights.sum()


class _Unconditional:
    """Shared machinery of a noise that does not depend on x: p_n(y | x) = q(y)."""

    symmetric = False

    def _log_q(self, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _interval(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def log_prob(self, y, x, xp=np):
        r""":math:`\log p_n(y\mid x) = \log q(y)`, shape: broadcast of ``y``'s and ``x``'s leading axes."""
        y, x = _check_x(y, xp), _check_x(x, xp)
        value = self._log_q(y, xp)
        return xp.broadcast_to(value, np.broadcast_shapes(y.shape[:-1], x.shape[:-1]))

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Composite Gauss–Legendre on q's support, the same nodes for every x node."""
        lo, hi = self._interval()
        nodes, weights = quadrature.gauss_legendre(lo, hi, _LEGENDRE_PANELS[level], _LEGENDRE_ORDER)
        log_q = self._log_q(nodes[:, None], np)
        weights = weights * np.exp(log_q - log_q.max())
        weights = weights / weights.sum()
        return nodes[None, :, None], weights[None, :]


@dataclass(frozen=True)
class LocalGaussian:
    r"""Local Gaussian jump :math:`y = x + \varepsilon z`, :math:`z \sim \mathcal N(0, I_d)`.

    .. math:: \log p_n(y\mid x) = -\frac{|y-x|^2}{2\varepsilon^2} - \frac d2 \log(2\pi\varepsilon^2).

    Symmetric, :math:`p_n(y\mid x) = p_n(x\mid y)`, so it drops out of :math:`F_\theta`.
    """

    eps: float
    symmetric: bool = field(default=True, init=False)

    def __post_init__(self):
        object.__setattr__(self, "eps", _check_positive("eps", self.eps))

    def sample(self, x, K: int, rng, xp=np):
        x = _check_x(x, xp)
        K = _check_K(K)
        z = rng.standard_normal(x.shape[:-1] + (K, x.shape[-1]))
        return x[..., None, :] + self.eps * z

    def log_prob(self, y, x, xp=np):
        y, x = _check_x(y, xp), _check_x(x, xp)
        d = y.shape[-1]
        return -xp.sum((y - x) ** 2, axis=-1) / (2 * self.eps**2) - d / 2 * np.log(2 * np.pi * self.eps**2)

    def bind(self, model, theta) -> LocalGaussian:
        return self

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = x + ε z_j, exact for polynomials of degree < 2·order in z."""
        z, w = _hermite(_HERMITE_ORDER[level])
        x_nodes = np.asarray(x_nodes, dtype=float).reshape(-1)
        return (x_nodes[:, None] + self.eps * z[None, :])[..., None], np.broadcast_to(w, (x_nodes.size, z.size))

    def __str__(self) -> str:
        return f"local(ε={self.eps:g})"


class Oracle(_Unconditional):
    r"""Oracle noise :math:`p_n(y\mid x) = p_d(y)` (seed 004, Corollary 2 and its proof, B.3).

    ``Oracle()`` is unbound: :meth:`bind` (called by the CNCE functions with the model and the
    true parameter) makes it the data distribution :math:`p_{\theta^*}` of a well-specified model.
    ``Oracle(model, theta)`` is bound from the start.
    """

    def __init__(self, model=None, theta=None):
        if (model is None) != (theta is None):
            raise ValueError("Oracle takes both model and theta, or neither (unbound; bound later to p_d)")
        self.model = model
        self.theta = None if theta is None else model.validate(theta)
        self._log_z = None

    def __repr__(self) -> str:
        return "Oracle()" if self.model is None else f"Oracle({self.model.name}, θ={self.theta})"

    __str__ = lambda self: "oracle"  # noqa: E731

    @property
    def bound(self) -> bool:
        return self.model is not None

    def bind(self, model, theta) -> Oracle:
        return self if self.bound else Oracle(model, theta)

    def _require_bound(self):
        if not self.bound:
            raise ValueError("Oracle() is unbound: call .bind(model, theta) (the data distribution) first")

    def _log_normalizer(self) -> float:
        if self._log_z is None:
            if self.model.has_log_normalizer:
                self._log_z = float(self.model.log_normalizer(self.theta))
            else:
                self._log_z = quadrature.log_normalizer_1d(self.model, self.theta)[0]
        return self._log_z

    def _log_q(self, y, xp=np):
        self._require_bound()
        return self.model.log_f(y, self.theta, xp) - self._log_normalizer()

    def _interval(self):
        self._require_bound()
        return quadrature.support_interval(self.model, self.theta)

    def sample(self, x, K: int, rng, xp=np):
        self._require_bound()
        x = _check_x(x, xp)
        K = _check_K(K)
        shape = x.shape[:-1] + (K,)
        count = int(np.prod(shape))
        draws = self.model.sample(self.theta, max(count, 1), rng)[:count]
        return xp.asarray(draws.reshape(shape + (self.model.dim,)))

    def quadrature_rule(self, x_nodes, level: int = 0):
        self._require_bound()
        return super().quadrature_rule(x_nodes, level)


class KDE(_Unconditional):
    r"""Gaussian kernel density estimate on fixed ``centres`` :math:`c_1..c_M` (shape (M, d)).

    .. math:: p_n(y\mid x) = q(y) = \frac1M \sum_{m=1}^M \mathcal N(y; c_m, h^2 I_d).

    The centres are held fixed (e.g. a pilot sample of the data), so the noise is a fixed
    distribution and Theorem 1 applies. A KDE rebuilt on each data set's own points is a
    data-dependent noise whose extra variance the asymptotic formulas here do not cover.
    """

    def __init__(self, bandwidth: float, centres):
        self.bandwidth = _check_positive("bandwidth", bandwidth)
        centres = np.asarray(centres, dtype=float)
        if centres.ndim == 1:
            centres = centres[:, None]
        if centres.ndim != 2 or centres.shape[0] < 1 or not np.all(np.isfinite(centres)):
            raise ValueError(f"centres must be a finite array of shape (M, d) with M >= 1, got shape {centres.shape}")
        self.centres = centres

    @classmethod
    def from_model(cls, bandwidth: float, model, theta, num_centres: int, rng) -> KDE:
        """A KDE on ``num_centres`` exact draws from the data distribution :math:`p_\\theta`."""
        return cls(bandwidth, model.sample(theta, num_centres, rng))

    def __repr__(self) -> str:
        return f"KDE(h={self.bandwidth:g}, M={len(self.centres)})"

    def __str__(self) -> str:
        return f"KDE(h={self.bandwidth:g})"

    def bind(self, model, theta) -> KDE:
        return self

    def _log_q(self, y, xp=np):
        centres = xp.asarray(self.centres)
        h2 = self.bandwidth**2
        d = centres.shape[-1]
        # Chunk over the centres (logaddexp accumulation) so memory stays O(size of y).
        total = None
        for start in range(0, centres.shape[0], 16):
            block = centres[start : start + 16]
            sq = xp.sum((y[..., None, :] - block) ** 2, axis=-1)
            part = -sq / (2 * h2)
            top = xp.max(part, axis=-1)
            part = top + xp.log(xp.sum(xp.exp(part - top[..., None]), axis=-1))
            total = part if total is None else xp.logaddexp(total, part)
        return total - np.log(centres.shape[0]) - d / 2 * np.log(2 * np.pi * h2)

    def _interval(self):
        if self.centres.shape[1] != 1:
            raise ValueError("quadrature rules are 1-D; this KDE has d > 1")
        return float(self.centres.min() - 12 * self.bandwidth), float(self.centres.max() + 12 * self.bandwidth)

    def sample(self, x, K: int, rng, xp=np):
        x = _check_x(x, xp)
        K = _check_K(K)
        shape = x.shape[:-1] + (K,)
        index = rng.integers(0, self.centres.shape[0], size=shape)
        draws = self.centres[index] + self.bandwidth * rng.standard_normal(shape + (self.centres.shape[1],))
        return xp.asarray(draws)


@dataclass(frozen=True)
class Autoregressive:
    r"""Asymmetric AR(1) jump towards 0: :math:`y = \rho x + \sqrt{1-\rho^2}\,s\,z`, :math:`z \sim \mathcal N(0, I_d)`.

    .. math:: \log p_n(y\mid x) = -\frac{|y-\rho x|^2}{2(1-\rho^2)s^2} - \frac d2\log\big(2\pi(1-\rho^2)s^2\big),

    so that :math:`\log p_n(y\mid x) - \log p_n(x\mid y) = (|x|^2 - |y|^2)/(2s^2)`, since
    :math:`|x-\rho y|^2 - |y-\rho x|^2 = (1-\rho^2)(|x|^2-|y|^2)`. Not symmetric: CNCE is
    consistent with it only with the log-ratio term kept in :math:`F_\theta`.
    """

    rho: float = 0.5
    scale: float = 2.0
    symmetric: bool = field(default=False, init=False)

    def __post_init__(self):
        if not (np.isfinite(self.rho) and -1 < self.rho < 1):
            raise ValueError(f"rho={self.rho!r} must lie in (-1, 1) (the AR(1) coefficient)")
        object.__setattr__(self, "scale", _check_positive("scale", self.scale))

    def _spread(self) -> float:
        return float(np.sqrt(1 - self.rho**2) * self.scale)

    def sample(self, x, K: int, rng, xp=np):
        x = _check_x(x, xp)
        K = _check_K(K)
        z = rng.standard_normal(x.shape[:-1] + (K, x.shape[-1]))
        return self.rho * x[..., None, :] + self._spread() * z

    def log_prob(self, y, x, xp=np):
        y, x = _check_x(y, xp), _check_x(x, xp)
        spread2 = self._spread() ** 2
        return -xp.sum((y - self.rho * x) ** 2, axis=-1) / (2 * spread2) - y.shape[-1] / 2 * np.log(2 * np.pi * spread2)

    def bind(self, model, theta) -> Autoregressive:
        return self

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = ρx + √(1−ρ²) s z_j."""
        z, w = _hermite(_HERMITE_ORDER[level])
        x_nodes = np.asarray(x_nodes, dtype=float).reshape(-1)
        return (self.rho * x_nodes[:, None] + self._spread() * z[None, :])[..., None], np.broadcast_to(w, (x_nodes.size, z.size))

    def __str__(self) -> str:
        return f"ar1(ρ={self.rho:g}, s={self.scale:g})"


@dataclass(frozen=True)
class Mixture:
    r"""Mixture noise :math:`p_n(y\mid x) = w\,a(y\mid x) + (1-w)\,b(y\mid x)` ("CNCE mix").

    ``weight`` is :math:`w \in [0, 1]`, the probability of drawing from ``a`` (the paper tunes
    "the proportion of noises based on local transitions", appendix C.1).
    """

    a: Any
    b: Any
    weight: float

    def __post_init__(self):
        weight = float(self.weight)
        if not (0.0 <= weight <= 1.0):
            raise ValueError(f"weight={self.weight!r} must lie in [0, 1] (probability of component a)")
        object.__setattr__(self, "weight", weight)

    @property
    def symmetric(self) -> bool:
        return bool(getattr(self.a, "symmetric", False) and getattr(self.b, "symmetric", False))

    def __str__(self) -> str:
        return f"mix({self.weight:g}·{self.a} + {1 - self.weight:g}·{self.b})"

    def bind(self, model, theta) -> Mixture:
        return Mixture(self.a.bind(model, theta), self.b.bind(model, theta), self.weight)

    def sample(self, x, K: int, rng, xp=np):
        x = _check_x(x, xp)
        K = _check_K(K)
        from_a = self.a.sample(x, K, rng, xp)
        from_b = self.b.sample(x, K, rng, xp)
        pick_a = xp.asarray(rng.random(x.shape[:-1] + (K, 1)) < self.weight)
        return xp.where(pick_a, from_a, from_b)

    def log_prob(self, y, x, xp=np):
        if self.weight == 1.0:
            return self.a.log_prob(y, x, xp)
        if self.weight == 0.0:
            return self.b.log_prob(y, x, xp)
        return xp.logaddexp(
            np.log(self.weight) + self.a.log_prob(y, x, xp), np.log1p(-self.weight) + self.b.log_prob(y, x, xp)
        )

    def quadrature_rule(self, x_nodes, level: int = 0):
        x_nodes = np.asarray(x_nodes, dtype=float).reshape(-1)
        ya, wa = self.a.quadrature_rule(x_nodes, level)
        yb, wb = self.b.quadrature_rule(x_nodes, level)
        n = x_nodes.size
        ya, yb = np.broadcast_to(ya, (n,) + ya.shape[1:]), np.broadcast_to(yb, (n,) + yb.shape[1:])
        wa, wb = np.broadcast_to(wa, (n, wa.shape[1])), np.broadcast_to(wb, (n, wb.shape[1]))
        return np.concatenate([ya, yb], axis=1), np.concatenate([self.weight * wa, (1 - self.weight) * wb], axis=1)


def is_noise(obj) -> bool:
    """Whether ``obj`` has the noise interface (sample, log_prob, bind)."""
    return all(callable(getattr(obj, name, None)) for name in ("sample", "log_prob", "bind"))
