"""Every public entry point refuses a bad argument with a TypeError/ValueError that names it.

One case per bad input (issue: "Python API: pack(mean=[nan, 0]) silently returns NaN
parameters; ... Validate at every public entry point"). Each case states the exception type and
a pattern the message must contain: the argument's name (as a whole word), and where the old
message was misleading (a string step size reported as "outside (0, 2·λ_min)"), what it must say.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from ebmcheck.checks import properties
from ebmcheck.theory import backend, expectations, models, noise, objectives, quadrature, samplers

RNG = np.random.default_rng(0)
G1 = models.gaussian(1)
G2 = models.gaussian(2)
THETA1 = G1.pack([0.0], [[1.0]])
THETA2 = G2.pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])
X2 = np.zeros((4, 2))
I2 = np.eye(2)
STATE1 = samplers.langevin_init(np.zeros((3, 1)), G1, THETA1)
NOT_SPD = np.array([0.0, 0.0, 1.0, 2.0, 1.0])  # precision [[1, 2], [2, 1]]


class _LossOnly(objectives.FiniteDifferenceObjective):
    name = "loss-only"

    def losses(self, model, params, batch):
        return objectives.ScoreMatching().losses(model, params, batch)


class _RequiredMembersOnly:
    """The protocol's required members only: no supports, true_params, draw, param_names."""

    name = "required-members-only"

    def __init__(self):
        self._inner = objectives.ScoreMatching()

    def losses(self, model, params, batch):
        return self._inner.losses(model, params, batch)

    def gradients(self, model, params, batch):
        return self._inner.gradients(model, params, batch)

    def hessians(self, model, params, batch):
        return self._inner.hessians(model, params, batch)


class _BadSupports(_RequiredMembersOnly):
    name = "bad-supports"

    def supports(self, model):
        return False  # neither None nor a reason


def _family():
    return properties.family("gaussian-1d", lambda: G1, [(0.0, 1.0)])


def _log_density(x):
    return -0.5 * x[:, 0] ** 2


# (id, call, exception type, pattern the message must contain)
CASES = [
    # ---- theory.models -----------------------------------------------------------------------
    ("pack-mean-nan", lambda: G2.pack(mean=[np.nan, 0.0], precision=I2), ValueError, r"\bmean must be finite"),
    ("pack-mean-inf", lambda: G2.pack(mean=[np.inf, 0.0], precision=I2), ValueError, r"\bmean must be finite"),
    ("pack-precision-nan", lambda: G2.pack(mean=[0.0, 0.0], precision=[[np.nan, 0.0], [0.0, 1.0]]), ValueError,
     r"\bprecision must be finite"),
    ("pack-mean-string", lambda: G2.pack(mean="ab", precision=I2), TypeError, r"\bmean\b"),
    ("pack-precision-string", lambda: G2.pack(mean=[0.0, 0.0], precision="ab"), TypeError, r"\bprecision\b"),
    ("pack-precision-complex", lambda: G2.pack(mean=[0.0, 0.0], precision=I2 * 1j), TypeError, r"\bprecision\b"),
    ("sample-rng-none", lambda: G1.sample(THETA1, 3, None), TypeError, r"\brng\b"),
    ("sample-num-samples-string", lambda: G1.sample(THETA1, "3", RNG), TypeError, r"\bnum_samples\b"),
    ("sample-num-samples-float", lambda: G1.sample(THETA1, 2.5, RNG), TypeError, r"\bnum_samples\b"),
    ("sample-num-samples-huge", lambda: G1.sample(THETA1, 2**64, RNG), ValueError, r"\bnum_samples\b"),
    ("sample-theta-nan", lambda: G1.sample([np.nan, 1.0], 3, RNG), ValueError, r"\btheta\b"),
    ("validate-theta-string", lambda: G1.validate("ab"), TypeError, r"\btheta\b"),
    ("validate-domain-names-theta", lambda: G2.validate(NOT_SPD), ValueError, r"\btheta\b.*positive definite"),
    ("score-x-nan", lambda: G2.score([[np.nan, 0.0]], THETA2), ValueError, r"\bx must be finite"),
    ("score-x-string", lambda: G2.score("ab", THETA2), TypeError, r"\bx\b"),
    ("score-x-none", lambda: G2.score(None, THETA2), TypeError, r"\bx\b"),
    ("score-theta-inf", lambda: G2.score(X2, np.where(np.arange(5) == 0, np.inf, THETA2)), ValueError,
     r"\btheta must be finite"),
    ("score-theta-list-of-strings", lambda: G2.score(X2, ["a"] * 5), TypeError, r"\btheta\b"),
    ("score-x-theta-batch-mismatch", lambda: G2.score(np.zeros((4, 2)), np.tile(THETA2, (3, 1))), ValueError,
     r"\bx\b.*\btheta\b"),
    ("laplacian-x-nan", lambda: G2.laplacian([[0.0, np.nan]], THETA2), ValueError, r"\bx must be finite"),
    ("grad_theta-x-inf", lambda: G2.grad_theta([[0.0, np.inf]], THETA2), ValueError, r"\bx must be finite"),
    ("hess_theta-theta-nan", lambda: G2.hess_theta(X2, np.full(5, np.nan)), ValueError, r"\btheta must be finite"),
    ("score_jacobian_theta-x-nan", lambda: G2.score_jacobian_theta([[np.nan, 0.0]], THETA2), ValueError,
     r"\bx must be finite"),
    ("log_f-x-complex", lambda: G2.log_f(X2 + 1j, THETA2), TypeError, r"\bx\b"),
    ("gaussian-dim-float", lambda: models.gaussian(2.0), TypeError, r"\bdim\b"),
    ("gaussian-dim-string", lambda: models.gaussian("2"), TypeError, r"\bdim\b"),
    ("gaussian-dim-zero", lambda: models.gaussian(0), ValueError, r"\bdim\b"),
    ("two-mode-a-not-below-b", lambda: models.two_mode_mixture(5, -5), ValueError, r"\ba must be < b"),
    ("two-mode-a-nan", lambda: models.two_mode_mixture(np.nan, 1.0), ValueError, r"\ba must be finite"),
    ("two-mode-b-string", lambda: models.two_mode_mixture(-1.0, "b"), TypeError, r"\bb\b"),
    ("model-log-f-string", lambda: models.Model("m", sp.symbols("x1:2"), sp.symbols("t1:2"), "x1*t1"), TypeError,
     r"\blog_f\b"),
    ("model-theta-not-symbols", lambda: models.Model("m", sp.symbols("x1:2"), [1.0], sp.Symbol("x1")), TypeError,
     r"\btheta\b"),
    # ---- theory.samplers -----------------------------------------------------------------------
    ("ula-covariance-h-string", lambda: samplers.ula_stationary_covariance(I2, "abc"), TypeError,
     r"\bh must be a real number"),
    ("ula-covariance-h-nan", lambda: samplers.ula_stationary_covariance(I2, np.nan), ValueError, r"\bh must be finite"),
    ("ula-covariance-sigma-string", lambda: samplers.ula_stationary_covariance("abc", 0.1), TypeError, r"\bSigma\b"),
    ("ula-covariance-temperature-string", lambda: samplers.ula_stationary_covariance(I2, 0.1, "hot"), TypeError,
     r"\btemperature\b"),
    ("ula-covariance-temperature-inf", lambda: samplers.ula_stationary_covariance(I2, 0.1, np.inf), ValueError,
     r"\btemperature\b"),
    ("ula-law-k-float", lambda: samplers.ula_law_at_step(I2, 0.1, 2.5, [0.0, 0.0], I2), TypeError, r"\bk\b"),
    ("ula-law-h-string", lambda: samplers.ula_law_at_step(I2, "abc", 2, [0.0, 0.0], I2), TypeError, r"\bh\b"),
    ("ula-law-mean0-nan", lambda: samplers.ula_law_at_step(I2, 0.1, 2, [np.nan, 0.0], I2), ValueError,
     r"\bmean0 must be finite"),
    ("ula-law-cov0-string", lambda: samplers.ula_law_at_step(I2, 0.1, 2, [0.0, 0.0], "abc"), TypeError, r"\bcov0\b"),
    ("ula-law-mu-inf", lambda: samplers.ula_law_at_step(I2, 0.1, 2, [0.0, 0.0], I2, mu=[np.inf, 0.0]), ValueError,
     r"\bmu must be finite"),
    ("ula-law-temperature-negative", lambda: samplers.ula_law_at_step(I2, 0.1, 2, [0.0, 0.0], I2, temperature=-1.0),
     ValueError, r"\btemperature\b"),
    ("stable-bound-sigma-string", lambda: samplers.stable_step_size_bound("abc"), TypeError, r"\bSigma\b"),
    ("langevin-init-position-nan", lambda: samplers.langevin_init(np.full((3, 1), np.nan), G1, THETA1), ValueError,
     r"\bposition must be finite"),
    ("langevin-init-position-string", lambda: samplers.langevin_init("abc", G1, THETA1), TypeError, r"\bposition\b"),
    ("langevin-init-theta-domain", lambda: samplers.langevin_init(X2, G2, NOT_SPD), ValueError, r"\btheta\b"),
    ("langevin-init-model-class", lambda: samplers.langevin_init(np.zeros((3, 1)), models.Model, THETA1), TypeError,
     r"\bmodel\b"),
    ("ula-kernel-rng-none", lambda: samplers.ula_kernel(None, STATE1, G1, THETA1, 0.1), TypeError, r"\brng\b"),
    ("ula-kernel-step-size-string", lambda: samplers.ula_kernel(RNG, STATE1, G1, THETA1, "0.1"), TypeError,
     r"\bstep_size\b"),
    ("ula-kernel-step-size-bool", lambda: samplers.ula_kernel(RNG, STATE1, G1, THETA1, True), TypeError,
     r"\bstep_size\b"),
    ("ula-kernel-state-tuple", lambda: samplers.ula_kernel(RNG, (1, 2), G1, THETA1, 0.1), TypeError, r"\bstate\b"),
    ("ula-kernel-temperature-string", lambda: samplers.ula_kernel(RNG, STATE1, G1, THETA1, 0.1, temperature="x"),
     TypeError, r"\btemperature\b"),
    ("mala-kernel-rng-none", lambda: samplers.mala_kernel(None, STATE1, G1, THETA1, 0.1), TypeError, r"\brng\b"),
    ("mala-kernel-step-size-string", lambda: samplers.mala_kernel(RNG, STATE1, G1, THETA1, "0.1"), TypeError,
     r"\bstep_size\b"),
    # ---- theory.noise --------------------------------------------------------------------------
    ("local-eps-string", lambda: noise.LocalGaussian("x"), TypeError, r"\beps\b"),
    ("local-eps-bool", lambda: noise.LocalGaussian(True), TypeError, r"\beps\b"),
    ("local-sample-rng-none", lambda: noise.LocalGaussian(1.0).sample(np.zeros((3, 1)), 2, None), TypeError,
     r"\brng\b"),
    ("local-sample-K-float", lambda: noise.LocalGaussian(1.0).sample(np.zeros((3, 1)), 2.0, RNG), TypeError, r"\bK\b"),
    ("local-sample-K-huge", lambda: noise.LocalGaussian(1.0).sample(np.zeros((3, 1)), 10**30, RNG), ValueError,
     r"\bK\b"),
    ("local-sample-x-string", lambda: noise.LocalGaussian(1.0).sample("ab", 2, RNG), TypeError, r"\bx\b"),
    ("local-sample-x-nan", lambda: noise.LocalGaussian(1.0).sample([[np.nan]], 2, RNG), ValueError,
     r"\bx must be finite"),
    ("local-log-density-y-nan", lambda: noise.LocalGaussian(1.0).log_density([[np.nan]], [[0.0]]), ValueError,
     r"\by must be finite"),
    ("local-log-density-dims-differ", lambda: noise.LocalGaussian(1.0).log_density(np.zeros((3, 2)), np.zeros((3, 1))),
     ValueError, r"\by and x\b"),
    ("kde-bandwidth-string", lambda: noise.KDE("x", [0.0, 1.0]), TypeError, r"\bbandwidth\b"),
    ("kde-centres-string", lambda: noise.KDE(0.5, "ab"), TypeError, r"\bcentres\b"),
    ("kde-log-density-y-wrong-d", lambda: noise.KDE(0.5, [0.0, 1.0]).log_density(np.zeros((3, 2)), np.zeros((3, 2))),
     ValueError, r"\by must have trailing dimension d=1"),
    ("kde-sample-rng-none", lambda: noise.KDE(0.5, [0.0, 1.0]).sample(np.zeros((3, 1)), 1, None), TypeError,
     r"\brng\b"),
    ("mixture-a-string", lambda: noise.Mixture("local", noise.LocalGaussian(1.0), 0.5), TypeError, r"\ba\b"),
    ("mixture-b-class", lambda: noise.Mixture(noise.LocalGaussian(1.0), noise.LocalGaussian, 0.5), TypeError, r"\bb\b"),
    ("mixture-weight-string", lambda: noise.Mixture(noise.LocalGaussian(1.0), noise.LocalGaussian(2.0), "half"),
     TypeError, r"\bweight\b"),
    ("oracle-model-class", lambda: noise.Oracle(models.Model, [1.0]), TypeError, r"\bmodel\b"),
    ("oracle-sample-rng-none", lambda: noise.Oracle(G1, THETA1).sample(np.zeros((3, 1)), 1, None), TypeError,
     r"\brng\b"),
    ("autoregressive-rho-string", lambda: noise.Autoregressive("x"), TypeError, r"\brho\b"),
    ("gaussian-mean-string", lambda: noise.Gaussian("x", [[1.0]]), TypeError, r"\bmean\b"),
    ("gaussian-covariance-not-positive-definite", lambda: noise.Gaussian([0.0], [[-1.0]]), ValueError, r"\bcovariance\b"),
    ("gaussian-covariance-wrong-size", lambda: noise.Gaussian([0.0, 1.0], [[1.0]]), ValueError, r"\bcovariance\b"),
    ("logistic-scale-zero", lambda: noise.Logistic(0.0, 0.0), ValueError, r"\bscale\b"),
    ("logistic-loc-string", lambda: noise.Logistic("x"), TypeError, r"\bloc\b"),
    ("matched-gaussian-scale-string", lambda: noise.MatchedGaussian("x"), TypeError, r"\bscale\b"),
    ("matched-gaussian-unbound", lambda: noise.MatchedGaussian().log_density(np.zeros((3, 1))), ValueError, r"\bunbound\b"),
    ("mixture-conditional-without-x", lambda: noise.Mixture(noise.LocalGaussian(1.0), noise.Gaussian([0.0], [[1.0]]), 0.5)
     .log_density(np.zeros((3, 1))), ValueError, r"^x is required"),
    # ---- theory.objectives ---------------------------------------------------------------------
    ("dsm-sigma-string", lambda: objectives.DenoisingScoreMatching("x"), TypeError, r"\bsigma\b"),
    ("nce-num-noise-float", lambda: objectives.NCE(num_noise=2.5), TypeError, r"\bnum_noise\b"),
    ("nce-num-noise-string", lambda: objectives.NCE(num_noise="3"), TypeError, r"\bnum_noise\b"),
    ("nce-noise-string", lambda: objectives.NCE(noise="gauss"), TypeError, r"\bnoise\b"),
    ("cnce-noise-class", lambda: objectives.CNCE(noise.LocalGaussian), ValueError, r"\bnoise\b.*instance"),
    ("cnce-num-noise-bool", lambda: objectives.CNCE(num_noise=True), TypeError, r"\bnum_noise\b"),
    ("nce-noise-conditional", lambda: objectives.NCE(noise=noise.LocalGaussian(1.0)), TypeError, r"\bnoise\b.*unconditional"),
    ("reference-model-class", lambda: objectives.reference(models.GaussianModel, THETA1), TypeError, r"\bmodel\b"),
    ("finite-difference-params-nan",
     lambda: _LossOnly().gradients(G1, np.full((1, 2), np.nan), {"x": np.zeros((1, 3, 1))}), ValueError,
     r"\bparams must be finite"),
    ("finite-difference-batch-list", lambda: _LossOnly().gradients(G1, THETA1[None], [np.zeros((1, 3, 1))]),
     TypeError, r"\bbatch\b"),
    ("scaled-model-log-kappa-list", lambda: objectives.scaled_model(G1, [1.0]), TypeError, r"\blog_kappa\b"),
    # ---- theory.quadrature / theory.expectations / theory.backend -----------------------------
    ("gauss-legendre-lo-string", lambda: quadrature.gauss_legendre("a", 1.0, 10, 4), TypeError, r"\blo\b"),
    ("gauss-legendre-panels-zero", lambda: quadrature.gauss_legendre(0.0, 1.0, 0, 4), ValueError, r"\bpanels\b"),
    ("gauss-legendre-hi-nan", lambda: quadrature.gauss_legendre(0.0, np.nan, 10, 4), ValueError,
     r"\bhi must be finite"),
    ("expect-log-density-none", lambda: quadrature.expect(None, _log_density, -1.0, 1.0), TypeError,
     r"\blog_density\b"),
    ("expect-func-nan", lambda: quadrature.expect(_log_density, lambda x: np.full(len(x), np.nan), -1.0, 1.0),
     ValueError, r"\bfunc\b"),
    ("support-interval-tail-negative", lambda: quadrature.support_interval(G1, THETA1, tail=-1.0), ValueError,
     r"\btail\b"),
    ("log-normalizer-panels-string", lambda: quadrature.log_normalizer_1d(G1, THETA1, panels="x"), TypeError,
     r"\bpanels\b"),
    ("expect-model-theta-string", lambda: quadrature.expect_model(G1, "ab", lambda x: x[:, 0]), TypeError,
     r"\btheta\b"),
    ("sample-population-x-nan", lambda: expectations.SamplePopulation(np.full((3, 1), np.nan), lambda x: x),
     ValueError, r"\bx must be finite"),
    ("sample-population-score-none", lambda: expectations.SamplePopulation(np.zeros((3, 1)), None), TypeError,
     r"\bscore\b"),
    ("sample-population-func-nan",
     lambda: expectations.SamplePopulation(np.zeros((3, 1)), lambda x: x).expect(lambda x: np.full(3, np.nan)),
     ValueError, r"\bfunc\b"),
    ("quadrature-population-lo-above-hi",
     lambda: expectations.QuadraturePopulation(_log_density, lambda x: -x, 1.0, 0.0), ValueError, r"\blo < hi"),
    ("model-population-rng-string", lambda: expectations.model_population(G2, THETA2, num_samples=10, rng="seed"),
     TypeError, r"\brng\b"),
    ("get-backend-name-int", lambda: backend.get_backend(3), ValueError, r"\bname\b"),
    ("derive-seed-root-seed-string", lambda: backend.derive_seed("1", "claim"), TypeError, r"\broot_seed\b"),
    ("derive-seed-key-int", lambda: backend.derive_seed(1, 2), TypeError, r"\bkey\b"),
    # ---- checks.properties.check_objective -----------------------------------------------------
    ("check-objective-not-an-objective", lambda: properties.check_objective(object()), TypeError,
     r"Objective protocol.*lacks: name.*losses, gradients, hessians"),
    ("check-objective-class", lambda: properties.check_objective(objectives.ScoreMatching), TypeError,
     re.escape("pass an instance, e.g. ScoreMatching()")),
    ("check-objective-loss-not-implemented", lambda: properties.check_objective(objectives.FiniteDifferenceObjective()),
     TypeError, r"lacks: losses"),
    ("check-objective-models-empty", lambda: properties.check_objective(objectives.ScoreMatching(), models=[]),
     ValueError, r"\bmodels\b"),
    ("check-objective-models-single-family",
     lambda: properties.check_objective(objectives.ScoreMatching(), models=_family()), ValueError, r"\bmodels\b"),
    ("check-objective-profile-list", lambda: properties.check_objective(objectives.ScoreMatching(), profile=["quick"]),
     ValueError, r"\bprofile\b"),
    ("check-objective-seed-float", lambda: properties.check_objective(objectives.ScoreMatching(), seed=1.5), TypeError,
     r"\bseed\b"),
    ("check-objective-seed-string", lambda: properties.check_objective(objectives.ScoreMatching(), seed="abc"),
     TypeError, r"\bseed\b"),
    ("check-objective-supports-not-a-reason",
     lambda: properties.run_property(_BadSupports(), "unbiased-gradient", models=(_family(),)), TypeError,
     r"\bsupports\b"),
    ("family-build-not-callable", lambda: properties.family("g", G1, [(0.0, 1.0)]), TypeError, r"\bbuild\b"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_argument_is_refused_by_name(call, error, pattern):
    with pytest.raises(error) as caught:
        call()
    assert re.search(pattern, str(caught.value)), f"message {str(caught.value)!r} does not match {pattern!r}"


def test_objective_with_only_the_required_members_runs():
    """``supports``, ``true_params``, ``draw`` and ``param_names`` are optional, with defaults."""
    summary = properties.run_property(
        _RequiredMembersOnly(), "unbiased-gradient", models=(_family(),), max_examples=1, seed=1
    )
    assert "mean gradient" in summary

