r"""Divergences of the review (seed 003 §2.1, Example 2.1, §6 eq. 109): KL, cross-entropy, entropy,
the cross-entropy of an EBM and its θ-gradient, and the energy of a Gaussian mixture (eq. 8).

Definition 2.3 (eqs. 9–11), densities on ℝ:

.. math:: H(\rho_1,\rho_2) = -\int \rho_1\log\rho_2,\quad
          D_{KL}(\rho_1\|\rho_2) = \int \rho_1\log\frac{\rho_1}{\rho_2},\quad
          H(\rho_1) = -\int \rho_1\log\rho_1 .

SymPy's integration of generic functions over ℝ costs seconds per step, so the identities that hold
"for any PDFs" are derived **pointwise** (integrand identities for generic positive ρ₁, ρ₂; integrating
both sides is linearity, with the integrals finite — :data:`FINITE_INTEGRALS`), and the closed forms
the checks use are derived for **Gaussians** with symbolic means and variances. Gaussian
expectations are taken by the substitution :math:`x = m + s z`, :math:`z\sim\mathcal N(0,1)`: a
polynomial in x becomes a polynomial in z, and each monomial :math:`\int z^k\varphi(z)\,dz` is
integrated by SymPy (the steps show these integrals unevaluated).
"""

from __future__ import annotations


import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x = sp.Symbol("x", real=True)
z = sp.Symbol("z", real=True)
m1, m2 = sp.symbols("m1 m2", real=True)
s1, s2 = sp.symbols("s1 s2", positive=True)
theta = sp.Symbol("theta", real=True)

POSITIVE_DENSITIES = Assumption(
    "densities-positive", r"\rho_1(x) > 0,\ \rho_2(x) > 0",
    "the densities are positive where their logarithms are taken (on the common support)",
)
FINITE_INTEGRALS = Assumption(
    "divergence-integrals-finite", r"\int \rho_1|\log\rho_1| < \infty,\ \int \rho_1|\log\rho_2| < \infty",
    "the integrals of Definition 2.3 are finite, so the integral of a sum of integrands is the sum of the integrals",
)
DIFFERENTIATION_UNDER_INTEGRAL = Assumption(
    "differentiation-under-the-integral",
    r"\partial_\theta \int e^{-U_\theta} = \int \partial_\theta e^{-U_\theta}",
    "∂_θ e^{−U_θ(x)} is dominated by an integrable function of x uniformly for θ near the point (dominated "
    "convergence); true for the Gaussian and quartic EBMs used here",
)


def log_gaussian(point, mean, sd) -> sp.Expr:
    r""":math:`\log\mathcal N(x; m, s^2) = -(x-m)^2/(2s^2) - \tfrac12\log(2\pi s^2)`, written out."""
    return -((point - mean) ** 2) / (2 * sd**2) - sp.log(2 * sp.pi * sd**2) / 2


def standard_normal_density(variable) -> sp.Expr:
    return sp.exp(-(variable**2) / 2) / sp.sqrt(2 * sp.pi)


STANDARD_NORMAL_MOMENTS = (1, 0, 1)
"""∫ z^k φ(z) dz for k = 0, 1, 2, derived once (:func:`gaussian_moments_step`)."""


def gaussian_moments_step() -> Step:
    """The moments of N(0, 1) used by every Gaussian expectation of this module (SymPy integrates them)."""
    phi = standard_normal_density(z)
    return Step(
        sp.Matrix([sp.Integral(z**power * phi, (z, -sp.oo, sp.oo)) for power in range(len(STANDARD_NORMAL_MOMENTS))]),
        sp.Matrix(STANDARD_NORMAL_MOMENTS),
        "the moments ∫ z^k φ(z) dz, k = 0, 1, 2, of the standard normal density φ",
        label="gaussian-moments",
        rests_on=(DEFINITION,),
    )


def gaussian_expectation(function_of_x: sp.Expr, mean, sd) -> sp.Expr:
    r""":math:`\mathbb E_{\mathcal N(m,s^2)}[g(X)]` for g polynomial of degree ≤ 2 in x: substitute x = m + s z and
    replace :math:`z^k` by the k-th moment of N(0, 1), shown as an unevaluated product :math:`c_k \cdot M_k`."""
    polynomial = sp.Poly(sp.expand(function_of_x.subs(x, mean + sd * z)), z)
    if polynomial.degree() >= len(STANDARD_NORMAL_MOMENTS):
        raise ValueError(f"polynomial of degree {polynomial.degree()} in z; moments are derived up to degree 2")
    return sp.Add(*[sp.Mul(coefficient, sp.Integer(STANDARD_NORMAL_MOMENTS[power]), evaluate=False)
                    for (power,), coefficient in polynomial.terms()], evaluate=False)


# ---- closed forms for Gaussians ------------------------------------------------------------------
GAUSSIAN_CROSS_ENTROPY = sp.log(2 * sp.pi * s2**2) / 2 + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2)
GAUSSIAN_ENTROPY = sp.log(2 * sp.pi * sp.E * s1**2) / 2
GAUSSIAN_KL = sp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
_SWAP = {m1: m2, m2: m1, s1: s2, s2: s1}


def _swapped(expr: sp.Expr) -> sp.Expr:
    """The same expression with (m1, s1) and (m2, s2) exchanged: ρ₁ ↔ ρ₂."""
    return expr.xreplace(_SWAP)


def _gaussian_closed_forms_step() -> Step:
    """H(ρ₁,ρ₂), H(ρ₁), D_KL(ρ₁‖ρ₂) for ρ_i = N(m_i, s_i²), from the definitions (eqs. 9–11)."""
    log1, log2 = log_gaussian(x, m1, s1), log_gaussian(x, m2, s2)
    return Step(
        sp.Matrix([gaussian_expectation(-log2, m1, s1), gaussian_expectation(-log1, m1, s1),
                   gaussian_expectation(log1 - log2, m1, s1)]),
        sp.Matrix([GAUSSIAN_CROSS_ENTROPY, GAUSSIAN_ENTROPY, GAUSSIAN_KL]),
        "eqs. 9, 10, 11 for ρ_i = N(m_i, s_i²): substitute x = m₁ + s₁z (z ~ N(0,1)) in −log ρ₂, −log ρ₁, "
        "log ρ₁ − log ρ₂ (polynomials in z) and replace z^k by the moments of N(0, 1)",
        label="gaussian-closed-forms",
        rests_on=(DEFINITION, "gaussian-moments"),
    )


def cross_entropy_decomposition() -> Derivation:
    r"""Lemma 2.1: :math:`H(\rho_1,\rho_2) = H(\rho_1) + D_{KL}(\rho_1\|\rho_2)`; eq. 13 as printed,
    :math:`H(\rho_2) + D_{KL}(\rho_2\|\rho_1)`, is :math:`H(\rho_2,\rho_1)`: the indices are swapped.

    Pointwise, :math:`-\rho_2\log\rho_2 + \rho_2\log(\rho_2/\rho_1) = -\rho_2\log\rho_1`, so the
    printed right-hand side is the cross-entropy with the roles exchanged, and eq. 13 as printed
    asserts that the cross-entropy is symmetric; two Gaussians with different variances refute it.
    """
    rho1, rho2 = (sp.Function(name, positive=True)(x) for name in ("rho1", "rho2"))
    printed_gap = _swapped(GAUSSIAN_ENTROPY + GAUSSIAN_KL) - GAUSSIAN_CROSS_ENTROPY
    steps = (
        Step(
            -rho1 * sp.log(rho2),
            -rho1 * sp.log(rho1) + rho1 * sp.log(rho1 / rho2),
            "integrands of eqs. 9, 11, 10: −ρ₁ log ρ₂ = −ρ₁ log ρ₁ + ρ₁ log(ρ₁/ρ₂) for any positive ρ₁, ρ₂; "
            "integrating over ℝ^d (linearity) gives H(ρ₁,ρ₂) = H(ρ₁) + D_KL(ρ₁‖ρ₂)",
            (POSITIVE_DENSITIES, FINITE_INTEGRALS),
            label="lemma-pointwise",
            rests_on=(DEFINITION,),
        ),
        gaussian_moments_step(),
        _gaussian_closed_forms_step(),
        Step(
            GAUSSIAN_CROSS_ENTROPY,
            sp.Add(GAUSSIAN_ENTROPY, GAUSSIAN_KL, evaluate=False),
            "the corrected lemma for two Gaussians: H(ρ₁,ρ₂) = H(ρ₁) + D_KL(ρ₁‖ρ₂) with the Gaussian closed forms",
            label="lemma",
            rests_on=("lemma-pointwise", "gaussian-closed-forms"),
        ),
        Step(
            -rho2 * sp.log(rho2) + rho2 * sp.log(rho2 / rho1),
            -rho2 * sp.log(rho1),
            "eq. 13's right-hand side, integrand by integrand: H(ρ₂) + D_KL(ρ₂‖ρ₁) = −∫ρ₂ log ρ₁ = H(ρ₂,ρ₁), "
            "the cross-entropy with ρ₁ and ρ₂ exchanged",
            (POSITIVE_DENSITIES,),
            label="printed-is-swapped",
            rests_on=(DEFINITION,),
        ),
        Step(
            GAUSSIAN_CROSS_ENTROPY,
            _swapped(GAUSSIAN_ENTROPY + GAUSSIAN_KL),
            "eq. 13 as printed fails for two Gaussians: H(ρ₁,ρ₂) − H(ρ₂) − D_KL(ρ₂‖ρ₁) = H(ρ₁,ρ₂) − H(ρ₂,ρ₁) ≠ 0 "
            "when s₁ ≠ s₂ (e.g. m₁ = m₂, s₁ = 1, s₂ = 2: 3/8 + log 2 − 3/2 ≠ 0); the indices of eq. 13 are swapped",
            relation="≠",
            erratum="§2.1, Lemma 2.1, eq. 13",
            label="printed-refuted",
            rests_on=("gaussian-closed-forms", "printed-is-swapped"),
        ),
    )
    return Derivation(
        "Lemma 2.1: cross-entropy = entropy + KL (indices as they must be)",
        steps,
        exports={"cross_entropy": GAUSSIAN_CROSS_ENTROPY, "entropy": GAUSSIAN_ENTROPY, "kl": GAUSSIAN_KL,
                 "printed_minus_true": printed_gap},
        notes="Symbols: ρ_i = N(m_i, s_i²). The generic identity is pointwise (step 1); the Gaussian closed forms (step 3) give "
        "the checks' predictions. Eq. 13 as printed equals H(ρ₂,ρ₁) (step 5), which differs from H(ρ₁,ρ₂) (step 6).",
        result="lemma",
    )


def kl_properties() -> Derivation:
    r"""Eq. 12 and the sentence after it: :math:`D_{KL}\ge 0` with equality iff ρ₁ = ρ₂ a.e.; KL is not
    symmetric and violates the triangle inequality.

    Pointwise, with :math:`r = \rho_1/\rho_2` and :math:`\phi(t) = t\log t - t + 1 = \int_1^t \log u\,du \ge 0`
    (zero only at t = 1): :math:`\rho_1\log(\rho_1/\rho_2) - \rho_1 + \rho_2 = \rho_2\,\phi(r)`; the
    extra terms integrate to 1 − 1 = 0, so :math:`D_{KL} = \int\rho_2\,\phi(\rho_1/\rho_2) \ge 0`, zero iff
    r = 1 a.e. For unit-variance Gaussians with means a, b, c:
    :math:`D(P\|R) - D(P\|Q) - D(Q\|R) = (a-b)(b-c) > 0` when b lies between a and c.
    """
    rho1, rho2 = (sp.Function(name, positive=True)(x) for name in ("rho1", "rho2"))
    t, u = sp.Symbol("t", positive=True), sp.Symbol("u", positive=True)
    a, b, c = sp.symbols("a b c", real=True)
    phi = t * sp.log(t) - t + 1
    unit_kl = lambda p, q: GAUSSIAN_KL.subs({m1: p, m2: q, s1: 1, s2: 1})  # noqa: E731
    steps = (
        Step(
            rho1 * sp.log(rho1 / rho2) - rho1 + rho2,
            rho2 * phi.subs(t, rho1 / rho2),
            "integrand of eq. 10 plus −ρ₁ + ρ₂ (which integrates to 1 − 1 = 0): D_KL(ρ₁‖ρ₂) = ∫ ρ₂ φ(ρ₁/ρ₂), "
            "φ(t) = t log t − t + 1",
            (POSITIVE_DENSITIES, FINITE_INTEGRALS),
            label="kl-as-phi",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Integral(sp.log(u), (u, 1, t)),
            phi,
            "φ(t) = ∫₁ᵗ log u du: log u has the sign of u − 1, so φ(t) > 0 for t ≠ 1 and φ(1) = 0; hence "
            "D_KL ≥ 0 with equality iff ρ₁ = ρ₂ a.e. (eq. 12)",
            label="phi-nonnegative",
            rests_on=("kl-as-phi",),
        ),
        gaussian_moments_step(),
        _gaussian_closed_forms_step(),
        Step(
            GAUSSIAN_KL,
            _swapped(GAUSSIAN_KL),
            "not symmetric: D_KL(N(m₁,s₁²)‖N(m₂,s₂²)) ≠ D_KL(N(m₂,s₂²)‖N(m₁,s₁²)) when s₁ ≠ s₂",
            relation="≠",
            label="asymmetric",
            rests_on=("gaussian-closed-forms",),
        ),
        Step(
            unit_kl(a, c) - unit_kl(a, b) - unit_kl(b, c),
            (a - b) * (b - c),
            "triangle inequality fails: for N(a,1), N(b,1), N(c,1), D(P‖R) − D(P‖Q) − D(Q‖R) = (a − b)(b − c), "
            "positive when b lies strictly between a and c",
            label="triangle-violation",
            rests_on=("gaussian-closed-forms",),
        ),
    )
    return Derivation(
        "KL divergence: non-negative, not symmetric, no triangle inequality",
        steps,
        exports={"kl": GAUSSIAN_KL, "phi": phi, "triangle_gap": (a - b) * (b - c)},
        result="phi-nonnegative",
    )


# ---- EBM cross-entropy (eq. 14), its minimiser (eq. 15), unboundedness ----------------------------
mean, precision = sp.Symbol("mu", real=True), sp.Symbol("lambda", positive=True)
GAUSSIAN_ENERGY = precision * (x - mean) ** 2 / 2  # U_θ of the Gaussian EBM, θ = (μ, λ)
GAUSSIAN_LOG_Z = sp.log(2 * sp.pi / precision) / 2


def _gaussian_energy_normalizer_step() -> Step:
    """Z_θ = ∫ e^{−λ(x−μ)²/2} dx = √(2π/λ): substitute x = μ + z/√λ."""
    return Step(
        sp.Integral(sp.exp(-(z**2) / 2), (z, -sp.oo, sp.oo)) / sp.sqrt(precision),
        sp.sqrt(2 * sp.pi / precision),
        "Z_θ = ∫ e^{−U_θ} for the Gaussian EBM U_θ = λ(x − μ)²/2: substitute x = μ + z/√λ",
        label="gaussian-normalizer",
        rests_on=(DEFINITION,),
    )


def ebm_cross_entropy() -> Derivation:
    r"""Eq. 14 :math:`H(\rho_*,\rho_\theta) = \log Z_\theta + \int U_\theta\rho_*` and eq. 15.

    Pointwise :math:`-\log(e^{-U_\theta}/Z_\theta) = U_\theta + \log Z_\theta`; integrated against ρ_*
    (∫ρ_* = 1) this is eq. 14 over ℝ^d. For data N(m₁, s₁²) and the Gaussian EBM θ = (μ, λ) the
    cross-entropy is :math:`\tfrac12\log(2\pi/\lambda) + \tfrac\lambda2(s_1^2 + (m_1-\mu)^2)`; with eq. 13
    corrected it differs from :math:`D_{KL}(\rho_*\|\rho_\theta)` by H(ρ_*), free of θ, so both have the
    same minimiser (eq. 15); its stationarity conditions give moment matching, μ = m₁, λ = 1/s₁².
    """
    energy = sp.Function("U", real=True)(x, theta)
    normalizer = sp.Function("Z", positive=True)(theta)
    rho_star = sp.Function("rho_*", positive=True)(x)
    data_expectation = gaussian_expectation(GAUSSIAN_ENERGY, m1, s1)
    cross_entropy = GAUSSIAN_LOG_Z + precision * (s1**2 + (m1 - mean) ** 2) / 2
    kl = GAUSSIAN_KL.subs({m2: mean, s2: 1 / sp.sqrt(precision)})
    steps = (
        Step(
            -rho_star * sp.log(sp.exp(-energy) / normalizer),
            rho_star * energy + rho_star * sp.log(normalizer),
            "integrand of eq. 9 with ρ₂ = ρ_θ = e^{−U_θ}/Z_θ (eq. 5): −ρ_* log ρ_θ = ρ_* U_θ + ρ_* log Z_θ; "
            "integrated over ℝ^d with ∫ρ_* = 1 this is eq. 14",
            (FINITE_INTEGRALS,),
            label="eq14-pointwise",
            rests_on=(DEFINITION,),
        ),
        gaussian_moments_step(),
        _gaussian_energy_normalizer_step(),
        Step(
            GAUSSIAN_LOG_Z + data_expectation,
            cross_entropy,
            "eq. 14 for data N(m₁, s₁²) and the Gaussian EBM: log Z_θ + E_*[λ(X − μ)²/2] (x = m₁ + s₁z)",
            label="eq14-gaussian",
            rests_on=("eq14-pointwise", "gaussian-normalizer", "gaussian-moments"),
        ),
        Step(
            cross_entropy - kl,
            GAUSSIAN_ENTROPY,
            "H(ρ_*, ρ_θ) − D_KL(ρ_*‖ρ_θ) = H(ρ_*), free of θ (the corrected eq. 13), so eq. 15's two argmins coincide",
            label="eq15-difference",
            rests_on=("eq14-gaussian",),
        ),
        Step(
            sp.Matrix([sp.Derivative(cross_entropy, mean), sp.Derivative(cross_entropy, precision)]).subs(
                {mean: m1, precision: 1 / s1**2}),
            sp.Matrix([0, 0]),
            "the minimiser of eq. 15 over the Gaussian EBM: the gradient vanishes at μ = m₁, λ = 1/s₁² "
            "(moment matching; the cross-entropy is convex in (μ, λ) along each coordinate)",
            label="eq15-minimiser",
            rests_on=("eq14-gaussian",),
        ),
    )
    return Derivation(
        "The cross-entropy of an EBM (eq. 14) and its minimiser (eq. 15)",
        steps,
        exports={"energy": GAUSSIAN_ENERGY, "log_normalizer": GAUSSIAN_LOG_Z, "cross_entropy": cross_entropy},
        result="eq14-gaussian",
    )


def cross_entropy_unbounded() -> Derivation:
    r""""The cross-entropy is not bounded from below, and H(ρ,ρ) := H(ρ) ≠ 0".

    :math:`H(\mathcal N(m,s^2)) = \tfrac12\log(2\pi e s^2) \to -\infty` as s → 0, so over pairs of densities
    the cross-entropy has no lower bound; it is 0 at :math:`s^2 = 1/(2\pi e)`, so "≠ 0" holds in general,
    not for every ρ. For fixed ρ_*, :math:`H(\rho_*,\rho_\theta) = H(\rho_*) + D_{KL} \ge H(\rho_*)`.
    """
    sd = sp.Symbol("s", positive=True)
    entropy = GAUSSIAN_ENTROPY.subs(s1, sd)
    steps = (
        gaussian_moments_step(),
        _gaussian_closed_forms_step(),
        Step(
            sp.Limit(sp.exp(entropy), sd, 0, "+"),
            0,
            "H(ρ, ρ) = H(ρ) for ρ = N(m, s²) (closed form above): e^{H} → 0, i.e. H → −∞, as s → 0: the cross-entropy over pairs of densities "
            "is not bounded from below",
            label="unbounded",
            rests_on=("gaussian-closed-forms",),
        ),
        Step(
            sp.Subs(entropy, sd, 1 / sp.sqrt(2 * sp.pi * sp.E)),
            0,
            "H(ρ) = 0 for ρ = N(m, 1/(2πe)): 'H(ρ) ≠ 0' holds in general, not for every ρ",
            label="zero-entropy",
            rests_on=("gaussian-closed-forms",),
        ),
    )
    return Derivation("The cross-entropy is not bounded from below", steps, exports={"entropy": entropy},
                      result="unbounded")


# ---- the gradient identity (eq. 16, eq. 109) -----------------------------------------------------
def log_partition_gradient() -> Derivation:
    r""":math:`\partial_\theta\log Z_\theta = -\mathbb E_\theta[\partial_\theta U_\theta]` and eq. 16 / 109,
    :math:`\partial_\theta H(\rho_*,\rho_\theta) = \mathbb E_*[\partial_\theta U_\theta] - \mathbb E_\theta[\partial_\theta U_\theta]`.

    Pointwise :math:`\partial_\theta e^{-U_\theta} = -\partial_\theta U_\theta\,e^{-U_\theta}`; under the
    integral (:data:`DIFFERENTIATION_UNDER_INTEGRAL`) and divided by Z_θ this is the identity. For the
    Gaussian EBM θ = (μ, λ) and data N(m₁, s₁²) both sides are computed in closed form.
    """
    energy = sp.Function("U", real=True)(x, theta)
    model_sd = 1 / sp.sqrt(precision)
    grad_energy = [sp.diff(GAUSSIAN_ENERGY, p) for p in (mean, precision)]
    cross_entropy = GAUSSIAN_LOG_Z + gaussian_expectation(GAUSSIAN_ENERGY, m1, s1)
    steps = (
        Step(
            sp.Derivative(sp.exp(-energy), theta),
            -sp.Derivative(energy, theta) * sp.exp(-energy),
            "the integrand of Z_θ = ∫e^{−U_θ}, differentiated in θ; under the integral and divided by Z_θ: "
            "∂_θ log Z_θ = −∫ ∂_θU_θ e^{−U_θ}/Z_θ = −E_θ[∂_θU_θ]",
            (DIFFERENTIATION_UNDER_INTEGRAL,),
            label="leibniz-pointwise",
            rests_on=(DEFINITION,),
        ),
        gaussian_moments_step(),
        _gaussian_energy_normalizer_step(),
        Step(
            sp.Matrix([sp.Derivative(GAUSSIAN_LOG_Z, p) for p in (mean, precision)]),
            sp.Matrix([-gaussian_expectation(g, mean, model_sd) for g in grad_energy]),
            "∂_θ log Z_θ = −E_θ[∂_θU_θ] for the Gaussian EBM, θ = (μ, λ): both sides in closed form "
            "(E_θ by x = μ + z/√λ)",
            label="log-z-gradient",
            rests_on=("leibniz-pointwise", "gaussian-normalizer", "gaussian-moments"),
        ),
        Step(
            sp.Matrix([sp.Derivative(cross_entropy, p) for p in (mean, precision)]),
            sp.Matrix([gaussian_expectation(g, m1, s1) - gaussian_expectation(g, mean, model_sd) for g in grad_energy]),
            "eq. 16 (= eq. 109 with −𝒟): ∂_θ H(ρ_*, ρ_θ) = E_*[∂_θU_θ] − E_θ[∂_θU_θ], data N(m₁, s₁²), H from eq. 14",
            label="eq16",
            rests_on=("log-z-gradient", "gaussian-moments"),
        ),
    )
    return Derivation("The gradient of log Z and of the cross-entropy (eqs. 16, 109)", steps,
                      exports={"energy": GAUSSIAN_ENERGY, "log_normalizer": GAUSSIAN_LOG_Z}, result="eq16")


# ---- Example 2.1, eq. 8 ------------------------------------------------------------------------------
weight = sp.Symbol("p", positive=True)
mu1, mu2 = sp.symbols("mu1 mu2", real=True)
sigma1, sigma2 = sp.symbols("sigma1 sigma2", positive=True)
EXAMPLE_PARAMETERS = {weight: sp.Rational(7, 10), mu1: 0, mu2: 5, sigma1: 1, sigma2: sp.Rational(1, 2)}
"""Example 2.1's values: p = 0.7, μ₁ = 0, μ₂ = 5, σ₁ = 1, σ₂ = 0.5."""
_PRINTED_MIXTURE = weight * sp.exp(-((x - mu1) ** 2) / sigma1**2) + (1 - weight) * sp.exp(-((x - mu2) ** 2) / sigma2**2)
PRINTED_ENERGY = sp.log(_PRINTED_MIXTURE)
"""Eq. 8 as printed: U = log[p e^{−(x−μ₁)²/σ₁²} + (1−p) e^{−(x−μ₂)²/σ₂²}]."""
SIGN_FIXED_ENERGY = -PRINTED_ENERGY
"""Eq. 8 with only its sign fixed: exponents without the 2, components without 1/(√(2π)σ)."""
MIXTURE_DENSITY = (weight * sp.exp(-((x - mu1) ** 2) / (2 * sigma1**2)) / (sp.sqrt(2 * sp.pi) * sigma1)
                   + (1 - weight) * sp.exp(-((x - mu2) ** 2) / (2 * sigma2**2)) / (sp.sqrt(2 * sp.pi) * sigma2))
CORRECTED_ENERGY = -sp.log(MIXTURE_DENSITY)
"""The energy of the mixture p N(μ₁, σ₁²) + (1−p) N(μ₂, σ₂²): U = −log ρ (Z = 1)."""


def example_mixture_energy() -> Derivation:
    r"""Example 2.1: eq. 8 as printed is not the energy of the Gaussian mixture it describes.

    1. With the printed sign, :math:`e^{-U} = 1/g` with :math:`g \le p + (1-p) = 1`, so
       :math:`e^{-U} \ge 1` everywhere and :math:`Z_\theta = \int e^{-U} = \infty`: eq. 8 defines no
       density, and its minima are not the mixture's modes (U → −∞ as |x| → ∞).
    2. With the sign fixed only, :math:`e^{-U} = g` is a mixture of N(μ_i, σ_i²/2) (the 2 is missing)
       with weights :math:`p\sigma_1/(p\sigma_1 + (1-p)\sigma_2)` (the 1/σ_i are missing): 0.82, not 0.7.
    3. The energy of the mixture with the stated parameters is :math:`U = -\log[p\,\mathcal N(x;\mu_1,\sigma_1^2)
       + (1-p)\,\mathcal N(x;\mu_2,\sigma_2^2)]`, with Z = 1, mean pμ₁ + (1−p)μ₂.
    """
    s = sp.Symbol("s", positive=True)
    component_mass = lambda sd: sp.Integral(sp.exp(-(z**2) / 2), (z, -sp.oo, sp.oo)) * sd / sp.sqrt(2)  # noqa: E731
    sign_fixed_weight = weight * sigma1 / (weight * sigma1 + (1 - weight) * sigma2)
    corrected_mean = weight * gaussian_expectation(x, mu1, sigma1) + (1 - weight) * gaussian_expectation(x, mu2, sigma2)
    corrected_second = (weight * gaussian_expectation(x**2, mu1, sigma1)
                        + (1 - weight) * gaussian_expectation(x**2, mu2, sigma2))
    sign_fixed_mean = (sign_fixed_weight * gaussian_expectation(x, mu1, sigma1 / sp.sqrt(2))
                       + (1 - sign_fixed_weight) * gaussian_expectation(x, mu2, sigma2 / sp.sqrt(2)))
    steps = (
        gaussian_moments_step(),
        Step(
            1 - sp.exp(PRINTED_ENERGY),
            weight * (1 - sp.exp(-((x - mu1) ** 2) / sigma1**2)) + (1 - weight) * (1 - sp.exp(-((x - mu2) ** 2) / sigma2**2)),
            "eq. 8 as printed: 1 − e^{U} is a sum of non-negative terms (0 < p < 1), so e^{−U} ≥ 1 on ℝ and "
            "Z_θ = ∫ e^{−U_θ} = ∞: the printed U (sign +log) defines no density (Assumption 2.1's Z_θ < ∞ fails)",
            relation="=",
            erratum="Example 2.1, eq. 8",
            label="printed-not-normalizable",
            rests_on=(DEFINITION,),
        ),
        Step(
            component_mass(s),
            sp.sqrt(sp.pi) * s,
            "with the sign fixed, a component e^{−(x−μ)²/s²} has mass √π s (x = μ + s z/√2): it is N(μ, s²/2), and "
            "the weights become pσ₁/(pσ₁ + (1−p)σ₂), (1−p)σ₂/(…)",
            label="component-mass",
            rests_on=(DEFINITION,),
        ),
        Step(
            sign_fixed_weight.subs(EXAMPLE_PARAMETERS),
            weight.subs(EXAMPLE_PARAMETERS),
            "with the stated values the sign-fixed eq. 8 gives mode 1 the weight 0.7/(0.7 + 0.15) = 14/17 ≈ 0.82, "
            "not p = 0.7: the missing 1/σ_i change the mixture",
            relation="≠",
            erratum="Example 2.1, eq. 8",
            label="sign-fixed-weights",
            rests_on=("component-mass",),
        ),
        Step(
            sp.Matrix([weight * gaussian_expectation(sp.Integer(1), mu1, sigma1)
                       + (1 - weight) * gaussian_expectation(sp.Integer(1), mu2, sigma2), corrected_mean, corrected_second]),
            sp.Matrix([1, weight * mu1 + (1 - weight) * mu2,
                       weight * (sigma1**2 + mu1**2) + (1 - weight) * (sigma2**2 + mu2**2)]),
            "the corrected energy U = −log[p N(x; μ₁, σ₁²) + (1−p) N(x; μ₂, σ₂²)]: e^{−U} is the mixture, Z = 1, "
            "mean pμ₁ + (1−p)μ₂ and second moment p(σ₁² + μ₁²) + (1−p)(σ₂² + μ₂²) (x = μ_i + σ_i z per component)",
            label="corrected",
            rests_on=(DEFINITION, "gaussian-moments"),
        ),
        Step(
            sign_fixed_mean,
            sign_fixed_weight * mu1 + (1 - sign_fixed_weight) * mu2,
            "the mean of the sign-fixed eq. 8 (components N(μ_i, σ_i²/2), weights as in the step before): the control of the checks",
            label="sign-fixed-mean",
            rests_on=("component-mass", "gaussian-moments"),
        ),
    )
    return Derivation(
        "Example 2.1: the energy of a Gaussian mixture",
        steps,
        exports={"corrected_energy": CORRECTED_ENERGY, "printed_energy": PRINTED_ENERGY,
                 "sign_fixed_energy": SIGN_FIXED_ENERGY,
                 "corrected_mean": weight * mu1 + (1 - weight) * mu2,
                 "corrected_second_moment": weight * (sigma1**2 + mu1**2) + (1 - weight) * (sigma2**2 + mu2**2),
                 "sign_fixed_mean": sign_fixed_weight * mu1 + (1 - sign_fixed_weight) * mu2,
                 "sign_fixed_weight": sign_fixed_weight},
        result="corrected",
    )
