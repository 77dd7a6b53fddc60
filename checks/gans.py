r"""Checks of review 003 §3.2 (generative adversarial networks), Table 1's GAN row and §3.5's GAN bullet.

Everything is 1-D. Expectations are composite Gauss–Legendre quadrature (:mod:`theory.quadrature`,
error = a rule against its refinement), except the pushforward identity (eq. 34), which holds a
Monte Carlo average over the noise against quadrature under the derived ρ_g. The maximum of V
over *all* discriminators is computed without the derived formula: at every quadrature node the
concave function y ↦ ρ_*(x) log y + ρ_g(x) log(1 − y) is maximised numerically (golden section
in the logit of y, :func:`maximise_pointwise`), and the maximiser and the maximum are held against
the derivation's D* and C(G). Closed forms (densities, integrands, gradients) come from the
derivation's exports, compiled with ``sp.lambdify``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from ebmcheck.checks.anatomy import (
    Check,
    Claim,
    Context,
    NotEncoded,
    Source,
    ZTest,
    mean_and_standard_error,
    printed_statement_controls,
)
from ebmcheck.checks.figures import new_figure, simulation_points, theory_line
from ebmcheck.derivations import gans as derivation
from ebmcheck.theory.densities import (
    Density,
    diagonal_gaussian_log_pdf,
    gaussian,
    l1_distance,
    maximise_pointwise,
    mixture,
    multiplicative_descent,
)
from ebmcheck.theory.quadrature import expect, gauss_legendre, integrate, refine

TOPIC = "gans"
HOST_ONLY = ("1-D quadrature and a golden-section search on the quadrature nodes with NumPy; the one Monte Carlo check "
             "draws 10⁵ noise values, all well under a second on a CPU")
REVIEW = "003"
A, B, Y = derivation.a, derivation.b, derivation.y


def _pointwise(expr) -> callable:
    """A function of the density values (a, b) = (ρ_*(x), ρ_g(x)) compiled from a derivation export."""
    return sp.lambdify((A, B), expr, "numpy")


def _union(first: Density, second: Density) -> tuple[float, float]:
    return min(first.lo, second.lo), max(first.hi, second.hi)


def _integral(first: Density, second: Density, integrand, panels: int = 200) -> tuple[float, float]:
    r"""∫ h(x, ρ_*(x), ρ_g(x)) dx by quadrature on the union of the intervals, with its error estimate."""
    return integrate(lambda x: integrand(x, first.pdf(x), second.pdf(x)), *_union(first, second), panels)


@functools.cache
def _supremum_for_pair(name: str) -> tuple[float, float]:
    """:func:`_maximum_over_discriminators` for the pair of :func:`_pairs` called ``name`` (shared by two claims)."""
    _, first, second = next(pair for pair in _pairs() if pair[0] == name)
    return _maximum_over_discriminators(first, second)


def _pairs():
    """(name, ρ_*, ρ_g) pairs: Gaussians (asymmetric), a mixture against a Gaussian, equal densities, far apart."""
    star_mixture = mixture((0.6, 0.4), (gaussian(-1.0, 0.6), gaussian(1.5, 0.8)))
    return [
        ("N(0,1) vs N(1.5,0.7²)", gaussian(0.0, 1.0), gaussian(1.5, 0.7)),
        ("mixture vs N(0.3,1.2²)", star_mixture, gaussian(0.3, 1.2)),
        ("ρ_g = ρ_* (mixture)", star_mixture, star_mixture),
        ("N(0,1) vs N(6,1)", gaussian(0.0, 1.0), gaussian(6.0, 1.0)),
    ]


def _maximum_over_discriminators(first: Density, second: Density, panels: int = 100) -> tuple[float, float]:
    r"""sup_D V(G, D) = ∫ sup_y (ρ_* log y + ρ_g log(1 − y)) dx, the sup found numerically at each node
    (no formula for D* used), with its error: the rule against its refinement (:func:`refine`), the
    search at 40 golden-section iterations on the coarse rule and 80 on the refined one (40 leave a
    bracket of 3e-7 in the logit, a value error of order 1e-14: the maximum is quadratic)."""
    lo, hi = _union(first, second)

    def at_level(level):
        nodes, weights = gauss_legendre(lo, hi, panels * 2**level, 16)
        _, best = maximise_pointwise(first.pdf(nodes), second.pdf(nodes), 40 * 2**level)
        return float(np.sum(weights * best)), float(np.sum(weights * np.abs(best)))

    value, error = refine(at_level)
    return float(value), float(error)


# ---- eq. 34: the pushforward -----------------------------------------------------------------------------------
LOGNORMAL = {"m": 0.3, "s": 0.4}
TEST_DISCRIMINATOR = (1.0, -0.8)  # D(x) = σ(1 − 0.8 x)


def _log_one_minus_sigmoid(logit):
    """log(1 − σ(h)) = −log(1 + e^h), computed stably."""
    return -np.logaddexp(0.0, logit)


def _log_sigmoid(logit):
    """log σ(h) = −log(1 + e^{−h}), computed stably."""
    return -np.logaddexp(0.0, -logit)


def pushforward_checks(context: Context) -> list[Check]:
    r"""E_{ρ_z}[f(G(z))] (Monte Carlo over z) against ∫ f ρ_g (quadrature under the derived ρ_g), for two f."""
    exports = derivation.pushforward().exports
    parameters = (derivation.m, derivation.s)
    values = (LOGNORMAL["m"], LOGNORMAL["s"])
    generator = sp.lambdify((derivation.z, *parameters), exports["generator"], "numpy")
    log_density = sp.lambdify((derivation.x, *parameters), sp.log(exports["density"]), "numpy")
    no_jacobian = sp.lambdify((derivation.x, *parameters),
                              -((sp.log(derivation.x) - derivation.m) ** 2) / (2 * derivation.s**2), "numpy")
    lo, hi = (math.exp(LOGNORMAL["m"] + k * LOGNORMAL["s"]) for k in (-14.0, 14.0))
    w0, w1 = TEST_DISCRIMINATOR
    functions = {
        "log(1 − D(x))": lambda x: _log_one_minus_sigmoid(w0 + w1 * x),
        "x": lambda x: x,
    }
    z = context.rng("noise").standard_normal(context.size(quick=100_000, full=3_000_000))
    samples = generator(z, *values)
    checks = []
    for label, f in functions.items():
        prediction, error = expect(lambda x: log_density(x[:, 0], *values), lambda x: f(x[:, 0]), lo, hi)
        estimate, standard_error = mean_and_standard_error(f(samples))
        if label == "x":
            control_value, control_label = float(generator(0.0, *values)), "f(G(E z)): the generator's law taken as a point mass at G of the noise mean (Jensen's mistake)"
        else:
            control_value, _ = expect(lambda x: no_jacobian(x[:, 0], *values), lambda x: f(x[:, 0]), lo, hi)
            control_label = "ρ_z(G⁻¹(x)) renormalised: the Jacobian |dG⁻¹/dx| dropped from ρ_g"
        checks.append(Check(
            name=f"E f(G(z)), f = {label}",
            quantity=r"\mathbb{E}_{\rho_z}[f(G(z))]",
            test=ZTest(float(prediction), float(estimate), float(standard_error)),
            control=ZTest(float(control_value), float(estimate), float(standard_error)),
            control_label=control_label,
            details={"generator": "G(z) = exp(s z + m)", **LOGNORMAL, "num_samples": int(z.size),
                     "quadrature_error": float(error)},
        ))
    return checks


# ---- Theorem 3.1: the optimal discriminator -----------------------------------------------------------------------
def _logistic_newton(first: Density, second: Density, panels: int, order: int, iterations: int = 30) -> np.ndarray:
    r"""argmax_w V(G, σ(w₀ + w₁x + w₂x²)) by Newton's method, V by quadrature (V is concave in w).

    Gradient ∫(ρ_*(1 − D) − ρ_g D)φ, Hessian −∫(ρ_* + ρ_g)D(1 − D)φφᵀ, φ = (1, x, x²); the rule is
    fixed (panels × order nodes under m = (ρ_* + ρ_g)/2)."""
    nodes, weights = gauss_legendre(*_union(first, second), panels, order)
    a, b = first.pdf(nodes), second.pdf(nodes)
    features = np.stack([np.ones_like(nodes), nodes, nodes**2], axis=1)
    w = np.zeros(3)
    for _ in range(iterations):
        d = 1.0 / (1.0 + np.exp(-(features @ w)))
        gradient = features.T @ (weights * (a * (1 - d) - b * d))
        hessian = -(features * (weights * (a + b) * d * (1 - d))[:, None]).T @ features
        w = w - np.linalg.solve(hessian, gradient)
    return w


def optimal_discriminator_checks(context: Context) -> list[Check]:
    exports = derivation.optimal_discriminator().exports
    printed = derivation.value_eq36().exports["printed_maximiser"]
    checks = []
    # (1) the lemma, pointwise: a derivative-free search on a grid of (a, b)
    a, b = np.meshgrid(np.geomspace(1e-3, 1e3, 25), np.geomspace(1e-3, 1e3, 25))
    a, b = a.ravel(), b.ravel()
    maximiser = _pointwise(exports["maximiser"])(a, b)
    printed_maximiser = _pointwise(printed)(a, b)

    def found(iterations):
        y, _ = maximise_pointwise(a, b, iterations)
        return y

    coarse, fine = found(40), found(80)
    error = float(np.max(np.abs(fine - coarse)))
    checks.append(Check(
        name="lemma: argmax of a log y + b log(1 − y) on (0, 1), 625 pairs (a, b) ∈ [1e-3, 1e3]²",
        quantity=r"\max_{(a,b)} |\hat y(a, b) - a/(a+b)|",
        test=ZTest(0.0, float(np.max(np.abs(fine - maximiser))), error),
        control=ZTest(0.0, float(np.max(np.abs(fine - printed_maximiser))), error),
        control_label="min(a/b, 1): the maximiser of eq. 36's integrand as printed, a log y + b(1 − y)",
        error_kind="quadrature",
        details={"search": "golden section in logit y on [−40, 40], 40 vs 80 iterations"},
    ))
    # (2) over a parametric family that contains D*: Newton's argmax against the derived logit coefficients
    coefficients = sp.lambdify((derivation.m, derivation.s), exports["logit_coefficients"], "numpy")
    for mean, scale in ((1.5, 0.7), (-0.8, 1.6)):
        first, second = gaussian(0.0, 1.0), gaussian(mean, scale)
        derived = np.asarray(coefficients(mean, scale), dtype=float).ravel()
        coarse, fine = (_logistic_newton(first, second, panels, 16) for panels in (100, 200))
        error = float(np.max(np.abs(fine - coarse)))
        error = max(error, 1e-13 * float(np.max(np.abs(derived))))
        for k in range(3):
            checks.append(Check(
                name=f"N(0,1) vs N({mean},{scale}²): argmax_w V(σ(w·(1,x,x²))), coefficient w{k}",
                quantity=rf"\hat w_{k}",
                test=ZTest(float(derived[k]), float(fine[k]), error),
                control=ZTest(float(-derived[k]), float(fine[k]), error),
                control_label="logit of ρ_g/(ρ_* + ρ_g): the roles of data and generator swapped",
                error_kind="quadrature",
            ))
    return checks


# ---- eq. 36 as printed ---------------------------------------------------------------------------------------------
def _lognormal_density() -> Density:
    """ρ_g of the log-normal generator, from the derivation's export; −∞ for x ≤ 0."""
    push = derivation.pushforward().exports
    log_density = sp.lambdify((derivation.x, derivation.m, derivation.s), sp.log(push["density"]), "numpy")
    m, s = LOGNORMAL["m"], LOGNORMAL["s"]

    def log_pdf(x):
        positive = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(positive, log_density(np.where(positive, x, 1.0), m, s), -np.inf)

    return Density(log_pdf, math.exp(m - 8 * s), math.exp(m + 8 * s))  # 1 − D stays above underflow on it


def _lognormal_generator():
    generator = sp.lambdify((derivation.z, derivation.m, derivation.s), derivation.pushforward().exports["generator"], "numpy")
    return lambda z: generator(z, LOGNORMAL["m"], LOGNORMAL["s"])


def value_eq36_checks(context: Context) -> list[Check]:
    r"""V(G, D) from its definition (eq. 33: E_* log D by quadrature in x, E_{ρ_z} log(1 − D(G(z))) by
    quadrature in z) against eq. 36 with the log (corrected) and as printed (control), for the
    log-normal generator and two logistic discriminators."""
    exports = derivation.value_eq36().exports
    corrected, printed = (sp.lambdify((A, B, Y), exports[key], "numpy") for key in ("integrand", "printed_integrand"))
    star, noise, generated, generator = gaussian(1.6, 0.5), gaussian(0.0, 1.0), _lognormal_density(), _lognormal_generator()
    checks = []
    for w0, w1 in ((2.0, -1.5), (-1.0, 1.0)):
        def discriminator(x, w0=w0, w1=w1):
            return 1.0 / (1.0 + np.exp(-(w0 + w1 * x)))

        data = integrate(lambda x: star.pdf(x) * _log_sigmoid(w0 + w1 * x), *star.interval())
        fake = integrate(lambda v: noise.pdf(v) * _log_one_minus_sigmoid(w0 + w1 * generator(v)), *noise.interval())
        definition, definition_error = data[0] + fake[0], data[1] + fake[1]
        value, value_error = _integral(star, generated, lambda x, a, b: corrected(a, b, discriminator(x)), panels=400)
        printed_value, _ = _integral(star, generated, lambda x, a, b: printed(a, b, discriminator(x)), panels=400)
        error = definition_error + value_error
        checks.append(Check(
            name=f"ρ_* = N(1.6, 0.5²), G(z) = e^(0.4z+0.3), D = σ({w0} + {w1}x)",
            quantity=r"V(G, D)\ \text{(eq. 33)}",
            test=ZTest(float(value), float(definition), float(error)),
            control=ZTest(float(printed_value), float(definition), float(error)),
            control_label="eq. 36 as printed: ∫(ρ_* log D + ρ_g (1 − D))",
            error_kind="quadrature",
        ))
    return printed_statement_controls(checks, "eq. 36 as printed")


# ---- eq. 37 and Theorem 3.2 / eq. 38 -----------------------------------------------------------------------------
def _zero_log_zero(function):
    """``function(a, b)`` with 0·log 0 = 0 where a density value underflows to 0."""
    def safe(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            values = function(a, b)
        return np.where(np.isnan(values) & ((a == 0) | (b == 0)), 0.0, values)
    return safe


def criterion_checks(context: Context) -> list[Check]:
    exports = derivation.criterion_eq37().exports
    corrected = _zero_log_zero(_pointwise(exports["criterion_integrand"]))
    printed = _zero_log_zero(_pointwise(exports["printed_integrand"]))
    checks = []
    for name, first, second in _pairs():
        supremum, supremum_error = _supremum_for_pair(name)
        value, value_error = _integral(first, second, lambda x, a, b: corrected(a, b))
        printed_value, _ = _integral(first, second, lambda x, a, b: printed(a, b))
        checks.append(Check(
            name=name,
            quantity=r"\sup_D V(G, D)",
            test=ZTest(value, supremum, supremum_error + value_error),
            control=ZTest(printed_value, supremum, supremum_error + value_error),
            control_label="eq. 37 as printed: E_*[ρ_*/(ρ_*+ρ_g)] + E_g[ρ_g/(ρ_*+ρ_g)] (arg max, no logs)",
            error_kind="quadrature",
        ))
    return printed_statement_controls(checks, "eq. 37 as printed")


def jensen_shannon_checks(context: Context) -> list[Check]:
    jsd = _zero_log_zero(_pointwise(derivation.jensen_shannon().exports["jsd_integrand"]))
    log4 = math.log(4.0)
    checks, points = [], []
    for name, first, second in _pairs():
        supremum, supremum_error = _supremum_for_pair(name)
        divergence, divergence_error = _integral(first, second, lambda x, a, b: jsd(a, b))
        prediction = -log4 + 2 * divergence
        if divergence > 1e-6:
            control, label = -log4 + divergence, "−log 4 + JSD: the factor 2 of eq. 38 dropped"
        else:
            control, label = 2 * divergence, "2 JSD without the −log 4 (C(G*) = 0)"
        checks.append(Check(
            name=name,
            quantity=r"C(G) = \sup_D V(G, D)",
            test=ZTest(prediction, supremum, supremum_error + 2 * divergence_error),
            control=ZTest(control, supremum, supremum_error + 2 * divergence_error),
            control_label=label,
            error_kind="quadrature",
            details={"jsd": divergence, "log 2": math.log(2.0)},
        ))
        points.append((name, supremum, divergence))
    _figure_jensen_shannon(context, jsd)
    return checks + _two_d_checks(context, jsd)


def _two_d_checks(context: Context, jsd) -> list[Check]:
    r"""Monte Carlo in d = 2: ρ_* = N(0, I), ρ_g = N((0.8, 0), diag(0.8², 1)); the value of V at the optimal
    discriminator, :math:`\mathbb E_*\log D^* + \mathbb E_g\log(1-D^*)` with D* computed from the 2-D densities,
    against −log 4 + 2 JSD of the 1-D pair by quadrature (equal: step "two-d"). Control: the factor 2 dropped (near)."""
    size = context.size(quick=100_000, full=2_000_000)
    star_mean, star_scales, fake_mean, fake_scales = (0.0, 0.0), (1.0, 1.0), (0.8, 0.0), (0.8, 1.0)
    rng = context.rng("two-d samples")
    real = np.asarray(star_mean) + np.asarray(star_scales) * rng.standard_normal((size, 2))
    fake = np.asarray(fake_mean) + np.asarray(fake_scales) * rng.standard_normal((size, 2))

    def log_discriminator(points):  # log D* and log(1 − D*) from the 2-D densities
        log_a = diagonal_gaussian_log_pdf(points, star_mean, star_scales)
        log_b = diagonal_gaussian_log_pdf(points, fake_mean, fake_scales)
        log_sum = np.logaddexp(log_a, log_b)
        return log_a - log_sum, log_b - log_sum

    real_mean, real_se = mean_and_standard_error(log_discriminator(real)[0])
    fake_mean, fake_se = mean_and_standard_error(log_discriminator(fake)[1])
    estimate, error = float(real_mean + fake_mean), float(math.hypot(real_se, fake_se))
    divergence, _ = _integral(gaussian(0.0, 1.0), gaussian(0.8, 0.8), lambda x, a, b: jsd(a, b))
    return [Check(
        name="d = 2 (Monte Carlo): N(0, I) vs N((0.8, 0), diag(0.8², 1))",
        quantity=r"\mathbb{E}_*\log D^* + \mathbb{E}_{\rho_g}\log(1 - D^*)",
        test=ZTest(-math.log(4.0) + 2 * divergence, estimate, error),
        control=ZTest(-math.log(4.0) + divergence, estimate, error),
        control_label="−log 4 + JSD: the factor 2 of eq. 38 dropped",
        details={"samples": size, "jsd_1d": divergence},
    )]


def _figure_jensen_shannon(context: Context, jsd) -> None:
    """C(G) along a shifted generator ρ_g = N(θ, 1) against ρ_* = N(0, 1): −log 4 + 2 JSD, sup_D V and eq. 37 as printed."""
    printed = _zero_log_zero(_pointwise(derivation.criterion_eq37().exports["printed_integrand"]))
    shifts = np.linspace(-6.0, 6.0, 25)
    star = gaussian(0.0, 1.0)
    theory = [-math.log(4.0) + 2 * _integral(star, gaussian(t, 1.0), lambda x, a, b: jsd(a, b), panels=50)[0] for t in shifts]
    as_printed = [_integral(star, gaussian(t, 1.0), lambda x, a, b: printed(a, b), panels=50)[0] for t in shifts]
    sampled = shifts[::3]
    numeric = [_maximum_over_discriminators(star, gaussian(t, 1.0), panels=25)[0] for t in sampled]
    figure, (axis,) = new_figure()
    theory_line(axis, shifts, theory, r"$-\log 4 + 2\,\mathrm{JSD}(\rho_*\|\rho_g)$ (eq. 38)")
    simulation_points(axis, sampled, numeric, label=r"$\sup_D V(G,D)$, maximised numerically at each $x$")
    theory_line(axis, shifts, as_printed, "eq. 37 as printed", linestyle=":")
    axis.axhline(-math.log(4.0), color="k", lw=0.8, ls="--")
    axis.axhline(0.0, color="k", lw=0.8, ls="-.")
    axis.set_xlabel(r"generator shift $\theta$: $\rho_g = \mathcal{N}(\theta, 1)$, $\rho_* = \mathcal{N}(0, 1)$")
    axis.set_ylabel(r"$C(G)$")
    axis.legend(fontsize=8)
    context.add_figure("criterion", figure,
                       "C(G) = max_D V is −log 4 + 2 JSD: minimal (−log 4, dashed) at ρ_g = ρ_*, and below 0 (dash-dotted, "
                       "JSD ≤ log 2) however far the generator is. Eq. 37 as printed is 1 at ρ_g = ρ_* and 2 far away.")


# ---- the saturating generator gradient (l. 409) -----------------------------------------------------------------
SEPARATIONS = (0.5, 1.0, 2.0, 4.0, 8.0)


def _finite_difference(loss, theta: float) -> tuple[float, float]:
    """Central difference of ``loss`` at θ with steps δ and δ/2; returns the finer and |fine − coarse| + rounding."""
    step = 1e-3
    coarse, fine = ((loss(theta + h) - loss(theta - h)) / (2 * h) for h in (step, step / 2))
    return fine, abs(fine - coarse) + 1e-15 * (1 + abs(loss(theta))) / step


def saturating_checks(context: Context) -> list[Check]:
    exports = derivation.saturating_gradient().exports
    logit = sp.lambdify((derivation.x, derivation.theta), exports["logit"], "numpy")
    integrands = {key: sp.lambdify((derivation.x, derivation.theta), exports[key], "numpy")
                  for key in ("saturating_integrand", "non_saturating_integrand")}
    noise = gaussian(0.0, 1.0)
    checks, curves = [], []
    for theta in SEPARATIONS:
        generated = gaussian(theta, 1.0)
        predicted = {key: integrate(lambda x, f=f: generated.pdf(x) * f(x, theta), *generated.interval())
                     for key, f in integrands.items()}
        losses = {  # the generator's losses through D = D*_G of the current θ, held fixed; G(z) = z + θ'
            "saturating_integrand": lambda shift: integrate(
                lambda v: noise.pdf(v) * _log_one_minus_sigmoid(logit(v + shift, theta)), *noise.interval())[0],
            "non_saturating_integrand": lambda shift: -integrate(
                lambda v: noise.pdf(v) * _log_sigmoid(logit(v + shift, theta)), *noise.interval())[0],
        }
        for key, other in (("saturating_integrand", "non_saturating_integrand"),
                           ("non_saturating_integrand", "saturating_integrand")):
            estimate, error = _finite_difference(losses[key], theta)
            error += predicted[key][1]
            saturating = key == "saturating_integrand"
            checks.append(Check(
                name=f"θ = {theta}: " + ("∂θ E log(1 − D(G(z)))" if saturating else "−∂θ E log D(G(z))"),
                quantity=r"\partial_\theta \mathbb{E}\log(1 - D(G_\theta(z)))" if saturating
                else r"-\partial_\theta \mathbb{E}\log D(G_\theta(z))",
                test=ZTest(predicted[key][0], estimate, error),
                control=ZTest(predicted[other][0], estimate, error),
                control_label=("no saturation: the non-saturating gradient θE_g[1 − D*]" if saturating
                               else "the saturating gradient θE_g[D*]"),
                error_kind="finite-difference",
                details={"separation": theta, "loss": key},
            ))
        estimates = {c.details["loss"]: c.test.estimate for c in checks[-2:]}
        curves.append((theta, estimates["saturating_integrand"], estimates["non_saturating_integrand"]))
    _figure_saturation(context, exports, curves)
    return checks


def _figure_saturation(context: Context, exports, points) -> None:
    bound = sp.lambdify(derivation.theta, exports["bound"], ["scipy", "numpy"])
    integrands = {key: sp.lambdify((derivation.x, derivation.theta), exports[key], "numpy")
                  for key in ("saturating_integrand", "non_saturating_integrand")}
    shifts = np.linspace(0.25, 10.0, 25)
    curves = {key: [integrate(lambda x, t=t: gaussian(t, 1.0).pdf(x) * f(x, t), *gaussian(t, 1.0).interval(), 25)[0]
                    for t in shifts] for key, f in integrands.items()}
    figure, (axis,) = new_figure()
    theory_line(axis, shifts, curves["non_saturating_integrand"], r"non-saturating $-\partial_\theta\mathbb{E}\log D(G)$")
    theory_line(axis, shifts, curves["saturating_integrand"], r"saturating $\partial_\theta\mathbb{E}\log(1-D(G))$")
    theory_line(axis, shifts, bound(shifts), r"bound $\theta\,\mathrm{erfc}(\theta/2\sqrt{2})$", linestyle="--")
    theta, saturating, non_saturating = (np.array(v) for v in zip(*points))
    simulation_points(axis, theta, saturating, label="finite differences (checks)", color="k")
    simulation_points(axis, theta, non_saturating, color="k")
    axis.set_yscale("log")
    axis.set_xlabel(r"separation $\theta$ between $\rho_* = \mathcal{N}(0,1)$ and $\rho_g = \mathcal{N}(\theta,1)$")
    axis.set_ylabel(r"generator gradient at $D = D^*_G$")
    axis.legend(fontsize=8)
    context.add_figure("saturation", figure,
                       "With the optimal discriminator held fixed, the gradient of the saturating loss log(1 − D(G(z))) "
                       "vanishes like θ·erfc(θ/2√2) as the generator moves away from the data; the non-saturating −log D(G(z)) "
                       "grows like θ.")


# ---- Theorem 3.3 ---------------------------------------------------------------------------------------------------
def _convergence_setting():
    star = mixture((0.7, 0.3), (gaussian(-2.0, 0.5), gaussian(2.0, 1.0)))
    start = gaussian(4.0, 0.8)
    nodes, weights = gauss_legendre(-12.0, 12.0, 200, 16)
    return star, start, nodes, weights


def convergence_checks(context: Context) -> list[Check]:
    contraction = float(derivation.functional_descent().exports["unit_step_contraction"])
    star, start, nodes, weights = _convergence_setting()
    log_star, log_start = star.log_pdf(nodes), start.log_pdf(nodes)
    collapsed = gaussian(-2.0, 0.5).log_pdf(nodes)  # mode collapse onto the main mode
    checks = []
    eta = 0.5
    iterates = multiplicative_descent(log_star, log_start, weights, eta, 200)
    distances = np.array([l1_distance(it, log_star, weights) for it in iterates])
    coarse, fine = distances[100], distances[200]
    checks.append(Check(
        name=f"η = {eta}: ‖ρ_g − ρ_*‖₁ after 100 / 200 steps from N(4, 0.8²)",
        quantity=r"\|\rho_g^{(k)} - \rho_*\|_1",
        test=ZTest(0.0, fine, abs(fine - coarse)),
        control=ZTest(l1_distance(collapsed, log_star, weights), fine, abs(fine - coarse)),
        control_label="mode collapse: ρ_g ends on the main mode N(−2, 0.5²) of ρ_*",
        error_kind="iteration",
        details={"start": distances[0], "after_10": distances[10]},
    ))
    unit = multiplicative_descent(log_star, log_start, weights, 1.0, 6)
    ratio = l1_distance(unit[6], log_star, weights) / l1_distance(unit[5], log_star, weights)
    checks.append(Check(
        name="η = 1: contraction of ‖ρ_g − ρ_*‖₁ per step (step 5 → 6)",
        quantity=r"\|\rho_g^{(6)} - \rho_*\|_1 / \|\rho_g^{(5)} - \rho_*\|_1",
        test=ZTest(contraction, ratio, 1e-12),
        control=ZTest(0.0, ratio, 1e-12),
        control_label="one step lands on ρ_* (ratio 0)",
        error_kind="rounding",
    ))
    _figure_convergence(context, distances, iterates, log_star, weights)
    return checks


def _figure_convergence(context: Context, distances, iterates, log_star, weights) -> None:
    criterion = _zero_log_zero(_pointwise(derivation.functional_descent().exports["criterion_integrand"]))
    star = np.exp(log_star)
    values = np.array([np.sum(weights * criterion(star, np.exp(it))) for it in iterates]) + math.log(4.0)
    figure, (left, right) = new_figure(ncols=2, width=7.2)
    steps = np.arange(len(distances))
    theory_line(left, steps, np.maximum(distances, 1e-17), r"$\|\rho_g^{(k)}-\rho_*\|_1$")
    theory_line(left, steps, np.maximum(values, 1e-17), r"$C(\rho_g^{(k)}) + \log 4 = 2\,\mathrm{JSD}$", linestyle="--")
    left.set_yscale("log")
    left.set_xlabel("step k (η = 0.5)")
    left.legend(fontsize=8)
    _, _, nodes, _ = _convergence_setting()
    for k in (0, 2, 5, 20):
        right.plot(nodes, np.exp(iterates[k]), lw=1, label=f"k = {k}")
    right.plot(nodes, star, "k--", lw=1.2, label=r"$\rho_*$")
    right.set_xlim(-6, 8)
    right.set_xlabel("x")
    right.legend(fontsize=8)
    context.add_figure("functional-descent", figure,
                       "Theorem 3.3 on a grid: ρ_g updated by ρ_g(1 − D*_G)^{−η}/Z, D*_G recomputed at each step, converges "
                       "to the two-mode ρ_* from a generator far from both modes; C decreases monotonically to −log 4.")


# ---- the claims ----------------------------------------------------------------------------------------------------
EQ33 = (r"\underset{\theta_g}{\arg \min} \underset{\theta_d}{\arg \max} \mathbb{E}_*[\log D_{\theta_d}(x)] + "
        r"\mathbb{E}_{\rho_z}[\log(1 - D_{\theta_d}(G_{\theta_g}(z)))] := \underset{\theta_g}{\arg \min} "
        r"\underset{\theta_d}{\arg \max} V(G, D)")
EQ34 = r"\mathbb{E}_{\rho_z}[\log(1 - D_{\theta_d}(G_{\theta_g}(z)))] = \mathbb{E}_{\rho_g}[\log(1 - D_{\theta_d}(x))]"
EQ35 = r"D_G^* = \frac{\rho_*(x)}{\rho_*(x) + \rho_g(x)}"
LEMMA = (r"\text{The function } y \to a \log(y) + b \log(1-y) \text{ achieve its maximum in } (0,1) \text{ at } a/(a+b) "
         r"\text{ for } (a,b) \neq (0,0)")
EQ36 = r"V(G, D) = \int_{\Omega} (\rho_*(x) \log D_{\theta_d}(x) + \rho_g(x) (1 - D_{\theta_d}(x))) dx"
EQ37 = (r"C(G) = \underset{D}{\operatorname{arg\,max}} V(G, D) = \mathbb{E}_* \left[\frac{\rho_*(x)}{\rho_*(x) + \rho_g(x)} "
        r"\right] + \mathbb{E}_{\rho_g} \left[\frac{\rho_g(x)}{\rho_*(x) + \rho_g(x)} \right]")
THEOREM32 = (r"\text{At fixed } D = D_G^*, \text{ the optimal generator } G^* \text{ induce a } \rho_g \text{ such that } "
             r"\rho_g = \rho_*. \text{ At that point, } C(G^*) = -\log 4")
EQ38 = (r"C(G) = -\log(4) + D_{KL}\left(\rho_* \parallel \frac{\rho_* + \rho_g}{2}\right) + D_{KL}\left(\rho_g \parallel "
        r"\frac{\rho_* + \rho_g}{2}\right) = -\log(4) + 2 \cdot JSD(\rho_* \parallel \rho_g);\ JSD(\rho_* \parallel \rho_g) "
        r"\geq 0 \text{ and } JSD(\rho_* \parallel \rho_g) = 0 \text{ iff } \rho_g = \rho_*")
THEOREM33 = (r"\text{If G and D have enough capacity, and at each step of the alternating algorithm, the discriminator is "
             r"allowed to reach its optimum given G, and } \rho_q \text{ is updated so as to improve the criterion } "
             r"\mathbb{E}_*[\log D_G^*(x)] + \mathbb{E}_{\rho_g}[\log(1 - D_G^*(x))] \text{ (39) then } \rho_g "
             r"\text{ converges to } \rho_*")
SATURATION = (r"\text{a numerical issue arises when attempting to find the perfect discriminator } D_G^* \text{ at a fixed G; "
              r"backpropagation to train the generator (specifically because the term } D(G_{\theta_g}(z))\text{) may "
              r"yield gradients close to zero by definition at the beginning of training when the generator is very poor}")

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="gans-pushforward",
        title="The generator's law ρ_g: E_{ρ_z}[f(G(z))] = E_{ρ_g}[f] (eq. 34)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, eq. 34 (with eq. 33's V)", EQ34),),
        expected_verdict="verified",
        derivation=derivation.pushforward,
        checks=pushforward_checks,
        summary="For the log-normal generator G(z) = e^{0.4z+0.3}, ρ_z = N(0, 1), the density of G(Z) is derived (CDF "
        "Φ(G⁻¹(x)), Jacobian 1/(sx)); Monte Carlo averages of f(G(z)) over 10⁵ noise draws agree with quadrature under "
        "ρ_g for f = log(1 − D) and f = x, and reject ρ_g without its Jacobian and the point mass at G(E z).",
    ),
    Claim(
        id="gans-optimal-discriminator",
        title="The optimal discriminator D*_G = ρ_*/(ρ_* + ρ_g) (Theorem 3.1, eq. 35, and its lemma)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, Theorem 3.1, eq. 35", EQ35), Source(REVIEW, "§3.2, proof of Theorem 3.1 (lemma)", LEMMA)),
        expected_verdict="verified-with-conditions",
        derivation=derivation.optimal_discriminator,
        checks=optimal_discriminator_checks,
        conditions=(("a = ρ_*(x) > 0 and b = ρ_g(x) > 0: where exactly one density vanishes (a·b = 0, (a, b) ≠ (0, 0)) "
                    "the function is monotone on (0, 1) and has no maximum there — the supremum is approached at y → 0 "
                    "or 1, so the lemma's '(a, b) ≠ (0, 0)' is not enough; eq. 35 then holds with D* ∈ {0, 1} on "
                    "[0, 1] with log 0 = −∞"),),
        summary="A derivative-free search over y ∈ (0, 1) finds the maximiser a/(a + b) for 625 pairs (a, b) spanning six "
        "decades (printed eq. 36's maximiser min(a/b, 1) rejected); for Gaussian pairs, maximising V by Newton over "
        "the logistic-quadratic family recovers the derived logit of ρ_*/(ρ_* + ρ_g) to ~1e-10. The lemma needs a, b > 0.",
    ),
    Claim(
        id="gans-value-eq36",
        title="The value function as printed in eq. 36 (the log on the second term missing)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, proof of Theorem 3.1, eq. 36", EQ36),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.value_eq36,
        checks=value_eq36_checks,
        corrected=r"V(G, D) = \int_{\Omega} \big(\rho_*(x) \log D(x) + \rho_g(x) \log(1 - D(x))\big)\, dx",
        summary="Eq. 33's V computed from its definition (data term in x, fake term in the noise z) equals "
        "∫(ρ_* log D + ρ_g log(1 − D)) to quadrature precision and not the printed ∫(ρ_* log D + ρ_g(1 − D)). The "
        "printed integrand is maximised at min(ρ_*/ρ_g, 1), not at ρ_*/(ρ_* + ρ_g), and has no maximum in (0, 1) where "
        "ρ_* ≥ ρ_g: as printed, eq. 36 does not prove eq. 35.",
    ),
    Claim(
        id="gans-criterion-eq37",
        title="The criterion C(G) as printed in eq. 37 (arg max for max, logs missing)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, eq. 37", EQ37),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.criterion_eq37,
        checks=criterion_checks,
        corrected=(r"C(G) = \max_D V(G, D) = V(G, D^*_G) = \mathbb{E}_* \left[\log\frac{\rho_*(x)}{\rho_*(x) + \rho_g(x)}\right]"
                   r" + \mathbb{E}_{\rho_g} \left[\log\frac{\rho_g(x)}{\rho_*(x) + \rho_g(x)} \right]"),
        summary="The supremum of V over all discriminators (maximised numerically at each quadrature node, no formula "
        "used) equals E_* log D* + E_g log(1 − D*) for four density pairs, and not the printed expression, which is "
        "1 + ½∫(ρ_*−ρ_g)²/(ρ_*+ρ_g) (the triangular discrimination): 1 at ρ_g = ρ_*, where C = −log 4. The printed "
        "expression is also not an arg max (a discriminator) but a number.",
    ),
    Claim(
        id="gans-jensen-shannon",
        title="C(G) = −log 4 + 2 JSD(ρ_*‖ρ_g), minimal exactly at ρ_g = ρ_* (Theorem 3.2, eq. 38)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, Theorem 3.2", THEOREM32), Source(REVIEW, "§3.2, proof of Theorem 3.2, eq. 38", EQ38)),
        expected_verdict="verified-with-conditions",
        derivation=derivation.jensen_shannon,
        checks=jensen_shannon_checks,
        conditions=("'at fixed D = D*_G' read as D re-optimised for every G, i.e. G minimises C(G) = max_D V(G, D): with D "
                    "held fixed, V is linear in ρ_g and is minimised by a point mass at argmax D, not by ρ_*",),
        summary="With C(G) = max_D V (eq. 37 corrected), the sup of V computed numerically equals −log 4 + 2 JSD for "
        "Gaussian, mixture, equal and far-apart pairs (the factor 2 dropped is rejected); at ρ_g = ρ_* it is −log 4 with "
        "D* = 1/2. JSD ≥ 0 with equality iff ρ_g = ρ_* is derived (Gibbs). Not in the review: JSD ≤ log 2, so "
        "−log 4 ≤ C(G) ≤ 0 (the pair N(0,1), N(6,1) has C = −0.008).",
    ),
    Claim(
        id="gans-functional-convergence",
        title="ρ_g converges to ρ_* under descent on C with the optimal discriminator (Theorem 3.3)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, Theorem 3.3, eq. 39", THEOREM33),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.functional_descent,
        checks=convergence_checks,
        conditions=(("ρ_g is updated in function space (full capacity: any density on the grid), by the gradient step of "
                    "the convex C: here ρ_g ← ρ_g(1 − D*_G)^{−η}/Z with a fixed step η ∈ (0, 1] and D*_G recomputed at "
                    "each step; 'improved' alone does not suffice (improvements that shrink fast enough stop short of ρ_*)"),),
        summary="On a grid, the multiplicative (mirror) gradient step on C, with D*_G recomputed at each step, drives a "
        "generator that starts far from both modes of a two-mode ρ_* to ρ_* (‖ρ_g − ρ_*‖₁ from 1.9 to rounding in 200 "
        "steps at η = 1/2; no mode collapse), and at η = 1 the distance halves each step exactly, as derived. The "
        "theorem is about function space; it says nothing about parameter space (§3.2's own caveat).",
    ),
    Claim(
        id="gans-saturating-gradient",
        title="The saturating generator loss log(1 − D(G(z))) gives vanishing gradients for a poor generator (l. 409)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.2, drawbacks paragraph (l. 409)", SATURATION),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.saturating_gradient,
        checks=saturating_checks,
        conditions=(("the discriminator is (near) optimal, D = D*_G, and held fixed while the generator is differentiated; "
                    "the generator loss is eq. 33's log(1 − D(G(z))) (the non-saturating −log D(G(z)) does not vanish); "
                    "shown for ρ_* = N(0, 1), G(z) = z + θ, where the gradient is θE_g[D*] ≤ θ erfc(θ/(2√2))"),),
        summary="With ρ_* = N(0, 1), G(z) = z + θ and D = D*_G, finite differences of the generator losses agree with the "
        "derived gradients θE_g[D*] (saturating) and θE_g[1 − D*] (non-saturating) at separations 0.5 to 8: the "
        "saturating one rises to ≈ 0.45 near θ = 2 and then falls below θ·erfc(θ/(2√2)) (3.9e-4 at θ = 8, 5e-5 times the "
        "non-saturating one), while the non-saturating one grows like θ.",
    ),
)

NOT_ENCODED: tuple[NotEncoded, ...] = (
    NotEncoded(Source(REVIEW, "§3.2, eq. 33", EQ33),
               "a definition (the value V and the minimax problem); V's form is what gans-value-eq36 and gans-pushforward "
               "check, its optimum is gans-criterion-eq37 and gans-jensen-shannon"),
    NotEncoded(Source(REVIEW, "§3.2, Proposition 3.1 (the alternating algorithm)",
                      r"\text{Update of the discriminator: sample } \{z^{(i)}\}, \{x^{(i)}\}; \text{ compute } \nabla_{\theta_d}V(G,D) "
                      r"\text{ and perform gradient ascent. Update of the generator: sample } \{z^{(i)}\}; \text{ compute } "
                      r"\nabla_{\theta_a} V(G, D) \text{ and perform gradient descent}"),
               "an algorithm description, not a statement that is true or false (the review itself calls it 'driven by "
               "common sense'); that its minibatch averages estimate V and ∇V without bias is eq. 34 (gans-pushforward), "
               "and what it converges to, in the idealised setting, is Theorem 3.3 (gans-functional-convergence). "
               "'∇_{θ_a}' is a misprint of ∇_{θ_g}"),
    NotEncoded(Source(REVIEW, "§3.2, after Theorem 3.1",
                      r"\text{This lemma ensure that the gradient ascending will eventually reach a maximum}"),
               "qualitative; what is true is derived in gans-optimal-discriminator: V is strictly concave in the value "
               "D(x) at each x, so in function space the maximum is unique — in the parameters θ_d of a network V is in "
               "general not concave and the lemma ensures nothing about gradient ascent there"),
    NotEncoded(Source(REVIEW, "§3.2, after Theorem 3.3",
                      r"\text{the proposed minimax game has a unique Nash equilibrium ... performing no better than a random "
                      r"classifier with a probability of 1/2}"),
               "covered by gans-jensen-shannon: C(G) = −log 4 + 2 JSD has its unique minimum at ρ_g = ρ_*, where D* = 1/2"),
    NotEncoded(Source(REVIEW, "§3.2, drawbacks",
                      r"\text{a convex problem in probability space may become non-convex ... the induced loss function becomes "
                      r"inherently non-convex}"),
               "the convexity of C in ρ_g is derived in gans-functional-convergence (∂²C/∂ρ_g² = ρ_*/(ρ_g(ρ_*+ρ_g)) > 0); "
               "non-convexity in the parameters of a deep network is qualitative"),
    NotEncoded(Source(REVIEW, "§3.2, drawbacks (instability, mode collapse, cost, evaluation metrics)",
                      r"\text{GAN training is notorious for its instability ... mode collapse ... Inception Score and Frechet "
                      r"Inception Distance have limitations}"),
               "qualitative and empirical remarks with no mathematical statement"),
    NotEncoded(Source(REVIEW, "§3.5, Table 1, GAN row",
                      r"\text{GAN — Minimax Game — } \arg\min_{\theta}\arg\max_{\theta'} \mathbb{E}_*[\log D_{\theta'}(x)] + "
                      r"\mathbb{E}_{\rho_z}[\log(1 - D_{\theta'}(G_{\theta}(z)))]"),
               "eq. 33 again (θ = θ_g, θ' = θ_d), a definition; note that under the table's heading 'Implementation of "
               "Maximum Log-Likelihood' it is not a likelihood: by eq. 38 (gans-jensen-shannon) the idealised game "
               "minimises JSD(ρ_*‖ρ_g), not KL(ρ_*‖ρ_g)"),
    NotEncoded(Source(REVIEW, "§3.5, GAN bullet",
                      r"\text{For GANs, if the discriminator is } D_{\theta'}(x) \propto e^{-U_{\theta'}(x)}, \text{ we "
                      r"immediately recover the term } \mathbb{E}_*[U_{\theta}]"),
               "an analogy, not an identity: with D = c e^{−U_θ'}, E_*[log D] = −E_*[U_θ'] + log c, so the data term of V "
               "is minus the EBM's data term (the discriminator maximises it, an EBM minimises E_*[U] + log Z) with the "
               "discriminator's θ', not θ; the other term E_g[log(1 − c e^{−U})] is not log Z, and D < 1 needs U > log c. "
               "Only the data term, up to sign and a constant, is shared"),
)
