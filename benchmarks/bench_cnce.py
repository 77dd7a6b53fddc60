"""Batched CNCE fitting against per-replicate ``scipy.optimize.minimize`` loops (issue 6).

Run: ``python benchmarks/bench_cnce.py [--replicates R]`` (R = 2000 by default; a few minutes).
Not a timed test: the numbers are kept in benchmarks/README.md.

For each model (1 parameter: ``gaussian_precision``, log f = −θx²/2 at θ = 2; 2 parameters:
``gaussian(1)``, mean and precision at (0.5, 2)), K ∈ {1, 4} and N_d ∈ {200, 2000}, the same R
replicate data sets (local Gaussian noise, ε = 1) are fitted four ways, all from the same start
(the truth moved by 20 %):

(a) ``theory.cnce.fit_cnce`` — all replicates at once, batched modified Newton;
(b) a Python loop over replicates of ``scipy.optimize.minimize(method="BFGS", jac=True)`` given
    the analytic gradient (``cnce.loss_and_gradient``: loss and gradient from one compiled
    evaluation of F and ∇θF, the pair function the batched fit uses);
(c) the same loop without a gradient (BFGS with finite differences), as most users write it;
(d) the floor: Newton iterations used by (a) (the most any replicate took, the final step
    included) × the time of one vectorised evaluation of the loss, gradient and Hessian over all
    replicates (``cnce.in_blocks``, the evaluation the fit itself uses).

(a) and (b) are the fastest of 3 runs, the single evaluation in (d) of 5; the loop (c) runs once.

Every fit must reach the common tolerance max|∇L_N(θ̂)| ≤ 1e-6 (the analytic gradient of the
empirical loss, evaluated afterwards for every method); the table reports how many did and the
largest gradient left by each method. The stopping rules are each method's own, both stricter than
that: BFGS's gtol = 1e-8; the batched fit's squared Newton decrement ≤ 1e-10 followed by the
final step (which squares the error: gradients ~1e-10 are left). With the fit's default 1e-14 it
takes one more evaluation for a gradient of ~1e-14, a million times below what BFGS is asked for.
"""

from __future__ import annotations

import os

# One BLAS thread: (a) and (b) then use the same single core, as the comparison intends.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import optimize  # noqa: E402

from ebmcheck.theory import cnce, models  # noqa: E402
from ebmcheck.theory import noise as noises  # noqa: E402

TOLERANCE = 1e-6  # common: max-norm of the empirical gradient at every fitted replicate
# Each method's own stopping rule, both stricter than the common tolerance: scipy's BFGS stops at
# max|∇L_N| ≤ GTOL; the batched fit stops at a squared Newton decrement ≤ NEWTON_TOL and then takes
# the final step, which squares the error, leaving |∇L_N| ~ 1e-10 (the table reports the largest).
GTOL = 1e-8
NEWTON_TOL = 1e-10


def _cases():
    precision = models.gaussian_precision()
    gaussian = models.gaussian(1)
    return (
        ("gaussian_precision (p=1)", precision, np.array([2.0])),
        ("gaussian(1) mean+precision (p=2)", gaussian, gaussian.pack([0.5], [[2.0]])),
    )


def _loop(model, start, x, y, noise_term, with_gradient: bool) -> np.ndarray:
    """One ``scipy.optimize.minimize`` per replicate, each given the library's fastest evaluation
    of that replicate's loss (and gradient): ``cnce.loss`` / ``cnce.loss_and_gradient``, the
    compiled pair function the batched fit uses too."""
    fitted = np.empty((x.shape[0], start.size))
    for r in range(x.shape[0]):
        data = (x[r], y[r])
        term = noise_term[r] if np.ndim(noise_term) else noise_term
        if with_gradient:
            result = optimize.minimize(
                lambda t: cnce.loss_and_gradient(model, t, *data, noise_term=term), start, jac=True, method="BFGS", options={"gtol": GTOL}
            )
        else:
            result = optimize.minimize(lambda t: cnce.loss(model, t, *data, noise_term=term), start, method="BFGS", options={"gtol": GTOL})
        fitted[r] = result.x
    return fitted


def _gradient_norms(model, fitted, x, y, noise_term) -> np.ndarray:
    _, gradient = cnce.in_blocks(cnce.loss_and_gradient, model, fitted, x, y, noise_term)
    return np.max(np.abs(gradient), axis=-1)


def _timed(function, repeats: int = 1):
    """(result, seconds): the fastest of ``repeats`` runs (timeit's rule: the minimum is the least disturbed)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return value, best


def run(replicates: int, seed: int = 0) -> list[dict]:
    rows = []
    noise = noises.LocalGaussian(1.0)
    for name, model, theta in _cases():
        for num_data in (200, 2000):
            for K in (1, 4):
                rng = np.random.default_rng([seed, num_data, K, model.num_params])
                x = model.sample(theta, replicates * num_data, rng).reshape(replicates, num_data, 1)
                y = noise.sample(x, K, rng)
                noise_term = 0.0  # symmetric noise: log p_n(y|x) − log p_n(x|y) = 0, as fit_cnce uses it
                start = 1.2 * theta
                cnce.fit_cnce(model, start, x[:2], y[:2], noise)  # warm-up (lambdified functions)
                batched, t_a = _timed(lambda: cnce.fit_cnce(model, start, x, y, noise, tolerance=NEWTON_TOL), repeats=3)
                with_gradient, t_b = _timed(lambda: _loop(model, start, x, y, noise_term, True), repeats=3)
                without_gradient, t_c = _timed(lambda: _loop(model, start, x, y, noise_term, False))
                _, t_eval = _timed(lambda: cnce.in_blocks(cnce.loss_gradient_hessian, model, np.tile(theta, (replicates, 1)), x, y, noise_term), repeats=5)
                iterations = int(batched.iterations.max())
                t_d = iterations * t_eval
                gradient = {
                    label: _gradient_norms(model, fitted, x, y, noise_term)
                    for label, fitted in (("a", batched.params), ("b", with_gradient), ("c", without_gradient))
                }
                converged = {label: int(np.sum(norms <= TOLERANCE)) for label, norms in gradient.items()}
                largest = {label: float(norms.max()) for label, norms in gradient.items()}
                rows.append({
                    "model": name, "N_d": num_data, "K": K, "a": t_a, "b": t_b, "c": t_c, "d": t_d,
                    "iterations": iterations, "converged": converged, "largest": largest,
                })
                print(_format(rows[-1], replicates), flush=True)
    return rows


HEADER = (
    "| model | N_d | K | (a) batched s | (b) loop+grad s | (c) loop s | (d) floor s | b/a | c/a | a/d "
    "| Newton its | converged a/b/c | max abs grad a/b/c |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
)


def _format(row, replicates) -> str:
    c = row["converged"]
    return (
        f"| {row['model']} | {row['N_d']} | {row['K']} | {row['a']:.2f} | {row['b']:.2f} | {row['c']:.2f} | "
        f"{row['d']:.2f} | {row['b'] / row['a']:.1f} | {row['c'] / row['a']:.1f} | {row['a'] / row['d']:.2f} | "
        f"{row['iterations']} | {c['a']}/{c['b']}/{c['c']} of {replicates} | "
        f"{row['largest']['a']:.0e}/{row['largest']['b']:.0e}/{row['largest']['c']:.0e} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=2000, help="replicate data sets R (default 2000)")
    args = parser.parse_args()
    if args.replicates < 2:
        parser.error(f"--replicates={args.replicates} must be at least 2")
    print(f"R = {args.replicates} replicates, local Gaussian noise eps = 1, common tolerance max|grad L_N| <= {TOLERANCE:g}")
    print(HEADER)
    run(args.replicates)


if __name__ == "__main__":
    main()
