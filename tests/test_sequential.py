"""Tests of checks.sequential: the normal-mixture confidence sequence and the sequential check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from ebmcheck.checks.sequential import (
    confidence_radius,
    cumulative_looks,
    mixture_rho2,
    resolution_reached,
    sequential_mean,
    sequential_means,
)

ALPHAS = (0.2, 0.05, 1e-4, 1e-8)


# ----------------------------------------------------------------------------- the boundary
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("t, variance, planned", [(1, 1.0, 1), (30, 2.5, 1000), (1000, 0.3, 1000), (10**6, 4.0, 500)])
def test_radius_is_the_level_set_of_the_mixture_martingale(alpha, t, variance, planned):
    """Independent evaluation: integrate the normal mixture of exp(λS − λ²V/2) over λ ~ N(0, ρ²/σ²)
    numerically at S = t·r_t, V = tσ²; Ville's level 1/α must be met exactly there."""
    radius = float(confidence_radius(t, variance, alpha, planned))
    rho2 = float(mixture_rho2(planned, alpha))
    s, v = t * radius, t * variance
    scale = math.sqrt(rho2 / variance)  # sd of the mixing law of λ
    centre = s / v  # the integrand peaks near λ = S/V: integrate in the log domain around it
    log_peak = centre * s - centre**2 * v / 2

    def integrand(lam):
        return math.exp(lam * s - lam * lam * v / 2 - log_peak) * stats.norm.pdf(lam, scale=scale)

    width = 12 / math.sqrt(v + 1 / scale**2)
    value, _ = integrate.quad(integrand, -centre - width, centre + width, points=[-centre, centre], limit=200,
                              epsabs=0, epsrel=1e-12)
    assert math.log(value) + log_peak == pytest.approx(-math.log(alpha), rel=1e-8)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_rho_minimises_the_radius_at_the_planned_n(alpha):
    planned = 800.0
    u_star = float(mixture_rho2(planned, alpha)) * planned
    assert u_star == pytest.approx(math.log1p(u_star) - 2 * math.log(alpha), rel=1e-12)  # the stationarity equation

    def width(log_u):  # standardised radius at t = planned for u = t ρ², written out independently
        u = math.exp(log_u)
        return math.sqrt(2 * (u + 1) / u * (0.5 * math.log(u + 1) + math.log(1 / alpha)))

    best = optimize.minimize_scalar(width, bracket=(0.0, 3.0), tol=1e-12)
    assert math.exp(best.x) == pytest.approx(u_star, rel=1e-4)
    assert float(confidence_radius(planned, 1.0, alpha, planned)) * math.sqrt(planned) == pytest.approx(
        width(math.log(u_star)), rel=1e-12)
    # The closed form of Waudby-Smith et al. (2021) is one fixed-point step away; nearly as narrow.
    u_published = -2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))
    assert 0 <= width(math.log(u_published)) / width(math.log(u_star)) - 1 < 2e-4


def test_radius_broadcasts_and_scales_with_sigma():
    n = np.arange(1, 2001)[:, None]
    variance = np.array([[0.25, 1.0, 9.0]])
    r = confidence_radius(n, variance, 1e-4, 500)
    assert r.shape == (2000, 3)
    np.testing.assert_allclose(r[:, 2], 6 * r[:, 0], rtol=1e-13)
    np.testing.assert_allclose(confidence_radius(n[:, 0], 1.0, [[0.05], [0.01]], [[100], [100]]).shape, (2, 2000))
    assert float(confidence_radius(50, 0.0, 0.05, 100)) == 0.0


@pytest.mark.parametrize("alpha", (0.5, 0.2, 0.05, 1e-4, 1e-10))
@pytest.mark.parametrize("planned", (1, 100, 10**5))
def test_radius_monotone_and_never_below_the_fixed_n_half_width(alpha, planned):
    n = np.unique(np.geomspace(1, 1e7, 4000).round())
    r = confidence_radius(n, 1.0, alpha, planned)
    assert np.all(np.diff(r) < 0), "shrinks with n"
    # At any single n the sequence is a valid 1 − α interval for Gaussian data, so never narrower
    # than the exact fixed-n interval z_{α/2} σ/√n.
    assert np.all(r >= stats.norm.isf(alpha / 2) / np.sqrt(n))
    assert np.all(confidence_radius(n, 1.0, alpha / 2, planned) > r), "widens as α falls"


def test_resolution_reached_adds_z_beta_standard_errors():
    n, var = np.array([100.0, 1000.0]), np.array([2.0, 3.0])
    expected = confidence_radius(n, var, 1e-4, 500) + stats.norm.isf(1e-4) * np.sqrt(var / n)
    np.testing.assert_allclose(resolution_reached(n, var, 1e-4, 1e-4, 500), expected, rtol=1e-14)
    np.testing.assert_allclose(resolution_reached(n, var, 1e-4, 0.5, 500), confidence_radius(n, var, 1e-4, 500))


def test_cumulative_looks_match_naive_statistics_even_far_from_zero():
    rng = np.random.default_rng(3)
    x = 1e6 + rng.standard_normal((4, 300))
    n, mean, var = cumulative_looks(x, 30)
    np.testing.assert_array_equal(n, 30 * np.arange(1, 11))
    for j, m in enumerate(n.astype(int)):
        np.testing.assert_allclose(mean[:, j], x[:, :m].mean(axis=1), rtol=1e-15, atol=0)
        np.testing.assert_allclose(var[:, j], x[:, :m].var(axis=1, ddof=1), rtol=1e-9)


# ----------------------------------------------------------------------------- the sequential check
def normal_batches(seed, mean=0.0, sd=1.0, size=50):
    return lambda i: mean + sd * np.random.default_rng([seed, i]).standard_normal(size)


def test_rejects_a_wrong_prediction_at_the_first_look():
    res = sequential_mean(normal_batches(1, mean=1.0), 0.0, 1.0, alpha=1e-4, beta=1e-4, resolution=math.inf,
                          batch_size=50, max_batches=10)
    assert res.stopped == "prediction rejected" and res.prediction_rejected and res.batches == 1 and res.n == 50
    assert abs(res.estimate - res.prediction) > res.radius


def test_rejection_takes_precedence_over_a_decision_at_the_same_look():
    # Both the prediction (0) and the control (−1) lie outside the interval around ≈ 1.
    res = sequential_mean(normal_batches(1, mean=1.0), 0.0, -1.0, alpha=1e-4, beta=1e-4, resolution=math.inf,
                          batch_size=50, max_batches=10)
    assert res.stopped == "prediction rejected" and res.control_rejected


def test_decides_once_the_control_is_rejected():
    res = sequential_mean(normal_batches(2), 0.0, 5.0, alpha=1e-4, beta=1e-4, resolution=math.inf,
                          batch_size=50, max_batches=10)
    assert res.stopped == "decided" and res.decided and res.control_rejected and res.batches == 1


def test_keeps_drawing_until_the_target_resolution_is_reached():
    target = 0.4
    res = sequential_mean(normal_batches(3, size=20), 0.0, 5.0, alpha=1e-4, beta=1e-4, resolution=target,
                          batch_size=20, max_batches=100)
    h = res.history
    assert res.stopped == "decided" and res.resolution <= target < h["resolution"][-2]
    assert res.batches > 1 and h["n"].tolist() == [20 * (i + 1) for i in range(res.batches)]
    assert res.details["target_resolution"] == target


def test_budget_when_the_control_cannot_be_told_apart():
    calls = []

    def draw(i):
        calls.append(i)
        return normal_batches(4)(i)

    res = sequential_mean(draw, 0.0, 0.01, alpha=1e-4, beta=1e-4, resolution=math.inf, batch_size=50, max_batches=6)
    assert res.stopped == "budget" and res.n == 300 and res.batches == 6 and calls == list(range(6))
    assert not res.control_rejected and res.planned_n == 300  # the default: the budget
    assert len(res.history["n"]) == 6 and res.history["radius"][-1] == res.radius


def test_no_look_before_first_look():
    # A wrong prediction is rejected at the first look, which waits for n ≥ first_look.
    res = sequential_mean(normal_batches(1, mean=1.0), 0.0, 1.0, alpha=1e-4, beta=1e-4, resolution=math.inf,
                          batch_size=50, max_batches=10, first_look=120)
    assert res.stopped == "prediction rejected" and res.n == 150 and res.history["n"].tolist() == [150]
    never = sequential_mean(normal_batches(1, mean=1.0), 0.0, 1.0, alpha=1e-4, beta=1e-4, resolution=math.inf,
                            batch_size=50, max_batches=2, first_look=500)
    assert never.stopped == "budget" and never.history["n"].size == 0 and never.radius == math.inf


def test_diverged_batch_stops_the_check():
    def draw(i):
        batch = normal_batches(5)(i)
        if i == 2:
            batch[7] = np.nan
        return batch

    res = sequential_mean(draw, 0.0, 5.0, alpha=1e-4, beta=1e-4, resolution=1e-9, batch_size=50, max_batches=10)
    assert res.stopped == "diverged" and res.batches == 3 and res.n == 100


def test_standard_error_turns_the_suite_z_test_into_the_sequence_test():
    for seed in range(20):
        res = sequential_mean(normal_batches(seed, mean=0.05), 0.0, 2.0, alpha=1e-4, beta=1e-4, resolution=0.05,
                              batch_size=50, max_batches=40, planned_n=1000)
        z = stats.norm.isf(res.alpha / 2)  # = checks.anatomy.critical_z(alpha)
        assert res.standard_error * z == pytest.approx(res.radius, rel=1e-15)
        assert (abs(res.estimate - res.prediction) <= z * res.standard_error) == (not res.prediction_rejected)


def test_engine_agrees_with_the_vectorised_looks():
    rng = np.random.default_rng(6)
    x = 3.0 + 2.0 * rng.standard_normal(40 * 25)
    res = sequential_mean(lambda i: x[25 * i:25 * (i + 1)], 3.0, 3.0 + 1e-9, alpha=0.05, beta=0.1, resolution=1e-12,
                          batch_size=25, max_batches=40, planned_n=400)
    n, mean, var = cumulative_looks(x, 25)
    assert res.stopped == "budget"
    np.testing.assert_array_equal(res.history["n"], n)
    np.testing.assert_allclose(res.history["estimate"], mean, rtol=1e-13)
    np.testing.assert_allclose(res.history["radius"], confidence_radius(n, var, 0.05, 400), rtol=1e-11)
    np.testing.assert_allclose(res.history["resolution"], resolution_reached(n, var, 0.05, 0.1, 400), rtol=1e-11)


def test_several_means_split_alpha_and_reject_on_any_coordinate():
    def draw(i, shift=(0.0, 0.0, 0.0)):
        return np.asarray(shift) + np.random.default_rng([7, i]).standard_normal((40, 3))

    ok = sequential_means(draw, [0.0, 0.0, 0.0], [0.0, 0.0, 3.0], alpha=3e-4, beta=1e-4, resolution=math.inf,
                          batch_size=40, max_batches=5)
    assert ok.stopped == "decided" and ok.alpha == pytest.approx(1e-4) and ok.estimate.shape == (3,)
    assert ok.history["radius"].shape == (ok.batches, 3)
    np.testing.assert_allclose(ok.radius, confidence_radius(ok.n, ok.variance, 1e-4, 200))
    bad = sequential_means(lambda i: draw(i, (0.0, 2.0, 0.0)), [0.0, 0.0, 0.0], [0.0, 2.0, 0.0], alpha=3e-4,
                           beta=1e-4, resolution=math.inf, batch_size=40, max_batches=5)
    assert bad.stopped == "prediction rejected" and bad.batches == 1


# ----------------------------------------------------------------------------- bad input
GOOD = dict(alpha=0.05, beta=0.1, resolution=1.0, batch_size=10, max_batches=3)


@pytest.mark.parametrize("name, value", [
    ("alpha", 0.0), ("alpha", 1.0), ("alpha", -0.1), ("alpha", math.nan),
    ("beta", 0.0), ("beta", 0.7), ("beta", math.nan),
    ("resolution", 0.0), ("resolution", -1.0), ("resolution", math.nan),
    ("batch_size", 0), ("batch_size", 1), ("batch_size", 2.5), ("batch_size", True),
    ("max_batches", 0), ("max_batches", 1.0),
    ("planned_n", 0.0), ("planned_n", -5.0), ("planned_n", math.inf), ("first_look", 1), ("first_look", 10.5),
])
def test_bad_arguments_raise_naming_the_argument(name, value):
    with pytest.raises((TypeError, ValueError), match=name):  # TypeError for the wrong kind (2.5, True)
        sequential_mean(normal_batches(0, size=10), 0.0, 1.0, **{**GOOD, name: value})


def test_bad_predictions_and_batches_raise():
    with pytest.raises(ValueError, match="prediction"):
        sequential_mean(normal_batches(0, size=10), math.nan, 1.0, **GOOD)
    with pytest.raises(ValueError, match="prediction"):
        sequential_mean(normal_batches(0, size=10), [0.0, 1.0], 1.0, **GOOD)
    with pytest.raises(ValueError, match="control"):
        sequential_means(lambda i: np.zeros((10, 2)), [0.0, 1.0], [1.0], **GOOD)
    with pytest.raises(ValueError, match="draw_batch"):
        sequential_mean(normal_batches(0, size=11), 0.0, 1.0, **GOOD)
    with pytest.raises(ValueError, match="draw_batch"):
        sequential_mean(lambda i: np.zeros((10, 1)), 0.0, 1.0, **GOOD)
    with pytest.raises(TypeError, match="draw_batch"):
        sequential_mean("not callable", 0.0, 1.0, **GOOD)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=0), "n"), (dict(n=-1), "n"), (dict(variance=-1.0), "variance"), (dict(variance=math.nan), "variance"),
    (dict(alpha=1.5), "alpha"), (dict(planned_n=0), "planned_n"),
])
def test_radius_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        confidence_radius(**{**dict(n=10, variance=1.0, alpha=0.05, planned_n=100), **kwargs})


def test_cumulative_looks_rejects_a_ragged_last_batch():
    with pytest.raises(ValueError, match="batch_size"):
        cumulative_looks(np.zeros(25), 10)


# ----------------------------------------------------------------------------- statistical validation
RUNS, BATCHES, SIZE, ALPHA_SWEEP = 400, 50, 20, 0.2


def null_sweep():
    """400 null runs per distribution (normal; chi-square 1 dof, mean 1), 50 batches of 20."""
    rng = np.random.default_rng(20240601)
    normal = rng.standard_normal((RUNS, BATCHES * SIZE))
    chi2 = rng.standard_normal((RUNS, BATCHES * SIZE)) ** 2
    return {"normal": (normal, 0.0), "chi-square 1 dof": (chi2, 1.0)}


@pytest.mark.parametrize("name", ["normal", "chi-square 1 dof"])
def test_false_alarms_under_peeking_stay_below_alpha_and_the_fixed_n_test_inflates(name):
    x, mu = null_sweep()[name]
    n, mean, var = cumulative_looks(x, SIZE)
    dev = np.abs(mean - mu)
    cs = int(np.any(dev > confidence_radius(n, var, ALPHA_SWEEP, BATCHES * SIZE), axis=1).sum())
    z_each = dev > stats.norm.isf(ALPHA_SWEEP / 2) * np.sqrt(var / n)
    peek, final = int(np.any(z_each, axis=1).sum()), int(z_each[:, -1].sum())
    # Sequence: consistent with a rate ≤ α (one-sided binomial, 99.99 %).
    assert cs <= stats.binom.ppf(1 - 1e-4, RUNS, ALPHA_SWEEP), (cs, RUNS)
    # Fixed-n z-test with peeking: significantly above α (P(X ≥ count | α) < 1e-4).
    assert stats.binom.sf(peek - 1, RUNS, ALPHA_SWEEP) < 1e-4, (peek, RUNS)
    # The same z-test at the final n only is calibrated (two-sided 99.99 %): the sweep itself is sound.
    lo, hi = stats.binom.interval(1 - 1e-4, RUNS, ALPHA_SWEEP)
    assert lo <= final <= hi, (final, RUNS)


def test_sequential_mean_stops_where_the_sweep_first_crosses():
    x, mu = null_sweep()["chi-square 1 dof"]
    n, mean, var = cumulative_looks(x[:60], SIZE)
    crossed = np.abs(mean - mu) > confidence_radius(n, var, ALPHA_SWEEP, BATCHES * SIZE)
    for run in range(60):
        res = sequential_mean(lambda i, run=run: x[run, SIZE * i:SIZE * (i + 1)], mu, mu + 1e-9, alpha=ALPHA_SWEEP, beta=0.1,
                              resolution=1e-12, batch_size=SIZE, max_batches=BATCHES)
        if crossed[run].any():
            assert res.stopped == "prediction rejected" and res.batches == crossed[run].argmax() + 1
        else:
            assert res.stopped == "budget" and res.batches == BATCHES


# ----------------------------------------------------------------------------- the log scale
def chi2_batches(seed, scale=1.0, size=100):
    return lambda i: scale * np.random.default_rng([seed, i]).standard_normal(size) ** 2


def test_log_scale_decides_on_log_mean_with_the_same_radius_and_suite_z_test_agrees():
    """On the log scale the prediction is rejected iff |log m̂ − log m| > r_t/m̂, and the suite's
    ZTest(log_scale=True) with the returned standard error accepts exactly the same predictions."""
    from ebmcheck.checks.anatomy import Check, ZTest

    for seed in range(30):
        res = sequential_mean(chi2_batches(seed), 1.0, 2.0, alpha=1e-4, beta=1e-4, resolution=0.3,
                              batch_size=100, max_batches=30, first_look=200, log_scale=True)
        inside = abs(math.log(res.estimate)) <= res.radius / res.estimate
        assert inside == (not res.prediction_rejected)
        check = Check("c", "q", ZTest(1.0, res.estimate, res.standard_error, log_scale=True),
                      ZTest(2.0, res.estimate, res.standard_error, log_scale=True), "double", alpha=res.alpha)
        assert check.passed == inside
        if res.decided:  # the relative resolution reached is the target's unit: ≤ 0.3 of the mean
            assert res.resolution <= 0.3 and check.control_rejected


def test_log_scale_rejects_a_wrong_positive_mean_and_reports_relative_resolution():
    res = sequential_mean(chi2_batches(1, scale=1.3, size=200), 1.0, 2.0, alpha=1e-4, beta=1e-4, resolution=0.05,
                          batch_size=200, max_batches=100, first_look=400, log_scale=True)
    assert res.stopped == "prediction rejected"
    ok = sequential_mean(chi2_batches(2, size=200), 1.0, 1.5, alpha=1e-4, beta=1e-4, resolution=0.4,
                         batch_size=200, max_batches=100, first_look=400, log_scale=True)
    assert ok.stopped == "decided" and ok.resolution <= 0.4 and ok.details["scale"] == "log"
    # relative: the same resolution whatever the units of the data
    scaled = sequential_mean(chi2_batches(2, scale=1e6, size=200), 1e6, 1.5e6, alpha=1e-4, beta=1e-4, resolution=0.4,
                             batch_size=200, max_batches=100, first_look=400, log_scale=True)
    assert scaled.n == ok.n and scaled.resolution == pytest.approx(ok.resolution, rel=1e-12)


@pytest.mark.parametrize("prediction, control", [(0.0, 1.0), (1.0, -1.0)])
def test_log_scale_needs_positive_prediction_and_control(prediction, control):
    with pytest.raises(ValueError, match="log_scale needs positive"):
        sequential_mean(chi2_batches(0), prediction, control, alpha=1e-4, beta=1e-4, resolution=0.1,
                        batch_size=10, max_batches=2, log_scale=True)


def test_log_scale_keeps_the_level_where_the_linear_scale_does_not():
    """Chi-square(1) values, α = 1e-3 (where a sweep in a unit test can see it): 10⁵ null runs
    looking every 100 values from 200 to 2000. Linear scale: near 1e-3 (the low tail, measured
    9.9e-4 at 10⁶ runs); log scale: well below (2.6e-4). The benchmark has α = 1e-4."""
    rng = np.random.default_rng(77)
    runs, alpha = 100_000, 1e-3
    counts = np.zeros(2, dtype=int)
    for _ in range(10):
        n, mean, var = cumulative_looks(rng.standard_normal((runs // 10, 2000)) ** 2, 100)
        radius = confidence_radius(n, var, alpha, 2000)
        counts[0] += int(np.any((np.abs(mean - 1) > radius) & (n >= 200), axis=1).sum())
        counts[1] += int(np.any((np.abs(np.log(mean)) * mean > radius) & (n >= 200), axis=1).sum())
    assert counts[1] <= stats.binom.ppf(1 - 1e-4, runs, alpha / 2), counts  # log: at most α/2, 99.99 %
    assert counts[1] < counts[0], counts
