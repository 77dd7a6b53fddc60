r"""Populations: expectations :math:`\mathbb{E}_p[g(X)]` with an error from the experiment.

Two kinds share one method, ``expect(g) -> (estimate, error)``:

- :class:`QuadraturePopulation` (1-D): composite Gauss–Legendre on the exact density; the error
  is the quadrature error estimate of :func:`theory.quadrature.expect`.
- :class:`SamplePopulation` (any d): a fixed set of exact samples; the error is the standard
  error :math:`s/\sqrt n`. Every expectation reuses the same samples (common random numbers),
  so differences of expectations have small, honestly estimated errors when taken per sample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from theory import quadrature

PerSample = Callable[[np.ndarray], np.ndarray]  # x (n, d) -> (n,)


@dataclass(frozen=True)
class QuadraturePopulation:
    """A 1-D density known up to a constant on [lo, hi], with its score."""

    log_density: PerSample
    score: Callable[[np.ndarray], np.ndarray]  # x (n, 1) -> (n, 1)
    lo: float
    hi: float
    error_kind: str = "quadrature"

    def expect(self, func: PerSample, magnitude: PerSample | None = None) -> tuple[float, float]:
        """E[func] and its quadrature error; ``magnitude`` sizes the terms that cancel in func."""
        value, error = quadrature.expect(self.log_density, func, self.lo, self.hi, magnitude=magnitude)
        return float(value), float(error)

    def density(self, x: np.ndarray) -> np.ndarray:
        """The normalized density at x (n, 1), normalized by quadrature on [lo, hi]."""
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

    def expect(self, func: PerSample, magnitude: PerSample | None = None) -> tuple[float, float]:
        """E[func] and its standard error (``magnitude`` is ignored: sampling error dominates)."""
        values = np.asarray(func(self.x), dtype=float)
        return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def model_population(model, theta, *, num_samples: int | None = None, rng=None):
    """The population of ``model`` at ``theta``: quadrature in 1-D unless samples are asked for."""
    theta = model.validate(theta)
    score = lambda x: model.score(x, theta)  # noqa: E731
    if model.dim == 1 and num_samples is None:
        lo, hi = quadrature.support_interval(model, theta)
        return QuadraturePopulation(lambda x: model.log_f(x, theta), score, lo, hi)
    if num_samples is None or rng is None:
        raise ValueError(f"{model.name} has d={model.dim}: give num_samples and rng for a Monte Carlo population")
    return SamplePopulation(model.sample(theta, num_samples, rng), score)
