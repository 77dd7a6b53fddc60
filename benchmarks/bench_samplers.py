"""Throughput of the vectorised ULA kernel on the symbolic Gaussian model, against its floor and a per-chain loop (issues 4, 13).

Run: ``python benchmarks/bench_samplers.py`` (about a minute once ``models.gaussian(d)`` builds
fast; ``--help`` for the options). Not a timed test.

For each (num_chains N, dimension d) — (100 000, 2), (10 000, 10), (1 000, 100) — the target is
:math:`\\mathcal N(\\mu, \\Sigma)` with a non-diagonal Σ, declared by the symbolic model
``theory.models.gaussian(d)`` at every d (no hand-written stand-in), and the benchmark reports

- ``vectorised``: chain-steps/s of :func:`theory.samplers.ula_kernel` on all N chains at once
  (one array (N, d); score from the model, noise from the generator through the backend shim);
- ``floor``: the bare normal-draw rate divided by d — each chain-step needs d standard normals, so
  no ULA can beat it; ``fraction`` = vectorised / floor, the median over 9 rounds that alternate
  the two measurements (with the rounds' range), and the target (issue 13) is
  ``fraction >= 1/2`` at d = 2, 10 and 100;
- ``loop`` and ``speed-up``: chain-steps/s of a per-chain Python loop (one model score and one
  noise draw per chain and step, the same update), and vectorised / loop. ≥ 100× is expected only
  where the loop is overhead-bound (d ≤ 2); at large d both are bound by arithmetic.

A model whose construction (symbolic build, then compiling and a first evaluation of its score)
takes longer than ``--build-timeout`` seconds is reported as not built and skipped: the model
built entry by entry (one symbol per mean and precision entry, a d×d symbolic determinant) does
not reach d = 100, and the benchmark runs either way.
"""

from __future__ import annotations

import os

# One BLAS thread: on a shared 2-core machine OpenBLAS's threads contend and a (1000×100)@(100×100)
# product slows down ~15× (measured: 0.4 ms with 1 thread, 6 ms with 2 under load).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ebmcheck.theory import models, samplers  # noqa: E402

SIZES = ((100_000, 2), (10_000, 10), (1_000, 100))  # (num_chains, d): N·d = 1e5–2e5 normals per step
TARGET_FRACTION = 0.5  # of the bare normal-draw rate (issue 13)
LOOP_CHAINS = 200  # chains stepped one by one in the per-chain loop
ROUNDS = 9  # alternations of kernel and floor


class BuildTimeout(Exception):
    """The model was not built within the time allowed."""


def _build(dim: int, rng, timeout: float):
    """``(model, theta, sigma, seconds)`` for N(μ, Σ) in dimension ``dim``, or None past ``timeout`` seconds.

    Σ = AAᵀ/d + I with A standard normal; the clock covers ``models.gaussian(dim)``, ``pack`` and a
    first score evaluation (which compiles it)."""
    factor = rng.standard_normal((dim, dim)) / np.sqrt(dim)
    sigma = factor @ factor.T + np.eye(dim)
    mean = rng.standard_normal(dim)

    def expire(signum, frame):
        raise BuildTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    try:
        model = models.gaussian(dim)
        theta = model.pack(mean, np.linalg.inv(sigma))
        model.score(rng.standard_normal((2, dim)), theta)
    except BuildTimeout:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return model, theta, sigma, time.perf_counter() - start


def _rate(function, min_seconds: float) -> float:
    """Calls per second of ``function`` over at least ``min_seconds`` (after one warm-up call)."""
    function()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        function()
        calls += 1
    return calls / elapsed


def bench(num_chains: int, dim: int, rng, *, build_timeout: float, min_seconds: float) -> dict:
    """One row: the rates of the vectorised kernel, the normal-draw floor and the per-chain loop."""
    row = {"N": num_chains, "d": dim}
    built = _build(dim, rng, build_timeout)
    if built is None:
        return row | {"built": False}
    model, theta, sigma, seconds = built
    h = 0.5 * samplers.stable_step_size_bound(sigma)
    holder = [samplers.langevin_init(rng.standard_normal((num_chains, dim)), model, theta, log_density=False)]

    def vectorised_step():
        holder[0], _ = samplers.ula_kernel(rng, holder[0], model, theta, h)

    # Kernel and floor measured in alternation, ROUNDS times each: a shared machine's load drifts
    # over seconds, and a ratio of rates measured minutes apart would carry the drift. The fraction
    # is the median of the per-round ratios; its spread is reported.
    steps, draws = [], []
    for _ in range(ROUNDS):
        steps.append(_rate(vectorised_step, min_seconds / ROUNDS) * num_chains)
        draws.append(_rate(lambda: rng.standard_normal((num_chains, dim)), min_seconds / ROUNDS) * num_chains * dim)
    fractions = sorted(s / (n / dim) for s, n in zip(steps, draws))
    vectorised, normals = float(np.median(steps)), float(np.median(draws))

    positions = rng.standard_normal((LOOP_CHAINS, dim))
    scale = math.sqrt(2 * h)

    def loop_sweep():  # one ULA step per chain, chain by chain: the same update, no vectorisation
        for i in range(LOOP_CHAINS):
            x = positions[i : i + 1]
            positions[i] = (x + h * model.score(x, theta) + scale * rng.standard_normal((1, dim)))[0]

    loop = _rate(loop_sweep, min_seconds) * LOOP_CHAINS
    floor = normals / dim
    return row | {"built": True, "build_s": seconds, "vectorised": vectorised, "floor": floor,
                  "fraction": float(np.median(fractions)), "fraction range": (fractions[0], fractions[-1]),
                  "loop": loop, "speed-up": vectorised / loop}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-timeout", type=float, default=120.0, help="seconds allowed to build each model (default 120)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="seconds for each of the kernel's and the floor's rates, split over the rounds (default 3)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20261123)
    header = (f"{'N':>7} {'d':>4} {'build s':>8} {'vectorised':>11} {'floor':>11} {'fraction':>9} {'range':>11} "
              f"{'target':>7} {'loop':>9} {'speed-up':>9}")
    print("chain-steps/s of ULA on models.gaussian(d); floor = normal draws/s ÷ d; "
          f"target fraction >= {TARGET_FRACTION:g}")
    print(header)
    for num_chains, dim in SIZES:
        r = bench(num_chains, dim, rng, build_timeout=args.build_timeout, min_seconds=args.seconds)
        if not r["built"]:
            print(f"{num_chains:>7} {dim:>4}  models.gaussian({dim}) not built within {args.build_timeout:g} s: skipped")
            continue
        verdict = "met" if r["fraction"] >= TARGET_FRACTION else "missed"
        print(f"{num_chains:>7} {dim:>4} {r['build_s']:>8.2f} {r['vectorised']:>11.3g} {r['floor']:>11.3g} "
              f"{r['fraction']:>9.2f} {r['fraction range'][0]:>5.2f}–{r['fraction range'][1]:<5.2f} "
              f"{verdict:>7} {r['loop']:>9.3g} {r['speed-up']:>8.0f}×", flush=True)


if __name__ == "__main__":
    main()
