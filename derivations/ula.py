r"""Langevin sampling: ULA's stationary law, its finite-step law, the stable step sizes,
the noise scale, MALA's proposal density and the order of ULA's bias.

Sources: review (seed 003) Section 4, Definition 4.3 (eq. 84), Example 4.1 (eqs. 85–90),
Definition 4.4 (eq. 95); slides (seed 002), Langevin updates with :math:`\sqrt\eta` (slide
"Using an EBM") and :math:`\sqrt{2\eta}` (slides "MCMC sampling is too costly").

Gaussian target :math:`\mathcal N(\mu,\Sigma)`, energy :math:`U=(x-\mu)^\top\Sigma^{-1}(x-\mu)/2`,
ULA with temperature :math:`\tau` (:math:`\tau=1` is eq. 84, :math:`\tau=\tfrac12` the
:math:`\sqrt\eta` slide):

.. math:: X_{k+1}-\mu = A_h (X_k-\mu) + \sqrt{2\tau h}\,\xi_k,\qquad A_h = I - h\Sigma^{-1}.

:math:`A_h` is symmetric and commutes with :math:`\Sigma`, so in the eigenbasis of
:math:`\Sigma` (eigenvalues :math:`\lambda_i`) every coordinate is a scalar AR(1) chain with
coefficient :math:`a_i = 1-h/\lambda_i`. The general-d argument is that reduction; the 2×2
case is also checked with a fully symbolic :math:`\Sigma`.
"""

from __future__ import annotations

import functools

import sympy as sp

from ebmcheck.derivations.steps import Assumption, Derivation, Step

h = sp.Symbol("h", positive=True)  # step size
lam = sp.Symbol("lambda", positive=True)  # an eigenvalue of Σ
tau = sp.Symbol("tau", positive=True)  # temperature: noise sqrt(2 τ h)
k = sp.Symbol("k", positive=True, integer=True)  # number of steps
c0 = sp.Symbol("c_0", positive=True)  # initial variance along the eigenvector
a = sp.Symbol("a", real=True)  # contraction factor 1 - h/λ

SPD = Assumption("sigma-spd", r"\Sigma = \Sigma^\top \succ 0", "Σ is symmetric positive definite")
STABLE = Assumption(
    "step-size-stable",
    r"0 < h < 2\lambda_{\min}(\Sigma)",
    "|1 − h/λ_i| < 1 for every eigenvalue λ_i of Σ, so A_h^k → 0 and the chain has a stationary law",
)
EIGENBASIS = Assumption(
    "eigenbasis-reduction",
    r"\Sigma = Q\,\mathrm{diag}(\lambda)\,Q^\top,\ A_h = Q\,\mathrm{diag}(1-h/\lambda)\,Q^\top",
    "A_h and Σ share eigenvectors; the isotropic noise stays isotropic in that basis, so the chain "
    "splits into d independent scalar AR(1) chains",
)


@functools.lru_cache(maxsize=None)
def scalar_forms() -> dict[str, sp.Expr]:
    """The per-eigenvalue closed forms (cheap to build; used by theory.samplers)."""
    contraction = 1 - h / lam
    variance = sp.Symbol("c", positive=True)
    stationary_tau = sp.solve(sp.Eq(variance, contraction**2 * variance + 2 * tau * h), variance)[0]
    stationary = sp.factor(stationary_tau.subs(tau, 1))
    noise_k = 2 * tau * h * (1 - a ** (2 * k)) / (1 - a**2)
    return {
        "contraction": contraction,
        "stationary_eigenvalue": stationary,  # 2λ²/(2λ − h) = λ/(1 − h/(2λ))
        "stationary_eigenvalue_tau": sp.factor(stationary_tau),
        "noise_variance_after_k": noise_k,  # in terms of a = 1 − h/λ, a² ≠ 1
        "noise_variance_after_k_marginal": 2 * tau * h * k,  # a² = 1
    }


def _two_by_two():
    s11, s22 = sp.symbols("sigma11 sigma22", positive=True)
    s12 = sp.Symbol("sigma12", real=True)
    sigma = sp.Matrix([[s11, s12], [s12, s22]])
    identity = sp.eye(2)
    precision = sigma.inv()
    transition = identity - h * precision
    eq90 = sigma * (identity - h / 2 * precision).inv()
    c11, c12, c22 = sp.symbols("c11 c12 c22")
    unknown = sp.Matrix([[c11, c12], [c12, c22]])
    residual = transition * unknown * transition.T + 2 * h * identity - unknown
    solution = sp.solve([residual[0, 0], residual[0, 1], residual[1, 1]], [c11, c12, c22], dict=True)[0]
    return sigma, transition, eq90, unknown.subs(solution)


def stationary_covariance() -> Derivation:
    r"""Derive eq. 90, :math:`C_\infty = \Sigma(I-\tfrac h2\Sigma^{-1})^{-1}`, and the law of eq. 88."""
    forms = scalar_forms()
    sigma, transition, eq90, lyapunov_solution = _two_by_two()
    variance = sp.Symbol("c", positive=True)
    contraction = forms["contraction"]
    c_k = a ** (2 * k) * c0 + forms["noise_variance_after_k"].subs(tau, 1)
    steps = (
        Step(
            lyapunov_solution,
            eq90,
            "2×2, Σ fully symbolic: the unique symmetric solution C of the stationary Lyapunov equation "
            "C = A_h C A_h^T + 2h I (solved by SymPy as a linear system) is eq. 90",
            (SPD, STABLE),
        ),
        Step(
            transition * eq90 * transition.T + 2 * h * sp.eye(2),
            eq90,
            "2×2: eq. 90 is invariant under one ULA step (Cov X_{k+1} = A Cov X_k A^T + 2h I)",
            (SPD,),
        ),
        Step(
            sp.solve(sp.Eq(variance, contraction**2 * variance + 2 * h), variance)[0],
            lam / (1 - h / (2 * lam)),
            "general d, per eigenvalue: c = (1 − h/λ)² c + 2h gives c = λ/(1 − h/(2λ)), i.e. "
            "C_∞ = Q diag(λ/(1 − h/(2λ))) Q^T = Σ(I − (h/2)Σ^{-1})^{-1}",
            (SPD, EIGENBASIS, STABLE),
        ),
        Step(
            a**2 * c_k + 2 * h,
            c_k.subs(k, k + 1),
            "finite-step law per eigenvalue: c_k = a^{2k} c_0 + 2h(1 − a^{2k})/(1 − a²) solves "
            "c_{k+1} = a² c_k + 2h (a = 1 − h/λ, a² ≠ 1); the mean is μ + A_h^k(m_0 − μ)",
            (EIGENBASIS,),
        ),
        Step(
            (sp.sqrt(2 * h) * (1 - a**2) ** sp.Rational(-1, 2) * (1 - a ** (2 * k)) ** sp.Rational(1, 2)) ** 2,
            forms["noise_variance_after_k"].subs(tau, 1),
            "eq. 88's noise term √(2h)(I − A²)^{-1/2}(I − A^{2k})^{1/2}Z has exactly this variance "
            "(A symmetric, commuting factors), so eq. 88 is right for a deterministic or independent X_0",
            (EIGENBASIS, STABLE),
        ),
    )
    return Derivation(
        "ULA's stationary covariance (eq. 90) and finite-step law (eq. 88) for a Gaussian target",
        steps,
        exports={**forms, "eq90_2x2": eq90},
        notes="For a general start N(m_0, C_0) the covariance after k steps is A^k C_0 A^k + "
        "Q diag(2h(1 − a^{2k})/(1 − a²)) Q^T; theory.samplers evaluates these exported scalar forms "
        "at the eigenvalues of Σ.",
    )


def step_size_region() -> Derivation:
    r"""The exact stable set: :math:`|1-h/\lambda_i|<1\ \forall i \iff 0<h<2\lambda_{\min}(\Sigma)`."""
    forms = scalar_forms()
    contraction = forms["contraction"]
    ratio = sp.Symbol("r", positive=True)  # r = h/λ
    stable = sp.solveset(sp.Abs(1 - ratio) < 1, ratio, sp.Interval.open(0, sp.oo))
    c_k = a ** (2 * k) * c0 + forms["noise_variance_after_k"].subs(tau, 1)
    steps = (
        Step(
            contraction**2 - 1,
            h * (h - 2 * lam) / lam**2,
            "a² − 1 < 0 ⇔ h(h − 2λ) < 0 ⇔ 0 < h < 2λ: A_h^k → 0 iff the spectral radius max|1 − h/λ_i| < 1",
            (SPD,),
        ),
        Step(stable.sup, 2, "SymPy solveset of |1 − r| < 1 over r = h/λ > 0: the supremum is 2", (SPD,)),
        Step(stable.inf, 0, "… and the infimum is 0: h/λ_i ∈ (0, 2) for all i, i.e. 0 < h < 2λ_min(Σ)", (SPD,)),
        Step(
            2 * lam,
            lam,
            "the review's bound λ_min(Σ) is half the exact edge 2λ_min(Σ): the stated condition is "
            "sufficient, not necessary; for λ_min ≤ h < 2λ_min, a ∈ (−1, 0] and the chain is still stable",
            relation="≠",
        ),
        Step(
            sp.limit(c_k, a, 1),
            c0 + 2 * h * k,
            "marginal case |a| = 1 (h = 2λ): the variance grows linearly, c_k = c_0 + 2hk; for |a| < 1 "
            "c_k < c_0 + 2hk and for |a| > 1 c_k > c_0 + 2hk (each term a^{2j} below/above 1)",
        ),
        Step(
            forms["stationary_eigenvalue"],
            2 * lam**2 / (2 * lam - h),
            "the stationary variance 2λ²/(2λ − h) is positive exactly for h < 2λ and blows up at the edge",
            (STABLE,),
        ),
    )
    return Derivation(
        "Step sizes for which ULA on a Gaussian has a stationary law",
        steps,
        exports={"stable_ratio_set": stable, "edge_factor": stable.sup, "marginal_variance": c0 + 2 * h * k},
    )


def noise_scale() -> Derivation:
    r"""What :math:`X_{\tau+1}=X_\tau-\eta\nabla U+\sqrt{2T\eta}\,\xi` samples (T = 1/2: the √η slide)."""
    forms = scalar_forms()
    stationary_tau = forms["stationary_eigenvalue_tau"]
    x = sp.Symbol("x", real=True)
    energy = sp.Function("U", real=True)(x)
    density = sp.exp(-energy / tau)
    flux = -sp.diff(energy, x) * density - tau * sp.diff(density, x)
    steps = (
        Step(
            stationary_tau,
            2 * tau * lam**2 / (2 * lam - h),
            "Gaussian target, finite step (h = η): c = a² c + 2τh per eigenvalue",
            (SPD, EIGENBASIS, STABLE),
        ),
        Step(sp.limit(stationary_tau, h, 0), tau * lam, "small-step limit: covariance τΣ", (SPD,)),
        Step(
            flux,
            0,
            "general U, small-step limit dX = −∇U dt + √(2τ) dW: the Fokker–Planck flux −U'p − τp' "
            "vanishes for p ∝ e^{−U/τ}, so the chain samples ρ^{1/τ}: ρ_θ for √(2η) (τ = 1), ρ_θ² "
            "(normalized) for √η (τ = 1/2)",
        ),
        Step(
            stationary_tau.subs(tau, sp.Rational(1, 2)),
            forms["stationary_eigenvalue"],
            "the √η chain's stationary covariance differs from the √(2η) chain's (by a factor 1/2)",
            relation="≠",
        ),
    )
    return Derivation(
        "The Langevin noise scale: √(2η) samples ρ, √η samples ρ²",
        steps,
        exports={"stationary_eigenvalue_tau": stationary_tau},
    )


def mala() -> Derivation:
    r"""MALA's proposal density, and eq. 95 as printed.

    The ULA move :math:`x' = x - h\nabla U(x) + \sqrt{2h}\xi` has density
    :math:`g(x'|x) = (4\pi h)^{-d/2}\exp(-\|x'-x+h\nabla U(x)\|^2/(4h))`. Eq. 95 prints
    :math:`(2\pi h)^{-d/2}` (integral :math:`2^{d/2}`, not 1) and :math:`U(x)` in place of
    :math:`\nabla U(x)` (the proposal would then depend on the arbitrary constant in U).
    """
    y = sp.Symbol("y", real=True)
    correct = (4 * sp.pi * h) ** sp.Rational(-1, 2) * sp.exp(-(y**2) / (4 * h))
    printed = (2 * sp.pi * h) ** sp.Rational(-1, 2) * sp.exp(-(y**2) / (4 * h))
    x, xp = sp.symbols("x x'", real=True)
    steps = (
        Step(sp.integrate(correct, (y, -sp.oo, sp.oo)), 1, "the ULA move's density (4πh)^{-1/2}e^{−y²/(4h)}, y = x' − x + hU'(x), integrates to 1"),
        Step(sp.integrate(printed, (y, -sp.oo, sp.oo)), sp.sqrt(2), "eq. 95's prefactor (2πh)^{-d/2} gives ∫g = 2^{d/2} (d = 1 shown): not a density; it cancels in the MH ratio",
             erratum="Section 4, Definition 4.4, eq. 95 (prefactor)"),
        Step(
            sp.diff(-(xp - x + h * sp.Function("U")(x)) ** 2 / (4 * h), sp.Symbol("c")).subs(sp.Symbol("c"), 0)
            + sp.diff(-(xp - x + h * (sp.Function("U")(x) + sp.Symbol("c"))) ** 2 / (4 * h), sp.Symbol("c")),
            0,
            "eq. 95 with U(x) in place of ∇U(x) changes when a constant c is added to U: the printed "
            "proposal depends on the arbitrary normalization of the energy",
            relation="≠",
            erratum="Section 4, Definition 4.4, eq. 95 (U(x) for ∇U(x))",
        ),
    )
    return Derivation("MALA's proposal density (eq. 95)", steps, exports={"proposal_1d": correct, "printed_1d": printed})


def bias_order() -> Derivation:
    r"""ULA's stationary bias is first order in h (Gaussian: exact series; order estimator)."""
    forms = scalar_forms()
    bias = forms["stationary_eigenvalue"] - lam
    p, c = sp.Symbol("p", positive=True), sp.Symbol("C", positive=True)
    steps = (
        Step(sp.series(bias, h, 0, 3).removeO(), h / 2 + h**2 / (4 * lam), "Gaussian: the variance bias is h/2 + h²/(4λ) + O(h³): order 1", (STABLE,)),
        Step(
            c * h**p - c * (h / 2) ** p,
            c * (1 - 2 ** (-p)) * h**p,
            "if b(h) = C h^p (1 + o(1)), the coupled difference D(h) = b(h) − b(h/2) = C(1 − 2^{−p}) h^p has the "
            "same order: the slope of log|D| against log h estimates p without a quadrature reference",
        ),
    )
    return Derivation("The order of ULA's stationary bias", steps, exports={"order": sp.Integer(1)})
