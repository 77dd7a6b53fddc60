r"""Checks for the lecture notes (seed 000) and the slides (seed 002) beyond the existing topics.

All checks are deterministic quadratures (composite Gauss–Legendre with its refinement as the error
estimate, :func:`theory.quadrature.refine`; Gauss–Hermite for polynomial integrands, exact up to
rounding); the predictions come from :mod:`derivations.notes`' exports.

* ``notes-sm-boundary-conditions``: Exp(1) data (conditions 1–3 of the notes hold), Gaussian model
  score s_θ = −λ(x − μ): E[s_θ s_p] + E[s_θ'] equals the edge term −λμ, not 0 (l.144).
* ``notes-nce-r-sign``: ρ_* = N(0, 1), noise μ = N(0, 4), F_θ = e^{−(x−m)²/2 − c}: the printed
  R is minus the logistic loss, and concave in c at θ* (a maximum, not a loss minimum).
* ``notes-dsm-vincent``: ρ_* a two-Gaussian mixture, σ ∈ {0.5, 1}, model s_θ = −a(x − b):
  DSM − SM_σ = 1/σ² − E|∇log ρ_σ|² for every θ, and θ-differences of DSM match those of SM_σ, not
  of the slide's SM (to ρ_*).
* ``notes-sm-consistency``: SM's population objective has its minimum at the data's weight for a
  mixture with a positive density, and is flat in the weight for disjoint supports.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import optimize

from ebmcheck.checks.anatomy import Check, Claim, Context, NotEncoded, Source, ZTest
from ebmcheck.checks.figures import new_figure
from ebmcheck.derivations import notes as derivation
from ebmcheck.theory import asymptotics, quadrature
from ebmcheck.theory.densities import gaussian_log_pdf
from ebmcheck.theory.symbolic import compile_expression

TOPIC = "notes"
HOST_ONLY = ("deterministic quadrature (Gauss–Legendre with refinement, Gauss–Hermite) on at most 10⁵ nodes with "
             "numpy; milliseconds on a CPU, no array-API path")
NOTES, SLIDES = "000", "002"


def _quadrature_1d(log_density, func, lo, hi):
    """E_p[func] for p ∝ e^{log_density} on [lo, hi], with its refinement error."""
    return quadrature.expect(lambda x: log_density(x[:, 0]), lambda x: func(x[:, 0]), lo, hi)


# ---- notes-sm-boundary-conditions -----------------------------------------------------------------
def boundary_checks(context: Context) -> list[Check]:
    r"""Exp(1) data: E[s_θ s_p] − (−E[s_θ']) against the derived edge term −λμ (printed: 0)."""
    exports = derivation.sm_boundary_conditions().exports
    edge = compile_expression((derivation.lam, derivation.mu), exports["edge_term"], cse=False)
    checks = []
    for lam, mu in [(1.0, 0.5), (2.0, -1.0), (0.5, 2.0)]:
        def residual(x, lam=lam, mu=mu):
            score_model, score_data, score_model_prime = -lam * (x - mu), -1.0, -lam
            return score_model * score_data + score_model_prime
        estimate, error = _quadrature_1d(lambda x: -x, residual, 0.0, 80.0)
        checks.append(Check(
            name=f"Exp(1) data, s_θ = −{lam}(x − {mu})",
            quantity=r"\mathbb{E}_p[s_\theta s_p] + \mathbb{E}_p[s_\theta']",
            test=ZTest(float(edge(lam, mu)), float(estimate), float(error)),
            control=ZTest(0.0, float(estimate), float(error)),
            control_label="l.144 under the notes' conditions 1–3 (boundary term vanishes: 0)",
            error_kind="quadrature", control_is_statement=True, details={"lambda": lam, "mu": mu},
        ))
    return checks


# ---- notes-nce-r-sign -------------------------------------------------------------------------------
NOISE_SD = 2.0
THETA_STAR = (0.0, 0.5 * np.log(2 * np.pi))  # (m, c): F_θ* = ρ_*


def _pair_expectation(function, m, c):
    """E_{x∼N(0,1), y∼N(0, 4)}[function(F(x), μ(x), F(y), μ(y))] on a product Gauss–Legendre grid."""
    def at_level(level):
        nodes, weights = quadrature.gauss_legendre(-14.0, 14.0, quadrature.refined(40, level), 16)
        px, py = weights * np.exp(gaussian_log_pdf(nodes, 0.0, 1.0)), weights * np.exp(gaussian_log_pdf(nodes, 0.0, NOISE_SD))
        f = np.exp(-0.5 * (nodes - m) ** 2 - c)
        mu_n = np.exp(gaussian_log_pdf(nodes, 0.0, NOISE_SD))
        values = function(f[:, None], mu_n[:, None], f[None, :], mu_n[None, :])
        total = px[:, None] * py[None, :] * values
        return total.sum(), np.abs(total).sum()
    return quadrature.refine(at_level)


def r_sign_checks(context: Context) -> list[Check]:
    exports = derivation.nce_r_sign().exports
    symbols = (derivation.Fx, derivation.mux, derivation.Fy, derivation.muy)
    printed, loss = (compile_expression(symbols, exports[k], cse=False) for k in ("printed", "loss"))
    curvature = compile_expression(symbols, exports["curvature"], cse=False)
    checks = []
    for m, c in [THETA_STAR, (0.5, 1.0), (-1.0, 0.3)]:
        value, error = _pair_expectation(printed, m, c)
        loss_value, loss_error = _pair_expectation(loss, m, c)
        checks.append(Check(
            name=f"population R at (m, c) = ({m:.2f}, {c:.2f})", quantity=r"R_{\text{printed}}(\theta)",
            test=ZTest(float(-loss_value), float(value), float(error + loss_error)),
            control=ZTest(float(loss_value), float(value), float(error + loss_error)),
            control_label="the printed R is the reminder's logistic loss (same R)", error_kind="quadrature",
            control_is_statement=True, details={"m": m, "c": c},
        ))
    m, c = THETA_STAR
    step = 1e-2
    values = [_pair_expectation(printed, m, c + k * step) for k in (-1, 0, 1)]
    second = (values[0][0] - 2 * values[1][0] + values[2][0]) / step**2
    wide = [_pair_expectation(printed, m, c + k * 2 * step)[0] for k in (-1, 0, 1)]
    second_wide = (wide[0] - 2 * wide[1] + wide[2]) / (2 * step) ** 2
    fd_error = abs(second - second_wide) + 4 * sum(v[1] for v in values) / step**2
    predicted, predicted_error = _pair_expectation(curvature, m, c)
    checks.append(Check(
        name="curvature of the printed R along c at θ*", quantity=r"\partial_c^2 R_{\text{printed}}(\theta_*)",
        test=ZTest(float(predicted), float(second), float(fd_error + predicted_error)),
        control=ZTest(float(-predicted), float(second), float(fd_error + predicted_error)),
        control_label="θ* minimises the printed R as a loss (positive curvature E[D(1−D)])",
        error_kind="finite-difference", control_is_statement=True,
    ))
    return checks


# ---- notes-dsm-vincent --------------------------------------------------------------------------------
WEIGHTS, MEANS, SDS = np.array([0.3, 0.7]), np.array([-2.0, 1.5]), np.array([0.5, 1.0])


def _mixture_log_density_and_score(x, extra_var):
    sds = np.sqrt(SDS**2 + extra_var)
    log_parts = np.log(WEIGHTS) + gaussian_log_pdf(x[..., None], MEANS, sds)
    top = log_parts.max(axis=-1, keepdims=True)
    resp = np.exp(log_parts - top)
    log_density = top[..., 0] + np.log(resp.sum(axis=-1))
    resp = resp / resp.sum(axis=-1, keepdims=True)
    return log_density, (resp * (-(x[..., None] - MEANS) / sds**2)).sum(axis=-1)


def _dsm(a, b, sigma, noise_score):
    """E|∇log g(ε) − s_θ(X+ε)|² by Gauss–Hermite over each component and ε (exact: degree 2)."""
    def at_level(level):
        z, wz = np.polynomial.hermite_e.hermegauss(8 * (level + 1))
        wz = wz / wz.sum()
        xs = MEANS[:, None, None] + SDS[:, None, None] * z[None, :, None]
        e = sigma * z[None, None, :]
        integrand = (noise_score(e, sigma) - (-a * (xs + e - b))) ** 2
        weights = WEIGHTS[:, None, None] * wz[None, :, None] * wz[None, None, :]
        return (weights * integrand).sum(), (weights * np.abs(integrand)).sum()
    return quadrature.refine(at_level)


def _fisher(a, b, sigma, smoothed: bool):
    """E_ρ|s_θ − ∇log ρ|² (and E_ρ|∇log ρ|²) for ρ = ρ_σ (smoothed) or ρ_*."""
    extra = sigma**2 if smoothed else 0.0
    def log_density(x):
        return _mixture_log_density_and_score(x, extra)[0]
    def func(x):
        score = _mixture_log_density_and_score(x, extra)[1]
        return np.stack([(-a * (x - b) - score) ** 2, score**2], axis=-1)
    return _quadrature_1d(log_density, func, -16.0, 16.0)


def dsm_checks(context: Context) -> list[Check]:
    exports = derivation.dsm_vincent().exports
    constant = compile_expression((derivation.sigma, derivation.fisher_sigma), exports["dsm_minus_sm_sigma"], cse=False)
    noise_score = compile_expression((derivation.eps, derivation.sigma), exports["noise_score"], cse=False)
    checks = []
    thetas = [(1.0, 0.0), (0.5, 1.0), (2.0, -1.0)]
    for sigma in (0.5, 1.0):
        dsm = {t: _dsm(*t, sigma, noise_score) for t in thetas}
        smoothed = {t: _fisher(*t, sigma, True) for t in thetas}
        for t in thetas:
            (sm_sigma, fisher_term), (err_sm, err_fisher) = smoothed[t]
            estimate, error = dsm[t][0] - sm_sigma, dsm[t][1] + err_sm
            checks.append(Check(
                name=f"constant, σ={sigma}, θ={t}", quantity=r"\mathrm{DSM}(\theta) - \mathrm{SM}_\sigma(\theta)",
                test=ZTest(float(constant(sigma, fisher_term)), float(estimate), float(error + err_fisher)),
                control=ZTest(1.0 / sigma**2, float(estimate), float(error + err_fisher)),
                control_label="constant without the Fisher information of ρ_σ (1/σ²)", error_kind="quadrature",
                details={"sigma": sigma, "theta": t},
            ))
        first, second = thetas[0], thetas[1:]
        for t in second:
            estimate = dsm[t][0] - dsm[first][0]
            error = dsm[t][1] + dsm[first][1]
            star_t, star_first = _fisher(*t, sigma, False), _fisher(*first, sigma, False)
            pred = smoothed[t][0][0] - smoothed[first][0][0]
            pred_err = smoothed[t][1][0] + smoothed[first][1][0]
            printed = star_t[0][0] - star_first[0][0]
            checks.append(Check(
                name=f"θ-difference, σ={sigma}, θ={t} vs {first}", quantity=r"\mathrm{DSM}(\theta) - \mathrm{DSM}(\theta_0)",
                test=ZTest(float(pred), float(estimate), float(error + pred_err)),
                control=ZTest(float(printed), float(estimate), float(error + pred_err)),
                control_label="the slide's SM(θ) = E_*|∇log ρ_θ − ∇log ρ_*|² (Fisher divergence to ρ_*, not ρ_σ)",
                error_kind="quadrature", control_is_statement=True, details={"sigma": sigma, "theta": t},
            ))
    return checks


# ---- notes-sm-consistency ------------------------------------------------------------------------------
W_STAR = 0.3


def _bump_log(u):
    inside = np.abs(u) < 1
    return np.where(inside, np.log(15 / 16) + 2 * np.log(np.where(inside, 1 - u**2, 1.0)), -np.inf)


def _disjoint_objective(weight):
    """J(w) = E_{p_{w*}}[½ s_w² + s_w'] on the two bumps, each piece by Gauss–Legendre."""
    total, error = 0.0, 0.0
    for data_weight, model_weight, centre in ((W_STAR, weight, -3.0), (1 - W_STAR, 1 - weight, 3.0)):
        def func(x, centre=centre):
            u = x - centre
            score = -4 * u / (1 - u**2)
            score_prime = -4 * (1 + u**2) / (1 - u**2) ** 2
            return 0.5 * score**2 + score_prime + 0 * np.log(model_weight)
        value, err = _quadrature_1d(lambda x, centre=centre: _bump_log(x - centre), func, centre - 1, centre + 1)
        total, error = total + data_weight * value, error + data_weight * err
    return float(total), float(error)


def _overlap_objective(weight, panels):
    """J(w) for p_w = w N(−1, 1) + (1−w) N(1, 1), data at w*, on a fixed Gauss–Legendre rule."""
    nodes, weights = quadrature.gauss_legendre(-14.0, 14.0, panels, 16)
    data = W_STAR * np.exp(gaussian_log_pdf(nodes, -1.0, 1.0)) + (1 - W_STAR) * np.exp(gaussian_log_pdf(nodes, 1.0, 1.0))
    r = weight * np.exp(gaussian_log_pdf(nodes, -1.0, 1.0))
    q = (1 - weight) * np.exp(gaussian_log_pdf(nodes, 1.0, 1.0))
    resp = r / (r + q)
    score = resp * (-(nodes + 1)) + (1 - resp) * (-(nodes - 1))
    score_prime = -1 + resp * (1 - resp) * 4  # Var of the component mean under the responsibilities
    return float((weights * data * (0.5 * score**2 + score_prime)).sum())


def consistency_checks(context: Context) -> list[Check]:
    flat = float(derivation.sm_consistency().exports["flat_value"])
    checks = []
    for weight in (0.1, 0.5, 0.9):
        value, error = _disjoint_objective(weight)
        kl = W_STAR * np.log(W_STAR / weight) + (1 - W_STAR) * np.log((1 - W_STAR) / (1 - weight))
        checks.append(Check(
            name=f"disjoint supports, w = {weight}", quantity=r"J(w)",
            test=ZTest(flat, value, error), control=ZTest(flat + float(kl), value, error),
            control_label="a weight-sensitive objective: J(w*) + KL(p_{w*}‖p_w)", error_kind="quadrature",
            details={"w": weight, "w_star": W_STAR},
        ))
    argmins = [optimize.minimize_scalar(_overlap_objective, bounds=(0.01, 0.99), args=(panels,), method="bounded",
                                        options={"xatol": 1e-10}).x for panels in (60, 120)]
    checks.append(Check(
        name="positive density: argmin of J", quantity=r"\arg\min_w J(w)",
        test=ZTest(W_STAR, float(argmins[1]), float(abs(argmins[1] - argmins[0]) + 1e-8)),
        control=ZTest(0.5, float(argmins[1]), float(abs(argmins[1] - argmins[0]) + 1e-8)),
        control_label="no learning: the weight stays at its start ½ (as with disjoint supports)", error_kind="quadrature",
    ))
    return checks


# ---- notes-nce-noise-distance --------------------------------------------------------------------------
NOISE_SHIFTS = (0.0, 1.0, 2.0, 3.0)


def _nce_pieces(shift, scale=1.0, level=0):
    """At θ* = (0, log√(2π)) of the model log f = −(x − m)²/2 − c, data N(0, 1), noise N(shift, scale²):
    nodes, weights, p, μ, g = ∇_θ log f and D* = p/(p + μ)."""
    nodes, weights = quadrature.gauss_legendre(-14.0, 14.0 + abs(shift), quadrature.refined(60, level), 16)
    p = np.exp(gaussian_log_pdf(nodes, 0.0, 1.0))
    mu_n = np.exp(gaussian_log_pdf(nodes, shift, scale))
    g = np.stack([nodes, -np.ones_like(nodes)])
    return weights, p, mu_n, g, p / (p + mu_n)


def _population_loss(theta, shift, scale, level):
    weights, p, mu_n, _, _ = _nce_pieces(shift, scale, level)
    nodes = quadrature.gauss_legendre(-14.0, 14.0 + abs(shift), quadrature.refined(60, level), 16)[0]
    logit = -0.5 * (nodes - theta[0]) ** 2 - theta[1] - np.log(mu_n)
    return float((weights * (p * np.logaddexp(0, -logit) + mu_n * np.logaddexp(0, logit))).sum())


def _measured_variance(shift, scale=1.0):
    """Σ_mm measured without the derivation's identities: A by finite differences of the population loss,
    B = Var ψ from the data and noise parts of the pair score; Σ = A⁻¹BA⁻¹."""
    def at_level(level):
        theta = np.array([0.0, 0.5 * np.log(2 * np.pi)])
        h = 1e-3 * (level + 1)
        hessian = np.empty((2, 2))
        for i in range(2):
            for j in range(2):
                ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
                hessian[i, j] = (_population_loss(theta + ei + ej, shift, scale, level)
                                 - _population_loss(theta + ei - ej, shift, scale, level)
                                 - _population_loss(theta - ei + ej, shift, scale, level)
                                 + _population_loss(theta - ei - ej, shift, scale, level)) / (4 * h * h)
        weights, p, mu_n, g, d = _nce_pieces(shift, scale, level)
        data_part, noise_part = g * (1 - d), g * d
        mean_data, mean_noise = (data_part * weights * p).sum(1), (noise_part * weights * mu_n).sum(1)
        b = ((data_part * weights * p) @ data_part.T - np.outer(mean_data, mean_data)
             + (noise_part * weights * mu_n) @ noise_part.T - np.outer(mean_noise, mean_noise))
        inverse = np.linalg.inv(hessian)
        return (inverse @ b @ inverse)[0, 0], 1.0
    value, error = quadrature.refine(at_level)
    return float(value), float(error)


@functools.cache
def _variance_formula():
    exports = derivation.nce_noise_variance().exports
    return compile_expression((derivation.a11, derivation.a12, derivation.a22, derivation.m1, derivation.m2),
                              exports["variance_mean"], cse=False)


def _derived_variance(shift, scale=1.0):
    """Σ_mm from the derivation's export with A = ∫ggᵀpμ/(p+μ), m = ∫g pμ/(p+μ) by quadrature
    (:func:`theory.asymptotics.nce_matrices`)."""
    formula = _variance_formula()
    def at_level(level):
        weights, p, mu_n, g, _ = _nce_pieces(shift, scale, level)
        a, m = asymptotics.nce_matrices(g.T, p, mu_n, weights)
        return formula(a[0, 0], a[0, 1], a[1, 1], m[0], m[1]), 1.0
    value, error = quadrature.refine(at_level)
    return float(value), float(error)


def noise_distance_checks(context: Context) -> list[Check]:
    checks, derived = [], {}
    for shift in NOISE_SHIFTS:
        derived[shift] = _derived_variance(shift)
        value, error = _measured_variance(shift)
        control = 1.0 if shift == 0.0 else 0.5 * derived[shift][0]
        checks.append(Check(
            name=f"noise N({shift}, 1)", quantity=r"\Sigma_{mm}",
            test=ZTest(derived[shift][0], value, error + derived[shift][1]),
            control=ZTest(control, value, error + derived[shift][1]),
            control_label="the Cramér–Rao bound 1 (NCE as efficient as ML)" if shift == 0.0 else "half the derived variance",
            error_kind="finite-difference", details={"shift": shift},
        ))
    (near, near_error), (far, far_error) = _measured_variance(0.0), _measured_variance(1.5)
    ratio_value = near / far
    ratio_pred = _derived_variance(0.0)[0] / _derived_variance(1.5)[0]
    ratio_error = ratio_value * (near_error / near + far_error / far)
    checks.append(Check(
        name="noise at the data vs shifted by 1.5", quantity=r"\Sigma_{mm}(\mu = \rho_*)/\Sigma_{mm}(\mu = N(1.5, 1))",
        test=ZTest(ratio_pred, ratio_value, ratio_error), control=ZTest(1.0, ratio_value, ratio_error),
        control_label="'too close is too difficult': the noise at the data does no better than a shifted one (ratio ≥ 1)",
        error_kind="finite-difference", control_is_statement=True,
    ))
    _noise_figure(context)
    return checks


def _noise_figure(context: Context) -> None:
    figure, (axes,) = new_figure()
    shifts = np.linspace(0.0, 3.5, 15)
    for scale in (0.8, 1.0, 2.0):
        axes.semilogy(shifts, [_derived_variance(s, scale)[0] for s in shifts], label=f"noise scale {scale}")
    axes.axhline(1.0, color="grey", linestyle=":", label="Cramér–Rao (ML)")
    axes.set_xlabel("noise mean (data N(0, 1))")
    axes.set_ylabel(r"NCE asymptotic variance of $\hat m$")
    axes.legend()
    context.add_figure("variance", figure, "Exact NCE asymptotic variance (ν = 1) of the mean of a Gaussian model as the "
                       "noise N(shift, scale²) moves away from the data N(0, 1): least at or near the data, growing fast with "
                       "the distance.")


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="notes-sm-boundary-conditions",
        title="When the boundary term of score matching's integration by parts vanishes (notes)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(NOTES, "Score Matching Reformulation (Univariate Case), 'Why does the boundary term vanish?' and l.144",
                        r"\text{vanishes under: 1. } p_{data}(x) \to 0 \text{ as } |x| \to \infty \text{ (most real-world "
                        r"distributions have finite support or decay to zero); 2. } \frac{d}{dx}\log p_\theta(x) \text{ grows "
                        r"at most polynomially; 3. } \frac{d}{dx}\log p_\theta(x)\, p_{data}(x) \to 0"),),
        expected_verdict="refuted",
        derivation=derivation.sm_boundary_conditions, checks=boundary_checks,
        corrected=(r"\mathbb{E}[s_\theta s_{data}] = -\mathbb{E}[s_\theta'] \text{ needs } p_{data} \text{ absolutely continuous on } "
                   r"\mathbb{R} \text{ (no jump at the edge of its support) and } p_{data} s_\theta \to 0 \text{ at } \pm\infty; "
                   r"\text{ otherwise add } -[p_{data} s_\theta] \text{ at each edge}"),
        summary="Exp(1) data with a Gaussian model score satisfies conditions 1–3 as printed, yet E[s_θ s_p] + E[s_θ'] "
        "equals the edge term −λμ (quadrature, three (λ, μ)), not 0: 'finite support' is exactly the case the conditions "
        "miss. Conditions 1–2 do not imply 3 either (Cauchy data, cubic score). The other lines of the derivation are "
        "those of hyvarinen-identity.",
    ),
    Claim(
        id="notes-nce-r-sign",
        title="NCE strategy's R(θ): a log-likelihood printed where the loss is meant (slides)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(SLIDES, "slides 'a. Noise Contrastive Estimation' (reminder) and 'NCE Strategy' (~l.285–298)",
                        r"R(\theta) = -\mathbb{E}_{x \sim \mathtt{true}} \log D_{\theta}(x) - \mathbb{E}_{y \sim \mathtt{fake}} "
                        r"\log(1 - D_{\theta}(y)); \quad \text{train using the logistic regression loss } R(\theta) = \frac{1}{n} "
                        r"\sum_{i=1}^{n} \log D_{\theta}(x_i^*) + \log(1 - D_{\theta}(y_i))"),),
        expected_verdict="refuted", typo=True,
        derivation=derivation.nce_r_sign, checks=r_sign_checks,
        corrected=r"R(\theta) = -\frac{1}{n} \sum_{i=1}^{n} \big[\log D_{\theta}(x_i^*) + \log(1 - D_{\theta}(y_i))\big] \text{ (minimise)}",
        summary="The reminder's R (l.285) is the loss; the NCE-strategy line (l.298) drops its minus sign: the printed R equals "
        "minus the loss at every θ (quadrature) and is concave in the log-normaliser at θ* (curvature −E[D(1−D)]), so "
        "minimising it, as 'train using the loss R' says, diverges (R → −∞ as F_θ → 0). Maximise l.298, or minimise l.285.",
    ),
    Claim(
        id="notes-dsm-vincent",
        title="Denoising score matching (Vincent): the identity, its constant, and which Fisher divergence",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(SLIDES, "slide 'd. Denoising Score Matching [Vincent 2009]' (~l.370–385), with SM(θ) of 'c.'",
                        r"SM(\theta) = \operatorname{cst} + \mathbb{E}_{X \sim \rho_*, \varepsilon \sim g}[|\nabla \log "
                        r"g(\varepsilon) - \nabla \log \rho_{\theta}(X + \varepsilon)|^2], \quad SM(\theta) = "
                        r"\mathbb{E}_*[|\nabla \log \rho_{\theta} - \nabla \log \rho_*|^2]"),),
        expected_verdict="refuted", typo=True,
        derivation=derivation.dsm_vincent, checks=dsm_checks,
        corrected=(r"\mathbb{E}_{\rho_\sigma}|\nabla\log\rho_\theta - \nabla\log\rho_\sigma|^2 = \operatorname{cst} + "
                   r"\mathbb{E}|\nabla \log g(\varepsilon) - \nabla \log \rho_{\theta}(X + \varepsilon)|^2, \quad "
                   r"\operatorname{cst} = \mathbb{E}_{\rho_\sigma}|\nabla\log\rho_\sigma|^2 - d/\sigma^2 \le 0, \ "
                   r"\rho_\sigma = \rho_* * \mathcal{N}(0, \sigma^2)"),
        summary="By Tweedie's formula the denoising objective equals the Fisher divergence to the smoothed law ρ_σ plus "
        "1/σ² − E|∇log ρ_σ|² (d = 1): on a two-Gaussian mixture this holds for every θ and σ ∈ {0.5, 1} to quadrature "
        "precision, and the θ-differences of DSM match those of SM_σ while those of the slide's SM (to ρ_*) are rejected. "
        "The slide's next bullet ('you don't learn ρ_* but ρ_noisy') says as much; the identity's left side is misprinted.",
    ),
    Claim(
        id="notes-sm-consistency",
        title="'Score matching provides a consistent estimator under mild conditions' (notes)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(NOTES, "Score Matching Algorithm, Advantages",
                        r"\text{Score matching provides a consistent estimator under mild conditions.}"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.sm_consistency, checks=consistency_checks,
        conditions=("the model is well specified and identifiable, and p_data > 0 on a connected open set (the SM objective "
                    "then has its unique minimum at θ*); with disjoint supports SM cannot see the modes' weights (flat "
                    "objective), and with separated modes it barely does (toy-sm-no-learning)",
                    "the boundary term vanishes (hyvarinen-identity, notes-sm-boundary-conditions) and the usual "
                    "M-estimation regularity holds"),
        summary="On a two-Gaussian mixture with overlapping modes the SM objective's minimiser over the weight is the data's "
        "weight to 1e-8; on two bumps with disjoint supports J(w) = −5 for every w (derived, quadrature), so no estimator "
        "of w based on SM is consistent: 'mild' must include a positive, connected density.",
    ),
    Claim(
        id="notes-nce-noise-distance",
        title="NCE with noise too close to / too far from the data (slides)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(SLIDES, "slide 'Limitations of NCE' (~l.305–308)",
                        r"\text{if } \mu \text{ is too close to } \rho_* \text{ then training the classifier is too difficult; if } "
                        r"\mu \text{ is too different to } \rho_* \text{ then classifying is too easy, there are near-optimal "
                        r"classifiers very different than the optimal one}"),),
        expected_verdict="refuted",
        derivation=derivation.nce_noise_variance, checks=noise_distance_checks,
        corrected=(r"\text{Far noise inflates NCE's asymptotic variance (here } \times 12 \text{ at a shift of 3); noise equal "
                   r"to } \rho_* \text{ does not: } D^* \equiv \tfrac12 \text{ but } \Sigma = (1 + 1/\nu)\times \text{the "
                   r"Cramér–Rao bound for the mean (2 for } \nu = 1\text{), less than for any shifted noise}"),
        summary="The exact NCE asymptotic variance (ν = 1) of a Gaussian model's mean, derived as a sandwich A⁻¹(A − 2mmᵀ)A⁻¹ and "
        "confirmed by an independent computation (finite-difference Hessian of the population loss, variance of the pair "
        "score), is 2 (twice Cramér–Rao) with the noise equal to the data, 3.0 at a shift of 1, 7.5 at 2 and 24 at 3: the "
        "'too different' bullet holds, the 'too close' one does not — the classification is at chance (D* ≡ ½), yet the "
        "estimator is at its best among shifted noises (a wider noise, scale ≈ 1.5–2, does ≈ 15 % better).",
    ),
)


NOT_ENCODED: tuple[NotEncoded, ...] = (
    NotEncoded(Source(SLIDES, "slide 'Defining EBMs', examples",
                      r"U_{\theta}(x) = \langle x, \theta x \rangle: \text{centered Gaussian};\ U_{\theta}(x) = |x - \theta|: \text{Laplace}"),
               "examples of families: true for θ symmetric positive definite (covariance (2θ)^{-1}) and as stated for "
               "the Laplace location family; nothing a check could add"),
    NotEncoded(Source(SLIDES, "slide 'Using an EBM' (Langevin with √η)",
                      r"X_{\tau+1} = X_{\tau} - \eta \nabla_{x} U_{\theta_{*}}(X_{\tau}) + \sqrt{\eta} \xi_{\tau}"),
               "covered by langevin-noise-scale (the √η update samples ∝ e^{−2U})"),
    NotEncoded(Source(NOTES, "'Comparing NCE and GAN' (similarities, table, when to use each)",
                      r"D_{\theta,Z}(x) = \frac{e^{f_\theta(x)}}{e^{f_\theta(x)} + Z \cdot p_n(x)};\ \text{stable training; GANs can adapt to cover all data modes}"),
               "the NCE discriminator is covered by nce-optimal-discriminator; the rest is a qualitative comparison "
               "(stability, mode coverage) with no quantitative statement to check"),
    NotEncoded(Source(NOTES, "Score Matching Reformulation (Univariate Case), l.110–150",
                      r"\text{expand the square; } \frac{d}{dx}\log p_{data}\cdot p_{data} = \frac{d}{dx}p_{data}; \int f g' = "
                      r"fg - \int f' g; \ldots = -\mathbb{E}[\frac{d^2}{dx^2}\log p_\theta]"),
               "covered by hyvarinen-identity (its derivation runs these lines: expansion, p s_p = p', integration by "
               "parts with its boundary term) and notes-sm-boundary-conditions (the sentence on the boundary term); "
               "l.118 is printed without limits, as an antiderivative identity it is correct"),
    NotEncoded(Source(NOTES, "Score Matching Reformulation (Multivariate Case), l.156–204",
                      r"\sum_i \mathbb{E}[s_\theta(x)_i s_{data}(x)_i] = -\mathbb{E}[\mathrm{tr}(\nabla_x s_\theta(x))]"),
               "covered by hyvarinen-identity (d = 1, 2, 3; divergence form) and notes-sm-boundary-conditions (same "
               "three conditions, same gap: no jump at the support's edge)"),
    NotEncoded(Source(NOTES, "Score Matching Algorithm, Disadvantages and Computational Complexity (l.224–229)",
                      r"\text{computing the Hessian trace requires } O(d^2 \cdot m) \text{ operations}"),
               "not encoded for lack of time; analysis: the exact trace Σ_i e_iᵀ∇²log p_θ e_i costs d Hessian-vector "
               "products, each O(m) by forward-over-reverse differentiation, so O(d·m); the printed O(d²·m) is a true "
               "upper bound, not sharp (a sharpening, not an erratum); Hutchinson's estimator costs O(m) per probe"),
    NotEncoded(Source(SLIDES, "slide 'b. Generative Adversarial Networks' (~l.316–324)",
                      r"\max_{\theta} \min_{\beta} \mathbb{E}_*[\log D_{\theta}(x)] + \mathbb{E}_{y \sim \mu_{\beta}}[\log(1 - D_{\theta}(y))]"),
               "the GAN value and its optimal discriminator are covered by the gans topic (gans-value-eq36, gans-optimal-discriminator)"
               " and nce-optimal-discriminator; the slide's max_θ min_β order is Goodfellow's min–max "
               "swapped, with the same value −log 4 here (saddle point D = ½, μ_β = ρ_*) — not encoded separately"),
    NotEncoded(Source(SLIDES, "slide 'Min-Max optimization is very hard to stabilize', item 1 (~l.328)",
                      r"\text{The gradients with respect to } \beta \text{ can easily vanish as long as the two distributions "
                      r"are slightly different, due to the log}"),
               "covered in part by gans-saturating-gradient (the saturating log(1 − D) gradient vanishes when the "
               "distributions are far apart, θ E_g[D*] ≤ θ erfc(θ/(2√2))); for slightly different ones that claim's "
               "derived gradient is ≈ θ/4, not vanishing — 'slightly' is not encoded as a separate claim"),
    NotEncoded(Source(SLIDES, "slide 'd. Denoising Score Matching', bullet",
                      r"\text{Minimize } \mathbb{E}[|\epsilon/\sigma s_{\theta}(X + \epsilon)|^2]"),
               "operator missing as printed; read as |ε/σ + σ s_θ|² = σ²|s_θ + ε/σ²|² it is σ² × the objective of "
               "notes-dsm-vincent (same minimiser); read as |ε/σ + s_θ|² its minimiser is σ∇log ρ_σ (wrong scaling)"),
    NotEncoded(Source(NOTES, "Recap: Contrastive Divergence",
                      r"\mathcal{L}_{CD}(\theta) = D_{KL}(p_{data}\|p_\theta) - D_{KL}(p_\theta\|p_{data})"),
               "left to the contrastive_divergence topic (issue 18)"),
)
