"""Meta-tests of the derivations' depth (derivations.steps): what each derivation rests on, as data.

A step says what it rests on (earlier steps, the definitions), which of its symbols are
placeholders for model quantities, and it must not be vacuous (identical sides as SymPy holds
them). The five headline results must be derived from the definitions with no placeholder on
their chain; those that are not yet are strict expected failures, each with its gap.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import sympy as sp

from ebmcheck import derivations
from ebmcheck.checks.registry import CLAIMS
from ebmcheck.checks.runner import derivation_of
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

x = sp.Symbol("x", real=True)
c = sp.Symbol("c", positive=True)
HEADLINE = ("hyvarinen-identity", "ula-stationary-covariance", "toy-nce-fixed-point", "cnce-asymptotic-covariance",
            "cnce-oracle-2crlb")
STILL_OPEN: dict[str, str] = {}  # headline claim id -> the gap that keeps its result from deriving


def _ids(claim):
    return claim.id


# ----------------------------------------------------------------------------- the machinery
def test_a_step_with_identical_sides_is_vacuous_and_an_unevaluated_one_is_not():
    assert Step(sp.diff(sp.exp(x), x), sp.exp(x), "d/dx e^x").vacuous  # SymPy evaluates the lhs at once
    shown = Step(sp.Derivative(sp.exp(x), x), sp.exp(x), "d/dx e^x")
    assert not shown.vacuous and shown.check().ok


def test_depth_follows_rests_on_from_the_result_and_collects_placeholders_and_assumptions():
    positive = Assumption("c-positive", "c > 0", "c is positive")
    steps = (
        Step(sp.Integral(sp.exp(-c * x), (x, 0, sp.oo)), 1 / c, "the integral", (positive,), label="z", rests_on=(DEFINITION,)),
        Step(sp.Symbol("M") / 2, sp.Symbol("M") * sp.Rational(1, 2), "a side remark", placeholders=(sp.Symbol("M"),)),
        Step(sp.Mul(c, 1 / c, evaluate=False), sp.Integer(1), "normalised", label="one", rests_on=("z",)),
    )
    depth = Derivation("d", steps).depth()
    assert depth.chain == (1, 3) and depth.from_definition and depth.annotated
    assert depth.assumptions == ("c-positive",) and depth.placeholders == () and depth.vacuous == (2,)
    assert depth.derives  # the vacuous step 2 is not on the chain
    with_gap = Derivation("d", steps, result="z").depth()
    assert with_gap.chain == (1,)
    on_chain = Derivation("d", steps[:2] + (Step(sp.Symbol("M"), sp.Symbol("M") + 0 * c, "uses M", label="m",
                                                   rests_on=("z",), placeholders=(sp.Symbol("M"),)),)).depth()
    assert on_chain.placeholders == ("M",) and not on_chain.derives


def test_depth_refuses_a_reference_to_a_later_or_unknown_step():
    later = (Step(x, x + 0, "a", rests_on=("b",)), Step(x, x, "b", label="b"))
    with pytest.raises(ValueError, match="rests on 'b'"):
        Derivation("d", later).depth()
    with pytest.raises(ValueError, match="result 'nope'"):
        Derivation("d", (Step(x, x, "a", label="a"),), result="nope").depth()


# ----------------------------------------------------------------------------- every claim
@pytest.mark.parametrize("claim", CLAIMS, ids=_ids)
def test_no_derivation_step_is_vacuous(claim):
    depth = derivation_of(claim).depth()
    assert not depth.vacuous, f"{claim.id}: steps {depth.vacuous} show a = a; keep their content unevaluated"


@pytest.mark.parametrize("claim", CLAIMS, ids=_ids)
def test_every_step_on_the_chain_says_what_it_rests_on(claim):
    assert derivation_of(claim).depth().annotated, claim.id


def _derivation_builders(module):
    """The module's own zero-argument functions that return a Derivation (claims' and free-standing ones)."""
    for value in vars(module).values():
        function = inspect.unwrap(value) if callable(value) else value  # a builder cached with functools
        if (inspect.isfunction(function) and function.__module__ == module.__name__
                and function.__annotations__.get("return") in ("Derivation", Derivation)
                and not any(p.default is p.empty for p in inspect.signature(function).parameters.values())):
            yield value


def test_every_declared_assumption_is_used_by_some_step():
    declared, used = {}, set()
    for module_info in pkgutil.iter_modules(derivations.__path__):
        module = importlib.import_module(f"ebmcheck.derivations.{module_info.name}")
        declared.update({a.name: module_info.name for a in vars(module).values() if isinstance(a, Assumption)})
        used |= {a.name for build in _derivation_builders(module) for step in build().steps for a in step.assumptions}
    unused = {name: module for name, module in declared.items() if name not in used}
    assert not unused, f"assumptions declared but used by no step: {unused}"


@pytest.mark.parametrize("claim_id", [pytest.param(i, marks=pytest.mark.xfail(reason=STILL_OPEN[i], strict=True))
                                      if i in STILL_OPEN else i for i in HEADLINE])
def test_a_headline_result_is_derived_from_the_definitions_without_placeholder(claim_id):
    depth = derivation_of(next(c for c in CLAIMS if c.id == claim_id)).depth()
    assert depth.derives, f"{claim_id}: {depth.to_json()}"


def test_a_false_step_with_an_integral_of_generic_functions_fails_instead_of_crashing():
    """The numeric spot check substitutes concrete functions inside integrals too."""
    a, b = sp.symbols("a b", real=True)
    p, s = sp.Function("p")(x), sp.Function("s")(x)
    boundary = p.subs(x, b) * s.subs(x, b) - p.subs(x, a) * s.subs(x, a)
    wrong = Step(sp.Integral(sp.Derivative(p * s, x), (x, a, b)), boundary + 1, "fundamental theorem, off by 1")
    assert wrong.check().status == "failed"


def test_the_derivative_of_a_product_is_printed_in_parentheses():
    from ebmcheck.derivations.steps import latex

    p, s = sp.Function("p")(x), sp.Function("s")(x)
    assert latex(sp.Derivative(p * s, x)).endswith(r"\left(p{\left(x \right)} s{\left(x \right)}\right)")
