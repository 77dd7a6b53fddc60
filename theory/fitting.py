r"""Batched Newton minimisation over a leading replicate axis.

All replicates are fitted at once: the parameters have shape ``(R, q)`` and every iteration
evaluates the loss, its gradient and its Hessian for all replicates in one vectorised call. The
Newton direction is modified where the Hessian is not positive definite (eigenvalues replaced by
their absolute values, floored), and each replicate takes its own backtracking step (Armijo), so
a replicate whose data give an awkward loss does not slow the others down. The full step is
evaluated with its gradient and Hessian; where it is accepted (the usual case) that evaluation is
the next iteration's, so a replicate costs one evaluation per Newton step, plus one. Convergence is
decided per replicate; a replicate that does not converge is *reported* in
:class:`FitResult.converged`, never dropped silently.

.. math:: \theta_{k+1} = \theta_k - t_k\,\tilde H(\theta_k)^{-1}\nabla L(\theta_k),\qquad
          \tilde H = Q\,\max(|\Lambda|, \delta)\,Q^\top \text{ for } H = Q\Lambda Q^\top .

A replicate has converged when its Newton decrement :math:`\lambda^2 = g^\top \tilde H^{-1} g`
is below ``tolerance`` (relative to :math:`1 + |L|`), the usual stopping rule of Newton's
method (Boyd & Vandenberghe, §9.5.1): :math:`\lambda^2/2` bounds the remaining decrease of a
locally quadratic loss.

The parameters and what the callables return are arrays of one namespace, the initial
parameters' (:func:`theory.backend.namespace`: numpy, cupy, array-api-strict); the per-replicate
bookkeeping (``rows``, convergence flags, iteration counts) stays on the host. Rows are gathered
with ``take`` and written through boolean masks, the array API's ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import array_api_compat
import numpy as np

from ebmcheck.theory.backend import namespace, to_host
from ebmcheck.theory.validation import function, positive_int, real_array, real_scalar

_SIGNATURE = "(params (R', q), rows (R',)) -> arrays"

# Callables receive the parameters of some replicates, shape (R', q), and the indices of those
# replicates, shape (R',), so that each replicate is evaluated on its own data.
LossGradHess = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
LossOnly = Callable[[np.ndarray, np.ndarray], np.ndarray]


class ConvergenceError(RuntimeError):
    """A solver or calculator did not converge; the message says what, at which inputs, and what to try."""


class FitResult(NamedTuple):
    """Fitted parameters of every replicate with per-replicate diagnostics: the result of every
    fit of the suite (:func:`newton`, :func:`fit_mean_loss`, :func:`theory.nce.fit`,
    :func:`theory.cnce.fit_cnce`)."""

    params: np.ndarray  # (R, q)
    converged: np.ndarray  # (R,) bool
    iterations: np.ndarray  # (R,) Newton steps taken (the final, tiny one included)
    decrement: np.ndarray  # (R,) final squared Newton decrement
    loss: np.ndarray  # (R,) loss at the last evaluation (for a converged replicate: before its final, tiny step)

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
) -> FitResult:
    r"""Minimise R losses at once by damped, modified Newton iterations.

    Parameters
    ----------
    loss_grad_hess : callable, (params (R', q), rows (R',)) -> (loss, gradient, Hessian)
        The loss (R',) of replicates ``rows`` (host integer indices, ascending) at ``params`` with
        its gradient (R', q) and Hessian (R', q, q); non-finite values mark a parameter outside the
        loss's domain.
    loss : callable, (params (R', q), rows (R',)) -> (R',)
        The loss alone (used by the line search).
    initial : array, shape (R, q)
        Starting parameters; their namespace is the fit's (the callables get ``params`` of it and
        return arrays of it).
    tolerance : float > 0
        Convergence when :math:`g^\top \tilde H^{-1} g \le \text{tolerance}\,(1 + |L|)`.
    max_iterations, max_halvings : int >= 1
        Iteration limits; a replicate that hits them is reported as not converged.
    """
    initial = real_array("initial", initial, allow_empty=True)
    if initial.ndim != 2 or initial.shape[0] < 1 or initial.shape[1] < 1:
        raise ValueError(f"initial must have shape (R, q) with R, q >= 1, got shape {tuple(initial.shape)}")
    function("loss_grad_hess", loss_grad_hess, _SIGNATURE)
    function("loss", loss, _SIGNATURE)
    xp = namespace(initial)
    params = xp.asarray(initial, dtype=xp.float64, copy=True)
    tolerance = real_scalar("tolerance", tolerance, low=0.0, low_inclusive=False)
    max_iterations = positive_int("max_iterations", max_iterations)
    max_halvings = positive_int("max_halvings", max_halvings)
    num_replicates, q = params.shape
    state = _State(num_replicates, q, xp)
    state.evaluate(loss_grad_hess, params, np.arange(num_replicates))
    for _ in range(int(max_iterations)):
        index = np.flatnonzero(~(state.converged | state.failed))
        if index.size == 0:
            break
        direction, lam2 = _modified_newton_direction(_take(state.gradient, index), _take(state.hessian, index))
        state.decrement[index] = to_host(lam2)
        done = state.decrement[index] <= tolerance * (1 + np.abs(state.loss[index]))
        state.converged[index[done]] = True
        state.iterations[index] += 1  # every active replicate takes a Newton step, the last one included
        # The last Newton step is tiny (decrement below tolerance) and squares the error: take it.
        _put(params, index[done], _take(params, index[done]) + _take(direction, np.flatnonzero(done)))
        index, direction = index[~done], _take(direction, np.flatnonzero(~done))
        if index.size == 0:
            continue
        slope = xp.sum(_take(state.gradient, index) * direction, axis=-1)  # < 0: a descent direction
        # The full step, evaluated with gradient and Hessian: where it is accepted (the usual case
        # near the optimum) that evaluation is the next iteration's, so a step costs one evaluation.
        trial = _take(params, index) + direction
        accepted = state.evaluate(loss_grad_hess, trial, index, armijo=slope)
        _put(params, index[accepted], _take(trial, np.flatnonzero(accepted)))
        rejected = np.flatnonzero(~accepted)
        if rejected.size:
            _backtrack(loss, loss_grad_hess, params, state, index[rejected], _take(direction, rejected), _take(slope, rejected),
                       max_halvings)
    return FitResult(to_host(params), state.converged & ~state.failed, state.iterations, state.decrement, to_host(state.loss_xp))


def _take(array, rows: np.ndarray):
    """The entries ``rows`` (host integer indices) of ``array`` along its first axis, on its namespace."""
    xp = namespace(array)
    return xp.take(array, xp.asarray(rows), axis=0)


def _put(array, rows: np.ndarray, values) -> None:
    """``array[rows] = values`` along the first axis for ascending, distinct host indices ``rows``,
    through a boolean mask (the array API has no assignment by integer arrays)."""
    mask = np.zeros(array.shape[0], dtype=bool)
    mask[rows] = True
    array[namespace(array).asarray(mask)] = values


class _State:
    """Per-replicate loss, gradient and Hessian at the current iterate, with the bookkeeping flags."""

    def __init__(self, num_replicates: int, q: int, xp):
        self.xp = xp
        self.loss_xp = xp.full(num_replicates, np.nan, dtype=xp.float64)
        self.gradient = xp.full((num_replicates, q), np.nan, dtype=xp.float64)
        self.hessian = xp.full((num_replicates, q, q), np.nan, dtype=xp.float64)
        self.loss = np.full(num_replicates, np.nan)  # host copy, for the convergence tests
        self.converged = np.zeros(num_replicates, dtype=bool)
        self.failed = np.zeros(num_replicates, dtype=bool)  # non-finite loss, or no step decreases it
        self.iterations = np.zeros(num_replicates, dtype=int)
        self.decrement = np.full(num_replicates, np.inf)

    def evaluate(self, loss_grad_hess, params, rows, armijo=None) -> np.ndarray:
        """Evaluate at ``params`` for ``rows`` and store where finite (and, given the slopes
        ``armijo``, where the Armijo condition holds against the stored loss). Returns the mask
        of stored rows; without ``armijo`` the other rows are marked failed."""
        xp = self.xp
        with np.errstate(all="ignore"):  # outside the domain the loss may overflow: rejected here
            value, gradient, hessian = loss_grad_hess(params, rows)
            _check_returned(value, gradient, hessian, params.shape)
            ok = xp.isfinite(value) & xp.all(xp.isfinite(gradient), axis=-1) & xp.all(xp.isfinite(hessian), axis=(-2, -1))
            if armijo is not None:
                ok = ok & (value <= _take(self.loss_xp, rows) + 1e-4 * armijo)
        ok = to_host(ok)
        if armijo is None:
            self.failed[rows[~ok]] = True
        stored, kept = rows[ok], np.flatnonzero(ok)
        value = _take(value, kept)
        _put(self.loss_xp, stored, value)
        _put(self.gradient, stored, _take(gradient, kept))
        _put(self.hessian, stored, _take(hessian, kept))
        self.loss[stored] = to_host(value)
        return ok


def _check_returned(value, gradient, hessian, shape) -> None:
    """The callable's (loss, gradient, Hessian) must have shapes (R',), (R', q), (R', q, q)."""
    rows, q = shape
    got = tuple(tuple(getattr(a, "shape", ())) for a in (value, gradient, hessian))
    if got != ((rows,), (rows, q), (rows, q, q)):
        raise ValueError(
            f"loss_grad_hess must return (loss, gradient, Hessian) of shapes ({rows},), ({rows}, {q}), ({rows}, {q}, {q}) "
            f"for params of shape ({rows}, {q}); got shapes {got[0]}, {got[1]}, {got[2]}"
        )


def _backtrack(loss, loss_grad_hess, params, state, rows, direction, slope, max_halvings):
    """Halve the step of ``rows`` until the Armijo condition holds (loss-only evaluations), then
    evaluate the accepted points in full. A replicate with no acceptable step is at its loss's
    rounding floor: converged if its Newton decrement is tiny, otherwise failed."""
    xp = namespace(params)
    step = xp.full(rows.size, 0.5, dtype=xp.float64)
    accepted = np.zeros(rows.size, dtype=bool)
    for _ in range(int(max_halvings)):
        todo = np.flatnonzero(~accepted)
        step_todo = _take(step, todo)
        trial = _take(params, rows[todo]) + step_todo[:, None] * _take(direction, todo)
        with np.errstate(all="ignore"):
            trial_loss = loss(trial, rows[todo])
            if tuple(getattr(trial_loss, "shape", ())) != (todo.size,):
                raise ValueError(f"loss must return shape ({todo.size},) for params of shape {tuple(trial.shape)}, "
                                 f"got shape {tuple(getattr(trial_loss, 'shape', ()))}")
            armijo = _take(state.loss_xp, rows[todo]) + 1e-4 * step_todo * _take(slope, todo)
            ok = to_host(xp.isfinite(trial_loss) & (trial_loss <= armijo))
        accepted[todo[ok]] = True
        if accepted.all():
            break
        halved = np.flatnonzero(~accepted)
        _put(step, halved, _take(step, halved) / 2)
    moved, kept = rows[accepted], np.flatnonzero(accepted)
    _put(params, moved, _take(params, moved) + _take(step, kept)[:, None] * _take(direction, kept))
    if moved.size:
        state.evaluate(loss_grad_hess, _take(params, moved), moved)
    stuck = rows[~accepted]
    tiny = state.decrement[stuck] <= 1e-12 * (1 + np.abs(state.loss[stuck]))
    state.converged[stuck[tiny]] = True
    state.failed[stuck[~tiny]] = True


def _modified_newton_direction(gradient, hessian):
    r"""Newton direction :math:`-Q\,\max(|\Lambda|, \delta)^{-1} Q^\top g` and the squared Newton
    decrement :math:`\lambda^2 = g^\top Q\,\max(|\Lambda|, \delta)^{-1} Q^\top g` per replicate, with
    :math:`\delta = \max(10^{-10}\max|\Lambda|, 10^{-300})`, on the namespace of ``gradient`` (R, q)
    and ``hessian`` (R, q, q)."""
    xp = namespace(gradient, hessian)
    symmetric = (hessian + xp.matrix_transpose(hessian)) / 2
    eigenvalues, vectors = xp.linalg.eigh(symmetric)
    scale = xp.max(xp.abs(eigenvalues), axis=-1, keepdims=True)
    floor = xp.maximum(1e-10 * scale, 1e-300)
    modified = xp.maximum(xp.abs(eigenvalues), floor)
    projected = _transpose_times(vectors, gradient)
    direction = -_times(vectors, projected / modified)
    lam2 = xp.sum(projected**2 / modified, axis=-1)
    return direction, lam2


def _transpose_times(matrices, vectors):
    r""":math:`Q^\top v` per replicate for (R, q, q) and (R, q): a broadcast product summed over the
    rows, in their order (bit for bit numpy's ``einsum("rji,rj->ri")``)."""
    return namespace(matrices, vectors).sum(matrices * vectors[..., :, None], axis=-2)


def _times(matrices, vectors):
    r""":math:`Q v` per replicate for (R, q, q) and (R, q). numpy's ``einsum("rij,rj->ri")``, whose
    summation order every recorded fit has (no array-API operation reproduces it bit for bit);
    on another namespace a broadcast product summed over the columns."""
    if array_api_compat.is_numpy_array(matrices):
        return np.einsum("rij,rj->ri", matrices, vectors)
    return namespace(matrices, vectors).sum(matrices * vectors[..., None, :], axis=-1)


def fit_mean_loss(losses, gradients, hessians, initial, **options) -> FitResult:
    r"""Minimise the empirical mean :math:`L_r(\theta) = \frac1n\sum_i \ell(\theta; z_{ri})` of every replicate.

    ``losses(params, rows)`` (R', n), ``gradients(params, rows)`` (R', n, q) and
    ``hessians(params, rows)`` (R', n, q, q) give the per-sample quantities of replicates
    ``rows`` at ``params`` (R', q). Options are those of :func:`newton`.
    """

    for name, value in (("losses", losses), ("gradients", gradients), ("hessians", hessians)):
        function(name, value, _SIGNATURE)

    def loss_grad_hess(params, rows):
        return losses(params, rows).mean(axis=1), gradients(params, rows).mean(axis=1), hessians(params, rows).mean(axis=1)

    return newton(loss_grad_hess, lambda params, rows: losses(params, rows).mean(axis=1), initial, **options)
