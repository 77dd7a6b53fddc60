r"""Sequential acceptance for Monte Carlo checks: a confidence sequence valid under optional stopping.

A fixed-size check draws :math:`n` replicate values, then tests once. A sequential check draws
batches and looks after each one; it stops as soon as the evidence is decisive. Looking after
every batch with the fixed-size z-test inflates the false-alarm rate (50 looks at α = 0.05 give
about 0.3, see ``benchmarks/bench_sequential.py``); the boundary below keeps it at most α *at
any stopping time*, whatever rule decides when to stop.

The boundary
------------
Let :math:`X_1, X_2, \dots` be i.i.d. with mean :math:`\mu` and variance :math:`\sigma^2`,
:math:`\hat\mu_t` and :math:`\hat\sigma_t^2` the running mean and sample variance after
:math:`t` values. The *normal-mixture* (Robbins 1970) supermartingale of
:math:`S_t = \sum_{i\le t}(X_i-\mu)` with intrinsic time :math:`V_t = t\sigma^2`, mixed over
:math:`\lambda \sim \mathcal N(0, \rho^2/\sigma^2)`,

.. math::

   M_t = \int e^{\lambda S_t - \lambda^2 V_t/2}\, dF(\lambda)
       = \frac{1}{\sqrt{t\rho^2+1}}
         \exp\!\Big(\frac{\rho^2 S_t^2}{2\sigma^2 (t\rho^2+1)}\Big),

is a nonnegative martingale with :math:`M_0 = 1` for Gaussian :math:`X_i`, so Ville's inequality
:math:`P(\exists t: M_t \ge 1/\alpha) \le \alpha` gives, solving :math:`M_t < 1/\alpha` for
:math:`|S_t|` (Howard, Ramdas, McAuliffe & Sekhon 2021, *Ann. Statist.* 49(2), the two-sided
normal-mixture boundary, eq. (14); there in the parametrisation
:math:`\sqrt{(v+\rho_H)\log((v+\rho_H)/(\alpha^2\rho_H))}` with :math:`\rho_H = 1/\rho^2`), the
confidence sequence

.. math::

   \mu \in \hat\mu_t \pm r_t, \qquad
   r_t = \hat\sigma_t \sqrt{\frac{2(t\rho^2+1)}{t^2\rho^2}\,
                             \log\frac{\sqrt{t\rho^2+1}}{\alpha}}
   \quad\text{for all } t \ge 1 \text{ simultaneously, with probability} \ge 1-\alpha .

The mixture is symmetric in λ, so the sequence is two-sided at level α (no α/2). With the
running estimate :math:`\hat\sigma_t` in place of σ and non-Gaussian :math:`X_i` (finite
variance) this is the *asymptotic* confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy &
Ramdas (2021), "Time-uniform central limit theory and asymptotic confidence sequences"
(arXiv:2103.06476), Theorem 2.2: its time-uniform coverage tends to 1 − α as the first look
grows (strong Gaussian coupling replaces exact normality, as the CLT does for the fixed-n
z-test). It is the brief's :math:`\sqrt{2(t\hat\sigma_t^2\rho'^2+1)/(t^2\rho'^2)\cdot
\log(\sqrt{t\hat\sigma_t^2\rho'^2+1}/\alpha)}` with :math:`\rho' = \rho/\hat\sigma_t`: the
mixing scale is measured in units of :math:`1/\hat\sigma`, so that ρ, and with it the boundary's
shape, does not depend on the units of the data.

Choice of ρ. Writing :math:`u = t\rho^2`, the standardised squared radius at :math:`t` is
:math:`t\,r_t^2/\hat\sigma_t^2 = 2(1+1/u)\,(\tfrac12\log(1+u) - \log\alpha)`; its derivative
in :math:`u` vanishes where :math:`u = \log(1+u) - 2\log\alpha`, i.e. (with :math:`v = 1+u`,
:math:`-v e^{-v} = -\alpha^2/e`)

.. math::

   \rho^2(t^\star, \alpha) = \frac{-W_{-1}(-\alpha^2/e) - 1}{t^\star},

:math:`W_{-1}` the lower branch of Lambert's W: the boundary is tightest at the planned sample
size :math:`t^\star`. One fixed-point step from :math:`u = -2\log\alpha` gives the closed form
published by Waudby-Smith et al. (2021, §2) and used by ``confseq``:
:math:`\rho^2 \approx (-2\log\alpha + \log(1 - 2\log\alpha))/t^\star`; it differs from the exact
minimiser by 3.4 % in ρ² at α = 0.05 (0.7 % at 1e-4) but only 3e-5 (5e-7) in relative width at
:math:`t^\star`: the minimum is flat. At :math:`t^\star` the radius is 1.55 times the fixed-n
half-width :math:`z_{\alpha/2}\hat\sigma/\sqrt t` at α = 0.05 (3.04 σ̂/√t against 1.96) and
1.22 times at α = 1e-4 (4.75 against 3.89): the price of being allowed to look at every batch
shrinks as α does.

Stopping rules
--------------
:func:`sequential_mean` draws batches and, after each, stops with

- ``"prediction rejected"`` when the prediction lies outside :math:`\hat\mu_t \pm r_t`;
- ``"decided"`` when the negative control lies outside it *and* the resolution reached,
  :math:`r_t + z_\beta\,\hat\sigma_t/\sqrt t` (the smallest discrepancy from the prediction that
  a check stopped now detects with probability 1 − β), is at most the target ``resolution``;
- ``"budget"`` after ``max_batches`` batches otherwise (→ inconclusive: under-powered);
- ``"diverged"`` as soon as a batch holds a non-finite value (→ inconclusive, as the suite
  treats a diverged fixed-size check).

Because the coverage is time-uniform, the probability that a *true* prediction is ever rejected
is at most α, whatever the stopping rule — including rules that look at the data, stop at the
budget, or are changed after the fact. (The estimate at a data-dependent stopping time is biased;
the interval is not.) ``SequentialResult.standard_error`` is :math:`r_t/z_{\alpha/2}`, so the
suite's z-test :math:`|\hat\mu - m| \le z_{\alpha/2}\,\mathrm{se}`
(:class:`checks.anatomy.Check` at the same α) is exactly this confidence-sequence test.

Several means at once (:func:`sequential_means`) use a Bonferroni split: each of the k
coordinates gets its own sequence at :math:`\alpha/k`; by the union bound the box of the k
sequences covers the whole mean vector at all times with probability at least 1 − α.

Validity is asymptotic in the size of the first look, and at small α the normal approximation
must hold far in the tail. ``benchmarks/bench_sequential.py`` measures it: for normal values the
sequence stays below α down to α = 1e-4 with looks from n = 20 on; for chi-square(1) values
(skewness 2.8, what squared errors look like) it is fine at α = 0.05 from n = 20, but at α = 1e-4
looks from n = 20 give 4.1e-3, from n = 200 6e-4 and from n = 500 1.7e-4 — the false alarms on
the low side, where a small mean comes with a small :math:`\hat\sigma_t`. The fixed-n z-test at
n = 1000 has the same defect (2.9e-4 at α = 1e-4): it is the normal approximation's tail, not
the peeking. Hence ``first_look``: for skewed replicate values at the suite's α = 1e-4, look
only from several hundred values on, or test less skewed values (e.g. batch means).

Skewed values
-------------
A positive mean (a variance, a trace) estimated from chi-square-like values fails in the *low*
tail: a small running mean comes with a small :math:`\hat\sigma_t`. On the log scale the delta
method gives :math:`\log\mu \in \log\hat\mu_t \pm r_t/\hat\mu_t` — the same radius relative to
the running mean, which removes most of that coupling (``log_scale=True``; the asymptotic
validity is unchanged, the delta method being a smooth map of the running mean). Measured in
``benchmarks/bench_sequential.py`` section (4) for chi-square(1) values and for the Richardson unit
:math:`(4a - c)/3` of the CNCE checks (README, "Sequential checks").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import special

from ebmcheck.theory.validation import function, positive_int

Stopped = Literal["prediction rejected", "decided", "budget", "diverged"]

__all__ = [
    "SequentialResult",
    "confidence_radius",
    "cumulative_looks",
    "mixture_rho2",
    "resolution_reached",
    "sequential_mean",
    "sequential_means",
]


# ----------------------------------------------------------------------------- input checks
def _check_alpha(alpha, name: str = "alpha") -> np.ndarray:
    a = np.asarray(alpha, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0) or np.any(a >= 1):
        raise ValueError(f"{name} must lie in (0, 1), got {alpha!r}")
    return a


def _check_positive(value, name: str, *, allow_inf: bool = False) -> np.ndarray:
    v = np.asarray(value, dtype=float)
    bad = np.isnan(v) | (v <= 0) | (~np.isfinite(v) if not allow_inf else np.zeros(v.shape, bool))
    if np.any(bad):
        raise ValueError(f"{name} must be positive{'' if allow_inf else ' and finite'}, got {value!r}")
    return v


def _z(alpha) -> np.ndarray:
    """Two-sided critical value z_{α/2}, bit-identical to ``checks.anatomy.critical_z``."""
    return -special.ndtri(np.asarray(alpha, dtype=float) / 2)


# ----------------------------------------------------------------------------- the boundary
def mixture_rho2(planned_n, alpha):
    r"""The mixing parameter :math:`\rho^2 = (-W_{-1}(-\alpha^2/e) - 1)/t^\star` that makes the
    standardised normal-mixture radius smallest at the planned sample size ``planned_n`` = t*."""
    a = _check_alpha(alpha)
    t_star = _check_positive(planned_n, "planned_n")
    u = -special.lambertw(-(a**2) / math.e, k=-1).real - 1.0
    return u / t_star


def confidence_radius(n, variance, alpha, planned_n):
    r"""Half-width :math:`r_n` of the two-sided normal-mixture confidence sequence after ``n`` values.

    :math:`r_n = \hat\sigma\sqrt{2(n\rho^2+1)/(n^2\rho^2)\cdot\log(\sqrt{n\rho^2+1}/\alpha)}`
    with :math:`\hat\sigma^2` = ``variance`` (the running sample variance of the values, not of
    their mean) and :math:`\rho^2` = :func:`mixture_rho2` (``planned_n``, ``alpha``). All
    arguments broadcast. Raises ``ValueError`` (naming the argument) for n ≤ 0, a negative or
    NaN variance, α outside (0, 1) or planned_n ≤ 0.
    """
    n = _check_positive(n, "n")
    var = np.asarray(variance, dtype=float)
    if np.any(np.isnan(var)) or np.any(var < 0) or np.any(np.isinf(var)):
        raise ValueError(f"variance must be finite and ≥ 0, got {variance!r}")
    a = _check_alpha(alpha)
    rho2 = mixture_rho2(planned_n, a)
    u = n * rho2
    log_term = 0.5 * np.log1p(u) - np.log(a)
    return np.sqrt(var * 2.0 * (u + 1.0) / (n * u) * log_term)


def resolution_reached(n, variance, alpha, beta, planned_n):
    r""":math:`r_n + z_\beta\hat\sigma/\sqrt n`: the smallest discrepancy from the prediction that a
    check stopped after ``n`` values detects with probability at least 1 − β (normal
    approximation of the running mean)."""
    b = np.asarray(beta, dtype=float)
    if not np.all(np.isfinite(b)) or np.any(b <= 0) or np.any(b > 0.5):
        raise ValueError(f"beta must lie in (0, 0.5], got {beta!r}")
    radius = confidence_radius(n, variance, alpha, planned_n)
    return radius + (-special.ndtri(b)) * np.sqrt(np.asarray(variance, float) / np.asarray(n, float))


def cumulative_looks(samples, batch_size: int):
    """Running count, mean and sample variance after each batch, vectorised over leading axes.

    ``samples`` has shape ``(..., batches * batch_size)`` in draw order; returns ``(n, mean,
    variance)`` with ``n`` of shape ``(batches,)`` and the others ``(..., batches)``. The values
    are shifted by the first batch's mean before the running sums, so the variance keeps its
    precision when the mean is large. This is what a run of :func:`sequential_mean` sees at its
    looks; sweeps over many runs use it to peek without a Python loop.
    """
    batch_size = positive_int("batch_size", batch_size, minimum=2)
    x = np.asarray(samples, dtype=float)
    total = x.shape[-1]
    if total == 0 or total % batch_size:
        raise ValueError(f"samples' last axis ({total}) must be a positive multiple of batch_size ({batch_size})")
    batches = total // batch_size
    x = x.reshape(*x.shape[:-1], batches, batch_size)
    shift = x[..., :1, :].mean(axis=-1, keepdims=True)
    y = x - shift
    s1 = np.cumsum(y.sum(axis=-1), axis=-1)
    s2 = np.cumsum((y * y).sum(axis=-1), axis=-1)
    n = batch_size * np.arange(1, batches + 1, dtype=float)
    mean_y = s1 / n
    variance = np.maximum(s2 - n * mean_y * mean_y, 0.0) / (n - 1)
    return n, mean_y + shift[..., 0], variance


# ----------------------------------------------------------------------------- the sequential check
@dataclass(frozen=True)
class SequentialResult:
    """The state of a sequential check when it stopped.

    ``estimate``, ``radius``, ``standard_error``, ``variance`` and ``resolution`` are floats for
    :func:`sequential_mean` and arrays of length k for :func:`sequential_means`.
    ``standard_error`` = radius / z_{α/2} with ``alpha`` the per-coordinate level, so that
    ``checks.anatomy.ZTest(prediction, estimate, standard_error)`` at that α accepts exactly
    when the prediction lies inside the confidence sequence (up to rounding).
    ``history`` holds ``n``, ``estimate``, ``radius`` and ``resolution`` at every look.
    """

    estimate: float | np.ndarray
    radius: float | np.ndarray
    standard_error: float | np.ndarray
    n: int
    batches: int
    stopped: Stopped
    history: dict[str, np.ndarray]
    prediction: float | np.ndarray
    control: float | np.ndarray
    alpha: float  # per coordinate (α/k for k means)
    variance: float | np.ndarray = math.nan
    resolution: float | np.ndarray = math.nan  # reached: r_n + z_β σ̂/√n
    planned_n: float = math.nan
    details: dict = field(default_factory=dict)

    @property
    def prediction_rejected(self) -> bool:
        return self.stopped == "prediction rejected"

    @property
    def decided(self) -> bool:
        return self.stopped == "decided"

    @property
    def control_rejected(self) -> bool:
        """The control lies outside the sequence at the stopping time (any coordinate)."""
        outside = np.abs(np.asarray(self.control) - np.asarray(self.estimate)) > np.asarray(self.radius)
        return bool(np.any(outside))


def sequential_means(
    draw_batch: Callable[[int], np.ndarray],
    prediction,
    control,
    *,
    alpha: float,
    beta: float,
    resolution,
    batch_size: int,
    max_batches: int,
    planned_n: float | None = None,
    first_look: int | None = None,
    log_scale: bool = False,
) -> SequentialResult:
    r"""Sequential test of k means at once (Bonferroni: each coordinate at α/k).

    ``draw_batch(i)`` returns batch ``i`` (0, 1, …) as an array of shape ``(batch_size, k)`` of
    i.i.d. replicate rows; seed each batch from its own stream (e.g.
    ``np.random.default_rng([seed, i])``) so that a run is reproducible however far it goes.
    The prediction is rejected when any coordinate's prediction leaves its sequence; the check
    is decided when the control vector lies outside the box of sequences (some coordinate
    excludes it) and every coordinate's resolution reached is ≤ ``resolution`` (absolute, in the
    units of the mean; a scalar or one per coordinate; ``math.inf`` for no target). Looks start
    once ``first_look`` values are in (default: after the first batch). See the module docstring
    for the boundary, the guarantee, and why skewed values need a late first look.

    ``log_scale``: for positive means (a variance, a trace) watched through skewed values, decide
    on :math:`\log\mu \in \log\hat\mu_t \pm r_t/\hat\mu_t` (the delta method; the module
    docstring's "Skewed values"); ``resolution`` is then relative (0.05: 5 % of the mean) and so is
    the ``resolution`` reported. Prediction and control must be positive.
    """
    pred = np.atleast_1d(np.asarray(prediction, dtype=float))
    ctrl = np.atleast_1d(np.asarray(control, dtype=float))
    if pred.ndim != 1 or not np.all(np.isfinite(pred)):
        raise ValueError(f"prediction must be finite (a scalar or a 1-D array), got {prediction!r}")
    if ctrl.shape != pred.shape or not np.all(np.isfinite(ctrl)):
        raise ValueError(f"control must be finite with the prediction's shape {pred.shape}, got {control!r}")
    if log_scale and (np.any(pred <= 0) or np.any(ctrl <= 0)):
        raise ValueError(f"log_scale needs positive predictions and controls, got {prediction!r} and {control!r}")
    k = pred.size
    alpha_total = float(_check_alpha(alpha))
    alpha_k = alpha_total / k
    b = float(np.asarray(beta, dtype=float))
    if not math.isfinite(b) or not 0 < b <= 0.5:
        raise ValueError(f"beta must lie in (0, 0.5], got {beta!r}")
    target = np.broadcast_to(_check_positive(resolution, "resolution", allow_inf=True), pred.shape)
    batch_size = positive_int("batch_size", batch_size, minimum=2)
    max_batches = positive_int("max_batches", max_batches, minimum=1)
    if planned_n is None:
        planned_n = float(batch_size * max_batches)
    planned_n = float(_check_positive(planned_n, "planned_n"))
    first_look = batch_size if first_look is None else positive_int("first_look", first_look, minimum=2)
    function("draw_batch", draw_batch, "batch index -> replicate values")

    z_beta = float(-special.ndtri(b))
    z_alpha = float(_z(alpha_k))
    count = 0
    mean = np.zeros(k)
    m2 = np.zeros(k)  # sum of squared deviations from the running mean (Chan et al. merge)
    looks_n, looks_est, looks_rad, looks_res = [], [], [], []
    stopped: Stopped = "budget"
    radius = np.full(k, math.inf)
    variance = np.full(k, math.nan)
    reached = np.full(k, math.inf)
    batches = 0
    for i in range(max_batches):
        batch = np.asarray(draw_batch(i), dtype=float)
        if batch.ndim == 1 and k == 1:
            batch = batch[:, None]
        if batch.shape != (batch_size, k):
            raise ValueError(f"draw_batch({i}) returned shape {batch.shape}, expected {(batch_size, k)}")
        batches = i + 1
        if not np.all(np.isfinite(batch)):
            stopped = "diverged"
            break
        b_mean = batch.mean(axis=0)
        b_m2 = ((batch - b_mean) ** 2).sum(axis=0)
        new_count = count + batch_size
        delta = b_mean - mean
        mean = mean + delta * (batch_size / new_count)
        m2 = m2 + b_m2 + delta * delta * (count * batch_size / new_count)
        count = new_count
        variance = m2 / (count - 1)
        if count < first_look:  # no look yet: the asymptotic boundary needs a sizeable first look
            continue
        radius = confidence_radius(count, variance, alpha_k, planned_n)
        reached = radius + z_beta * np.sqrt(variance / count)
        if log_scale:
            reached = reached / np.where(mean > 0, mean, np.nan)  # relative; NaN (not reached) while m̂ ≤ 0
        looks_n.append(count)
        looks_est.append(mean.copy())
        looks_rad.append(radius.copy())
        looks_res.append(reached.copy())
        if np.any(_distance(mean, pred, log_scale) > radius):
            stopped = "prediction rejected"
            break
        if np.any(_distance(mean, ctrl, log_scale) > radius) and np.all(reached <= target):
            stopped = "decided"
            break

    history = {
        "n": np.asarray(looks_n, dtype=int),
        "estimate": np.asarray(looks_est).reshape(-1, k),
        "radius": np.asarray(looks_rad).reshape(-1, k),
        "resolution": np.asarray(looks_res).reshape(-1, k),
    }
    return SequentialResult(
        estimate=mean if count else np.full(k, math.nan),
        radius=radius,
        standard_error=radius / z_alpha,
        n=count,
        batches=batches,
        stopped=stopped,
        history=history,
        prediction=pred,
        control=ctrl,
        alpha=alpha_k,
        variance=variance,
        resolution=reached,
        planned_n=planned_n,
        details={"alpha_total": alpha_total, "beta": b, "target_resolution": target.copy(), "coordinates": k,
                 "scale": "log" if log_scale else "linear"},
    )


def _distance(mean: np.ndarray, value: np.ndarray, log_scale: bool) -> np.ndarray:
    """|m̂ − value|, or on the log scale |log(m̂/value)|·m̂ — compared with the same radius r_t, this is
    |log m̂ − log value| > r_t/m̂. Where m̂ ≤ 0 the log scale is undefined and the linear distance is used."""
    linear = np.abs(mean - value)
    if not log_scale:
        return linear
    positive = mean > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        logarithmic = np.abs(np.log(np.where(positive, mean, 1.0) / value)) * mean
    return np.where(positive, logarithmic, linear)


def sequential_mean(
    draw_batch: Callable[[int], np.ndarray],
    prediction: float,
    control: float,
    *,
    alpha: float,
    beta: float,
    resolution: float,
    batch_size: int,
    max_batches: int,
    planned_n: float | None = None,
    first_look: int | None = None,
    log_scale: bool = False,
) -> SequentialResult:
    """Sequential test of one mean: draw batches until the prediction is rejected, or the control
    is rejected at the target resolution, or the budget is spent (module docstring).

    ``draw_batch(i)`` returns batch ``i`` as a 1-D array of ``batch_size`` i.i.d. replicate
    values. ``resolution`` is absolute (units of the mean; ``math.inf``: stop as soon as the
    control is rejected). ``planned_n`` — where the boundary is tightest — defaults to the budget
    ``batch_size * max_batches``; set it to the sample size at which the check is expected to
    decide (e.g. the fixed-size design's n). ``first_look``: the sample size before which the
    check does not look (default ``batch_size``; raise it for skewed values at small α, see the
    module docstring). ``log_scale``: as in :func:`sequential_means`. The false-alarm probability
    is at most ``alpha`` whatever the stopping rule (time-uniform coverage).
    """
    function("draw_batch", draw_batch, "batch index -> replicate values")
    pred = np.asarray(prediction, dtype=float)
    if pred.ndim != 0:
        raise ValueError(f"prediction must be a scalar (use sequential_means for several), got {prediction!r}")

    def draw(i):
        batch = np.asarray(draw_batch(i), dtype=float)
        if batch.ndim != 1:
            raise ValueError(f"draw_batch({i}) must return a 1-D array, got shape {batch.shape}")
        return batch

    res = sequential_means(
        draw, prediction, control, alpha=alpha, beta=beta, resolution=resolution,
        batch_size=batch_size, max_batches=max_batches, planned_n=planned_n, first_look=first_look,
        log_scale=log_scale,
    )
    history = {key: (value[:, 0] if value.ndim == 2 else value) for key, value in res.history.items()}
    return SequentialResult(
        estimate=float(res.estimate[0]),
        radius=float(res.radius[0]),
        standard_error=float(res.standard_error[0]),
        n=res.n,
        batches=res.batches,
        stopped=res.stopped,
        history=history,
        prediction=float(res.prediction[0]),
        control=float(res.control[0]),
        alpha=res.alpha,
        variance=float(res.variance[0]),
        resolution=float(res.resolution[0]),
        planned_n=res.planned_n,
        details={**res.details, "target_resolution": float(res.details["target_resolution"][0])},
    )
