r"""Checks of review 003 §3.3 (diffusion models): Fokker–Planck, the Wiener law, the endpoint
conditions of eq. 45, naive score diffusion, Anderson's reverse SDE, the variance-exploding process.

Every SDE is simulated with :func:`ebmcheck.theory.sde.euler_maruyama`, paths as an array axis.
Discretisation bias: for constant or piecewise-constant coefficients the scheme is exact in law
(Fokker–Planck d = 2, Wiener, the endpoint pairs). Elsewhere each variance is the Richardson
combination :math:`2\operatorname{Var}X^{h} - \operatorname{Var}X^{2h}` of a run and a half-step run on
the same Brownian path (:func:`~ebmcheck.theory.sde.coupled_euler_maruyama`; estimated per path,
so its SE is about one run's), and for the linear SDEs (OU, naive score diffusion, the Gaussian
reverse SDE, the variance-exploding process) the scheme's exact moments
(:func:`~ebmcheck.theory.sde.linear_moments`) give the bias of that combination, which the step
count keeps below a tenth of the SE. The mixture reverse SDE uses the step count of the Gaussian
case (its bias is of the same order; the scheme's weak order is checked in a claim and in the
tests). KS tests use the fine run alone; its derived O(h) variance bias is reported in the details
and moves the KS distance by about 0.12·(relative variance bias), a small fraction of the critical
distance :math:`\approx 2.2/\sqrt n`.

Statistical checks: moments by :func:`mean_and_standard_error`; distributional tests are
Kolmogorov–Smirnov tests at the suite's α, reported as :math:`z = \Phi^{-1}(1 - p/2)` against 0
(so |z| ≤ z_{α/2} ⇔ p ≥ α); their control is the KS test of the same (or a control run's) sample
against a wrong law.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp
from scipy import special, stats

from ebmcheck.checks.anatomy import (ALPHA, Check, Claim, Context, NotEncoded, Source, ZTest, mean_and_standard_error,
                                     printed_statement_controls)
from ebmcheck.derivations import diffusion as derivation
from ebmcheck.theory.sde import coupled_euler_maruyama, euler_maruyama, linear_moments

TOPIC = "diffusion"
REVIEW = "003"
HOST_ONLY = ("Euler–Maruyama on numpy (2·10⁴ paths quick, 4·10⁵ full, a few hundred steps), closed forms and SciPy's "
             "KS test on the host; each claim's simulations take well under a second quick")
BIAS_FRACTION = 0.1
"""The derived Euler–Maruyama bias is kept below this fraction of the check's standard error."""


@functools.cache
def _exports(name: str) -> dict:
    """The closed forms a derivation exports, built once per process (the confirmation run reuses them)."""
    return getattr(derivation, name)().exports


def _paths(context: Context) -> int:
    return context.size(quick=20_000, full=400_000)


def _compile(expr, *symbols):
    return sp.lambdify(symbols, expr, "numpy")


def _variance(samples) -> tuple[float, float]:
    """Sample variance and its standard error (the mean of squared deviations from the sample mean)."""
    samples = np.asarray(samples, float)
    est, se = mean_and_standard_error((samples - samples.mean()) ** 2)
    return float(est), float(se)


def _moment_check(name, quantity, estimate, prediction, control_prediction, label, **extra) -> Check:
    est, se = estimate
    return Check(name, quantity, ZTest(prediction, est, se), ZTest(control_prediction, est, se), label, **extra)


def _control_run_check(name, quantity, estimate, prediction, control_estimate, label, **extra) -> Check:
    """The control is a different run's statistic held against the same prediction."""
    est, se = estimate
    c_est, c_se = control_estimate
    return Check(name, quantity, ZTest(prediction, est, se), ZTest(prediction, c_est, c_se), label, **extra)


def _ks_z(samples, cdf) -> float:
    r"""The KS test's p-value as a z: :math:`\Phi^{-1}(1 - p/2)`, computed from :math:`\log p` so that it is not
    capped where p underflows; there :math:`\log p` is Kolmogorov's tail :math:`\log 2 - 2nD^2` (its leading term,
    which the exact p approaches from below: the z of a far control is then a slight underestimate, never a cap)."""
    samples = np.asarray(samples, float)
    result = stats.kstest(samples, cdf)
    log_p = math.log(result.pvalue) if result.pvalue > 0 else math.log(2.0) - 2.0 * samples.size * result.statistic**2
    return float(-special.ndtri_exp(log_p - math.log(2.0)))


def _ks_check(name, samples, cdf, control_samples, control_cdf, label, **extra) -> Check:
    r"""KS test at the suite's α as a z-test: z = Φ⁻¹(1 − p/2) against 0, SE 1."""
    z_test = _ks_z(samples, cdf)
    z_control = _ks_z(control_samples, control_cdf)
    return Check(name, r"\Phi^{-1}(1 - p_{KS}/2)", ZTest(0.0, z_test, 1.0), ZTest(0.0, z_control, 1.0), label,
                 error_kind="monte-carlo (Kolmogorov–Smirnov)", **extra)


def _richardson_variance(pair) -> tuple[float, float]:
    r""":math:`2\operatorname{Var}X^{h} - \operatorname{Var}X^{2h}` from a coupled pair, estimated as the mean of the
    per-path values :math:`2(X^h_i - \bar X^h)^2 - (X^{2h}_i - \bar X^{2h})^2` (so the coupling's correlation is in the SE)."""
    fine, coarse = np.asarray(pair.fine.x, float), np.asarray(pair.coarse.x, float)
    per_path = 2 * (fine - fine.mean(axis=0)) ** 2 - (coarse - coarse.mean(axis=0)) ** 2
    est, se = mean_and_standard_error(per_path)
    return float(est), float(se)


def _richardson_steps(em_variance, exact: float, standard_error: float, start: int = 10) -> tuple[int, float]:
    """Smallest even step count K (doubling) whose derived Richardson bias 2v_K − v_{K/2} − exact is below
    BIAS_FRACTION·SE, and that bias; ``em_variance(K)`` is the scheme's exact variance after K steps."""
    def bias(steps):
        return 2 * em_variance(steps) - em_variance(steps // 2) - exact

    steps = _steps_for_bias(bias, standard_error, start=start)
    return steps, bias(steps)


def _ks_critical_distance(n: int) -> float:
    """Kolmogorov–Smirnov critical distance at the suite's α for n samples, √(ln(2/α)/(2n))."""
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


def _ks_shift(delta_mean: float, delta_var: float, variance: float) -> float:
    r"""First-order bound on :math:`\sup_x|F_{N(m+\delta m,\,v+\delta v)} - F_{N(m,v)}|`:
    :math:`|\delta m|/\sqrt{2\pi v} + |\sqrt{1 + \delta v/v} - 1|/\sqrt{2\pi e}` (the scheme's bias of a KS test's law)."""
    return abs(delta_mean) / math.sqrt(2 * math.pi * variance) + abs(math.sqrt(1 + delta_var / variance) - 1) / math.sqrt(
        2 * math.pi * math.e)


def _steps(richardson_bias, ks_shift, standard_error: float, n: int, start: int = 10) -> int:
    """Smallest even step count (doubling) whose derived Richardson variance bias is below BIAS_FRACTION·SE and
    whose fine run's derived law shift is below BIAS_FRACTION·(KS critical distance)."""
    return max(_steps_for_bias(richardson_bias, standard_error, start=start),
               _steps_for_bias(ks_shift, _ks_critical_distance(n), start=start))


def _steps_for_bias(bias_of_steps, standard_error: float, start: int = 50, limit: int = 20_000) -> int:
    """Smallest step count (doubling from ``start``) whose derived bias is below BIAS_FRACTION·SE."""
    steps = start
    while abs(bias_of_steps(steps)) > BIAS_FRACTION * standard_error:
        steps *= 2
        if steps > limit:
            raise RuntimeError(f"no step count up to {limit} makes the derived bias below {BIAS_FRACTION}·SE")
    return steps


def _variance_se(variance: float, n: int) -> float:
    """Standard error of a Gaussian sample variance, √(2/n)·v: sizes the step count before the run."""
    return variance * math.sqrt(2.0 / n)


def _mixture_cdf(weights, means, variances):
    weights, means, sds = np.asarray(weights), np.asarray(means), np.sqrt(np.asarray(variances))
    return lambda points: np.sum(weights * stats.norm.cdf((np.asarray(points)[:, None] - means) / sds), axis=1)


def _mixture_moments(weights, means, variances) -> tuple[float, float]:
    weights, means, variances = map(np.asarray, (weights, means, variances))
    mean = float(weights @ means)
    return mean, float(weights @ (variances + means**2) - mean**2)


def _mixture_sample(rng, n, weights, means, variances) -> np.ndarray:
    component = rng.choice(len(weights), size=n, p=weights)
    return np.asarray(means)[component] + np.sqrt(np.asarray(variances))[component] * rng.standard_normal(n)


# ---- Proposition 3.2 -------------------------------------------------------------------------------------
def _order_from_biases(biases) -> tuple[float, float]:
    """Weak order log2(b(h)/b(h/2)) from the last pair, its error the change from the pair before."""
    orders = [math.log2(abs(b1 / b2)) for b1, b2 in zip(biases, biases[1:])]
    return orders[-1], abs(orders[-1] - orders[-2])


def fokker_planck_checks(context: Context) -> list[Check]:
    exports = _exports("fokker_planck")
    n, horizon = _paths(context), 1.0
    sigma = np.array(exports["sigma"], dtype=float)
    t_sym = derivation.t
    cov = np.array(exports["covariance"].subs(t_sym, horizon), dtype=float)
    cov_printed = np.array(exports["covariance_printed"].subs(t_sym, horizon), dtype=float)
    n_2d = context.size(quick=150_000, full=3_200_000)  # 4 steps: cheap; the off-diagonal −0.5 needs the paths
    x_end = euler_maruyama(lambda x, t: 0.0, lambda x, t: sigma, np.zeros((n_2d, 2)), 0.0, horizon, 4,
                           context.rng("d=2 constant sigma"), matrix_noise=True).x
    checks = []
    for i, j in ((0, 0), (0, 1), (1, 1)):
        centred = x_end - x_end.mean(axis=0)
        estimate = tuple(float(v) for v in mean_and_standard_error(centred[:, i] * centred[:, j]))
        checks.append(_moment_check(
            f"d=2 Cov[X_1]_{i + 1}{j + 1}", rf"\operatorname{{Cov}}(X_1)_{{{i + 1}{j + 1}}}", estimate, cov[i, j],
            cov_printed[i, j], "eq. 41 as printed (σ² = σσ): Cov X_t = t(σσ + (σσ)ᵀ)/2",
            details={"sigma": sigma, "paths": n_2d, "steps": 4, "scheme": "Euler–Maruyama, exact for constant σ"}))
    # d = 1 OU: dX = −θX dt + s dW from N(m0, v0)
    theta, s, m0, v0 = 1.0, 1.0, 2.0, 0.25
    symbols = [sp.Symbol(name, **kw) for name, kw in (("theta", {"positive": True}), ("s", {"positive": True}),
                                                       ("m0", {"real": True}), ("v0", {"positive": True}))]
    mean_of = _compile(exports["ou_mean"], t_sym, *symbols)
    var_of = _compile(exports["ou_variance"], t_sym, *symbols)
    mean_pred, var_pred = float(mean_of(horizon, theta, s, m0, v0)), float(var_of(horizon, theta, s, m0, v0))
    var_no_half = float(var_of(horizon, theta, math.sqrt(2.0) * s, m0, v0))

    def em_moments(steps):
        return linear_moments(lambda u: -theta, lambda u: 0.0, lambda u: s, m0, v0, 0.0, horizon, steps)

    def em_variance(steps):
        return em_moments(steps).variance

    def ks_shift(steps):
        em = em_moments(steps)
        return _ks_shift(em.mean - mean_pred, em.variance - var_pred, var_pred)

    steps = _steps(lambda k: 2 * em_variance(k) - em_variance(k // 2) - var_pred, ks_shift, _variance_se(var_pred, n), n)
    richardson_bias = 2 * em_variance(steps) - em_variance(steps // 2) - var_pred
    rng = context.rng("OU d=1")
    x0 = m0 + math.sqrt(v0) * rng.standard_normal(n)
    pair = coupled_euler_maruyama(lambda x, t: -theta * x, lambda x, t: s, x0, 0.0, horizon, steps, rng)
    x_ou = pair.fine.x
    details = {"theta": theta, "s": s, "start": f"N({m0}, {v0})", "steps": steps, "paths": n,
               "variance": "Richardson 2·Var(K steps) − Var(K/2 steps), same Brownian path",
               "derived_richardson_bias": richardson_bias, "derived_em_bias_fine_run": em_variance(steps) - var_pred,
               "derived_ks_shift_fine_run": ks_shift(steps), "ks_critical_distance": _ks_critical_distance(n)}
    checks.append(_moment_check("OU d=1 Var X_1", r"\operatorname{Var} X_1", _richardson_variance(pair), var_pred, var_no_half,
                                "the ½ dropped from eq. 41 (diffusion s², not s²/2)", details=details))
    checks.append(_ks_check("OU d=1 law of X_1 (KS)", x_ou, stats.norm(mean_pred, math.sqrt(var_pred)).cdf, x_ou,
                            stats.norm(mean_pred, math.sqrt(var_no_half)).cdf,
                            "the ½ dropped from eq. 41: N(m(1), v(1)) with diffusion s²", details=details))
    # weak order of the scheme, from its exact moments (derived, not estimated)
    biases = [em_variance(k) - var_pred for k in (10, 20, 40, 80)]
    order, error = _order_from_biases(biases)
    checks.append(Check("Euler–Maruyama weak order (OU variance)", r"\log_2\frac{b(h)}{b(h/2)}", ZTest(1.0, order, error),
                        ZTest(2.0, order, error), "weak order 2", error_kind="richardson (exact scheme moments)",
                        details={"biases": biases, "steps": [10, 20, 40, 80]}))
    return printed_statement_controls(checks, "eq. 41 as printed")


# ---- Example 3.1 -------------------------------------------------------------------------------------------
def wiener_checks(context: Context) -> list[Check]:
    exports = _exports("wiener_heat")
    n = _paths(context)
    variance_of = _compile(exports["variance"], derivation.t)
    solution = euler_maruyama(lambda x, t: 0.0, lambda x, t: 1.0, np.zeros(n), 0.0, 1.0, 10, context.rng("W"),
                              save_at=(0.5,))
    checks = []
    delta = context.size(quick=0.3, full=0.06)
    for time, sample in ((1.0, solution.x), (0.5, solution.saved[0])):
        v = float(variance_of(time))
        details = {"paths": n, "steps": 10, "scheme": "Euler–Maruyama, exact for dX = dW"}
        checks.append(_moment_check(f"Var X_{time:g}", rf"\operatorname{{Var}} X_{{{time:g}}}", _variance(sample), v,
                                    v * (1 + delta), f"variance off by {delta:.0%}", details=details))
        checks.append(_ks_check(f"law of X_{time:g} (KS)", sample, stats.norm(0, math.sqrt(v)).cdf, sample,
                                stats.norm(0, math.sqrt(2 * v)).cdf,
                                "N(0, 2t): the heat equation without the ½", details=details))
    return checks


# ---- Definition 3.2 --------------------------------------------------------------------------------------------
def endpoint_checks(context: Context) -> list[Check]:
    exports = _exports("endpoint_nonunique")
    m_value, s_value = 1.0, 1.5
    subs = {sp.Symbol("m", positive=True): m_value, sp.Symbol("s", positive=True): s_value}
    value = {key: float(expr.subs(subs)) for key, expr in exports.items() if key != "mean_i"}
    lag = context.size(quick=0.05, full=0.01)
    early_mean_i = float(exports["mean_i"].subs({**subs, derivation.t: 0.5 - lag}))
    n = context.size(quick=60_000, full=1_500_000)  # 10 steps: cheap; the differences need the paths
    x0 = context.rng("start").standard_normal(n)
    rate = s_value**2 - 1

    def pair_ii_drift(x, t):
        return 2 * m_value if t >= 0.5 else 0.0

    def pair_ii_diffusion(x, t):
        return math.sqrt(2 * rate) if t >= 0.5 else 0.0

    pair_i = euler_maruyama(lambda x, t: m_value, lambda x, t: math.sqrt(rate), x0, 0.0, 1.0, 10,
                            context.rng("pair i"), save_at=(0.5,))
    pair_ii = euler_maruyama(pair_ii_drift, pair_ii_diffusion, x0, 0.0, 1.0, 10, context.rng("pair ii"), save_at=(0.5,))
    details = {"paths": n, "steps": 10, "scheme": "Euler–Maruyama, exact for piecewise-constant coefficients on the grid",
               "pair_i": "μ = m, σ = √(s² − 1)", "pair_ii": "μ = σ = 0 on [0, ½]; μ = 2m, σ = √(2(s² − 1)) on (½, 1]"}
    target = stats.norm(value["end_mean"], math.sqrt(value["end_var"])).cdf
    base = stats.norm(0, 1).cdf
    checks = [
        _ks_check(f"pair {name}: law of X_1 = ρ_* (KS)", run.x, target, run.x, base,
                  "X_1 ~ ρ̄ (no transport)", details=details)
        for name, run in (("i", pair_i), ("ii", pair_ii))
    ]
    # both pairs start from the same X_0: per-path differences carry that correlation into the SE
    mid_i, mid_ii = pair_i.saved[0], pair_ii.saved[0]
    squares = (mid_i - mid_i.mean()) ** 2 - (mid_ii - mid_ii.mean()) ** 2
    difference = tuple(float(v) for v in mean_and_standard_error(squares))
    checks.append(_moment_check("Var X_½ (i) − Var X_½ (ii)", r"\operatorname{Var}X^{(i)}_{1/2} - \operatorname{Var}X^{(ii)}_{1/2}",
                                difference, value["mid_var_i"] - value["mid_var_ii"], 0.0,
                                "the endpoints fix the process: the same law at t = ½", details=details))
    checks.append(_moment_check("E X_½ (i) − E X_½ (ii)", r"\mathbb{E}X^{(i)}_{1/2} - \mathbb{E}X^{(ii)}_{1/2}",
                                tuple(float(v) for v in mean_and_standard_error(mid_i - mid_ii)),
                                value["mid_mean_i"] - value["mid_mean_ii"], early_mean_i - value["mid_mean_ii"],
                                f"pair (i) read at t = {0.5 - lag:g} (a slightly wrong time)", details=details))
    return checks


# ---- Proposition 3.3 ------------------------------------------------------------------------------------------
NAIVE = {"a": 1.0, "w": 0.5, "m0": -1.0, "v0": 2.0}


def _naive_functions(exports):
    symbols = (derivation.t, derivation.EPS, derivation.TARGET_MEAN, derivation.TARGET_VAR, derivation.M0, derivation.V0)
    mean_t = _compile(exports["mean"], *symbols)
    var_t = _compile(exports["variance"], *symbols)
    return symbols, mean_t, var_t


def _naive_sde(context, name, eps, horizon, x0, steps):
    """The naive score SDE dX = −ε(X − a)/w dt + √(2ε) dW (Gaussian target), a coupled fine/coarse pair."""
    a, w = NAIVE["a"], NAIVE["w"]
    return coupled_euler_maruyama(lambda x, t: -eps * (x - a) / w, lambda x, t: math.sqrt(2 * eps), x0, 0.0, horizon,
                                  steps, context.rng(name))


def _naive_steps(eps, horizon, var_pred, n, m0, v0) -> tuple[int, float]:
    """Step count whose derived Richardson bias of Var X_horizon is below BIAS_FRACTION·SE, and that bias."""
    a, w = NAIVE["a"], NAIVE["w"]

    def em_variance(steps):
        return linear_moments(lambda u: -eps / w, lambda u: eps * a / w, lambda u: math.sqrt(2 * eps), m0, v0, 0.0,
                              horizon, steps).variance

    return _richardson_steps(em_variance, var_pred, _variance_se(var_pred, n))


def naive_kl_checks(context: Context) -> list[Check]:
    exports = _exports("naive_score_kl")
    symbols, _, var_t = _naive_functions(exports)
    kl_expr = exports["kl"].subs({derivation.M: exports["mean"], derivation.V: exports["variance"]})
    kl_t = _compile(kl_expr, *symbols)
    fisher_t = _compile(exports["fisher"].subs({derivation.M: exports["mean"], derivation.V: exports["variance"]}), *symbols)
    a, w, m0, v0 = NAIVE["a"], NAIVE["w"], NAIVE["m0"], NAIVE["v0"]
    checks, time = [], 0.3
    for eps in (0.5, 2.0):
        args = (eps, a, w, m0, v0)
        derivative = []
        for h in (1e-2, 5e-3):  # central differences, Richardson-extrapolated; error = the extrapolation's change
            derivative.append((kl_t(time + h, *args) - kl_t(time - h, *args)) / (2 * h))
        extrapolated = (4 * derivative[1] - derivative[0]) / 3
        error = abs(extrapolated - derivative[1])
        fisher = float(fisher_t(time, *args))
        checks.append(Check(f"ε={eps:g}: dKL/dt at t={time:g}", r"\tfrac{d}{dt}D_{KL}(\rho_t\|\rho_*)",
                            ZTest(-eps * fisher, float(extrapolated), error), ZTest(-fisher, float(extrapolated), error),
                            "eq. 50 as printed: dKL/dt = −∫ρ|∇log R|² (no ε)", error_kind="finite-difference",
                            details={"target": "N(1, 0.5)", "start": "N(−1, 2)", "fisher": fisher}))
    # the law itself: the SDE's variance follows the ε-Fokker–Planck equation, not eq. 47 (ε = 1)
    eps, horizon, n = 0.5, 0.3, _paths(context)
    var_pred = float(var_t(horizon, eps, a, w, m0, v0))
    steps, bias = _naive_steps(eps, horizon, var_pred, n, m0, v0)
    rng = context.rng("start")
    x0 = m0 + math.sqrt(v0) * rng.standard_normal(n)
    pair = _naive_sde(context, "naive SDE", eps, horizon, x0, steps)
    checks.append(_moment_check(f"ε={eps:g}: Var X_{horizon:g}", rf"\operatorname{{Var}} X_{{{horizon:g}}}",
                                _richardson_variance(pair), var_pred, float(var_t(horizon, 1.0, a, w, m0, v0)),
                                "eq. 47 as printed (the Fokker–Planck flow without ε, i.e. ε = 1)",
                                details={"paths": n, "steps": steps, "derived_richardson_bias": bias,
                                         "variance": "Richardson 2·Var(K steps) − Var(K/2 steps), same Brownian path"}))
    return printed_statement_controls(checks, "as printed")


END_STEPS = {"quick": 400, "full": 3200}
"""Steps to T = 5/ε: EM's stationary variance is w/(1 − εh/(2w)) with εh/w = 10/K: 1.3 % high quick, 0.16 % full;
the law's shift (:func:`_ks_shift`, ≈ 0.12·relative variance error) is 0.0015 quick, 0.0002 full — about a tenth
of the KS critical distance ≈ 2.2/√n (0.016 quick, 0.0035 full), as for the other KS checks."""


def naive_convergence_checks(context: Context) -> list[Check]:
    _, _, var_t = _naive_functions(_exports("naive_score_convergence"))
    a, w = NAIVE["a"], NAIVE["w"]
    n = _paths(context)
    low, high = 2.0, 4.0  # ρ_0 uniform on [2, 4]: not Gaussian, far from ρ_* = N(1, 1/2)
    m0, v0 = (low + high) / 2, (high - low) ** 2 / 12
    checks = []
    for eps in (0.5, 2.0):
        t_mid, t_end = 0.25 / eps, 5.0 / eps  # e^{−εt/w}: 0.61 and e^{−10}
        var_mid = float(var_t(t_mid, eps, a, w, m0, v0))
        steps, bias = _naive_steps(eps, t_mid, var_mid, n, m0, v0)
        steps_end = context.size(quick=END_STEPS["quick"], full=END_STEPS["full"])
        x0 = context.rng(f"start ε={eps:g}").uniform(low, high, n)
        pair = _naive_sde(context, f"mid ε={eps:g}", eps, t_mid, x0, steps)
        mid = pair.fine.x
        details = {"rho_0": f"U[{low:g}, {high:g}]", "eps": eps, "paths": n, "steps": steps,
                   "derived_richardson_bias": bias,
                   "variance": "Richardson 2·Var(K steps) − Var(K/2 steps), same Brownian path"}
        point_mass = float(var_t(t_mid, eps, a, w, m0, 0.0))
        checks.append(_moment_check(f"ε={eps:g}: Var X_t at t={t_mid:g}", r"\operatorname{Var} X_t", _richardson_variance(pair), var_mid,
                                    point_mass, "ρ_0's spread forgotten (ρ_0 = δ at its mean)", details=details))
        end = euler_maruyama(lambda x, t, eps=eps: -eps * (x - a) / w, lambda x, t, eps=eps: math.sqrt(2 * eps), x0, 0.0,
                             t_end, steps_end, context.rng(f"end ε={eps:g}")).x
        target = stats.norm(a, math.sqrt(w)).cdf
        checks.append(_ks_check(f"ε={eps:g}: law of X_T = ρ_* at T={t_end:g} (KS)", end, target, mid, target,
                                "the law at the earlier time t has already reached ρ_*",
                                details={**details, "steps": steps_end, "T": t_end}))
    return checks


# ---- Lemma 3.2 ------------------------------------------------------------------------------------------------------
MIXTURE = {"weights": (0.3, 0.7), "means": (1.0, 4.5), "variances": (0.5, 0.3)}
"""Two-component data, centred away from the forward OU's fixed point 0 (the reverse SDE must move the mean)."""
GAUSSIAN = {"weights": (1.0,), "means": (1.0,), "variances": (0.3,)}
REVERSE_HORIZON = 2.0
Q_SQUARED = 2.0
"""The forward OU f = −x, q² = 2 (stationary law N(0, 1))."""


@functools.cache
def _forward_ou_moments():
    """The derivation's component mean and variance of the forward OU (β = 1), compiled once per process."""
    exports = _exports("reverse_sde")
    mu0, v0 = sp.Symbol("mu0", real=True), sp.Symbol("v0", positive=True)
    beta = {derivation.BETA: 1}
    return (_compile(exports["component_mean"].subs(beta), derivation.t, mu0),
            _compile(exports["component_variance"].subs(beta), derivation.t, v0))


class _ForwardOU:
    """Closed-form marginals and score of the OU forward process f = −x, q = √2 from mixture data."""

    def __init__(self, data):
        self._mean, self._var = _forward_ou_moments()
        self.weights = np.asarray(data["weights"])
        self.means0 = np.asarray(data["means"])
        self.vars0 = np.asarray(data["variances"])

    def components(self, time: float):
        return self.weights, self._mean(time, self.means0), self._var(time, self.vars0)

    def score(self, x, time: float):
        """∂_x log Σ_k w_k N(x; m_k(t), v_k(t)) elementwise for x of any shape (one or two components), stably:
        with two components the responsibility of the first is the logistic function of the log-density gap."""
        weights, means, variances = self.components(time)
        scores = [-(x - m) / v for m, v in zip(means, variances)]
        if len(weights) == 1:
            return scores[0]
        if len(weights) != 2:
            raise ValueError(f"the mixture score is written for one or two components, got {len(weights)}")
        log_terms = [math.log(w) - 0.5 * math.log(2 * math.pi * v) - (x - m) ** 2 / (2 * v)
                     for w, m, v in zip(weights, means, variances)]
        first = 0.5 * (1.0 + np.tanh(0.5 * (log_terms[0] - log_terms[1])))
        return scores[1] + first * (scores[0] - scores[1])


def _reverse_pair(context, name, forward, n, steps, save_at=()):
    """Eq. 56 with g = q from ρ(·, T), f = −x: drift f − q²·score, diffusion q; a coupled fine/coarse pair."""
    x_start = _mixture_sample(context.rng(name + " start"), n, *forward.components(REVERSE_HORIZON))
    g = math.sqrt(Q_SQUARED)
    return coupled_euler_maruyama(lambda x, s: -x - Q_SQUARED * forward.score(x, s), lambda x, s: g,
                                  x_start, REVERSE_HORIZON, 0.0, steps, context.rng(name), save_at=save_at)


def _gaussian_reverse_moments(steps: int, g_squared: float = Q_SQUARED, score_factor: float = 1.0):
    r"""Exact Euler–Maruyama moments of the reverse SDE for Gaussian data, a linear SDE: with the score
    :math:`-(x - m(s))/v(s)`, drift :math:`-x + c\,g^2(x - m)/v` (c = ``score_factor``), diffusion g."""
    mean_of, var_of = _forward_ou_moments()
    (mu0,), (v0,) = GAUSSIAN["means"], GAUSSIAN["variances"]

    def slope(s):
        return -1.0 + score_factor * g_squared / float(var_of(s, v0))

    def offset(s):
        return -score_factor * g_squared * float(mean_of(s, mu0)) / float(var_of(s, v0))

    return linear_moments(slope, offset, lambda s: math.sqrt(g_squared), float(mean_of(REVERSE_HORIZON, mu0)),
                          float(var_of(REVERSE_HORIZON, v0)), REVERSE_HORIZON, 0.0, steps)


def _continuous_reverse_moments(**variant) -> tuple[float, float]:
    """The SDE's (not the scheme's) mean and variance at s = 0 for a variant of the Gaussian reverse SDE:
    Richardson of the scheme's exact moments at 800 and 400 steps (error O(h²), about 1e-4 of the variance —
    these are the controls' predictions, many resolutions away)."""
    fine, coarse = _gaussian_reverse_moments(800, **variant), _gaussian_reverse_moments(400, **variant)
    return 2 * fine.mean - coarse.mean, 2 * fine.variance - coarse.variance


def _reverse_steps(n) -> tuple[int, float, float]:
    """Step count K from the Gaussian case (linear), from the scheme's exact moments: the bias of the Richardson
    variance 2v_K − v_{K/2} below BIAS_FRACTION·SE, the fine run's law shift below BIAS_FRACTION·(KS critical
    distance). Returns K, that Richardson bias and that shift."""
    (mu0,), (v0,) = GAUSSIAN["means"], GAUSSIAN["variances"]

    def richardson_bias(k):
        return 2 * _gaussian_reverse_moments(k).variance - _gaussian_reverse_moments(k // 2).variance - v0

    def ks_shift(k):
        em = _gaussian_reverse_moments(k)
        return _ks_shift(em.mean - mu0, em.variance - v0, v0)

    steps = _steps(richardson_bias, ks_shift, _variance_se(v0, n), n)
    return steps, richardson_bias(steps), ks_shift(steps)


def reverse_checks(context: Context) -> list[Check]:
    n = context.size(quick=20_000, full=400_000)
    steps, gaussian_bias, gaussian_shift = _reverse_steps(n)
    details = {"paths": n, "steps": steps, "T": REVERSE_HORIZON, "forward": "f = −x, q = √2",
               "variance": "Richardson 2·Var(K steps) − Var(K/2 steps), same Brownian path",
               "derived_richardson_bias_gaussian_variance": gaussian_bias,
               "derived_ks_shift_gaussian_fine_run": gaussian_shift, "ks_critical_distance": _ks_critical_distance(n)}
    checks = []
    # Gaussian data: the reverse SDE is linear, so wrong variants have exact predictions (controls on the same data)
    pair = _reverse_pair(context, "gaussian", _ForwardOU(GAUSSIAN), n, steps)
    _, var_half_g = _continuous_reverse_moments(g_squared=Q_SQUARED / 2)
    checks.append(_moment_check("Gaussian data: Var X_0", r"\operatorname{Var}X_0", _richardson_variance(pair),
                                GAUSSIAN["variances"][0], var_half_g,
                                "eq. 56 with g ≠ q (g² = q²/2): its Var X_0 (exact linear moments)", details=details))
    mean_wrong_sign, var_wrong_sign = _continuous_reverse_moments(score_factor=-1.0)
    checks.append(_ks_check("Gaussian data: law of X_0 (KS)", pair.fine.x,
                            stats.norm(GAUSSIAN["means"][0], math.sqrt(GAUSSIAN["variances"][0])).cdf, pair.fine.x,
                            stats.norm(mean_wrong_sign, math.sqrt(var_wrong_sign)).cdf,
                            "the score term with the wrong sign: its Gaussian law at s = 0 (exact linear moments)",
                            details=details))
    # two-component mixture: one coupled run; the controls are other laws held against the same samples
    forward = _ForwardOU(MIXTURE)
    mid_time = REVERSE_HORIZON / 2
    run = _reverse_pair(context, "mixture", forward, n, steps, save_at=(mid_time,))
    data_mean, data_var = _mixture_moments(*MIXTURE.values())
    early = context.size(quick=0.12, full=0.03)
    early_mean, early_var = _mixture_moments(*forward.components(early))
    checks.append(_moment_check("mixture: E X_0", r"\mathbb{E}X_0",
                                tuple(float(v) for v in mean_and_standard_error(run.fine.x)), data_mean, early_mean,
                                f"the mean of ρ(·, {early:g}) (the reverse run stopped at s = {early:g})", details=details))
    checks.append(_moment_check("mixture: Var X_0", r"\operatorname{Var}X_0", _richardson_variance(run), data_var,
                                early_var, f"the law ρ(·, {early:g}) (the reverse run stopped at s = {early:g})",
                                details=details))
    data_cdf = _mixture_cdf(*MIXTURE.values())
    checks.append(_ks_check("mixture: law of X_0 = ρ_1 (KS)", run.fine.x, data_cdf, run.fine.x,
                            stats.norm(data_mean, math.sqrt(data_var)).cdf,
                            "the Gaussian with the data's mean and variance (only two moments recovered)", details=details))
    mid_cdf = _mixture_cdf(*forward.components(mid_time))
    checks.append(_ks_check(f"mixture: law of X_s at s={mid_time:g} = ρ(·, s) (KS)", run.fine.saved[0], mid_cdf,
                            run.fine.saved[0], _mixture_cdf(*forward.components(REVERSE_HORIZON)),
                            "ρ(·, T): no transport by s", details=details))
    _figure_reverse(context, run.fine.x, data_cdf)
    return checks


def _figure_reverse(context: Context, samples, data_cdf) -> None:
    from ebmcheck.checks.figures import new_figure

    figure, (axis,) = new_figure()
    grid = np.linspace(-2, 7, 451)
    density = np.gradient(data_cdf(grid), grid)
    axis.hist(samples, bins=135, range=(-2, 7), density=True, alpha=0.5, label="reverse SDE, X_0")
    axis.plot(grid, density, "k-", lw=1, label="data ρ_1 (mixture)")
    axis.set_xlabel("x")
    axis.legend(fontsize=7)
    context.add_figure("reverse-mixture", figure, "The reverse SDE of eq. 56 (g = q) from ρ(·, T), T = 2, "
                       "lands on the two-component data mixture.")


# ---- the variance-exploding paragraph -------------------------------------------------------------------------------
def variance_exploding_checks(context: Context) -> list[Check]:
    added = _compile(_exports("variance_exploding")["added_variance"], derivation.t)
    n, horizon = _paths(context), 1.0
    weights, means, variances = (np.asarray(v) for v in MIXTURE.values())
    _, data_var = _mixture_moments(weights, means, variances)
    var_pred = data_var + float(added(horizon))

    def em_variance(steps):
        return linear_moments(lambda u: 0.0, lambda u: 0.0, math.exp, 0.0, data_var, 0.0, horizon, steps).variance

    smallest = float(min(variances))

    def ks_shift(steps):  # each component gains the same EM variance bias; bounded at the narrowest one, t = ½ and 1
        return max(_ks_shift(0.0, em_variance_at(steps * time / horizon, time) - data_var - float(added(time)),
                             smallest + float(added(time))) for time in (0.5, horizon))

    def em_variance_at(steps, time):
        return linear_moments(lambda u: 0.0, lambda u: 0.0, math.exp, 0.0, data_var, 0.0, time, round(steps)).variance

    steps = _steps(lambda k: 2 * em_variance(k) - em_variance(k // 2) - var_pred, ks_shift, _variance_se(var_pred, n), n)
    x0 = _mixture_sample(context.rng("data"), n, weights, means, variances)
    pair = coupled_euler_maruyama(lambda x, t: 0.0, lambda x, t: math.exp(t), x0, 0.0, horizon, steps,
                                  context.rng("forward"), save_at=(0.5,))
    run = pair.fine
    details = {"paths": n, "steps": steps, "derived_richardson_bias": 2 * em_variance(steps) - em_variance(steps // 2) - var_pred,
               "derived_em_bias_fine_run": em_variance(steps) - var_pred, "derived_ks_shift_fine_run": ks_shift(steps),
               "variance": "Richardson 2·Var(K steps) − Var(K/2 steps), same Brownian path"}
    late = context.size(quick=0.15, full=0.04)
    checks = [_moment_check("Var X_1", r"\operatorname{Var}X_1", _richardson_variance(pair), var_pred,
                            data_var + float(added(horizon - late)), f"the law at t = {horizon - late:g}", details=details)]
    for time, sample in ((horizon, run.x), (0.5, run.saved[0])):
        extra = float(added(time))
        checks.append(_ks_check(f"law of X_{time:g} = ρ_* ∗ N(0, (e^{{2t}} − 1)/2) (KS)", sample,
                                _mixture_cdf(weights, means, variances + extra), sample,
                                _mixture_cdf(weights, means, variances + 2 * extra),
                                "ρ_* ∗ N(0, e^{2t} − 1) (the ½ forgotten)", details=details))
    return checks


# ---- the registry's entries -------------------------------------------------------------------------------------------
S33 = "§3.3"
CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="diffusion-fokker-planck",
        title="Proposition 3.2: the Fokker–Planck equation of an Itô SDE",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, Proposition 3.2, eqs. 40–41",
                        r"dX_t = \mu(X_t, t)dt + \sigma(X_t, t)dW_t,\ \sigma : \mathbb{R}^d \times \mathbb{R} \to \mathbb{R}^{d,d}"
                        r"\;\Rightarrow\; \frac{\partial}{\partial t}\rho(x,t) = -\nabla \cdot \left[\mu(x,t)\rho(x,t)\right] + "
                        r"\Delta \left[\frac{\sigma(x,t)^2}{2}\rho(x,t)\right]"),),
        expected_verdict="refuted",
        derivation=derivation.fokker_planck,
        checks=fokker_planck_checks,
        typo=True,
        corrected=r"\partial_t\rho = -\nabla\cdot(\mu\rho) + \tfrac12\sum_{i,j=1}^d \partial_i\partial_j\big[(\sigma\sigma^\top)_{ij}\rho\big]"
        r"\text{ (in } d = 1\text{ the printed form)}",
        summary="For a d×d diffusion matrix eq. 41 is ill-typed (Δ of a matrix) and, read as the contraction with "
        "σ² = σσ, predicts Cov X_t = t·sym(σσ); for a constant non-symmetric σ in d = 2 the simulated covariance is "
        "tσσᵀ (every entry), and N(0, tσσᵀ) solves the corrected equation with the tensor σσᵀ, not the printed one. "
        "In d = 1 the printed equation is right: the OU law from it matches the simulated law (variance and KS), and "
        "Euler–Maruyama's weak order 1 is confirmed from its exact moments.",
    ),
    Claim(
        id="diffusion-wiener-heat",
        title="Example 3.1: the Wiener law N(0, t) solves the heat equation",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, Example 3.1, eqs. 42–44",
                        r"dX_t = dW_t,\quad \frac{\partial \rho}{\partial t} = \frac{1}{2} \frac{\partial^2 \rho}{\partial x^2},"
                        r"\ \rho(x,0) = \delta(x) \;\Rightarrow\; \rho(x,t) = \frac{1}{\sqrt{2\pi t}} e^{-x^2/2t}"),),
        expected_verdict="verified",
        derivation=derivation.wiener_heat,
        checks=wiener_checks,
        summary="Differentiating eq. 44 shows it solves eq. 43 with mass 1 and variance t (so it starts at δ); simulated "
        "Wiener paths have variance t and pass a KS test against N(0, t) at t = ½ and 1, while N(0, 2t) and a variance "
        "off by a few resolutions are rejected.",
    ),
    Claim(
        id="diffusion-endpoints-do-not-fix-sde",
        title="Definition 3.2: the endpoint conditions do not determine drift and diffusion",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, Definition 3.2, eq. 45 and the sentence after",
                        r"dX_t = \mu(X_t, t)dt + \sigma(X_t, t)dW_t, \quad X_0 \sim \bar{\rho}, \quad X_T \sim \rho_*"
                        r"\text{; the terminal condition is not sufficient to uniquely fix } \mu(X_t,t) \text{ and } \sigma(X_t,t)"),),
        expected_verdict="verified",
        derivation=derivation.endpoint_nonunique,
        checks=endpoint_checks,
        summary="Two SDEs with different drifts and diffusions carry N(0, 1) to N(1, 2.25) on [0, 1]: both endpoint laws "
        "pass KS tests, while at t = ½ their laws differ (mean and variance differences as derived, 'the same law' "
        "rejected).",
    ),
    Claim(
        id="diffusion-naive-score-kl-rate",
        title="Proposition 3.3's proof: the KL decay rate of naive score diffusion (eqs. 47–50)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, proof of Proposition 3.3, eqs. 47–50",
                        r"\partial_t \rho = \nabla \cdot \left[-s_*\rho + \nabla \rho \right];\ "
                        r"\rho_*\partial_t R = \nabla \cdot (\rho \log R);\ "
                        r"\frac{d}{dt}D_{\mathrm{KL}}(\rho \parallel \rho_*) = -\int_{\mathbb{R}^d} \rho |\nabla \log R|^2 \, dx"
                        r"\quad (\mu = \varepsilon s_*,\ \sigma = \sqrt{2\varepsilon})"),),
        expected_verdict="refuted",
        derivation=derivation.naive_score_kl,
        checks=naive_kl_checks,
        typo=True,
        corrected=r"\partial_t\rho = \varepsilon\nabla\cdot\big[\rho\nabla\log(\rho/\rho_*)\big],\quad "
        r"\rho_*\partial_tR = \varepsilon\nabla\cdot(\rho\nabla\log R),\quad "
        r"\frac{d}{dt}D_{\mathrm{KL}}(\rho\|\rho_*) = -\varepsilon\int\rho|\nabla\log R|^2dx",
        summary="With μ = εs_* and σ = √(2ε) the Fokker–Planck equation is ε times eq. 47, and the KL decays at rate "
        "−ε∫ρ|∇log R|², not eq. 50's −∫ρ|∇log R|² (Gaussian case, closed forms: ε = ½ and 2 reject eq. 50); the "
        "simulated variance follows the ε-flow, not eq. 47's. The sentence 'ρ_*∂_tR = ∇·(ρ log R)' is false "
        "(ρ_*∂_tR = ε∇·(ρ∇log R)); the conclusion dKL/dt ≤ 0 survives.",
    ),
    Claim(
        id="diffusion-naive-score-converges",
        title="Proposition 3.3: naive score diffusion reaches ρ_* as T → ∞",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, Proposition 3.3",
                        r"\text{For any } \varepsilon > 0 \text{ and } \rho_0(x),\ \mu(x,t) = \varepsilon \nabla \log \rho_*(x),\ "
                        r"\sigma = \sqrt{2\varepsilon} \text{ in equation 45 satisfies the endpoint condition for } T = \infty"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.naive_score_convergence,
        checks=naive_convergence_checks,
        conditions=("ρ_* satisfies a Poincaré (or log-Sobolev) inequality — e.g. strongly log-concave, as the Gaussian "
                    "target checked here; then KL(ρ_t‖ρ_*) ≤ e^{−2εt/C_LS} KL(ρ_0‖ρ_*)",
                    "ρ_0 has finite KL(ρ_0‖ρ_*) (or, for the Gaussian target, finite variance)",
                    "convergence is only asymptotic and its rate depends on ρ_*: for a well-separated bimodal ρ_* the "
                    "Poincaré constant, hence the time to converge, grows exponentially with the barrier (not checked here)"),
        summary="For a Gaussian target the SDE is OU: from a uniform (non-Gaussian) ρ_0 the simulated law follows the "
        "derived mean/variance flow at an intermediate time (the ρ_0-spread term resolved) and passes a KS test "
        "against ρ_* at large T, for ε = ½ and 2. 'For any ρ_0' needs conditions on ρ_* (a functional inequality) "
        "that the statement does not state.",
    ),
    Claim(
        id="diffusion-reverse-sde",
        title="Lemma 3.2: Anderson's reverse-time SDE",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, Lemma 3.2, eqs. 55–56",
                        r"dX_t = f(X_t, t)dt + q(t)dW_t \;\Rightarrow\; dX_s = [f(X_s, s) - g(s)^2 \nabla \log \rho(x, s)] ds + "
                        r"g(s) dW_s, \quad X_T \sim \rho_2, \quad X_0 \sim \rho_1"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.reverse_sde,
        checks=reverse_checks,
        conditions=("g = q: eq. 56's g is never defined in the section, and the next paragraph itself calls the forward "
                    "diffusion coefficient g (\"f = 0 and g(t) = e^t\"); read as the forward coefficient of eq. 55 "
                    "(a notation slip) the lemma holds; any other g gives a process whose law is not the time-reversed "
                    "one (derivation step 2; a control below)",
                    "∇log ρ(x, s) is evaluated at the state, ∇log ρ(X_s, s), and ds < 0 (s runs from T to 0), as the "
                    "sentence after eq. 56 says",
                    "the forward law has a smooth positive density with enough regularity and decay for the reverse "
                    "Fokker–Planck equation (Anderson 1982; Haussmann–Pardoux 1986) — true for the OU process from "
                    "Gaussian-mixture data checked here"),
        summary="Eq. 56 uses an undefined g where eq. 55 has q; the following paragraph calls the forward coefficient g, "
        "so it is read as a notation slip for q (condition). With g = q the time-reversed law solves the reverse "
        "Fokker–Planck equation (derived, generic f, ρ, q in d = 1), and with any other g it does not. Run backward "
        "from ρ(·, T) with the closed-form score, the SDE recovers Gaussian and two-component mixture data (mean, "
        "Richardson-extrapolated variance, KS) and ρ(·, T/2) on the way; g² = q²/2, the score with the wrong sign, the "
        "run stopped slightly early, the moment-matched Gaussian and no transport are rejected.",
    ),
    Claim(
        id="diffusion-variance-exploding",
        title="The variance-exploding forward process f = 0, g = e^t",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, f"{S33}, paragraph after Definition 3.5",
                        r"f(x,t)=0 \text{ and } g(t)=e^t\text{; the resulting forward process is perturbing data with gaussian "
                        r"noise at increasing variance scale}"),),
        expected_verdict="verified",
        derivation=derivation.variance_exploding,
        checks=variance_exploding_checks,
        summary="The forward marginal is ρ_* ∗ N(0, (e^{2t} − 1)/2), increasing in t: derived by Itô's isometry and "
        "checked on mixture data by the variance and KS tests at t = ½ and 1 (the ½ forgotten and a slightly earlier "
        "time rejected).",
    ),
)


def _not_encoded(location: str, statement: str, reason: str) -> NotEncoded:
    return NotEncoded(Source(REVIEW, f"{S33}, {location}", statement), reason)


NOT_ENCODED: tuple[NotEncoded, ...] = (
    _not_encoded("introduction and notation before Proposition 3.2",
                 r"\text{diffusion processes transform a simple distribution into a complex one; } X_t \text{ has law } \rho(x,t)",
                 "qualitative and notation; nothing to check"),
    _not_encoded("Example 3.1, closing sentence", r"\text{a gaussian density with variance proportional to } t",
                 "covered by claim diffusion-wiener-heat"),
    _not_encoded("Definition 3.2 (generative diffusion model), eq. 45",
                 r"dX_t = \mu dt + \sigma dW_t,\ X_0 \sim \bar\rho,\ X_T \sim \rho_*",
                 "a definition; its accompanying sentence is claim diffusion-endpoints-do-not-fix-sde"),
    _not_encoded("Definition 3.3, eq. 46", r"s(x) = \nabla \log \rho(x)", "a definition with nothing to check"),
    _not_encoded("proof of Proposition 3.3, JKO remark and 'by direct substitution, ρ_* is a solution'",
                 r"\text{JKO gradient flow in } W_2;\ \rho_* \text{ stationary}",
                 "a pointer to the literature; stationarity of ρ_* is covered by claim diffusion-naive-score-kl-rate "
                 "(the flux ρ∇log(ρ/ρ_*) vanishes at ρ = ρ_*) and diffusion-naive-score-converges"),
    _not_encoded("paragraph after Proposition 3.3 and 'Unfortunately, the naive score-based approach …'",
                 r"\text{inaccurate score far from data; rate of convergence related to multimodality}",
                 "qualitative; the dependence of the rate on ρ_* is recorded in the conditions of "
                 "diffusion-naive-score-converges"),
    _not_encoded("Definition 3.5", r"\text{A score-based generative model is the backward SDE equation 56, } \rho_1 = \rho_*,\ "
                 r"\rho_2 = \bar{\rho}", "a definition with nothing to check"),
    _not_encoded("paragraph after Definition 3.5, 'the solutions of equation 55 and equation 56 have the same law'",
                 r"\text{the forward and backward processes have the same law}",
                 "covered by claim diffusion-reverse-sde (marginals at t = 0 and T/2)"),
    _not_encoded("paragraph after eq. 57, truncation at finite T and DSM/sliced SM",
                 r"\text{the forward process generates pure noise for } T = \infty",
                 "qualitative remarks on practice and the literature"),
    _not_encoded("paragraph 'why score-based diffusion works better', last two sentences",
                 r"\text{perturbed data populate low-density regions; the score at each time scale bridges } \bar\rho \text{ and } \rho_*",
                 "qualitative interpretation; the quantitative part (the forward marginal) is claim diffusion-variance-exploding"),
)
