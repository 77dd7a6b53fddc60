r"""Checks of review 003 §5 (EBMs and physics): maximum entropy, Boltzmann–Gibbs, free energy, KL.

All checks are deterministic (numerical): the discretised variational problems are solved by
:func:`theory.physics_maxent.maximise_entropy` (a root of the KKT system found by
``scipy.optimize.root`` from the uniform density, no exponential form assumed), expectations by
composite Gauss–Legendre; every error is a rule against its refinement
(:func:`theory.quadrature.refine`). Predictions come from the derivation's exports.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from scipy import constants
from scipy.optimize import brentq

from ebmcheck.checks.anatomy import Check, Claim, Context, NotEncoded, Source, ZTest, printed_statement_controls
from ebmcheck.derivations import physics as derivation
from ebmcheck.theory.physics_maxent import maximise_entropy, tangent_curvature
from ebmcheck.theory.quadrature import gauss_legendre, refine, refined

TOPIC = "physics"
REVIEW = "003"
HOST_ONLY = ("grid maximum-entropy problems (a KKT root with SciPy on ≤ 256 nodes) and 1-D Gauss–Legendre quadrature "
             "with NumPy, a few hundredths of a second each on a CPU")
PANELS, ORDER = 8, 8


def _number(expr, **values) -> float:
    return float(sp.sympify(expr).subs({sp.Symbol(k, **_assumptions(k)): v for k, v in values.items()}))


def _assumptions(name: str) -> dict:
    return {"real": True, "nonzero": True} if name == "lambda1" else {"positive": True}


def _numerical(name, quantity, prediction, value, error, control, label, **extra) -> Check:
    """A numerical check; ``control`` a wrong prediction (float) or an own (estimate, error) pair held against 0."""
    test = ZTest(prediction, value, error)
    own = isinstance(control, tuple)
    control_test = ZTest(0.0, control[0], control[1]) if own else ZTest(control, value, error)
    return Check(name, quantity, test, control_test, label, error_kind="quadrature", **extra)


def _refined(evaluate):
    """(value, error) of ``evaluate(panels)`` at PANELS and twice PANELS."""
    value, error = refine(lambda level: (evaluate(refined(PANELS, level)), abs(evaluate(refined(PANELS, level)))))
    return float(value), float(error)


# ---- Example 5.1 ----------------------------------------------------------------------------------------------
A_END, B_END = -0.5, 2.5


def interval_checks(context: Context) -> list[Check]:
    exports = derivation.max_entropy_interval().exports
    length = B_END - A_END
    lam0 = _number(exports["lambda0"], ell=length)
    density = _number(exports["density"], ell=length)
    curvature = _number(exports["curvature"], ell=length)
    solve = functools.lru_cache(lambda panels: maximise_entropy(A_END, B_END, panels=panels, order=ORDER))
    value, error = _refined(lambda n: solve(n).multipliers[0])
    top, top_error = _refined(lambda n: solve(n).density.max())
    low, low_error = _refined(lambda n: solve(n).density.min())
    bend, bend_error = _refined(lambda n: tangent_curvature(solve(n)))
    return [
        _numerical("multiplier λ0", r"\lambda_0", lam0, value, error, math.log(length) - 1,
                   "λ₀ = log(b − a) − 1 (the multiplier's sign flipped)"),
        _numerical("maximiser: largest value", r"\max_i \rho(x_i)", density, top, top_error, length,
                   "ρ = b − a (λ₀ = 1 + log(b − a): the wrong normaliser)"),
        _numerical("maximiser: smallest value", r"\min_i \rho(x_i)", density, low, low_error, 1 / B_END,
                   "ρ = 1/b (the normaliser of [0, b], a dropped)"),
        _numerical("second variation on the constraint's tangent space", r"\delta^2 J/\delta\pi^2", curvature, bend,
                   bend_error, -curvature, "+1/ρ (a minimum)"),
    ]


# ---- Proposition 5.1 ------------------------------------------------------------------------------------------
MEAN_ENERGY, LENGTH = 0.8, 2.0


def boltzmann_gibbs_checks(context: Context) -> list[Check]:
    exports = derivation.boltzmann_gibbs().exports
    lam1 = _number(exports["lambda1_harmonic"], Ubar=MEAN_ENERGY)
    lam0 = float(exports["lambda0_harmonic"].subs(sp.Symbol("Ubar", positive=True), MEAN_ENERGY))
    harmonic = functools.lru_cache(
        lambda panels: maximise_entropy(-10, 10, [lambda x: x**2 / 2], [MEAN_ENERGY], panels=panels, order=ORDER))
    slope, slope_error = _refined(lambda n: harmonic(n).multipliers[1])
    offset, offset_error = _refined(lambda n: harmonic(n).multipliers[0])
    log_z = 1 - lam0
    checks = [
        _numerical("harmonic U: λ1", r"\lambda_1", lam1, slope, slope_error, -lam1,
                   "λ₁ = β = 1/(2Ū) > 0 (Proposition 5.1 as printed)", evidence="corrected"),
        _numerical("harmonic U: normaliser λ0", r"\lambda_0", lam0, offset, offset_error, 1 + log_z,
                   "Z = exp(λ₀ − 1) (the normaliser inverted)", evidence="statement"),
    ]
    mean_energy = sp.lambdify(derivation.lam_nz, exports["mean_energy_linear"].subs(derivation.length, LENGTH))
    for target in (0.3 * LENGTH, 0.7 * LENGTH):
        root = brentq(lambda lam: mean_energy(lam) - target, -50, -1e-6) if target < LENGTH / 2 else \
            brentq(lambda lam: mean_energy(lam) - target, 1e-6, 50)
        linear = lambda n, t=target: maximise_entropy(0, LENGTH, [lambda x: x], [t], panels=n // 2, order=ORDER)  # noqa: E731
        value, error = _refined(lambda n: linear(n).multipliers[1])
        checks.append(_numerical(f"U = x on [0, {LENGTH:g}], Ū = {target:g}: λ1", r"\lambda_1", root, value, error, -root,
                                 "the opposite sign of λ₁", evidence="corrected"))
    return printed_statement_controls(checks, "as printed")


# ---- Lemma 5.1 ------------------------------------------------------------------------------------------------
TEMPERATURE = 0.7


def lemma_checks(context: Context) -> list[Check]:
    exports = derivation.free_energy_lemma().exports
    minimum = _number(exports["free_minimum_harmonic"], T=TEMPERATURE)
    lam1 = _number(exports["lambda1"], T=TEMPERATURE)
    energy = lambda x: x**2 / 2  # noqa: E731

    @functools.lru_cache
    def solve(panels):
        return maximise_entropy(-10, 10, penalties=[(1 / TEMPERATURE, energy)], panels=panels, order=ORDER)

    def free_energy(panels):
        s = solve(panels)
        return s.integral(energy(s.nodes)) - TEMPERATURE * s.entropy

    def slope(panels):
        s = solve(panels)
        design = np.stack([np.ones_like(s.nodes), energy(s.nodes)], axis=1)
        return np.linalg.lstsq(design, np.log(s.density), rcond=None)[0][1]

    value, error = _refined(free_energy)
    fitted, fitted_error = _refined(slope)
    log_z = -minimum / TEMPERATURE
    return [
        _numerical("min F = Ū − TH over grid densities", r"\min_\pi F[\pi]", minimum, value, error, -log_z,
                   "min F = −log Z (the temperature factor dropped)"),
        _numerical("the minimiser's λ1 = d log ρ/dU", r"\lambda_1", lam1, fitted, fitted_error, -lam1,
                   "λ₁ = +1/T (Proposition 5.1's λ₁ > 0)"),
    ]


# ---- Remark 5.1 -----------------------------------------------------------------------------------------------
BETA = 1.6


def _double_well(x):
    return x**4 / 4 - x**2 + 0.4 * x


def _trial(x, rng):
    """A two-component Gaussian mixture density with random weights, means and widths."""
    weight, means, widths = rng.uniform(0.2, 0.8), rng.uniform(-1.5, 1.5, 2), rng.uniform(0.3, 1.0, 2)
    pdf = lambda m, s: np.exp(-((x - m) ** 2) / (2 * s**2)) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    return weight * pdf(means[0], widths[0]) + (1 - weight) * pdf(means[1], widths[1])


def _remark_quantities(panels, trial_rngs):
    x, w = gauss_legendre(-6, 6, panels, ORDER)
    boltzmann = np.exp(-BETA * _double_well(x))
    z = np.sum(w * boltzmann)
    rho = boltzmann / z
    energy = np.sum(w * rho * _double_well(x))
    entropy = -np.sum(w * rho * np.log(rho))
    out = {"log_z": math.log(z), "energy": energy, "entropy": entropy}
    for k, rng in enumerate(trial_rngs):
        trial = _trial(x, np.random.default_rng(rng))
        trial = trial / np.sum(w * trial)  # normalised on the grid: the mixture's tails beyond ±6 are cut
        free_trial = np.sum(w * trial * _double_well(x)) + np.sum(w * trial * np.log(trial)) / BETA
        out[f"gap{k}"] = free_trial - (energy - entropy / BETA)
        out[f"kl{k}"] = np.sum(w * trial * np.log(trial / rho))
        out[f"reverse{k}"] = np.sum(w * rho * np.log(rho / trial))
    return out


def remark_checks(context: Context) -> list[Check]:
    exports = derivation.free_energy_kl().exports
    seeds = [int(context.rng(f"trial {k}").integers(2**31)) for k in range(2)]
    levels = [_remark_quantities(refined(PANELS * 4, level), seeds) for level in (0, 1)]

    def pair(fn):
        value, error = refine(lambda level: (fn(levels[level]), abs(fn(levels[level]))))
        return float(value), float(error)

    temperature = 1 / BETA
    eq107, eq107_error = pair(lambda q: q["log_z"] + BETA * q["energy"] - q["entropy"])
    no_beta, no_beta_error = pair(lambda q: q["log_z"] + q["energy"] - q["entropy"])
    free, free_error = pair(lambda q: q["energy"] - temperature * q["entropy"])
    log_z = levels[1]["log_z"]
    predicted_free = float(exports["free_energy_eq"].subs({derivation.z_val: math.exp(log_z), derivation.beta: BETA}))
    checks = [
        _numerical("eq. 107", r"\log Z + \beta\bar U - H(\rho)", 0.0, eq107, eq107_error, (no_beta, no_beta_error),
                   "log Z + Ū − H (β not restored)", evidence="statement"),
        _numerical("F[ρ] = Ū − TH at equilibrium", r"F[\rho_\theta]", predicted_free, free, free_error, -log_z,
                   "F_θ = −log Z_θ (the identification as printed)"),
    ]
    for k, (label, control) in enumerate((("T·KL without T: KL(π‖ρ)", lambda q: q["kl0"]),
                                          ("T·KL(ρ‖π) (the KL reversed)", lambda q: temperature * q["reverse1"]))):
        gap, gap_error = pair(lambda q, k=k: q[f"gap{k}"])
        kl, _ = pair(lambda q, k=k: temperature * q[f"kl{k}"])
        wrong, _ = pair(control)
        checks.append(_numerical(f"trial density {k + 1}: F[π] − F[ρ]", r"F[\pi] - F[\rho_\theta]", kl, gap, gap_error,
                                 wrong, label))
    return printed_statement_controls(checks, "as printed")


# ---- k_B ------------------------------------------------------------------------------------------------------
def boltzmann_constant_checks(context: Context) -> list[Check]:
    exports = derivation.boltzmann_constant().exports
    k_b, printed = float(exports["k_B"]), float(exports["printed"])

    def planck_integral(level):
        x, w = gauss_legendre(0.0, 60.0, refined(16, level), 16)
        values = x**3 / np.expm1(x)
        return float(np.sum(w * values)), float(np.sum(w * np.abs(values)))

    integral, integral_error = refine(planck_integral)
    sigma, h, c = constants.Stefan_Boltzmann, constants.h, constants.c
    estimate = (sigma * h**3 * c**2 / (2 * math.pi * integral)) ** 0.25
    # σ is tabulated to 10 significant digits: relative error ≤ 5e-10, a quarter of it in k
    error = estimate * (0.25 * integral_error / integral + 0.25 * 5e-10)
    checks = [_numerical("k_B from Stefan–Boltzmann and Planck's integral", r"k_B", k_b, estimate, error, printed,
                         "k_B = 1.23e-28 J/K as printed", details={"planck_integral": integral})]
    return printed_statement_controls(checks, "as printed")


# ---- the claims -----------------------------------------------------------------------------------------------
EX51 = (r"\rho = \arg\max_{\pi,\ I_0[\pi]=1,\ \pi>0} H(\pi),\ J(\pi) = H(\pi) + \lambda_0\Big(\int_a^b \pi - 1\Big),\ "
        r"\frac{\delta J}{\delta\pi} = -\log\pi - 1 + \lambda_0 = 0,\ \lambda_0 = 1 - \log(b-a),\ \rho(x) = 1/(b-a),\ "
        r"\frac{\delta^2 J}{\delta\pi^2}\Big|_{\pi=\rho} = -\frac{1}{\rho(x)} < 0")
PROP51 = (r"\rho_{BG} = e^{\lambda_1 U(x)}/Z,\ \lambda_1 > 0,\ \text{is the unique solution of eq. 97 under } "
          r"I_0[\pi] = 1,\ I_1[\pi] = \int U\pi = \bar U;\ \frac{\delta J}{\delta\pi} = -\log\pi - 1 + \lambda_0 + "
          r"\lambda_1 U = 0,\ Z^{-1} = \exp(\lambda_0 - 1);\ \text{identification of } \lambda_1 \text{ with } \beta = 1/k_BT")
LEMMA51 = (r"\text{Max-ent is equivalent to constrained minimization of } \bar U = \int U\pi \text{ and of } "
           r"F = \bar{U} TH(\pi);\ \lambda'_1 = -1/\lambda_1,\ \lambda'_0 = -\lambda_0/\lambda_1 \text{ (eq. 106)};\ "
           r"\partial F/\partial S = -T \Rightarrow \lambda_1 = -1/T")
REMARK51 = (r"\log Z_\theta + \beta\int U_\theta\rho_\theta - H(\rho_\theta) = 0\ (107);\ F_\theta = -\log Z_\theta;\ "
            r"\log Z_\theta + \min_\pi[\beta\int U_\theta\pi - H(\pi)] = 0\ (108);\ F[\rho_\theta] = -\log Z_\theta")
KB = r"k_B = 1.23 \times 10^{-28}\,\mathrm{J\cdot K^{-1}}"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="physics-max-entropy-interval", title="Maximum entropy on an interval is the uniform law (Example 5.1)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§5, Example 5.1, eqs. 98–101", EX51),),
        expected_verdict="verified", derivation=derivation.max_entropy_interval, checks=interval_checks,
        summary="Pointwise stationarity gives e^{λ₀−1}, λ₀ = 1 − log(b − a), ρ = 1/(b − a), second variation −1/ρ. On "
        "[−0.5, 2.5] the grid problem solved numerically (KKT root from scipy.optimize) returns λ₀ = 1 − log 3 and the "
        "uniform density to rounding, and its Hessian on the constraint's tangent space is −3 = −1/ρ; the sign-flipped "
        "multiplier, the wrong normalisers and a minimum are rejected.",
    ),
    Claim(
        id="physics-boltzmann-gibbs-sign",
        title="Boltzmann–Gibbs from maximum entropy: ρ = e^{λ₁U}/Z with λ₁ > 0 (Proposition 5.1)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§5, Proposition 5.1, eqs. 102–104 and the identification λ₁ = β", PROP51),),
        expected_verdict="refuted", typo=True,
        corrected=(r"\rho_{BG} = e^{\lambda_1 U}/Z \text{ with } \lambda_1 = -\beta < 0 \text{ on } \mathbb{R}^d "
                   r"\text{ under Assumption 2.1 (}\rho_{BG} = e^{-\beta U}/Z\text{); on a bounded } \Omega\ "
                   r"\operatorname{sign}\lambda_1 = \operatorname{sign}(\bar U - \bar U_{\rm uniform})"),
        derivation=derivation.boltzmann_gibbs, checks=boltzmann_gibbs_checks,
        summary="Stationarity gives exp(λ₀ + λ₁U − 1) and Z⁻¹ = exp(λ₀ − 1) as printed, but under Assumption 2.1 "
        "e^{λ₁U} is not integrable for λ₁ > 0: for U = x²/2 the energy constraint gives λ₁ = −1/(2Ū) = −β. The grid "
        "problem solved numerically returns λ₁ = −0.625 at Ū = 0.8 (printed λ₁ = β > 0 rejected) and λ₀ = 1 − log Z; "
        "for U = x on [0, 2] λ₁ has the sign of Ū − 1 (both signs occur). The sign slip is consistent with Lemma 5.1's "
        "own λ₁ = −1/T.",
    ),
    Claim(
        id="physics-free-energy-lemma",
        title="Maximum entropy ⇔ constrained minimisation of energy and of free energy (Lemma 5.1)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§5, Lemma 5.1 and its proof, eqs. 105–106", LEMMA51),),
        expected_verdict="verified-with-conditions",
        conditions=("F read as Ū − TH(π) (the minus is missing in the lemma's statement; the remark prints it), T > 0",
                    "the proof's λ₁' = −1/λ₁, λ₀' = −λ₀/λ₁ must be λ₁' = 1/λ₁, λ₀' = λ₀/λ₁ for eq. 106 to follow from "
                    "eq. 105 (derivation step 2 shows the printed ones flip U's sign); λ₁ = −1/T < 0 as the proof says"),
        derivation=derivation.free_energy_lemma, checks=lemma_checks,
        summary="Minimising F = Ū − TH numerically over grid densities (harmonic U, T = 0.7) gives −T log √(2πT) and "
        "a minimiser with d log ρ/dU = −1/T, the maximum-entropy density with λ₁ = −1/T (not +1/T, not −log Z). The "
        "proof's rescaling of the multipliers has a sign error (eq. 106 needs λ₁' = 1/λ₁).",
    ),
    Claim(
        id="physics-free-energy-kl",
        title="Free energy at equilibrium, F_θ = −log Z_θ, and the Gibbs variational principle (Remark 5.1)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§5, Remark 5.1, eqs. 107–108", REMARK51),),
        expected_verdict="refuted",
        corrected=(r"\beta F_\theta = -\log Z_\theta,\ F_\theta = \bar U - TH(\rho_\theta) = -T\log Z_\theta,\ "
                   r"F[\pi] - F[\rho_\theta] = T\,\mathrm{KL}(\pi\|\rho_\theta) \ge 0"),
        derivation=derivation.free_energy_kl, checks=remark_checks,
        summary="Eq. 107 (with β) and eq. 108 hold: by quadrature on an asymmetric double well at β = 1.6, "
        "log Z + βŪ − H = 0 to rounding. But with β restored the identification F_θ = −log Z_θ is wrong by the factor "
        "T: Ū − TH = −T log Z (βF = −log Z); F = −log Z only at T = 1. Out of equilibrium F[π] − F[ρ] = T·KL(π‖ρ) "
        "on random trial mixtures (KL without T and the reversed KL rejected).",
    ),
    Claim(
        id="physics-boltzmann-constant", title="The value of Boltzmann's constant (§5, after Proposition 5.1)",
        topic=TOPIC, host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§5, after Proposition 5.1", KB),),
        expected_verdict="refuted", typo=True,
        corrected=r"k_B = R/N_A = 1.380649 \times 10^{-23}\,\mathrm{J\cdot K^{-1}}",
        derivation=derivation.boltzmann_constant, checks=boltzmann_constant_checks,
        summary="k_B = R/N_A = 1.380649e-23 J/K; recovered independently from the Stefan–Boltzmann constant and Planck's "
        "integral ∫x³/(e^x − 1) = π⁴/15 (quadrature) to 10 digits. The printed 1.23e-28 is 1.1·10⁵ times too small.",
    ),
)

NOT_ENCODED: tuple[NotEncoded, ...] = (
    NotEncoded(Source(REVIEW, "§5, Assumption 5.1, eqs. 96–97",
                      r"I_k[\pi] := \int_\Omega F_k(x)\pi(x)dx \le_k \Lambda_k,\ k = 1..d;\ "
                      r"\rho = \arg\max_{\pi,\ I_k[\pi]\le_k\Lambda_k} H(\pi)"),
               "a definition (the principle of maximum entropy); its solutions are physics-max-entropy-interval and "
               "physics-boltzmann-gibbs-sign. The number of constraints tied to the dimension d (F: Ω → ℝ^d) is a "
               "notational restriction with nothing to check"),
    NotEncoded(Source(REVIEW, "§5, introduction and coin example",
                      r"x \in \{-1,1\}^N \text{ ... we expect the average of the state vector to be 0}"),
               "a qualitative motivation (fair coins have mean 0 by symmetry); no statement beyond that"),
    NotEncoded(Source(REVIEW, "§5, after Assumption 5.1",
                      r"\text{the entropy can be characterized in an axiomatic way (Aczél et al. 1974)}"),
               "a historical reference to the axiomatic characterisation of entropy"),
    NotEncoded(Source(REVIEW, "§5, after Remark 5.1 (physical significance)",
                      r"\text{the average energy } \bar U \text{ ... must remain constant, with fluctuations suppressed as "
                      r"the number of components increases ... sampling is the process of relaxation}"),
               "qualitative physics (concentration of the energy per component, relaxation); the review states no "
               "quantitative form to test"),
    NotEncoded(Source(REVIEW, "§5, last paragraphs", r"Z = e^{-F}\ \text{... Jarzynski identity ...}"),
               "Z = e^{−F} is the T = 1 form of βF = −log Z, covered by physics-free-energy-kl; the rest is a "
               "historical survey (chemistry, autoencoders, lattice field theory, Jarzynski)"),
)
