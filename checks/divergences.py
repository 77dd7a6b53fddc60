r"""Checks of the review's divergences (seed 003 §2.1, Example 2.1, §6 eq. 109).

Quadrature checks (numerical) use composite Gauss–Legendre with its refinement as the error
(:func:`theory.quadrature.expect`), on Gaussian pairs (predictions from the derivations' closed forms)
and on non-Gaussian pairs: the asymmetric quartic :math:`\log f = \theta_1x - \theta_2x^2/2 - \theta_3x^4/4`
at θ = (0.5, −1, 1) and the two-mode mixture :math:`\tfrac34\mathcal N(-1, 1) + \tfrac14\mathcal N(2, 1)`
(:func:`theory.models.two_mode_mixture` with modes −1, 2 and θ = log 3), normalized by quadrature. Monte Carlo checks
(statistical) use exact samples (Gaussians; the mixture's sampler; the quartic by inverse CDF) and the
sample standard error. Closed forms come from :mod:`derivations.divergences` through ``lambdify``.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy import optimize

from ebmcheck.checks.anatomy import (Check, Claim, Context, NotEncoded, Source, ZTest, mean_and_standard_error,
                                     printed_statement_controls)
from ebmcheck.checks.figures import new_figure
from ebmcheck.derivations import divergences as derivation
from ebmcheck.theory import models, quadrature
from ebmcheck.theory.densities import Density, gaussian, gaussian_log_pdf
from ebmcheck.theory.symbolic import compile_expression

TOPIC = "divergences"
REVIEW = "003"
HOST_ONLY = ("1-D quadrature with SciPy and closed forms on the host; the Monte Carlo checks (4·10⁴ exact samples "
             "per check) take well under a second on numpy")
GAUSSIAN_SYMBOLS = (derivation.m1, derivation.s1, derivation.m2, derivation.s2)


def _closed_form(expr, symbols=GAUSSIAN_SYMBOLS):
    """A derivation's export compiled to numpy (arguments in the order of ``symbols``)."""
    return compile_expression(tuple(symbols), expr, cse=False)


# ---- 1-D densities with a quadrature interval (theory.densities.Density; Gaussians: theory.densities.gaussian) ----
def model_density(name: str, model, theta) -> Density:
    """p_θ = f_θ/Z_θ of a 1-D model, Z_θ by quadrature (its error, ~1e-15, is below the checks' floors)."""
    theta = np.asarray(theta, float)
    log_z, _ = quadrature.log_normalizer_1d(model, theta)
    lo, hi = quadrature.support_interval(model, theta)
    return Density(lambda x: model.log_f(x[:, None], theta) - log_z, lo, hi, name,
                   lambda n, rng: model.sample(theta, n, rng)[:, 0])


def quartic_density() -> Density:
    return model_density("quartic θ=(0.5, −1, 1)", models.quartic(), [0.5, -1.0, 1.0])


def mixture_density() -> Density:
    return model_density("two-mode mixture (−1, 2), θ=log 3", models.two_mode_mixture(-1.0, 2.0), [math.log(3.0)])


def cross_entropy(first: Density, second: Density):
    """H(ρ₁, ρ₂) = −E_ρ₁[log ρ₂] by quadrature on ρ₁'s interval."""
    return first.expect(lambda x: -second.log_pdf_column(x))


def kl(first: Density, second: Density):
    """D_KL(ρ₁‖ρ₂) = E_ρ₁[log ρ₁ − log ρ₂] by quadrature."""
    return first.expect(lambda x: first.log_pdf_column(x) - second.log_pdf_column(x))


def entropy(density: Density):
    return cross_entropy(density, density)


def _exact_check(name, quantity, value, prediction, control, control_label, **details) -> Check:
    """A numerical check of an exactly evaluated value (rounding only: error 8 ulps of the scale)."""
    error = 8 * np.finfo(float).eps * max(abs(value), abs(prediction), 1.0)
    return Check(name, quantity, ZTest(prediction, value, error), ZTest(control, value, error), control_label,
                 error_kind="exact evaluation", details=details)


def _quadrature_check(name, quantity, estimate, prediction, control, control_label, **details) -> Check:
    """``estimate`` and ``prediction`` are (value, error) or a number; errors add."""
    (value, error), (predicted, predicted_error) = (v if isinstance(v, tuple) else (v, 0.0) for v in (estimate, prediction))
    control_value = control[0] if isinstance(control, tuple) else control
    total = error + predicted_error
    return Check(name, quantity, ZTest(predicted, value, total), ZTest(control_value, value, total), control_label,
                 error_kind="quadrature", details=details)


GAUSSIAN_PAIRS = ((0.0, 1.0, 1.0, 2.0), (0.5, 0.7, -1.0, 1.3), (0.0, 1.0, 0.0, 0.5))
"""(m₁, s₁, m₂, s₂) of Gaussian pairs; s₁ ≠ s₂ in each, so that KL and cross-entropy are not symmetric."""


def _label(theta) -> str:
    return "(" + ", ".join(f"{t:g}" for t in np.atleast_1d(theta)) + ")"


def _pair_label(pair) -> str:
    return "N({:g}, {:g}²) vs N({:g}, {:g}²)".format(*pair)


# ---- eq. 12: KL ≥ 0, not symmetric, no triangle inequality ---------------------------------------------
def kl_checks(context: Context) -> list[Check]:
    exports = derivation.kl_properties().exports
    kl_formula = _closed_form(exports["kl"])
    swapped = lambda m1, s1, m2, s2: kl_formula(m2, s2, m1, s1)  # noqa: E731
    checks = []
    for pair in GAUSSIAN_PAIRS:
        first, second = gaussian(*pair[:2]), gaussian(*pair[2:])
        checks.append(_quadrature_check(
            f"KL {_pair_label(pair)}", r"D_{KL}(\rho_1\|\rho_2)", kl(first, second), float(kl_formula(*pair)),
            float(swapped(*pair)), "a symmetric KL: D_KL(ρ₂‖ρ₁) in place of D_KL(ρ₁‖ρ₂)", pair=pair))
    phi = _closed_form(exports["phi"], (sp.Symbol("t", positive=True),))
    # one direction only: ∫ρ₂φ(ρ₁/ρ₂) is taken on ρ₂'s interval, which must hold ρ₁'s mass (the mixture's wide
    # interval holds the quartic's; the quartic's narrow one would miss the mixture's tail beyond x ≈ 4)
    for first, second in ((quartic_density(), mixture_density()),):
        ratio = lambda x: np.exp(np.maximum(first.log_pdf_column(x) - second.log_pdf_column(x), -700.0))  # noqa: E731  φ(0⁺) = 1
        representation = second.expect(lambda x: phi(ratio(x)))
        checks.append(_quadrature_check(
            f"KL as ∫ρ₂φ(ρ₁/ρ₂) ≥ 0: {first.name} ‖ {second.name}", r"D_{KL}(\rho_1\|\rho_2)", kl(first, second),
            representation, kl(second, first), "a symmetric KL: D_KL(ρ₂‖ρ₁)"))
    gap = _closed_form(exports["triangle_gap"], sp.symbols("a b c", real=True))
    for means in ((0.0, 1.0, 2.5), (-1.0, 0.5, 1.0)):
        p, q, r = (gaussian(m, 1.0) for m in means)
        (pr, e1), (pq, e2), (qr, e3) = kl(p, r), kl(p, q), kl(q, r)
        checks.append(_quadrature_check(
            f"triangle: means {means}", r"D(P\|R) - D(P\|Q) - D(Q\|R)", (pr - pq - qr, e1 + e2 + e3),
            float(gap(*means)), 0.0, "the triangle inequality's equality case (a violation must be > 0)", means=means))
    return checks


# ---- Lemma 2.1, eq. 13 ------------------------------------------------------------------------------------
def lemma_checks(context: Context) -> list[Check]:
    exports = derivation.cross_entropy_decomposition().exports
    h_plus_kl = _closed_form(exports["entropy"] + exports["kl"])
    printed = lambda m1, s1, m2, s2: h_plus_kl(m2, s2, m1, s1)  # noqa: E731  H(ρ₂) + D_KL(ρ₂‖ρ₁)
    label = "eq. 13 as printed: H(ρ₂) + D_KL(ρ₂‖ρ₁)"
    checks = []
    for pair in GAUSSIAN_PAIRS:
        first, second = gaussian(*pair[:2]), gaussian(*pair[2:])
        checks.append(_quadrature_check(
            f"quadrature {_pair_label(pair)}", r"H(\rho_1,\rho_2)", cross_entropy(first, second),
            float(h_plus_kl(*pair)), float(printed(*pair)), label, pair=pair))
    for first, second in ((quartic_density(), mixture_density()), (mixture_density(), quartic_density())):
        (h1, e1), (k12, e2), (h2, _), (k21, _) = entropy(first), kl(first, second), entropy(second), kl(second, first)
        checks.append(_quadrature_check(
            f"quadrature {first.name} vs {second.name}", r"H(\rho_1,\rho_2)", cross_entropy(first, second),
            (h1 + k12, e1 + e2), h2 + k21, label))
    num_samples = context.size(quick=40_000, full=2_000_000)
    for pair in ((0.0, 1.0, 0.0, 1.05), (0.0, 1.0, 1.0, 2.0)):
        x = context.rng(f"samples {pair}").normal(pair[0], pair[1], num_samples)
        estimate = mean_and_standard_error(-gaussian_log_pdf(x, pair[2], pair[3]))
        checks.append(Check(
            f"Monte Carlo {_pair_label(pair)}", r"H(\rho_1,\rho_2) = -\mathbb{E}_{\rho_1}[\log\rho_2]",
            ZTest(float(h_plus_kl(*pair)), *map(float, estimate)), ZTest(float(printed(*pair)), *map(float, estimate)),
            label, details={"pair": pair, "num_samples": num_samples}))
    _figure_lemma(context, h_plus_kl, printed)
    return printed_statement_controls(checks, "eq. 13 as printed")


def _figure_lemma(context: Context, corrected, printed) -> None:
    """H(ρ₁, ρ₂) by quadrature against the corrected and the printed right-hand sides, ρ₁ = N(0, 1), ρ₂ = N(0, s²)."""
    scales = np.linspace(0.3, 3.0, 200)
    points = np.array([0.4, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0])
    first = gaussian(0.0, 1.0)
    values = [cross_entropy(first, gaussian(0.0, sd))[0] for sd in points]
    figure, (axis,) = new_figure(width=5.2, height=3.4)
    axis.plot(scales, corrected(0.0, 1.0, 0.0, scales), "k-", label=r"$H(\rho_1) + D_{KL}(\rho_1\|\rho_2)$ (corrected)")
    axis.plot(scales, printed(0.0, 1.0, 0.0, scales), ":", color="C3", label=r"$H(\rho_2) + D_{KL}(\rho_2\|\rho_1)$ (eq. 13 as printed)")
    axis.plot(points, values, "o", color="C0", label=r"$H(\rho_1, \rho_2)$, quadrature")
    axis.set_xlabel(r"$s$: $\rho_1 = \mathcal{N}(0, 1)$, $\rho_2 = \mathcal{N}(0, s^2)$")
    axis.set_ylabel("nats")
    axis.legend(fontsize=8)
    context.add_figure("lemma", figure, "Lemma 2.1: the cross-entropy H(ρ₁, ρ₂) lies on H(ρ₁) + D_KL(ρ₁‖ρ₂); eq. 13 as "
                       "printed, H(ρ₂) + D_KL(ρ₂‖ρ₁) = H(ρ₂, ρ₁), agrees with it only at s = 1.")


# ---- eq. 14 and eq. 15 ---------------------------------------------------------------------------------------
def _gaussian_ebm(exports):
    """(U_θ(x), log Z_θ) of the Gaussian EBM θ = (μ, λ), compiled from the derivation's exports."""
    symbols = (derivation.x, derivation.mean, derivation.precision)
    energy = _closed_form(exports["energy"], symbols)
    log_z = _closed_form(exports["log_normalizer"], (derivation.mean, derivation.precision))
    return (lambda x, mu, lam: energy(x[:, 0], mu, lam)), (lambda mu, lam: float(log_z(mu, lam)))


def _model_log_density(mu, lam):
    """log ρ_θ of the Gaussian EBM θ = (μ, λ): the N(μ, 1/λ) log-density at x (n, 1)."""
    return lambda x: gaussian_log_pdf(x[:, 0], mu, 1 / math.sqrt(lam))


def ebm_cross_entropy_checks(context: Context) -> list[Check]:
    energy, log_z = _gaussian_ebm(derivation.ebm_cross_entropy().exports)
    checks = []
    data = {"quartic": quartic_density(), "mixture": mixture_density()}
    for name, density in data.items():
        for mu, lam in ((0.0, 1.0), (0.7, 2.5), (-1.0, 0.4)):
            model = _model_log_density(mu, lam)
            energy_term = density.expect(lambda x: energy(x, mu, lam))
            checks.append(_quadrature_check(
                f"eq. 14 quadrature, data {name}, θ=(μ={mu:g}, λ={lam:g})", r"H(\rho_*,\rho_\theta)",
                density.expect(lambda x: -model(x)), (log_z(mu, lam) + energy_term[0], energy_term[1]),
                energy_term[0], "log Z_θ dropped: ∫U_θρ_* alone"))
    # Monte Carlo: data samples; the near control is the model's own entropy log Z_θ + E_θ[U_θ] (= log Z_θ + 1/2)
    density = data["quartic"]
    data_mean, _ = density.expect(lambda x: x[:, 0])
    data_var, _ = density.expect(lambda x: (x[:, 0] - data_mean) ** 2)
    mu, lam = data_mean + 0.4 * math.sqrt(data_var), 1 / data_var
    x = density.sample(context.size(quick=40_000, full=2_000_000), context.rng("eq. 14 Monte Carlo"))[:, None]
    estimate = tuple(map(float, mean_and_standard_error(-_model_log_density(mu, lam)(x))))
    energy_term, error = density.expect(lambda y: energy(y, mu, lam))
    checks.append(Check(
        "eq. 14 Monte Carlo, quartic data, Gaussian EBM off by 0.4 sd", r"-\mathbb{E}_*[\log\rho_\theta(X)]",
        ZTest(log_z(mu, lam) + energy_term, *estimate), ZTest(log_z(mu, lam) + 0.5, *estimate),
        "∫U_θρ_θ (= 1/2) in place of ∫U_θρ_*: the model's own entropy H(ρ_θ)",
        details={"mu": mu, "lambda": lam, "num_samples": len(x)}))
    return checks + _minimiser_checks(data, energy, log_z)


def _argmin(objective, start: float, width: float) -> tuple[float, float]:
    """Minimiser of a smooth 1-D objective on [start − width, start + width] (bounded Brent, xatol 1e-10) and its
    error, √(64 ε)·width: an objective known to relative precision 64ε (quadrature rounding) fixes its minimiser
    only to about √(64ε) of its length scale, far above the tolerance."""
    result = optimize.minimize_scalar(objective, bounds=(start - width, start + width), method="bounded",
                                      options={"xatol": 1e-10})
    if not result.success:
        raise RuntimeError(f"the argmin search did not converge: {result.message}")
    return float(result.x), math.sqrt(quadrature.ROUNDING) * width


def _minimiser_checks(data, energy, log_z) -> list[Check]:
    r"""Eq. 15: argmin_μ D_KL(ρ_*‖ρ_θ) = argmin_μ H(ρ_*, ρ_θ) = E_*[X] (moment matching, derived), λ at 1/Var_*."""
    checks = []
    for name, density in data.items():
        data_mean, _ = density.expect(lambda x: x[:, 0])
        data_var, _ = density.expect(lambda x: (x[:, 0] - data_mean) ** 2)
        lam = 1 / data_var
        data_entropy = entropy(density)[0]
        cross = lambda mu: log_z(mu, lam) + density.expect(lambda x: energy(x, mu, lam))[0]  # noqa: E731
        divergence = lambda mu: cross(mu) - data_entropy  # noqa: E731  (the corrected eq. 13)
        direct_kl = lambda mu: kl(density, gaussian(mu, 1 / math.sqrt(lam)))[0]  # noqa: E731
        grid = np.linspace(density.lo, density.hi, 4001)
        mode = float(grid[np.argmax(density.log_pdf(grid))])
        width = 3 * math.sqrt(data_var)
        for label, objective in (("H(ρ_*, ρ_θ)", cross), ("D_KL(ρ_*‖ρ_θ) by quadrature of eq. 10", direct_kl),
                                 ("H(ρ_*, ρ_θ) − H(ρ_*)", divergence)):
            found = _argmin(objective, data_mean, width)
            checks.append(Check(
                f"eq. 15: argmin over μ of {label}, data {name}", r"\arg\min_\mu",
                ZTest(data_mean, *found), ZTest(mode, *found),
                "the data's mode (where a mode-seeking objective such as the reverse KL would put μ)",
                error_kind="optimizer", details={"lambda": lam}))
    return checks


# ---- "not bounded from below", H(ρ,ρ) = H(ρ) ≠ 0 -----------------------------------------------------------
def unbounded_checks(context: Context) -> list[Check]:
    entropy_formula = _closed_form(derivation.cross_entropy_unbounded().exports["entropy"], (sp.Symbol("s", positive=True),))
    checks = []
    for sd in (1.0, 0.1, 1e-3, 1e-6):
        density = gaussian(0.0, sd)
        checks.append(_quadrature_check(
            f"H(ρ, ρ), ρ = N(0, {sd:g}²)", r"H(\rho,\rho)", cross_entropy(density, density), float(entropy_formula(sd)),
            0.0, "H(ρ, ρ) = 0, as D_KL(ρ‖ρ) = 0", sd=sd))
    return checks


# ---- ∂_θ log Z and eq. 16 / 109 --------------------------------------------------------------------------------
QUARTIC_STAR = np.array([0.5, -1.0, 1.0])


def _finite_difference(function, theta, index, step=1e-3):
    """Central difference of order 4 along θ_index, and its error: the difference from the step 2h rule."""
    def central(h):
        e = np.zeros_like(theta)
        e[index] = h
        return (-function(theta + 2 * e) + 8 * function(theta + e) - 8 * function(theta - e) + function(theta - 2 * e)) / (12 * h)
    fine, coarse = central(step), central(2 * step)
    return float(fine), float(abs(fine - coarse)) + 1e-12


def gradient_checks(context: Context) -> list[Check]:
    model = models.quartic()
    grad_energy = lambda x, theta: -model.grad_theta(x, theta)  # noqa: E731  ∂_θU_θ = −∂_θ log f_θ (U = −log f)
    log_z = lambda theta: quadrature.log_normalizer_1d(model, theta)[0]  # noqa: E731
    data = model_density("quartic θ*", model, QUARTIC_STAR)
    checks = []
    names = ("θ₁", "θ₂", "θ₃")
    for theta in (np.array([0.4, 1.0, 1.0]), np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.5, 0.2])):
        at_theta = model_density("model", model, theta)
        for index in range(3):
            model_expectation = at_theta.expect(lambda x: grad_energy(x, theta)[:, index])
            checks.append(_quadrature_check(
                f"∂ log Z / ∂{names[index]} at θ={_label(theta)}", r"\partial_\theta\log Z_\theta",
                _finite_difference(log_z, theta, index), (-model_expectation[0], model_expectation[1]),
                model_expectation[0], "sign flipped: +E_θ[∂_θU_θ]"))
            data_expectation = data.expect(lambda x: grad_energy(x, theta)[:, index])
            cross = lambda t: log_z(t) + data.expect(lambda x: -model.log_f(x, t))[0]  # noqa: E731  eq. 14
            predicted = data_expectation[0] - model_expectation[0]
            checks.append(_quadrature_check(
                f"eq. 16: ∂H/∂{names[index]} at θ={_label(theta)}", r"\partial_\theta H(\rho_*,\rho_\theta)",
                _finite_difference(cross, theta, index), (predicted, data_expectation[1] + model_expectation[1]),
                -predicted, "sign flipped: E_θ[∂_θU] − E_*[∂_θU]"))
    return checks + _gradient_monte_carlo(context, model, grad_energy, log_z, data)


def _gradient_monte_carlo(context, model, grad_energy, log_z, data) -> list[Check]:
    """E_*[∂U] − E_θ[∂U] from exact samples of ρ_* and ρ_θ, against ∂H by finite differences of quadrature."""
    num_samples = context.size(quick=100_000, full=4_000_000)
    checks = []
    for offset, control, control_label in (
        (0.32, "zero", "E_* in place of E_θ (ρ_θ ≈ ρ_* near θ*): gradient 0"),
        (0.8, "flip", "sign flipped: E_θ[∂_θU] − E_*[∂_θU]"),
    ):
        theta = QUARTIC_STAR + np.array([offset, 0.0, 0.0])
        x_data = data.sample(num_samples, context.rng(f"data {offset}"))[:, None]
        x_model = model.sample(theta, num_samples, context.rng(f"model {offset}"))
        (a, se_a), (b, se_b) = (mean_and_standard_error(grad_energy(x, theta)[:, 0]) for x in (x_data, x_model))
        estimate, error = float(a - b), float(math.hypot(se_a, se_b))
        cross = lambda t: log_z(t) + data.expect(lambda x: -model.log_f(x, t))[0]  # noqa: E731
        predicted = _finite_difference(cross, theta, 0)[0]
        checks.append(Check(
            f"eq. 16 Monte Carlo, θ = θ* + {offset:g}·e₁", r"\mathbb{E}_*[\partial_{\theta_1}U] - \mathbb{E}_\theta[\partial_{\theta_1}U]",
            ZTest(predicted, estimate, error), ZTest(0.0 if control == "zero" else -predicted, estimate, error), control_label,
            details={"theta": theta, "num_samples": num_samples}))
    return checks


# ---- Example 2.1, eq. 8 -----------------------------------------------------------------------------------------
def _example_energies():
    exports = derivation.example_mixture_energy().exports
    values = derivation.EXAMPLE_PARAMETERS
    compiled = {name: _closed_form(exports[name].subs(values), (derivation.x,))
                for name in ("corrected_energy", "printed_energy", "sign_fixed_energy")}
    numbers = {name: float(exports[name].subs(values)) for name in ("corrected_mean", "sign_fixed_mean", "corrected_second_moment")}
    return compiled, numbers


def _stated_mixture_log_density(x):
    """log[0.7 N(x; 0, 1) + 0.3 N(x; 5, 0.5²)] — the mixture Example 2.1 names, written from the Gaussian
    log-density (independently of the derivation's energy)."""
    return np.logaddexp(np.log(0.7) + gaussian_log_pdf(x, 0.0, 1.0), np.log(0.3) + gaussian_log_pdf(x, 5.0, 0.5))


def example_checks(context: Context) -> list[Check]:
    energies, numbers = _example_energies()
    corrected, printed, sign_fixed = (energies[k] for k in ("corrected_energy", "printed_energy", "sign_fixed_energy"))
    checks = []
    reference = 0.0
    for point in (5.0, 2.5, -1.5, 6.0):
        value = float(_stated_mixture_log_density(point) - _stated_mixture_log_density(reference))
        checks.append(_exact_check(
            f"log ρ({point:g}) − log ρ(0) of the stated mixture", r"\log\rho(x) - \log\rho(0)", value,
            float(corrected(reference) - corrected(point)), float(printed(reference) - printed(point)),
            "eq. 8 as printed: U(0) − U(x) with U = log[p e^{−(x−μ₁)²/σ₁²} + (1−p) e^{−(x−μ₂)²/σ₂²}]", point=point))
        checks.append(_exact_check(
            f"log ρ({point:g}) − log ρ(0), sign of eq. 8 fixed only", r"\log\rho(x) - \log\rho(0)", value,
            float(corrected(reference) - corrected(point)), float(sign_fixed(reference) - sign_fixed(point)),
            "eq. 8 with its sign fixed only (no 2 in the exponents, no 1/σ_i)", point=point))
    density = Density(lambda x: -corrected(x), -12.0, 12.0, "e^{-U}")
    mass, mass_error = quadrature.refine(lambda level: _integral(lambda x: np.exp(-corrected(x)), -12.0, 12.0, level))
    sign_mass, _ = quadrature.refine(lambda level: _integral(lambda x: np.exp(-sign_fixed(x)), -12.0, 12.0, level))
    checks.append(_quadrature_check("Z = ∫ e^{−U} of the corrected energy", r"Z", (float(mass), float(mass_error)), 1.0,
                                    float(sign_mass), "eq. 8 with its sign fixed only: Z = √π (pσ₁ + (1−p)σ₂)"))
    checks.append(_quadrature_check("mean of e^{−U}/Z", r"\mathbb{E}[X]", density.expect(lambda x: x[:, 0]),
                                    numbers["corrected_mean"], numbers["sign_fixed_mean"],
                                    "eq. 8 with its sign fixed only: weights pσ₁/(pσ₁ + (1−p)σ₂) = 14/17, 3/17"))
    _figure_example(context, corrected, printed, sign_fixed)
    return printed_statement_controls(checks, "eq. 8 as printed")


def _integral(func, lo, hi, level):
    nodes, weights = quadrature.gauss_legendre(lo, hi, quadrature.refined(200, level), 16)
    values = func(nodes)
    return np.sum(weights * values), np.sum(weights * np.abs(values))


def _figure_example(context, corrected, printed, sign_fixed) -> None:
    grid = np.linspace(-3.0, 7.0, 801)
    figure, (left, right) = new_figure(ncols=2, width=8.0, height=3.4)
    left.plot(grid, corrected(grid), "k-", label=r"$-\log[p\,\mathcal{N}(\mu_1,\sigma_1^2)+(1-p)\,\mathcal{N}(\mu_2,\sigma_2^2)]$")
    left.plot(grid, printed(grid), ":", color="C3", label="eq. 8 as printed")
    left.plot(grid, sign_fixed(grid), "--", color="C1", label="eq. 8, sign fixed only")
    left.set_ylim(-8, 12)
    left.set_xlabel("x")
    left.set_ylabel(r"energy $U(x)$")
    left.legend(fontsize=7)
    sign_fixed_density = np.exp(-sign_fixed(grid))
    sign_fixed_density /= np.trapezoid(sign_fixed_density, grid)
    right.plot(grid, np.exp(_stated_mixture_log_density(grid)), "k-", label="stated mixture = $e^{-U}$ (corrected)")
    right.plot(grid, sign_fixed_density, "--", color="C1", label=r"$e^{-U}/Z$, eq. 8 sign fixed only")
    right.set_xlabel("x")
    right.set_ylabel("density")
    right.legend(fontsize=7)
    context.add_figure(
        "energy",
        figure,
        "Example 2.1 (p = 0.7, μ = (0, 5), σ = (1, 0.5)). Left: eq. 8 as printed is a log-mixture whose maxima sit at "
        "the modes and which tends to −∞, so e^{−U} ≥ 1 and Z = ∞; with the sign fixed only, the missing 2 and 1/σ_i "
        "narrow both modes and give the weights 14/17, 3/17. Right: the stated mixture against the sign-fixed density.",
    )


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="divergences-kl-nonnegative",
        title="KL divergence: non-negative, zero only for equal densities, not symmetric, no triangle inequality",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§2.1, eq. 12 and the sentence after it",
                        r"D_{\mathrm{KL}}(\rho_1 \parallel \rho_2) \ge 0, \qquad D_{\mathrm{KL}}(\rho_1 \parallel \rho_2) = 0 \iff \rho_1 = \rho_2 \text{ a.e.}"
                        r"\text{; it is not a proper distance since it is not symmetric and it does not satisfy triangular inequality}"),),
        expected_verdict="verified",
        derivation=derivation.kl_properties,
        checks=kl_checks,
        summary="D_KL(ρ₁‖ρ₂) = ∫ρ₂ φ(ρ₁/ρ₂) with φ(t) = t log t − t + 1 ≥ 0, zero only at t = 1 (derived); quadrature "
        "confirms the representation on non-Gaussian pairs and the Gaussian closed form, which is not symmetric; for "
        "N(a,1), N(b,1), N(c,1) the triangle inequality fails by (a − b)(b − c) > 0.",
    ),
    Claim(
        id="divergences-cross-entropy-lemma",
        title="Lemma 2.1: cross-entropy, entropy and KL",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§2.1, Lemma 2.1, eq. 13",
                        r"H(\rho_1, \rho_2) = H(\rho_2) + D_{KL}(\rho_2 \parallel \rho_1) \text{ for any choice of PDFs } \rho_1, \rho_2"),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.cross_entropy_decomposition,
        checks=lemma_checks,
        corrected=r"H(\rho_1, \rho_2) = H(\rho_1) + D_{KL}(\rho_1 \parallel \rho_2)",
        summary="With eqs. 9–11 as defined, the printed right-hand side H(ρ₂) + D_KL(ρ₂‖ρ₁) equals H(ρ₂, ρ₁), so eq. 13 "
        "asserts that the cross-entropy is symmetric; it fails for Gaussians of unequal variance and for non-Gaussian "
        "pairs (quadrature, Monte Carlo). With the indices of the right-hand side swapped the lemma holds, and that is the "
        "form the text uses next (cross-entropy − KL = H(ρ_*)).",
    ),
    Claim(
        id="divergences-ebm-cross-entropy",
        title="The cross-entropy of an EBM (eq. 14) and its minimiser (eq. 15)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(
            Source(REVIEW, "§2.1, eq. 14",
                   r"H(\rho_*, \rho_\theta) = \log Z_\theta + \int_{\mathbb{P}^d} U_\theta(x) \rho_*(x) dx"),
            Source(REVIEW, "§2.1, eq. 15 and the sentence before it",
                   r"\text{the difference between the cross-entropy and the KL divergence is } H(\rho_*)\text{; }"
                   r"\theta^* = \operatorname*{arg\,min}_{\theta \in \Theta} D_{\mathrm{KL}}(\rho_* || \rho_\theta) = \operatorname*{arg\,min}_{\theta \in \Theta} H(\rho_*, \rho_\theta)"),
        ),
        expected_verdict="verified",
        derivation=derivation.ebm_cross_entropy,
        checks=ebm_cross_entropy_checks,
        summary="−log ρ_θ = U_θ + log Z_θ integrated against ρ_* gives eq. 14 (the domain printed ℙ^d is read as ℝ^d, the "
        "only domain defined in §2; an undefined symbol, not a different result). Quadrature and Monte Carlo on quartic and "
        "mixture data with Gaussian EBMs agree; cross-entropy and KL differ by H(ρ_*), and their minimisers over the "
        "Gaussian mean coincide with the derived moment-matching value.",
    ),
    Claim(
        id="divergences-cross-entropy-unbounded",
        title="The cross-entropy is not bounded from below; H(ρ, ρ) = H(ρ) ≠ 0",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§2.1, after eq. 15",
                        r"\text{unlike KL divergence, the cross-entropy is not bounded from below, and in particular } H(\rho,\rho) := H(\rho) \neq 0"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.cross_entropy_unbounded,
        checks=unbounded_checks,
        conditions=(
            "over pairs of densities: H(N(m,s²), N(m,s²)) = ½log(2πes²) → −∞ as s → 0; for a fixed ρ_* the cross-entropy "
            "H(ρ_*, ρ_θ) = H(ρ_*) + D_KL(ρ_*‖ρ_θ) is bounded below by H(ρ_*)",
            "'H(ρ) ≠ 0' holds in general, not for every ρ: H = 0 for N(m, 1/(2πe)) (and for the uniform density on [0, 1])",
        ),
        summary="The entropy of N(0, s²) matches ½log(2πes²) by quadrature down to s = 10⁻⁶ and is far from 0; it tends to "
        "−∞, so the cross-entropy as a function of the pair has no lower bound, while for fixed data it is bounded by H(ρ_*).",
    ),
    Claim(
        id="divergences-log-partition-gradient",
        title="∂_θ log Z_θ = −E_θ[∂_θU_θ] and the gradient of the cross-entropy (eqs. 16, 109)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(
            Source(REVIEW, "§2.1, before eq. 16", r"\partial_{\theta}\log Z_{\theta} = -\int_{\mathbb{R}^d}\partial_{\theta}U_{\theta}(x)\rho_{\theta}(x)dx"),
            Source(REVIEW, "§2.1, eq. 16",
                   r"\partial_{\theta} H(\rho_*, \rho_{\theta}) = \int_{\mathbb{R}^d} \partial_{\theta} U_{\theta}(x) \rho_*(x) dx - \int_{\mathbb{R}^d} \partial_{\theta} U_{\theta}(x) \rho_{\theta}(x) dx := \mathbb{E}_* [\partial_{\theta} U_{\theta}] - \mathbb{E}_{\theta} [\partial_{\theta} U_{\theta}]"),
            Source(REVIEW, "§6, eq. 109",
                   r"\partial_{\theta} H(\rho_*, \rho_{\theta}) = \mathbb{E}_* [\partial_{\theta} U_{\theta}] - \mathbb{E}_{\theta} [\partial_{\theta} U_{\theta}] := -\mathcal{D}"),
        ),
        expected_verdict="verified",
        derivation=derivation.log_partition_gradient,
        checks=gradient_checks,
        summary="Derived from Z_θ = ∫e^{−U_θ} by differentiating under the integral; on the quartic EBM, finite differences "
        "of log Z_θ and of H(ρ_*, ρ_θ) (quadrature) match −E_θ[∂_θU] and E_*[∂_θU] − E_θ[∂_θU] in every component, and the "
        "Monte Carlo estimate from exact samples resolves the gradient near θ* from 0.",
    ),
    Claim(
        id="divergences-example-mixture-energy",
        title="Example 2.1: the energy of a 1-D Gaussian mixture (eq. 8)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§2, Example 2.1, eq. 8 and its parameter values",
                        r"U_{\theta}(x) = \log \left[p \exp\left(-\frac{(x - \mu_1)^2}{\sigma_1^2}\right) + (1 - p) \exp\left(-\frac{(x - \mu_2)^2}{\sigma_2^2}\right) \right]"
                        r"\text{ is the potential of the Gaussian mixture with } p = 0.7, \mu_1 = 0, \mu_2 = 5, \sigma_1 = 1, \sigma_2 = 0.5"
                        r"\text{; minima of } U_\theta \text{ correspond to the modes of } \rho"),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.example_mixture_energy,
        checks=example_checks,
        corrected=r"U_{\theta}(x) = -\log \left[\frac{p}{\sqrt{2\pi}\sigma_1} \exp\left(-\frac{(x - \mu_1)^2}{2\sigma_1^2}\right) + \frac{1 - p}{\sqrt{2\pi}\sigma_2} \exp\left(-\frac{(x - \mu_2)^2}{2\sigma_2^2}\right) \right]",
        summary="As printed (U = +log of the mixture) e^{−U} ≥ 1 everywhere, so Z_θ = ∞ and the minima of U are not the "
        "modes; fixing only the sign still gives components N(μ_i, σ_i²/2) with weights 14/17 and 3/17 instead of 0.7 and "
        "0.3. The energy of the stated mixture is −log of its density (Z = 1), which the checks confirm.",
    ),
)

NOT_ENCODED: tuple[NotEncoded, ...] = (
    NotEncoded(Source(REVIEW, "§2, eq. 5 and the sentence after it",
                      r"\rho_{\theta}(x) = Z_{\theta}^{-1} e^{-U_{\theta}(x)},\ U_\theta: \mathbb{R}^d \to [0, \infty);\ "
                      r"\text{any probability density function can be written as a Boltzmann Gibbs ensemble}"),
               "the EBM's definition, used by every claim; the sentence holds for positive densities with U = −log ρ + c, "
               "and with the printed range U ≥ 0 only for bounded ones (c = log sup ρ) — a remark, not checked"),
    NotEncoded(Source(REVIEW, "§2, Definitions 2.1–2.2, eq. 7",
                      r"\varphi(tx_1 + (1-t)x_2) \le t\varphi(x_1) + (1-t)\varphi(x_2)"),
               "definitions (convexity, log-concavity) with nothing to check; eq. 7 quantifies over 0 < λ < 1 and "
               "uses t — a notation slip that changes nothing"),
    NotEncoded(Source(REVIEW, "§2, Assumptions 2.1–2.2",
                      r"\|\nabla\nabla U_{\theta}\| \le L;\ x \cdot \nabla U_\theta(x) \ge a|x|^2 \text{ outside a compact set};\ "
                      r"\exists \theta_*: \rho_{\theta_*} = \rho_*"),
               "assumptions; what the review derives from them is checked where it is used: Langevin's stationary "
               "law and ULA's ergodicity (sampling-langevin-stationary, sampling-ula-ergodicity), and the "
               "well-specified model in every fixed-point claim"),
    NotEncoded(Source(REVIEW, "§2, Remark 2.1, eq. 6",
                      r"Z_{\theta} = \mathbb{E}_0 \left[\frac{e^{-U_{\theta}}}{\rho_0} \right]"),
               "importance sampling of the partition function: an identity for any ρ₀ > 0 where e^{−U} > 0, and the "
               "remark on its coefficient of variation is qualitative; the estimators of Z the suite checks are "
               "NCE's (nce-learned-normalizer, toy-nce-with-normalizer)"),
    NotEncoded(Source(REVIEW, "§2.1, Definition 2.3, eqs. 9–11",
                      r"H(\rho_1, \rho_2) = -\int_{\mathbb{R}^d} \log \rho_2(x) \rho_1(x) dx,\ D_{KL}(\rho_1 \parallel \rho_2) = \int_{\mathbb{R}^d} \rho_1(x) \log \left(\frac{\rho_1(x)}{\rho_2(x)} \right) dx,\ H(\rho_1) = -\int_{\mathbb{R}^d} \log \rho_1(x) \rho_1(x) dx"),
               "definitions with nothing of their own to check; every divergences-* claim starts from them"),
    NotEncoded(Source(REVIEW, "§2.1, after eq. 15",
                      r"\text{Solving equation 15 is equivalent to maximum likelihood method}"),
               "covered by divergences-ebm-cross-entropy: H(ρ_*, ρ_θ) = −E_*[log ρ_θ] is the population negative log-likelihood"),
    NotEncoded(Source(REVIEW, "§2.1, after eq. 15",
                      r"\text{most of the empirical estimators [of } H(\rho_*)\text{] suffer in high dimension}"),
               "qualitative, with a citation (Ao & Li 2023)"),
    NotEncoded(Source(REVIEW, "§2.1, Remark 2.2",
                      r"\text{Estimating } \partial_{\theta}H(\rho_*, \rho_{\theta}) \text{ requires calculating the expectation } \mathbb{E}_{\theta}[\partial_{\theta}U_{\theta}]"
                      r"\text{. In contrast } \mathbb{E}_*[\partial_{\theta}U_{\theta}] \text{ can be readily estimated on the data.}"),
               "qualitative (computational cost); its identity is divergences-log-partition-gradient"),
    NotEncoded(Source(REVIEW, "§2.1, after Remark 2.2",
                      r"\text{Typical training methods, e.g. Contrastive Divergence, resort to various approximations to calculate } \mathbb{E}_{\theta}[\partial_{\theta}U_{\theta}]"),
               "qualitative; historical"),
)
