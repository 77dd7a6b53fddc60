r"""An expectation algebra over generic functions of random variables (SymPy has none).

``sympy.stats`` evaluates expectations of *concrete* distributions; a derivation that says
"for any law :math:`p` and any function :math:`g`" needs expectations as **linear operators**
over undefined functions, with the rules that independence and conditioning give. This module
provides them, and a normal form in which two expressions built from the rules are equal exactly
when their normal forms are identical (up to ``expand``), so that an identity is *derived* from
the rules rather than checked on a stand-in distribution.

Random variables and their laws
-------------------------------
A :class:`RandomVariable` is a SymPy symbol with a declared law: a density name and the variables
it is conditional on, ``RandomVariable("x", "p")`` (:math:`x \sim p`) or
``RandomVariable("y", "p_n", given=(x,))`` (:math:`y \mid x \sim p_n(\cdot|x)`). The declarations
form a directed acyclic graph (a Bayesian network): the joint density of any set of variables
closed under "given" is the product of their declared densities,

.. math:: p(v_1,\dots,v_n) = \prod_i p_{\mathrm{law}(v_i)}(v_i \mid \mathrm{given}(v_i)),

so variables not linked through "given" are independent. Two variables declared with the same law
are independent copies (i.i.d.). Densities are generic (undefined functions
``p(u)``, ``p_n(u, v)`` for :math:`p_n(u|v)`), each assumed to integrate to 1 in its first argument.

Expectations: the rules
-----------------------
:func:`E` builds an unevaluated :class:`Expectation` :math:`\mathbb{E}_V[\,\cdot\,]` over a set
:math:`V` of variables (default: every random variable in the expression and everything they are
given): the integral of the expression against the conditional density of :math:`V` given the
others. Its ``doit()`` (called by :meth:`Step.check <ebmcheck.derivations.steps.Step.check>`) and
:func:`normalize` apply, in this order:

1. **inner first** — nested expectations are normalized before the outer one;
2. **linearity** — the integrand is expanded, :math:`\mathbb{E}[\sum_k a_k X_k] = \sum_k a_k \mathbb{E}[X_k]`,
   and every factor free of :math:`V` (constants, functions of given variables, closed
   expectations) is pulled out; :math:`\mathbb{E}[c] = c` since densities integrate to 1;
3. **tower rule / taking out what is known** — a conditional expectation
   :math:`\mathbb{E}_{y|x}[h(x,y)] = \int h(x,u)\,p_n(u|x)\,du` inside an outer expectation over
   :math:`x` is merged into one integral (Fubini), :math:`\mathbb{E}_x[f(x)\,\mathbb{E}_{y|x}[h]]
   = \iint f(x) h(x,u)\, p(x) p_n(u|x)\,du\,dx`; its :math:`k`-th power is merged as :math:`k`
   conditionally independent copies, :math:`(\int h(x,u)q(u|x)du)^k = \int\!\cdots\!\int \prod_j h(x,u_j) q(u_j|x)\,du_1\cdots du_k`;
4. **marginalization** — a variable that neither the integrand nor any other density in the product
   depends on is integrated out, :math:`\int p_n(u|x)\,du = 1`;
5. **independence** — the integration variables split into connected components (linked when
   they share a density factor or an integrand factor); the integral of a product over
   independent components is the product of the integrals,
   :math:`\mathbb{E}[f(x)g(y)] = \mathbb{E}[f(x)]\,\mathbb{E}[g(y)]` for :math:`x \perp y`;
6. **change of variables** — each component's integral is an :class:`Mean` atom
   :math:`\int \phi(u)\,\rho(u)\,du` whose integration variables are renamed canonically
   :math:`u_1, u_2, \dots` (the renaming that minimizes a fixed sort key over all orderings): two
   integrals that differ by a renaming of their dummy variables — e.g. the swap
   :math:`(x,y) \leftrightarrow (y,x)` — become the same atom.

The normal form is thus a polynomial (with the constants of the problem as coefficients) in atoms
:math:`\int\phi\rho`, e.g. :math:`\int g(u_1)^2 p(u_1)\,du_1 - (\int g(u_1) p(u_1)\,du_1)^2`.
Every rule is an identity of integrals (assuming integrability); none identifies two different
integrals, so :func:`prove` never accepts a false identity — it may refuse a true one whose proof
needs a rule not listed (e.g. Jensen, a concrete density, integration by parts), and then says no.

Not supported (a ``ValueError``): conditioning a variable on one of its descendants (that needs
Bayes' rule), and a random variable inside a nonlinear function of an expectation other than a
positive integer power is kept as an opaque factor of the integrand (correct, not simplified).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import sympy as sp
from sympy.printing.precedence import PRECEDENCE


class RandomVariable(sp.Symbol):
    r"""A real random variable with a declared law: density ``law`` conditional on ``given``.

    ``RandomVariable("y", "p_n", given=(x,))`` is :math:`y \mid x \sim p_n(\cdot \mid x)`. Two
    random variables are equal only if name, law and conditioning variables all agree.
    """

    __slots__ = ("given", "law")

    def __new__(cls, name: str, law: str, given: Iterable[RandomVariable] = ()):
        obj = sp.Symbol.__xnew__(cls, name, real=True)
        obj.law = str(law)
        obj.given = tuple(given)
        for parent in obj.given:
            if not isinstance(parent, RandomVariable):
                raise TypeError(f"{name} is given {parent!r}, which is not a RandomVariable")
        return obj

    def __getnewargs_ex__(self):
        return (self.name, self.law, self.given), {}

    def _hashable_content(self):
        return (*super()._hashable_content(), self.law, self.given)

    def density(self, at: sp.Expr | None = None, given: tuple | None = None) -> sp.Expr:
        r"""The density factor :math:`p_{\mathrm{law}}(\mathrm{at} \mid \mathrm{given})`, an undefined function
        ``law(at, *given)`` (default: at this variable, given its declared parents)."""
        return sp.Function(self.law)(self if at is None else at, *(self.given if given is None else given))


def random_variables(expr) -> set[RandomVariable]:
    """The random variables free in ``expr`` (bound integration variables excluded)."""
    return {s for s in sp.sympify(expr).free_symbols if isinstance(s, RandomVariable)}


def ancestral_closure(variables: Iterable[RandomVariable]) -> set[RandomVariable]:
    """The variables and, transitively, everything they are given: the set a full expectation integrates."""
    closed, pending = set(), list(variables)
    while pending:
        v = pending.pop()
        if v not in closed:
            closed.add(v)
            pending += v.given
    return closed


class Mean(sp.Expr):
    r"""A normal-form atom :math:`\int \phi(u)\,\rho(u)\,du_1\cdots du_n`: integrand ``phi``, density
    ``rho`` (a product of declared densities), bound variables ``u`` (renamed canonically).

    Its free symbols are those of ``phi`` and ``rho`` less the bound variables: the given random
    variables of a conditional expectation, and the constants of the problem. ``doit`` keeps it.
    """

    is_commutative = True
    is_real = True
    precedence = PRECEDENCE["Mul"]  # printed in parentheses under a power, like an Integral

    def __new__(cls, integrand, density, variables):
        return sp.Expr.__new__(cls, sp.sympify(integrand), sp.sympify(density), sp.Tuple(*variables))

    @property
    def integrand(self):
        return self.args[0]

    @property
    def density(self):
        return self.args[1]

    @property
    def variables(self) -> tuple:
        return tuple(self.args[2])

    @property
    def bound_symbols(self):
        return list(self.variables)

    @property
    def free_symbols(self):
        return (self.integrand.free_symbols | self.density.free_symbols) - set(self.variables)

    def doit(self, **hints):
        return self

    def as_integral(self) -> sp.Integral:
        """The atom as an (unevaluated) SymPy ``Integral``, for display."""
        return sp.Integral(self.integrand * self.density, *((u, -sp.oo, sp.oo) for u in self.variables))

    def _latex(self, printer):
        body = printer._print(sp.Mul(self.integrand, self.density, evaluate=False))
        measure = r"\,".join(r"d" + printer._print(u) for u in self.variables)
        return r"\int " + body + r"\, " + measure

    def _sympystr(self, printer):
        return f"Mean({printer._print(self.integrand)}, {printer._print(self.density)}, {printer._print(self.args[2])})"


class Expectation(sp.Expr):
    r""":math:`\mathbb{E}_V[X]`, unevaluated (a report prints it as written); ``doit()`` returns
    the normal form (:func:`normalize`). ``over`` is the set :math:`V` of integrated variables;
    the other random variables of :math:`X` (and the parents of :math:`V` outside :math:`V`) are
    conditioned on."""

    is_commutative = True
    is_real = True

    def __new__(cls, expr, over):
        return sp.Expr.__new__(cls, sp.sympify(expr), sp.Tuple(*sorted(over, key=sp.default_sort_key)))

    @property
    def expr(self):
        return self.args[0]

    @property
    def over(self) -> tuple:
        return tuple(self.args[1])

    @property
    def free_symbols(self):
        return self.expr.free_symbols - set(self.over) | {p for v in self.over for p in v.given if p not in self.over}

    def doit(self, **hints):
        return normalize(self)

    def _latex(self, printer):
        given = sorted(self.free_symbols & {p for v in self.over for p in v.given}, key=sp.default_sort_key)
        subscript = ",".join(printer._print(v) for v in self.over)
        if given:
            subscript += r"\mid " + ",".join(printer._print(v) for v in given)
        return r"\mathbb{E}_{" + subscript + r"}\left[" + printer._print(self.expr) + r"\right]"

    def _sympystr(self, printer):
        return f"E[{printer._print(self.expr)}; over {printer._print(self.args[1])}]"


class Variance(sp.Expr):
    r""":math:`\operatorname{Var}[X] = \mathbb{E}[(X - \mathbb{E}[X])^2]` (the definition; ``doit``
    normalizes it, giving :math:`\mathbb{E}[X^2] - \mathbb{E}[X]^2` in normal form)."""

    is_commutative = True
    is_real = True

    def __new__(cls, expr):
        return sp.Expr.__new__(cls, sp.sympify(expr))

    def doit(self, **hints):
        x = self.args[0]
        return normalize(E((x - E(x)) ** 2))

    def _latex(self, printer):
        return r"\operatorname{Var}\left[" + printer._print(self.args[0]) + r"\right]"


def E(expr, over: Iterable[RandomVariable] | RandomVariable | None = None) -> Expectation:
    """:math:`\\mathbb{E}_V[\\mathrm{expr}]`, unevaluated. ``over`` defaults to every random variable
    of ``expr`` (inner expectations' given variables included) and their ancestors: the full
    expectation. A conditional expectation :math:`\\mathbb{E}_{y|x}` is ``E(h, over=y)``."""
    expr = sp.sympify(expr)
    if over is None:
        over = ancestral_closure(random_variables(expr))
    elif isinstance(over, RandomVariable):
        over = (over,)
    over = tuple(over)
    if not all(isinstance(v, RandomVariable) for v in over):
        raise TypeError("E(..., over=...) integrates over RandomVariable objects only")
    return Expectation(expr, over)


def Var(expr) -> Variance:
    """:math:`\\operatorname{Var}[\\mathrm{expr}]`, unevaluated (full variance over all its random variables)."""
    return Variance(expr)


# ---- normal form ---------------------------------------------------------------------------
def normalize(expr) -> sp.Expr:
    """The normal form of ``expr``: every :class:`Expectation` and :class:`Variance` in it replaced,
    innermost first, by a polynomial in canonical :class:`Mean` atoms (rules 1–6 of the module)."""
    expr = sp.sympify(expr)
    variance = expr.atoms(Variance)
    if variance:
        expr = expr.xreplace({v: v.doit() for v in variance})
    while True:
        innermost = [e for e in expr.atoms(Expectation) if not e.expr.has(Expectation)]
        if not innermost:
            return sp.expand(expr)
        expr = expr.xreplace({e: _normalize_expectation(e) for e in innermost})


def normal_forms(lhs, rhs) -> tuple[sp.Expr, sp.Expr]:
    """The normal forms of both sides; their difference expands to 0 exactly when :func:`prove` holds."""
    return normalize(lhs), normalize(rhs)


def prove(lhs, rhs) -> bool:
    """True when the rules of the module derive ``lhs = rhs`` (normal forms equal); False otherwise —
    a False is "not derived", and for a true identity it means the rules do not reach it."""
    left, right = normal_forms(lhs, rhs)
    return sp.expand(left - right) == 0


def _normalize_expectation(expectation: Expectation) -> sp.Expr:
    """Rules 2–6 for one expectation whose integrand holds no unevaluated expectation."""
    over = set(expectation.over)
    outside = random_variables(expectation.expr) - over
    for v in outside:
        if set(v.given) & over:
            raise ValueError(
                f"E over {sorted(map(str, over))} conditions on {v}, which depends on {sorted(map(str, set(v.given) & over))}: "
                "conditioning on a descendant needs Bayes' rule, not supported"
            )
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(expectation.expr)):
        total += _integrate_term(term, over)
    return sp.expand(total)


def _integrate_term(term: sp.Expr, over: set[RandomVariable]) -> sp.Expr:
    """One product term: pull out what is known (rule 2), merge conditional atoms (3), integrate
    out unused variables (4), factorize over independent components (5), canonical atoms (6)."""
    constant, integrand_factors, densities, variables = sp.S.One, [], [v.density() for v in over], set(over)
    for factor in sp.Mul.make_args(term):
        base, exponent = factor.as_base_exp()
        if not (factor.free_symbols & variables):
            constant *= factor
        elif isinstance(base, Mean) and exponent.is_Integer and exponent > 0:
            for _ in range(int(exponent)):  # rule 3: k conditionally independent copies
                fresh = {u: sp.Dummy(str(u)) for u in base.variables}
                integrand_factors.append(base.integrand.xreplace(fresh))
                densities.append(base.density.xreplace(fresh))
                variables |= set(fresh.values())
        else:
            integrand_factors.append(factor)
    # rule 4: integrate out a variable no integrand factor and no other density depends on
    densities = [f for d in densities for f in sp.Mul.make_args(d)]
    needed = set().union(*(f.free_symbols for f in integrand_factors)) & variables
    while True:
        removable = [
            d for d in densities
            if d.args[0] in variables and d.args[0] not in needed
            and not any(d.args[0] in other.args[1:] for other in densities)
        ]
        if not removable:
            break
        for d in removable:
            densities.remove(d)
            variables.discard(d.args[0])
    # rule 5: connected components of the integration variables
    links = [f.free_symbols & variables for f in integrand_factors + densities]
    components: list[set] = []
    for link in links:
        touching = [c for c in components if c & link]
        merged = set(link).union(*touching)
        components = [c for c in components if not c & link] + ([merged] if merged else [])
    result = constant
    for component in components:
        phi = sp.Mul(*(f for f in integrand_factors if f.free_symbols & component))
        rho = sp.Mul(*(d for d in densities if d.free_symbols & component))
        result *= _canonical_mean(phi, rho, component)
    return result


def _canonical_mean(integrand: sp.Expr, density: sp.Expr, variables: set) -> Mean:
    """Rule 6: the atom with its bound variables renamed :math:`u_1, u_2, \\dots` in the order that
    minimizes a fixed sort key, so that integrals equal up to a renaming of dummies are identical.

    A renaming maps each variable to one with the same kind of density factor (law name and number
    of given variables), so only orderings within a kind are tried, kinds in a fixed order: the
    minimum over them is the same for two integrals that differ by a renaming."""
    kind = {d.args[0]: (d.func.__name__, len(d.args)) for d in sp.Mul.make_args(density)}
    groups: dict[tuple, list] = {}
    for v in sorted(variables, key=sp.default_sort_key):
        groups.setdefault(kind[v], []).append(v)
    blocks = [groups[k] for k in sorted(groups)]
    canonical = [sp.Dummy(f"u_{k + 1}", dummy_index=-(k + 1), real=True) for k in range(len(variables))]
    best = None
    for orders in itertools.product(*(itertools.permutations(block) for block in blocks)):
        renaming = dict(zip(itertools.chain.from_iterable(orders), canonical))
        candidate = (density.xreplace(renaming), integrand.xreplace(renaming))
        key = (sp.srepr(candidate[0]), sp.srepr(candidate[1]))
        if best is None or key < best[0]:
            best = (key, candidate)
    density, integrand = best[1]
    return Mean(integrand, density, canonical)
