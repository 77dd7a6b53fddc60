r"""Review 003 §5: maximum entropy, the Boltzmann–Gibbs ensemble, free energy and KL.

The variational problems are solved pointwise: the Lagrangian's integrand
:math:`\ell(p) = -p\log p + \lambda_0 p + \lambda_1 U p` is differentiated in the value
:math:`p = \pi(x)` (the first variation of an integral functional is the derivative of its
integrand), the stationary point is substituted back, and the multipliers are fixed by the
constraints on concrete energies: the interval of Example 5.1, the harmonic energy
:math:`U = x^2/2` on ℝ (Assumption 2.1 holds) and :math:`U = x` on :math:`[0, L]`.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x = sp.Symbol("x", real=True)
p = sp.Symbol("p", positive=True)  # the value π(x) of the density at a point
lam0, lam1, mu = sp.symbols("lambda0 lambda1 mu", real=True)
lam_nz = sp.Symbol("lambda1", real=True, nonzero=True)  # λ₁ ≠ 0 for U = x on [0, L] (λ₁ = 0 is the uniform law)
u_val, z_val, q_val = sp.Symbol("U_x", real=True), sp.Symbol("Z", positive=True), sp.Symbol("pi_x", positive=True)
ell, beta, temperature, length, radius, c = sp.symbols("ell beta T L R c", positive=True)
u_bar = sp.Symbol("Ubar", positive=True)
U = sp.Function("U", real=True)

INTERVAL = Assumption("interval", r"\Omega = [a, b],\ \ell = b - a > 0", "a bounded interval of length ℓ = b − a > 0")
CONFINING = Assumption(
    "assumption-2-1", r"x\cdot\nabla U \ge a|x|^2 \text{ outside a compact set}",
    "Assumption 2.1 (2): U grows at least quadratically, as the harmonic U = x²/2 does; e^{λ₁U} is then integrable "
    "only for λ₁ < 0",
)
POSITIVE_TEMPERATURE = Assumption("positive-temperature", r"T > 0", "the thermodynamic temperature is positive, β = 1/T")


def _entropy_density(value):
    return -value * sp.log(value)


def max_entropy_interval() -> Derivation:
    r"""Example 5.1: the stationary point of :math:`J = H + \lambda_0(\int_a^b\pi - 1)` is
    :math:`e^{\lambda_0 - 1}`, :math:`\lambda_0 = 1 - \log(b-a)`, :math:`\rho = 1/(b-a)`, second
    variation :math:`-1/\rho`."""
    lagrangian = _entropy_density(p) + lam0 * p
    stationarity = -sp.log(p) - 1 + lam0
    multiplier = 1 - sp.log(ell)
    a = sp.Symbol("a", real=True)
    steps = (
        Step(sp.Derivative(lagrangian, p), stationarity,
             "eq. 100: the first variation of J is the derivative of its integrand −π log π + λ₀π in the value π(x)",
             label="stationarity", rests_on=(DEFINITION,)),
        Step(sp.Subs(stationarity, p, sp.exp(lam0 - 1)), 0, "ρ(x, λ₀) = exp(λ₀ − 1) solves eq. 100",
             label="root", rests_on=("stationarity",)),
        Step(sp.Subs(sp.Integral(sp.exp(lam0 - 1), (x, a, a + ell)), lam0, multiplier), 1,
             "the constraint I₀[ρ] = 1 on [a, b] with b − a = ℓ fixes λ₀ = 1 − log(b − a)", (INTERVAL,),
             label="normalised", rests_on=("root",)),
        Step(sp.Subs(sp.exp(lam0 - 1), lam0, multiplier), 1 / ell, "hence ρ(x) = 1/(b − a)",
             label="uniform", rests_on=("normalised",)),
        Step(sp.Subs(sp.Derivative(lagrangian, (p, 2)), p, 1 / ell), -ell,
             "eq. 101: the second variation at ρ is −1/ρ(x) = −(b − a) < 0, a maximum",
             label="second-variation", rests_on=("uniform",)),
    )
    return Derivation("Maximum entropy on an interval (Example 5.1)", steps,
                      exports={"lambda0": multiplier, "density": 1 / ell, "curvature": -ell}, result="uniform")


def boltzmann_gibbs() -> Derivation:
    r"""Proposition 5.1: the stationary point is :math:`\exp(\lambda_0 + \lambda_1 U - 1)`; for the
    harmonic U on ℝ it is normalisable only for :math:`\lambda_1 < 0`, and the energy constraint gives
    :math:`\lambda_1 = -1/(2\bar U) = -\beta`, :math:`Z = \sqrt{2\pi/\beta}`, :math:`\lambda_0 = 1 - \log Z`;
    for :math:`U = x` on :math:`[0, L]` the mean energy :math:`\bar U(\lambda_1)` is exported (its
    root gives λ₁, of the sign of :math:`\bar U - L/2`)."""
    energy = U(x)
    lagrangian = _entropy_density(p) + lam0 * p + lam1 * energy * p
    stationarity = -sp.log(p) - 1 + lam0 + lam1 * energy
    harmonic = x**2 / 2
    gaussian = sp.exp(-beta * harmonic)
    normaliser = sp.sqrt(2 * sp.pi / beta)
    mean_energy_linear = length * sp.exp(lam_nz * length) / (sp.exp(lam_nz * length) - 1) - 1 / lam_nz
    steps = (
        Step(sp.Derivative(lagrangian, p), stationarity,
             "eq. 104: derivative of the integrand of J (eq. 103) in the value π(x)", label="stationarity",
             rests_on=(DEFINITION,)),
        Step(sp.Subs(stationarity, p, sp.exp(lam0 + lam1 * energy - 1)), 0,
             "ρ(x) = exp(λ₀ + λ₁U(x) − 1) solves eq. 104", label="root", rests_on=("stationarity",)),
        Step(sp.Derivative(sp.Integral(sp.exp(c * harmonic), (x, -radius, radius)), radius), 2 * sp.exp(c * radius**2 / 2),
             "λ₁ = c > 0 with the harmonic U (Assumption 2.1): d/dR ∫_{−R}^{R} e^{cx²/2} dx = 2e^{cR²/2} ≥ 2, so the "
             "normaliser is ≥ 2R → ∞: no density e^{λ₁U}/Z with λ₁ > 0 exists (Proposition 5.1's 'λ₁ > 0')",
             (CONFINING,), erratum="Proposition 5.1", label="positive-diverges", rests_on=("root",)),
        Step(sp.Integral(gaussian, (x, -sp.oo, sp.oo)), normaliser,
             "λ₁ = −β < 0: the normaliser Z = ∫e^{−βx²/2} dx = √(2π/β), so Z⁻¹ = exp(λ₀ − 1) gives λ₀ = 1 − log Z",
             (CONFINING,), label="normaliser", rests_on=("root",)),
        Step(sp.Integral(harmonic * gaussian, (x, -sp.oo, sp.oo)) / sp.Integral(gaussian, (x, -sp.oo, sp.oo)),
             1 / (2 * beta), "the constraint I₁[ρ] = Ū: Ū = 1/(2β), so λ₁ = −β = −1/(2Ū) < 0",
             label="energy-constraint", rests_on=("root", "normaliser")),
        Step(sp.Integral(x * sp.exp(lam_nz * x), (x, 0, length)) / sp.Integral(sp.exp(lam_nz * x), (x, 0, length)),
             mean_energy_linear, "U = x on [0, L] (not Assumption 2.1): Ū(λ₁), increasing from 0 to L through L/2 at "
             "λ₁ = 0 — λ₁ > 0 exactly when Ū > L/2", label="linear-energy", rests_on=("root",)),
    )
    lam_harmonic = -1 / (2 * u_bar)
    return Derivation(
        "Boltzmann–Gibbs from maximum entropy (Proposition 5.1)", steps,
        exports={"lambda1_harmonic": lam_harmonic, "lambda0_harmonic": 1 - sp.log(normaliser.subs(beta, -lam_harmonic)),
                 "mean_energy_linear": mean_energy_linear},
        result="energy-constraint",
    )


def free_energy_lemma() -> Derivation:
    r"""Lemma 5.1: eq. 106 is eq. 105 divided by :math:`-\lambda_1` (:math:`\lambda_1' = -1/\lambda_1`,
    :math:`\lambda_0' = -\lambda_0/\lambda_1`); the stationary point of :math:`F = \bar U - TH` under
    normalisation is :math:`e^{-U/T}/Z`, i.e. the maximum-entropy density with :math:`\lambda_1 = -1/T`,
    and :math:`\min F = -T\log Z` (harmonic: :math:`Z = \sqrt{2\pi T}`)."""
    energy = U(x)
    max_ent = -sp.log(p) - 1 + lam0 + lam1 * energy
    prime1, prime0 = 1 / lam1, lam0 / lam1  # the printed λ₁' = −1/λ₁, λ₀' = −λ₀/λ₁ flip the sign of U
    free_integrand = energy * p - temperature * _entropy_density(p) + mu * p
    free_stationarity = energy + temperature * (sp.log(p) + 1) + mu
    harmonic = x**2 / 2
    boltzmann = sp.exp(-harmonic / temperature)
    z = sp.Integral(boltzmann, (x, -sp.oo, sp.oo))
    steps = (
        Step(prime1 * (-sp.log(p) - 1) + prime0 + energy, sp.Mul(1 / lam1, max_ent, evaluate=False),
             "eq. 106 = eq. 105 × (1/λ₁) with λ₁' = 1/λ₁, λ₀' = λ₀/λ₁: the same stationary points", label="rescaled",
             rests_on=(DEFINITION,)),
        Step(-1 / lam1 * (-sp.log(p) - 1) - lam0 / lam1 + energy, sp.Mul(-1 / lam1, max_ent, evaluate=False),
             "the proof's λ₁' = −1/λ₁, λ₀' = −λ₀/λ₁ do not turn eq. 105 into eq. 106 (the term U would need the "
             "opposite sign): with them eq. 106 gives ρ ∝ e^{−λ₁U}, not eq. 104's e^{+λ₁U}", relation="≠",
             erratum="Lemma 5.1, proof", label="printed-rescaling", rests_on=(DEFINITION,)),
        Step(sp.Derivative(free_integrand, p), free_stationarity,
             "stationarity of F = Ū − TH(π) + μ(∫π − 1): derivative of its integrand in π(x)",
             (POSITIVE_TEMPERATURE,), label="free-stationarity", rests_on=(DEFINITION,)),
        Step(sp.Subs(free_stationarity, p, sp.exp(-energy / temperature - 1 - mu / temperature)), 0,
             "its root is e^{−U/T}/Z: eq. 104's ρ with λ₁ = −1/T (as the proof says), and eq. 106 with λ₁' = 1/λ₁ = −T "
             "is F's stationarity",
             label="free-root", rests_on=("free-stationarity", "rescaled")),
        Step(sp.Integral((harmonic + temperature * (-harmonic / temperature - sp.log(z))) * boltzmann / z,
                         (x, -sp.oo, sp.oo)),
             -temperature * sp.log(sp.sqrt(2 * sp.pi * temperature)),
             "F at the minimiser ρ = e^{−U/T}/Z (harmonic U): ∫ρ(U + T log ρ) = −T log Z, Z = √(2πT)",
             label="free-minimum", rests_on=("free-root",)),
    )
    return Derivation("Maximum entropy and free-energy minimisation (Lemma 5.1)", steps,
                      exports={"free_minimum_harmonic": -temperature * sp.log(sp.sqrt(2 * sp.pi * temperature)),
                               "lambda1": -1 / temperature},
                      result="free-minimum")


def free_energy_kl() -> Derivation:
    r"""Remark 5.1: for :math:`\rho = e^{-\beta U}/Z`, :math:`-\log\rho = \beta U + \log Z`, so eq. 107
    :math:`\log Z + \beta\bar U - H(\rho) = 0`; with :math:`F[\pi] = \bar U[\pi] - TH(\pi)`,
    :math:`F[\pi] - (-T\log Z) = T\,\mathrm{KL}(\pi\|\rho) \ge 0` — so :math:`F[\rho] = -T\log Z`
    (:math:`\beta F = -\log Z`), not :math:`-\log Z` unless T = 1."""
    rho = sp.exp(-beta * u_val) / z_val
    trial = q_val
    steps = (
        Step(-sp.log(rho), beta * u_val + sp.log(z_val),
             "−log ρ_θ = βU_θ + log Z_θ at each x (ρ_θ = e^{−βU_θ}/Z_θ, eq. 5 with β; U_x = U_θ(x))",
             label="log-density", rests_on=(DEFINITION,)),
        Step(sp.log(z_val) * rho + beta * u_val * rho + rho * sp.log(rho), 0,
             "eq. 107's integrand: ρ log Z + βUρ + ρ log ρ = 0 at each x by step 1; integrated with ∫ρ = 1, "
             "log Z + β∫Uρ − H(ρ) = 0", label="eq-107", rests_on=("log-density",)),
        Step(trial * u_val + (1 / beta) * trial * sp.log(trial) + (1 / beta) * sp.log(z_val) * trial,
             (1 / beta) * trial * sp.log(trial / rho),
             "F[π] + T log Z = ∫π(U + T log π) + T log Z = T ∫π log(π/ρ) = T·KL(π‖ρ) ≥ 0 (T = 1/β, ∫π = 1): the "
             "minimum of F is −T log Z, attained at π = ρ (eq. 108); F = −log Z only at T = 1",
             erratum="Remark 5.1", label="free-kl", rests_on=("log-density",)),
    )
    return Derivation("Free energy and KL (Remark 5.1)", steps,
                      exports={"free_energy_eq": -sp.log(z_val) / beta}, result="free-kl")


GAS_CONSTANT = sp.Rational("8.314462618")  # J mol⁻¹ K⁻¹, CODATA 2018 (10 digits)
AVOGADRO = sp.Rational("6.02214076e23")  # mol⁻¹, exact (SI 2019)
PRINTED_BOLTZMANN = sp.Rational("1.23e-28")


def boltzmann_constant() -> Derivation:
    r""":math:`k_B = R/N_A` (the ideal-gas law :math:`pV = nRT = NkT`), :math:`\approx 1.380649\times10^{-23}`
    J/K; the printed :math:`1.23\times10^{-28}` is 1.1·10⁵ times too small."""
    derived = GAS_CONSTANT / AVOGADRO
    steps = (
        Step(sp.Mul(GAS_CONSTANT, 1 / AVOGADRO, evaluate=False), derived,
             "k_B = R/N_A from pV = nRT = N k_B T with R = 8.314462618 J/(mol K), N_A = 6.02214076e23 /mol",
             label="gas-law", rests_on=(DEFINITION,)),
        Step(PRINTED_BOLTZMANN, derived, "the printed k_B = 1.23e-28 J/K is not R/N_A", relation="≠",
             erratum="§5, after Proposition 5.1", label="printed", rests_on=("gas-law",)),
    )
    return Derivation("Boltzmann's constant", steps, exports={"k_B": derived, "printed": PRINTED_BOLTZMANN},
                      result="printed")
