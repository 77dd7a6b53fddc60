r"""The properties, one ``check_<property>`` function each, and :func:`yield_all_checks`.

Each check takes the run's :class:`Setting` (objective, families, configuration) and one
Hypothesis case, runs one seeded experiment and returns a one-line summary, or raises
:class:`PropertyFailure` (the property does not hold), :class:`ExperimentDiverged` (the
experiment could not decide: non-finite numbers, or replicate fits that diverged) or
:class:`~theory.objectives.NotApplicable`. Every statistical property is a z-test at the suite's
:data:`checks.anatomy.ALPHA`, Bonferroni-split over the components it tests (max-|z| rule: each
component at :math:`\alpha/m`); ``derivatives`` is a numerical check with error bounds.

Tolerances. An estimate fails against its prediction when

.. math:: |\text{estimate} - \text{prediction}| > z_{crit}\,\mathrm{SE} + \delta + \tau,

SE its statistical error (a standard error, or the quadrature rule's error), :math:`\delta` the
bound on its differentiation error — zero for exact derivatives, Richardson's estimate for a
:class:`~theory.objectives.FiniteDifferenceObjective` (:data:`NUMERICAL_ALLOWANCE`) — and, for a
gradient, :math:`\tau` the resolution relative to the scale of the Hessian (:data:`RESOLUTION`).
A quadrature error can be :math:`10^{-15}` while central differences err by :math:`10^{-10}`: without
:math:`\delta` and :math:`\tau`, a correct finite-difference objective fails Fisher consistency.

Each experiment's random stream is seeded from (root seed, objective, property, case), so a case
gives the same numbers whenever it is run (shrinking is stable); the sample sizes come from the
configuration's profile (:data:`SIZES`), never from Hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import stats

from ebmcheck.checks.anatomy import ALPHA, critical_z
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.properties.families import Case, Family
from ebmcheck.theory import asymptotics, quadrature
from ebmcheck.theory.backend import derive_seed
from ebmcheck.theory.fitting import FitResult, fit_mean_loss
from ebmcheck.theory.objectives import (
    BaseObjective,
    FiniteDifferenceObjective,
    NotApplicable,
    central_difference,
    reference,
)

# Experiment sizes per profile (Hypothesis never chooses these).
SIZES: dict[str, dict[str, int]] = {
    "quick": {
        "population_samples": 100_000,  # Monte Carlo population (d > 1 or noisy objectives), one batch
        "gradient_samples": 20_000,  # unbiased-gradient experiment: that many points in minibatches
        "minibatch": 16,  # the minibatch of the unbiased-gradient experiment
        "derivative_samples": 40,  # per parameter point of the derivatives check
        "replicates": 200,
        "replicate_size": 800,
        "sandwich_samples": 100_000,
        "sandwich_batches": 10,
    },
    "full": {
        "population_samples": 2_000_000,
        "gradient_samples": 200_000,
        "minibatch": 16,
        "derivative_samples": 200,
        "replicates": 2000,
        "replicate_size": 8000,
        "sandwich_samples": 1_000_000,
        "sandwich_batches": 20,
    },
}

NUMERICAL_ALLOWANCE = 3.0
r"""The differentiation error of a finite-difference objective, per unit of :math:`\overline{|D_i(h) - D_i(h/2)|}`.

A central difference is :math:`D(h) = D + ch^2 + O(h^4)`, so :math:`D(h) - D(h/2) = \tfrac34 ch^2`
and the error of :math:`D(h)` is :math:`\tfrac43|D(h) - D(h/2)|` (Richardson); the factor 3 covers
the next order. Rounding, :math:`O(\epsilon|\ell|/h)` per sample, changes with the step (at
:math:`h/2` it is another, twice larger number), so :math:`|D_i(h) - D_i(h/2)|` carries it too;
the harness averages these *absolute* differences over the samples (or integrates them by
quadrature) rather than differencing the averages, which bounds the error of a mean even where
the rounding of the samples does not cancel. :math:`D(h/2)` comes from the objective's own
:meth:`~theory.objectives.FiniteDifferenceObjective.with_relative_step`, so population hooks that
call ``self.gradients`` are covered as well."""

RESOLUTION = 1e-9
r"""A gradient :math:`g` is zero when :math:`|g_j| \le \tau\sum_k |H_{jk}|\,(1 + |\vartheta_k|)`, :math:`\tau = 10^{-9}`:
the gradient a parameter offset of :math:`\tau(1 + |\vartheta_k|)` would produce. The tolerance
is thereby relative to the scale of the Hessian (a bare :math:`10^{-11}` means nothing without
it); :math:`\tau` lies far below what any statistical test here resolves (at best
:math:`10^{-4}` relative) and above the rounding of a population integral (:math:`10^{-13}`)."""

OFFSET = 0.1
r"""The points off :math:`\vartheta^*` where derivatives and unbiasedness are tested:
:math:`\vartheta^* \pm \delta`, :math:`\delta_j = 0.1\,s_j(1 + |\vartheta^*_j|)` (:func:`parameter_points`)."""

DERIVATIVE_STEP = 1e-4
"""Relative step of the derivatives check's central differences, :math:`h_j = 10^{-4}(1 + |\\vartheta_j|)`."""

DERIVATIVE_SAFETY = 10.0
"""Factor on the derivatives check's error bound (Richardson's estimate plus rounding)."""

ROUNDING = quadrature.ROUNDING
r"""Rounding of a computed loss or gradient per unit of its size, :math:`64\epsilon` (as for quadrature sums)."""

FIT_ITERATIONS = 15
r"""Newton iterations allowed to a replicate fit (the library's default is 60). From :math:`\vartheta^*`
batched Newton converges in 2–5 iterations on every built-in objective (quadratic convergence;
the summaries print the maximum); a fit still moving after 15 diverges (the empirical loss has no
minimiser near :math:`\vartheta^*`) or converges linearly (Hessians that are not the gradients'
derivatives). Either way the property fails, saying the fit diverged or did not converge (and
which of the two it looks like: :data:`DIVERGED_SD`)."""

DIVERGED_SD = 20.0
r"""A replicate fit that has not converged and lies more than 20 predicted standard deviations
:math:`\sqrt{\Sigma_{jj}/n}` from :math:`\vartheta^*` is reported as diverged; nearer, as converging
too slowly (the message of a wrong Hessian)."""

PILOT_REPLICATES = 10
"""Replicates fitted first: a diverging objective is stopped after their fits (one replicate's
Newton iteration costs a 200th of all replicates'), instead of after 15 iterations of every
replicate (minutes with finite-difference Hessians)."""


class PropertyFailure(AssertionError):
    """A property does not hold; the message names the model, the parameter and the numbers."""


class ExperimentDiverged(AssertionError):
    """The experiment produced non-finite numbers or fits that did not converge (not a verdict)."""


# =============================================================================================
# Helpers
# =============================================================================================


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in np.atleast_1d(values)) + ")"


def _data(model, theta, shape: tuple[int, int], rng) -> np.ndarray:
    replicates, size = shape
    return model.sample(theta, replicates * size, rng).reshape(replicates, size, model.dim)


def _bonferroni_z(num_tests: int) -> float:
    return critical_z(ALPHA / max(num_tests, 1))


def _finite(*arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


def half_step(objective) -> FiniteDifferenceObjective | None:
    """``objective`` differentiating with half its step when it is a
    :class:`~theory.objectives.FiniteDifferenceObjective` (Richardson's partner,
    :data:`NUMERICAL_ALLOWANCE`), else None (exact derivatives, no differentiation error)."""
    if isinstance(objective, FiniteDifferenceObjective):
        return objective.with_relative_step(objective.relative_step / 2)
    return None


class Estimate(NamedTuple):
    """A mean with its statistical error and the bound on its differentiation error (see the module docstring)."""

    value: np.ndarray
    error: np.ndarray  # standard error, or the quadrature rule's error
    numerical: np.ndarray  # δ: differentiation error bound, 0 for exact derivatives

    def minus(self, other: Estimate) -> Estimate:
        """The difference of two independent estimates: errors in quadrature, bounds added."""
        return Estimate(self.value - other.value, np.hypot(self.error, other.error), self.numerical + other.numerical)

    def finite(self) -> bool:
        return _finite(*self)


def _mean(values: np.ndarray, half_values: np.ndarray | None = None) -> Estimate:
    """The mean of i.i.d. units ``values`` (leading axis) with its standard error; ``half_values``,
    the same units at half the finite-difference step, give δ = NUMERICAL_ALLOWANCE · mean |U(h) − U(h/2)|."""
    n = values.shape[0]
    mean = values.mean(axis=0)
    numerical = np.zeros_like(mean) if half_values is None else NUMERICAL_ALLOWANCE * np.abs(values - half_values).mean(axis=0)
    return Estimate(mean, values.std(axis=0, ddof=1) / math.sqrt(n), numerical)


def _quadrature_mean(model, theta, per_point: Callable, objective, half) -> Estimate:
    """:math:`\\mathbb E_{p_\\theta}[U(x)]` of ``per_point(objective, x)`` (N, ...) by quadrature (1-D)
    with the rule's error; with ``half`` the half-step objective, δ from the quadrature of |U_h − U_{h/2}|."""
    lo, hi = quadrature.support_interval(model, theta)

    def integrand(x):
        values = per_point(objective, x)
        if half is None:
            return values[:, None]
        return np.stack([values, np.abs(values - per_point(half, x))], axis=1)

    value, error = quadrature.expect(lambda x: model.log_f(x, theta), integrand, lo, hi)
    numerical = np.zeros_like(value[0]) if half is None else NUMERICAL_ALLOWANCE * value[1]
    return Estimate(value[0], error[0], numerical)


def resolution(hessian: np.ndarray, params: np.ndarray) -> np.ndarray:
    """:data:`RESOLUTION` · Σ_k |H_jk| (1 + |ϑ_k|): the gradient below which a gradient is zero."""
    return RESOLUTION * np.abs(hessian) @ (1 + np.abs(params))


def _worst(deviation: np.ndarray, estimate: Estimate, crit: float, floor) -> tuple[int, float, np.ndarray]:
    """The component with the largest |deviation| / tolerance, that ratio, and the tolerances
    :math:`z_{crit}\\,\\mathrm{SE} + \\delta + \\tau` (``floor`` = τ)."""
    tolerance = crit * estimate.error + estimate.numerical + floor
    ratio = np.abs(deviation) / np.maximum(tolerance, 1e-300)
    worst = int(np.argmax(ratio))
    return worst, float(ratio[worst]), tolerance


def _deviation_text(value, estimate: Estimate, worst: int, crit: float, floor) -> str:
    """``v ± SE (z = …, threshold …)`` and, where they are not zero, the allowances δ and τ."""
    error = estimate.error[worst]
    z = value / error if error > 0 else math.copysign(math.inf, value) if value else 0.0
    text = f"{value:.4g} ± {error:.2g} (z = {z:.1f}, threshold {crit:.2f}"
    if estimate.numerical[worst] > 0:
        text += f", plus finite-difference allowance {estimate.numerical[worst]:.2g}"
    if floor[worst] > 0:
        text += f", plus resolution {floor[worst]:.2g}"
    return text + ")"


@dataclass(frozen=True)
class Setting:
    """What every check of one property run shares: the objective, the families by name, the run
    configuration (seed and profile) and the stated efficiency bound (None: no upper test; the Cramér–Rao lower test always runs)."""

    objective: BaseObjective
    families: dict[str, Family]
    config: RunConfig
    efficiency_bound: float | None

    def rng(self, prop: str, case: Case, part: str = "") -> np.random.Generator:
        """The generator of one experiment, seeded from (root seed, objective, property, case, part)."""
        return np.random.default_rng(self.seed(prop, case, part))

    def seed(self, prop: str, case: Case, part: str = "") -> int:
        """The seed of :meth:`rng`."""
        return derive_seed(self.config.seed, self.objective.name, prop, repr(case), part)

    def unpack(self, case: Case):
        fam = self.families[case.family]
        model = fam.model()
        theta = np.array(case.theta)
        return model, theta, self.objective.true_params(model, theta), reference(model, theta)

    def size(self, key: str) -> int:
        """The experiment size ``key`` of :data:`SIZES` at the configuration's profile."""
        return SIZES[self.config.profile][key]

    def where(self, model, truth) -> str:
        names = self.objective.param_names(model)
        return f"{self.objective.name} on {model.name} at ({', '.join(f'{n}={v:.4g}' for n, v in zip(names, truth, strict=True))})"


def parameter_points(model, truth: np.ndarray) -> list[np.ndarray]:
    r""":math:`\vartheta^*` and the two points :math:`\vartheta^* \pm \delta` off it,
    :math:`\delta_j = 0.1\,s_j(1 + |\vartheta^*_j|)` with :math:`s = (1, -1, 1, \dots)`; a point whose model
    block is not an allowed parameter of ``model`` has its offset halved (up to 10 times, else dropped)."""
    signs = np.where(np.arange(truth.size) % 2 == 0, 1.0, -1.0)
    step = OFFSET * signs * (1 + np.abs(truth))
    points = [truth]
    for offset in (step, -step):
        for _ in range(10):
            try:
                model.validate(truth[: model.num_params] + offset[: model.num_params])
            except ValueError:
                offset = offset / 2
                continue
            points.append(truth + offset)
            break
    return points


# =============================================================================================
# Property 1: derivatives
# =============================================================================================


def _own_derivatives(objective) -> tuple[bool, bool]:
    """Whether ``gradients`` and ``hessians`` are the objective's own (not :class:`FiniteDifferenceObjective`'s)."""
    if not isinstance(objective, FiniteDifferenceObjective):
        return True, True
    kind = type(objective)
    return kind.gradients is not FiniteDifferenceObjective.gradients, kind.hessians is not FiniteDifferenceObjective.hessians


def _against_differences(function, model, params, batch):
    r"""The reference for the derivatives of ``function`` (R, n, …) in every parameter, and its error bound (R, n, …, q).

    With :math:`D(h)` the central difference at the relative step :data:`DERIVATIVE_STEP` and
    :math:`D(h/2)`, the reference is Richardson's :math:`R = (4D(h/2) - D(h))/3` and the bound on
    its error :math:`|D(h) - D(h/2)|/3 + 3\rho`, where :math:`\rho_j = 64\epsilon\,S/h_j` is the
    rounding of :math:`D(h)` and :math:`3\rho` that of :math:`R`. The size :math:`S` of the
    computed values is :math:`|F_i| + \overline{|F|}` (the mean over the row's samples): a value's
    rounding is relative to the terms it sums, which exceed :math:`|F_i|` where they cancel
    (score matching's :math:`\tfrac12|s|^2 + \Delta\log f` near 0). Returns (R, error bound)."""
    values = np.abs(function(model, params, batch))
    scale = (values + values.mean(axis=1, keepdims=True))[..., None]
    coarse = central_difference(function, model, params, batch, DERIVATIVE_STEP)
    fine = central_difference(function, model, params, batch, DERIVATIVE_STEP / 2)
    steps = DERIVATIVE_STEP * (1 + np.abs(params))  # (R, q), the last axis of the differences
    steps = steps.reshape(steps.shape[:1] + (1,) * (coarse.ndim - 2) + steps.shape[1:])
    rounding = ROUNDING * scale / steps
    return (4 * fine - coarse) / 3, np.abs(coarse - fine) / 3 + 3 * rounding


def check_derivatives(setting: Setting, case: Case) -> str:
    r"""``derivatives``: the objective's ``gradients`` are the derivatives of its ``losses``, and its
    ``hessians`` those of its ``gradients``, sample by sample, at :math:`\vartheta^*` and two points off it
    (:func:`parameter_points`).

    A numerical check, not a z-test: each supplied entry must agree with Richardson's extrapolation
    of central differences within :data:`DERIVATIVE_SAFETY` times the bound on that extrapolation's
    error (truncation by Richardson's rule plus rounding, :func:`_against_differences`). Every other
    property trusts these derivatives (Newton's fits, the sandwich :math:`H^{-1}VH^{-1}`, the
    population Hessian); a wrong Hessian there shows only as a variance mismatch, if at all.
    Not applicable to a :class:`~theory.objectives.FiniteDifferenceObjective` whose gradients and
    Hessians both are differences of its losses (their error is carried into the other tolerances).
    """
    objective = setting.objective
    own_gradients, own_hessians = _own_derivatives(objective)
    if not (own_gradients or own_hessians):
        raise NotApplicable(
            f"{objective.name}: its gradients and Hessians are the finite differences of its losses "
            "(FiniteDifferenceObjective); their error is carried into the other properties' tolerances"
        )
    model, theta, truth, ref = setting.unpack(case)
    rng = setting.rng("derivatives", case)
    params = np.array(parameter_points(model, truth))
    batch = objective.draw(model, _data(model, theta, (len(params), setting.size("derivative_samples")), rng), rng, ref)
    losses = objective.losses(model, params, batch)
    gradients = objective.gradients(model, params, batch)
    hessians = objective.hessians(model, params, batch)
    where = setting.where(model, truth)
    if not _finite(losses, gradients, hessians):
        raise ExperimentDiverged(f"{where}: non-finite per-sample losses, gradients or Hessians near θ*")
    names = objective.param_names(model)
    checks = []  # (what, against what, supplied, reference, error bound, label of an entry)
    if own_gradients:
        expected, bound = _against_differences(objective.losses, model, params, batch)
        checks.append(("gradients()", "finite differences of losses()", gradients, expected, bound, lambda j: f"∂ℓ/∂{names[j[0]]}"))
    if own_hessians:
        expected, bound = _against_differences(objective.gradients, model, params, batch)
        checks.append(
            ("hessians()", "finite differences of gradients()", hessians, expected, bound, lambda j: f"∂²ℓ/∂{names[j[0]]}∂{names[j[1]]}")
        )
    worst_ratio = 0.0
    for what, against, supplied, expected, bound, label in checks:
        if not _finite(expected, bound):
            raise ExperimentDiverged(f"{where}: non-finite finite differences for {what}")
        tolerance = DERIVATIVE_SAFETY * bound
        ratio = np.abs(supplied - expected) / np.maximum(tolerance, 1e-300)
        k = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        worst_ratio = max(worst_ratio, float(ratio[k]))
        if ratio[k] > 1:
            point = "θ*" if k[0] == 0 else f"ϑ = {_fmt(params[k[0]])}, off θ*"
            raise PropertyFailure(
                f"derivatives: {what} of {objective.name} on {model.name} disagree with {against}: at {point}, sample "
                f"{k[1]}, {label(k[2:])} = {supplied[k]:.10g} supplied, {expected[k]:.10g} by Richardson-extrapolated "
                f"central differences (difference {supplied[k] - expected[k]:.3g}, allowed {tolerance[k]:.2g} = "
                f"{DERIVATIVE_SAFETY:g} × (truncation + rounding)); relative error {abs(supplied[k] / expected[k] - 1) if expected[k] else math.inf:.3g}"
            )
    parts = " and ".join(what for what, *_ in checks)
    return f"{parts} agree with finite differences at {len(params)} points × {losses.shape[1]} samples (largest difference {worst_ratio:.2g} of its allowance)"


# =============================================================================================
# Property 2: Fisher consistency
# =============================================================================================


def _population(setting: Setting, model, truth, ref, case) -> tuple[Estimate, Estimate, str]:
    r"""Population gradient (q,) and Hessian (q, q) at ``truth``, and how they were computed.

    With the population hooks: quadrature in 1-D, else a large exact sample, of their integrands.
    Without them the population loss is the large-batch limit of the mean per-sample loss: one
    batch of ``population_samples`` points with their noise, the mean per-sample derivatives."""
    objective, half = setting.objective, half_step(setting.objective)
    params = truth[None]
    if objective.population_gradients is not None and objective.population_hessians is not None:
        def hook(name):
            return lambda obj, x: getattr(obj, name)(model, params, x[None], ref)[0]

        if model.dim == 1:
            try:
                g = _quadrature_mean(model, ref.theta, hook("population_gradients"), objective, half)
                h = _quadrature_mean(model, ref.theta, hook("population_hessians"), objective, half)
            except ValueError as error:  # a non-finite integrand: no population value, not a verdict
                raise ExperimentDiverged(f"population gradient or Hessian by quadrature: {error}") from error
            return g, h, "quadrature of the population loss"
    rng = setting.rng("fisher-consistency", case, "population")
    n = setting.size("population_samples")
    x = _data(model, ref.theta, (1, n), rng)
    if objective.population_gradients is not None and objective.population_hessians is not None:
        how = "population loss"
        gradients = lambda obj: obj.population_gradients(model, params, x, ref)[0]  # noqa: E731
        hessians = lambda obj: obj.population_hessians(model, params, x, ref)[0]  # noqa: E731
    else:
        how = "per-sample losses, one batch"
        batch = objective.draw(model, x, rng, ref)
        gradients = lambda obj: obj.gradients(model, params, batch)[0]  # noqa: E731
        hessians = lambda obj: obj.hessians(model, params, batch)[0]  # noqa: E731
    g = _mean(gradients(objective), None if half is None else gradients(half))
    h = _mean(hessians(objective), None if half is None else hessians(half))
    return g, h, f"Monte Carlo, {n} exact samples, {how}"


def check_fisher_consistency(setting: Setting, case: Case) -> str:
    r"""``fisher-consistency``: at the true parameter the gradient of the *population* loss
    vanishes and its Hessian is positive definite (θ* is a strict local population minimiser).

    The population loss is the objective's own when it gives its integrand
    (``population_gradients``/``population_hessians``: quadrature in 1-D, a large exact sample
    otherwise), else the large-batch limit of the mean per-sample loss (one batch of
    ``population_samples`` points). The gradient's tolerance is :math:`z_{crit}\mathrm{SE} + \delta +
    \tau` per component (module docstring); the smallest Hessian eigenvalue must exceed
    :math:`z_{crit}` times its error plus its finite-difference allowance, and :math:`10^{-8}` of the largest.
    The minibatch estimator the user trains with is the ``unbiased-gradient`` property's."""
    model, _, truth, ref = setting.unpack(case)
    g, h, how = _population(setting, model, truth, ref, case)
    where = setting.where(model, truth)
    if not (g.finite() and h.finite()):
        raise ExperimentDiverged(f"{where}: non-finite population gradient or Hessian ({how})")
    names = setting.objective.param_names(model)
    crit = _bonferroni_z(len(g.value) + 1)
    floor = resolution(h.value, truth)
    worst, ratio, _ = _worst(g.value, g, crit, floor)
    if ratio > 1:
        raise PropertyFailure(
            f"Fisher consistency fails for {where}: the population gradient is not zero at the true parameter; "
            f"∂/∂{names[worst]} = {_deviation_text(g.value[worst], g, worst, crit, floor)}; "
            f"full gradient {_fmt(g.value)} [{how}]"
        )
    symmetric = (h.value + h.value.T) / 2
    eigenvalues, vectors = np.linalg.eigh(symmetric)
    v = vectors[:, 0]
    weights = np.abs(v)[:, None] * np.abs(v)[None, :]
    lam_err = float(np.sqrt(np.sum((weights * h.error) ** 2)))  # error of vᵀHv
    lam_numerical = float(np.sum(weights * h.numerical))
    if not (eigenvalues[0] > crit * lam_err + lam_numerical and eigenvalues[0] > 1e-8 * abs(eigenvalues[-1])):
        raise PropertyFailure(
            f"Fisher consistency fails for {where}: the population Hessian is not positive definite, smallest "
            f"eigenvalue {eigenvalues[0]:.4g} ± {lam_err:.2g} (largest {eigenvalues[-1]:.4g}) along direction "
            f"{_fmt(v)} of ({', '.join(names)}) — θ* is not a strict minimiser (not identifiable) [{how}]"
        )
    z = np.abs(g.value) / np.maximum(g.error, 1e-300)
    allowance = f"; |g| at most {ratio:.2g} of z·SE + finite-difference allowance {_fmt(g.numerical)}" if np.any(g.numerical) else ""
    return f"gradient {_fmt(g.value)} (max |z| = {z.max():.2f}{allowance}), Hessian eigenvalues {_fmt(eigenvalues)} [{how}]"


# =============================================================================================
# Property 3: unbiased minibatch gradient
# =============================================================================================


def check_unbiased_gradient(setting: Setting, case: Case) -> str:
    r"""``unbiased-gradient``: the gradient the user trains with — the mean of :math:`\nabla\ell` over a
    minibatch of m points (``SIZES["minibatch"]``) with the noise ``draw`` makes for that minibatch
    — is unbiased for the population gradient :math:`\nabla L(\vartheta)`, at :math:`\vartheta^*` and at
    the two points off it of :func:`parameter_points` (where :math:`\nabla L \ne 0`).

    - With ``population_gradients``: paired on the same points, the minibatch gradient minus the
      population integrand's mean over that minibatch has mean zero.
    - Without: :math:`L` is the large-batch limit of the mean loss, and its gradient is estimated
      by one batch of ``population_samples`` points; the two means are compared (two-sample test).

    How it differs from ``fisher-consistency`` (which tests :math:`\nabla L(\vartheta^*) = 0` and
    :math:`\nabla^2 L \succ 0`): it says nothing about where :math:`L` is minimal, only that
    stochastic gradients follow :math:`L` — a Fisher-inconsistent objective can pass it and an
    unbiasedly estimated, consistent population loss can fail it through its estimator (a
    self-normalized minibatch estimate of :math:`\log Z`; noise or centring computed from the minibatch).
    For a noise-free objective whose hook is its per-sample gradient the paired difference is zero;
    without hooks, an estimator whose terms do not depend on the rest of the minibatch passes by
    construction."""
    model, theta, truth, ref = setting.unpack(case)
    objective, half = setting.objective, half_step(setting.objective)
    rng = setting.rng("unbiased-gradient", case)
    m = setting.size("minibatch")
    count = setting.size("gradient_samples") // m
    x = _data(model, theta, (count, m), rng)
    batch = objective.draw(model, x, rng, ref)
    hooked = objective.population_gradients is not None
    if hooked:
        how = "paired with population_gradients on the same points"
    else:
        n = setting.size("population_samples")
        big = objective.draw(model, _data(model, theta, (1, n), rng), rng, ref)
        how = f"against one batch of {n} points (the large-batch limit of the mean loss)"
    points = parameter_points(model, truth)
    crit = _bonferroni_z(len(points) * truth.size)
    where = setting.where(model, truth)
    names = objective.param_names(model)
    curvature_rows = min(count, 64)  # minibatches for the Hessian's scale (the resolution τ)
    curvature_batch = {k: v[:curvature_rows] for k, v in batch.items()}
    results = []  # (point, minibatch gradient, estimate of the bias, resolution)
    for point in points:
        params = np.tile(point, (count, 1))

        def minibatch(obj, params=params):  # (count, q): the estimator, one value per minibatch
            return obj.gradients(model, params, batch).mean(axis=1)

        def population(obj, params=params, point=point):  # its target: paired (count, q), or one large batch (N, q)
            if hooked:
                return obj.population_gradients(model, params, x, ref).mean(axis=1)
            return obj.gradients(model, point[None], big)[0]

        values = minibatch(objective)
        if hooked:
            bias = _mean(values - population(objective), None if half is None else minibatch(half) - population(half))
        else:
            bias = _mean(values, None if half is None else minibatch(half)).minus(
                _mean(population(objective), None if half is None else population(half))
            )
        hessian = objective.hessians(model, params[:curvature_rows], curvature_batch).mean(axis=(0, 1))
        if not (bias.finite() and _finite(values, hessian)):
            raise ExperimentDiverged(f"{where}: non-finite minibatch gradients or Hessians at ϑ = {_fmt(point)}")
        results.append((point, values.mean(axis=0), bias, resolution(hessian, point)))
    ratios = [_worst(bias.value, bias, crit, floor) for _, _, bias, floor in results]
    at = int(np.argmax([ratio for _, ratio, _ in ratios]))
    point, gradient, bias, floor = results[at]
    worst, ratio, _ = ratios[at]
    if ratio > 1:
        label = "θ*" if at == 0 else f"ϑ = {_fmt(point)} (off θ*)"
        raise PropertyFailure(
            f"biased minibatch gradient for {where}: at {label} the mean over {count} minibatches of m = {m} of the "
            f"minibatch gradient is ∂/∂{names[worst]} = {gradient[worst]:.4g}, and its bias against the population "
            f"gradient is {_deviation_text(bias.value[worst], bias, worst, crit, floor)}; full bias {_fmt(bias.value)} "
            f"[{how}; Bonferroni over {len(points)} points × {truth.size} components]"
        )
    z = max(float(np.max(np.abs(b.value) / np.maximum(b.error, 1e-300))) for _, _, b, _ in results)
    return (
        f"minibatch mean gradient at θ* {_fmt(results[0][1])}; bias max |z| = {z:.2f} at {len(points)} points "
        f"({count} minibatches of m = {m}; {how})"
    )


# =============================================================================================
# Property 4: asymptotic normality with the sandwich covariance; property 5: efficiency
# =============================================================================================


class _Sandwich(NamedTuple):
    sigma: np.ndarray  # (q, q), from all samples
    se: np.ndarray  # (q, q), batch means
    per_batch: np.ndarray  # (num_batches, q, q)
    numerical: np.ndarray  # (q, q), finite-difference allowance δ of Σ
    hessian: np.ndarray  # (q, q), mean Hessian H
    gradient_numerical: np.ndarray  # (q,), δ of the mean gradient


def _sandwich(objective, model, truth, ref, rng, num_samples: int, num_batches: int) -> _Sandwich:
    """:func:`sandwich` with its parts; the finite-difference allowances come from the first batch,
    evaluated again at half the step (paired: the same samples, so sampling noise cancels)."""
    x = _data(model, ref.theta, (num_batches, num_samples // num_batches), rng)
    batch = objective.draw(model, x, rng, ref)
    params = np.broadcast_to(truth, (num_batches, truth.size))
    q = truth.size
    gs, hs = objective.gradients(model, params, batch), objective.hessians(model, params, batch)
    half = half_step(objective)
    try:
        per_batch = asymptotics.sandwich_covariance(gs, hs)
        full = asymptotics.sandwich_covariance(gs.reshape(-1, q), hs.reshape(-1, q, q))
        if half is None:
            numerical, gradient_numerical = np.zeros((q, q)), np.zeros(q)
        else:
            first = {k: v[:1] for k, v in batch.items()}
            gs_half, hs_half = half.gradients(model, params[:1], first), half.hessians(model, params[:1], first)
            numerical = NUMERICAL_ALLOWANCE * np.abs(per_batch[0] - asymptotics.sandwich_covariance(gs_half, hs_half)[0])
            gradient_numerical = NUMERICAL_ALLOWANCE * np.abs(gs[0] - gs_half[0]).mean(axis=0)
    except ValueError as error:  # a singular or non-finite mean Hessian: no prediction, not a verdict
        raise ExperimentDiverged(f"sandwich at θ = {_fmt(truth)}: {error}") from error
    se = per_batch.std(axis=0, ddof=1) / math.sqrt(num_batches)
    return _Sandwich(full, se, per_batch, numerical, hs.reshape(-1, q, q).mean(axis=0), gradient_numerical)


def sandwich(objective, model, truth, ref, rng, num_samples: int, num_batches: int):
    r"""The sandwich :math:`H^{-1} V H^{-1}` at ``truth`` with a batch-means standard error per entry.

    :math:`H = \mathbb E[\nabla^2\ell]`, :math:`V = \mathrm{Var}[\nabla\ell]` over one sample
    unit (a data point with its noise), by :func:`theory.asymptotics.sandwich_covariance`. The
    estimate uses all samples; the error is the spread of the sandwiches of ``num_batches``
    disjoint batches, divided by :math:`\sqrt{\text{num\_batches}}`, plus for a
    :class:`~theory.objectives.FiniteDifferenceObjective` the bound on its differentiation error
    (the first batch's sandwich again at half the step, :data:`NUMERICAL_ALLOWANCE`). Returns (Σ, SE(Σ), the
    per-batch sandwiches (num_batches, q, q)).
    """
    parts = _sandwich(objective, model, truth, ref, rng, num_samples, num_batches)
    return parts.sigma, parts.se + parts.numerical, parts.per_batch


def replicate_size(sigma: np.ndarray, truth: np.ndarray, base: int) -> int:
    r"""Data points per replicate: enough that :math:`\mathrm{sd}(\hat\vartheta_j) \le 0.1\max(1, |\vartheta^*_j|)`.

    The asymptotic law is only a fair prediction when the estimator's spread is small against the
    parameter's scale, so an inefficient objective (large sandwich) gets larger replicates:
    :math:`n = \lceil 100 \max_j \Sigma_{jj}/\max(1,|\vartheta^*_j|)^2\rceil`, clipped to
    [base, 10·base]. The size follows from the objective's own sandwich, never from Hypothesis.

    Why this size: an M-estimator's bias is :math:`b/n`, so the mean of :math:`\sqrt n(\hat\vartheta
    - \vartheta^*)` is :math:`b/\sqrt n`, which the mean test resolves once it exceeds
    :math:`z_{crit}\sigma/\sqrt R`. With R = 200 and n = 400 (this rule's first version, 0.15
    and base 400) the built-in NCE and CNCE objectives failed the mean test in 3 of 60 seeded
    runs (``ebmcheck objectives --seed 1-20``), each time by finite-sample bias, not chance;
    doubling n shrinks that bias by :math:`\sqrt 2`.
    """
    needed = 100 * np.max(np.diag(sigma) / np.maximum(1.0, np.abs(truth)) ** 2)
    return int(np.clip(np.ceil(needed), base, 10 * base))


def _fit(objective, model, batch, truth, rows: np.ndarray) -> FitResult:
    """Batched Newton from θ* for the replicates ``rows`` of ``batch``, at most :data:`FIT_ITERATIONS` iterations."""
    mine = {k: v[rows] for k, v in batch.items()}

    def rows_of(r):
        return {k: v[r] for k, v in mine.items()}

    return fit_mean_loss(
        lambda p, r: objective.losses(model, p, rows_of(r)),
        lambda p, r: objective.gradients(model, p, rows_of(r)),
        lambda p, r: objective.hessians(model, p, rows_of(r)),
        np.tile(truth, (rows.size, 1)),
        max_iterations=FIT_ITERATIONS,
    )


def _not_converged(where: str, fit: FitResult, rows: np.ndarray, which: str, truth, sd) -> str:
    """Why replicate fits did not converge: diverged (far from θ* in the sandwich's standard
    deviations, or a non-finite loss) or converging linearly near θ* (a wrong Hessian)."""
    bad = np.flatnonzero(~fit.converged)
    with np.errstate(invalid="ignore"):
        distance = np.max(np.abs(fit.params[bad] - truth) / np.maximum(sd, 1e-300), axis=1)
    far = ~(distance <= DIVERGED_SD)  # NaN (a non-finite fit) counts as far
    r = int(np.argmax(np.where(far, np.inf, distance))) if far.any() else 0
    example = (f"replicate {int(rows[bad[r]])} at ϑ̂ = {_fmt(fit.params[bad[r]])}, {distance[r]:.3g} predicted standard "
               f"deviations from θ*; {fit.summary()}")
    if far.any():
        return (
            f"{where}: the replicate fits diverged: {int(far.sum())} {which} moved more than {DIVERGED_SD:g} predicted "
            f"standard deviations sd = √(Σⱼⱼ/n) from θ* without converging in {FIT_ITERATIONS} Newton iterations, or stopped "
            f"at a non-finite loss: the empirical loss has no minimiser near θ* (compare fisher-consistency); "
            f"e.g. {example}; stopped there"
        )
    return (
        f"{where}: the replicate fits did not converge: {bad.size} {which} were still moving after {FIT_ITERATIONS} Newton "
        f"iterations, or stopped where no step decreased the loss, within {DIVERGED_SD:g} predicted standard deviations of "
        f"θ* (Newton from θ* converges in 2–5 iterations; slower, it means hessians() are not the derivatives of "
        f"gradients(), or gradients() not those of losses(): see the derivatives property); "
        f"e.g. {example}; stopped there"
    )


def _fit_replicates(setting: Setting, model, theta, truth, ref, rng, sigma) -> tuple[FitResult, int]:
    r"""R replicate datasets fitted from θ* by batched Newton: the first :data:`PILOT_REPLICATES`
    (the pilot), then the others. :class:`ExperimentDiverged` when a fit has not converged within
    :data:`FIT_ITERATIONS` iterations or stopped at a non-finite or non-decreasing loss ("the
    replicate fits diverged", or "did not converge" near θ*: :func:`_not_converged`) — after the
    pilot already, so that a diverging objective costs a few replicates' fits, not R."""
    objective = setting.objective
    replicates = setting.size("replicates")
    n = replicate_size(sigma, truth, setting.size("replicate_size"))
    batch = objective.draw(model, _data(model, theta, (replicates, n), rng), rng, ref)
    sd = np.sqrt(np.abs(np.diag(sigma)) / n)  # the sandwich's prediction of sd(θ̂)
    pilot = min(PILOT_REPLICATES, replicates)
    fits = []
    for rows, which in ((np.arange(pilot), f"of the first {pilot} replicate fits (the pilot, fitted first to fail fast)"),
                        (np.arange(pilot, replicates), f"of the other {replicates - pilot} replicate fits")):
        if rows.size == 0:
            continue
        fit = _fit(objective, model, batch, truth, rows)
        fits.append(fit)
        if fit.num_failed:
            raise ExperimentDiverged(_not_converged(setting.where(model, truth), fit, rows, which, truth, sd))
    result = FitResult(*(np.concatenate(parts) for parts in zip(*fits, strict=True)))
    return result, n


def check_asymptotic_normality(setting: Setting, case: Case) -> str:
    r"""``asymptotic-normality``: R replicate datasets fitted at once by batched Newton
    (:mod:`theory.fitting`, a pilot first, :func:`_fit_replicates`); :math:`\sqrt n(\hat\vartheta - \vartheta^*)`
    has mean 0, covariance :math:`H^{-1}VH^{-1}` (entries tested with the sandwich's own
    batch-means error) and Gaussian kurtosis (Anscombe–Glynn test).

    For a :class:`~theory.objectives.FiniteDifferenceObjective` the differentiation error enters
    the tolerances: the sandwich's (:func:`sandwich`), and in the mean test the shift of
    :math:`\sqrt n\,\hat\vartheta` it causes, :math:`\sqrt n\,|H^{-1}|\,\delta_g`. The kurtosis test is
    invariant to that common shift."""
    model, theta, truth, ref = setting.unpack(case)
    objective, q = setting.objective, truth.size
    where = setting.where(model, truth)
    parts = _sandwich(
        objective, model, truth, ref, setting.rng("asymptotic-normality", case, "sandwich"),
        setting.size("sandwich_samples"), setting.size("sandwich_batches"),
    )
    sigma, sigma_se = parts.sigma, parts.se
    if not _finite(sigma, sigma_se, parts.numerical):
        raise ExperimentDiverged(f"{where}: non-finite sandwich")
    fit, n = _fit_replicates(setting, model, theta, truth, ref, setting.rng("asymptotic-normality", case, "fit"), sigma)
    u = math.sqrt(n) * (fit.params - truth)  # (R, q)
    replicates = u.shape[0]
    names = objective.param_names(model)
    tests = []  # (label, estimate, prediction, standard error, finite-difference allowance)
    mean, mean_se = u.mean(axis=0), u.std(axis=0, ddof=1) / math.sqrt(replicates)
    shift = math.sqrt(n) * np.abs(np.linalg.inv(parts.hessian)) @ parts.gradient_numerical
    tests += [(f"mean of √n(θ̂−θ*) for {names[i]}", mean[i], 0.0, mean_se[i], shift[i]) for i in range(q)]
    # Covariance about the replicates' mean: the finite-sample bias of θ̂ (O(1/n), tested by the
    # mean above) then does not leak into the covariance test as n·bias².
    centred = u - mean
    for i in range(q):
        for j in range(i, q):
            products = centred[:, i] * centred[:, j]
            se = math.hypot(products.std(ddof=1) / math.sqrt(replicates), sigma_se[i, j])
            label = f"n·Var({names[i]})" if i == j else f"n·Cov({names[i]}, {names[j]})"
            tests.append((label, products.sum() / (replicates - 1), sigma[i, j], se, parts.numerical[i, j]))
    # Kurtosis by the Anscombe–Glynn transform: its z is N(0, 1) under normality already at
    # R ≈ 20, whereas (b₂ − 3)/√(24/R) is skewed at R = 200 and alarms far above α in its upper tail.
    excess = stats.kurtosis(u, axis=0)
    kurtosis_z = stats.kurtosistest(u, axis=0).statistic
    for i in range(q):
        label = f"Anscombe–Glynn kurtosis z of {names[i]} (excess kurtosis {excess[i]:.3g}; Gaussian: z ~ N(0, 1))"
        tests.append((label, kurtosis_z[i], 0.0, 1.0, 0.0))
    crit = _bonferroni_z(len(tests))
    zs = [(est - pred) / se for _, est, pred, se, _ in tests]
    ratios = [abs(est - pred) / (crit * se + allowance) for _, est, pred, se, allowance in tests]
    worst = int(np.argmax(ratios))
    if ratios[worst] > 1:
        label, est, pred, se, allowance = tests[worst]
        extra = f", plus finite-difference allowance {allowance:.2g}" if allowance > 0 else ""
        raise PropertyFailure(
            f"asymptotic normality with the sandwich covariance fails for {where}: {label} = {est:.4g}, predicted "
            f"{pred:.4g} ± {se:.2g} (z = {zs[worst]:.1f}, threshold {crit:.2f}{extra}, Bonferroni over {len(tests)} tests); "
            f"R = {replicates} replicates of n = {n}; sandwich diagonal {_fmt(np.diag(sigma))}, empirical "
            f"{_fmt(np.mean(u**2, axis=0))}; {fit.summary()}"
        )
    z_max = max(abs(z) for z in zs)
    return f"max |z| = {z_max:.2f} over {len(tests)} tests; sandwich diagonal {_fmt(np.diag(sigma))}; {fit.summary()}"


def fisher_information(model, theta, rng, num_samples: int) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`I_F(\theta) = \mathrm{Var}_{p_\theta}[\nabla_\theta \log f]` (seed 004 Lemma 3) and its error.

    Quadrature in 1-D (error from the quadrature rule), exact samples otherwise (standard error).
    """
    info, info_se, _ = _fisher_with_scores(model, theta, rng, num_samples)
    return info, info_se


def _fisher_with_scores(model, theta, rng, num_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`fisher_information` and, when it is a sample variance (d > 1), the centred scores
    (n, p) it was computed from (None by quadrature), for the error of any quadratic form."""
    if model.dim == 1:
        return (*asymptotics.fisher_information_with_error(model, theta), None)
    g = model.grad_theta(model.sample(theta, num_samples, rng), theta)
    centred = g - g.mean(axis=0)
    products = np.einsum("ni,nj->nij", centred, centred)
    info = products.mean(axis=0) * num_samples / (num_samples - 1)
    return info, products.std(axis=0, ddof=1) / math.sqrt(num_samples), centred


def _sqrtm(info: np.ndarray) -> np.ndarray:
    """The symmetric square root :math:`I_F^{1/2}` of a positive semi-definite matrix."""
    w, vectors = np.linalg.eigh(info)
    return vectors @ np.diag(np.sqrt(np.maximum(w, 0))) @ vectors.T


def _directional_ratio(info, info_se, scores, batch_sigmas, *, least: bool) -> tuple[float, float, int, np.ndarray]:
    r"""The efficiency ratio along the least (``least``) or most efficient direction, with its error.

    For a direction :math:`u` in parameter space the ratio is
    :math:`r(u) = u^\top\Sigma u / u^\top I_F^{-1} u`, the variance of :math:`u^\top\hat\theta`
    relative to its Cramér–Rao bound; its extremes over :math:`u` are the extreme generalized
    eigenvalues of :math:`(\Sigma, I_F^{-1})`, i.e. the eigenvalues of :math:`I_F\Sigma`.

    *Direction.* :math:`u = \hat I_F^{1/2} e` with :math:`e` the unit eigenvector of the
    smallest (largest) eigenvalue of :math:`\hat I_F^{1/2}\Sigma_0\hat I_F^{1/2}` on batch 0
    alone; the ratio is then estimated on the other batches. Choosing the direction on the
    data that test it would bias the extreme eigenvalue (at an efficient objective, whose
    eigenvalues are all 1, the smallest of p noisy ones sits below 1 by about its error), so
    the test would alarm far above α. With p = 1 there is nothing to choose and every batch tests.

    *Error.* :math:`r_b = e^\top\hat I_F^{1/2}\Sigma_b\hat I_F^{1/2}e` on the k test batches
    (disjoint, i.i.d.): mean :math:`\bar r`, batch-means error :math:`s/\sqrt k`. The Fisher
    information enters through the denominator :math:`u^\top I_F^{-1}u` (= 1 at
    :math:`\hat I_F`): :math:`\delta r = \bar r\, z^\top\delta I_F\, z` with :math:`z = \hat
    I_F^{-1/2}e`. From exact samples (``scores``, the centred scores :math:`c_i`) its error is
    that of the sample mean of :math:`(z^\top c_i)^2`; by quadrature (``scores`` None) it is
    bounded by :math:`\sum_{ij}|z_i||z_j|\,\mathrm{SE}(I_{F,ij})` (entries' errors taken as
    fully correlated: conservative, and tiny). The two errors are independent and add in
    quadrature. The Fisher estimate also whitens batch 0, so its error is shared by the choice
    of direction; it is small beside the sandwich's (≈ √(2/n) relative, n exact samples).
    Returns (r̄, its standard error, the degrees of freedom k − 1 of the batch-means error, u
    normalized).
    """
    root = _sqrtm(info)
    whitened = root @ batch_sigmas @ root  # (B, p, p)
    if info.shape[0] == 1:
        e, tested = np.ones(1), whitened
    else:
        e, tested = np.linalg.eigh(whitened[0])[1][:, 0 if least else -1], whitened[1:]
    r = np.einsum("i,bij,j->b", e, tested, e)
    k = r.size
    z = np.linalg.solve(root, e)
    if scores is None:
        fisher_se = float(np.abs(z) @ info_se @ np.abs(z))
    else:
        fisher_se = float(np.std((scores @ z) ** 2, ddof=1) / math.sqrt(len(scores)))
    fisher_se *= r.mean()
    se = math.hypot(r.std(ddof=1) / math.sqrt(k), fisher_se)
    u = root @ e
    return float(r.mean()), se, k - 1, u / np.linalg.norm(u)


def check_efficiency(setting: Setting, case: Case) -> str:
    r"""``efficiency``: the model block of the sandwich :math:`\Sigma` against the Cramér–Rao
    bound :math:`I_F^{-1}`, :math:`I_F = \mathrm{Var}_p[\nabla_\theta\log f]` (seed 004, Lemma 3).

    *The ratio.* Reported: the generalized eigenvalues of :math:`(\Sigma, I_F^{-1})`, i.e. the
    eigenvalues of :math:`I_F\Sigma` (for p = 1 the ratio :math:`\Sigma/I_F^{-1}`), with their
    batch-means errors, and :math:`\mathrm{tr}\,\Sigma/\mathrm{tr}\,I_F^{-1}`; 1 is efficient.

    *Lower test (always, when the objective's minimiser is θ\*).* A Fisher-consistent
    M-estimator of θ cannot beat the bound: differentiating :math:`\mathbb E_\theta[\nabla\ell(
    \vartheta(\theta))] = 0` in θ gives :math:`HJ = -\mathrm{Cov}(\nabla\ell, s)` (s the score,
    J = ∂ϑ/∂θ, whose model block is the identity), so with :math:`a = [H^{-1}\nabla\ell]_{1..p}`,
    :math:`\mathrm{Cov}(a, s) = -I` and :math:`0 \preceq \mathrm{Var}(a + I_F^{-1}s) = \Sigma -
    I_F^{-1}` (Godambe's bound; extra parameters and noise do not change it, the noise carrying
    no information on θ). Every eigenvalue of :math:`I_F\Sigma` is therefore ≥ 1, and a ratio
    below 1 means the objective's ``gradients``/``hessians`` do not match its loss (so
    :math:`H^{-1}VH^{-1}` is not its estimator's covariance) or its minimiser is not θ\*. The
    test rejects "ratio ≥ 1" along the least efficient direction (:func:`_directional_ratio`,
    direction chosen on one batch, ratio and error from the others and from the Fisher
    information's error) when :math:`(\bar r - 1)/\mathrm{SE} < -t_{k-1}(\alpha/m)`, Student's t
    of the batch-means error's k − 1 degrees of freedom. Skipped when ``true_params`` moves θ
    (e.g. DSM targets the smoothed data): the bound is then not about the objective's target.

    *Upper test (when the user states* ``efficiency_bound`` *β).* Rejects "ratio ≤ β" along the
    direction of the largest eigenvalue, chosen and tested the same way, when
    :math:`(\bar r - \beta)/\mathrm{SE} > t_{k-1}(\alpha/m)`. The m tests run (1 or 2) split
    :data:`ALPHA` (Bonferroni), each one-sided at :math:`\alpha/m`.
    """
    model, theta, truth, ref = setting.unpack(case)
    objective, p = setting.objective, model.num_params
    where = setting.where(model, truth)
    rng = setting.rng("efficiency", case)
    num_batches = setting.size("sandwich_batches")
    x_count = setting.size("sandwich_samples")
    sigma, _, batch_sigmas = sandwich(objective, model, truth, ref, rng, x_count, num_batches)
    info, info_se, scores = _fisher_with_scores(model, theta, rng, x_count)

    if not _finite(sigma, info, info_se, batch_sigmas) or np.linalg.eigvalsh(info)[0] <= 0:
        raise ExperimentDiverged(f"{where}: non-finite sandwich, or Fisher information not finite and positive definite")
    root = _sqrtm(info)

    def ratios(s):
        # Generalized eigenvalues of Σ against I_F^{-1}: eigenvalues of I_F^{1/2} Σ I_F^{1/2}.
        return np.linalg.eigvalsh(root @ s @ root)

    lam = ratios(sigma[:p, :p])
    lam_se = np.std([ratios(s[:p, :p]) for s in batch_sigmas], axis=0, ddof=1) / math.sqrt(num_batches)
    trace_ratio = np.trace(sigma[:p, :p]) / np.trace(np.linalg.inv(info))
    report = (
        f"{where}: Σ relative to the Cramér–Rao bound I_F⁻¹ has generalized eigenvalues {_fmt(lam)} ± {_fmt(lam_se)} "
        f"(1 = efficient); tr Σ / tr I_F⁻¹ = {trace_ratio:.4g}"
    )
    consistent_for_theta = np.allclose(truth[:p], theta)
    if not consistent_for_theta:
        report += (
            f"; note: the objective's population minimiser is θ = {_fmt(truth[:p])}, not θ* = {_fmt(theta)} "
            "(e.g. DSM targets the smoothed data), so these ratios are not a Cramér–Rao comparison"
        )
    bound = setting.efficiency_bound
    alpha = ALPHA / max(1, int(consistent_for_theta) + int(bound is not None))  # Bonferroni over the tests run
    names = objective.param_names(model)[:p]

    def along(u) -> str:  # the direction as a combination of the parameters, e.g. " along 0.8·mu1 − 0.6·Lambda11"
        if p == 1:
            return ""
        terms = "".join(f" {'−' if c < 0 else '+'} {abs(c):.3g}·{n}" for c, n in zip(u, names, strict=True))
        return " along " + (terms[3:] if terms.startswith(" +") else "−" + terms[3:])

    if consistent_for_theta:
        r, se, dof, u = _directional_ratio(info, info_se, scores, batch_sigmas[:, :p, :p], least=True)
        crit = float(stats.t.isf(alpha, dof))
        z = (r - 1) / max(se, 1e-300)
        if z < -crit:
            raise PropertyFailure(
                f"efficiency below the Cramér–Rao bound: {report}; the ratio{along(u)} is {r:.4g} ± {se:.2g}, below 1 "
                f"(z = (ratio − 1)/SE = {z:.1f} < −{crit:.2f}, Student's t with {dof} degrees of freedom at α = {alpha:.2g}). "
                "No consistent estimator of θ has a covariance below I_F⁻¹, so the sandwich H⁻¹VH⁻¹ is not this "
                "objective's covariance: its gradients() or hessians() do not match its losses() (check the derivatives "
                "property), or its minimiser is not θ* (check fisher-consistency and true_params)"
            )
        report += f"; least efficient ratio{along(u)} = {r:.4g} ± {se:.2g} (z = (ratio − 1)/SE = {z:.1f}, fails below −{crit:.2f})"
    if bound is not None:
        r, se, dof, u = _directional_ratio(info, info_se, scores, batch_sigmas[:, :p, :p], least=False)
        crit = float(stats.t.isf(alpha, dof))
        z = (r - bound) / max(se, 1e-300)
        if z > crit:
            raise PropertyFailure(
                f"efficiency bound exceeded: {report}; the ratio{along(u)} {r:.4g} ± {se:.2g} exceeds the stated bound "
                f"{bound:g} (z = {z:.1f}, one-sided threshold {crit:.2f}, Student's t with {dof} degrees of freedom at "
                f"α = {alpha:.2g})"
            )
    return report


# =============================================================================================
# Property 6: invariances
# =============================================================================================


def check_invariances(setting: Setting, case: Case, invariance, amount: float) -> str:
    """``invariances``: the declared :class:`theory.objectives.Invariance` holds per sample at
    ``amount`` (per-sample losses unchanged up to rounding), at θ* and off it."""
    model, theta, truth, ref = setting.unpack(case)
    objective = setting.objective
    x = _data(model, theta, (2, 200), setting.rng("invariances", case, "data"))
    params = np.tile(truth, (2, 1)) + 0.1 * np.linspace(-1, 1, truth.size)  # off the optimum too
    seed = setting.seed("invariances", case, "noise")
    original = objective.losses(model, params, objective.draw(model, x, np.random.default_rng(seed), ref))
    model2, params2 = invariance.transform(model, params, amount)
    transformed = objective.losses(model2, params2, objective.draw(model2, x, np.random.default_rng(seed), ref))
    difference = np.abs(transformed - original)
    tolerance = 1e-9 * (1 + np.abs(original))  # rounding of log-densities of size |ℓ|
    if not np.all(difference <= tolerance):
        k = np.unravel_index(int(np.argmax(difference - tolerance)), difference.shape)
        raise PropertyFailure(
            f"invariance '{invariance.name}' ({invariance.statement}) fails for {setting.where(model, truth)} "
            f"with amount {amount:g}: per-sample loss {original[k]:.10g} becomes {transformed[k]:.10g} "
            f"(difference {difference[k]:.3g}, rounding allowance {tolerance[k]:.2g})"
        )
    return f"{invariance.name} holds (max difference {difference.max():.2g})"



# =============================================================================================
# Every property
# =============================================================================================


def yield_all_checks() -> Iterator[tuple[str, Callable[..., str]]]:
    """Every property as (name, ``check_<property>``), in the order they run (scikit-learn's
    ``_yield_all_checks``): ``derivatives`` first, since every other property trusts them. A check
    is called as ``check(setting, case)``; the invariance check as ``check(setting, case,
    invariance, amount)``, once per declared invariance and amount."""
    yield "derivatives", check_derivatives
    yield "fisher-consistency", check_fisher_consistency
    yield "unbiased-gradient", check_unbiased_gradient
    yield "asymptotic-normality", check_asymptotic_normality
    yield "efficiency", check_efficiency
    yield "invariances", check_invariances


PROPERTIES: tuple[str, ...] = tuple(name for name, _ in yield_all_checks())
"""The property names, in the order :func:`yield_all_checks` yields them."""
