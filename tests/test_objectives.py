"""The property harness tested on deliberately broken objectives, each caught by the property it
breaks (scikit-learn's meta-tests of check_estimator), plus the objectives, the batched fit and
the README example."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from scipy.stats import multivariate_normal

from ebmcheck.checks.properties import DEFAULT_FAMILIES, PropertyFailure, check_objective, family, run_property
from ebmcheck.theory import models
from ebmcheck.theory.fitting import fit_mean_loss, newton
from ebmcheck.theory.noise import Autoregressive, LocalGaussian, MatchedGaussian, Oracle
from ebmcheck.theory.objectives import (
    CNCE,
    NCE,
    FiniteDifferenceObjective,
    MaximumLikelihood,
    ScoreMatching,
    built_in_objectives,
    reference,
)

ROOT = Path(__file__).resolve().parents[1]


# ---- broken objectives ------------------------------------------------------------------------
class NCEWithoutNormalizer(NCE):
    """NCE with c fixed at 0: inconsistent wherever Z(θ) depends on θ."""

    extra_names = ()

    def __init__(self):
        super().__init__(num_noise=1)
        self.name = "broken: nce without normalizer"


class SignFlippedScoreMatching(ScoreMatching):
    """½|s|² − Δ log f: the Laplacian with the wrong sign."""

    laplacian_weight = -1
    name = "broken: score matching, Laplacian sign flipped"


class CNCEWithoutRatio(CNCE):
    """CNCE with log p_n(y|x) − log p_n(x|y) dropped, on an asymmetric noise."""

    def __init__(self):
        super().__init__(Autoregressive(0.5, 2.0), num_noise=1)
        self.name = "broken: cnce without noise ratio"

    def draw(self, model, x, rng, reference):
        batch = super().draw(model, x, rng, reference)
        return batch | {"log_ratio": np.zeros_like(batch["log_ratio"])}


class ImportanceSampledML(MaximumLikelihood):
    r"""ML with log Z replaced by log of a 2-sample importance-sampling average: the population
    loss is ML (exact, Fisher consistent), the minibatch gradient (self-normalized weights) is biased."""

    name = "broken: ml with biased minibatch log Z"
    derivatives = "symbolic model derivatives"
    num_samples = 2

    def draw(self, model, x, rng, reference):
        noise = MatchedGaussian(1.5).bind(reference.model, reference.theta)
        y = noise.sample(x, self.num_samples, rng)
        return {"x": x, "y": y, "log_q": noise.log_density(y)}

    def _weights(self, model, params, batch):
        theta = params[:, None, None, :]
        log_w = model.log_f(batch["y"], theta) - batch["log_q"]
        return log_w, softmax(log_w, axis=-1), model.grad_theta(batch["y"], theta)

    def losses(self, model, params, batch):
        log_w, _, _ = self._weights(model, params, batch)
        return -model.log_f(batch["x"], params[:, None, :]) + logsumexp(log_w, axis=-1) - np.log(self.num_samples)

    def gradients(self, model, params, batch):
        _, w, g = self._weights(model, params, batch)
        return -model.grad_theta(batch["x"], params[:, None, :]) + np.einsum("rnm,rnmp->rnp", w, g)

    def hessians(self, model, params, batch):
        _, w, g = self._weights(model, params, batch)
        mean = np.einsum("rnm,rnmp->rnp", w, g)
        second = np.einsum("rnm,rnmp,rnmq->rnpq", w, g, g) - mean[..., :, None] * mean[..., None, :]
        h = np.einsum("rnm,rnmpq->rnpq", w, model.hess_theta(batch["y"], params[:, None, None, :]))
        return -model.hess_theta(batch["x"], params[:, None, :]) + h + second

    def population_gradients(self, model, params, x, reference):
        return MaximumLikelihood.gradients(self, model, params, {"x": x})

    def population_hessians(self, model, params, x, reference):
        return MaximumLikelihood.hessians(self, model, params, {"x": x})


BROKEN = [
    (NCEWithoutNormalizer(), "fisher-consistency", "population gradient is not zero"),
    (SignFlippedScoreMatching(), "fisher-consistency", "Fisher consistency fails"),
    (CNCEWithoutRatio(), "fisher-consistency", "population gradient is not zero"),
    (ImportanceSampledML(), "unbiased-gradient", "biased minibatch gradient"),
]


@pytest.mark.parametrize(("objective", "prop", "message"), BROKEN, ids=[b[0].name for b in BROKEN])
def test_broken_objective_fails_the_property_it_breaks(objective, prop, message):
    with pytest.raises(PropertyFailure, match=message) as caught:
        run_property(objective, prop)
    text = str(caught.value)
    # The shrunk counterexample is the simplest case: the first family with its first parameter.
    assert "on gaussian-1d at (mu1=0, Lambda11=1" in text, text
    assert "z = " in text and "threshold" in text, text


def test_biased_minibatch_estimator_still_has_a_consistent_population_loss():
    """The two properties are separate: the IS-ML population loss is ML, only its minibatch is biased."""
    run_property(ImportanceSampledML(), "fisher-consistency", max_examples=2)


def test_wrong_hessian_breaks_the_fit():
    """Hessians twice too large: Newton's step is halved, so it converges only linearly and the
    replicate fits are still moving after FIT_ITERATIONS; the message points to the derivatives property."""
    from ebmcheck.checks.properties import ExperimentDiverged  # noqa: PLC0415

    class DoubleHessianML(MaximumLikelihood):
        name = "broken: ml with twice the hessian"

        def hessians(self, model, params, batch):
            return 2 * super().hessians(model, params, batch)

    with pytest.raises(ExperimentDiverged, match=r"did not converge: .* see the derivatives property"):
        run_property(DoubleHessianML(), "asymptotic-normality", max_examples=1)


# ---- expected failures are strict ---------------------------------------------------------------
def test_expected_failure_is_reported_as_expected():
    outcomes = check_objective(
        NCEWithoutNormalizer(), properties=("fisher-consistency",), expected_failures={"fisher-consistency": "c is fixed"}
    )
    assert [(o.property, o.status) for o in outcomes] == [("fisher-consistency", "expected-failure")]
    assert "known failure (c is fixed)" in outcomes[0].message


def test_expected_failure_that_passes_is_an_error():
    with pytest.raises(AssertionError, match="unexpected-pass"):
        check_objective(ScoreMatching(), properties=("invariances",), expected_failures={"invariances": "wrongly declared"})


def test_stated_efficiency_bound_is_tested():
    """Oracle CNCE at K = 1 has Σ = 2 I_F⁻¹ (seed 004, Corollary 2): the harness's efficiency ratio
    agrees with the quadrature calculator within its batch-means error, and a bound of 1.5 is refuted."""
    from ebmcheck.checks.anatomy import ALPHA, critical_z  # noqa: PLC0415
    from ebmcheck.theory import asymptotics  # noqa: PLC0415

    model, theta = models.gaussian_precision(), np.array([1.0])
    precision = family("gaussian-precision", models.gaussian_precision, [tuple(theta)])
    oracle = CNCE(Oracle(), num_noise=1)
    predicted = float(
        asymptotics.cnce_covariance(model, theta, Oracle().bind(model, theta), K=1)[0, 0]
        * asymptotics.fisher_information(model, theta)[0, 0]
    )
    message = run_property(oracle, "efficiency", (precision,), efficiency_bound=predicted, max_examples=1)
    found = re.search(r"generalized eigenvalues \(([\d.]+)\) ± \(([\d.e-]+)\)", message)
    ratio, error = float(found.group(1)), float(found.group(2))
    assert abs(ratio - predicted) <= critical_z(ALPHA) * error, (message, predicted)
    with pytest.raises(PropertyFailure, match="efficiency bound exceeded"):
        run_property(oracle, "efficiency", (precision,), efficiency_bound=1.5, max_examples=1)


# ---- objectives, fit and inputs -----------------------------------------------------------------
@pytest.mark.parametrize("objective", built_in_objectives(), ids=lambda o: o.name)
def test_symbolic_derivatives_match_finite_differences(objective):
    for fam in DEFAULT_FAMILIES:
        model = fam.model()
        if objective.supports(model):
            continue
        theta = np.array(fam.thetas[1])
        ref = reference(model, theta)
        x = model.sample(theta, 60, np.random.default_rng(0)).reshape(2, 30, model.dim)
        batch = objective.draw(model, x, np.random.default_rng(1), ref)
        params = np.tile(objective.true_params(model, theta), (2, 1)) + 0.01
        numeric = FiniteDifferenceObjective()
        numeric.losses = objective.losses
        gradient, hessian = objective.gradients(model, params, batch), objective.hessians(model, params, batch)
        np.testing.assert_allclose(gradient, numeric.gradients(model, params, batch), rtol=1e-6, atol=1e-6 * (1 + np.abs(gradient).max()))
        np.testing.assert_allclose(hessian, numeric.hessians(model, params, batch), rtol=1e-4, atol=1e-5 * (1 + np.abs(hessian).max()))


def test_batched_newton_converges_per_replicate_and_reports_failures():
    target = np.random.default_rng(0).normal(size=(6, 2))

    def loss_grad_hess(params, rows):
        d = params - target[rows]
        return np.sum(d**2 / 2 + d**4 / 4, -1), d + d**3, np.einsum("ri,ij->rij", 1 + 3 * d**2, np.eye(2))

    fit = newton(loss_grad_hess, lambda p, rows: loss_grad_hess(p, rows)[0], np.zeros((6, 2)))
    assert fit.converged.all() and np.abs(fit.params - target).max() < 1e-6

    def nan_in_row_2(params, rows):
        value, g, h = loss_grad_hess(params, rows)
        return np.where(rows == 2, np.nan, value), g, h

    fit = newton(nan_in_row_2, lambda p, rows: nan_in_row_2(p, rows)[0], np.zeros((6, 2)))
    assert fit.converged.tolist() == [True, True, False, True, True, True]
    assert "5/6 replicates converged" in fit.summary()


def test_fit_mean_loss_recovers_gaussian_maximum_likelihood():
    model = models.gaussian_precision()
    x = model.sample(np.array([2.0]), 3 * 500, np.random.default_rng(3)).reshape(3, 500, 1)
    ml = MaximumLikelihood()
    batch = {"x": x}
    fit = fit_mean_loss(
        lambda p, rows: ml.losses(model, p, {"x": x[rows]}),
        lambda p, rows: ml.gradients(model, p, {"x": x[rows]}),
        lambda p, rows: ml.hessians(model, p, {"x": x[rows]}),
        np.ones((3, 1)),
    )
    assert fit.converged.all()
    np.testing.assert_allclose(fit.params[:, 0], 1 / np.mean(batch["x"][..., 0] ** 2, axis=1), rtol=1e-8)


def test_invalid_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="num_noise=0"):
        NCE(num_noise=0)
    with pytest.raises(ValueError, match="unknown property 'speed'"):
        run_property(ScoreMatching(), "speed")
    with pytest.raises(ValueError, match="efficiency_bound=0.5"):
        run_property(ScoreMatching(), "efficiency", efficiency_bound=0.5)
    with pytest.raises(ValueError, match="expected_failures names unknown"):
        check_objective(ScoreMatching(), expected_failures={"speed": "?"})
    with pytest.raises(ValueError, match="initial must have shape"):
        newton(None, None, np.zeros(3))
    with pytest.raises(ValueError, match="positive definite"):
        family("bad", lambda: models.gaussian(1), [(0.0, -1.0)])
    assert "noise=local(ε=0.5)" in CNCE(LocalGaussian(0.5)).name
    with pytest.raises(ValueError, match="not a theory.noise distribution"):
        CNCE("local")
    with pytest.raises(ValueError, match="rho=1.5"):
        Autoregressive(1.5, 1.0)
    with pytest.raises(TypeError, match="unconditional"):
        NCE(noise=LocalGaussian(0.5))


def test_nce_draws_from_its_noise_bound_to_the_data_law():
    """NCE's default noise is the Gaussian with the data's mean and 1.5² times its covariance, drawn
    as mean + z Lᵀ (z standard normal, L the Cholesky factor), and any unconditional noise may replace it."""
    model = models.gaussian(2)
    theta = model.pack([0.5, -1.0], [[2.0, 0.6], [0.6, 1.0]])
    ref = reference(model, theta)
    x = np.random.default_rng(0).standard_normal((2, 5, 2))
    objective = NCE(num_noise=3)
    assert objective.name == "nce(K=3, noise=gaussian x1.5)"
    batch = objective.draw(model, x, np.random.default_rng(5), ref)
    z = np.random.default_rng(5).standard_normal((2, 5, 3, 2))
    np.testing.assert_array_equal(batch["y"], ref.mean + z @ np.linalg.cholesky(1.5**2 * ref.covariance).T)
    np.testing.assert_allclose(batch["log_noise_y"], multivariate_normal(ref.mean, 1.5**2 * ref.covariance).logpdf(batch["y"]),
                               rtol=1e-12)
    oracle = NCE(num_noise=2, noise=Oracle()).draw(model, x, np.random.default_rng(5), ref)
    assert oracle["y"].shape == (2, 5, 2, 2) and oracle["log_noise_x"].shape == (2, 5)


# ---- the README section runs ----------------------------------------------------------------------
def test_readme_example_is_short():
    """The section's example fits in 20 lines; tests/test_readme.py runs it (with every README block)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Test your own objective", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 20


def test_autoregressive_noise_log_ratio_has_the_closed_form():
    """log p_n(y|x) − log p_n(x|y) = (|x|² − |y|²)/(2s²) for the AR(1) noise: SymPy proves it from
    the Gaussian transition density, and theory.cnce.noise_log_ratio computes it."""
    import sympy as sp  # noqa: PLC0415

    from ebmcheck.theory.cnce import noise_log_ratio  # noqa: PLC0415

    u, v, rho, s = sp.symbols("u v rho s", real=True)
    spread2 = (1 - rho**2) * s**2

    def log_density(to, frm):  # log N(to; ρ·frm, (1−ρ²)s²)
        return -((to - rho * frm) ** 2) / (2 * spread2) - sp.log(2 * sp.pi * spread2) / 2

    closed_form = (u**2 - v**2) / (2 * s**2)
    assert sp.simplify(log_density(v, u) - log_density(u, v) - closed_form) == 0
    noise = Autoregressive(0.6, 1.5)
    x = np.random.default_rng(0).normal(size=(4, 7, 2))
    y = noise.sample(x, 3, np.random.default_rng(1))
    per_coordinate = sp.lambdify((u, v, s), closed_form)(x[..., None, :], y, noise.scale)
    np.testing.assert_allclose(noise_log_ratio(noise, x, y), per_coordinate.sum(-1), rtol=1e-12, atol=1e-12)


def test_asymmetric_noise_has_a_quadrature_sandwich_matching_the_objective():
    """theory.asymptotics with the AR(1) noise (quadrature) agrees with the Monte Carlo sandwich of
    the CNCE objective at K = 1 (per-entry z-test on the batch-means error)."""
    from ebmcheck.checks.anatomy import ALPHA, critical_z  # noqa: PLC0415
    from ebmcheck.checks.properties import sandwich  # noqa: PLC0415
    from ebmcheck.theory import asymptotics  # noqa: PLC0415

    model, theta, noise = models.gaussian_precision(), np.array([2.0]), Autoregressive(0.5, 1.0)
    exact = asymptotics.cnce_covariance(model, theta, noise, K=1)
    estimate, error, _ = sandwich(CNCE(noise), model, theta, reference(model, theta), np.random.default_rng(4), 200_000, 20)
    assert abs(estimate[0, 0] - exact[0, 0]) <= critical_z(ALPHA) * error[0, 0], (estimate, error, exact)
    # Negative control: the Cramér–Rao bound I_F⁻¹ = 2θ² (8 here; CNCE with this noise is about half as efficient).
    crlb = np.linalg.inv(asymptotics.fisher_information(model, theta))[0, 0]
    assert abs(estimate[0, 0] - crlb) > critical_z(ALPHA) * error[0, 0], (estimate, crlb)


# =================================================================================================
# Issue 16, items 1, 4, 6 and 7: finite-difference tolerances, the derivatives property, fits that
# diverge fail fast, Fisher consistency and unbiased gradient as distinct properties; and the
# README's second example. Self-contained: every objective below is written as a stranger would.
# =================================================================================================

from ebmcheck.checks.config import RunConfig  # noqa: E402
from ebmcheck.checks.properties import ExperimentDiverged  # noqa: E402
from ebmcheck.checks.properties.checks import Setting, check_fisher_consistency  # noqa: E402
from ebmcheck.checks.properties.families import Case  # noqa: E402
from ebmcheck.theory.objectives import scale_of_f  # noqa: E402


class StrangerScoreMatching(FiniteDifferenceObjective):
    """½|s_θ|² + Δ log f from the model's score and Laplacian; derivatives by finite differences;
    the population hooks are the per-sample gradients (no noise), integrated by the harness."""

    name = "stranger: finite-difference score matching"

    def losses(self, model, params, batch):
        theta = params[:, None, :]
        return 0.5 * np.sum(model.score(batch["x"], theta) ** 2, axis=-1) + model.laplacian(batch["x"], theta)

    def population_gradients(self, model, params, x, reference):
        return self.gradients(model, params, {"x": x})

    def population_hessians(self, model, params, x, reference):
        return self.hessians(model, params, {"x": x})


class StrangerWeightedScoreMatching(StrangerScoreMatching):
    """Weighted score matching, w(x)(½|s|² + Δ log f) + ∇w·s with w = 1/(1 + |x|²): the population
    loss is ½E[w|s_θ − s_p|²] + const (integration by parts), minimal at θ*."""

    name = "stranger: finite-difference weighted score matching"

    def losses(self, model, params, batch):
        x, theta = batch["x"], params[:, None, :]
        score, w = model.score(x, theta), 1 / (1 + np.sum(x**2, axis=-1))
        grad_w = -2 * x * (w**2)[..., None]
        return w * (0.5 * np.sum(score**2, axis=-1) + model.laplacian(x, theta)) + np.sum(grad_w * score, axis=-1)


ONE_DIMENSIONAL = tuple(f for f in DEFAULT_FAMILIES if f.model().dim == 1)


@pytest.mark.parametrize("objective", [StrangerScoreMatching(), StrangerWeightedScoreMatching()], ids=lambda o: o.name)
def test_finite_difference_objective_with_population_hooks_is_fisher_consistent(objective):
    """Item 1: quadrature errors of 1e-15 against finite-difference errors of 1e-10 (the two-mode
    mixture's weight) or rounding of 1e-13 (the quartic): every 1-D case passes once the
    differentiation error (Richardson, half the step) and the Hessian-relative resolution enter the tolerance."""
    setting = Setting(objective, {f.name: f for f in ONE_DIMENSIONAL}, RunConfig(), None)
    summaries = [check_fisher_consistency(setting, Case(fam.name, theta)) for fam in ONE_DIMENSIONAL for theta in fam.thetas]
    assert len(summaries) == 16
    assert all("quadrature of the population loss" in s and "finite-difference allowance" in s for s in summaries), summaries


class WrongHessianScoreMatching(ScoreMatching):
    """A correct loss and gradient with hessians() scaled by 1 + ½θ₁² (exact at θ₁ = 0 only)."""

    name = "broken: score matching, hessians scaled by 1 + θ1²/2"

    def hessians(self, model, params, batch):
        return super().hessians(model, params, batch) * (1 + 0.5 * np.asarray(params)[:, 0] ** 2)[:, None, None, None]


def test_derivatives_property_catches_a_wrong_hessian_and_skips_finite_differences():
    """Item 4: the wrong Hessian is caught off θ* (at θ* = (0, 1) it is right), element by element
    against Richardson-extrapolated central differences of gradients(); a FiniteDifferenceObjective
    has nothing to check (its derivatives are the differences)."""
    with pytest.raises(PropertyFailure, match=r"derivatives: hessians\(\) of .* disagree with finite differences of gradients\(\)"):
        run_property(WrongHessianScoreMatching(), "derivatives", models=ONE_DIMENSIONAL[:1])
    (outcome,) = check_objective(StrangerScoreMatching(), properties=("derivatives",))
    assert outcome.status == "not-applicable" and "finite differences of its losses" in outcome.message


class MinibatchCentredML(FiniteDifferenceObjective):
    """ML of a Gaussian precision with the data centred at their minibatch mean: the large-batch
    limit is ML (Fisher consistent), but E(x − x̄)² = σ²(1 − 1/m) biases the minibatch gradient by −σ²/2m."""

    name = "broken: ml centred at the minibatch mean"

    def losses(self, model, params, batch):
        centred = batch["x"] - batch["x"].mean(axis=1, keepdims=True)
        return -model.log_f(centred, params[:, None, :]) + model.log_normalizer(params)[:, None]


def test_fisher_consistency_and_unbiased_gradient_are_distinct_properties():
    """Item 7: the population loss and the minibatch estimator fail separately. The sign-flipped
    Laplacian has the wrong population minimiser but its minibatch gradient follows its population
    loss; centring at the minibatch mean leaves the population minimiser right but biases the
    minibatches of m = 16 (which a single batch of 20 000 points could not see)."""
    run_property(SignFlippedScoreMatching(), "unbiased-gradient")
    precision = (family("gaussian-precision", models.gaussian_precision, [(1.0,), (0.5,), (2.0,), (4.0,)]),)
    run_property(MinibatchCentredML(), "fisher-consistency", precision)
    with pytest.raises(PropertyFailure, match=r"biased minibatch gradient .* minibatches of m = 16"):
        run_property(MinibatchCentredML(), "unbiased-gradient", precision)


class NCE3(FiniteDifferenceObjective):
    """NCE with ν = 3 Gaussian noise points per data point and a learned log-normalizer c (README)."""

    name = "nce-3"
    extra_names = ("c",)  # ϑ = (θ, c): the objective's own parameters come after the model's
    invariances = (scale_of_f(absorbed_by_last_param=True),)  # f → κf is absorbed by c → c − log κ

    def supports(self, model):  # None, or why this model cannot be used
        return None if model.has_log_normalizer else "c* = −log Z(θ*) needs a closed-form log Z"

    def true_params(self, model, theta):  # the population minimiser when the data follow θ
        return np.append(theta, -model.log_normalizer(theta))

    def draw(self, model, x, rng, reference):  # the noise, designed from the data law `reference`
        m, s = reference.mean, 1.5 * np.sqrt(np.diag(reference.covariance))
        y = m + s * rng.standard_normal(x.shape[:2] + (3, model.dim))  # (R, n, ν, d)
        log_q = lambda u: np.sum(-0.5 * ((u - m) / s) ** 2 - np.log(s * np.sqrt(2 * np.pi)), axis=-1)  # noqa: E731
        return {"x": x, "y": y, "log_q_x": log_q(x), "log_q_y": log_q(y)}

    def losses(self, model, params, batch):  # (R, n): params[:, None, None, :] reaches the noise axis
        c = params[:, None, -1]
        g_x = model.log_f(batch["x"], params[:, None, :-1]) + c - batch["log_q_x"] - np.log(3)
        g_y = model.log_f(batch["y"], params[:, None, None, :-1]) + c[..., None] - batch["log_q_y"] - np.log(3)
        return np.logaddexp(0, -g_x) + np.logaddexp(0, g_y).sum(axis=-1)


def test_readme_second_example_passes_every_property():
    """The README's second example (noise, an extra parameter, a declared invariance) passes every
    property; derivatives is not applicable to a finite-difference objective."""
    outcomes = {o.property: o.status for o in check_objective(NCE3(), models=DEFAULT_FAMILIES[:2], profile="quick")}
    assert outcomes.pop("derivatives") == "not-applicable"
    assert set(outcomes.values()) == {"passed"}, outcomes


class NCE3WithoutNoiseTerm(NCE3):
    """NCE without the noise term: −log σ(G(x)) alone decreases without bound as c → ∞."""

    name = "broken: nce-3 without its noise term"

    def losses(self, model, params, batch):
        g_x = model.log_f(batch["x"], params[:, None, :-1]) + params[:, None, -1] - batch["log_q_x"] - np.log(3)
        return np.logaddexp(0, -g_x)


def test_a_diverging_fit_fails_fast_and_says_so():
    """Item 6: the empirical loss has no minimiser; the pilot replicates leave the sandwich's
    prediction by hundreds of standard deviations and the experiment stops (it used to run 60
    Newton iterations on 200 replicates of n = 8000: about a minute in 1-D, ten in 2-D)."""
    one_case = (family("gaussian-1d-at-0-1", lambda: models.gaussian(1), [(0.0, 1.0)]),)
    # Fast is structural, not timed: the run stops at the pilot, before the other replicates are fitted.
    with pytest.raises(ExperimentDiverged, match=r"the replicate fits diverged: .* of the first \d+ replicate fits \(the pilot.* "
                                                 r"no minimiser near θ\*"):
        run_property(NCE3WithoutNoiseTerm(), "asymptotic-normality", one_case, max_examples=1)
