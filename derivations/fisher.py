r"""The Fisher divergence of the review (seed 003, Definition 3.4, Remark 3.1, eqs. 51–54).

Definition 3.4 (eq. 51), no ½: :math:`D_F(\rho\|\pi) = \int\rho\,\|\nabla\log\rho - \nabla\log\pi\|^2`.

**The two mixtures of eq. 52**, with the separation kept general (the source has m = 5):
:math:`\rho_1 = \tfrac12\mathcal N(-m,1) + \tfrac12\mathcal N(m,1)`,
:math:`\rho_2 = \sigma(z)\mathcal N(-m,1) + (1-\sigma(z))\mathcal N(m,1)`. With
:math:`\varphi(x\pm m) = \varphi(x)e^{-m^2/2}e^{\mp mx}` and :math:`c = z/2`,

.. math:: \rho_1 = \varphi(x)e^{-m^2/2}\cosh(mx), \qquad
          \rho_2 = \varphi(x)e^{-m^2/2}\cosh(mx - c)/\cosh c,

so :math:`\nabla\log\rho_1 - \nabla\log\rho_2 = m\sinh c/(\cosh(mx)\cosh(mx-c))` and
:math:`\log(\rho_1/\rho_2) = \log\cosh c + \log\cosh(mx) - \log\cosh(mx-c)`. Substituting
:math:`u = mx`,

.. math:: D_F(\rho_1\|\rho_2) = m\,e^{-m^2/2}\sinh^2 c\int\frac{\varphi(u/m)\,du}{\cosh u\,\cosh^2(u-c)}
          \quad\text{(exact)}.

With :math:`v = e^u`, :math:`b = e^{-c}` the integral at :math:`\varphi(u/m)\to\varphi(0)` is rational,
:math:`J(c) = \int du/(\cosh u\cosh^2(u-c)) = 8b^2\int_0^\infty v^2 dv/((v^2+1)(b^2v^2+1)^2) = \pi/(2\cosh^2(c/2))`
(partial fractions), whence the leading asymptotics

.. math:: D_F(\rho_1\|\rho_2) = \sqrt{2\pi}\,m\,e^{-m^2/2}\sinh^2(z/4)\,\big(1 - \tfrac{M_2(c)}{2m^2} + R\big),
          \qquad 0 \le R \le \tfrac{M_4(c)}{8m^4},

:math:`M_k(c)` the k-th moment of the probability density :math:`\propto 1/(\cosh u\cosh^2(u-c))`
(from :math:`1 - t \le e^{-t} \le 1 - t + t^2/2`, :math:`t = u^2/2m^2`), while
:math:`D_{KL}(\rho_1\|\rho_2) \to \log\cosh(z/2)` (the log-ratio tends to :math:`c\,\mathrm{sign}(x)`,
odd under ρ₁'s symmetry). At the truth z = 0 both vanish with zero slope; their curvatures are
:math:`\partial_z^2 D_F|_0 = \tfrac{m^2}{2}\mathbb E_{\rho_1}\operatorname{sech}^4(mx) \sim \sqrt{2\pi}\,m\,e^{-m^2/2}/8`
and :math:`\partial_z^2 D_{KL}|_0 = \tfrac14\mathbb E_{\rho_1}\tanh^2(mx) \to \tfrac14` — the cross-entropy's
(it differs from KL by H(ρ₁), eq. 13).

The SymPy steps are pointwise identities (the integrals are carried out by the checks'
quadrature), so the topic's derivations stay well under a second.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

CONNECTED_POSITIVE = Assumption(
    "positive-density-on-connected-domain",
    r"\rho > 0 \text{ and } \pi > 0 \text{ on } \mathbb{R}^d",
    "both densities positive everywhere (more generally: π > 0 on supp ρ and supp ρ connected); without it D_F "
    "only sees each connected component of the support up to a constant factor",
)

x = sp.Symbol("x", real=True)
u = sp.Symbol("u", real=True)
y = sp.Symbol("y", real=True)  # the second coordinate of the mixtures in d = 2
z = sp.Symbol("z", real=True)
m = sp.Symbol("m", positive=True)
v, b = sp.symbols("v b", positive=True)


def _phi(y):
    return sp.exp(-(y**2) / 2) / sp.sqrt(2 * sp.pi)


def _sigmoid(y):
    return 1 / (1 + sp.exp(-y))


def mixtures():
    """ρ₁ and ρ₂ of eq. 52 as printed (separation ±m, σ(z) on the mode at −m)."""
    rho1 = sp.Rational(1, 2) * _phi(x + m) + sp.Rational(1, 2) * _phi(x - m)
    rho2 = _sigmoid(z) * _phi(x + m) + (1 - _sigmoid(z)) * _phi(x - m)
    return rho1, rho2


def _cosh(y):
    """cosh written out, (e^y + e^{−y})/2, so that SymPy's expand/together decide the steps quickly."""
    return (sp.exp(y) + sp.exp(-y)) / 2


def mode_blindness() -> Derivation:
    """D_F and KL between the mixtures of eq. 52: exact forms, asymptotics in the separation, curvature at z = 0."""
    c = z / 2
    rho1, rho2 = mixtures()
    prefactor = _phi(x) * sp.exp(-(m**2) / 2)
    rho1_factored = prefactor * _cosh(m * x)
    rho2_factored = prefactor * (sp.exp(-m * x) + sp.exp(m * x - z)) / (1 + sp.exp(-z))  # = prefactor cosh(mx − c)/cosh c
    score_gap = m * (sp.sinh(m * x) / sp.cosh(m * x) - sp.sinh(m * x - c) / sp.cosh(m * x - c))
    log_ratio = sp.log(sp.cosh(c)) + sp.log(sp.cosh(m * x)) - sp.log(sp.cosh(m * x - c))
    kernel = sp.cosh(u) * (sp.sinh(u) / sp.cosh(u) - sp.sinh(u - c) / sp.cosh(u - c)) ** 2  # = sinh²c/(cosh u cosh²(u − c))
    kernel_stable = sp.sinh(c) ** 2 / (sp.cosh(u) * sp.cosh(u - c) ** 2)  # no cancellation of tanh u − tanh(u − c) at large u
    fisher_density_u = m * sp.exp(-(m**2) / 2) * _phi(u / m) * kernel  # integrand of D_F in u = m x
    sinh_c = (1 / b - b) / 2  # sinh c at b = e^{−c}
    rational = sinh_c**2 * 8 * b**2 * v**2 / ((v**2 + 1) * (b**2 * v**2 + 1) ** 2)
    # cosh u = (v² + 1)/(2v), tanh u = (v² − 1)/(v² + 1), tanh(u − c) = (b²v² − 1)/(b²v² + 1), du = dv/v
    kernel_in_v = ((v**2 + 1) / (2 * v) * ((v**2 - 1) / (v**2 + 1) - (b**2 * v**2 - 1) / (b**2 * v**2 + 1)) ** 2) / v
    a_, b_, c_ = -1 / (1 - b**2) ** 2, b**2 / (1 - b**2) ** 2, 1 / (1 - b**2)
    antiderivative = 8 * b**2 * (a_ * sp.atan(v) + b_ / b * sp.atan(b * v) + c_ / (2 * b) * (sp.atan(b * v) + b * v / (b**2 * v**2 + 1)))
    antiderivative_at_infinity = 8 * b**2 * (a_ + b_ / b + c_ / (2 * b)) * sp.pi / 2
    kernel_integral = sinh_c**2 * 2 * sp.pi * b / (1 + b) ** 2
    leading = sp.sqrt(2 * sp.pi) * m * sp.exp(-(m**2) / 2) * sp.sinh(z / 4) ** 2
    tanh_mx = sp.sinh(m * x) / sp.cosh(m * x)
    fisher_curvature_density = m**2 / 2 * (1 - tanh_mx**2) ** 2  # ∂²_z at 0 of (score gap)² = (m²/2) sech⁴(mx)
    kl_curvature_density = tanh_mx**2 / 4
    half_z = sp.exp(z / 4)
    steps = (
        Step(rho1, rho1_factored, "eq. 52, ρ₁ with means ±m: φ(x ± m) = φ(x) e^{−m²/2} e^{∓mx}, so ρ₁ = φ(x)e^{−m²/2}cosh(mx)",
             label="rho1", rests_on=(DEFINITION,)),
        Step(rho2, rho2_factored, "eq. 52, ρ₂: σ(z) = e^{z/2}/(2cosh(z/2)), 1 − σ(z) = e^{−z/2}/(2cosh(z/2)), so "
             "ρ₂ = φ(x)e^{−m²/2}(e^{−mx} + e^{mx−z})/(1 + e^{−z}) = φ(x)e^{−m²/2}cosh(mx − z/2)/cosh(z/2)", label="rho2", rests_on=(DEFINITION,)),
        Step(sp.log(sp.UnevaluatedExpr(rho1_factored.subs(_cosh(m * x), sp.cosh(m * x))) / sp.UnevaluatedExpr(
                 prefactor * sp.cosh(m * x - c) / sp.cosh(c))),
             log_ratio, "the log-ratio in the KL integrand (steps 1–2)", label="log-ratio", rests_on=("rho1", "rho2")),
        Step(sp.Derivative(log_ratio, x), score_gap,
             "score difference ∇log ρ₁ − ∇log ρ₂ = ∂ₓ log(ρ₁/ρ₂) = m(tanh(mx) − tanh(mx − z/2))",
             label="score-gap", rests_on=("log-ratio",)),
        Step(sp.Subs(prefactor * sp.cosh(m * x) * score_gap**2, x, u / m) * sp.Derivative(u / m, u), fisher_density_u,
             "eq. 51's integrand ρ₁|s₁ − s₂|² after x = u/m: D_F = m e^{−m²/2} ∫ φ(u/m) cosh u (tanh u − tanh(u − z/2))² du (exact)",
             label="fisher-exact", rests_on=("rho1", "score-gap")),
        Step(kernel, kernel_stable,
             "tanh u − tanh(u − c) = sinh c/(cosh u cosh(u − c)): the kernel without the cancellation that makes the "
             "difference of two tanh's lose its digits for large u (the form the quadratures use)",
             label="kernel-stable", rests_on=("fisher-exact",)),
        Step(kernel_in_v, rational,
             "the kernel at φ(u/m) → φ(0), written in v = e^u (du = dv/v) and b = e^{−z/2}: a rational function of v",
             label="kernel-rational", rests_on=("fisher-exact",)),
        Step(sp.Derivative(antiderivative, v), rational / sinh_c**2,
             "partial fractions in v²: an antiderivative of the rational kernel (arctan terms)",
             label="antiderivative", rests_on=("kernel-rational",)),
        Step(sinh_c**2 * (antiderivative_at_infinity - antiderivative.subs(v, 0)), kernel_integral,
             "J(z) = ∫ cosh u (tanh u − tanh(u − z/2))² du = sinh²(z/2) (F(∞) − F(0)) = sinh²(z/2) 2πb/(1 + b)², "
             "F(∞) from arctan(v), arctan(bv) → π/2 and bv/(b²v² + 1) → 0",
             label="kernel-integral", rests_on=("antiderivative",)),
        Step(m * sp.exp(-(m**2) / 2) * _phi(0) * kernel_integral.subs(b, sp.exp(-z / 2)),
             sp.sqrt(2 * sp.pi) * m * sp.exp(-(m**2) / 2) * ((half_z - 1 / half_z) / 2) ** 2,
             "leading order: φ(u/m) → φ(0) in the exact D_F, J inserted: D_F ~ √(2π) m e^{−m²/2} sinh²(z/4)",
             label="fisher-leading", rests_on=("fisher-exact", "kernel-integral")),
        Step(sp.Derivative(sp.log(sp.UnevaluatedExpr(rho1 * _phi(y)) / sp.UnevaluatedExpr(rho2 * _phi(y))), y), sp.Integer(0),
             "d = 2, means (±m, 0) and identity covariance: ρᵢ(x, y) = ρᵢ(x)φ(y); the y-component of the score "
             "difference vanishes, so D_F in d = 2 is the 1-D D_F (∫φ(y)dy = 1) — what the Monte Carlo in d = 2 checks",
             label="two-d", rests_on=(DEFINITION,)),
        Step(sp.Subs(sp.Derivative(score_gap**2, z, 2), z, 0), fisher_curvature_density,
             "curvature at the truth z = 0 of D_F's integrand: ∂²_z (s₁ − s₂)² = (m²/2) sech⁴(mx)",
             label="fisher-curvature", rests_on=("score-gap",)),
        Step(sp.Subs(sp.Derivative(log_ratio, z, 2), z, 0), kl_curvature_density,
             "curvature at z = 0 of the KL (and cross-entropy, eq. 13) integrand: ∂²_z log(ρ₁/ρ₂) = tanh²(mx)/4 → 1/4 away from 0",
             label="kl-curvature", rests_on=("log-ratio",)),
    )
    return Derivation(
        "Fisher divergence and KL between the two mixtures of eq. 52, as functions of the separation m",
        steps,
        exports={"score_gap": score_gap, "log_ratio": log_ratio, "fisher_density_u": fisher_density_u, "kernel": kernel_stable,
                 "leading": leading, "kl_limit": sp.log(sp.cosh(c)), "fisher_curvature_density": fisher_curvature_density,
                 "kl_curvature_density": kl_curvature_density},
        notes="The leading asymptotics' remainder is bounded in the checks by the moments M₂, M₄ of the kernel "
        "(1 − t ≤ e^{−t} ≤ 1 − t + t²/2 for φ(u/m) = φ(0)e^{−u²/2m²}). sinh²(z/4) is written (e^{z/4} − e^{−z/4})²/4.",
        result="fisher-leading",
    )


def _bump(y):
    """A smooth density shape with support (−1, 1): exp(−1/(1 − y²)) (unnormalized; its integral cancels below)."""
    return sp.exp(-1 / (1 - y**2))


def zero_iff_equal() -> Derivation:
    r"""Remark 3.1's "D_F zero only when the densities are the same" fails for a disconnected support.

    ρ = ½β(x+2) + ½β(x−2), π = ¼β(x+2) + ¾β(x−2), β a normalized smooth bump on (−1, 1): on each
    component log π − log ρ is a constant, so the scores agree on supp ρ and D_F(ρ‖π) = 0, while
    ‖ρ − π‖₁ = 2|½ − ¼| = ½ and KL(ρ‖π) = ½log 2 + ½log(2/3) = ½log(4/3) > 0. With ρ, π > 0 on ℝ^d,
    D_F = 0 forces ∇log(ρ/π) = 0 ρ-a.e., so ρ/π is constant on the connected ℝ^d, hence 1.
    """
    half, quarter, three_quarters = sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(3, 4)
    left, right = _bump(x + 2), _bump(x - 2)
    steps = (
        Step(sp.Derivative(sp.log(three_quarters * right) - sp.log(half * right), x), 0,
             "on the right component (1, 3): π/ρ = (3/4)/(1/2) is constant, so ∇log π = ∇log ρ there",
             label="right-scores", rests_on=(DEFINITION,)),
        Step(sp.Derivative(sp.log(quarter * left) - sp.log(half * left), x), 0,
             "on the left component (−3, −1): π/ρ = (1/4)/(1/2), constant: the scores agree; hence D_F(ρ‖π) = 0",
             label="left-scores", rests_on=(DEFINITION,)),
        Step(sp.Abs(sp.UnevaluatedExpr(half) - quarter) + sp.Abs(sp.UnevaluatedExpr(half) - three_quarters), half,
             "‖ρ − π‖₁ = Σ_k |w_k − w'_k| (disjoint components, each of mass 1)", label="l1", rests_on=(DEFINITION,)),
        Step(sp.Abs(sp.UnevaluatedExpr(half) - quarter) + sp.Abs(sp.UnevaluatedExpr(half) - three_quarters), 0,
             "Remark 3.1 as printed: D_F(ρ‖π) = 0 (steps 1–2) would force ρ = π, i.e. ‖ρ − π‖₁ = 0 — it is ½",
             relation="≠", erratum="Remark 3.1", label="counterexample", rests_on=("right-scores", "left-scores", "l1")),
        Step(half * sp.log(half / quarter, evaluate=False) + half * sp.log(half / three_quarters, evaluate=False),
             sp.log(sp.Rational(4, 3)) / 2, "KL(ρ‖π) = Σ_k w_k log(w_k/w'_k) = ½log(4/3) > 0: KL is not blind",
             label="kl", rests_on=(DEFINITION,)),
        Step(sp.Integral(_phi(x) * sp.Derivative(-(x**2) / 2 + (x - 1) ** 2 / 2, x) ** 2, (x, -sp.oo, sp.oo)), 1,
             "positive densities: ρ = N(0,1), π = N(1,1): D_F = ∫ρ (∇log ρ − ∇log π)² = 1 > 0",
             (CONNECTED_POSITIVE,), label="positive-case", rests_on=(DEFINITION,)),
    )
    return Derivation("Remark 3.1: D_F(ρ‖π) = 0 without ρ = π for a disconnected support", steps,
                      exports={"l1": half, "kl": sp.log(sp.Rational(4, 3)) / 2, "weights": (half, quarter, three_quarters)},
                      result="counterexample")


def monte_carlo_estimators() -> Derivation:
    r"""Eq. 53 as printed sums N per-sample terms without 1/N: its mean is N·D, not D.

    With x_i iid ρ₁, E[Σ_{i≤N} h(x_i)] = N E_{ρ₁}[h] = N·D for h = |s₁ − s₂|² (D_F) or log(ρ₁/ρ₂) (KL);
    the corrected estimators are the averages (1/N)Σ h(x_i), unbiased for D.
    """
    n = sp.Symbol("N", positive=True, integer=True)
    i = sp.Symbol("i", positive=True, integer=True)
    divergence = sp.Symbol("D", positive=True)
    steps = (
        Step(sp.Sum(divergence, (i, 1, n)), n * divergence,
             "expectation of eq. 53's sum: linearity, E h(x_i) = D for each of the N iid samples", label="printed-mean",
             rests_on=(DEFINITION,)),
        Step(sp.Sum(divergence, (i, 1, n)), divergence, "eq. 53 as printed is not an estimate of D for N > 1 (N = 2 shown)",
             relation="≠", erratum="eq. 53", label="printed-wrong", rests_on=("printed-mean",)),
        Step(sp.Sum(divergence, (i, 1, n)) / n, divergence, "the average (1/N)Σh(x_i) has mean D",
             label="average", rests_on=("printed-mean",)),
    )
    return Derivation("Eq. 53: the Monte Carlo estimators need 1/N", steps, exports={"scale_printed": n}, result="average")


def balanced_mixture() -> Derivation:
    r"""Which mixture of eq. 52 is balanced: ρ₁'s mode weights are ½, ½; ρ₂'s are σ(z), 1 − σ(z), ½ only at z = 0."""
    steps = (
        Step(_sigmoid(z), sp.exp(z / 2) / (sp.exp(z / 2) + sp.exp(-z / 2)),
             "ρ₂'s mass on the mode at −m is σ(z) = e^{z/2}/(e^{z/2} + e^{−z/2})", label="weight", rests_on=(DEFINITION,)),
        Step(_sigmoid(z).subs(z, 1), sp.Rational(1, 2), "the text: 'the second mixture is balanced with relative mass "
             "1/2' — false for z ≠ 0 (z = 1: σ(1) ≈ 0.731)", relation="≠", erratum="eq. 52 (text after it)",
             label="second-not-balanced", rests_on=("weight",)),
    )
    return Derivation("Eq. 52: the first mixture is the balanced one", steps, exports={"weight_left": _sigmoid(z)})


def score_matching_loss_is_half_fisher() -> Derivation:
    r"""Eq. 54's loss ½∫ρ_*‖s_θ − ∇log ρ_*‖² is ½D_F(ρ_*‖ρ_θ) with eq. 51's D_F (no ½), not D_F.

    Gaussian data N(0, 1), model score s_θ = −λ(x − μ) (ρ_θ = N(μ, 1/λ)): D_F = (λ − 1)² + λ²μ².
    """
    lam = sp.Symbol("lambda", positive=True)
    mu = sp.Symbol("mu", real=True)
    data_score, model_score = -x, -lam * (x - mu)
    expanded = (lam - 1) ** 2 * x**2 - 2 * (lam - 1) * lam * mu * x + lam**2 * mu**2
    moments = [sp.Integral(_phi(x) * x**k, (x, -sp.oo, sp.oo)) for k in (2, 1, 0)]
    fisher_value = (lam - 1) ** 2 + lam**2 * mu**2
    loss = sp.Rational(1, 2) * fisher_value
    steps = (
        Step((data_score - model_score) ** 2, expanded, "eq. 51's integrand for ρ_* = N(0,1), ∇log ρ_θ = s_θ = −λ(x − μ), expanded",
             label="integrand", rests_on=(DEFINITION,)),
        Step(sp.Matrix(moments), sp.Matrix([1, 0, 1]), "moments of N(0, 1): E x² = 1, E x = 0, E 1 = 1", label="moments",
             rests_on=(DEFINITION,)),
        Step((lam - 1) ** 2 * moments[0] - 2 * (lam - 1) * lam * mu * moments[1] + lam**2 * mu**2 * moments[2], fisher_value,
             "D_F(ρ_*‖ρ_θ) = E_* of step 1 with the moments of step 2", label="fisher", rests_on=("integrand", "moments")),
        Step(sp.Rational(1, 2) * sp.UnevaluatedExpr(fisher_value), loss, "eq. 54's loss: the same integral with its ½",
             label="loss", rests_on=("fisher",)),
        Step(loss, fisher_value, "the text: 'the loss is evidently D_F(ρ_*‖ρ_θ)' — it is half of it (same minimiser)",
             relation="≠", erratum="§3.3, after eq. 54", label="not-fisher", rests_on=("loss", "fisher")),
    )
    return Derivation("Eq. 54's loss is ½ D_F", steps, exports={"loss": loss, "fisher": fisher_value}, result="loss")


def sample_size() -> Derivation:
    r"""Eq. 53's D_F average with N samples of ρ₁: when it sees nothing, and its relative standard error.

    A = the interval carrying 99 % of D_F's integral, p_A its ρ₁-mass (quadrature). The N samples
    are iid, so P(no sample in A) = (1 − p_A)^N; the average of h = |s₁ − s₂|² has variance
    (E h² − D_F²)/N, i.e. relative standard error √((E h²/D_F² − 1)/N).
    """
    n = sp.Symbol("N", positive=True, integer=True)
    i = sp.Symbol("i", positive=True, integer=True)
    p = sp.Symbol("p_A", positive=True)
    second, mean = sp.symbols("E_h2 D_F", positive=True)
    steps = (
        Step(sp.Product(1 - p, (i, 1, n)), (1 - p) ** n, "independence of the N samples: P(none of them in A) = (1 − p_A)^N",
             label="flat-probability", rests_on=(DEFINITION,)),
        Step(sp.Sum((second - mean**2) / n**2, (i, 1, n)), (second - mean**2) / n,
             "Var((1/N)Σh(x_i)) = Σ Var(h)/N² = (E h² − D_F²)/N (iid samples)", label="variance", rests_on=(DEFINITION,)),
    )
    return Derivation("Eq. 53's D_F average: flat probability and relative standard error", steps,
                      exports={"flat": (1 - p) ** n, "relative_se": sp.sqrt((second / mean**2 - 1) / n)},
                      result="flat-probability")


BOUNDARY_EACH_TIME = Assumption(
    "boundary-term-vanishes-at-each-time",
    r"\lim_{|x|\to\infty} \rho(x,t)\, s_\theta(x,t) = 0 \text{ for every } t \in (0, T)",
    "for each noise level t, ρ(·, t) decays faster than s_θ(·, t) grows (true for Gaussian-perturbed data and a "
    "linear-growth model), so the x-integration by parts of eq. 54 applies under every ρ(·, t)",
)


def time_dependent_identity() -> Derivation:
    r"""Eq. 57 after eq. 54's integration by parts, time by time (eq. 57 has no ½):

    .. math:: \mathbb E_t\lambda(t)\mathbb E_{\rho_t}|s_\theta - \nabla\log\rho_t|^2
              = \mathbb E_t\lambda(t)\mathbb E_{\rho_t}\big[|s_\theta|^2 + 2\,\partial_x s_\theta\big] + C,
              \quad C = \mathbb E_t\lambda(t)\mathbb E_{\rho_t}|\nabla\log\rho_t|^2,

    from the pointwise identity λρ[(s − s_ρ)² − s² − 2∂ₓs − s_ρ²] = −2λ∂ₓ(ρ s), whose x-integral is the
    boundary flux, zero at every t (:data:`BOUNDARY_EACH_TIME`); integrating over t ~ U(0, T) keeps it zero.
    """
    t = sp.Symbol("t", positive=True)
    rho = sp.Function("rho", positive=True)(x, t)
    ell = sp.Function("ell", real=True)(x, t)  # s_θ(x, t) = ∂ₓ ell
    lam = sp.Function("lambda_w", positive=True)(t)
    s_theta, s_rho = sp.diff(ell, x), sp.diff(rho, x) / rho
    weights = (sp.Integer(1), sp.Integer(1), sp.Integer(2), sp.Integer(1))  # eq. 57 has no ½: the factor-two convention
    alpha, beta, gamma, kappa = weights
    integrand = lam * rho * (alpha * (s_theta - s_rho) ** 2 - beta * s_theta**2 - gamma * sp.diff(s_theta, x) - kappa * s_rho**2)
    steps = (
        Step(integrand, -gamma * lam * sp.Derivative(rho * s_theta, x),
             "at each t: the integrand of eq. 57 minus λ(|s_θ|² + 2∂ₓs_θ) minus λ|∇log ρ_t|² is a total x-derivative "
             "(product and chain rules); its x-integral is the boundary flux −2λ[ρ_t s_θ], zero at every t, and so is "
             "its t-average",
             (BOUNDARY_EACH_TIME,), label="time-dependent", rests_on=(DEFINITION,)),
    )
    return Derivation("Eq. 57 after the integration by parts (no ½: weights 1, 1, 2, 1)", steps, exports={"weights": weights})
