r"""Checks of the review's normalizing-flow statements (§3.4, Table 1's NF row, §3.5's NF bullet).

Flows (:mod:`theory.flows`): affine (with a reflection), planar and radial, in d = 1 and 2, with
exact inverses (closed form or safeguarded Newton) and log-determinants; the planar and radial
determinants are the derivation's exports, compiled with SymPy. Base: standard normal.

- **Change of variables** (eq. 70): ρ_Y(y) = ρ_Z(φ⁻¹(y))|det Jφ(φ⁻¹(y))|⁻¹ integrates to 1
  (Gauss–Legendre in 1-D and tensor Gauss–Legendre in 2-D, error = rule vs refinement), and
  ∫h ρ_Y by quadrature predicts the Monte Carlo mean of h(φ(Z)) (statistical). Controls: no
  Jacobian factor (the literal reading of the second form), and |det Jφ| in place of its inverse
  — near on a flow whose determinant is within a few per cent of 1.
- **ML objective** (eqs. 71–72): the θ-derivative of the population objective at the true θ,
  by quadrature over the data (y = φ_θ*(z), z on Gauss–Legendre nodes) and central differences
  in θ (error: quadrature refinement plus the h vs h/2 difference). With the volume term
  log|det J φ_θ⁻¹| it vanishes; with eq. 72's θ-free log|det Jφ⁻¹| (as printed) it does not.
  Replicate fits of a 2-D affine flow by eq. 72's maximiser (the derivation's export) check the
  estimate: E[Σ̂] = (n − 1)/n Σ* (the maximiser is the divisor-n scatter), the unbiased Σ* a near control.
- **Table 1's log det without |·|**: on orientation-preserving flows the printed objective equals
  E*[log ρ_θ] with ρ_θ from differentiating the distribution function Φ(φ_θ⁻¹(y)) (central
  differences, no Jacobian formula used).
- **Composition** (eqs. 73–74): f = f₃∘f₂∘f₁ (planar, radial, reflection) in 2-D; the printed
  inverse order against the reversed one, and Π det J f_i⁻¹(x_i) against a finite-difference
  Jacobian determinant of f⁻¹ (control: factors at x_{i−1}).
- **NF as an EBM** (§3.5): with U_θ = −log ρ_Z∘φ_θ⁻¹ the EBM's cross-entropy E*[U_θ] + log Z_θ
  and the NF's −E*[log ρ_θ] differ by log Z_θ + E*[log|det Jφ_θ⁻¹|], which depends on θ.
"""

from __future__ import annotations

import functools

import numpy as np
from ebmcheck.checks.anatomy import (
    Check,
    Claim,
    Context,
    NotEncoded,
    Source,
    ZTest,
    mean_and_standard_error,
    printed_statement_controls,
)
from ebmcheck.checks.figures import new_figure
from ebmcheck.derivations import flows as derivation
from ebmcheck.theory.flows import (
    Affine,
    Composition,
    Planar,
    Radial,
    standard_normal_log_density,
)
from ebmcheck.theory.quadrature import integrate, integrate_2d
from ebmcheck.theory.symbolic import compile_expression
from scipy import stats


def _integrate_line(integrand, lo: float, hi: float, panels: int = 200, order: int = 16, breaks=()):
    """∫ g over [lo, hi] for g written on points (N, 1), the flows' convention in d = 1
    (:func:`theory.quadrature.integrate`, which takes nodes (N,))."""
    return integrate(lambda y: integrand(y[:, None]), lo, hi, panels, order, breaks)

TOPIC = "flows"
HOST_ONLY = ("1-D and 2-D Gauss–Legendre quadrature, finite differences and closed-form flows on numpy; the Monte "
             "Carlo checks (10⁵ draws) take well under a second on a CPU")
REVIEW = "003"
Z_RANGE = 12.0  # base-normal mass outside |z| < 12 is below 1e-32


# ---- the flows, with the derivation's determinants ---------------------------------------------------
@functools.cache
def _planar_det():
    exports = derivation.change_of_variables().exports
    return compile_expression(exports["planar_symbols"], exports["planar_det_2d"], np)


@functools.cache
def _radial_det_1d():
    exports = derivation.change_of_variables().exports
    return compile_expression(exports["radial_symbols"], exports["radial_det_1d"], np)


def log_abs_det_forward(flow, z: np.ndarray) -> np.ndarray:
    r""":math:`\log|\det J\varphi(z)|`: planar and 1-D radial from the derivation's exports, affine and
    2-D radial from :mod:`theory.flows` (tested against finite differences)."""
    if isinstance(flow, Planar):
        u, w = np.pad(flow.u, (0, 2 - flow.dim)), np.pad(flow.w, (0, 2 - flow.dim))
        zz = np.pad(z, ((0, 0), (0, 2 - flow.dim)))
        return np.log(np.abs(_planar_det()(zz[:, 0], zz[:, 1], *u, *w, flow.c)))
    if isinstance(flow, Radial) and flow.dim == 1:
        r = np.abs(z[:, 0] - flow.center[0])
        return np.log(np.abs(_radial_det_1d()(r, flow.alpha, flow.beta)))
    return flow.log_abs_det(z)


def _density_terms(flow, y: np.ndarray):
    """log ρ_Z(φ⁻¹(y)) and log|det Jφ(φ⁻¹(y))| at points y (n, d)."""
    z = flow.inverse(y)
    return standard_normal_log_density(z), log_abs_det_forward(flow, z)


def _test_function(y: np.ndarray) -> np.ndarray:
    """h(y) = exp(−|y − m|²/2), m = (0.5, …): bounded, asymmetric, with a finite Monte Carlo variance."""
    return np.exp(-0.5 * np.sum((y - 0.5) ** 2, axis=-1))


def _flows_1d(near: float = 0.04):
    """1-D flows; ``near``: w·u of the nearly volume-preserving planar flow (det within 1 ± near)."""
    return {
        "planar-1d (w·u = −0.9)": Planar(np.array([2.0]), np.array([-0.45]), 0.2),
        "radial-1d": Radial(np.array([0.3]), 0.5, 1.5),
        f"planar-1d near volume-preserving (w·u = {near:g})": Planar(np.array([near]), np.array([1.0]), 0.3),
    }


def _flows_2d(near: float = 0.03):
    """2-D flows; ``near``: det − 1 of the nearly volume-preserving affine flow."""
    return {
        "affine-2d reflection": Affine(np.array([[1.2, 0.5], [0.3, -0.8]]), np.array([0.5, -0.3])),
        "planar-2d": Planar(np.array([1.5, -0.5]), np.array([0.8, 0.6]), 0.3),
        "radial-2d": Radial(np.array([1.0, -1.0]), 0.7, -0.5),  # centre on a panel corner: its kink
        f"affine-2d det {1 + near:g}": Affine(np.array([[1 + near, 0.2], [0.0, 1.0]]), np.array([0.2, 0.1])),
    }


def _integrals(flow, integrate):
    r"""∫ of [ρ_Y, h ρ_Y, ρ_Z∘φ⁻¹ (no Jacobian), h ρ_Z∘φ⁻¹|det Jφ∘φ⁻¹| (Jacobian inverted)] and errors."""
    def integrand(y):
        log_base, log_det = _density_terms(flow, y)
        h = _test_function(y)
        density, no_jacobian = np.exp(log_base - log_det), np.exp(log_base)
        return np.stack([density, h * density, no_jacobian, h * np.exp(log_base + log_det)], axis=-1)

    return integrate(integrand)


def _kinks(flow) -> tuple[float, ...]:
    """Where a 1-D flow's density has a kink: a radial flow's centre (|z − z₀|), fixed by the flow."""
    return (float(flow.center[0]),) if isinstance(flow, Radial) else ()


def _integrate_1d(flow):
    ends = flow.forward(np.array([[-Z_RANGE], [Z_RANGE]]))[:, 0]
    return lambda integrand: _integrate_line(integrand, ends.min(), ends.max(), panels=64, order=16, breaks=_kinks(flow))


def _integrate_2d(flow):
    return lambda integrand: integrate_2d(integrand, -11.0, 11.0, panels=22, order=10)


def change_of_variables_checks(context: Context) -> list[Check]:
    checks = []
    n = context.size(quick=100_000, full=2_000_000)
    # the near controls' flows are sized to the resolution (∝ 1/√n): det within a few resolutions of 1
    near = context.size(quick=1.0, full=0.25)
    cases = [(name, flow, _integrate_1d(flow)) for name, flow in _flows_1d(0.04 * near).items()]
    cases += [(name, flow, _integrate_2d(flow)) for name, flow in _flows_2d(0.03 * near).items()]
    summary = []
    for name, flow, integrate in cases:
        values, errors = _integrals(flow, integrate)
        checks.append(Check(
            name=f"{name}: ρ_Y integrates to 1",
            quantity=r"\int \rho_Z(\varphi^{-1}(y))\,|\det J\varphi(\varphi^{-1}(y))|^{-1}\,dy",
            test=ZTest(1.0, float(values[0]), float(errors[0])),
            control=ZTest(1.0, float(values[2]), float(errors[2])),
            control_label="no Jacobian factor (eq. 70's second form with J_y of y ↦ φ(φ⁻¹(y)) = y, det 1)",
            error_kind="quadrature",
        ))
        z = context.rng(name).standard_normal((n, flow.dim))
        estimate, error = mean_and_standard_error(_test_function(flow.forward(z)))
        checks.append(Check(
            name=f"{name}: E h(φ(Z)) = ∫ h ρ_Y",
            quantity=r"\mathbb{E}_Z[h(\varphi(Z))]",
            test=ZTest(float(values[1]), float(estimate), float(error)),
            control=ZTest(float(values[3]), float(estimate), float(error)),
            control_label="|det Jφ| in place of its inverse: ∫ h ρ_Z(φ⁻¹)|det Jφ(φ⁻¹)|",
            details={"draws": n, "quadrature_error": float(errors[1])},
        ))
        summary.append((name, values, estimate, error))
    _figure_densities(context)
    return checks


def _figure_densities(context: Context) -> None:
    """ρ_Y of the sharp 1-D planar flow by eq. 70 against a histogram of φ(Z), with both controls."""
    flow = _flows_1d()["planar-1d (w·u = −0.9)"]
    z = context.rng("figure").standard_normal((200_000, 1))
    y = flow.forward(z)[:, 0]
    grid = np.linspace(np.quantile(y, 0.001), np.quantile(y, 0.999), 400)[:, None]
    log_base, log_det = _density_terms(flow, grid)
    figure, (axis,) = new_figure(width=5.6, height=3.4)
    axis.hist(y, bins=160, range=(grid[0, 0], grid[-1, 0]), density=True, color="0.8", label=r"samples $\varphi(Z)$")
    axis.plot(grid[:, 0], np.exp(log_base - log_det), "k", label="eq. 70")
    axis.plot(grid[:, 0], np.exp(log_base), ":", color="C1", label="no Jacobian")
    axis.plot(grid[:, 0], np.exp(log_base + log_det), "--", color="C3", label=r"$|\det J\varphi|$ not inverted")
    axis.set_xlabel(r"$y$ (planar flow, $w u = -0.9$)")
    axis.set_ylabel("density")
    axis.legend(fontsize=8)
    context.add_figure("density", figure, "Eq. 70 for a 1-D planar flow that nearly folds (w·u = −0.9): the formula "
                       "matches the histogram of φ(Z); dropping or not inverting the Jacobian does not.")


# ---- eqs. 71–72 ---------------------------------------------------------------------------------------
def _objective(flow_of, theta: float, y: np.ndarray, volume: bool) -> np.ndarray:
    """Per-sample eq. 72 at θ: log ρ_Z(φ_θ⁻¹(y)) [+ log|det J φ_θ⁻¹(y)| when ``volume``]."""
    flow = flow_of(theta)
    log_base, log_det = _density_terms(flow, y)
    return log_base - log_det if volume else log_base


def _stationarity(flow_of, theta: float, volume: bool, step: float):
    r""":math:`\partial_\theta\,\mathbb{E}_{\theta^*}[\ell_\theta(Y)]` at θ*, by Gauss–Legendre over z and
    central differences in θ; error: quadrature refinement + |D(h) − D(h/2)|."""
    def derivative(h):
        def integrand(z):
            y = flow_of(theta).forward(z)
            weight = np.exp(standard_normal_log_density(z))
            upper, lower = (_objective(flow_of, theta + s, y, volume) for s in (h, -h))
            return weight * (upper - lower) / (2 * h)
        return _integrate_line(integrand, -Z_RANGE, Z_RANGE, panels=48, order=16, breaks=_kinks(flow_of(theta)))

    (value, q_error), (coarse, _) = derivative(step), derivative(2 * step)
    return float(value), float(q_error + abs(value - coarse))


def _ml_families():
    return {
        "affine-1d σ (μ* = 0.5, σ* = 1.7)": (lambda s: Affine(np.array([[s]]), np.array([0.5])), 1.7),
        "planar-1d u (w = 0.8, c = 0.3, u* = 1.2)": (lambda u: Planar(np.array([u]), np.array([0.8]), 0.3), 1.2),
        "radial-1d β (z₀ = 0.3, α = 0.5, β* = 1.5)": (lambda b: Radial(np.array([0.3]), 0.5, b), 1.5),
    }


def ml_objective_checks(context: Context) -> list[Check]:
    checks = []
    for name, (flow_of, theta) in _ml_families().items():
        value, error = _stationarity(flow_of, theta, volume=True, step=1e-4)
        printed, printed_error = _stationarity(flow_of, theta, volume=False, step=1e-4)
        checks.append(Check(
            name=f"{name}: eq. 72 stationary at θ*",
            quantity=r"\partial_\theta\,\mathbb{E}_*[\log\rho_Z(\varphi_\theta^{-1}(y)) + \log|\det J_y\varphi_\theta^{-1}(y)|]\big|_{\theta^*}",
            test=ZTest(0.0, value, error),
            control=ZTest(0.0, printed, printed_error),
            control_label="eq. 72 as printed: log|det J_y φ⁻¹(y)| without θ (constant in θ)",
            error_kind="quadrature+finite-difference",
        ))
    checks += _affine_fit_checks(context)
    return printed_statement_controls(checks, "eq. 72 as printed")


def _affine_fit_checks(context: Context) -> list[Check]:
    r"""Replicate fits of y = μ + Lz by eq. 72's maximiser (Σ̂ = divisor-n scatter, the export): E[Σ̂] = (n−1)/n Σ*."""
    exports = derivation.ml_objective().exports
    estimate_of = compile_expression(exports["scatter_symbols"], exports["covariance_estimate"], np)
    replicates, n = context.size(quick=20_000, full=400_000), 20
    matrix = np.array([[1.3, 0.0], [0.6, 0.8]])
    flow = Affine(matrix, np.array([0.5, -1.0]))
    covariance = matrix @ matrix.T
    z = context.rng("affine fit").standard_normal((replicates, n, 2))
    y = z @ matrix.T + flow.shift
    centred = y - y.mean(axis=1, keepdims=True)
    scatter = np.einsum("rni,rnj->rij", centred, centred) / n
    fitted = np.array(estimate_of(scatter[:, 0, 0], scatter[:, 0, 1], scatter[:, 1, 1]))  # (2, 2, R)
    checks = []
    for i, j in ((0, 0), (0, 1), (1, 1)):
        estimate, error = mean_and_standard_error(fitted[i, j])
        checks.append(Check(
            name=f"affine-2d fit, n = {n}: E[Σ̂_{i + 1}{j + 1}]",
            quantity=rf"\mathbb{{E}}[\hat\Sigma_{{{i + 1}{j + 1}}}]",
            test=ZTest((n - 1) / n * covariance[i, j], float(estimate), float(error)),
            control=ZTest(covariance[i, j], float(estimate), float(error)),
            control_label="the unbiased Σ* (no finite-n factor (n − 1)/n)",
            details={"replicates": replicates, "n": n},
        ))
    return checks


# ---- Table 1's NF row -----------------------------------------------------------------------------------
def _cdf_log_density(flow, y: np.ndarray, step: float) -> np.ndarray:
    """log ρ_θ(y) from the distribution function Φ(φ⁻¹(y)) of an increasing 1-D flow, by central differences."""
    upper, lower = (flow.inverse(y + s)[:, 0] for s in (step, -step))
    mass = np.where(lower > 0, stats.norm.sf(lower) - stats.norm.sf(upper), stats.norm.cdf(upper) - stats.norm.cdf(lower))
    return np.log(mass / (2 * step))  # the upper tail through the survival function: no cancellation to 0


def table1_checks(context: Context) -> list[Check]:
    checks = []
    for name, (flow_of, theta) in _ml_families().items():
        data, model = flow_of(theta), flow_of(0.8 * theta)

        def integrand(z, model=model, data=data, table=True, step=1e-4):
            y = data.forward(z)
            weight = np.exp(standard_normal_log_density(z))
            if table:
                log_base, _ = _density_terms(model, y)
                det_inverse = 1 / model.det(model.inverse(y))  # signed: Table 1 takes log det, no |·|
                return weight[:, None] * np.stack([log_base + np.log(det_inverse), log_base], axis=-1)
            return weight * _cdf_log_density(model, y, step)

        kinks = _kinks(data)
        (printed, no_volume), (error, _) = _integrate_line(integrand, -Z_RANGE, Z_RANGE, 48, 16, kinks)
        reference, reference_error = _integrate_line(lambda z: integrand(z, table=False), -Z_RANGE, Z_RANGE, 48, 16, kinks)
        coarse, _ = _integrate_line(lambda z: integrand(z, table=False, step=2e-4), -Z_RANGE, Z_RANGE, 48, 16, kinks)
        total_error = float(error + reference_error + abs(reference - coarse))
        checks.append(Check(
            name=f"{name}: Table 1 objective at 0.8θ* = E*[log ρ_θ]",
            quantity=r"\mathbb{E}_*[\log\rho_Z(\varphi_\theta^{-1}(y)) + \log\det J_y\varphi_\theta^{-1}(y)]",
            test=ZTest(float(reference), float(printed), total_error),
            control=ZTest(float(reference), float(no_volume), total_error),
            control_label="the volume term dropped (E*[log ρ_Z(φ_θ⁻¹(y))] alone)",
            error_kind="quadrature+finite-difference",
            details={"theta": 0.8 * theta, "data_theta": theta},
        ))
    return checks


# ---- Lemma 3.6 --------------------------------------------------------------------------------------------
def _composition() -> Composition:
    return Composition((
        Planar(np.array([1.2, -0.4]), np.array([0.7, 0.5]), 0.2),
        Radial(np.array([0.3, -0.2]), 0.6, 0.9),
        Affine(np.array([[0.9, 0.4], [0.2, -1.1]]), np.array([0.1, 0.3])),
    ))


def _inverse_jacobian_det_fd(flow: Composition, y: np.ndarray, step: float) -> np.ndarray:
    """det of the central-difference Jacobian of f⁻¹ at y (n, 2)."""
    columns = [(flow.inverse(y + step * e) - flow.inverse(y - step * e)) / (2 * step) for e in np.eye(2)]
    return np.linalg.det(np.stack(columns, axis=-1))


def composition_checks(context: Context) -> list[Check]:
    flow = _composition()
    z = context.rng("composition points").standard_normal((context.size(quick=400, full=4000), 2))
    points = flow.trajectory(z)
    y = points[-1]
    printed_order = flow.inverse(y)
    reversed_order = y
    for layer in flow.layers:  # f_3⁻¹∘f_2⁻¹∘f_1⁻¹: f_1⁻¹ first
        reversed_order = layer.inverse(reversed_order)
    rms = lambda a: float(np.sqrt(np.mean(np.sum(a**2, axis=-1))))
    scale = rms(z)
    checks = [Check(
        name="eq. 73: f⁻¹(f(z)) = z",
        quantity=r"\mathrm{rms}\,|f_1^{-1}\circ f_2^{-1}\circ f_3^{-1}(f(z)) - z|",
        test=ZTest(0.0, rms(printed_order - z), 1e-12 * scale),
        control=ZTest(0.0, rms(reversed_order - z), 1e-12 * scale),
        control_label="the inverses in the other order, f₃⁻¹∘f₂⁻¹∘f₁⁻¹",
        error_kind="root-finding",
    )]
    # eq. 74: det J f_i⁻¹ at a point x is 1/det J f_i(f_i⁻¹(x)) (eq. 70, claim flows-change-of-variables)
    def factor(layer, x):
        return 1 / layer.det(layer.inverse(x))

    at_outputs = np.prod([factor(layer, x) for layer, x in zip(flow.layers, points[1:])], axis=0)
    at_inputs = np.prod([factor(layer, x) for layer, x in zip(flow.layers, points[:-1])], axis=0)
    fine, coarse = (_inverse_jacobian_det_fd(flow, y, s) for s in (1e-4, 2e-4))
    error = rms((fine - coarse)[:, None]) + 1e-9
    checks.append(Check(
        name="eq. 74: det J f⁻¹(y) = Π det J f_i⁻¹(x_i)",
        quantity=r"\mathrm{rms}\,\big(\det J f^{-1}(y) - \prod_i \det J f_i^{-1}(x_i)\big)",
        test=ZTest(0.0, rms((fine - at_outputs)[:, None]), error),
        control=ZTest(0.0, rms((fine - at_inputs)[:, None]), error),
        control_label="each factor at x_{i−1} (the input of f_i) instead of x_i",
        error_kind="finite-difference",
        details={"points": z.shape[0], "negative_determinants": int(np.sum(at_outputs < 0))},
    ))
    return checks


# ---- §3.5: NF as an EBM -------------------------------------------------------------------------------------
def _ebm_gap(flow_of, theta: float, data_theta: float):
    r"""[E*U_θ + log Z_θ] + E*[log ρ_θ] with U_θ = −log ρ_Z∘φ_θ⁻¹ (direct quadrature in y), and the
    derived value log E_Z|det Jφ_θ(Z)| + E*[log|det J φ_θ⁻¹|] (quadrature in z); errors."""
    model, data = flow_of(theta), flow_of(data_theta)
    ends = model.forward(np.array([[-Z_RANGE], [Z_RANGE]]))[:, 0]
    kinks = _kinks(model)
    log_partition_direct, partition_error = _integrate_line(lambda y: np.exp(_density_terms(model, y)[0]), *ends, 64, 16,
                                                              kinks)

    def over_data(z):
        y = data.forward(z)
        weight = np.exp(standard_normal_log_density(z))
        log_base, log_det = _density_terms(model, y)
        return weight[:, None] * np.stack([-log_base, log_base - log_det, -log_det], axis=-1)

    (energy, log_likelihood, volume), errors = _integrate_line(over_data, -Z_RANGE, Z_RANGE, 48, 16, kinks)
    direct = energy + np.log(log_partition_direct) + log_likelihood
    partition_z, partition_z_error = _integrate_line(
        lambda z: np.exp(standard_normal_log_density(z) + log_abs_det_forward(model, z)), -Z_RANGE, Z_RANGE, 48, 16, kinks)
    derived = np.log(partition_z) + volume
    error = float(np.sum(errors) + partition_error / log_partition_direct + partition_z_error / partition_z)
    return float(direct), float(derived), error


def ebm_analogy_checks(context: Context) -> list[Check]:
    checks = []
    for name, (flow_of, theta) in _ml_families().items():
        if name.startswith("affine"):
            continue  # constant Jacobian: the printed identification holds there
        pairs = [(_ebm_gap(flow_of, t, theta)) for t in (theta, 0.6 * theta)]
        (direct_1, derived_1, error_1), (direct_2, derived_2, error_2) = pairs
        estimate, error = direct_1 - direct_2, error_1 + error_2
        checks.append(Check(
            name=f"{name}: EBM objective − NF objective at θ* and 0.6θ*",
            quantity=r"\Delta_\theta\big(\mathbb{E}_*[U_\theta] + \log Z_\theta + \mathbb{E}_*[\log\rho_\theta]\big),\ U_\theta = -\log\rho_Z\circ\varphi_\theta^{-1}",
            test=ZTest(float(derived_1 - derived_2), float(estimate), error),
            control=ZTest(0.0, float(estimate), error),
            control_label="§3.5 as printed: with ρ_Z(φ_θ⁻¹) ∝ e^{−U_θ} the EBM and NF objectives differ by a θ-free constant",
            error_kind="quadrature",
            details={"theta": [theta, 0.6 * theta]},
        ))
    _figure_ebm(context)
    return printed_statement_controls(checks, "§3.5 as printed")


def _objectives(flow_of, theta: float, data_theta: float) -> tuple[float, float]:
    """The NF's −E*[log ρ_θ] and the EBM's E*[U_θ] + log Z_θ with U_θ = −log ρ_Z∘φ_θ⁻¹ (quadrature)."""
    model, data = flow_of(theta), flow_of(data_theta)
    kinks = _kinks(model)

    def over_data(z):
        log_base, log_det = _density_terms(model, data.forward(z))
        return np.exp(standard_normal_log_density(z))[:, None] * np.stack([-(log_base - log_det), -log_base], axis=-1)

    (nf, energy), _ = _integrate_line(over_data, -Z_RANGE, Z_RANGE, 24, 16, kinks)
    partition, _ = _integrate_line(lambda z: np.exp(standard_normal_log_density(z) + log_abs_det_forward(model, z)),
                                     -Z_RANGE, Z_RANGE, 24, 16, kinks)
    return float(nf), float(energy + np.log(partition))


def _figure_ebm(context: Context) -> None:
    """NF and EBM objectives along β of the radial family: their minimisers differ."""
    flow_of, theta = _ml_families()["radial-1d β (z₀ = 0.3, α = 0.5, β* = 1.5)"]
    betas = np.linspace(0.3, 4.0, 25)
    nf, ebm = np.array([_objectives(flow_of, b, theta) for b in betas]).T
    figure, (axis,) = new_figure(width=5.6, height=3.4)
    axis.plot(betas, nf, "k", label=r"NF: $-\mathbb{E}_*[\log\rho_\theta]$ (eq. 72)")
    axis.plot(betas, ebm, "--", color="C1", label=r"EBM with $U_\theta=-\log\rho_Z\circ\phi_\theta^{-1}$: $\mathbb{E}_*[U_\theta]+\log Z_\theta$")
    axis.axvline(theta, color="0.5", lw=1, label=r"data $\beta^*$")
    axis.set_xlabel(r"radial flow parameter $\beta$ ($z_0 = 0.3$, $\alpha = 0.5$)")
    axis.set_ylabel("objective")
    axis.legend(fontsize=8)
    context.add_figure("objectives", figure, "§3.5's identification of a flow with the EBM whose energy is −log ρ_Z∘φ_θ⁻¹: "
                       "the NF objective is minimised at the data's β*, the EBM's cross-entropy elsewhere — the two "
                       "models differ by the flow's log-determinant.")


# ---- claims ---------------------------------------------------------------------------------------------------
EQ70 = (r"\rho_Y(y) = \rho_Z(g^{-1}(y))|\det J_y \varphi^{-1}(y)| = \rho_Z(\varphi^{-1}(y))|\det J_y \varphi(\varphi^{-1}(y))|^{-1}"
        r"\text{, for an invertible } Y = \phi(Z) \text{ on } \mathbb{R}^d")
EQ71_72 = (r"\theta^* = \arg\min_{\theta} D_{KL}(\rho_*\|\rho_\theta) = \arg\max_\theta \mathbb{E}_*[\log\rho_\theta(x)]"
           r"\text{ (71)},\quad \arg\max_\theta \mathbb{E}_*[\log\rho_\theta(x)] = \arg\max_\theta \mathbb{E}_*[\log\rho_Z(\phi_\theta^{-1}(y))"
           r" + \log|\det J_y\phi^{-1}(y)|] \text{ (72)}")
TABLE1 = r"\text{NF: } \arg\max_{\theta\in\Theta}\mathbb{E}_*[\log\rho_Z(\phi_\theta^{-1}(y)) + \log\det J_y\phi_\theta^{-1}(y)]"
LEMMA36 = (r"f^{-1} = f_1^{-1}\circ\dots\circ f_{M-1}^{-1}\circ f_M^{-1} \text{ (73)};\ x_i = f_i\circ\cdots\circ f_1(z) = "
           r"f_{i+1}^{-1}\circ\cdots\circ f_M^{-1},\ y = x_M:\ \det J_y f^{-1}(y) = \prod_{i=1}^M \det J_y f_i^{-1}(x_i) \text{ (74)}")
NF_BULLET = (r"\text{For NFs, if } \phi_\theta \text{ brings } X_0 \sim \rho_Z(\phi_\theta^{-1}(x)) \propto e^{-U_\theta(x)} \text{ to } "
             r"X_1\sim\rho_*, \text{ the term } \mathbb{E}_*[U_\theta] \text{ in EBMs is analogous to } \mathbb{E}_*[\log\rho_Z(\phi_\theta^{-1}(y))]"
             r"\text{ for NFs. In practice, if the composition of } \rho_Z \text{ with the normalizing flow can be written as an EBM, "
             r"there is no difference between the models.}")

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="flows-change-of-variables",
        title="Change of variables for a flow (Lemma 3.5)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.4, Lemma 3.5, eq. 70", EQ70),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.change_of_variables,
        checks=change_of_variables_checks,
        conditions=(
            "φ a C¹ diffeomorphism (the lemma says only 'invertible': a homeomorphism need not push a density to a density)",
            ("g⁻¹ (undefined in the source) read as φ⁻¹, and J_y φ(φ⁻¹(y)) as the Jacobian of φ evaluated at φ⁻¹(y); "
             "read literally (J_y of y ↦ φ(φ⁻¹(y)) = y) it is the identity and the Jacobian factor is lost"),
        ),
        summary="Derived in 1-D from the distribution function for increasing and decreasing affine maps (the absolute value "
        "is needed) and for a 2-D affine reflection; the density integrates to 1 and predicts E h(φ(Z)) for planar, radial "
        "and affine flows in 1-D and 2-D, including a planar flow close to folding. Dropping the Jacobian or not inverting "
        "it is rejected, the latter even for a flow with det ≈ 1.03.",
    ),
    Claim(
        id="flows-ml-objective",
        title="The ML objective of a normalizing flow (eqs. 71–72)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.4, eqs. 71–72", EQ71_72),),
        expected_verdict="refuted",
        typo=True,
        derivation=derivation.ml_objective,
        checks=ml_objective_checks,
        corrected=r"\arg\max_\theta \mathbb{E}_*[\log\rho_\theta(y)] = \arg\max_\theta \mathbb{E}_*\big[\log\rho_Z(\phi_\theta^{-1}(y))"
        r" + \log|\det J_y\phi_\theta^{-1}(y)|\big]",
        summary="Eq. 71 holds (the data entropy is free of θ). Eq. 72 prints the volume term with φ⁻¹ instead of φ_θ⁻¹: "
        "read as printed the term is constant in θ, and what is left is not stationary at the ML solution (for an affine "
        "flow it grows without bound in the scale). With φ_θ⁻¹ the objective's θ-derivative vanishes at θ* for affine, "
        "planar and radial flows, and its maximiser for a 2-D affine flow is the ML estimate.",
    ),
    Claim(
        id="flows-table1-log-det",
        title="Table 1's NF objective: log det without the absolute value",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.4, Table 1, NF row", TABLE1),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.table1_orientation,
        checks=table1_checks,
        conditions=(("det J φ_θ > 0 (an orientation-preserving flow, as planar with w·u > −1 and radial with β > −α are); "
                     "for a reflection log det J_y φ_θ⁻¹ is the log of a negative number and eq. 72's |·| is needed"),),
        summary="For orientation-preserving flows (affine with positive scale, planar, radial) the printed objective equals "
        "E*[log ρ_θ] computed from the distribution function; for a reflection its log det is not real (log(1/a) = "
        "log|1/a| + iπ, derivation step 2), so the statement needs det > 0 — a slip next to eq. 72, which has |·|.",
    ),
    Claim(
        id="flows-composition",
        title="Inverse and Jacobian determinant of a composition of flows (Lemma 3.6)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.4, Lemma 3.6, eqs. 73–74", LEMMA36),),
        expected_verdict="verified-with-conditions",
        derivation=derivation.composition,
        checks=composition_checks,
        conditions=("each f_i a C¹ diffeomorphism (the lemma says only 'bijective')",
                    ("x_i = f_{i+1}⁻¹∘⋯∘f_M⁻¹(y) (the argument y is missing in print) and J_y f_i⁻¹(x_i) the Jacobian of "
                     "f_i⁻¹ evaluated at x_i")),
        summary="The indexing is right: f_i⁻¹ is evaluated at x_i, the output of f_i (chain rule, derived; a concrete "
        "counterexample shows the factors at x_{i−1} are wrong). On a planar∘radial∘reflection composition in 2-D the "
        "printed inverse undoes f to rounding and the product of factors matches a finite-difference determinant "
        "(negative: the reflection), while the reversed order and the shifted points are rejected.",
    ),
    Claim(
        id="flows-ebm-analogy",
        title="A normalizing flow as an EBM (§3.5, NF bullet)",
        topic=TOPIC,
        host_only=HOST_ONLY,
        sources=(Source(REVIEW, "§3.5, bullet 'For NFs'", NF_BULLET),),
        expected_verdict="refuted",
        derivation=derivation.ebm_analogy,
        checks=ebm_analogy_checks,
        corrected=r"\rho_\theta = e^{-U_\theta}/Z_\theta \text{ with } U_\theta(x) = -\log\rho_Z(\phi_\theta^{-1}(x)) - "
        r"\log|\det J_x\phi_\theta^{-1}(x)|,\ Z_\theta = 1;\ \text{with } U_\theta = -\log\rho_Z\circ\phi_\theta^{-1} "
        r"\text{ alone the EBM is } \rho_Z(\phi_\theta^{-1})/\mathbb{E}_Z|\det J\phi_\theta(Z)| \ne \rho_\theta "
        r"\text{ unless } |\det J\phi_\theta| \text{ is constant}",
        summary="With U_θ = −log ρ_Z∘φ_θ⁻¹ (the bullet's premise), E*[U_θ] is −E*[log ρ_Z(φ_θ⁻¹)] up to a constant "
        "(opposite sign, matching argmin against argmax), but the EBM e^{−U_θ}/Z_θ is not the flow's density: its "
        "cross-entropy differs from the flow's by log Z_θ + E*[log|det Jφ_θ⁻¹|], which depends on θ for planar and "
        "radial flows, so the two fits differ. The models coincide when the energy includes the log-determinant.",
    ),
)

NOT_ENCODED: tuple[NotEncoded, ...] = (
    NotEncoded(Source(REVIEW, "§3.4, after Lemma 3.5", r"\text{The density } \rho_Y \text{ is also called pushforward of } "
                      r"\rho_Z \text{ by } \phi \text{ and denoted by } \phi_\#\rho_Z"),
               "a definition (notation for the density of eq. 70), nothing to check beyond claim flows-change-of-variables"),
    NotEncoded(Source(REVIEW, "§3.4, before eq. 71", r"\rho_\theta = (\phi_\theta)_\#\rho_Z"),
               "a definition of the model family; its density is claim flows-change-of-variables"),
    NotEncoded(Source(REVIEW, "§3.4, after Lemma 3.5", r"\text{The direction from noise to data is called generative direction, "
                      r"while the other way is called normalizing direction}"),
               "naming (definitions) and the history of the name 'Normalizing Flow'"),
    NotEncoded(Source(REVIEW, "§3.4, after eqs. 71 and 72", r"\text{this formulation ... is equivalent to cross-entropy minimization "
                      r"for EBMs; every addend inside the expectation is calculable; the expectation can be estimated via Monte Carlo}"),
               "covered by claim flows-ml-objective (eq. 71 is the cross-entropy/KL identity; eq. 72's terms are "
               "computed and estimated there)"),
    NotEncoded(Source(REVIEW, "§3.4, after eq. 72 and after Lemma 3.6",
                      r"\text{main limitation: bijective map, tractable inverse and Jacobian; computational cost, architectural "
                      r"complexity, scaling, base distribution, stability, interpretability}"),
               "qualitative remarks on practice (no mathematical statement to check)"),
    NotEncoded(Source(REVIEW, "§3.5, Table 2",
                      r"\text{NF: Generation = pushforward map; Evaluation = Fidelity of Normalizing Flow (and the other rows)}"),
               "a qualitative classification of generation and evaluation steps; nothing quantitative"),
    NotEncoded(Source(REVIEW, "§3.5, text after Table 2",
                      r"\text{In NFs and GANs, the focus is on directly learning a deterministic mapping from data to noise.}"),
               "qualitative; note that as printed it has the direction wrong for GANs (the generator G_θ maps noise z to "
               "data, eqs. 36–37 and Table 1) and NFs learn φ_θ: noise → data, trained through φ_θ⁻¹: data → noise"),
    NotEncoded(Source(REVIEW, "§3.5, text", r"\text{The bidirectional nature of generative models ... except in the case of "
                      r"GANs, where the generation model lacks invertibility}"),
               "qualitative; for flows the invertibility is Lemma 3.6's, checked in claim flows-composition"),
    NotEncoded(Source(REVIEW, "§3.5, text and closing paragraphs",
                      r"\text{maximizing the log-likelihood is the general aim; generation and evaluation stages; deterministic "
                      r"generation amplifies inaccuracies; SDE noise as regularizer; bridge metaphor}"),
               "qualitative or empirical remarks without a statement to check"),
)
