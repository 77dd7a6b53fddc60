"""The expectation algebra (derivations/expectation.py): identities derived, wrong ones refused,
and the algebra checked against Monte Carlo on concrete laws and functions.

Monte Carlo: each side is estimated on ``BATCHES`` independent batches (plug-in within a batch,
so products of expectations carry a bias of order 1/``BATCH`` — negligible against the standard
error here); the per-batch differences of the two sides give a z statistic. A derived identity must
give |z| < 5; a wrong one must give |z| > 5 (its true difference is many standard errors).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp
from ebmcheck.derivations.expectation import (
    E,
    Expectation,
    Mean,
    RandomVariable,
    Var,
    Variance,
    ancestral_closure,
    normal_forms,
    normalize,
    prove,
    random_variables,
)
from ebmcheck.derivations.steps import Step

g, h, f = sp.Function("g"), sp.Function("h"), sp.Function("f")
c = sp.Symbol("c", real=True)
# (a), (c): i.i.d. x, y ~ p; a third independent z ~ q
x, y, z = RandomVariable("x", "p"), RandomVariable("y", "p"), RandomVariable("z", "q")
# (b): class 1 pair (x1, y1) ~ p_d(x) p_n(y|x); class 0 pair (x0, y0) ~ p_d(y) p_n(x|y)
x1 = RandomVariable("x_1", "p_d")
y1 = RandomVariable("y_1", "p_n", given=(x1,))
y0 = RandomVariable("y_0", "p_d")
x0 = RandomVariable("x_0", "p_n", given=(y0,))

IDENTITIES = {
    "(a) 2 Var": (E((g(x) - g(y)) ** 2), 2 * (E(g(x) ** 2) - E(g(x)) ** 2)),
    "(a) Var definition": (E((g(x) - g(y)) ** 2), 2 * Var(g(x))),
    "(b) swap": (E(h(x0, y0)), E(h(y1, x1))),
    "(c) tower": (E(h(x1, y1)), E(E(h(x1, y1), over=y1))),
    "(c) tower, known factor": (E(f(x1) * E(h(x1, y1), over=y1)), E(f(x1) * h(x1, y1))),
    "(c) independence": (E(f(x) * g(y)), E(f(x)) * E(g(y))),
    "(c) independence, three": (E(f(x) * g(y) * h(z, z)), E(f(x)) * E(g(y)) * E(h(z, z))),
    "(d) linearity": (E(3 * g(x) - c * f(y) + 2), 3 * E(g(x)) - c * E(f(x)) + 2),
    "(d) constant": (E(c), c),
    "marginalization": (E(f(x1), over=(x1, y1)), E(f(x1))),
    "same law, renamed": (E(g(x) ** 2), E(g(y) ** 2)),
}

WRONG = {
    "E[g(x)g(y)] = E[g²]": (E(g(x) * g(y)), E(g(x) ** 2)),
    "E[(g(x)-g(y))²] = Var g": (E((g(x) - g(y)) ** 2), Var(g(x))),
    "swap without swapping h": (E(h(x0, y0)), E(h(x1, y1))),
    "independence across a conditional": (E(f(x1) * g(y1)), E(f(x1)) * E(g(y1))),
    "Jensen as equality": (E(g(x)) ** 2, E(g(x) ** 2)),
    "different laws": (E(g(x)), E(g(z))),
}


@pytest.mark.parametrize("name", IDENTITIES)
def test_identity_is_derived(name):
    lhs, rhs = IDENTITIES[name]
    assert prove(lhs, rhs)


@pytest.mark.parametrize("name", WRONG)
def test_wrong_identity_is_refused(name):
    lhs, rhs = WRONG[name]
    assert not prove(lhs, rhs)


def test_normal_forms():
    """(a) normalizes to 2∫g²p − 2(∫gp)²; the swap's two sides to one and the same atom."""
    u = sp.Dummy("u_1", dummy_index=-1, real=True)
    p = sp.Function("p")
    assert normalize(E((g(x) - g(y)) ** 2)) == sp.expand(2 * Mean(g(u) ** 2, p(u), (u,)) - 2 * Mean(g(u), p(u), (u,)) ** 2)
    left, right = normal_forms(E(h(x0, y0)), E(h(y1, x1)))
    assert left == right and isinstance(left, Mean) and len(left.variables) == 2


def test_conditional_expectation_keeps_the_given_variable():
    """E_{y|x}[f(x) h(x,y)] = f(x) ∫h(x,u)p_n(u|x)du: a function of x; what is known is taken out."""
    form = normalize(E(f(x1) * h(x1, y1), over=y1))
    assert x1 in form.free_symbols and y1 not in form.free_symbols
    assert prove(E(f(x1) * h(x1, y1), over=y1), f(x1) * E(h(x1, y1), over=y1))


def test_conditioning_on_a_descendant_is_not_supported():
    with pytest.raises(ValueError, match="Bayes"):
        normalize(E(g(x1) * h(y1, y1), over=x1))


def test_step_check_sees_the_normal_form():
    """A Step with the unevaluated sides is not vacuous, shows E and Var, and Step.check derives it
    (``doit`` normalizes); a wrong identity does not pass."""
    step = Step(E((g(x) - g(y)) ** 2), 2 * Var(g(x)), "(a)")
    assert not step.vacuous
    assert r"\mathbb{E}_{x,y}" in step.latex() and r"\operatorname{Var}" in step.latex()
    assert step.check().status == "symbolic"
    swap = Step(E(h(x0, y0)), E(h(y1, x1)), "(b)")
    assert not swap.vacuous and swap.check().status == "symbolic"
    assert not Step(E(g(x) * g(y)), E(g(x) ** 2), "wrong").check().ok


def test_normal_form_prints_as_integrals():
    form = normalize(2 * Var(g(x)))
    text = sp.latex(form)
    assert r"\int" in text and r"du_{1}" in text and r"\left(\int" in text  # a squared atom in parentheses
    atom = next(iter(form.atoms(Mean)))
    assert isinstance(atom.as_integral(), sp.Integral) and atom.as_integral().free_symbols == set()


def test_powers_of_a_conditional_expectation_are_independent_copies():
    """E_x[(E_{y|x} h)²] is a triple integral with two conditionally independent copies of y: not
    E[h²] (Jensen's gap is the conditional variance), not (E h)²."""
    squared = E(E(h(x1, y1), over=y1) ** 2)
    form = normalize(squared)
    assert isinstance(form, Mean) and len(form.variables) == 3
    assert not prove(squared, E(h(x1, y1) ** 2)) and not prove(squared, E(h(x1, y1)) ** 2)
    assert prove(squared, E(E(h(x1, y1), over=y1) * E(h(x1, y1), over=y1)))


# ---- Monte Carlo -------------------------------------------------------------------------------
BATCHES, BATCH = 20, 5000
u_, v_ = sp.symbols("u v", real=True)
CONCRETE = {  # concrete functions standing for g, h, f in one random case
    g: sp.Lambda(u_, u_**2 + sp.sin(u_)),
    f: sp.Lambda(u_, sp.cos(2 * u_) + u_),
    h: sp.Lambda((u_, v_), u_**2 * v_ + sp.sin(u_ - 2 * v_) + u_),
    c: sp.Rational(7, 10),
}
SAMPLERS = {  # law name -> sampler(rng, n, *given values)
    "p": lambda rng, n: rng.standard_normal(n),
    "p_d": lambda rng, n: rng.standard_normal(n),
    "q": lambda rng, n: rng.uniform(-1.0, 2.0, n),
    "p_n": lambda rng, n, given: given + 1.0 + 0.5 * rng.standard_normal(n),  # y | x ~ N(x + 1, 0.5²)
}


def _sample(factors, rng, n):
    """Sample the variables of density factors law(v, *given) in an order where the given come first."""
    values, pending = {}, list(factors)
    while pending:
        ready = [d for d in pending if all(a in values for a in d.args[1:])]
        for d in ready:
            values[d.args[0]] = SAMPLERS[d.func.__name__](rng, n, *(values[a] for a in d.args[1:]))
            pending.remove(d)
    return values


def _compiled(expr):
    """``expr`` with the concrete functions substituted, as a numpy function of a dict of samples."""
    expr = sp.sympify(expr).subs(CONCRETE).doit()
    symbols = sorted(expr.free_symbols, key=str)
    function = sp.lambdify(symbols, expr, "numpy")
    return lambda values: np.broadcast_to(function(*(values[s] for s in symbols)), (BATCH,))


def _batch_values(node, rng):
    """Per-batch estimates of one Expectation (full), Variance or Mean atom (closed)."""
    if isinstance(node, Mean):
        integrand, factors = node.integrand, sp.Mul.make_args(node.density)
    elif isinstance(node, Variance):
        integrand, factors = node.args[0], [v.density() for v in _closure(node.args[0])]
    else:
        # a conditional expectation inside is linear in the cases tested: one draw of its variables,
        # sampled jointly with the outer ones from their declared law, is an unbiased estimate
        integrand = node.expr.replace(lambda e: isinstance(e, Expectation), lambda e: e.expr)
        factors = [v.density() for v in _closure(integrand) | set(node.over)]
    evaluate = _compiled(integrand)
    samples = [evaluate(_sample(factors, rng, BATCH)) for _ in range(BATCHES)]
    return np.array([s.var(ddof=1) if isinstance(node, Variance) else s.mean() for s in samples])


def _closure(expr):
    return ancestral_closure(random_variables(expr))


def monte_carlo(expr, rng) -> np.ndarray:
    """Per-batch Monte Carlo estimates of an expression in expectations, variances or atoms."""
    expr = sp.sympify(expr)
    nodes = [n for n in expr.atoms(Expectation, Variance, Mean)
             if not any(n != m and m.has(n) for m in expr.atoms(Expectation, Variance, Mean))]
    stand_ins = {n: sp.Dummy() for n in nodes}
    outer = expr.xreplace(stand_ins).subs(CONCRETE)
    estimates = {stand_ins[n]: _batch_values(n, rng) for n in nodes}
    symbols = list(estimates)
    return np.broadcast_to(sp.lambdify(symbols, outer, "numpy")(*(estimates[s] for s in symbols)), (BATCHES,)).astype(float)


def z_statistic(lhs, rhs, seed: int) -> float:
    rng_l, rng_r = (np.random.default_rng([seed, side]) for side in (0, 1))
    difference = monte_carlo(lhs, rng_l) - monte_carlo(rhs, rng_r)
    spread = difference.std(ddof=1)
    if spread < 1e-12:  # both sides constant (E[c] = c): no noise, only rounding
        return 0.0 if np.allclose(difference, 0.0) else np.inf
    return float(difference.mean() / (spread / np.sqrt(BATCHES)))


@pytest.mark.parametrize("name", IDENTITIES)
def test_derived_identity_agrees_with_monte_carlo(name):
    lhs, rhs = IDENTITIES[name]
    assert abs(z_statistic(lhs, rhs, seed=1)) < 5


@pytest.mark.parametrize("name", WRONG)
def test_wrong_identity_differs_in_monte_carlo(name):
    lhs, rhs = WRONG[name]
    assert abs(z_statistic(lhs, rhs, seed=2)) > 5


def _random_expression(generator: random.Random):
    """A random polynomial in expectations of products of g, f, h over the declared variables."""
    pool = [g(x), f(x), g(y), h(x, y), f(z), g(x1), h(x1, y1), h(y1, x1), f(y1), h(x0, y0), x0, 1]
    terms = []
    for _ in range(generator.randint(1, 3)):
        product = sp.Mul(*generator.sample(pool, generator.randint(1, 3)))
        coefficient = sp.Rational(generator.randint(-3, 3) or 1, generator.randint(1, 2))
        inner = E(coefficient * product)
        terms.append(inner ** generator.randint(1, 2))
    return sp.Add(*terms)


@pytest.mark.parametrize("seed", range(10))
def test_normal_form_agrees_with_monte_carlo_on_random_expressions(seed):
    """The normal form (atoms integrated by Monte Carlo over their canonical density) and the
    expression as written (each expectation sampled from the declared laws) agree."""
    expr = _random_expression(random.Random(seed))
    assert abs(z_statistic(expr, normalize(expr), seed=100 + seed)) < 5
