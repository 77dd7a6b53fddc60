"""Sequential acceptance (``checks.sequential``): false alarms under peeking, and the sample saved.

Run: ``python benchmarks/bench_sequential.py [--runs R] [--deep-runs D] [--seed S]`` (about four
minutes with the defaults). Prints Markdown tables. Not a timed test.

(1) Validation sweep at α = 0.05: R null runs (true mean = prediction), 50 batches of 20 values
    (n = 20 … 1000), a look after every batch. False-alarm rate, with a Clopper–Pearson 95 %
    interval, of (i) the normal-mixture confidence sequence (planned n = 1000) rejecting at any
    look; (ii) the fixed-n z-test |x̄ − μ| > z_{α/2} s/√n applied at every look; (iii) the same
    z-test at the final n only. Normal, exponential (skewness 2) and chi-square with 1 dof
    (skewness 2.8: what squared errors look like) replicate values, and batches of 10 and 50 for
    the normal and chi-square cases.
(2) Deep sweep at α = 1e-3 and 1e-4: D normal runs simulated through their batch sufficient
    statistics (batch mean ~ N(μ, σ²/b), batch sum of squares ~ σ²χ²_{b−1}, independent), which is
    exact for normal values and makes ten million runs affordable; and 1e6 chi-square runs drawn
    value by value (a billion draws). The last columns: the sequence looking only from n = 200
    (500) on — ``sequential_mean(..., first_look=...)``.
(3) Sample saved at α = 1e-4, β = 1e-4 (the suite's levels): a fixed design of n_f = 1000 whose
    negative control sits at 8 standard errors (8σ/√n_f) from the prediction — the suite builds a
    check only when the gap is ≥ z_{α/2} + z_β ≈ 7.6 SE. The sequential check draws batches of 50,
    planned n = n_f (or n_f/2), budget 3 n_f, and stops by ``checks.sequential``'s rules; the
    table gives its sample size relative to n_f and how it ended, with the fixed design's outcome
    on the same truth. The vectorised simulation is cross-checked against
    ``checks.sequential.sequential_mean`` itself on the first 200 runs of each scenario.
(4) Positive means of skewed values at α = 1e-3 and 1e-4 (``sequential_means(..., log_scale=True)``):
    chi-square(1) values and the Richardson unit (4a − c)/3 that the CNCE covariance checks watch,
    looks every 100 values up to 2000, the sequence deciding on the linear scale
    (|m̂ − μ| > r_t) and on the log scale (|log m̂ − log μ| > r_t/m̂), from first looks at
    200/500/1000, and the fixed-n z-test at n = 2000 on both scales. ``--only skewed`` runs it alone.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy import special, stats

from ebmcheck.checks.sequential import confidence_radius, cumulative_looks, resolution_reached, sequential_mean


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    a = 1 - level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def fmt_rate(k: int, n: int) -> str:
    lo, hi = clopper_pearson(k, n)
    return f"{k / n:.4f} [{lo:.4f}, {hi:.4f}]"


def fmt_small(k: int, n: int) -> str:
    lo, hi = clopper_pearson(k, n)
    return f"{k / n:.2e} [{lo:.1e}, {hi:.1e}] ({k}/{n})"


DISTRIBUTIONS = {
    # name: (sampler(rng, shape), mean, variance)
    "normal": (lambda rng, shape: rng.standard_normal(shape), 0.0, 1.0),
    "exponential": (lambda rng, shape: rng.standard_exponential(shape), 1.0, 1.0),
    "chi-square 1 dof": (lambda rng, shape: rng.standard_normal(shape) ** 2, 1.0, 2.0),
}


def rejections(mean, variance, n, mu, alpha, planned_n, first_look=0):
    """(any-look CS, any-look z, final-look z) rejection indicators per run; the CS looks from
    n ≥ first_look on."""
    radius = confidence_radius(n, variance, alpha, planned_n)
    z = float(-special.ndtri(alpha / 2))
    dev = np.abs(mean - mu)
    cs_any = np.any((dev > radius) & (n >= first_look), axis=-1)
    z_all = dev > z * np.sqrt(variance / n)
    return cs_any, np.any(z_all, axis=-1), z_all[..., -1]


def validation_sweep(runs: int, seed: int) -> None:
    alpha, batches = 0.05, 50
    print(f"### (1) False alarms under peeking, α = {alpha}, {runs} null runs, a look after every batch\n")
    print("| replicate values | batches × size | confidence sequence (any look) | z-test, every look | z-test, final n only |")
    print("|---|---|---|---|---|")
    cases = [("normal", 20), ("exponential", 20), ("chi-square 1 dof", 20), ("normal", 10), ("chi-square 1 dof", 10),
             ("normal", 50), ("chi-square 1 dof", 50)]
    for name, size in cases:
        sampler, mu, _ = DISTRIBUTIONS[name]
        rng = np.random.default_rng([seed, size, list(DISTRIBUTIONS).index(name)])
        counts = np.zeros(3, dtype=int)
        chunk = max(1, 2_000_000 // (batches * size))
        done = 0
        while done < runs:
            m = min(chunk, runs - done)
            n, mean, var = cumulative_looks(sampler(rng, (m, batches * size)), size)
            for j, r in enumerate(rejections(mean, var, n, mu, alpha, batches * size)):
                counts[j] += int(r.sum())
            done += m
        print(f"| {name} | {batches} × {size} | " + " | ".join(fmt_rate(int(c), runs) for c in counts) + " |")
    print()


FIRST_LOOKS = (200, 500)


def deep_sweep(runs: int, raw_runs: int, seed: int) -> None:
    batches, size, alphas = 50, 20, (1e-3, 1e-4)
    print(f"### (2) Small α: null runs, {batches} batches of {size}, a look after every batch\n")
    print("| replicate values | α | confidence sequence (any look) | z-test, every look | z-test, final n only | "
          + " | ".join(f"sequence, first look n = {f}" for f in FIRST_LOOKS) + " |")
    print("|---|---|---|---|---|" + "---|" * len(FIRST_LOOKS))
    n = size * np.arange(1, batches + 1, dtype=float)
    for name, total in (("normal", runs), ("chi-square 1 dof", raw_runs)):
        rng = np.random.default_rng([seed, 7, len(name)])
        counts = np.zeros((len(alphas), 3), dtype=int)
        late = np.zeros((len(alphas), len(FIRST_LOOKS)), dtype=int)  # CS looking from n ≥ first look
        chunk, done = (200_000 if name == "normal" else 20_000), 0
        while done < total:
            m = min(chunk, total - done)
            if name == "normal":  # exact for normal values: batch sufficient statistics
                mean, var = _merge(rng.standard_normal((m, batches)) / math.sqrt(size),
                                   rng.chisquare(size - 1, (m, batches)), size, n)
                mu = 0.0
            else:
                _, mean, var = cumulative_looks(rng.standard_normal((m, batches * size)) ** 2, size)
                mu = 1.0
            for a, alpha in enumerate(alphas):
                for j, r in enumerate(rejections(mean, var, n, mu, alpha, batches * size)):
                    counts[a, j] += int(r.sum())
                for j, first in enumerate(FIRST_LOOKS):
                    late[a, j] += int(rejections(mean, var, n, mu, alpha, batches * size, first)[0].sum())
            done += m
        for a, alpha in enumerate(alphas):
            print(f"| {name} ({total:.0e} runs) | {alpha:g} | " + " | ".join(fmt_small(int(c), total) for c in counts[a])
                  + " | " + " | ".join(fmt_small(int(c), total) for c in late[a]) + " |")
    print()


SKEWED = {
    # positive means watched through skewed values: a squared error, and the Richardson unit
    # (4 v(4N) − v(N))/3 of checks/cnce.py (two independent squared errors)
    "chi-square 1 dof": lambda rng, shape: rng.standard_normal(shape) ** 2,
    "(4a − c)/3, a, c chi-square 1 dof": lambda rng, shape: (4 * rng.standard_normal(shape) ** 2
                                                              - rng.standard_normal(shape) ** 2) / 3,
}
SKEWED_FIRST_LOOKS = (200, 500, 1000)


def skewed_sweep(runs: int, seed: int) -> None:
    """(4) Positive means of skewed values at small α: the sequence on the linear and on the log scale."""
    batches, size, alphas = 20, 100, (1e-3, 1e-4)
    print(f"### (4) Skewed values, linear vs log scale: {runs:.0e} null runs (mean 1), {batches} batches of {size}, "
          "a look after every batch from the first look on\n")
    print("| replicate values | α | scale | " + " | ".join(f"sequence, first look n = {f}" for f in SKEWED_FIRST_LOOKS)
          + f" | z-test at n = {batches * size} only |")
    print("|---|---|---|" + "---|" * (len(SKEWED_FIRST_LOOKS) + 1))
    for k, (name, sampler) in enumerate(SKEWED.items()):
        rng = np.random.default_rng([seed, 13, k])
        counts = np.zeros((len(alphas), 2, len(SKEWED_FIRST_LOOKS) + 1), dtype=int)
        chunk, done = 10_000, 0
        while done < runs:
            m = min(chunk, runs - done)
            n, mean, var = cumulative_looks(sampler(rng, (m, batches * size)), size)
            for a, alpha in enumerate(alphas):
                radius = confidence_radius(n, var, alpha, batches * size)
                z_radius = float(-special.ndtri(alpha / 2)) * np.sqrt(var / n)
                linear = np.abs(mean - 1.0)
                positive = mean > 0
                logarithmic = np.where(positive, np.abs(np.log(np.where(positive, mean, 1.0))) * mean, linear)
                for scale, dev in enumerate((linear, logarithmic)):
                    for j, first in enumerate(SKEWED_FIRST_LOOKS):
                        counts[a, scale, j] += int(np.any((dev > radius) & (n >= first), axis=-1).sum())
                    counts[a, scale, -1] += int((dev[:, -1] > z_radius[:, -1]).sum())
            done += m
        for a, alpha in enumerate(alphas):
            for scale, label in enumerate(("linear", "log")):
                print(f"| {name} | {alpha:g} | {label} | " + " | ".join(fmt_small(int(c), runs) for c in counts[a, scale]) + " |")
    print()


def _merge(bmean, bm2, size, n):
    """Running mean and sample variance from batch means and within-batch sums of squares."""
    s1 = np.cumsum(bmean * size, axis=-1)
    mean = s1 / n
    m2 = np.cumsum(bm2, axis=-1) + size * np.cumsum(bmean**2, axis=-1) - n * mean**2
    return mean, np.maximum(m2, 0.0) / (n - 1)


def first_stop(mean, var, n, prediction, control, alpha, beta, target, planned_n):
    """Vectorised stopping rule of checks.sequential: (stop index or -1, outcome code).

    outcome: 0 prediction rejected, 1 decided, 2 budget."""
    radius = confidence_radius(n, var, alpha, planned_n)
    reached = resolution_reached(n, var, alpha, beta, planned_n)
    reject = np.abs(mean - prediction) > radius
    decide = (np.abs(mean - control) > radius) & (reached <= target)
    stop = reject | decide
    any_stop = stop.any(axis=-1)
    index = np.where(any_stop, stop.argmax(axis=-1), n.size - 1)
    rows = np.arange(mean.shape[0])
    outcome = np.where(~any_stop, 2, np.where(reject[rows, index], 0, 1))
    return index, outcome


def savings(runs: int, seed: int) -> None:
    alpha = beta = 1e-4
    n_fixed, size = 1000, 50
    budget_batches = 3 * n_fixed // size
    z_a, z_b = float(-special.ndtri(alpha / 2)), float(-special.ndtri(beta))
    se_f = 1.0 / math.sqrt(n_fixed)  # σ = 1
    gap = 8 * se_f
    n = size * np.arange(1, budget_batches + 1, dtype=float)
    scenarios = [
        # (label, truth offset from prediction, target resolution, planned n)
        ("prediction true; stop when control rejected (no resolution target)", 0.0, math.inf, n_fixed),
        ("prediction true; … planned n = n_f/2", 0.0, math.inf, n_fixed // 2),
        ("prediction true; resolution ≤ gap to control (power 1 − β against it)", 0.0, gap, n_fixed),
        ("prediction true; resolution ≤ the fixed design's (z_α/2 + z_β)·SE_f", 0.0, (z_a + z_b) * se_f, n_fixed),
        ("prediction wrong (truth = control); no resolution target", gap, math.inf, n_fixed),
        ("prediction wrong (truth = control); planned n = n_f/2", gap, math.inf, n_fixed // 2),
        ("prediction wrong by half the gap (4 SE_f); no resolution target", gap / 2, math.inf, n_fixed),
    ]
    print(f"### (3) Sample size of the sequential check against the fixed design, α = β = 1e-4, "
          f"control at 8 SE of the fixed n_f = {n_fixed}; batches of {size}, budget {budget_batches * size}; "
          f"{runs} runs each\n")
    print("| scenario | mean n / n_f | median | 95th pct | P(n > n_f) | sequential outcome: rejected / decided / budget "
          "| fixed n_f: prediction rejected / control rejected |")
    print("|---|---|---|---|---|---|---|")
    for k, (label, truth, target, planned) in enumerate(scenarios):
        rng = np.random.default_rng([seed, 11, k])
        bmean = truth + rng.standard_normal((runs, budget_batches)) / math.sqrt(size)
        bm2 = rng.chisquare(size - 1, (runs, budget_batches))
        mean, var = _merge(bmean, bm2, size, n)
        # The prediction is 0 and the control +gap; a wrong prediction has truth > 0.
        index, outcome = first_stop(mean, var, n, 0.0, gap, alpha, beta, target, planned)
        used = n[index]
        # The fixed design on the same truth (its own draws: the first n_f values of each run).
        j = n_fixed // size - 1
        se = np.sqrt(var[:, j] / n_fixed)
        fixed_pred = np.abs(mean[:, j]) > z_a * se
        fixed_ctrl = np.abs(mean[:, j] - gap) > z_a * se
        # Cross-check the vectorised rule against sequential_mean on the same values.
        agree = _cross_check(bmean[:200], bm2[:200], size, gap, alpha, beta, target, planned, budget_batches,
                             index[:200], outcome[:200], rng)
        frac = used / n_fixed
        print(f"| {label} | {frac.mean():.3f} | {np.median(frac):.2f} | {np.quantile(frac, 0.95):.2f} | "
              f"{np.mean(used > n_fixed):.4f} | "
              f"{np.mean(outcome == 0):.4f} / {np.mean(outcome == 1):.4f} / {np.mean(outcome == 2):.4f} | "
              f"{fixed_pred.mean():.4f} / {fixed_ctrl.mean():.4f} |" + ("" if agree else " **engine disagrees**"))
    print()


def _cross_check(bmean, bm2, size, control, alpha, beta, target, planned, budget_batches, index, outcome, rng):
    """Rebuild batches with exactly the given batch mean and sum of squares; run sequential_mean."""
    codes = {"prediction rejected": 0, "decided": 1, "budget": 2}
    for r in range(bmean.shape[0]):
        shapes = rng.standard_normal((budget_batches, size))
        shapes -= shapes.mean(axis=1, keepdims=True)
        shapes *= np.sqrt(bm2[r] / (shapes**2).sum(axis=1))[:, None]
        batches = shapes + bmean[r][:, None]
        res = sequential_mean(lambda i, batches=batches: batches[i], 0.0, control, alpha=alpha, beta=beta, resolution=target,
                              batch_size=size, max_batches=budget_batches, planned_n=planned)
        if res.batches != index[r] + 1 or codes[res.stopped] != outcome[r]:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000, help="null runs of the α = 0.05 sweep")
    parser.add_argument("--deep-runs", type=int, default=10_000_000, help="normal null runs at α = 1e-3 and 1e-4")
    parser.add_argument("--raw-runs", type=int, default=1_000_000, help="chi-square null runs at α = 1e-3 and 1e-4")
    parser.add_argument("--saving-runs", type=int, default=20_000)
    parser.add_argument("--skewed-runs", type=int, default=1_000_000, help="skewed null runs, linear vs log scale")
    parser.add_argument("--only", choices=("validation", "deep", "savings", "skewed"), help="run one section")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"seed {args.seed}\n")
    t0 = time.perf_counter()
    sections = {"validation": lambda: validation_sweep(args.runs, args.seed),
                "deep": lambda: deep_sweep(args.deep_runs, args.raw_runs, args.seed),
                "savings": lambda: savings(args.saving_runs, args.seed),
                "skewed": lambda: skewed_sweep(args.skewed_runs, args.seed)}
    for name, section in sections.items():
        if args.only in (None, name):
            section()
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
