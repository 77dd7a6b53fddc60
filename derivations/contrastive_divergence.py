r"""Contrastive divergence (seed 003 §6; seeds 000 and 002): exact CD-k gradients, their bias
against maximum likelihood, the small-step limit, the birth–death expansion (eqs. 112–114).

Conventions (the review's): :math:`\rho_\theta = e^{-U_\theta}/Z_\theta`, cross-entropy
:math:`H(\theta) = \mathbb{E}_*[U_\theta] + \log Z_\theta`, its gradient (eq. 109)
:math:`\partial_\theta H = \mathbb{E}_*[\partial_\theta U_\theta] - \mathbb{E}_\theta[\partial_\theta U_\theta]`.
The CD-k *estimate of* :math:`\partial_\theta H` replaces :math:`\rho_\theta` by the law
:math:`\rho_k` of k ULA steps :math:`X' = X - \eta\nabla U_\theta(X) + \sqrt{2\eta}\,\xi` started at
:math:`\rho_*`: :math:`G_k = \mathbb{E}_*[\partial_\theta U] - \mathbb{E}_{\rho_k}[\partial_\theta U]`
(Algorithm 1's :math:`\tilde{\mathcal D}_k` estimates :math:`-G_k`). The score-matching (Hyvärinen)
objective in the ½ convention is :math:`J(\theta) = \mathbb{E}_*[\tfrac12|\nabla U_\theta|^2 - \Delta U_\theta]`,
which equals the Fisher divergence of eq. 115 up to a θ-free constant.

The exact family: the Gaussian energy :math:`U = \lambda(x-\mu)^2/2` with parameters (μ, λ) and
data of mean m and variance v (any law: ULA is affine for this energy and ∂θU is quadratic, so
every quantity below depends on the data only through (m, v); d = m − μ).
"""

from __future__ import annotations

import sympy as sp
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x, xi, s = sp.symbols("x xi s", real=True)
mu, m, d_sym = sp.symbols("mu m d", real=True)
lam, v, eta, nu, alpha = sp.symbols("lambda v eta nu alpha", positive=True)
k = sp.Symbol("k", integer=True, positive=True)
THETA = (mu, lam)
DATA = (m, v)

STABLE_STEP = Assumption("ula-step-stable", r"0 < \eta\lambda < 2",
                         "ULA on the Gaussian energy contracts (|1 − ηλ| < 1), so its k-step law converges as k → ∞.")
SMOOTH_ENERGY = Assumption("smooth-energy", r"U_\theta \in C^3,\ \partial_\theta U_\theta \in C^3 \text{ with moments}",
                           "the Taylor expansion of one ULA step to order η holds under E_* (bounded third derivatives, moments of ρ_*).")
RENEWAL = Assumption("renewal-stationary", r"t \gg \nu^{-1},\ \theta \text{ frozen}",
                     "θ held fixed and t ≫ 1/ν: the walkers of eq. 112 are at the stationary law of the reset process, "
                     "the Langevin law of the data run for an Exp(ν) age (the resolvent ν(ν − αL^*)^{-1}ρ_*).")


def energy(x_=x):
    """The Gaussian energy :math:`U = \\lambda(x-\\mu)^2/2`."""
    return lam * (x_ - mu) ** 2 / 2


def _ula_moments(steps):
    """Mean offset (from μ) and variance of the law after ``steps`` ULA steps from data (m, v)."""
    a = 1 - eta * lam
    mean = a**steps * (m - mu)
    variance = a ** (2 * steps) * v + 2 * eta * (1 - a ** (2 * steps)) / (1 - a**2)
    return mean, variance


def _expected_parameter_gradient(mean_offset, variance):
    """:math:`(\\mathbb{E}_q[\\partial_\\mu U], \\mathbb{E}_q[\\partial_\\lambda U])` for q with the given
    mean offset from μ and variance: ∂μU = −λ(x−μ), ∂λU = (x−μ)²/2."""
    return sp.Matrix([-lam * mean_offset, (variance + mean_offset**2) / 2])


def gaussian_cd_k() -> Derivation:
    r"""The CD-k estimate :math:`G_k` and its bias against :math:`\partial_\theta H` on the Gaussian family.

    One ULA step is affine, :math:`X'-\mu = a(X-\mu) + \sqrt{2\eta}\,\xi` with :math:`a = 1-\eta\lambda`;
    hence mean offset :math:`a^k d` and variance :math:`V_k = a^{2k}v + 2\eta(1-a^{2k})/(1-a^2)`
    (the recursion :math:`V_{k+1} = a^2 V_k + 2\eta` solved). Exports ``cd_gradient`` (G_k),
    ``ml_gradient`` (∂θH), ``bias`` (G_k − ∂θH), ``bias_limit`` (k → ∞: the ULA-stationary bias).
    """
    a = 1 - eta * lam
    mean_k, var_k = _ula_moments(k)
    mean_next, var_next = _ula_moments(k + 1)
    data_phase = _expected_parameter_gradient(m - mu, v)
    cd = data_phase - _expected_parameter_gradient(mean_k, var_k)
    log_z = sp.log(2 * sp.pi / lam) / 2
    cross_entropy = lam * (v + (m - mu) ** 2) / 2 + log_z
    ml = data_phase - _expected_parameter_gradient(0, 1 / lam)
    var_inf = 2 / (lam * (2 - eta * lam))
    bias = sp.Matrix([lam * a**k * (m - mu), (1 / lam - var_k - a ** (2 * k) * (m - mu) ** 2) / 2])
    bias_limit = _expected_parameter_gradient(0, 1 / lam) - _expected_parameter_gradient(0, var_inf)
    steps = (
        Step(x - eta * sp.Derivative(energy(), x) - mu, a * (x - mu),
             "ULA drift for U = λ(x−μ)²/2: the step is affine with factor a = 1 − ηλ",
             label="affine", rests_on=(DEFINITION,)),
        Step(sp.Matrix([mean_next, var_next]), sp.Matrix([sp.UnevaluatedExpr(a) * mean_k, a**2 * var_k + 2 * eta]),
             "moments of X' = μ + a(X−μ) + √(2η)ξ, ξ ⟂ X: mean offset × a, variance a²V + 2η; the closed forms satisfy "
             "the recursion (and equal (d, v) at k = 0)",
             label="moments", rests_on=("affine",)),
        Step(sp.Matrix([sp.Derivative(cross_entropy, mu), sp.Derivative(cross_entropy, lam)]), ml,
             "∂θH of H = E_*[U] + log Z, Z = √(2π/λ): equals E_*[∂θU] − E_θ[∂θU] (eq. 109) with ρ_θ = N(μ, 1/λ)",
             label="ml", rests_on=(DEFINITION,)),
        Step(data_phase - _expected_parameter_gradient(sp.UnevaluatedExpr(a) ** k * (m - mu), var_k), cd,
             "G_k = E_*[∂θU] − E_{ρ_k}[∂θU], E_q[∂θU] from q's mean and variance (∂θU is quadratic)",
             label="cd", rests_on=("moments",)),
        Step(_expected_parameter_gradient(0, 1 / lam) - _expected_parameter_gradient(sp.UnevaluatedExpr(a) ** k * (m - mu), var_k),
             bias, "bias G_k − ∂θH = E_θ[∂θU] − E_{ρ_k}[∂θU] (the data phase cancels)", label="bias", rests_on=("cd", "ml")),
        Step(a**2 * var_inf + 2 * eta, var_inf, "the fixed point of V ↦ a²V + 2η: ULA's stationary variance 2/(λ(2 − ηλ)) ≠ 1/λ",
             (STABLE_STEP,), label="stationary", rests_on=("moments",)),
    )
    return Derivation("CD-k on the Gaussian family: exact gradient and bias", steps, result="bias",
                      exports={"cd_gradient": cd, "ml_gradient": ml, "bias": bias, "bias_limit": bias_limit,
                               "mean_k": mean_k, "var_k": var_k})


def _gaussian_average(polynomial):
    """E over ξ ~ N(0, 1) of a polynomial in ξ, written as Σ_j c_j E[ξ^j] with E[ξ^j] the j-th derivative at 0 of
    the moment generating function e^{t²/2} (unevaluated, so that the page shows it)."""
    t = sp.Symbol("t", real=True)
    terms = sp.Poly(sp.expand(polynomial), xi).terms()
    return sp.Add(*[coeff * sp.Subs(sp.Derivative(sp.exp(t**2 / 2), (t, power)), t, 0) for (power,), coeff in terms])


def small_step_limit() -> Derivation:
    r"""CD-1 with ULA step η: :math:`G_1 = \eta\,\nabla_\theta J + O(\eta^2)`, and on the Gaussian family
    :math:`G_1/\eta = \nabla_\theta J + \eta\,c` exactly.

    Generic energy: for g = ∂θU, :math:`\mathbb{E}_\xi[g(x+\delta)] - g(x) = \eta(g'' - U'g') + O(\eta^2)`,
    :math:`\delta = -\eta U' + \sqrt{2\eta}\xi` (Taylor to second order; the third-order term has
    zero mean at order η^{3/2}); under E_* the first-order term is :math:`-\eta\,\partial_\theta J` because
    :math:`\partial_\theta(\tfrac12 U'^2 - U'') = U'g' - g''`. Exports ``first_order_integrand``
    (U'·∂θU' − ∂θU'' for a generic ``U(x, theta)``), ``sm_gradient`` and ``rate`` (Gaussian family).
    """
    theta = sp.Symbol("theta", real=True)
    U = sp.Function("U")(x, theta)
    g = sp.Derivative(U, theta)
    u1, g1, g2 = sp.Derivative(U, x), sp.Derivative(g, x), sp.Derivative(g, x, 2)
    delta = -eta * u1 + sp.sqrt(2 * eta) * xi
    taylor = g1 * delta + g2 * delta**2 / 2
    first_order = -u1 * g1 + g2
    sm_integrand = u1**2 / 2 - sp.Derivative(U, x, 2)
    integrand = u1 * g1 - g2
    # Gaussian family
    mean_1, var_1 = _ula_moments(1)
    g_one = _expected_parameter_gradient(m - mu, v) - _expected_parameter_gradient(mean_1, var_1)
    sm_objective = lam**2 * (v + (m - mu) ** 2) / 2 - lam  # E_*[U'^2/2 − U''] for U = λ(x−μ)²/2
    sm_gradient = sp.Matrix([sp.diff(sm_objective, p) for p in THETA])
    rate = sp.Matrix([0, -lam**2 * (v + (m - mu) ** 2) / 2])
    steps = (
        Step(_gaussian_average(taylor), eta * first_order + eta**2 * u1**2 * g2 / 2,
             "E_ξ of the second-order Taylor term of g(x + δ), δ = −ηU' + √(2η)ξ, ξ ~ N(0,1), moments from the MGF e^{t²/2}",
             (SMOOTH_ENERGY,), label="taylor", rests_on=(DEFINITION,)),
        Step(sp.Derivative(sm_integrand, theta), integrand,
             "∂θ of the Hyvärinen integrand ½U'² − U'' is U'∂θU' − ∂θU'' = −(first-order term of the ULA step)",
             label="sm-integrand", rests_on=("taylor",)),
        Step(sp.Matrix([sp.Derivative(sm_objective, p) for p in THETA]), sm_gradient,
             "Gaussian family: J = E_*[½U'² − U''] = ½λ²(v + d²) − λ", label="sm-gradient", rests_on=(DEFINITION,)),
        Step(g_one / eta - sm_gradient, eta * rate,
             "exact CD-1 on the Gaussian family (k = 1 moments): G_1/η − ∇J = −η·(0, ½λ²(v + d²)): the limit is ∇θJ "
             "and the rate is O(η), with no O(η) term in μ",
             label="limit", rests_on=("sm-gradient", "sm-integrand")),
    )
    return Derivation("CD-1 divided by its step tends to the score-matching gradient", steps,
                      exports={"first_order_integrand": integrand, "U": U, "theta": theta,
                               "cd1_gradient": g_one, "sm_gradient": sm_gradient, "rate": rate})


def birth_death_expansion() -> Derivation:
    r"""Eqs. 112–114 at frozen θ on the Gaussian family: the walkers' stationary law is the data run
    through the Langevin (OU) flow :math:`\partial_t\rho = \alpha\nabla\cdot(\nabla U\rho + \nabla\rho)`
    for an Exp(ν) time, so :math:`\mathbb{E}[e^{-c\alpha\lambda S}] = \nu/(\nu + c\alpha\lambda)` gives
    :math:`\nu\,(\mathbb{E}_* - \mathbb{E}_{\check\rho})[\partial_\theta U] =
    \alpha\,\partial_\theta J \cdot (\nu/(\nu+\alpha\lambda),\ \nu/(\nu+2\alpha\lambda))`, whose ν → ∞ limit is
    :math:`\alpha\,\nabla_\theta J`: the factor α that eq. 114 drops. Exports ``scaled_gap`` (exact in ν),
    ``limit`` (α∇J) and ``printed`` (∇J, eq. 114 as printed).
    """
    rate = sp.Symbol("c", positive=True)
    laplace = sp.Integral(nu * sp.exp(-nu * s) * sp.exp(-rate * s), (s, 0, sp.oo))
    r1, r2 = nu / (nu + alpha * lam), nu / (nu + 2 * alpha * lam)
    e1, e2 = 1 - alpha * lam / (nu + alpha * lam), 1 - 2 * alpha * lam / (nu + 2 * alpha * lam)  # = r1, r2
    offset = (m - mu) * e1  # OU: mean offset e^{−αλs} d, second moment e^{−2αλs}(v + d²) + (1 − e^{−2αλs})/λ
    second = (v + (m - mu) ** 2) * e2 + (1 - e2) / lam
    walkers = sp.Matrix([-lam * offset, second / 2])
    gap = _expected_parameter_gradient(m - mu, v) - walkers
    sm_gradient = sp.Matrix([-lam**2 * (m - mu), lam * (v + (m - mu) ** 2) - 1])
    scaled = sp.Matrix([alpha * sm_gradient[0] * r1, alpha * sm_gradient[1] * r2])
    steps = (
        Step(laplace, nu / (nu + rate),
             "E[e^{−cS}] for the Exp(ν) age S; the OU flow contracts the mean offset at rate c = αλ and the "
             "second moment's excess at c = 2αλ",
             (RENEWAL,), label="laplace", rests_on=(DEFINITION,)),
        Step(nu * gap, scaled, "ν(E_*[∂θU] − E_ρ̌[∂θU]) with ρ̌'s moments from step 1", label="gap", rests_on=("laplace",)),
        Step(sp.Matrix([sp.Limit(e, nu, sp.oo) for e in scaled]), alpha * sm_gradient,
             "ν → ∞: the leading term of eq. 114 is α ν^{-1} ∇θJ (eq. 113 keeps α)", label="limit", rests_on=("gap",)),
        Step(sp.Matrix([sp.Limit(e, nu, sp.oo) for e in scaled]), sm_gradient,
             "eq. 114 and the sentence after it as printed, 'precisely ν^{-1} times the gradient of the Fisher divergence': "
             "false for α ≠ 1 (α > 0 is a free rate in eq. 112)", relation="≠", erratum="eq. 114",
             label="printed", rests_on=("gap",)),
    )
    return Derivation("The birth–death (CD) PDE at large reset rate ν: eqs. 112–114", steps, result="limit",
                      exports={"scaled_gap": scaled, "limit": alpha * sm_gradient, "printed": sm_gradient})


def cd_objective() -> Derivation:
    r"""Seed 000's :math:`\mathcal L_{CD} = \mathrm{KL}(p_{data}\|p_\theta) - \mathrm{KL}(p_\theta\|p_{data})`
    against Hinton's :math:`\mathrm{KL}(\rho_*\|\rho_\theta) - \mathrm{KL}(\rho_k\|\rho_\theta)` with ρ_k frozen.

    Gaussian data N(m, v), Gaussian model N(μ, 1/λ). Hinton's objective differs from
    :math:`\mathrm{CE}(\rho_*,\rho_\theta) - \mathrm{CE}(\rho_k,\rho_\theta)` by θ-free entropies; with ρ_k's
    moments frozen its gradient is exactly G_k (``cd_gradient`` of :func:`gaussian_cd_k`). The printed
    objective is, for m = μ, :math:`\tfrac12(1/r - r + \log r^2)` with :math:`r = 1/(\lambda v)`: unbounded
    below as r → ∞ and its gradient is not G_k. Exports ``printed_objective`` (m, v, μ, λ),
    ``printed_gradient``, ``hinton_gradient``.
    """
    mean_k, var_k = _ula_moments(k)
    frozen_mean, frozen_var = sp.symbols("M_k V_k", real=True)

    def cross_entropy(mean, variance):  # CE(q, ρ_θ) = E_q[U] + log Z for q with that mean and variance
        return lam * (variance + (mean - mu) ** 2) / 2 + sp.log(2 * sp.pi / lam) / 2

    def kl_gauss(m1, v1, m2, v2):  # KL(N(m1,v1) ‖ N(m2,v2))
        return (sp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2

    hinton = cross_entropy(m, v) - cross_entropy(frozen_mean, frozen_var)
    frozen = {frozen_mean: mu + mean_k, frozen_var: var_k}
    hinton_gradient = sp.Matrix([sp.diff(hinton, p) for p in THETA]).subs(frozen)
    cd = gaussian_cd_k().exports["cd_gradient"]
    printed = kl_gauss(m, v, mu, 1 / lam) - kl_gauss(mu, 1 / lam, m, v)
    printed_gradient = sp.Matrix([sp.diff(printed, p) for p in THETA])
    r = sp.Symbol("r", positive=True)
    steps = (
        Step(sp.Matrix([sp.Derivative(hinton, p) for p in THETA]).subs(frozen), cd,
             "KL(ρ_*‖ρ_θ) − KL(ρ_k‖ρ_θ) = CE(ρ_*,ρ_θ) − CE(ρ_k,ρ_θ) − H(ρ_*) + H(ρ_k); with ρ_k's moments held fixed "
             "its θ-gradient is E_*[∂θU] − E_k[∂θU] = G_k (log Z cancels)",
             label="hinton", rests_on=(DEFINITION,)),
        Step(printed.subs({m: mu, lam: 1 / (r * v)}), (1 / r - r + sp.log(r**2)) / 2,
             "seed 000's L_CD for Gaussians with equal means, r = 1/(λv) the model-to-data variance ratio",
             label="printed", rests_on=(DEFINITION,)),
        Step(printed.subs({m: mu, lam: 1 / (r * v)}).subs(r, 9), 0,
             "L_CD < 0 at r = 9: it is not a divergence and is unbounded below (→ −∞ as r → ∞), so 'minimise L_CD' "
             "does not make ρ_θ = ρ_*", relation="≠", erratum="Contrastive Divergence", label="unbounded",
             rests_on=("printed",)),
        Step(printed_gradient.subs(k, 1), cd.subs(k, 1),
             "its gradient is not the CD update G_k (here k = 1)", relation="≠", erratum="Contrastive Divergence",
             label="not-cd", rests_on=(DEFINITION, "hinton")),
    )
    return Derivation("Seed 000's CD objective against Hinton's", steps, result="hinton",
                      exports={"printed_objective": printed, "printed_gradient": printed_gradient,
                               "hinton_gradient": hinton_gradient})


def slides_loglik_gradient() -> Derivation:
    r"""Seed 002: :math:`L(\theta) = -\mathbb{E}_*[U_\theta] - \log Z_\theta` so
    :math:`\nabla L = -\mathbb{E}_*[\nabla_\theta U_\theta] - \nabla\log Z_\theta
    = \mathbb{E}_\theta[\nabla_\theta U] - \mathbb{E}_*[\nabla_\theta U]`; the printed line
    :math:`-\mathbb{E}_*[U_\theta] - \nabla\log Z_\theta` drops the ∇θ on U. Gaussian family.
    Exports ``gradient`` (corrected) and ``printed``."""
    log_z = sp.log(2 * sp.pi / lam) / 2
    expected_energy = lam * (v + (m - mu) ** 2) / 2
    loglik = -expected_energy - log_z
    gradient = sp.Matrix([-sp.diff(expected_energy, p) - sp.diff(log_z, p) for p in THETA])
    printed = sp.Matrix([-expected_energy - sp.diff(log_z, p) for p in THETA])
    model_phase = _expected_parameter_gradient(0, 1 / lam)
    data_phase = _expected_parameter_gradient(m - mu, v)
    steps = (
        Step(sp.Matrix([sp.Derivative(loglik, p) for p in THETA]), gradient,
             "∇θ of L = −E_*[U_θ] − log Z_θ, U = λ(x−μ)²/2, Z = √(2π/λ)", label="gradient", rests_on=(DEFINITION,)),
        Step(gradient, model_phase - data_phase, "= E_θ[∇θU] − E_*[∇θU] (the slide's next line)", label="phases",
             rests_on=("gradient",)),
        Step(sp.Matrix([sp.Derivative(loglik, p) for p in THETA]), printed,
             "the printed '∇θL = −E_*[U_θ] − ∇log Z' (no ∇θ on U)", relation="≠",
             erratum="slide 'Gradient ascent on Energy-Based Models'", label="printed", rests_on=(DEFINITION,)),
    )
    return Derivation("The log-likelihood gradient on the slides", steps, result="phases",
                      exports={"gradient": gradient, "printed": printed})


def ml_descent() -> Derivation:
    r"""Eqs. 109–111 on the Gaussian family: :math:`\mathcal D = \mathbb{E}_	heta[\partial_	heta U] - \mathbb{E}_*[\partial_	heta U]
    = -\partial_	heta H`, and along :math:`\dot	heta = \mathcal D` (eq. 111) :math:`	frac{d}{dt}H = -|\mathcal D|^2 \le 0`.
    Exports ``descent_direction`` (𝒟) and ``rate`` (−|𝒟|²)."""
    t = sp.Symbol("t", real=True)
    model_phase = _expected_parameter_gradient(0, 1 / lam)
    data_phase = _expected_parameter_gradient(m - mu, v)
    direction = model_phase - data_phase

    def cross_entropy(mean, precision):
        return precision * (v + (m - mean) ** 2) / 2 + sp.log(2 * sp.pi / precision) / 2

    gradient = sp.Matrix([sp.Derivative(cross_entropy(mu, lam), p) for p in THETA])
    moved = cross_entropy(mu + t * direction[0], lam + t * direction[1])
    rate = -(direction[0] ** 2 + direction[1] ** 2)
    steps = (
        Step(gradient, -direction, "∂θH of H = E_*[U] + log Z, Z = √(2π/λ), is −𝒟 with 𝒟 = E_θ[∂θU] − E_*[∂θU]",
             label="direction", rests_on=(DEFINITION,)),
        Step(sp.Subs(sp.Derivative(moved, t), t, 0), rate, "chain rule along θ(t) = θ + t𝒟: dH/dt = ∂θH·𝒟 = −|𝒟|²",
             label="descent", rests_on=("direction",)),
    )
    return Derivation("The ML gradient's sign: eq. 111 descends the cross-entropy", steps,
                      exports={"descent_direction": direction, "rate": rate})
