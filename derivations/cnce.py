r"""Conditional NCE (seed 004): Lemma 3, Lemma 4, Theorem 1 (K = 1 and any K), Corollary 2.

Notation: :math:`F(x,y;\theta) = \log f(x;\theta) - \log f(y;\theta) + \log p_n(y|x) - \log p_n(x|y)`,
per-pair loss :math:`\ell(F) = -2\log\sigma(F)`, :math:`s = -\tfrac12\nabla_\theta\ell = \sigma(-F)\nabla_\theta F`
(the paper's summand, eq. 29), joint density of a data/noise pair :math:`p_1(x,y) = p_d(x)p_n(y|x)`.

The "role of the symmetry" is one fact: at :math:`\theta^*` (well-specified model),
:math:`F^*(x,y) = \log p_1(x,y) - \log p_1(y,x)`, so :math:`\sigma(F^*) = a/(a+b)` with
:math:`a = p_1(x,y)`, :math:`b = p_1(y,x)`. Pairing the point :math:`(x,y)` with its swap
:math:`(y,x)` in :math:`\int\!\!\int \cdot\; p_1` then shows (i) :math:`\mathbb{E}[s] = 0`, (ii) the
:math:`\nabla^2_\theta F` term of the expected Hessian vanishes, and (iii) :math:`C_2 = C_1`, so
Theorem 1's sandwich equals :math:`C_1^{-1}`.

Depth (what each page's chain rests on). Derived for any model: the gradient and Hessian of
:math:`-2\log\sigma(F)` for a generic :math:`F`, eq. 21 pointwise. Shown on placeholders (declared on
their steps): the swap identities on one pair of scalars (a, b, Δ, h, w), the merge of eq. 12 on a two-point
support, Lemma 3 on a three-point support, :math:`C_1, C_2, C_3, M, I_F` as symbols, and
:math:`\mathbb{E}[(g(x)-g(y))^2] = 2\operatorname{Var} g`, :math:`C_3 = I_F/4` on a three-point distribution.
The sandwich :math:`\mathbb{E}[\mathbf H]^{-1}\operatorname{Var}\mathbf J\,\mathbb{E}[\mathbf H]^{-1}` is a named
assumption. Derived from a model's definition with no placeholder: Corollary 2 (and its any-K form) for the
Gaussian with unknown precision, every expectation a SymPy integral (:func:`gaussian_oracle_steps`).
"""

from __future__ import annotations

import functools

import sympy as sp
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step
from ebmcheck.theory import models
from ebmcheck.theory.symbolic import compile_expression
from sympy import stats

WELL_SPECIFIED = Assumption(
    "well-specified", r"p_d = p_{\theta^*} = f(\cdot;\theta^*)/Z(\theta^*)", "the data come from the model at θ*"
)
NOISE_POSITIVE = Assumption(
    "noise-positive", r"p_n(y|x) > 0,\ p_n(x|y) > 0", "both directions of every jump have positive density"
)
REGULARITY = Assumption(
    "regularity",
    r"\nabla_\theta \textstyle\int f = \int \nabla_\theta f;\ C_1 \succ 0",
    "differentiation under the integral, C1 (the expected Hessian / 2) invertible, standard M-estimation conditions",
)
CONDITIONALLY_IID = Assumption(
    "noise-conditionally-iid", r"y_{i1},\dots,y_{iK} \overset{iid}{\sim} p_n(\cdot|x_i)",
    "the K noise points of one data point are independent given it (but share x_i)",
)
M_ESTIMATION = Assumption(
    "m-estimation-sandwich",
    r"\sqrt{N_d}(\hat\theta - \theta^*) \to \mathcal N\big(0,\ \mathbb{E}[\mathbf H]^{-1}\, N_d \operatorname{Var}\mathbf J\, \mathbb{E}[\mathbf H]^{-1}\big)",
    "the M-estimator sandwich (first-order expansion of the empirical gradient at θ̂, CLT and LLN), taken as known here, "
    "not derived",
)


def sigma(u):
    return 1 / (1 + sp.exp(-u))


# ---- Lemma 4 ---------------------------------------------------------------------------------
def lemma4_symmetry() -> Derivation:
    r"""Eq. 21: :math:`\log\sigma(F(x,y)) = \log(1 - \sigma(F(y,x)))`, and the merge of eq. 11 into eq. 12.

    Eq. 21 is pointwise (any real values of the four logs). The merge of the two sums is an integral
    identity (the change of variables :math:`(x,y) \leftrightarrow (y,x)`); it is shown on a two-point
    support whose probabilities :math:`P_{ij} = p_1(i,j)` are placeholders for "any distribution"."""
    lfx, lfy, nyx, nxy = sp.symbols("ell_x ell_y n_yx n_xy", real=True)  # log f(x), log f(y), log p_n(y|x), log p_n(x|y)
    F_xy = lfx - lfy + nyx - nxy
    F_yx = lfy - lfx + nxy - nyx  # swap x <-> y
    # two-point support {1, 2}: ℓ_i = log f(i), ν_ij = log p_n(j|i), P_ij = p1(i, j) = p_d(i) p_n(j|i)
    ell = sp.symbols("ell_1:3", real=True)
    nu = {(i, j): sp.Symbol(f"nu_{i + 1}{j + 1}", real=True) for i in range(2) for j in range(2)}
    P = {(i, j): sp.Symbol(f"P_{i + 1}{j + 1}", positive=True) for i in range(2) for j in range(2)}
    F = {(i, j): ell[i] - ell[j] + nu[i, j] - nu[j, i] for i in range(2) for j in range(2)}
    pairs = [(i, j) for i in range(2) for j in range(2)]
    class0 = sp.Add(*(P[j, i] * -sp.log(1 - sigma(F[i, j])) for i, j in pairs), evaluate=False)  # (x,y) ~ p0
    class1 = sp.Add(*(P[i, j] * -sp.log(sigma(F[i, j])) for i, j in pairs), evaluate=False)  # (x,y) ~ p1
    steps = (
        Step(F_yx, sp.Mul(-1, F_xy, evaluate=False), "swapping x and y flips the sign of the log-ratio F",
             label="swap", rests_on=(DEFINITION,)),
        Step(sp.log(sigma(F_xy)), sp.log(1 - sigma(F_yx)), "eq. 21 (Lemma 4): 1 − σ(−u) = σ(u)", (NOISE_POSITIVE,),
             label="eq21", rests_on=("swap", DEFINITION)),
        Step(class0, class1,
             "eq. 12: the class-0 sum E_{p0}[−log(1 − σ(F))], p0(x,y) = p1(y,x), equals the class-1 sum "
             "E_{p1}[−log σ(F)] (rename (x,y) ↔ (y,x), then eq. 21), so the two merge into −2E_{p1} log σ(F); "
             "shown on a two-point support, P_ij standing for any p1",
             label="merge", rests_on=("eq21",), placeholders=tuple(P.values())),
    )
    return Derivation("Lemma 4: symmetry of the CNCE loss", steps, result="merge")


# ---- Lemma 3 ---------------------------------------------------------------------------------
def lemma3_fisher() -> Derivation:
    r"""Eq. 14: :math:`I_F = \operatorname{Var}_p[\nabla_\theta\log f]`; proof eqs. 16–20 on a 3-point support
    (the values :math:`f_i(\theta)` are placeholders for any model), and in closed form for the Gaussian with
    unknown precision (``models.gaussian_precision``, from its definition)."""
    theta = sp.Symbol("theta", real=True)
    fs = [sp.Function(f"f{i}", positive=True)(theta) for i in range(1, 4)]
    Z = sum(fs)
    p = [fi / Z for fi in fs]
    g = [sp.Derivative(sp.log(fi), theta) for fi in fs]
    mean_g = sum(pi * gi for pi, gi in zip(p, g))
    score = [sp.Derivative(sp.log(pi), theta) for pi in p]
    fisher_def = sum(pi * si**2 for pi, si in zip(p, score))
    var_g = sum(pi * gi**2 for pi, gi in zip(p, g)) - mean_g**2
    # closed form: log f = −θx²/2, log Z = ½ log(2π/θ), p = N(0, 1/θ) (the model's definition)
    model = models.gaussian_precision()
    (x,), (t,) = model.x, model.theta
    log_p = model.log_f_expr - model.log_normalizer_expr
    density = sp.exp(log_p)
    gx = sp.Derivative(model.log_f_expr, t)

    def E(e):
        return sp.Integral(e * density, (x, -sp.oo, sp.oo))

    fisher_gauss = E(sp.Derivative(log_p, t) ** 2)
    var_gauss = E(gx**2) - E(gx) ** 2
    steps = (
        Step(score[0], g[0] - sum(sp.Derivative(fi, theta) for fi in fs) / Z,
             "eqs. 17–18: ∇log p = ∇log f − ∇∫f/∫f (support {1,2,3}: ∫ is a sum)", (REGULARITY,),
             label="score", rests_on=(DEFINITION,), placeholders=tuple(fs)),
        Step(score[0], g[0] - mean_g, "eqs. 19–20: ∇log p = ∇log f − E_p[∇log f]",
             label="centred", rests_on=("score",), placeholders=tuple(fs)),
        Step(fisher_def, var_g, "eq. 16 → eq. 14–15: I_F = E_p[(∇log p)²] = Var_p[∇log f]",
             label="eq14", rests_on=("centred",), placeholders=tuple(fs)),
        Step(fisher_gauss, var_gauss,
             "Gaussian with unknown precision: the definition E_p[(∂_θ log p)²] equals Var_p[∂_θ log f] (SymPy integrals)",
             (REGULARITY,), label="gauss", rests_on=(DEFINITION,)),
        Step(var_gauss, 1 / (2 * t**2), "closed form of I_F for log f = −θx²/2",
             label="gauss-closed", rests_on=("gauss",)),
        Step(E(gx**2), var_gauss, "control: the uncentred second moment E[(∇log f)²] is not I_F (Z depends on θ)",
             relation="≠", label="control", rests_on=(DEFINITION,)),
    )
    return Derivation("Lemma 3: Fisher information from the unnormalized model", steps,
                      exports={"fisher_gaussian_precision": sp.simplify(var_gauss.doit())}, result="eq14")


# ---- Theorem 1 --------------------------------------------------------------------------------
def _symmetry_steps():
    r"""The three swap identities at :math:`\theta^*`, each on ONE pair :math:`\{(x,y),(y,x)\}` of the integral.

    Scalars stand for the integrand's values there: :math:`a = p_1(x,y)`, :math:`b = p_1(y,x)`,
    :math:`\nabla F(x,y) = \Delta = -\nabla F(y,x)`, :math:`\nabla^2 F(x,y) = h_x - h_y`, a symmetric
    :math:`w = \nabla F\nabla F^\top`. They are placeholders: the integral identity (sum over all pairs) is
    not carried out here."""
    a, b = sp.symbols("a b", positive=True)  # a = p1(x,y), b = p1(y,x)
    delta, hx, hy, w = sp.symbols("Delta h_x h_y w", real=True)  # ∇F(x,y) = Δ, ∇F(y,x) = −Δ; w symmetric
    s_xy = sigma(-sp.log(a / b))  # σ(−F*(x,y)) = b/(a+b)
    s_yx = sigma(-sp.log(b / a))
    lpd_x, lpd_y, lpn_yx, lpn_xy, logZ = sp.symbols("lpd_x lpd_y lpn_yx lpn_xy logZ", real=True)
    F_star = sp.Add(lpd_x + logZ, sp.Mul(-1, lpd_y + logZ, evaluate=False), lpn_yx, -lpn_xy, evaluate=False)
    return (
        Step(F_star, (lpd_x + lpn_yx) - (lpd_y + lpn_xy),
             "at θ*: log f = log p_d + log Z, so F* = log p1(x,y) − log p1(y,x) (Z cancels)", (WELL_SPECIFIED,),
             label="F*", rests_on=(DEFINITION,)),
        Step(a * delta * s_xy + b * (-delta) * s_yx, 0,
             "symmetry (i): pairing (x,y) with (y,x), E_{p1}[∇F σ(−F*)] = 0 — the gradient is unbiased (eq. 43 null)",
             label="sym-i", rests_on=("F*",), placeholders=(a, b, delta)),
        Step(a * (hx - hy) * s_xy + b * (hy - hx) * s_yx, 0,
             "symmetry (ii): E_{p1}[∇²F σ(−F*)] = 0 — the first Hessian term vanishes (eqs. 36–37)",
             label="sym-ii", rests_on=("F*",), placeholders=(a, b, hx, hy)),
        Step(a * w * s_xy**2 + b * w * s_yx**2, a * w * s_xy * (1 - s_xy) + b * w * s_yx * (1 - s_yx),
             "symmetry (iii): E_{p1}[w σ(−F*)²] = E_{p1}[w σ(F*)σ(−F*)] for symmetric w = ∇F∇Fᵀ, i.e. C2 = C1",
             label="sym-iii", rests_on=("F*",), placeholders=(a, b, w)),
    )


def _matrix(name):
    return sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True))


def _entries(matrix) -> tuple[sp.Symbol, ...]:
    """The distinct symbols of a symmetric placeholder matrix (what a step declares as placeholders)."""
    return tuple(sorted(matrix.free_symbols, key=str))


def _shown_product(*factors):
    """A matrix product kept unevaluated (a page shows (2C1)⁻¹ (4/N_d)C2 (2C1)⁻¹, not its entries); the
    step's check multiplies it out. A factor ``("inv", A)`` is shown as A⁻¹."""
    shown = [sp.Inverse(sp.ImmutableMatrix(f[1])) if isinstance(f, tuple) else sp.ImmutableMatrix(f) for f in factors]
    return sp.MatMul(*shown, evaluate=False)


def theorem1() -> Derivation:
    r"""Theorem 1 (K = 1): gradient, Hessian, expected Hessian, gradient variance, sandwich (eqs. 25–64).

    Derived for a generic :math:`F(\theta)` (p = 2): the gradient and Hessian of :math:`-2\log\sigma(F)`.
    Not derived: the swap identities are shown on one pair of scalar placeholders (:func:`_symmetry_steps`);
    :math:`\mathbb{E}[\mathbf H] = 2C_1` and :math:`\operatorname{Var}\mathbf J = 4C_2/N_d` are typed in with
    :math:`C_1, C_2` symbolic matrices (placeholders), and the sandwich is the named assumption
    ``m-estimation-sandwich``."""
    t1, t2, N = sp.symbols("theta1 theta2", real=True) + (sp.Symbol("N_d", positive=True),)
    F = sp.Function("F", real=True)(t1, t2)
    loss = -2 * sp.log(sigma(F))
    grad = sp.Matrix([sp.Derivative(loss, t) for t in (t1, t2)])
    gradF = sp.Matrix([sp.Derivative(F, t) for t in (t1, t2)])
    hessF = sp.Matrix(2, 2, lambda i, j: sp.Derivative(F, (t1, t2)[i], (t1, t2)[j]).doit())
    hess = sp.Matrix(2, 2, lambda i, j: sp.Derivative(loss, (t1, t2)[i], (t1, t2)[j]))
    u = sp.Symbol("u", real=True)
    C1, C2 = _matrix("C1"), _matrix("C2")
    half = sp.Rational(1, 2)
    Z, scale = stats.Normal("Z", 0, 1), sp.Symbol("v", positive=True)
    steps = (
        Step(sp.Derivative(-2 * sp.log(sigma(u)), u), -2 * sp.Derivative(sigma(u), u) / sigma(u),
             "eq. 25: d log σ = dσ/σ", label="dlog", rests_on=(DEFINITION,)),
        Step(sp.Derivative(sigma(u), u), sigma(u) * (1 - sigma(u)), "eq. 26–27: σ' = σ(1−σ)",
             label="dsigma", rests_on=(DEFINITION,)),
        Step(grad, -2 * (1 - sigma(F)) * gradF, "eqs. 27–29: ∇ℓ = −2 σ(−F) ∇F = −2 s, with P(Y=0) = 1 − σ(F)",
             label="grad", rests_on=("dlog", "dsigma")),
        Step(hess, -2 * ((1 - sigma(F)) * hessF - sigma(F) * (1 - sigma(F)) * gradF * gradF.T),
             "eqs. 30–34: ∇²ℓ = −2[∇²F P0 − ∇F∇Fᵀ P0 P1] = −2 S", label="hess", rests_on=("grad", "dsigma")),
        *_symmetry_steps(),
        Step(_shown_product(("inv", 2 * C1), 4 / N * C2, ("inv", 2 * C1)), C1.inv() * C2 * C1.inv() / N,
             "eqs. 60–62, 64: Σ = E[H]⁻¹ Var J E[H]⁻¹ = (2C1)⁻¹ (4/N_d) C2 (2C1)⁻¹ = C1⁻¹C2C1⁻¹/N_d, with "
             "E[H] = 2C1 (from ∇²ℓ and symmetry ii) and Var J = 4C2/N_d (from ∇ℓ and symmetry i) typed in: "
             "C1, C2 are symbols, not computed from a model", (REGULARITY, M_ESTIMATION),
             label="sandwich", rests_on=("hess", "grad", "sym-i", "sym-ii"), placeholders=_entries(C1) + _entries(C2)),
        Step((half * C1.inv()) * (4 / N * C2) * (half * C1), C1.inv() * C2 * C1.inv() / N,
             "eq. 63 as printed (last factor ½C1 instead of ½C1⁻¹) is not eq. 62 — a typo; eq. 64 is right",
             relation="≠", erratum="appendix B.2, eq. 63",
             label="eq63", rests_on=("sandwich",), placeholders=_entries(C1) + _entries(C2)),
        Step(_shown_product(("inv", C1), C1, ("inv", C1)), C1.inv(),
             "with C2 = C1 (symmetry iii) the sandwich collapses: Σ = C1⁻¹/N_d",
             label="collapse", rests_on=("sandwich", "sym-iii"), placeholders=_entries(C1)),
        Step(stats.Expectation(scale * Z**2), scale,
             "the mean-squared error: with √N_d(θ̂ − θ*) → √v Z (p = 1 shown) and uniform integrability, "
             "E[N_d‖θ̂ − θ*‖²] → E[vZ²] = v = tr(N_d Σ); v stands for tr(N_d Σ)",
             label="mse", rests_on=("sandwich",), placeholders=(scale,)),
        Step(stats.Variance(scale * Z**2), 0,
             "eqs. 4 and 22 as printed equate the random ‖θ̂ − θ*‖² itself with tr Σ + o(1/N_d): N_d‖θ̂ − θ*‖² tends "
             "to v χ²₁, whose variance 2v² is not 0, so the statement holds for the expectation E‖θ̂ − θ*‖² only",
             relation="≠", erratum="Theorem 1, eq. 4, and appendix B.2, eq. 22",
             label="eq4", rests_on=("mse",), placeholders=(scale,)),
    )
    return Derivation("Theorem 1 (K = 1): the CNCE sandwich", steps, exports={"sigma_K1": C1.inv() * C2 * C1.inv()},
                      result="sandwich")


def cnce_any_k() -> Derivation:
    r"""General K (eqs. 40–54 corrected): :math:`\Sigma_K = \tfrac1K C_1^{-1}C_2C_1^{-1} + (1-\tfrac1K)C_1^{-1}C_3C_1^{-1}`.

    The count of diagonal and off-diagonal terms is shown in the scalar (p = 1) view with the
    conditional mean :math:`m(x)` and variance :math:`v(x)` of one summand as placeholders; :math:`C_1,
    C_2, C_3` are symbolic matrices (placeholders) and the sandwich is the named assumption
    ``m-estimation-sandwich``. The oracle's :math:`(1 + 1/K)I_F^{-1}` is derived from the Gaussian model's
    definition in :func:`corollary2`."""
    K = sp.Symbol("K", positive=True, integer=True)
    N = sp.Symbol("N_d", positive=True)
    m, v = sp.symbols("m v", positive=True)  # given x: s_j = m(x) + e_j, E[e_j]=0, E[e_j²]=v (scalar p = 1 view)
    second_moment = K**2 * m**2 + K * v  # E[(Σ_j s_j)² | x]
    Ess, Ess2 = v + m**2, m**2  # E[s²|x], E[s s'|x]
    correct = K * Ess + (K**2 - K) * Ess2
    printed_47_49 = K * Ess + 2 * (K**2 - K) * Ess2
    # eqs. 51-54 print E_x[E_y[∇F P0]] (a vector, the mean of s), which is 0 at θ*, instead of E_x[m mᵀ]
    C1, C2, C3 = _matrix("C1"), _matrix("C2"), _matrix("C3")
    H = 2 * C1
    V = 4 / (N * K) * (C2 + (K - 1) * C3)  # from eqs. 41, 45–46 with the cross term E_x[m mᵀ]
    closed = (C1.inv() * C2 * C1.inv() / K + (1 - 1 / K) * C1.inv() * C3 * C1.inv()) / N
    Kq = sp.Symbol("K", positive=True)
    I_F = sp.Symbol("I_F", positive=True)
    half_inverse = sp.Pow(I_F / 2, -1, evaluate=False)
    placeholders = _entries(C1) + _entries(C2) + _entries(C3)
    steps = (
        Step(correct, second_moment, "eqs. 45–47: K diagonal terms + (K²−K) ordered off-diagonal pairs j≠k",
             (CONDITIONALLY_IID,), label="moment", rests_on=(DEFINITION,), placeholders=(m, v)),
        Step(printed_47_49, second_moment,
             "eqs. 47–49 as printed count the off-diagonal term twice (eqs. 48 and 49 are the same term)", relation="≠",
             erratum="appendix B.2, eqs. 47–49", label="eq47-49", rests_on=("moment",), placeholders=(m, v)),
        Step(sp.Mul(4 * (K**2 - K), 0, evaluate=False), 4 * (K**2 - K) * m**2,
             "eqs. 51–54 as printed: E_x[E_y[∇F P0]] = E[s] = 0 at θ* (symmetry i), so the printed cross terms "
             "vanish; the correct cross term is E_x[m(x) m(x)ᵀ] ≥ 0 (here m²)", relation="≠",
             erratum="appendix B.2, eqs. 51–54", label="eq51-54", rests_on=("moment",), placeholders=(m,)),
        Step(_shown_product(("inv", H), V, ("inv", H)), closed,
             "Σ_K = E[H]⁻¹ Var[J] E[H]⁻¹ with E[H] = 2C1 (any K) and Var J = 4(C2 + (K−1)C3)/(N_d K) (the count "
             "above, E[s sᵀ] = C2, E_x[m mᵀ] = C3): C1, C2, C3 typed in as symbols",
             (REGULARITY, CONDITIONALLY_IID, M_ESTIMATION), label="sigma_K", rests_on=("moment",),
             placeholders=placeholders),
        Step(sp.Matrix([sp.Subs(1 / K, K, 1), sp.Subs(1 - 1 / K, K, 1)]), sp.Matrix([1, 0]),
             "K = 1: the weights (1/K, 1 − 1/K) of C1⁻¹C2C1⁻¹ and C1⁻¹C3C1⁻¹ are (1, 0) — Theorem 1",
             label="K=1", rests_on=("sigma_K",)),
        Step(sp.Add(sp.Mul(1 / Kq, half_inverse, I_F / 2, half_inverse, evaluate=False),
                    sp.Mul(1 - 1 / Kq, half_inverse, I_F / 4, half_inverse, evaluate=False), evaluate=False),
             (1 + 1 / Kq) / I_F,
             "oracle noise: C1 = C2 = I_F/2, C3 = I_F/4 (typed in here; derived for the Gaussian in Corollary 2) "
             "⇒ Σ_K = (1 + 1/K) I_F⁻¹", label="oracle", rests_on=("sigma_K",), placeholders=(I_F,)),
    )
    return Derivation("Theorem 1 for any K: the within-x correlation", steps,
                      exports={"weight_C2": 1 / K, "weight_C3": 1 - 1 / K, "K": K}, result="sigma_K")


@functools.lru_cache(maxsize=1)
def any_k_weights():
    """The exported weights (1/K, 1 − 1/K) of Σ_K as numeric functions of K."""
    exports = cnce_any_k().exports
    K = exports["K"]
    return compile_expression((K,), exports["weight_C2"], cse=False), compile_expression((K,), exports["weight_C3"], cse=False)


# ---- Corollary 2 ------------------------------------------------------------------------------
def corollary2() -> Derivation:
    r"""Oracle noise: :math:`\Sigma = 2 I_F^{-1}/N_d` (K = 1), eqs. 65–76; the printed noise :math:`p_d(x)`.

    The general-model algebra (eqs. 65–75) runs on placeholders: the matrices :math:`M`, :math:`I` are
    symbols, and :math:`\mathbb{E}[(g(x)-g(y))^2] = 2\operatorname{Var} g` and :math:`C_3 = I_F/4` are shown
    on a three-point distribution standing for any :math:`p_d`. The result — twice the CRLB, and
    :math:`(1 + 1/K)I_F^{-1}` for any K — is derived from the model's definition for the Gaussian family
    (:func:`gaussian_oracle_steps`)."""
    N = sp.Symbol("N_d", positive=True)
    M, I = _matrix("M"), _matrix("I")  # M = E[(g(x) − g(y))(g(x) − g(y))ᵀ]
    half, quarter = sp.Rational(1, 2), sp.UnevaluatedExpr(sp.Rational(1, 4))  # ¼ = σ(F*)σ(−F*) = σ(−F*)²
    # discrete p_d on 3 atoms with generic weights and score values g (p = 1 view of eqs. 70–74)
    w1, w2 = sp.symbols("w1 w2", positive=True)
    w = [w1, w2, 1 - w1 - w2]
    g = sp.symbols("g1:4", real=True)
    M_disc = sum(w[i] * w[j] * (g[i] - g[j]) ** 2 for i in range(3) for j in range(3))
    var_g = sum(w[i] * g[i] ** 2 for i in range(3)) - sum(w[i] * g[i] for i in range(3)) ** 2
    mean_g = sum(w[i] * g[i] for i in range(3))
    C3_disc = sum(w[i] * (half * (g[i] - mean_g)) ** 2 for i in range(3))  # m(x) = ½(g(x) − E g)
    x, y, L = sp.symbols("x y L", positive=True)
    p_d_x = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    lpd_x, lpd_y, logZ = sp.symbols("lpd_x lpd_y logZ", real=True)
    # F* = log f(x) − log f(y) + log p_n(y|x) − log p_n(x|y) with log f = log p_d + log Z and p_n(y|x) = p_d(y)
    F_oracle = sp.Add(lpd_x + logZ, sp.Mul(-1, lpd_y + logZ, evaluate=False), lpd_y, -lpd_x, evaluate=False)
    u = sp.Symbol("u", real=True)
    discrete = (w1, w2) + g
    steps = (
        Step(sp.Integral(p_d_x, (y, -L, L)), 1,
             "Corollary 2 as printed: p_n(y|x) = p_d(x) is not a density in y (∫ dy over [−L, L] = 2L p_d(x)); "
             "the proof (B.3) uses p_n(y|x) = p_d(y)", relation="≠", erratum="Corollary 2 (statement)",
             label="printed-noise", rests_on=(DEFINITION,)),
        Step(sp.Subs(sigma(u), u, F_oracle), half, "eq. 65: oracle ⇒ F* = 0 ⇒ P(Y=0) = P(Y=1) = ½", (WELL_SPECIFIED,),
             label="eq65", rests_on=(DEFINITION,)),
        Step(2 * quarter * M, half * M, "eq. 66: E[H] = 2C1 = 2·¼M = ½M (M a symbolic matrix)",
             label="eq66", rests_on=("eq65",), placeholders=_entries(M)),
        Step(4 / N * quarter * M, M / N, "eqs. 67–68: Var J = (4/N_d)C2 = (4/N_d)·¼M = M/N_d",
             label="eq67-68", rests_on=("eq65",), placeholders=_entries(M)),
        Step(_shown_product(("inv", half * M), M / N, ("inv", half * M)), 4 / N * M.inv(), "eq. 69: Σ = 4M⁻¹/N_d", (M_ESTIMATION,),
             label="eq69", rests_on=("eq66", "eq67-68"), placeholders=_entries(M)),
        Step(M_disc, 2 * var_g, "eqs. 70–74: E_{x,y~p_d}[(g(x)−g(y))²] = 2 Var g = 2 I_F (Lemma 3), shown on a "
             "three-point p_d (weights w, score values g: placeholders for any p_d)",
             label="eq70-74", rests_on=(DEFINITION,), placeholders=discrete),
        Step(4 / N * (2 * I).inv(), 2 / N * I.inv(), "eq. 75: Σ = 2 I_F⁻¹/N_d (K = 1), I = I_F a symbolic matrix",
             label="eq75", rests_on=("eq69", "eq70-74"), placeholders=_entries(I)),
        Step(C3_disc, var_g / 4, "any K: m(x) = ½(g(x) − E g) ⇒ C3 = I_F/4, so Σ_K = (1 + 1/K) I_F⁻¹/N_d "
             "(three-point p_d)", label="C3", rests_on=(DEFINITION,), placeholders=discrete),
        *gaussian_oracle_steps(),
    )
    return Derivation("Corollary 2: oracle noise reaches 2×CRLB at K = 1", steps, result="G-2CRLB",
                      notes="Steps 1–8 are the proof for a general model, on placeholders (symbolic M and I_F, a "
                      "three-point p_d). Steps 9–18 derive the result from the definition of the Gaussian with "
                      "unknown precision (log f = −θx²/2): I_F, C1, C2, C3, E[H] and Var J as SymPy integrals; "
                      "the result's chain is that family's.")


# ---- Corollary 2 in closed form: the Gaussian family from its definition -----------------------------
def gaussian_oracle_steps() -> tuple[Step, ...]:
    r"""Corollary 2 and its any-K form for ``models.gaussian_precision`` (:math:`\log f = -\theta x^2/2`,
    :math:`\log Z = \tfrac12\log(2\pi/\theta)`) with the oracle noise :math:`p_n(y|x) = p_d(y)`, every
    quantity an integral over the model's density at :math:`\theta^*`, evaluated by SymPy.

    With :math:`F(x,y;\theta) = \log f(x;\theta) - \log f(y;\theta) + \log p_d(y) - \log p_d(x)` and the
    per-pair loss :math:`\ell = -2\log\sigma(F)`:
    :math:`I_F = 1/(2\theta^{*2})`, :math:`C_1 = C_2 = I_F/2`, :math:`C_3 = I_F/4`,
    :math:`\mathbb{E}[\partial_\theta^2\ell] = 2C_1`, :math:`\operatorname{Var}\partial_\theta\ell = 4C_2`,
    :math:`\mathbb{E}_x[(\mathbb{E}_y\partial_\theta\ell)^2] = 4C_3`, hence
    :math:`N_d\Sigma = 2I_F^{-1}` (K = 1) and :math:`(1 + 1/K)I_F^{-1}` (any K). The sandwich itself is the
    named assumption ``m-estimation-sandwich``; the split of :math:`\operatorname{Var}\mathbf J_K` into K
    diagonal and K² − K off-diagonal terms is ``noise-conditionally-iid``."""
    model = models.gaussian_precision()
    (x,), (theta,) = model.x, model.theta
    y = sp.Symbol("y", real=True)
    theta_star = sp.Symbol("theta_star", positive=True)
    K = sp.Symbol("K", positive=True, integer=True)

    def log_f(point, at):
        return model.log_f_expr.subs({x: point, theta: at})

    def log_p(point, at):
        return (model.log_f_expr - model.log_normalizer_expr).subs({x: point, theta: at})

    def p_d(point):
        return sp.exp(log_p(point, theta_star))

    def at_star(expr):  # the integrand at θ = θ*, differentiated first
        return sp.Subs(expr, theta, theta_star)

    def E_y(expr):
        return sp.Integral(expr * p_d(y), (y, -sp.oo, sp.oo))

    def E_x(expr):
        return sp.Integral(expr * p_d(x), (x, -sp.oo, sp.oo))

    def E_xy(expr):
        return sp.Integral(expr * p_d(x) * p_d(y), (x, -sp.oo, sp.oo), (y, -sp.oo, sp.oo))

    F = sp.Add(log_f(x, theta), -log_f(y, theta), log_p(y, theta_star), -log_p(x, theta_star), evaluate=False)
    dF = sp.Derivative(F, theta)
    loss = -2 * sp.log(sigma(F))
    fisher = E_x(at_star(sp.Derivative(log_p(x, theta), theta) ** 2))
    C1 = E_xy(at_star(sigma(F) * sigma(-F) * dF**2))
    C2 = E_xy(at_star(sigma(-F) ** 2 * dF**2))
    C3 = E_x(E_y(at_star(sigma(-F) * dF)) ** 2)
    hessian = E_xy(at_star(sp.Derivative(loss, (theta, 2))))
    gradient_variance = E_xy(at_star(sp.Derivative(loss, theta) ** 2)) - E_xy(at_star(sp.Derivative(loss, theta))) ** 2
    cross = E_x(E_y(at_star(sp.Derivative(loss, theta))) ** 2)  # E_x[(E_{y|x} ∂ℓ)²] at E[∂ℓ] = 0
    # the closed forms the integral steps prove, used (unevaluated products) by the sandwich steps
    I_F, C1_v, C2_v, C3_v = 1 / (2 * theta_star**2), 1 / (4 * theta_star**2), 1 / (4 * theta_star**2), 1 / (8 * theta_star**2)

    def product(*factors):
        return sp.Mul(*factors, evaluate=False)

    def inverse(expr):
        return sp.Pow(expr, -1, evaluate=False)

    H_v = product(2, C1_v)
    return (
        Step(fisher, I_F, "Gaussian precision: I_F(θ*) = E_{p_d}[(∂_θ log p)²] at θ* (SymPy integral)",
             label="G-I_F", rests_on=(DEFINITION,)),
        Step(at_star(F), 0, "eq. 65 for the Gaussian: with the oracle p_n(y|x) = p_d(y), F* = 0, so "
             "P(Y=0) = P(Y=1) = ½", (WELL_SPECIFIED,), label="G-F*", rests_on=(DEFINITION,)),
        Step(C1, I_F / 2, "C1 = E[σ(F)σ(−F)(∂_θF)²] at θ* (SymPy integral) = I_F/2",
             (WELL_SPECIFIED,), label="G-C1", rests_on=(DEFINITION,)),
        Step(C2, I_F / 2, "C2 = E[σ(−F)²(∂_θF)²] at θ* (SymPy integral) = I_F/2 = C1",
             (WELL_SPECIFIED,), label="G-C2", rests_on=(DEFINITION,)),
        Step(C3, I_F / 4, "C3 = E_x[m(x)²], m(x) = E_y[σ(−F)∂_θF] at θ* (SymPy integrals) = I_F/4",
             (WELL_SPECIFIED,), label="G-C3", rests_on=(DEFINITION,)),
        Step(hessian, 2 * C1, "eq. 66: the expected Hessian of ℓ = −2 log σ(F) at θ* is 2C1 (both sides SymPy integrals)",
             (WELL_SPECIFIED, REGULARITY), label="G-H", rests_on=(DEFINITION,)),
        Step(gradient_variance, 4 * C2, "eqs. 67–68: N_d Var J = Var ∂_θℓ = 4C2 at θ* (SymPy integrals)",
             (WELL_SPECIFIED,), label="G-V", rests_on=(DEFINITION,)),
        Step(cross, 4 * C3, "the within-x covariance of two noise points' gradients: E_x[(E_y ∂_θℓ)²] = 4C3 "
             "(SymPy integrals)", (WELL_SPECIFIED,), label="G-cross", rests_on=(DEFINITION,)),
        Step(product(inverse(H_v), product(4, C2_v), inverse(H_v)), product(2, inverse(I_F)),
             "eqs. 69–75 for the Gaussian: N_dΣ = E[H]⁻¹ N_dVar J E[H]⁻¹ = (2C1)⁻¹ 4C2 (2C1)⁻¹ = 2 I_F⁻¹ "
             "(twice the CRLB, K = 1)", (M_ESTIMATION,),
             label="G-2CRLB", rests_on=("G-I_F", "G-C1", "G-C2", "G-H", "G-V")),
        Step(product(inverse(H_v), sp.Add(product(1 / K, 4, C2_v), product(1 - 1 / K, 4, C3_v), evaluate=False), inverse(H_v)),
             product(1 + 1 / K, inverse(I_F)),
             "any K: N_dVar J_K = (1/K)Var ∂_θℓ + (1 − 1/K)E_x[(E_y ∂_θℓ)²] (K diagonal, K² − K off-diagonal "
             "terms) = 4(C2/K + (1 − 1/K)C3), so N_dΣ_K = (1 + 1/K) I_F⁻¹", (M_ESTIMATION, CONDITIONALLY_IID),
             label="G-any-K", rests_on=("G-I_F", "G-C1", "G-C2", "G-C3", "G-H", "G-V", "G-cross")),
    )
