r"""Unnormalized models, declared once as a SymPy expression and differentiated by SymPy.

A model is :math:`p_\theta(x) = f(x;\theta)/Z(\theta)` with :math:`\log f` a SymPy expression in
data symbols :math:`x \in \mathbb{R}^d` and parameter symbols :math:`\theta \in \mathbb{R}^p`.
Sign convention, stated once for the whole suite: energy :math:`E = -\log f`, score
:math:`s_\theta(x) = \nabla_x \log f(x;\theta)` (never :math:`\nabla_x E`).

Every derivative the checks need (score, Laplacian, :math:`\nabla_\theta \log f`, Hessians,
mixed derivatives) is derived symbolically and lambdified to the array backend, so the numerics
use exactly the functions the derivations reason about. Numerical functions take
``x`` of shape ``(..., d)`` and ``theta`` of shape ``(..., p)``; leading axes broadcast (chains,
replicates, quadrature nodes), the trailing axes of the result are the derivative's own.

Inputs are validated at every public method (:mod:`theory.validation`): ``x`` and ``theta``
must be real, finite arrays with trailing dimension d and p (``TypeError``/``ValueError``
naming the argument otherwise). The derivative functions accept any finite :math:`\theta` —
:math:`\log f` and its derivatives are defined there — while :meth:`Model.validate`,
:meth:`Model.sample` and the families' ``pack`` also check the parameter's domain (e.g. a
positive-definite precision), where :math:`f` is normalizable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np
import sympy as sp

from ebmcheck.theory.validation import generator, positive_int, real_array, real_scalar, spd_matrix

Array = np.ndarray


class Model:
    """An unnormalized density :math:`f(x;\\theta)` declared by its SymPy log.

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
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {name!r}")
        for arg, symbols in (("x", x), ("theta", theta)):
            if isinstance(symbols, (str, sp.Basic)) or not isinstance(symbols, Sequence) or not symbols or not all(
                isinstance(s, sp.Symbol) for s in symbols
            ):
                raise TypeError(f"{arg} must be a non-empty sequence of sympy.Symbol, got {symbols!r}")
        if not isinstance(log_f, sp.Expr):
            raise TypeError(f"log_f must be a sympy expression in the symbols of x and theta, got {log_f!r}")
        for arg, function in (("validate", validate), ("sampler", sampler)):
            if function is not None and not callable(function):
                raise TypeError(f"{arg} must be a callable or None, got {function!r}")
        if log_normalizer is not None and not isinstance(log_normalizer, sp.Expr):
            raise TypeError(f"log_normalizer must be a sympy expression or None, got {log_normalizer!r}")
        self.name = name
        self.x = tuple(x)
        self.theta = tuple(theta)
        self.log_f_expr = sp.sympify(log_f)
        self.log_normalizer_expr = log_normalizer
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

    # ---- symbolic derivatives (derived once, on first use) --------------------------------
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

    # ---- numerical functions on the backend ------------------------------------------------
    def log_f(self, x, theta, xp: ModuleType = np):
        """:math:`\\log f(x;\\theta)`, shape (...)."""
        return self._evaluate("log_f_expr", x, theta, xp)

    def score(self, x, theta, xp: ModuleType = np):
        """:math:`\\nabla_x \\log f(x;\\theta)`, shape (..., d)."""
        return self._evaluate("score_expr", x, theta, xp)[..., 0]

    def laplacian(self, x, theta, xp: ModuleType = np):
        """:math:`\\Delta_x \\log f(x;\\theta)`, shape (...)."""
        return self._evaluate("laplacian_expr", x, theta, xp)

    def grad_theta(self, x, theta, xp: ModuleType = np):
        """:math:`\\nabla_\\theta \\log f(x;\\theta)`, shape (..., p)."""
        return self._evaluate("grad_theta_expr", x, theta, xp)[..., 0]

    def hess_theta(self, x, theta, xp: ModuleType = np):
        """:math:`\\nabla^2_\\theta \\log f(x;\\theta)`, shape (..., p, p)."""
        return self._evaluate("hess_theta_expr", x, theta, xp)

    def score_jacobian_theta(self, x, theta, xp: ModuleType = np):
        """:math:`\\partial_{\\theta_j} s_i(x;\\theta)`, shape (..., d, p)."""
        return self._evaluate("score_jacobian_theta_expr", x, theta, xp)

    def laplacian_grad_theta(self, x, theta, xp: ModuleType = np):
        """:math:`\\nabla_\\theta \\Delta_x \\log f(x;\\theta)`, shape (..., p)."""
        return self._evaluate("laplacian_grad_theta_expr", x, theta, xp)[..., 0]

    @property
    def has_log_normalizer(self) -> bool:
        """Whether :meth:`log_normalizer` has a closed form (declared, or the family's own)."""
        return self.log_normalizer_expr is not None

    def log_normalizer(self, theta, xp: ModuleType = np):
        """:math:`\\log Z(\\theta)` from the closed form in the model's definition."""
        if self.log_normalizer_expr is None:
            raise ValueError(f"model {self.name!r} declares no closed-form log-normalizer")
        theta = xp.asarray(self._theta_array(theta), dtype=float)
        func = _lambdify(self.theta, self.log_normalizer_expr, xp.__name__)
        return xp.asarray(func(*[theta[..., j] for j in range(self.num_params)]), dtype=float)

    def log_density(self, x, theta, xp: ModuleType = np):
        """:math:`\\log p_\\theta(x) = \\log f(x;\\theta) - \\log Z(\\theta)`."""
        return self.log_f(x, theta, xp) - self.log_normalizer(theta, xp)

    def validate(self, theta) -> Array:
        """Return ``theta`` (..., p) as a float array after checking it is an allowed parameter.

        ``TypeError`` if it is not an array of real numbers; ``ValueError`` naming ``theta`` if its
        trailing dimension is not p, if it is empty or not finite, or if a row lies outside the
        family's domain (the family's own check, e.g. a positive-definite precision)."""
        theta = self._theta_array(theta, allow_empty=False)
        if self._validate is not None:
            for single in theta.reshape(-1, self.num_params):
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
    def _theta_array(self, theta, *, allow_empty: bool = True):
        """``theta`` as a finite float array (..., p); errors name ``theta``."""
        theta = real_array("theta", theta, allow_empty=True, finite=False)
        self._check_theta_shape(theta)
        if not allow_empty and theta.size == 0:
            raise ValueError(f"{self.name}: theta must not be empty, got shape {tuple(theta.shape)}")
        return real_array("theta", theta, allow_empty=True)  # finiteness, on the array's own backend

    def _check_theta_shape(self, theta):
        if theta.ndim == 0 or theta.shape[-1] != self.num_params:
            raise ValueError(
                f"{self.name}: theta must have trailing dimension p={self.num_params} "
                f"({', '.join(map(str, self.theta))}), got shape {tuple(theta.shape)}"
            )
        return theta

    def _x_array(self, x):
        """``x`` as a finite float array (..., d); errors name ``x``."""
        x = real_array("x", x, allow_empty=True, finite=False)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name}: x must have trailing dimension d={self.dim}, got shape {tuple(x.shape)}"
            )
        return real_array("x", x, allow_empty=True)

    def _evaluate(self, attribute: str, x, theta, xp: ModuleType):
        theta = self._theta_array(theta)
        x = self._x_array(x)
        try:
            np.broadcast_shapes(tuple(x.shape[:-1]), tuple(theta.shape[:-1]))
        except ValueError:
            raise ValueError(
                f"{self.name}: the leading axes of x {tuple(x.shape)} and theta {tuple(theta.shape)} do not broadcast"
            ) from None
        return evaluate(getattr(self, attribute), self.x, self.theta, xp.asarray(x), xp.asarray(theta), xp)


def _short(array) -> str:
    text = np.array2string(np.asarray(array), precision=4, separator=", ")
    return text if len(text) <= 80 else text[:77] + "..."


def evaluate(expr, x_symbols, theta_symbols, x, theta, xp: ModuleType = np):
    """Evaluate a SymPy expression (or matrix) of ``x`` and ``theta`` on broadcast arrays.

    ``x`` has shape (..., len(x_symbols)) and ``theta`` (..., len(theta_symbols)); the result
    has the broadcast leading shape followed by the matrix's shape, if any.
    """
    x = xp.asarray(x, dtype=float)
    theta = xp.asarray(theta, dtype=float)
    if isinstance(expr, sp.MatrixBase):
        expr = sp.ImmutableMatrix(expr)  # hashable, so the compiled function is cached
    func = _lambdify(tuple(x_symbols) + tuple(theta_symbols), expr, xp.__name__)
    args = [x[..., i] for i in range(len(x_symbols))] + [theta[..., j] for j in range(len(theta_symbols))]
    batch = np.broadcast_shapes(x.shape[:-1], theta.shape[:-1])
    if isinstance(expr, sp.MatrixBase):
        # Entry by entry into one array: constants (e.g. zeros of a Hessian) fill by broadcasting.
        out = xp.empty(batch + expr.shape)
        for i, row in enumerate(func(*args)):
            for j, value in enumerate(row):
                out[..., i, j] = value
        return out
    return xp.broadcast_to(xp.asarray(func(*args), dtype=float), batch)


@functools.lru_cache(maxsize=None)
def _lambdify(symbols: tuple, expr, module_name: str):
    """Compile ``expr`` once per (expression, backend); matrices become nested lists."""
    if isinstance(expr, sp.MatrixBase):
        expr = expr.tolist()
    return sp.lambdify(symbols, expr, modules=module_name, cse=True)


# =============================================================================================
# Model families
# =============================================================================================


class GaussianModel(Model):
    r"""d-dimensional Gaussian with mean :math:`\mu` and precision :math:`\Lambda` as parameters.

    .. math:: \log f(x;\mu,\Lambda) = -\tfrac12 (x-\mu)^\top \Lambda (x-\mu),\qquad
              \log Z = \tfrac d2 \log 2\pi - \tfrac12 \log\det\Lambda.

    ``theta`` stacks :math:`\mu` (d entries) and the upper triangle of :math:`\Lambda` row by
    row (:math:`d(d+1)/2` entries); use :meth:`pack` and :meth:`unpack` to convert.
    """

    def __init__(self, dim: int):
        dim = positive_int("dim", dim)
        x = sp.symbols(f"x1:{dim + 1}", real=True)
        mu = sp.symbols(f"mu1:{dim + 1}", real=True)
        upper = [(i, j) for i in range(dim) for j in range(i, dim)]
        lam = {(i, j): sp.Symbol(f"Lambda{i + 1}{j + 1}", real=True) for i, j in upper}
        precision = sp.Matrix(dim, dim, lambda i, j: lam[(min(i, j), max(i, j))])
        centred = sp.Matrix(x) - sp.Matrix(mu)
        log_f = sp.expand(-(centred.T * precision * centred)[0, 0] / 2)
        # The symbolic determinant is only worth building (and only fast) for small d.
        log_z = (sp.Rational(dim, 2) * sp.log(2 * sp.pi) - sp.log(precision.det()) / 2) if dim <= 3 else None
        self._upper = upper
        self.precision_matrix = precision
        super().__init__(
            f"gaussian-{dim}d",
            x,
            tuple(mu) + tuple(lam[ij] for ij in upper),
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
        return np.concatenate([mean, [precision[i, j] for i, j in self._upper]])

    def unpack(self, theta) -> tuple[Array, Array]:
        """Return (mean, precision) from ``theta`` (..., p), which must be finite (not checked for SPD)."""
        theta = self._theta_array(theta)
        d = self.dim
        precision = np.zeros(theta.shape[:-1] + (d, d))
        for k, (i, j) in enumerate(self._upper):
            precision[..., i, j] = precision[..., j, i] = theta[..., d + k]
        return theta[..., :d], precision

    @property
    def has_log_normalizer(self) -> bool:
        return True  # in closed form for any d (below), symbolic only for d <= 3

    def log_normalizer(self, theta, xp: ModuleType = np):
        # Closed form for any d: the symbolic determinant is only built for d <= 3.
        _, precision = self.unpack(np.asarray(theta))
        sign, logdet = np.linalg.slogdet(precision)
        return xp.asarray(self.dim / 2 * np.log(2 * np.pi) - logdet / 2)

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

    ``a`` and ``b`` must be finite real numbers with ``a < b`` (``TypeError``/``ValueError``
    naming them otherwise).
    """
    a_value, b_value = real_scalar("a", a), real_scalar("b", b)
    if not a_value < b_value:
        raise ValueError(f"a must be < b (two distinct modes a < b), got a={a!r}, b={b!r}")
    x, theta = sp.Symbol("x", real=True), sp.Symbol("theta", real=True)
    a_, b_ = sp.nsimplify(a), sp.nsimplify(b)
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
        sampler=sample,
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


FAMILIES: dict[str, Callable[[], Model]] = {
    "gaussian-1d": lambda: gaussian(1),
    "gaussian-2d": lambda: gaussian(2),
    "two-mode-mixture": two_mode_mixture,
    "quartic": quartic,
}
