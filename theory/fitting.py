r"""Batched Newton minimisation over a leading replicate axis.

All replicates are fitted at once: the parameters have shape ``(R, q)`` and every iteration
evaluates the loss, its gradient and its Hessian for all replicates in one vectorised call. The
Newton direction is modified where the Hessian is not positive definite (eigenvalues replaced by
their absolute values, floored), and each replicate takes its own backtracking step (Armijo), so
a replicate whose data give an awkward loss does not slow the others down. Convergence is
decided per replicate; a replicate that does not converge is *reported* in
:class:`FitResult.converged`, never dropped silently.

.. math:: \theta_{k+1} = \theta_k - t_k\,\tilde H(\theta_k)^{-1}\nabla L(\theta_k),\qquad
          \tilde H = Q\,\max(|\Lambda|, \delta)\,Q^\top \text{ for } H = Q\Lambda Q^\top .

A replicate has converged when its Newton decrement :math:`\lambda^2 = g^\top \tilde H^{-1} g`
is below ``tolerance`` (relative to :math:`1 + |L|`), the usual stopping rule of Newton's
method (Boyd & Vandenberghe, §9.5.1): :math:`\lambda^2/2` bounds the remaining decrease of a
locally quadratic loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

# Callables receive the parameters of some replicates, shape (R', q), and the indices of those
# replicates, shape (R',), so that each replicate is evaluated on its own data.
LossGradHess = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
LossOnly = Callable[[np.ndarray, np.ndarray], np.ndarray]


class FitResult(NamedTuple):
    """Fitted parameters of every replicate with per-replicate diagnostics."""

    params: np.ndarray  # (R, q)
    converged: np.ndarray  # (R,) bool
    iterations: np.ndarray  # (R,) Newton iterations used
    decrement: np.ndarray  # (R,) final squared Newton decrement
    loss: np.ndarray  # (R,) final loss

    @property
    def num_failed(self) -> int:
        return int(np.sum(~self.converged))

    def summary(self) -> str:
        """One line: how many replicates converged, and the iterations they took."""
        return (
            f"{int(self.converged.sum())}/{self.converged.size} replicates converged "
            f"(iterations: median {np.median(self.iterations):.0f}, max {self.iterations.max()})"
        )


def newton(
    loss_grad_hess: LossGradHess,
    loss: LossOnly,
    initial,
    *,
    tolerance: float = 1e-14,
    max_iterations: int = 60,
    max_halvings: int = 30,
    xp=np,
) -> FitResult:
    r"""Minimise R losses at once by damped, modified Newton iterations.

    Parameters
    ----------
    loss_grad_hess : callable, (params (R', q), rows (R',)) -> (loss, gradient, Hessian)
        The loss (R',) of replicates ``rows`` at ``params`` with its gradient (R', q) and Hessian
        (R', q, q); non-finite values mark a parameter outside the loss's domain.
    loss : callable, (params (R', q), rows (R',)) -> (R',)
        The loss alone (used by the line search).
    initial : array, shape (R, q)
        Starting parameters.
    tolerance : float
        Convergence when :math:`g^\top \tilde H^{-1} g \le \text{tolerance}\,(1 + |L|)`.
    max_iterations, max_halvings : int
        Iteration limits; a replicate that hits them is reported as not converged.
    xp : module
        Array backend of the parameters and of what the callables return (numpy or cupy); the
        per-replicate bookkeeping (``rows``, convergence flags) stays on the host.
    """
    params = xp.array(xp.asarray(initial, dtype=float), copy=True)
    if params.ndim != 2 or params.shape[0] < 1 or params.shape[1] < 1:
        raise ValueError(f"initial must have shape (R, q) with R, q >= 1, got shape {tuple(params.shape)}")
    if not tolerance > 0:
        raise ValueError(f"tolerance={tolerance!r} must be > 0")
    if int(max_iterations) != max_iterations or max_iterations < 1:
        raise ValueError(f"max_iterations={max_iterations!r} must be a positive integer")
    num_replicates = params.shape[0]
    converged = np.zeros(num_replicates, dtype=bool)
    failed = np.zeros(num_replicates, dtype=bool)  # the loss is not finite or no step decreases it
    iterations = np.zeros(num_replicates, dtype=int)
    decrement = np.full(num_replicates, np.inf)
    current_loss = np.full(num_replicates, np.nan)
    for _ in range(int(max_iterations)):
        active = ~(converged | failed)
        if not active.any():
            break
        index = np.flatnonzero(active)
        with np.errstate(all="ignore"):
            value, gradient, hessian = loss_grad_hess(params[index], index)
        finite = to_host(xp.isfinite(value) & xp.all(xp.isfinite(gradient), axis=-1) & xp.all(xp.isfinite(hessian), axis=(-2, -1)))
        failed[index[~finite]] = True
        index, value, gradient, hessian = index[finite], value[finite], gradient[finite], hessian[finite]
        if index.size == 0:
            continue
        current_loss[index] = to_host(value)
        direction, lam2 = _modified_newton_direction(gradient, hessian, xp)
        decrement[index] = to_host(lam2)
        done = decrement[index] <= tolerance * (1 + np.abs(current_loss[index]))
        converged[index[done]] = True
        # The last Newton step is tiny (decrement below tolerance) and squares the error: take it.
        params[index[done]] = params[index[done]] + direction[done]
        keep = ~done
        index, value, gradient, direction = index[keep], value[keep], gradient[keep], direction[keep]
        if index.size == 0:
            continue
        iterations[index] += 1
        slope = xp.sum(gradient * direction, axis=-1)  # < 0: a descent direction
        step = xp.ones(index.size)
        accepted = np.zeros(index.size, dtype=bool)
        for _ in range(int(max_halvings)):
            todo = np.flatnonzero(~accepted)
            trial = params[index[todo]] + step[todo, None] * direction[todo]
            with np.errstate(all="ignore"):  # outside the domain the loss may overflow: rejected below
                trial_loss = loss(trial, index[todo])
                ok = to_host(xp.isfinite(trial_loss) & (trial_loss <= value[todo] + 1e-4 * step[todo] * slope[todo]))
            accepted[todo[ok]] = True
            if accepted.all():
                break
            step[np.flatnonzero(~accepted)] /= 2
        moved = index[accepted]
        params[moved] = params[moved] + step[accepted, None] * direction[accepted]
        # No decrease along a descent direction: at the loss's rounding floor. Accept as converged
        # when the decrement is tiny, otherwise report as failed.
        stuck = index[~accepted]
        tiny = decrement[stuck] <= 1e-12 * (1 + np.abs(current_loss[stuck]))
        converged[stuck[tiny]] = True
        failed[stuck[~tiny]] = True
    with np.errstate(all="ignore"):
        final = to_host(loss(params, np.arange(num_replicates)))
    return FitResult(to_host(params), converged & ~failed, iterations, decrement, final)


def to_host(array) -> np.ndarray:
    """A numpy copy of a numpy or cupy array."""
    return array.get() if hasattr(array, "get") else np.asarray(array)


def _modified_newton_direction(gradient, hessian, xp=np):
    """Newton direction with |eigenvalues| (floored) and the squared Newton decrement."""
    symmetric = (hessian + xp.swapaxes(hessian, -1, -2)) / 2
    eigenvalues, vectors = xp.linalg.eigh(symmetric)
    scale = xp.max(xp.abs(eigenvalues), axis=-1, keepdims=True)
    floor = xp.maximum(1e-10 * scale, 1e-300)
    modified = xp.maximum(xp.abs(eigenvalues), floor)
    projected = xp.einsum("rji,rj->ri", vectors, gradient)
    direction = -xp.einsum("rij,rj->ri", vectors, projected / modified)
    lam2 = xp.sum(projected**2 / modified, axis=-1)
    return direction, lam2


def fit_mean_loss(losses, gradients, hessians, initial, **options) -> FitResult:
    r"""Minimise the empirical mean :math:`L_r(\theta) = \frac1n\sum_i \ell(\theta; z_{ri})` of every replicate.

    ``losses(params, rows)`` (R', n), ``gradients(params, rows)`` (R', n, q) and
    ``hessians(params, rows)`` (R', n, q, q) give the per-sample quantities of replicates
    ``rows`` at ``params`` (R', q). Options are those of :func:`newton`.
    """

    def loss_grad_hess(params, rows):
        return losses(params, rows).mean(axis=1), gradients(params, rows).mean(axis=1), hessians(params, rows).mean(axis=1)

    return newton(loss_grad_hess, lambda params, rows: losses(params, rows).mean(axis=1), initial, **options)
