r"""Markov chains for the sampling section of the review (seed 003, §4): exact Metropolis–Hastings
transition matrices on a finite state space, a vectorised random-walk MH in 1-D, Langevin
dynamics as an exact jump process on a grid, and escape of ULA chains.

Finite state space :math:`\{0,\dots,n-1\}`, target :math:`\rho` (n,), proposal matrix
``proposal[x, y]`` :math:`= g(y|x)` (rows sum to 1). With the flux :math:`F_{xy} = \rho_x g(y|x)`
the MH acceptance of a move x → y is :math:`A = \min\{1, F_{yx}/F_{xy}\}` (review eq. 77 with
the proposal first, :math:`A(X^{(p)}, X_k)`), and

.. math:: P_{xy} = g(y|x)\,A_{xy}\ (y \ne x), \qquad P_{xx} = 1 - \sum_{y\ne x} P_{xy}.

:func:`mh_transition_matrix` builds P for the orders of A's arguments the review prints and for
the usual mistake (the proposal correction :math:`g(x|y)/g(y|x)` dropped); the acceptance function
itself is passed in (the checks compile it from the derivation's export).

Langevin dynamics :math:`dX = -U'(X)dt + \sqrt2\,dW` on a grid of spacing δ is approximated by the
jump process with rates :math:`q_{i\to i\pm1} = \delta^{-2} e^{-(U_{i\pm1}-U_i)/2}`
(the "square-root approximation"): its generator is :math:`\partial_x^2 - U'\partial_x + O(\delta^2)`
and it satisfies detailed balance with :math:`e^{-U_i}` exactly, so its laws converge to those of
the SDE as δ → 0 (error estimated by halving δ). The symmetrised generator
:math:`D^{1/2} Q D^{-1/2}` (D = diag e^{-U_i}) is symmetric, so :func:`grid_langevin_law`
evolves a law exactly in time by one symmetric eigendecomposition.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ebmcheck.theory.validation import choice, function, generator, positive_int, real_array, real_scalar

ORDERS = ("proposal-first", "current-first", "no-correction", "always-accept")
"""How the acceptance of a move x → y is computed (see :func:`mh_transition_matrix`)."""


def _check_chain_inputs(target, proposal) -> tuple[np.ndarray, np.ndarray]:
    target = real_array("target", target, ndim=1)
    proposal = real_array("proposal", proposal, ndim=2)
    n = target.shape[0]
    if proposal.shape != (n, n):
        raise ValueError(f"proposal must be ({n}, {n}) for a target of {n} states, got {proposal.shape}")
    if np.any(target <= 0) or not math.isclose(target.sum(), 1.0, abs_tol=1e-12):
        raise ValueError("target must be positive probabilities summing to 1")
    if np.any(proposal < 0) or not np.allclose(proposal.sum(axis=1), 1.0, atol=1e-12):
        raise ValueError("proposal must be a row-stochastic matrix (g(y|x) ≥ 0, rows sum to 1)")
    return target, proposal


def acceptance_matrix(target, proposal, acceptance: Callable, order: str = "proposal-first") -> np.ndarray:
    r"""The acceptance probability of every move x → y (entry [x, y]).

    ``acceptance(reverse, forward)`` is :math:`\min\{1, \text{reverse}/\text{forward}\}` (vectorised).
    ``order``: ``"proposal-first"`` — :math:`A(y, x)` of eq. 77,
    :math:`\min\{1, \rho_y g(x|y)/(\rho_x g(y|x))\}`; ``"current-first"`` — :math:`A(x, y)` as step 3
    of Definition 4.2 prints it, :math:`\min\{1, \rho_x g(y|x)/(\rho_y g(x|y))\}`; ``"no-correction"`` —
    :math:`\min\{1, \rho_y/\rho_x\}` (the proposal ratio dropped); ``"always-accept"`` — 1 (the value
    of "arg min" read as the index, 1 or 2, of the smaller element: every u ∈ [0, 1] is below it).
    Entries where a flux is 0 (g(y|x) = 0) are set to 0: such moves are never proposed.
    """
    target, proposal = _check_chain_inputs(target, proposal)
    function("acceptance", acceptance, "(reverse, forward) -> probability")
    order = choice("order", order, ORDERS)
    flux = target[:, None] * proposal
    with np.errstate(divide="ignore", invalid="ignore"):
        if order == "proposal-first":
            values = acceptance(flux.T, flux)
        elif order == "current-first":
            values = acceptance(flux, flux.T)
        elif order == "no-correction":
            values = acceptance(np.broadcast_to(target[None, :], flux.shape), np.broadcast_to(target[:, None], flux.shape))
        else:
            values = np.ones_like(flux)
    values = np.asarray(values, dtype=float)
    return np.where((flux > 0) & (flux.T > 0), values, 0.0)


def mh_transition_matrix(target, proposal, acceptance: Callable, order: str = "proposal-first") -> np.ndarray:
    """P[x, y] = g(y|x)·A[x, y] off the diagonal, rejected mass on the diagonal (rows sum to 1)."""
    moves = np.asarray(proposal, dtype=float) * acceptance_matrix(target, proposal, acceptance, order)
    np.fill_diagonal(moves, 0.0)
    return moves + np.diag(1.0 - moves.sum(axis=1))


def printed_kernel_eq80(target, proposal, acceptance: Callable) -> np.ndarray:
    r"""Review eq. 80 on a finite space, as printed:
    :math:`T(x,x') = g(x'|x)A(x',x) + \delta_{xx'}\big(1 - \sum_s A(x,s)g(s|x)\big)` — the accepted
    moves with the proposal first, the rejected mass with the arguments of A swapped."""
    accepted = np.asarray(proposal, dtype=float) * acceptance_matrix(target, proposal, acceptance, "proposal-first")
    swapped = np.asarray(proposal, dtype=float) * acceptance_matrix(target, proposal, acceptance, "current-first")
    return accepted + np.diag(1.0 - swapped.sum(axis=1))


def corrected_kernel_eq80(target, proposal, acceptance: Callable) -> np.ndarray:
    r"""Eq. 80 with :math:`A(s, x)` in the rejected mass: :math:`1 - \sum_s A(s,x) g(s|x)`."""
    accepted = np.asarray(proposal, dtype=float) * acceptance_matrix(target, proposal, acceptance, "proposal-first")
    return accepted + np.diag(1.0 - accepted.sum(axis=1))


def limit_matrix(transition, squarings: int = 40) -> tuple[np.ndarray, float]:
    r""":math:`P^{2^m}` by m repeated squarings, and the largest entry change in the last squaring
    (its error estimate). For an aperiodic chain its row x is the limit law from the start x: all
    rows equal (one stationary law) exactly when the chain has a single closed class."""
    transition = real_array("transition", transition, ndim=2)
    squarings = positive_int("squarings", squarings, minimum=2, maximum=200)
    power = transition
    for _ in range(squarings - 1):
        power = _renormalised(power @ power)
    last = _renormalised(power @ power)
    return last, float(np.max(np.abs(last - power)))


def _renormalised(power: np.ndarray) -> np.ndarray:
    """Rows rescaled to sum to 1: without it the rounding error of the row sums doubles at every
    squaring (the eigenvalue 1 is raised to the power 2^m), 2^40 ε ≈ 2e-4 after 40 squarings."""
    return power / power.sum(axis=1, keepdims=True)


def total_variation(p, q) -> float:
    """:math:`\\tfrac12\\sum|p - q|` of two laws on the same finite space."""
    return 0.5 * float(np.sum(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float))))


def random_walk_mh(log_density: Callable, start, shift: float, scale: float, steps: int, rng, acceptance: Callable,
                   order: str = "proposal-first") -> tuple[np.ndarray, float]:
    r"""Run 1-D MH chains (one per entry of ``start``) with the asymmetric Gaussian proposal
    :math:`y = x + c + s\,\xi` (:math:`g(y|x) = \mathcal N(y; x + c, s^2)`), ``steps`` steps.

    ``order`` as in :func:`acceptance_matrix` (``"proposal-first"``: correct MH;
    ``"no-correction"``: :math:`\min\{1,\rho(y)/\rho(x)\}`). Returns the final positions and the mean
    acceptance probability. Vectorised over chains; one Python iteration per step.
    """
    function("log_density", log_density, "(x) -> log rho(x) up to a constant")
    x = real_array("start", start, ndim=1).copy()
    shift = real_scalar("shift", shift)
    scale = real_scalar("scale", scale, low=0.0, low_inclusive=False)
    steps = positive_int("steps", steps)
    rng = generator("rng", rng)
    order = choice("order", order, ("proposal-first", "no-correction"))
    function("acceptance", acceptance, "(reverse, forward) -> probability")
    log_x = log_density(x)
    accepted = 0.0
    for _ in range(steps):
        y = x + shift + scale * rng.standard_normal(x.shape)
        u = rng.random(x.shape)
        log_y = log_density(y)
        forward = log_x - (y - x - shift) ** 2 / (2 * scale**2)  # log ρ(x)g(y|x)
        reverse = log_y - (x - y - shift) ** 2 / (2 * scale**2)  # log ρ(y)g(x|y)
        if order == "no-correction":
            forward, reverse = log_x, log_y
        probability = acceptance(np.exp(reverse - np.maximum(forward, reverse)), np.exp(forward - np.maximum(forward, reverse)))
        move = u < probability
        x, log_x = np.where(move, y, x), np.where(move, log_y, log_x)
        accepted += float(np.mean(probability))
    return x, accepted / steps


def grid_langevin_law(energy: Callable, grid, start_law, times) -> np.ndarray:
    r"""Laws at ``times`` of the jump-process approximation of :math:`dX = -U'dt + \sqrt2\,dW` on
    the uniform ``grid`` (reflecting at its ends), started from the probability vector
    ``start_law`` (n,) on the grid, or from each row of ``start_law`` (m, n). Returns an array
    (len(times), n) of probability vectors, or (m, len(times), n) for m starts.

    :math:`Q_{i,i\pm1} = \delta^{-2}e^{-(U_{i\pm1}-U_i)/2}`; with :math:`D = \mathrm{diag}(e^{-U_i})`,
    :math:`S = D^{1/2}QD^{-1/2}` is symmetric, :math:`S = V\Lambda V^\top`, and
    :math:`p_t^\top = p_0^\top e^{tQ} = p_0^\top D^{-1/2} V e^{t\Lambda} V^\top D^{1/2}`.
    """
    function("energy", energy, "(x) -> U(x)")
    grid = real_array("grid", grid, ndim=1)
    start_law = real_array("start_law", start_law, ndim=(1, 2))
    times = real_array("times", times, ndim=1)
    if grid.size < 3 or start_law.shape[-1] != grid.size or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be increasing with ≥ 3 points and start_law (n,) or (m, n) with n its length")
    if np.any(times < 0):
        raise ValueError(f"times must be ≥ 0, got {times}")
    spacing = float(grid[1] - grid[0])
    u = np.asarray(energy(grid), dtype=float)
    u = u - u.min()
    off = np.exp(-(u[1:] - u[:-1]) / 2) / spacing**2  # rate i → i+1 (and, with -(…), i+1 → i)
    up, down = off, np.exp((u[1:] - u[:-1]) / 2) / spacing**2
    # symmetrised: S_{i,i+1} = sqrt(Q_{i,i+1} Q_{i+1,i}) = 1/δ²
    symmetric = np.diag(np.full(grid.size - 1, 1.0 / spacing**2), 1)
    symmetric = symmetric + symmetric.T
    diagonal = np.zeros(grid.size)
    diagonal[:-1] -= up
    diagonal[1:] -= down
    symmetric += np.diag(diagonal)
    eigenvalues, vectors = np.linalg.eigh(symmetric)
    half = np.exp(-u / 2)
    coefficients = (start_law / half) @ vectors  # p0^T D^{-1/2} V, (n,) or (m, n)
    decay = np.exp(np.outer(times, eigenvalues))  # (len(times), n)
    laws = (coefficients[..., None, :] * decay) @ vectors.T * half
    return laws


def spectral_gap_of_grid_langevin(energy: Callable, grid) -> float:
    """The smallest nonzero rate −λ₁ of the grid Langevin generator (:func:`grid_langevin_law`)."""
    grid = real_array("grid", grid, ndim=1)
    spacing = float(grid[1] - grid[0])
    u = np.asarray(energy(grid), dtype=float)
    symmetric = np.diag(np.full(grid.size - 1, 1.0 / spacing**2), 1)
    symmetric = symmetric + symmetric.T
    diagonal = np.zeros(grid.size)
    diagonal[:-1] -= np.exp(-(u[1:] - u[:-1]) / 2) / spacing**2
    diagonal[1:] -= np.exp((u[1:] - u[:-1]) / 2) / spacing**2
    eigenvalues = np.linalg.eigvalsh(symmetric + np.diag(diagonal))
    return float(-eigenvalues[-2])


def ula_escape_fraction(gradient: Callable, start, step_size: float, steps: int, radius: float, rng) -> float:
    r"""Fraction of ULA chains :math:`X_{k+1} = X_k - hU'(X_k) + \sqrt{2h}\xi_k` (1-D, one per entry of
    ``start``) that leave :math:`[-R, R]` (or overflow) within ``steps`` steps."""
    function("gradient", gradient, "(x) -> U'(x)")
    x = real_array("start", start, ndim=1).copy()
    step_size = real_scalar("step_size", step_size, low=0.0, low_inclusive=False)
    steps = positive_int("steps", steps)
    radius = real_scalar("radius", radius, low=0.0, low_inclusive=False)
    rng = generator("rng", rng)
    escaped = np.zeros(x.shape, dtype=bool)
    noise_scale = math.sqrt(2 * step_size)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            x = np.where(escaped, 0.0, x - step_size * gradient(x) + noise_scale * rng.standard_normal(x.shape))
            escaped |= ~(np.abs(x) <= radius)
    return float(np.mean(escaped))
