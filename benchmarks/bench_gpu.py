r"""ULA chain-steps/s and the CNCE replicate fit on cupy against numpy, N = 10⁴…10⁶ in one run (issue 19).

Run on a machine with an NVIDIA GPU, its CUDA 12 driver, and cupy (the ``gpu`` extra,
``cupy-cuda12x``)::

    pip install -e '.[gpu]'
    python benchmarks/bench_gpu.py --json bench_gpu.json          # cupy against numpy, N = 1e4,1e5,1e6
    python benchmarks/bench_gpu.py --against numpy --sizes 1000,10000   # dry run on any machine

Without cupy, or with cupy but no usable GPU, the script prints one line ``skipped: <why>`` and
exits 0. ``--against numpy`` runs everything with numpy on both sides (a dry run of the script,
not a measurement of anything but numpy).

What is measured, at every N of ``--sizes``, on numpy (the CPU baseline) and on the backend of
``--against`` (cupy), each in the same process and on the same machine:

(a) **ULA chain-steps per second** of :func:`theory.samplers.ula_kernel` over N chains at once
    (positions one array (N, d) of the backend's namespace, noise from the backend's generator),
    on the symbolic model ``theory.models.gaussian(d)`` for d = 2 and 10, at N(0, Σ) with Σ's
    eigenvalues spread over [1, 3] and h half the stable bound
    (:func:`theory.samplers.stable_step_size_bound`). One warm-up step, then steps until at least
    ``--seconds`` have passed (and at least 3 steps); the clock stops after a device
    synchronisation (:func:`synchronize`), so queued GPU work is counted. Rate = N × steps / s.
(b) **CNCE replicates fitted per second**: :func:`theory.cnce.fit_cnce` — the batched Newton fit
    (:func:`theory.fitting.newton`), all replicates one array axis — on N replicate data sets of
    ``--points`` points each from ``models.gaussian(1)`` at (μ, λ) = (0.5, 2), K = ``--noise``
    local Gaussian noise points per data point (ε = 1), started at the truth + 20 %, the fit's
    default tolerance. The data are drawn once on the host (numpy) and copied to each backend, so
    both sides fit the same data sets, and the script reports how far apart their estimates are
    (they must agree to rounding). An untimed warm-up fit first (a few replicates on numpy; all
    of them on cupy, whose first calls compile kernels and fill its memory pool), then the fastest
    of ``--repeats`` timed fits, synchronised. Rate = N / s.

The table gives both rates and their ratio (``--against`` / numpy); the issue's target is a
ratio ≥ 20 at N = 10⁶ (stated for chains; the script reports it for every row at N = 10⁶ and
asserts nothing: it is a benchmark). numpy runs with its BLAS library's default thread count
unless ``--blas-threads`` says otherwise; the JSON records it, with the versions and the device.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import array_api_compat
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from ebmcheck.theory import cnce, models, samplers
from ebmcheck.theory import noise as noises
from ebmcheck.theory.backend import Backend, BackendUnavailable, get_backend

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DIMENSIONS = (2, 10)
TARGET_RATIO = 20.0  # issue 19: cupy ≥ 20× the CPU throughput ...
TARGET_SIZE = 1_000_000  # ... at 10⁶ chains
MIN_STEPS = 3  # timed ULA steps, at least
WARMUP_REPLICATES = 8  # replicates of the CNCE warm-up fit
CNCE_TRUTH = (0.5, 2.0)  # mean, precision of models.gaussian(1)
CNCE_EPS = 1.0  # local Gaussian noise scale
CNCE_START = 1.2  # start of the fit: truth × 1.2


def synchronize(xp) -> None:
    """Wait until the device has finished the work queued on it when ``xp`` is cupy's namespace
    (``cupy.cuda.Device().synchronize()``); nothing on any other namespace, which computes eagerly."""
    if array_api_compat.is_cupy_namespace(xp):
        import cupy  # noqa: PLC0415 (optional dependency, installed when the namespace is cupy's)

        cupy.cuda.Device().synchronize()


def gaussian_target(dim: int):
    """``(model, theta, step)`` for N(0, Σ) in dimension ``dim`` with ``models.gaussian(dim)``: Σ with
    eigenvalues evenly spread over [1, 3] in a random basis (seeded by ``dim``), the step h half
    the stable bound. theta is a host array."""
    rng = np.random.default_rng(dim)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    sigma = basis @ np.diag(np.linspace(1.0, 3.0, dim)) @ basis.T
    sigma = (sigma + sigma.T) / 2
    model = models.gaussian(dim)
    return model, model.pack(np.zeros(dim), np.linalg.inv(sigma)), 0.5 * samplers.stable_step_size_bound(sigma)


def ula_rate(backend: Backend, target, num_chains: int, *, seed: int, min_seconds: float) -> dict:
    """ULA chain-steps per second on ``backend`` for ``num_chains`` chains of ``target`` (from
    :func:`gaussian_target`): one warm-up step, then synchronised steps until ``min_seconds`` and
    :data:`MIN_STEPS` are reached. Returns ``{"rate", "steps", "seconds"}``."""
    model, theta, step = target
    xp = backend.xp
    rng = backend.rng(seed, "bench-gpu", "ula", str(model.dim), str(num_chains))
    start = np.random.default_rng(seed).standard_normal((num_chains, model.dim))
    theta = xp.asarray(theta)
    state = samplers.langevin_init(xp.asarray(start), model, theta, log_density=False)
    state, _ = samplers.ula_kernel(rng, state, model, theta, step)  # warm-up: compiled code, memory pool
    synchronize(xp)
    steps, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < min_seconds or steps < MIN_STEPS:
        state, _ = samplers.ula_kernel(rng, state, model, theta, step)
        synchronize(xp)
        steps += 1
    return {"rate": num_chains * steps / elapsed, "steps": steps, "seconds": elapsed}


def cnce_data(num_replicates: int, num_points: int, num_noise: int, *, seed: int):
    """``(model, theta, x, y)``: ``num_replicates`` data sets of ``num_points`` draws from
    ``models.gaussian(1)`` at :data:`CNCE_TRUTH` and ``num_noise`` local Gaussian noise points per
    data point, drawn on the host: x (R, n, 1), y (R, n, K, 1)."""
    model = models.gaussian(1)
    theta = model.pack([CNCE_TRUTH[0]], [[CNCE_TRUTH[1]]])
    rng = np.random.default_rng([seed, num_replicates, num_points, num_noise])
    x = model.sample(theta, num_replicates * num_points, rng).reshape(num_replicates, num_points, 1)
    return model, theta, x, noises.LocalGaussian(CNCE_EPS).sample(x, num_noise, rng)


def cnce_rate(backend: Backend, data, *, repeats: int) -> dict:
    """CNCE replicates fitted per second on ``backend`` for ``data`` (from :func:`cnce_data`),
    copied to the backend first (not timed), then an untimed warm-up fit, then the fastest of
    ``repeats`` synchronised fits of all of them. The warm-up fits :data:`WARMUP_REPLICATES`
    replicates on numpy (the compiled pair function is then cached) and all of them on any other
    namespace, whose first calls at a size also compile device kernels and fill the memory pool.
    Returns ``{"rate", "seconds", "converged", "params"}`` (params on the host, (R, 2))."""
    model, theta, x, y = data
    xp = backend.xp
    x, y, start = xp.asarray(x), xp.asarray(y), xp.asarray(CNCE_START * theta)
    noise = noises.LocalGaussian(CNCE_EPS)
    warm = min(WARMUP_REPLICATES, x.shape[0]) if array_api_compat.is_numpy_namespace(xp) else x.shape[0]
    cnce.fit_cnce(model, start, x[:warm, ...], y[:warm, ...], noise)
    synchronize(xp)
    best, fitted = math.inf, None
    for _ in range(repeats):
        began = time.perf_counter()
        fitted = cnce.fit_cnce(model, start, x, y, noise)
        synchronize(xp)
        best = min(best, time.perf_counter() - began)
    return {"rate": x.shape[0] / best, "seconds": best, "converged": int(np.sum(fitted.converged)), "params": fitted.params}


def _sizes(text: str) -> tuple[int, ...]:
    """``--sizes``: comma-separated integers >= 1 (``10000`` or ``1e4``)."""
    sizes = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value.is_integer() and value >= 1):
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is not an integer >= 1 (e.g. --sizes 10000,1e5,1e6)")
        sizes.append(int(value))
    return tuple(sizes)


def _positive(kind):
    """An argparse type: ``kind`` (int or float) of the text, finite and > 0."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite {kind.__name__} > 0")
        return value

    return parse


def _seed(text: str) -> int:
    """``--seed``: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="cupy", choices=("cupy", "numpy"),
                        help="backend measured against the numpy baseline (default cupy; numpy: a dry run on any machine)")
    parser.add_argument("--sizes", type=_sizes, default=DEFAULT_SIZES, metavar="N,N,...",
                        help="numbers of chains and of CNCE replicates (default 10000,100000,1000000)")
    parser.add_argument("--seconds", type=_positive(float), default=1.0, help="least seconds per ULA rate (default 1)")
    parser.add_argument("--points", type=_positive(int), default=100, help="data points per CNCE replicate (default 100)")
    parser.add_argument("--noise", type=_positive(int), default=1, help="noise points K per data point (default 1)")
    parser.add_argument("--repeats", type=_positive(int), default=1, help="timed CNCE fits per backend, the fastest kept (default 1)")
    parser.add_argument("--blas-threads", type=_positive(int), default=None, help="numpy's BLAS threads (default: the library's)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the chains' starts and noise and of the CNCE data (default 0)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results as JSON to PATH")
    return parser


def _environment(measured: Backend) -> dict:
    environment = {
        "python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
        "blas_threads": [info.get("num_threads") for info in threadpool_info() if info.get("user_api") == "blas"],
    }
    if array_api_compat.is_cupy_namespace(measured.xp):
        cupy = measured.xp
        environment["cupy"] = cupy.__version__
        environment["device"] = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
    return environment


def run(args, measured: Backend) -> dict:
    """Both backends at every size; prints the table as it goes and returns the results (JSON-ready)."""
    baseline = get_backend("numpy")
    sides = (("baseline", baseline), ("measured", measured))
    unit = {"ula": "chain-steps/s", "cnce": "replicates/s"}
    print(f"numpy (baseline) against {measured.name}: ULA on models.gaussian(d) in {unit['ula']}; CNCE fit of "
          f"models.gaussian(1), {args.points} points x K = {args.noise}, in {unit['cnce']}")
    print(f"{'measure':<8} {'d':>3} {'N':>9} {'numpy':>11} {measured.name:>11} {'ratio':>8}  target")
    rows = []

    def record(row):
        row["ratio"] = row["measured"]["rate"] / row["baseline"]["rate"]
        row["target_met"] = None if row["N"] != TARGET_SIZE else row["ratio"] >= TARGET_RATIO
        rows.append(row)
        verdict = {None: "", True: "met", False: "missed"}[row["target_met"]]
        line = (f"{row['measure']:<8} {row['d']:>3} {row['N']:>9} {row['baseline']['rate']:>11.3g} "
                f"{row['measured']['rate']:>11.3g} {row['ratio']:>7.2f}x  {verdict}")
        print(line.rstrip(), flush=True)

    for dim in DIMENSIONS:
        target = gaussian_target(dim)
        for size in args.sizes:
            record({"measure": "ula", "unit": unit["ula"], "d": dim, "N": size} | {
                side: ula_rate(backend, target, size, seed=args.seed, min_seconds=args.seconds) for side, backend in sides
            })
    for size in args.sizes:
        data = cnce_data(size, args.points, args.noise, seed=args.seed)
        fits = {side: cnce_rate(backend, data, repeats=args.repeats) for side, backend in sides}
        both = fits["baseline"]["params"], fits["measured"]["params"]
        difference = float(np.max(np.abs(both[0] - both[1])))
        record({"measure": "cnce", "unit": unit["cnce"], "d": 1, "N": size, "points": args.points, "noise": args.noise,
                "max_abs_estimate_difference": difference}
               | {side: {k: v for k, v in fit.items() if k != "params"} for side, fit in fits.items()})
    assessed = [row for row in rows if row["target_met"] is not None]
    if assessed:
        met = sum(row["target_met"] for row in assessed)
        print(f"target (issue 19): {measured.name} >= {TARGET_RATIO:g}x numpy at N = {TARGET_SIZE}: met in {met} of "
              f"{len(assessed)} rows")
    else:
        print(f"target (issue 19): {measured.name} >= {TARGET_RATIO:g}x numpy at N = {TARGET_SIZE}: not assessed "
              f"(N = {TARGET_SIZE} is not in --sizes)")
    for row in rows:
        if row["measure"] == "cnce":
            print(f"CNCE N = {row['N']}: converged {row['baseline']['converged']}/{row['measured']['converged']} of "
                  f"{row['N']} (numpy/{measured.name}); estimates differ by at most {row['max_abs_estimate_difference']:.1e}")
    return {"against": measured.name, "baseline": "numpy", "sizes": list(args.sizes), "seconds": args.seconds,
            "seed": args.seed, "target": {"ratio": TARGET_RATIO, "N": TARGET_SIZE}, "rows": rows,
            "environment": _environment(measured)}


def main(argv=None) -> int:
    """Run the benchmark; 0 when it ran or was skipped (no cupy or no GPU), 2 on bad options (argparse)."""
    args = _parser().parse_args(argv)
    try:
        measured = get_backend(args.against)
    except BackendUnavailable as error:
        print(f"skipped: {error} (dry run on any machine: --against numpy)")
        return 0
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        results = run(args, measured)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
