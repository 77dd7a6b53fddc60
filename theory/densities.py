r"""Normalised 1-D densities, the Gaussian log-density, and the GAN machinery on them (review 003 §2, §3.2).

- :func:`gaussian_log_pdf`: :math:`\log\mathcal N(x;\mu,\sigma^2)` elementwise (the one Gaussian log-density of
  the checks), and :func:`diagonal_gaussian_log_pdf`, its product form
  :math:`\mathcal N(\mu, \operatorname{diag}\sigma^2)` in d dimensions.
- :class:`Density`: a normalised 1-D density given by its log-density and an interval outside
  which it is negligible, optionally a name and an exact sampler; :func:`gaussian`, :func:`mixture` build them.
- :func:`maximise_pointwise`: for arrays of density values (a, b), the maximiser and maximum over
  y ∈ (0, 1) of :math:`a\log y + b\log(1-y)`, found by golden-section search in the logit
  :math:`t = \log\frac{y}{1-y}` ∈ [−40, 40] — derivative-free, so it does not use the
  stationarity condition the derivation solves.
- :func:`multiplicative_descent`: the functional (mirror) descent
  :math:`\rho_g \leftarrow \rho_g\,(1 - D^*_G)^{-\eta}/Z` on a grid (Theorem 3.3's setting).

Inputs are validated (:mod:`theory.validation`); errors name the argument and what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ebmcheck.theory import quadrature
from ebmcheck.theory.validation import function, positive_int, real_array, real_scalar

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
LOGIT_RANGE = 40.0  # |logit y| searched; σ(−40) ≈ 4e-18 is below rounding of the values it multiplies
TAIL_SCALES = 14.0  # a Gaussian is negligible (e^{-98}) beyond 14 standard deviations
LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))


def gaussian_log_pdf(x, mean, sd) -> np.ndarray:
    r"""Log-density of :math:`\mathcal N(\mu, \sigma^2)`, elementwise with broadcasting:

    .. math:: \log\mathcal N(x;\mu,\sigma^2)
              = -\tfrac12\Big(\frac{x-\mu}{\sigma}\Big)^2 - \log\sqrt{2\pi} - \log\sigma.

    ``x``, ``mean``, ``sd``: real arrays (or scalars) that broadcast together. Evaluated in that order
    (standardise, square, subtract the two constants), which is the arithmetic of ``scipy.stats.norm.logpdf``
    (bit for bit). ``ValueError`` unless every ``sd > 0``; ``x`` is not checked (it runs inside quadrature and Monte
    Carlo loops; ±∞ gives −∞).
    """
    _positive_sd(sd)
    standardized = (x - mean) / sd
    return -0.5 * standardized**2 - LOG_SQRT_2PI - np.log(sd)


def diagonal_gaussian_log_pdf(points, mean, sd) -> np.ndarray:
    r"""Log-density of :math:`\mathcal N(\mu, \operatorname{diag}\sigma^2)` in d dimensions at ``points`` (..., d):

    .. math:: \log\mathcal N(x;\mu,\operatorname{diag}\sigma^2)
              = -\tfrac12\sum_{i=1}^d\Big(\frac{x_i-\mu_i}{\sigma_i}\Big)^2
              - \log\Big((2\pi)^{d/2}\prod_{i=1}^d\sigma_i\Big),

    the sum over the last axis of :func:`gaussian_log_pdf` (with the constants gathered in one log). ``mean`` and
    ``sd`` have shape (d,), ``sd > 0`` (``ValueError`` otherwise); returns shape (...).
    """
    points, mean, sd = np.asarray(points, dtype=float), np.asarray(mean, dtype=float), np.asarray(sd, dtype=float)
    if points.ndim == 0 or mean.shape != (points.shape[-1],) or sd.shape != mean.shape:
        raise ValueError(f"need points (..., d) with mean and sd of shape (d,); got points {points.shape}, "
                         f"mean {mean.shape}, sd {sd.shape}")
    _positive_sd(sd)
    standardized = (points - mean) / sd
    return -0.5 * (standardized**2).sum(axis=-1) - np.log((2 * np.pi) ** (points.shape[-1] / 2) * np.prod(sd))


def _positive_sd(sd) -> None:
    if not np.all(np.asarray(sd) > 0):  # also refuses NaN
        raise ValueError(f"sd must be positive, got {sd!r}")


@dataclass(frozen=True)
class Density:
    """A normalised 1-D density: ``log_pdf`` maps x of shape (N,) to log ρ(x) of shape (N,);
    ρ is negligible outside [lo, hi]. Optional: a ``name`` (for labels) and an exact sampler
    ``sample(n, rng)`` returning n draws of shape (n,)."""

    log_pdf: Callable[[np.ndarray], np.ndarray]
    lo: float
    hi: float
    name: str | None = None
    sample: Callable[[int, np.random.Generator], np.ndarray] | None = None

    def __post_init__(self) -> None:
        function("log_pdf", self.log_pdf, "x (N,) -> log density (N,)")
        if not real_scalar("lo", self.lo) < real_scalar("hi", self.hi):
            raise ValueError(f"need lo < hi, got lo={self.lo}, hi={self.hi}")
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"name must be a string or None, got {self.name!r}")
        if self.sample is not None:
            function("sample", self.sample, "(n, rng) -> draws (n,)")

    def pdf(self, x) -> np.ndarray:
        return np.exp(self.log_pdf(np.asarray(x, dtype=float)))

    def log_pdf_column(self, x) -> np.ndarray:
        """log ρ at x of shape (N, 1), the convention of :func:`theory.quadrature.expect`."""
        return self.log_pdf(np.asarray(x, dtype=float)[:, 0])

    def interval(self) -> tuple[float, float]:
        return self.lo, self.hi

    def expect(self, func) -> tuple[float, float]:
        """E_ρ[func(X)] by quadrature on [lo, hi] and its error (:func:`theory.quadrature.expect`);
        func: x (N, 1) -> (N,)."""
        value, error = quadrature.expect(self.log_pdf_column, func, self.lo, self.hi)
        return float(value), float(error)


def gaussian(mean: float, scale: float) -> Density:
    """The N(mean, scale²) density (:func:`gaussian_log_pdf`) on mean ± 14 scale, named, with its exact sampler."""
    mean, scale = real_scalar("mean", mean), real_scalar("scale", scale, low=0.0)
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return Density(lambda x: gaussian_log_pdf(x, mean, scale), mean - TAIL_SCALES * scale, mean + TAIL_SCALES * scale,
                   f"N({mean:g}, {scale:g}²)", lambda n, rng: mean + scale * rng.standard_normal(n))


def mixture(weights: Sequence[float], components: Sequence[Density]) -> Density:
    """Σ_k w_k ρ_k for positive weights summing to 1, on the union of the components' intervals."""
    weights = real_array("weights", weights, ndim=1)
    if len(weights) != len(components) or len(weights) == 0:
        raise ValueError(f"need one weight per component, got {len(weights)} weights and {len(components)} components")
    if np.any(weights <= 0) or abs(weights.sum() - 1.0) > 1e-12:
        raise ValueError(f"weights must be positive and sum to 1, got {weights.tolist()}")
    log_weights = np.log(weights)

    def log_pdf(x):
        return np.logaddexp.reduce([lw + c.log_pdf(x) for lw, c in zip(log_weights, components)], axis=0)

    return Density(log_pdf, min(c.lo for c in components), max(c.hi for c in components))


def _objective(a, b, logit):
    """a log σ(t) + b log σ(−t), stably; 0·log σ = 0."""
    return -(a * np.logaddexp(0.0, -logit) + b * np.logaddexp(0.0, logit))


def maximise_pointwise(a, b, iterations: int = 80) -> tuple[np.ndarray, np.ndarray]:
    r"""Maximiser ŷ and maximum of :math:`a\log y + b\log(1-y)` over y = σ(t), |t| ≤ 40, elementwise.

    Golden-section search in t, ``iterations`` shrinkings of the bracket by 0.618 (80: a bracket of
    about 1e-15 in t; values then limit the precision to ~1e-8 in y). ``a``, ``b``: arrays of
    non-negative density values of one shape. Concavity in t makes the search exact up to the bracket."""
    a, b = real_array("a", a), real_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one shape, got {a.shape} and {b.shape}")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("a and b are density values and must be non-negative")
    iterations = positive_int("iterations", iterations)
    lo, hi = np.full(a.shape, -LOGIT_RANGE), np.full(a.shape, LOGIT_RANGE)
    for _ in range(iterations):
        left, right = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
        keep_left = _objective(a, b, left) >= _objective(a, b, right)  # the maximum lies in [lo, right]
        hi, lo = np.where(keep_left, right, hi), np.where(keep_left, lo, left)
    best = (lo + hi) / 2
    return 1.0 / (1.0 + np.exp(-best)), _objective(a, b, best)


def l1_distance(log_first: np.ndarray, log_second: np.ndarray, weights: np.ndarray) -> float:
    """∫|ρ₁ − ρ₂| on a grid with quadrature ``weights``."""
    return float(np.sum(weights * np.abs(np.exp(log_first) - np.exp(log_second))))


def multiplicative_descent(log_star: np.ndarray, log_start: np.ndarray, weights: np.ndarray, eta: float,
                           steps: int) -> np.ndarray:
    r"""Iterates of :math:`\log\rho_g \leftarrow \log\rho_g - \eta\log(1 - D^*_G) - \log Z` on a grid.

    :math:`\log(1 - D^*_G) = \log\rho_g - \log(\rho_* + \rho_g)`; Z normalises with the quadrature
    ``weights``. Returns the log-densities of steps 0..``steps``, shape (steps + 1, N)."""
    log_star, log_start, weights = (real_array(n, v, ndim=1) for n, v in
                                    (("log_star", log_star), ("log_start", log_start), ("weights", weights)))
    if not (log_star.shape == log_start.shape == weights.shape):
        raise ValueError("log_star, log_start and weights must share one grid")
    eta = real_scalar("eta", eta)
    if not eta > 0:
        raise ValueError(f"eta must be a positive step, got {eta}")
    steps = positive_int("steps", steps)
    iterates = [log_start]
    current = log_start
    for _ in range(steps):
        log_one_minus_d = current - np.logaddexp(log_star, current)
        current = current - eta * log_one_minus_d
        current = current - np.log(np.sum(weights * np.exp(current - current.max()))) - current.max()
        iterates.append(current)
    return np.array(iterates)
