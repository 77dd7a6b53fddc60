r"""Normalizing-flow building blocks with exact inverses and log-determinants, and a 2-D quadrature.

Every flow acts on points of shape (n, d) and provides

- ``forward(z)``: :math:`y = f(z)`;
- ``inverse(y)``: :math:`z = f^{-1}(y)`, closed form (affine, radial) or a vectorised
  safeguarded Newton iteration on a scalar monotone equation (planar);
- ``log_abs_det(z)``: :math:`\log|\det J f(z)|` at the *input* z, and ``det(z)`` with its sign.

The families (Rezende & Mohamed 2015), d = 1 or 2:

- affine :math:`f(z) = Az + b`, :math:`\det J = \det A` (negative for a reflection);
- planar :math:`f(z) = z + u\tanh(w^\top z + c)`, :math:`\det J = 1 + w^\top u\,\operatorname{sech}^2(w^\top z + c)`,
  a diffeomorphism iff :math:`w^\top u > -1`. The inverse: :math:`s = w^\top y` fixes
  :math:`a = w^\top z` through :math:`s = a + w^\top u\tanh(a + c)` (strictly increasing, a root in
  :math:`[s - |w^\top u|, s + |w^\top u|]`), then :math:`z = y - u\tanh(a + c)`;
- radial :math:`f(z) = z + \beta(z - z_0)/(\alpha + r)`, :math:`r = |z - z_0|`,
  :math:`\det J = (1 + \beta h)^{d-1}(1 + \beta h + \beta h' r)`, :math:`h = 1/(\alpha + r)`, a
  diffeomorphism iff :math:`\beta > -\alpha`. The radius maps as :math:`r' = r(1 + \beta/(\alpha + r))`,
  whose inverse is the positive root of :math:`r^2 + (\alpha + \beta - r')r - \alpha r' = 0`.

:class:`Composition` chains them (:math:`f = f_M\circ\cdots\circ f_1`) and returns the
intermediate points :math:`x_i = f_i\circ\cdots\circ f_1(z)`.

Integrals over the flows' densities use :func:`theory.quadrature.integrate` (1-D, with break
points at kinks) and :func:`theory.quadrature.integrate_2d`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ebmcheck.theory.validation import real_array, real_scalar

NEWTON_ITERATIONS = 60
NEWTON_TOLERANCE = 1e-14


def _points(name: str, value, dim: int) -> np.ndarray:
    """Points as a float array of shape (n, dim)."""
    array = real_array(name, value, ndim=2)
    if array.shape[1] != dim:
        raise ValueError(f"{name} must have shape (n, {dim}) for a flow on R^{dim}, got {array.shape}")
    return array


def _vector(name: str, value, dim: int | None = None) -> np.ndarray:
    array = real_array(name, value, ndim=1)
    if dim is not None and array.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},), got {array.shape}")
    if not 1 <= array.shape[0] <= 2:
        raise ValueError(f"{name} must have 1 or 2 entries (flows on R^1 or R^2), got {array.shape[0]}")
    return array


@dataclass(frozen=True)
class Affine:
    """:math:`f(z) = Az + b`, A invertible (any sign of det A)."""

    matrix: np.ndarray
    shift: np.ndarray

    def __post_init__(self) -> None:
        shift = _vector("shift", self.shift)
        matrix = real_array("matrix", self.matrix, ndim=2)
        if matrix.shape != (shift.size, shift.size):
            raise ValueError(f"matrix must have shape ({shift.size}, {shift.size}) to match shift, got {matrix.shape}")
        if abs(np.linalg.det(matrix)) < 1e-12:
            raise ValueError(f"matrix must be invertible (|det| >= 1e-12), got det = {np.linalg.det(matrix):.3g}")
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "shift", shift)

    @property
    def dim(self) -> int:
        return self.shift.size

    def forward(self, z) -> np.ndarray:
        return _points("z", z, self.dim) @ self.matrix.T + self.shift

    def inverse(self, y) -> np.ndarray:
        return np.linalg.solve(self.matrix, (_points("y", y, self.dim) - self.shift).T).T

    def det(self, z) -> np.ndarray:
        return np.full(_points("z", z, self.dim).shape[0], np.linalg.det(self.matrix))

    def log_abs_det(self, z) -> np.ndarray:
        return np.log(np.abs(self.det(z)))


@dataclass(frozen=True)
class Planar:
    r""":math:`f(z) = z + u\tanh(w^\top z + c)`, invertible iff :math:`w^\top u > -1`."""

    u: np.ndarray
    w: np.ndarray
    c: float = 0.0

    def __post_init__(self) -> None:
        u, w = _vector("u", self.u), _vector("w", self.w)
        if u.shape != w.shape:
            raise ValueError(f"u and w must have the same shape, got {u.shape} and {w.shape}")
        if not float(w @ u) > -1:
            raise ValueError(f"a planar flow is a diffeomorphism only for w·u > -1, got w·u = {float(w @ u):.4g}")
        object.__setattr__(self, "u", u)
        object.__setattr__(self, "w", w)
        object.__setattr__(self, "c", real_scalar("c", self.c))

    @property
    def dim(self) -> int:
        return self.u.size

    def forward(self, z) -> np.ndarray:
        z = _points("z", z, self.dim)
        return z + np.tanh(z @ self.w + self.c)[:, None] * self.u

    def inverse(self, y) -> np.ndarray:
        y = _points("y", y, self.dim)
        wu = float(self.w @ self.u)
        projection = solve_monotone(lambda a: a + wu * np.tanh(a + self.c),
                                    lambda a: 1 + wu / np.cosh(a + self.c) ** 2,
                                    y @ self.w, abs(wu))
        return y - np.tanh(projection + self.c)[:, None] * self.u

    def det(self, z) -> np.ndarray:
        z = _points("z", z, self.dim)
        return 1 + float(self.w @ self.u) / np.cosh(z @ self.w + self.c) ** 2

    def log_abs_det(self, z) -> np.ndarray:
        return np.log(np.abs(self.det(z)))


@dataclass(frozen=True)
class Radial:
    r""":math:`f(z) = z + \beta(z - z_0)/(\alpha + |z - z_0|)`, α > 0, invertible iff β > −α."""

    center: np.ndarray
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "center", _vector("center", self.center))
        alpha = real_scalar("alpha", self.alpha, low=0.0, low_inclusive=False)
        beta = real_scalar("beta", self.beta)
        if not beta > -alpha:
            raise ValueError(f"a radial flow is a diffeomorphism only for beta > -alpha, got alpha={alpha}, beta={beta}")
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "beta", beta)

    @property
    def dim(self) -> int:
        return self.center.size

    def _radius(self, z) -> tuple[np.ndarray, np.ndarray]:
        offset = _points("z", z, self.dim) - self.center
        return offset, np.sqrt(np.sum(offset**2, axis=1))

    def forward(self, z) -> np.ndarray:
        offset, r = self._radius(z)
        return self.center + offset * (1 + self.beta / (self.alpha + r))[:, None]

    def inverse(self, y) -> np.ndarray:
        offset, r_out = self._radius(y)
        p = self.alpha + self.beta - r_out
        r_in = (-p + np.sqrt(p**2 + 4 * self.alpha * r_out)) / 2
        ratio = np.divide(r_in, r_out, out=np.full_like(r_out, 1 / (1 + self.beta / self.alpha)), where=r_out > 0)
        return self.center + offset * ratio[:, None]

    def det(self, z) -> np.ndarray:
        _, r = self._radius(z)
        h = 1 / (self.alpha + r)
        return (1 + self.beta * h) ** (self.dim - 1) * (1 + self.beta * self.alpha * h**2)

    def log_abs_det(self, z) -> np.ndarray:
        return np.log(np.abs(self.det(z)))


Flow = Affine | Planar | Radial


@dataclass(frozen=True)
class Composition:
    r""":math:`f = f_M\circ\cdots\circ f_1` of ``layers`` = (f_1, ..., f_M), all on the same R^d."""

    layers: tuple[Flow, ...]

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("a composition needs at least one layer")
        if len({layer.dim for layer in layers}) != 1:
            raise ValueError(f"layers must act on the same R^d, got dimensions {[layer.dim for layer in layers]}")
        object.__setattr__(self, "layers", layers)

    @property
    def dim(self) -> int:
        return self.layers[0].dim

    def trajectory(self, z) -> list[np.ndarray]:
        r"""[x_0 = z, x_1 = f_1(z), ..., x_M = f_M∘⋯∘f_1(z) = y]."""
        points = [_points("z", z, self.dim)]
        for layer in self.layers:
            points.append(layer.forward(points[-1]))
        return points

    def forward(self, z) -> np.ndarray:
        return self.trajectory(z)[-1]

    def inverse(self, y) -> np.ndarray:
        r""":math:`f^{-1} = f_1^{-1}\circ\cdots\circ f_M^{-1}`: f_M⁻¹ first."""
        point = _points("y", y, self.dim)
        for layer in reversed(self.layers):
            point = layer.inverse(point)
        return point

    def log_abs_det(self, z) -> np.ndarray:
        points = self.trajectory(z)
        return sum(layer.log_abs_det(x) for layer, x in zip(self.layers, points[:-1]))


def solve_monotone(g: Callable, derivative: Callable, target: np.ndarray, half_width: float) -> np.ndarray:
    r"""Solve :math:`g(a) = s` elementwise for strictly increasing g with :math:`|g(a) - a| \le` ``half_width``.

    The root lies in :math:`[s - w, s + w]`; Newton steps that leave the current bracket are
    replaced by bisection (safeguarded Newton), all elements at once. Stops when every step is
    below :data:`NEWTON_TOLERANCE` and every residual below 1e-12, relative to max(1, |a|);
    ``RuntimeError`` if it does not converge.
    """
    target = np.asarray(target, dtype=float)
    lo, hi = target - half_width - 1e-12, target + half_width + 1e-12
    a = target.copy()
    for _ in range(NEWTON_ITERATIONS):
        residual = g(a) - target
        lo, hi = np.where(residual < 0, a, lo), np.where(residual > 0, a, hi)
        step = residual / derivative(a)
        proposal = a - step
        outside = (proposal <= lo) | (proposal >= hi)
        proposal = np.where(outside, (lo + hi) / 2, proposal)
        change = np.abs(proposal - a)
        scale = np.maximum(1.0, np.abs(a))
        a = proposal
        if np.all(change <= NEWTON_TOLERANCE * scale) and np.all(np.abs(residual) <= 1e-12 * scale):
            return a
    raise RuntimeError(f"safeguarded Newton did not converge in {NEWTON_ITERATIONS} iterations")


def standard_normal_log_density(z: np.ndarray) -> np.ndarray:
    r""":math:`\log\rho_Z(z)` of the standard normal base on R^d, z of shape (n, d)."""
    z = np.asarray(z, dtype=float)
    return -0.5 * np.sum(z**2, axis=-1) - 0.5 * z.shape[-1] * np.log(2 * np.pi)


def as_layers(layers: Sequence[Flow]) -> Composition:
    """A :class:`Composition` of ``layers`` (f_1 first)."""
    return Composition(tuple(layers))
