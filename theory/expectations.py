r"""Populations: expectations :math:`\mathbb{E}_p[g(X)]` with an error from the experiment.

Two kinds share one method, ``expect(g) -> (estimate, error)``:

- :class:`QuadraturePopulation` (1-D): composite Gauss–Legendre on the exact density; the error
  is the quadrature error estimate of :func:`theory.quadrature.expect`.
- :class:`SamplePopulation` (any d): a fixed set of exact samples; the error is the standard
  error :math:`s/\sqrt n`. Every expectation reuses the same samples (common random numbers),
  so differences of expectations have small, honestly estimated errors when taken per sample.

Constructors and ``expect`` validate their arguments (:mod:`theory.validation`); an integrand
must return finite real values, one per point. Errors name the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ebmcheck.theory import quadrature
from ebmcheck.theory.validation import function, generator, positive_int, real_array, real_scalar

PerSample = Callable[[np.ndarray], np.ndarray]  # x (n, d) -> (n,)


@dataclass(frozen=True)
class QuadraturePopulation:
    """A 1-D density known up to a constant on [lo, hi], with its score."""

    log_density: PerSample
    score: Callable[[np.ndarray], np.ndarray]  # x (n, 1) -> (n, 1)
    lo: float
    hi: float
    error_kind: str = "quadrature"

    def __post_init__(self):
        for name in ("log_density", "score"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name} must be a callable, got {getattr(self, name)!r}")
        lo, hi = real_scalar("lo", self.lo), real_scalar("hi", self.hi)
        if not lo < hi:
            raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    def expect(self, func: PerSample, magnitude: PerSample | None = None) -> tuple[float, float]:
        r""":math:`\mathbb E_p[g(X)] \approx \sum_k w_k g(x_k)` and its quadrature error (:func:`theory.quadrature.expect`).

        ``func`` maps x (N, 1) to (N,); ``magnitude`` sizes the terms that cancel in func."""
        value, error = quadrature.expect(self.log_density, func, self.lo, self.hi, magnitude=magnitude)
        if np.ndim(value) != 0:
            raise ValueError(f"func must return one value per point, shape (N,), got values of shape (N, {', '.join(map(str, np.shape(value)))})")
        return float(value), float(error)

    def density(self, x: np.ndarray) -> np.ndarray:
        """The normalized density at x (n, 1), normalized by quadrature on [lo, hi]."""
        x = real_array("x", x, shape=(1,))
        nodes, weights = quadrature.gauss_legendre(self.lo, self.hi, 400, 16)
        log_p = self.log_density(nodes[:, None])
        top = log_p.max()
        return np.exp(self.log_density(x) - top) / np.sum(weights * np.exp(log_p - top))


@dataclass(frozen=True)
class SamplePopulation:
    """Exact samples ``x`` (n, d) from a density, with its score."""

    x: np.ndarray
    score: Callable[[np.ndarray], np.ndarray]  # x (n, d) -> (n, d)
    error_kind: str = "monte-carlo"

    def __post_init__(self):
        x = real_array("x", self.x, ndim=2)
        if x.shape[0] < 2:
            raise ValueError(f"x must hold at least 2 samples (n, d) for a standard error, got shape {x.shape}")
        if not callable(self.score):
            raise TypeError(f"score must be a callable, got {self.score!r}")
        object.__setattr__(self, "x", x)

    def expect(self, func: PerSample, magnitude: PerSample | None = None) -> tuple[float, float]:
        r""":math:`\bar g = \frac1n\sum_i g(x_i)` and its standard error :math:`s_g/\sqrt n`.

        ``func`` maps x (n, d) to finite values (n,); ``magnitude`` is ignored (sampling error dominates)."""
        function("func", func)
        try:
            values = real_array("func(x)", func(self.x))
        except (TypeError, ValueError) as error:
            raise ValueError(f"func must return finite real values, one per sample: {error}") from None
        if values.shape != (self.x.shape[0],):
            raise ValueError(f"func must return shape ({self.x.shape[0]},), one value per sample, got {values.shape}")
        return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def model_population(model, theta, *, num_samples: int | None = None, rng=None):
    """The population of ``model`` at ``theta``: quadrature in 1-D unless samples are asked for.

    ``num_samples`` (an int >= 2) and ``rng`` (a random generator) give a :class:`SamplePopulation`."""
    if isinstance(model, type) or not callable(getattr(model, "validate", None)):
        raise TypeError(f"model must be a theory.models.Model instance, got {model!r}")
    theta = model.validate(theta)
    if theta.ndim != 1:
        raise ValueError(f"theta must be one parameter vector of shape ({model.num_params},), got {theta.shape}")
    if num_samples is not None:
        num_samples = positive_int("num_samples", num_samples, minimum=2)
    if rng is not None:
        rng = generator("rng", rng)
    score = lambda x: model.score(x, theta)  # noqa: E731
    if model.dim == 1 and num_samples is None:
        lo, hi = quadrature.support_interval(model, theta)
        return QuadraturePopulation(lambda x: model.log_f(x, theta), score, lo, hi)
    if num_samples is None or rng is None:
        raise ValueError(f"{model.name} has d={model.dim}: give num_samples and rng for a Monte Carlo population")
    return SamplePopulation(model.sample(theta, num_samples, rng), score)
