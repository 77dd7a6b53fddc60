r"""Checks of contrastive divergence (seed 003 §6, seed 000's CD objective, seed 002's ML/CD slides).

Models: the Gaussian energy :math:`U = \lambda(x-\mu)^2/2` (exact: every CD quantity is a closed
form of the data's mean and variance, :mod:`derivations.contrastive_divergence`) and the slides'
two-mode model :class:`theory.toy.ToyModel` with modes a = −2, b = 2 (milder than the slides'
±10, so that grids resolve the chains at small steps). Data: the two-mode law
:math:`\rho_{\theta_*}` of the same toy (θ* = 0.8, mass 0.31 in mode b), or a Gaussian.

Exact laws of k ULA steps, of one small step and of the reset equation 112 come from
:mod:`theory.contrastive_divergence_grid` (numerical checks, error = rule vs refined rule). The
Monte Carlo checks (CD chains, exact-sample estimators of eq. 110) are statistical, with the
standard error of the chains' mean; ULA is simulated exactly as Algorithm 1 prints it, so there is
no discretisation bias to budget: the prediction is the law of the *discrete* chain.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from ebmcheck.checks.anatomy import (
    Check,
    Claim,
    Context,
    NotEncoded,
    Source,
    ZTest,
    mean_and_standard_error,
)
from ebmcheck.checks.figures import new_figure, theory_line
from ebmcheck.derivations import contrastive_divergence as derivation
from ebmcheck.theory import quadrature
from ebmcheck.theory.contrastive_divergence_grid import (
    one_step_difference,
    reset_gap,
    ula_expectations,
)
from ebmcheck.theory.toy import ToyModel

TOPIC = "contrastive_divergence"
HOST_ONLY = ("grid propagation of ULA laws, a banded solve of eq. 112 and closed forms on the host; the Monte Carlo "
             "chains (10⁵ walkers × ≤ 10 steps) take well under a second on numpy")
TOY = ToyModel(a=-2.0, b=2.0)
THETA_DATA, THETA_MODEL = 0.8, -0.5
LO, HI = TOY.a - 10.0, TOY.b + 10.0
GAUSS_MODEL = (0.3, 1.5)  # (μ, λ)
CHUNK = 1_000_000  # walkers per batch of the Monte Carlo chains (memory)
SYMBOLS = (derivation.mu, derivation.lam, derivation.m, derivation.v)


def _data_log_density(x):
    return TOY.log_density(x, THETA_DATA)


@functools.cache
def _data_moments() -> tuple[float, float]:
    """Mean and variance of the two-mode data by quadrature."""
    values, _ = quadrature.expect(lambda x: _data_log_density(x[:, 0]), lambda x: np.stack([x[:, 0], x[:, 0] ** 2], -1), LO, HI)
    return float(values[0]), float(values[1] - values[0] ** 2)


def _compile(expr, extra=()):
    return sp.lambdify(SYMBOLS + tuple(extra), expr, "numpy")


def _evaluate(function, *args) -> np.ndarray:
    return np.asarray(function(*args), dtype=float).ravel()


def _gauss_energy_gradient(x):
    """(∂μU, ∂λU) of U = λ(x−μ)²/2 at the points x, shape x.shape + (2,)."""
    mu, lam = GAUSS_MODEL
    return np.stack([-lam * (x - mu), (x - mu) ** 2 / 2], -1)


def _gauss_score(x):
    mu, lam = GAUSS_MODEL
    return -lam * (x - mu)


def _toy_gradient(x):
    return TOY.responsibility(x, THETA_MODEL)


def _toy_score(x):
    return TOY.score(x, THETA_MODEL)


def _numerical(name, quantity, prediction, value, error, control, label, **kw) -> Check:
    return Check(name=name, quantity=quantity, test=ZTest(prediction, value, error), control=ZTest(control, value, error),
                 control_label=label, error_kind="quadrature", **kw)


# ---- cd-k-gradient-bias ----------------------------------------------------------------------
def _cd_k_gaussian(data: str, eta: float, ks) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grid G_k (rows k), its error, the derived G_k and the ML gradient for the Gaussian model."""
    exports = derivation.gaussian_cd_k().exports
    cd = _compile(exports["cd_gradient"], (derivation.eta, derivation.k))
    ml = _compile(exports["ml_gradient"])
    if data == "gaussian":
        m, v = 0.0, 1.0
        log_density = lambda x: -x**2 / 2
    else:
        (m, v), log_density = _data_moments(), _data_log_density
    values, errors = ula_expectations(log_density, _gauss_score, _gauss_energy_gradient, LO, HI, eta, [0, *ks])
    grid = values[0] - values[1:]
    derived = np.array([_evaluate(cd, *GAUSS_MODEL, m, v, eta, k) for k in ks])
    return grid, errors[0] + errors[1:], derived, _evaluate(ml, *GAUSS_MODEL, m, v)


def _toy_cd_k(eta: float, ks) -> tuple[np.ndarray, np.ndarray]:
    """Grid G_k = E_*[∂θU] − E_{ρ_k}[∂θU] for the toy model, and its error."""
    values, errors = ula_expectations(_data_log_density, _toy_score, _toy_gradient, LO, HI, eta, [0, *ks])
    return values[0] - values[1:], errors[0] + errors[1:]


def _toy_ml_gradient() -> float:
    """∂θH = E_*[∂θU] − E_θ[∂θU], E_θ[∂θU] = −∂θ log Z_θ = q(θ) (the toy's closed form)."""
    data_phase, _ = quadrature.expect(lambda x: _data_log_density(x[:, 0]), lambda x: _toy_gradient(x[:, 0]), LO, HI)
    return float(data_phase) - float(TOY.weight_b(THETA_MODEL))


def _cd_chains(context: Context, name: str, eta: float, steps: int, walkers: int) -> tuple[float, float]:
    """Algorithm 1's chains: walkers at data, ``steps`` ULA steps; mean and SE of ∂θU(x_*) − ∂θU(X_k)."""
    rng = context.rng(name)
    total, total_squares = 0.0, 0.0
    for size in [CHUNK] * (walkers // CHUNK) + ([walkers % CHUNK] if walkers % CHUNK else []):
        start = TOY.sample(THETA_DATA, (size,), rng)
        position = start.copy()
        for _ in range(steps):
            position = position + eta * _toy_score(position) + np.sqrt(2 * eta) * rng.standard_normal(size)
        difference = _toy_gradient(start) - _toy_gradient(position)
        total, total_squares = total + difference.sum(), total_squares + (difference**2).sum()
    mean = total / walkers
    variance = (total_squares - walkers * mean**2) / (walkers - 1)
    return float(mean), float(np.sqrt(variance / walkers))


def cd_bias_checks(context: Context) -> list[Check]:
    checks = []
    ks = [1, 5, 20]
    for data in ("gaussian", "two-mode"):
        for eta in (0.05, 0.2):
            grid, errors, derived, ml = _cd_k_gaussian(data, eta, ks)
            for row, k in enumerate(ks):
                checks.append(_numerical(
                    f"gaussian model, {data} data, k={k}, eta={eta}: G_k (lambda)",
                    r"G_k = \mathbb{E}_*[\partial_\lambda U] - \mathbb{E}_{\rho_k}[\partial_\lambda U]",
                    derived[row, 1], grid[row, 1], errors[row, 1], ml[1], "CD-k = the ML gradient (no bias)"))
    # k → ∞ at fixed η: ULA's stationary bias, not 0 (Gaussian data, 400 steps)
    exports = derivation.gaussian_cd_k().exports
    limit = _evaluate(_compile(exports["bias_limit"], (derivation.eta,)), *GAUSS_MODEL, 0.0, 1.0, 0.2)
    grid, errors, derived, ml = _cd_k_gaussian("gaussian", 0.2, [400])
    checks.append(_numerical("k=400, eta=0.2: bias -> ULA-stationary bias", r"G_k - \partial_\lambda H",
                             limit[1], grid[0, 1] - ml[1], errors[0, 1], 0.0, "the bias vanishes as k → ∞ (PCD at frozen θ samples ρ_θ)"))
    # two-mode model: chains against the grid
    eta, k = 0.1, 5
    prediction, error = _toy_cd_k(eta, [k - 1, k])
    mean, se = _cd_chains(context, "two-mode chains", eta, k, context.size(quick=500_000, full=12_000_000))
    checks.append(Check(name=f"two-mode model: CD-{k} chains vs exact law (eta={eta})", quantity=r"G_k(\theta)",
                        test=ZTest(float(prediction[1]), mean, se), control=ZTest(float(prediction[0]), mean, se),
                        control_label=f"the law after {k - 1} steps (one step short)", details={"grid_error": float(error[1])}))
    checks.append(Check(name=f"two-mode model: CD-{k} chains vs ML gradient", quantity=r"G_k(\theta)",
                        test=ZTest(float(prediction[1]), mean, se), control=ZTest(_toy_ml_gradient(), mean, se),
                        control_label="the chains estimate ∂θH (CD-k unbiased)"))
    _bias_figure(context)
    return checks


def _bias_figure(context: Context) -> None:
    figure, (left, right) = new_figure(2, height=3.4)
    ks = np.arange(1, 41)
    exports = derivation.gaussian_cd_k().exports
    bias = _compile(exports["bias"], (derivation.eta, derivation.k))
    toy_ml = _toy_ml_gradient()
    for eta in (0.02, 0.1, 0.3):
        theory_line(left, ks, [_evaluate(bias, *GAUSS_MODEL, 0.0, 1.0, eta, k)[1] for k in ks], label=f"η = {eta}")
        grid, _ = _toy_cd_k(eta, list(ks))
        theory_line(right, ks, grid - toy_ml, label=f"η = {eta}")
    left.set(xlabel="ULA steps k", ylabel=r"bias $G_k - \partial_\lambda H$", title="Gaussian model, closed form")
    right.axhline(-toy_ml, color="grey", linestyle=":", label=r"$-\partial_\theta H$ (CD gives 0)")
    right.set(xlabel="ULA steps k", ylabel=r"bias $G_k - \partial_\theta H$", title="two-mode model, grid law")
    left.legend()
    right.legend()
    context.add_figure("bias", figure, "Bias of the CD-k estimate of the cross-entropy gradient against ML, as a function "
                       "of the number of ULA steps k and the step η. Left: precision component of the Gaussian model "
                       "(derived closed form); right: mode-weight parameter of the two-mode model a = −2, b = 2 (exact law "
                       "of the chain on a grid). The bias decays with kη but tends to ULA's stationary bias, not 0.")


# ---- cd-small-step-score-matching -------------------------------------------------------------
def _toy_sm_gradient() -> tuple[float, float]:
    """∂θJ = E_*[U'∂θU' − ∂θU''] for the toy, the derivation's integrand with U := the toy's energy."""
    exports = derivation.small_step_limit().exports
    model = TOY.declaration
    x_symbol, theta_symbol = model.x[0], model.theta[0]
    integrand = exports["first_order_integrand"].subs(exports["U"], -model.log_f_expr.subs({x_symbol: derivation.x,
                                                                                      theta_symbol: exports["theta"]})).doit()
    compiled = sp.lambdify((derivation.x, exports["theta"]), integrand, "numpy")
    value, error = quadrature.expect(lambda x: _data_log_density(x[:, 0]), lambda x: compiled(x[:, 0], THETA_MODEL), LO, HI)
    return float(value), float(error)


def _toy_cd1_over_eta(eta: float) -> tuple[float, float]:
    value, error = one_step_difference(_data_log_density, _toy_score, _toy_gradient, LO, HI, eta)
    return -float(value) / eta, float(error) / eta


def small_step_checks(context: Context) -> list[Check]:
    checks = []
    exports = derivation.small_step_limit().exports
    m, v = _data_moments()
    sm = _evaluate(_compile(exports["sm_gradient"]), *GAUSS_MODEL, m, v)
    rate = _evaluate(_compile(exports["rate"]), *GAUSS_MODEL, m, v)
    ml = _evaluate(_compile(derivation.gaussian_cd_k().exports["ml_gradient"]), *GAUSS_MODEL, m, v)
    for eta in (0.1, 0.01):
        value, error = one_step_difference(_data_log_density, _gauss_score, _gauss_energy_gradient, LO, HI, eta)
        ratio, ratio_error = -value / eta, error / eta
        checks.append(_numerical(f"gaussian model, eta={eta}: G_1/eta (lambda)", r"G_1/\eta",
                                 sm[1] + eta * rate[1], ratio[1], ratio_error[1], sm[1], "∇θJ with no O(η) term"))
        checks.append(_numerical(f"gaussian model, eta={eta}: G_1/eta (mu)", r"G_1/\eta",
                                 sm[0] + eta * rate[0], ratio[0], ratio_error[0], ml[0], "CD-1/η tends to the ML gradient"))
    # two-mode model: Richardson extrapolation η → 0 of G_1/η (error O(η) removed; residual O(η²))
    steps = (0.02, 0.01, 0.005)
    ratios = [_toy_cd1_over_eta(eta) for eta in steps]
    first, second = (2 * ratios[i + 1][0] - ratios[i][0] for i in (0, 1))
    limit_error = abs(second - first) + 3 * max(e for _, e in ratios)
    target, target_error = _toy_sm_gradient()
    error = limit_error + target_error
    for control, label in ((_toy_ml_gradient(), "CD-1/η tends to the ML gradient ∂θH"),
                           (2 * target, "factor 2: ∇θ E_*|∇U + ∇log ρ_*|² (no ½)"),
                           (-target, "the opposite sign (ascent on J)")):
        checks.append(_numerical(f"two-mode model: lim G_1/eta vs {label}", r"\lim_{\eta\to0} G_1/\eta", target, second,
                                 error, control, label))
    return checks


# ---- cd-birth-death-fisher --------------------------------------------------------------------
def birth_death_checks(context: Context) -> list[Check]:
    checks = []
    exports = derivation.birth_death_expansion().exports
    alpha = 2.0
    m, v = _data_moments()
    scaled = _compile(exports["scaled_gap"], (derivation.nu, derivation.alpha))
    printed = _evaluate(_compile(exports["printed"]), *GAUSS_MODEL, m, v)
    for nu in (5.0, 50.0):
        value, error = reset_gap(_data_log_density, lambda x: -_gauss_score(x), _gauss_energy_gradient, LO, HI, nu, alpha)
        prediction = _evaluate(scaled, *GAUSS_MODEL, m, v, nu, alpha)
        for i, name in enumerate(("mu", "lambda")):
            checks.append(_numerical(f"gaussian model, nu={nu}, alpha={alpha}: nu x gap ({name})",
                                     r"\nu\,(\mathbb{E}_*-\mathbb{E}_{\check\rho})[\partial_\theta U]", prediction[i], value[i],
                                     error[i], printed[i], "eq. 114 as printed: ν^{-1}∇θF (α dropped)",
                                     control_is_statement=True))
    # two-mode model: ν → ∞ by Richardson in 1/ν, against α∇θJ
    gaps = [reset_gap(_data_log_density, lambda x: -_toy_score(x), _toy_gradient, LO, HI, nu, alpha, spacing=0.02)
            for nu in (200.0, 400.0, 800.0)]
    first, second = (2 * gaps[i + 1][0] - gaps[i][0] for i in (0, 1))
    target, target_error = _toy_sm_gradient()
    error = float(abs(second - first) + 3 * max(e for _, e in gaps) + alpha * target_error)
    checks.append(_numerical("two-mode model: lim nu x gap", r"\lim_{\nu\to\infty}\nu\,(\mathbb{E}_*-\mathbb{E}_{\check\rho})[\partial_\theta U]",
                             alpha * target, float(second), error, target, "eq. 114 as printed: ν^{-1}∇θF (α dropped)",
                             control_is_statement=True))
    return checks


# ---- cd-objective-notes -----------------------------------------------------------------------
def _kl(log_p, log_q, lo, hi) -> tuple[float, float]:
    value, error = quadrature.expect(lambda x: log_p(x[:, 0]), lambda x: log_p(x[:, 0]) - log_q(x[:, 0]), lo, hi)
    return float(value), float(error)


def _gauss_log_density(mu, lam):
    return lambda x: -lam * (x - mu) ** 2 / 2 + 0.5 * np.log(lam / (2 * np.pi))


def objective_checks(context: Context) -> list[Check]:
    """Finite-difference gradients (central, step 1e-4) of the objectives by quadrature, against G_k."""
    checks = []
    exports = derivation.gaussian_cd_k().exports
    cd = _compile(exports["cd_gradient"], (derivation.eta, derivation.k))
    m, v = _data_moments()
    eta, h = 0.1, 1e-4
    data_log_density = lambda x: TOY.log_density(x, THETA_DATA)
    for k in (1, 5):
        # ρ_k on the grid, frozen: CE(ρ_k, ρ_θ) needs E_k[U_θ] for θ near the model: E_k[1, x, x²]
        moments, moment_errors = ula_expectations(data_log_density, _gauss_score, lambda x: np.stack([x, x**2], -1), LO, HI, eta, [k])
        mean_k, second_k = moments[0]
        prediction = _evaluate(cd, *GAUSS_MODEL, m, v, eta, k)

        def hinton(mu, lam, mean_k=mean_k, second_k=second_k):
            kl_data, e1 = _kl(data_log_density, _gauss_log_density(mu, lam), LO, HI)
            cross_k = lam * (second_k - 2 * mu * mean_k + mu**2) / 2 - 0.5 * np.log(lam / (2 * np.pi))
            return kl_data - cross_k, e1

        def printed(mu, lam):
            kl_data, e1 = _kl(data_log_density, _gauss_log_density(mu, lam), LO, HI)
            kl_model, e2 = _kl(_gauss_log_density(mu, lam), data_log_density, LO, HI)
            return kl_data - kl_model, e1 + e2

        for i, name in enumerate(("mu", "lambda")):
            shift = np.eye(2)[i] * h
            values = {}
            for label, objective in (("hinton", hinton), ("printed", printed)):
                (up, e_up), (down, e_down) = objective(*(np.array(GAUSS_MODEL) + shift)), objective(*(np.array(GAUSS_MODEL) - shift))
                values[label] = ((up - down) / (2 * h), (e_up + e_down) / (2 * h) + h**2 * 10 + float(moment_errors[0].max()) * 10)
            checks.append(Check(
                name=f"k={k}, eta={eta}: gradient ({name}) of KL(ρ_*‖ρ_θ) − KL(ρ_k‖ρ_θ), ρ_k frozen",
                quantity=r"\partial_\theta[\mathrm{KL}(\rho_*\|\rho_\theta) - \mathrm{KL}(\rho_k\|\rho_\theta)]",
                test=ZTest(prediction[i], *values["hinton"]), control=ZTest(prediction[i], *values["printed"]),
                control_label="seed 000 as printed: ∇θ[KL(p_data‖p_θ) − KL(p_θ‖p_data)] is the CD-k update",
                error_kind="quadrature", evidence="corrected", control_is_statement=True))
    return checks


# ---- cd-ml-gradient-estimators ----------------------------------------------------------------
def estimator_checks(context: Context) -> list[Check]:
    checks = []
    m, v = _data_moments()
    exports = derivation.gaussian_cd_k().exports
    ml = -_evaluate(_compile(derivation.ml_descent().exports["descent_direction"]), *GAUSS_MODEL, m, v)  # ∂θH = −𝒟
    eta = 0.2
    ula_bias = _evaluate(_compile(exports["bias_limit"], (derivation.eta,)), *GAUSS_MODEL, m, v, eta)
    rng = context.rng("eq. 110 estimator")
    n = context.size(quick=100_000, full=2_000_000)
    mu, lam = GAUSS_MODEL
    data = TOY.sample(THETA_DATA, (n,), rng)
    model = mu + rng.standard_normal(n) / np.sqrt(lam)
    # Algorithm 1/2's empirical gradient D̃ = N⁻¹Σ∂θU(X) − n⁻¹Σ∂θU(x_*), with X ~ ρ_θ exactly (eq. 110)
    estimate = _gauss_energy_gradient(model) - _gauss_energy_gradient(data)
    for i, name in enumerate(("mu", "lambda")):
        mean, se = mean_and_standard_error(estimate[:, i])
        checks.append(Check(name=f"D-tilde with exact samples ({name}) vs -dH", quantity=r"\tilde{\mathcal D}",
                            test=ZTest(-ml[i], float(mean), float(se)), control=ZTest(ml[i], float(mean), float(se)),
                            control_label="D̃ estimates +∂θH (Algorithm 2's 'empirical CE gradient' read literally)"))
    mean, se = mean_and_standard_error(estimate[:, 1])
    checks.append(Check(name="D-tilde with exact samples (lambda) vs ULA-stationary walkers", quantity=r"\tilde{\mathcal D}",
                        test=ZTest(-ml[1], float(mean), float(se)), control=ZTest(-(ml[1] + ula_bias[1]), float(mean), float(se)),
                        control_label=f"the negative phase of walkers at ULA's stationary law, h = {eta} (PCD at frozen θ)"))
    # eq. 111: along θ̇ = D = −∂θH the cross-entropy decreases at rate |∂θH|² (finite differences of H by quadrature)
    h = 1e-4
    direction = -ml

    def cross_entropy(theta):
        value, error = quadrature.expect(lambda x: _data_log_density(x[:, 0]),
                                         lambda x: theta[1] * (x[:, 0] - theta[0]) ** 2 / 2, LO, HI)
        return float(value) - 0.5 * np.log(theta[1] / (2 * np.pi)), float(error)

    (up, e_up), (down, e_down) = (cross_entropy(np.array(GAUSS_MODEL) + s * h * direction) for s in (1, -1))
    rate = (up - down) / (2 * h)
    rate_derived = float(_evaluate(_compile(derivation.ml_descent().exports["rate"]), *GAUSS_MODEL, m, v)[0])
    checks.append(_numerical("eq. 111: dH/dt along theta-dot = D", r"\tfrac{d}{dt}H(\theta(t))", rate_derived,
                             rate, (e_up + e_down) / (2 * h) + 10 * h**2 * float(direction @ direction),
                             float(direction @ direction), "the flow ascends H (dH/dt = +|D|²)"))
    return checks


# ---- cd-slides-loglik-gradient ----------------------------------------------------------------
def slides_checks(context: Context) -> list[Check]:
    exports = derivation.slides_loglik_gradient().exports
    m, v = _data_moments()
    gradient = _evaluate(_compile(exports["gradient"]), *GAUSS_MODEL, m, v)
    printed = _evaluate(_compile(exports["printed"]), *GAUSS_MODEL, m, v)
    h = 1e-4

    def loglik(theta):
        value, error = quadrature.expect(lambda x: _data_log_density(x[:, 0]), lambda x: _gauss_log_density(*theta)(x[:, 0]), LO, HI)
        return float(value), float(error)

    checks = []
    for i, name in enumerate(("mu", "lambda")):
        shift = np.eye(2)[i] * h
        (up, e_up), (down, e_down) = loglik(np.array(GAUSS_MODEL) + shift), loglik(np.array(GAUSS_MODEL) - shift)
        checks.append(_numerical(f"finite-difference gradient of L ({name})", r"\nabla_\theta L", gradient[i],
                                 (up - down) / (2 * h), (e_up + e_down) / (2 * h) + 10 * h**2, printed[i],
                                 "as printed: ∇θL = −E_*[U_θ] − ∇log Z_θ", control_is_statement=True))
    return checks


# ---- claims -----------------------------------------------------------------------------------
ALGORITHM_1 = (r"X_0^i = RandomSample(\mathcal{X}); \quad \tilde{\mathcal{D}}_k = N^{-1} \sum_{i=1}^N \partial_\theta U_{\theta_k}(X_P^i) "
               r"- n^{-1} \sum_{i=1}^n \partial_\theta U_{\theta_k}(x_*^i); \quad \text{neither CD nor PCD actually perform a "
               r"gradient-based optimization of cross-entropy}")
CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="cd-k-gradient-bias",
        title="CD-k estimates the law after k ULA steps from the data, not ρ_θ: its bias, exactly",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(
            Source("003", "§6, Algorithm 1 (lines 4 and 9) and the takeaway paragraph", ALGORITHM_1),
            Source("002", "slides 'Contrastive Divergence with k steps (CD-k)'",
                   r"\text{don't let the chain reach } T_{mix} \text{ steps. Use only k steps (k = 1). initialize each chain "
                   r"directly at the training points } \{x_*^i\}"),
        ),
        expected_verdict="verified",
        derivation=derivation.gaussian_cd_k,
        checks=cd_bias_checks,
        summary="Algorithm 1's negative phase averages ∂θU over ρ_k, the law of k ULA steps from the data. On the Gaussian "
        "model the derived G_k (mean a^k d, variance a^{2k}v + 2η(1−a^{2k})/(1−a²), a = 1 − ηλ) matches the exact grid "
        "law to 1e-12 for Gaussian and two-mode data (it depends on the data only through mean and variance); the bias "
        "against ∂θH is nonzero for every finite k and tends, as k → ∞ at fixed η, to ULA's stationary bias (nonzero), "
        "not to 0. On the two-mode model CD-5 chains agree with the exact law and are far from ML: the CD gradient of the "
        "mode weight is ≈ 0.07 of the ML gradient (chains do not cross between modes), the review's closing remark.",
    ),
    Claim(
        id="cd-small-step-score-matching",
        title="CD-1 with a small Langevin step is score matching (Hyvärinen 2007)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source("002", "slide 'Contrastive Divergence with k steps (CD-k)'",
                        r"\text{[Hyvarinen 2007] in the limit of small noise } \eta \to 0,\ \text{CD-1} = \text{score matching.}"),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.small_step_limit,
        checks=small_step_checks,
        conditions=(("read as: the CD-1 update divided by its ULA step η tends to ∇θ of the score-matching objective "
                     "J = E_*[½|∇U_θ|² − ΔU_θ] (½ convention; the CD-1 update itself tends to 0)"),
                    "the remainder is O(η): exactly −η·½λ²(v + d²) in the precision component on the Gaussian family",
                    "U_θ and ∂θU_θ smooth with moments under the data (the Taylor expansion of one ULA step)"),
        summary="G_1/η = ∇θJ + O(η): derived for a generic energy (second-order Taylor of one ULA step) and exactly on the "
        "Gaussian family, where G_1/η − ∇θJ = −η(0, ½λ²(v + d²)). Quadrature (Gauss–Legendre × Gauss–Hermite) confirms "
        "the exact O(η) term at η = 0.1, 0.01, and on the two-mode model the η → 0 extrapolation of G_1/η equals ∇θJ; "
        "the ML gradient, the factor-2 convention and the opposite sign are all rejected.",
    ),
    Claim(
        id="cd-birth-death-fisher",
        title="CD with frequent resets is gradient descent on the Fisher divergence: the factor α (eqs. 112–114)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source("003", "§6, eqs. 113–114 and the sentence after eq. 114",
                        r"\int \partial_{\theta} U_{\theta(t)} (\rho_{*} - \check{\rho}) dx = -\nu^{-1} \int \partial_{\theta} U_{\theta(t)} "
                        r"\nabla \cdot ( U_{\theta(t)} \rho_{*} + \nabla \rho_{*}) dx + O(\nu^{-2}) = \nu^{-1} \int ( \partial_{\theta} "
                        r"\nabla U_{\theta(t)} \cdot \nabla U_{\theta(t)} - \partial_{\theta} \Delta U_{\theta(t)} ) \rho_{*} dx + O(\nu^{-2}); "
                        r"\text{ the leading order term is precisely } \nu^{-1} \text{ times the gradient of the Fisher divergence}"),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.birth_death_expansion,
        checks=birth_death_checks,
        corrected=r"\int \partial_\theta U (\rho_* - \check\rho)\,dx = -\alpha\nu^{-1}\int \partial_\theta U\, \nabla\cdot(\nabla U \rho_* "
        r"+ \nabla\rho_*)\,dx + O(\nu^{-2}) = \alpha\nu^{-1}\,\nabla_\theta \tfrac12\int|\nabla U + \nabla\log\rho_*|^2\rho_*\,dx + O(\nu^{-2})",
        conditions=("θ frozen and t ≫ 1/ν (the stationary law of eq. 112)",),
        summary="Eq. 113 carries the Langevin rate α; eq. 114 drops it (and prints U for ∇U inside the divergence in its "
        "second line), so 'precisely ν^{-1} times the gradient' is wrong unless α = 1. Exactly on the Gaussian family, "
        "ν(E_* − E_ρ̌)[∂θU] = α∇θJ·(ν/(ν+αλ), ν/(ν+2αλ)) → α∇θJ; a finite-difference solve of the stationary eq. 112 "
        "confirms it (Gaussian model, ν = 5, 50) and, on the two-mode model, the ν → ∞ limit α∇θJ; the printed ∇θF is "
        "rejected at α = 2. The conclusion (CD performs descent on the Fisher divergence) stands, with rate α/ν.",
    ),
    Claim(
        id="cd-objective-notes",
        title="Seed 000's contrastive-divergence objective KL(p_data‖p_θ) − KL(p_θ‖p_data)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source("000", "Recap: Distances for Training EBMs — Contrastive Divergence",
                        r"\mathcal{L}_{CD}(\theta) = D_{KL}(p_{data}(x) \| p_\theta(x)) - D_{KL}(p_\theta(x) \| p_{data}(x))"),),
        expected_verdict="refuted",
        derivation=derivation.cd_objective,
        checks=objective_checks,
        corrected=r"\mathcal{L}_{CD_k}(\theta) = D_{KL}(p_{data}\|p_\theta) - D_{KL}(p_k\|p_\theta), \ p_k \text{ the law of k MCMC steps "
        r"from } p_{data}\text{, held fixed when differentiating: } \nabla_\theta\mathcal{L}_{CD_k} = \mathbb{E}_{data}[\nabla_\theta U_\theta] "
        r"- \mathbb{E}_{p_k}[\nabla_\theta U_\theta]",
        summary="As written, L_CD is not a divergence: for Gaussians with equal means it is ½(1/r − r + log r²) (r the "
        "variance ratio), negative for r > 1 and unbounded below, so minimising it does not make p_θ = p_data; its gradient "
        "is not the CD update (finite differences by quadrature reject it). Hinton's objective KL(p_data‖p_θ) − "
        "KL(p_k‖p_θ) with p_k frozen has exactly the CD-k gradient (derived; confirmed to 1e-7 by finite differences for "
        "k = 1, 5).",
    ),
    Claim(
        id="cd-ml-gradient-estimators",
        title="The empirical ML gradient of eq. 110 / Algorithms 1–2 and the descent flow of eq. 111",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(
            Source("003", "§6, eqs. 110–111 and Algorithm 2 line 4",
                   r"\mathbb{E}_{\theta}[\partial_{\theta}U_{\theta}] \approx \frac{1}{N} \sum_{i=1}^{N} \partial_{\theta}U_{\theta}(X^{i}), "
                   r"\ X^{i} \sim \rho_{\theta}; \quad \dot{\theta} = \mathbb{E}_{\theta} [\partial_{\theta} U_{\theta}] - \mathbb{E}_{*} "
                   r"[\partial_{\theta} U_{\theta}]; \quad \tilde{\mathcal{D}}_k = N^{-1} \sum_{i=1}^N \partial_{\theta} U_{\theta_k}(X_k^i) "
                   r"- n^{-1} \sum_{i=1}^n \partial_{\theta} U_{\theta_k}(x_*^i)"),
            Source("002", "slides 'Gradient of the log-likelihood' and 'Gradient ascent'",
                   r"\nabla_{\theta} L(\theta) = \mathbb{E}_{\theta} [\nabla_{\theta} U_{\theta}] - \mathbb{E}_{*} [\nabla_{\theta} U_{\theta}], "
                   r"\quad \theta_{t+1} - \theta_t = \eta \times (\mathbb{E}_{\theta_t}[\nabla_{\theta} U_{\theta_t}] - \mathbb{E}_*[\nabla_{\theta} U_{\theta_t}])"),
        ),
        expected_verdict="verified",
        derivation=derivation.ml_descent,
        checks=estimator_checks,
        summary="With exact samples from ρ_θ, D̃ is an unbiased estimate of D = −∂θH = ∇θL (both components, two-mode data, "
        "Gaussian model), not of +∂θH: D̃ is the ascent direction on the likelihood, so Algorithm 2's label 'empirical CE "
        "gradient' holds only as eq. 109's D := −∂θH, and opt must step along +D̃ (eq. 111). Walkers at ULA's stationary "
        "law (PCD at frozen θ, h = 0.2) would estimate a different value, which the same data reject. Along θ̇ = D, "
        "dH/dt = −|D|² (finite differences of H by quadrature).",
    ),
    Claim(
        id="cd-slides-loglik-gradient",
        title="The slides' first line of the log-likelihood gradient drops ∇θ on U",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source("002", "slide 'Gradient ascent on Energy-Based Models'",
                        r"\nabla_{\theta} L(\theta) = -\mathbb{E}_*[U_{\theta}] - \nabla \log Z_{\theta}"),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.slides_loglik_gradient,
        checks=slides_checks,
        corrected=r"\nabla_{\theta} L(\theta) = -\mathbb{E}_*[\nabla_\theta U_{\theta}] - \nabla_\theta \log Z_{\theta}",
        summary="The printed line has E_*[U_θ] for E_*[∇θU_θ] (the same slip recurs in '≈ (1/n)Σ U_θ(x_i)' and in the PCD "
        "slide's 'E_θt[U_θt] ≈ (1/n)Σ_{i=1}^N U_θt(X_t^i)'); finite differences of L by quadrature reject it and confirm "
        "the corrected line and the slide's next line E_θ[∇θU] − E_*[∇θU].",
    ),
)

NOT_ENCODED: tuple[NotEncoded, ...] = (
    NotEncoded(Source("003", "§6, eq. 109", r"\partial_{\theta} H(\rho_*, \rho_{\theta}) = \mathbb{E}_* [\partial_{\theta} U_{\theta}] - "
                      r"\mathbb{E}_{\theta} [\partial_{\theta} U_{\theta}] := -\mathcal{D}"),
               "covered by claim divergences-log-partition-gradient (the identity) and cd-ml-gradient-estimators (its sign in eq. 111 and the algorithms)"),
    NotEncoded(Source("003", "§6, after eq. 109", r"\text{An analytical computation is outreach for a generic } U_\theta \ldots "
                      r"\text{numerical spline methods are impractical in high dimension}"), "qualitative (computational cost of E_θ[∂θU] in high dimension); nothing quantitative to check"),
    NotEncoded(Source("003", "§6, before Algorithm 1", r"\text{there are no general results on the convergence rate towards the desired "
                      r"equilibrium } X \sim \rho_\theta"), "qualitative (a statement about the literature)"),
    NotEncoded(Source("003", "§6, Algorithm 1 lines 4–6", r"\text{for } p = 0, \ldots, P-1 \text{ do } \triangleright \text{ULA}"),
               "the ULA update line of Algorithm 1 is lost in the source text; Algorithm 2 line 7 prints it "
               "(X_{k+1} = X_k − h∇U(X_k) + √(2h)ξ, the ULA of Definition 4.3, claims of topic ula); cd-k-gradient-bias runs it"),
    NotEncoded(Source("003", "§6, Algorithms 1–2 inputs", r"N \in \mathbb{N}_0 \text{ with } N < n;\ K \in \mathbb{N};\ h;\ P \in \mathbb{N}"),
               "definitions of the algorithms' inputs, nothing to check"),
    NotEncoded(Source("003", "§6, Algorithm 2 line 7", r"X_{k+1}^i = X_k^i - h \nabla U_{\theta_k}(X_k^i) + \sqrt{2h} \xi_k^i"),
               "PCD: the walkers are never reset; at frozen θ they are the CD-k chains with k = iteration count, whose limit "
               "(ULA's stationary law, not ρ_θ) is checked in cd-k-gradient-bias and cd-ml-gradient-estimators"),
    NotEncoded(Source("003", "§6, after Algorithm 2", r"\text{The adjective 'Contrastive' originates from the minus sign between "
                      r"expectations in equation 109}"), "historical (where the name comes from); the sign it refers to is checked in cd-ml-gradient-estimators"),
    NotEncoded(Source("003", "§6, after eq. 111", r"\text{Stationarity is reached when } \rho_* = \rho_\theta"),
               "immediate from eq. 109 (both expectations coincide); a sufficient condition, covered by cd-ml-gradient-estimators"),
    NotEncoded(Source("003", "§6, eq. 112", r"\partial_t \check{\rho} = \alpha \nabla \cdot ( \nabla U_{\theta(t)} \check{\rho} + "
                      r"\nabla \check{\rho} ) - \nu (\check{\rho} - \rho_*)"),
               "a model (definition) of CD's walkers; its stationary law is solved in cd-birth-death-fisher"),
    NotEncoded(Source("003", "§6, eq. 113", r"\check{\rho} = \rho_* + \nu^{-1} \alpha \nabla \cdot ( \nabla U_{\theta(t)} \rho_* + "
                      r"\nabla \rho_* ) + O(\nu^{-2})"),
               "covered by cd-birth-death-fisher: the expectations of ∂θU under it are the claim's exact gap, whose 1/ν term carries α as eq. 113 does"),
    NotEncoded(Source("003", "§6, eqs. 115–116", r"\frac{1}{2} \int |\nabla U_{\theta} + \nabla \log \rho_*|^2 \rho_* dx = "
                      r"\frac{1}{2} \int [|\nabla U_{\theta}|^2 - 2\Delta U_{\theta} + |\nabla \log \rho_*|^2] \rho_* dx"),
               "covered by claim hyvarinen-identity (the same identity with s_θ = −∇U_θ, ½ convention, boundary term vanishing)"),
    NotEncoded(Source("003", "§6, after eq. 116", r"\text{This confirms the known fact that the CD algorithm effectively performs GD "
                      r"on the Fisher divergence rather than the cross-entropy}"),
               "covered by cd-birth-death-fisher (true, at rate α/ν, for the reset model of eq. 112) and cd-small-step-score-matching "
               "(CD-1 with a ULA step η: the update is η∇θJ + O(η²))"),
    NotEncoded(Source("003", "§6, PCD paragraph", r"\text{for any finite } \alpha,\ \mathbb{E}_{\check{\rho}}[\partial_{\theta}U_{\theta}] "
                      r"\neq \mathbb{E}_{\theta}[\partial_{\theta}U_{\theta}]"),
               "qualitative (a lag of the walkers behind a moving θ); its frozen-θ content — walkers at ULA's stationary law, "
               "not ρ_θ — is checked in cd-k-gradient-bias (k → ∞) and cd-ml-gradient-estimators"),
    NotEncoded(Source("003", "§6, closing remarks", r"\text{the global mass distribution could happen to be incorrectly inferred, in "
                      r"particular in presence of well separated modes}"),
               "qualitative; quantified by cd-k-gradient-bias on the two-mode model (the CD gradient of the mode weight is a small "
               "fraction of the ML gradient)"),
    NotEncoded(Source("000", "Contrastive Divergence, 'Key insight' and 'Challenge'", r"\text{This objective encourages the model to match "
                      r"the data distribution while preventing mode collapse}"),
               "qualitative; the objective it refers to is refuted in cd-objective-notes"),
    NotEncoded(Source("002", "slide 'Gradient ascent', positive/negative samples", r"\approx \frac{1}{n} \sum_i U_{\theta_t} (x_i^i) "
                      r"\qquad \approx \frac{1}{n} \sum_i U_{\theta_t} (y_i)"),
               "the same missing ∇θ as cd-slides-loglik-gradient (U for ∇θU); covered there"),
    NotEncoded(Source("002", "slide 'Persistent Contrastive Divergence (PCD)'",
                      r"1)\ \mathbb{E}_{\theta_t}[U_{\theta_t}] \approx \frac{1}{n} \sum_{i=1}^N U_{\theta_t}(X_t^i);\ 3)\ X_{t+1} = X_t - "
                      r"\eta \nabla U_{\theta_{t+1}}(X_t) + \sqrt{2\eta} \xi"),
               "the estimate drops ∇θ (covered by cd-slides-loglik-gradient) and normalises N walkers by 1/n (a misprint with "
               "nothing further to check); the walker move is ULA (topic ula); 'leads to mode collapse' is qualitative"),
)
