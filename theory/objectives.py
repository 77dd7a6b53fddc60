r"""Training objectives for unnormalized models, behind one protocol that the property harness tests.

An objective is a per-sample loss :math:`\ell(\vartheta; z)` whose empirical mean is minimised.
The fitted parameter :math:`\vartheta = (\theta, \eta)` stacks the model's parameters
:math:`\theta \in \mathbb{R}^p` and any parameters the objective adds :math:`\eta` (e.g. NCE's
log-normalizer :math:`c`); a sample :math:`z` is a data point together with whatever noise the
objective draws for it (NCE's K noise points, CNCE's K conditional noise points, DSM's
perturbation), drawn once from a seeded generator so that the loss is a deterministic function of
:math:`\vartheta` afterwards.

Shapes (batched over replicates, the leading axis):

- ``params``: (R, q), q = p + number of extra parameters;
- ``batch``: a dict of arrays with leading axes (R, n); ``batch["x"]`` is the data, (R, n, d);
- ``losses`` (R, n), ``gradients`` (R, n, q), ``hessians`` (R, n, q, q).

Built-in objectives (sign convention of the suite: score :math:`s_\theta = \nabla_x \log f`):

- :class:`ScoreMatching` — Hyvärinen form :math:`\tfrac12|s_\theta(x)|^2 + \Delta_x\log f_\theta(x)`
  (seed 000 / 003 eq. 54 with the ½ restored; claim ``hyvarinen-identity``);
- :class:`DenoisingScoreMatching` — :math:`\tfrac12|s_\theta(y) + (y-x)/\sigma^2|^2`,
  :math:`y = x + \sigma z` (seed 004 eq. 1 up to the factor ½); consistent for the model of the
  *smoothed* data :math:`p_* \ast \mathcal N(0,\sigma^2 I)`;
- :class:`NCE` — noise-contrastive estimation with a learned log-normalizer :math:`c`
  (seed 000, "NCE" with :math:`Z` as a parameter), K noise points per data point;
- :class:`CNCE` — conditional NCE with any conditional noise and K (seed 004 eq. 13);
- :class:`MaximumLikelihood` — :math:`-\log f_\theta(x) + \log Z(\theta)`, where the model
  declares :math:`\log Z` in closed form.

Derivatives come from the symbolic model: SM, DSM and ML build the per-sample loss as a SymPy
expression and differentiate it (``derivatives = "symbolic"``); NCE and CNCE apply the chain
rule to the model's SymPy-derived :math:`\nabla_\theta\log f` and :math:`\nabla^2_\theta\log f`
(``"symbolic model derivatives"``). :class:`FiniteDifferenceObjective` gives any user loss
central-difference derivatives, labelled ``"finite-difference"``, whose error the property
harness estimates (the same derivatives at half the step) and carries into its tolerances.

:class:`NCE` and :class:`CNCE` are thin adapters over :mod:`theory.nce` and
:mod:`theory.cnce`; both take their noise from :mod:`theory.noise` (NCE an unconditional one).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import sympy as sp

from ebmcheck.theory import cnce, models, nce, quadrature, validation
from ebmcheck.theory.noise import Autoregressive, LocalGaussian, MatchedGaussian, data_moments, is_noise
from ebmcheck.theory.validation import flag, positive_int, real_array, real_scalar

Batch = dict[str, np.ndarray]


class NotApplicable(ValueError):
    """The objective cannot be used with this model (the reason is the message)."""


# =============================================================================================
# The reference distribution: what a noise distribution may be designed from
# =============================================================================================


class Reference(NamedTuple):
    r"""The data distribution :math:`p_{\theta^*}` an experiment draws from.

    A noise distribution may be *designed* from it before any data are seen (a moment-matched
    Gaussian for NCE, the oracle noise :math:`p_n(y|x) = p_*(y)` of seed 004 Corollary 2), by
    ``noise.bind(reference.model, reference.theta)`` (:mod:`theory.noise`); it is then held fixed
    across replicates, so it adds no estimation error. A loss must never use it.
    """

    model: models.Model
    theta: np.ndarray  # (p,)
    mean: np.ndarray  # (d,)
    covariance: np.ndarray  # (d, d)


def _check_model(model) -> models.Model:
    if not isinstance(model, models.Model):
        hint = f": pass an instance, e.g. {model.__name__}(...)" if isinstance(model, type) else ""
        raise TypeError(f"model must be a theory.models.Model instance, got {model!r}{hint}")
    return model


def _num_noise(num_noise) -> int:
    """K, the noise points per data point: an int >= 1."""
    if isinstance(num_noise, (int, np.integer)) and not isinstance(num_noise, bool) and num_noise < 1:
        raise ValueError(f"num_noise={num_noise!r} must be a positive integer (K noise points per data point)")
    return positive_int("num_noise", num_noise)


def reference(model: models.Model, theta) -> Reference:
    """The :class:`Reference` of ``model`` at ``theta`` (mean and covariance of :math:`p_\\theta`,
    :func:`theory.noise.data_moments`).

    ``model`` a :class:`theory.models.Model`, ``theta`` one allowed parameter vector (p,)."""
    theta = _check_model(model).validate(theta)
    if theta.ndim != 1:
        raise ValueError(f"theta must have shape ({model.num_params},), got {theta.shape}")
    return Reference(model, theta, *data_moments(model, theta))


# =============================================================================================
# The protocol
# =============================================================================================


@runtime_checkable
class Objective(Protocol):
    """What the property harness needs from an objective (see the module docstring for shapes).

    Required members: ``name`` (a str, used in reports and to seed the experiments),
    ``losses``, ``gradients`` and ``hessians`` (the exact derivatives of ``losses`` in the
    parameters; the ``derivatives`` property checks them by finite differences).
    :func:`checks.properties.check_objective` refuses an object without them (``TypeError``
    listing the missing members) and a class passed instead of an instance.

    Optional members, with the defaults of :class:`BaseObjective` when absent:

    - ``supports(model) -> str | None``: ``None`` if the objective applies to ``model``, else the
      reason it does not (default: every model is supported);
    - ``true_params(model, theta) -> (q,)``: the population minimiser when the data follow
      ``theta`` (default: ``theta`` itself);
    - ``draw(model, x, rng, reference) -> batch``: the batch with the objective's noise
      (default: ``{"x": x}``, no noise);
    - ``extra_names`` (default ``()``), ``derivatives`` (default ``"symbolic"``),
      ``invariances`` (default ``()``), ``population_gradients`` / ``population_hessians``
      (default ``None``).
    """

    name: str

    def losses(self, model: models.Model, params: np.ndarray, batch: Batch) -> np.ndarray:
        """Per-sample losses, (R, n)."""

    def gradients(self, model: models.Model, params: np.ndarray, batch: Batch) -> np.ndarray:
        """Per-sample θ-gradients, (R, n, q)."""

    def hessians(self, model: models.Model, params: np.ndarray, batch: Batch) -> np.ndarray:
        """Per-sample θ-Hessians, (R, n, q, q)."""


REQUIRED_MEMBERS: tuple[str, ...] = ("name", "losses", "gradients", "hessians")
"""The members of :class:`Objective` an objective must define; the others have defaults."""


class BaseObjective:
    """Defaults for the optional parts of :class:`Objective`.

    Optional hooks the harness uses when present:

    - ``population_gradients(model, params, x, reference)`` / ``population_hessians(...)``:
      the gradient (Hessian) of the *population* loss's integrand at data points ``x``
      (R, n, d), with the objective's own noise integrated out exactly. Fisher consistency is
      then checked on this population loss (by quadrature in 1-D, a large exact sample
      otherwise), and the unbiased-gradient property pairs the minibatch gradient with it on the
      same points. Without them the population loss is the large-batch limit of the mean
      per-sample loss: Fisher consistency uses one batch of many points, and unbiased-gradient
      compares minibatches of 16 points with it (catching per-sample losses or noise that depend
      on the rest of their minibatch). A noise-free objective's hooks are its own
      ``gradients``/``hessians`` on ``{"x": x}``.
    - ``invariances``: a tuple of :class:`Invariance` the objective declares.
    """

    name: str = "objective"
    extra_names: tuple[str, ...] = ()
    derivatives: str = "symbolic"
    invariances: tuple = ()
    population_gradients = None
    population_hessians = None

    def __repr__(self) -> str:
        return self.name

    def supports(self, model: models.Model) -> str | None:
        return None

    def true_params(self, model: models.Model, theta) -> np.ndarray:
        return np.asarray(theta, dtype=float)

    def draw(self, model, x, rng, reference) -> Batch:
        return {"x": np.asarray(x, dtype=float)}

    def num_params(self, model: models.Model) -> int:
        return model.num_params + len(self.extra_names)

    def param_names(self, model: models.Model) -> tuple[str, ...]:
        return tuple(str(t) for t in model.theta) + tuple(self.extra_names)


def _theta(params: np.ndarray, model: models.Model, extra_axes: int = 1) -> np.ndarray:
    """The model block of ``params`` (R, q), reshaped to broadcast over (R, n, ...)."""
    theta = np.asarray(params, dtype=float)[:, : model.num_params]
    return theta.reshape(theta.shape[:1] + (1,) * extra_axes + theta.shape[1:])


def central_difference(function, model, params, batch, relative_step: float) -> np.ndarray:
    r"""Central differences of ``function(model, params, batch)`` in every parameter, stacked on a new last axis.

    .. math:: \partial_j F \approx \frac{F(\vartheta + h_j e_j) - F(\vartheta - h_j e_j)}{2h_j},
              \qquad h_j = \text{relative\_step}\,(1 + |\vartheta_j|).

    ``function`` is a callable ``(model, params, batch) -> (R, n, ...)`` (an objective's
    ``losses`` or ``gradients``); ``params`` a finite real array (R, q), q >= p; ``batch`` a dict of
    arrays holding the data ``batch["x"]`` (R, n, d) (R or 1 rows); ``relative_step`` a real > 0.
    The error is :math:`O(h^2)` (truncation) plus :math:`O(\epsilon|F|/h)` (rounding)."""
    validation.function("function", function, "(model, params, batch) -> array")
    _check_model(model)
    params = real_array("params", params, ndim=2)
    if params.shape[1] < model.num_params:  # q = p + the objective's extra parameters
        raise ValueError(
            f"params must have shape (R, q) with q >= p = {model.num_params} (θ first, then any extra "
            f"parameters), got shape {params.shape}"
        )
    if not isinstance(batch, dict):
        raise TypeError(f"batch must be a dict of arrays (e.g. {{'x': x}}), got {type(batch).__name__}")
    if "x" not in batch:
        raise ValueError(f"batch must hold the data as batch['x'] (R, n, d), got keys {sorted(map(str, batch))}")
    data = real_array("batch['x']", batch["x"], ndim=3)
    if data.shape[0] not in (1, params.shape[0]) or data.shape[-1] != model.dim:
        raise ValueError(
            f"batch['x'] must have shape (R, n, d) with R = {params.shape[0]} (or 1) and d = {model.dim}, "
            f"got {data.shape}"
        )
    relative = real_scalar("relative_step", relative_step, low=0.0, low_inclusive=False)
    steps = relative * (1 + np.abs(params))
    columns = []
    for j in range(params.shape[-1]):
        shift = np.zeros_like(params)
        shift[:, j] = steps[:, j]
        difference = function(model, params + shift, batch) - function(model, params - shift, batch)
        columns.append(difference / steps[:, j].reshape((-1,) + (1,) * (difference.ndim - 1)) / 2)
    return np.stack(columns, axis=-1)


class FiniteDifferenceObjective(BaseObjective):
    r"""An objective defined by its per-sample ``losses`` only; derivatives by central differences.

    .. math:: \partial_j \ell \approx \frac{\ell(\vartheta + h_j e_j) - \ell(\vartheta - h_j e_j)}{2h_j},
              \qquad h_j = 10^{-4}(1 + |\vartheta_j|)

    for the gradient (:func:`central_difference`, relative error :math:`O(h^2) \approx 10^{-8}`)
    and central differences of that gradient for the Hessian. Results are labelled
    ``derivatives = "finite-difference"``.

    The harness knows the step (``relative_step``) and carries the differentiation error into
    every test's tolerance: it computes each derivative quantity also with half the step
    (:meth:`with_relative_step`) and bounds the error by Richardson's rule (see
    :data:`checks.properties.checks.NUMERICAL_ALLOWANCE`). Population hooks that call
    ``self.gradients``/``self.hessians`` are covered too, since they run on the half-step copy.
    """

    derivatives = "finite-difference"
    relative_step = 1e-4

    def losses(self, model, params, batch):  # pragma: no cover - the user's part
        raise NotImplementedError

    def with_relative_step(self, relative_step: float) -> FiniteDifferenceObjective:
        """A shallow copy of this objective that differentiates with ``relative_step`` (a real > 0)."""
        step = real_scalar("relative_step", relative_step, low=0.0, low_inclusive=False)
        other = copy.copy(self)
        other.relative_step = step
        return other

    def gradients(self, model, params, batch):
        return central_difference(self.losses, model, params, batch, self.relative_step)

    def hessians(self, model, params, batch):
        hessian = central_difference(self.gradients, model, params, batch, self.relative_step)
        return (hessian + np.swapaxes(hessian, -1, -2)) / 2


# =============================================================================================
# Symbolic per-sample losses: build ℓ in SymPy, differentiate, compile (theory.symbolic.compile_expression)
# =============================================================================================


class _SymbolicLoss(NamedTuple):
    data_symbols: tuple
    theta_symbols: tuple
    loss: sp.Expr
    gradient: sp.ImmutableMatrix
    hessian: sp.ImmutableMatrix

    def evaluate(self, which: str, data: np.ndarray, theta: np.ndarray) -> np.ndarray:
        expr = getattr(self, which)
        value = models.evaluate(expr, self.data_symbols, self.theta_symbols, data, theta)
        return value[..., 0] if which == "gradient" else value


def _symbolic(loss: sp.Expr, data_symbols, theta_symbols) -> _SymbolicLoss:
    gradient = sp.ImmutableMatrix([sp.diff(loss, t) for t in theta_symbols])
    hessian = sp.ImmutableMatrix(sp.hessian(loss, theta_symbols))
    return _SymbolicLoss(tuple(data_symbols), tuple(theta_symbols), loss, gradient, hessian)


class _SymbolicObjective(BaseObjective):
    """An objective whose per-sample loss is a SymPy expression of (data symbols, θ)."""

    derivatives = "symbolic"

    def _build(self, model) -> _SymbolicLoss:  # pragma: no cover - abstract
        raise NotImplementedError

    @functools.lru_cache(maxsize=64)  # noqa: B019 - objectives and models live for the session
    def _compiled(self, model) -> _SymbolicLoss:
        return self._build(model)

    def _data(self, batch: Batch) -> np.ndarray:
        return batch["x"]

    def losses(self, model, params, batch):
        return self._compiled(model).evaluate("loss", self._data(batch), _theta(params, model))

    def gradients(self, model, params, batch):
        return self._compiled(model).evaluate("gradient", self._data(batch), _theta(params, model))

    def hessians(self, model, params, batch):
        return self._compiled(model).evaluate("hessian", self._data(batch), _theta(params, model))


class _NoiseFreeObjective(_SymbolicObjective):
    """A symbolic loss of the data alone: its population integrand is the per-sample loss itself,
    and it sees f only through scores or with its normalizer, so scaling f changes nothing."""

    def population_gradients(self, model, params, x, reference):
        return self.gradients(model, params, {"x": x})

    def population_hessians(self, model, params, x, reference):
        return self.hessians(model, params, {"x": x})

    @property
    def invariances(self):
        return (scale_of_f(),)


class ScoreMatching(_NoiseFreeObjective):
    r"""Score matching in Hyvärinen's form (seed 003 eq. 54 with the ½ restored; seed 000).

    .. math:: \ell(\theta; x) = \tfrac12\,|s_\theta(x)|^2 + \Delta_x \log f(x;\theta),

    whose population mean is the Fisher divergence :math:`\tfrac12\mathbb E_p|s_\theta - s_p|^2`
    minus a θ-free constant (claim ``hyvarinen-identity``). Scaling :math:`f` by a constant
    leaves every per-sample loss unchanged.
    """

    name = "score-matching"
    laplacian_weight = 1  # the weight of Δ log f in the loss (Hyvärinen: 1)

    def _build(self, model):
        score = model.score_expr
        loss = sp.Rational(1, 2) * sum(s**2 for s in score) + self.laplacian_weight * model.laplacian_expr
        return _symbolic(loss, model.x, model.theta)


class MaximumLikelihood(_NoiseFreeObjective):
    r"""Maximum likelihood with the normalizer the model declares in closed form.

    .. math:: \ell(\theta; x) = -\log f(x;\theta) + \log Z(\theta).
    """

    name = "maximum-likelihood"

    def supports(self, model):
        if model.log_normalizer_expr is None:
            return f"{model.name} declares no closed-form log Z(θ) (maximum likelihood needs the normalizer)"
        return None

    def _build(self, model):
        return _symbolic(-model.log_f_expr + model.log_normalizer_expr, model.x, model.theta)


class DenoisingScoreMatching(_SymbolicObjective):
    r"""Denoising score matching (Vincent 2011; seed 004 eq. 1, with a factor ½).

    .. math:: \ell(\theta; x, z) = \tfrac12\,\big|s_\theta(y) + z/\sigma\big|^2,
              \qquad y = x + \sigma z,\ z \sim \mathcal N(0, I),

    since :math:`\nabla_y \log p_n(y|x) = -(y-x)/\sigma^2 = -z/\sigma`. Its population
    minimiser is the model of the *smoothed* data :math:`p_*\ast\mathcal N(0,\sigma^2 I)`, not
    :math:`p_*`: :meth:`true_params` returns that parameter, which exists within the family
    only when the family is closed under Gaussian convolution. This implementation supports
    the Gaussian mean–precision family, where smoothing adds :math:`\sigma^2 I` to the
    covariance and keeps the mean (the covariance of a sum of independent vectors).
    """

    derivatives = "symbolic"

    def __init__(self, sigma: float = 0.5):
        self.sigma = real_scalar("sigma", sigma, low=0.0, low_inclusive=False)  # the noise scale σ > 0
        self.name = f"denoising-score-matching(sigma={self.sigma:g})"

    def supports(self, model):
        if not isinstance(model, models.GaussianModel):
            return (
                f"DSM's population minimiser is the model of p*N(0, σ²I), which lies in the family only for "
                f"families closed under Gaussian smoothing; {model.name} is not the Gaussian mean-precision family"
            )
        return None

    def true_params(self, model, theta):
        mean, precision = model.unpack(np.asarray(theta, dtype=float))
        smoothed = np.linalg.inv(np.linalg.inv(precision) + self.sigma**2 * np.eye(model.dim))
        return model.pack(mean, (smoothed + smoothed.T) / 2)

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def _compiled(self, model):
        targets = sp.symbols(f"t1:{model.dim + 1}", real=True)  # t = -z/σ, the target score
        loss = sp.Rational(1, 2) * sum((s - t) ** 2 for s, t in zip(model.score_expr, targets, strict=True))
        return _symbolic(loss, tuple(model.x) + tuple(targets), model.theta)

    def draw(self, model, x, rng, reference):
        x = np.asarray(x, dtype=float)
        z = rng.standard_normal(x.shape)
        return {"x": x, "y": x + self.sigma * z, "target": -z / self.sigma}

    def _data(self, batch):
        return np.concatenate([batch["y"], batch["target"]], axis=-1)

    @property
    def invariances(self):
        return (scale_of_f(),)


# =============================================================================================
# NCE and CNCE (chain rule on the model's symbolic derivatives; stable logistic functions)
# =============================================================================================


def _log_normalizer(model: models.Model, theta) -> float:
    """:math:`\\log Z(\\theta)`: closed form when the model declares one, else 1-D quadrature."""
    if model.has_log_normalizer:
        return float(model.log_normalizer(theta))
    if model.dim == 1:
        return quadrature.log_normalizer_1d(model, theta)[0]
    raise NotApplicable(f"{model.name}: log Z(θ) has no closed form and d={model.dim} > 1 rules out quadrature")


class NCE(BaseObjective):
    r"""Noise-contrastive estimation with a learned log-normalizer (seed 000, NCE section).

    A thin adapter over :mod:`theory.nce` (per-sample data and noise terms), grouping each data
    point with its K noise points so that a sample unit is i.i.d. (the sandwich needs that).

    With K noise points :math:`y_k \sim p_n` per data point and
    :math:`G(u) = \log f(u;\theta) + c - \log p_n(u) - \log K`,

    .. math:: \ell(\theta, c; x, y_{1:K}) = -\log\sigma(G(x)) - \sum_{k=1}^K \log\sigma(-G(y_k)).

    The population minimiser is :math:`\theta^*` and :math:`c^* = -\log Z(\theta^*)` for any
    noise positive where the data are. ``noise`` is an unconditional :mod:`theory.noise`
    distribution, bound to the data law before the experiment (default:
    :class:`~theory.noise.MatchedGaussian`, the data's mean and 1.5 times its spread).
    Scaling :math:`f` by :math:`\kappa` is absorbed by :math:`c \to c - \log\kappa`.
    """

    derivatives = "symbolic model derivatives"
    extra_names = ("c",)

    def __init__(self, num_noise: int = 1, noise: Any = None):
        self.num_noise = _num_noise(num_noise)
        noise = MatchedGaussian(1.5) if noise is None else noise
        if not is_noise(noise) or noise.conditional:
            raise TypeError(f"noise must be an unconditional theory.noise distribution instance (e.g. MatchedGaussian(1.5)) or None, "
                            f"got {noise!r}")
        self.noise = noise
        self.name = f"nce(K={self.num_noise}, noise={noise})"

    def supports(self, model):
        if not model.has_log_normalizer and model.dim > 1:
            return f"{model.name}: the true log-normalizer c* = -log Z(θ*) cannot be computed"
        return None

    def true_params(self, model, theta):
        theta = np.asarray(theta, dtype=float)
        extra = [-_log_normalizer(model, theta)] if self.extra_names else []
        return np.concatenate([theta, extra])

    def draw(self, model, x, rng, reference):
        noise = self.noise.bind(reference.model, reference.theta)
        x = np.asarray(x, dtype=float)
        y = noise.sample(x, self.num_noise, rng)
        return {"x": x, "y": y, "log_noise_x": noise.log_density(x), "log_noise_y": noise.log_density(y)}

    def _terms(self, model, params, batch):
        """theory.nce's per-sample data and noise terms; c = 0 (fixed) when no normalizer is learned."""
        params = np.asarray(params, dtype=float)
        if not self.extra_names:
            params = np.concatenate([params, np.zeros(params.shape[:-1] + (1,))], axis=-1)
        data = nce.data_terms(model, params, batch["x"], noise_ratio=self.num_noise, log_noise=batch["log_noise_x"])
        noise = nce.noise_terms(model, params[:, None, :], batch["y"], noise_ratio=self.num_noise, log_noise=batch["log_noise_y"])
        return data, noise

    def losses(self, model, params, batch):
        data, noise = self._terms(model, params, batch)
        return data.loss + noise.loss.sum(axis=-1)

    def gradients(self, model, params, batch):
        data, noise = self._terms(model, params, batch)
        q = np.shape(params)[-1]
        return (data.grad + noise.grad.sum(axis=-2))[..., :q]

    def hessians(self, model, params, batch):
        data, noise = self._terms(model, params, batch)
        q = np.shape(params)[-1]
        return (data.hess + noise.hess.sum(axis=-3))[..., :q, :q]

    @property
    def invariances(self):
        if not self.extra_names:
            return ()
        return (scale_of_f(absorbed_by_last_param=True),)


class CNCE(BaseObjective):
    r"""Conditional noise-contrastive estimation (seed 004 eq. 13), any conditional noise and K.

    With :math:`F(x, y;\theta) = \log f(x;\theta) - \log f(y;\theta) + \log p_n(y|x) - \log p_n(x|y)`
    and K noise points :math:`y_k \sim p_n(\cdot|x)` per data point,

    .. math:: \ell(\theta; x, y_{1:K}) = -\frac{2}{K}\sum_{k=1}^K \log\sigma(F(x, y_k;\theta)).

    The normalizer cancels in :math:`F`, so no extra parameter is needed; the log-ratio term
    makes the loss consistent for asymmetric noise. A thin adapter: the per-sample loss, gradient
    and Hessian are those of :mod:`theory.cnce` (averaged over the K noise points of a data
    point), and ``noise`` is a :mod:`theory.noise` distribution (``LocalGaussian``, ``Oracle``,
    ``KDE``, ``Mixture``, the asymmetric ``Autoregressive``), bound to the data law by ``bind``.
    """

    derivatives = "symbolic model derivatives"

    def __init__(self, noise: Any = None, num_noise: int = 1):
        num_noise = _num_noise(num_noise)
        noise = LocalGaussian(0.5) if noise is None else noise
        if not is_noise(noise):
            hint = f"; pass an instance, e.g. {noise.__name__}(...)" if isinstance(noise, type) else ""
            raise ValueError(f"noise={noise!r} is not a theory.noise distribution (needs sample, log_density, bind){hint}")
        self.noise = noise
        self.num_noise = num_noise
        self.name = f"cnce(K={self.num_noise}, noise={noise})"

    def draw(self, model, x, rng, reference):
        noise = self.noise.bind(reference.model, reference.theta)
        x = np.asarray(x, dtype=float)
        y = noise.sample(x, self.num_noise, rng)
        return {"x": x, "y": y, "log_ratio": cnce.noise_log_ratio(noise, x, y)}

    def losses(self, model, params, batch):
        theta = np.asarray(params, dtype=float)
        return cnce.per_sample_loss(model, theta, batch["x"], batch["y"], noise_term=batch["log_ratio"]).mean(axis=-1)

    def gradients(self, model, params, batch):
        theta = np.asarray(params, dtype=float)
        return cnce.per_sample_gradient(model, theta, batch["x"], batch["y"], noise_term=batch["log_ratio"]).mean(axis=-2)

    def hessians(self, model, params, batch):
        theta = np.asarray(params, dtype=float)
        return cnce.per_sample_hessian(model, theta, batch["x"], batch["y"], noise_term=batch["log_ratio"]).mean(axis=-3)

    @property
    def invariances(self):
        return (scale_of_f(),)


# =============================================================================================
# Invariances
# =============================================================================================


@dataclass(frozen=True)
class Invariance:
    r"""A declared invariance: the per-sample losses do not change under a transformation.

    ``transform(model, params, amount) -> (model', params')``; the harness checks
    :math:`\ell(\vartheta'; z \mid \text{model}') = \ell(\vartheta; z \mid \text{model})` on the
    same data and the same noise stream, for each ``amount`` it draws from ``amounts``.
    """

    name: str
    statement: str
    transform: Callable[[models.Model, np.ndarray, float], tuple[models.Model, np.ndarray]]
    amounts: tuple[float, ...]


def scaled_model(model: models.Model, log_kappa: float) -> models.Model:
    r"""The model with :math:`f` scaled by :math:`\kappa = e^{\log\kappa}`: :math:`\log f + \log\kappa`.

    The density :math:`p_\theta` is unchanged; a closed-form :math:`\log Z` shifts by
    :math:`\log\kappa`. Scores, Laplacians and θ-derivatives of :math:`\log f` are unchanged.
    ``log_kappa`` must be a finite real number.
    """
    return _scaled_model(_check_model(model), real_scalar("log_kappa", log_kappa))


@functools.lru_cache(maxsize=128)
def _scaled_model(model: models.Model, log_kappa: float) -> models.Model:
    shifted = copy.copy(model)
    shifted.__dict__ = {k: v for k, v in model.__dict__.items() if not k.endswith("_expr") or k in ("log_f_expr", "log_normalizer_expr")}
    shifted.name = f"{model.name} (f x e^{log_kappa:g})"
    shifted.log_f_expr = model.log_f_expr + sp.nsimplify(log_kappa)
    if model.log_normalizer_expr is not None:
        shifted.log_normalizer_expr = model.log_normalizer_expr + sp.nsimplify(log_kappa)
    # log Z shifts with f for every model, also where a family computes it numerically (Gaussian).
    base = model.log_normalizer
    shifted.log_normalizer = lambda theta: base(theta) + log_kappa  # noqa: E731
    return shifted


def scale_of_f(absorbed_by_last_param: bool = False) -> Invariance:
    r"""Invariance to the scale of :math:`f`: :math:`f \to \kappa f` leaves the losses unchanged.

    Holds for objectives that see :math:`f` only through scores or log-ratios (SM, DSM, CNCE)
    or with its normalizer (ML). With ``absorbed_by_last_param`` the last parameter is a
    log-normalizer that absorbs the scale, :math:`c \to c - \log\kappa` (NCE).
    """

    absorbed_by_last_param = flag("absorbed_by_last_param", absorbed_by_last_param)

    def transform(model, params, log_kappa):
        params = np.array(real_array("params", params), dtype=float, copy=True)
        if absorbed_by_last_param:
            params[..., -1] -= log_kappa
        return scaled_model(model, float(log_kappa)), params

    statement = "ℓ(θ, c − log κ; z | κf) = ℓ(θ, c; z | f)" if absorbed_by_last_param else "ℓ(θ; z | κf) = ℓ(θ; z | f)"
    return Invariance("scale-of-f", statement, transform, (1.0, -1.0, 3.0, -5.0, 0.5))


def built_in_objectives() -> tuple[BaseObjective, ...]:
    """One instance of each built-in objective, as tested by ``tests/test_properties.py``."""
    return (
        ScoreMatching(),
        DenoisingScoreMatching(0.5),
        NCE(num_noise=2),
        CNCE(LocalGaussian(1.0), num_noise=1),
        CNCE(Autoregressive(0.5, 2.0), num_noise=4),
        MaximumLikelihood(),
    )


__all__: Sequence[str] = (
    "BaseObjective",
    "CNCE",
    "DenoisingScoreMatching",
    "FiniteDifferenceObjective",
    "Invariance",
    "MaximumLikelihood",
    "NCE",
    "NotApplicable",
    "Objective",
    "REQUIRED_MEMBERS",
    "Reference",
    "ScoreMatching",
    "built_in_objectives",
    "central_difference",
    "reference",
    "scale_of_f",
    "scaled_model",
)
