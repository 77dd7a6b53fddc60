r"""The properties, one ``check_<property>`` function each, and :func:`yield_all_checks`.

Each check takes the run's :class:`Setting` (objective, families, configuration) and one
Hypothesis case, runs one seeded experiment and returns a one-line summary, or raises
:class:`PropertyFailure` (the property does not hold) or :class:`ExperimentDiverged` (the
experiment could not decide). Every statistical property is a z-test at the suite's
:data:`checks.anatomy.ALPHA`, Bonferroni-split over the components it tests (max-|z| rule: each
component at :math:`\alpha/m`). Each experiment's random stream is seeded from (root seed,
objective, property, case), so a case gives the same numbers whenever it is run (shrinking is
stable); the sample sizes come from the configuration's profile (:data:`SIZES`), never from
Hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ebmcheck.checks.anatomy import ALPHA, critical_z
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.properties.families import Case, Family
from ebmcheck.theory import asymptotics, quadrature
from ebmcheck.theory.backend import derive_seed
from ebmcheck.theory.fitting import FitResult, fit_mean_loss
from ebmcheck.theory.objectives import BaseObjective, reference

# Experiment sizes per profile (Hypothesis never chooses these).
SIZES: dict[str, dict[str, int]] = {
    "quick": {
        "population_samples": 100_000,  # Monte Carlo population (d > 1 or noisy objectives)
        "gradient_samples": 20_000,  # unbiased-gradient experiment
        "replicates": 200,
        "replicate_size": 800,
        "sandwich_samples": 100_000,
        "sandwich_batches": 10,
    },
    "full": {
        "population_samples": 2_000_000,
        "gradient_samples": 200_000,
        "replicates": 2000,
        "replicate_size": 8000,
        "sandwich_samples": 1_000_000,
        "sandwich_batches": 20,
    },
}


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


# =============================================================================================
# Property 1: Fisher consistency
# =============================================================================================


def _population(setting: Setting, model, truth, ref, case, prop) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Population gradient (q,), its error, Hessian (q, q), its error, and how they were computed."""
    objective = setting.objective
    params = truth[None]
    hook_g, hook_h = objective.population_gradients, objective.population_hessians
    if hook_g is not None and hook_h is not None and model.dim == 1:
        lo, hi = quadrature.support_interval(model, ref.theta)
        log_density = lambda x: model.log_f(x, ref.theta)  # noqa: E731
        try:
            g, g_err = quadrature.expect(log_density, lambda x: hook_g(model, params, x[None], ref)[0], lo, hi)
            h, h_err = quadrature.expect(log_density, lambda x: hook_h(model, params, x[None], ref)[0], lo, hi)
        except ValueError as error:  # a non-finite integrand: no population value, not a verdict
            raise ExperimentDiverged(f"population gradient or Hessian by quadrature: {error}") from error
        return g, g_err, h, h_err, "quadrature of the population loss"
    rng = setting.rng(prop, case, "population")
    n = setting.size("population_samples")
    x = _data(model, ref.theta, (1, n), rng)
    if hook_g is not None and hook_h is not None:
        gs, hs, how = hook_g(model, params, x, ref)[0], hook_h(model, params, x, ref)[0], "population loss"
    else:
        batch = objective.draw(model, x, rng, ref)
        gs, hs, how = objective.gradients(model, params, batch)[0], objective.hessians(model, params, batch)[0], "minibatch losses"
    se = lambda a: a.std(axis=0, ddof=1) / math.sqrt(n)  # noqa: E731
    return gs.mean(axis=0), se(gs), hs.mean(axis=0), se(hs), f"Monte Carlo, {n} exact samples, {how}"


def check_fisher_consistency(setting: Setting, case: Case) -> str:
    r"""``fisher-consistency``: at the true parameter the population gradient vanishes and the
    population Hessian is positive definite (θ* is a strict local population minimiser).

    Population expectations by quadrature in 1-D when the objective gives its population
    integrand (``population_gradients``), by a large exact sample otherwise."""
    model, theta, truth, ref = setting.unpack(case)
    g, g_err, h, h_err, how = _population(setting, model, truth, ref, case, "fisher-consistency")
    where = setting.where(model, truth)
    if not _finite(g, g_err, h, h_err):
        raise ExperimentDiverged(f"{where}: non-finite population gradient or Hessian ({how})")
    names = setting.objective.param_names(model)
    crit = _bonferroni_z(len(g) + 1)
    z = g / np.maximum(g_err, 1e-300)
    worst = int(np.argmax(np.abs(z)))
    if abs(z[worst]) > crit:
        raise PropertyFailure(
            f"Fisher consistency fails for {where}: the population gradient is not zero at the true parameter; "
            f"∂/∂{names[worst]} = {g[worst]:.4g} ± {g_err[worst]:.2g} (z = {z[worst]:.1f}, threshold {crit:.2f}); "
            f"full gradient {_fmt(g)} [{how}]"
        )
    symmetric = (h + h.T) / 2
    eigenvalues, vectors = np.linalg.eigh(symmetric)
    v = vectors[:, 0]
    lam_err = float(np.sqrt(np.sum((np.abs(v)[:, None] * np.abs(v)[None, :] * h_err) ** 2)))  # error of vᵀHv
    if not (eigenvalues[0] > crit * lam_err and eigenvalues[0] > 1e-8 * abs(eigenvalues[-1])):
        raise PropertyFailure(
            f"Fisher consistency fails for {where}: the population Hessian is not positive definite, smallest "
            f"eigenvalue {eigenvalues[0]:.4g} ± {lam_err:.2g} (largest {eigenvalues[-1]:.4g}) along direction "
            f"{_fmt(v)} of ({', '.join(names)}) — θ* is not a strict minimiser (not identifiable) [{how}]"
        )
    return f"gradient {_fmt(g)} (max |z| = {abs(z[worst]):.2f}), Hessian eigenvalues {_fmt(eigenvalues)} [{how}]"


# =============================================================================================
# Property 2: unbiased minibatch gradient
# =============================================================================================


def check_unbiased_gradient(setting: Setting, case: Case) -> str:
    """``unbiased-gradient``: the mean per-sample (minibatch) gradient at θ* is zero within its standard error."""
    model, theta, truth, ref = setting.unpack(case)
    rng = setting.rng("unbiased-gradient", case)
    n = setting.size("gradient_samples")
    batch = setting.objective.draw(model, _data(model, theta, (1, n), rng), rng, ref)
    gs = setting.objective.gradients(model, truth[None], batch)[0]
    where = setting.where(model, truth)
    if not _finite(gs):
        raise ExperimentDiverged(f"{where}: non-finite per-sample gradients")
    mean, se = gs.mean(axis=0), gs.std(axis=0, ddof=1) / math.sqrt(n)
    z = mean / np.maximum(se, 1e-300)
    crit = _bonferroni_z(len(mean))
    worst = int(np.argmax(np.abs(z)))
    names = setting.objective.param_names(model)
    if abs(z[worst]) > crit:
        raise PropertyFailure(
            f"biased minibatch gradient for {where}: the mean per-sample gradient over {n} samples is "
            f"∂/∂{names[worst]} = {mean[worst]:.4g} ± {se[worst]:.2g} (z = {z[worst]:.1f}, threshold {crit:.2f}); "
            f"full mean gradient {_fmt(mean)}"
        )
    return f"mean gradient {_fmt(mean)} ± {_fmt(se)} (max |z| = {abs(z[worst]):.2f}, n = {n})"


# =============================================================================================
# Property 3: asymptotic normality with the sandwich covariance; property 4: efficiency
# =============================================================================================


def sandwich(objective, model, truth, ref, rng, num_samples: int, num_batches: int):
    r"""The sandwich :math:`H^{-1} V H^{-1}` at ``truth`` with a batch-means standard error per entry.

    :math:`H = \mathbb E[\nabla^2\ell]`, :math:`V = \mathrm{Var}[\nabla\ell]` over one sample
    unit (a data point with its noise), by :func:`theory.asymptotics.sandwich_covariance`. The
    estimate uses all samples; the error is the spread of the sandwiches of ``num_batches``
    disjoint batches, divided by :math:`\sqrt{\text{num\_batches}}`. Returns (Σ, SE(Σ), the
    per-batch sandwiches (num_batches, q, q)).
    """
    x = _data(model, ref.theta, (num_batches, num_samples // num_batches), rng)
    batch = objective.draw(model, x, rng, ref)
    params = np.broadcast_to(truth, (num_batches, truth.size))
    gs, hs = objective.gradients(model, params, batch), objective.hessians(model, params, batch)
    try:
        per_batch = asymptotics.sandwich_covariance(gs, hs)
        full = asymptotics.sandwich_covariance(gs.reshape(-1, truth.size), hs.reshape(-1, truth.size, truth.size))
    except ValueError as error:  # a singular or non-finite mean Hessian: no prediction, not a verdict
        raise ExperimentDiverged(f"sandwich at θ = {_fmt(truth)}: {error}") from error
    se = per_batch.std(axis=0, ddof=1) / math.sqrt(num_batches)
    return full, se, per_batch


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


def _fit_replicates(setting: Setting, model, theta, truth, ref, rng, sigma) -> tuple[FitResult, int]:
    objective = setting.objective
    replicates = setting.size("replicates")
    n = replicate_size(sigma, truth, setting.size("replicate_size"))
    batch = objective.draw(model, _data(model, theta, (replicates, n), rng), rng, ref)

    def rows_of(rows):
        return {k: v[rows] for k, v in batch.items()}

    fit = fit_mean_loss(
        lambda p, rows: objective.losses(model, p, rows_of(rows)),
        lambda p, rows: objective.gradients(model, p, rows_of(rows)),
        lambda p, rows: objective.hessians(model, p, rows_of(rows)),
        np.tile(truth, (replicates, 1)),
    )
    return fit, n


def check_asymptotic_normality(setting: Setting, case: Case) -> str:
    r"""``asymptotic-normality``: R replicate datasets fitted at once by batched Newton
    (:mod:`theory.fitting`); :math:`\sqrt n(\hat\vartheta - \vartheta^*)` has mean 0, covariance
    :math:`H^{-1}VH^{-1}` (entries tested with the sandwich's own batch-means error) and Gaussian
    kurtosis (Anscombe–Glynn test)."""
    model, theta, truth, ref = setting.unpack(case)
    objective, q = setting.objective, truth.size
    where = setting.where(model, truth)
    sigma, sigma_se, _ = sandwich(
        objective, model, truth, ref, setting.rng("asymptotic-normality", case, "sandwich"),
        setting.size("sandwich_samples"), setting.size("sandwich_batches"),
    )
    fit, n = _fit_replicates(setting, model, theta, truth, ref, setting.rng("asymptotic-normality", case, "fit"), sigma)
    if fit.num_failed or not _finite(sigma, sigma_se, fit.params):
        raise ExperimentDiverged(f"{where}: {fit.summary()}; sandwich finite: {_finite(sigma, sigma_se)}")
    u = math.sqrt(n) * (fit.params - truth)  # (R, q)
    replicates = u.shape[0]
    names = objective.param_names(model)
    tests = []  # (label, estimate, prediction, standard error)
    mean, mean_se = u.mean(axis=0), u.std(axis=0, ddof=1) / math.sqrt(replicates)
    tests += [(f"mean of √n(θ̂−θ*) for {names[i]}", mean[i], 0.0, mean_se[i]) for i in range(q)]
    # Covariance about the replicates' mean: the finite-sample bias of θ̂ (O(1/n), tested by the
    # mean above) then does not leak into the covariance test as n·bias².
    centred = u - mean
    for i in range(q):
        for j in range(i, q):
            products = centred[:, i] * centred[:, j]
            se = math.hypot(products.std(ddof=1) / math.sqrt(replicates), sigma_se[i, j])
            label = f"n·Var({names[i]})" if i == j else f"n·Cov({names[i]}, {names[j]})"
            tests.append((label, products.sum() / (replicates - 1), sigma[i, j], se))
    # Kurtosis by the Anscombe–Glynn transform: its z is N(0, 1) under normality already at
    # R ≈ 20, whereas (b₂ − 3)/√(24/R) is skewed at R = 200 and alarms far above α in its upper tail.
    excess = stats.kurtosis(u, axis=0)
    kurtosis_z = stats.kurtosistest(u, axis=0).statistic
    for i in range(q):
        label = f"Anscombe–Glynn kurtosis z of {names[i]} (excess kurtosis {excess[i]:.3g}; Gaussian: z ~ N(0, 1))"
        tests.append((label, kurtosis_z[i], 0.0, 1.0))
    crit = _bonferroni_z(len(tests))
    zs = [(est - pred) / se for _, est, pred, se in tests]
    worst = int(np.argmax(np.abs(zs)))
    if abs(zs[worst]) > crit:
        label, est, pred, se = tests[worst]
        raise PropertyFailure(
            f"asymptotic normality with the sandwich covariance fails for {where}: {label} = {est:.4g}, predicted "
            f"{pred:.4g} ± {se:.2g} (z = {zs[worst]:.1f}, threshold {crit:.2f}, Bonferroni over {len(tests)} tests); "
            f"R = {replicates} replicates of n = {n}; sandwich diagonal {_fmt(np.diag(sigma))}, empirical "
            f"{_fmt(np.mean(u**2, axis=0))}; {fit.summary()}"
        )
    return f"max |z| = {abs(zs[worst]):.2f} over {len(tests)} tests; sandwich diagonal {_fmt(np.diag(sigma))}; {fit.summary()}"


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
# Property 5: invariances
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
    ``_yield_all_checks``). A check is called as ``check(setting, case)``; the invariance check
    as ``check(setting, case, invariance, amount)``, once per declared invariance and amount."""
    yield "fisher-consistency", check_fisher_consistency
    yield "unbiased-gradient", check_unbiased_gradient
    yield "asymptotic-normality", check_asymptotic_normality
    yield "efficiency", check_efficiency
    yield "invariances", check_invariances


PROPERTIES: tuple[str, ...] = tuple(name for name, _ in yield_all_checks())
"""The property names, in the order :func:`yield_all_checks` yields them."""
