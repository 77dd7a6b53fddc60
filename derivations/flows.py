r"""Normalizing flows (review §3.4): change of variables, the ML objective, compositions.

Notation: base density :math:`\rho_Z` (a generic positive function, or the standard normal),
flow :math:`y = \varphi(z)`. Steps are kept cheap (the topic's SymPy budget is ≤ 3 s): the
change of variables is derived in d = 1 from the distribution function
:math:`P(Y \le y) = P(Z \le \varphi^{-1}(y))` (φ increasing) or :math:`P(Z \ge \varphi^{-1}(y))`
(φ decreasing) for affine maps of both signs, and in d = 2 for a symbolic affine map; the
Jacobian determinants of the planar and radial families are derived from their definitions and
exported for the checks.
"""

from __future__ import annotations

import sympy as sp
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

DIFFEOMORPHISM = Assumption(
    "flow-is-diffeomorphism",
    r"\varphi \in C^1,\ \varphi^{-1} \in C^1",
    "φ is a C¹ bijection with a C¹ inverse (det J φ ≠ 0): 'invertible' alone does not give the pushforward a "
    "density, let alone this one",
)
ENTROPY_FINITE = Assumption(
    "data-entropy-finite",
    r"\left|\mathbb{E}_*[\log\rho_*]\right| < \infty",
    "the data's entropy is finite, so KL(ρ*‖ρ_θ) = E*[log ρ*] − E*[log ρ_θ] splits into two finite terms",
)
ORIENTATION_PRESERVING = Assumption(
    "orientation-preserving",
    r"\det J\varphi_\theta > 0",
    "the flow preserves orientation (planar with w·u > −1 written as w·u = e^k − 1)",
)

_y, _z, _b = sp.symbols("y z b", real=True)
_rho = sp.Function("rho_Z", positive=True)


def _cdf_step(slope: sp.Symbol, label: str) -> Step:
    r"""ρ_Y(y) = d/dy P(Y ≤ y) for φ(z) = a z + b: the CDF through φ⁻¹(y) = (y − b)/a, both signs of a."""
    inverse = (_y - _b) / slope
    limits = (_z, -sp.oo, inverse) if slope.is_positive else (_z, inverse, sp.oo)
    sign = "increasing (a > 0): P(Y ≤ y) = P(Z ≤ φ⁻¹(y))" if slope.is_positive else \
        "decreasing (a < 0): P(Y ≤ y) = P(Z ≥ φ⁻¹(y))"
    return Step(
        sp.Derivative(sp.Integral(_rho(_z), limits), _y),
        _rho(inverse) * sp.Abs(sp.Derivative(inverse, _y)),
        f"d = 1, φ(z) = az + b {sign}; differentiate in y (Leibniz rule): ρ_Y(y) = ρ_Z(φ⁻¹(y))|dφ⁻¹/dy| — the "
        "absolute value is what makes both signs one formula",
        (DIFFEOMORPHISM,),
        label=label,
        rests_on=(DEFINITION,),
    )


def _affine_2d():
    """Symbolic 2-D affine map y = A z + b: A, b, y and φ⁻¹(y) = A⁻¹(y − b)."""
    a = sp.Matrix(2, 2, sp.symbols("a11 a12 a21 a22", real=True))
    shift = sp.Matrix(sp.symbols("b1 b2", real=True))
    y = sp.Matrix(sp.symbols("y1 y2", real=True))
    return a, shift, y, a.inv() * (y - shift)


def planar_det_2d():
    r"""Symbols and :math:`\det J f` of the planar map :math:`f(z) = z + u\tanh(w^\top z + c)` in 2-D (closed form)."""
    z = sp.Matrix(sp.symbols("z1 z2", real=True))
    u, w = sp.Matrix(sp.symbols("u1 u2", real=True)), sp.Matrix(sp.symbols("w1 w2", real=True))
    c = sp.Symbol("c", real=True)
    activation = sp.tanh((w.T * z)[0] + c)
    forward = z + u * activation
    jacobian = sp.Matrix(2, 2, lambda i, j: sp.Derivative(forward[i], z[j]))
    closed = 1 + (w.T * u)[0] * (1 - activation**2)
    return (tuple(z) + tuple(u) + tuple(w) + (c,)), jacobian, closed


def radial_det_1d():
    r"""Symbols and :math:`f'` of the 1-D radial map :math:`f(z) = z + \beta(z - z_0)/(\alpha + |z - z_0|)`
    as a function of the radius r = |z − z₀| (each side of z₀ maps r ↦ r + βr/(α + r); f' = dr'/dr)."""
    r, alpha = sp.symbols("r alpha", positive=True)
    beta = sp.Symbol("beta", real=True)
    forward = r + beta * r / (alpha + r)
    closed = 1 + alpha * beta / (alpha + r) ** 2
    return (r, alpha, beta), forward, closed


def change_of_variables() -> Derivation:
    r"""Lemma 3.5, eq. 70: :math:`\rho_Y(y) = \rho_Z(\varphi^{-1}(y))|\det J\varphi^{-1}(y)| = \rho_Z(\varphi^{-1}(y))|\det (J\varphi)(\varphi^{-1}(y))|^{-1}`.

    d = 1 from the distribution function for both signs of the slope (the absolute value is needed
    for a decreasing map); d = 2 for a symbolic affine map, the two forms of eq. 70 agree
    (det A⁻¹ = 1/det A) and ρ_Y integrates to 1 for a reflection-with-shear (det < 0). The
    Jacobians of the planar (2-D) and radial (1-D) families are derived and exported. The
    literal reading of eq. 70's second form — :math:`J_y` applied to :math:`y \mapsto \varphi(\varphi^{-1}(y)) = y`
    — has determinant 1 (shown for an affine map), i.e. no Jacobian factor at all.
    """
    a_pos, a_neg = sp.Symbol("a", positive=True), sp.Symbol("a", negative=True)
    a, shift, y, inverse = _affine_2d()
    det_inverse_jacobian = sp.Determinant(sp.Matrix(2, 2, lambda i, j: sp.Derivative(inverse[i], y[j])))
    planar_symbols, planar_jacobian, planar_closed = planar_det_2d()
    radial_symbols, radial_forward, radial_closed = radial_det_1d()
    z_radial = radial_symbols[0]
    concrete = {a[0, 0]: -2, a[0, 1]: 0, a[1, 0]: 0, a[1, 1]: 1, shift[0]: 0, shift[1]: 0}  # a reflection, det A = −2
    gaussian = sp.exp(-(inverse.T * inverse)[0] / 2) / (2 * sp.pi)
    density = gaussian.subs(concrete) * sp.Abs(1 / a.subs(concrete).det())  # |det J φ⁻¹| = |det A⁻¹| (step 3)
    literal = sp.Matrix(2, 2, lambda i, j: sp.Derivative((a * inverse + shift)[i], y[j]))
    steps = (
        _cdf_step(a_pos, "eq70-1d-increasing"),
        _cdf_step(a_neg, "eq70-1d-decreasing"),
        Step(
            det_inverse_jacobian,
            1 / sp.Matrix(2, 2, lambda i, j: sp.Derivative((a * sp.Matrix(sp.symbols("z1 z2", real=True)) + shift)[i],
                                                           sp.Symbol(f"z{j + 1}", real=True))).det(),
            "d = 2, φ(z) = Az + b: det J_y φ⁻¹(y) = det A⁻¹ = 1/det Jφ(φ⁻¹(y)) — the two forms of eq. 70 agree "
            "(Jφ = A at every point)",
            (DIFFEOMORPHISM,),
            label="eq70-2d-affine-forms",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Integral(density, (y[0], -sp.oo, sp.oo), (y[1], -sp.oo, sp.oo)),
            1,
            "d = 2, standard normal base, A = diag(−2, 1) (a reflection, det A = −2 < 0), b = 0: ρ_Z(A⁻¹y)|det A⁻¹| integrates "
            "to 1 (Gaussian integral)",
            label="eq70-2d-normalised",
            rests_on=("eq70-2d-affine-forms",),
        ),
        Step(
            sp.Determinant(planar_jacobian),
            planar_closed,
            "planar flow in 2-D: det J f(z) = 1 + w·u sech²(w·z + c) (matrix determinant lemma, written out)",
            label="planar-det",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Derivative(radial_forward, z_radial),
            radial_closed,
            "radial flow in 1-D, on either side of z₀ with r = |z − z₀|: f'(z) = dr'/dr = 1 + αβ/(α + r)², > 0 for all r iff β > −α",
            label="radial-det",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Determinant(literal),
            1,
            "eq. 70's second form read literally (J_y 'the Jacobian w.r.t. y' of y ↦ φ(φ⁻¹(y)) = y): determinant 1, "
            "so that reading has no Jacobian factor; eq. 70 holds with (Jφ)(φ⁻¹(y)), the Jacobian of φ at φ⁻¹(y)",
            label="literal-reading",
            rests_on=(DEFINITION,),
        ),
    )
    return Derivation(
        "Change of variables for a flow (Lemma 3.5, eq. 70)",
        steps,
        exports={"planar_det_2d": planar_closed, "planar_symbols": planar_symbols,
                 "radial_det_1d": radial_closed, "radial_symbols": radial_symbols},
        notes="g⁻¹ in eq. 70 is undefined in the source; read as φ⁻¹ (the only reading under which its chain of equalities "
        "holds). The result is the 1-D formula for both signs (steps 1–2) and its 2-D affine form (steps 3–4).",
        result="eq70-2d-normalised",
    )


def ml_objective() -> Derivation:
    r"""Eqs. 71–72 for the 1-D affine flow :math:`\varphi_\theta(z) = \mu + \sigma z` and N(μ*, σ*²) data.

    Eq. 71: KL(ρ*‖ρ_θ) = E*[log ρ*] − E*[log ρ_θ], the first term free of θ. Eq. 72 with
    :math:`\log|\det J\varphi_\theta^{-1}| = -\log\sigma`: the σ-derivative of the expected objective
    at θ* is 0. As printed, the volume term carries φ⁻¹ without θ — a fixed map, free of θ — and the
    σ-derivative of what is left, :math:`\mathbb{E}_*[\log\rho_Z(\varphi_\theta^{-1}(y))]`, is
    :math:`1/\sigma^* \ne 0`: the printed objective is not stationary at the ML solution (it
    increases without bound in σ).
    """
    x = sp.Symbol("x", real=True)
    theta = sp.Symbol("theta", real=True)
    data, model = sp.Function("rho_*", positive=True)(x), sp.Function("rho_theta", positive=True)(x, theta)
    mu, mu_star = sp.symbols("mu mu_star", real=True)
    sigma, sigma_star = sp.symbols("sigma sigma_star", positive=True)
    base_log = -((x - mu) / sigma) ** 2 / 2 - sp.log(2 * sp.pi) / 2
    data_density = sp.exp(-((x - mu_star) / sigma_star) ** 2 / 2) / (sp.sqrt(2 * sp.pi) * sigma_star)
    volume = sp.log(sp.Abs(sp.Derivative((x - mu) / sigma, x)))
    expected = lambda integrand: sp.Integral(data_density * integrand, (x, -sp.oo, sp.oo))
    corrected = sp.Derivative(expected(base_log + volume), sigma).subs({mu: mu_star, sigma: sigma_star})
    printed = sp.Derivative(expected(base_log), sigma).subs({mu: mu_star, sigma: sigma_star})
    steps = (
        Step(
            data * sp.log(data / model),
            data * sp.log(data) - data * sp.log(model),
            "eq. 71: the KL integrand splits, ρ* log(ρ*/ρ_θ) = ρ* log ρ* − ρ* log ρ_θ; the first term's integral is "
            "free of θ (finite by assumption), so argmin KL = argmax E*[log ρ_θ]",
            (ENTROPY_FINITE,),
            label="eq71",
            rests_on=(DEFINITION,),
        ),
        Step(
            corrected,
            0,
            "eq. 72 with log|det J_y φ_θ⁻¹(y)| = −log σ (φ_θ⁻¹(y) = (y − μ)/σ): its σ-derivative vanishes at θ* "
            "(Gaussian integral), as for E*[log ρ_θ]",
            label="eq72-corrected-stationary",
            rests_on=(DEFINITION, "eq71"),
        ),
        Step(
            printed,
            0,
            "eq. 72 as printed: log|det J_y φ⁻¹(y)| without θ is constant in θ, leaving E*[log ρ_Z(φ_θ⁻¹(y))], whose "
            "σ-derivative at θ* is 1/σ* ≠ 0: not stationary at the ML solution",
            relation="≠",
            erratum="§3.4, eq. 72",
            label="eq72-printed",
            rests_on=(DEFINITION, "eq71"),
        ),
    )
    fit = affine_mle_2d()
    return Derivation("The ML objective of a flow (eqs. 71–72)", steps + fit.steps, result="eq72-corrected-stationary",
                      exports={"affine_objective_1d": base_log + volume.doit(), "affine_symbols": (x, mu, sigma), **fit.exports})


def affine_mle_2d() -> Derivation:
    r"""The maximiser of eq. 72 (with θ) for the 2-D affine flow :math:`y = \mu + Lz`: μ̂ = ȳ, L̂L̂ᵀ = S.

    The sample objective is :math:`-\tfrac12\operatorname{tr}(\Sigma^{-1}[S + (\bar y-\mu)(\bar y-\mu)^\top])
    - \tfrac12\log\det\Sigma - \log 2\pi` with Σ = LLᵀ: it depends on L through Σ only, and its
    gradient in Σ⁻¹ (entries p11, p12, p22) vanishes at μ = ȳ, Σ = S. Exported: the maximiser.
    """
    s11, s22 = sp.symbols("s11 s22", positive=True)
    s12 = sp.Symbol("s12", real=True)
    p11, p22 = sp.symbols("p11 p22", positive=True)
    p12 = sp.Symbol("p12", real=True)
    scatter = sp.Matrix([[s11, s12], [s12, s22]])
    precision = sp.Matrix([[p11, p12], [p12, p22]])
    objective = -(precision * scatter).trace() / 2 + sp.log(precision.det()) / 2
    at_optimum = {p: v for p, v in zip((p11, p12, p22), (scatter.inv()[0, 0], scatter.inv()[0, 1], scatter.inv()[1, 1]))}
    steps = (
        Step(
            sp.Matrix([sp.Derivative(objective, p) for p in (p11, p12, p22)]).subs(at_optimum),
            sp.Matrix([0, 0, 0]),
            "eq. 72 for y = μ + Lz at μ = ȳ, as a function of the precision P = (LLᵀ)⁻¹: −½tr(PS) + ½log det P; its "
            "gradient vanishes at P = S⁻¹ (concave in P: the maximiser)",
            (DIFFEOMORPHISM,),
            label="affine-mle",
            rests_on=(DEFINITION,),
        ),
    )
    return Derivation("Maximiser of eq. 72 for a 2-D affine flow", steps,
                      exports={"covariance_estimate": scatter, "scatter_symbols": (s11, s12, s22)})


def table1_orientation() -> Derivation:
    r"""Table 1's NF row prints :math:`\log\det J_y\varphi_\theta^{-1}(y)` without |·|.

    For an orientation-preserving flow the determinant is positive and the two agree: planar with
    w·u = e^k − 1 > −1 has det = tanh² + e^k sech² > 0. For a reflection (1-D affine with
    a < 0) the printed log is the log of a negative number: log(1/a) = log|1/a| + iπ ≠ log|1/a|.
    """
    s, k = sp.symbols("s k", real=True)
    planar = 1 + (sp.exp(k) - 1) * (1 - sp.tanh(s) ** 2)
    a = sp.Symbol("a", negative=True)
    y, b = sp.symbols("y b", real=True)
    det_inverse = sp.Derivative((y - b) / a, y)
    steps = (
        Step(
            sp.log(planar),
            sp.log(sp.Abs(sp.tanh(s) ** 2 + sp.exp(k) * (1 - sp.tanh(s) ** 2), evaluate=False)),
            "planar flow with w·u = e^k − 1 > −1: det J = tanh² + e^k sech² > 0, so log det = log|det| (Table 1 = eq. 72)",
            (ORIENTATION_PRESERVING,),
            label="preserving",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.log(det_inverse),
            sp.log(sp.Abs(det_inverse)),
            "reflection φ(z) = az + b, a < 0: det J_y φ⁻¹ = 1/a < 0 and log(1/a) = log|1/a| + iπ: Table 1's log det is "
            "not real, eq. 72's log|det| is",
            relation="≠",
            label="reversing",
            rests_on=(DEFINITION,),
        ),
    )
    return Derivation("Table 1's log det without the absolute value", steps, result="preserving")


def composition() -> Derivation:
    r"""Lemma 3.6: eq. 73 (inverse of a composition) and eq. 74 (its Jacobian determinant).

    With :math:`g_i = f_i^{-1}` (generic smooth functions, d = 1, M = 3) and
    :math:`x_3 = y`, :math:`x_2 = g_3(y)`, :math:`x_1 = g_2(x_2)`, :math:`f^{-1} = g_1\circ g_2\circ g_3`:
    the chain rule gives :math:`(f^{-1})'(y) = g_1'(x_1)g_2'(x_2)g_3'(x_3)` — each :math:`f_i^{-1}`
    evaluated at :math:`x_i`, the output of f_i, as eq. 74 prints. Evaluating at
    :math:`x_{i-1}` (the input of f_i) is not the same (a counterexample: the generic functions
    made concrete). Eq. 73 for symbolic affine maps (M = 3), and eq. 74's product of determinants
    for three triangular affine maps in d = 2 (kept small for the SymPy budget).
    """
    y = sp.Symbol("y", real=True)
    g1, g2, g3 = (sp.Function(f"g{i}", real=True) for i in (1, 2, 3))
    x3 = y
    x2 = g3(x3)
    x1 = g2(x2)
    x0 = g1(x1)
    t = sp.Symbol("t", real=True)

    def derivative_at(g, point):
        return sp.Subs(sp.Derivative(g(t), t), t, point)

    def concrete(expr):
        return expr.replace(g1, sp.Lambda(t, t + t**3)).replace(g2, sp.Lambda(t, 2 * t + sp.sin(t))).replace(
            g3, sp.Lambda(t, sp.exp(t)))

    slopes = sp.symbols("a1:4", nonzero=True, real=True)
    intercepts = sp.symbols("b1:4", real=True)
    z = sp.Symbol("z", real=True)
    forward = z
    for a, b in zip(slopes, intercepts):
        forward = a * forward + b
    back = forward
    for a, b in reversed(list(zip(slopes, intercepts))):
        back = sp.Mul(sp.Add(back, -b, evaluate=False), 1 / a, evaluate=False)
    matrices = [sp.Matrix([[sp.Symbol(f"l{i}_11"), 0], [sp.Symbol(f"l{i}_21"), sp.Symbol(f"l{i}_22")]]) for i in (1, 2, 3)]
    steps = (
        Step(
            back,
            z,
            "eq. 73, M = 3 affine maps f_i(z) = a_i z + b_i: f₁⁻¹∘f₂⁻¹∘f₃⁻¹ (f_M⁻¹ applied first) undoes f₃∘f₂∘f₁",
            label="eq73",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Derivative(x0, y),
            derivative_at(g1, x1) * derivative_at(g2, x2) * derivative_at(g3, x3),
            "eq. 74, d = 1, M = 3: chain rule for f⁻¹ = g₁∘g₂∘g₃ (g_i = f_i⁻¹); the factor of g_i is taken at "
            "x_i = g_{i+1}∘⋯∘g_M(y) = f_i∘⋯∘f₁(z)",
            (DIFFEOMORPHISM,),
            label="eq74",
            rests_on=(DEFINITION, "eq73"),
        ),
        Step(
            sp.Derivative(concrete(x0), y),
            concrete(derivative_at(g1, x0) * derivative_at(g2, x1) * derivative_at(g3, x2)),
            "the same factors at x_{i−1} (the input of f_i) instead are not (f⁻¹)': a counterexample with "
            "g₁(t) = t + t³, g₂(t) = 2t + sin t, g₃(t) = eᵗ",
            relation="≠",
            label="eq74-wrong-points",
            rests_on=("eq74",),
        ),
        Step(
            sp.Determinant(matrices[0].inv() * matrices[1].inv() * matrices[2].inv()),
            sp.Mul(*[1 / a.det() for a in matrices]),
            "eq. 74, d = 2, M = 3 affine maps with triangular A_i: det J f⁻¹ = det(A₁⁻¹A₂⁻¹A₃⁻¹) = Π det A_i⁻¹",
            label="eq74-2d-affine",
            rests_on=(DEFINITION, "eq73"),
        ),
    )
    return Derivation("Inverse and Jacobian of a composition (Lemma 3.6)", steps, result="eq74")


def ebm_analogy() -> Derivation:
    r"""§3.5's NF bullet: with :math:`\rho_Z(\varphi_\theta^{-1}(x)) = c\,e^{-U_\theta(x)}`, is the flow the EBM
    :math:`e^{-U_\theta}/Z_\theta`?

    The energy is :math:`U_\theta = -\log\rho_Z\circ\varphi_\theta^{-1} + \log c` (so E*[U_θ] is
    −E*[log ρ_Z(φ_θ⁻¹)] up to a constant: opposite sign, matching argmin against argmax). The
    flow's density carries the Jacobian: :math:`\rho_\theta/e^{-U_\theta} = c|\det J\varphi_\theta^{-1}|`,
    not constant for a radial flow (its log-derivative in r is not 0), so the EBM with that energy
    is not the flow. With :math:`U_\theta = -\log\rho_Z\circ\varphi_\theta^{-1} - \log|\det J\varphi_\theta^{-1}|`
    it is, with Z_θ = 1 (eq. 70).
    """
    x = sp.Symbol("x", real=True)
    base = sp.Function("rho_Z", positive=True)(sp.Function("psi", real=True)(x))  # ρ_Z(φ_θ⁻¹(x)), ψ = φ_θ⁻¹
    volume = sp.Function("D", positive=True)(x)  # |det J φ_θ⁻¹(x)|
    energy = sp.Function("U", real=True)(x)
    c = sp.Symbol("c", positive=True)
    (r, _, _), _, radial = radial_det_1d()
    steps = (
        Step(
            -sp.log(c * sp.exp(-energy)),
            energy - sp.log(c),
            "the premise ρ_Z(φ_θ⁻¹(x)) = c e^{−U_θ(x)}: −log ρ_Z(φ_θ⁻¹) = U_θ − log c, so E*[U_θ] = "
            "−E*[log ρ_Z(φ_θ⁻¹)] + log c (the sign flips with argmax ↔ argmin)",
            label="energy",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.exp(-(-sp.log(base) - sp.log(volume)), evaluate=False),
            base * volume,
            "with the log-determinant in the energy, U_θ = −log ρ_Z(φ_θ⁻¹) − log|det J φ_θ⁻¹|: e^{−U_θ} = "
            "ρ_Z(φ_θ⁻¹)|det J φ_θ⁻¹| = ρ_θ (eq. 70), Z_θ = 1 — the flow is that EBM",
            (DIFFEOMORPHISM,),
            label="flow-as-ebm",
            rests_on=(DEFINITION, "energy"),
        ),
        Step(
            sp.Derivative(sp.log(radial), r),
            0,
            "with the premise's energy the ratio ρ_θ/e^{−U_θ} = c|det J φ_θ⁻¹| = c/f'(r) for the 1-D radial flow: its "
            "log-derivative in r is not 0, so e^{−U_θ}/Z_θ ≠ ρ_θ",
            relation="≠",
            erratum="§3.5, NF bullet",
            label="premise-not-flow",
            rests_on=(DEFINITION, "energy"),
        ),
    )
    return Derivation("A normalizing flow as an EBM (§3.5)", steps, result="flow-as-ebm")
