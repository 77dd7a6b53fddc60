"""Derivations as ordered lists of machine-checked steps.

A :class:`Step` is an equation ``lhs = rhs`` (or an inequation ``lhs ≠ rhs``) with a
justification and the named :class:`Assumption` objects it relies on. :meth:`Step.check`
decides it:

1. **symbolic** — SymPy reduces ``lhs - rhs`` to zero (``expand``/``together``/``simplify``,
   under a time limit). ``Expr.equals`` is three-valued and its ``None`` is never read as true.
2. **numeric** — only when SymPy cannot decide: ``lhs - rhs`` is evaluated with mpmath at
   50 significant digits at random points drawn inside the declared assumptions (positive
   symbols positive); the step is then labelled *checked numerically*, never *proved*.
3. otherwise **undecided** (or **failed** when a point shows ``lhs ≠ rhs``).

An inequation is decided by exhibiting one point where ``lhs - rhs`` is nonzero; a
counterexample is a proof.

Depth
-----
A step also says what it rests on, so that a derivation's *chain* — the steps from the sources'
definitions to the exported result — can be read off and judged:

- ``rests_on``: labels of earlier steps (``label``), and/or :data:`DEFINITION` when the step
  starts from a model's symbolic definition or the source's definitions;
- ``assumptions``: named :class:`Assumption` objects (used where the step says);
- ``placeholders``: symbols that stand for a model quantity without being computed from the
  model (``C1``, ``I_F``, a three-point distribution for "any distribution") — a gap, shown as such.

:meth:`Derivation.depth` walks ``rests_on`` back from the result (``Derivation.result``, default
the last step) and reports the chain, whether it reaches a definition, and every assumption and
placeholder on it. A step whose two sides are *identical* after SymPy's automatic evaluation
(``Step.vacuous``) proves nothing: state its content unevaluated (``evaluate=False``,
``sp.Derivative``, ``sp.UnevaluatedExpr``) so that the page shows what was proved; the check
evaluates it (``doit``).
"""

from __future__ import annotations

import functools
import random
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import sympy as sp
from sympy import stats
from sympy.printing.latex import LatexPrinter

SYMPY_TIME_LIMIT_S = 20
NUMERIC_DIGITS = 50
NUMERIC_POINTS = 5

StepStatus = Literal["symbolic", "numeric", "failed", "undecided"]
DEFINITION = "definition"
"""``rests_on`` entry: the step starts from a model's symbolic definition or the source's definitions."""


@dataclass(frozen=True)
class Assumption:
    """A condition a derivation relies on, stated so that a report can print it."""

    name: str
    latex: str
    description: str


@dataclass(frozen=True)
class Step:
    """One step ``lhs (relation) rhs``, justified, relying on ``assumptions``.

    ``erratum`` names where a source prints what this step shows to be wrong (e.g.
    ``"appendix B.2, eq. 63"``, in the claim's first source); the errata page lists every such step.
    """

    lhs: sp.Basic
    rhs: sp.Basic
    justification: str
    assumptions: tuple[Assumption, ...] = ()
    relation: Literal["=", "≠"] = "="
    erratum: str = ""
    label: str = ""  # a short name later steps rest on
    rests_on: tuple[str, ...] = ()  # labels of earlier steps and/or DEFINITION
    placeholders: tuple[sp.Symbol, ...] = ()  # symbols standing for model quantities not computed here

    @functools.cached_property
    def vacuous(self) -> bool:
        """The two sides are identical as SymPy holds them (after its automatic evaluation): the
        step shows ``a = a`` and proves nothing a reader can see."""
        lhs, rhs = self.lhs, self.rhs
        if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
            return sp.ImmutableMatrix(lhs) == sp.ImmutableMatrix(rhs)
        return sp.sympify(lhs) == sp.sympify(rhs)

    def latex(self) -> str:
        symbol = "=" if self.relation == "=" else r"\neq"
        return f"{latex(self.lhs)} {symbol} {latex(self.rhs)}"

    def check(self, seed: int = 0) -> StepResult:
        difference = _difference(self.lhs, self.rhs)
        if self.relation == "≠":
            return self._check_inequation(difference, seed)
        if _is_zero_symbolically(difference):
            return StepResult(self, "symbolic", "SymPy reduces lhs − rhs to 0")
        return self._check_numerically(difference, seed)

    def _check_numerically(self, difference, seed: int) -> StepResult:
        values = _evaluate_at_random_points(difference, seed)
        if values is None:
            return StepResult(self, "undecided", "SymPy could not decide and lhs − rhs cannot be evaluated")
        scale = max(abs(v) for v in values)
        if scale < sp.Float(10) ** (-(NUMERIC_DIGITS - 10)):
            return StepResult(
                self, "numeric",
                f"SymPy could not decide; |lhs − rhs| < 1e-{NUMERIC_DIGITS - 10} at {NUMERIC_POINTS} random points "
                f"({NUMERIC_DIGITS}-digit mpmath)",
            )
        return StepResult(self, "failed", f"lhs − rhs = {sp.N(max(values, key=abs), 6)} at a random point")

    def _check_inequation(self, difference, seed: int) -> StepResult:
        values = _evaluate_at_random_points(difference, seed)
        if values is not None and max(abs(v) for v in values) > sp.Float(10) ** (-(NUMERIC_DIGITS - 10)):
            return StepResult(self, "symbolic", f"lhs − rhs = {sp.N(max(values, key=abs), 6)} ≠ 0 at an explicit point")
        if _is_zero_symbolically(difference):
            return StepResult(self, "failed", "lhs − rhs reduces to 0")
        return StepResult(self, "undecided", "no point with lhs ≠ rhs found")


# ---- printing ------------------------------------------------------------------------------------
# SymPy symbols keep short ASCII names (derivations, checks and ``lambdify`` refer to them by name,
# and the numeric spot-checks order symbols by name); how a name is *printed* is declared here, once
# for every derivation. Names SymPy already prints well (``theta`` → θ, ``N_d`` → N_d, ``sigma12``
# → σ₁₂, ``ell_x`` → ℓ_x) need no entry; a name that would print as letters glued together
# (``theta_star`` → θ_{star}, ``lpd_x`` → lpd_x, ``C1_12`` → C_{1 12}) must have one.
SYMBOL_LATEX: dict[str, str] = {
    # derivations/toy.py: the data's parameter θ*
    "theta_star": r"\theta^{*}",
    # derivations/flows.py: the data's location and scale
    "mu_star": r"\mu^{*}",
    "sigma_star": r"\sigma^{*}",
    # derivations/nce.py: e^{f_θ*}(x) at a point, and Z(θ*)
    "f_star": r"f^{*}",
    "Z_star": r"Z^{*}",
    # derivations/cnce.py, Lemma 4: log f(x), log f(y), log p_n(y|x), log p_n(x|y)
    "ell_x": r"\log f(x)",
    "ell_y": r"\log f(y)",
    "n_yx": r"\log p_{n}(y|x)",
    "n_xy": r"\log p_{n}(x|y)",
    # derivations/cnce.py, Theorem 1 at θ*: log p_d(x), log p_d(y), log p_n(y|x), log p_n(x|y), log Z
    "lpd_x": r"\log p_{d}(x)",
    "lpd_y": r"\log p_{d}(y)",
    "lpn_yx": r"\log p_{n}(y|x)",
    "lpn_xy": r"\log p_{n}(x|y)",
    "logZ": r"\log Z",
    # derivations/cnce.py: entries of the 2×2 matrices C_1, C_2, C_3 (``_matrix("C1")``)
    **{f"C{k}_{ij}": rf"(C_{{{k}}})_{{{ij}}}" for k in (1, 2, 3) for ij in ("11", "12", "22")},
}


class _StepPrinter(LatexPrinter):
    """SymPy's LaTeX printer with :data:`SYMBOL_LATEX` and 𝔼 for an expectation (as in the prose)."""

    def _print_Expectation(self, expr):
        return r"\mathbb{E}" + super()._print_Expectation(expr).removeprefix(r"\operatorname{E}")

    def _print_Derivative(self, expr):
        """d/dx of a product in parentheses: SymPy prints d/dx (p s) as d/dx p s, which reads as (d/dx p)·s."""
        text = super()._print_Derivative(expr)
        inner = self._print(expr.expr)
        if isinstance(expr.expr, sp.Mul) and text.endswith(inner):
            text = text[: -len(inner)] + r"\left(" + inner + r"\right)"
        return text


def latex(expr) -> str:
    """LaTeX of a SymPy expression or matrix, every symbol printed as :data:`SYMBOL_LATEX` says."""
    atoms = expr.atoms(sp.Symbol) if isinstance(expr, (sp.Basic, sp.MatrixBase)) else set()
    names = {s: SYMBOL_LATEX[s.name] for s in atoms if s.name in SYMBOL_LATEX}
    return _StepPrinter({"symbol_names": names}).doprint(expr)


@dataclass(frozen=True)
class StepResult:
    step: Step
    status: StepStatus
    detail: str

    @property
    def ok(self) -> bool:
        return self.status in ("symbolic", "numeric")


@dataclass(frozen=True)
class Derivation:
    """An ordered list of steps plus the closed forms the derivation exports."""

    title: str
    steps: tuple[Step, ...]
    exports: dict[str, sp.Basic] = field(default_factory=dict)
    notes: str = ""
    result: str = ""  # label of the step that gives the exported result; "" = the last step

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        seen: dict[str, Assumption] = {}
        for step in self.steps:
            for assumption in step.assumptions:
                seen.setdefault(assumption.name, assumption)
        return tuple(seen.values())

    def check(self, seed: int = 0) -> list[StepResult]:
        return [_check_once(step, seed + index) for index, step in enumerate(self.steps)]

    def depth(self) -> Depth:
        """The chain from the definitions to the result (see the module docstring, "Depth")."""
        labels = {step.label: index for index, step in enumerate(self.steps) if step.label}
        for index, step in enumerate(self.steps):
            for name in step.rests_on:
                if name != DEFINITION and (name not in labels or labels[name] >= index):
                    raise ValueError(f"{self.title}: step {index + 1} rests on {name!r}, not the label of an earlier step")
        if self.result and self.result not in labels:
            raise ValueError(f"{self.title}: result {self.result!r} is not a step label")
        end = labels[self.result] if self.result else len(self.steps) - 1
        chain, pending = set(), [end] if self.steps else []
        while pending:
            index = pending.pop()
            if index not in chain:
                chain.add(index)
                pending += [labels[name] for name in self.steps[index].rests_on if name != DEFINITION]
        ordered = sorted(chain)
        on_chain = [self.steps[i] for i in ordered]
        return Depth(
            chain=tuple(i + 1 for i in ordered),
            from_definition=any(DEFINITION in step.rests_on for step in on_chain),
            annotated=all(step.rests_on for step in on_chain),
            assumptions=tuple(dict.fromkeys(a.name for step in on_chain for a in step.assumptions)),
            placeholders=tuple(dict.fromkeys(str(p) for step in on_chain for p in step.placeholders)),
            vacuous=tuple(i + 1 for i, step in enumerate(self.steps) if step.vacuous),
        )


@dataclass(frozen=True)
class Depth:
    """How far a derivation derives. Step numbers are 1-based, as on the claim pages.

    ``chain``: the steps the result rests on, transitively; ``from_definition``: the chain reaches a
    model's or the source's definition; ``annotated``: every step on it says what it rests on (a
    step that does not is read as standing alone); ``assumptions`` and ``placeholders`` on the
    chain; ``vacuous``: steps anywhere in the derivation whose sides are identical as held."""

    chain: tuple[int, ...]
    from_definition: bool
    annotated: bool
    assumptions: tuple[str, ...]
    placeholders: tuple[str, ...]
    vacuous: tuple[int, ...]

    @property
    def derives(self) -> bool:
        """The result follows from the definitions with no placeholder and no vacuous step on its chain."""
        return self.from_definition and self.annotated and not self.placeholders and not set(self.vacuous) & set(self.chain)

    def to_json(self) -> dict:
        return {"chain": list(self.chain), "from_definition": self.from_definition, "annotated": self.annotated,
                "assumptions": list(self.assumptions), "placeholders": list(self.placeholders),
                "vacuous_steps": list(self.vacuous), "derives": self.derives}


_PROVED: dict[tuple[str, str, str], str] = {}
"""Steps proved symbolically in this process, by content: a proof does not depend on the seed (only
numeric spot checks do), so a step shared by several derivations — the M-estimator sandwich, Theorem 1's
steps inside the any-K derivation — is proved once."""


def _check_once(step: Step, seed: int) -> StepResult:
    # Keyed on the expressions themselves (structural hash and equality), not on a printed form:
    # printing orders terms and evaluates a closed integral by quadrature (seconds per step).
    try:
        key = (_hashable(step.lhs), _hashable(step.rhs), step.relation)
        hash(key)
    except TypeError:  # an expression without a hash is simply not cached
        return step.check(seed)
    if key in _PROVED:
        return StepResult(step, "symbolic", _PROVED[key])
    result = step.check(seed)
    if result.status == "symbolic":
        _PROVED[key] = result.detail
    return result


def _hashable(expression):
    """A mutable SymPy matrix as its immutable twin (equal entries, a hash); anything else as it is."""
    return sp.ImmutableMatrix(expression) if isinstance(expression, sp.MatrixBase) else expression


def _difference(lhs, rhs):
    lhs, rhs = _evaluate_random(lhs), _evaluate_random(rhs)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        return sp.Matrix(lhs) - sp.Matrix(rhs)
    return sp.sympify(lhs) - sp.sympify(rhs)


_RANDOM_OPERATORS = (stats.Expectation, stats.Variance, stats.Covariance, stats.Probability)


def _evaluate_random(expr):
    """Unevaluated ``sympy.stats`` expectations, variances, ... (kept so that a report prints
    E[·] and Var(·)) replaced by their values; ``doit`` leaves a Variance unevaluated."""
    expr = sp.sympify(expr) if not isinstance(expr, sp.MatrixBase) else expr
    if not expr.has(*_RANDOM_OPERATORS):
        return expr
    return expr.replace(lambda e: isinstance(e, _RANDOM_OPERATORS), lambda e: e.evaluate_integral())


def _entries(expr) -> list:
    return list(expr) if isinstance(expr, sp.MatrixBase) else [expr]


def _is_zero_symbolically(difference) -> bool:
    try:
        with _time_limit(SYMPY_TIME_LIMIT_S):
            for entry in _entries(difference):
                entry = sp.sympify(entry).doit()
                if sp.expand(entry) == 0 or sp.together(sp.expand(entry)) == 0:
                    continue
                if sp.simplify(entry) != 0:
                    return False
            return True
    except TimeoutError:
        return False


def _evaluate_at_random_points(difference, seed: int):
    """Values of ``difference`` (all entries) at random points, or None if not evaluable."""
    generator = random.Random(seed)
    entries = [_concrete(sp.sympify(e), generator).doit() for e in _entries(difference)]
    symbols = sorted(set().union(*(e.free_symbols for e in entries)), key=str)
    values = []
    for _ in range(NUMERIC_POINTS):
        point = {s: _random_value(s, generator) for s in symbols}
        for entry in entries:
            value = entry.evalf(NUMERIC_DIGITS, subs=point)
            if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                return None
            values.append(abs(sp.N(value, NUMERIC_DIGITS)))
    return values


def _concrete(expr, generator: random.Random):
    """Replace each undefined function g(x, ...) by a random positive smooth function.

    A generic function stands for *every* smooth function, so one concrete choice where
    lhs ≠ rhs is a counterexample; agreement is only numerical evidence.
    """
    replacements = {}
    # in a fixed order (a set's order follows string hashes, which differ between processes): the same
    # seed gives the same functions, hence the same numbers on every run
    for applied in sorted(expr.atoms(sp.core.function.AppliedUndef), key=sp.default_sort_key):
        args = applied.args
        exponent = sp.Rational(generator.randint(-9, 9), 10) + sum(
            sp.Rational(generator.randint(-9, 9), 10) * a + sp.Rational(generator.randint(-9, 9), 20) * a**2 for a in args
        )
        replacements[applied.func] = sp.Lambda(args, sp.exp(exponent))
    if not replacements:
        return expr
    # replace, not subs: subs of a function class fails inside an Integral (SymPy's ExprWithLimits)
    return expr.replace(lambda e: isinstance(e, sp.core.function.AppliedUndef) and e.func in replacements,
                        lambda e: replacements[e.func](*e.args))


def _random_value(symbol: sp.Symbol, generator: random.Random):
    """A random rational inside the symbol's declared assumptions, away from 0 and branch cuts."""
    magnitude = sp.Rational(generator.randint(50, 250), 100)
    if symbol.is_positive or symbol.is_nonnegative:
        return magnitude
    if symbol.is_negative:
        return -magnitude
    return magnitude if generator.random() < 0.5 else -magnitude


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError after ``seconds`` (main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def _raise(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
