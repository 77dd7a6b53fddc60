r"""Generative adversarial networks (review 003, §3.2): the value function, the optimal
discriminator, the criterion C(G) and the Jensen–Shannon identity, saturating gradients.

Notation (the review's): data density :math:`\rho_*`, noise :math:`\rho_z`, generator G, the
generator's law :math:`\rho_g` (eq. 34: :math:`\mathbb{E}_{\rho_z}[f(G(z))] = \mathbb{E}_{\rho_g}[f]`),
discriminator D with values in (0, 1), and eq. 33's value

.. math:: V(G, D) = \mathbb{E}_*[\log D] + \mathbb{E}_{\rho_z}[\log(1 - D(G(z)))]
          = \int \big(\rho_* \log D + \rho_g \log(1 - D)\big)\,dx .

Everything that is pointwise in x is derived with the two density values at a point as positive
symbols a = ρ_*(x), b = ρ_g(x); a step whose integral over x matters says which normalisation
(∫ρ_* = ∫ρ_g = 1) it uses. Concrete families (log-normal generator, Gaussian pairs) are written
out where the checks need closed forms.
"""

from __future__ import annotations

import sympy as sp
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x = sp.Symbol("x", real=True)
z = sp.Symbol("z", real=True)
u = sp.Symbol("u", real=True)
y = sp.Symbol("y", positive=True)  # a discriminator value in (0, 1)
t = sp.Symbol("t", positive=True)
a, b = sp.symbols("a b", positive=True)  # ρ_*(x), ρ_g(x) at one point
m, theta = sp.symbols("m theta", real=True)
s = sp.Symbol("s", positive=True)

DENSITIES_POSITIVE = Assumption(
    "gan-densities-positive", r"\rho_*(x) > 0,\ \rho_g(x) > 0",
    "at the point considered both densities are positive (x in the intersection of the supports); where one of them "
    "vanishes the supremum over D(x) ∈ (0, 1) is not attained: it is approached at D → 0 or D → 1",
)
NORMALISED = Assumption(
    "gan-densities-normalised", r"\int\rho_*\,dx = \int\rho_g\,dx = 1",
    "ρ_* and ρ_g are probability densities: a pointwise identity c·(a + b) integrates to 2c",
)
GENERATOR_INCREASING = Assumption(
    "gan-generator-increasing", r"G'(z) > 0",
    "the generator is a strictly increasing map of ℝ onto its range, so P(G(Z) ≤ x) = P(Z ≤ G^{-1}(x))",
)

SQRT2PI = sp.sqrt(2 * sp.pi)


def gaussian_density(point, mean, scale) -> sp.Expr:
    """The N(mean, scale²) density at ``point``, written out."""
    return sp.exp(-((point - mean) ** 2) / (2 * scale**2)) / (scale * SQRT2PI)


def standard_normal_cdf(point) -> sp.Expr:
    """Φ(point) = (1 + erf(point/√2))/2."""
    return (1 + sp.erf(point / sp.sqrt(2))) / 2


def sigmoid(value) -> sp.Expr:
    """The logistic function σ(v) = 1/(1 + e^{−v})."""
    return 1 / (1 + sp.exp(-value))


def lognormal_generator() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The generator G(z) = e^{s z + m}, its inverse and the pushforward density of N(0, 1) by it."""
    generator = sp.exp(s * z + m)
    inverse = (sp.log(x) - m) / s
    density = sp.exp(-((sp.log(x) - m) ** 2) / (2 * s**2)) / (s * x * SQRT2PI)
    return generator, inverse, density


def pushforward() -> Derivation:
    r"""The law of G(Z), Z ~ N(0, 1), for G(z) = e^{sz+m}: the density ρ_g of eq. 34, derived.

    P(G(Z) ≤ x) = P(Z ≤ G⁻¹(x)) = Φ(G⁻¹(x)) for increasing G; ρ_g is its derivative. Then
    E_{ρ_z}[f(G(Z))] = ∫ f(G(z))φ(z)dz = ∫ f(x)ρ_g(x)dx by the substitution x = G(z), whose
    Jacobian dz = dx/(s x) the derived ρ_g carries.
    """
    generator, inverse, density = lognormal_generator()
    x_pos = sp.Symbol("x", positive=True)
    steps = (
        Step(sp.Subs(generator, z, inverse.subs(x, x_pos)), x_pos,
             "G(G⁻¹(x)) = x on (0, ∞): G⁻¹(x) = (log x − m)/s inverts G(z) = e^{sz+m}",
             (GENERATOR_INCREASING,), label="inverse", rests_on=(DEFINITION,)),
        Step(sp.Derivative(standard_normal_cdf(inverse), x), density,
             "ρ_g(x) = d/dx P(G(Z) ≤ x) = d/dx Φ(G⁻¹(x)) (G increasing): the log-normal density, Jacobian 1/(s x) included",
             (GENERATOR_INCREASING,), label="density", rests_on=("inverse",)),
        Step(sp.Mul(gaussian_density(inverse, 0, 1), sp.Derivative(inverse, x), evaluate=False), density,
             "the substitution x = G(z) in E_{ρ_z}[f(G(z))] = ∫ f(G(z)) φ(z) dz gives ∫ f(x) φ(G⁻¹(x)) (G⁻¹)'(x) dx: "
             "the weight of f(x) is ρ_g(x), so eq. 34 holds for every integrable f",
             label="change-of-variables", rests_on=("density",)),
    )
    return Derivation("The pushforward density of the generator (eq. 34)", steps,
                      exports={"generator": generator, "density": density}, result="change-of-variables")


def _integrand(value) -> sp.Expr:
    """The pointwise integrand of V from eqs. 33–34: a log D + b log(1 − D)."""
    return a * sp.log(value) + b * sp.log(1 - value)


def _printed_eq36_integrand(value) -> sp.Expr:
    """Eq. 36 as printed: a log D + b (1 − D) — the log on the second term missing."""
    return a * sp.log(value) + b * (1 - value)


def gaussian_logit() -> tuple[sp.Expr, tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """log ρ_* − log ρ_g for ρ_* = N(0, 1), ρ_g = N(m, s²), and its coefficients (w0, w1, w2) in x."""
    logit = sp.expand(sp.expand_log(sp.log(gaussian_density(x, 0, 1)) - sp.log(gaussian_density(x, m, s)), force=True))
    poly = sp.Poly(logit, x)
    return logit, tuple(poly.coeff_monomial(x**k) for k in range(3))


def optimal_discriminator() -> Derivation:
    r"""Theorem 3.1: pointwise, y ↦ a log y + b log(1 − y) is maximal on (0, 1) at a/(a + b).

    Its derivative a/y − b/(1 − y) vanishes there, and the second derivative −a/y² − b/(1 − y)² is
    negative on (0, 1): strictly concave, so the stationary point is the unique maximum. For a = 0
    (or b = 0) the derivative keeps one sign on (0, 1) and no maximum is attained in (0, 1). For a
    Gaussian pair the maximiser D* = σ(log ρ_* − log ρ_g) is logistic-quadratic in x.
    """
    integrand = _integrand(y)
    maximiser = a / (a + b)
    logit, coefficients = gaussian_logit()
    steps = (
        Step(sp.Subs(sp.Derivative(integrand, y), y, maximiser), 0,
             "V(G, D) = ∫(ρ_* log D + ρ_g log(1 − D)) (eqs. 33–34) is maximised pointwise in D(x); with a = ρ_*(x), "
             "b = ρ_g(x) the derivative a/y − b/(1 − y) of the integrand vanishes at y = a/(a + b)",
             (DENSITIES_POSITIVE,), label="stationary", rests_on=(DEFINITION,)),
        Step(sp.Derivative(integrand, (y, 2)), -a / y**2 - b / (1 - y) ** 2,
             "the second derivative is negative on (0, 1) for a, b > 0: strictly concave, the stationary point a/(a + b) "
             "is the unique maximum (eq. 35: D*_G = ρ_*/(ρ_* + ρ_g))",
             (DENSITIES_POSITIVE,), label="concave", rests_on=("stationary",)),
        Step(sp.Derivative(b * sp.log(1 - y), y), -b / (1 - y),
             "where ρ_*(x) = 0 < ρ_g(x) the integrand b log(1 − y) decreases on all of (0, 1): no maximum in (0, 1), "
             "the supremum is at y → 0 (symmetrically y → 1 where ρ_g = 0 < ρ_*): the lemma's (a, b) ≠ (0, 0) is not enough",
             label="edge", rests_on=(DEFINITION,)),
        Step(sp.log(gaussian_density(x, 0, 1) / gaussian_density(x, m, s)), sum(c * x**k for k, c in enumerate(coefficients)),
             "ρ_* = N(0, 1), ρ_g = N(m, s²): logit D* = log(ρ_*/ρ_g) is quadratic in x, so the logistic family "
             "σ(w₀ + w₁x + w₂x²) contains D*, with the coefficients shown",
             label="gaussian-logit", rests_on=("concave",)),
    )
    return Derivation("The optimal discriminator (Theorem 3.1, eq. 35)", steps,
                      exports={"maximiser": maximiser, "integrand": integrand, "logit": logit,
                               "logit_coefficients": sp.Matrix(coefficients)},
                      result="gaussian-logit")


def value_eq36() -> Derivation:
    r"""Eq. 36 as printed, ∫(ρ_* log D + ρ_g(1 − D)), is not eqs. 33–34's V, and has another maximiser.

    Pointwise its integrand a log y + b(1 − y) has derivative a/y − b, zero at y = a/b: inside
    (0, 1) only where a < b; where a ≥ b it increases on all of (0, 1) and has no maximum there.
    Its pointwise supremum is at min(a/b, 1), not at a/(a + b).
    """
    printed = _printed_eq36_integrand(y)
    steps = (
        Step(sp.Subs(_integrand(y) - printed, (a, b, y), (1, 1, sp.Rational(1, 2))), 0,
             "eq. 36 as printed (b(1 − D) for b log(1 − D)) against the integrand of eqs. 33–34 at a = b = 1, D = 1/2: "
             "they differ by log(1/2) − 1/2",
             relation="≠", erratum="§3.2, eq. 36", label="not-V", rests_on=(DEFINITION,)),
        Step(sp.Subs(sp.Derivative(printed, y), y, a / b), 0,
             "the printed integrand's derivative a/y − b vanishes at y = a/b (in (0, 1) only where ρ_* < ρ_g)",
             (DENSITIES_POSITIVE,), label="printed-stationary", rests_on=("not-V",)),
        Step(sp.Derivative(printed, (y, 2)), -a / y**2,
             "concave, so a/b is the maximiser where a < b; where a ≥ b the derivative a/y − b > 0 on (0, 1): increasing, "
             "the supremum is at y → 1 — the printed objective's maximiser is min(ρ_*/ρ_g, 1)",
             (DENSITIES_POSITIVE,), label="printed-concave", rests_on=("printed-stationary",)),
        Step(sp.Subs(a / b - a / (a + b), (a, b), (1, 2)), 0,
             "min(ρ_*/ρ_g, 1) ≠ ρ_*/(ρ_* + ρ_g): at ρ_* = 1, ρ_g = 2 they are 1/2 and 1/3 — eq. 36 as printed does not "
             "prove eq. 35",
             relation="≠", erratum="§3.2, eq. 36 (maximiser)", label="printed-maximiser", rests_on=("printed-concave",)),
    )
    return Derivation("Eq. 36 as printed: the value function with the log missing", steps,
                      exports={"integrand": _integrand(y), "printed_integrand": printed,
                               "printed_maximiser": sp.Min(a / b, 1)},
                      result="printed-maximiser")


def criterion_eq37() -> Derivation:
    r"""C(G) = max_D V(G, D) (eq. 37 corrected): substitute D* into V's integrand.

    a log(a/(a+b)) + b log(b/(a+b)), integrated. The printed eq. 37 — arg max, no logs —
    integrates a²/(a+b) + b²/(a+b) = (a+b)/2 + (a−b)²/(2(a+b)): its value is 1 plus half the
    triangular discrimination ∫(ρ_*−ρ_g)²/(ρ_*+ρ_g), 1 (not −log 4) at ρ_g = ρ_*.
    """
    maximiser = a / (a + b)
    corrected = a * sp.log(a / (a + b)) + b * sp.log(b / (a + b))
    printed = a * (a / (a + b)) + b * (b / (a + b))
    steps = (
        Step(sp.Subs(_integrand(y), y, maximiser), corrected,
             "C(G) = max_D V(G, D) = V(G, D*_G): D* = a/(a + b) (Theorem 3.1) in the integrand a log D + b log(1 − D) of "
             "eqs. 33–34; 1 − D* = b/(a + b). So C(G) = E_*[log ρ_*/(ρ_*+ρ_g)] + E_g[log ρ_g/(ρ_*+ρ_g)]",
             (DENSITIES_POSITIVE,), label="criterion", rests_on=(DEFINITION,)),
        Step(sp.Subs(corrected, b, a), -a * sp.log(4),
             "at ρ_g = ρ_* the integrand is −ρ_* log 4; ∫ρ_* = 1 gives C = −log 4 (Theorem 3.2's value)",
             (NORMALISED,), label="at-equality", rests_on=("criterion",)),
        Step(printed, (a + b) / 2 + (a - b) ** 2 / (2 * (a + b)),
             "eq. 37 as printed (no logs) integrates a·a/(a+b) + b·b/(a+b) = (a+b)/2 + (a−b)²/(2(a+b)): with ∫ρ_* = ∫ρ_g = 1 "
             "its value is 1 + ½∫(ρ_*−ρ_g)²/(ρ_*+ρ_g) ≥ 1 — minimal at ρ_g = ρ_* too, but with value 1",
             (NORMALISED,), label="printed-value", rests_on=(DEFINITION,)),
        Step(sp.Subs(printed, b, a), -a * sp.log(4),
             "at ρ_g = ρ_* eq. 37 as printed has integrand ρ_*, value 1, not −log 4: the printed criterion is not max_D V",
             relation="≠", erratum="§3.2, eq. 37", label="printed-not-max", rests_on=("printed-value", "at-equality")),
    )
    return Derivation("The criterion C(G) = max_D V(G, D) (eq. 37 corrected)", steps,
                      exports={"criterion_integrand": corrected, "printed_integrand": printed},
                      result="printed-not-max")


def jensen_shannon() -> Derivation:
    r"""Theorem 3.2 / eq. 38: C(G) = −log 4 + KL(ρ_*‖m) + KL(ρ_g‖m) = −log 4 + 2 JSD, m = (ρ_*+ρ_g)/2.

    Pointwise, a log(a/(a+b)) + b log(b/(a+b)) = −(a+b)/2 · log 4 + a log(a/m) + b log(b/m)
    with m = (a + b)/2; ∫(a + b)/2 = 1. KL ≥ 0 with equality iff the densities agree (Gibbs):
    KL(p‖m) = ∫ m φ(p/m) with φ(t) = t log t − t + 1 ≥ 0, φ(t) = 0 iff t = 1. Also
    a log(a/m) ≤ a log 2 (m ≥ a/2), so JSD ≤ log 2 and C(G) ≤ 0 (a sharpening, not in the review).
    """
    half_sum = (a + b) / 2
    criterion = a * sp.log(a / (a + b)) + b * sp.log(b / (a + b))
    kl_terms = a * sp.log(a / half_sum) + b * sp.log(b / half_sum)
    jsd_integrand = (a * sp.log(a / half_sum) + b * sp.log(b / half_sum)) / 2
    gibbs = t * sp.log(t) - t + 1
    phi2 = sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)  # the second coordinate's density, u ~ N(0, 1)
    steps = (
        Step(criterion, -half_sum * sp.log(4) + kl_terms,
             "C(G)'s integrand (eq. 37 corrected) with ±log 4 added: log(a/(a+b)) = log(a/m) − log 2, m = (a+b)/2; "
             "∫(ρ_*+ρ_g)/2 = 1 gives C = −log 4 + KL(ρ_*‖m) + KL(ρ_g‖m) (eq. 38, first line)",
             (DENSITIES_POSITIVE, NORMALISED), label="kl-form", rests_on=(DEFINITION,)),
        Step(kl_terms, sp.Mul(2, jsd_integrand, evaluate=False),
             "JSD(ρ_*‖ρ_g) = ½KL(ρ_*‖m) + ½KL(ρ_g‖m): the two KLs are 2 JSD (eq. 38, second line)",
             label="jsd-form", rests_on=("kl-form",)),
        Step(a * sp.log(a / half_sum) - a + half_sum, half_sum * gibbs.subs(t, a / half_sum),
             "KL(ρ_*‖m) = ∫ m φ(ρ_*/m) with φ(t) = t log t − t + 1 (the added −ρ_* + m integrates to 0)",
             (DENSITIES_POSITIVE, NORMALISED), label="gibbs", rests_on=("jsd-form",)),
        Step(sp.Matrix([sp.Subs(sp.Derivative(gibbs, t), t, 1), sp.Derivative(gibbs, (t, 2))]), sp.Matrix([0, 1 / t]),
             "φ'(1) = 0 and φ'' = 1/t > 0: φ ≥ 0 with equality only at t = 1; so KL ≥ 0, = 0 iff ρ = m, and JSD = 0 iff "
             "ρ_g = ρ_*: C(G) ≥ −log 4 with equality exactly at ρ_g = ρ_* (Theorem 3.2)",
             label="nonnegative", rests_on=("gibbs",)),
        Step(sp.UnevaluatedExpr(a * phi2) / sp.UnevaluatedExpr(a * phi2 + b * phi2), a / (a + b),
             "in d = 2 with a common second factor, ρ(x, y) = ρ(x)φ(y): D*(x, y) = ρ_*(x)/(ρ_*(x) + ρ_g(x)) does not "
             "depend on y, so C(G) and the JSD in d = 2 are the 1-D ones (∫φ = 1) — what the Monte Carlo in d = 2 checks",
             label="two-d", rests_on=(DEFINITION,)),
        Step(sp.Subs(a / (a + b), b, a), sp.Rational(1, 2),
             "at ρ_g = ρ_* the optimal discriminator is D* = 1/2 everywhere: a random classifier",
             label="half", rests_on=("nonnegative",)),
        Step(sp.Derivative(_integrand(y), b), sp.log(1 - y),
             "read literally, 'at fixed D': with D held fixed, V(G, D) is linear in ρ_g with slope log(1 − D(x)), so its "
             "minimiser over densities is a point mass at argmax D, not ρ_*; Theorem 3.2 holds for C(G) = V(G, D*_G), "
             "D re-optimised for every G",
             label="fixed-discriminator", rests_on=(DEFINITION,)),
        Step(a * sp.log(a / half_sum) - a * sp.log(2), a * sp.log(a / (a + b)),
             "sharpening: a log(a/m) − a log 2 = a log(a/(a+b)) ≤ 0, so each KL(ρ‖m) ≤ log 2, JSD ≤ log 2 and "
             "−log 4 ≤ C(G) ≤ 0 (equality on the right for disjoint supports)",
             (DENSITIES_POSITIVE,), label="upper-bound", rests_on=("kl-form",)),
    )
    return Derivation("C(G) = −log 4 + 2 JSD (Theorem 3.2, eq. 38)", steps,
                      exports={"criterion_integrand": criterion, "jsd_integrand": jsd_integrand},
                      result="half")


def saturating_gradient() -> Derivation:
    r"""The generator's gradient through a fixed discriminator D = σ(h), saturating vs non-saturating.

    d/du log(1 − σ(h(u))) = −σ(h(u)) h'(u) and d/du [−log σ(h(u))] = −(1 − σ(h(u))) h'(u). With
    ρ_* = N(0, 1), G(z) = z + θ (ρ_g = N(θ, 1)) and D = D*_G held fixed, h(x) = −θx + θ²/2, so

    .. math:: \partial_\theta \mathbb{E}\log(1 - D(G(z))) = \theta\,\mathbb{E}_{\rho_g}[D^*],\qquad
              -\partial_\theta \mathbb{E}\log D(G(z)) = \theta\,\mathbb{E}_{\rho_g}[1 - D^*],

    and E_g[D*] = ∫ρ_*ρ_g/(ρ_*+ρ_g) ≤ ∫min(ρ_*, ρ_g) = erfc(θ/(2√2)): the saturating gradient is at
    most θ erfc(θ/(2√2)) → 0 as the separation θ grows, the non-saturating one tends to θ.
    """
    h = sp.Function("h", real=True)
    logit, _ = gaussian_logit()
    shift_logit = sp.expand(logit.subs({m: theta, s: 1}))
    star, generated = gaussian_density(x, 0, 1), gaussian_density(x, theta, 1)
    theta_pos = sp.Symbol("theta", positive=True)
    # ∫_{θ/2}^∞ ρ_* + ∫_{−∞}^{θ/2} ρ_g = (1 − Φ(θ/2)) + Φ(θ/2 − θ), the CDF written with erf
    overlap = (1 - standard_normal_cdf(theta_pos / 2)) + standard_normal_cdf(theta_pos / 2 - theta_pos)
    steps = (
        Step(sp.Derivative(sp.log(1 - sigmoid(h(u))), u), -sigmoid(h(u)) * sp.Derivative(h(u), u),
             "saturating loss log(1 − D(G)) of eq. 33 through D = σ(h): its derivative in the sample u = G(z) is −D h'",
             label="saturating", rests_on=(DEFINITION,)),
        Step(sp.Derivative(-sp.log(sigmoid(h(u))), u), -(1 - sigmoid(h(u))) * sp.Derivative(h(u), u),
             "non-saturating loss −log D(G): its derivative is −(1 − D) h'",
             label="non-saturating", rests_on=(DEFINITION,)),
        Step(sp.log(star / generated), shift_logit,
             "ρ_* = N(0, 1), ρ_g = N(θ, 1) (G(z) = z + θ): logit D*_G = log(ρ_*/ρ_g) = −θx + θ²/2, h' = −θ; "
             "∂G/∂θ = 1, so the generator gradients are θ E_g[D*] (saturating) and θ E_g[1 − D*] (non-saturating)",
             label="gaussian-logit", rests_on=("saturating", "non-saturating")),
        Step(a - a * b / (a + b), a**2 / (a + b),
             "pointwise ρ_*ρ_g/(ρ_*+ρ_g) ≤ min(ρ_*, ρ_g): for the smaller value a, a − ab/(a+b) = a²/(a+b) ≥ 0",
             (DENSITIES_POSITIVE,), label="below-min", rests_on=("gaussian-logit",)),
        Step(overlap, sp.erfc(theta_pos / (2 * sp.sqrt(2))),
             "∫min(ρ_*, ρ_g) for N(0, 1), N(θ, 1): the densities cross at θ/2, overlap = ∫_{θ/2}^∞ρ_* + ∫_{−∞}^{θ/2}ρ_g = "
             "(1 − Φ(θ/2)) + Φ(−θ/2) = erfc(θ/(2√2)); "
             "so 0 < E_g[D*] ≤ erfc(θ/(2√2)) → 0 (saturation), E_g[1 − D*] ≥ 1 − erfc(θ/(2√2)) → 1",
             label="overlap", rests_on=("below-min",)),
    )
    return Derivation("Saturating generator gradients at a poor generator (§3.2, l. 409)", steps,
                      exports={"logit": shift_logit,
                               "saturating_integrand": theta * sigmoid(shift_logit),
                               "non_saturating_integrand": theta * (1 - sigmoid(shift_logit)),
                               "bound": theta * sp.erfc(theta / (2 * sp.sqrt(2)))},
                      result="overlap")


def functional_descent() -> Derivation:
    r"""Theorem 3.3 in function space: C(ρ_g) is convex, its gradient is log(1 − D*_G), and the
    multiplicative update ρ_g ← ρ_g (1 − D*)^{−η}/Z has ρ_* as its only fixed point.

    ∂/∂b [a log(a/(a+b)) + b log(b/(a+b))] = log(b/(a+b)) = log(1 − D*) — equal to ∂_b V at the
    fixed D = D* (envelope theorem), so "improving eq. 39 with D* held" is a gradient step on C.
    ∂²/∂b² = a/(b(a+b)) > 0: C is convex in ρ_g. A fixed point has 1 − D* constant on the support,
    i.e. ρ_g ∝ ρ_*, i.e. ρ_g = ρ_*; at η = 1 the update is exactly ρ_g ← (ρ_* + ρ_g)/2.
    """
    criterion = a * sp.log(a / (a + b)) + b * sp.log(b / (a + b))
    eta = sp.Symbol("eta", positive=True)
    gradient = sp.log(b / (a + b))
    contraction = sp.Rational(1, 2)
    steps = (
        Step(sp.Derivative(criterion, b), gradient,
             "the functional derivative of C(ρ_g) (eq. 37 corrected) in ρ_g(x) is log(ρ_g/(ρ_*+ρ_g)) = log(1 − D*_G(x)), "
             "the derivative of V(G, D*) at D* held fixed (envelope theorem): eq. 39's gradient",
             (DENSITIES_POSITIVE,), label="gradient", rests_on=(DEFINITION,)),
        Step(sp.Derivative(criterion, (b, 2)), a / (b * (a + b)),
             "positive: C is convex in ρ_g (the 'convex problem in probability space' of §3.2)",
             (DENSITIES_POSITIVE,), label="convex", rests_on=("gradient",)),
        Step(sp.Subs(b * sp.exp(-eta * gradient), b, a), a * 2**eta,
             "mirror (multiplicative) step ρ_g ← ρ_g e^{−η log(1−D*)}/Z: at ρ_g = ρ_* every point is multiplied by "
             "the same 2^η, so ρ_* is a fixed point; conversely a fixed point needs 1 − D* constant, ρ_g ∝ ρ_*",
             label="fixed-point", rests_on=("convex",)),
        Step(sp.Subs(b * sp.exp(-eta * gradient), eta, 1), a + b,
             "at η = 1 the step is ρ_g(ρ_*+ρ_g)/ρ_g = ρ_* + ρ_g, normalised (ρ_*+ρ_g)/2: the L¹ distance halves each step",
             (NORMALISED,), label="unit-step", rests_on=("fixed-point",)),
        Step(sp.Subs(b * sp.exp(-eta * gradient), eta, 1) / 2 - a, contraction * (b - a),
             "the normalised unit step minus ρ_*: ρ_g^{(k+1)} − ρ_* = (ρ_g^{(k)} − ρ_*)/2 at η = 1 (Z = 2), so "
             "‖ρ_g − ρ_*‖₁ contracts by exactly 1/2 per step",
             label="contraction", rests_on=("unit-step",)),
    )
    return Derivation("Convergence of ρ_g under functional descent on C (Theorem 3.3)", steps,
                      exports={"gradient": gradient, "criterion_integrand": criterion,
                               "unit_step_contraction": contraction}, result="contraction")
