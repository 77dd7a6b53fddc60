"""GPU smoke check: the ULA chains on cupy agree with numpy, statistically (issue 13).

Run on a machine with a GPU and cupy (``pip install -e '.[gpu]'``)::

    python benchmarks/gpu_smoke.py                  # cupy against numpy
    python benchmarks/gpu_smoke.py --backend numpy  # dry run on any machine: numpy against numpy

cupy's generator draws other numbers than numpy's from the same seed, so the two backends cannot
agree bit for bit; they must agree in law. For each dimension d the script runs N ULA chains on
the symbolic model ``theory.models.gaussian(d)`` (target N(0, Σ), step h) on each backend, and
tests, entry by entry, the time-averaged second moment of each backend against the closed form
``theory.samplers.ula_stationary_covariance(Σ, h)`` and the two backends against each other:

.. math:: z = \\frac{\\hat m_{\\rm a} - \\hat m_{\\rm b}}{\\sqrt{\\mathrm{SE}_{\\rm a}^2 + \\mathrm{SE}_{\\rm b}^2}},

the standard errors from the spread over chains (independent chains started at exact draws of
the ULA law, so every step is stationary). The threshold is Bonferroni-split over all z of the
run at the suite's α = 10⁻⁴. As a negative control the same statistic is computed against the
exact covariance Σ: the ULA bias Σ_h − Σ, with Σ_h = Σ(I − hΣ⁻¹/2)⁻¹ (about 10 % of Σ here), must be
rejected, which shows the experiment sees a difference of that size. Exit 0 when every agreement holds and
every control is rejected; 1 otherwise; 3 when the backend is unavailable.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np
from scipy import stats

from ebmcheck.checks.anatomy import ALPHA
from ebmcheck.theory import models, samplers
from ebmcheck.theory.backend import BackendUnavailable, get_backend, to_host

DIMENSIONS = (2, 10)
STEP = 0.2


def _target(dim: int):
    """(model, theta, Σ) for N(0, Σ), Σ with eigenvalues spread over [1, 3] (h = 0.2 is well inside (0, 2))."""
    rng = np.random.default_rng(dim)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    sigma = basis @ np.diag(np.linspace(1.0, 3.0, dim)) @ basis.T
    sigma = (sigma + sigma.T) / 2
    model = models.gaussian(dim)
    return model, model.pack(np.zeros(dim), np.linalg.inv(sigma)), sigma


def second_moments(backend_name: str, dim: int, chains: int, steps: int, seed: int):
    """Per-chain time averages of x xᵀ (upper triangle), shape (chains, d(d+1)/2), on the host."""
    backend = get_backend(backend_name)
    model, theta, sigma = _target(dim)
    xp, rng = backend.xp, backend.rng(seed, "gpu-smoke", str(dim))
    stationary = samplers.ula_stationary_covariance(sigma, STEP)
    start = np.random.default_rng(seed).multivariate_normal(np.zeros(dim), stationary, size=chains)
    state = samplers.langevin_init(xp.asarray(start), model, xp.asarray(theta))
    rows, cols = np.triu_indices(dim)
    total = xp.zeros((chains, rows.size))
    theta_device = xp.asarray(theta)
    for _ in range(steps):
        state, _ = samplers.ula_kernel(rng, state, model, theta_device, STEP)
        x = state.position
        total = total + (x[:, :, None] * x[:, None, :])[:, rows, cols]
    return to_host(total / steps), stationary[rows, cols], sigma[rows, cols]


def _z(mean_a, se_a, mean_b, se_b=0.0):
    return (mean_a - mean_b) / np.sqrt(se_a**2 + se_b**2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="numpy", choices=("numpy",), help="reference backend")
    parser.add_argument("--backend", default="cupy", choices=("cupy", "numpy"), help="backend under test")
    parser.add_argument("--chains", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    try:
        get_backend(args.backend)
    except BackendUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    tested, reference = (args.backend, 1), (args.against, 2)  # different seeds: a dry run numpy/numpy is not trivial
    records = []
    for dim in DIMENSIONS:
        runs = {}
        for name, seed in (tested, reference):
            moments, predicted, exact = second_moments(name, dim, args.chains, args.steps, seed)
            runs[name + str(seed)] = (moments.mean(0), moments.std(0, ddof=1) / math.sqrt(args.chains))
        (m_a, se_a), (m_b, se_b) = runs.values()
        records.append((dim, "agreement", _z(m_a, se_a, m_b, se_b)))
        records.append((dim, f"{args.backend} vs closed form", _z(m_a, se_a, predicted)))
        records.append((dim, f"{args.against} vs closed form", _z(m_b, se_b, predicted)))
        records.append((dim, "control: exact Σ", _z(m_a, se_a, exact)))
    tests = sum(z.size for _, label, z in records if not label.startswith("control"))
    threshold = stats.norm.isf(ALPHA / 2 / tests)
    ok = True
    for dim, label, z in records:
        worst = float(np.max(np.abs(z)))
        control = label.startswith("control")
        good = worst > threshold if control else worst <= threshold
        ok &= good
        verdict = ("rejected" if good else "NOT rejected") if control else ("holds" if good else "FAILS")
        print(f"d={dim:>3} {label:<28} max|z| = {worst:8.2f} (threshold {threshold:.2f}): {verdict}")
    print(f"{args.backend} against {args.against}: {'agree' if ok else 'DISAGREE'} "
          f"({args.chains} chains x {args.steps} steps, α = {ALPHA:g} Bonferroni over {tests} z)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
