r"""Checks of conditional NCE (seed 004): Lemmas 3–4, Theorem 1 (K = 1, any K), Corollary 2.

Replicate Monte Carlo, extrapolated in :math:`N_d` and sequential. The claims are about
:math:`\lim_{N_d\to\infty} N_d\,\mathbb E[(\hat\theta-\theta^*)(\hat\theta-\theta^*)^\top]`; at finite
:math:`N_d` the estimate carries an :math:`O(1/N_d)` excess (measured: 1.6–14 % at :math:`N_d` = 600,
i.e. up to 1.4 standard errors of a 600-replicate check, all of one sign). Each *unit* fits one data
set of :math:`N_1` and one of :math:`N_2 = 4N_1` exact draws from :math:`p_{\theta^*}` (plus
:math:`K N_d` noise points; all units of a batch in one batched Newton solve,
:func:`theory.cnce.fit_cnce`) and returns the Richardson combination

.. math:: u = \frac{4 v_{N_2} - v_{N_1}}{3}, \qquad
          v_N = N\,(\hat\theta_N-\theta^*)_a(\hat\theta_N-\theta^*)_b \ \text{(an entry) or } N\|\hat\theta_N-\theta^*\|^2 \ \text{(the trace)},

whose mean is the limit up to :math:`O(1/(N_1N_2))`. Units are drawn in batches, each from its
own stream, and watched through a confidence sequence on the log scale
(:func:`checks.sequential.sequential_means`, ``log_scale=True``: u is chi-square-like and the
linear-scale sequence runs at about 2α; on the log scale it was measured at 0.16–0.35α, README "Sequential
checks"). A run stops when the prediction leaves its sequence, or when the control is rejected
and the resolution reached is at most the gap to the control (quick) and also 5 % (full), or at
its budget (inconclusive). Sizes: quick :math:`N_1` = 300, batches of 200 units; full
:math:`N_1` = 1000, batches of 500. The prediction is
:func:`theory.asymptotics.cnce_covariance` (quadrature, relative error ≤ 1e-9, recorded in the
check's details; the quadrature itself is held to the closed forms by numerical checks). A
replicate fit that fails to converge makes the check *diverged* (NaN), never silently dropped.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import stats

from ebmcheck.checks.anatomy import ALPHA, BETA, Check, Claim, Context, Source, ZTest, printed_statement_controls
from ebmcheck.checks.sequential import confidence_radius, sequential_means
from ebmcheck.checks.figures import new_figure
from ebmcheck.derivations import cnce as derivation
from ebmcheck.theory import asymptotics, models
from ebmcheck.theory import noise as nz
from ebmcheck.theory.cnce import fit_cnce, log_ratio, per_sample_loss, softplus

TOPIC = "cnce"
HOST_ONLY = ("the replicate data are drawn on the host and the predictions are quadratures with SciPy (theory.asymptotics); "
             "theory.cnce and theory.fitting themselves run on any array namespace (the array-API tests run them), so the "
             "replicate fits are the part to move to --backend next")  # why --backend does not reach these checks
SEED = "004"


# ---- models and noises -------------------------------------------------------------------------
def _cases():
    g1 = models.gaussian(1)
    return {
        "gaussian-precision": (models.gaussian_precision(), np.array([2.0])),
        "gaussian-1d": (g1, g1.pack([0.5], [[2.0]])),
        "two-mode(±2.5)": (models.two_mode_mixture(-2.5, 2.5), np.array([np.log(4.0)])),
        "quartic": (models.quartic(), np.array([0.5, -1.0, 1.0])),
    }


def _kde(model, theta, rng, bandwidth=0.5, centres=20):
    return nz.KDE.from_model(bandwidth, model, theta, centres, rng)


# ---- replicate Monte Carlo: extrapolated in N_d, sequential --------------------------------------
SMALL_DATA = {"quick": 300, "full": 1000}
"""N₁ per profile; every unit also fits a data set of N₂ = 4 N₁ (quick 300/1200, full 1000/4000)."""
UNIT_BATCH = {"quick": 200, "full": 500}
"""Units per batch (one Newton solve over the batch), and the first look is after two batches."""
FULL_TARGET = 0.05
"""Relative resolution the full profile must reach: half the 10 % the statements need (2×CRLB told from 2.1×CRLB)."""
UNIT_VARIANCE = 5.0
"""Design value of Var(u)/E(u)² for planning: 34/9 ≈ 3.8 for normal θ̂ (u = (4a − c)/3, a, c ~ χ²₁),
measured 1.05–1.35 times that at N₁ = 150–600 (fourth moments of θ̂ slightly above normal)."""
BUDGET_FACTOR = 3
"""A sequential run may draw this many times its planned number of units before it is under-powered."""


def _unit_batch(context: Context, stream: str, index: int, model, theta, noise, K: int, reduce) -> np.ndarray:
    r"""Batch ``index`` of units from stream ``stream``: each unit fits a data set of N₁ and one of
    N₂ = 4N₁ points (K noise points each) and gives :math:`u = (4 v_{N_2} - v_{N_1})/3` with
    :math:`v_N = N\,\mathrm{reduce}((\hat\theta_N-\theta^*)(\hat\theta_N-\theta^*)^\top)`; shape (batch, k).
    A fit that did not converge gives NaN (the sequential check then stops as diverged)."""
    rng = context.rng(f"{stream} batch {index}")
    batch, small = UNIT_BATCH[context.profile], SMALL_DATA[context.profile]
    values = []
    for num_data in (small, 4 * small):
        x = model.sample(theta, batch * num_data, rng).reshape(batch, num_data, model.dim)
        fit = fit_cnce(model, theta, x, noise.sample(x, K, rng), noise)
        error = np.where(fit.converged[:, None], fit.params - theta, np.nan)
        values.append(num_data * reduce(error))
    return (4 * values[1] - values[0]) / 3


def planned_units(target, coordinates: int) -> int:
    r"""Units at which a sequential run is expected to reach relative resolution ``target``:
    :math:`V (c_{\alpha/k} + z_\beta)^2/\text{target}^2` with :math:`V` = :data:`UNIT_VARIANCE`
    and :math:`c_{\alpha/k}\,\sigma/\sqrt n` the confidence sequence's radius at its planned n."""
    c = float(confidence_radius(1, 1.0, ALPHA / coordinates, 1))
    z_beta = float(stats.norm.isf(BETA))
    return int(math.ceil(UNIT_VARIANCE * (c + z_beta) ** 2 / float(target) ** 2))


def _sequential_moment(context: Context, stream: str, model, theta, noise, K: int, prediction, control, reduce):
    r"""Sequential check of :math:`\lim_{N_d\to\infty} N_d\,\mathbb E[\mathrm{reduce}((\hat\theta-\theta^*)(\hat\theta-\theta^*)^\top)]`.

    The mean of a unit is :math:`\Sigma + O(1/(N_1 N_2))`: the :math:`O(1/N_d)` finite-sample terms
    (1.6–14 % at N_d = 600, measured) cancel in the Richardson combination. Measured residual: the
    second-order coefficient reaches d ≈ 4.7e3 (quartic oracle, from N = 150 and 600 with 8000 fits),
    i.e. −d/(N₁N₂) ≈ 1.3 % at the quick sizes (0.2 SE) and 0.12 % at the full sizes (under a third
    of the SE at 5 % resolution). The k means are watched at once on the log scale
    (:func:`checks.sequential.sequential_means`, Bonferroni α/k); a run stops when a prediction leaves
    its sequence, or when the control is rejected and every coordinate resolves the target: the gap to
    its control (quick) or also :data:`FULL_TARGET` (full) — or at its budget (→ inconclusive).
    """
    prediction, control = np.atleast_1d(prediction), np.atleast_1d(control)
    gap = np.abs(np.log(control / prediction))
    target = gap if context.profile == "quick" else np.minimum(gap, math.log1p(FULL_TARGET))  # log units: e^t − 1 = 5 %
    batch = UNIT_BATCH[context.profile]
    planned = planned_units(float(target.min()), prediction.size)
    bound = noise.bind(model, theta)
    run = sequential_means(lambda i: _unit_batch(context, stream, i, model, theta, bound, K, reduce),
                           prediction, control, alpha=ALPHA, beta=BETA, resolution=target, batch_size=batch,
                           max_batches=max(2, math.ceil(BUDGET_FACTOR * planned / batch)), planned_n=planned,
                           first_look=2 * batch, log_scale=True)
    small = SMALL_DATA[context.profile]
    details = {"units": run.n, "num_data": (small, 4 * small), "K": K, "stopped": run.stopped,
               "planned_units": planned, "target_resolution": target, "batches": run.batches,
               "looks": run.history["n"], "estimate_at_looks": run.history["estimate"],
               "radius_at_looks": run.history["radius"]}
    return run, details


def _entry_checks(context, label, model, theta, noise, K, entries, control, control_label):
    """Checks of the entries (a, b) of lim N_d·E[(θ̂ − θ*)(θ̂ − θ*)ᵀ] against Σ_K; ``control`` is a (p, p) wrong covariance."""
    sigma, sigma_error = asymptotics.cnce_covariance_with_error(model, theta, noise, K)
    rows, cols = map(list, zip(*entries))
    if np.any(sigma_error[rows, cols] > 1e-4 * FULL_TARGET * np.abs(sigma[rows, cols])):  # not folded into the test
        raise RuntimeError(f"{label}: the quadrature error of Σ ({sigma_error[rows, cols]}) is not negligible at 5 % resolution")
    run, details = _sequential_moment(context, label, model, theta, noise, K, sigma[rows, cols], control[rows, cols],
                                      lambda error: error[:, rows] * error[:, cols])
    return [Check(
        name=f"{label} K={K} Σ[{model.theta[a]},{model.theta[b]}]",
        quantity=r"\lim_{N_d\to\infty} N_d\,\mathbb{E}[(\hat\theta-\theta^*)(\hat\theta-\theta^*)^\top]_{" + f"{a + 1}{b + 1}" + "}",
        test=ZTest(float(sigma[a, b]), float(run.estimate[j]), float(run.standard_error[j]), log_scale=True),
        control=ZTest(float(control[a, b]), float(run.estimate[j]), float(run.standard_error[j]), log_scale=True),
        control_label=control_label, error_kind="monte-carlo (sequential)", alpha=run.alpha, sequential=run.stopped,
        resolution_reached=float(run.resolution[j]),
        details={**details, "prediction_matrix": sigma, "quadrature_error": sigma_error},
    ) for j, (a, b) in enumerate(entries)]


# ---- claim: Lemma 4 ----------------------------------------------------------------------------
def symmetry_checks(context: Context) -> list[Check]:
    r"""Eq. 12: :math:`\mathbb{E}_{p_0}[-\log\sigma(-F)] = \mathbb{E}_{p_1}[-\log\sigma(F)]` at θ ≠ θ*.

    Class 1 pairs :math:`x\sim p_d, y \sim p_n(\cdot|x)`; class 0 pairs drawn *independently* as
    :math:`y\sim p_d, x\sim p_n(\cdot|y)`. Asymmetric noises (a local/KDE mixture, a KDE) so
    the noise term of F matters. Control: the swap without the sign flip, :math:`\mathbb{E}_{p_0}[-\log\sigma(F)]`.
    """
    cases = _cases()
    n = context.size(quick=40_000, full=400_000)
    checks = []
    for label, theta_eval in [("gaussian-precision", [1.3]), ("two-mode(±2.5)", [0.4]), ("quartic", [0.2, -0.5, 1.4]),
                              ("gaussian-1d", [0.1, 1.2])]:
        model, theta = cases[label]
        rng = context.rng(f"symmetry {label}")
        noise = nz.Mixture(nz.LocalGaussian(0.7), _kde(model, theta, rng), 0.5)
        theta_eval = np.asarray(theta_eval, float)
        x1 = model.sample(theta, n, rng)[None]
        y1 = noise.sample(x1, 1, rng)
        y0 = model.sample(theta, n, rng)[None]
        x0 = noise.sample(y0, 1, rng)[:, :, 0, :]  # x ~ p_n(.|y)
        ell1 = per_sample_loss(model, theta_eval, x1, y1, noise)[0, :, 0] / 2  # −log σ(F) on class-1 pairs
        F0 = log_ratio(model, theta_eval, x0, y0[:, :, None, :], noise)[0, :, 0]  # F(x, y) on class-0 pairs
        ell0 = softplus(F0)  # −log σ(−F), computed directly (no use of the lemma)
        wrong0 = softplus(-F0)  # −log σ(F) on class-0 pairs: the swap without the sign flip
        diff = ell0.mean() - ell1.mean()
        se = np.hypot(ell0.std(ddof=1), ell1.std(ddof=1)) / np.sqrt(n)
        wrong = wrong0.mean() - ell1.mean()
        wrong_se = np.hypot(wrong0.std(ddof=1), ell1.std(ddof=1)) / np.sqrt(n)
        checks.append(Check(
            name=f"{label} θ={theta_eval.tolist()} noise {noise}",
            quantity=r"\mathbb{E}_{p_0}[-\log\sigma(-F)] - \mathbb{E}_{p_1}[-\log\sigma(F)]",
            test=ZTest(0.0, float(diff), float(se)),
            control=ZTest(0.0, float(wrong), float(wrong_se)),
            control_label="swap without the sign flip: E_{p0}[−log σ(F)] in place of E_{p0}[−log σ(−F)]",
            details={"pairs": n},
        ))
    return checks


# ---- claim: Lemma 3 ----------------------------------------------------------------------------
def fisher_checks(context: Context) -> list[Check]:
    r"""tr E_p[∇log p ∇log pᵀ] (definition, eq. 16; ∇log Z from the model's symbolic Z) on exact samples
    against tr Var_p[∇log f] (eq. 14, quadrature). Control: the uncentred tr E_p[∇log f ∇log fᵀ]."""
    cases = _cases()
    n = context.size(quick=200_000, full=2_000_000)
    checks = []
    for label in ("gaussian-precision", "gaussian-1d", "two-mode(±2.5)"):
        model, theta = cases[label]
        grad_log_z = sp.Matrix([sp.diff(model.log_normalizer_expr, t) for t in model.theta])
        dlogz = np.array([float(v) for v in grad_log_z.subs(dict(zip(model.theta, theta)))])
        x = model.sample(theta, n, context.rng(f"fisher {label}"))
        score = model.grad_theta(x, theta) - dlogz
        per_sample = np.sum(score**2, axis=-1)
        fisher, error = asymptotics.fisher_information_with_error(model, theta)
        g_nodes = _uncentred_second_moment(model, theta)
        se = float(np.hypot(per_sample.std(ddof=1) / np.sqrt(n), np.trace(error)))
        checks.append(Check(
            name=f"{label} θ={np.round(theta, 4).tolist()}",
            quantity=r"\operatorname{tr}\mathbb{E}_p[\nabla_\theta\log p\,\nabla_\theta\log p^\top]",
            test=ZTest(float(np.trace(fisher)), float(per_sample.mean()), se),
            control=ZTest(float(g_nodes), float(per_sample.mean()), se),
            control_label="uncentred tr E_p[∇log f ∇log fᵀ] (forgetting that Z depends on θ)",
            details={"samples": n, "fisher": fisher},
        ))
    return checks


def _uncentred_second_moment(model, theta):
    from ebmcheck.theory import quadrature

    value, _ = quadrature.expect_model(model, theta, lambda x: np.sum(model.grad_theta(x, theta) ** 2, axis=-1))
    return float(value)


# ---- claim: Theorem 1, K = 1 ---------------------------------------------------------------------
def theorem1_checks(context: Context) -> list[Check]:
    r"""Replicate N_d·Cov(θ̂) against Σ = C1⁻¹C2C1⁻¹ (K = 1).

    Controls: for the local, local/KDE and local/oracle noises the oracle noise's Σ at the same model (2 I_F⁻¹ by
    Corollary 2, computed by the same calculator with the oracle noise) — the answer of a reader who takes the
    efficiency the paper proves for the oracle for any noise; for the 1-D Gaussian, eq. 63 as printed. The local/KDE
    mixture sits closest to the oracle (Σ ≈ 2.7 I_F⁻¹), so its experiment uses four times the replicates (control ≈ 9 SE away)."""
    cases = _cases()
    checks = []
    model, theta = cases["gaussian-precision"]
    oracle = lambda m, t: asymptotics.cnce_covariance(m, t, nz.Oracle(), 1)  # noqa: E731
    oracle_label = "the oracle noise's Σ = 2 I_F⁻¹ (Corollary 2's efficiency taken for this noise)"
    checks += _entry_checks(context, "gaussian-precision local ε=0.5", model, theta, nz.LocalGaussian(0.5), 1, [(0, 0)],
                            oracle(model, theta), oracle_label)
    kde = _kde(model, theta, context.rng("theorem1 kde"))
    checks += _entry_checks(context, "gaussian-precision mix(local 0.5, KDE 0.5)", model, theta,
                            nz.Mixture(nz.LocalGaussian(0.5), kde, 0.5), 1, [(0, 0)],
                            oracle(model, theta), oracle_label)
    model, theta = cases["gaussian-1d"]
    mats = asymptotics.cnce_matrices(model, theta, nz.LocalGaussian(0.5))
    printed63 = np.linalg.inv(mats.C1) @ mats.C2 @ mats.C1  # eq. 63 as printed
    checks += _entry_checks(context, "gaussian-1d local ε=0.5", model, theta, nz.LocalGaussian(0.5), 1, [(0, 0), (1, 1)],
                            printed63, "eq. 63 as printed: C1⁻¹C2C1 (last inverse missing)")
    model, theta = cases["two-mode(±2.5)"]
    checks += _entry_checks(context, "two-mode(±2.5) mix(local 1, oracle)", model, theta,
                            nz.Mixture(nz.LocalGaussian(1.0), nz.Oracle(), 0.5), 1, [(0, 0)],
                            oracle(model, theta), "the oracle noise's Σ = 2 I_F⁻¹ (half the noise is the oracle: "
                            "its efficiency taken for the mixture)")
    return checks


# ---- claim: any K --------------------------------------------------------------------------------
def any_k_checks(context: Context) -> list[Check]:
    cases = _cases()
    checks = []
    plan = [
        ("gaussian-precision", nz.LocalGaussian(0.5), 4, [(0, 0)], "k1"),
        ("gaussian-precision", nz.LocalGaussian(0.5), 4, [(0, 0)], "independent"),
        ("gaussian-1d", nz.Oracle(), 4, [(0, 0), (1, 1)], "independent"),
        ("two-mode(±2.5)", nz.Mixture(nz.LocalGaussian(1.0), nz.Oracle(), 0.5), 2, [(0, 0)], "k1"),
    ]
    seen = set()
    for label, noise, K, entries, which in plan:
        model, theta = cases[label]
        mats = asymptotics.cnce_matrices(model, theta, noise)
        inverse = np.linalg.inv(mats.C1)
        if which == "k1":
            control, text = inverse @ mats.C2 @ inverse, "the K = 1 formula C1⁻¹C2C1⁻¹ used at K > 1"
        else:
            control, text = inverse @ mats.C2 @ inverse / K, "independent pairs (within-x correlation C3 ignored; eqs. 50–54 at θ*): C1⁻¹C2C1⁻¹/K"
        name = f"{label} {noise}"
        if (name, K) in seen:  # same data, second control: a separate stream keeps the checks independent
            name += " (replicate set 2)"
        seen.add((f"{label} {noise}", K))
        checks += _entry_checks(context, name, model, theta, noise, K, entries, control, text)
    return printed_statement_controls(checks, "independent pairs")


# ---- claim: Corollary 2 ------------------------------------------------------------------------------
def oracle_checks(context: Context) -> list[Check]:
    cases = _cases()
    checks, points, runs = [], [], []
    for label in ("gaussian-precision", "gaussian-1d", "two-mode(±2.5)", "quartic"):
        model, theta = cases[label]
        fisher = asymptotics.fisher_information(model, theta)
        crlb = float(np.trace(np.linalg.inv(fisher)))
        sigma, sigma_error = asymptotics.cnce_covariance_with_error(model, theta, nz.Oracle(), 1)
        # quadrature: the calculator against the corollary's 2 tr I_F^{-1}
        checks.append(Check(
            name=f"{label} quadrature tr Σ_oracle",
            quantity=r"\operatorname{tr}\Sigma_{\text{oracle}}",
            test=ZTest(2 * crlb, float(np.trace(sigma)), float(np.trace(sigma_error))),
            control=ZTest(crlb, float(np.trace(sigma)), float(np.trace(sigma_error))),
            control_label="factor 1: tr I_F⁻¹ (the CRLB itself)",
            error_kind="quadrature",
        ))
        # quick: the CRLB itself (factor 2 away: what a 600-unit run resolves); full, at 5 % resolution: the
        # nearest alternative the statement must exclude, a 10 % less efficient estimator
        factor, control_label = ((1.0, "factor 1: tr I_F⁻¹ (Fisher-efficient)") if context.profile == "quick" else
                                 (2.2, "factor 2.2: an estimator 10 % less efficient (the margin the statement needs)"))
        run, details = _sequential_moment(context, f"oracle {label}", model, theta, nz.Oracle(), 1, 2 * crlb,
                                          factor * crlb, lambda error: np.sum(error**2, axis=-1, keepdims=True))
        estimate, error = float(run.estimate[0]), float(run.standard_error[0])
        checks.append(Check(
            name=f"{label} oracle K=1 trace",
            quantity=r"\lim_{N_d\to\infty} N_d\,\mathbb{E}\|\hat\theta-\theta^*\|^2",
            test=ZTest(2 * crlb, estimate, error, log_scale=True),
            control=ZTest(factor * crlb, estimate, error, log_scale=True),
            control_label=control_label, error_kind="monte-carlo (sequential)",
            alpha=run.alpha, sequential=run.stopped, resolution_reached=float(run.resolution[0]),
            details={**details, "crlb_trace": crlb},
        ))
        if label in ("gaussian-precision", "two-mode(±2.5)"):
            points.append((label, estimate / crlb, error / crlb))
        runs.append((label, run))
    _efficiency_figure(context, points)
    _sequential_figure(context, runs)
    return checks


def _sequential_figure(context: Context, runs) -> None:
    """The oracle traces' confidence sequences, relative to 2 tr I_F⁻¹, against the units drawn."""
    figure, (axis,) = new_figure(1)
    for index, (label, run) in enumerate(runs):
        n, estimate, radius = run.history["n"], run.history["estimate"][:, 0], run.history["radius"][:, 0]
        relative = estimate / run.prediction[0]
        half = radius / estimate  # the log-scale half-width
        color = f"C{index}"
        axis.plot(n, relative, "o-", color=color, ms=3, label=f"{label} ({run.stopped} at {run.n} units)")
        axis.fill_between(n, relative * np.exp(-half), relative * np.exp(half), color=color, alpha=0.15)
    axis.axhline(1.0, color="k", lw=1, label="prediction 2 tr I_F⁻¹")
    control = runs[0][1].control[0] / runs[0][1].prediction[0]
    axis.axhline(control, color="k", lw=1, ls=":", label=f"control {2 * control:g} tr I_F⁻¹")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("units drawn (one fit at N₁ and one at 4N₁ each)")
    axis.set_ylabel(r"$\lim N_d\,\mathbb{E}\|\hat\theta-\theta^*\|^2 \,/\, 2\,\mathrm{tr}\,I_F^{-1}$")
    axis.legend(fontsize=7)
    context.add_figure(
        "sequential",
        figure,
        "Sequential oracle checks: the running estimate (Richardson units, relative to the prediction 2 tr I_F⁻¹) "
        "with its confidence sequence at the check's α (band, log scale), looked at after every batch. A run stops "
        "when the band leaves the prediction (rejected), or leaves the control and is narrow enough (decided), or at "
        "its budget.",
    )


def _efficiency_figure(context: Context, points=()) -> None:
    """Efficiency tr Σ_K / tr I_F⁻¹ vs local ε and vs the local weight of 'CNCE mix' (local ε + oracle)."""
    cases = _cases()
    figure, axes = new_figure(2, width=9.6)
    eps_grid = np.geomspace(0.1, 1.2, 9)
    weights = np.linspace(0.0, 0.9, 7)
    for color, label in (("C0", "gaussian-precision"), ("C1", "two-mode(±2.5)")):
        model, theta = cases[label]
        crlb = np.trace(np.linalg.inv(asymptotics.fisher_information(model, theta)))
        local = [asymptotics.cnce_matrices_coarse(model, theta, nz.LocalGaussian(e)) for e in eps_grid]
        mixed = [asymptotics.cnce_matrices_coarse(model, theta, nz.Mixture(nz.LocalGaussian(0.5), nz.Oracle(), w)) for w in weights]
        for K, style in ((1, "-"), (4, "--")):
            eff = [np.trace(asymptotics.sigma_from_matrices(m, K)) / crlb for m in local]
            axes[0].plot(eps_grid, eff, style, color=color, label=f"{label}, K={K}")
            mix = [np.trace(asymptotics.sigma_from_matrices(m, K)) / crlb for m in mixed]
            axes[1].plot(weights, mix, style, color=color, label=f"{label}, K={K}")
    for index, (label, value, error) in enumerate(points):
        color = "C0" if label == "gaussian-precision" else "C1"
        axes[1].errorbar([0.01 * index], [value], yerr=[error], fmt="o", color=color, ms=4,
                         label=f"{label}: replicate MC, oracle K=1")
    for axis in axes:
        axis.axhline(1.0, color="k", lw=1, label="CRLB")
        axis.axhline(2.0, color="k", lw=1, ls=":", label="2×CRLB")
        axis.set_yscale("log")
        axis.set_ylabel(r"efficiency $\mathrm{tr}\,\Sigma_K / \mathrm{tr}\,I_F^{-1}$")
    axes[0].set_xscale("log")
    axes[0].set_xlabel(r"local noise scale $\varepsilon$")
    axes[1].set_xlabel(r"weight of local noise ($\varepsilon=0.5$) in CNCE mix; rest oracle")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    context.add_figure(
        "efficiency",
        figure,
        "Asymptotic efficiency of CNCE (quadrature, Σ_K of the any-K formula) against local-noise scale and the "
        "local/oracle mixing weight; weight 0 is the oracle: 2×CRLB at K = 1, (1 + 1/K)×CRLB at K = 4. "
        "Points: N_d × tr Cov(θ̂) / tr I_F⁻¹ over the replicate fits of this claim's oracle checks (±1 SE).",
    )


# ---- claims ---------------------------------------------------------------------------------------
CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="cnce-loss-symmetry",
        title="Lemma 4: symmetry of the CNCE loss",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED, "Appendix B.1, Lemma 4, eq. 21 (used in eq. 12)",
                        r"\log \sigma \left(\log \frac{f(\mathbf{x}; \theta) p_n(\mathbf{y}|\mathbf{x})}{f(\mathbf{y}; \theta) p_n(\mathbf{x}|\mathbf{y})} \right) = \log \left(1 - \sigma \left(\log \frac{f(\mathbf{y}; \theta) p_n(\mathbf{x}|\mathbf{y})}{f(\mathbf{x}; \theta) p_n(\mathbf{y}|\mathbf{x})} \right)\right)"),),
        expected_verdict="verified",
        derivation=derivation.lemma4_symmetry,
        checks=symmetry_checks,
        summary="Eq. 21 is an identity (F(y,x) = −F(x,y) and 1 − σ(−u) = σ(u)); its consequence eq. 12 — the class-0 "
        "sum equals the class-1 sum — holds for every θ, checked with independently drawn class-0 pairs under an "
        "asymmetric local/KDE mixture noise on four models.",
    ),
    Claim(
        id="fisher-information-unnormalized",
        title="Lemma 3: Fisher information from the unnormalized model",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED, "Appendix B.1, Lemma 3, eq. 14",
                        r"\mathbf{I}_F(\theta) = \text{Var}_{\mathbf{x} \sim p}[\nabla_{\theta} \log f(\mathbf{x}; \theta)]"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.lemma3_fisher,
        checks=fisher_checks,
        conditions=("the variance is under the model p_θ at the same θ, and ∇_θ may be taken under ∫ f dx",),
        summary="Proof steps 17–20 check on a discrete support and in closed form (1/(2θ²) for the Gaussian precision); "
        "on exact samples the definition with the symbolic ∇log Z matches Var_p[∇log f], while the uncentred moment is rejected.",
    ),
    Claim(
        id="cnce-asymptotic-covariance",
        title="Theorem 1: asymptotic covariance of CNCE (K = 1)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED, "Theorem 1, eqs. 4–6; proof appendix B.2, eqs. 25–64",
                        r"\hat{\theta} \sim \mathcal{N}(\theta^*, \Sigma),\ \Sigma = \frac{1}{N_d} C_1^{-1} C_2 C_1^{-1}"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.theorem1,
        checks=theorem1_checks,
        required_resolution=0.10,
        resolution_reason="the statement is a covariance formula whose neighbours (the oracle's 2 I_F⁻¹, the printed "
        "eq. 63) differ from it by tens of per cent on easy models but by 10 % or less on harder ones; a check that "
        "cannot see 10 % cannot tell the formula from its natural misreadings",
        conditions=("one noise point per data point (K = 1); well-specified model; standard M-estimation regularity",
                    "eq. 4 omits the expectation: the MSE is E‖θ̂ − θ*‖²"),
        summary="Gradient and Hessian (eqs. 25–34), the vanishing first Hessian term (symmetry) and Σ = C1⁻¹C2C1⁻¹/N_d "
        "check; eq. 63 as printed (½C1 for ½C1⁻¹) ≠ eq. 62, a typo that eq. 64 does not carry. Symmetry also gives "
        "C2 = C1, so Σ = C1⁻¹/N_d. Replicate Monte Carlo agrees; the oracle's Σ = 2 I_F⁻¹ (Corollary 2's efficiency taken for any noise) and eq. 63 "
        "as printed are rejected.",
    ),
    Claim(
        id="cnce-asymptotic-covariance-any-k",
        title="CNCE asymptotic covariance for K noise points per data point",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED, "Appendix B.2, eqs. 40–54 (variance of the gradient for K = N_n/N_d)",
                        r"\text{Var}\,\mathbf{J}_N = \frac{4K}{N_d K^2}\mathbb{E}[\mathbf{s}\mathbf{s}^\top] + 2\cdot\frac{4(K^2-K)}{N_d K^2}\mathbb{E}[\mathbf{s}(\mathbf{x},\mathbf{y})\mathbf{s}(\mathbf{x},\mathbf{y}')^\top] \;(\text{eqs. }47\text{–}49) = \frac{4K}{N_dK^2}\mathbb{E}[\nabla F\nabla F^\top P_0^2] + 4\times\frac{4(K^2-K)}{N_dK^2}\mathbb{E}_{\mathbf{x}}[\mathbb{E}_{\mathbf{y}}[\nabla F P_0]] \;(\text{eqs. }50\text{–}54)"),),
        expected_verdict="refuted",
        derivation=derivation.cnce_any_k,
        required_resolution=0.10,
        resolution_reason="the corrected Σ_K and the printed independent-pairs formula C1⁻¹C2C1⁻¹/K differ by the "
        "(1 − 1/K) C1⁻¹C3C1⁻¹ term, which is about 10 % of Σ_K for the weakly correlated noises",
        checks=any_k_checks,
        corrected=r"\sqrt{N_d}(\hat\theta-\theta^*) \to \mathcal N\Big(0,\ \tfrac1K C_1^{-1}C_2C_1^{-1} + \big(1-\tfrac1K\big)C_1^{-1}C_3C_1^{-1}\Big),\quad C_3 = \mathbb{E}_{\mathbf{x}}\big[\mathbf m(\mathbf x)\mathbf m(\mathbf x)^\top\big],\ \mathbf m(\mathbf x) = \mathbb{E}_{\mathbf y\sim p_n(\cdot|\mathbf x)}[\nabla_\theta F\,\sigma(-F)]",
        summary="Eqs. 48 and 49 repeat one term (the off-diagonal pairs are counted twice) and eqs. 51–54 print "
        "E_x[E_y[∇F P0]] — a vector that is 0 at θ* — instead of E_x[m mᵀ]. Taken as printed the correlation of the "
        "K noise points of one x disappears and Σ would be C1⁻¹C2C1⁻¹/K (below the CRLB for the oracle at K ≥ 3). "
        "The corrected Σ_K (oracle: (1 + 1/K) I_F⁻¹) matches replicate Monte Carlo; the K = 1 formula and the "
        "independent-pairs formula are rejected.",
    ),
    Claim(
        id="cnce-oracle-2crlb",
        title="Corollary 2: oracle noise reaches twice the Cramér–Rao bound",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED, "Corollary 2, eq. 7; proof appendix B.3, eqs. 65–76",
                        r"p_n(\mathbf{y}|\mathbf{x}) = p_d(\mathbf{x}):\quad \mathbb{E}\|\hat{\theta} - \theta^*\|^2 = \frac{2}{N_d} \text{trace}(\mathbf{I}_F^{-1}) + o\left(\frac{1}{N_d}\right)"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.corollary2,
        required_resolution=0.10,
        resolution_reason="to tell 2×CRLB from 2.2×CRLB (a 10 % worse estimator, the margin a reader would care about "
        "in an efficiency claim) the trace must be resolved to 10 %",
        checks=oracle_checks,
        conditions=("the oracle is p_n(y|x) = p_d(y) as in the proof (the printed p_d(x) is not a density in y)",
                    "one noise point per data point (K = 1); with K it is (1 + 1/K) tr I_F⁻¹ / N_d",
                    "near-optimal means within a factor 2 of the CRLB; it is not shown to be optimal"),
        summary="The proof (eqs. 65–76) checks step by step; quadrature gives tr Σ = 2 tr I_F⁻¹ to 1e-12 on four models "
        "and replicate Monte Carlo agrees, rejecting the CRLB itself (quick profile) and an estimator 10 % less efficient (full profile, at 5 % resolution). The printed noise p_d(x) is a typo for p_d(y). "
        "The efficiency figure shows local noise far above 2×CRLB at small ε for K = 1 and the approach to the oracle as "
        "the global weight grows.",
    ),
)
