r"""The slides' two-mode toy model (seed 002, "getting insight from toy models").

Model (suite convention :math:`\log f = -U`), declared once in :func:`theory.models.two_mode_mixture`
and taken from there with its mode locations as the symbols a, b (:data:`LOG_F`, :data:`LOG_Z`):
:math:`f_\theta(x) = e^{-(x-a)^2/2} + e^{-\theta}e^{-(x-b)^2/2}`, :math:`L = b - a`,
:math:`q(w) = e^{-w}/(1+e^{-w})`. The slides' *separated-mode approximation* replaces the
responsibility :math:`r_\theta(x) = \partial_\theta U_\theta(x)` by the indicator of mode
:math:`b`, so that :math:`\mathbb{E}_w[r_\theta] \approx q(w)` for all θ, w; in every derivation
below that approximation is the step named :data:`SEPARATED_MODES`. The exact flows that the
checks hold these against live in :mod:`theory.toy`.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step
from ebmcheck.theory import models
from ebmcheck.theory.toy import Softplus, stable_log

a, b = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
theta_star, mu, w, t = (sp.Symbol(n, real=True) for n in ("theta_star", "mu", "w", "t"))
c = sp.Symbol("c", real=True)
L = sp.Symbol("L", positive=True)

DECLARATION = models.two_mode_mixture(a, b)
"""The one declaration of the toy model (:func:`theory.models.two_mode_mixture`), its modes the symbols a, b."""
x, theta = DECLARATION.x[0], DECLARATION.theta[0]
LOG_F, LOG_Z = DECLARATION.log_f_expr, DECLARATION.log_normalizer_expr

SEPARATED_MODES = Assumption(
    "separated-modes",
    r"r_\theta(x) \approx \mathbb{1}_{x\text{ near }b},\ \ \mathbb{E}_w[r_\theta] \approx q(w)",
    "the slides' approximation: modes so far apart (L = b − a ≫ 1) that every expectation of the "
    "responsibility is the mass of mode b; the error is of order e^{−L²/8} up to polynomial factors",
)
NOISE_IN_FAMILY = Assumption(
    "noise-is-a-mixture", r"\text{noise} = \rho_\mu,\ \mu \in \mathbb{R}", "the NCE noise is the family's member with parameter μ"
)
FIXED_POINT_REMAINDER = Assumption(
    "fixed-point-remainder",
    r"|\theta_L - \theta_\infty - \varepsilon_L c_L| \le \varepsilon_L\,|\varepsilon_L c_L|",
    "the second-order remainder of the fixed point's expansion in ε_L = e^{−L²/8}/(√(2π)L): its order ε_L² follows from "
    "the implicit function theorem (F_L − F_∞ and its θ-derivative are both ε_L × bounded), its constant is taken as 1 "
    "(not derived; the exact flows show ≤ 0.8 for L = 3…10, θ* = −log 4, μ = 1)",
)
NO_TRANSFER = Assumption(
    "no-walker-transfer",
    r"\text{walkers keep their mode: law of } X_t = \rho_{\theta(0)}",
    "Langevin walkers do not cross the barrier of height ≈ L²/8 during training (Kramers time ≫ training time)",
)


def q(value):
    """:math:`q(w) = e^{-w}/(1 + e^{-w})`, the mass of mode b."""
    return sp.exp(-value) / (1 + sp.exp(-value))


def log_f(parameter=theta):
    r""":math:`\log f` of the declaration at parameter ``parameter``."""
    return LOG_F.xreplace({theta: parameter})


def _partition(parameter=theta):
    """:math:`Z` of the declaration (its closed-form log-normalizer) at parameter ``parameter``."""
    return sp.exp(LOG_Z.xreplace({theta: parameter}))


def _gaussian(center):
    r""":math:`e^{-(x-c)^2/2}`: the declaration's θ-free term (mode a's), centred at ``center``; mode b's term is
    :math:`e^{-\theta}` times it at :math:`c = b`."""
    (mode_a,) = [term for term in sp.exp(LOG_F).args if not term.has(theta)]
    return mode_a.xreplace({a: center})


def responsibility(parameter=theta):
    r""":math:`\sigma(\ell(x) - \theta)` with :math:`\ell = \log[e^{-(x-b)^2/2}/e^{-(x-a)^2/2}]`."""
    ell = sp.expand(sp.log(_gaussian(b)) - sp.log(_gaussian(a)))
    return 1 / (1 + sp.exp(parameter - ell))


def stable_forms() -> Derivation:
    r"""The declaration in the forms :mod:`theory.toy` compiles (:func:`theory.toy.stable_log`), equal to it everywhere.

    :math:`\log(e^{u} + e^{v})` underflows to :math:`\log 0` where both terms do (:math:`|x - a| \gtrsim 38`);
    :math:`u + \mathrm{softplus}(v - u)`, :math:`u = -(x-a)^2/2` the θ-free term, stays finite, and its
    derivatives are logistic functions of :math:`\ell(x) - \theta`. Softplus and σ are written out for the check.
    """
    stable_log_f, stable_log_z = stable_log(LOG_F, theta), stable_log(LOG_Z, theta)
    (mixing,) = stable_log_f.atoms(Softplus)

    def written_out(expr):
        return expr.rewrite(sp.log).rewrite(sp.exp)

    # every step restates the declaration (DEFINITION); derivatives of it are kept unevaluated on the left
    steps = (
        Step(LOG_F, written_out(stable_log_f),
             "log(e^u + e^v) = u + log(1 + e^{v−u}), u = −(x−a)²/2 the θ-free term: finite where both terms underflow "
             "(theory.toy evaluates log(1 + e^z) as logaddexp(0, z))", label="log-f", rests_on=(DEFINITION,)),
        Step(sp.Derivative(LOG_F, x), written_out(sp.diff(stable_log_f, x)),
             "the score of the stable form, −(x − a) + L σ(ℓ(x) − θ), σ(z) = 1/(1 + e^{−z})",
             label="score", rests_on=(DEFINITION,)),
        Step(-sp.Derivative(LOG_F, theta), written_out(-sp.diff(stable_log_f, theta)),
             "∂θU_θ = −∂θ log f_θ = σ(ℓ(x) − θ), ℓ(x) = log[e^{−(x−b)²/2}/e^{−(x−a)²/2}]",
             label="responsibility", rests_on=(DEFINITION,)),
        Step(log_f() - log_f(mu), written_out(mixing - mixing.xreplace({theta: mu})),
             "the θ-free term cancels from log f_θ − log f_μ (the NCE logit): softplus(ℓ − θ) − softplus(ℓ − μ)",
             label="nce-logit", rests_on=(DEFINITION,)),
        Step(LOG_Z, written_out(stable_log_z), "log Z_θ = softplus(−θ) + ½ log 2 + ½ log π",
             label="log-Z", rests_on=(DEFINITION,)),
        Step(-sp.Derivative(LOG_Z, theta), written_out(-sp.diff(stable_log_z, theta)),
             "q(θ) = −∂θ log Z_θ = σ(−θ), the mass of mode b", label="mass-b", rests_on=(DEFINITION,)),
    )
    return Derivation("Stable forms of the toy model's declaration", steps,
                      exports={"log_f": stable_log_f, "log_Z": stable_log_z, "log_ratio": mixing.args[0].xreplace({theta: 0})})


def partition_function() -> Derivation:
    r""":math:`Z_\theta = \int e^{-U_\theta} = (1 + e^{-\theta})\sqrt{2\pi}`.

    The integrals are kept unevaluated on the page (``sp.Integral``); the step check evaluates them.
    """
    whole_line = (x, -sp.oo, sp.oo)
    mode_a = sp.integrate(_gaussian(a), whole_line)
    by_mode = sp.Integral(_gaussian(a), whole_line) + sp.exp(-theta) * sp.Integral(_gaussian(b), whole_line)
    closed = (1 + sp.exp(-theta)) * sp.sqrt(2 * sp.pi)
    steps = (
        Step(sp.Integral(sp.exp(log_f()), whole_line), by_mode,
             "Z_θ = ∫e^{−U_θ}dx, and e^{−U_θ} is the sum of two unnormalized unit Gaussians: the integral splits by mode",
             label="by-mode", rests_on=(DEFINITION,)),
        Step(by_mode, closed, "∫e^{−(x−c)²/2}dx = √(2π) for every centre c (SymPy integral), for any a, b",
             label="closed-form", rests_on=("by-mode",)),
    )
    # the natural wrong normalisation: Z of mode a alone (the e^{−θ}-weighted mode's mass forgotten)
    return Derivation("Partition function of the toy model", steps,
                      exports={"Z": closed, "log_Z": sp.log(closed), "log_Z_one_mode": sp.log(mode_a)})


def ml_flow() -> Derivation:
    r"""Slide "Success of max-likelihood": :math:`\dot\theta \approx q(\theta) - q(\theta_*)`, unique stable fixed point θ*.

    The model term :math:`\mathbb{E}_\theta[\partial_\theta U_\theta] = q(\theta)` is exact; the data term
    :math:`\mathbb{E}_*[r_\theta] \approx q(\theta_*)` is the :data:`SEPARATED_MODES` approximation, stated on the
    step that uses it (``approx-flow``).
    """
    whole_line = (x, -sp.oo, sp.oo)
    r = responsibility()
    normalized = sp.exp(log_f()) / _partition()
    b_component = sp.exp(-theta) * _gaussian(b) / _partition()  # ρ_θ r_θ: mode b's share of ρ_θ
    approx_flow = q(theta) - q(theta_star)
    # the separated-mode approximation taken literally: r_θ ≈ 1{x > m}, so the data term is the mass of ρ_* beyond the
    # midpoint m = (a + b)/2, while the model term stays the exact q(θ); its fixed point is the natural wrong answer
    u = sp.Symbol("u", real=True)
    # ρ_* = (φ_a + e^{−θ*}φ_b)/Z_*, integrated mode by mode beyond the midpoint m = (a + b)/2, each declared term in
    # the distance u = x − c from its own centre c: m sits at u = L/2 from a and at u = −L/2 from b
    beyond_midpoint = (sp.Integral(_gaussian(a).xreplace({x: a + u}), (u, L / 2, sp.oo))
                       + sp.exp(-theta_star) * sp.Integral(_gaussian(b).xreplace({x: b + u}), (u, -L / 2, sp.oo))) / _partition(theta_star)
    Phi = lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2  # noqa: E731
    hard_data_term = q(theta_star) * Phi(L / 2) + (1 - q(theta_star)) * Phi(-L / 2)
    hard_fixed_point = sp.log((1 - hard_data_term) / hard_data_term)
    steps = (
        Step(-sp.Derivative(log_f(), theta), r, "∂θU_θ = e^{−θ}φ_b/(φ_a + e^{−θ}φ_b) = σ(ℓ(x) − θ), the responsibility of mode b",
             label="responsibility", rests_on=(DEFINITION,)),
        Step(normalized * r, b_component, "ρ_θ r_θ is the b-component of ρ_θ, so E_θ[∂θU_θ] is its mass ...",
             label="b-component", rests_on=("responsibility", DEFINITION)),
        Step(sp.Integral(b_component, whole_line), q(theta), "... = q(θ) exactly (no approximation in the model term)",
             label="model-term", rests_on=("b-component",)),
        Step(sp.Integral(b_component, whole_line) - sp.Integral(b_component.xreplace({theta: theta_star}), whole_line),
             approx_flow,
             "ML ascent θ̇ = E_θ[∂θU] − E_*[∂θU]: the model term is step 3; the data term E_*[r_θ] is replaced by the "
             "mass of ρ_*'s b-component, q(θ*) (exact only at θ = θ*) — the separated-mode approximation",
             (SEPARATED_MODES,), label="approx-flow", rests_on=("model-term",)),
        Step(sp.Subs(approx_flow, theta, theta_star), 0, "θ* is a fixed point", label="fixed-point", rests_on=("approx-flow",)),
        Step(sp.Derivative(approx_flow, theta), -q(theta) * (1 - q(theta)),
             "slope −q(1−q) < 0: the flow is strictly decreasing, so θ* is the unique fixed point and it is stable",
             label="unique-stable", rests_on=("approx-flow", "fixed-point")),
        Step(beyond_midpoint, hard_data_term,
             "the approximation read literally, r_θ ≈ 1{x > m}: the data term becomes P_*(X > m) = q*Φ(L/2) + (1−q*)Φ(−L/2) "
             "(each declared term of ρ_* integrated beyond the midpoint, L/2 from its centre)",
             label="hard-data-term", rests_on=(DEFINITION,)),
        Step(q(hard_fixed_point), hard_data_term,
             "with the exact model term q(θ), that flow stops where q(θ) = P_*(X > m): a fixed point θ* + O(e^{−L²/8}), "
             "the natural wrong answer for the exact flow at finite separation (the exact data term E_*[r_θ*] = q* keeps θ*)",
             label="hard-fixed-point", rests_on=("hard-data-term", "model-term")),
    )
    return Derivation("Max-likelihood flow of the toy model", steps, result="unique-stable",
                      exports={"approx_flow": approx_flow, "fixed_point": theta_star, "hard_assignment_fixed_point": hard_fixed_point})


def sm_flow() -> Derivation:
    r"""Slide "Failure of score matching", and the exact flow's size :math:`\propto L e^{-L^2/8}`."""
    r = responsibility()
    r_star = responsibility(theta_star)
    score = sp.diff(log_f(), x)
    ell_symmetric = L * x  # a = −L/2, b = L/2
    sig = lambda z: 1 / (1 + sp.exp(-z))  # noqa: E731
    u = sp.Symbol("u", real=True)
    density_star = (sp.exp(log_f(theta_star)) / _partition(theta_star)).xreplace({a: -L / 2, b: L / 2})
    rescaled = sp.exp(-(L**2) / 8) * sp.exp(-(u**2) / (2 * L**2)) * (sp.exp(-u / 2) + sp.exp(-theta_star) * sp.exp(u / 2)) / (
        L * sp.sqrt(2 * sp.pi) * (1 + sp.exp(-theta_star))
    )
    integrand = 2 * (b - a) ** 2 * (r - r_star) * r * (1 - r)
    steps = (
        Step(sp.Derivative(log_f(), x), -(x - a) + (b - a) * r, "s_θ = ∇ₓ log f_θ = −(x − a) + L r_θ(x) (exact)",
             label="score", rests_on=(DEFINITION,)),
        Step(sp.Derivative(-(x - a) + (b - a) * r, theta), -(b - a) * r * (1 - r),
             "∂θ s_θ = −L r_θ(1 − r_θ): nonzero only where both modes overlap; the slide's "
             "s ≈ −(x−a)1_a − (x−b)1_b has ∂θ s = 0, hence ∇θ SM ≈ 0", (SEPARATED_MODES,),
             label="score-sensitivity", rests_on=("score",)),
        Step(-sp.Derivative(((b - a) * (r - r_star)) ** 2, theta), integrand,
             "exact SM flow integrand: s_θ − s_* = L(r_θ − r_*) (step 1), so −∂θ|s_θ − s_*|² = 2L²(r_θ − r_*) r_θ(1 − r_θ), "
             "averaged over ρ_*", label="integrand", rests_on=("score",)),
        Step(sp.Subs(r, (a, b), (-L / 2, L / 2)), sig(ell_symmetric - theta), "r_θ = σ(Lx − θ) for symmetric modes",
             label="symmetric-responsibility", rests_on=(DEFINITION,)),
        Step(density_star.subs(x, u / L) / L, rescaled,
             "a = −L/2, b = L/2, x = u/L: ρ_*(x)dx = e^{−L²/8}·(...)du, and r_θ = σ(u − θ) (step 4) does not depend on L; "
             "with the integrand's factor L² (step 3), |θ̇_SM| = L e^{−L²/8}·K_L(θ, θ*) with K_L bounded as L → ∞",
             label="speed", rests_on=(DEFINITION, "integrand", "symmetric-responsibility")),
        Step(sp.Subs(integrand, theta, theta_star), 0,
             "the integrand vanishes at θ = θ* for every x: θ* is the exact SM flow's fixed point (SM is consistent); "
             "what it lacks at large L is speed, not the right target", label="consistent", rests_on=("integrand",)),
    )
    return Derivation(
        "Score-matching flow of the toy model",
        steps,
        result="speed",
        exports={"flow_integrand": 2 * L**2 * (r - r_star) * r * (1 - r), "speed_scale": L * sp.exp(-(L**2) / 8),
                 "fixed_point": theta_star},
    )


def nce_fixed_point() -> Derivation:
    r"""Slide "NCE fails": the approximate NCE flow and its fixed point (the slide's formula is refuted).

    The chain starts from the model's exact discriminator :math:`D_\theta = f_\theta/(f_\theta + f_\mu)` (the slide's
    noise :math:`e^{-U_\mu}`), written as a function of :math:`\ell(x) = \log[\varphi_b/\varphi_a] = L(x - m)`. The
    separated-mode objective is *derived* as the limit :math:`L \to \infty` of the exact objective: at a fixed distance
    z from mode a (b), ℓ → −∞ (+∞), so D_θ → 1/2 (→ s(θ)); D_θ is monotone in ℓ, so log D_θ and log(1 − D_θ) stay
    between their limits and dominated convergence carries the pointwise limits into the expectations. Using that
    limit as the flow at finite L is the :data:`SEPARATED_MODES` approximation, named on the step that does so.
    """
    s = sp.exp(-theta) / (sp.exp(-theta) + sp.exp(-mu))  # the limit of D_θ in mode b's region
    q_star, q_mu = q(theta_star), q(mu)
    half = sp.Rational(1, 2)
    objective = (1 - q_star) * sp.log(half) + q_star * sp.log(s) + (1 - q_mu) * sp.log(half) + q_mu * sp.log(1 - s)
    slide_flow = -q_star + q_star * s + q_mu * s
    corrected = theta_star + sp.log((1 + sp.exp(-theta_star)) / (1 + sp.exp(-mu)))
    slide = mu + sp.log((1 + sp.exp(-theta_star)) / (1 + sp.exp(-mu)))

    f_theta, f_mu = sp.exp(log_f()), sp.exp(log_f(mu))
    ell, z = sp.Symbol("ell", real=True), sp.Symbol("z", real=True)
    ell_of_x = sp.expand(sp.log(_gaussian(b)) - sp.log(_gaussian(a)))  # = L(x − (a + b)/2)
    d_of_ell = (1 + sp.exp(-theta) * sp.exp(ell)) / (2 + (sp.exp(-theta) + sp.exp(-mu)) * sp.exp(ell))
    near_a, near_b = L * (z - L / 2), L * (z + L / 2)  # ℓ at x = a + z and at x = b + z (b = a + L)

    def limit(expr, at):
        """The pointwise limit L → ∞ of ``expr`` (a function of ℓ) at a fixed distance z from a mode."""
        return sp.Limit(expr.xreplace({ell: at}), L, sp.oo)

    standard = sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)
    mixture = (1 - q(theta)) * standard.xreplace({x: x - a}) + q(theta) * standard.xreplace({x: x - b})
    limit_objective = ((1 - q_star) * limit(sp.log(d_of_ell), near_a) + q_star * limit(sp.log(d_of_ell), near_b)
                       + (1 - q_mu) * limit(sp.log(1 - d_of_ell), near_a) + q_mu * limit(sp.log(1 - d_of_ell), near_b))
    # ---- the separated-mode objective as the leading term of an expansion in L, with its remainder ----------------
    # Exact, for every L: a mode's N(0, 1) density in the variable ℓ (x = a + z: ℓ = L(z − L/2); x = b + z: ℓ = L(z + L/2))
    # is ε_L e^{∓ℓ/2} e^{−ℓ²/(2L²)}, ε_L = e^{−L²/8}/(√(2π)L): the density of a mode at the midpoint, L/2 from its centre.
    rate = sp.exp(-(L**2) / 8) / (sp.sqrt(2 * sp.pi) * L)
    spread = sp.exp(-(ell**2) / (2 * L**2))
    z_of_a, z_of_b = ell / L + L / 2, ell / L - L / 2  # z at ℓ, near mode a and near mode b (inverting near_a, near_b)
    density_a = standard.xreplace({x: z_of_a}) * sp.Derivative(z_of_a, ell)
    density_b = standard.xreplace({x: z_of_b}) * sp.Derivative(z_of_b, ell)
    log_d, log_1md = sp.log(d_of_ell), sp.log(1 - d_of_ell)
    # each integrand minus its L → ∞ limit (steps discriminator, objective): 1/2 near mode a, s(θ) near mode b
    gaps = (log_d - sp.log(half), log_d - sp.log(s), log_1md - sp.log(half), log_1md - sp.log(1 - s))
    weights = (1 - q_star, q_star, 1 - q_mu, q_mu)
    exact_minus_limit = (weights[0] * density_a * gaps[0] + weights[1] * density_b * gaps[1]
                         + weights[2] * density_a * gaps[2] + weights[3] * density_b * gaps[3])
    tilt_a, tilt_b = sp.exp(-ell / 2), sp.exp(ell / 2)
    G = weights[0] * tilt_a * gaps[0] + weights[1] * tilt_b * gaps[1] + weights[2] * tilt_a * gaps[2] + weights[3] * tilt_b * gaps[3]
    # the θ-derivatives in t = e^{ℓ/2}, where G's terms are rational (SymPy decides the steps at once there, not in ℓ)
    t_var = sp.Symbol("t", positive=True)
    d_of_t = d_of_ell.xreplace({ell: 2 * sp.log(t_var)})
    r_of_t = sp.exp(-theta) * t_var**2 / (1 + sp.exp(-theta) * t_var**2)  # r_θ = σ(ℓ − θ)
    # the same in A = e^{−θ}, M = e^{−μ}, S = e^{−θ*}: a rational function of (t, A, M, S), which SymPy factors and checks
    # in about a second (in the exponentials its simplification takes several)
    A, M, S = sp.symbols("A M S", positive=True)
    d_sym, r_sym, s_sym = (1 + A * t_var**2) / (2 + (A + M) * t_var**2), A * t_var**2 / (1 + A * t_var**2), A / (A + M)
    dG_sym = (1 / (1 + S) / t_var * (-(1 - d_sym) * r_sym) + S / (1 + S) * t_var * (-(1 - d_sym) * r_sym + (1 - s_sym))
              + 1 / (1 + M) / t_var * d_sym * r_sym + M / (1 + M) * t_var * (d_sym * r_sym - s_sym))
    dG_factored = sp.factor(sp.together(dG_sym))
    generators = {A: sp.exp(-theta), M: sp.exp(-mu), S: sp.exp(-theta_star)}
    K = sp.Function("K_L")  # K_L(θ) := ∫ ∂θG(ℓ, θ) e^{−ℓ²/(2L²)} dℓ, defined by step flow-difference
    coefficient = (q_star + q_mu) / (q_star * q_mu)  # −1/F_∞'(θ_∞)
    steps = (
        Step(f_theta / (f_theta + f_mu), d_of_ell.xreplace({ell: ell_of_x}),
             "the slide's discriminator D_θ = e^{−U_θ}/(e^{−U_θ} + e^{−U_μ}) (exact), divided through by φ_a: a function of "
             "ℓ(x) = log(φ_b/φ_a) = L(x − (a+b)/2) alone", (NOISE_IN_FAMILY,), label="discriminator", rests_on=(DEFINITION,)),
        Step(sp.exp(log_f()) / _partition(), mixture,
             "ρ_θ = (1 − q(θ)) N(a, 1) + q(θ) N(b, 1): the data ρ_* (θ = θ*) and the noise ρ_μ (θ = μ) put mass 1 − q on mode a",
             label="mixture", rests_on=(DEFINITION,)),
        Step(sp.Derivative(d_of_ell, ell), sp.exp(ell) * (sp.exp(-theta) - sp.exp(-mu)) / (2 + (sp.exp(-theta) + sp.exp(-mu)) * sp.exp(ell)) ** 2,
             "∂ℓ D has the sign of e^{−θ} − e^{−μ} for every ℓ: D_θ is monotone in ℓ, so D_θ(x) lies between its limits "
             "1/2 (ℓ → −∞) and s(θ) (ℓ → +∞), and log D_θ, log(1 − D_θ) are bounded uniformly in x and L",
             label="monotone", rests_on=("discriminator",)),
        Step(limit_objective, objective,
             "E_*[log D_θ] + E_μ[log(1 − D_θ)] as L → ∞ (steps 1-3): at a fixed distance z from mode a, ℓ = L(z − L/2) → −∞ "
             "and D_θ → 1/2; from mode b, ℓ = L(z + L/2) → +∞ and D_θ → s(θ) = e^{−θ}/(e^{−θ} + e^{−μ}); bounded integrands "
             "(step 3), so dominated convergence weighs the limits by the mode masses (step 2). Used as the objective at "
             "finite L: the separated-mode approximation (error → 0 as L → ∞)",
             (SEPARATED_MODES, NOISE_IN_FAMILY), label="objective", rests_on=("discriminator", "mixture", "monotone")),
        Step(sp.Derivative(objective, theta), slide_flow,
             "its θ-derivative is the slide's second line: the flow is the gradient of the objective, not the objective "
             "(the slide's first line θ̇ = E_*[log D] + E_μ[log(1−D)] omits ∇θ)", label="flow", rests_on=("objective",)),
        Step(sp.Subs(slide_flow, theta, corrected), 0, "the flow vanishes at θ = θ* + log((1+e^{−θ*})/(1+e^{−μ}))",
             label="fixed-point", rests_on=("flow",)),
        Step(sp.Derivative(slide_flow, theta), -(q_star + q_mu) * s * (1 - s), "slope < 0: that fixed point is unique and stable",
             label="unique-stable", rests_on=("flow", "fixed-point")),
        Step(slide, corrected, "the slide's formula μ + log((1+e^{−θ*})/(1+e^{−μ})) swaps θ* and μ: it is not the fixed point",
             relation="≠", label="slide-refuted", rests_on=("unique-stable",)),
        Step(sp.Subs(slide_flow, theta, slide), 0, "the slide's formula does not zero the slide's own flow", relation="≠",
             label="slide-not-fixed", rests_on=("flow",)),
        Step(sp.Subs(sp.exp(-theta), theta, corrected), sp.exp(-theta_star) * (1 + sp.exp(-mu)) / (1 + sp.exp(-theta_star)),
             "equivalently e^{−θ} = Z_μ ρ_*'s b-weight: NCE fits f_θ = Z_μ ρ_* on mode b, and cannot on mode a",
             label="b-weight", rests_on=("fixed-point",)),
        Step(sp.Subs(corrected, mu, theta_star), theta_star, "consistent only when the noise is the target (μ = θ*)",
             label="noise-is-target", rests_on=("fixed-point",)),
        Step(exact_minus_limit, rate * spread * G,
             "the separated-mode objective is the leading term of an expansion in L, with an exact remainder: in the variable "
             "ℓ (x = a + z ↦ ℓ = L(z − L/2), x = b + z ↦ ℓ = L(z + L/2), step 1) each mode's N(0, 1) density is "
             "ε_L e^{∓ℓ/2} e^{−ℓ²/(2L²)}, ε_L = e^{−L²/8}/(√(2π)L); subtracting from each integrand its limit (step 4) and "
             "integrating over ℓ: J_L(θ) − J_∞(θ) = ε_L ∫ G(ℓ, θ) e^{−ℓ²/(2L²)} dℓ for every L (G: the tilted gaps)",
             label="exact-remainder", rests_on=("discriminator", "mixture", "objective")),
        Step(sp.Matrix([sp.Derivative(sp.log(d_of_t), theta), sp.Derivative(sp.log(1 - d_of_t), theta),
                        sp.Derivative(sp.log(s), theta), sp.Derivative(sp.log(1 - s), theta)]),
             sp.Matrix([-(1 - d_of_t) * r_of_t, d_of_t * r_of_t, -(1 - s), s]),
             "the θ-derivatives of G's gaps, in t = e^{ℓ/2}: ∂θ log D = −(1 − D) r_θ, ∂θ log(1 − D) = D r_θ with "
             "r_θ = σ(ℓ − θ) = e^{−θ}t²/(1 + e^{−θ}t²), and ∂θ log s = −(1 − s), ∂θ log(1 − s) = s. Differentiating the "
             "exact remainder under the integral (dominated by the next step's envelope): F_L(θ) − F_∞(θ) = ε_L K_L(θ), "
             "K_L(θ) = ∫ ∂θG e^{−ℓ²/(2L²)} dℓ, ∂θG the gaps' derivatives with G's weights and tilts 1/t (mode a), t (mode b)",
             label="flow-difference", rests_on=("exact-remainder", "discriminator", "flow")),
        Step(dG_sym, dG_factored,
             "∂θG of the previous step (its entries with G's weights 1 − q* = 1/(1 + S), q* = S/(1 + S), 1 − q_μ, q_μ and tilts "
             "1/t, t), in A = e^{−θ}, M = e^{−μ}, S = e^{−θ*}: D = (1 + At²)/(2 + (A + M)t²), r_θ = At²/(1 + At²), "
             "s = A/(A + M). It is t times a polynomial of degree 1 in t² over a polynomial of degree 4 in t with no root t > 0: "
             "|∂θG| ≤ C min(t, 1/t) = C e^{−|ℓ|/2}. So K_L is finite for every L, and ∫|∂θG|(1 + ℓ²) dℓ < ∞",
             label="envelope", rests_on=("flow-difference",)),
        Step(sp.Limit(L**2 * (1 - spread), L, sp.oo), ell**2 / 2,
             "0 ≤ 1 − e^{−ℓ²/(2L²)} ≤ ℓ²/(2L²) (sharp as L → ∞), so with the envelope |K_L − K_∞| ≤ ∫|∂θG| ℓ² dℓ/(2L²) = "
             "O(L^{−2}): the prefactor K_L tends to K_∞ = ∫ ∂θG dℓ", label="prefactor", rests_on=("envelope",)),
        Step(sp.Subs(-rate * K(theta) / sp.Derivative(slide_flow, theta), theta, corrected), rate * K(corrected) * coefficient,
             "implicit function theorem at θ_∞ = θ* + log((1+e^{−θ*})/(1+e^{−μ})): 0 = F_L(θ_L) = F_∞(θ_L) + ε_L K_L(θ_L), "
             "F_∞(θ_∞) = 0, F_∞'(θ_∞) = −q* q_μ/(q* + q_μ) (s(θ_∞) = q*/(q* + q_μ)), so θ_L − θ_∞ = ε_L c_L + O(ε_L²), "
             "c_L = K_L(θ_∞)(q* + q_μ)/(q* q_μ) → c_∞ (prefactor step): the fixed point's error decays like "
             "e^{−L²/8}/L. The O(ε_L²) term's order is derived (∂θ²G has the same envelope), its constant is not",
             (FIXED_POINT_REMAINDER,), label="fixed-point-shift", rests_on=("flow-difference", "prefactor", "unique-stable")),
        Step(sp.Limit(sp.log(rate) / L**2, L, sp.oo), -sp.Rational(1, 8),
             "the rate's exponent: −1/8 (each mode's density at the midpoint m, L/2 from its centre), not −1/2 (a mode's "
             "density at the other mode's centre): the separated-mode fixed point is off by e^{−L²/8}/L × O(1)",
             label="rate-exponent", rests_on=("fixed-point-shift",)),
    )
    return Derivation(
        "NCE fixed point of the toy model",
        steps,
        exports={"corrected": corrected, "slide": slide, "approx_flow": slide_flow, "slide_first_line": objective,
                 "shift_rate": rate, "shift_integrand": dG_factored.xreplace(generators), "shift_variable": t_var, "shift_coefficient": coefficient},
        result="slide-refuted",
    )


def nce_with_normalizer() -> Derivation:
    r"""NCE with :math:`f \to e^{c} f_\theta`: fixed point :math:`\theta = \theta_*`, :math:`c = \log Z_{\text{noise}} - \log Z_{\theta_*}`.

    The NCE optimum is the discriminator :math:`D^* = \rho_*/(\rho_* + \rho_\mu)` (seed 000; claim
    nce-optimal-discriminator), attained only where the model's D equals it (nce-identifiability). The steps show the
    model's D at the stated (θ, c) equal to D*, and what the learned model then integrates to.
    """
    whole_line = (x, -sp.oo, sp.oo)
    c = sp.Symbol("c", real=True)
    z_star, z_mu = _partition(theta_star), _partition(mu)
    rho_star, rho_mu = sp.exp(log_f(theta_star)) / z_star, sp.exp(log_f(mu)) / z_mu
    c_slide = sp.log(z_mu / z_star)
    c_normalized = -sp.log(z_star)
    model = sp.exp(c) * sp.exp(log_f())  # e^{c} f_θ
    optimum = rho_star / (rho_star + rho_mu)
    # ∫ f_θ* = ∫ e^{−U_θ*}, one unevaluated integral per declared term (both terms of e^{−U_θ*} in one integral cost seconds)
    by_mode = sp.Integral(_gaussian(a), whole_line) + sp.exp(-theta_star) * sp.Integral(_gaussian(b), whole_line)
    steps = (
        Step(sp.Subs(model / (model + sp.exp(log_f(mu))), (c, theta), (c_slide, theta_star)), optimum,
             "with the slide's noise term e^{−U_μ} = Z_μ ρ_μ in D, D = D* needs e^{c} f_θ = Z_μ ρ_*, met by θ = θ*, "
             "c = log(Z_μ/Z_*) (the family now contains it)", (NOISE_IN_FAMILY,), label="slide-optimum", rests_on=(DEFINITION,)),
        Step(sp.Subs(model / (model + rho_mu), (c, theta), (c_normalized, theta_star)), optimum,
             "with the normalized noise density ρ_μ in D: D = D* at e^{c} f_θ = ρ_*, θ = θ*, c = −log Z_*",
             (NOISE_IN_FAMILY,), label="normalized-optimum", rests_on=(DEFINITION,)),
        Step(sp.exp(c_normalized) * by_mode, 1,
             "normalization is then automatic: ∫ e^{c − U_θ} = 1 at the optimum of step 2 (the integral of e^{−U_θ*} "
             "split by mode, as for the partition function)", label="automatic", rests_on=("normalized-optimum", DEFINITION)),
        Step(sp.exp(c_slide) * by_mode, z_mu,
             "with the slide's unnormalized e^{−U_μ} the learned model (step 1) integrates to Z_μ, not 1",
             label="slide-mass", rests_on=("slide-optimum", DEFINITION)),
        Step(z_mu, 1, "Z_μ ≥ √(2π) > 1 for every μ", relation="≠", label="not-normalized", rests_on=("slide-mass",)),
    )
    return Derivation("NCE with a learned log-normalizer on the toy model", steps, result="automatic",
                      exports={"c_slide_noise": c_slide, "c_normalized_noise": c_normalized, "theta": theta_star})


def pcd_flow() -> Derivation:
    r"""Slide "Mode collapse in PCD": :math:`\dot\theta \approx q(\theta_0) - q(\theta_*)`, a constant."""
    whole_line = (x, -sp.oo, sp.oo)
    theta0 = sp.Symbol("theta_0", real=True)
    slope = q(theta).subs(theta, theta0) - q(theta_star)
    path = theta0 + slope * t

    def b_mass(parameter):
        r""":math:`\int \rho_\theta r_\theta`, r_θ read as the indicator of mode b: the mass of ρ_θ's b-component."""
        return sp.Integral(sp.exp(-parameter) * _gaussian(b) / _partition(parameter), whole_line)

    steps = (
        Step(b_mass(theta0) - b_mass(theta_star), slope,
             "θ̇ = E_walkers[r_θ] − E_*[r_θ]; walkers keep the law ρ_θ0, and r_θ ≈ the indicator of mode b, so both phases "
             "are masses of b-components: q(θ0) − q(θ*)", (NO_TRANSFER, SEPARATED_MODES), label="slope", rests_on=(DEFINITION,)),
        Step(sp.Derivative(path, t), slope, "θ̇ ≈ q(θ0) − q(θ*) is constant: θ(t) = θ0 + (q(θ0) − q(θ*)) t",
             label="path", rests_on=("slope",)),
        Step(sp.Subs(slope, theta0, theta_star), 0, "no drift only if θ0 = θ*", label="no-drift", rests_on=("slope",)),
        Step(sp.Derivative(slope, theta0), -q(theta0) * (1 - q(theta0)),
             "q is strictly decreasing: for θ0 ≠ θ*, |θ(t)| → ∞ linearly (mode collapse), θ → −∞ when q(θ0) < q*",
             label="collapse", rests_on=("slope", "path", "no-drift")),
    )
    return Derivation("PCD with non-mixing walkers on the toy model", steps, exports={"slope": slope, "path": path})
