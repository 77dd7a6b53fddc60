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

from ebmcheck.derivations.steps import Assumption, Derivation, Step
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

    steps = (
        Step(LOG_F, written_out(stable_log_f),
             "log(e^u + e^v) = u + log(1 + e^{v−u}), u = −(x−a)²/2 the θ-free term: finite where both terms underflow "
             "(theory.toy evaluates log(1 + e^z) as logaddexp(0, z))"),
        Step(sp.diff(LOG_F, x), written_out(sp.diff(stable_log_f, x)),
             "the score of the stable form, −(x − a) + L σ(ℓ(x) − θ), σ(z) = 1/(1 + e^{−z})"),
        Step(-sp.diff(LOG_F, theta), written_out(-sp.diff(stable_log_f, theta)),
             "∂θU_θ = −∂θ log f_θ = σ(ℓ(x) − θ), ℓ(x) = log[e^{−(x−b)²/2}/e^{−(x−a)²/2}]"),
        Step(log_f() - log_f(mu), written_out(mixing - mixing.xreplace({theta: mu})),
             "the θ-free term cancels from log f_θ − log f_μ (the NCE logit): softplus(ℓ − θ) − softplus(ℓ − μ)"),
        Step(LOG_Z, written_out(stable_log_z), "log Z_θ = softplus(−θ) + ½ log 2 + ½ log π"),
        Step(-sp.diff(LOG_Z, theta), written_out(-sp.diff(stable_log_z, theta)), "q(θ) = −∂θ log Z_θ = σ(−θ), the mass of mode b"),
    )
    return Derivation("Stable forms of the toy model's declaration", steps,
                      exports={"log_f": stable_log_f, "log_Z": stable_log_z, "log_ratio": mixing.args[0].xreplace({theta: 0})})


def partition_function() -> Derivation:
    r""":math:`Z_\theta = \int e^{-U_\theta} = (1 + e^{-\theta})\sqrt{2\pi}`."""
    mode_a = sp.integrate(_gaussian(a), (x, -sp.oo, sp.oo))
    integral = mode_a + sp.exp(-theta) * sp.integrate(_gaussian(b), (x, -sp.oo, sp.oo))
    closed = (1 + sp.exp(-theta)) * sp.sqrt(2 * sp.pi)
    steps = (
        Step(sp.exp(log_f()), _gaussian(a) + sp.exp(-theta) * _gaussian(b), "e^{−U_θ} is the sum of two unnormalized unit Gaussians"),
        Step(integral, closed, "∫e^{−(x−c)²/2}dx = √(2π) for every centre c (SymPy integral), for any a, b"),
    )
    # the natural wrong normalisation: Z of mode a alone (the e^{−θ}-weighted mode's mass forgotten)
    return Derivation("Partition function of the toy model", steps,
                      exports={"Z": closed, "log_Z": sp.log(closed), "log_Z_one_mode": sp.log(mode_a)})


def ml_flow() -> Derivation:
    r"""Slide "Success of max-likelihood": :math:`\dot\theta \approx q(\theta) - q(\theta_*)`, unique stable fixed point θ*."""
    r = responsibility()
    d_theta_u = -sp.diff(log_f(), theta)
    normalized = sp.exp(log_f()) / _partition()
    model_term = sp.integrate(sp.exp(-theta) * _gaussian(b) / _partition(), (x, -sp.oo, sp.oo))
    approx_flow = q(theta) - q(theta_star)
    # the separated-mode approximation taken literally: r_θ ≈ 1{x > m}, so the data term is the mass of ρ_* beyond the
    # midpoint m = (a + b)/2, while the model term stays the exact q(θ); its fixed point is the natural wrong answer
    u = sp.Symbol("u", real=True)  # u = x − a (mode a) or x − b (mode b): the midpoint sits at u = ±L/2
    beyond_midpoint = (sp.integrate(sp.exp(-u**2 / 2), (u, L / 2, sp.oo))
                       + sp.exp(-theta_star) * sp.integrate(sp.exp(-u**2 / 2), (u, -L / 2, sp.oo))) / _partition(theta_star)
    Phi = lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2  # noqa: E731
    hard_data_term = q(theta_star) * Phi(L / 2) + (1 - q(theta_star)) * Phi(-L / 2)
    hard_fixed_point = sp.log((1 - hard_data_term) / hard_data_term)
    steps = (
        Step(d_theta_u, r, "∂θU_θ = e^{−θ}φ_b/(φ_a + e^{−θ}φ_b) = σ(ℓ(x) − θ), the responsibility of mode b"),
        Step(normalized * r, sp.exp(-theta) * _gaussian(b) / _partition(),
             "ρ_θ r_θ is the b-component of ρ_θ, so E_θ[∂θU_θ] is its mass ..."),
        Step(model_term, q(theta), "... = q(θ) exactly (no approximation in the model term)"),
        Step(approx_flow, q(theta) - q(theta_star),
             "ML ascent θ̇ = E_θ[∂θU] − E_*[∂θU]; the data term E_*[r_θ] ≈ q(θ*) under separated modes", (SEPARATED_MODES,)),
        Step(approx_flow.subs(theta, theta_star), 0, "θ* is a fixed point"),
        Step(sp.diff(approx_flow, theta), -q(theta) * (1 - q(theta)), "slope −q(1−q) < 0: the flow is strictly decreasing, "
             "so θ* is the unique fixed point and it is stable"),
        Step(beyond_midpoint, hard_data_term,
             "the approximation read literally, r_θ ≈ 1{x > m}: the data term becomes P_*(X > m) = q*Φ(L/2) + (1−q*)Φ(−L/2) "
             "(each mode's unit Gaussian integrated beyond the midpoint, L/2 from its centre)"),
        Step(q(hard_fixed_point), hard_data_term,
             "with the exact model term q(θ), that flow stops where q(θ) = P_*(X > m): a fixed point θ* + O(e^{−L²/8}), "
             "the natural wrong answer for the exact flow at finite separation (the exact data term E_*[r_θ*] = q* keeps θ*)"),
    )
    return Derivation("Max-likelihood flow of the toy model", steps,
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
    steps = (
        Step(score, -(x - a) + (b - a) * r, "s_θ = ∇ₓ log f_θ = −(x − a) + L r_θ(x) (exact)"),
        Step(sp.diff(-(x - a) + (b - a) * r, theta), -(b - a) * r * (1 - r),
             "∂θ s_θ = −L r_θ(1 − r_θ): nonzero only where both modes overlap; the slide's "
             "s ≈ −(x−a)1_a − (x−b)1_b has ∂θ s = 0, hence ∇θ SM ≈ 0", (SEPARATED_MODES,)),
        Step(-sp.diff(((b - a) * (r - r_star)) ** 2, theta), 2 * (b - a) ** 2 * (r - r_star) * r * (1 - r),
             "exact SM flow integrand: −∂θ|s_θ − s_*|² = 2L²(r_θ − r_*) r_θ(1 − r_θ), averaged over ρ_*"),
        Step(density_star.subs(x, u / L) / L, rescaled,
             "a = −L/2, b = L/2, x = u/L: ρ_*(x)dx = e^{−L²/8}·(...)du, and r_θ = σ(u − θ) does not depend on L; "
             "so |θ̇_SM| = L e^{−L²/8}·K_L(θ, θ*) with K_L bounded as L → ∞"),
        Step(r.subs({a: -L / 2, b: L / 2}), sig(ell_symmetric - theta), "r_θ = σ(Lx − θ) for symmetric modes"),
        Step((2 * (b - a) ** 2 * (r - r_star) * r * (1 - r)).subs(theta, theta_star), 0,
             "the integrand vanishes at θ = θ* for every x: θ* is the exact SM flow's fixed point (SM is consistent); "
             "what it lacks at large L is speed, not the right target"),
    )
    return Derivation(
        "Score-matching flow of the toy model",
        steps,
        exports={"flow_integrand": 2 * L**2 * (r - r_star) * r * (1 - r), "speed_scale": L * sp.exp(-(L**2) / 8),
                 "fixed_point": theta_star},
    )


def nce_fixed_point() -> Derivation:
    r"""Slide "NCE fails": the approximate NCE flow and its fixed point (the slide's formula is refuted)."""
    s = sp.exp(-theta) / (sp.exp(-theta) + sp.exp(-mu))  # D_θ near mode b; D = 1/2 near mode a
    q_star, q_mu = q(theta_star), q(mu)
    half = sp.Rational(1, 2)
    objective = (1 - q_star) * sp.log(half) + q_star * sp.log(s) + (1 - q_mu) * sp.log(half) + q_mu * sp.log(1 - s)
    slide_flow = -q_star + q_star * s + q_mu * s
    corrected = theta_star + sp.log((1 + sp.exp(-theta_star)) / (1 + sp.exp(-mu)))
    slide = mu + sp.log((1 + sp.exp(-theta_star)) / (1 + sp.exp(-mu)))
    steps = (
        Step(objective, (1 - q_star) * sp.log(half) + q_star * sp.log(s) + (1 - q_mu) * sp.log(half) + q_mu * sp.log(1 - s),
             "E_*[log D] + E_μ[log(1−D)] with D ≈ 1/2 near a (both f have weight 1 there) and D ≈ s(θ) near b",
             (SEPARATED_MODES, NOISE_IN_FAMILY)),
        Step(sp.diff(objective, theta), slide_flow,
             "its θ-derivative is the slide's second line: the flow is the gradient of the objective, not the objective "
             "(the slide's first line θ̇ = E_*[log D] + E_μ[log(1−D)] omits ∇θ)"),
        Step(slide_flow.subs(theta, corrected), 0, "the flow vanishes at θ = θ* + log((1+e^{−θ*})/(1+e^{−μ}))"),
        Step(sp.diff(slide_flow, theta), -(q_star + q_mu) * s * (1 - s), "slope < 0: that fixed point is unique and stable"),
        Step(slide, corrected, "the slide's formula μ + log((1+e^{−θ*})/(1+e^{−μ})) swaps θ* and μ: it is not the fixed point",
             relation="≠"),
        Step(slide_flow.subs(theta, slide), 0, "the slide's formula does not zero the slide's own flow", relation="≠"),
        Step(sp.exp(-corrected), sp.exp(-theta_star) * (1 + sp.exp(-mu)) / (1 + sp.exp(-theta_star)),
             "equivalently e^{−θ} = Z_μ ρ_*'s b-weight: NCE fits f_θ = Z_μ ρ_* on mode b, and cannot on mode a"),
        Step(corrected.subs(mu, theta_star), theta_star, "consistent only when the noise is the target (μ = θ*)"),
    )
    return Derivation(
        "NCE fixed point of the toy model",
        steps,
        exports={"corrected": corrected, "slide": slide, "approx_flow": slide_flow, "slide_first_line": objective},
    )


def nce_with_normalizer() -> Derivation:
    r"""NCE with :math:`f \to e^{c} f_\theta`: fixed point :math:`\theta = \theta_*`, :math:`c = \log Z_{\text{noise}} - \log Z_{\theta_*}`."""
    z_star, z_mu = _partition(theta_star), _partition(mu)
    f_star = sp.exp(log_f(theta_star))
    rho_star = f_star / z_star
    c_slide = sp.log(z_mu / z_star)
    c_normalized = -sp.log(z_star)
    steps = (
        Step(sp.exp(c_slide) * f_star, z_mu * rho_star,
             "the optimal logit is log ρ_* − log(noise density); with the slide's D the noise term is e^{−U_μ} = Z_μ ρ_μ, "
             "so the optimum needs e^{c} f_θ = Z_μ ρ_*, met by θ = θ*, c = log(Z_μ/Z_*) (the family now contains it)",
             (NOISE_IN_FAMILY,)),
        Step(sp.exp(c_normalized) * f_star, rho_star, "with the normalized noise density ρ_μ in D: e^{c} f_θ = ρ_*, c = −log Z_*"),
        Step(sp.exp(c_normalized) * z_star, 1, "normalization is then automatic: ∫ e^{c − U_θ} = 1"),
        Step(sp.exp(c_slide) * z_star, z_mu, "with the slide's unnormalized e^{−U_μ} the learned model integrates to Z_μ, not 1"),
        Step(z_mu, 1, "Z_μ ≥ √(2π) > 1 for every μ", relation="≠"),
    )
    return Derivation("NCE with a learned log-normalizer on the toy model", steps,
                      exports={"c_slide_noise": c_slide, "c_normalized_noise": c_normalized, "theta": theta_star})


def pcd_flow() -> Derivation:
    r"""Slide "Mode collapse in PCD": :math:`\dot\theta \approx q(\theta_0) - q(\theta_*)`, a constant."""
    slope = q(theta) .subs(theta, sp.Symbol("theta_0", real=True)) - q(theta_star)
    theta0 = sp.Symbol("theta_0", real=True)
    path = theta0 + slope * t
    steps = (
        Step(sp.integrate(sp.exp(-theta0) * _gaussian(b) / _partition(theta0), (x, -sp.oo, sp.oo)), q(theta0),
             "walkers keep the law ρ_θ0, so the negative phase E_walkers[r_θ] ≈ mass of mode b under ρ_θ0 = q(θ0)",
             (NO_TRANSFER, SEPARATED_MODES)),
        Step(sp.diff(path, t), slope, "θ̇ ≈ q(θ0) − q(θ*) is constant: θ(t) = θ0 + (q(θ0) − q(θ*)) t"),
        Step(slope.subs(theta0, theta_star), 0, "no drift only if θ0 = θ*"),
        Step(sp.diff(slope, theta0), -q(theta0) * (1 - q(theta0)),
             "q is strictly decreasing: for θ0 ≠ θ*, |θ(t)| → ∞ linearly (mode collapse), θ → −∞ when q(θ0) < q*"),
    )
    return Derivation("PCD with non-mixing walkers on the toy model", steps, exports={"slope": slope, "path": path})
