"""Fuzz the public Python API with generated garbage (Hypothesis).

Each entry of :data:`TABLE` is a valid call (a callable and its arguments by keyword). The test
replaces *one* argument by garbage — NaN, ±inf, a wrong shape or rank, an empty array, a
string, None, a list of strings, a bool, a complex number, an integer beyond int64 or float64, or
a corrupted copy of the valid value (one entry NaN/inf, an extra axis, an extra column, complex,
as strings) — and asserts the contract of every public entry point:

- the call returns, and every array in the result is finite; or
- it raises ``TypeError``/``ValueError`` whose message names the replaced argument (as a word).

Never another exception type (``AttributeError``, ``OverflowError``, a ``RuntimeWarning`` turned
error by pyproject's filterwarnings), never a NaN result. Derandomized when ``$CI`` is set, like
the profiles of ``tests/conftest.py``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebmcheck.checks import properties
from ebmcheck.theory import asymptotics, backend, cnce, expectations, models, noise, objectives, quadrature, samplers, toy

EXAMPLES = 50  # per table entry; the whole file stays well under 20 s


@dataclass(frozen=True)
class Entry:
    """A valid call ``func(**args)``; ``skip`` names garbage kinds that are valid for an argument."""

    id: str
    func: Callable
    args: dict[str, Any]
    marks: tuple = ()
    fuzz: tuple[str, ...] | None = None  # the arguments to fuzz (default: all)
    valid_none: tuple[str, ...] = field(default=())  # arguments for which None is a valid value


# ---- valid objects the calls use ------------------------------------------------------------------
G1, G2, QUARTIC = models.gaussian(1), models.gaussian(2), models.quartic()
THETA1 = G1.pack([0.0], [[1.0]])
THETA2 = G2.pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])
THETA_Q = np.array([0.5, -1.0, 1.0])
X1 = np.linspace(-1.0, 1.0, 4)[:, None]
X2 = np.stack([np.linspace(-1, 1, 4), np.linspace(0, 2, 4)], axis=-1)
SIGMA = np.array([[2.0, 0.3], [0.3, 1.0]])
LOCAL = noise.LocalGaussian(0.5)
KDE = noise.KDE(0.5, [-1.0, 0.0, 1.0])
ORACLE = noise.Oracle(G1, THETA1)
MIXTURE = noise.Mixture(noise.LocalGaussian(1.0), KDE, 0.5)
AR1 = noise.Autoregressive(0.5, 2.0)
GAUSSIAN = noise.Gaussian([0.5], [[2.0]])
LOGISTIC = noise.Logistic(0.5, 1.0)
Y1 = X1[:, None, :] + 0.1 * np.arange(1, 3)[None, :, None]  # (4, 2, 1): K = 2 noise points each
TOY = toy.ToyModel(-2.0, 2.0)
FAMILY = properties.family("gaussian-1d", lambda: G1, [(0.0, 1.0)])


def _rng():
    return np.random.default_rng(0)


def _state():
    return samplers.langevin_init(X1[:3], G1, THETA1)


class LossOnly(objectives.FiniteDifferenceObjective):
    name = "fuzz-loss-only"

    def losses(self, model, params, batch):
        return objectives.ScoreMatching().losses(model, params, batch)


class RequiredOnly:
    name = "fuzz-required-only"
    _inner = objectives.ScoreMatching()

    def losses(self, model, params, batch):
        return self._inner.losses(model, params, batch)

    def gradients(self, model, params, batch):
        return self._inner.gradients(model, params, batch)

    def hessians(self, model, params, batch):
        return self._inner.hessians(model, params, batch)


def _log_density(x):
    return -0.5 * x[:, 0] ** 2


def _square(x):
    return x[:, 0] ** 2


TABLE: list[Entry] = [
    # ---- theory.models --------------------------------------------------------------------------
    Entry("gaussian", models.gaussian, {"dim": 2}),
    Entry("two_mode_mixture", models.two_mode_mixture, {"a": -2.0, "b": 2.0}),
    Entry("Model", models.Model, {"name": "m", "x": sp.symbols("x1:2"), "theta": sp.symbols("t1:2"),
                                  "log_f": -sp.Symbol("t1") * sp.Symbol("x1") ** 2}),
    Entry("pack", G2.pack, {"mean": [0.5, -1.0], "precision": [[2.0, 0.6], [0.6, 1.0]]}),
    Entry("unpack", G2.unpack, {"theta": THETA2}),
    Entry("validate", G2.validate, {"theta": THETA2}),
    Entry("sample", G2.sample, {"theta": THETA2, "num_samples": 5, "rng": _rng()}),
    Entry("quartic.sample", QUARTIC.sample, {"theta": THETA_Q, "num_samples": 5, "rng": _rng()}),
    Entry("log_f", G2.log_f, {"x": X2, "theta": THETA2}),
    Entry("score", G2.score, {"x": X2, "theta": THETA2}),
    Entry("laplacian", G2.laplacian, {"x": X2, "theta": THETA2}),
    Entry("grad_theta", G2.grad_theta, {"x": X2, "theta": THETA2}),
    Entry("hess_theta", G2.hess_theta, {"x": X2, "theta": THETA2}),
    Entry("score_jacobian_theta", G2.score_jacobian_theta, {"x": X2, "theta": THETA2}),
    Entry("laplacian_grad_theta", QUARTIC.laplacian_grad_theta, {"x": X1, "theta": THETA_Q}),
    Entry("log_normalizer", G1.log_normalizer, {"theta": THETA1}),
    Entry("log_density", G1.log_density, {"x": X1, "theta": THETA1}),
    # ---- theory.samplers ------------------------------------------------------------------------
    Entry("ula_stationary_covariance", samplers.ula_stationary_covariance, {"Sigma": SIGMA, "h": 0.3, "temperature": 1.0}),
    Entry("ula_law_at_step", samplers.ula_law_at_step,
          {"Sigma": SIGMA, "h": 0.3, "k": 3, "mean0": [1.0, 0.0], "cov0": np.eye(2), "mu": [0.0, 0.5], "temperature": 0.5},
          valid_none=("mu",)),
    Entry("stable_step_size_bound", samplers.stable_step_size_bound, {"Sigma": SIGMA}),
    Entry("langevin_init", samplers.langevin_init, {"position": X1[:3], "model": G1, "theta": THETA1}),
    Entry("langevin_move", samplers.langevin_move,
          {"state": _state(), "noise": np.ones((3, 1)), "step_size": 0.1, "temperature": 1.0}),
    Entry("proposal_log_density", samplers.proposal_log_density,
          {"x_to": X1, "x_from": X1[::-1], "score_from": -X1, "step_size": 0.1}),
    Entry("langevin_step", samplers.langevin_step,
          {"state": _state(), "model": G1, "theta": THETA1, "step_size": 0.1, "increment": np.ones((3, 1))}),
    Entry("ula_kernel", samplers.ula_kernel,
          {"rng": _rng(), "state": _state(), "model": G1, "theta": THETA1, "step_size": 0.1, "temperature": 1.0}),
    Entry("mala_kernel", samplers.mala_kernel,
          {"rng": _rng(), "state": _state(), "model": G1, "theta": THETA1, "step_size": 0.1}),
    # ---- theory.noise ---------------------------------------------------------------------------
    Entry("LocalGaussian", noise.LocalGaussian, {"eps": 0.5}),
    Entry("LocalGaussian.sample", LOCAL.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("LocalGaussian.log_density", LOCAL.log_density, {"y": Y1, "x": X1[:, None, :]}),
    Entry("LocalGaussian.quadrature_rule", LOCAL.quadrature_rule, {"x_nodes": X1[:, 0], "level": 1}),
    Entry("Oracle", noise.Oracle, {"model": G1, "theta": THETA1}, valid_none=()),
    Entry("Oracle.sample", ORACLE.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("Oracle.log_density", ORACLE.log_density, {"y": Y1, "x": X1[:, None, :]}, valid_none=("x",)),
    Entry("KDE", noise.KDE, {"bandwidth": 0.5, "centres": [[-1.0], [0.0], [1.0]]}),
    Entry("KDE.sample", KDE.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("KDE.log_density", KDE.log_density, {"y": Y1, "x": X1[:, None, :]}, valid_none=("x",)),
    Entry("Mixture", noise.Mixture, {"a": LOCAL, "b": KDE, "weight": 0.3}),
    Entry("Mixture.sample", MIXTURE.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("Mixture.log_density", MIXTURE.log_density, {"y": Y1, "x": X1[:, None, :]}),
    Entry("Autoregressive", noise.Autoregressive, {"rho": 0.5, "scale": 2.0}),
    Entry("Autoregressive.sample", AR1.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("Autoregressive.log_density", AR1.log_density, {"y": Y1, "x": X1[:, None, :]}),
    Entry("Gaussian", noise.Gaussian, {"mean": [0.5], "covariance": [[2.0]]}),
    Entry("Gaussian.sample", GAUSSIAN.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("Gaussian.log_density", GAUSSIAN.log_density, {"y": Y1, "x": X1[:, None, :]}, valid_none=("x",)),
    Entry("Gaussian.quadrature_rule", GAUSSIAN.quadrature_rule, {"x_nodes": X1[:, 0], "level": 1}),
    Entry("Logistic", noise.Logistic, {"loc": 0.5, "scale": 1.0}),
    Entry("Logistic.sample", LOGISTIC.sample, {"x": X1, "K": 2, "rng": _rng()}),
    Entry("Logistic.log_density", LOGISTIC.log_density, {"y": Y1, "x": X1[:, None, :]}, valid_none=("x",)),
    Entry("Logistic.quadrature_rule", LOGISTIC.quadrature_rule, {"x_nodes": X1[:, 0], "level": 0}),
    Entry("MatchedGaussian", noise.MatchedGaussian, {"scale": 1.5}),
    Entry("MatchedGaussian.bind", noise.MatchedGaussian(1.5).bind, {"model": G1, "theta": THETA1}),
    Entry("data_moments", noise.data_moments, {"model": G1, "theta": THETA1}),
    # ---- theory.objectives ----------------------------------------------------------------------
    Entry("DenoisingScoreMatching", objectives.DenoisingScoreMatching, {"sigma": 0.5}),
    Entry("NCE", objectives.NCE, {"num_noise": 2, "noise": noise.MatchedGaussian(1.5)}, valid_none=("noise",)),
    Entry("CNCE", objectives.CNCE, {"noise": LOCAL, "num_noise": 3}, valid_none=("noise",)),
    Entry("reference", objectives.reference, {"model": G1, "theta": THETA1}),
    Entry("scaled_model", objectives.scaled_model, {"model": G1, "log_kappa": 0.5}),
    Entry("FiniteDifferenceObjective.gradients", LossOnly().gradients,
          {"model": G1, "params": np.tile(THETA1, (2, 1)), "batch": {"x": np.zeros((2, 3, 1))}}),
    Entry("FiniteDifferenceObjective.hessians", LossOnly().hessians,
          {"model": G1, "params": np.tile(THETA1, (2, 1)), "batch": {"x": np.zeros((2, 3, 1))}}),
    # ---- theory.quadrature / theory.expectations / theory.backend ------------------------------
    Entry("gauss_legendre", quadrature.gauss_legendre, {"lo": -1.0, "hi": 2.0, "panels": 3, "order": 4}),
    Entry("expect", quadrature.expect,
          {"log_density": _log_density, "func": _square, "lo": -8.0, "hi": 8.0, "panels": 20, "order": 8,
           "magnitude": _square}, valid_none=("magnitude",)),
    Entry("support_interval", quadrature.support_interval, {"model": G1, "theta": THETA1, "tail": 40.0}),
    Entry("expect_model", quadrature.expect_model, {"model": G1, "theta": THETA1, "func": _square, "panels": 20, "order": 8}),
    Entry("log_normalizer_1d", quadrature.log_normalizer_1d, {"model": QUARTIC, "theta": THETA_Q, "panels": 20, "order": 8}),
    Entry("QuadraturePopulation", expectations.QuadraturePopulation,
          {"log_density": _log_density, "score": lambda x: -x, "lo": -8.0, "hi": 8.0}),
    Entry("QuadraturePopulation.expect", expectations.QuadraturePopulation(_log_density, lambda x: -x, -8.0, 8.0).expect,
          {"func": _square, "magnitude": _square}, valid_none=("magnitude",)),
    Entry("QuadraturePopulation.density", expectations.QuadraturePopulation(_log_density, lambda x: -x, -8.0, 8.0).density,
          {"x": X1}),
    Entry("SamplePopulation", expectations.SamplePopulation, {"x": X2, "score": lambda x: -x}),
    Entry("SamplePopulation.expect", expectations.SamplePopulation(X2, lambda x: -x).expect, {"func": _square}),
    Entry("model_population", expectations.model_population, {"model": G2, "theta": THETA2, "num_samples": 20, "rng": _rng()}),
    Entry("get_backend", backend.get_backend, {"name": "numpy"}),
    Entry("derive_seed", lambda root_seed, key: backend.derive_seed(root_seed, key), {"root_seed": 7, "key": "claim"}),
    Entry("default_rng", backend.default_rng, {"seed": 3, "xp": np}),
    Entry("standard_normal", backend.standard_normal, {"rng": _rng(), "shape": (3, 2), "xp": np}),
    Entry("normal", backend.normal, {"rng": _rng(), "shape": (3, 2), "xp": np, "loc": 1.0, "scale": 2.0}),
    Entry("uniform", backend.uniform, {"rng": _rng(), "shape": (3, 2), "xp": np, "low": -1.0, "high": 2.0}),
    Entry("child_seeds", backend.child_seeds, {"rng": _rng(), "n": 2}),
    Entry("spawn", backend.spawn, {"rng": _rng(), "n": 2, "xp": np}),
    # ---- checks.properties ----------------------------------------------------------------------
    Entry("check_objective", properties.check_objective,
          {"objective": RequiredOnly(), "models": (FAMILY,), "profile": "quick", "seed": 3, "properties": (),
           "efficiency_bound": 1.5}, valid_none=("models", "seed", "efficiency_bound")),
    Entry("run_property", properties.run_property,
          {"objective": RequiredOnly(), "prop": "invariances", "models": (FAMILY,), "profile": "quick", "seed": 3,
           "max_examples": 1}, valid_none=("models", "seed", "max_examples")),
    Entry("family", properties.family, {"name": "g1", "build": lambda: G1, "thetas": [(0.0, 1.0), (1.0, 2.0)]}),
    # ---- theory.asymptotics, theory.toy, theory.cnce ----------------------------------------------
    Entry("cnce_covariance", asymptotics.cnce_covariance, {"model": G1, "theta": THETA1, "noise": LOCAL, "K": 2}),
    Entry("fisher_information", asymptotics.fisher_information, {"model": G1, "theta": THETA1}),
    Entry("sandwich_covariance", asymptotics.sandwich_covariance,
          {"unit_gradients": np.stack([X1[:, 0], X1[:, 0] ** 2], -1), "unit_hessians": np.tile(np.eye(2), (4, 1, 1)),
           "weights": np.full(4, 0.25)}, valid_none=("weights",)),
    Entry("efficiency", asymptotics.efficiency, {"covariance": SIGMA, "fisher": np.eye(2)}),
    Entry("ToyModel", toy.ToyModel, {"a": -2.0, "b": 2.0, "panels": 40, "order": 8}),
    Entry("ToyModel.ml_flow", TOY.ml_flow, {"theta": [0.0, 1.0], "theta_star": 0.5}),
    Entry("nce_fixed_point", toy.nce_fixed_point, {"theta_star": 0.0, "mu": 1.0, "a": -2.0, "b": 2.0}),
    Entry("cnce.loss", cnce.loss, {"model": G1, "theta": THETA1, "x": X1, "y": Y1, "noise": LOCAL}),
]


# ---- garbage -------------------------------------------------------------------------------------
GENERIC: list[Any] = [
    math.nan, math.inf, -math.inf, None, "abc", "", ["a", "b"], True, False, 1 + 2j, 2**64, 10**400, -(10**400),
    np.array([]), np.zeros((0, 2)), np.zeros((2, 3, 4, 5)), object(), {"a": 1},
]


def _derived(value) -> list[Any]:
    """Corrupted copies of a valid numeric value: one entry NaN/±inf, extra axis, extra column,
    wrong rank, empty of the same rank, complex, as strings."""
    if isinstance(value, (bool, str, dict)) or value is None:
        return []
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        return []
    if array.size == 0:
        return []
    out = []
    for bad in (math.nan, math.inf, -math.inf):
        corrupted = array.copy()
        corrupted.reshape(-1)[0] = bad
        out.append(corrupted if array.ndim else float(corrupted))
    out += [array[None], array[..., None], np.zeros(array.shape[:-1] + (array.shape[-1] + 1,)) if array.ndim else [value, value],
            np.zeros((0,) * max(array.ndim, 1)), array + 1j, array.astype(str).tolist()]
    if array.ndim:
        out.append(array.reshape(-1)[0])  # a scalar where an array is expected
    return out


def _garbage(entry: Entry, name: str) -> list[Any]:
    values = GENERIC + _derived(entry.args[name])
    if name in entry.valid_none:
        values = [v for v in values if v is not None]
    return values


def _assert_finite(result, path="result"):
    if isinstance(result, (np.ndarray, np.generic, float, int)) and not isinstance(result, bool):
        array = np.asarray(result)
        if np.issubdtype(array.dtype, np.number):
            assert np.all(np.isfinite(array)), f"{path} is not finite: {result!r}"
    elif isinstance(result, dict):
        for key, value in result.items():
            _assert_finite(value, f"{path}[{key!r}]")
    elif isinstance(result, (tuple, list)):
        for i, value in enumerate(result):
            _assert_finite(value, f"{path}[{i}]")
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        for f in dataclasses.fields(result):
            _assert_finite(getattr(result, f.name), f"{path}.{f.name}")


def _params():
    return [pytest.param(entry, id=entry.id, marks=entry.marks) for entry in TABLE]


@pytest.mark.parametrize("entry", _params())
@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")), database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_garbage_is_refused_by_name_or_gives_a_finite_result(entry, data):
    names = entry.fuzz or tuple(entry.args)
    name = data.draw(st.sampled_from(names), label="argument")
    garbage = data.draw(st.sampled_from(_garbage(entry, name)), label="garbage")
    args = dict(entry.args)
    args[name] = garbage
    try:
        result = entry.func(**args)
    except (TypeError, ValueError) as error:
        assert re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", str(error)), (
            f"{entry.id}({name}={garbage!r:.60}) raised {type(error).__name__} without naming {name!r}: {error}"
        )
    else:
        _assert_finite(result)


def test_every_valid_call_succeeds_with_a_finite_result():
    """The table's calls are valid, so the fuzz test starts from calls that work."""
    for entry in TABLE:
        if entry.marks:
            continue
        _assert_finite(entry.func(**entry.args), entry.id)
