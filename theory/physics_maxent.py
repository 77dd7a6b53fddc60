r"""Maximum entropy on a grid: the discretised variational problems of review 003 §5, solved numerically.

A density on :math:`[lo, hi]` is represented by its values :math:`p_i = e^{u_i}` at the nodes
:math:`x_i` of a composite Gauss–Legendre rule with weights :math:`w_i`, so that
:math:`H(p) = -\sum_i w_i p_i \log p_i` and :math:`\int F p = \sum_i w_i F(x_i) p_i`. The problem

.. math:: \max_p\ H(p) - \sum_j c_j \int G_j\, p \quad\text{s.t.}\quad \int F_k\, p = t_k,\ k = 0..K

(:math:`F_0 = 1`, :math:`t_0 = 1`; the penalty terms make it a free energy) is solved by
:func:`scipy.optimize.root` on its Karush–Kuhn–Tucker system in the unknowns
:math:`(u, \lambda)` — the gradient of the Lagrangian with respect to each :math:`p_i`, divided by
:math:`w_i p_i > 0`, and the constraints — with its exact Jacobian, from the uniform density. No
exponential form is assumed: the multipliers are whatever the root-finder returns. That the root
is a *maximum* is checked separately (:func:`tangent_curvature`: the Hessian of the discretised
objective on the constraints' tangent space is negative definite). The error of a quantity is
estimated by :func:`theory.quadrature.refine` (the rule against twice its panels).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import root

from ebmcheck.theory.quadrature import gauss_legendre
from ebmcheck.theory.validation import function, positive_int, real_scalar


@dataclass(frozen=True)
class GridSolution:
    """A stationary density of a discretised maximum-entropy problem and its Lagrange multipliers."""

    nodes: np.ndarray
    weights: np.ndarray
    density: np.ndarray
    multipliers: np.ndarray  # λ_0 (normalisation), λ_1.. (the constraints), in the order given
    residual: float  # max |KKT residual| at the root

    @property
    def entropy(self) -> float:
        """:math:`H(p) = -\\sum_i w_i p_i \\log p_i`."""
        return float(-np.sum(self.weights * self.density * np.log(self.density)))

    def integral(self, values: np.ndarray) -> float:
        """:math:`\\int g\\, p` for ``values`` = g at the nodes."""
        return float(np.sum(self.weights * values * self.density))


def _validated(lo, hi, features, targets, penalties, panels, order):
    lo, hi = real_scalar("lo", lo), real_scalar("hi", hi)
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    panels, order = positive_int("panels", panels), positive_int("order", order)
    if len(features) != len(targets):
        raise ValueError(f"one target per constraint: got {len(features)} features and {len(targets)} targets")
    for feature in features:
        function("feature", feature)
    for coefficient, energy in penalties:
        real_scalar("penalty coefficient", coefficient)
        function("penalty energy", energy)
    return lo, hi, panels, order


def maximise_entropy(
    lo: float,
    hi: float,
    features: Sequence[Callable[[np.ndarray], np.ndarray]] = (),
    targets: Sequence[float] = (),
    penalties: Sequence[tuple[float, Callable[[np.ndarray], np.ndarray]]] = (),
    panels: int = 8,
    order: int = 8,
) -> GridSolution:
    r"""Maximise :math:`H(p) - \sum_j c_j\int G_j p` over grid densities with :math:`\int p = 1` and
    :math:`\int F_k p = t_k` (``features`` :math:`F_k`, ``targets`` :math:`t_k`, ``penalties`` pairs
    :math:`(c_j, G_j)`). Raises ``RuntimeError`` if the root-finder does not converge."""
    lo, hi, panels, order = _validated(lo, hi, features, targets, penalties, panels, order)
    nodes, weights = gauss_legendre(lo, hi, panels, order)
    constraint = np.array([np.ones_like(nodes)] + [np.asarray(f(nodes), float) for f in features])
    wanted = np.array([1.0, *map(float, targets)])
    penalty = sum((c * np.asarray(g(nodes), float) for c, g in penalties), np.zeros_like(nodes))
    size, count = nodes.size, wanted.size

    def kkt(z):
        u, lam = z[:size], z[size:]
        mass = weights * np.exp(u)
        # ∂/∂p_i [H − Σ c G + Σ λ_k(I_k − t_k)] / w_i = −log p_i − 1 − Σc G_i + Σ λ_k F_k(x_i)
        stationarity = -u - 1.0 - penalty + constraint.T @ lam
        residual = np.concatenate([stationarity, constraint @ mass - wanted])
        jacobian = np.block([[-np.eye(size), constraint.T], [constraint * mass, np.zeros((count, count))]])
        return residual, jacobian

    start = np.concatenate([np.full(size, -np.log(hi - lo)), [1.0 - np.log(hi - lo)], np.zeros(count - 1)])
    solved = root(kkt, start, jac=True, method="hybr", options={"xtol": 1e-14})
    residual = float(np.abs(kkt(solved.x)[0]).max())
    if not solved.success and residual > 1e-10:
        raise RuntimeError(f"the KKT system was not solved: {solved.message} (residual {residual:.2e})")
    return GridSolution(nodes, weights, np.exp(solved.x[:size]), solved.x[size:], residual)


def tangent_curvature(solution: GridSolution, constraint_values: Sequence[np.ndarray] = ()) -> float:
    r"""The largest eigenvalue of the Hessian of the discretised entropy, :math:`\mathrm{diag}(-w_i/p_i)`,
    restricted to the tangent space of the constraints (normalisation and ``constraint_values`` at the
    nodes), in the inner product :math:`\langle a, b\rangle = \sum_i w_i a_i b_i` of the grid: negative
    means the stationary point is a strict local (and, the problem being concave, global) maximum."""
    w, p = solution.weights, solution.density
    rows = np.array([np.ones_like(w)] + [np.asarray(v, float) for v in constraint_values]) * w
    _, singular, vt = np.linalg.svd(rows)
    basis = vt[(singular > 1e-12 * singular.max()).sum():].T  # null space of the constraints
    hessian = basis.T @ np.diag(-w / p) @ basis
    metric = basis.T @ np.diag(w) @ basis
    return float(np.linalg.eigvals(np.linalg.solve(metric, hessian)).real.max())


def minimise_energy_at_entropy(
    lo: float, hi: float, energy: Callable[[np.ndarray], np.ndarray], entropy: float, panels: int = 8, order: int = 8
) -> GridSolution:
    r"""Minimise :math:`\int U p` over grid densities with :math:`\int p = 1` and :math:`H(p) = H_0`
    (Lemma 5.1's first reading). KKT in :math:`(u, \lambda'_0, \lambda'_1)` with eq. 106's multipliers:
    :math:`\lambda'_1(-\log p_i - 1) + \lambda'_0 + U(x_i) = 0`; returns multipliers
    :math:`(\lambda'_0, \lambda'_1)`."""
    lo, hi, panels, order = _validated(lo, hi, (energy,), (0.0,), (), panels, order)
    entropy = real_scalar("entropy", entropy)
    nodes, weights = gauss_legendre(lo, hi, panels, order)
    values = np.asarray(energy(nodes), float)
    size = nodes.size

    def kkt(z):
        u, lam0, lam1 = z[:size], z[size], z[size + 1]
        mass = weights * np.exp(u)
        stationarity = lam1 * (-u - 1.0) + lam0 + values
        residual = np.concatenate([stationarity, [mass.sum() - 1.0, -(mass * u).sum() - entropy]])
        jacobian = np.zeros((size + 2, size + 2))
        jacobian[:size, :size] = -lam1 * np.eye(size)
        jacobian[:size, size] = 1.0
        jacobian[:size, size + 1] = -u - 1.0
        jacobian[size, :size] = mass
        jacobian[size + 1, :size] = -mass * (u + 1.0)
        return residual, jacobian

    start = np.concatenate([np.full(size, -np.log(hi - lo)), [0.0, 1.0]])
    solved = root(kkt, start, jac=True, method="hybr", options={"xtol": 1e-14})
    residual = float(np.abs(kkt(solved.x)[0]).max())
    if not solved.success and residual > 1e-10:
        raise RuntimeError(f"the KKT system was not solved: {solved.message} (residual {residual:.2e})")
    return GridSolution(nodes, weights, np.exp(solved.x[:size]), solved.x[size:], residual)
