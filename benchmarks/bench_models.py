"""Cost of the symbolic Gaussian model against the entry-by-entry path it replaced (issue 13).

Run: ``python benchmarks/bench_models.py`` (about 20 s on a quiet machine; not a timed test).

``models.gaussian(d)`` is declared once as the matrix expression -(x - μ)ᵀΛ(x - μ)/2; its
derivatives come from SymPy's matrix calculus and compile to matrix products
(:class:`theory.models.MatrixModel`). The entry-by-entry path is the same declaration's scalar
form — one SymPy symbol per coordinate, mean and precision entry — run through the generic
:class:`theory.models.Model` (differentiated entry by entry and lambdified, as ``gaussian(d)``
was before). Both are timed in the same run on the same points:

- "first call": derive + compile + evaluate (what a check pays once per model and method),
- "warm": a second call (evaluation only).

Then ``gaussian(100)`` and ``gaussian(1000)``, which the entry-by-entry path cannot build in
reasonable time (its d = 20 scalar form alone has 250 symbols): construction, then score, Laplacian
and ∇_θ log f (first calls, which include the derivation). The entry-by-entry θ-Hessian at d = 20
(p = 230: 26 565 distinct second derivatives taken and compiled one by one) is not run. The θ-Hessian has p² numbers per point (p = d + d(d+1)/2): it is timed on a few
points, and the sizes the library refuses (``models.MAX_RESULT_ENTRIES``) are shown with the
``ValueError`` it raises. The mean θ-Hessian over the points (``mean_hess_theta``, p² numbers
whatever the number of points: what Newton fits and asymptotic covariances use) is timed on all
10⁴ points, against the entry-by-entry path's mean of its per-point Hessians at d = 10.
"""

from __future__ import annotations

import os

# One BLAS thread, as in bench_samplers.py: on a shared 2-core machine OpenBLAS's threads contend.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from ebmcheck.theory import models  # noqa: E402

METHODS = ("score", "laplacian", "grad_theta", "hess_theta", "mean_hess_theta")


def _timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def _target(model, rng):
    d = model.dim
    factor = rng.standard_normal((d, d)) / np.sqrt(d)
    return model.pack(rng.standard_normal(d), factor @ factor.T + np.eye(d))


def _first_and_warm(model, method, x, theta):
    first, value = _timed(lambda: getattr(model, method)(x, theta))
    warm, _ = _timed(lambda: getattr(model, method)(x, theta))
    return first, warm, value


def side_by_side(dim: int, num_points: int, rng, *, hessian_points: int, old_hessian: bool) -> list[dict]:
    """The matrix path and the entry-by-entry path of gaussian(dim), method by method."""
    build_new, model = _timed(lambda: models.gaussian(dim))
    build_old, old = _timed(lambda: models.Model("entry-by-entry", model.x, model.theta, model.log_f_expr))
    theta, x = _target(model, rng), rng.standard_normal((num_points, dim))
    rows = [{"d": dim, "method": "build", "points": 0, "old first": build_old, "old warm": None,
             "new first": build_new, "new warm": None}]
    for method in METHODS:
        points = x[:hessian_points] if method == "hess_theta" else x
        new_first, new_warm, new_value = _first_and_warm(model, method, points, theta)
        row = {"d": dim, "method": method, "points": len(points), "new first": new_first, "new warm": new_warm,
               "old first": None, "old warm": None}
        if method not in ("hess_theta", "mean_hess_theta") or old_hessian:
            row["old first"], row["old warm"], old_value = _first_and_warm(old, method, points, theta)
            row["max rel diff"] = float(np.max(np.abs(new_value - old_value) / (1 + np.abs(old_value))))
        rows.append(row)
    return rows


def large(dim: int, num_points: int, grad_points: int, hessian_points: int, rng) -> list[dict]:
    """gaussian(dim) alone: build, then first calls of score, Laplacian, ∇_θ log f, θ-Hessian."""
    build, model = _timed(lambda: models.gaussian(dim))
    theta, x = _target(model, rng), rng.standard_normal((num_points, dim))
    rows = [{"d": dim, "method": "build + pack", "points": 0, "seconds": build + _timed(lambda: _target(model, rng))[0]}]
    for method, points in (("score", num_points), ("laplacian", num_points), ("grad_theta", grad_points),
                           ("mean_hess_theta", num_points), ("hess_theta", hessian_points)):
        if points == 0:
            continue
        try:
            seconds, value = _timed(lambda m=method, n=points: getattr(model, m)(x[:n], theta))
        except ValueError as error:
            rows.append({"d": dim, "method": method, "points": points, "refused": str(error)})
            continue
        rows.append({"d": dim, "method": method, "points": points, "seconds": seconds, "shape": value.shape})
    for points in (num_points,) if hessian_points else (num_points, 1):
        try:
            model.hess_theta(x[:points], theta)
        except ValueError as error:
            rows.append({"d": dim, "method": "hess_theta", "points": points, "refused": str(error)})
    return rows


def _cell(value, digits=3):
    return "—" if value is None else f"{value:.{digits}g}"


def main() -> None:
    rng = np.random.default_rng(20261130)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rows = side_by_side(10, 10_000, rng, hessian_points=10_000, old_hessian=True)
    rows += side_by_side(20, 10_000, rng, hessian_points=1_000, old_hessian=False)
    print(f"{'d':>4} {'method':>12} {'points':>7} {'old first s':>12} {'old warm s':>11} {'new first s':>12} "
          f"{'new warm s':>11} {'first ratio':>12} {'warm ratio':>11} {'max rel diff':>13}")
    for r in rows:
        ratio_first = None if r["old first"] is None else r["old first"] / r["new first"]
        ratio_warm = None if r["old warm"] is None else r["old warm"] / r["new warm"]
        print(f"{r['d']:>4} {r['method']:>12} {r['points']:>7} {_cell(r['old first']):>12} {_cell(r['old warm']):>11} "
              f"{_cell(r['new first']):>12} {_cell(r['new warm']):>11} {_cell(ratio_first):>12} {_cell(ratio_warm):>11} "
              f"{_cell(r.get('max rel diff'), 2):>13}")
    print()
    for dim, num_points, grad_points, hessian_points in ((100, 10_000, 10_000, 4), (1000, 1_000, 100, 0)):
        total = 0.0
        for r in large(dim, num_points, grad_points, hessian_points, rng):
            if "refused" in r:
                print(f"{dim:>5} {r['method']} on {r['points']} points refused: {r['refused']}")
                continue
            if r["method"] != "hess_theta":
                total += r["seconds"]
            print(f"{dim:>5} {r['method']:>15} {r['points']:>7} points {r['seconds']:>8.3f} s {str(r.get('shape', '')):>18}")
        print(f"{dim:>5} build + score + Laplacian + grad_theta + mean θ-Hessian (where not refused): {total:.2f} s")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
