"""Throughput of the vectorised ULA kernel against a naive per-chain Python loop (issue 4).

Run: ``python benchmarks/bench_samplers.py`` (about a minute; not a timed test).

For each (num_chains N, dimension d) it reports chain-steps/s of
- the vectorised kernel :func:`theory.samplers.ula_kernel` (all chains one array, shape (N, d)),
- a naive loop over chains (one Python-level ULA step per chain, same score function),
and the fraction of this machine's standard-normal generation rate that the vectorised kernel
reaches, counted as d normal draws consumed per chain-step (1.0 = as fast as drawing the noise).

Targets are Gaussian N(μ, Σ) with a non-diagonal Σ. d = 2 uses the symbolic model
``theory.models.gaussian(2)`` (score lambdified from SymPy). For d = 10 and 100 the symbolic
family cannot be built in reasonable time (its constructor computes a d×d symbolic determinant),
so the benchmark uses :class:`LinearGaussianScore`, the same score −Λ(x − μ) as one matrix
product — a stand-in for timing only; no check uses it.
"""

from __future__ import annotations

import os

# One BLAS thread: on a shared 2-core machine OpenBLAS's threads contend and a (1000×100)@(100×100)
# product slows down ~15× (measured: 0.4 ms with 1 thread, 6 ms with 2 under load).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from ebmcheck.theory import models, samplers


class LinearGaussianScore:
    """Model-like object for timing: log f = −½(x−μ)ᵀΛ(x−μ), score = −(x−μ)Λ."""

    def __init__(self, mean, precision):
        self.mean, self.precision, self.dim = mean, precision, len(mean)

    def score(self, x, theta, xp=np):
        return -(x - self.mean) @ self.precision

    def log_f(self, x, theta, xp=np):
        centred = x - self.mean
        return -0.5 * xp.sum((centred @ self.precision) * centred, axis=-1)


def _target(dim: int, rng):
    factor = rng.standard_normal((dim, dim)) / np.sqrt(dim)
    sigma = factor @ factor.T + np.eye(dim)
    mean = rng.standard_normal(dim)
    if dim == 2:
        model = models.gaussian(2)
        return model, model.pack(mean, np.linalg.inv(sigma)), sigma
    return LinearGaussianScore(mean, np.linalg.inv(sigma)), np.zeros(1), sigma


def _rate(function, min_seconds: float = 1.0):
    """Calls per second of ``function`` measured over at least ``min_seconds``."""
    function()  # warm-up (lambdify, caches)
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        function()
        calls += 1
    return calls / elapsed


def bench(num_chains: int, dim: int, rng) -> dict:
    model, theta, sigma = _target(dim, rng)
    h = 0.5 * samplers.stable_step_size_bound(sigma)
    state = samplers.langevin_init(rng.standard_normal((num_chains, dim)), model, theta, log_density=False)
    holder = [state]

    def vectorised_step():
        holder[0], _ = samplers.ula_kernel(rng, holder[0], model, theta, h)

    vector_rate = _rate(vectorised_step) * num_chains

    naive_chains = 200
    positions = rng.standard_normal((naive_chains, dim))

    def naive_sweep():  # one ULA step per chain, chain by chain, with the same score function
        for i in range(naive_chains):
            x = positions[i : i + 1]
            positions[i] = (x + h * model.score(x, theta) + np.sqrt(2 * h) * rng.standard_normal((1, dim)))[0]

    naive_rate = _rate(naive_sweep) * naive_chains
    noise_rate = _rate(lambda: rng.standard_normal((num_chains, dim))) * num_chains * dim
    return {
        "N": num_chains,
        "d": dim,
        "vectorised": vector_rate,
        "naive": naive_rate,
        "speed-up": vector_rate / naive_rate,
        "normal draws/s": noise_rate,
        "fraction of noise rate": vector_rate * dim / noise_rate,
    }


def main() -> None:
    rng = np.random.default_rng(20261123)
    rows = [bench(n, d, rng) for n, d in ((100_000, 2), (10_000, 10), (1_000, 100))]
    print(f"{'N':>8} {'d':>4} {'vectorised chain-steps/s':>25} {'naive chain-steps/s':>20} {'speed-up':>9} {'normal draws/s':>15} {'fraction':>9}")
    for r in rows:
        print(f"{r['N']:>8} {r['d']:>4} {r['vectorised']:>25.3g} {r['naive']:>20.3g} {r['speed-up']:>9.0f} {r['normal draws/s']:>15.3g} {r['fraction of noise rate']:>9.2f}")


if __name__ == "__main__":
    main()
