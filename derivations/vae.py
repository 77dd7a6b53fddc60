r"""Variational autoencoders on the linear-Gaussian model, where every quantity has a closed form.

Model (review 003, §3.1, L = d = 1, symbolic parameters): prior :math:`\rho(z) = \mathcal N(z; 0, 1)`
(eq. 17), decoder :math:`\rho_\theta(x|z) = \mathcal N(x; wz + b, \sigma^2)` (eq. 18 with a linear mean),
variational density :math:`q(z) = \mathcal N(z; m, s^2)` (eq. 29). Completing the square in z,

.. math:: \rho_\theta(x|z)\rho(z) = \mathcal N(x; b, w^2 + \sigma^2)\,
          \mathcal N\Big(z; \tfrac{w(x-b)}{w^2+\sigma^2}, \tfrac{\sigma^2}{w^2+\sigma^2}\Big),

so the marginal (eq. 19) is :math:`\mathcal N(x; b, w^2+\sigma^2)` and the second factor is the exact
posterior. Expectations under a Gaussian of a quadratic in z follow from its first two moments,
derived once for a generic :math:`\mathcal N(a, t^2)`; the ELBO (eq. 21), the two KL divergences and the
reconstruction term (eq. 30) are then polynomials in the moments. The decomposition (eq. 22/24), the
bound with its equality case (eq. 23), the rewriting eq. 30 and the reparametrisation eq. 31 with its
pathwise gradients are derived from these definitions.
"""

from __future__ import annotations

import functools

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Derivation, Step

x, b, w, z, m, a = sp.symbols("x b w z m a", real=True)
sigma, s, t = sp.symbols("sigma s t", positive=True)
epsilon = sp.Symbol("epsilon", real=True)
u = sp.Symbol("u", positive=True)
HALF = sp.Rational(1, 2)


def normal_density(variable, mean, variance) -> sp.Expr:
    """The density of N(mean, variance) at ``variable``, written out."""
    return sp.exp(-(variable - mean) ** 2 / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)


def log_normal_density(variable, mean, variance) -> sp.Expr:
    """log N(variable; mean, variance), expanded: −½log(2π variance) − (variable − mean)²/(2 variance)."""
    return -HALF * sp.log(2 * sp.pi * variance) - (variable - mean) ** 2 / (2 * variance)


PRIOR = normal_density(z, 0, 1)
DECODER = normal_density(x, w * z + b, sigma**2)
ENCODER = normal_density(z, m, s**2)
MARGINAL_VARIANCE = w**2 + sigma**2
POSTERIOR_MEAN = w * (x - b) / MARGINAL_VARIANCE
POSTERIOR_VARIANCE = sigma**2 / MARGINAL_VARIANCE


def _moments_step() -> Step:
    """∫ N(z; a, t²) z^k dz = 1, a, a² + t² for k = 0, 1, 2 (Gaussian integrals)."""
    density = normal_density(z, a, t**2)
    return Step(
        sp.Matrix([sp.Integral(density * z**k, (z, -sp.oo, sp.oo)) for k in range(3)]),
        sp.Matrix([1, a, a**2 + t**2]),
        "moments of a Gaussian N(a, t²): normalisation, mean, second moment (Gaussian integrals)",
        label="gaussian-moments",
        rests_on=(DEFINITION,),
    )


def _expect_quadratic(polynomial: sp.Expr, mean, variance) -> sp.Expr:
    """E[c₀ + c₁z + c₂z²] under N(mean, variance) from the moments: c₀ + c₁ mean + c₂(mean² + variance)."""
    coefficients = sp.Poly(sp.expand(polynomial), z).all_coeffs()[::-1]
    coefficients += [0] * (3 - len(coefficients))
    moments = (sp.Integer(1), mean, sp.Add(mean**2, variance, evaluate=False))
    return sp.Add(*[sp.Mul(c, k, evaluate=False) for c, k in zip(coefficients, moments)], evaluate=False)


def _factorisation_step() -> Step:
    """log ρ_θ(x|z) + log ρ(z) = log N(x; b, w² + σ²) + log N(z; μ_post, τ²): completing the square."""
    return Step(
        log_normal_density(x, w * z + b, sigma**2) + log_normal_density(z, 0, 1),
        log_normal_density(x, b, MARGINAL_VARIANCE) + log_normal_density(z, POSTERIOR_MEAN, POSTERIOR_VARIANCE),
        "eq. 17 with the log-densities written out: completing the square in z, ρ_θ(x|z)ρ(z) = N(x; b, w²+σ²) "
        "N(z; w(x−b)/(w²+σ²), σ²/(w²+σ²))",
        label="factorisation",
        rests_on=(DEFINITION,),
    )


def _marginal_step() -> Step:
    """Eq. 19: ρ_θ(x) = ∫ρ_θ(x|z)ρ(z)dz = N(x; b, w²+σ²) ∫N(z; μ_post, τ²)dz = N(x; b, w²+σ²)."""
    marginal = normal_density(x, b, MARGINAL_VARIANCE)
    posterior = normal_density(z, a, t**2)
    return Step(
        sp.Mul(marginal, sp.Integral(posterior, (z, -sp.oo, sp.oo)), evaluate=False),
        marginal,
        "eq. 19 by the factorisation: the z-integral of the posterior factor N(z; a, t²) (a = μ_post, t² = τ²) is 1 "
        "(step 1, k = 0), so ρ_θ(x) = N(x; b, w²+σ²) and ρ_θ(z|x) = ρ_θ(x, z)/ρ_θ(x) is the second factor",
        label="marginal",
        rests_on=("factorisation", "gaussian-moments"),
    )


def _polynomial_step(label: str, lhs, rhs_polynomial, justification: str) -> Step:
    return Step(lhs, rhs_polynomial, justification, label=label, rests_on=(DEFINITION,))


@functools.cache
def closed_forms() -> dict[str, sp.Expr]:
    """The closed forms every claim of the topic exports (1-D linear-Gaussian model)."""
    log_joint = log_normal_density(x, w * z + b, sigma**2) + log_normal_density(z, 0, 1)
    log_q = log_normal_density(z, m, s**2)
    log_post = log_normal_density(z, POSTERIOR_MEAN, POSTERIOR_VARIANCE)
    reconstruction = -HALF * sp.log(2 * sp.pi * sigma**2) - ((x - b - w * m) ** 2 + w**2 * s**2) / (2 * sigma**2)
    kl_prior = HALF * (m**2 + s**2 - 1 - sp.log(s**2))
    v, mu, tau2 = MARGINAL_VARIANCE, POSTERIOR_MEAN, POSTERIOR_VARIANCE
    return {
        "log_joint": log_joint,
        "log_q": log_q,
        "log_posterior": log_post,
        "log_marginal": log_normal_density(x, b, v),
        "posterior_mean": mu,
        "posterior_variance": tau2,
        "reconstruction": reconstruction,
        "kl_prior": kl_prior,
        "kl_prior_swapped": HALF * ((1 + m**2) / s**2 - 1 + sp.log(s**2)),
        "elbo": reconstruction - kl_prior,
        "kl_posterior": HALF * (sp.log(tau2 / s**2) + (s**2 + (m - mu) ** 2) / tau2 - 1),
        "kl_posterior_swapped": HALF * (sp.log(s**2 / tau2) + (tau2 + (m - mu) ** 2) / s**2 - 1),
    }


def elbo_decomposition() -> Derivation:
    r"""Lemma 3.1: :math:`\log\rho_\theta(x) = \mathcal L(\theta, q; x) + D_{KL}(q\,\|\,\rho_\theta(z|x))`, and the bound.

    From the definitions: factorisation of the joint (completing the square), the marginal eq. 19,
    the ELBO eq. 21 and the KL divergence as Gaussian expectations of quadratics in z, their sum, and
    :math:`D_{KL} = \tfrac12[g(s^2/\tau^2) + (m-\mu)^2/\tau^2]` with :math:`g(u) = u - 1 - \log u =
    \int_1^u (1 - 1/r)\,dr \ge 0`, zero iff u = 1: the bound (eq. 23) with equality iff m = μ_post and
    s² = τ², i.e. q = ρ_θ(z|x).
    """
    forms = closed_forms()
    log_joint, log_q, log_post = forms["log_joint"], forms["log_q"], forms["log_posterior"]
    mu, tau2 = forms["posterior_mean"], forms["posterior_variance"]
    r = sp.Symbol("r", positive=True)
    steps = (
        _moments_step(),
        _factorisation_step(),
        _marginal_step(),
        Step(
            sp.log(DECODER) + sp.log(PRIOR) - sp.log(ENCODER),
            log_joint - log_q,
            "eq. 21's integrand log ρ_θ(x, z) − log q(z) with the densities written out: a quadratic in z",
            label="elbo-integrand",
            rests_on=(DEFINITION,),
        ),
        Step(
            _expect_quadratic(log_joint - log_q, m, s**2),
            forms["elbo"],
            "eq. 21: E_q of the quadratic by linearity and the moments of N(m, s²) (step 1 with a = m, t = s)",
            label="elbo",
            rests_on=("elbo-integrand", "gaussian-moments"),
        ),
        Step(
            _expect_quadratic(log_q - log_post, m, s**2),
            forms["kl_posterior"],
            "D_KL(q ‖ ρ_θ(z|x)) = E_q[log q − log ρ_θ(z|x)], the posterior of steps 2–3, by the moments of N(m, s²)",
            label="kl-posterior",
            rests_on=("marginal", "gaussian-moments"),
        ),
        Step(
            forms["elbo"] + forms["kl_posterior"],
            forms["log_marginal"],
            "eq. 22/24: ELBO (step 5) + KL (step 6) = log ρ_θ(x) (step 3) for every m, s — the decomposition",
            label="decomposition",
            rests_on=("elbo", "kl-posterior", "marginal"),
        ),
        Step(
            sp.Matrix([forms["kl_posterior"], sp.Integral(1 - 1 / r, (r, 1, u))]),
            sp.Matrix([HALF * ((s**2 / tau2 - 1 - sp.log(s**2 / tau2)) + (m - mu) ** 2 / tau2), u - 1 - sp.log(u)]),
            "eq. 23: D_KL = ½[g(s²/τ²) + (m − μ)²/τ²] with g(u) = u − 1 − log u = ∫₁ᵘ(1 − 1/r)dr ≥ 0 (the integrand "
            "has the sign of r − 1), zero iff u = 1: ELBO ≤ log ρ_θ(x), with equality iff m = μ_post and s² = τ², "
            "i.e. q = ρ_θ(z|x)",
            label="bound",
            rests_on=("kl-posterior", "decomposition"),
        ),
    )
    return Derivation(
        "ELBO decomposition and bound (Lemma 3.1) on the linear-Gaussian model",
        steps,
        exports={k: forms[k] for k in ("elbo", "kl_posterior", "kl_posterior_swapped", "log_marginal", "log_joint",
                                        "log_q", "posterior_mean", "posterior_variance", "kl_prior")},
        notes="L = d = 1 with symbolic w, b, σ (decoder) and m, s (variational Gaussian). The swapped divergence "
        "KL(ρ_θ(z|x) ‖ q), a control of the checks, is exported alongside.",
        result="bound",
    )


def variational_parameter_count() -> Derivation:
    r"""Free scalars of N local Gaussians N(μ_i, Σ_i) in dimension L: N[L + L(L+1)/2] = N L(L+3)/2.

    A mean has L entries; a symmetric L×L covariance has its L(L+1)/2 entries on and above the
    diagonal. The printed count :math:`N d^2(d+1)/2` multiplies the two counts instead of adding them
    (and names the data dimension d where the variational Gaussians live on the latent ℝ^L): it differs
    from :math:`N d(d+3)/2` for every d ≥ 1 (at d = 1: N against 2N).
    """
    n, dim = sp.symbols("N L", positive=True, integer=True)
    i, j = sp.symbols("i j", positive=True, integer=True)
    count = sp.Sum(1, (i, 1, dim)) + sp.Sum(sp.Sum(1, (j, i, dim)), (i, 1, dim))
    d = sp.Symbol("d", positive=True, integer=True)
    steps = (
        Step(
            n * count,
            n * dim * (dim + 3) / 2,
            "N means (L entries each) and N symmetric covariances (entries j ≥ i: L(L+1)/2 each)",
            label="count",
            rests_on=(DEFINITION,),
        ),
        Step(
            n * d**2 * (d + 1) / 2,
            n * d * (d + 3) / 2,
            "§3.1's N d²(d+1)/2 against the count of step 1 in the same dimension d: they differ for every d ≥ 1 "
            "(at N = d = 1: 1 against 2, one scalar mean and one variance)",
            relation="≠",
            erratum="§3.1, after eq. 27",
            label="printed-count",
            rests_on=("count",),
        ),
    )
    return Derivation("Number of local variational parameters (§3.1, after eq. 27)", steps,
                      exports={"count": n * dim * (dim + 3) / 2, "printed": n * d**2 * (d + 1) / 2}, result="count")


def elbo_reconstruction_form() -> Derivation:
    r"""Eq. 30: :math:`\mathcal L = \mathbb E_q\log\rho_\theta(x|z) - D_{KL}(q\,\|\,\rho(z))`, derived from eq. 21 and eq. 17."""
    forms = closed_forms()
    log_decoder = log_normal_density(x, w * z + b, sigma**2)
    log_prior = log_normal_density(z, 0, 1)
    log_q = forms["log_q"]
    steps = (
        _moments_step(),
        Step(
            sp.log(DECODER * PRIOR) - sp.log(ENCODER),
            log_decoder - (log_q - log_prior),
            "eq. 17 (ρ_θ(x, z) = ρ_θ(x|z)ρ(z)) in eq. 21's integrand: log ρ_θ(x|z) − [log q(z) − log ρ(z)]",
            label="split",
            rests_on=(DEFINITION,),
        ),
        Step(
            _expect_quadratic(log_decoder, m, s**2),
            forms["reconstruction"],
            "the reconstruction term E_q log ρ_θ(x|z) by the moments of N(m, s²)",
            label="reconstruction",
            rests_on=("split", "gaussian-moments"),
        ),
        Step(
            _expect_quadratic(log_q - log_prior, m, s**2),
            forms["kl_prior"],
            "D_KL(q ‖ ρ(z)) = E_q[log q − log ρ(z)] by the moments of N(m, s²)",
            label="kl-prior",
            rests_on=("split", "gaussian-moments"),
        ),
        Step(
            _expect_quadratic(sp.expand(forms["log_joint"] - log_q), m, s**2),
            forms["reconstruction"] - forms["kl_prior"],
            "eq. 30: the ELBO eq. 21 (E_q of log ρ_θ(x, z) − log q) equals reconstruction (step 3) minus KL to the prior "
            "(step 4); summed over the N points it is eq. 28 = eq. 30",
            label="eq-30",
            rests_on=("reconstruction", "kl-prior"),
        ),
    )
    return Derivation("ELBO = reconstruction − KL to the prior (eq. 30)", steps,
                      exports={k: forms[k] for k in ("reconstruction", "kl_prior", "kl_prior_swapped", "elbo")},
                      result="eq-30")


def reparametrisation() -> Derivation:
    r"""Eq. 31–32: z = m + s ε, ε ~ N(0, 1) has law N(m, s²), and the pathwise gradients are unbiased.

    The density of z is the standard normal density at ε = (z − m)/s times |dε/dz| (change of
    variables). For f(z) = log ρ_θ(x|z), :math:`\mathbb E_\varepsilon[\partial_m f(m+s\varepsilon)]` and
    :math:`\mathbb E_\varepsilon[\partial_s f(m+s\varepsilon)]` are the derivatives of the closed form
    :math:`\mathbb E_q f`: the pathwise estimator of eq. 31 is unbiased, and so is eq. 32's average
    over R draws (linearity).
    """
    forms = closed_forms()
    log_decoder = log_normal_density(x, w * z + b, sigma**2)
    pathwise = log_decoder.subs(z, m + s * epsilon)
    gradient_m, gradient_s = sp.diff(pathwise, m), sp.diff(pathwise, s)
    density_at = normal_density((z - m) / s, 0, 1)
    steps = (
        _moments_step(),
        Step(
            density_at * sp.Abs(sp.Derivative((z - m) / s, z)),
            ENCODER,
            "eq. 31, law of z = m + sε: change of variables, φ((z − m)/s)|dε/dz| is the N(m, s²) density",
            label="law",
            rests_on=(DEFINITION,),
        ),
        Step(
            _expect_quadratic(log_decoder, m, s**2),
            forms["reconstruction"],
            "E_q log ρ_θ(x|z) by the moments of N(m, s²) (step 1), q the law of step 2",
            label="reconstruction",
            rests_on=("law", "gaussian-moments"),
        ),
        Step(
            sp.Matrix([_expect_quadratic(sp.Derivative(pathwise, m).doit().subs(epsilon, z), 0, 1),
                       _expect_quadratic(sp.Derivative(pathwise, s).doit().subs(epsilon, z), 0, 1)]),
            sp.Matrix([sp.Derivative(forms["reconstruction"], m), sp.Derivative(forms["reconstruction"], s)]),
            "pathwise gradients: E_ε of ∂_m and ∂_s of log ρ_θ(x | m + sε) (quadratics in ε, moments of N(0, 1)) equal "
            "∂_m and ∂_s of E_q log ρ_θ(x|z) (step 3): the estimator is unbiased; eq. 32's 1/R Σ_r over i.i.d. draws "
            "has the same mean",
            label="unbiased",
            rests_on=("reconstruction", "gaussian-moments"),
        ),
    )
    return Derivation("Reparametrisation trick and unbiased pathwise gradients (eq. 31–32)", steps,
                      exports={"reconstruction": forms["reconstruction"], "pathwise_value": pathwise,
                               "pathwise_gradient_m": gradient_m, "pathwise_gradient_s": gradient_s,
                               "gradient_m": sp.diff(forms["reconstruction"], m),
                               "gradient_s": sp.diff(forms["reconstruction"], s)},
                      result="unbiased")


# ---- EM on the linear-Gaussian model (probabilistic PCA, d = 2, L = 1) ----------------------------------
w1, w2, x1, x2, b1, b2 = sp.symbols("w1 w2 x1 x2 b1 b2", real=True)
s11, s22 = sp.symbols("S11 S22", positive=True)
s12 = sp.Symbol("S12", real=True)
PPCA_DATA_DIM = 2


def _ppca_log_decoder(z_value, data=(x1, x2), offset=(b1, b2)) -> sp.Expr:
    """log N(x; wz + b, σ² I₂) written out (d = 2, L = 1)."""
    return sum(log_normal_density(xi, wi * z_value + bi, sigma**2) for xi, wi, bi in zip(data, (w1, w2), offset))


@functools.cache
def ppca_em_forms() -> dict[str, sp.Expr]:
    """E step (posterior moments per point) and M step (from the centred sample covariance S) in closed form."""
    norm2 = w1**2 + w2**2
    precision_weight = (w1 / (norm2 + sigma**2), w2 / (norm2 + sigma**2))  # β: E[z|x] = βᵀ(x − b)
    tau2 = sigma**2 / (norm2 + sigma**2)
    cov = sp.Matrix([[s11, s12], [s12, s22]])
    beta = sp.Matrix(precision_weight)
    second = (beta.T * cov * beta)[0] + tau2  # mean over points of E[z²]
    w_new = cov * beta / second
    sigma2_new = (cov.trace() - (w_new.T * cov * beta)[0]) / PPCA_DATA_DIM
    return {"posterior_mean": beta[0] * (x1 - b1) + beta[1] * (x2 - b2), "posterior_variance": tau2,
            "w1_new": w_new[0], "w2_new": w_new[1], "sigma2_new": sigma2_new, "mean_second_moment": second}


def em_fixed_point() -> Derivation:
    r"""EM on the linear-Gaussian model: the E step is the posterior, the M step maximises E_q log ρ_θ(x, z),
    and a fixed point of EM is a stationary point of log ρ_θ(x) (where eq. 23 holds with equality).

    d = 2, L = 1 (probabilistic PCA with one factor): the E step (eq. 25 over all densities) gives
    q_n = N(βᵀ(x_n − b), τ²), β = w/(|w|² + σ²), τ² = σ²/(|w|² + σ²) (the z-derivatives of the log-joint
    and of the log-posterior agree, both sides quadratic in z). The expected complete-data log-likelihood
    averaged over the points depends on the data through the centred sample covariance S (b = x̄); its
    stationary point is the M step w' = Sβ/(βᵀSβ + τ²), σ'² = (tr S − w'ᵀSβ)/2. Finally, in the 1-D model
    of :func:`elbo_decomposition`, ∂_θ ELBO(θ, q) at q = ρ_θ(z|x) equals ∂_θ log ρ_θ(x) (the KL term is
    stationary at its zero): a fixed point of EM is a stationary point of the likelihood — a maximum, a
    saddle (w = 0 is one: β = 0 is kept by the M step) — so convergence "to the optimum" needs conditions.
    """
    forms, decomposition = ppca_em_forms(), closed_forms()
    norm2 = w1**2 + w2**2
    mean_z = (w1 * (x1 - b1) + w2 * (x2 - b2)) / (norm2 + sigma**2)
    tau2 = forms["posterior_variance"]
    # the M step's variables (v, r) against the E step's fixed moments: β (E[z_n] = βᵀ(x_n − b)) and
    # e = mean of E[z_n²]; the M step holds for any such q, the E step of step 2 supplies them
    v1, v2 = sp.symbols("v1 v2", real=True)
    r = sp.Symbol("V", positive=True)  # the new noise variance σ'²
    c1, c2 = sp.symbols("c1 c2", real=True)  # c = mean of (x_n − b) E[z_n] = Sβ
    e, trace = sp.symbols("e T", positive=True)  # e = mean of E[z_n²] = βᵀSβ + τ², T = tr S
    new = sp.Matrix([v1, v2])
    cross = sp.Matrix([c1, c2])
    averaged_q = -sp.log(2 * sp.pi * r) - (trace - 2 * (new.T * cross)[0] + (v1**2 + v2**2) * e) / (2 * r)
    w_star = cross / e
    sigma2_star = (trace - (w_star.T * cross)[0]) / PPCA_DATA_DIM
    at_m_step = {v1: w_star[0], v2: w_star[1]}
    gradient = sp.Matrix([sp.Derivative(averaged_q, v) for v in (v1, v2)])
    expected = -sp.log(2 * sp.pi * sigma**2) - ((x1 - b1 - w1 * m) ** 2 + (x2 - b2 - w2 * m) ** 2 + norm2 * s**2) / (2 * sigma**2)
    mu, tau = decomposition["posterior_mean"], sp.sqrt(decomposition["posterior_variance"])
    steps = (
        _moments_step(),
        Step(
            sp.Derivative(_ppca_log_decoder(z) + log_normal_density(z, 0, 1), z),
            sp.Derivative(log_normal_density(z, mean_z, tau2), z),
            "E step (eq. 25 over all densities): the log-joint and log N(z; βᵀ(x − b), τ²) are quadratics in z with "
            "the same z-derivative, so the posterior is that Gaussian — the maximiser, by Lemma 3.1's equality case",
            label="e-step",
            rests_on=(DEFINITION,),
        ),
        Step(
            _expect_quadratic(_ppca_log_decoder(z), m, s**2),
            expected,
            "E_q log ρ_θ(x|z) for q = N(m, s²) by the moments (the θ-dependent part of E_q log ρ_θ(x, z); the prior's "
            "and q's terms do not depend on θ)",
            label="expected-log-likelihood",
            rests_on=("gaussian-moments",),
        ),
        Step(
            gradient.subs(at_m_step),
            sp.Matrix([0, 0]),
            "M step in w: averaged over the points with m_n = βᵀ(x_n − b) and b = x̄, E_q log ρ_θ is "
            "−log 2πσ² − (tr S − 2wᵀSβ + |w|²(βᵀSβ + τ²))/(2σ²) (step 3 summed: Σ(x_n−b)m_n/N = Sβ, "
            "Σ(m_n² + τ²)/N = e = βᵀSβ + τ², written T = tr S, c = Sβ); its gradient in the new w vanishes at "
            "w' = c/e = Sβ/(βᵀSβ + τ²), a maximum (concave in w)",
            label="m-step-w",
            rests_on=("e-step", "expected-log-likelihood"),
        ),
        Step(
            sp.Derivative(averaged_q.subs(at_m_step), r).subs(r, sigma2_star),
            0,
            "M step in σ²: the derivative in the new variance V of the same average vanishes at σ'² = (tr S − w'ᵀSβ)/2 (with β and e of the "
            "E step, step 2, these are the exported updates)",
            label="m-step-sigma",
            rests_on=("m-step-w",),
        ),
        Step(
            sp.Matrix([sp.Derivative(decomposition["elbo"], v) for v in (w, b, sigma)]).subs({m: mu, s: tau}),
            sp.Matrix([sp.Derivative(decomposition["log_marginal"], v) for v in (w, b, sigma)]),
            "fixed points: at q = ρ_θ(z|x) the θ-gradient of the ELBO is that of log ρ_θ(x) (model of the "
            "decomposition, d = L = 1): an EM fixed point is a stationary point of the likelihood, where the ELBO "
            "equals log ρ_θ(x) (eq. 23) — a maximum or a saddle",
            label="fixed-point",
            rests_on=("e-step", "m-step-w", "m-step-sigma"),
        ),
    )
    return Derivation("EM on the linear-Gaussian model: E and M steps, fixed points", steps,
                      exports={**{k: forms[k] for k in ("w1_new", "w2_new", "sigma2_new", "posterior_mean", "posterior_variance")},
                               "expected_log_likelihood": expected, "kl_prior": decomposition["kl_prior"]},
                      result="fixed-point")
