"""Meta-tests of the acceptance machinery: checks that cannot fail must be caught."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from ebmcheck.checks.anatomy import (
    ALPHA,
    NEAR_CONTROL,
    NUMERICAL_SAFETY,
    Check,
    Claim,
    Context,
    Source,
    ZTest,
    critical_z,
    judge,
    mean_and_standard_error,
    needs_confirmation,
    power_z,
)
from ebmcheck.checks.config import DEFAULT_SEED, RunConfig, resolve_config
from ebmcheck.derivations.steps import Derivation, Step

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", positive=True)


def _check(z_test: float, z_control: float, name: str = "c", **kwargs) -> Check:
    """A statistical check with SE 1 whose estimate sits at z_test from the prediction 0 and at
    z_control from the control's prediction."""
    return Check(name, "q", ZTest(0.0, z_test, 1.0), ZTest(z_test - z_control, z_test, 1.0), "wrong", **kwargs)


def _claim(**kwargs) -> Claim:
    defaults = dict(id="c", title="t", topic="t", sources=(Source("000", "eq", "a=b"),), expected_verdict="verified",
                    derivation=lambda: Derivation("d", ()), checks=lambda context: [])
    return Claim(**(defaults | kwargs))


def _verdict(claim, checks, confirmation=None) -> str:
    return judge(claim, [], checks, confirmation).verdict


def test_critical_value_matches_alpha():
    assert critical_z(0.05) == pytest.approx(1.959964, abs=1e-6)
    assert power_z() == pytest.approx(3.8906 + 3.7190, abs=1e-3)


def test_a_true_statement_is_verified_and_a_surviving_control_means_no_power():
    assert _verdict(_claim(), [_check(0.5, 10)]) == "verified"
    assert _verdict(_claim(conditions=("c",)), [_check(0.5, 10)]) == "verified-with-conditions"
    assert _verdict(_claim(), [_check(0.5, 1.0)]) == "inconclusive", "a control that survives means no power"


def test_an_underpowered_experiment_is_inconclusive():
    """Right prediction, wrong control 2% away, SE 3%: the experiment cannot tell them apart."""
    check = Check("weak", "q", ZTest(1.0, 1.01, 0.03), ZTest(1.02, 1.01, 0.03), "a 2 % different formula")
    judgement = judge(_claim(), [], [check])
    assert judgement.verdict == "inconclusive" and "no power" in judgement.reasons[0]
    assert check.control_distance < 1 and check.relative_resolution == pytest.approx(power_z() * 0.03)


def test_a_single_statistical_failure_needs_confirmation_on_fresh_data():
    failing = _check(4.5, 20)
    assert needs_confirmation(_claim(), [failing])
    unconfirmed = judge(_claim(), [], [failing], confirmation=[_check(0.3, 20)])
    assert unconfirmed.verdict == "inconclusive" and "not on fresh data" in unconfirmed.reasons[0]
    assert _verdict(_claim(), [failing]) == "inconclusive"  # no confirmation run: not confirmed
    confirmed = judge(_claim(), [], [failing], confirmation=[_check(5.0, 20)])
    assert confirmed.verdict == "inconclusive" and "no corrected statement" in confirmed.reasons[0]


def test_refuted_needs_the_printed_statement_rejected_and_confirmed_and_the_correction_verified():
    corrected = _claim(corrected="a=c")
    plain = _check(0.5, 10)  # tests the correction; its control is not the printed statement
    assert _verdict(corrected, [plain]) == "inconclusive", "a filled-in correction alone refutes nothing"
    printed = _check(0.5, 10, control_is_statement=True)
    assert needs_confirmation(corrected, [printed])
    assert _verdict(corrected, [printed]) == "inconclusive", "a statistical rejection must be confirmed"
    assert _verdict(corrected, [printed], confirmation=[_check(0.2, 2.0)]) == "inconclusive"
    judgement = judge(corrected, [], [printed], confirmation=[_check(-0.4, 9.0)])
    assert judgement.verdict == "refuted" and judgement.false_refutation_bound == pytest.approx(ALPHA**2)
    assert _verdict(corrected, [_check(9, 20, control_is_statement=True)], [_check(9, 20)]) == "inconclusive"
    typo = judge(_claim(corrected="a=c", typo=True), [], [printed], confirmation=[_check(0.1, 9.0)])
    assert typo.line == "refuted (typo)"


def test_a_numerical_rejection_needs_no_confirmation():
    check = Check("quadrature", "q", ZTest(1.0, 1.0 + 1e-13, 1e-12), ZTest(1.5, 1.0 + 1e-13, 1e-12), "printed",
                  error_kind="quadrature", control_is_statement=True)
    assert check.kind == "numerical" and not needs_confirmation(_claim(corrected="x"), [check])
    assert _verdict(_claim(corrected="a=c"), [check]) == "refuted"


def test_a_true_but_weaker_statement_is_verified_with_its_sharpening_tested():
    claim = _claim(sharpening="iff")
    statement, sharper = _check(0.5, 10), _check(0.7, 12, name="sharper", evidence="sharpening")
    assert _verdict(claim, [statement, sharper]) == "verified"
    failing_sharper = _check(8.0, 12, name="sharper", evidence="sharpening")
    assert _verdict(claim, [statement, failing_sharper], confirmation=[failing_sharper]) == "inconclusive"


def test_numerical_checks_pass_within_their_error_bound_and_report_digits():
    inside = Check("q", "q", ZTest(2.0, 2.0 + 9e-12, 1e-12), ZTest(3.0, 2.0, 1e-12), "c", error_kind="quadrature")
    outside = Check("q", "q", ZTest(2.0, 2.0 + 11e-12, 1e-12), ZTest(3.0, 2.0, 1e-12), "c", error_kind="quadrature")
    assert inside.passed and not outside.passed and inside.threshold == NUMERICAL_SAFETY
    assert inside.agreement_digits == pytest.approx(-math.log10(9e-12 / 3.0))
    rounding = Check("r", "q", ZTest(1.0, 1.0 + 1e-15, 0.0), ZTest(2.0, 1.0, 0.0), "c", error_kind="ode")
    assert rounding.passed and rounding.control_rejected, "a zero error estimate is floored by rounding"
    assert inside.to_json()["kind"] == "numerical" and inside.to_json()["alpha"] is None


def test_resolution_qualifies_a_verdict_that_is_too_coarse():
    claim = _claim(required_resolution=0.10)
    coarse = Check("cov", "q", ZTest(10.0, 10.1, 0.3), ZTest(13.0, 10.1, 0.3), "c")  # 7.6 × 3 % ≈ 23 %
    judgement = judge(claim, [], [coarse])
    assert judgement.verdict == "verified" and judgement.line == "verified at 23% resolution; the statement needs 10%"
    fine = Check("cov", "q", ZTest(10.0, 10.01, 0.1), ZTest(13.0, 10.01, 0.1), "c")
    assert judge(claim, [], [fine]).line == "verified"
    assert judge(claim, [], [coarse, fine]).line == "verified", "one check that resolves the statement suffices"
    assert fine.control_distance == pytest.approx(3.0 / (power_z() * 0.1)) and fine.control_distance < NEAR_CONTROL


def test_a_sequential_check_that_exhausts_its_budget_is_inconclusive():
    """A sequential check that stopped at its budget did not reach its resolution: under-powered,
    even when its control happens to lie outside the sequence."""
    decided = _check(0.5, 10, sequential="decided")
    assert _verdict(_claim(), [decided]) == "verified"
    budget = _check(0.5, 10, sequential="budget")
    judgement = judge(_claim(), [], [budget])
    assert judgement.verdict == "inconclusive" and "budget" in judgement.reasons[0]


def test_diverged_check_is_never_a_pass_or_a_fail():
    check = Check("c", "q", ZTest(0.0, math.nan, 1.0), ZTest(1.0, math.nan, 1.0), "wrong")
    assert check.diverged and not check.passed and not check.control_rejected
    assert _verdict(_claim(), [check]) == "inconclusive"


def test_standard_error_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        mean_and_standard_error([1.0])
    mean, se = mean_and_standard_error(np.array([1.0, 3.0]))
    assert mean == 2.0 and se == pytest.approx(1.0)


def test_step_symbolic_numeric_and_failed():
    assert Step(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, "pythagoras").check().status == "symbolic"
    assert Step((x + 1) ** 2, x**2 + 1, "wrong").check().status == "failed"
    f = sp.Function("f")(x)
    assert Step(sp.diff(f * f, x), 2 * f * sp.diff(f, x), "product rule").check().status == "symbolic"
    wrong = Step(sp.diff(f * f, x), f * sp.diff(f, x), "missing 2").check()
    assert wrong.status == "failed", "a generic function must be replaced by a concrete counterexample"


def test_inequation_step():
    assert Step(sp.diff(y**2, y), 0, "nonzero", relation="≠").check().status == "symbolic"
    assert Step(x - x, 0, "zero", relation="≠").check().status == "failed"


def test_steps_with_unevaluated_expectations_and_variances():
    """E[·] and Var(·) stay unevaluated in a step (so a report prints them) and are evaluated to check it."""
    from sympy import stats

    Z, v = stats.Normal("Z", 0, 1), sp.Symbol("v", positive=True)
    assert Step(stats.Expectation(v * Z**2), v, "mean").check().status == "symbolic"
    assert Step(stats.Variance(v * Z**2), 2 * v**2, "variance").check().status == "symbolic"
    assert Step(stats.Variance(v * Z**2), 0, "not a constant", relation="≠").check().status == "symbolic"
    assert Step(stats.Variance(v * Z**2), v**2, "wrong").check().status == "failed"
    assert r"\operatorname{Var}" in Step(stats.Variance(v * Z**2), 0, "", relation="≠").latex()


def test_a_run_configuration_is_validated_once_and_frozen():
    config = RunConfig()
    assert (config.seed, config.profile, config.backend) == (DEFAULT_SEED, "quick", "numpy")
    assert config.to_json() == {"seed": DEFAULT_SEED, "profile": "quick", "backend": "numpy"}
    with pytest.raises(TypeError, match=r"\bseed\b"):
        RunConfig(seed=1.5)
    with pytest.raises(ValueError, match=r"\bseed\b"):
        RunConfig(seed=-1)
    with pytest.raises(ValueError, match=r"\bprofile\b"):
        RunConfig(profile="huge")
    with pytest.raises(ValueError, match=r"\bbackend\b"):
        RunConfig(backend="torch")
    with pytest.raises(AttributeError):
        config.seed = 3  # frozen: nothing downstream can change the run's settings


def test_resolve_config_takes_a_config_or_its_fields():
    assert resolve_config() == RunConfig()
    assert resolve_config(seed=7) == RunConfig(seed=7)
    assert resolve_config(RunConfig(seed=7, profile="full"), seed=8) == RunConfig(seed=8, profile="full")
    with pytest.raises(TypeError, match="unknown run settings root_seed"):
        resolve_config(root_seed=7)
    with pytest.raises(TypeError, match="config must be a checks.config.RunConfig"):
        resolve_config({"seed": 7})


def test_a_context_draws_from_its_configuration():
    """A check's generator depends on the root seed, the claim, the check and the stream, and its
    size on the profile: all from the configuration the context carries."""
    first = Context("claim", RunConfig(seed=1)).rng("check").standard_normal(3)
    assert np.array_equal(first, Context("claim", RunConfig(seed=1)).rng("check").standard_normal(3))
    assert not np.array_equal(first, Context("claim", RunConfig(seed=2)).rng("check").standard_normal(3))
    assert not np.array_equal(first, Context("claim", RunConfig(seed=1), stream="confirmation").rng("check").standard_normal(3))
    assert Context("c", RunConfig(profile="quick")).size(10, 100) == 10
    assert Context("c", RunConfig(profile="full")).size(10, 100) == 100
    assert Context("c", RunConfig()).backend.name == "numpy"


def test_a_log_scale_test_uses_the_delta_method_on_log_m():
    """ZTest(log_scale=True): z = log(m̂/m)·m̂/se; relative resolution e^{7.6 se/m̂} − 1; control
    distance |log(m_c/m)| over the log-scale resolution; a non-positive estimate is never accepted."""
    test = ZTest(2.0, 2.2, 0.05, log_scale=True)
    assert test.statistic == pytest.approx(math.log(1.1) * 2.2 / 0.05)
    check = Check("c", "q", ZTest(2.0, 2.02, 0.05, log_scale=True), ZTest(1.0, 2.02, 0.05, log_scale=True), "half")
    k = power_z() * 0.05 / 2.02
    assert check.passed and check.control_rejected
    assert check.relative_resolution == pytest.approx(math.expm1(k))
    assert check.resolution == pytest.approx(2.0 * math.expm1(k))
    assert check.control_distance == pytest.approx(math.log(2.0) / k)
    assert check.to_json()["scale"] == "log"
    negative = Check("c", "q", ZTest(2.0, -0.1, 0.05, log_scale=True), ZTest(1.0, -0.1, 0.05, log_scale=True), "half")
    assert not negative.passed and math.isnan(negative.test.statistic)


def test_a_sequential_check_reports_the_resolution_it_reached():
    """A sequential check's SE is its radius over z_{α/2} (wider than σ̂/√t), so (z_{α/2} + z_β)·SE
    would overstate its resolution; the one it reached, r_t + z_β σ̂/√t, is reported instead — on
    the log scale in units of log m, turned into a relative error e^k − 1."""
    linear = Check("c", "q", ZTest(0.0, 0.1, 1.0), ZTest(10.0, 0.1, 1.0), "far", resolution_reached=6.5)
    assert linear.resolution == 6.5 and linear.control_distance == pytest.approx(10.0 / 6.5)
    assert linear.to_json()["resolution_reached"] == 6.5
    log = Check("c", "q", ZTest(2.0, 2.02, 0.05, log_scale=True), ZTest(1.0, 2.02, 0.05, log_scale=True), "half",
                resolution_reached=0.08)
    assert log.relative_resolution == pytest.approx(math.expm1(0.08))
    assert log.control_distance == pytest.approx(math.log(2.0) / 0.08)


def _one_sided(estimate: float, prediction: float, alternative: str, control_prediction: float, se: float = 1.0) -> Check:
    return Check("one-sided", "q", ZTest(prediction, estimate, se, alternative=alternative),
                 ZTest(control_prediction, estimate, se, alternative=alternative), "a bound on the wrong side")


def test_a_one_sided_test_uses_z_alpha_on_the_excluded_side_only():
    """"m ≥ m₀" (alternative="greater") is rejected only when z < −z_α; "m ≤ m₀" only when z > z_α;
    z_α = Φ⁻¹(1 − α), not z_{α/2}; resolution (z_α + z_β)·SE; the report records the side."""
    z_alpha = critical_z(ALPHA, "greater")
    assert z_alpha == pytest.approx(3.7190, abs=1e-4) and critical_z(ALPHA, "less") == z_alpha < critical_z(ALPHA)
    assert power_z(alternative="greater") == pytest.approx(2 * 3.7190, abs=1e-3)
    far_above = _one_sided(50.0, 0.0, "greater", control_prediction=60.0)
    assert far_above.passed and far_above.control_rejected, "any excess over a lower bound is accepted"
    just_inside, just_outside = (_one_sided(-z_alpha + s, 0.0, "greater", 20.0) for s in (1e-9, -1e-9))
    assert just_inside.passed and not just_outside.passed
    assert _one_sided(-z_alpha + 1e-9, 0.0, "less", -20.0).passed
    assert not _one_sided(z_alpha + 1e-9, 0.0, "less", -20.0).passed and _one_sided(-50.0, 0.0, "less", -60.0).passed
    check = _one_sided(0.3, 0.0, "greater", control_prediction=9.0, se=0.5)
    assert check.threshold == z_alpha and check.resolution == pytest.approx(power_z(alternative="greater") * 0.5)
    assert check.control_distance == pytest.approx(9.0 / check.resolution)
    assert check.to_json()["alternative"] == "greater" and check.to_json()["threshold"] == z_alpha
    assert "alternative" not in _check(0.5, 10).to_json(), "two-sided records stay as they were"
    wrong_side_control = _one_sided(0.3, 0.0, "greater", control_prediction=-9.0, se=0.5)
    assert not wrong_side_control.control_rejected, "a control below the truth of 'm ≥ m₀' cannot be rejected"
    assert _verdict(_claim(), [wrong_side_control]) == "inconclusive"
    log_check = Check("c", "q", ZTest(2.0, 1.0, 0.05, log_scale=True, alternative="less"),
                      ZTest(0.5, 1.0, 0.05, log_scale=True, alternative="less"), "a bound below the truth")
    assert log_check.passed and log_check.control_rejected


def test_one_sided_input_is_validated():
    with pytest.raises(ValueError, match="alternative must be one of"):
        ZTest(0.0, 0.0, 1.0, alternative="above")
    with pytest.raises(ValueError, match="alternative must be one of"):
        critical_z(ALPHA, "two_sided")


def test_a_control_may_bound_the_other_side_and_is_judged_by_its_own_alternative():
    """A measured escape probability 1 − 1/400: "p ≥ 0.99" passes; the opposite statement
    "p ≤ 0.01" (the chain is ergodic) is rejected at its own z_α; a two-sided control at its z_{α/2}."""
    n, p_hat = 400, 1 - 1 / 400

    def proportion(level, side):
        return ZTest(level, p_hat, math.sqrt(level * (1 - level) / n), alternative=side)

    check = Check("escape", "p", proportion(0.99, "greater"), proportion(0.01, "less"), "the chain is ergodic")
    assert check.passed and check.control_rejected and check.has_own_estimate
    assert check.control_distance == pytest.approx((p_hat - 0.01) / (power_z(alternative="less") * math.sqrt(0.0099 / n)))
    inside = Check("escape", "p", proportion(0.99, "greater"), proportion(0.999, "less"), "≤ 0.999")
    assert not inside.control_rejected, "p̂ = 0.9975 does not exceed 0.999 by z_α standard errors"


@pytest.mark.parametrize("alternative, sign", [("greater", 1.0), ("less", -1.0)])
def test_one_sided_false_alarm_rate_and_power_by_simulation(alternative, sign):
    """On 10⁵ null z-values at the boundary m = m₀ (the worst case of "m ≥ m₀"), a test at α = 0.01
    rejects a fraction within a 5σ binomial interval of α; at a true m one resolution
    (z_α + z_β)·SE past the bound on the excluded side (β = 0.05) it rejects a fraction within that
    interval of 1 − β; 2 SE inside the statement's region it rejects far fewer than α. The
    two-sided test at the same α keeps its rate α (split over both tails).

    Acceptance is monotone in the estimate on each side, so the number of rejections among the
    sorted simulated estimates is found by bisection on ``Check.passed`` itself (a few dozen checks
    instead of 10⁵)."""
    rng = np.random.default_rng(20260)
    alpha, beta, n = 0.01, 0.05, 100_000
    noise = np.sort(rng.standard_normal(n))

    def passes(estimate: float, side: str) -> bool:
        return Check("c", "q", ZTest(0.0, estimate, 1.0, alternative=side),
                     ZTest(1e3, estimate, 1.0, alternative=side), "far", alpha=alpha).passed

    def first_index(values, predicate) -> int:
        """First index of the sorted ``values`` at which the monotone ``predicate`` turns true."""
        low, high = 0, len(values)
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if predicate(values[middle]) else (middle + 1, high)
        return low

    def rejection_rate(true_shift: float, side: str) -> float:
        estimates = true_shift + noise
        if side == "greater":  # rejected below the boundary
            rejected = first_index(estimates, lambda e: passes(e, side))
        elif side == "less":  # rejected above it
            rejected = n - first_index(estimates, lambda e: not passes(e, side))
        else:
            lower = first_index(estimates, lambda e: passes(e, side))
            upper = first_index(estimates, lambda e: e > 0 and not passes(e, side))
            rejected = lower + n - upper
        return rejected / n

    def within(rate: float, p: float) -> bool:
        return abs(rate - p) <= 5 * math.sqrt(p * (1 - p) / n)

    resolution = power_z(alpha, beta, alternative)
    assert resolution == pytest.approx(critical_z(alpha, alternative) + 1.644854, abs=1e-5)
    assert within(rejection_rate(0.0, alternative), alpha)
    assert within(rejection_rate(-sign * resolution, alternative), 1 - beta)
    assert rejection_rate(2.0 * sign, alternative) < alpha / 10, "inside the statement's region: far fewer alarms"
    assert within(rejection_rate(0.0, "two-sided"), alpha)


def test_two_sided_behaviour_is_unchanged_by_the_one_sided_option():
    """The default is two-sided with |z| ≤ z_{α/2}: the same pass/fail, threshold, resolution as an
    explicit alternative="two-sided", and z = ±3.8 (inside z_{α/2} = 3.89, outside z_α = 3.72) passes."""
    for z in (-4.0, -3.8, 0.0, 3.8, 4.0):
        default = _check(z, 20)
        explicit = Check("c", "q", ZTest(0.0, z, 1.0, alternative="two-sided"), ZTest(z - 20, z, 1.0, alternative="two-sided"), "wrong")
        assert (default.passed, default.threshold, default.resolution) == (explicit.passed, explicit.threshold, explicit.resolution)
        assert default.passed == (abs(z) <= critical_z()) and default.threshold == critical_z(ALPHA)


def test_a_one_sided_check_reads_z_at_least_minus_z_alpha_in_the_reports(tmp_path):
    """The check table prints a one-sided check's threshold as "z ≥ −3.72" (Markdown and HTML),
    a two-sided one as before ("3.89"), and the page says how many checks are one-sided."""
    from ebmcheck.checks.report.write import write_reports
    from ebmcheck.checks.runner import run_claims

    def checks(context):
        return [Check("lower bound", "p", ZTest(0.5, 0.52, 0.01, alternative="greater"),
                      ZTest(0.6, 0.52, 0.01, alternative="greater"), "a level above the truth"),
                _check(0.5, 10, name="two-sided")]

    claim = _claim(id="one-sided-toy", checks=checks,
                   derivation=lambda: Derivation("d", (Step(sp.diff(x**3, x), 3 * x**2, "power rule"),)))
    config = RunConfig(seed=DEFAULT_SEED, profile="quick", backend="numpy")
    out = tmp_path / "reports"
    write_reports(run_claims([claim], config, progress=False), out, config)
    threshold = f"{critical_z(alternative='greater'):.2f}"
    for page in ("one-sided-toy.md", "one-sided-toy.html"):
        text = (out / "claims" / page).read_text()
        assert f"z ≥ −{threshold}" in text and f"{critical_z():.2f}" in text and "1 one-sided" in text


def test_a_one_sided_control_across_the_same_bound_is_as_far_as_the_data_sit():
    """"m ≥ 0" tested, "m ≤ 0" the control: the two share the bound, so the control's distance is where the
    estimate sits from it, in the control's resolutions — not 0."""
    from ebmcheck.checks.anatomy import Check, ZTest, power_z

    check = Check("d", "m", ZTest(0.0, 3.6, 0.7, alternative="greater"), ZTest(0.0, 3.6, 0.7, alternative="less"), "m ≤ 0")
    assert check.passed and check.control_rejected
    assert check.control_distance == pytest.approx(3.6 / (power_z(alternative="less") * 0.7))
