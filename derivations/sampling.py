r"""Sampling (review, seed 003, §4): Metropolis–Hastings (Definition 4.2, Proposition 4.1,
eqs. 77–81), Langevin dynamics under Assumption 2.1 (Proposition 4.2, eqs. 82–83), the
ergodicity of ULA (the sentence after Definition 4.3) and MALA's acceptance as h → 0
(Definition 4.4).

**Reading of "arg min".** Eqs. 77 and 81 print :math:`\arg\min\{1, r\}`. The braces hold a *set*
of two numbers and no function is minimised, so the only meaning the expression has is
:math:`\arg\min_{v\in\{1,r\}} v`, the element of the set at which the identity is smallest, i.e.
the smaller number :math:`\min\{1,r\}`; the proof's last line (eq. 81,
:math:`\rho g\,\arg\min\{1,r\} = \arg\min\{\rho g, \rho' g'\}`) holds with this reading and with no
other (an *index* of the smaller element, 1 or 2, is not homogeneous). A notational slip, not a
change of the result; the checks hold the index reading (A ≥ 1: every move accepted) as a
control. Here :math:`\min\{a,b\} = (a+b-|a-b|)/2`, which SymPy decides quickly.

Flux notation: :math:`F_{xy} = \rho(x)g(y|x)` (``forward``), :math:`F_{yx} = \rho(y)g(x|y)`
(``reverse``); eq. 77's acceptance of the move x → y is :math:`A(y,x) = \min\{1, F_{yx}/F_{xy}\}`.
"""

from __future__ import annotations

import sympy as sp

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

rho_x, rho_y = sp.symbols("rho_x rho_y", positive=True)  # ρ_BG(x), ρ_BG(y)
g_yx, g_xy = sp.symbols("g_yx g_xy", positive=True)  # g(y|x), g(x|y)
reverse, forward = sp.symbols("F_yx F_xy", positive=True)  # ρ(y)g(x|y), ρ(x)g(y|x)
x = sp.Symbol("x", real=True)
xi = sp.Symbol("xi", real=True)
s = sp.Symbol("s", positive=True)  # √h
h = sp.Symbol("h", positive=True)


def smaller(a, b):
    """:math:`\\min\\{a, b\\} = (a + b - |a - b|)/2` (eq. 77's "arg min" of the two numbers)."""
    return (a + b - sp.Abs(a - b)) / 2


def acceptance(rev, fwd):
    """Eq. 77 read as min: :math:`\\min\\{1, F_{yx}/F_{xy}\\}`."""
    return smaller(1, rev / fwd)


PROPOSAL_POSITIVE = Assumption(
    "proposal-positive", r"g(y|x) > 0,\ g(x|y) > 0,\ \rho_{BG} > 0",
    "the move x → y and its reverse can both be proposed and both states have positive target mass "
    "(moves that cannot be proposed have zero flux both ways and balance trivially)")
SYMMETRIC_PROPOSAL = Assumption(
    "symmetric-proposal", r"g(y|x) = g(x|y)", "a symmetric proposal (random walk), as in the counterexample")
ASSUMPTION_21 = Assumption(
    "assumption-2.1", r"U \in C^2,\ \|\nabla\nabla U\| \le L,\ x\cdot\nabla U(x) \ge a|x|^2 \text{ outside a compact set}",
    "review Assumption 2.1 (bounded Hessian and quadratic confinement); U is C² so the Fokker–Planck flux is "
    "differentiable and e^{-U} is integrable")
TWO_STATES = Assumption(
    "two-state-block", r"\Omega \supset \{x, y\},\ g(\cdot|x) \text{ supported on } \{x, y\}",
    "a two-state block of the state space: from x the proposal is y (probability g(y|x)) or x itself; "
    "the general case sums such pairs")


def _balance_step(label: str) -> Step:
    return Step(
        forward * acceptance(reverse, forward),
        reverse * acceptance(forward, reverse),
        "eqs. 79 and 81 for x ≠ y, with the fluxes F_xy = ρ(x)g(y|x), F_yx = ρ(y)g(x|y): with eq. 77's A(x', x) "
        "(proposal first, arg min read as min), F_xy A(y,x) = min{F_xy, F_yx} is symmetric in x ↔ y: detailed balance",
        (PROPOSAL_POSITIVE,), label=label, rests_on=(DEFINITION,))


def mh_acceptance_order() -> Derivation:
    """Step 3 of Definition 4.2 accepts when u < A(X_k, X^{(p)}): eq. 77's A with its arguments
    swapped, min{1, F_xy/F_yx}. Detailed balance fails; for a symmetric proposal the swapped
    chain balances 1/ρ_BG instead (on a finite space its stationary law is ∝ e^{+U})."""
    steps = (
        _balance_step("balance"),
        Step(forward * acceptance(forward, reverse),
             reverse * acceptance(reverse, forward),
             "step 3 as printed, u < A(X_k, X^{(p)}): the acceptance of x → y is min{1, ρ(x)g(y|x)/(ρ(y)g(x|y))}; "
             "the two fluxes differ at a generic point: no detailed balance with ρ_BG",
             (PROPOSAL_POSITIVE,), relation="≠", erratum="Section 4, Definition 4.2, step 3 (A's arguments swapped)",
             label="swapped", rests_on=(DEFINITION,)),
        Step(g_yx / rho_x * smaller(1, rho_x / rho_y), g_yx / rho_y * smaller(1, rho_y / rho_x),
             "with a symmetric proposal the swapped acceptance min{1, ρ(x)/ρ(y)} balances the law ∝ 1/ρ_BG = e^{+U}: "
             "the printed chain climbs the energy",
             (SYMMETRIC_PROPOSAL,), label="swapped-law", rests_on=("swapped",)),
    )
    return Derivation("The order of A's arguments in the MH accept step", steps,
                      exports={"acceptance": acceptance(reverse, forward)}, result="balance")


def mh_stationary() -> Derivation:
    """Detailed balance (eqs. 79, 81) and, summed over the states, stationarity (eq. 78) on a
    two-state block: ρ(x)P(x,x) + ρ(y)P(y,x) = ρ(x)."""
    stay = rho_x - forward * acceptance(reverse, forward)  # ρ(x)P(x,x) = ρ(x) − F_xy A(y,x)
    arrive = reverse * acceptance(forward, reverse)  # ρ(y)P(y,x) = F_yx A(x,y)
    steps = (
        _balance_step("balance"),
        Step(stay + arrive, rho_x,
             "eq. 78 on a two-state block: the mass that stays at x plus the mass that arrives from y is ρ(x), "
             "because the flux out of x equals the flux in (the previous step)",
             (PROPOSAL_POSITIVE, TWO_STATES), label="stationary", rests_on=("balance",)),
    )
    return Derivation("Metropolis–Hastings leaves ρ_BG invariant", steps,
                      exports={"acceptance": acceptance(reverse, forward)}, result="stationary")


def mh_uniqueness() -> Derivation:
    r"""Uniqueness needs irreducibility: with a proposal that never leaves a state y
    (g(y|y) = 1), the point mass at y is stationary as well as ρ_BG."""
    g_xz, g_yz, rho_z = sp.symbols("g_xz g_yz rho_z", nonnegative=True)  # g(x|z), g(y|z), ρ_BG(z)
    stay_at_z = 1 - g_xz * acceptance(reverse, forward) - g_yz * acceptance(forward, reverse)
    steps = (
        Step(sp.Subs(stay_at_z, (g_xz, g_yz), (0, 0)), 1,
             "a proposal with g(·|z) = δ_z at a state z (g(x|z) = g(y|z) = 0) makes every MH move from z a self-move: "
             "P(z, z) = 1, so the point mass δ_z is stationary (any MH chain, whatever ρ_BG)",
             label="second-stationary", rests_on=(DEFINITION,)),
        Step(sp.Matrix([[0, 0, 1]]), sp.Matrix([[rho_x, rho_y, rho_z]]),
             "so the stationary law is not unique: δ_z ≠ ρ_BG whenever ρ_BG charges another state",
             relation="≠", erratum="Section 4, Proposition 4.1 (\"unique\" without irreducibility)",
             label="not-unique", rests_on=("second-stationary",)),
    )
    return Derivation("Proposition 4.1's uniqueness needs an irreducible chain", steps, result="not-unique")


def mh_kernel_eq80() -> Derivation:
    """Row sums of eq. 80 on a two-state block: the printed rejected mass uses A(x, s)."""
    swapped = acceptance(forward, reverse)  # A(x, y): current first
    right = acceptance(reverse, forward)  # A(y, x): eq. 77
    g_xx = 1 - g_yx
    printed_row = sp.Add(g_yx * right, g_xx, 1 - (g_xx + g_yx * swapped), evaluate=False)
    corrected_row = sp.Add(g_yx * right, g_xx, 1 - (g_xx + g_yx * right), evaluate=False)
    steps = (
        Step(corrected_row, 1,
             "eq. 80 with the rejected mass 1 − ∫A(s, x)g(s|x)ds (proposal first, as in its first term and eq. 77): "
             "a Markov kernel, its row sums to 1 (two-state block; A(x, x) = 1)",
             (PROPOSAL_POSITIVE, TWO_STATES), label="kernel", rests_on=(DEFINITION,)),
        Step(printed_row, 1,
             "eq. 80 as printed, rejected mass 1 − ∫A(x, s)g(s|x)ds: the row sums to 1 + g(y|x)[A(y,x) − A(x,y)] ≠ 1 "
             "wherever the two fluxes differ: not a transition kernel",
             (PROPOSAL_POSITIVE, TWO_STATES), relation="≠", erratum="Section 4, eq. 80 (A(x, s) for A(s, x))",
             label="printed-kernel", rests_on=(DEFINITION,)),
    )
    return Derivation("The MH transition kernel (eq. 80)", steps,
                      exports={"acceptance": acceptance(reverse, forward)}, result="kernel")


def example_energy():
    r"""A 1-D energy satisfying Assumption 2.1, asymmetric and not quadratic:
    :math:`U(x) = x^2/2 + \log\cosh(x - 1)`, :math:`U'' = 2 - \tanh^2(x-1) \in (1, 2]`."""
    return x**2 / 2 + sp.log(sp.cosh(x - 1))


def langevin_stationary() -> Derivation:
    r"""Proposition 4.2: ρ_BG = e^{-U}/Z is stationary for the Fokker–Planck equation of
    dX = −∇U dt + √2 dW (zero flux), and the example energy satisfies Assumption 2.1."""
    u = sp.Function("U")(x)
    density = sp.exp(-u)
    energy = example_energy()
    steps = (
        Step(sp.Derivative(density * sp.Derivative(u, x) + sp.Derivative(density, x), x), 0,
             "Fokker–Planck of eq. 83: ∂_t ρ = ∂_x(ρ ∂_x U + ∂_x ρ); for ρ = e^{−U} the flux ρU' + ρ' vanishes, so "
             "∂_t ρ = 0: ρ_BG is stationary",
             (ASSUMPTION_21,), label="stationary", rests_on=(DEFINITION,)),
        Step(sp.Derivative(energy, x, 2), 2 - sp.sinh(x - 1) ** 2 / sp.cosh(x - 1) ** 2,
             "the example energy's Hessian 2 − tanh²(x − 1) lies in (1, 2]: bounded (Assumption 2.1, part 1, L = 2) "
             "and ≥ 1, so x·U'(x) ≥ x²/2 for |x| ≥ 2 (part 2, a = 1/2)",
             label="example-hessian", rests_on=(DEFINITION,)),
    )
    return Derivation("The Langevin SDE's stationary law (Proposition 4.2)", steps,
                      exports={"energy": energy, "quartic_energy": x**4 / 4 - x}, result="stationary")


def ula_transience() -> Derivation:
    r"""ULA on energies of Assumption 2.1 is transient for h beyond twice the inverse far-field
    curvature: for the example energy :math:`U'(x)/x \to 1`, the far-field map
    :math:`x \mapsto (1-h)x` expands when h > 2. For :math:`U = x^4/4` (Hessian unbounded) the map
    :math:`x \mapsto x - hx^3` expands from every start with :math:`hx_0^2 > 2`, whatever h."""
    energy = example_energy()
    quartic = x**4 / 4
    x0 = sp.Symbol("x_0", positive=True)
    steps = (
        Step(sp.Derivative(energy, x) - x, sp.sinh(x - 1) / sp.cosh(x - 1),
             "U'(x) = x + tanh(x − 1), with |tanh| < 1: far from the origin the ULA map is x_{k+1} = (1 − h)x_k + O(h) + noise",
             label="far-field", rests_on=(DEFINITION,)),
        Step(x - sp.Rational(5, 2) * sp.Derivative(energy, x), -sp.Rational(3, 2) * x - sp.Rational(5, 2) * sp.sinh(x - 1) / sp.cosh(x - 1),
             "at h = 5/2 the ULA map is x ↦ −(3/2)x − (5/2)tanh(x − 1), |x_{k+1}| ≥ (3/2)|x_k| − 5/2 − √5|ξ|: "
             "chains that reach the far field grow geometrically, "
             "so ULA is not ergodic although U satisfies Assumption 2.1 (the sentence after Definition 4.3 names no "
             "step-size condition); transient exactly when h > 2",
             (ASSUMPTION_21,), label="transient", rests_on=("far-field",)),
        Step(sp.Abs(x0 - (4 / x0**2) * sp.Derivative(quartic, x).subs(x, x0)), 3 * x0,
             "U = x⁴/4 violates the bounded Hessian: from x₀ with h x₀² = 4 one ULA step gives |x₁| = 3|x₀|, and "
             "then h x₁² = 36: escape from far starts at every step size",
             label="quartic-escape", rests_on=(DEFINITION,)),
    )
    return Derivation("When ULA escapes to infinity", steps,
                      exports={"gradient": sp.diff(energy, x), "quartic_gradient": sp.diff(quartic, x),
                               "critical_step": sp.Integer(2)},
                      result="transient")


def mala_log_ratio():
    r"""log of MALA's acceptance ratio for the target N(0, 1) (U = x²/2) at the move
    :math:`y = x - hx + \sqrt{2h}\xi`, with the ULA move's density (the correct eq. 95)."""
    y = x - h * x + sp.sqrt(2 * h) * xi
    return -y**2 / 2 + x**2 / 2 - (x - y + h * y) ** 2 / (4 * h) + (y - x + h * x) ** 2 / (4 * h)


def mala_acceptance() -> Derivation:
    r"""MALA's rejection rate vanishes as :math:`h^{3/2}` (target N(0, 1)): the log-ratio is
    :math:`-\tfrac{\sqrt2}{2} h^{3/2} x\xi + O(h^2)`, so
    :math:`1 - \mathbb E\min\{1, e^{L}\} = \mathbb E[L^-] + O(h^{2}) = h^{3/2}/(\sqrt2\,\pi) + o(h^{3/2})`
    (:math:`\mathbb E|x\xi| = 2/\pi`)."""
    log_ratio = mala_log_ratio()
    rate_leading = h ** sp.Rational(3, 2) / (sp.sqrt(2) * sp.pi)
    steps = (
        Step(log_ratio.subs(h, s**2),
             -sp.sqrt(2) * s**3 * x * xi / 2 + s**4 * (x**2 - xi**2) / 2 + sp.sqrt(2) * s**5 * x * xi / 2 - s**6 * x**2 / 4,
             "MALA with the ULA move's density (Definition 4.4 with ∇U), U = x²/2, s = √h: the log acceptance ratio "
             "is a polynomial in s whose lowest term is −(√2/2) s³ x ξ: L = −(√2/2) h^{3/2} x ξ + O(h²)",
             label="log-ratio", rests_on=(DEFINITION,)),
        Step(sp.Derivative(-sp.exp(-x**2 / 2), x), x * sp.exp(-x**2 / 2),
             "−e^{−x²/2} is an antiderivative of x e^{−x²/2}, so ∫₀^∞ x e^{−x²/2} dx = 1 and E|X| = 2/√(2π) = √(2/π) "
             "for X ~ N(0, 1); x and ξ are independent: E|xξ| = 2/π",
             label="abs-moment", rests_on=(DEFINITION,)),
        Step(sp.sqrt(2) / 2 * h ** sp.Rational(3, 2) * sp.UnevaluatedExpr(2 / sp.pi) / 2,
             rate_leading,
             "rejection rate 1 − E min{1, e^L} = E[max(0, −L)] + O(h²) = E|L|/2 (L is symmetric) "
             "= h^{3/2}/(√2π): the acceptance rate tends to 1 as h → 0",
             label="rate", rests_on=("log-ratio", "abs-moment")),
    )
    return Derivation("MALA's acceptance rate as h → 0", steps,
                      exports={"log_ratio": log_ratio, "rejection_leading": rate_leading}, result="rate")


def kl_decomposition() -> Derivation:
    r"""The KL decomposition recalled after eq. 92, with §2.1's definitions (eqs. 9–11):
    :math:`H(\rho_1,\rho_2) = -\int\rho_1\log\rho_2`, :math:`H(\rho) = -\int\rho\log\rho`, so
    :math:`D_{KL}(\rho\|\pi) = H(\rho,\pi) - H(\rho)` and :math:`H(\rho,\rho_{BG}) = \mathbb E_\rho[U] + \log Z`.
    Shown on ρ = N(m, s²), π = N(0, 1) (U = x²/2 + ½log 2π, Z = 1), whose three integrals are closed forms."""
    m = sp.Symbol("m", real=True)
    sd = sp.Symbol("sigma", positive=True)
    cross = sp.log(2 * sp.pi) / 2 + (sd**2 + m**2) / 2  # −E_ρ[log π] = E_ρ[U]
    entropy = sp.log(2 * sp.pi * sp.E * sd**2) / 2
    kl = (sd**2 + m**2 - 1) / 2 - sp.log(sd)
    energy_mean = (sd**2 + m**2) / 2 + sp.log(2 * sp.pi) / 2
    steps = (
        Step(kl, cross - entropy,
             "D_KL(ρ‖π) = E_ρ[log ρ] − E_ρ[log π] = H(ρ, π) − H(ρ) (eqs. 9–11); Gaussian closed forms",
             label="decomposition", rests_on=(DEFINITION,)),
        Step(kl, -cross - entropy,
             "as printed after eq. 92, D_KL = −H(ρ, ρ_BG) − H(ρ): the cross-entropy with the wrong sign",
             relation="≠", erratum="Section 4, after eq. 92 (D_KL = −H(ρ, ρ_GB) − H(ρ))", label="printed-kl",
             rests_on=(DEFINITION,)),
        Step(energy_mean, cross - sp.log(sp.Integral(sp.exp(-x**2 / 2 - sp.log(2 * sp.pi) / 2), (x, -sp.oo, sp.oo))),
             "E_ρ[U] = H(ρ, ρ_BG) − log Z with Z = ∫e^{−U} = 1 here: the gradient step of eq. 92 descends H(ρ, ρ_BG), not −H",
             label="energy", rests_on=(DEFINITION,)),
        Step(energy_mean, -cross,
             "as printed, −H(ρ, ρ_GB) = E_ρ[U]: wrong sign", relation="≠",
             erratum="Section 4, after eq. 92 (−H(ρ, ρ_GB) = E_ρ[U])", label="printed-energy", rests_on=(DEFINITION,)),
    )
    return Derivation("The KL decomposition after eq. 92", steps,
                      exports={"cross_entropy_coefficient": sp.Integer(1), "entropy_coefficient": sp.Integer(-1)},
                      result="decomposition")
