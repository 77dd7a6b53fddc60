r"""Stochastic interpolants (seed 003, §3.3, Definition 3.6 – Proposition 3.5), derived on Gaussian data.

The setting of every derivation: base :math:`\rho_0 = \mathcal N(0,1)`, data component
:math:`\rho_1 = \mathcal N(m, s^2)`, independent coupling, the linear interpolant
:math:`I = (1-t)x_0 + t x_1` and :math:`\gamma(t) = \sqrt{2t(1-t)}` (admissible:
:math:`\gamma(0)=\gamma(1)=0`, :math:`\gamma>0` inside). Then
:math:`X_t = (1-t)x_0 + t x_1 + \gamma z` and :math:`\dot X_t = x_1 - x_0 + \dot\gamma z` are
jointly Gaussian, so the conditional expectation of eq. 62 is Gaussian conditioning:

.. math:: b(x,t) = \mathbb E\dot X_t + \frac{\mathrm{Cov}(\dot X_t, X_t)}{\mathrm{Var}X_t}(x - \mathbb E X_t)
          = m + \frac{t(s^2-1)}{1+t^2(s^2-1)}(x - tm),

smooth on [0, 1] although :math:`\dot\gamma` is not (:math:`\gamma\dot\gamma = 1-2t`). A data
*mixture* :math:`\sum_k w_k\mathcal N(m_k, s_k^2)` is the same per component: the transport
equation is linear in :math:`(\rho, b\rho)`, so :math:`b = \sum_k w_k\rho_k b_k/\rho` and
:math:`s = \sum_k w_k\rho_k s_k/\rho` (posterior-weighted) — derived as a step. The checks
evaluate the exported component closed forms and combine them this way.

All derivations are 1-D (∇· is ∂ₓ); SymPy work for the whole topic is well under a second.
"""

from __future__ import annotations

import sympy as sp
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

t = sp.Symbol("t", positive=True)
x, x0, m = sp.symbols("x x0 m", real=True)
s, eps, k = sp.symbols("s epsilon k", positive=True)
HALF = sp.Rational(1, 2)
GAMMA = sp.sqrt(2 * t * (1 - t))
VARIANCE = 1 + t**2 * (s**2 - 1)
COVARIANCE = t * (s**2 - 1)  # Cov(Ẋ_t, X_t) = ½ d/dt Var X_t
VELOCITY = m + COVARIANCE / VARIANCE * (x - t * m)
VELOCITY_WITHOUT_GAMMA_DOT = m + (t * s**2 - (1 - t)) / VARIANCE * (x - t * m)
SCORE = -(x - t * m) / VARIANCE
DENSITY = sp.exp(-((x - t * m) ** 2) / (2 * VARIANCE)) / sp.sqrt(2 * sp.pi * VARIANCE)
LOG_DENSITY = -((x - t * m) ** 2) / (2 * VARIANCE) - sp.log(2 * sp.pi * VARIANCE) / 2  # log of DENSITY, expanded
SYMBOLS = {"x": x, "t": t, "m": m, "s": s, "epsilon": eps, "x0": x0}
# a concrete point for the counterexamples (≠ steps): t = 1/4, m = 3/2, s² = 2, x = 1
POINT = {t: sp.Rational(1, 4), m: sp.Rational(3, 2), s: sp.sqrt(2), x: sp.Integer(1)}

INDEPENDENT_COUPLING = Assumption(
    "independent-coupling", r"\nu = \rho_0 \otimes \rho_1,\ z \perp (X_0, X_1)",
    "the pair (X₀, X₁) is drawn independently (ν the product measure) and z is independent of it, as Definition 3.6 requires")
GAUSSIAN_CONDITIONING = Assumption(
    "gaussian-conditioning", r"\mathbb E[Y\mid X=x] = \mathbb EY + \tfrac{\mathrm{Cov}(Y,X)}{\mathrm{Var}X}(x-\mathbb EX)",
    "for jointly Gaussian (Y, X) the conditional expectation is affine (Gaussian data component, Gaussian base)")
TOWER = Assumption(
    "tower-property", r"\mathbb E[\dot X_t\cdot\hat b(X_t)] = \mathbb E[b(X_t)\cdot\hat b(X_t)]",
    "conditioning on X_t inside the expectation (tower property); b̂ square-integrable under ρ(·, t)")


def _gaussian_moments() -> tuple[Step, ...]:
    """Var X_t, Cov(Ẋ_t, X_t) and b by Gaussian conditioning (eq. 62 for one Gaussian component)."""
    gamma_dot = sp.Derivative(GAMMA, t)
    return (
        Step((1 - t) ** 2 + t**2 * s**2 + GAMMA**2, VARIANCE,
             "eq. 58: Var X_t = (1−t)² Var x₀ + t² Var x₁ + γ² Var z (independent terms), x₀ ~ N(0,1), x₁ ~ N(m, s²)",
             (INDEPENDENT_COUPLING,), label="variance", rests_on=(DEFINITION,)),
        Step(-(1 - t) + t * s**2 + GAMMA * gamma_dot, COVARIANCE,
             "Cov(Ẋ_t, X_t) with Ẋ_t = ∂_t I + γ̇z = x₁ − x₀ + γ̇z: −(1−t)·1 + t·s² + γγ̇ (γγ̇ = 1 − 2t is smooth)",
             (INDEPENDENT_COUPLING,), label="covariance", rests_on=(DEFINITION,)),
        Step(HALF * sp.Derivative(VARIANCE, t), COVARIANCE, "the covariance is ½ d/dt Var X_t (used by the flow map)",
             label="covariance-rate", rests_on=("variance", "covariance")),
        Step(m + (-(1 - t) + t * s**2 + GAMMA * gamma_dot) / ((1 - t) ** 2 + t**2 * s**2 + GAMMA**2) * (x - t * m),
             VELOCITY,
             "eq. 62: b(x,t) = E[Ẋ_t | X_t = x] = EẊ_t + Cov/Var (x − EX_t), EẊ_t = m, EX_t = tm (Gaussian conditioning)",
             (GAUSSIAN_CONDITIONING,), label="velocity", rests_on=("variance", "covariance")),
    )


def _log_density_step() -> Step:
    return Step(sp.exp(sp.UnevaluatedExpr(LOG_DENSITY)), DENSITY,
                "log ρ(x, t) of the Gaussian N(tm, Var X_t), shown by exponentiating it (the checks' posterior weights use it)",
                label="log-density", rests_on=("variance",))


def _continuity_step() -> Step:
    return Step((sp.Derivative(DENSITY, t) + sp.Derivative(VELOCITY * DENSITY, x)) / DENSITY, sp.Integer(0),
                "eq. 61 for ρ = N(tm, Var X_t) and the b of eq. 62: ∂_t ρ + ∂_x(bρ) = 0 (divided by ρ > 0)", label="continuity",
                rests_on=("velocity", "variance"))


def _continuity_steps() -> tuple[Step, ...]:
    r"""Eq. 61 for one component, by linearity for a mixture, and its failure for b without γ̇z."""
    r1, r2, b1, b2 = (sp.Function(name)(x, t) for name in ("rho_1", "rho_2", "b_1", "b_2"))
    w = sp.Symbol("w", positive=True)
    residual_without = sp.Derivative(DENSITY, t) + sp.Derivative(VELOCITY_WITHOUT_GAMMA_DOT * DENSITY, x)
    return (
        _continuity_step(),
        Step(sp.Derivative(w * r1 + (1 - w) * r2, t) + sp.Derivative(w * b1 * r1 + (1 - w) * b2 * r2, x),
             w * (sp.Derivative(r1, t) + sp.Derivative(b1 * r1, x)) + (1 - w) * (sp.Derivative(r2, t) + sp.Derivative(b2 * r2, x)),
             "mixture data: ρ = Σ w_k ρ_k and bρ = Σ w_k b_k ρ_k (b = posterior-weighted b_k) satisfy eq. 61 when each "
             "component does (linearity; each bracket is 0 by the step before)", label="mixture", rests_on=("continuity",)),
        Step(residual_without.subs(POINT), sp.Integer(0),
             "control: b without the γ̇z term, b₀ = E[∂_t I | X_t = x] = m + (ts² − (1−t))/Var (x − tm), violates eq. 61 "
             "(at t = 1/4, m = 3/2, s² = 2, x = 1)", relation="≠", label="without-gamma-dot", rests_on=("variance",)),
    )


def _endpoint_steps() -> tuple[Step, ...]:
    data = sp.exp(-((x - m) ** 2) / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    base = sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)
    i_linear = (1 - t) * sp.Symbol("x_0") + t * sp.Symbol("x_1")
    x_0, x_1 = sp.Symbol("x_0"), sp.Symbol("x_1")
    return (
        Step(sp.Matrix([sp.Subs(DENSITY, t, 0), sp.Subs(DENSITY, t, 1)]), sp.Matrix([base, data]),
             "Proposition 3.4's endpoints: ρ(x,0) = ρ₀ = N(0,1), ρ(x,1) = ρ₁ = N(m, s²)", label="endpoints",
             rests_on=("variance",)),
        Step(sp.Matrix([sp.Subs(i_linear, t, 0), sp.Subs(i_linear, t, 1), sp.Derivative(i_linear, t),
                        sp.Subs(GAMMA, t, 0), sp.Subs(GAMMA, t, 1)]),
             sp.Matrix([x_0, x_1, x_1 - x_0, 0, 0]),
             "Definition 3.6 for the example: eq. 59 (I(0) = x₀, I(1) = x₁), eq. 60 with C₁ = 1 (|∂_t I| = |x₁ − x₀|), "
             "γ(0) = γ(1) = 0", label="admissible", rests_on=(DEFINITION,)),
    )


def transport_equation() -> Derivation:
    r"""Proposition 3.4 (eqs. 61–65) on Gaussian data: b in closed form, eq. 61, the endpoints, eq. 64."""
    g = sp.exp(sp.I * k * t * m - k**2 * VARIANCE / 2)
    steps = (
        *_gaussian_moments(),
        *_continuity_steps(),
        *_endpoint_steps(),
        _log_density_step(),
        Step(sp.Derivative(g, t), sp.I * k * (m + sp.I * k * COVARIANCE) * g,
             "eqs. 63–65: g = E e^{ikX_t} = exp(iktm − k²Var/2) and ∂_t g = ik·m(k,t) with m(k,t) = E[Ẋ_t e^{ikX_t}] = "
             "(EẊ_t + ik Cov(Ẋ_t, X_t)) g = ∫e^{ikx} b ρ dx (jointly Gaussian)", (GAUSSIAN_CONDITIONING,),
             label="characteristic", rests_on=("covariance", "variance")),
    )
    return Derivation(
        "Stochastic interpolant: the velocity b and the transport equation (Gaussian data)", steps,
        exports={"density": DENSITY, "log_density": LOG_DENSITY, "velocity": VELOCITY, "velocity_without_gamma_dot": VELOCITY_WITHOUT_GAMMA_DOT,
                 "mean": t * m, "variance": VARIANCE, "score": SCORE},
        notes="Mixture data: the exports are per component; b and s are the posterior-weighted combinations (step 6).",
        result="continuity",
    )


def ode_generative() -> Derivation:
    r"""Lemma 3.3: the flow of :math:`\dot X = b(X,t)` maps x₀ to :math:`tm + \sqrt{\mathrm{Var}X_t}\,x_0`, N(0,1) to N(m, s²) at t = 1."""
    flow = t * m + sp.sqrt(VARIANCE) * x0
    steps = (
        *_gaussian_moments(),
        Step(sp.Derivative(flow, t), VELOCITY.subs(x, flow),
             "the flow map φ_t(x₀) = tm + √Var(X_t) x₀ solves Ẋ = b(X, t), φ₀(x₀) = x₀", label="flow",
             rests_on=("velocity", "covariance-rate")),
        Step(sp.Subs(flow, t, 1), m + s * x0, "at T = 1: φ₁(x₀) = m + s x₀, so X₀ ~ N(0,1) gives X₁ ~ N(m, s²) = ρ_*",
             label="endpoint", rests_on=("flow",)),
        _log_density_step(),
    )
    return Derivation("ODE generative model (Lemma 3.3) on Gaussian data", steps,
                      exports={"velocity": VELOCITY, "velocity_without_gamma_dot": VELOCITY_WITHOUT_GAMMA_DOT,
                               "flow_at_one": m + s * x0, "density": DENSITY, "log_density": LOG_DENSITY, "mean": t * m, "variance": VARIANCE})


def sde_generative() -> Derivation:
    r"""Lemma 3.4, eqs. 66–67: the Fokker–Planck equation of :math:`dX = (b+\varepsilon s)dt + \sqrt{2\varepsilon}dW` is eq. 61."""
    rho = sp.Function("rho", positive=True)(x, t)
    b = sp.Function("b")(x, t)
    score = sp.Derivative(sp.log(rho), x)
    fokker_planck_diffusion = HALF * sp.UnevaluatedExpr(sp.sqrt(2 * eps)) ** 2
    steps = (
        *_gaussian_moments(),
        Step(sp.Derivative(rho, t) + sp.Derivative(b * rho, x),
             sp.Derivative(rho, t) + sp.Derivative((b + eps * score) * rho, x) - eps * sp.Derivative(score * rho, x),
             "eq. 66: add and subtract ε s inside the flux of eq. 61", label="eq66", rests_on=(DEFINITION,)),
        Step(sp.Derivative(score * rho, x), sp.Derivative(rho, x, 2),
             "s ρ = ∂_x log ρ · ρ = ∂_x ρ, so ∂_x(sρ) = ∂²_x ρ", label="score-flux", rests_on=(DEFINITION,)),
        Step(sp.Derivative(rho, t) + sp.Derivative(b * rho, x),
             sp.Derivative(rho, t) + sp.Derivative((b + eps * score) * rho - fokker_planck_diffusion * sp.Derivative(rho, x), x),
             "eq. 67 (= Table 1's SBD/SI row with b_θ = b, s_θ' = s): the right side is the Fokker–Planck operator of "
             "dX = (b + εs)dt + √(2ε)dW (diffusion ½σ² = ε)", label="eq67", rests_on=("eq66", "score-flux")),
        _continuity_step(),
        Step(SCORE * DENSITY, sp.Derivative(DENSITY, x),
             "Gaussian data: s = −(x − tm)/Var X_t is the score of ρ(·, t): s ρ = ∂_x ρ", label="score-gaussian",
             rests_on=("variance",)),
        Step(sp.Derivative(DENSITY, t) + sp.Derivative((VELOCITY + eps * SCORE) * DENSITY, x) - eps * sp.Derivative(DENSITY, x, 2),
             DENSITY * ((sp.Derivative(DENSITY, t) + sp.Derivative(VELOCITY * DENSITY, x)) / DENSITY)
             + eps * sp.Derivative(SCORE * DENSITY - sp.Derivative(DENSITY, x), x),
             "Gaussian data: eq. 67's left side with b + εs is ρ·(eq. 61's residual / ρ) + ε∂_x(sρ − ∂_xρ); both vanish (steps "
             "'continuity' and 'score-gaussian'), so the interpolant's ρ solves eq. 67 for every ε > 0",
             label="gaussian", rests_on=("eq67", "continuity", "score-gaussian")),
        _log_density_step(),
    )
    return Derivation("SDE generative model (Lemma 3.4, eqs. 66–67)", steps,
                      exports={"velocity": VELOCITY, "score": SCORE, "density": DENSITY, "log_density": LOG_DENSITY, "mean": t * m,
                               "variance": VARIANCE}, result="gaussian")


def loss_minimisers() -> Derivation:
    r"""Proposition 3.5: :math:`L_b[\hat b]-L_b[b] = \tfrac12\int\mathbb E|\hat b-b|^2`, :math:`L_s[\hat s]-L_s[s] = \tfrac12\int\mathbb E|\hat s-s|^2`."""
    b_hat, s_hat = sp.symbols("bhat shat", real=True)
    conditional_z = sp.UnevaluatedExpr(GAMMA) / VARIANCE * (x - t * m)  # E[z | X_t = x] = Cov(z, X_t)/Var (x − tm)
    excess_b0 = HALF * ((t * s**2 - (1 - t)) - COVARIANCE) ** 2 / VARIANCE**2 * VARIANCE
    steps = (
        *_gaussian_moments(),
        Step(HALF * b_hat**2 - VELOCITY * b_hat - (HALF * VELOCITY**2 - VELOCITY * VELOCITY),
             HALF * (b_hat - VELOCITY) ** 2,
             "eq. 68 conditioned on X_t = x (E[Ẋ_t | X_t] = b by eq. 62): the integrand at b̂ minus at b is ½|b̂ − b|² ≥ 0, "
             "zero only at b̂ = b: b is the unique minimiser (ρ-a.e., every t)", (TOWER,), label="loss-b",
             rests_on=("velocity",)),
        Step(-(1 / GAMMA) * conditional_z, sp.Derivative(sp.log(DENSITY), x),
             "the minimiser of eq. 69 pointwise is −γ⁻¹E[z | X_t = x] (Cov(z, X_t) = γ): it equals the score ∂_x log ρ",
             (GAUSSIAN_CONDITIONING,), label="score-from-z", rests_on=("variance",)),
        Step(HALF * s_hat**2 + (1 / GAMMA) * conditional_z * s_hat
             - (HALF * SCORE**2 + (1 / GAMMA) * conditional_z * SCORE), HALF * (s_hat - SCORE) ** 2,
             "eq. 69 conditioned on X_t = x: the integrand at ŝ minus at s is ½|ŝ − s|², so s = ∇log ρ is the unique minimiser "
             "(the + sign of γ⁻¹z·ŝ is the right one)", (TOWER,), label="loss-s", rests_on=("score-from-z",)),
        Step((1 / GAMMA) * conditional_z.subs(POINT), SCORE.subs(POINT),
             "control: with the opposite sign the minimiser +γ⁻¹E[z | X_t] = −s is not the score", relation="≠",
             label="wrong-sign", rests_on=("score-from-z",)),
        Step(excess_b0, HALF * (1 - 2 * t) ** 2 / VARIANCE,
             "the excess loss of b₀ = b without the γ̇z term: ½E|b₀ − b|² = ½(1 − 2t)²/Var X_t (E(X_t − tm)² = Var)",
             label="excess-b0", rests_on=("loss-b",)),
        _log_density_step(),
    )
    return Derivation("Proposition 3.5: b and s minimise eqs. 68–69", steps,
                      exports={"velocity": VELOCITY, "velocity_without_gamma_dot": VELOCITY_WITHOUT_GAMMA_DOT,
                               "score": SCORE, "mean": t * m, "variance": VARIANCE, "density": DENSITY, "log_density": LOG_DENSITY,
                               "excess_without_gamma_dot": HALF * (1 - 2 * t) ** 2 / VARIANCE}, result="loss-s")


def boltzmann_gibbs_bullet() -> Derivation:
    r"""§3.5: "if the score is modelled by :math:`s_{\theta'}(x,t)\propto-\nabla U_{\theta'}(x)` the law of the process
    solution of the SDE is a Boltzmann–Gibbs ensemble by construction".

    With a time-independent energy U the law at t = 0 is the base ρ̄ whatever U is (the SDE's initial
    condition), so it is :math:`e^{-U}/Z` only if :math:`\bar\rho = e^{-U}/Z`; for the data energy
    :math:`U_* = -\log\rho_*` this fails (step 1, a counterexample). What the SDE's law is instead: the
    solution of its Fokker–Planck equation; for an affine drift :math:`a(t) + c(t)x` and noise √(2ε) a
    Gaussian whose mean and variance solve :math:`\mu' = a + c\mu`, :math:`V' = 2cV + 2\varepsilon`
    (step 2; the checks integrate these). The law *is* :math:`e^{-U(\cdot,t)}/Z_t` at every t when
    :math:`-\nabla U(\cdot,t)` is the exact, time-dependent score of the law (step 3: by the definition of
    the score, not by the SDE).
    """
    mu, a, c = sp.symbols("mu a c", real=True)
    v = sp.Symbol("V", positive=True)
    normal = sp.exp(-((x - mu) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    data = sp.exp(-((x - m) ** 2) / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    energy = -LOG_DENSITY
    steps = (
        Step(sp.Subs(DENSITY, t, 0).subs(POINT), data.subs(POINT),
             "the SDE starts from ρ̄ = N(0,1) whatever the model score: at t = 0 its law is not e^{−U_*}/Z = ρ_* = N(m, s²) "
             "(m = 3/2, s² = 2, x = 1), so it is not a Boltzmann–Gibbs ensemble of a time-independent U_* along the bridge",
             relation="≠", label="counterexample", rests_on=(DEFINITION,)),
        Step(sp.Derivative(normal, mu) * (a + c * mu) + sp.Derivative(normal, v) * (2 * c * v + 2 * eps)
             + sp.Derivative((a + c * x) * normal, x) - eps * sp.Derivative(normal, x, 2), sp.Integer(0),
             "Fokker–Planck of dX = (a + cx)dt + √(2ε)dW: N(μ(t), V(t)) solves it when μ' = a + cμ and V' = 2cV + 2ε "
             "(the law the SDE with a model score −∇U has, Gaussian case)", label="fokker-planck-gaussian",
             rests_on=(DEFINITION,)),
        *_gaussian_moments(),
        Step(sp.exp(sp.UnevaluatedExpr(-energy)), DENSITY,
             "with the exact, time-dependent energy U(x,t) = −log ρ(x,t) (score s = −∂_x U): e^{−U(·,t)} = ρ(·, t), Z_t = 1, at "
             "every t — true by the definition of the score", label="exact-score", rests_on=("variance",)),
    )
    return Derivation("§3.5: a score modelled as −∇U does not make the SDE's law Boltzmann–Gibbs", steps,
                      exports={"velocity": VELOCITY, "score": SCORE, "density": DENSITY, "log_density": LOG_DENSITY,
                               "mean": t * m, "variance": VARIANCE}, result="fokker-planck-gaussian")
