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

Arguments are validated (:mod:`theory.validation`): ``x`` and ``y`` are finite real arrays with a
trailing data axis d (the same d for both, and the noise's own d where it has one), ``K`` an int
>= 1, ``rng`` a random generator; a ``TypeError``/``ValueError`` names the argument otherwise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ebmcheck.theory import quadrature
from ebmcheck.theory.validation import generator, positive_int, real_array, real_scalar

Array = np.ndarray

# Gauss–Hermite orders (probabilists') and composite Gauss–Legendre panels per refinement level.
_HERMITE_ORDER = (48, 96)
_LEGENDRE_PANELS = (40, 80)
_LEGENDRE_ORDER = 16


def _positive(name: str, value) -> float:
    """A finite real number > 0 (:func:`theory.validation.real_scalar`)."""
    return real_scalar(name, value, low=0.0, low_inclusive=False)


def _check_K(K) -> int:
    """K, the noise points per data point: an int >= 1."""
    return positive_int("K", K)


def _check_x(x, xp=np, name: str = "x", dim: int | None = None):
    """``x`` (..., d) as a finite float array of the backend; errors name ``name``."""
    array = real_array(name, x, allow_empty=True, finite=False)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a trailing data dimension d, got a scalar {x!r}")
    if dim is not None and array.shape[-1] != dim:
        raise ValueError(f"{name} must have trailing dimension d={dim} (the noise's), got shape {tuple(array.shape)}")
    array = real_array(name, array, allow_empty=True)
    return xp.asarray(array, dtype=float)


def _check_pair(y, x, xp=np, dim: int | None = None):
    """``y`` and ``x`` of :meth:`log_prob`: the same trailing d, broadcastable leading axes."""
    y, x = _check_x(y, xp, "y", dim), _check_x(x, xp, "x", dim)
    if y.shape[-1] != x.shape[-1]:
        raise ValueError(f"y and x must have the same trailing dimension d, got shapes {tuple(y.shape)} and {tuple(x.shape)}")
    try:
        np.broadcast_shapes(tuple(y.shape[:-1]), tuple(x.shape[:-1]))
    except ValueError:
        raise ValueError(f"the leading axes of y {tuple(y.shape)} and x {tuple(x.shape)} do not broadcast") from None
    return y, x


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

    def _dim(self) -> int | None:
        """The data dimension d of q, if fixed."""
        return None

    def log_prob(self, y, x, xp=np):
        r""":math:`\log p_n(y\mid x) = \log q(y)`, shape: broadcast of ``y``'s and ``x``'s leading axes."""
        y, x = _check_pair(y, x, xp, self._dim())
        value = self._log_q(y, xp)
        return xp.broadcast_to(value, np.broadcast_shapes(y.shape[:-1], x.shape[:-1]))

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Composite Gauss–Legendre on q's support, the same nodes for every x node."""
        level = _level(level)
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
        object.__setattr__(self, "eps", _positive("eps", self.eps))

    def sample(self, x, K: int, rng, xp=np):
        """``K`` draws :math:`y = x + \\varepsilon z` per point of ``x`` (..., d): shape (..., K, d)."""
        x = _check_x(x, xp)
        K = _check_K(K)
        rng = generator("rng", rng)
        z = rng.standard_normal(x.shape[:-1] + (K, x.shape[-1]))
        return x[..., None, :] + self.eps * z

    def log_prob(self, y, x, xp=np):
        """:math:`\\log p_n(y\\mid x)`, shape: broadcast of the leading axes of ``y`` and ``x``."""
        y, x = _check_pair(y, x, xp)
        d = y.shape[-1]
        return -xp.sum((y - x) ** 2, axis=-1) / (2 * self.eps**2) - d / 2 * np.log(2 * np.pi * self.eps**2)

    def bind(self, model, theta) -> LocalGaussian:
        return self

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = x + ε z_j, exact for polynomials of degree < 2·order in z."""
        z, w = _hermite(_HERMITE_ORDER[_level(level)])
        x_nodes = real_array("x_nodes", x_nodes).reshape(-1)
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
        if model is not None and (isinstance(model, type) or not callable(getattr(model, "validate", None))):
            raise TypeError(f"model must be a theory.models.Model instance, got {model!r}")
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

    def _dim(self):
        return None if self.model is None else self.model.dim

    def log_prob(self, y, x, xp=np):
        r""":math:`\log p_n(y\mid x) = \log p_{\theta}(y)` (bound oracles only)."""
        self._require_bound()
        return super().log_prob(y, x, xp)

    def _interval(self):
        self._require_bound()
        return quadrature.support_interval(self.model, self.theta)

    def sample(self, x, K: int, rng, xp=np):
        """``K`` exact draws from :math:`p_\\theta` per point of ``x`` (..., d): shape (..., K, d)."""
        self._require_bound()
        x = _check_x(x, xp, dim=self.model.dim)
        K = _check_K(K)
        rng = generator("rng", rng)
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
        self.bandwidth = _positive("bandwidth", bandwidth)
        centres = real_array("centres", centres, ndim=(1, 2))  # (M,) for d = 1, or (M, d); finite, M >= 1
        if centres.ndim == 1:
            centres = centres[:, None]
        if centres.shape[1] < 1:
            raise ValueError(f"centres must have shape (M, d) with M >= 1 and d >= 1, got shape {centres.shape}")
        self.centres = centres

    @classmethod
    def from_model(cls, bandwidth: float, model, theta, num_centres: int, rng) -> KDE:
        """A KDE on ``num_centres`` exact draws from the data distribution :math:`p_\\theta`."""
        bandwidth = _positive("bandwidth", bandwidth)
        if isinstance(model, type) or not callable(getattr(model, "sample", None)):
            raise TypeError(f"model must be a theory.models.Model instance, got {model!r}")
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

    def _dim(self):
        return self.centres.shape[1]

    def _interval(self):
        if self.centres.shape[1] != 1:
            raise ValueError("quadrature rules are 1-D; this KDE has d > 1")
        return float(self.centres.min() - 12 * self.bandwidth), float(self.centres.max() + 12 * self.bandwidth)

    def sample(self, x, K: int, rng, xp=np):
        """``K`` draws from the KDE per point of ``x`` (..., d): shape (..., K, d)."""
        x = _check_x(x, xp, dim=self.centres.shape[1])
        K = _check_K(K)
        rng = generator("rng", rng)
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
        rho = real_scalar("rho", self.rho)
        if not -1 < rho < 1:
            raise ValueError(f"rho={self.rho!r} must lie in (-1, 1) (the AR(1) coefficient)")
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "scale", _positive("scale", self.scale))

    def _spread(self) -> float:
        return float(np.sqrt(1 - self.rho**2) * self.scale)

    def sample(self, x, K: int, rng, xp=np):
        """``K`` draws :math:`y = \\rho x + \\sqrt{1-\\rho^2}\\,s\\,z` per point of ``x`` (..., d)."""
        x = _check_x(x, xp)
        K = _check_K(K)
        rng = generator("rng", rng)
        z = rng.standard_normal(x.shape[:-1] + (K, x.shape[-1]))
        return self.rho * x[..., None, :] + self._spread() * z

    def log_prob(self, y, x, xp=np):
        """:math:`\\log p_n(y\\mid x)`, shape: broadcast of the leading axes of ``y`` and ``x``."""
        y, x = _check_pair(y, x, xp)
        spread2 = self._spread() ** 2
        return -xp.sum((y - self.rho * x) ** 2, axis=-1) / (2 * spread2) - y.shape[-1] / 2 * np.log(2 * np.pi * spread2)

    def bind(self, model, theta) -> Autoregressive:
        return self

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = ρx + √(1−ρ²) s z_j."""
        z, w = _hermite(_HERMITE_ORDER[_level(level)])
        x_nodes = real_array("x_nodes", x_nodes).reshape(-1)
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
        for name in ("a", "b"):
            component = getattr(self, name)
            if isinstance(component, type) or not is_noise(component):
                raise TypeError(
                    f"{name} must be a theory.noise distribution instance (with sample, log_prob, bind), got {component!r}"
                )
        weight = real_scalar("weight", self.weight)
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
        """``K`` draws per point of ``x`` (..., d), each from ``a`` with probability ``weight``."""
        x = _check_x(x, xp)
        K = _check_K(K)
        rng = generator("rng", rng)
        from_a = self.a.sample(x, K, rng, xp)
        from_b = self.b.sample(x, K, rng, xp)
        pick_a = xp.asarray(rng.random(x.shape[:-1] + (K, 1)) < self.weight)
        return xp.where(pick_a, from_a, from_b)

    def log_prob(self, y, x, xp=np):
        r""":math:`\log(w\,a(y\mid x) + (1-w)\,b(y\mid x))`, by ``logaddexp``."""
        y, x = _check_pair(y, x, xp)
        if self.weight == 1.0:
            return self.a.log_prob(y, x, xp)
        if self.weight == 0.0:
            return self.b.log_prob(y, x, xp)
        return xp.logaddexp(
            np.log(self.weight) + self.a.log_prob(y, x, xp), np.log1p(-self.weight) + self.b.log_prob(y, x, xp)
        )

    def quadrature_rule(self, x_nodes, level: int = 0):
        x_nodes = real_array("x_nodes", x_nodes).reshape(-1)
        ya, wa = self.a.quadrature_rule(x_nodes, level)
        yb, wb = self.b.quadrature_rule(x_nodes, level)
        n = x_nodes.size
        ya, yb = np.broadcast_to(ya, (n,) + ya.shape[1:]), np.broadcast_to(yb, (n,) + yb.shape[1:])
        wa, wb = np.broadcast_to(wa, (n, wa.shape[1])), np.broadcast_to(wb, (n, wb.shape[1]))
        return np.concatenate([ya, yb], axis=1), np.concatenate([self.weight * wa, (1 - self.weight) * wb], axis=1)


def _level(level) -> int:
    """The refinement level of a quadrature rule: 0 (the rule) or 1 (its refinement)."""
    level = positive_int("level", level, minimum=0)
    if level > 1:
        raise ValueError(f"level must be 0 (the rule) or 1 (its refinement), got {level}")
    return level


def is_noise(obj) -> bool:
    """Whether ``obj`` has the noise interface (sample, log_prob, bind)."""
    return all(callable(getattr(obj, name, None)) for name in ("sample", "log_prob", "bind"))
