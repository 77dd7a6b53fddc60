r"""Diffusion models (review 003, §3.3): Fokker–Planck, the Wiener law, naive score diffusion,
Anderson's reverse SDE, the variance-exploding forward process.

Every derivation works on concrete, written-out families (Gaussians, Gaussian mixtures, linear
SDEs) so that SymPy decides each step quickly; the generic statements (the reverse-time
Fokker–Planck identity) are checked on generic functions in d = 1. The closed forms the checks use
are exported.

Notation: :math:`\rho(x, t)` the law of :math:`X_t`; :math:`\mathcal N(x; m, v)` the normal density.
"""

from __future__ import annotations

import sympy as sp
from sympy import stats

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x, x1, x2 = sp.symbols("x x1 x2", real=True)
t = sp.Symbol("t", positive=True)
z = sp.Symbol("z", real=True)
M, V = sp.Symbol("m", real=True), sp.Symbol("v", positive=True)
"""Mean and variance of a Gaussian family N(m, v) moving in time (its ODE substituted by the chain rule)."""


def _time_derivative(expr, dm, dv):
    """∂_t of an expression in (m, v) along m' = dm, v' = dv (chain rule, derivatives unevaluated)."""
    return sp.Derivative(expr, M) * dm + sp.Derivative(expr, V) * dv

DECAY_AT_INFINITY = Assumption(
    "decay-at-infinity",
    r"\rho\,\partial_x\log R \to 0,\ \rho\log R\,\partial_x \log R \to 0 \text{ as } |x|\to\infty",
    "the boundary terms of the integrations by parts vanish (true for the Gaussian families here)",
)
ITO_ISOMETRY = Assumption(
    "ito-isometry",
    r"\operatorname{Var}\int_0^t c(s)\,dW_s = \int_0^t c(s)^2\,ds",
    "Itô isometry for a deterministic integrand: the noise integral is N(0, ∫c²), independent of X_0",
)


STANDARD_NORMAL = stats.Normal("Z", 0, 1)
"""Z ~ N(0, 1): Gaussian expectations are written E[P(Z)] after the substitution x = m + √v Z."""


def _gaussian_expectation(polynomial) -> sp.Expr:
    r""":math:`\mathbb E\,P(Z)`, Z ~ N(0, 1), for a polynomial P in z, written as :math:`\sum_k c_k\,\mathbb E[Z^k]` with
    each moment an unevaluated ``sympy.stats`` expectation (the check evaluates each moment integral; a bare
    ``Integral`` without free symbols would be evaluated by quadrature whenever SymPy orders the sum's terms)."""
    coefficients = sp.Poly(sp.expand(polynomial), z).all_coeffs()[::-1]
    return sp.Add(*[c * (stats.Expectation(STANDARD_NORMAL**k) if k else 1) for k, c in enumerate(coefficients) if c != 0])


def normal_density(point, mean, variance):
    """:math:`\\mathcal N(x; m, v)` written out."""
    return sp.exp(-((point - mean) ** 2) / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)


def _gaussian_2d(covariance: sp.Matrix):
    """The centred bivariate normal density with covariance ``covariance`` (entries may contain t)."""
    vec = sp.Matrix([x1, x2])
    quad = (vec.T * covariance.inv() * vec)[0, 0]
    return sp.exp(-quad / 2) / (2 * sp.pi * sp.sqrt(covariance.det()))


def _second_order_operator(matrix: sp.Matrix, density) -> sp.Expr:
    r""":math:`\tfrac12\sum_{ij} A_{ij}\,\partial_i\partial_j\rho` with the derivatives unevaluated."""
    xs = (x1, x2)
    return sp.Rational(1, 2) * sp.Add(*[matrix[i, j] * sp.Derivative(density, xs[i], xs[j])
                                         for i in range(2) for j in range(2)])


# ---- Proposition 3.2 ---------------------------------------------------------------------------
SIGMA_2D = sp.Matrix([[2, sp.Rational(1, 2)], [sp.Rational(-1, 2), 1]])
"""The constant non-symmetric diffusion matrix of the d = 2 experiment."""


def fokker_planck() -> Derivation:
    r"""Eq. 41 in d = 2 with a constant non-symmetric σ and μ = 0, and in d = 1 for an OU process.

    For :math:`dX = \sigma\,dW`, :math:`X_t = \sigma W_t \sim \mathcal N(0, t\sigma\sigma^\top)`. Its
    density solves :math:`\partial_t\rho = \tfrac12\sum_{ij}(\sigma\sigma^\top)_{ij}\partial_i\partial_j\rho`
    and not the printed operator read with :math:`\sigma^2 = \sigma\sigma` (the only well-typed reading
    of :math:`\Delta[\sigma^2\rho/2]` for a matrix is the contraction :math:`\sum_{ij}\partial_i\partial_j[(\sigma^2)_{ij}\rho/2]`),
    whose solution from δ is :math:`\mathcal N(0, t\,\mathrm{sym}(\sigma\sigma))`. In d = 1 the printed
    equation is right: the OU law :math:`\mathcal N(m_0e^{-\theta t}, \tfrac{s^2}{2\theta} + (v_0 - \tfrac{s^2}{2\theta})e^{-2\theta t})`
    solves it.
    """
    corrected_cov = t * SIGMA_2D * SIGMA_2D.T
    square = SIGMA_2D * SIGMA_2D
    printed_cov = t * (square + square.T) / 2
    rho = _gaussian_2d(corrected_cov)
    rho_printed = _gaussian_2d(printed_cov)
    theta, s, v0 = sp.symbols("theta s v0", positive=True)
    m0 = sp.Symbol("m0", real=True)
    ou_mean = m0 * sp.exp(-theta * t)
    ou_var = s**2 / (2 * theta) + (v0 - s**2 / (2 * theta)) * sp.exp(-2 * theta * t)
    rho_ou = normal_density(x, M, V)
    ou_dm, ou_dv = -theta * M, -2 * theta * V + s**2
    steps = (
        Step(sp.Derivative(rho, t), _second_order_operator(SIGMA_2D * SIGMA_2D.T, rho),
             "X_t = σW_t ~ N(0, tσσᵀ) (its density written out) solves the Fokker–Planck equation with the diffusion "
             "tensor σσᵀ: ∂_tρ = ½Σ_ij (σσᵀ)_ij ∂_i∂_j ρ", label="corrected", rests_on=(DEFINITION,)),
        Step(sp.Derivative(rho, t), _second_order_operator(square, rho),
             "the same density does not solve eq. 41 read with σ² = σσ (σ non-symmetric): the printed equation "
             "predicts another law", relation="≠", erratum="eq. 41", label="printed-fails", rests_on=(DEFINITION,)),
        Step(sp.Derivative(rho_printed, t), _second_order_operator(square, rho_printed),
             "the printed reading's solution from δ: N(0, t·sym(σσ)) (sym(σσ) is positive definite here), so it "
             "predicts Cov X_t = t(σσ + (σσ)ᵀ)/2", label="printed-law", rests_on=(DEFINITION, "printed-fails")),
        Step(sp.Matrix([sp.Derivative(ou_mean, t) - ou_dm.subs(M, ou_mean), sp.Derivative(ou_var, t) - ou_dv.subs(V, ou_var)]),
             sp.Matrix([0, 0]), "the OU mean and variance solve m' = −θm, v' = −2θv + s²", label="ou-moments",
             rests_on=(DEFINITION,)),
        Step(_time_derivative(rho_ou, ou_dm, ou_dv),
             -sp.Derivative(-theta * x * rho_ou, x) + sp.Derivative(s**2 / 2 * rho_ou, x, 2),
             "d = 1, OU dX = −θX dt + s dW: N(m(t), v(t)) with these moments (chain rule through m, v) solves eq. 41 "
             "as printed (in d = 1 σ² is the scalar square)", label="ou", rests_on=(DEFINITION, "ou-moments")),
    )
    return Derivation(
        "Fokker–Planck: the diffusion tensor is σσᵀ",
        steps,
        exports={"sigma": SIGMA_2D, "covariance": corrected_cov, "covariance_printed": printed_cov,
                 "ou_mean": ou_mean, "ou_variance": ou_var},
        notes="In d ≥ 2 eq. 41's Δ[σ²ρ/2] is ill-typed for a matrix σ; the correct operator is "
        "½Σ_ij ∂_i∂_j[(σσᵀ)_ij ρ]. In d = 1 the printed equation is right (step 4).",
        result="corrected",
    )


# ---- Example 3.1 -------------------------------------------------------------------------------
def wiener_heat() -> Derivation:
    r"""Eq. 44 solves eq. 43, has mass 1 and variance t (so it tends to δ as t → 0)."""
    rho = 1 / sp.sqrt(2 * sp.pi * t) * sp.exp(-x**2 / (2 * t))
    steps = (
        Step(sp.Derivative(rho, t), rho * (x**2 / (2 * t**2) - 1 / (2 * t)),
             "differentiate the printed density (eq. 44) in t", label="dt", rests_on=(DEFINITION,)),
        Step(sp.Derivative(rho, x, 2), rho * (x**2 / t**2 - 1 / t),
             "differentiate eq. 44 twice in x", label="dxx", rests_on=(DEFINITION,)),
        Step(sp.Derivative(rho, t), sp.Rational(1, 2) * sp.Derivative(rho, x, 2),
             "steps 1–2: ∂_tρ = ½∂²_xρ, eq. 43", label="heat", rests_on=("dt", "dxx")),
        Step(sp.Matrix([sp.Integral(rho, (x, -sp.oo, sp.oo)), sp.Integral(x**2 * rho, (x, -sp.oo, sp.oo))]),
             sp.Matrix([1, t]),
             "mass 1 and variance t: the density concentrates to δ(x) as t → 0 (the initial datum)",
             label="moments", rests_on=(DEFINITION,)),
    )
    return Derivation("The Wiener law solves the heat equation", steps, exports={"density": rho, "variance": t},
                      result="heat")


# ---- Definition 3.2: the endpoint condition does not fix (μ, σ) --------------------------------
def endpoint_nonunique() -> Derivation:
    r"""Two SDEs from :math:`\bar\rho = \mathcal N(0, 1)` to :math:`\rho_* = \mathcal N(m, s^2)` on [0, 1].

    (i) :math:`\mu = m`, :math:`\sigma = \sqrt{s^2 - 1}`; (ii) :math:`\mu = \sigma = 0` on [0, ½],
    :math:`\mu = 2m`, :math:`\sigma = \sqrt{2(s^2-1)}` on (½, 1]. State-independent coefficients:
    :math:`X_t = X_0 + \int_0^t\mu + \int_0^t\sigma\,dW` is Gaussian with mean :math:`\int\mu` and
    variance :math:`1 + \int\sigma^2` (Itô isometry).
    """
    m, s = sp.symbols("m s", positive=True)
    u = sp.Symbol("u", positive=True)
    half = sp.Rational(1, 2)
    mean_i = lambda end: sp.Integral(m, (u, 0, end))  # noqa: E731
    var_i = lambda end: 1 + sp.Integral(s**2 - 1, (u, 0, end))  # noqa: E731
    mean_ii = lambda end: sp.Integral(2 * m, (u, half, end)) if end != half else sp.Integer(0)  # noqa: E731
    var_ii = lambda end: 1 + sp.Integral(2 * (s**2 - 1), (u, half, end))  # noqa: E731
    steps = (
        Step(sp.Matrix([mean_i(1), var_i(1)]), sp.Matrix([m, s**2]),
             "pair (i) at t = 1: mean ∫₀¹ m = m, variance 1 + ∫₀¹(s² − 1) = s²: X_1 ~ ρ_*",
             (ITO_ISOMETRY,), label="pair-i", rests_on=(DEFINITION,)),
        Step(sp.Matrix([mean_ii(1), var_ii(1)]), sp.Matrix([m, s**2]),
             "pair (ii) at t = 1: mean ∫_{½}¹ 2m = m, variance 1 + ∫_{½}¹ 2(s² − 1) = s²: the same endpoint laws",
             (ITO_ISOMETRY,), label="pair-ii", rests_on=(DEFINITION,)),
        Step(sp.Matrix([mean_i(half), var_i(half)]), sp.Matrix([mean_ii(half), var_ii(half)]),
             "at t = ½ the two laws differ (N(m/2, (1 + s²)/2) vs N(0, 1)): the two (μ, σ) are different processes "
             "with the same endpoint conditions", relation="≠", label="differ", rests_on=("pair-i", "pair-ii")),
    )
    return Derivation(
        "Eq. 45's endpoint conditions do not determine (μ, σ)",
        steps,
        exports={"mean_i": mean_i(t).doit(), "mid_mean_i": mean_i(half).doit(), "mid_var_i": var_i(half).doit(),
                 "mid_mean_ii": sp.Integer(0), "mid_var_ii": var_ii(half).doit(), "end_mean": m, "end_var": s**2},
        result="differ",
    )


# ---- Proposition 3.3 ---------------------------------------------------------------------------
EPS, TARGET_MEAN, TARGET_VAR = sp.Symbol("epsilon", positive=True), sp.Symbol("a", real=True), sp.Symbol("w", positive=True)
M0, V0 = sp.Symbol("m0", real=True), sp.Symbol("v0", positive=True)


def _naive_family():
    """ρ = N(m, v), ρ_* = N(a, w), the mean/variance ODE of the naive SDE and its solution."""
    rho = normal_density(x, M, V)
    target = normal_density(x, TARGET_MEAN, TARGET_VAR)
    dm = -EPS * (M - TARGET_MEAN) / TARGET_VAR
    dv = 2 * EPS * (1 - V / TARGET_VAR)
    mean_t = TARGET_MEAN + (M0 - TARGET_MEAN) * sp.exp(-EPS * t / TARGET_VAR)
    var_t = TARGET_VAR + (V0 - TARGET_VAR) * sp.exp(-2 * EPS * t / TARGET_VAR)
    return rho, target, dm, dv, mean_t, var_t



def naive_score_kl() -> Derivation:
    r"""Eqs. 47–50 on Gaussians: ρ = N(m(t), v(t)), ρ_* = N(a, w), μ = ε s_*, σ = √(2ε).

    The Gaussian with :math:`m' = -\varepsilon(m-a)/w`, :math:`v' = 2\varepsilon(1 - v/w)` solves
    :math:`\partial_t\rho = \varepsilon\,\partial_x[\rho\,\partial_x\log(\rho/\rho_*)]` — eq. 47 times ε,
    not eq. 47. Then :math:`\mathrm{KL} = \tfrac12(v/w - 1 - \log(v/w) + (m-a)^2/w)`,
    :math:`I = \int\rho|\partial_x\log R|^2 = v(1/w - 1/v)^2 + (m-a)^2/w^2` and
    :math:`d\mathrm{KL}/dt = -\varepsilon I`, not :math:`-I` (eq. 50). The sentence
    ":math:`\rho_*\partial_t R = \nabla\cdot(\rho\log R)`" is false; :math:`\rho_*\partial_tR = \partial_t\rho =
    \varepsilon\nabla\cdot(\rho\nabla\log R)`, whose integral vanishes.
    """
    rho, target, dm, dv, mean_t, var_t = _naive_family()
    log_ratio = sp.log(rho / target)
    flux = sp.Derivative(rho * sp.Derivative(log_ratio, x), x)
    at_z = {x: M + sp.sqrt(V) * z}
    log_ratio_written = sp.log(sp.sqrt(TARGET_VAR / V)) - (x - M) ** 2 / (2 * V) + (x - TARGET_MEAN) ** 2 / (2 * TARGET_VAR)
    kl_integral = _gaussian_expectation(log_ratio_written.subs(at_z))
    kl = (V / TARGET_VAR - 1 - sp.log(V / TARGET_VAR) + (M - TARGET_MEAN) ** 2 / TARGET_VAR) / 2
    grad_log_ratio = -(x - M) / V + (x - TARGET_MEAN) / TARGET_VAR
    fisher = V * (1 / TARGET_VAR - 1 / V) ** 2 + (M - TARGET_MEAN) ** 2 / TARGET_VAR**2
    steps = (
        Step(sp.Matrix([sp.Derivative(mean_t, t) - dm.subs({M: mean_t}), sp.Derivative(var_t, t) - dv.subs({V: var_t})]),
             sp.Matrix([0, 0]),
             "m(t), v(t) solve the moment ODEs of dX = −ε(X − a)/w dt + √(2ε) dW (Itô: m' = E μ, v' = 2Cov(X, μ) + 2ε)",
             label="moments", rests_on=(DEFINITION,)),
        Step(_time_derivative(rho, dm, dv), EPS * flux,
             "the Gaussian N(m, v) moving by these ODEs solves ∂_tρ = ε ∂_x[ρ ∂_x log(ρ/ρ_*)]: the Fokker–Planck "
             "equation of the proposition's SDE (μ = εs_*, σ²/2 = ε)", label="fp", rests_on=(DEFINITION, "moments")),
        Step(_time_derivative(rho, dm, dv), flux,
             "eq. 47 as printed (no ε) is not the Fokker–Planck equation of the SDE with μ = εs_*, σ = √(2ε) for ε ≠ 1",
             relation="≠", erratum="eq. 47", label="eq47", rests_on=("fp",)),
        Step(kl_integral, kl, "KL(ρ‖ρ_*) = ∫ρ log(ρ/ρ_*) dx of two Gaussians, log(ρ/ρ_*) written out, after the "
             "substitution x = m + √v Z, Z ~ N(0, 1) (X ~ ρ), expanded in the moments E[Z^k]",
             label="kl", rests_on=(DEFINITION,)),
        Step(_gaussian_expectation((grad_log_ratio**2).subs(at_z)), fisher,
             "∫ρ |∂_x log R|² with ∂_x log R = −(x − m)/v + (x − a)/w, after x = m + √v Z, in the moments E[Z^k]", label="fisher", rests_on=(DEFINITION,)),
        Step(_time_derivative(kl, dm, dv), -EPS * fisher,
             "d KL/dt along the Fokker–Planck flow (chain rule through m, v; steps 2, 4, 5) = −ε ∫ρ|∇log R|²",
             (DECAY_AT_INFINITY,), label="rate", rests_on=("fp", "kl", "fisher")),
        Step(_time_derivative(kl, dm, dv), -fisher,
             "eq. 50 as printed (no ε) is wrong for ε ≠ 1", relation="≠", erratum="eq. 50", label="eq50",
             rests_on=("rate",)),
        Step(target * sp.Derivative(rho / target, M) * dm + target * sp.Derivative(rho / target, V) * dv,
             sp.Derivative(rho * log_ratio, x),
             "the sentence after eq. 49, ρ_*∂_tR = ∇·(ρ log R), is false", relation="≠", erratum="eq. 49 (sentence after)",
             label="sentence", rests_on=("fp",)),
        Step(target * sp.Derivative(rho / target, M) * dm + target * sp.Derivative(rho / target, V) * dv, EPS * flux,
             "what holds: ρ_*∂_tR = ∂_tρ = ε∇·(ρ∇log R), a divergence, whose integral vanishes (decay at ∞)",
             (DECAY_AT_INFINITY,), label="sentence-corrected", rests_on=("fp",)),
    )
    return Derivation(
        "Naive score diffusion: dKL/dt = −ε ∫ρ|∇log(ρ/ρ_*)|²",
        steps,
        exports={"kl": kl, "fisher": fisher, "mean": mean_t, "variance": var_t, "rate": -EPS * fisher},
        result="rate",
    )


def naive_score_convergence() -> Derivation:
    r"""Proposition 3.3 for a Gaussian target and any ρ_0 with finite variance: the SDE is OU,
    :math:`X_t = a + (X_0 - a)e^{-\varepsilon t/w} + \sqrt{w(1 - e^{-2\varepsilon t/w})}\,Z`, so
    :math:`X_t \to \rho_*` in law for every ε > 0 (the law of X_t is ρ_0 scaled, convolved with a Gaussian)."""
    decay = sp.exp(-EPS * t / TARGET_VAR)
    mean_t = TARGET_MEAN + (M0 - TARGET_MEAN) * decay
    var_t = V0 * decay**2 + TARGET_VAR * (1 - decay**2)
    steps = (
        Step(sp.Matrix([sp.Derivative(mean_t, t), sp.Derivative(var_t, t)]),
             sp.Matrix([-EPS * (mean_t - TARGET_MEAN) / TARGET_VAR, -2 * EPS * var_t / TARGET_VAR + 2 * EPS]),
             "for any ρ_0 with mean m0 and variance v0, X_t's mean and variance solve the moment ODEs of "
             "dX = −ε(X − a)/w dt + √(2ε) dW", (ITO_ISOMETRY,), label="moments", rests_on=(DEFINITION,)),
        Step(sp.Matrix([sp.Limit(mean_t, t, sp.oo), sp.Limit(var_t, t, sp.oo)]), sp.Matrix([TARGET_MEAN, TARGET_VAR]),
             "T → ∞: the ρ_0-part is scaled by e^{−εt/w} → 0 and the Gaussian part tends to N(0, w): X_t → N(a, w) = ρ_*",
             label="limit", rests_on=("moments",)),
    )
    return Derivation("Naive score diffusion reaches ρ_* as T → ∞ (Gaussian target)", steps,
                      exports={"mean": mean_t, "variance": var_t, "decay": decay}, result="limit")


# ---- Lemma 3.2 ---------------------------------------------------------------------------------
BETA = sp.Symbol("beta", positive=True)


def reverse_sde() -> Derivation:
    r"""Anderson's reverse SDE, checked on its Fokker–Planck equation in d = 1.

    Forward: :math:`\partial_t\rho = -\partial_x(f\rho) + \tfrac{q^2}{2}\partial_x^2\rho`. The reverse
    SDE run with :math:`ds < 0` is, in the increasing time τ = T − s, the SDE with drift
    :math:`-(f - g^2\partial_x\log\rho)` and diffusion g; its law p(x, τ) solves
    :math:`\partial_\tau p = \partial_x[(f - g^2\partial_x\log\rho)p] + \tfrac{g^2}{2}\partial_x^2 p`.
    p(·, τ) = ρ(·, T − τ) solves it iff g² = q². The OU family (f = −βx, q = √(2β)) gives the
    marginals of Gaussian and Gaussian-mixture data in closed form.
    """
    f = sp.Function("f", real=True)(x, t)
    rho = sp.Function("rho", positive=True)(x, t)
    q = sp.Function("q", positive=True)(t)
    g = sp.Function("g", positive=True)(t)
    forward_rhs = -sp.Derivative(f * rho, x) + q**2 / 2 * sp.Derivative(rho, x, 2)

    def reverse_rhs(coefficient):
        return sp.Derivative((f - coefficient**2 * sp.Derivative(sp.log(rho), x)) * rho, x) \
            + coefficient**2 / 2 * sp.Derivative(rho, x, 2)

    mu0, v0 = sp.Symbol("mu0", real=True), sp.Symbol("v0", positive=True)
    mean_t = mu0 * sp.exp(-BETA * t)
    var_t = v0 * sp.exp(-2 * BETA * t) + 1 - sp.exp(-2 * BETA * t)
    component = normal_density(x, M, V)
    dm, dv = -BETA * M, -2 * BETA * V + 2 * BETA
    steps = (
        Step(-forward_rhs, reverse_rhs(q),
             "∂_τ ρ(x, T − τ) = −∂_tρ = −(forward Fokker–Planck, eq. 41 in d = 1) equals the reverse SDE's "
             "Fokker–Planck right side with diffusion q: the time-reversed law solves it (g = q)",
             label="reverse-fp", rests_on=(DEFINITION,)),
        Step(-forward_rhs, reverse_rhs(g),
             "eq. 56's g is undefined; read as anything but eq. 55's q the time-reversed law would not solve it: "
             "the reverse diffusion must be the forward one, so g = q is the only reading under which the lemma holds",
             relation="≠", label="g-not-q", rests_on=("reverse-fp",)),
        Step(sp.Matrix([sp.Derivative(mean_t, t) - dm.subs(M, mean_t), sp.Derivative(var_t, t) - dv.subs(V, var_t)]),
             sp.Matrix([0, 0]), "OU moments: m' = −βm, v' = −2βv + 2β", label="ou-moments", rests_on=(DEFINITION,)),
        Step(_time_derivative(component, dm, dv),
             -sp.Derivative(-BETA * x * component, x) + BETA * sp.Derivative(component, x, 2),
             "OU forward process f = −βx, q = √(2β): data component N(μ₀, v₀) evolves to N(μ₀e^{−βt}, "
             "v₀e^{−2βt} + 1 − e^{−2βt}); a mixture's components evolve independently (linearity)",
             label="ou-marginal", rests_on=(DEFINITION, "ou-moments")),
    )
    return Derivation("Anderson's reverse-time SDE", steps,
                      exports={"component_mean": mean_t, "component_variance": var_t}, result="reverse-fp")


# ---- the variance-exploding paragraph ------------------------------------------------------------
def variance_exploding() -> Derivation:
    r"""f = 0, g(t) = e^t: :math:`X_t = X_0 + \int_0^t e^u dW_u`, so :math:`\rho(\cdot,t) = \rho_* *
    \mathcal N(0, (e^{2t}-1)/2)`; each data component N(μ, v) becomes N(μ, v + (e^{2t} − 1)/2)."""
    u = sp.Symbol("u", positive=True)
    added = sp.Integral(sp.exp(2 * u), (u, 0, t))
    mu, v = sp.Symbol("mu", real=True), sp.Symbol("v", positive=True)
    closed = (sp.exp(2 * t) - 1) / 2
    component = normal_density(x, mu, V)
    steps = (
        Step(added, closed, "Itô isometry: Var ∫₀ᵗ e^u dW_u = ∫₀ᵗ e^{2u} du", (ITO_ISOMETRY,), label="variance",
             rests_on=(DEFINITION,)),
        Step(sp.Derivative(component, V) * sp.Derivative(v + added, t), sp.exp(2 * t) / 2 * sp.Derivative(component, x, 2),
             "each data component N(μ, v) convolved with N(0, (e^{2t} − 1)/2) solves the Fokker–Planck equation "
             "∂_tρ = (g²/2)∂²_xρ of f = 0, g = e^t (and the mixture by linearity)", label="marginal",
             rests_on=("variance",)),
    )
    return Derivation("Variance-exploding forward process", steps, exports={"added_variance": closed}, result="marginal")
