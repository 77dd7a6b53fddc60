r"""Derivations for the lecture notes (seed 000) and the slides (seed 002) not covered elsewhere.

* :func:`sm_boundary_conditions` — seed 000's sentence on when the boundary term of the
  integration by parts vanishes. Its three conditions (p_data → 0 at infinity, a polynomially
  growing model score, and their product → 0 at infinity) all hold for Exp(1) data and a Gaussian
  model, yet the cross-term identity fails by the boundary term at the *edge of the support*,
  :math:`-p(0^+)s_\theta(0) = -\lambda\mu`: the integration by parts over ℝ needs p_data
  absolutely continuous (no jump), which "finite support" invites to break. Conditions 1–2 do not
  imply 3 either (Cauchy data, cubic score).
* :func:`nce_r_sign` — the slides' two lines for R(θ): the "reminder" is the logistic loss
  :math:`-\mathbb{E}\log D - \mathbb{E}\log(1-D)`, the "NCE strategy" line drops the minus sign:
  it is the log-likelihood, equal to minus the loss, concave in the log-normaliser and unbounded
  below, so "train using the loss R" by minimising it diverges.
* :func:`dsm_vincent` — Vincent's identity in d = 1 with g = N(0, σ²): Tweedie's formula
  :math:`\mathbb{E}[\varepsilon\mid\tilde X] = -\sigma^2\nabla\log\rho_\sigma(\tilde X)` gives

  .. math:: \mathbb{E}|\nabla\log g(\varepsilon) - s_\theta(X+\varepsilon)|^2
            = \mathbb{E}_{\rho_\sigma}|s_\theta - \nabla\log\rho_\sigma|^2
              + \frac{d}{\sigma^2} - \mathbb{E}_{\rho_\sigma}|\nabla\log\rho_\sigma|^2,

  the Fisher divergence to the *smoothed* law ρ_σ = ρ_* ∗ N(0, σ²), not the slide's SM(θ) (to ρ_*);
  the difference between the two depends on θ (shown on a Gaussian example).
* :func:`sm_consistency` — the condition under which SM identifies the data law: with a data
  density vanishing between two modes (disjoint supports), the model score does not depend on the
  mixture weight and the SM objective is flat in it.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x = sp.Symbol("x", real=True)
mu = sp.Symbol("mu", real=True)
lam = sp.Symbol("lambda", positive=True)

SUPPORT_EDGE = Assumption(
    "support-edge",
    r"p(x) = e^{-x}\mathbb{1}_{x>0}",
    "the data law has finite-edge support [0, ∞) with a jump at 0 — what the notes' 'finite support' allows",
)


def sm_boundary_conditions() -> Derivation:
    r"""Exp(1) data, model score s_θ(x) = −λ(x − μ): the printed conditions hold, l.144 fails."""
    p = sp.exp(-x)
    s_theta = -lam * (x - mu)
    s_data = sp.Derivative(sp.log(p), x)
    cross = sp.Integral(s_theta * s_data * p, (x, 0, sp.oo))
    ibp_side = -sp.Integral(sp.Derivative(s_theta, x) * p, (x, 0, sp.oo))
    steps = (
        Step(cross, lam * (1 - mu), "E_p[s_θ s_p] for p = e^{-x} on (0, ∞), s_p = −1", assumptions=(SUPPORT_EDGE,),
             label="cross", rests_on=(DEFINITION,)),
        Step(ibp_side, lam, "−E_p[s_θ'] with s_θ' = −λ", label="ibp", rests_on=(DEFINITION,)),
        Step(sp.Limit(p * s_theta, x, sp.oo), 0, "conditions 1 and 3: p → 0 and p s_θ → 0 as x → +∞ (p ≡ 0 for x < 0); "
             "condition 2: s_θ is a polynomial", label="conditions-hold", rests_on=(DEFINITION,)),
        Step(cross, ibp_side, "yet l.144 fails: E[s_θ s_p] − (−E[s_θ']) = −λμ ≠ 0 for μ ≠ 0", relation="≠",
             erratum="Score Matching Reformulation, 'Why does the boundary term vanish?' (conditions 1–3) and l.144",
             label="printed-fails", rests_on=("cross", "ibp", "conditions-hold")),
        Step(cross - ibp_side, -(p * s_theta).subs(x, 0),
             "the missing term is the boundary term at the support's edge, −p(0⁺)s_θ(0): integration by parts on ℝ needs "
             "p absolutely continuous", label="edge-term", rests_on=("cross", "ibp")),
    )
    cauchy = 1 / (sp.pi * (1 + x**2))
    steps += (
        Step(sp.Limit(cauchy * x**3 / x, x, sp.oo), 1 / sp.pi, "conditions 1–2 do not imply 3: Cauchy data → 0, "
             "s_θ = x³ polynomial, but p s_θ grows like x/π", label="one-two-not-three", rests_on=(DEFINITION,)),
    )
    return Derivation(
        "Score matching's boundary term: the notes' conditions do not suffice",
        steps,
        exports={"edge_term": -(p * s_theta).subs(x, 0), "cross": lam * (1 - mu), "ibp": lam},
        result="edge-term",
    )


# ---- NCE Strategy's R(θ) ------------------------------------------------------------------------------
Fx, Fy = sp.symbols("F_x F_y", positive=True)
mux, muy = sp.symbols("mu_x mu_y", positive=True)
c = sp.Symbol("c", real=True)


def _discriminator(F, m):
    return F / (F + m)


def nce_r_sign() -> Derivation:
    r"""Per pair (x data, y noise): printed R = log D(x) + log(1 − D(y)) = −(logistic loss)."""
    d_x, d_y = _discriminator(Fx, mux), _discriminator(Fy, muy)
    loss = -sp.log(d_x) - sp.log(1 - d_y)
    printed = sp.log(d_x) + sp.log(1 - d_y)
    # the printed R along F_θ → e^{−c}F_θ, logs of the quotients split (log D(x) = −c + log F_x − log(e^{−c}F_x + μ_x))
    shifted = (-c + sp.log(Fx) - sp.log(Fx * sp.exp(-c) + mux)) + (sp.log(muy) - sp.log(Fy * sp.exp(-c) + muy))
    dx_c, dy_c = _discriminator(Fx * sp.exp(-c), mux), _discriminator(Fy * sp.exp(-c), muy)
    curvature = -(dx_c * (1 - dx_c) + dy_c * (1 - dy_c))
    steps = (
        Step(printed, -(-sp.log(d_x) - sp.log(muy / (Fy + muy))),
             "the NCE-strategy line with D_θ = F_θ/(F_θ + μ) is minus the reminder's logistic loss",
             label="minus-loss", rests_on=(DEFINITION,)),
        Step(printed, loss, "so it is not the loss the reminder defines (they differ by 2 log-likelihoods ≠ 0)",
             relation="≠", erratum="slide 'NCE Strategy', R(θ) = (1/n)Σ log D_θ(x_i^*) + log(1 − D_θ(y_i))",
             label="not-the-loss", rests_on=("minus-loss",)),
        Step(sp.Derivative(shifted, c, 2), curvature,
             "along F_θ → e^{−c}F_θ the printed R is concave: its stationary point is a maximum",
             label="concave", rests_on=("minus-loss",)),
        Step(sp.Limit(shifted / c, c, sp.oo), -1, "and unbounded below: minimising it sends c → ∞ (F_θ → 0)",
             label="unbounded", rests_on=("minus-loss",)),
    )
    return Derivation(
        "NCE strategy's R(θ) as printed is the log-likelihood, not the loss",
        steps,
        exports={"loss": loss, "printed": printed, "curvature": curvature.subs(c, 0)},
        result="not-the-loss",
    )


# ---- denoising score matching ---------------------------------------------------------------------------
sigma = sp.Symbol("sigma", positive=True)
eps, y = sp.symbols("epsilon y", real=True)
s_val, t_val = sp.symbols("s t", real=True)  # s_θ(x̃) and ∇log ρ_σ(x̃) at one point x̃
theta = sp.Symbol("theta", positive=True)
fisher_sigma = sp.Symbol("J_sigma", positive=True)  # E_{ρσ}|∇log ρ_σ|²

GAUSSIAN_NOISE = Assumption("gaussian-noise", r"g = \mathcal{N}(0, \sigma^2)", "the corruption is Gaussian, d = 1")


def _gauss(u, var):
    return sp.exp(-u**2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)


def dsm_vincent() -> Derivation:
    rho = sp.Function("rho")
    g = _gauss(eps, sigma**2)
    steps = [
        Step(sp.Derivative(sp.log(g), eps), -eps / sigma**2, "∇log g(ε) for g = N(0, σ²)",
             assumptions=(GAUSSIAN_NOISE,), label="noise-score", rests_on=(DEFINITION,)),
        Step(sp.Derivative(rho(x) * _gauss(y - x, sigma**2), y),
             rho(x) * (-(y - x) / sigma**2) * _gauss(y - x, sigma**2),
             "Tweedie, differentiating ρ_σ(y) = ∫ρ_*(x) g(y − x) dx under the integral: ρ_σ'(y) = ∫ρ_*(x) ∂_y g(y − x) dx = −E[ε 1{X̃ ∈ dy}]/σ², i.e. E[ε | X̃] = −σ² ∇log ρ_σ(X̃)",
             label="tweedie", rests_on=(DEFINITION,)),
        Step((-eps / sigma**2 - s_val) ** 2,
             s_val**2 + 2 * s_val * eps / sigma**2 + eps**2 / sigma**4,
             "expand the printed integrand |∇log g(ε) − s_θ(X + ε)|²", label="expand", rests_on=("noise-score",)),
        # conditional expectations given X̃: E[ε|X̃] = −σ² t, E[ε²] = σ² (integrated, d = 1)
        Step(s_val**2 + 2 * s_val * (-sigma**2 * t_val) / sigma**2 + sigma**2 / sigma**4,
             (s_val - t_val) ** 2 + (1 / sigma**2 - t_val**2),
             "take E[·|X̃] with Tweedie, then E over X̃ ∼ ρ_σ: DSM = E_{ρσ}|s_θ − ∇log ρ_σ|² + 1/σ² − E|∇log ρ_σ|²",
             label="vincent", rests_on=("expand", "tweedie")),
    ]
    # The slide's left side SM(θ) = E_*|s_θ − ∇log ρ_*|² is not DSM − cst: ρ_* = N(0,1), s_θ(x) = −θx, so
    # ρ_σ = N(0, 1+σ²); with E_* x² = 1 and E_σ x² = 1 + σ² the two Fisher divergences are
    sm_star = (1 - theta) ** 2  # E_*[(−θx + x)²]
    sm_sigma = (1 + sigma**2) * (theta - 1 / (1 + sigma**2)) ** 2  # E_σ[(−θx + x/(1+σ²))²]
    fisher_gauss = 1 / (1 + sigma**2)  # E_σ[(x/(1+σ²))²]
    dsm = sm_sigma + 1 / sigma**2 - fisher_gauss  # Vincent, with E|∇log ρ_σ|² = 1/(1+σ²)
    steps += [
        Step(sp.Derivative(dsm - sm_star, theta), 0,
             "on ρ_* = N(0, 1), s_θ(x) = −θx: DSM − SM with the slide's SM(θ) = E_*|∇log ρ_θ − ∇log ρ_*|² depends on θ "
             "(derivative 2θσ²), so it is not a constant", relation="≠",
             erratum="slide 'd. Denoising Score Matching [Vincent 2009]'", label="printed-lhs",
             assumptions=(GAUSSIAN_NOISE,), rests_on=("vincent", DEFINITION)),
    ]
    return Derivation(
        "Vincent's denoising identity: the constant, and which Fisher divergence it equals",
        tuple(steps),
        exports={"dsm_minus_sm_sigma": 1 / sigma**2 - fisher_sigma, "noise_score": -eps / sigma**2},
        result="vincent",
    )


# ---- consistency of score matching ------------------------------------------------------------------------
w = sp.Symbol("w", positive=True)
u = sp.Symbol("u", real=True)
BUMP_SUPPORT = Assumption("disjoint-supports", r"b(u) = \tfrac{15}{16}(1-u^2)^2 \mathbb{1}_{|u|<1}",
                          "the data density is a mixture of two bumps with disjoint supports [−4, −2] and [2, 4]")


def _bump(v):
    return sp.Rational(15, 16) * (1 - v**2) ** 2


def sm_consistency() -> Derivation:
    r"""p_w = w b(x+3) + (1−w) b(x−3): on each piece s_w is w-free, so J(w) = E[½s_w² + s_w'] is flat."""
    left = w * _bump(x + 3)
    score_left = sp.Derivative(sp.log(left), x)
    half_j = sp.Integral(_bump(u) * (sp.Rational(1, 2) * sp.diff(sp.log(_bump(u)), u) ** 2
                                     + sp.diff(sp.log(_bump(u)), u, 2)), (u, -1, 1))
    steps = (
        Step(sp.Derivative(score_left, w), 0, "on the left piece the score ∂ₓlog(w b(x+3)) does not depend on w "
             "(likewise on the right)", assumptions=(BUMP_SUPPORT,), label="weight-free", rests_on=(DEFINITION,)),
        Step(half_j, -sp.Integer(5), "so J(w) = E_*[½s² + s'] is the same for every w: each piece contributes "
             "∫ b(½(b'/b)² + (log b)'') = −5, whatever its weight", label="flat", rests_on=("weight-free",)),
    )
    return Derivation("Score matching cannot see the weights of modes with disjoint supports", steps,
                      exports={"flat_value": -sp.Integer(5)}, result="flat")


# ---- NCE's asymptotic variance as the noise moves (slides, 'Limitations of NCE') --------------------------
p_sym, q_sym = sp.symbols("p mu_n", positive=True)  # data and noise densities at one point
a11, a12, a22, m1, m2 = sp.symbols("a11 a12 a22 m1 m2", real=True)
NCE_WELL_SPECIFIED = Assumption("nce-well-specified", r"p_d = f_{\theta^*},\ \nu = 1",
                                "the model (with its log-normaliser c) contains the data law; one noise point per data point")


def nce_noise_variance() -> Derivation:
    r"""NCE (ν = 1) as an M-estimator at θ*: Σ = A⁻¹(A − 2mmᵀ)A⁻¹, A = ∫gg^T pμ/(p+μ), m = ∫g pμ/(p+μ)."""
    d_star = p_sym / (p_sym + q_sym)
    a_matrix = sp.Matrix([[a11, a12], [a12, a22]])
    m_vector = sp.Matrix([m1, m2])
    a_inv = a_matrix.inv()
    middle = a_matrix - 2 * m_vector * m_vector.T
    sandwich = a_inv * middle * a_inv
    det = a11 * a22 - a12**2
    variance_mean = (a22**2 * middle[0, 0] - 2 * a22 * a12 * middle[0, 1] + a12**2 * middle[1, 1]) / det**2
    at_data = {a11: sp.Rational(1, 2), a12: 0, a22: sp.Rational(1, 2), m1: 0, m2: -sp.Rational(1, 2)}
    steps = (
        Step(p_sym * (1 - d_star) ** 2 + q_sym * d_star**2, p_sym * q_sym / (p_sym + q_sym),
             "second moment of the per-pair score ψ = g(x)(1 − D(x)) − g(y)D(y): the data and noise parts add up to the "
             "Hessian's weight pμ/(p + μ), so Var ψ = A − 2mmᵀ (both parts have mean m)", assumptions=(NCE_WELL_SPECIFIED,),
             label="variance-weight", rests_on=(DEFINITION,)),
        Step(p_sym * (1 - d_star) - q_sym * d_star, 0, "the Hessian's second-derivative terms cancel at θ* "
             "(E_p[∇²G(1 − D)] = E_μ[∇²G D]), so A = ∫ggᵀ pμ/(p + μ)", label="hessian", rests_on=(DEFINITION,)),
        Step(sandwich[0, 0], variance_mean, "sandwich covariance A⁻¹(A − 2mmᵀ)A⁻¹ of √n(θ̂ − θ*), its (m, m) entry "
             "by the adjugate of A", label="sandwich", rests_on=("variance-weight", "hessian")),
        Step(sp.Subs(variance_mean, tuple(at_data), tuple(at_data.values())), 2,
             "noise = data, Gaussian location model g = (x − m, −1): D ≡ ½, A = ½I, m = (0, −½): the mean's asymptotic "
             "variance is 2, twice the Cramér–Rao bound — finite, not 'too difficult'", label="at-data",
             rests_on=("sandwich",)),
    )
    return Derivation("NCE's asymptotic covariance and its value when the noise is the data law", steps,
                      exports={"variance_mean": variance_mean}, result="sandwich")
