r"""Noise-contrastive estimation basics (seed 000, "Noise Contrastive Estimation").

Data density :math:`p_d`, noise density :math:`p_n`, discriminator :math:`D(x) \in (0, 1)`;
the population objective (seed 000) is
:math:`\mathcal L(D) = \mathbb{E}_{p_d}[\log D] + \mathbb{E}_{p_n}[\log(1 - D)] = \int p_d\log D + p_n\log(1-D)`,
maximized pointwise. The model discriminator is
:math:`D_{\theta,Z} = \sigma(h)`, :math:`h = f_\theta - \log p_n - \log Z` (:math:`f_\theta = \log f`).
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x = sp.Symbol("x", real=True)
p_d, p_n, p_theta = (sp.Symbol(n, positive=True) for n in ("p_d", "p_n", "p_theta"))
D = sp.Symbol("D", positive=True)

NOISE_POSITIVE = Assumption(
    "noise-positive", r"p_n(x) > 0 \text{ wherever } p_d(x) > 0",
    "the noise covers the data's support; where p_n = 0 the discriminator is 1 whatever the model, and the model is "
    "not determined there",
)
REALIZABLE = Assumption(
    "realizable", r"p_d = e^{f_{\theta_*}}/Z(\theta_*) \text{ for some } \theta_*",
    "the data density belongs to the model family (well-specified model)",
)


def optimal_discriminator() -> Derivation:
    r""":math:`D^* = p_d/(p_d + p_n)` maximizes :math:`p_d\log D + p_n\log(1-D)` at every x."""
    pointwise = p_d * sp.log(D) + p_n * sp.log(1 - D)
    optimum = p_d / (p_d + p_n)
    m1, m2 = sp.Symbol("m_d", real=True), sp.Symbol("m_n", real=True)
    s1, s2 = sp.Symbol("s_d", positive=True), sp.Symbol("s_n", positive=True)
    log_gauss = lambda m, s: -((x - m) ** 2) / (2 * s**2) - sp.log(s * sp.sqrt(2 * sp.pi))  # noqa: E731
    log_ratio = sp.expand(log_gauss(m1, s1) - log_gauss(m2, s2))
    coefficients = sp.Poly(log_ratio, x).all_coeffs()[::-1]  # (const, x, x²)
    steps = (
        Step(sp.Subs(sp.Derivative(pointwise, D), D, optimum), 0,
             "the pointwise objective p_d log D + p_n log(1 − D) (seed 000) is stationary at D* = p_d/(p_d + p_n)",
             label="stationary", rests_on=(DEFINITION,)),
        Step(sp.Subs(sp.Derivative(pointwise, (D, 2)), D, optimum), -(p_d + p_n) ** 3 / (p_d * p_n),
             "second derivative −(p_d+p_n)³/(p_d p_n) < 0: a strict maximum (the objective is concave in D)", (NOISE_POSITIVE,),
             label="maximum", rests_on=(DEFINITION,)),
        Step(sp.log(optimum / (1 - optimum)), sp.log(p_d) - sp.log(p_n), "the optimal logit is log p_d − log p_n",
             label="logit", rests_on=("stationary", "maximum")),
        Step(log_gauss(m1, s1) - log_gauss(m2, s2), coefficients[0] + coefficients[1] * x + coefficients[2] * x**2,
             "for Gaussian data N(m_d, s_d²) and noise N(m_n, s_n²) the optimal logit is quadratic in x",
             label="gaussian-logit", rests_on=("logit", DEFINITION)),
    )
    return Derivation(
        "Optimal NCE discriminator",
        steps,
        exports={"logit_coefficients": tuple(coefficients), "data_coefficients": tuple(sp.Poly(sp.expand(log_gauss(m1, s1)), x).all_coeffs()[::-1]),
                 "symbols": (m1, s1, m2, s2)},
    )


def identifiability() -> Derivation:
    r""":math:`D_\theta = D^*` iff :math:`p_\theta = p_d` (:math:`p_n > 0`), and the excess loss is a divergence."""
    d_theta, d_star = p_theta / (p_theta + p_n), p_d / (p_d + p_n)
    excess = p_d * sp.log(d_star) + p_n * sp.log(1 - d_star) - p_d * sp.log(D) - p_n * sp.log(1 - D)
    kl = (p_d + p_n) * (d_star * sp.log(d_star / D) + (1 - d_star) * sp.log((1 - d_star) / (1 - D)))
    steps = (
        # both sides with their logarithms expanded: D is only declared positive, and D > 1 (a random check point)
        # would put log(1 − D) on a branch cut
        Step(sp.expand_log(excess, force=True), sp.expand_log(kl, force=True),
             "the excess population loss at x (seed 000's objective at D* minus at D) is (p_d + p_n)·KL(Bern(D*) ‖ Bern(D)) "
             "≥ 0, zero iff D = D*", label="excess", rests_on=(DEFINITION,)),
        Step((d_theta - d_star) * (p_theta + p_n) * (p_d + p_n), p_n * (p_theta - p_d),
             "cross-multiplying D_θ = D* leaves p_θ p_n = p_d p_n (seed 000's steps)", label="cross", rests_on=(DEFINITION,)),
        Step(d_theta - d_star, p_n * (p_theta - p_d) / ((p_theta + p_n) * (p_d + p_n)),
             "divide by the positive (p_θ + p_n)(p_d + p_n): with p_n > 0, D_θ = D* ⇔ p_θ = p_d, so the excess loss "
             "(step 1) vanishes exactly at p_θ = p_d", (NOISE_POSITIVE,), label="identifiable", rests_on=("cross", "excess")),
    )
    return Derivation("NCE identifiability", steps, exports={"pointwise_excess": kl})


def learned_normalizer() -> Derivation:
    r"""With :math:`c = -\log Z` trainable, the population optimum is :math:`\theta_*` and :math:`Z = Z(\theta_*)`."""
    f_star = sp.Symbol("f_star", positive=True)  # e^{f_θ*}(x) at a point
    z_star, z = sp.Symbol("Z_star", positive=True), sp.Symbol("Z", positive=True)
    d_model = (f_star / z) / (f_star / z + p_n)
    h = sp.log(f_star) - sp.log(p_n) - sp.log(z)
    c = sp.Symbol("c", real=True)  # the trainable c = −log Z
    d_of_c = 1 / (1 + sp.exp(-(h.xreplace({z: 1}) + c)))
    gradient = (p_d * z - f_star) * p_n / (f_star + p_n * z)
    steps = (
        Step(1 / (1 + sp.exp(-h)), d_model, "σ(h) with h = f_θ − log p_n − log Z is seed 000's D_{θ,Z}",
             label="discriminator", rests_on=(DEFINITION,)),
        Step(sp.Subs(sp.Derivative(p_d * sp.log(d_of_c) + p_n * sp.log(1 - d_of_c), c), c, -sp.log(z)), gradient,
             "∂_c of the population objective at x, p_d(1 − D) − p_n D at c = −log Z: zero for all x iff e^{f_θ}/Z = p_d",
             label="c-gradient", rests_on=("discriminator",)),
        Step(sp.Subs(gradient, (f_star, z), (p_d * z_star, z_star)), 0,
             "realizable p_d = e^{f_θ*}/Z(θ*): (θ*, Z(θ*)) zeroes it, and by identifiability it is the only optimum",
             (REALIZABLE, NOISE_POSITIVE), label="optimum", rests_on=("c-gradient",)),
    )
    return Derivation("NCE with a learned normalizer", steps, exports={"c_star": -sp.log(z_star)})
