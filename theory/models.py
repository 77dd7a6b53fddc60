r"""Unnormalized models, declared once as a SymPy expression and differentiated by SymPy.

A model is :math:`p_\theta(x) = f(x;\theta)/Z(\theta)` with :math:`\log f` a SymPy expression in
data :math:`x \in \mathbb{R}^d` and parameters :math:`\theta \in \mathbb{R}^p`.
Sign convention, stated once for the whole suite: energy :math:`E = -\log f`, score
:math:`s_\theta(x) = \nabla_x \log f(x;\theta)` (never :math:`\nabla_x E`).

Every derivative the checks need (score, Laplacian, :math:`\nabla_\theta \log f`, Hessians,
mixed derivatives) is derived symbolically and compiled to the array namespace
(:func:`theory.symbolic.compile_expression`), so the numerics use exactly the functions the
derivations reason about. Two ways to declare a model:

- :class:`Model`: :math:`\log f` in scalar symbols, one per coordinate and per parameter
  (the 1-D families). Derivatives are taken entry by entry.
- :class:`MatrixModel`: :math:`\log f` as a matrix expression in a data vector and parameter
  blocks (vectors, matrices, symmetric matrices), e.g. the Gaussian
  :math:`-\tfrac12 (x-\mu)^\top\Lambda(x-\mu)`. Derivatives come from SymPy's matrix calculus
  and compile to matrix products, so their cost grows with the matrix sizes (d = 1000 is
  practical) rather than with one symbol per entry. The same declaration also gives the scalar
  form in entry symbols (:attr:`Model.log_f_expr`), for derivations that want it.

Numerical functions take ``x`` of shape ``(..., d)`` and ``theta`` of shape ``(..., p)``; leading
axes broadcast (chains, replicates, quadrature nodes), the trailing axes of the result are the
derivative's own. The array namespace is the inputs' (:func:`theory.backend.namespace`: numpy,
cupy, array-api-strict...); ``x`` and ``theta`` of two different libraries are a ``TypeError`` (a
caller with host parameters and device data converts them itself, ``xp.asarray``). A result that
would hold more than :data:`MAX_RESULT_ENTRIES` numbers is refused with a ``ValueError`` before any work.

Inputs are validated at every public method (:mod:`theory.validation`): ``x`` and ``theta``
must be real, finite arrays with trailing dimension d and p (``TypeError``/``ValueError``
naming the argument otherwise). The derivative functions accept any finite :math:`\theta` —
:math:`\log f` and its derivatives are defined there — while :meth:`Model.validate`,
:meth:`Model.sample` and the families' ``pack`` also check the parameter's domain (e.g. a
positive-definite precision), where :math:`f` is normalizable.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy as sp
from sympy.tensor.array.array_derivatives import ArrayDerivative
from sympy.tensor.array.expressions import ZeroArray

from ebmcheck.theory.backend import namespace, to_host
from ebmcheck.theory.symbolic import compile_expression, largest_intermediate, polynomial_degree
from ebmcheck.theory.validation import generator, positive_int, real_array, real_scalar, spd_matrix

Array = np.ndarray

MAX_RESULT_ENTRIES = 2**29
"""The largest result a model method computes: 2^29 float64 numbers (4 GiB). Beyond it (e.g. the
θ-Hessian of ``gaussian(100)``, p = 5150, at 10^4 points: 2.65·10^11 numbers) the method raises
``ValueError``; evaluate fewer points at a time."""

_CHUNK_ENTRIES = 2**17
"""A :class:`MatrixModel` evaluates a batch in slices along its first axis so that no intermediate
array exceeds about this many numbers (1 MiB): memory stays bounded and arrays stay in cache."""

_RESULT_SHAPES = {  # the trailing shape of each derivative, given (d, p)
    "log_f": lambda d, p: (),
    "score": lambda d, p: (d,),
    "laplacian": lambda d, p: (),
    "grad_theta": lambda d, p: (p,),
    "hess_theta": lambda d, p: (p, p),
    "score_jacobian_theta": lambda d, p: (d, p),
    "laplacian_grad_theta": lambda d, p: (p,),
}


class Model:
    """An unnormalized density :math:`f(x;\\theta)` declared by its SymPy log in scalar symbols.

    Parameters
    ----------
    name : str
        Human-readable name, used in reports.
    x : sequence of sympy.Symbol, length d
        Data coordinates.
    theta : sequence of sympy.Symbol, length p
        Parameters.
    log_f : sympy.Expr
        :math:`\\log f(x;\\theta)`, the unnormalized log-density.
    validate : callable(theta: ndarray) -> None, optional
        Raises ``ValueError`` with a precise message when ``theta`` is not an allowed parameter.
    log_normalizer : sympy.Expr, optional
        :math:`\\log Z(\\theta)` in closed form, part of the model's symbolic definition.
    sampler : callable(theta, num_samples, rng) -> ndarray (num_samples, d), optional
        An exact sampler for :math:`p_\\theta`.
    """

    def __init__(
        self,
        name: str,
        x: Sequence[sp.Symbol],
        theta: Sequence[sp.Symbol],
        log_f: sp.Expr,
        *,
        validate: Callable[[Array], None] | None = None,
        log_normalizer: sp.Expr | None = None,
        sampler: Callable[[Array, int, np.random.Generator], Array] | None = None,
    ):
        for arg, symbols in (("x", x), ("theta", theta)):
            if isinstance(symbols, (str, sp.Basic)) or not isinstance(symbols, Sequence) or not symbols or not all(
                isinstance(s, sp.Symbol) for s in symbols
            ):
                raise TypeError(f"{arg} must be a non-empty sequence of sympy.Symbol, got {symbols!r}")
        if not isinstance(log_f, sp.Expr):
            raise TypeError(f"log_f must be a sympy expression in the symbols of x and theta, got {log_f!r}")
        if log_normalizer is not None and not isinstance(log_normalizer, sp.Expr):
            raise TypeError(f"log_normalizer must be a sympy expression or None, got {log_normalizer!r}")
        self._declare(name, validate, sampler)
        self.x = tuple(x)
        self.theta = tuple(theta)
        self.log_f_expr = sp.sympify(log_f)
        self.log_normalizer_expr = log_normalizer

    def _declare(self, name, validate, sampler) -> None:
        """Check and set what every model has beside its log f: name, domain check, sampler."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {name!r}")
        for arg, function in (("validate", validate), ("sampler", sampler)):
            if function is not None and not callable(function):
                raise TypeError(f"{arg} must be a callable or None, got {function!r}")
        self.name = name
        self._validate = validate
        self._sampler = sampler

    def __repr__(self) -> str:
        return f"Model({self.name!r}, d={self.dim}, p={self.num_params})"

    @property
    def dim(self) -> int:
        return len(self.x)

    @property
    def num_params(self) -> int:
        return len(self.theta)

    # ---- symbolic derivatives in scalar symbols (derived once, on first use) --------------------
    @functools.cached_property
    def score_expr(self) -> sp.Matrix:
        """:math:`\\nabla_x \\log f`, shape (d, 1)."""
        return sp.Matrix([sp.diff(self.log_f_expr, xi) for xi in self.x])

    @functools.cached_property
    def laplacian_expr(self) -> sp.Expr:
        """:math:`\\Delta_x \\log f = \\operatorname{tr} \\nabla_x^2 \\log f`."""
        return sp.Add(*[sp.diff(self.score_expr[i], xi) for i, xi in enumerate(self.x)])

    @functools.cached_property
    def grad_theta_expr(self) -> sp.Matrix:
        """:math:`\\nabla_\\theta \\log f`, shape (p, 1)."""
        return sp.Matrix([sp.diff(self.log_f_expr, t) for t in self.theta])

    @functools.cached_property
    def hess_theta_expr(self) -> sp.Matrix:
        """:math:`\\nabla_\\theta^2 \\log f`, shape (p, p)."""
        return sp.hessian(self.log_f_expr, self.theta)

    @functools.cached_property
    def score_jacobian_theta_expr(self) -> sp.Matrix:
        """:math:`\\partial s_i / \\partial \\theta_j`, shape (d, p)."""
        return self.score_expr.jacobian(self.theta)

    @functools.cached_property
    def laplacian_grad_theta_expr(self) -> sp.Matrix:
        """:math:`\\nabla_\\theta \\Delta_x \\log f`, shape (p, 1)."""
        return sp.Matrix([sp.diff(self.laplacian_expr, t) for t in self.theta])

    # ---- numerical functions on the inputs' array namespace -------------------------------------
    def log_f(self, x, theta):
        """:math:`\\log f(x;\\theta)`, shape (...)."""
        return self._evaluate("log_f", x, theta)

    def score(self, x, theta):
        """:math:`\\nabla_x \\log f(x;\\theta)`, shape (..., d)."""
        return self._evaluate("score", x, theta)

    def laplacian(self, x, theta):
        """:math:`\\Delta_x \\log f(x;\\theta)`, shape (...)."""
        return self._evaluate("laplacian", x, theta)

    def grad_theta(self, x, theta):
        """:math:`\\nabla_\\theta \\log f(x;\\theta)`, shape (..., p)."""
        return self._evaluate("grad_theta", x, theta)

    def hess_theta(self, x, theta):
        """:math:`\\nabla^2_\\theta \\log f(x;\\theta)`, shape (..., p, p)."""
        return self._evaluate("hess_theta", x, theta)

    def score_jacobian_theta(self, x, theta):
        """:math:`\\partial_{\\theta_j} s_i(x;\\theta)`, shape (..., d, p)."""
        return self._evaluate("score_jacobian_theta", x, theta)

    def mean_hess_theta(self, x, theta):
        r""":math:`\frac1n\sum_{i=1}^n \nabla^2_\theta \log f(x_i;\theta)`, shape (p, p): the θ-Hessian
        averaged over the n points of ``x`` (all its leading axes), at one parameter ``theta`` (p,).

        The form Newton fits and asymptotic covariances use, and the one that exists at scale: for
        ``gaussian(100)`` (p = 5150) on 10⁴ points the per-point Hessians would hold 2.65·10¹¹
        numbers, their mean 2.65·10⁷. Here the points are summed in slices (memory bounded by
        :data:`_CHUNK_ENTRIES` per slice, at least one point); :class:`MatrixModel` does better where
        the Hessian is affine in x. The result is refused like the other methods' if p² exceeds
        :data:`MAX_RESULT_ENTRIES`."""
        x, theta, xp = self._mean_inputs(x, theta)
        def per_slice(part):
            return self._compute("hess_theta", part, theta, (part.shape[0],), xp)

        return _sum_over_points(per_slice, x, self.num_params**2, xp) / x.shape[0]

    def _mean_inputs(self, x, theta):
        """``x`` as (n, d) with n ≥ 1, ``theta`` as (p,), their namespace; the (p, p) result within the limit."""
        theta = self._theta_array(theta)
        x = self._x_array(x)
        xp = namespace(x, theta)
        if theta.ndim != 1:
            raise ValueError(f"{self.name}: mean_hess_theta takes one parameter vector theta of shape "
                             f"({self.num_params},), got shape {tuple(theta.shape)}")
        x = xp.reshape(x, (-1, self.dim))
        if x.shape[0] == 0:
            raise ValueError(f"{self.name}: mean_hess_theta needs at least one point, got x of shape {tuple(x.shape)}")
        if self.num_params**2 > MAX_RESULT_ENTRIES:
            raise ValueError(
                f"{self.name}: mean_hess_theta would hold {self.num_params ** 2:.3g} numbers "
                f"({self.num_params}²), more than MAX_RESULT_ENTRIES = {MAX_RESULT_ENTRIES}"
            )
        return x, theta, xp

    def laplacian_grad_theta(self, x, theta):
        """:math:`\\nabla_\\theta \\Delta_x \\log f(x;\\theta)`, shape (..., p)."""
        return self._evaluate("laplacian_grad_theta", x, theta)

    @property
    def has_log_normalizer(self) -> bool:
        """Whether :meth:`log_normalizer` has a closed form (declared, or the family's own)."""
        return self.log_normalizer_expr is not None

    def log_normalizer(self, theta):
        """:math:`\\log Z(\\theta)` from the closed form in the model's definition, shape (...)."""
        if self.log_normalizer_expr is None:
            raise ValueError(f"model {self.name!r} declares no closed-form log-normalizer")
        theta = self._theta_array(theta)
        xp = namespace(theta)
        value = compile_expression(self.theta, self.log_normalizer_expr, xp)(
            *[theta[..., j] for j in range(self.num_params)]
        )
        return _broadcast(xp.asarray(value, dtype=xp.float64), tuple(theta.shape[:-1]), xp)

    def log_density(self, x, theta):
        """:math:`\\log p_\\theta(x) = \\log f(x;\\theta) - \\log Z(\\theta)`."""
        return self.log_f(x, theta) - self.log_normalizer(theta)

    def validate(self, theta) -> Array:
        """Return ``theta`` (..., p) as a float array after checking it is an allowed parameter.

        ``TypeError`` if it is not an array of real numbers; ``ValueError`` naming ``theta`` if its
        trailing dimension is not p, if it is empty or not finite, or if a row lies outside the
        family's domain (the family's own check, e.g. a positive-definite precision)."""
        theta = self._theta_array(theta, allow_empty=False)
        if self._validate is not None:
            # The family's check reads numbers (a Cholesky, a sign): on a host copy of the few rows.
            for single in to_host(theta).reshape(-1, self.num_params):
                try:
                    self._validate(single)
                except ValueError as error:
                    raise ValueError(
                        f"theta={_short(single)} is not an allowed parameter of {self.name}: {error}"
                    ) from None
        return theta

    def sample(self, theta, num_samples: int, rng) -> Array:
        """Draw ``num_samples`` exact samples from :math:`p_\\theta`, shape (num_samples, d).

        ``theta`` is one allowed parameter vector (p,), ``num_samples`` an int >= 1 and ``rng`` a
        random generator (``numpy.random.default_rng(seed)``)."""
        if self._sampler is None:
            raise ValueError(f"model {self.name!r} has no exact sampler")
        num_samples = positive_int("num_samples", num_samples)
        rng = generator("rng", rng)
        theta = self.validate(theta)
        if theta.ndim != 1:
            raise ValueError(
                f"{self.name}: sample() takes one parameter vector theta of shape ({self.num_params},), "
                f"got shape {theta.shape}"
            )
        return self._sampler(theta, num_samples, rng)

    # ---- internals --------------------------------------------------------------------------
    def _parameter_names(self) -> list[str]:
        return [str(t) for t in self.theta]

    def _theta_array(self, theta, *, allow_empty: bool = True):
        """``theta`` as a finite float array (..., p); errors name ``theta``."""
        theta = real_array("theta", theta, allow_empty=True, finite=False)
        if theta.ndim == 0 or theta.shape[-1] != self.num_params:
            names = self._parameter_names()
            listed = ", ".join(names if len(names) <= 12 else names[:6] + ["...", names[-1]])
            raise ValueError(
                f"{self.name}: theta must have trailing dimension p={self.num_params} ({listed}), "
                f"got shape {tuple(theta.shape)}"
            )
        if not allow_empty and theta.size == 0:
            raise ValueError(f"{self.name}: theta must not be empty, got shape {tuple(theta.shape)}")
        return real_array("theta", theta, allow_empty=True)  # finiteness, on the array's own backend

    def _x_array(self, x):
        """``x`` as a finite float array (..., d); errors name ``x``."""
        x = real_array("x", x, allow_empty=True, finite=False)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name}: x must have trailing dimension d={self.dim}, got shape {tuple(x.shape)}"
            )
        return real_array("x", x, allow_empty=True)

    def _evaluate(self, kind: str, x, theta):
        """Validate the inputs, take their namespace, refuse oversized results, then compute ``kind``."""
        theta = self._theta_array(theta)
        x = self._x_array(x)
        xp = namespace(x, theta)
        try:
            batch = np.broadcast_shapes(tuple(x.shape[:-1]), tuple(theta.shape[:-1]))  # shape arithmetic only
        except ValueError:
            raise ValueError(
                f"{self.name}: the leading axes of x {tuple(x.shape)} and theta {tuple(theta.shape)} do not broadcast"
            ) from None
        shape = batch + _RESULT_SHAPES[kind](self.dim, self.num_params)
        if math.prod(shape) > MAX_RESULT_ENTRIES:
            raise ValueError(
                f"{self.name}: {kind} at x {tuple(x.shape)}, theta {tuple(theta.shape)} would hold "
                f"{math.prod(shape):.3g} numbers of shape {shape} ({math.prod(shape) * 8 / 2**30:.3g} GiB), more than "
                f"MAX_RESULT_ENTRIES = {MAX_RESULT_ENTRIES}; evaluate fewer points at a time"
            )
        return self._compute(kind, x, theta, batch, xp)

    def _compute(self, kind: str, x, theta, batch: tuple, xp):
        """``kind`` from its expression in scalar symbols (``<kind>_expr``), entry by entry."""
        value = evaluate(getattr(self, f"{kind}_expr"), self.x, self.theta, x, theta)
        return value[..., 0] if kind in ("score", "grad_theta", "laplacian_grad_theta") else value


def _short(array) -> str:
    text = np.array2string(np.asarray(array), precision=4, separator=", ")
    return text if len(text) <= 80 else text[:77] + "..."


def evaluate(expr, x_symbols, theta_symbols, x, theta):
    """Evaluate a SymPy expression (or matrix) of scalar symbols ``x`` and ``theta`` on broadcast arrays.

    ``x`` has shape (..., len(x_symbols)) and ``theta`` (..., len(theta_symbols)); the result
    has the broadcast leading shape followed by the matrix's shape, if any. The namespace is the
    inputs' (numpy for lists); arrays of two libraries are a ``TypeError``.
    """
    x, theta = (a if hasattr(a, "__array_namespace__") else np.asarray(a, dtype=float) for a in (x, theta))
    xp = namespace(x, theta)
    x, theta = xp.asarray(x, dtype=xp.float64), xp.asarray(theta, dtype=xp.float64)
    func = compile_expression(tuple(x_symbols) + tuple(theta_symbols), expr, xp)
    args = [x[..., i] for i in range(len(x_symbols))] + [theta[..., j] for j in range(len(theta_symbols))]
    batch = np.broadcast_shapes(tuple(x.shape[:-1]), tuple(theta.shape[:-1]))
    if isinstance(expr, sp.MatrixBase):
        # Entry by entry into one array: constants (e.g. zeros of a Hessian) fill by broadcasting.
        entries = [xp.broadcast_to(xp.asarray(v, dtype=xp.float64), batch) for row in func(*args) for v in row]
        return xp.reshape(xp.stack(entries, axis=-1), batch + tuple(expr.shape))
    return _broadcast(xp.asarray(func(*args), dtype=xp.float64), batch, xp)


def _broadcast(value, shape: tuple, xp):
    """``value`` broadcast to ``shape``; itself (writable) when it has that shape already."""
    return value if tuple(value.shape) == shape else xp.broadcast_to(value, shape)


# =============================================================================================
# Models declared by matrix expressions
# =============================================================================================


@dataclass(frozen=True)
class Parameter:
    """A parameter block of a :class:`MatrixModel`: a matrix symbol and how ``theta`` stores it.

    ``theta`` holds the block's entries row by row (a column vector: its entries in order), or for
    a ``symmetric`` (square) block only its upper triangle, row by row: :math:`n(n+1)/2` numbers
    for :math:`n^2` entries. Derivatives with respect to a symmetric block are taken as if its
    entries were independent, then combined by the chain rule through
    :math:`\\Lambda_{ij} = \\Lambda_{ji} = \\theta_k`:
    :math:`\\partial/\\partial\\theta_k = \\partial/\\partial\\Lambda_{ij} + \\partial/\\partial\\Lambda_{ji}`
    (:math:`i < j`), :math:`\\partial/\\partial\\Lambda_{ii}` on the diagonal.
    """

    symbol: sp.MatrixSymbol
    symmetric: bool = False

    def __post_init__(self):
        if not isinstance(self.symbol, sp.MatrixSymbol):
            raise TypeError(f"symbol must be a sympy.MatrixSymbol, got {self.symbol!r}")
        if self.symmetric and self.symbol.rows != self.symbol.cols:
            raise ValueError(f"a symmetric parameter block must be square, got {self.symbol} of shape {self.symbol.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.symbol.rows), int(self.symbol.cols)

    @property
    def size(self) -> int:
        """How many numbers of ``theta`` the block takes."""
        rows, cols = self.shape
        return rows * (rows + 1) // 2 if self.symmetric else rows * cols

    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices of the block's entries, in ``theta`` order."""
        rows, cols = self.shape
        if self.symmetric:
            return np.triu_indices(rows)
        return tuple(index.reshape(-1) for index in np.indices((rows, cols)))

    def names(self) -> list[str]:
        """Names of the entry symbols: ``mu3`` for a vector, ``Lambda12`` for a matrix (``Lambda1_12`` from 10 rows on)."""
        rows, cols = self.shape
        name = str(self.symbol)
        if cols == 1 and not self.symmetric:
            return [f"{name}{i + 1}" for i in range(rows)]
        separator = "" if max(rows, cols) < 10 else "_"
        return [f"{name}{i + 1}{separator}{j + 1}" for i, j in zip(*(e.tolist() for e in self.entries()), strict=True)]

    def explicit(self, symbols: Sequence[sp.Symbol]) -> sp.ImmutableMatrix:
        """The block as a matrix of its entry ``symbols`` (mirrored when symmetric)."""
        at = dict(zip(zip(*(e.tolist() for e in self.entries())), symbols, strict=True))
        return sp.ImmutableMatrix(*self.shape, lambda i, j: at[(min(i, j), max(i, j)) if self.symmetric else (i, j)])

    def pack(self, value: np.ndarray) -> np.ndarray:
        """The block's numbers in ``theta`` order from the full (..., rows, cols) array ``value`` (host)."""
        rows, cols = self.entries()
        return np.asarray(value, dtype=float)[..., rows, cols]


class MatrixModel(Model):
    """An unnormalized density declared by a matrix expression in a data vector and parameter blocks.

    Parameters
    ----------
    name : str
        Human-readable name, used in reports.
    x : sympy.MatrixSymbol of shape (d, 1)
        The data vector.
    parameters : sequence of :class:`Parameter`
        The parameter blocks, in ``theta`` order.
    log_f : sympy matrix expression of shape (1, 1)
        :math:`\\log f(x;\\theta)`, e.g. ``-(x - mu).T * Lambda * (x - mu) / 2``.
    validate, sampler : as for :class:`Model`.
    log_normalizer : sympy.Expr in the matrix symbols, optional
        :math:`\\log Z(\\theta)` in closed form, e.g. with ``sympy.Determinant(Lambda)``.

    Derivatives come from SymPy's matrix calculus (``expr.diff(matrix_symbol)``), are simplified
    with :math:`\\Lambda^\\top = \\Lambda` for symmetric blocks (valid at every point ``theta``
    describes), and compile to array operations (:func:`theory.symbolic.compile_expression`).
    The scalar form in entry symbols (:attr:`x`, :attr:`theta`, :attr:`log_f_expr`, the
    ``*_expr`` derivatives) is derived from the same declaration on first use; it has one
    symbol per entry, so it is only practical for small d.
    """

    def __init__(
        self,
        name: str,
        x: sp.MatrixSymbol,
        parameters: Sequence[Parameter],
        log_f: sp.MatrixExpr,
        *,
        validate: Callable[[Array], None] | None = None,
        log_normalizer: sp.Expr | None = None,
        sampler: Callable[[Array, int, np.random.Generator], Array] | None = None,
    ):
        if not isinstance(x, sp.MatrixSymbol) or x.cols != 1:
            raise TypeError(f"x must be a sympy.MatrixSymbol of shape (d, 1), got {x!r}")
        if isinstance(parameters, (str, sp.Basic)) or not isinstance(parameters, Sequence) or not parameters or not all(
            isinstance(b, Parameter) for b in parameters
        ):
            raise TypeError(f"parameters must be a non-empty sequence of Parameter, got {parameters!r}")
        if not isinstance(log_f, sp.MatrixExpr) or log_f.shape != (1, 1):
            raise TypeError(f"log_f must be a sympy matrix expression of shape (1, 1), got {log_f!r}")
        if log_normalizer is not None and not isinstance(log_normalizer, sp.Expr):
            raise TypeError(f"log_normalizer must be a sympy expression or None, got {log_normalizer!r}")
        self._declare(name, validate, sampler)
        self.data = x
        self.parameters = tuple(parameters)
        self.log_f_matrix = log_f
        self.log_normalizer_matrix = log_normalizer

    @property
    def dim(self) -> int:
        return int(self.data.rows)

    @property
    def num_params(self) -> int:
        return sum(b.size for b in self.parameters)

    # ---- the scalar form, derived from the matrix declaration on first use ----------------------
    @functools.cached_property
    def x(self) -> tuple[sp.Symbol, ...]:
        return tuple(sp.Symbol(f"{self.data}{i + 1}", real=True) for i in range(self.dim))

    @functools.cached_property
    def theta(self) -> tuple[sp.Symbol, ...]:
        return tuple(sp.Symbol(name, real=True) for name in self._parameter_names())

    @functools.cached_property
    def _explicit(self) -> dict:
        """Each matrix symbol -> the explicit matrix of its entry symbols."""
        explicit, start = {self.data: sp.ImmutableMatrix(self.x)}, 0
        for block in self.parameters:
            explicit[block.symbol] = block.explicit(self.theta[start : start + block.size])
            start += block.size
        return explicit

    @property
    def log_f_expr(self) -> sp.Expr:
        """:math:`\\log f` in the entry symbols (expanded): the declaration with explicit matrices.

        Assigning an expression that differs from it by a constant :math:`c` (a scale of
        :math:`f`, as :func:`theory.objectives.scaled_model` does) adds :math:`c` to the matrix
        declaration too, so the numerics follow; any other assignment is a ``ValueError``."""
        if "_log_f_scalar" not in self.__dict__:
            self.__dict__["_log_f_scalar"] = sp.expand(self.log_f_matrix.xreplace(self._explicit).doit()[0, 0])
        return self.__dict__["_log_f_scalar"]

    @log_f_expr.setter
    def log_f_expr(self, value) -> None:
        shift = sp.expand(sp.sympify(value) - self.log_f_expr)
        if shift.free_symbols:
            raise ValueError(
                f"{self.name}: a matrix model's log_f_expr can only be shifted by a constant, got a change of {shift}"
            )
        self.log_f_matrix = self.log_f_matrix + shift * sp.Identity(1)
        self.__dict__["_log_f_scalar"] = sp.sympify(value)

    @functools.cached_property
    def log_normalizer_expr(self) -> sp.Expr | None:
        """:math:`\\log Z` in the entry symbols, from the declared closed form (None if none)."""
        if self.log_normalizer_matrix is None:
            return None
        return self.log_normalizer_matrix.xreplace(self._explicit).doit()

    # ---- numerics --------------------------------------------------------------------------------
    def _parameter_names(self) -> list[str]:
        return [name for block in self.parameters for name in block.names()]

    def _blocks(self, theta, xp) -> list:
        """The parameter blocks from ``theta`` (..., p): arrays (..., rows, cols)."""
        batch, blocks, start = tuple(theta.shape[:-1]), [], 0
        for block in self.parameters:
            part = theta[..., start : start + block.size]
            if block.symmetric:
                part = xp.take(part, _symmetric_gather(block.shape[0], xp), axis=-1)
            blocks.append(xp.reshape(part, batch + block.shape))
            start += block.size
        return blocks

    def _compute(self, kind: str, x, theta, batch: tuple, xp):
        """``kind`` from its plan, in slices of the batch's first axis sized by ``_CHUNK_ENTRIES``."""
        plan = _plan(self.log_f_matrix, self.data, self.parameters, kind)
        shape = _RESULT_SHAPES[kind](self.dim, self.num_params)
        arrays = [xp.expand_dims(x, axis=-1), *self._blocks(theta, xp)]
        # Arrays that carry the batch's first axis are sliced; the rest (e.g. one theta) are shared.
        sliced = [bool(batch) and batch[0] > 1 and a.ndim - 2 == len(batch) and a.shape[0] == batch[0] for a in arrays]
        per_row = max([size for size, cut in zip(plan.largest, sliced, strict=True) if cut] + [math.prod(shape)])
        rows = max(1, _CHUNK_ENTRIES // max(1, per_row * math.prod(batch[1:])))
        # Slices bound the memory of intermediates larger than the result; when none is larger (the
        # score: x − μ and Λ(x − μ) are (N, d) like the result), slicing would only add copies.
        if plan.whole and (not batch or rows >= batch[0] or per_row <= math.prod(shape)):
            piece = plan.placements[0][0]
            return xp.reshape(piece.evaluate(arrays, batch, xp), batch + shape)
        out = xp.zeros(batch + shape, dtype=xp.float64)  # zero blocks stay as allocated
        for start in range(0, batch[0] if batch else 1, rows):
            stop = min(start + rows, batch[0]) if batch else 1
            part = [a[start:stop, ...] if cut else a for a, cut in zip(arrays, sliced, strict=True)]
            lead = (slice(start, stop), Ellipsis) if batch else (Ellipsis,)
            part_batch = ((stop - start),) + batch[1:] if batch else ()
            for piece, where, mirror in plan.placements:
                block = piece.evaluate(part, part_batch, xp)
                block = xp.reshape(block, part_batch + tuple(s.stop - s.start for s in where))
                out[lead + where] = block
                if mirror is not None:
                    out[lead + mirror] = xp.matrix_transpose(block)
        return out

    def mean_hess_theta(self, x, theta):
        r""":math:`\frac1n\sum_i \nabla^2_\theta \log f(x_i;\theta)`, shape (p, p) (see :meth:`Model.mean_hess_theta`).

        Block by block of the symbolic Hessian: a block whose expression is a polynomial of degree
        ≤ 1 in x (read off the expression tree: :func:`theory.symbolic.polynomial_degree`) is
        evaluated once, at the mean point :math:`\bar x` — the mean of an affine function is its
        value at the mean, so this is exact up to rounding; the other blocks are summed over the
        points in slices. For the Gaussian every block is affine (∂²/∂μ² = −Λ, the (μ, Λ) block is
        linear in x − μ, the (Λ, Λ) block is zero), so the cost does not grow with n."""
        x, theta, xp = self._mean_inputs(x, theta)
        n, blocks = x.shape[0], self._blocks(theta, xp)
        mean_point = [xp.reshape(xp.mean(x, axis=0), (self.dim, 1)), *blocks]
        out = xp.zeros((self.num_params, self.num_params), dtype=xp.float64)
        for piece, where, mirror in _plan(self.log_f_matrix, self.data, self.parameters, "hess_theta").placements:
            if polynomial_degree(piece.expr, self.data) <= 1:
                block = piece.evaluate(mean_point, (), xp)
            else:
                per_point = max(largest_intermediate(piece.expr, (self.data,)), math.prod(g.size for g in piece.groups))
                block = _sum_over_points(lambda part, piece=piece: piece.evaluate(
                    [xp.expand_dims(part, axis=-1), *blocks], (part.shape[0],), xp), x, per_point, xp) / n
            out[where] = block
            if mirror is not None:
                out[mirror] = xp.matrix_transpose(block)
        return out


def _sum_over_points(per_slice, x, per_point: int, xp):
    r""":math:`\sum_i` over the points of ``x`` (n, d) of ``per_slice(x[a:b])`` (shape (b − a, ...)), in slices of
    about :data:`_CHUNK_ENTRIES` numbers given ``per_point`` numbers per point (at least one point a slice)."""
    rows = max(1, _CHUNK_ENTRIES // per_point)
    total = 0.0
    for start in range(0, x.shape[0], rows):
        total = total + xp.sum(per_slice(x[start : start + rows, ...]), axis=0)
    return total


@functools.cache
def _symmetric_gather(n: int, xp):
    """Index (n·n,) into the upper triangle (row by row) of entry (i, j) of a symmetric n×n matrix."""
    position = np.zeros((n, n), dtype=np.int64)
    rows, cols = np.triu_indices(n)
    position[rows, cols] = position[cols, rows] = np.arange(rows.size)
    return xp.asarray(position.reshape(-1))


@functools.cache
def _symmetric_pack(n: int, xp):
    """Flat indices of the upper-triangle entries (i, j) of an n×n matrix (row by row), of their mirrors
    (j, i), and weights ½ on the diagonal, 1 off it."""
    rows, cols = np.triu_indices(n)
    return xp.asarray(rows * n + cols), xp.asarray(cols * n + rows), xp.asarray(np.where(rows == cols, 0.5, 1.0))


class _Group(NamedTuple):
    """Axes of a derivative that belong to one symbol: its shape, and whether theta packs it symmetrically."""

    shape: tuple[int, int]
    symmetric: bool

    @property
    def size(self) -> int:
        """The number of theta (or x) entries the axes pack into."""
        rows, cols = self.shape
        return rows * (rows + 1) // 2 if self.symmetric else rows * cols


class _Piece(NamedTuple):
    """One block of a derivative: SymPy expression (None: zero), its axis groups in SymPy's order
    (the derivative's variable first, then the differentiated expression's axes) and the order
    of the groups in the result."""

    expr: object
    symbols: tuple
    groups: tuple[_Group, ...]
    order: tuple[int, ...]

    def evaluate(self, arrays, batch: tuple, xp):
        """The block, shape batch + the packed sizes of the groups in ``order``."""
        sizes = tuple(self.groups[g].size for g in self.order)
        if self.expr is None:
            return xp.zeros(batch + sizes, dtype=xp.float64)
        value = compile_expression(self.symbols, self.expr, xp)(*arrays)
        if not hasattr(value, "shape"):
            value = xp.asarray(value, dtype=xp.float64)
        own = len(_sympy_shape(self.expr))
        lead = tuple(value.shape[: value.ndim - own])
        labels = [g for g, group in enumerate(self.groups) for _ in group.shape]
        value = xp.reshape(value, lead + tuple(n for group in self.groups for n in group.shape))
        for g in self.order:  # bring group g's axes last, pack them into one axis
            axes = [k for k, label in enumerate(labels) if label != g] + [k for k, label in enumerate(labels) if label == g]
            if axes != list(range(len(labels))):
                value = xp.permute_dims(value, tuple(range(len(lead))) + tuple(len(lead) + k for k in axes))
            labels = [labels[k] for k in axes if labels[k] != g] + [None]
            value = _pack_last(value, self.groups[g], xp)
        return _broadcast(value, batch + sizes, xp)


def _pack_last(value, group: _Group, xp):
    """Pack the trailing ``group.shape`` axes of ``value`` into theta's layout for that block (one axis).

    A symmetric block takes :math:`G_{ij} + G_{ji}` at its upper-triangle entries, which is
    :math:`2G_{ii}` on the diagonal, weighted by ½ there (both exact in floating point)."""
    rows, cols = group.shape
    flat = xp.reshape(value, tuple(value.shape[:-2]) + (rows * cols,))
    if not group.symmetric:
        return flat
    upper, lower, weights = _symmetric_pack(rows, xp)
    return (xp.take(flat, upper, axis=-1) + xp.take(flat, lower, axis=-1)) * weights


def _sympy_shape(expr) -> tuple[int, ...]:
    return tuple(int(n) for n in getattr(expr, "shape", ()))


class _Plan(NamedTuple):
    """How to compute one derivative of a matrix model: its pieces and where each goes in the result.

    ``placements`` holds (piece, trailing index of its block, index of the mirrored block or None),
    zero blocks left out;
    ``largest[i]`` is the largest intermediate per point among the nodes that depend on the
    compiled function's i-th symbol (data, then parameter blocks)."""

    placements: tuple
    largest: tuple[int, ...]
    whole: bool  # one piece that is the whole result


def _derivative(expr, wrt):
    """SymPy's matrix-calculus derivative of ``expr`` with respect to the matrix symbol ``wrt``; None if zero.

    Shape: ``wrt.shape + expr.shape`` (SymPy drops singleton axes of matrix-valued results)."""
    if expr is None or not expr.has(wrt):
        return None
    try:
        result = expr.diff(wrt)
    except (AttributeError, TypeError, NotImplementedError) as error:  # SymPy's matrix calculus gives up
        raise NotImplementedError(f"SymPy's matrix calculus cannot take d/d{wrt} of {expr}: {error}") from error
    if result.has(sp.Derivative) or result.atoms(ArrayDerivative):
        raise NotImplementedError(f"SymPy's matrix calculus left d/d{wrt} of {expr} unevaluated")
    if result == 0 or isinstance(result, (sp.ZeroMatrix, ZeroArray)):
        return None
    return result


@functools.cache
def _plan(log_f, data: sp.MatrixSymbol, parameters: tuple[Parameter, ...], kind: str) -> _Plan:
    """Derive ``kind`` (a key of ``_RESULT_SHAPES``) of a matrix model symbolically and lay it out in theta's order."""
    symmetric = {sp.Transpose(b.symbol): b.symbol for b in parameters if b.symmetric}
    symbols = (data,) + tuple(b.symbol for b in parameters)
    x_group = _Group((int(data.rows), 1), False)
    groups = [_Group(b.shape, b.symmetric) for b in parameters]
    offsets = np.cumsum([0] + [g.size for g in groups]).tolist()
    columns = [slice(offsets[i], offsets[i + 1]) for i in range(len(groups))]

    def piece(expr, axis_groups, order):
        if expr is not None:
            expr = expr.xreplace(symmetric)
            if isinstance(expr, sp.MatrixExpr):
                expr = expr.doit()
            _check_axes(expr, axis_groups)
        return _Piece(expr, symbols, tuple(axis_groups), tuple(order))

    score = _derivative(log_f, data)
    hessian_x = _derivative(score, data)
    laplacian = None if hessian_x is None else sp.Trace(hessian_x)
    whole = slice(0, int(data.rows))
    if kind == "log_f":
        placements = [(piece(log_f, [_Group((1, 1), False)], [0]), (), None)]
    elif kind == "score":
        placements = [(piece(score, [x_group], [0]), (whole,), None)]
    elif kind == "laplacian":
        placements = [(piece(laplacian, [], []), (), None)]
    elif kind == "grad_theta":
        placements = [(piece(_derivative(log_f, b.symbol), [g], [0]), (c,), None)
                      for b, g, c in zip(parameters, groups, columns, strict=True)]
    elif kind == "laplacian_grad_theta":
        placements = [(piece(_derivative(laplacian, b.symbol), [g], [0]), (c,), None)
                      for b, g, c in zip(parameters, groups, columns, strict=True)]
    elif kind == "score_jacobian_theta":
        placements = [(piece(_derivative(score, b.symbol), [g, x_group], [1, 0]), (whole, c), None)
                      for b, g, c in zip(parameters, groups, columns, strict=True)]
    elif kind == "hess_theta":  # upper blocks (i <= j); the lower ones are their transposes
        first = [_derivative(log_f, b.symbol) for b in parameters]
        placements = [
            (piece(_derivative(first[i], parameters[j].symbol), [groups[j], groups[i]], [1, 0]),
             (columns[i], columns[j]), (columns[j], columns[i]) if j > i else None)
            for i in range(len(parameters)) for j in range(i, len(parameters))
        ]
    else:
        raise ValueError(f"unknown derivative kind {kind!r}")
    whole = len(placements) == 1
    if not whole:
        placements = [p for p in placements if p[0].expr is not None]  # zero blocks stay zero in the result
    largest = tuple(max([largest_intermediate(p.expr, (s,)) for p, _, _ in placements if p.expr is not None] + [1])
                    for s in symbols)
    return _Plan(tuple(placements), largest, whole)


def _check_axes(expr, groups) -> None:
    """SymPy's shape of a derivative must be the groups' shapes up to singleton axes (which it drops)."""
    wanted = [n for g in groups for n in g.shape]
    have = list(_sympy_shape(expr))
    if math.prod(wanted) != math.prod(have) or [n for n in wanted if n != 1] != [n for n in have if n != 1]:
        raise NotImplementedError(f"unexpected shape {tuple(have)} of {expr} from SymPy (expected {tuple(wanted)} up to size-1 axes)")


# =============================================================================================
# Model families
# =============================================================================================


class GaussianModel(MatrixModel):
    r"""d-dimensional Gaussian with mean :math:`\mu` and precision :math:`\Lambda` as parameters.

    .. math:: \log f(x;\mu,\Lambda) = -\tfrac12 (x-\mu)^\top \Lambda (x-\mu),\qquad
              \log Z = \tfrac d2 \log 2\pi - \tfrac12 \log\det\Lambda.

    ``theta`` stacks :math:`\mu` (d entries) and the upper triangle of :math:`\Lambda` row by
    row (:math:`d(d+1)/2` entries); use :meth:`pack` and :meth:`unpack` to convert. Declared as
    a :class:`MatrixModel`, so score and Laplacian at d = 1000 are matrix products; the
    θ-derivatives have p = d + d(d+1)/2 entries per point (the θ-Hessian p² per point), which
    :data:`MAX_RESULT_ENTRIES` bounds.
    """

    def __init__(self, dim: int):
        dim = positive_int("dim", dim)
        x, mu = sp.MatrixSymbol("x", dim, 1), sp.MatrixSymbol("mu", dim, 1)
        precision = sp.MatrixSymbol("Lambda", dim, dim)
        log_f = -((x - mu).T * precision * (x - mu)) / 2
        # The symbolic determinant is only worth building (and only fast) for small d; the
        # numerical log Z below is closed-form for any d.
        log_z = sp.Rational(dim, 2) * sp.log(2 * sp.pi) - sp.log(sp.Determinant(precision)) / 2 if dim <= 3 else None
        super().__init__(
            f"gaussian-{dim}d",
            x,
            (Parameter(mu), Parameter(precision, symmetric=True)),
            log_f,
            validate=self._check,
            log_normalizer=log_z,
            sampler=self._sample,
        )

    def pack(self, mean, precision) -> Array:
        r"""Return ``theta`` for mean ``mean`` (d,) and precision ``precision`` (d, d).

        ``mean`` must be a finite real vector of shape (d,); ``precision`` a finite symmetric
        positive-definite (d, d) matrix (:func:`theory.validation.spd_matrix`: symmetric to
        :math:`10^{-10}` of its scale, Cholesky factorisable). ``TypeError``/``ValueError`` naming
        the argument otherwise."""
        d = self.dim
        mean = real_array("mean", mean, allow_empty=True, finite=False)
        if mean.shape != (d,):
            raise ValueError(f"mean must have shape ({d},), got {tuple(mean.shape)}")
        mean = real_array("mean", mean)
        precision = real_array("precision", precision, allow_empty=True, finite=False)
        if precision.shape != (d, d):
            raise ValueError(f"precision must have shape ({d}, {d}), got {tuple(precision.shape)}")
        precision = spd_matrix("precision", precision, size=d)
        return np.concatenate([mean, self.parameters[1].pack(precision)])

    def unpack(self, theta) -> tuple:
        """Return (mean (..., d), precision (..., d, d)) from ``theta`` (..., p), which must be finite
        (not checked for SPD); on ``theta``'s array namespace."""
        theta = self._theta_array(theta)
        mean, precision = self._blocks(theta, namespace(theta))
        return mean[..., 0], precision

    @property
    def has_log_normalizer(self) -> bool:
        return True  # in closed form for any d (below), symbolic only for d <= 3

    def log_normalizer(self, theta):
        # Closed form for any d: the symbolic determinant is only built for d <= 3.
        theta = self._theta_array(theta)
        xp = namespace(theta)
        _, precision = self.unpack(theta)
        _, logdet = xp.linalg.slogdet(precision)
        return xp.asarray(float(self.dim / 2 * np.log(2 * np.pi)) - logdet / 2)

    def _check(self, theta: Array) -> None:
        spd_matrix("precision", self.unpack(theta)[1], size=self.dim)

    def _sample(self, theta: Array, num_samples: int, rng) -> Array:
        mean, precision = self.unpack(theta)
        # x = mu + L^{-T} z with Lambda = L L^T has covariance Lambda^{-1}.
        cholesky = np.linalg.cholesky(precision)
        z = rng.standard_normal((num_samples, self.dim))
        return mean + np.linalg.solve(cholesky.T, z.T).T


def gaussian(dim: int) -> GaussianModel:
    """The d-dimensional Gaussian family with mean and precision parameters; ``dim`` an int >= 1."""
    return GaussianModel(dim)


def gaussian_precision() -> Model:
    r"""1-D zero-mean Gaussian with unknown precision: :math:`\log f(x;\theta) = -\theta x^2/2`."""
    x, theta = sp.Symbol("x", real=True), sp.Symbol("theta", positive=True)

    def check(t: Array) -> None:
        if t[0] <= 0:
            raise ValueError(f"precision theta must be > 0, got {t[0]}")

    def sample(t: Array, n: int, rng) -> Array:
        return rng.standard_normal((n, 1)) / np.sqrt(t[0])

    return Model(
        "gaussian-precision",
        (x,),
        (theta,),
        -theta * x**2 / 2,
        validate=check,
        log_normalizer=sp.log(2 * sp.pi / theta) / 2,
        sampler=sample,
    )


def two_mode_mixture(a: float = -10, b: float = 10) -> Model:
    r"""The slides' 1-D toy model (seed 002, "getting insight from toy models").

    .. math:: \log f(x;\theta) = \log\big(e^{-(x-a)^2/2} + e^{-\theta} e^{-(x-b)^2/2}\big),
              \qquad Z_\theta = (1+e^{-\theta})\sqrt{2\pi},

    so :math:`\theta` is the log-weight of mode :math:`b` relative to mode :math:`a`, and
    mode :math:`b` carries mass :math:`q = e^{-\theta}/(1+e^{-\theta})`. The slides write the
    energy :math:`U_\theta = -\log f`. The closed form is valid in float64 for
    :math:`|x|` below about :math:`|a|+37`, where both exponentials underflow.

    ``a`` and ``b`` are finite real numbers with ``a < b`` (``TypeError``/``ValueError`` naming
    them otherwise), or both SymPy symbols: the declaration with symbolic modes, for the
    derivations (:mod:`derivations.toy`); it has no sampler, and numerical evaluation needs numbers.
    """
    symbolic = isinstance(a, sp.Symbol) or isinstance(b, sp.Symbol)
    if symbolic and not (isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol)):
        raise TypeError(f"a and b must both be numbers or both be sympy.Symbol, got a={a!r}, b={b!r}")
    if not symbolic:
        a_value, b_value = real_scalar("a", a), real_scalar("b", b)
        if not a_value < b_value:
            raise ValueError(f"a must be < b (two distinct modes a < b), got a={a!r}, b={b!r}")
    x, theta = sp.Symbol("x", real=True), sp.Symbol("theta", real=True)
    a_, b_ = (a, b) if symbolic else (sp.nsimplify(a), sp.nsimplify(b))
    log_f = sp.log(sp.exp(-((x - a_) ** 2) / 2) + sp.exp(-theta) * sp.exp(-((x - b_) ** 2) / 2))

    def sample(t: Array, n: int, rng) -> Array:
        weight_b = 1 / (1 + np.exp(t[0]))
        in_b = rng.random(n) < weight_b
        return (np.where(in_b, float(b), float(a)) + rng.standard_normal(n))[:, None]

    return Model(
        f"two-mode-mixture(a={a}, b={b})",
        (x,),
        (theta,),
        log_f,
        log_normalizer=sp.log((1 + sp.exp(-theta)) * sp.sqrt(2 * sp.pi)),
        sampler=None if symbolic else sample,
    )


def quartic() -> Model:
    r"""A 1-D non-Gaussian exponential family with an asymmetric member.

    .. math:: \log f(x;\theta) = \theta_1 x - \theta_2 x^2/2 - \theta_3 x^4/4, \qquad \theta_3 > 0.

    :math:`\theta_1 \neq 0` makes the density asymmetric; :math:`\theta_2 < 0` makes it bimodal.
    The normalizer has no closed form; :func:`theory.quadrature.log_normalizer_1d` computes it.
    Samples are drawn exactly by inverse-CDF on a tabulated CDF (error below 1e-10 in the CDF).
    """
    x = sp.Symbol("x", real=True)
    t1, t2, t3 = sp.Symbol("theta1", real=True), sp.Symbol("theta2", real=True), sp.Symbol("theta3", positive=True)

    def check(t: Array) -> None:
        if t[2] <= 0:
            raise ValueError(f"theta3 (quartic coefficient) must be > 0 for f to be integrable, got {t[2]}")

    model = Model(
        "quartic",
        (x,),
        (t1, t2, t3),
        t1 * x - t2 * x**2 / 2 - t3 * x**4 / 4,
        validate=check,
    )
    model._sampler = functools.partial(_inverse_cdf_sample, model)
    return model


def _inverse_cdf_sample(model: Model, theta: Array, num_samples: int, rng) -> Array:
    """Exact-to-tabulation sampling of a 1-D model: invert its CDF on a fine grid."""
    from ebmcheck.theory.quadrature import support_interval

    lo, hi = support_interval(model, theta)
    grid = np.linspace(lo, hi, 2**16 + 1)
    log_density = model.log_f(grid[:, None], theta)
    density = np.exp(log_density - log_density.max())
    # Trapezoid CDF on 65k points: the mass outside [lo, hi] is below 1e-16 by construction.
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
    cdf /= cdf[-1]
    return np.interp(rng.random(num_samples), cdf, grid)[:, None]
