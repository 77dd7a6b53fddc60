r"""Derivations for the CNCE paper (seed 004) beyond Theorem 1 / Corollary 2.

* :func:`score_matching_limit` — CNCE with :math:`p_n(y|x) = \mathcal N(y; x, \varepsilon)` (ε the *variance*, as
  printed) on the Gaussian-precision family: :math:`\mathcal L(\theta) = 2\log 2 + \tfrac{\varepsilon}{2}J(\theta)
  + O(\varepsilon^2)` with :math:`J = \mathbb E_{p_d}[\tfrac12\psi^2 + \psi']` Hyvärinen's objective.
* :func:`consistency_conditions` — the population gradient vanishes at θ* for every noise (antisymmetry), but a
  noise whose pairs never connect the modes leaves the loss flat: "consistent for any p_n" fails.
* :func:`merged_sums_variance` — joining both sums (eq. 13) doubles the per-pair terms; it never reduces variance.
* :func:`label_convention` — the minimiser of eq. 11 is :math:`F = \log(p_1/p_0)`, eq. 9's logit when class 0 of
  eq. 11 is the class printed k = 2.
"""

from __future__ import annotations

import functools

import sympy as sp
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

WELL_SPECIFIED = Assumption(
    "well-specified", r"p_d = p_{\theta^*}", "the data come from the model at θ*")
SERIES_EXCHANGE = Assumption(
    "series-integral-exchange",
    r"\mathbb E[g(x,\xi;\varepsilon)] = \sum_{k\le 4}\varepsilon^{k/2}\mathbb E[g_k] + O(\varepsilon^{5/2})",
    "the Taylor series in √ε of the integrand may be integrated term by term (softplus and its derivatives are "
    "bounded; the remainder is a polynomial in (x, ξ) times ε^{5/2}, integrable against p_d(x)φ(ξ))")
SYMMETRIC_WEIGHT = Assumption(
    "pair-weight-symmetric", r"w(x,y) = \frac{p_1(x,y)p_1(y,x)}{p_1(x,y)+p_1(y,x)} = w(y,x)",
    "at θ*, p_1σ(−F) = p_1p_0/(p_1+p_0) is symmetric under the swap x ↔ y (p_0(x,y) = p_1(y,x))")
NOISE_SUPPORT = Assumption(
    "noise-support-below-gap", r"p_n(y|x) = 0 \text{ for } |y-x| \ge \delta,\ \delta < 2",
    "the noise jumps less than the gap (−1, 1) between the two components of the data")
EXCHANGEABLE = Assumption(
    "exchangeable-noise", r"y, y' \overset{iid}{\sim} p_n(\cdot|x)",
    "the class-0 sum with independent noise uses a second draw y' given the same x, so ℓ(x,y), ℓ(x,y') are "
    "exchangeable: equal variances V, covariance C ≤ V (Cauchy–Schwarz)")


def _sigma(u):
    return 1 / (1 + sp.exp(-u))


def _softplus(u):
    return sp.log(1 + sp.exp(u))


# ---- ε → 0: CNCE tends to score matching ---------------------------------------------------------------
@functools.cache
def score_matching_limit() -> Derivation:
    r"""CNCE with :math:`p_n(y|x) = \mathcal N(y; x, \varepsilon)` for :math:`\log f = -\theta x^2/2`,
    :math:`p_d = \mathcal N(0, 1/\theta^*)`:

    .. math:: \mathcal L(\theta;\varepsilon) = -2\,\mathbb E\log\sigma(F) = 2\log 2 + \frac{\varepsilon}{2}\,J(\theta)
              + c_2(\theta)\,\varepsilon^2 + O(\varepsilon^3),\qquad
              J(\theta) = \mathbb E_{p_d}\big[\tfrac12\psi^2 + \psi'\big] = \frac{\theta^2}{2\theta^*} - \theta,

    (ψ = ∂_x log f). Odd powers of √ε vanish (odd moments of ξ), so the remainder after the ε term is O(ε²):
    :math:`(\mathcal L - 2\log 2)/\varepsilon \to J/2` at rate ε. Exported: ``constant`` (½), ``hyvarinen``
    (J), ``c2`` and the symbols ``theta``, ``theta_star``, ``eps``.
    """
    x, y, xi, u = sp.symbols("x y xi u", real=True)
    theta, theta_star, eps, s = sp.symbols("theta theta_star epsilon s", positive=True)
    log_f = lambda point: -theta * point**2 / 2
    log_p_n = lambda point, centre: -(point - centre) ** 2 / (2 * eps) - sp.log(2 * sp.pi * eps) / 2
    phi = sp.exp(-xi**2 / 2) / sp.sqrt(2 * sp.pi)
    F = theta * (y**2 - x**2) / 2
    psi = sp.Derivative(log_f(x), x)
    J_integrand = (psi**2 / 2 + sp.Derivative(log_f(x), x, 2)).doit()
    J = theta**2 / (2 * theta_star) - theta
    order = 4  # Taylor degree in s = √ε: the loss to O(ε²)

    def taylor(expr, var):
        return sp.Add(*(sp.Mul(var**k / sp.factorial(k), sp.Subs(sp.Derivative(expr, (var, k)), var, 0),
                               evaluate=False) for k in range(order + 1)), evaluate=False)

    per_pair = 2 * _softplus(-u)  # −2 log σ(u)
    t_poly = sp.expand(taylor(per_pair, u).doit())
    composed = sp.expand(t_poly.subs(u, F).subs(y, x + s * xi))
    poly = sp.expand(taylor(composed, s).doit())
    k = sp.Symbol("k", real=True)
    mgf_x, mgf_xi = sp.exp(k**2 / (2 * theta_star)), sp.exp(k**2 / 2)  # MGFs of p_d = N(0, 1/θ*) and of φ

    def moment(mgf, power):
        return sp.Subs(sp.Derivative(mgf, (k, power)), k, 0)

    terms = sp.Poly(poly, x, xi).terms()
    integral = sp.Add(*(coefficient * moment(mgf_x, a) * moment(mgf_xi, b) for (a, b), coefficient in terms),
                      evaluate=False)
    value = sp.expand(integral.doit())
    c2 = sp.factor(value.coeff(s, 4))
    loss_series = 2 * sp.log(2) + eps * J / 2 + c2 * eps**2
    steps = (
        Step(sp.Add(log_f(x), -log_f(y), log_p_n(y, x), -log_p_n(x, y), evaluate=False), F,
             "eq. 3's logit with p_n(y|x) = N(y; x, ε): the symmetric noise terms cancel", label="F",
             rests_on=(DEFINITION,)),
        Step(sp.Subs(sp.sqrt(eps) * sp.exp(log_p_n(y, x)), y, x + sp.sqrt(eps) * xi), phi,
             "y = x + √ε ξ: √ε p_n(x + √εξ | x) = φ(ξ), so ξ ~ N(0, 1)", label="jump", rests_on=(DEFINITION,)),
        Step(J_integrand.subs(x**2, moment(mgf_x, 2)), J,
             "Hyvärinen's objective J(θ) = E_{p_d}[½ψ² + ψ'] with ψ = ∂_x log f = −θx (E x² from the MGF of p_d)",
             (WELL_SPECIFIED,), label="J", rests_on=(DEFINITION,)),
        Step(taylor(per_pair, u), t_poly, "−2 log σ(u) = 2 softplus(−u) to u⁴ (SymPy derivatives at u = 0)",
             label="T", rests_on=(DEFINITION,)),
        Step(taylor(composed, s), poly, "the per-pair loss at y = x + sξ (s = √ε) to s⁴; F = O(s), so the u⁵ "
             "remainder is O(s⁵)", label="Ts", rests_on=("F", "T")),
        Step(moment(mgf_x, 4), 3 / theta_star**2,
             "moments of p_d = N(0, 1/θ*) from its MGF e^{k²/(2θ*)} (E x⁴ shown; the same rule gives every E x^a "
             "and, with θ* = 1, E ξ^b)", (WELL_SPECIFIED,), label="moments", rests_on=(DEFINITION,)),
        Step(integral, 2 * sp.log(2) + s**2 * J / 2 + c2 * s**4,
             "integrated against p_d(x)φ(ξ) monomial by monomial, E[x^a ξ^b] = E x^a · E ξ^b (independent), each "
             "a derivative of the MGF at 0; the odd powers of s vanish (odd moments of ξ)",
             (SERIES_EXCHANGE, WELL_SPECIFIED), label="series", rests_on=("jump", "Ts", "J", "moments")),
        Step(sp.Limit((loss_series - 2 * sp.log(2)) / eps, eps, 0), J / 2,
             "(L − 2 log 2)/ε → J/2: the CNCE loss is 2 log 2 + (ε/2)·J + O(ε²), score matching after removing the "
             "constant and the factor ε/2 (as printed, L itself tends to the constant 2 log 2)",
             label="limit", rests_on=("series",)),
        Step(sp.Limit((loss_series - 2 * sp.log(2) - eps * J / 2) / eps**2, eps, 0), c2,
             "rate: the remainder is c₂ε² (no ε^{3/2} term), so (L − 2 log 2)/ε = J/2 + O(ε)",
             label="rate", rests_on=("series",)),
    )
    return Derivation("CNCE → score matching as ε → 0: L = 2 log 2 + (ε/2) J_SM + O(ε²)", steps,
                      exports={"constant": sp.Rational(1, 2), "hyvarinen": J, "c2": c2, "theta": theta,
                               "theta_star": theta_star, "eps": eps},
                      result="limit",
                      notes="ε is the variance of the jump (N(y|x, εI) as printed). The leading term of the CNCE "
                      "loss is the constant 2 log 2; the first ε-dependent term is (ε/2)·J, J Hyvärinen's objective.")


# ---- consistency "for any choice of p_n" --------------------------------------------------------------
@functools.cache
def consistency_conditions() -> Derivation:
    r"""Two facts. (i) For every noise, the population gradient at θ* vanishes:
    :math:`\nabla\mathcal L(\theta^*) = -2\iint w(x,y)\,(g(x) - g(y))`, with :math:`g = \nabla_\theta\log f` and
    :math:`w` symmetric, is zero (swap x ↔ y). (ii) It is not enough: data on two bumps
    :math:`b(|x|-2)`, :math:`b(z) = (1-z^2)^2` on [−1, 1], with :math:`\log f_\theta = \log b(|x|-2) + \theta\,1[x>0]`,
    and a noise with jumps shorter than the gap (δ < 2): every pair lies in one bump, where
    :math:`\partial_\theta F = 0`; so :math:`C_1 = 0` and the loss is flat in θ — θ is not identified.
    Exported: ``dF_same_side`` (0) and ``gradient_symmetrised`` (0)."""
    x, y, theta = sp.symbols("x y theta", real=True)
    w, g = sp.Function("w"), sp.Function("g")
    integrand = lambda u, v: w(u, v) * (g(u) - g(v))
    symmetric = {w(y, x): w(x, y)}
    bump = lambda z: (1 - z**2) ** 2
    log_f_right = lambda point: sp.log(bump(point - 2)) + theta
    log_f_left = lambda point: sp.log(bump(point + 2))
    same_right = log_f_right(x) - log_f_right(y)
    same_left = log_f_left(x) - log_f_left(y)
    steps = (
        Step(sp.Add(integrand(x, y), integrand(y, x), evaluate=False).subs(symmetric), 0,
             "∇L(θ*) = −2∬ p₁σ(−F)∇F = −2∬ w(x,y)(g(x) − g(y)); half the sum of the integrand and its swap is 0 "
             "for a symmetric w — whatever the noise", (SYMMETRIC_WEIGHT, WELL_SPECIFIED), label="grad-zero",
             rests_on=(DEFINITION,)),
        Step(sp.Derivative(same_right, theta), 0, "∂_θF on a pair inside the right bump: θ cancels",
             label="flat-right", rests_on=(DEFINITION,)),
        Step(sp.Derivative(same_left, theta), 0, "∂_θF on a pair inside the left bump: no θ at all",
             label="flat-left", rests_on=(DEFINITION,)),
        Step(sp.Derivative(log_f_right(x) - log_f_left(y), theta), 1,
             "a pair across the gap would see θ (∂_θF = 1) — but none exists when δ < 2", (NOISE_SUPPORT,),
             label="cross", rests_on=(DEFINITION,)),
        Step(_sigma(theta) * _sigma(-theta) * sp.Derivative(same_right, theta) ** 2, sp.Integer(0),
             "C₁'s integrand σ(F)σ(−F)(∂_θF)² is 0 on every pair has ∂_θF = 0 (flat-left, flat-right; no cross pairs), so the "
             "loss is flat in θ and θ is not identified — 'consistent for any choice of p_n' fails",
             (NOISE_SUPPORT,), label="C1-zero", rests_on=("flat-right", "flat-left", "cross"),
             erratum="§2, 'CNCE is consistent for any choice of p_n'"),
    )
    return Derivation("Consistency of CNCE: gradient zero at θ* for any noise; identifiability needs connecting pairs",
                      steps, exports={"dF_same_side": sp.Integer(0), "gradient_symmetrised": sp.Integer(0)},
                      result="C1-zero")


# ---- eq. 13: merging the sums ------------------------------------------------------------------------
@functools.cache
def merged_sums_variance() -> Derivation:
    r"""Per data point, eq. 13 (K = 1) adds the class-1 term ℓ(x, y) and the class-0 term, which with the same
    random numbers (the swapped pair) *is* ℓ(x, y) (Lemma 4): :math:`\mathrm{Var}(2\ell) = 4V`. The two sums with an
    independent class-0 noise draw y' given the same x: :math:`\mathrm{Var}(\ell + \ell') = 2V + 2C`, C ≤ V. Ratio

    .. math:: r = \frac{4V}{2V + 2C} = \frac{2V}{V + C} \ge 1,

    so common random numbers here *raise* the variance (they reduce the variance of a difference, not of a sum).
    For the gradient at θ*, V = C₂ and C = C₃ (the any-K matrices), so r = 2C₂/(C₂ + C₃) = Σ₁/Σ₂.
    Exported: ``ratio`` (in ``V``, ``C``) and the symbols."""
    V, C = sp.symbols("V C", positive=True)
    ell, mu = sp.symbols("ell mu", real=True)
    steps = (
        Step(sp.Pow(sp.Add(ell, ell, -2 * mu, evaluate=False), 2, evaluate=False), 4 * (ell - mu) ** 2,
             "CRN: the class-0 term of the pair is the swapped pair's, equal to ℓ(x,y) (Lemma 4); its squared "
             "deviation is 4(ℓ − μ)², so Var(ℓ + ℓ) = 4V",
             label="merged", rests_on=(DEFINITION,)),
        Step(sp.Add(V, V, 2 * C, evaluate=False), 2 * V + 2 * C,
             "independent class-0 noise y' | x: Var(ℓ + ℓ') = V + V + 2Cov(ℓ, ℓ')", (EXCHANGEABLE,),
             label="independent", rests_on=(DEFINITION,)),
        Step(sp.Mul(4 * V, sp.Pow(2 * V + 2 * C, -1), evaluate=False), 2 * V / (V + C),
             "the variance ratio merged/independent (the same N_d data)", label="ratio",
             rests_on=("merged", "independent")),
        Step(2 * V / (V + C) - 1, (V - C) / (V + C), "r − 1 = (V − C)/(V + C) ≥ 0 since C ≤ V (Cauchy–Schwarz): "
             "merging never reduces the variance", (EXCHANGEABLE,), label="no-reduction", rests_on=("ratio",),
             erratum="appendix A, text after eq. 12 (common random numbers for variance reduction)"),
    )
    return Derivation("Merging the sums of eq. 13: variance ratio 2V/(V + C) ≥ 1", steps,
                      exports={"ratio": 2 * V / (V + C), "V": V, "C": C}, result="no-reduction")


# ---- appendix A: labels -------------------------------------------------------------------------------
@functools.cache
def label_convention() -> Derivation:
    r"""Pointwise, eq. 11's population loss is :math:`p_1\,\mathrm{softplus}(-F) + p_0\,\mathrm{softplus}(F)`
    (densities of the two classes at (x, y)); it is minimised at :math:`\sigma(F) = p_1/(p_1+p_0)`, i.e.
    :math:`F = \log(p_1/p_0)` — eq. 9's logit when ``p_0`` is the class printed k = 2 (x, y swapped). Exported:
    ``optimal_logit``."""
    p1, p0 = sp.symbols("p_1 p_0", positive=True)
    F = sp.Symbol("F", real=True)
    pointwise = p1 * _softplus(-F) + p0 * _softplus(F)
    optimum = sp.log(p1 / p0)
    steps = (
        Step(sp.Derivative(pointwise, F), -p1 * _sigma(-F) + p0 * _sigma(F),
             "d/dF of eq. 11's integrand (−log σ(F) = softplus(−F), −log σ(−F) = softplus(F))", label="d",
             rests_on=(DEFINITION,)),
        Step(sp.Subs(-p1 * _sigma(-F) + p0 * _sigma(F), F, optimum), 0,
             "the derivative vanishes at F = log(p₁/p₀) (and the integrand is convex in F)", label="stationary",
             rests_on=("d",)),
        Step(sp.Subs(_sigma(F), F, optimum), p1 / (p1 + p0),
             "σ(log p₁/p₀) = p₁/(p₁ + p₀): eq. 9's p(k=1|x,y) with p₀ the k = 2 class", label="eq9",
             rests_on=("stationary",)),
    )
    return Derivation("Appendix A: eq. 11 is minimised by eq. 9's logit", steps,
                      exports={"optimal_logit": optimum, "p1": p1, "p0": p0}, result="eq9")


# ---- Table 1 at reduced scale --------------------------------------------------------------------------
THEOREM1 = Assumption(
    "theorem-1", r"N_d\Sigma = C_1^{-1}C_2C_1^{-1}",
    "Theorem 1 (K = 1), established with its proof by claim cnce-asymptotic-covariance")


@functools.cache
def table_ordering() -> Derivation:
    r"""For one parameter and K = 1, Theorem 1 with :math:`C_2 = C_1` (the symmetry :math:`\sigma(-F)^2` vs
    :math:`\sigma(F)\sigma(-F)` under the swap) gives :math:`N_d\,\mathrm{MSE} \to 1/C_1`, so two noises are ordered
    by their :math:`C_1`: :math:`\mathrm{MSE}_a/\mathrm{MSE}_b \to C_{1,b}/C_{1,a}`. Exported: ``trace_sigma``
    (:math:`1/C_1`) and ``mse_ratio`` in the symbols ``C1a``, ``C1b``."""
    C1, C1a, C1b = sp.symbols("C_1 C_1a C_1b", positive=True)
    steps = (
        Step(sp.Mul(sp.Pow(C1, -1, evaluate=False), C1, sp.Pow(C1, -1, evaluate=False), evaluate=False), 1 / C1,
             "Theorem 1 for one parameter, with C₂ = C₁ (E[σ(−F)²(∂F)²] = E[σ(F)σ(−F)(∂F)²] by the swap x ↔ y at θ*)",
             (THEOREM1, WELL_SPECIFIED), label="trace", rests_on=(DEFINITION,)),
        Step(sp.Mul(sp.Pow(C1a, -1), sp.Pow(sp.Pow(C1b, -1), -1, evaluate=False), evaluate=False), C1b / C1a,
             "the ratio of the asymptotic MSEs of two noises a, b on the same data size", label="ratio",
             rests_on=("trace",)),
    )
    return Derivation("Reduced Table 1: N_d·MSE → 1/C₁, noises ordered by C₁", steps,
                      exports={"trace_sigma": 1 / C1, "C1": C1, "mse_ratio": C1b / C1a, "C1a": C1a, "C1b": C1b},
                      result="ratio")
