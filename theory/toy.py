r"""The slides' two-mode toy model as gradient flows (seed 002, "getting insight from toy models").

The model (seed 002, slide "Training procedures III") is the 1-D mixture

.. math:: f_\theta(x) = e^{-U_\theta(x)} = e^{-(x-a)^2/2} + e^{-\theta} e^{-(x-b)^2/2},\qquad
          Z_\theta = (1 + e^{-\theta})\sqrt{2\pi},

so :math:`\theta` is the log-weight of mode :math:`b` relative to mode :math:`a` and mode
:math:`b` carries mass :math:`q(\theta) = e^{-\theta}/(1+e^{-\theta})`. The target is
:math:`\rho_* = \rho_{\theta_*}`. Sign convention of the suite: :math:`\log f = -U` and the
score is :math:`s_\theta = \nabla_x \log f_\theta = -\nabla_x U_\theta`; the slides write their
flows with :math:`U`, which this module keeps in the names (``responsibility`` is
:math:`\partial_\theta U_\theta`).

The model is declared once, symbolically, in :func:`theory.models.two_mode_mixture`; the
functions here (log f, score, :math:`\partial_\theta U`, log Z, q) are compiled from that
declaration after :func:`stable_log` rewrites it (checked by SymPy in
:func:`derivations.toy.stable_forms`). With :math:`L = b - a`, :math:`m = (a+b)/2` and
:math:`\ell(x) = L(x - m)` (the log-ratio of the two unit Gaussians):

.. math:: \log f_\theta(x) = -\tfrac12(x-a)^2 + \mathrm{softplus}(\ell(x) - \theta),\qquad
          \partial_\theta U_\theta(x) = r_\theta(x) = \sigma(\ell(x) - \theta), \qquad
          s_\theta(x) = -(x - a) + L\, r_\theta(x),

with :math:`\sigma` the logistic function, evaluated as ``logaddexp(0, ·)`` and ``expit`` (no
ratio of underflowing exponentials), so any finite :math:`a < b` works in float64, also far
from the modes where the declaration's :math:`\log(e^{u} + e^{v})` underflows.

Population flows :math:`\dot\theta = -\nabla_\theta\,\mathrm{loss}(\theta)` use the *exact*
densities and composite Gauss–Legendre quadrature on :math:`[a - 14, b + 14]` (the Gaussian
tails beyond 14 standard deviations weigh below :math:`10^{-44}`); the quadrature error is the
difference between the rule and the rule with half the panels, floored at
:math:`64\,\epsilon\,\mathbb{E}|g|`. Every flow returns ``(value, error)``.

- ML: :math:`\mathrm{KL}(\rho_*\|\rho_\theta)`, :math:`\dot\theta = \mathbb{E}_\theta[r_\theta] - \mathbb{E}_*[r_\theta]`.
- SM: :math:`\mathbb{E}_*|s_\theta - s_*|^2` (the slide's convention, no ½),
  :math:`\dot\theta = 2L^2\,\mathbb{E}_*[(r_\theta - r_*)\, r_\theta (1 - r_\theta)]`.
- NCE with noise :math:`\rho_\mu` (a member of the family) and the slide's discriminator
  :math:`D = e^{-U_\theta}/(e^{-U_\theta} + e^{-U_\mu})`, optionally with a learned
  log-normalizer :math:`c` (:math:`e^{-U_\theta} \to e^{c - U_\theta}`) and optionally with the
  normalized noise density :math:`\rho_\mu` in place of :math:`e^{-U_\mu}`:
  loss :math:`-\mathbb{E}_*\log D - \mathbb{E}_\mu \log(1 - D)`,
  :math:`\dot\theta = \mathbb{E}_\mu[D\, r_\theta] - \mathbb{E}_*[(1-D)\, r_\theta]`,
  :math:`\dot c = \mathbb{E}_*[1 - D] - \mathbb{E}_\mu[D]`.
- PCD: walkers moved by the unadjusted Langevin algorithm (:func:`theory.samplers.langevin_move`)
  under the current model, the negative phase :math:`\mathbb{E}_\theta[r_\theta]` replaced by the
  walkers' average.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy as sp
from scipy import integrate, optimize, special

from ebmcheck.theory import fitting, models, quadrature, samplers
from ebmcheck.theory.fitting import ConvergenceError
from ebmcheck.theory.quadrature import gauss_legendre
from ebmcheck.theory.symbolic import compile_expression
from ebmcheck.theory.validation import choice, flag, function, generator, positive_int, real_array, real_scalar

TAIL = 14.0  # standard deviations of quadrature range beyond each mode
EPS = np.finfo(float).eps


def _finite(name: str, value) -> float:
    """A finite real scalar (:func:`theory.validation.real_scalar`)."""
    return real_scalar(name, value)


def _finite_array(name: str, value) -> np.ndarray:
    """A finite real scalar or 1-D array, at least 1-D (parameters of a vectorised flow)."""
    return np.atleast_1d(real_array(name, value, ndim=(0, 1)))


def _shape(name: str, value) -> tuple[int, ...]:
    """An array shape: a positive int or a tuple of them."""
    items = value if isinstance(value, tuple) else (value,)
    return tuple(positive_int(name, n) for n in items)


def _theta_and_normalizer(theta, log_normalizer) -> tuple[np.ndarray, np.ndarray]:
    """``theta`` and ``log_normalizer`` (scalars or 1-D arrays) broadcast to one shape (k,)."""
    theta, c = _finite_array("theta", theta), _finite_array("log_normalizer", log_normalizer)
    try:
        return np.broadcast_arrays(theta, c)
    except ValueError:
        raise ValueError(
            f"theta and log_normalizer must broadcast to one shape (k,): got shapes {theta.shape} and {c.shape}"
        ) from None


class Flow(NamedTuple):
    """A population flow value :math:`\\dot\\theta` and its quadrature error (same shape)."""

    value: np.ndarray
    error: np.ndarray


class Trajectories(NamedTuple):
    """Solutions of a flow from several starts, with an ODE + quadrature error budget."""

    t: np.ndarray  # (num_times,)
    theta: np.ndarray  # (num_starts, num_times)
    error: np.ndarray  # (num_starts, num_times): |tol − tol/100| + quadrature error × t


class PCDRun(NamedTuple):
    """A persistent-contrastive-divergence simulation, recorded every ``record_every`` steps."""

    t: np.ndarray  # (num_records,)
    theta: np.ndarray  # (num_replicates, num_records)
    fraction_b: np.ndarray  # (num_replicates, num_records): walkers on the b side of the midpoint
    walkers: np.ndarray  # (num_replicates, num_walkers) at the end


# =============================================================================================
# The model's functions, compiled from its one declaration (theory.models.two_mode_mixture)
# =============================================================================================


class Softplus(sp.Function):
    r""":math:`\mathrm{softplus}(z) = \log(1 + e^{z})`, compiled to ``numpy.logaddexp(0, z)`` (finite for every finite z)."""

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, z, **kwargs):
        return sp.log(1 + sp.exp(z))


class Sigmoid(sp.Function):
    r""":math:`\sigma(z) = 1/(1 + e^{-z})`, compiled to ``scipy.special.expit``; :math:`\sigma' = \sigma(z)\,\sigma(-z)`."""

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0]) * Sigmoid(-self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sp.exp(-z))


def stable_log(expr: sp.Expr, parameter: sp.Symbol) -> sp.Expr:
    r"""``expr`` with every logarithm of a sum of two positive terms in the stable form

    .. math:: \log(e^{u} + e^{v}) = u + \mathrm{softplus}(v - u),

    :math:`e^{u}` the term free of ``parameter``. Both sides are equal for all real u, v (SymPy
    checks it for the toy model in :func:`derivations.toy.stable_forms`); the left side
    underflows to :math:`\log 0` where both terms do (:math:`|x - a| \gtrsim 38` for the toy
    model), the right side is finite wherever u and v are. :math:`v - u` is expanded, so a
    difference of two squares is computed as the polynomial it is (linear in x here), not as two
    large squares that cancel. The logarithm of a product is split into the logarithms of its
    factors; constant logarithms are expanded. ``ValueError`` for any other logarithm.
    """

    def exponent(term):
        if not term.is_positive:
            raise ValueError(f"stable_log: the term {term} of a logarithm is not known to be positive")
        return sp.expand_log(sp.log(term), force=True)

    def rewrite(argument):
        if not argument.free_symbols:
            return exponent(argument)
        if isinstance(argument, sp.Mul):
            return sp.Add(*(rewrite(factor) for factor in argument.args))
        if isinstance(argument, sp.Add) and len(argument.args) == 2:
            free = [term for term in argument.args if not term.has(parameter)]
            if len(free) != 1:
                raise ValueError(f"stable_log: log({argument}) needs exactly one term free of {parameter}")
            (reference,), (other,) = free, [term for term in argument.args if term.has(parameter)]
            u = exponent(reference)
            return u + Softplus(sp.expand(exponent(other) - u))
        raise ValueError(f"stable_log: no stable form for log({argument}) (a product or a sum of two positive terms)")

    return expr.replace(lambda e: isinstance(e, sp.log), lambda e: rewrite(e.args[0]))


_NUMERIC_FUNCTIONS = {"Softplus": lambda z: np.logaddexp(0.0, z), "Sigmoid": special.expit}


def _compile(arguments: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable:
    """``expr`` as a numpy function of ``arguments`` (:func:`theory.symbolic.compile_expression`),
    :class:`Softplus` and :class:`Sigmoid` by their stable numpy forms (SciPy's ``expit``: host only).

    Sums are printed in SymPy's stored order (``order="none"``, numbers first), which fixes the
    floating-point rounding: the score :math:`-a - x + L\\sigma(z)` rounds :math:`-(x - a)`
    before :math:`L\\sigma(z)` is added, and :math:`\\log Z` adds the constant
    :math:`\\tfrac12\\log 2 + \\tfrac12\\log\\pi` as one number.
    """
    return compile_expression(arguments, expr, np, cse=False, order="none", functions=_NUMERIC_FUNCTIONS)


class _Compiled(NamedTuple):
    """The toy model's functions at fixed modes (a, b), compiled from the stable form of its declaration."""

    declaration: models.Model
    log_f: Callable  # (x, θ): u(x) + softplus(ℓ(x) − θ)
    log_f_over_mode_a: Callable  # (x, θ): log f_θ(x) − u(x) = softplus(ℓ(x) − θ), u(x) = −(x−a)²/2 the θ-free term
    score: Callable  # (x, θ): ∂x log f
    responsibility: Callable  # (x, θ): −∂θ log f = σ(ℓ(x) − θ)
    log_ratio: Callable  # (x,): ℓ(x), the log-ratio of the θ-dependent term at θ = 0 to the θ-free term
    log_partition: Callable  # (θ,): log Z_θ
    weight_b: Callable  # (θ,): −∂θ log Z_θ = q(θ)


@functools.lru_cache(maxsize=64)
def _compiled(a: float, b: float) -> _Compiled:
    """Compile :func:`theory.models.two_mode_mixture` (a, b) once per (a, b)."""
    declaration = models.two_mode_mixture(a, b)
    (x,), (theta,) = declaration.x, declaration.theta
    log_f = stable_log(declaration.log_f_expr, theta)
    log_z = stable_log(declaration.log_normalizer_expr, theta)
    (mixing,) = log_f.atoms(Softplus)
    return _Compiled(
        declaration,
        log_f=_compile((x, theta), log_f),
        log_f_over_mode_a=_compile((x, theta), mixing),
        score=_compile((x, theta), sp.diff(log_f, x)),
        responsibility=_compile((x, theta), -sp.diff(log_f, theta)),
        log_ratio=_compile((x,), mixing.args[0].xreplace({theta: 0})),
        log_partition=_compile((theta,), log_z),
        weight_b=_compile((theta,), -sp.diff(log_z, theta)),
    )


@dataclass(frozen=True)
class ToyModel:
    r"""The two-mode model with modes at ``a`` < ``b`` (the slides: a = −10, b = 10).

    Its functions (log f, score, responsibility, log Z, q) are those of the one declaration
    :func:`theory.models.two_mode_mixture` (a, b) (:attr:`declaration`), rewritten by
    :func:`stable_log` and compiled; :func:`derivations.toy.stable_forms` checks the rewrite.

    Parameters
    ----------
    a, b : float
        Mode locations, finite, ``a < b``.
    panels, order : int
        Composite Gauss–Legendre rule on :math:`[a-14, b+14]`: ``panels`` panels of ``order``
        nodes (the error estimate uses ``panels // 2``).
    """

    a: float = -10.0
    b: float = 10.0
    panels: int = 240
    order: int = 16

    def __post_init__(self):
        a, b = _finite("a", self.a), _finite("b", self.b)
        if not a < b:
            raise ValueError(f"a must be < b (two distinct modes a < b), got a={a}, b={b}")
        panels, order = positive_int("panels", self.panels, minimum=2), positive_int("order", self.order, minimum=2)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "panels", panels)
        object.__setattr__(self, "order", order)

    # ---- the model ------------------------------------------------------------------------
    @property
    def _functions(self) -> _Compiled:
        return _compiled(self.a, self.b)

    @property
    def declaration(self) -> models.Model:
        """The symbolic model :func:`theory.models.two_mode_mixture` (a, b) these functions are compiled from."""
        return self._functions.declaration

    @property
    def separation(self) -> float:
        """:math:`L = b - a`."""
        return self.b - self.a

    @property
    def midpoint(self) -> float:
        """:math:`m = (a + b)/2`, where :math:`\\ell = 0`."""
        return 0.5 * (self.a + self.b)

    def log_ratio(self, x):
        r""":math:`\ell(x) = \log[\varphi(x-b)/\varphi(x-a)] = L(x - m)`."""
        return self._functions.log_ratio(np.asarray(x, dtype=float))

    def log_f(self, x, theta):
        r""":math:`\log f_\theta(x) = -U_\theta(x) = -(x-a)^2/2 + \log(1 + e^{\ell(x) - \theta})`."""
        return self._functions.log_f(np.asarray(x, dtype=float), np.asarray(theta, dtype=float))

    def energy(self, x, theta):
        """:math:`U_\\theta(x) = -\\log f_\\theta(x)` (the slides' energy)."""
        return -self.log_f(x, theta)

    def log_partition(self, theta):
        r""":math:`\log Z_\theta = \log(1 + e^{-\theta}) + \tfrac12\log 2\pi` (claim toy-partition-function)."""
        return self._functions.log_partition(np.asarray(theta, dtype=float))

    def weight_b(self, theta):
        r""":math:`q(\theta) = -\partial_\theta\log Z_\theta = e^{-\theta}/(1+e^{-\theta})`, the mass of mode :math:`b`."""
        return self._functions.weight_b(np.asarray(theta, dtype=float))

    def log_density(self, x, theta):
        """:math:`\\log\\rho_\\theta(x) = \\log f_\\theta(x) - \\log Z_\\theta`."""
        return self.log_f(x, theta) - self.log_partition(theta)

    def responsibility(self, x, theta):
        r""":math:`\partial_\theta U_\theta(x) = r_\theta(x) = \sigma(\ell(x) - \theta)` (= −∂θ log f)."""
        return self._functions.responsibility(np.asarray(x, dtype=float), np.asarray(theta, dtype=float))

    def score(self, x, theta):
        r""":math:`s_\theta(x) = \nabla_x\log f_\theta(x) = -(x-a) + L\,r_\theta(x)`."""
        return self._functions.score(np.asarray(x, dtype=float), np.asarray(theta, dtype=float))

    def sample(self, theta: float, shape, rng: np.random.Generator) -> np.ndarray:
        """Exact samples from :math:`\\rho_\\theta`, array of the given shape (the declaration's sampler)."""
        theta = _finite("theta", theta)
        rng = generator("rng", rng)
        shape = _shape("shape", shape)
        return self.declaration.sample(np.array([theta]), math.prod(shape), rng).reshape(shape)

    # ---- quadrature ---------------------------------------------------------------------------
    def _rule(self, panels: int):
        return gauss_legendre(self.a - TAIL, self.b + TAIL, panels, self.order)

    def expect(self, func: Callable[[np.ndarray], np.ndarray], theta) -> Flow:
        r"""Return :math:`\mathbb{E}_{\rho_\theta}[g(X)]` by quadrature on the exact density.

        ``func`` maps nodes of shape (n, 1) to values of shape (n, k) (or (n, 1)); ``theta``
        (the density's parameter) broadcasts against k. Returns (value, error), shape (k,).
        """
        func = function("func", func)
        theta = _finite_array("theta", theta)

        def at_level(level: int):
            nodes, weights = self._rule(quadrature.refined(self.panels // 2, level))
            x = nodes[:, None]
            weighted = weights[:, None] * np.exp(self.log_density(x, theta[None, :]))
            values = np.asarray(func(x), dtype=float)
            return (weighted * values).sum(0), (weighted * np.abs(values)).sum(0)

        return Flow(*quadrature.refine(at_level))

    # ---- objectives and flows -------------------------------------------------------------------
    def ml_loss(self, theta, theta_star) -> Flow:
        r""":math:`\mathrm{KL}(\rho_*\|\rho_\theta) = \mathbb{E}_*[\log\rho_* - \log\rho_\theta]`."""
        theta = _finite_array("theta", theta)
        theta_star = _finite("theta_star", theta_star)
        return self.expect(lambda x: self.log_density(x, theta_star) - self.log_density(x, theta), theta_star)

    def ml_flow(self, theta, theta_star) -> Flow:
        r"""Exact ML flow :math:`\dot\theta = -\partial_\theta\mathrm{KL} = \mathbb{E}_\theta[r_\theta] - \mathbb{E}_*[r_\theta]`.

        :math:`\mathbb{E}_\theta[r_\theta] = q(\theta)` holds exactly (derivations.toy), so only
        the data term needs quadrature. Seed 002, slide "Success of max-likelihood".
        """
        theta = _finite_array("theta", theta)
        theta_star = _finite("theta_star", theta_star)
        data = self.expect(lambda x: self.responsibility(x, theta[None, :]), theta_star)
        return Flow(self.weight_b(theta) - data.value, data.error)

    def sm_loss(self, theta, theta_star) -> Flow:
        r""":math:`SM(\theta) = \mathbb{E}_*|s_\theta - s_*|^2 = L^2\,\mathbb{E}_*(r_\theta - r_*)^2` (seed 002, no ½)."""
        theta = _finite_array("theta", theta)
        theta_star = _finite("theta_star", theta_star)
        L = self.separation
        return self.expect(
            lambda x: L**2 * (self.responsibility(x, theta[None, :]) - self.responsibility(x, theta_star)) ** 2, theta_star
        )

    def sm_flow(self, theta, theta_star) -> Flow:
        r"""Exact SM flow :math:`\dot\theta = -\partial_\theta SM = 2L^2\,\mathbb{E}_*[(r_\theta - r_*)\,r_\theta(1-r_\theta)]`.

        Seed 002, slide "Failure of score matching". :math:`r(1-r)` is evaluated as
        :math:`\sigma(z)\sigma(-z)`, accurate where it is tiny, so the flow keeps its relative
        accuracy when it is of order :math:`e^{-L^2/8}`.
        """
        theta = _finite_array("theta", theta)
        theta_star = _finite("theta_star", theta_star)
        L = self.separation

        def integrand(x):
            z = self.log_ratio(x) - theta[None, :]
            r = special.expit(z)
            return 2 * L**2 * (r - self.responsibility(x, theta_star)) * r * special.expit(-z)

        return self.expect(integrand, theta_star)

    def _nce_logit(self, x, theta, mu, log_normalizer, normalized_noise: bool):
        r""":math:`\log D - \log(1-D) = c + \log f_\theta - \log f_\mu\ (+\log Z_\mu)`.

        The θ-free term :math:`-(x-a)^2/2` of :math:`\log f` cancels from the difference, so only
        :math:`\log f - (-(x-a)^2/2) = \mathrm{softplus}(\ell - \theta)` is evaluated (no cancellation of two
        large numbers far from the modes)."""
        over_mode_a = self._functions.log_f_over_mode_a
        logit = log_normalizer + over_mode_a(x, theta) - over_mode_a(x, mu)
        return logit + self.log_partition(mu) if normalized_noise else logit

    def nce_loss(self, theta, theta_star, mu, log_normalizer=0.0, normalized_noise: bool = False) -> Flow:
        r"""Population NCE loss :math:`-\mathbb{E}_*\log D - \mathbb{E}_\mu\log(1-D)`.

        :math:`D = e^{c}f_\theta/(e^{c}f_\theta + g)` with :math:`g = f_\mu` (the slide's
        discriminator, seed 002 "NCE fails") or :math:`g = \rho_\mu` (``normalized_noise``);
        ``log_normalizer`` is :math:`c` (0 on the slide). ``theta`` and ``log_normalizer``
        broadcast to shape (k,).
        """
        theta, c = _theta_and_normalizer(theta, log_normalizer)
        theta_star, mu = _finite("theta_star", theta_star), _finite("mu", mu)
        normalized_noise = flag("normalized_noise", normalized_noise)
        logit = lambda x: self._nce_logit(x, theta[None, :], mu, c[None, :], normalized_noise)  # noqa: E731
        data = self.expect(lambda x: np.logaddexp(0.0, -logit(x)), theta_star)
        noise = self.expect(lambda x: np.logaddexp(0.0, logit(x)), mu)
        return Flow(data.value + noise.value, data.error + noise.error)

    def nce_flow(self, theta, theta_star, mu, log_normalizer=0.0, normalized_noise: bool = False) -> tuple[Flow, Flow]:
        r"""Exact NCE flows :math:`(\dot\theta, \dot c)` = minus the gradient of :meth:`nce_loss`.

        .. math:: \dot\theta = \mathbb{E}_\mu[D\,r_\theta] - \mathbb{E}_*[(1-D)\,r_\theta],\qquad
                  \dot c = \mathbb{E}_*[1-D] - \mathbb{E}_\mu[D].

        With ``log_normalizer`` fixed at 0 only :math:`\dot\theta` is the slide's flow; the
        slide writes the objective in place of its gradient (seed 002, "NCE fails").
        """
        theta, c = _theta_and_normalizer(theta, log_normalizer)
        theta_star, mu = _finite("theta_star", theta_star), _finite("mu", mu)
        normalized_noise = flag("normalized_noise", normalized_noise)

        def parts(x, sign):
            logit = self._nce_logit(x, theta[None, :], mu, c[None, :], normalized_noise)
            # data: (1 − D) = σ(−logit); noise: D = σ(logit)
            weight = special.expit(sign * logit)
            return np.concatenate([weight * self.responsibility(x, theta[None, :]), weight], axis=1)

        k = theta.size
        data = self.expect(lambda x: parts(x, -1.0), theta_star)
        noise = self.expect(lambda x: parts(x, 1.0), mu)
        theta_dot = Flow(noise.value[:k] - data.value[:k], noise.error[:k] + data.error[:k])
        c_dot = Flow(data.value[k:] - noise.value[k:], data.error[k:] + noise.error[k:])
        return theta_dot, c_dot

    def flow(self, kind: str, theta_star: float, mu: float | None = None) -> Callable[[np.ndarray], Flow]:
        """The exact θ-flow of ``kind`` in {'ml', 'sm', 'nce'} as a function of θ (vectorised).

        ``mu`` (the noise parameter) is required for 'nce' and ignored otherwise.
        """
        kind = choice("kind", kind, ("ml", "sm", "nce"))
        theta_star = _finite("theta_star", theta_star)
        if kind == "ml":
            return lambda theta: self.ml_flow(theta, theta_star)
        if kind == "sm":
            return lambda theta: self.sm_flow(theta, theta_star)
        if kind == "nce":
            if mu is None:
                raise ValueError("mu (the noise parameter) must be given for kind='nce', got None")
            mu = _finite("mu", mu)
            return lambda theta: self.nce_flow(theta, theta_star, mu)[0]

    # ---- PCD ------------------------------------------------------------------------------------
    def pcd(
        self,
        theta0: float,
        theta_star: float,
        *,
        num_walkers: int,
        num_replicates: int,
        step_size: float,
        num_steps: int,
        rng: np.random.Generator,
        record_every: int = 10,
    ) -> PCDRun:
        r"""Persistent contrastive divergence with ULA walkers (seed 002, "Mode collapse in PCD").

        Walkers start from :math:`\rho_{\theta_0}` (exact samples). Each step, for all replicates
        at once (arrays (num_replicates, num_walkers)):

        .. math:: \theta_{k+1} = \theta_k + h\Big(\tfrac1N\sum_i r_{\theta_k}(X^i_k)
                  - \mathbb{E}_*[r_{\theta_k}]\Big),\qquad
                  X_{k+1} = X_k + h\, s_{\theta_{k+1}}(X_k) + \sqrt{2h}\,\xi_k,

        the slide's order (θ first, then the walkers under :math:`U_{\theta_{k+1}}`). The positive
        phase :math:`\mathbb{E}_*[r_\theta]` is exact (quadrature), so any departure from the ML
        flow comes from the walkers alone. The walker move is :func:`theory.samplers.langevin_move`,
        each replicate's N walkers one chain in :math:`\mathbb{R}^N` (:class:`_Walkers`).
        """
        theta0, theta_star = _finite("theta0", theta0), _finite("theta_star", theta_star)
        step_size = real_scalar("step_size", step_size, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        num_walkers, num_replicates = positive_int("num_walkers", num_walkers), positive_int("num_replicates", num_replicates)
        num_steps, record_every = positive_int("num_steps", num_steps), positive_int("record_every", record_every)
        rng = generator("rng", rng)
        nodes, weights = self._rule(self.panels // 2)
        data_weights = weights * np.exp(self.log_density(nodes, theta_star))
        walkers = self.sample(theta0, (num_replicates, num_walkers), rng)
        theta = np.full(num_replicates, theta0)
        times, thetas, fractions = [0.0], [theta.copy()], [np.mean(walkers > self.midpoint, axis=1)]
        chains = _Walkers(self, num_walkers)
        for step in range(1, num_steps + 1):
            positive = self.responsibility(nodes[:, None], theta[None, :]).T @ data_weights
            negative = self.responsibility(walkers, theta[:, None]).mean(axis=1)
            theta = theta + step_size * (negative - positive)
            state = samplers.langevin_init(walkers, chains, theta[:, None], log_density=False)
            walkers = samplers.langevin_move(state, rng.standard_normal(walkers.shape), step_size)
            if step % record_every == 0 or step == num_steps:
                times.append(step * step_size)
                thetas.append(theta.copy())
                fractions.append(np.mean(walkers > self.midpoint, axis=1))
        return PCDRun(np.array(times), np.stack(thetas, axis=1), np.stack(fractions, axis=1), walkers)


@dataclass(frozen=True)
class _Walkers:
    r"""N independent walkers of a :class:`ToyModel` as one chain in :math:`\mathbb{R}^N` for :mod:`theory.samplers`.

    :math:`\log f(x;\theta) = \sum_i \log f_\theta(x_i)`, so the chain's score is the walkers'
    scores side by side; ``theta`` is each chain's parameter, shape (num_chains, 1).
    """

    toy: ToyModel
    dim: int

    def log_f(self, x, theta):
        return self.toy.log_f(x, theta).sum(axis=-1)

    def score(self, x, theta):
        return self.toy.score(x, theta)


# =============================================================================================
# Trajectories and fixed points of the exact flows
# =============================================================================================


def solve_flow(
    flow: Callable[[np.ndarray], Flow],
    theta0,
    t_end: float,
    *,
    num_times: int = 201,
    rtol: float = 1e-9,
    atol: float = 1e-11,
) -> Trajectories:
    r"""Integrate :math:`\dot\theta = F(\theta)` from every start in ``theta0`` (one vectorised system).

    The error budget per point is :math:`|\theta_{\text{tol}} - \theta_{\text{tol}/100}| +
    \max|\delta F|\,t + 64\epsilon\max(1,|\theta|)`: the ODE error estimated by repeating at a
    100× tighter tolerance (DOP853), plus the flow's quadrature error integrated over time
    (a bound for contracting flows), floored at rounding.

    A solve that fails (the integrator gives up, or the flow or the solution is not finite)
    returns NaN trajectories *and* NaN errors, never an error estimate that looks like success.

    Parameters
    ----------
    flow : callable, θ (k,) -> :class:`Flow` of shape (k,)
    theta0 : float or array (k,), finite
    t_end : float > 0
    num_times : int >= 2
        Output times, evenly spaced on [0, t_end].
    rtol, atol : float > 0
        Tolerances of the coarser of the two solves.
    """
    flow = function("flow", flow)
    theta0 = _finite_array("theta0", theta0)
    t_end = real_scalar("t_end", t_end, low=0.0, low_inclusive=False)
    num_times = positive_int("num_times", num_times, minimum=2)
    rtol = real_scalar("rtol", rtol, low=0.0, low_inclusive=False)
    atol = real_scalar("atol", atol, low=0.0, low_inclusive=False)
    times = np.linspace(0.0, t_end, num_times)
    max_quadrature_error = [0.0]
    failed = np.full((theta0.size, num_times), np.nan)

    def rhs(t, y):
        value, error = flow(y)
        max_quadrature_error[0] = max(max_quadrature_error[0], float(np.max(np.nan_to_num(error, nan=np.inf))))
        return value

    solutions = []
    for tol in (1.0, 0.01):
        with np.errstate(all="ignore"):
            solution = integrate.solve_ivp(rhs, (0.0, t_end), theta0, method="DOP853", t_eval=times, rtol=rtol * tol, atol=atol * tol)
        if not solution.success or solution.y.shape != failed.shape or not np.all(np.isfinite(solution.y)):
            return Trajectories(times, failed, failed.copy())
        solutions.append(solution.y)
    coarse, fine = solutions
    error = np.abs(fine - coarse) + max_quadrature_error[0] * times[None, :] + 64 * EPS * np.maximum(1.0, np.abs(fine))
    return Trajectories(times, fine, error)


class FixedPoint(NamedTuple):
    """A root of a flow with its error: quadrature error of the flow / |slope| + root tolerance.

    ``error`` is ``inf`` when the slope at the root is zero or not finite (the root is then not
    isolated to the accuracy of the flow)."""

    theta: float
    error: float
    slope: float  # dF/dθ at the root; < 0 means stable


def find_fixed_point(flow: Callable[[np.ndarray], Flow], lo: float, hi: float, xtol: float = 1e-13) -> FixedPoint:
    r"""The root :math:`F(\theta) = 0` of a scalar flow in [lo, hi] by Brent's method.

    The error is :math:`|\delta F(\theta)|/|F'(\theta)| + 2\,\mathrm{xtol} + 4\epsilon|\theta|`
    (quadrature error of the flow carried through the slope, plus the root tolerance), with
    :math:`F'` by central differences. ``ValueError`` if the flow does not change sign on
    [lo, hi]; :class:`~theory.fitting.ConvergenceError` if Brent's method does not converge.
    """
    flow = function("flow", flow)
    lo, hi = _finite("lo", lo), _finite("hi", hi)
    if not lo < hi:
        raise ValueError(f"lo must be < hi, got lo={lo}, hi={hi}")
    xtol = real_scalar("xtol", xtol, low=0.0, low_inclusive=False)
    f_lo, f_hi = (float(flow(np.array([v])).value[0]) for v in (lo, hi))
    if not f_lo * f_hi < 0:
        raise ValueError(
            f"the flow does not change sign on [lo, hi] = [{lo}, {hi}] (F = {f_lo:.3g}, {f_hi:.3g}): "
            "no bracketed fixed point; widen the bracket"
        )
    root, info = optimize.brentq(lambda t: float(flow(np.array([t])).value[0]), lo, hi, xtol=xtol, rtol=4 * EPS,
                                 full_output=True, disp=False)
    if not info.converged:
        raise ConvergenceError(
            f"Brent's method did not converge on [lo, hi] = [{lo}, {hi}] ({info.flag}, {info.iterations} iterations, "
            f"last θ = {root!r}); try a narrower bracket or a larger xtol"
        )
    step = 1e-4 * max(1.0, abs(root))
    values = flow(np.array([root - step, root, root + step]))
    slope = float((values.value[2] - values.value[0]) / (2 * step))
    if slope == 0.0 or not math.isfinite(slope) or not math.isfinite(float(values.error[1])):
        return FixedPoint(float(root), math.inf, slope)
    error = float(values.error[1]) / abs(slope) + 2 * xtol + 4 * EPS * abs(root)
    return FixedPoint(float(root), error, slope)


def _bracket(flow: Callable[[np.ndarray], Flow], guess: float, width: float = 30.0) -> tuple[float, float]:
    """A sign-change bracket of a decreasing flow around ``guess``."""
    grid = guess + np.linspace(-width, width, 31)
    values, errors = flow(grid)
    sign = np.where(np.abs(values) > 10 * errors, np.sign(values), 0.0)  # 0: indistinguishable from zero
    keep = sign != 0
    grid, sign = grid[keep], sign[keep]
    changes = np.nonzero(sign[:-1] != sign[1:])[0]
    if changes.size != 1:
        raise ValueError(
            f"expected one fixed point within ±{width} of θ = {guess}, found {changes.size} sign changes of the flow "
            "resolved above its quadrature error; use find_fixed_point with an explicit bracket"
        )
    return float(grid[changes[0]]), float(grid[changes[0] + 1])


def nce_fixed_point(theta_star: float, mu: float, a: float = -10.0, b: float = 10.0) -> FixedPoint:
    r"""The fixed point of the exact population NCE flow with the slide's discriminator.

    .. math:: \mathbb{E}_\mu[D_\theta\, r_\theta] = \mathbb{E}_*[(1 - D_\theta)\, r_\theta],\qquad
              D_\theta = \frac{e^{-U_\theta}}{e^{-U_\theta} + e^{-U_\mu}},

    found by quadrature and Brent's method (seed 002, "NCE fails"). For well-separated modes it
    approaches :math:`\theta_* + \log\frac{1 + e^{-\mu}}{1 + e^{-\theta_*}}`, not the slide's
    :math:`\mu + \log\frac{1 + e^{-\theta_*}}{1 + e^{-\mu}}` (claim toy-nce-fixed-point).

    Raises ``ValueError`` for non-finite inputs or ``a >= b``, ``TypeError`` for non-numbers.
    """
    theta_star, mu = _finite("theta_star", theta_star), _finite("mu", mu)
    model = ToyModel(a, b)
    flow = model.flow("nce", theta_star, mu)
    try:
        bracket = _bracket(flow, theta_star)
    except ValueError as error:
        raise ValueError(f"nce_fixed_point(theta_star={theta_star:g}, mu={mu:g}, a={a:g}, b={b:g}): {error}") from None
    return find_fixed_point(flow, *bracket)


def ml_fixed_point(theta_star: float, a: float = -10.0, b: float = 10.0) -> FixedPoint:
    """The fixed point of the exact population ML flow (θ* for every separation)."""
    theta_star = _finite("theta_star", theta_star)
    flow = ToyModel(a, b).flow("ml", theta_star)
    try:
        bracket = _bracket(flow, theta_star)
    except ValueError as error:
        raise ValueError(f"ml_fixed_point(theta_star={theta_star:g}, a={a:g}, b={b:g}): {error}") from None
    return find_fixed_point(flow, *bracket)


class NormalizerFixedPoint(NamedTuple):
    """The fixed point (θ, c) of the NCE flow with a learned log-normalizer, with its errors.

    Unpacks as ``(theta, c, theta_error, c_error, converged)``. Where ``converged`` is False the
    point is the solver's last iterate and both errors are ``inf``."""

    theta: float
    c: float
    theta_error: float
    c_error: float
    converged: bool


_HESSIAN_STEP = 1e-5  # central-difference step of the loss Hessian (from the exact flows)


def nce_normalizer_fixed_point(theta_star: float, mu: float, a: float = -10.0, b: float = 10.0,
                               normalized_noise: bool = True) -> NormalizerFixedPoint:
    r"""The fixed point :math:`(\theta, c)` of the exact NCE flow with a learned log-normalizer.

    The flows are minus the gradient of the population loss
    :math:`J(\theta, c) = -\mathbb{E}_*\log D - \mathbb{E}_\mu\log(1-D)` (:meth:`ToyModel.nce_loss`),
    so the fixed point is the minimiser of :math:`J`, found by the project's damped, modified
    Newton method :func:`theory.fitting.newton` (Armijo line search on :math:`J`), started at
    :math:`(\theta_* + 1, 0)`. Gradient :math:`\nabla J = -(\dot\theta, \dot c)` from
    :meth:`ToyModel.nce_flow`; Hessian :math:`H` by central differences of :math:`\nabla J`
    (step :math:`10^{-5}`), symmetrised.

    Errors, per coordinate: :math:`|H^{-1}|\,\delta\nabla J + |H^{-1}\nabla J| + 8\epsilon\max(1, |p|)`
    at the returned point — the flows' quadrature errors carried through the inverse Hessian,
    plus the remaining Newton step (the root tolerance), floored at rounding.

    Returns a :class:`NormalizerFixedPoint`; where Newton does not converge (its decrement stays
    above tolerance, no step decreases :math:`J`, :math:`J` is not finite) or the Hessian at the
    end is singular, ``converged`` is False and both errors are ``inf``, so a check that uses the
    result sees a failed solve, not an accurate number.
    """
    theta_star, mu = _finite("theta_star", theta_star), _finite("mu", mu)
    normalized_noise = flag("normalized_noise", normalized_noise)
    model = ToyModel(a, b)
    h = _HESSIAN_STEP
    shifts = np.array([[0.0, 0.0], [h, 0.0], [-h, 0.0], [0.0, h], [0.0, -h]])

    def gradient(points):  # points (..., 2) -> ∇J (..., 2) and its quadrature error (..., 2)
        flat = points.reshape(-1, 2)
        theta_dot, c_dot = model.nce_flow(flat[:, 0], theta_star, mu, flat[:, 1], normalized_noise)
        value = -np.stack([theta_dot.value, c_dot.value], axis=-1)
        error = np.stack([theta_dot.error, c_dot.error], axis=-1)
        return value.reshape(points.shape), error.reshape(points.shape)

    def gradient_hessian(params):  # (R, 2) -> ∇J (R, 2), its error (R, 2), H (R, 2, 2)
        grads, errors = gradient(params[:, None, :] + shifts[None, :, :])  # (R, 5, 2)
        hessian = np.stack([grads[:, 1] - grads[:, 2], grads[:, 3] - grads[:, 4]], axis=-1) / (2 * h)
        return grads[:, 0], errors[:, 0], (hessian + np.swapaxes(hessian, -1, -2)) / 2

    def loss(params, rows):
        return model.nce_loss(params[:, 0], theta_star, mu, params[:, 1], normalized_noise).value

    def loss_grad_hess(params, rows):
        grad, _, hessian = gradient_hessian(params)
        return loss(params, rows), grad, hessian

    start = np.array([[theta_star + 1.0, 0.0]])
    with np.errstate(all="ignore"):  # far from the optimum the flows may lose all their digits
        result = fitting.newton(loss_grad_hess, loss, start, max_iterations=100)
        point = result.params[0]
        grad, errors, hessian = (array[0] for array in gradient_hessian(result.params))
    converged = bool(result.converged[0]) and bool(np.all(np.isfinite(hessian)))
    if converged:
        try:
            inverse = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            converged = False
    if not converged or not np.all(np.isfinite(inverse)):
        return NormalizerFixedPoint(float(point[0]), float(point[1]), math.inf, math.inf, False)
    propagated = np.abs(inverse) @ errors + np.abs(inverse @ grad) + 8 * EPS * np.maximum(1.0, np.abs(point))
    return NormalizerFixedPoint(float(point[0]), float(point[1]), float(propagated[0]), float(propagated[1]), True)
