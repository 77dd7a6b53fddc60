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
:math:`-2\log\sigma(F)` for a generic :math:`F`, eq. 21 pointwise, and — with the expectation algebra
(:mod:`derivations.expectation`) over a class-1 pair :math:`x \sim p_d`, :math:`y|x \sim p_n(\cdot|x)` (class 0:
:math:`y \sim p_d`, :math:`x|y \sim p_n(\cdot|y)`), generic :math:`f`, :math:`p_d`, :math:`p_n` — the merge of
eq. 12, Lemma 3's eq. 14, the swap identities (i)–(iii), :math:`\mathbb{E}[\mathbf H] = 2C_1`,
:math:`N_d\operatorname{Var}\mathbf J = 4C_2` and, for any K, :math:`4(C_2 + (K-1)C_3)/K`, with :math:`C_1, C_2, C_3`
the expectations that define them (:class:`Constant`). The swap inside one integral against :math:`p_1` needs one
change-of-variables rule the algebra lacks (its rule 6 renames only variables of the same law); it is added here,
locally, by :class:`PairExpectation`. Named assumptions: ``regularity`` (differentiation under the integral),
``iid-pairs`` and ``noise-conditionally-iid`` (the count of the N_d² and K² terms of a variance of a sum); the sandwich
:math:`\mathbb{E}[\mathbf H]^{-1}\operatorname{Var}\mathbf J\,\mathbb{E}[\mathbf H]^{-1}` is derived once in
:mod:`~ebmcheck.derivations.mestimation` and included (labels prefixed :data:`SANDWICH`), with its own named
assumptions (LLN, CLT, consistency, Slutsky, ...). Still on placeholders, off those chains: the errata of eq. 63, eqs. 4/22 and
eqs. 47–54 (symbolic stand-ins), the oracle corollary's general-model matrices :math:`M, I_F` (symbols; its
:math:`\mathbb{E}[(g(x)-g(y))^2] = 2\operatorname{Var} g` and :math:`C_3 = I_F/4` are derived with the algebra).
Derived from a model's definition with no placeholder: Corollary 2 (and its any-K form) for the Gaussian with
unknown precision, every expectation a SymPy integral (:func:`gaussian_oracle_steps`).
"""

from __future__ import annotations

import functools
import itertools

import sympy as sp
from ebmcheck.derivations.expectation import E as expect
from ebmcheck.derivations.expectation import (
    Expectation,
    Mean,
    RandomVariable,
    Var,
    normalize,
)
from ebmcheck.derivations.mestimation import sandwich_steps
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step
from ebmcheck.theory import models
from ebmcheck.theory.symbolic import compile_expression
from sympy import stats
from sympy.core.symbol import Str
from sympy.printing.precedence import PRECEDENCE

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
SANDWICH = "m-"
"""Label prefix of the M-estimator sandwich's steps (derivations.mestimation) where a CNCE derivation includes them."""


def sigma(u):
    return 1 / (1 + sp.exp(-u))


IID_PAIRS = Assumption(
    "iid-pairs", r"(x_i, y_i) \overset{iid}{\sim} p_1,\ i = 1,\dots,N_d",
    "the N_d data points (with their noise) are i.i.d., so Var of their sum is the sum over the N_d² index pairs "
    "(i, j) of Cov(s_i, s_j): N_d diagonal terms Cov(s), N_d² − N_d off-diagonal terms Cov(s(x,y), s(x',y'))",
)


# ---- the expectation algebra on the CNCE pair ------------------------------------------------------------
# Class 1: x ~ p_d, y | x ~ p_n(·|x) (joint p1(x,y) = p_d(x)p_n(y|x)); class 0: y ~ p_d, x | y ~ p_n(·|y)
# (joint p0(x,y) = p1(y,x)). A second, independent class-1 pair (x', y') (same laws: i.i.d.) and a second noise
# point y₂ | x (conditionally i.i.d. with y given x) serve Var J and Var J_K.
X1 = RandomVariable("x", "p_d")
Y1 = RandomVariable("y", "p_n", given=(X1,))
Y0 = RandomVariable("y", "p_d")
X0 = RandomVariable("x", "p_n", given=(Y0,))
X2 = RandomVariable("x'", "p_d")
Y2 = RandomVariable("y'", "p_n", given=(X2,))
Y12 = RandomVariable("y_2", "p_n", given=(X1,))
THETA = sp.symbols("theta1 theta2", real=True)
_f, _p_d, _p_n = sp.Function("f"), sp.Function("p_d"), sp.Function("p_n")  # p_n(u, v) is p_n(u|v)


def _p1(x, y):
    """The class-1 joint density p1(x,y) = p_d(x) p_n(y|x), in the algebra's density functions."""
    return _p_d(x) * _p_n(y, x)


class Sigmoid(sp.Function):
    r""":math:`\sigma(u) = 1/(1+e^{-u})` with eq. 21 as its one evaluation rule: :math:`\sigma(-u) = 1 - \sigma(u)`
    (proved pointwise in :func:`lemma4_symmetry`), applied whenever ``-u`` is the canonical sign of the
    argument, so that :math:`1 - \sigma(F(y,x))` and :math:`\sigma(F(x,y))` are one expression."""

    @classmethod
    def eval(cls, u):
        if u.could_extract_minus_sign():
            return 1 - cls(-u)

    def _latex(self, printer):
        return r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"


class Named(sp.Expr):
    r"""A quantity of the pair shown by its name (:math:`\partial_{\theta_1}F(x,y)`, :math:`\sigma(F^*(x,y))`,
    :math:`(C_1)_{12}`) and carrying its definition, which ``doit`` (what a step's check calls) substitutes.

    ``template`` is LaTeX in which ``#0, #1, …`` stand for the printed ``points`` (the arguments are those of
    ``func(*args)``, as SymPy rebuilds an expression); renaming a random variable renames it
    in the definition and the points alike, so the name stays true."""

    is_commutative = True
    is_real = True
    precedence = PRECEDENCE["Mul"]  # printed in parentheses under a power: (∂ℓ(x,y))², not ∂ℓ(x,y)²

    def __new__(cls, definition, template, points=()):
        template = template if isinstance(template, Str) else Str(template)
        return sp.Expr.__new__(cls, sp.sympify(definition), template, sp.Tuple(*points))

    @property
    def definition(self):
        return self.args[0]

    def doit(self, **hints):
        return _unfold(self.definition).doit(**hints)

    def _latex(self, printer):
        text = self.args[1].name
        for index, point in enumerate(self.args[2]):
            text = text.replace(f"#{index}", printer._print(point))
        return text


class Constant(sp.Symbol):
    r"""A constant of the problem defined by an expectation, e.g. :math:`(C_1)_{12}`: a real symbol (printed by
    its name, an atom for the matrix algebra of the sandwich, so that step is checked as algebra) that carries
    its ``definition``; the steps that prove an identity *about* its value state the definition itself."""

    __slots__ = ("definition",)

    def __new__(cls, name: str, definition):
        obj = sp.Symbol.__xnew__(cls, name, real=True)
        obj.definition = sp.sympify(definition)
        return obj

    def __getnewargs_ex__(self):
        return (self.name, self.definition), {}

    def _hashable_content(self):
        return (*super()._hashable_content(), self.definition)


def _unfold(expr):
    """Every :class:`Named` quantity replaced by its definition (recursively)."""
    while expr.has(Named):
        expr = expr.replace(lambda e: isinstance(e, Named), lambda e: e.definition)
    return expr


class PairExpectation(Expectation):
    r""":math:`\mathbb{E}_{p}[\cdot]` of :mod:`derivations.expectation`, printed with the joint density's name
    (:math:`p_1`, :math:`p_0`) and with one more change-of-variables rule in its normal form.

    Rule 6 of the algebra renames integration variables only among variables of the same law, so it cannot
    see the swap :math:`(x,y) \to (y,x)` *inside one integral* against :math:`p_1`, where :math:`x \sim p_d`
    and :math:`y \sim p_n(\cdot|x)` have different laws. Here each normal-form atom :math:`\int\phi\rho\,du`
    is rewritten as the integral of the single product :math:`\phi\rho`, its dummies renamed by the
    permutation (over all of them) that minimizes the sort key: two atoms whose integrands
    :math:`\phi\rho` differ by a renaming of the dummies are the same integral (a change of variables,
    Fubini; integrability assumed). It identifies nothing else."""

    def __new__(cls, expr, over, shown=""):
        over = (over,) if isinstance(over, RandomVariable) else tuple(over)
        shown = shown if isinstance(shown, Str) else Str(shown)
        return sp.Expr.__new__(cls, sp.sympify(expr), sp.Tuple(*sorted(over, key=sp.default_sort_key)), shown)

    def doit(self, **hints):
        form = normalize(Expectation(_plain(_unfold(self.expr)), self.over))
        return sp.expand(form.xreplace({m: _integral_of_product(m) for m in form.atoms(Mean)}))

    def _latex(self, printer):
        name = self.args[2].name
        if not name:
            return super()._latex(printer)
        return r"\mathbb{E}_{" + name + r"}\left[" + printer._print(self.expr) + r"\right]"


def _plain(expr):
    """Inner pair expectations as the algebra's own (the extra rule is applied once, to the final atoms)."""
    return expr.replace(lambda e: isinstance(e, PairExpectation), lambda e: Expectation(_plain(_unfold(e.expr)), e.over))


def _integral_of_product(mean: Mean) -> Mean:
    """The atom as :math:`\\int (\\phi\\rho)\\,du` with its dummies in the order (over all permutations) that
    minimizes ``srepr``: the canonical representative of the integral under changes of variables by permutation."""
    product, variables = mean.integrand * mean.density, mean.variables
    candidates = (product.xreplace(dict(zip(order, variables))) for order in itertools.permutations(variables))
    return Mean(min(candidates, key=sp.srepr), sp.S.One, variables)


def E1(expr, over=(X1, Y1)):
    """:math:`\\mathbb{E}_{p_1}` over the class-1 pair (or ``over`` given, e.g. a conditional expectation)."""
    return PairExpectation(expr, over, "p_1" if tuple(over) == (X1, Y1) else "")


def _grad_F(x, y):
    r""":math:`\partial_{\theta_i}F(x,y)` (i = 1, 2), named, defined as :math:`\partial_{\theta_i}\log f(x) - \partial_{\theta_i}\log f(y)`
    (the noise terms of F do not depend on θ)."""
    return [Named(sp.Derivative(sp.log(_f(x, *THETA)), t) - sp.Derivative(sp.log(_f(y, *THETA)), t),
                  rf"\partial_{{\theta_{{{i + 1}}}}} F(#0,#1)", (x, y))
            for i, t in enumerate(THETA)]


def _hess_F(x, y):
    r""":math:`\partial_{\theta_i}\partial_{\theta_j}F(x,y)`, named, defined through :math:`\log f` as :func:`_grad_F`."""
    def entry(i, j):
        d = lambda point: sp.Derivative(sp.log(_f(point, *THETA)), THETA[i], THETA[j])
        return Named(d(x) - d(y), rf"\partial_{{\theta_{{{i + 1}}}\theta_{{{j + 1}}}}} F(#0,#1)", (x, y))
    return sp.Matrix(2, 2, entry)


def _posterior(x, y, cls):
    r""":math:`\sigma(F^*(x,y)) = p_1(x,y)/(p_1(x,y)+p_1(y,x))` (class 1) or :math:`\sigma(-F^*) = p_1(y,x)/(\dots)`
    (class 0): the posterior class probabilities at θ*, named."""
    a, b = _p1(x, y), _p1(y, x)
    if cls == 1:
        return Named(a / (a + b), r"\sigma(F^{*}(#0,#1))", (x, y))
    return Named(b / (a + b), r"\sigma(-F^{*}(#0,#1))", (x, y))


def _grad_loss(x, y):
    r""":math:`\partial_{\theta_i}\ell(x,y) = -2\sigma(-F^*)\partial_{\theta_i}F` at θ* (eq. 29), named."""
    return [Named(-2 * _posterior(x, y, 0) * g, rf"\partial_{{\theta_{{{i + 1}}}}} \ell(#0,#1)", (x, y))
            for i, g in enumerate(_grad_F(x, y))]


def _C(k):
    r"""The paper's :math:`C_1` (eq. 5), :math:`C_2` (eq. 6) and :math:`C_3` (eqs. 50–54 corrected) as 2×2 matrices
    of named expectations over the class-1 pair:
    :math:`C_1 = \mathbb{E}_{p_1}[\nabla F\nabla F^\top\sigma(F^*)\sigma(-F^*)]`,
    :math:`C_2 = \mathbb{E}_{p_1}[\nabla F\nabla F^\top\sigma(-F^*)^2]`,
    :math:`C_3 = \mathbb{E}_{x}[m(x)m(x)^\top]`, :math:`m(x) = \mathbb{E}_{y|x}[\sigma(-F^*)\nabla F]`."""
    g, s1, s0 = _grad_F(X1, Y1), _posterior(X1, Y1, 1), _posterior(X1, Y1, 0)

    def entry(i, j):
        if k == 1:
            definition = E1(g[i] * g[j] * s1 * s0)
        elif k == 2:
            definition = E1(g[i] * g[j] * s0**2)
        else:
            m = [E1(s0 * gi, over=(Y1,)) for gi in g]
            definition = E1(m[i] * m[j], over=(X1,))
        return Constant(f"C{k}_{min(i, j) + 1}{max(i, j) + 1}", definition)
    return sp.Matrix(2, 2, entry)


def _definitions(matrix):
    """The expectations that define a matrix of :class:`Constant` entries."""
    return matrix.applyfunc(lambda c: c.definition)


def _with_constants(expr, *pairs):
    """``expr`` built on the placeholder-free symbolic matrices of :func:`_matrix`, its symbols replaced by the
    defined constants (:func:`_C`): a product of inverses is computed on symbols (fast) and shown on the
    constants."""
    return expr.xreplace({s: c for symbols, constants in pairs for s, c in zip(list(symbols), list(constants))})


def _cov(a, b, over, shown=""):
    """Cov(a, b) = E[ab] − E[a]E[b], each an unevaluated pair expectation."""
    return PairExpectation(a * b, over, shown) - PairExpectation(a, over, shown) * PairExpectation(b, over, shown)


def _F(x, y):
    r""":math:`F(x,y;\theta) = \log f(x;\theta) - \log f(y;\theta) + \log p_n(y|x) - \log p_n(x|y)` (the model's
    definition of the log-ratio), written with the algebra's density function ``p_n(u, v)`` = :math:`p_n(u|v)`."""
    return sp.log(_f(x, *THETA)) - sp.log(_f(y, *THETA)) + sp.log(_p_n(y, x)) - sp.log(_p_n(x, y))


# ---- Lemma 4 ---------------------------------------------------------------------------------
def lemma4_symmetry() -> Derivation:
    r"""Eq. 21: :math:`\log\sigma(F(x,y)) = \log(1 - \sigma(F(y,x)))`, and the merge of eq. 11 into eq. 12.

    Eq. 21 is pointwise (any real values of the four logs). The merge of the two sums is the swap identity
    of the expectation algebra: the class-0 pair :math:`(x,y) \sim p_0`, :math:`p_0(x,y) = p_1(y,x)`, has the
    law of the swapped class-1 pair, so :math:`\mathbb{E}_{p_0}[h(x,y)] = \mathbb{E}_{p_1}[h(y,x)]` for any
    :math:`h`; with :math:`F(y,x) = -F(x,y)` (the definition) and eq. 21 the class-0 term is the class-1 term."""
    lfx, lfy, nyx, nxy = sp.symbols("ell_x ell_y n_yx n_xy", real=True)  # log f(x), log f(y), log p_n(y|x), log p_n(x|y)
    F_xy = lfx - lfy + nyx - nxy
    F_yx = lfy - lfx + nxy - nyx  # swap x <-> y
    F0, F1 = Named(_F(X0, Y0), "F(#0,#1)", (X0, Y0)), Named(_F(X1, Y1), "F(#0,#1)", (X1, Y1))
    steps = (
        Step(F_yx, sp.Mul(-1, F_xy, evaluate=False), "swapping x and y flips the sign of the log-ratio F",
             label="swap", rests_on=(DEFINITION,)),
        Step(sp.log(sigma(F_xy)), sp.log(1 - sigma(F_yx)), "eq. 21 (Lemma 4): 1 − σ(−u) = σ(u)", (NOISE_POSITIVE,),
             label="eq21", rests_on=("swap", DEFINITION)),
        Step(PairExpectation(-sp.log(1 - Sigmoid(F0)), (X0, Y0), "p_0"), E1(-sp.log(Sigmoid(F1))),
             "eq. 12: the class-0 term E_{p0}[−log(1 − σ(F))], with y ~ p_d, x|y ~ p_n(·|y), equals the class-1 term "
             "E_{p1}[−log σ(F)], x ~ p_d, y|x ~ p_n(·|x) — the expectation algebra's swap (p0(x,y) = p1(y,x): a "
             "renaming of the integration variables) with F(y,x) = −F(x,y) and eq. 21 inside the integral; so the two "
             "merge into −2E_{p1} log σ(F) (any p_d, p_n, f)", (NOISE_POSITIVE,),
             label="merge", rests_on=("eq21", DEFINITION)),
    )
    return Derivation("Lemma 4: symmetry of the CNCE loss", steps, result="merge")


# ---- Lemma 3 ---------------------------------------------------------------------------------
class _ModelExpectation(PairExpectation):
    r""":math:`\mathbb{E}_p` for the model's density :math:`p = f/Z`: the algebra's normal form with the law's
    generic density ``p(u)`` replaced by :math:`f(u;\theta)/Z(\theta)`, :math:`Z = \int f`, each atom an integral."""

    def doit(self, **hints):
        form = normalize(Expectation(_unfold(self.expr), self.over))
        density = sp.Lambda(_U, _f(_U, *THETA) / _Z)
        integrals = {m: m.as_integral().replace(sp.Function("p"), density).doit() for m in form.atoms(Mean)}
        return sp.expand(form.xreplace(integrals))


_U = sp.Dummy("u_1", dummy_index=-1, real=True)  # the algebra's first canonical integration variable
_Z = sp.Integral(_f(_U, *THETA), (_U, -sp.oo, sp.oo))  # Z(θ) = ∫ f(u; θ) du


def lemma3_fisher() -> Derivation:
    r"""Eq. 14: :math:`I_F = \operatorname{Var}_p[\nabla_\theta\log f]` for any model :math:`p = f/Z`, p = 2,
    entrywise; proof eqs. 16–20 with the expectation algebra (``x ~ p``, generic :math:`f(x;\theta)`), and in
    closed form for the Gaussian with unknown precision (``models.gaussian_precision``, from its definition).

    :math:`\nabla\log p = \nabla\log f - \nabla\log Z` (definition), :math:`\nabla\log Z = \nabla Z/Z =
    \int\nabla f/Z = \mathbb{E}_p[\nabla\log f]` (differentiation under the integral: ``regularity``), so
    :math:`I_F = \mathbb{E}_p[\nabla\log p\,\nabla\log p^\top]` is the covariance of :math:`\nabla\log f`."""
    x = RandomVariable("x", "p")
    g = [sp.Derivative(sp.log(_f(x, *THETA)), t) for t in THETA]
    g_named = [Named(gi, rf"\partial_{{\theta_{{{i + 1}}}}}\log f(#0)", (x,)) for i, gi in enumerate(g)]
    score = [sp.Derivative(sp.log(_f(x, *THETA) / _Z), t) for t in THETA]
    dlogZ = [sp.Derivative(sp.log(_Z), t) for t in THETA]
    # eq. 14 holds for any law of x: the algebra's own E and Var (no density substituted)
    # (the score components g_i = ∂_i log f(x) named: any functions of x, the algebra needs nothing else of them)
    centred = [gi - expect(gi) for gi in g_named]
    fisher = sp.Matrix(2, 2, lambda i, j: expect(centred[i] * centred[j]))
    covariance = sp.Matrix(2, 2, lambda i, j: Var(g_named[i]) if i == j
                           else expect(g_named[i] * g_named[j]) - expect(g_named[i]) * expect(g_named[j]))
    # closed form: log f = −θx²/2, log Z = ½ log(2π/θ), p = N(0, 1/θ) (the model's definition)
    model = models.gaussian_precision()
    (xg,), (t,) = model.x, model.theta
    log_p = model.log_f_expr - model.log_normalizer_expr
    density = sp.exp(log_p)
    gx = sp.Derivative(model.log_f_expr, t)

    def E(e):
        return sp.Integral(e * density, (xg, -sp.oo, sp.oo))

    fisher_gauss = E(sp.Derivative(log_p, t) ** 2)
    var_gauss = E(gx**2) - E(gx) ** 2
    steps = (
        Step(sp.Matrix(score), sp.Matrix([gi - d for gi, d in zip(g, dlogZ)]),
             "eqs. 17–18: ∇log p = ∇log f − ∇log Z, p = f/Z, Z(θ) = ∫f(u;θ)du (any f)",
             label="score", rests_on=(DEFINITION,)),
        Step(sp.Matrix(dlogZ), sp.Matrix([_ModelExpectation(gi, (x,), "p") for gi in g]),
             "eqs. 19–20: ∇log Z = ∫∇f/Z = ∫(∇log f) f/Z = E_p[∇log f] (differentiation under the integral)",
             (REGULARITY,), label="dlogZ", rests_on=(DEFINITION,)),
        Step(fisher, covariance,
             "eq. 16 → eqs. 14–15: I_F = E_p[∇log p ∇log pᵀ] with ∇log p = ∇log f − E_p[∇log f] (the two steps above) "
             "is the covariance of ∇log f: Var_p on the diagonal, Cov_p off it (expectation algebra, any f)",
             label="eq14", rests_on=("score", "dlogZ")),
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


# ---- Theorem 1 --------------------------------------------------------------------------------
def _symmetry_steps():
    r"""The swap identities at :math:`\theta^*`, as identities of expectations over the class-1 pair
    (:math:`x \sim p_d`, :math:`y|x \sim p_n(\cdot|x)`), derived by the expectation algebra.

    From the definition, :math:`\nabla F(x,y) = \nabla\log f(x) - \nabla\log f(y)` (the noise terms do not depend
    on θ) and at θ* :math:`\sigma(-F^*) = p_1(y,x)/(p_1(x,y)+p_1(y,x))`. Against :math:`p_1(x,y)` the weight
    :math:`p_1\,\sigma(-F^*)` is symmetric in :math:`(x,y)` while :math:`\nabla F`, :math:`\nabla^2F` are
    antisymmetric; the change of variables :math:`(x,y)\to(y,x)` (:class:`PairExpectation`) then gives
    (i) :math:`\mathbb{E}[\sigma(-F^*)\nabla F] = 0`, (ii) :math:`\mathbb{E}[\sigma(-F^*)\nabla^2F] = 0`,
    (iii) :math:`C_2 = C_1`."""
    lpd_x, lpd_y, lpn_yx, lpn_xy, logZ = sp.symbols("lpd_x lpd_y lpn_yx lpn_xy logZ", real=True)
    F_star = sp.Add(lpd_x + logZ, sp.Mul(-1, lpd_y + logZ, evaluate=False), lpn_yx, -lpn_xy, evaluate=False)
    x, y = X1, Y1
    a, b = _p1(x, y), _p1(y, x)
    log_ratio = sp.log(_p_d(x)) + sp.log(_p_n(y, x)) - sp.log(_p_d(y)) - sp.log(_p_n(x, y))
    gradF, hessF = _grad_F(x, y), _hess_F(x, y)
    s1, s0 = _posterior(x, y, 1), _posterior(x, y, 0)
    outer = lambda weight: sp.Matrix(2, 2, lambda i, j: E1(gradF[i] * gradF[j] * weight))
    return (
        Step(F_star, (lpd_x + lpn_yx) - (lpd_y + lpn_xy),
             "at θ*: log f = log p_d + log Z, so F* = log p1(x,y) − log p1(y,x) (Z cancels)", (WELL_SPECIFIED,),
             label="F*", rests_on=(DEFINITION,)),
        Step(sp.Matrix([sigma(log_ratio), sigma(-log_ratio)]), sp.Matrix([a / (a + b), b / (a + b)]),
             "the class posteriors at θ*: σ(F*(x,y)) = p1(x,y)/(p1(x,y) + p1(y,x)) and σ(−F*) = p1(y,x)/(…), "
             "p1(x,y) = p_d(x)p_n(y|x)", label="sigma*", rests_on=("F*",)),
        Step(sp.Matrix([sp.Derivative(_F(x, y), t) for t in THETA]), sp.Matrix([g.definition for g in gradF]),
             "∇F(x,y) = ∇log f(x) − ∇log f(y): the noise terms of F do not depend on θ (the definition of F)",
             label="gradF", rests_on=(DEFINITION,)),
        Step(sp.Matrix(2, 2, lambda i, j: sp.Derivative(_F(x, y), THETA[i], THETA[j])), hessF.applyfunc(lambda h: h.definition),
             "∇²F(x,y) = ∇²log f(x) − ∇²log f(y) (the definition of F)", label="hessF", rests_on=(DEFINITION,)),
        Step(sp.Matrix([E1(g * s0) for g in gradF]), sp.zeros(2, 1),
             "symmetry (i): E_{p1}[∇F σ(−F*)] = 0 — the gradient is unbiased (eq. 43 null): ∇F is antisymmetric, "
             "p1 σ(−F*) = p1(x,y)p1(y,x)/(p1(x,y) + p1(y,x)) symmetric under (x,y) ↔ (y,x) (expectation algebra)",
             (WELL_SPECIFIED,), label="sym-i", rests_on=("sigma*", "gradF")),
        Step(hessF.applyfunc(lambda h: E1(h * s0)), sp.zeros(2, 2),
             "symmetry (ii): E_{p1}[∇²F σ(−F*)] = 0 — the first Hessian term vanishes (eqs. 36–37; expectation algebra)",
             (WELL_SPECIFIED,), label="sym-ii", rests_on=("sigma*", "hessF")),
        Step(outer(s0**2), outer(s1 * s0),
             "symmetry (iii): C2 = E_{p1}[∇F∇Fᵀ σ(−F*)²] equals C1 = E_{p1}[∇F∇Fᵀ σ(F*)σ(−F*)]: ∇F∇Fᵀ is symmetric and "
             "p1(σ(−F*)² − σ(F*)σ(−F*)) antisymmetric under the swap (expectation algebra)",
             (WELL_SPECIFIED,), label="sym-iii", rests_on=("sigma*", "gradF")),
    )


def _expected_hessian_step() -> Step:
    r""":math:`\mathbb{E}_{p_1}[\nabla^2\ell] = 2C_1` at θ*, with :math:`\nabla^2\ell = -2[\sigma(-F)\nabla^2F -
    \sigma(F)\sigma(-F)\nabla F\nabla F^\top]` (eqs. 30–34) and :math:`C_1` its definition (eq. 5)."""
    gradF, hessF = _grad_F(X1, Y1), _hess_F(X1, Y1)
    s1, s0 = _posterior(X1, Y1, 1), _posterior(X1, Y1, 0)
    hessian = sp.Matrix(2, 2, lambda i, j: E1(-2 * (s0 * hessF[i, j] - s1 * s0 * gradF[i] * gradF[j])))
    return Step(hessian, 2 * _definitions(_C(1)),
                "eqs. 35–39: E_{p1}[∇²ℓ] at θ* = −2E[σ(−F*)∇²F] + 2E[σ(F*)σ(−F*)∇F∇Fᵀ] = 0 + 2C1, C1 the expectation "
                "of eq. 5 (expectation algebra: linearity and symmetry ii)",
                (WELL_SPECIFIED,), label="EH", rests_on=("hess", "sym-ii"))


def _covariance_of_gradient(x, y):
    """Cov(∂ℓ(x,y)): the 2×2 matrix of E[∂_iℓ ∂_jℓ] − E[∂_iℓ]E[∂_jℓ] over the class-1 pair."""
    d = _grad_loss(x, y)
    return sp.Matrix(2, 2, lambda i, j: _cov(d[i], d[j], (x, y), "p_1"))


def _cross_covariance(first, second):
    """Cov(∂ℓ(first), ∂ℓ(second)) for two pairs: E[∂_iℓ(first) ∂_jℓ(second)] − E[∂_iℓ(first)]E[∂_jℓ(second)]."""
    a, b = _grad_loss(*first), _grad_loss(*second)
    joint = tuple(dict.fromkeys(first + second))
    return sp.Matrix(2, 2, lambda i, j: PairExpectation(a[i] * b[j], joint)
                     - PairExpectation(a[i], first, "p_1") * PairExpectation(b[j], second, "p_1"))


def theorem1() -> Derivation:
    r"""Theorem 1 (K = 1): gradient, Hessian, expected Hessian, gradient variance, sandwich (eqs. 25–64).

    Derived for a generic :math:`F(\theta)` (p = 2): the gradient and Hessian of :math:`-2\log\sigma(F)`; for any
    :math:`f`, :math:`p_d`, :math:`p_n` with the expectation algebra: the swap identities (:func:`_symmetry_steps`),
    :math:`\mathbb{E}[\mathbf H] = 2C_1` and :math:`N_d\operatorname{Var}\mathbf J = 4C_2` with :math:`C_1, C_2` the
    expectations of eqs. 5–6 (the N_d-term count under the named assumption ``iid-pairs``). The sandwich is derived
    in :mod:`~ebmcheck.derivations.mestimation` and included."""
    t1, t2, N = sp.symbols("theta1 theta2", real=True) + (sp.Symbol("N_d", positive=True),)
    F = sp.Function("F", real=True)(t1, t2)
    loss = -2 * sp.log(sigma(F))
    grad = sp.Matrix([sp.Derivative(loss, t) for t in (t1, t2)])
    gradF = sp.Matrix([sp.Derivative(F, t) for t in (t1, t2)])
    hessF = sp.Matrix(2, 2, lambda i, j: sp.Derivative(F, (t1, t2)[i], (t1, t2)[j]).doit())
    hess = sp.Matrix(2, 2, lambda i, j: sp.Derivative(loss, (t1, t2)[i], (t1, t2)[j]))
    u = sp.Symbol("u", real=True)
    C1, C2 = _matrix("C1"), _matrix("C2")  # the exported closed form's symbols (the checks substitute numbers)
    C1c, C2c = _C(1), _C(2)  # the same matrices as constants defined by eqs. 5–6
    half = sp.Rational(1, 2)
    Z, scale = stats.Normal("Z", 0, 1), sp.Symbol("v", positive=True)
    V, W = _covariance_of_gradient(X1, Y1), _cross_covariance((X1, Y1), (X2, Y2))
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
        _expected_hessian_step(),
        Step((N * V + (N**2 - N) * W) / N**2, V / N,
             "eqs. 40–41 (K = 1): Var J = Var[(1/N_d) Σ_i ∂ℓ(x_i, y_i)] = (1/N_d²)[N_d Cov(∂ℓ) + (N_d² − N_d) "
             "Cov(∂ℓ(x,y), ∂ℓ(x',y'))]; the cross-covariance of two independent pairs is 0 (expectation algebra: "
             "independence)", (IID_PAIRS,), label="VarJ-count", rests_on=("grad", DEFINITION)),
        Step(V / N, 4 / N * _definitions(C2c),
             "eqs. 42–44, 50 (K = 1): Var J = (1/N_d)(E[∇ℓ∇ℓᵀ] − E∇ℓ E∇ℓᵀ) = (4/N_d)C2, ∇ℓ = −2σ(−F*)∇F at θ*, "
             "E∇ℓ = 0 (symmetry i), C2 the expectation of eq. 6 (expectation algebra)",
             (WELL_SPECIFIED,), label="VarJ", rests_on=("VarJ-count", "sym-i")),
        *sandwich_steps(SANDWICH),
        Step(_shown_product(("inv", 2 * C1c), 4 / N * C2c, ("inv", 2 * C1c)),
             _with_constants(C1.inv() * C2 * C1.inv() / N, (C1, C1c), (C2, C2c)),
             "eqs. 60–62, 64: Σ = E[H]⁻¹ Var J E[H]⁻¹ (the M-estimator sandwich derived above, with H = E[H], "
             "V = N_d Var J) = (2C1)⁻¹ (4/N_d) C2 (2C1)⁻¹ = C1⁻¹C2C1⁻¹/N_d, with E[H] = 2C1 and Var J = 4C2/N_d "
             "derived above (C1, C2 the expectations of eqs. 5–6)",
             (REGULARITY,), label="sandwich", rests_on=(f"{SANDWICH}sandwich", "EH", "VarJ")),
        Step((half * C1.inv()) * (4 / N * C2) * (half * C1), C1.inv() * C2 * C1.inv() / N,
             "eq. 63 as printed (last factor ½C1 instead of ½C1⁻¹) is not eq. 62 — a typo; eq. 64 is right",
             relation="≠", erratum="appendix B.2, eq. 63",
             label="eq63", rests_on=("sandwich",), placeholders=_entries(C1) + _entries(C2)),
        Step(_shown_product(("inv", C1c), C1c, ("inv", C1c)), _with_constants(C1.inv(), (C1, C1c)),
             "with C2 = C1 (symmetry iii) the sandwich collapses: Σ = C1⁻¹/N_d",
             label="collapse", rests_on=("sandwich", "sym-iii")),
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

    With the expectation algebra (:math:`y, y_2 \mid x` conditionally i.i.d. ~ :math:`p_n(\cdot|x)`):
    :math:`N_dK^2\operatorname{Var}\mathbf J_K = K\operatorname{Cov}(\nabla\ell) + (K^2-K)\operatorname{Cov}(\nabla\ell(x,y),
    \nabla\ell(x,y_2)) = 4KC_2 + 4(K^2-K)C_3`, :math:`C_3 = \mathbb{E}_x[m m^\top]`, :math:`m(x) = \mathbb{E}_{y|x}[\sigma(-F^*)\nabla F]`;
    the count of K diagonal and K² − K off-diagonal terms is ``noise-conditionally-iid``, the N_d data points
    ``iid-pairs``; the sandwich is included from :mod:`~ebmcheck.derivations.mestimation`. The scalar (p = 1) count with the conditional mean
    :math:`m(x)` and variance :math:`v(x)` as placeholders stays on the page for the errata of eqs. 47–54 (off the
    result's chain). The oracle's :math:`(1 + 1/K)I_F^{-1}` is derived from the Gaussian model's definition in
    :func:`corollary2`."""
    K = sp.Symbol("K", positive=True, integer=True)
    N = sp.Symbol("N_d", positive=True)
    m, v = sp.symbols("m v", positive=True)  # given x: s_j = m(x) + e_j, E[e_j]=0, E[e_j²]=v (scalar p = 1 view)
    second_moment = K**2 * m**2 + K * v  # E[(Σ_j s_j)² | x]
    Ess, Ess2 = v + m**2, m**2  # E[s²|x], E[s s'|x]
    correct = K * Ess + (K**2 - K) * Ess2
    printed_47_49 = K * Ess + 2 * (K**2 - K) * Ess2
    # eqs. 51-54 print E_x[E_y[∇F P0]] (a vector, the mean of s), which is 0 at θ*, instead of E_x[m mᵀ]
    C1, C2, C3 = _matrix("C1"), _matrix("C2"), _matrix("C3")
    C1c, C2c, C3c = _C(1), _C(2), _C(3)  # the same matrices as constants defined by eqs. 5–6 and the corrected C3
    V, W = _covariance_of_gradient(X1, Y1), _cross_covariance((X1, Y1), (X1, Y12))
    closed = _with_constants((C1.inv() * C2 * C1.inv() / K + (1 - 1 / K) * C1.inv() * C3 * C1.inv()) / N,
                             (C1, C1c), (C2, C2c), (C3, C3c))
    Kq = sp.Symbol("K", positive=True)
    I_F = sp.Symbol("I_F", positive=True)
    half_inverse = sp.Pow(I_F / 2, -1, evaluate=False)
    steps = (
        # eqs. 25–39: gradient, Hessian, swap identities (i)–(ii), E[H] = 2C1 (the same for each noise point y_k)
        *(step for step in theorem1().steps[:12] if step.label != "sym-iii"),
        Step((K * V + (K**2 - K) * W) / (N * K**2), 4 / (N * K) * (_definitions(C2c) + (K - 1) * _definitions(C3c)),
             "eqs. 40–50 corrected: Var J_K = (1/(N_d K²))[K Cov(∇ℓ(x,y)) + (K² − K) Cov(∇ℓ(x,y), ∇ℓ(x,y_2))] "
             "(K diagonal terms, K² − K ordered pairs j ≠ k of noise points sharing x) = 4(C2 + (K − 1)C3)/(N_d K): "
             "E∇ℓ = 0 (symmetry i), and the within-x cross term is 4E_x[m mᵀ] = 4C3, m(x) = E_{y|x}[σ(−F*)∇F] "
             "(expectation algebra: y, y_2 | x conditionally i.i.d.)",
             (WELL_SPECIFIED, CONDITIONALLY_IID, IID_PAIRS), label="VarJ_K", rests_on=("grad", "sym-i")),
        Step(correct, second_moment, "eqs. 45–47 in the scalar view: K diagonal terms + (K²−K) ordered off-diagonal "
             "pairs j≠k, with the conditional mean m(x) and variance v(x) of one summand as symbols",
             (CONDITIONALLY_IID,), label="moment", rests_on=(DEFINITION,), placeholders=(m, v)),
        Step(printed_47_49, second_moment,
             "eqs. 47–49 as printed count the off-diagonal term twice (eqs. 48 and 49 are the same term)", relation="≠",
             erratum="appendix B.2, eqs. 47–49", label="eq47-49", rests_on=("moment",), placeholders=(m, v)),
        Step(sp.Mul(4 * (K**2 - K), 0, evaluate=False), 4 * (K**2 - K) * m**2,
             "eqs. 51–54 as printed: E_x[E_y[∇F P0]] = E[s] = 0 at θ* (symmetry i), so the printed cross terms "
             "vanish; the correct cross term is E_x[m(x) m(x)ᵀ] ≥ 0 (here m²)", relation="≠",
             erratum="appendix B.2, eqs. 51–54", label="eq51-54", rests_on=("moment",), placeholders=(m,)),
        *sandwich_steps(SANDWICH),
        Step(_shown_product(("inv", 2 * C1c), 4 / (N * K) * (C2c + (K - 1) * C3c), ("inv", 2 * C1c)), closed,
             "Σ_K = E[H]⁻¹ Var[J_K] E[H]⁻¹ with E[H] = 2C1 (any K: each noise point's term has the law of K = 1's) "
             "and Var J_K = 4(C2 + (K−1)C3)/(N_d K), C1, C2, C3 the expectations derived above",
             (REGULARITY, CONDITIONALLY_IID), label="sigma_K", rests_on=(f"{SANDWICH}sandwich", "EH", "VarJ_K")),
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
    symbols; :math:`\mathbb{E}[(g(x)-g(x'))^2] = 2\operatorname{Var} g` and :math:`C_3 = I_F/4` are derived for any
    :math:`p_d` with the expectation algebra (p = 1). The result — twice the CRLB, and
    :math:`(1 + 1/K)I_F^{-1}` for any K — is derived from the model's definition for the Gaussian family
    (:func:`gaussian_oracle_steps`)."""
    N = sp.Symbol("N_d", positive=True)
    M, I = _matrix("M"), _matrix("I")  # M = E[(g(x) − g(y))(g(x) − g(y))ᵀ]
    half, quarter = sp.Rational(1, 2), sp.UnevaluatedExpr(sp.Rational(1, 4))  # ¼ = σ(F*)σ(−F*) = σ(−F*)²
    # eqs. 70–74 and C3 (p = 1 view) for ANY p_d, in the expectation algebra: x, x' ~ p_d i.i.d., g = ∂_θ log f
    g = sp.Function("g", real=True)
    xa, xb = RandomVariable("x", "p_d"), RandomVariable("x'", "p_d")
    m_x = half * (g(xa) - expect(g(xb)))  # m(x) = E_y[σ(−F*)∂_θF] = ½(g(x) − E g) at the oracle
    x, y, L = sp.symbols("x y L", positive=True)
    p_d_x = sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    lpd_x, lpd_y, logZ = sp.symbols("lpd_x lpd_y logZ", real=True)
    # F* = log f(x) − log f(y) + log p_n(y|x) − log p_n(x|y) with log f = log p_d + log Z and p_n(y|x) = p_d(y)
    F_oracle = sp.Add(lpd_x + logZ, sp.Mul(-1, lpd_y + logZ, evaluate=False), lpd_y, -lpd_x, evaluate=False)
    u = sp.Symbol("u", real=True)
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
        *sandwich_steps(SANDWICH),
        Step(_shown_product(("inv", half * M), M / N, ("inv", half * M)), 4 / N * M.inv(), "eq. 69: Σ = 4M⁻¹/N_d (the sandwich derived above)",
             label="eq69", rests_on=(f"{SANDWICH}sandwich", "eq66", "eq67-68"), placeholders=_entries(M)),
        Step(expect((g(xa) - g(xb)) ** 2), 2 * Var(g(xa)),
             "eqs. 70–74: E_{x,x'~p_d}[(g(x)−g(x'))²] = 2 Var g = 2 I_F (Lemma 3) for independent x, x' and any p_d "
             "(expectation algebra: linearity, independence)", label="eq70-74", rests_on=(DEFINITION,)),
        Step(4 / N * (2 * I).inv(), 2 / N * I.inv(), "eq. 75: Σ = 2 I_F⁻¹/N_d (K = 1), I = I_F a symbolic matrix",
             label="eq75", rests_on=("eq69", "eq70-74"), placeholders=_entries(I)),
        Step(expect(m_x**2), Var(g(xa)) / 4, "any K: m(x) = ½(g(x) − E g) ⇒ C3 = E_x[m(x)²] = I_F/4 for any p_d, so "
             "Σ_K = (1 + 1/K) I_F⁻¹/N_d (expectation algebra)", label="C3", rests_on=(DEFINITION,)),
        *gaussian_oracle_steps(),
    )
    return Derivation("Corollary 2: oracle noise reaches 2×CRLB at K = 1", steps, result="G-2CRLB",
                      notes="The steps before the G-steps are the proof for a general model: M and I_F are symbolic "
                      "matrices (placeholders), while E[(g(x)−g(x'))²] = 2 Var g and C3 = I_F/4 are derived for any "
                      "p_d with the expectation algebra. The G-steps derive the result from the definition of the "
                      "Gaussian with unknown precision (log f = −θx²/2): I_F, C1, C2, C3, E[H] and Var J as SymPy "
                      "integrals; the result's chain is that family's.")


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
    :math:`N_d\Sigma = 2I_F^{-1}` (K = 1) and :math:`(1 + 1/K)I_F^{-1}` (any K). The sandwich is included from
    :mod:`~ebmcheck.derivations.mestimation`; the split of :math:`\operatorname{Var}\mathbf J_K` into K
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
             "(twice the CRLB, K = 1; the sandwich derived above)",
             label="G-2CRLB", rests_on=(f"{SANDWICH}sandwich", "G-I_F", "G-C1", "G-C2", "G-H", "G-V")),
        Step(product(inverse(H_v), sp.Add(product(1 / K, 4, C2_v), product(1 - 1 / K, 4, C3_v), evaluate=False), inverse(H_v)),
             product(1 + 1 / K, inverse(I_F)),
             "any K: N_dVar J_K = (1/K)Var ∂_θℓ + (1 − 1/K)E_x[(E_y ∂_θℓ)²] (K diagonal, K² − K off-diagonal "
             "terms) = 4(C2/K + (1 − 1/K)C3), so N_dΣ_K = (1 + 1/K) I_F⁻¹", (CONDITIONALLY_IID,),
             label="G-any-K", rests_on=(f"{SANDWICH}sandwich", "G-I_F", "G-C1", "G-C2", "G-C3", "G-H", "G-V", "G-cross")),
    )


# ---- local Gaussian noise: the ε → 0 expansion ------------------------------------------------
SERIES_EXCHANGE = Assumption(
    "series-integral-exchange",
    r"\int\!\!\int g(x,\xi;\varepsilon)\,p_d\,\phi = \sum_{k\le 5}\varepsilon^k\!\int\!\!\int g_k\,p_d\,\phi + O(\varepsilon^6)",
    "the ε-Taylor series of the integrand may be integrated term by term (dominated convergence): the "
    "Taylor remainder after ε⁵ is ε⁶ times a polynomial in (x, ξ) with bounded coefficients (the sigmoid and "
    "all its derivatives are bounded), integrable against the Gaussian p_d(x)φ(ξ)",
)


def local_noise_expansion() -> Derivation:
    r"""CNCE with local Gaussian noise :math:`p_n(y|x) = \mathcal N(y; x, \varepsilon^2)` for
    ``models.gaussian_precision`` (:math:`\log f = -\theta x^2/2`, :math:`p_d = \mathcal N(0, 1/\theta^*)`), K = 1,
    as :math:`\varepsilon \to 0`.

    The noise is symmetric, so :math:`F = \log f(x) - \log f(y) = \theta(y^2 - x^2)/2` and
    :math:`\partial_\theta F = (y^2 - x^2)/2`. With :math:`y = x + \varepsilon\xi`, :math:`\xi \sim \mathcal N(0,1)`, each
    integrand is expanded to :math:`\varepsilon^5` (SymPy derivatives at :math:`\varepsilon = 0`) and integrated term by
    term against :math:`p_d(x)\phi(\xi)` (``series-integral-exchange``):

    .. math:: C_1 = \mathbb{E}[\sigma(F)\sigma(-F)(\partial_\theta F)^2] = \frac{\varepsilon^2}{4\theta^*}
              - \frac{3\varepsilon^4}{8} + O(\varepsilon^6) = C_2,\qquad \mathbb{E}[\sigma(-F)\partial_\theta F] = O(\varepsilon^6),

    so, with the sandwich (:mod:`~ebmcheck.derivations.mestimation`), :math:`\mathbb{E}[\partial^2_\theta\ell] = 2C_1` and
    :math:`\operatorname{Var}\partial_\theta\ell = 4C_2` (pointwise, :math:`F` linear in θ),

    .. math:: N_d\Sigma = C_1^{-1}C_2C_1^{-1} = \frac{4\theta^*}{\varepsilon^2} + 6\theta^{*2} + O(\varepsilon^2)
              \to \infty \quad (\varepsilon \to 0):

    local noise with a small jump is inefficient (the CRLB is :math:`I_F^{-1} = 2\theta^{*2}`). Exported:
    ``leading`` (:math:`4\theta^*/\varepsilon^2`), ``two_terms`` (:math:`4\theta^*/\varepsilon^2 + 6\theta^{*2}`) and
    the symbols ``theta_star``, ``eps``."""
    model = models.gaussian_precision()
    (x,), (theta,) = model.x, model.theta
    y, xi = sp.symbols("y xi", real=True)
    eps, theta_star = sp.symbols("epsilon theta_star", positive=True)
    order = 5  # Taylor degree in ε: C1, C2 to O(ε⁶), hence N_dΣ to O(ε²)

    def log_f(point):
        return model.log_f_expr.subs(x, point)

    def log_p_n(point, centre):  # log N(point; centre, ε²)
        return -(point - centre) ** 2 / (2 * eps**2) - sp.log(sp.sqrt(2 * sp.pi) * eps)

    p_d = sp.exp((model.log_f_expr - model.log_normalizer_expr).subs(theta, theta_star))
    phi = sp.exp(-xi**2 / 2) / sp.sqrt(2 * sp.pi)
    F_definition = sp.Add(log_f(x), -log_f(y), log_p_n(y, x), -log_p_n(x, y), evaluate=False)
    F = theta * (y**2 - x**2) / 2
    dF = sp.Derivative(F, theta)
    loss = -2 * sp.log(sigma(F))
    jump = {y: x + eps * xi}

    u = sp.Symbol("u", real=True)
    # each integrand is (∂_θF)^j s(F) with s a function of the logit: its Taylor polynomial in u comes first
    # (1-D, cheap), then the polynomial (∂_θF)^j T_s(F) is expanded in ε (F and ∂_θF are O(ε), so s − T_s = O(u⁶)
    # changes nothing up to ε⁵)
    integrands = {"C1": (sigma(u) * sigma(-u), 2, "C1 = E[σ(F)σ(−F)(∂_θF)²]"),
                  "C2": (sigma(-u) ** 2, 2, "C2 = E[σ(−F)²(∂_θF)²]"),
                  "m": (sigma(-u), 1, "E[σ(−F)∂_θF] = −½E[∂_θℓ]")}

    def taylor(expr, var):
        """Σ_k var^k/k! ∂^k expr|_{var=0} (k ≤ 5), kept unevaluated."""
        return sp.Add(*(sp.Mul(var**k / sp.factorial(k), sp.Subs(sp.Derivative(expr, (var, k)), var, 0), evaluate=False)
                        for k in range(order + 1)), evaluate=False)

    def evaluated(expr):
        return sp.expand(expr.doit())

    def E(polynomial):  # ξ first: SymPy integrates the expanded monomials fastest in that order
        return sp.Integral(sp.expand(polynomial * p_d * phi), (xi, -sp.oo, sp.oo), (x, -sp.oo, sp.oo))

    C_v = eps**2 / (4 * theta_star) - 3 * eps**4 / 8  # the closed form the integral steps prove
    leading, two_terms = 4 * theta_star / eps**2, 4 * theta_star / eps**2 + 6 * theta_star**2
    n_sigma = sp.Mul(sp.Pow(sp.Mul(2, C_v, evaluate=False), -1, evaluate=False), sp.Mul(4, C_v, evaluate=False),
                     sp.Pow(sp.Mul(2, C_v, evaluate=False), -1, evaluate=False), evaluate=False)

    def expansion_steps(name, value):
        s, power, text = integrands[name]
        s_poly = evaluated(taylor(s, u))
        composed = (sp.Subs(dF, theta, theta_star) ** power * s_poly.subs(u, F.subs(theta, theta_star))).subs(jump)
        poly = evaluated(taylor(composed, eps))
        return (
            Step(taylor(s, u), s_poly, f"{text}: the logit factor's Taylor polynomial T(u) to u^{order} "
                 "(SymPy derivatives at u = 0)", label=f"L-T-{name}", rests_on=(DEFINITION,)),
            Step(taylor(composed, eps), poly,
                 f"{text}: the integrand (∂_θF)^{power} T(F) at θ*, y = x + εξ, to ε^{order} (SymPy derivatives at "
                 "ε = 0); F and ∂_θF are O(ε), so the remainder of T is O(ε⁶) and this is the integrand's Taylor "
                 "polynomial", (WELL_SPECIFIED,), label=f"L-taylor-{name}", rests_on=("L-F", f"L-T-{name}")),
            Step(E(poly), value,
                 f"{text} = ∫∫ (Taylor polynomial) p_d(x)φ(ξ) dξ dx + O(ε⁶) (SymPy integral; x ~ p_d, ξ ~ N(0,1) by "
                 "the change of variables y = x + εξ)", (SERIES_EXCHANGE,),
                 label=f"L-{name}", rests_on=("L-jump", f"L-taylor-{name}")),
        )

    steps = (
        Step(F_definition, F, "F = log f(x) − log f(y) + log p_n(y|x) − log p_n(x|y) with p_n(y|x) = N(y; x, ε²): the "
             "symmetric noise terms cancel, F = θ(y² − x²)/2", label="L-F", rests_on=(DEFINITION,)),
        Step(sp.Subs(eps * sp.exp(log_p_n(y, x)), y, x + eps * xi), phi,
             "change of variables y = x + εξ: ε p_n(x + εξ | x) = φ(ξ), so y | x ~ N(x, ε²) is ξ ~ N(0, 1)",
             label="L-jump", rests_on=(DEFINITION,)),
        Step(sp.Derivative(loss, (theta, 2)), 2 * sigma(F) * sigma(-F) * dF.doit() ** 2,
             "∂²_θ ℓ = 2σ(F)σ(−F)(∂_θF)² pointwise (∂²_θF = 0: F is linear in θ), so E[H] = 2C1",
             label="L-H", rests_on=("L-F",)),
        Step(sp.Derivative(loss, theta) ** 2, 4 * sigma(-F) ** 2 * dF.doit() ** 2,
             "(∂_θ ℓ)² = 4σ(−F)²(∂_θF)² pointwise, so E[(∂_θℓ)²] = 4C2", label="L-V", rests_on=("L-F",)),
        *expansion_steps("C1", C_v),
        *expansion_steps("C2", C_v),
        *expansion_steps("m", 0),
        *sandwich_steps(SANDWICH),
        Step(n_sigma, 1 / C_v,
             "Theorem 1 (K = 1): N_dΣ = E[H]⁻¹ N_dVar J E[H]⁻¹ = (2C1)⁻¹ 4C2 (2C1)⁻¹ with E[∂_θℓ] = O(ε⁶), "
             "so Var ∂_θℓ = 4C2 + O(ε¹²) (the sandwich derived above); C2 = C1 ⇒ N_dΣ = 1/C1",
             label="L-sigma", rests_on=(f"{SANDWICH}sandwich", "L-H", "L-V", "L-C1", "L-C2", "L-m")),
        Step(sp.Limit(eps**2 * (1 / C_v), eps, 0), 4 * theta_star,
             "leading order: N_dΣ = 4θ*/ε² (1 + O(ε²)) → ∞ as ε → 0", label="L-leading", rests_on=("L-sigma",)),
        Step(sp.Limit(1 / C_v - leading, eps, 0), 6 * theta_star**2,
             "next order: N_dΣ = 4θ*/ε² + 6θ*² + O(ε²) (C1 is known to O(ε⁶), so 1/C1 to O(ε²))",
             label="L-expansion", rests_on=("L-sigma", "L-leading")),
    )
    return Derivation("CNCE with local Gaussian noise as ε → 0: N_dΣ = 4θ*/ε² + 6θ*² + O(ε²)", steps,
                      exports={"leading": leading, "two_terms": two_terms, "theta_star": theta_star, "eps": eps},
                      result="L-expansion",
                      notes="The Gaussian with unknown precision, local noise N(y; x, ε²), K = 1: C1 = C2 = "
                      "ε²/(4θ*) − 3ε⁴/8 + O(ε⁶) by a Taylor expansion in ε integrated term by term, so the "
                      "asymptotic variance 4θ*/ε² + 6θ*² + O(ε²) diverges as the jump shrinks.")
