r"""Noise distributions :math:`p_n(y \mid x)` for noise-contrastive estimation, NCE and CNCE: one protocol.

Seed 004 (CNCE paper), eq. 3 and appendix A: CNCE contrasts a data point :math:`x \sim p_d` with
a noise point :math:`y \sim p_n(\cdot \mid x)` through the log-ratio

.. math:: F_\theta(x, y) = \log f(x;\theta) - \log f(y;\theta)
          + \log p_n(y \mid x) - \log p_n(x \mid y).

NCE (seed 000) contrasts it with a noise point :math:`y \sim p_n` drawn independently of the
data, through :math:`\log f_\theta(x) + c - \log p_n(x)`; it needs an *unconditional* noise,
:math:`p_n(y\mid x) = q(y)`. Every noise here has (:class:`Noise`)

- ``sample(x, K, rng)``: ``x`` of shape ``(..., d)`` → ``y`` of shape ``(..., K, d)``, K noise
  points per data point, drawn independently given ``x`` (an unconditional noise uses only the
  shape of ``x``: K draws from q per data point, as NCE draws them);
- ``log_density(y, x)``: :math:`\log p_n(y \mid x)`, broadcasting leading axes, shape ``(...)``;
  an unconditional noise also takes ``log_density(y)``, :math:`\log q(y)` of shape ``y.shape[:-1]``;
- ``conditional``: whether :math:`p_n(y\mid x)` depends on x (NCE accepts only ``False``);
  ``symmetric``: whether :math:`p_n(y\mid x) = p_n(x\mid y)` (then it drops out of :math:`F_\theta`);
- ``bind(model, theta)``: the noise with any reference to the data distribution resolved
  (:class:`Oracle` becomes :math:`p_d = p_{\theta^*}`, :class:`MatchedGaussian` a :class:`Gaussian`
  with the data's moments; the others return themselves);
- ``quadrature_rule(x_nodes, level)`` (d = 1): nodes ``y`` (n, m, 1) and weights (n, m), each row
  summing to 1, that integrate :math:`\mathbb{E}_{y \sim p_n(\cdot\mid x)}` for each ``x`` node;
  ``level`` 0 and 1 are a rule and its refinement (:func:`theory.quadrature.refine`).

Conditional kinds: :class:`LocalGaussian` (:math:`y = x + \varepsilon z`, symmetric, the paper's
"CNCE local") and :class:`Autoregressive` (an asymmetric AR(1) jump, to exercise the log-ratio
term of :math:`F_\theta`). Unconditional kinds: :class:`Oracle` (:math:`y \sim p_d`, Corollary 2),
:class:`KDE` (a Gaussian kernel density estimate on fixed centres, "CNCE global"),
:class:`Gaussian`, :class:`Logistic` and :class:`MatchedGaussian` (NCE's default: a Gaussian with
the data's mean and a multiple of its covariance). :class:`Mixture` draws from ``a`` with
probability ``weight``, else from ``b`` ("CNCE mix"); it is unconditional when both parts are.

Note: the paper writes :math:`\mathcal N(y \mid x, \varepsilon I)`; here :math:`\varepsilon` is the
*standard deviation* of the jump.

Arguments are validated (:mod:`theory.validation`): ``x`` and ``y`` are finite real arrays with a
trailing data axis d (the same d for both, and the noise's own d where it has one), ``K`` an int
>= 1, ``rng`` a random generator; a ``TypeError``/``ValueError`` names the argument otherwise.

Arrays: draws and log-densities are arrays of the namespace of ``x`` and ``y``
(:func:`theory.backend.namespace`: numpy, cupy, array-api-strict; two libraries at once are a
``TypeError``); a noise's own parameters (means, centres...) are host arrays converted to it.
The conditional noises draw through :mod:`theory.backend`'s shim (``rng`` of the namespace's
library, or numpy's for array-api-strict). The unconditional noises draw on the host with a numpy
generator (``rng.logistic``, an exact sampler of a model...) and convert the draws. Quadrature
rules are host (numpy) arrays. :class:`Logistic` evaluates its log-density with SciPy and is host-only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import array_api_compat
import numpy as np
from scipy import special

from ebmcheck.theory import models, quadrature
from ebmcheck.theory.backend import derive_seed, namespace, standard_normal, uniform
from ebmcheck.theory.validation import generator, positive_int, real_array, real_scalar, spd_matrix

Array = np.ndarray

# Gauss–Hermite order (probabilists') and composite Gauss–Legendre panels of the level-0 rule;
# the level-1 rule doubles them (theory.quadrature.refined).
_HERMITE_ORDER = 48
_LEGENDRE_PANELS = 40
_LEGENDRE_ORDER = 16
_LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))  # the normal log-density's constant, as scipy.stats.norm writes it


@runtime_checkable
class Noise(Protocol):
    r"""The noise protocol (module docstring): :math:`p_n(y\mid x)`, sampled and evaluated."""

    conditional: bool
    symmetric: bool

    def sample(self, x, K: int, rng):
        """K draws per point of ``x`` (..., d): shape (..., K, d)."""

    def log_density(self, y, x=None):
        r""":math:`\log p_n(y\mid x)` (``x`` may be omitted for an unconditional noise)."""

    def bind(self, model, theta) -> Noise:
        """The noise with the data distribution :math:`p_\theta` resolved."""

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Nodes (n, m, 1) and weights (n, m) integrating :math:`\\mathbb E_{y\\sim p_n(\\cdot|x)}`, d = 1."""


def is_noise(obj) -> bool:
    """Whether ``obj`` is a noise instance (with sample, log_density and bind)."""
    return not isinstance(obj, type) and all(callable(getattr(obj, name, None)) for name in ("sample", "log_density", "bind"))


def _positive(name: str, value) -> float:
    """A finite real number > 0 (:func:`theory.validation.real_scalar`)."""
    return real_scalar(name, value, low=0.0, low_inclusive=False)


def _check_K(K) -> int:
    """K, the noise points per data point: an int >= 1."""
    return positive_int("K", K)


def _check_x(x, name: str = "x", dim: int | None = None):
    """``x`` (..., d) as a finite float array of its namespace (numpy for lists); errors name ``name``."""
    array = real_array(name, x, allow_empty=True, finite=False)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a trailing data dimension d, got a scalar {x!r}")
    if dim is not None and array.shape[-1] != dim:
        raise ValueError(f"{name} must have trailing dimension d={dim} (the noise's), got shape {tuple(array.shape)}")
    return real_array(name, array, allow_empty=True)


def _check_pair(y, x, dim: int | None = None):
    """``y`` and ``x`` of :meth:`log_density`: one namespace, the same trailing d, broadcastable leading axes."""
    y, x = _check_x(y, "y", dim), _check_x(x, "x", dim)
    namespace(y, x)  # a TypeError naming both libraries
    if y.shape[-1] != x.shape[-1]:
        raise ValueError(f"y and x must have the same trailing dimension d, got shapes {tuple(y.shape)} and {tuple(x.shape)}")
    try:
        np.broadcast_shapes(tuple(y.shape[:-1]), tuple(x.shape[:-1]))
    except ValueError:
        raise ValueError(f"the leading axes of y {tuple(y.shape)} and x {tuple(x.shape)} do not broadcast") from None
    return y, x


def _level(level) -> int:
    """The refinement level of a quadrature rule: 0 (the rule) or 1 (its refinement)."""
    level = positive_int("level", level, minimum=0)
    if level not in quadrature.LEVELS:
        raise ValueError(f"level must be 0 (the rule) or 1 (its refinement), got {level}")
    return level


@functools.lru_cache(maxsize=None)
def _hermite(order: int) -> tuple[Array, Array]:
    """Probabilists' Gauss–Hermite rule: nodes z and weights summing to 1 for N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)
    return nodes, weights / weights.sum()


def _hermite_rule(level) -> tuple[Array, Array]:
    """The Gauss–Hermite rule of ``level`` (its order doubled per level)."""
    return _hermite(quadrature.refined(_HERMITE_ORDER, _level(level)))


# ---- the data distribution's moments (what a noise may be designed from) -------------------------
@functools.lru_cache(maxsize=256)
def _moments(model: models.Model, theta_key: tuple) -> tuple[Array, Array]:
    theta = np.array(theta_key)
    if isinstance(model, models.GaussianModel):
        mean, precision = model.unpack(theta)
        return mean, np.linalg.inv(precision)
    if model.dim == 1:
        mean, _ = quadrature.expect_model(model, theta, lambda x: x[:, 0])
        second, _ = quadrature.expect_model(model, theta, lambda x: x[:, 0] ** 2)
        return np.array([float(mean)]), np.array([[float(second - mean**2)]])
    # Any other model: moments of a large exact sample from a fixed stream (its error is
    # irrelevant: the moments only place a noise distribution, they are not estimates).
    x = model.sample(theta, 200_000, np.random.default_rng(derive_seed(0, "reference", model.name)))
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(model.dim, model.dim)


def data_moments(model, theta) -> tuple[Array, Array]:
    r"""Mean (d,) and covariance (d, d) of :math:`p_\theta`: closed form for the Gaussian family,
    quadrature in 1-D, else a large exact sample from a fixed stream. Cached per (model, θ).

    ``model`` a :class:`theory.models.Model` instance, ``theta`` one allowed parameter vector (p,)."""
    if not isinstance(model, models.Model):
        hint = f": pass an instance, e.g. {model.__name__}(...)" if isinstance(model, type) else ""
        raise TypeError(f"model must be a theory.models.Model instance, got {model!r}{hint}")
    theta = model.validate(theta)
    if theta.ndim != 1:
        raise ValueError(f"theta must have shape ({model.num_params},), got {theta.shape}")
    mean, covariance = _moments(model, tuple(float(t) for t in theta))
    return np.asarray(mean, float), np.asarray(covariance, float)


# ---- unconditional noises: p_n(y | x) = q(y) -------------------------------------------------------
class _Unconditional:
    """Shared machinery of a noise that does not depend on x: p_n(y | x) = q(y)."""

    conditional = False
    symmetric = False

    def _log_q(self, y):  # pragma: no cover - abstract
        """log q(y) of a float array ``y`` (..., d), shape (...), on ``y``'s namespace."""
        raise NotImplementedError

    def _draw(self, shape: tuple[int, ...], rng) -> Array:  # pragma: no cover - abstract
        """Draws from q of shape ``shape + (d,)``: a host array, from a numpy generator ``rng``."""
        raise NotImplementedError

    def _interval(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _dim(self) -> int | None:
        """The data dimension d of q, if fixed."""
        return None

    def bind(self, model, theta):
        return self

    def sample(self, x, K: int, rng):
        """``K`` draws from q per point of ``x`` (..., d): shape (..., K, d), on ``x``'s namespace; only
        the shape of ``x`` is used. The draws are made on the host by ``rng``, a numpy generator."""
        x = _check_x(x, dim=self._dim())
        K = _check_K(K)
        rng = generator("rng", rng)
        return namespace(x).asarray(self._draw(tuple(x.shape[:-1]) + (K,), rng))

    def log_density(self, y, x=None):
        r""":math:`\log p_n(y\mid x) = \log q(y)`, shape ``y.shape[:-1]`` (broadcast with ``x``'s leading axes if given)."""
        if x is None:
            return self._log_q(_check_x(y, "y", self._dim()))
        y, x = _check_pair(y, x, self._dim())
        value = self._log_q(y)
        return namespace(value).broadcast_to(value, np.broadcast_shapes(tuple(y.shape[:-1]), tuple(x.shape[:-1])))

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Composite Gauss–Legendre on q's support, the same nodes for every x node."""
        real_array("x_nodes", x_nodes)
        level = _level(level)
        lo, hi = self._interval()
        nodes, weights = quadrature.gauss_legendre(lo, hi, quadrature.refined(_LEGENDRE_PANELS, level), _LEGENDRE_ORDER)
        log_q = self._log_q(nodes[:, None])
        weights = weights * np.exp(log_q - log_q.max())
        weights = weights / weights.sum()
        return nodes[None, :, None], weights[None, :]


def _one_dimensional(noise, d: int) -> None:
    if d != 1:
        raise ValueError(f"quadrature rules are 1-D; {noise!r} has d = {d} > 1")


class Gaussian(_Unconditional):
    r"""Gaussian noise :math:`q(y) = \mathcal N(y; m, \Sigma)`, ``mean`` (d,), ``covariance`` (d, d) positive definite.

    With :math:`\Sigma = LL^\top` (Cholesky) and :math:`z = L^{-1}(y - m)`,

    .. math:: \log q(y) = \sum_{i=1}^d \Big(-\frac{z_i^2}{2} - \log\sqrt{2\pi} - \log L_{ii}\Big),

    and a draw is :math:`y = m + Lz`, :math:`z \sim \mathcal N(0, I_d)`. In 1-D this is the
    arithmetic of ``scipy.stats.norm(m, σ)`` (``logpdf``, ``rvs``), draw for draw.
    """

    def __init__(self, mean, covariance):
        self.mean = real_array("mean", mean, ndim=1)
        self.covariance = spd_matrix("covariance", covariance)
        if self.covariance.shape[0] != self.mean.size:
            raise ValueError(f"mean (d,) and covariance (d, d) must have the same d, got shapes {self.mean.shape} "
                             f"and {self.covariance.shape}")
        self.cholesky = np.linalg.cholesky(self.covariance)

    def __repr__(self) -> str:
        return f"Gaussian(mean={self.mean.tolist()}, covariance={self.covariance.tolist()})"

    def __str__(self) -> str:
        if self.mean.size == 1:
            return f"N({self.mean[0]:g}, {self.cholesky[0, 0]:g}²)"
        return f"N(d={self.mean.size})"

    def _dim(self):
        return self.mean.size

    def _draw(self, shape, rng):
        return self.mean + rng.standard_normal(shape + self.mean.shape) @ self.cholesky.T

    def _log_q(self, y):
        xp = namespace(y)
        cholesky = xp.asarray(self.cholesky)
        centred = y - xp.asarray(self.mean)
        z = xp.zeros(centred.shape, dtype=xp.float64)
        for i in range(self.mean.size):  # forward substitution: in 1-D exactly (y − m)/σ
            z[..., i] = (centred[..., i] - z[..., :i] @ cholesky[i, :i]) / cholesky[i, i]
        return xp.sum(-z**2 / 2.0 - _LOG_SQRT_2PI - xp.log(xp.asarray(np.diagonal(self.cholesky))), axis=-1)

    def _interval(self):
        _one_dimensional(self, self.mean.size)
        half_width = np.sqrt(2 * quadrature.LOG_TAIL) * self.cholesky[0, 0]  # log q down by LOG_TAIL
        return float(self.mean[0] - half_width), float(self.mean[0] + half_width)

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = m + σ z_j, the same nodes for every x node."""
        _one_dimensional(self, self.mean.size)
        real_array("x_nodes", x_nodes)
        z, w = _hermite_rule(level)
        return (self.mean[0] + self.cholesky[0, 0] * z)[None, :, None], w[None, :]


class Logistic(_Unconditional):
    r"""Logistic noise with independent coordinates, ``loc`` and ``scale`` > 0 of shape (d,) (scalars: d = 1).

    With :math:`z_i = (y_i - \mu_i)/s_i`,

    .. math:: \log q(y) = \sum_{i=1}^d \big(-|z_i| - 2\log(1 + e^{-|z_i|}) - \log s_i\big),

    and a draw is :math:`y = \mu + s\,z`, :math:`z` standard logistic (``rng.logistic``): the
    arithmetic of ``scipy.stats.logistic(μ, s)``, draw for draw. The log-density is host-only: it
    uses SciPy's ``log1p`` (as ``scipy.stats.logistic`` does), so it takes numpy arrays only
    (``TypeError`` for arrays of another library, which are not converted behind the caller's back).
    """

    def __init__(self, loc=0.0, scale=1.0):
        self.loc = np.atleast_1d(real_array("loc", loc, ndim=(0, 1)))
        scale = np.atleast_1d(real_array("scale", scale, ndim=(0, 1)))
        if scale.shape != self.loc.shape or np.any(scale <= 0):
            raise ValueError(f"scale must be > 0 with the shape of loc {self.loc.shape}, got {scale.tolist()}")
        self.scale = scale

    def __repr__(self) -> str:
        return f"Logistic(loc={self.loc.tolist()}, scale={self.scale.tolist()})"

    def __str__(self) -> str:
        if self.loc.size == 1:
            return f"logistic({self.loc[0]:g}, {self.scale[0]:g})"
        return f"logistic(d={self.loc.size})"

    def _dim(self):
        return self.loc.size

    def _draw(self, shape, rng):
        return rng.logistic(size=shape + self.loc.shape) * self.scale + self.loc

    def _log_q(self, y):
        if not array_api_compat.is_numpy_array(y):
            raise TypeError(f"{self!r}: the logistic log-density is computed with SciPy (bit for bit scipy.stats.logistic) "
                            f"and takes numpy arrays only, got {type(y).__module__}.{type(y).__name__}")
        negative = -np.abs((y - self.loc) / self.scale)
        return np.sum(negative - 2.0 * special.log1p(np.exp(negative)) - np.log(self.scale), axis=-1)

    def _interval(self):
        _one_dimensional(self, self.loc.size)
        half_width = quadrature.LOG_TAIL * self.scale[0]  # log q down by more than LOG_TAIL
        return float(self.loc[0] - half_width), float(self.loc[0] + half_width)


@dataclass(frozen=True)
class MatchedGaussian:
    r"""NCE's default noise: a Gaussian with the data's mean and ``scale``² times its covariance.

    Unbound until :meth:`bind` (called with the data law :math:`p_{\theta^*}` before the
    experiment) makes it :class:`Gaussian` ``(m, scale² Σ)`` with :math:`(m, \Sigma)` the moments
    of :math:`p_{\theta^*}` (:func:`data_moments`); it is then fixed across replicates. A scale
    above 1 gives the noise heavier tails than every model family here, so the density ratio
    :math:`p_\theta/p_n` stays bounded.
    """

    scale: float = 1.5
    conditional = False
    symmetric = False

    def __post_init__(self):
        object.__setattr__(self, "scale", _positive("scale", self.scale))

    def __str__(self) -> str:
        return f"gaussian x{self.scale:g}"

    def bind(self, model, theta) -> Gaussian:
        mean, covariance = data_moments(model, theta)
        return Gaussian(mean, self.scale**2 * covariance)

    def _unbound(self, *args, **kwargs):
        raise ValueError(f"{self!r} is unbound: call .bind(model, theta) (the data distribution) first")

    sample = log_density = quadrature_rule = _unbound


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

    def _log_q(self, y):
        self._require_bound()
        return self.model.log_f(y, namespace(y).asarray(self.theta)) - self._log_normalizer()

    def _dim(self):
        return None if self.model is None else self.model.dim

    def _draw(self, shape, rng):
        count = int(np.prod(shape))
        draws = self.model.sample(self.theta, max(count, 1), rng)[:count]
        return draws.reshape(shape + (self.model.dim,))

    def log_density(self, y, x=None):
        r""":math:`\log p_n(y\mid x) = \log p_{\theta}(y)` (bound oracles only)."""
        self._require_bound()
        return super().log_density(y, x)

    def sample(self, x, K: int, rng):
        """``K`` exact draws from :math:`p_\\theta` per point of ``x`` (..., d): shape (..., K, d)."""
        self._require_bound()
        return super().sample(x, K, rng)

    def _interval(self):
        self._require_bound()
        return quadrature.support_interval(self.model, self.theta)

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

    def _log_q(self, y):
        xp = namespace(y)
        centres = xp.asarray(self.centres)
        h2 = self.bandwidth**2
        d = centres.shape[-1]
        # Chunk over the centres (logaddexp accumulation) so memory stays O(size of y).
        total = None
        for start in range(0, centres.shape[0], 16):
            block = centres[start : min(start + 16, centres.shape[0]), ...]
            sq = xp.sum((y[..., None, :] - block) ** 2, axis=-1)
            part = -sq / (2 * h2)
            top = xp.max(part, axis=-1)
            part = top + xp.log(xp.sum(xp.exp(part - top[..., None]), axis=-1))
            total = part if total is None else xp.logaddexp(total, part)
        return total - float(np.log(centres.shape[0])) - d / 2 * float(np.log(2 * np.pi * h2))

    def _dim(self):
        return self.centres.shape[1]

    def _draw(self, shape, rng):
        index = rng.integers(0, self.centres.shape[0], size=shape)
        return self.centres[index] + self.bandwidth * rng.standard_normal(shape + (self.centres.shape[1],))

    def _interval(self):
        if self.centres.shape[1] != 1:
            raise ValueError("quadrature rules are 1-D; this KDE has d > 1")
        return float(self.centres.min() - 12 * self.bandwidth), float(self.centres.max() + 12 * self.bandwidth)


# ---- conditional noises ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LocalGaussian:
    r"""Local Gaussian jump :math:`y = x + \varepsilon z`, :math:`z \sim \mathcal N(0, I_d)`.

    .. math:: \log p_n(y\mid x) = -\frac{|y-x|^2}{2\varepsilon^2} - \frac d2 \log(2\pi\varepsilon^2).

    Symmetric, :math:`p_n(y\mid x) = p_n(x\mid y)`, so it drops out of :math:`F_\theta`.
    """

    eps: float
    symmetric: bool = field(default=True, init=False)
    conditional = True

    def __post_init__(self):
        object.__setattr__(self, "eps", _positive("eps", self.eps))

    def sample(self, x, K: int, rng):
        """``K`` draws :math:`y = x + \\varepsilon z` per point of ``x`` (..., d): shape (..., K, d)."""
        x = _check_x(x)
        K = _check_K(K)
        rng = generator("rng", rng)
        z = standard_normal(rng, tuple(x.shape[:-1]) + (K, x.shape[-1]), namespace(x))
        return x[..., None, :] + self.eps * z

    def log_density(self, y, x):
        """:math:`\\log p_n(y\\mid x)`, shape: broadcast of the leading axes of ``y`` and ``x``."""
        y, x = _check_pair(y, x)
        d = y.shape[-1]
        return -namespace(y, x).sum((y - x) ** 2, axis=-1) / (2 * self.eps**2) - d / 2 * float(np.log(2 * np.pi * self.eps**2))

    def bind(self, model, theta) -> LocalGaussian:
        return self

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = x + ε z_j, exact for polynomials of degree < 2·order in z."""
        z, w = _hermite_rule(level)
        x_nodes = real_array("x_nodes", x_nodes).reshape(-1)
        return (x_nodes[:, None] + self.eps * z[None, :])[..., None], np.broadcast_to(w, (x_nodes.size, z.size))

    def __str__(self) -> str:
        return f"local(ε={self.eps:g})"


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
    conditional = True

    def __post_init__(self):
        rho = real_scalar("rho", self.rho)
        if not -1 < rho < 1:
            raise ValueError(f"rho={self.rho!r} must lie in (-1, 1) (the AR(1) coefficient)")
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "scale", _positive("scale", self.scale))

    def _spread(self) -> float:
        return float(np.sqrt(1 - self.rho**2) * self.scale)

    def sample(self, x, K: int, rng):
        """``K`` draws :math:`y = \\rho x + \\sqrt{1-\\rho^2}\\,s\\,z` per point of ``x`` (..., d)."""
        x = _check_x(x)
        K = _check_K(K)
        rng = generator("rng", rng)
        z = standard_normal(rng, tuple(x.shape[:-1]) + (K, x.shape[-1]), namespace(x))
        return self.rho * x[..., None, :] + self._spread() * z

    def log_density(self, y, x):
        """:math:`\\log p_n(y\\mid x)`, shape: broadcast of the leading axes of ``y`` and ``x``."""
        y, x = _check_pair(y, x)
        spread2 = self._spread() ** 2
        return (-namespace(y, x).sum((y - self.rho * x) ** 2, axis=-1) / (2 * spread2)
                - y.shape[-1] / 2 * float(np.log(2 * np.pi * spread2)))

    def bind(self, model, theta) -> Autoregressive:
        return self

    def quadrature_rule(self, x_nodes, level: int = 0):
        """Gauss–Hermite in z: y = ρx + √(1−ρ²) s z_j."""
        z, w = _hermite_rule(level)
        x_nodes = real_array("x_nodes", x_nodes).reshape(-1)
        return (self.rho * x_nodes[:, None] + self._spread() * z[None, :])[..., None], np.broadcast_to(w, (x_nodes.size, z.size))

    def __str__(self) -> str:
        return f"ar1(ρ={self.rho:g}, s={self.scale:g})"


@dataclass(frozen=True)
class Mixture:
    r"""Mixture noise :math:`p_n(y\mid x) = w\,a(y\mid x) + (1-w)\,b(y\mid x)` ("CNCE mix").

    ``weight`` is :math:`w \in [0, 1]`, the probability of drawing from ``a`` (the paper tunes
    "the proportion of noises based on local transitions", appendix C.1). Unconditional when
    both parts are.
    """

    a: Any
    b: Any
    weight: float

    def __post_init__(self):
        for name in ("a", "b"):
            component = getattr(self, name)
            if not is_noise(component):
                raise TypeError(
                    f"{name} must be a theory.noise distribution instance (with sample, log_density, bind), got {component!r}"
                )
        weight = real_scalar("weight", self.weight)
        if not (0.0 <= weight <= 1.0):
            raise ValueError(f"weight={self.weight!r} must lie in [0, 1] (probability of component a)")
        object.__setattr__(self, "weight", weight)

    @property
    def conditional(self) -> bool:
        return bool(self.a.conditional or self.b.conditional)

    @property
    def symmetric(self) -> bool:
        return bool(self.a.symmetric and self.b.symmetric)

    def __str__(self) -> str:
        return f"mix({self.weight:g}·{self.a} + {1 - self.weight:g}·{self.b})"

    def bind(self, model, theta) -> Mixture:
        return Mixture(self.a.bind(model, theta), self.b.bind(model, theta), self.weight)

    def sample(self, x, K: int, rng):
        """``K`` draws per point of ``x`` (..., d), each from ``a`` with probability ``weight``: all of
        ``a``'s draws, then all of ``b``'s, then the uniforms that pick (on ``x``'s namespace)."""
        x = _check_x(x)
        K = _check_K(K)
        rng = generator("rng", rng)
        xp = namespace(x)
        from_a = self.a.sample(x, K, rng)
        from_b = self.b.sample(x, K, rng)
        pick_a = uniform(rng, tuple(x.shape[:-1]) + (K, 1), xp) < self.weight
        return xp.where(pick_a, from_a, from_b)

    def log_density(self, y, x=None):
        r""":math:`\log(w\,a(y\mid x) + (1-w)\,b(y\mid x))`, by ``logaddexp`` (``x`` may be omitted when unconditional)."""
        if x is None:
            if self.conditional:
                raise ValueError(f"x is required: {self} is conditional (p_n(y|x) depends on x)")
            y = _check_x(y, "y")
        else:
            y, x = _check_pair(y, x)
        if self.weight == 1.0:
            return self.a.log_density(y, x)
        if self.weight == 0.0:
            return self.b.log_density(y, x)
        return namespace(y, x).logaddexp(
            float(np.log(self.weight)) + self.a.log_density(y, x), float(np.log1p(-self.weight)) + self.b.log_density(y, x)
        )

    def quadrature_rule(self, x_nodes, level: int = 0):
        x_nodes = real_array("x_nodes", x_nodes).reshape(-1)
        ya, wa = self.a.quadrature_rule(x_nodes, level)
        yb, wb = self.b.quadrature_rule(x_nodes, level)
        n = x_nodes.size
        ya, yb = np.broadcast_to(ya, (n,) + ya.shape[1:]), np.broadcast_to(yb, (n,) + yb.shape[1:])
        wa, wb = np.broadcast_to(wa, (n, wa.shape[1])), np.broadcast_to(wb, (n, wb.shape[1]))
        return np.concatenate([ya, yb], axis=1), np.concatenate([self.weight * wa, (1 - self.weight) * wb], axis=1)
