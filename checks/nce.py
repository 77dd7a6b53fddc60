r"""Checks of noise-contrastive estimation basics (seed 000): optimal discriminator,
identifiability, and NCE with a learned normalizer.

Stochastic checks fit NCE on R replicate data sets at once (batched Newton, :func:`theory.nce.fit`);
the standard error is the replicate standard deviation over :math:`\sqrt R`, scaled by
:math:`t_{R-1}/z` quantiles (:func:`t_corrected_mean`). A replicate whose
Newton iteration did not converge is reported in the check's details and excluded; if any
replicate fails the check is marked diverged. Deterministic checks use quadrature on the toy
model (:mod:`theory.toy`), with the quadrature error as standard error.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ebmcheck.checks.anatomy import ALPHA, BETA, Check, Claim, Context, Source, ZTest, t_corrected_mean
from ebmcheck.checks.sequential import sequential_means
from ebmcheck.checks.figures import new_figure
from ebmcheck.derivations import nce as derivation
from ebmcheck.theory import models, nce
from ebmcheck.theory import noise as nz
from ebmcheck.theory.symbolic import compile_expression
from ebmcheck.theory.toy import ToyModel

TOPIC = "nce"
HOST_ONLY = ("batched Newton fits through theory.fitting and noise densities with SciPy special functions (scipy.special.log1p, exact to numpy's last bit only on the host)")  # why --backend does not reach these checks


def _replicate_mean(values: np.ndarray, converged: np.ndarray) -> tuple[float, float]:
    """:func:`t_corrected_mean` over replicates; NaN (diverged) when any replicate did not converge."""
    if not converged.all():
        return math.nan, math.nan
    return t_corrected_mean(values)


def _samples(model, theta, noise, replicates: int, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """R data sets of n exact draws, then one noise point per data point (m = n)."""
    x = np.stack([model.sample(theta, n, rng) for _ in range(replicates)])
    y = noise.sample(x, 1, rng)[..., 0, :]
    return x, y


# ---- nce-optimal-discriminator ---------------------------------------------------------------
def _quadratic_logit_model() -> models.Model:
    x = sp.Symbol("x", real=True)
    w1, w2 = sp.Symbol("w1", real=True), sp.Symbol("w2", real=True)
    return models.Model("quadratic logit", (x,), (w1, w2), w1 * x + w2 * x**2)


def discriminator_checks(context: Context) -> list[Check]:
    r"""Logistic regression on (1, x, x²) between data and noise samples converges to log p_d − log p_n.

    Sequential (:func:`checks.sequential.sequential_means`): replicate fits are drawn in batches
    (each from its own stream) and the three coefficients are watched through one confidence
    sequence each, at α/3 (Bonferroni, so the three checks together spend α). A check stops when a
    prediction leaves its sequence, or when every coefficient resolves its gap to the control
    (resolution reached ≤ |control − prediction|, i.e. power 1 − β against it), or at its budget
    (→ inconclusive). Fitted coefficients of a logistic regression are close to normal, the case
    where the sequence keeps its level (``benchmarks/bench_sequential.py``); looks start at 32 fits.
    """
    exports = derivation.optimal_discriminator().exports
    symbols = exports["symbols"]
    logit_coefficients = [compile_expression(symbols, e, cse=False) for e in exports["logit_coefficients"]]
    data_coefficients = [compile_expression(symbols, e, cse=False) for e in exports["data_coefficients"]]
    model = _quadratic_logit_model()
    n = context.size(quick=4000, full=40000)
    batch_size, max_batches = 16, context.size(quick=8, full=32)
    checks = []
    for m_d, s_d, m_n, s_n in ((0.5, 0.8, -0.5, 1.5), (1.0, 1.0, -0.5, 2.0)):
        setting = f"data N({m_d},{s_d}²) noise N({m_n},{s_n}²)"
        prediction = np.array([float(f(m_d, s_d, m_n, s_n)) for f in logit_coefficients])
        control = np.array([float(f(m_d, s_d, m_n, s_n)) for f in data_coefficients])

        def draw_batch(index, m_d=m_d, s_d=s_d, m_n=m_n, s_n=s_n, setting=setting):
            rng = context.rng(f"{setting} batch {index}")
            x = m_d + s_d * rng.standard_normal((batch_size, n, 1))
            y = m_n + s_n * rng.standard_normal((batch_size, n, 1))
            fit = nce.fit(model, x, y, None, np.zeros(3), log_noise=(0.0, 0.0))  # log p_n left out of the logit
            coefficients = fit.params[:, [2, 0, 1]]  # (w1, w2, c) → (const, x, x²)
            return np.where(fit.converged[:, None], coefficients, np.nan)  # a failed fit diverges the check

        run = sequential_means(draw_batch, prediction, control, alpha=ALPHA, beta=BETA,
                               resolution=np.abs(control - prediction), batch_size=batch_size,
                               max_batches=max_batches, planned_n=4 * batch_size, first_look=2 * batch_size)
        for power, label in ((0, "1"), (1, "x"), (2, "x^2")):
            estimate, error = float(run.estimate[power]), float(run.standard_error[power])
            checks.append(Check(
                f"data N({m_d}, {s_d}²), noise N({m_n}, {s_n}²): coefficient of {label}",
                rf"\text{{logit coefficient of }} {label}",
                ZTest(float(prediction[power]), estimate, error),
                ZTest(float(control[power]), estimate, error),
                "logit = log p_d (the noise density left out of D*)", "monte-carlo (sequential)",
                alpha=run.alpha, sequential=run.stopped, resolution_reached=float(run.resolution[power]),
                details={"replicates": run.n, "batches": run.batches, "n": n, "stopped": run.stopped,
                         "radius": float(run.radius[power]), "resolution_reached": float(run.resolution[power]),
                         "looks": run.history["n"], "radius_at_looks": run.history["radius"][:, power]}))
    return checks


# ---- nce-identifiability ---------------------------------------------------------------------
def identifiability_checks(context: Context) -> list[Check]:
    r"""Excess population NCE loss = ∫(p_d + p_n) KL(Bern D* ‖ Bern D_θ,c) on the toy model (L = 4), by quadrature."""
    kl = compile_expression((derivation.p_d, derivation.p_n, derivation.D), derivation.identifiability().exports["pointwise_excess"], cse=False)
    model = ToyModel(-2.0, 2.0)
    theta_star, mu = -math.log(4.0), 1.0
    c_star = -float(model.log_partition(theta_star))
    best = model.nce_loss(theta_star, theta_star, mu, c_star, normalized_noise=True)
    checks = []
    points = ((0.0, c_star), (-3.0, c_star + 0.5), (theta_star, c_star - 1.0), (2.0, -1.0))
    for theta, c in points:
        loss = model.nce_loss(theta, theta_star, mu, c, normalized_noise=True)
        excess, excess_error = float(loss.value[0] - best.value[0]), float(loss.error[0] + best.error[0])

        def pointwise(x, theta=theta, c=c):
            p_d = np.exp(model.log_density(x, theta_star))
            p_n = np.exp(model.log_density(x, mu))
            d = 1 / (1 + np.exp(-(c + model.log_f(x, theta) - model.log_density(x, mu))))
            return kl(p_d, p_n, d) / (p_d + p_n)  # KL per unit of (p_d + p_n) weight

        data_part = model.expect(pointwise, theta_star)
        noise_part = model.expect(pointwise, mu)
        divergence = float(data_part.value[0] + noise_part.value[0])
        error = excess_error + float(data_part.error[0] + noise_part.error[0])
        checks.append(Check(
            f"toy L=4, (θ, c) = ({theta:.3g}, {c:.3g})", r"J(\theta, c) - J(\theta_*, c_*)",
            ZTest(divergence, excess, error), ZTest(float(data_part.value[0]), excess, error),
            "divergence weighted by p_d only (noise samples' part left out)", "quadrature"))
    return checks


# ---- nce-learned-normalizer ------------------------------------------------------------------
def _experiments():
    noises = {"N(0, 1.5²)": nz.Gaussian([0.0], [[1.5**2]]), "logistic(0.5, 1)": nz.Logistic(0.5, 1.0),
              "N(0, 3²)": nz.Gaussian([0.0], [[3.0**2]])}
    return [
        ("gaussian-1d (mean, precision)", models.gaussian(1), np.array([0.5, 2.0]), np.array([0.0, 1.0, 0.0]), ["N(0, 1.5²)"], noises, 1),
        ("gaussian-precision", models.gaussian_precision(), np.array([4.0]), np.array([1.0, 0.0]), ["N(0, 1.5²)", "logistic(0.5, 1)"], noises, 0),
        ("two-mode mixture a=−2, b=2", models.two_mode_mixture(-2, 2), np.array([-math.log(4.0)]), np.array([0.0, 0.0]),
         ["N(0, 3²)", "logistic(0.5, 1)"], noises, 0),
    ]


def normalizer_checks(context: Context) -> list[Check]:
    replicates, n = context.size(quick=16, full=64), context.size(quick=4000, full=40000)
    checks, rows = [], []
    for family, model, theta_star, init, noise_names, noises, component in _experiments():
        log_z = float(model.log_normalizer(theta_star))
        for noise_name in noise_names:
            noise = noises[noise_name]
            rng = context.rng(f"{family} / {noise_name}")
            x, y = _samples(model, theta_star, noise, replicates, n, rng)
            fit = nce.fit(model, x, y, noise, init)
            without = nce.fit(model, x, y, noise, init, fixed_normalizer=0.0)
            details = {"replicates": replicates, "n": n, "non_converged": int((~fit.converged).sum()),
                       "non_converged_without_normalizer": int((~without.converged).sum()), "log_Z": log_z}
            c_hat, c_error = _replicate_mean(fit.params[:, -1], fit.converged)
            checks.append(Check(
                f"{family}, noise {noise_name}: c", r"\hat c = -\log\hat Z",
                ZTest(-log_z, c_hat, c_error), ZTest(log_z, c_hat, c_error),
                "c = +log Z (Z in place of 1/Z)", "monte-carlo", details=details))
            # the component the normalizer moves (a Gaussian's mean is unaffected by a missing Z)
            theta_hat, theta_error = _replicate_mean(fit.params[:, component], fit.converged)
            control, control_error = _replicate_mean(without.params[:, component], without.converged)
            checks.append(Check(
                f"{family}, noise {noise_name}: {model.theta[component]}", rf"\hat{{{sp.latex(model.theta[component])}}}",
                ZTest(float(theta_star[component]), theta_hat, theta_error), ZTest(float(theta_star[component]), control, control_error),
                "NCE without the learned normalizer (c fixed at 0) on the same samples", "monte-carlo", details=details))
            rows.append((f"{family}\n{noise_name}", c_hat, c_error, -log_z))
    _figure(context, rows)
    return checks


def _figure(context: Context, rows) -> None:
    figure, (axis,) = new_figure(width=7.0)
    positions = np.arange(len(rows))
    axis.errorbar(positions, [r[1] for r in rows], yerr=[3.89 * r[2] for r in rows], fmt="o", label=r"NCE $\hat c$ (mean ± 3.89 se)")
    axis.scatter(positions, [r[3] for r in rows], marker="_", s=400, color="k", label=r"$-\log Z(\theta_*)$ (closed form)")
    axis.set_xticks(positions, [r[0] for r in rows], fontsize=7)
    axis.set_ylabel(r"learned log-normalizer $c$")
    axis.legend(fontsize=8)
    context.add_figure("normalizer", figure,
                       "NCE with a learned log-normalizer recovers −log Z of the data model for several families and noises "
                       "(replicates fitted at once by batched Newton).")


SEED_000 = "000"
CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="nce-optimal-discriminator",
        title="The optimal NCE discriminator",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED_000, "Noise Contrastive Estimation, 'Optimal Discriminator'", r"D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_n(x)}"),
                 Source("002", "slide 'a. Noise Contrastive Estimation'", r"D_{\rm opt}(x) = \frac{\rho_*(x)}{\rho_*(x) + \mu(x)}")),
        expected_verdict="verified-with-conditions",
        derivation=derivation.optimal_discriminator,
        checks=discriminator_checks,
        conditions=("equal numbers of data and noise samples (prior ½/½); with ν noise samples per data sample "
                    "D* = p_d/(p_d + ν p_n)",),
        summary="Logistic regression on (1, x, x²) between Gaussian data and Gaussian noise converges to the derived "
        "coefficients of log p_d − log p_n; leaving the noise out of D* is rejected.",
    ),
    Claim(
        id="nce-identifiability",
        title=r"$D_\theta = D^*$ if and only if $p_\theta = p_d$",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED_000, "'Mathematical Justification'",
                        r"\frac{p_\theta(x)}{p_\theta(x) + p_n(x)} = \frac{p_{data}(x)}{p_{data}(x) + p_n(x)} \iff p_\theta(x) = p_{data}(x) \ (p_n(x) > 0)"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.identifiability,
        checks=identifiability_checks,
        conditions=("p_n > 0 wherever p_d or p_θ is positive",),
        summary="The excess population NCE loss equals ∫(p_d + p_n) KL(Bern D* ‖ Bern D_θ) exactly (quadrature on the toy "
        "model with a learned normalizer), so it is zero iff D_θ = D*, i.e. iff p_θ = p_d where p_n > 0.",
    ),
    Claim(
        id="nce-learned-normalizer",
        title="NCE with the partition function as a trainable parameter",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(SEED_000, "'Modeling the Partition Function as a Trainable Parameter' and the NCE objective",
                        r"h_{\theta, Z}(x) = f_\theta(x) - \log p_n(x) - \log Z; \text{ in the limit of infinite data and perfect "
                        r"optimization, the EBM matches the data distribution and } Z \text{ matches the true partition function}"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.learned_normalizer,
        checks=normalizer_checks,
        conditions=("the data density is in the model family (realizable)", "p_n > 0 wherever p_d > 0"),
        summary="Fitted on samples from models with known Z (Gaussian mean/precision, Gaussian precision, two-mode "
        "mixture), with Gaussian and logistic noises, NCE's ĉ matches −log Z and θ̂ matches θ*; the same fit without the "
        "normalizer is biased.",
    ),
)
