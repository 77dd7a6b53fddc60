r"""Score matching: Hyvärinen's identity, the partition-free score, the Gaussian score.

Notation (one convention for the suite): data density :math:`p`, data score
:math:`s_p = \nabla \log p`; model :math:`\log f_\theta` with score
:math:`s_\theta = \nabla_x \log f_\theta`. The Fisher divergence with the ½ convention of
seeds 000/001 is :math:`F(\theta) = \tfrac12 \mathbb{E}_p|s_\theta - s_p|^2` and the Hyvärinen
objective is :math:`J(\theta) = \mathbb{E}_p[\tfrac12 |s_\theta|^2 + \Delta \log f_\theta]`.

In d = 1 the identity is derived on an interval [a, b] for generic smooth p > 0 and log f:
expand the square, p s_p = p' (chain rule), and integrate the cross term by parts *with* its
boundary term,

.. math:: \int_a^b s_\theta\, p'\,dx = [p\, s_\theta]_a^b - \int_a^b s_\theta'\, p\,dx,

the fundamental theorem of calculus for (p s_θ)' being checked by differentiating in b (SymPy
cannot integrate a derivative of a product of generic functions). Hence
:math:`F = J + \tfrac12\int p\, s_p^2 - [p\, s_\theta]_a^b`; the boundary term is evaluated for
each family the checks use (0 on ℝ for the Gaussian and quartic families, λμ for Exp(1) data on
[0, ∞)). In d ≥ 2 the integrand is a divergence,

.. math:: p\Big[\tfrac12|s_\theta-s_p|^2 - \tfrac12|s_\theta|^2 - \Delta\log f_\theta
          - \tfrac12|s_p|^2\Big] = -\nabla\cdot(p\, s_\theta),

checked symbolically; that its integral is the boundary flux is :data:`DIVERGENCE_THEOREM`, and
that the flux vanishes is :data:`BOUNDARY_VANISHES`, both named where used.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

BOUNDARY_VANISHES = Assumption(
    "boundary-term-vanishes",
    r"\lim_{|x|\to\infty} p(x)\, s_\theta(x) = 0 \text{ (and no boundary inside the support)}",
    "p(x) s_θ(x) → 0 at the ends of the support: p decays faster than s_θ grows, and p has no "
    "edge where it jumps to zero. Fails for data with bounded support, e.g. p(x) = e^{-x} on [0, ∞).",
)
DIVERGENCE_THEOREM = Assumption(
    "divergence-theorem",
    r"\int_{\mathbb{R}^d} \nabla\cdot(p\, s_\theta)\, dx = \lim_{R\to\infty}\oint_{|x|=R} p\, s_\theta\cdot n\, dS",
    "the multivariate integration by parts: p s_θ is smooth and integrable enough for the divergence theorem on "
    "balls of radius R → ∞ (in d = 1 it is the fundamental theorem of calculus, derived here)",
)
DENSITY_POSITIVE = Assumption(
    "density-positive", r"p(x) > 0", "the data density is positive where it is differentiated, so s_p = p'/p is defined"
)
SYMMETRIC_COVARIANCE = Assumption(
    "covariance-symmetric-positive-definite", r"\Sigma = \Sigma^\top \succ 0", "Σ is symmetric positive definite"
)


# Weights (α, β, γ, κ) of a statement α E|s_θ − s_p|² = E[β|s_θ|² + γ Δlog f_θ] + κ E|s_p|².
HALF_CONVENTION = (sp.Rational(1, 2), sp.Rational(1, 2), sp.Integer(1), sp.Rational(1, 2))  # seeds 000/001
FACTOR_TWO = (sp.Integer(1), sp.Integer(1), sp.Integer(2), sp.Integer(1))  # seed 002
REVIEW_EQ54_AS_PRINTED = (sp.Rational(1, 2), sp.Integer(1), sp.Integer(1), None)  # seed 003: constant unspecified


def _generic(dim: int):
    """Coordinates, a generic positive density p and a generic log f of ``dim`` variables."""
    xs = sp.symbols(f"x1:{dim + 1}", real=True) if dim > 1 else (sp.Symbol("x", real=True),)
    p = sp.Function("p", positive=True)(*xs)
    log_f = sp.Function("ell", real=True)(*xs)  # ell = log f_theta
    s_theta = [sp.diff(log_f, x) for x in xs]
    s_p = [sp.diff(p, x) / p for x in xs]
    return xs, p, log_f, s_theta, s_p


def _squared(vector) -> sp.Expr:
    return sp.Add(*[v**2 for v in vector])


def _divergence(field, xs) -> sp.Expr:
    return sp.Add(*[sp.diff(component, x) for component, x in zip(field, xs)])


def _pointwise_identity(dim: int, fisher_weight, square_weight, laplacian_weight, constant_weight, label: str = "") -> Step:
    r"""The step :math:`p[\alpha|s_\theta-s_p|^2 - \beta|s_\theta|^2 - \gamma\Delta\ell - \kappa|s_p|^2] = -\gamma\nabla\cdot(p s_\theta)`.

    The divergence is kept unevaluated (a sum of :class:`sympy.Derivative`), so the page shows the
    total derivative the integrand is; the check carries out the differentiation.
    """
    xs, p, _, s_theta, s_p = _generic(dim)
    laplacian = _divergence(s_theta, xs)
    integrand = p * (
        fisher_weight * _squared([a - b for a, b in zip(s_theta, s_p)])
        - square_weight * _squared(s_theta)
        - laplacian_weight * laplacian
        - constant_weight * _squared(s_p)
    )
    total_derivative = -laplacian_weight * sp.Add(*[sp.Derivative(p * s, x) for s, x in zip(s_theta, xs)])
    return Step(
        integrand,
        total_derivative,
        f"d = {dim}: the integrand of (Fisher − Hyvärinen objective − constant) is a total derivative (product and "
        "chain rules); integrated over ℝ^d it is the flux of p s_θ through the boundary (divergence theorem; in d = 1 "
        "the fundamental theorem of calculus), zero when the boundary term vanishes",
        (DENSITY_POSITIVE, DIVERGENCE_THEOREM, BOUNDARY_VANISHES) if dim > 1 else (DENSITY_POSITIVE, BOUNDARY_VANISHES),
        label=label,
        rests_on=(DEFINITION,),
    )


def _interval():
    """The 1-D setting on [a, b]: x, a, b, p, s_θ = ℓ', s_p = d/dx log p (unevaluated) and ∫_a^b."""
    x = sp.Symbol("x", real=True)
    a, b = sp.symbols("a b", real=True)
    p = sp.Function("p", positive=True)(x)
    s_theta = sp.Derivative(sp.Function("ell", real=True)(x), x)
    s_p = sp.Derivative(sp.log(p), x)  # the data score as the source defines it; the check evaluates it to p'/p
    return x, a, b, p, s_theta, s_p, (lambda integrand: sp.Integral(integrand, (x, a, b)))


def _flux_terms(x, a, b, p, s):
    """The boundary term [p s]_a^b (unevaluated substitutions) and R = ∫_a^b (p s)' dx − [p s]_a^b."""
    flux = p * s
    boundary = sp.Subs(flux, x, b) - sp.Subs(flux, x, a)
    return boundary, sp.Integral(sp.Derivative(flux, x), (x, a, b)) - boundary


def _times_remainder(factor, remainder) -> sp.Expr:
    """``factor`` · R as an unevaluated product, so that the page shows R (zero by the fundamental
    theorem step) as one bracket beside the boundary term instead of cancelling it against R's own copy."""
    return sp.Mul(factor, remainder, evaluate=False)


def _integration_by_parts(x, a, b, p, s, weight, labels: tuple[str, str]) -> tuple[Step, ...]:
    r"""``weight`` ∫_a^b s p' dx = ``weight`` ([p s]_a^b − ∫_a^b s' p dx), derived in two steps.

    1. the fundamental theorem of calculus for (p s)': SymPy cannot integrate (p s)' for generic
       p and s, so the theorem is checked by differentiating: :math:`R(b) = \int_a^b (p s)'\,dx - [p s]_a^b`
       has :math:`R'(b) = 0` (Leibniz rule) and :math:`R(a) = 0`, hence :math:`R \equiv 0`;
    2. integration by parts, checked as the product rule under the integral: the step states
       ``weight`` (∫ s p' − R) = ``weight`` ([p s]_a^b − ∫ s' p), R (zero by step 1) shown as one bracket.
    """
    ftc_label, parts_label = labels
    boundary, remainder = _flux_terms(x, a, b, p, s)
    return (
        Step(
            sp.Matrix([sp.Derivative(remainder, b), sp.Subs(remainder, b, a)]),
            sp.Matrix([0, 0]),
            "fundamental theorem of calculus, checked by differentiating: R(b) = ∫_a^b (p s)' dx − [p s]_a^b has "
            "dR/db = 0 (Leibniz rule) and R(a) = 0, so R ≡ 0 and ∫_a^b (p s)' dx = [p s]_a^b, the boundary term",
            label=ftc_label,
            rests_on=(DEFINITION,),
        ),
        Step(
            weight * sp.Integral(s * sp.Derivative(p, x), (x, a, b)) + _times_remainder(-weight, remainder),
            weight * (boundary - sp.Integral(sp.Derivative(s, x) * p, (x, a, b))),
            "integration by parts with its boundary term (product rule s p' = (p s)' − s' p under the integral); "
            "the bracket is R = 0 of the step before",
            label=parts_label,
            rests_on=(DEFINITION, ftc_label),
        ),
    )


def _boundary_steps(rests_on: str) -> tuple[Step, ...]:
    r"""The boundary term :math:`-[p\,s_\theta]` for each data family the checks use.

    Gaussian data and model on ℝ, quartic data and model on ℝ: the limits at ±∞ are 0. Exp(1)
    data on [0, ∞) with a Gaussian model :math:`s_\theta = -\lambda(x-\mu)`: the term is
    :math:`p(0)s_\theta(0) = \lambda\mu`, nonzero for μ ≠ 0 (the bounded-support checks' prediction).
    """
    x = sp.Symbol("x", real=True)
    mu, m = sp.symbols("mu m", real=True)
    lam, tau = sp.symbols("lambda tau", positive=True)
    gaussian_score = -lam * (x - mu)
    gaussian_data = sp.sqrt(tau / (2 * sp.pi)) * sp.exp(-tau * (x - m) ** 2 / 2)
    t1, t2, u1, u2 = sp.symbols("theta1 theta2 u1 u2", real=True)
    t3, u3, z = sp.symbols("theta3 u3 Z", positive=True)
    quartic_data = sp.exp(t1 * x - t2 * x**2 / 2 - t3 * x**4 / 4) / z
    quartic_score = u1 - u2 * x - u3 * x**3
    exponential_data = sp.exp(-x)

    def on_real_line(flux):
        return -(sp.Limit(flux, x, sp.oo) - sp.Limit(flux, x, -sp.oo))

    return (
        Step(
            on_real_line(gaussian_data * gaussian_score),
            0,
            "Gaussian data N(m, 1/τ), Gaussian model s_θ = −λ(x − μ) on ℝ: the boundary term −[p s_θ]_{−∞}^{∞} is 0",
            label="boundary-gaussian",
            rests_on=(DEFINITION, rests_on),
        ),
        Step(
            on_real_line(quartic_data * quartic_score),
            0,
            "quartic data p ∝ exp(θ₁x − θ₂x²/2 − θ₃x⁴/4), quartic model s_θ = u₁ − u₂x − u₃x³ on ℝ: the boundary "
            "term is 0 for every normalizer Z > 0",
            label="boundary-quartic",
            rests_on=(DEFINITION, rests_on),
            placeholders=(z,),
        ),
        Step(
            -(sp.Limit(exponential_data * gaussian_score, x, sp.oo) - sp.Subs(exponential_data * gaussian_score, x, 0)),
            lam * mu,
            "Exp(1) data p = e^{−x} on [0, ∞), Gaussian model: the boundary term −[p s_θ]_0^∞ = p(0) s_θ(0) = λμ, "
            "not 0 — F − J − ½E|s_p|² equals it (the bounded-support checks)",
            label="boundary-exponential",
            rests_on=(DEFINITION, rests_on),
        ),
    )


def hyvarinen_identity() -> Derivation:
    r"""Derive :math:`\tfrac12\mathbb{E}_p|s_\theta-s_p|^2 = \mathbb{E}_p[\tfrac12|s_\theta|^2+\Delta\log f_\theta] + \tfrac12\mathbb{E}_p|s_p|^2 - [p\,s_\theta]`.

    Seeds 000/001, univariate on [a, b]: expand the square, p s_p = p' (chain rule), integrate the
    cross term by parts with its boundary term (product rule + fundamental theorem, both derived),
    so that F = J + ½∫p s_p² − [p s_θ]_a^b. The boundary term is then evaluated for each family
    the checks use. The multivariate identity is the pointwise total-derivative identity in d = 2, 3
    with the divergence theorem as a named assumption.
    """
    x, a, b, p, s, s_p, integral = _interval()
    half = sp.Rational(1, 2)
    hyvarinen = integral(half * p * s**2) + integral(p * sp.Derivative(s, x))  # J, its two terms apart (cheaper to check)
    constant = integral(half * p * s_p**2)
    boundary, remainder = _flux_terms(x, a, b, p, s)
    cross = s * sp.Derivative(p, x)
    steps = (
        Step(
            half * p * (s - s_p) ** 2,
            half * p * s**2 - cross + half * p * s_p**2,
            "the Fisher integrand: expand the square; chain rule p · d/dx log p = p' in the cross term",
            (DENSITY_POSITIVE,),
            label="fisher-expanded",
            rests_on=(DEFINITION,),
        ),
        *_integration_by_parts(x, a, b, p, s, sp.Integer(1), ("fundamental-theorem", "integration-by-parts")),
        Step(
            integral(half * p * s**2) - integral(cross) + constant,
            hyvarinen + constant - boundary + _times_remainder(-1, remainder),
            "F(θ) on [a, b] (integrand of step 1), the cross term integrated by parts with its boundary term (step 3): "
            "F = J + ½∫p s_p² − [p s_θ]_a^b − R, and R = 0 (step 2)",
            label="identity-1d",
            rests_on=("fisher-expanded", "integration-by-parts", "fundamental-theorem"),
        ),
        *_boundary_steps("identity-1d"),
        _pointwise_identity(2, *HALF_CONVENTION, label="identity-2d"),
        _pointwise_identity(3, *HALF_CONVENTION, label="identity-3d"),
    )
    return Derivation(
        "Hyvärinen's score-matching identity (½ convention)",
        steps,
        exports={"weights": HALF_CONVENTION},
        notes="The 1-D identity with its boundary term is derived from the definitions (step 4); the weights (½, ½, 1, ½) "
        "are read off it. The boundary term is 0 for the Gaussian and quartic families on ℝ and λμ for Exp(1) data on "
        "[0, ∞). In d = 2, 3 the integrand is the divergence −∇·(p s_θ); turning its integral into a boundary flux is "
        "the divergence theorem, a named assumption.",
        result="identity-1d",
    )


def hyvarinen_identity_factor_two() -> Derivation:
    r"""Seed 002's version without the ½: :math:`\mathbb{E}_p|s_\theta - s_p|^2 = c_p + \mathbb{E}_p[|s_\theta|^2 + 2\Delta\log f_\theta]`.

    The slide's proof is checked line by line (q = f_θ, p = ρ_*), its integration by parts on
    [a, b] with the boundary term −2[p ∇log q]_a^b that the slide's "fast decay at ∞" removes.
    """
    x, a, b, p, s_q, s_p, integral = _interval()
    grad_p = sp.Derivative(p, x)
    ratio = grad_p / p
    boundary, remainder = _flux_terms(x, a, b, p, s_q)
    steps = (
        Step(
            p * (s_p - s_q) ** 2,
            p * (ratio - s_q) ** 2,
            "slide line 2: ∇log p = ∇p/p",
            (DENSITY_POSITIVE,),
            label="line-2",
            rests_on=(DEFINITION,),
        ),
        Step(
            p * (ratio - s_q) ** 2,
            p * ratio**2 + p * s_q**2 - sp.Mul(2, p, ratio, s_q, evaluate=False),
            "slide line 3: expand, c_p = ∫ p |∇p/p|²",
            label="line-3",
            rests_on=("line-2",),
        ),
        Step(
            sp.Mul(2, p, ratio, s_q, evaluate=False),
            2 * grad_p * s_q,
            "slide line 4: p · ∇p/p = ∇p",
            label="line-4",
            rests_on=("line-3",),
        ),
        *_integration_by_parts(x, a, b, p, s_q, sp.Integer(-2), ("line-5-fundamental-theorem", "line-5")),
        Step(
            integral(p * ratio**2) + integral(p * s_q**2) - 2 * integral(grad_p * s_q),
            integral(p * ratio**2) + integral(p * s_q**2) + 2 * integral(p * sp.Derivative(s_q, x))
            - 2 * boundary + _times_remainder(-2, remainder),
            "SM on [a, b] after lines 2–4, its cross term by line 5: ∫p|∇log p − ∇log q|² = c_p + ∫p(|∇log q|² + "
            "2Δlog q) − 2[p ∇log q]_a^b (R = 0, step 4); the boundary term is what the slide's 'fast decay at ∞' removes",
            label="identity-1d",
            rests_on=("line-2", "line-3", "line-4", "line-5", "line-5-fundamental-theorem"),
        ),
        _pointwise_identity(2, *FACTOR_TWO, label="identity-2d"),
    )
    return Derivation("Hyvärinen's identity without the ½ (seed 002)", steps, exports={"weights": FACTOR_TWO},
                      result="identity-1d")


def hyvarinen_identity_review_eq54() -> Derivation:
    r"""Seed 003 eq. 54 prints :math:`\tfrac12\int\rho_*\|s_\theta-\nabla\log\rho_*\|^2 = \mathbb{E}_*[\|s_\theta\|^2 + \operatorname{tr}J_x s_\theta] + C_p`.

    The correct right-hand side has :math:`\tfrac12\|s_\theta\|^2`. The printed one differs from
    it by :math:`\tfrac12\mathbb{E}_*\|s_\theta\|^2`, which depends on θ, so no constant
    :math:`C_p` can absorb it: shown for a Gaussian model :math:`s_\theta = -\lambda(x-\mu)`
    under standard normal data, where the discrepancy is :math:`\lambda^2(1+\mu^2)/2`.
    """
    half = sp.Rational(1, 2)
    x = sp.Symbol("x", real=True)
    mu, lam = sp.Symbol("mu", real=True), sp.Symbol("lambda", positive=True)
    s_theta = -lam * (x - mu)
    standard_normal = sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)
    discrepancy_integral = sp.Integral(half * s_theta**2 * standard_normal, (x, -sp.oo, sp.oo))
    discrepancy = discrepancy_integral.doit()
    (xx,), p, _, (s,), _ = _generic(1)
    printed_minus_correct = p * (s**2 + sp.diff(s, xx)) - p * (half * s**2 + sp.diff(s, xx))
    steps = (
        _pointwise_identity(1, *HALF_CONVENTION, label="corrected"),
        Step(
            printed_minus_correct,
            half * p * s**2,
            "printed RHS integrand − correct RHS integrand (step 1) = ½ p |s_θ|²",
            label="printed-minus-correct",
            rests_on=(DEFINITION, "corrected"),
        ),
        Step(
            discrepancy_integral,
            lam**2 * (1 + mu**2) / 2,
            "for s_θ = −λ(x−μ) and p = N(0,1): the discrepancy ½E|s_θ|² of step 2 (SymPy integral)",
            label="discrepancy",
            rests_on=(DEFINITION, "printed-minus-correct"),
        ),
        Step(
            sp.Derivative(discrepancy_integral, lam),
            0,
            "the discrepancy depends on θ (∂/∂λ ≠ 0), so the printed form is not F(θ) + constant",
            relation="≠",
            label="theta-dependent",
            rests_on=("discrepancy",),
        ),
    )
    return Derivation(
        "Review eq. 54 as printed versus the corrected identity",
        steps,
        exports={"weights": HALF_CONVENTION, "printed_weights": REVIEW_EQ54_AS_PRINTED, "discrepancy_gaussian": discrepancy},
    )


def score_partition_free() -> Derivation:
    r""":math:`\nabla_x \log p_\theta = \nabla_x (f_\theta - \log Z(\theta)) = \nabla_x f_\theta` (seed 000, f_θ = log f).

    Z(θ) is kept as its definition :math:`\int e^{f_\theta(y)}\,dy` (unevaluated), so that "Z does not
    depend on x" is derived: the integration variable is bound, and ∂/∂x of the integral is 0.
    """
    x1, x2, y1, y2 = sp.symbols("x1 x2 y1 y2", real=True)
    theta = sp.Symbol("theta", real=True)
    f = sp.Function("f", real=True)
    log_z = sp.log(sp.Integral(sp.exp(f(y1, y2, theta)), (y1, -sp.oo, sp.oo), (y2, -sp.oo, sp.oo)))
    xs = (x1, x2)
    steps = (
        Step(
            sp.Matrix([sp.Derivative(log_z, xi) for xi in xs]),
            sp.Matrix([0, 0]),
            "Z(θ) = ∫ e^{f_θ(y)} dy integrates y out: ∇_x log Z(θ) = 0",
            label="z-free",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Matrix([sp.Derivative(f(x1, x2, theta) - log_z, xi) for xi in xs]),
            sp.Matrix([sp.Derivative(f(x1, x2, theta), xi) for xi in xs]),
            "the score of p_θ = e^{f_θ}/Z(θ): ∇_x(f_θ − log Z(θ)) = ∇_x f_θ by linearity and step 1",
            label="score",
            rests_on=(DEFINITION, "z-free"),
        ),
    )
    return Derivation("The score of an EBM does not depend on Z", steps)


def gaussian_score() -> Derivation:
    r""":math:`\nabla_x \log \mathcal N(x;\mu,\Sigma) = -\Sigma^{-1}(x-\mu)` for a symbolic symmetric Σ, d = 1, 2, 3.

    Each step differentiates the log-density (the gradient kept unevaluated on the page, evaluated
    by the check); the result is d = 3, the steps for d = 1, 2 stand beside it.
    """
    steps = []
    exports = {}
    for dim in (1, 2, 3):
        xs = sp.Matrix(sp.symbols(f"x1:{dim + 1}", real=True))
        mu = sp.Matrix(sp.symbols(f"mu1:{dim + 1}", real=True))
        sigma = sp.Matrix(dim, dim, lambda i, j: sp.Symbol(f"sigma{min(i, j) + 1}{max(i, j) + 1}", real=True))
        precision = sigma.inv()
        log_density = (
            -((xs - mu).T * precision * (xs - mu))[0, 0] / 2
            - sp.log((2 * sp.pi) ** dim * sigma.det()) / 2
        )
        gradient = sp.Matrix([sp.Derivative(log_density, xi) for xi in xs])
        closed_form = -precision * (xs - mu)
        steps.append(
            Step(
                gradient,
                closed_form,
                f"d = {dim}: differentiate the log-density; Σ symmetric",
                (SYMMETRIC_COVARIANCE,),
                label=f"score-d{dim}",
                rests_on=(DEFINITION,),
            )
        )
        exports[f"score_d{dim}"] = closed_form
    return Derivation("The score of a Gaussian", tuple(steps), exports=exports)
