r"""Compile SymPy expressions to functions on an array namespace: the one place that calls ``lambdify``.

:func:`compile_expression` turns a SymPy expression, a matrix or a list of expressions into a
function for one array namespace (numpy, cupy, array-api-strict, ... — any module of the Python
array API standard), cached per (symbols, expression, namespace), or into a function that takes
the namespace of its arguments at each call. Two kinds of symbols:

- **Scalar symbols** (``sympy.Symbol``): the expression is compiled by ``sympy.lambdify`` with
  common subexpressions shared (``cse``). The function takes one array (or number) per symbol and
  works elementwise, with broadcasting, exactly like lambdify's: a scalar expression gives an array
  or a Python number (a constant), a matrix gives nested lists (row by row) of entries, a list or
  tuple gives a list. Functions are printed fully qualified (``numpy.exp``) and ``numpy`` is bound
  to the namespace, so every function an expression uses must exist there under its NumPy name
  (``exp``, ``log``, ``sqrt``, ``sin``... do; ``arctan``, ``power`` do not in array-api-strict,
  which names them ``atan``, ``pow``; a function NumPy lacks, e.g. ``erf``, comes from ``math`` as in
  lambdify and takes scalars only). On numpy the printed code and the functions are lambdify's own,
  so the numbers are bit for bit those of ``sympy.lambdify(symbols, expr, "numpy", cse=cse)``.
- **Matrix symbols** (``sympy.MatrixSymbol``): the expression is a matrix expression (or an array
  expression from SymPy's matrix calculus, or a scalar built from them, e.g. a trace) and is
  compiled node by node to array operations: matrix products to ``matmul`` (outer products to a
  broadcast product), transposes to ``matrix_transpose``, traces to ``linalg.trace``, tensor
  products to broadcast products, axis permutations to ``permute_dims``. The function takes one
  array per symbol, of shape (..., rows, columns) — leading axes broadcast, as for a batch of
  points — and returns shape (..., \*expr.shape). Its cost scales with the matrix sizes, not with
  the number of entries written out one symbol each.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import array_api_compat
import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.tensor.array.expressions import ArrayAdd, ArrayTensorProduct, PermuteDims, ZeroArray

from ebmcheck.theory.backend import namespace


def compile_expression(symbols: Sequence[sp.Symbol | sp.MatrixSymbol], expr, xp=None, *, cse: bool = True,
                       order: str | None = None, functions: Mapping[str, Callable] | None = None) -> Callable:
    """A cached function of ``symbols`` computing ``expr`` on an array namespace.

    With ``xp`` given, the function is compiled for that namespace; without it, the function takes
    the namespace of its arguments at each call (:func:`theory.backend.namespace`: numpy for Python
    numbers and numpy arrays) and uses the function compiled for it.
    ``symbols`` are all scalar symbols or all matrix symbols (see the module docstring for the two
    conventions); ``expr`` is a SymPy expression, a SymPy matrix or a list/tuple of expressions.
    ``cse`` (scalar symbols only) shares common subexpressions; SymPy's ``cse`` also rewrites some
    quotients (``p/(D(p+q))`` as ``x1/D`` with ``x1 = p/(p+q)``), so its results can differ from the
    expression as written in the last bits. Two more options, scalar symbols only: ``order`` is the
    printer's order of the terms of a sum (SymPy's ``order`` setting; ``"none"`` keeps the stored
    order, which fixes the floating-point rounding of a sum as the expression holds it), and
    ``functions`` maps the names of functions the expression uses (e.g. a ``sympy.Function``
    subclass ``Softplus``) to their implementations, used as given whatever the namespace.
    ``TypeError`` for anything else; ``NotImplementedError`` at compile time for a matrix-expression
    node the array compiler does not know (its class is named).
    """
    symbols = tuple(symbols)
    if not symbols:
        raise TypeError("symbols must be a non-empty sequence of sympy.Symbol or sympy.MatrixSymbol")
    if isinstance(expr, (list, tuple)):
        expr = tuple(sp.sympify(e) for e in expr)
    elif isinstance(expr, sp.MatrixBase):
        expr = sp.ImmutableMatrix(expr)  # hashable, so the compiled function is cached
    elif not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression, matrix or list of expressions, got {expr!r:.80}")
    if not (all(isinstance(s, sp.MatrixSymbol) for s in symbols) or all(isinstance(s, sp.Symbol) for s in symbols)):
        raise TypeError(f"symbols must be all sympy.Symbol or all sympy.MatrixSymbol, got {symbols!r:.120}")
    if functions is not None and not (isinstance(functions, Mapping) and all(
            isinstance(name, str) and callable(f) for name, f in functions.items())):
        raise TypeError(f"functions must be a mapping of names to callables, got {functions!r:.80}")
    options = (cse, order, None if functions is None else tuple(sorted(functions.items())))
    if isinstance(symbols[0], sp.MatrixSymbol) and options[1:] != (None, None):
        raise TypeError("order and functions apply to scalar symbols only")
    if isinstance(symbols[0], sp.MatrixSymbol):
        return _compile_array(symbols, expr, xp)
    if xp is None:
        return _lambdify_on_arguments_namespace(symbols, expr, options)
    return _lambdify(symbols, expr, xp, *options)  # Dummy symbols too


# ---- scalar symbols: lambdify ---------------------------------------------------------------------
@functools.cache
def _lambdify_on_arguments_namespace(symbols: tuple, expr, options: tuple) -> Callable:
    def function(*arguments):
        return _lambdify(symbols, expr, namespace(*arguments), *options)(*arguments)

    return function


@functools.cache
def _lambdify(symbols: tuple, expr, xp, cse: bool, order: str | None, functions: tuple | None):
    if isinstance(expr, sp.MatrixBase):
        expr = expr.tolist()
    elif isinstance(expr, tuple):
        expr = list(expr)
    module = np if array_api_compat.is_numpy_namespace(xp) else _NumbersAsArrays(xp)
    printer = NumPyPrinter({"order": order, "fully_qualified_modules": True, "inline": True, "allow_unknown_functions": True})
    names = {**dict(functions or ()), "numpy": module, "math": math}
    return sp.lambdify(symbols, expr, modules=[names, "numpy"], printer=printer, cse=cse)


class _NumbersAsArrays:
    """The namespace ``xp`` whose functions also take Python numbers, as 0-d float64 arrays.

    Generated code calls e.g. ``numpy.sqrt(2)`` for a constant; numpy and cupy take the number,
    the array API standard (array-api-strict) only takes arrays."""

    def __init__(self, xp):
        self._xp = xp

    def __getattr__(self, name):
        value = getattr(self._xp, name)  # AttributeError names a function the namespace lacks
        if not callable(value):
            return value
        xp = self._xp

        def function(*args, **kwargs):
            return value(*(xp.asarray(a, dtype=xp.float64) if isinstance(a, (int, float)) else a for a in args), **kwargs)

        return function


# ---- matrix symbols: node-by-node array compiler -------------------------------------------------
Node = Callable[[tuple, object], object]  # (arrays of the symbols, namespace) -> array


@functools.cache
def _compile_array(symbols: tuple, expr, xp):
    if isinstance(expr, (tuple, sp.MatrixBase)):
        raise TypeError("with matrix symbols, expr must be one matrix or array expression, not a list or explicit matrix")
    node = _node(expr, {s: i for i, s in enumerate(symbols)})

    def function(*arrays):
        if len(arrays) != len(symbols):
            raise TypeError(f"expected {len(symbols)} arrays ({', '.join(map(str, symbols))}), got {len(arrays)}")
        return node(arrays, namespace(*arrays) if xp is None else xp)

    return function


def largest_intermediate(expr, symbols) -> int:
    """The largest number of entries of one node of a matrix expression that depends on ``symbols``.

    The array compiler holds each node's value at once, so a batch of n points in those symbols
    needs about n times this many numbers (1 if no node depends on them); callers use it to split
    large batches."""
    return max([math.prod(_shape(n)) for n in sp.preorder_traversal(expr)
                if isinstance(n, sp.Basic) and any(n.has(s) for s in symbols)] + [1])


def polynomial_degree(expr, symbol) -> float:
    """An upper bound on the degree of a matrix expression as a polynomial in ``symbol``'s entries.

    Read off the tree: 0 for a node without ``symbol``, 1 for the symbol, the maximum over the terms
    of a sum, the total over the factors of a product (matrix, scalar or tensor product) and the
    argument's degree through the linear maps (transpose, trace, axis permutation); a non-negative
    integer power multiplies the degree; any other node that contains ``symbol`` is ``inf``. None
    (a zero block) is degree 0."""
    if expr is None or not expr.has(symbol):
        return 0
    if expr == symbol:
        return 1
    if isinstance(expr, (sp.MatAdd, ArrayAdd, sp.Add)):
        return max(polynomial_degree(a, symbol) for a in expr.args)
    if isinstance(expr, (sp.MatMul, sp.Mul, ArrayTensorProduct)):
        return sum(polynomial_degree(a, symbol) for a in expr.args)
    if isinstance(expr, (sp.Transpose, sp.Trace)):
        return polynomial_degree(expr.arg, symbol)
    if isinstance(expr, PermuteDims):
        return polynomial_degree(expr.expr, symbol)
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp >= 0:
        return int(expr.exp) * polynomial_degree(expr.base, symbol)
    return math.inf


def _shape(node) -> tuple[int, ...]:
    shape = getattr(node, "shape", ())
    return tuple(int(s) for s in shape)


def _rank(node) -> int:
    return len(_shape(node))


def _node(expr, index: dict) -> Node:
    """Compile one node; the value of a node with shape s is an array of shape (..., *s)."""
    if isinstance(expr, sp.MatrixSymbol):
        if expr not in index:
            raise ValueError(f"matrix symbol {expr} is not among the function's symbols")
        position = index[expr]
        return lambda arrays, xp: arrays[position]
    if expr.is_number and not isinstance(expr, (sp.MatrixExpr, ZeroArray)):
        value = float(expr)
        return lambda arrays, xp: value
    if isinstance(expr, sp.Identity):
        n = int(expr.rows)
        return lambda arrays, xp: xp.eye(n, dtype=xp.float64)
    if isinstance(expr, (sp.ZeroMatrix, ZeroArray)):
        shape = _shape(expr)
        return lambda arrays, xp: xp.zeros(shape, dtype=xp.float64)
    if isinstance(expr, (sp.MatAdd, ArrayAdd, sp.Add)):
        terms = [_node(a, index) for a in expr.args]
        return lambda arrays, xp: functools.reduce(lambda a, b: _add(a, b, xp), (t(arrays, xp) for t in terms))
    if isinstance(expr, sp.MatMul):  # before Mul: MatMul is a subclass of Mul
        return _matmul(expr, index)
    if isinstance(expr, sp.Mul):
        factors = [_node(a, index) for a in expr.args]
        return lambda arrays, xp: functools.reduce(lambda a, b: a * b, (f(arrays, xp) for f in factors))
    if isinstance(expr, sp.Transpose):
        inner = _node(expr.arg, index)
        return lambda arrays, xp: xp.matrix_transpose(inner(arrays, xp))
    if isinstance(expr, sp.Trace):
        inner = _node(expr.arg, index)
        return lambda arrays, xp: xp.linalg.trace(inner(arrays, xp))
    if isinstance(expr, ArrayTensorProduct):
        return _tensor_product(expr, index)
    if isinstance(expr, PermuteDims):
        inner, rank = _node(expr.expr, index), _rank(expr)
        order = tuple(expr.permutation.array_form)  # result axis i is the argument's axis order[i]

        def permute(arrays, xp):
            value = inner(arrays, xp)
            batch = value.ndim - rank
            return xp.permute_dims(value, tuple(range(batch)) + tuple(batch + k for k in order))

        return permute
    raise NotImplementedError(
        f"the array compiler has no rule for {type(expr).__name__} ({expr}); it compiles matrix symbols, "
        "numbers, Identity, zero matrices/arrays, sums, products, MatMul, Transpose, Trace, "
        "ArrayTensorProduct and PermuteDims"
    )


def _matmul(expr: sp.MatMul, index: dict) -> Node:
    """Scalar factors times a chain of matrix products, left to right (:func:`_product`).

    Numeric factors that are powers of two (−1, ½, ...) multiply the smallest matrix of the chain
    rather than the product: the same numbers (scaling by 2^k is exact barring overflow and
    underflow), one pass over a small array instead of a large one (−Λ(x − μ) scales Λ, not the
    N×d result)."""
    exact = [a for a in expr.args if not a.is_Matrix and _is_power_of_two(a)]
    scalars = [_node(a, index) for a in expr.args if not a.is_Matrix and a not in exact]
    matrices = [_node(a, index) for a in expr.args if a.is_Matrix]
    fold = math.prod(float(a) for a in exact)

    def product(arrays, xp):
        factors = [m(arrays, xp) for m in matrices]
        if fold != 1.0:
            smallest = min(range(len(factors)), key=lambda i: math.prod(factors[i].shape))
            factors[smallest] = fold * factors[smallest]
        value = functools.reduce(lambda a, b: _product(a, b, xp), factors)
        for scalar in scalars:
            value = scalar(arrays, xp) * value
        return value

    return product


def _is_power_of_two(number) -> bool:
    """Whether a SymPy number is ±2^k (k any integer): multiplying by it is exact in binary floating point."""
    if not number.is_number or not number.is_real or number == 0:
        return False
    mantissa, _ = math.frexp(abs(float(number)))
    return mantissa == 0.5 and sp.Rational(float(number)) == number


_ROW_BROADCAST_WIDTH = 64
"""The loop length :func:`_add` aims for when it adds a small array to every point of a batch."""


def _add(a, b, xp):
    """``a + b``, with one fast path: a small array without batch axes added to every point of a batch.

    For x − μ at d = 2 ((N, 2, 1) + (2, 1)) numpy runs its inner loop along the short trailing
    axes, one call per point: about 5× slower than an elementwise sum of the same size. Viewing
    the batch as rows of k points and the small operand tiled k times gives the same additions in
    loops k times longer. Exact: every entry is the same single addition (IEEE addition commutes)."""
    shape_a, shape_b = tuple(getattr(a, "shape", ())), tuple(getattr(b, "shape", ()))
    if shape_a == shape_b or not shape_a or not shape_b:
        return a + b
    big, small = (a, b) if len(shape_a) > len(shape_b) else (b, a)
    own = tuple(small.shape)
    size = math.prod(own)
    if len(big.shape) == len(own) or tuple(big.shape[len(big.shape) - len(own):]) != own or size * 2 > _ROW_BROADCAST_WIDTH:
        return a + b
    points = math.prod(big.shape[: len(big.shape) - len(own)])
    group = next((k for k in range(_ROW_BROADCAST_WIDTH // size, 1, -1) if points % k == 0), None)
    if group is None:
        return a + b
    tiled = xp.reshape(xp.broadcast_to(xp.reshape(small, (1, size)), (group, size)), (group * size,))
    return xp.reshape(xp.reshape(big, (points // group, group * size)) + tiled, tuple(big.shape))


def _product(a, b, xp):
    """The matrix product of (..., r, k) and (..., k, c), by the cheapest array operation for the shapes:
    a broadcast product when k = 1 (outer product), a sum of products for row times column, one
    2-D matrix product over the whole batch when one factor has no batch axes and the other is a
    batch of column (or row) vectors, ``matmul`` otherwise."""
    r, k, c = a.shape[-2], a.shape[-1], b.shape[-1]
    if k == 1:
        return a * b
    if r == 1 and c == 1:
        return xp.sum(a * xp.matrix_transpose(b), axis=-1, keepdims=True)
    if a.ndim == 2 and b.ndim > 2 and c == 1:
        batch = tuple(b.shape[:-2])
        return xp.reshape(xp.matmul(xp.reshape(b, (-1, k)), xp.matrix_transpose(a)), batch + (r, 1))
    if b.ndim == 2 and a.ndim > 2 and r == 1:
        batch = tuple(a.shape[:-2])
        return xp.reshape(xp.matmul(xp.reshape(a, (-1, k)), b), batch + (1, c))
    return xp.matmul(a, b)


def _tensor_product(expr: ArrayTensorProduct, index: dict) -> Node:
    """Outer product over the trailing (own) axes; leading (batch) axes broadcast."""
    parts = [(_node(a, index), _rank(a)) for a in expr.args]
    total = sum(rank for _, rank in parts)

    def product(arrays, xp):
        value, before = None, 0
        for node, rank in parts:
            part = node(arrays, xp)
            if not hasattr(part, "shape"):
                part = xp.asarray(part, dtype=xp.float64)
            batch = tuple(part.shape[: part.ndim - rank])
            # own axes at positions before..before+rank of the product, size-1 axes elsewhere
            shaped = xp.reshape(part, batch + (1,) * before + tuple(part.shape[part.ndim - rank:]) + (1,) * (total - before - rank))
            value = shaped if value is None else value * shaped
            before += rank
        return value

    return product
