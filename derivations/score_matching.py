r"""Score matching: Hyvärinen's identity, the partition-free score, the Gaussian score.

Notation (one convention for the suite): data density :math:`p`, data score
:math:`s_p = \nabla \log p`; model :math:`\log f_\theta` with score
:math:`s_\theta = \nabla_x \log f_\theta`. The Fisher divergence with the ½ convention of
seeds 000/001 is :math:`F(\theta) = \tfrac12 \mathbb{E}_p|s_\theta - s_p|^2` and the Hyvärinen
objective is :math:`J(\theta) = \mathbb{E}_p[\tfrac12 |s_\theta|^2 + \Delta \log f_\theta]`.

The whole identity rests on one pointwise fact, checked symbolically for generic smooth
functions :math:`p` and :math:`\log f`:

.. math:: p\Big[\tfrac12|s_\theta-s_p|^2 - \tfrac12|s_\theta|^2 - \Delta\log f_\theta
          - \tfrac12|s_p|^2\Big] = -\nabla\cdot(p\, s_\theta),

so :math:`F - J - \tfrac12\mathbb{E}_p|s_p|^2 = -\oint p\, s_\theta \cdot n`, the boundary
term, which vanishes under :data:`BOUNDARY_VANISHES`.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import Assumption, Derivation, Step

BOUNDARY_VANISHES = Assumption(
    "boundary-term-vanishes",
    r"\lim_{|x|\to\infty} p(x)\, s_\theta(x) = 0 \text{ (and no boundary inside the support)}",
    "p(x) s_θ(x) → 0 at the ends of the support: p decays faster than s_θ grows, and p has no "
    "edge where it jumps to zero. Fails for data with bounded support, e.g. p(x) = e^{-x} on [0, ∞).",
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


def _pointwise_identity(dim: int, fisher_weight, square_weight, laplacian_weight, constant_weight) -> Step:
    r"""The step :math:`p[\alpha|s_\theta-s_p|^2 - \beta|s_\theta|^2 - \gamma\Delta\ell - \kappa|s_p|^2] = -\gamma\nabla\cdot(p s_\theta)`."""
    xs, p, log_f, s_theta, s_p = _generic(dim)
    laplacian = _divergence(s_theta, xs)
    integrand = p * (
        fisher_weight * _squared([a - b for a, b in zip(s_theta, s_p)])
        - square_weight * _squared(s_theta)
        - laplacian_weight * laplacian
        - constant_weight * _squared(s_p)
    )
    total_derivative = -laplacian_weight * _divergence([p * s for s in s_theta], xs)
    return Step(
        integrand,
        total_derivative,
        f"d = {dim}: the integrand of (Fisher − Hyvärinen objective − constant) is a total derivative; "
        "integrated over ℝ^d it is the boundary term, zero under the stated assumption",
        (DENSITY_POSITIVE, BOUNDARY_VANISHES),
    )


def hyvarinen_identity() -> Derivation:
    r"""Derive :math:`\tfrac12\mathbb{E}_p|s_\theta-s_p|^2 = \mathbb{E}_p[\tfrac12|s_\theta|^2+\Delta\log f_\theta] + \tfrac12\mathbb{E}_p|s_p|^2`.

    Seeds 000/001: univariate by integration by parts, multivariate component by component.
    """
    (x,), p, log_f, (s_theta,), (s_p,) = _generic(1)
    half = sp.Rational(1, 2)
    steps = (
        Step(half * (s_theta - s_p) ** 2, half * s_theta**2 - s_theta * s_p + half * s_p**2, "expand the square"),
        Step(s_p * p, sp.diff(p, x), "chain rule: (d/dx log p) · p = dp/dx", (DENSITY_POSITIVE,)),
        Step(
            sp.diff(s_theta * p, x),
            sp.diff(s_theta, x) * p + s_theta * sp.diff(p, x),
            "product rule; integrated over ℝ it gives ∫ s_θ p' = [s_θ p] − ∫ s_θ' p (integration by parts)",
        ),
        Step(
            -s_theta * s_p * p - sp.diff(s_theta, x) * p,
            -sp.diff(s_theta * p, x),
            "so the cross term −E[s_θ s_p] equals E[s_θ'] up to the boundary term −[s_θ p]",
            (BOUNDARY_VANISHES,),
        ),
        _pointwise_identity(1, *HALF_CONVENTION),
        _pointwise_identity(2, *HALF_CONVENTION),
        _pointwise_identity(3, *HALF_CONVENTION),
    )
    return Derivation(
        "Hyvärinen's score-matching identity (½ convention)",
        steps,
        exports={"weights": HALF_CONVENTION},
        notes="The general-d statement follows component by component from the d = 1 step; "
        "d = 2 and d = 3 are checked symbolically as a guard against index errors.",
    )


def hyvarinen_identity_factor_two() -> Derivation:
    r"""Seed 002's version without the ½: :math:`\mathbb{E}_p|s_\theta - s_p|^2 = c_p + \mathbb{E}_p[|s_\theta|^2 + 2\Delta\log f_\theta]`.

    The slide's proof is checked line by line as pointwise identities (q = f_θ, p = ρ_*).
    """
    (x,), p, log_q, (s_q,), (s_p,) = _generic(1)
    q = sp.exp(log_q)
    grad_p, grad_q = sp.diff(p, x), sp.diff(q, x)
    steps = (
        Step(p * (s_p - s_q) ** 2, p * (grad_p / p - grad_q / q) ** 2, "slide line 2: ∇log p = ∇p/p", (DENSITY_POSITIVE,)),
        Step(
            p * (grad_p / p - grad_q / q) ** 2,
            p * (grad_p / p) ** 2 + p * (grad_q / q) ** 2 - 2 * p * (grad_p / p) * s_q,
            "slide line 3: expand, c_p = ∫ p |∇p/p|²",
        ),
        Step(2 * p * (grad_p / p) * s_q, 2 * grad_p * s_q, "slide line 4: p · ∇p/p = ∇p"),
        Step(
            -2 * grad_p * s_q - 2 * p * sp.diff(s_q, x),
            -2 * sp.diff(p * s_q, x),
            "slide line 5: −2∫∇p·∇log q = 2∫p Δlog q, integration by parts",
            (BOUNDARY_VANISHES,),
        ),
        _pointwise_identity(1, *FACTOR_TWO),
        _pointwise_identity(2, *FACTOR_TWO),
    )
    return Derivation("Hyvärinen's identity without the ½ (seed 002)", steps, exports={"weights": FACTOR_TWO})


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
    discrepancy = sp.integrate(half * s_theta**2 * standard_normal, (x, -sp.oo, sp.oo))
    (xx,), p, log_f, (s,), (sd,) = _generic(1)
    printed_minus_correct = p * (s**2 + sp.diff(s, xx)) - p * (half * s**2 + sp.diff(s, xx))
    steps = (
        _pointwise_identity(1, *HALF_CONVENTION),
        Step(printed_minus_correct, half * p * s**2, "printed RHS integrand − correct RHS integrand = ½ p |s_θ|²"),
        Step(discrepancy, lam**2 * (1 + mu**2) / 2, "for s_θ = −λ(x−μ) and p = N(0,1): ½E|s_θ|² (SymPy integral)"),
        Step(
            sp.diff(discrepancy, lam),
            0,
            "the discrepancy depends on θ (∂/∂λ ≠ 0), so the printed form is not F(θ) + constant",
            relation="≠",
        ),
    )
    return Derivation(
        "Review eq. 54 as printed versus the corrected identity",
        steps,
        exports={"weights": HALF_CONVENTION, "printed_weights": REVIEW_EQ54_AS_PRINTED, "discrepancy_gaussian": discrepancy},
    )


def score_partition_free() -> Derivation:
    r""":math:`\nabla_x \log p_\theta = \nabla_x (f_\theta - \log Z(\theta)) = \nabla_x f_\theta` (seed 000, f_θ = log f)."""
    x1, x2 = sp.symbols("x1 x2", real=True)
    theta = sp.Symbol("theta", real=True)
    f = sp.Function("f", real=True)(x1, x2, theta)
    log_z = sp.log(sp.Function("Z", positive=True)(theta))
    steps = tuple(
        Step(
            sp.diff(f - log_z, xi),
            sp.diff(f, xi),
            f"∂/∂{xi} of log Z(θ) is 0: Z depends on θ only",
        )
        for xi in (x1, x2)
    )
    return Derivation("The score of an EBM does not depend on Z", steps)


def gaussian_score() -> Derivation:
    r""":math:`\nabla_x \log \mathcal N(x;\mu,\Sigma) = -\Sigma^{-1}(x-\mu)` for a symbolic symmetric Σ, d = 1, 2, 3."""
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
        gradient = sp.Matrix([sp.diff(log_density, xi) for xi in xs])
        closed_form = -precision * (xs - mu)
        steps.append(
            Step(gradient, closed_form, f"d = {dim}: differentiate the log-density; Σ symmetric", (SYMMETRIC_COVARIANCE,))
        )
        exports[f"score_d{dim}"] = closed_form
    return Derivation("The score of a Gaussian", tuple(steps), exports=exports)
