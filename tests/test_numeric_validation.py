"""Every public entry point of theory.toy, theory.asymptotics, theory.nce, theory.cnce and
theory.fitting refuses a bad argument before any arithmetic, with a TypeError (wrong kind of
object) or ValueError (forbidden value) whose message names the argument."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ebmcheck.theory import asymptotics, cnce, fitting, models, nce
from ebmcheck.theory import noise as nz
from ebmcheck.theory.toy import (
    Flow,
    ToyModel,
    find_fixed_point,
    nce_fixed_point,
    nce_normalizer_fixed_point,
    solve_flow,
)

NAN, INF = float("nan"), float("inf")
PRECISION = models.gaussian_precision()
TOY = ToyModel(-2.0, 2.0, panels=8, order=4)
RNG = np.random.default_rng(0)
LOCAL = nz.LocalGaussian(1.0)
X = np.zeros((2, 3, 1))  # (R, n, d)
Y = np.zeros((2, 3, 2, 1))  # (R, n, K, d)
PARAMS = np.array([1.0, 0.0])  # NCE (theta, c) of gaussian_precision


NOISE = nz.Gaussian([0.0], [[1.0]])  # NCE's unconditional noise


def FLOW(theta):
    theta = np.asarray(theta, dtype=float)
    return Flow(-theta, np.zeros_like(theta))


def QUADRATIC(params, rows):  # loss, gradient, Hessian of |params|^2 / 2
    return 0.5 * np.sum(params**2, -1), params, np.broadcast_to(np.eye(params.shape[-1]), params.shape + params.shape[-1:])


def QUADRATIC_LOSS(params, rows):
    return 0.5 * np.sum(params**2, -1)


def WRONG_SHAPES(params, rows):
    return np.zeros(params.shape[0] + 1), params, np.zeros(params.shape + params.shape[-1:])


def _pcd(**changes):
    options = {"num_walkers": 10, "num_replicates": 2, "step_size": 0.05, "num_steps": 3, "rng": RNG}
    options.update(changes)
    theta0 = options.pop("theta0", 0.0)
    return lambda: TOY.pcd(theta0, 0.0, **options)


def _cnce_call(function, **changes):
    arguments = {"model": PRECISION, "theta": [2.0], "x": X, "y": Y, "noise": LOCAL}
    arguments.update(changes)
    return lambda: function(**arguments)


def _fit_cnce(**changes):
    arguments = {"model": PRECISION, "theta0": [2.0], "x": X, "y": Y, "noise": LOCAL}
    arguments.update(changes)
    return lambda: cnce.fit_cnce(**arguments)


def _nce_fit(**changes):
    arguments = {"model": PRECISION, "x": X, "y": X, "noise": NOISE, "init": PARAMS}
    arguments.update(changes)
    return lambda: nce.fit(**arguments)


def _newton(**changes):
    arguments = {"loss_grad_hess": QUADRATIC, "loss": QUADRATIC_LOSS, "initial": np.ones((2, 3))}
    arguments.update(changes)
    return lambda: fitting.newton(**arguments)


CNCE_FUNCTIONS = [cnce.loss, cnce.loss_and_gradient, cnce.loss_gradient_hessian, cnce.log_ratio,
                  cnce.per_sample_loss, cnce.per_sample_gradient, cnce.per_sample_hessian]

CASES = [
    # ---- theory.toy: ToyModel ----------------------------------------------------------------
    ("ToyModel a nan", lambda: ToyModel(NAN, 1.0), ValueError, "a"),
    ("ToyModel b inf", lambda: ToyModel(-1.0, INF), ValueError, "b"),
    ("ToyModel a string", lambda: ToyModel("-1", 1.0), TypeError, "a"),
    ("ToyModel b array", lambda: ToyModel(-1.0, [1.0]), TypeError, "b"),
    ("ToyModel a >= b", lambda: ToyModel(1.0, 1.0), ValueError, "a"),
    ("ToyModel panels 1", lambda: ToyModel(panels=1), ValueError, "panels"),
    ("ToyModel panels float", lambda: ToyModel(panels=240.5), TypeError, "panels"),
    ("ToyModel order string", lambda: ToyModel(order="16"), TypeError, "order"),
    # ---- theory.toy: flows and losses ------------------------------------------------------------
    ("ml_flow theta nan", lambda: TOY.ml_flow(NAN, 0.0), ValueError, "theta"),
    ("ml_flow theta empty", lambda: TOY.ml_flow([], 0.0), ValueError, "theta"),
    ("ml_flow theta 2-D", lambda: TOY.ml_flow(np.zeros((2, 2)), 0.0), ValueError, "theta"),
    ("ml_flow theta string", lambda: TOY.ml_flow("0", 0.0), TypeError, "theta"),
    ("ml_flow theta_star inf", lambda: TOY.ml_flow(0.0, INF), ValueError, "theta_star"),
    ("ml_flow theta_star None", lambda: TOY.ml_flow(0.0, None), TypeError, "theta_star"),
    ("ml_loss theta inf", lambda: TOY.ml_loss([0.0, INF], 0.0), ValueError, "theta"),
    ("sm_flow theta_star string", lambda: TOY.sm_flow(0.0, "0"), TypeError, "theta_star"),
    ("sm_loss theta object", lambda: TOY.sm_loss([object()], 0.0), TypeError, "theta"),
    ("nce_flow mu nan", lambda: TOY.nce_flow(0.0, 0.0, NAN), ValueError, "mu"),
    ("nce_flow mu string", lambda: TOY.nce_flow(0.0, 0.0, "1"), TypeError, "mu"),
    ("nce_flow log_normalizer mismatched", lambda: TOY.nce_flow([0.0, 1.0], 0.0, 1.0, log_normalizer=[0.0, 0.0, 0.0]), ValueError, "log_normalizer"),
    ("nce_flow log_normalizer inf", lambda: TOY.nce_flow(0.0, 0.0, 1.0, log_normalizer=INF), ValueError, "log_normalizer"),
    ("nce_flow normalized_noise string", lambda: TOY.nce_flow(0.0, 0.0, 1.0, normalized_noise="yes"), TypeError, "normalized_noise"),
    ("nce_loss log_normalizer string", lambda: TOY.nce_loss(0.0, 0.0, 1.0, log_normalizer="c"), TypeError, "log_normalizer"),
    ("nce_loss theta empty", lambda: TOY.nce_loss(np.array([]), 0.0, 1.0), ValueError, "theta"),
    ("flow unknown kind", lambda: TOY.flow("cd", 0.0), ValueError, "kind"),
    ("flow nce without mu", lambda: TOY.flow("nce", 0.0), ValueError, "mu"),
    ("flow theta_star nan", lambda: TOY.flow("ml", NAN), ValueError, "theta_star"),
    ("expect func not callable", lambda: TOY.expect("f", 0.0), TypeError, "func"),
    ("expect theta nan", lambda: TOY.expect(np.cos, NAN), ValueError, "theta"),
    ("sample rng None", lambda: TOY.sample(0.0, 5, None), TypeError, "rng"),
    ("sample shape string", lambda: TOY.sample(0.0, "5", RNG), TypeError, "shape"),
    ("sample theta inf", lambda: TOY.sample(INF, 5, RNG), ValueError, "theta"),
    # ---- theory.toy: pcd -------------------------------------------------------------------------
    ("pcd step_size 2.5", _pcd(step_size=2.5), ValueError, "step_size"),
    ("pcd step_size nan", _pcd(step_size=NAN), ValueError, "step_size"),
    ("pcd step_size string", _pcd(step_size="0.1"), TypeError, "step_size"),
    ("pcd num_walkers 0", _pcd(num_walkers=0), ValueError, "num_walkers"),
    ("pcd num_walkers float", _pcd(num_walkers=10.0), TypeError, "num_walkers"),
    ("pcd num_replicates string", _pcd(num_replicates="2"), TypeError, "num_replicates"),
    ("pcd num_steps negative", _pcd(num_steps=-1), ValueError, "num_steps"),
    ("pcd record_every 0", _pcd(record_every=0), ValueError, "record_every"),
    ("pcd rng None", _pcd(rng=None), TypeError, "rng"),
    ("pcd theta0 inf", _pcd(theta0=INF), ValueError, "theta0"),
    # ---- theory.toy: fixed points and trajectories ---------------------------------------------
    ("nce_fixed_point theta_star inf", lambda: nce_fixed_point(INF, 1.0), ValueError, "theta_star"),
    ("nce_fixed_point mu string", lambda: nce_fixed_point(0.0, "1"), TypeError, "mu"),
    ("nce_fixed_point a > b", lambda: nce_fixed_point(0.0, 1.0, a=3.0, b=-3.0), ValueError, "a"),
    ("nce_normalizer_fixed_point theta_star nan", lambda: nce_normalizer_fixed_point(NAN, 1.0), ValueError, "theta_star"),
    ("nce_normalizer_fixed_point normalized_noise None", lambda: nce_normalizer_fixed_point(0.0, 1.0, normalized_noise=None), TypeError, "normalized_noise"),
    ("nce_normalizer_fixed_point b nan", lambda: nce_normalizer_fixed_point(0.0, 1.0, b=NAN), ValueError, "b"),
    ("solve_flow flow not callable", lambda: solve_flow("ml", [0.0], 1.0), TypeError, "flow"),
    ("solve_flow theta0 nan", lambda: solve_flow(FLOW, [NAN], 1.0), ValueError, "theta0"),
    ("solve_flow theta0 empty", lambda: solve_flow(FLOW, [], 1.0), ValueError, "theta0"),
    ("solve_flow theta0 2-D", lambda: solve_flow(FLOW, [[0.0]], 1.0), ValueError, "theta0"),
    ("solve_flow t_end negative", lambda: solve_flow(FLOW, [0.0], -1.0), ValueError, "t_end"),
    ("solve_flow t_end inf", lambda: solve_flow(FLOW, [0.0], INF), ValueError, "t_end"),
    ("solve_flow num_times 1", lambda: solve_flow(FLOW, [0.0], 1.0, num_times=1), ValueError, "num_times"),
    ("solve_flow num_times float", lambda: solve_flow(FLOW, [0.0], 1.0, num_times=11.0), TypeError, "num_times"),
    ("solve_flow rtol 0", lambda: solve_flow(FLOW, [0.0], 1.0, rtol=0.0), ValueError, "rtol"),
    ("solve_flow atol nan", lambda: solve_flow(FLOW, [0.0], 1.0, atol=NAN), ValueError, "atol"),
    ("find_fixed_point lo > hi", lambda: find_fixed_point(FLOW, 1.0, -1.0), ValueError, "lo"),
    ("find_fixed_point xtol 0", lambda: find_fixed_point(FLOW, -1.0, 1.0, xtol=0.0), ValueError, "xtol"),
    ("find_fixed_point flow not callable", lambda: find_fixed_point(None, -1.0, 1.0), TypeError, "flow"),
    # ---- theory.asymptotics ----------------------------------------------------------------------
    ("cnce_covariance K nan", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], LOCAL, K=NAN), TypeError, "K"),
    ("cnce_covariance K float", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], LOCAL, K=2.0), TypeError, "K"),
    ("cnce_covariance K string", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], LOCAL, K="2"), TypeError, "K"),
    ("cnce_covariance K bool", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], LOCAL, K=True), TypeError, "K"),
    ("cnce_covariance K 0", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], LOCAL, K=0), ValueError, "K"),
    ("cnce_covariance noise None", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], None), TypeError, "noise"),
    ("cnce_covariance noise string", lambda: asymptotics.cnce_covariance(PRECISION, [2.0], "local"), TypeError, "noise"),
    ("cnce_covariance model string", lambda: asymptotics.cnce_covariance("gaussian", [2.0], LOCAL), TypeError, "model"),
    ("cnce_covariance model 2-D data", lambda: asymptotics.cnce_covariance(models.gaussian(2), models.gaussian(2).pack([0, 0], np.eye(2)), LOCAL), ValueError, "model"),
    ("cnce_covariance theta nan", lambda: asymptotics.cnce_covariance(PRECISION, [NAN], LOCAL), ValueError, "theta"),
    ("cnce_covariance theta inf", lambda: asymptotics.cnce_covariance(PRECISION, [INF], LOCAL), ValueError, "theta"),
    ("cnce_covariance theta empty", lambda: asymptotics.cnce_covariance(PRECISION, [], LOCAL), ValueError, "theta"),
    ("cnce_covariance theta 2-D", lambda: asymptotics.cnce_covariance(PRECISION, [[2.0]], LOCAL), ValueError, "theta"),
    ("cnce_covariance theta wrong length", lambda: asymptotics.cnce_covariance(PRECISION, [2.0, 1.0], LOCAL), ValueError, "theta"),
    ("cnce_covariance theta string", lambda: asymptotics.cnce_covariance(PRECISION, "2", LOCAL), TypeError, "theta"),
    ("cnce_covariance_with_error noise None", lambda: asymptotics.cnce_covariance_with_error(PRECISION, [2.0], None), TypeError, "noise"),
    ("cnce_matrices noise None", lambda: asymptotics.cnce_matrices(PRECISION, [2.0], None), TypeError, "noise"),
    ("cnce_matrices theta inf", lambda: asymptotics.cnce_matrices(PRECISION, [INF], LOCAL), ValueError, "theta"),
    ("cnce_matrices model None", lambda: asymptotics.cnce_matrices(None, [2.0], LOCAL), TypeError, "model"),
    ("cnce_matrices_coarse noise int", lambda: asymptotics.cnce_matrices_coarse(PRECISION, [2.0], 3), TypeError, "noise"),
    ("fisher_information theta inf", lambda: asymptotics.fisher_information(PRECISION, [INF]), ValueError, "theta"),
    ("fisher_information theta string", lambda: asymptotics.fisher_information(PRECISION, "2"), TypeError, "theta"),
    ("fisher_information model None", lambda: asymptotics.fisher_information(None, [2.0]), TypeError, "model"),
    ("fisher_information theta empty", lambda: asymptotics.fisher_information(PRECISION, np.array([])), ValueError, "theta"),
    ("sandwich unit_gradients nan", lambda: asymptotics.sandwich_covariance(np.full((3, 1), NAN), np.ones((3, 1, 1))), ValueError, "unit_gradients"),
    ("sandwich unit_gradients string", lambda: asymptotics.sandwich_covariance("g", np.ones((3, 1, 1))), TypeError, "unit_gradients"),
    ("sandwich unit_gradients 1-D", lambda: asymptotics.sandwich_covariance(np.ones(3), np.ones((3, 1, 1))), ValueError, "unit_gradients"),
    ("sandwich unit_gradients empty", lambda: asymptotics.sandwich_covariance(np.ones((0, 1)), np.ones((0, 1, 1))), ValueError, "unit_gradients"),
    ("sandwich unit_hessians mismatched", lambda: asymptotics.sandwich_covariance(np.zeros((3, 2)), np.zeros((3, 2))), ValueError, "unit_hessians"),
    ("sandwich unit_hessians inf", lambda: asymptotics.sandwich_covariance(np.ones((3, 1)), np.full((3, 1, 1), INF)), ValueError, "unit_hessians"),
    ("sandwich unit_hessians singular", lambda: asymptotics.sandwich_covariance(np.ones((3, 1)), np.zeros((3, 1, 1))), ValueError, "unit_hessians"),
    ("sandwich weights wrong length", lambda: asymptotics.sandwich_covariance(np.ones((3, 1)), np.ones((3, 1, 1)), [0.5, 0.5]), ValueError, "weights"),
    ("sandwich weights negative", lambda: asymptotics.sandwich_covariance(np.ones((3, 1)), np.ones((3, 1, 1)), [1.5, -0.25, -0.25]), ValueError, "weights"),
    ("sandwich weights nan", lambda: asymptotics.sandwich_covariance(np.ones((3, 1)), np.ones((3, 1, 1)), [NAN, 0.5, 0.5]), ValueError, "weights"),
    ("sandwich weights string", lambda: asymptotics.sandwich_covariance(np.ones((3, 1)), np.ones((3, 1, 1)), "uniform"), TypeError, "weights"),
    ("efficiency covariance not positive definite", lambda: asymptotics.efficiency([[1.0, 2.0], [2.0, 1.0]], np.eye(2)), ValueError, "covariance"),
    ("efficiency covariance not symmetric", lambda: asymptotics.efficiency([[1.0, 0.5], [0.0, 1.0]], np.eye(2)), ValueError, "covariance"),
    ("efficiency covariance 1-D", lambda: asymptotics.efficiency([1.0, 1.0], np.eye(2)), ValueError, "covariance"),
    ("efficiency covariance string", lambda: asymptotics.efficiency("sigma", np.eye(2)), TypeError, "covariance"),
    ("efficiency covariance nan", lambda: asymptotics.efficiency([[NAN]], [[1.0]]), ValueError, "covariance"),
    ("efficiency mismatched shapes", lambda: asymptotics.efficiency(np.eye(2), np.eye(3)), ValueError, "fisher"),
    ("efficiency fisher not positive definite", lambda: asymptotics.efficiency(np.eye(2), -np.eye(2)), ValueError, "fisher"),
    ("efficiency fisher inf", lambda: asymptotics.efficiency(np.eye(1), [[INF]]), ValueError, "fisher"),
    ("efficiency fisher empty", lambda: asymptotics.efficiency(np.eye(1), np.zeros((0, 0))), ValueError, "fisher"),
    ("sigma_from_matrices C1 not positive definite", lambda: asymptotics.sigma_from_matrices((-np.eye(1), np.eye(1), np.eye(1))), ValueError, "C1"),
    ("sigma_from_matrices C2 wrong shape", lambda: asymptotics.sigma_from_matrices((np.eye(1), np.eye(2), np.eye(1))), ValueError, "C2"),
    ("sigma_from_matrices C3 nan", lambda: asymptotics.sigma_from_matrices((np.eye(1), np.eye(1), [[NAN]])), ValueError, "C3"),
    ("sigma_from_matrices matrices string", lambda: asymptotics.sigma_from_matrices("C1C2C3"), TypeError, "matrices"),
    ("sigma_from_matrices K 0", lambda: asymptotics.sigma_from_matrices((np.eye(1),) * 3, K=0), ValueError, "K"),
    # ---- theory.nce --------------------------------------------------------------------------------
    ("nce.objective params nan", lambda: nce.objective(PRECISION, [NAN, 0.0], X, X, NOISE), ValueError, "params"),
    ("nce.objective params string", lambda: nce.objective(PRECISION, "p", X, X, NOISE), TypeError, "params"),
    ("nce.objective params wrong length", lambda: nce.objective(PRECISION, [1.0], X, X, NOISE), ValueError, "params"),
    ("nce.objective x empty", lambda: nce.objective(PRECISION, PARAMS, np.zeros((2, 0, 1)), X, NOISE), ValueError, "x"),
    ("nce.objective x 1-D", lambda: nce.objective(PRECISION, PARAMS, np.zeros(5), X, NOISE), ValueError, "x"),
    ("nce.objective y inf", lambda: nce.objective(PRECISION, PARAMS, X, np.full((2, 3, 1), INF), NOISE), ValueError, "y"),
    ("nce.objective noise None", lambda: nce.objective(PRECISION, PARAMS, X, X, None), TypeError, "noise"),
    ("nce.objective noise conditional", lambda: nce.objective(PRECISION, PARAMS, X, X, LOCAL), TypeError, "noise"),
    ("nce.objective log_noise not a pair", lambda: nce.objective(PRECISION, PARAMS, X, X, log_noise=0.0), TypeError, "log_noise"),
    ("nce.objective model string", lambda: nce.objective("gaussian", PARAMS, X, X, NOISE), TypeError, "model"),
    ("nce.data_terms noise_ratio 0", lambda: nce.data_terms(PRECISION, PARAMS, X, NOISE, noise_ratio=0.0), ValueError, "noise_ratio"),
    ("nce.data_terms noise_ratio nan", lambda: nce.data_terms(PRECISION, PARAMS, X, NOISE, noise_ratio=NAN), ValueError, "noise_ratio"),
    ("nce.data_terms noise_ratio string", lambda: nce.data_terms(PRECISION, PARAMS, X, NOISE, noise_ratio="1"), TypeError, "noise_ratio"),
    ("nce.data_terms x string", lambda: nce.data_terms(PRECISION, PARAMS, "x", NOISE), TypeError, "x"),
    ("nce.data_terms log_noise wrong shape", lambda: nce.data_terms(PRECISION, PARAMS, X, log_noise=np.zeros(7)), ValueError, "log_noise"),
    ("nce.data_terms log_noise nan", lambda: nce.data_terms(PRECISION, PARAMS, X, log_noise=NAN), ValueError, "log_noise"),
    ("nce.data_terms noise callable", lambda: nce.data_terms(PRECISION, PARAMS, X, lambda x: np.zeros(7)), TypeError, "noise"),
    ("nce.noise_terms y nan", lambda: nce.noise_terms(PRECISION, PARAMS, np.full((2, 3, 1), NAN), NOISE), ValueError, "y"),
    ("nce.noise_terms y wrong dimension", lambda: nce.noise_terms(PRECISION, PARAMS, np.zeros((2, 3, 2)), NOISE), ValueError, "y"),
    ("nce.noise_terms model None", lambda: nce.noise_terms(None, PARAMS, X, NOISE), TypeError, "model"),
    ("nce.fit model string", _nce_fit(model="gaussian"), TypeError, "model"),
    ("nce.fit x nan", _nce_fit(x=np.full((2, 3, 1), NAN)), ValueError, "x"),
    ("nce.fit x 2-D", _nce_fit(x=np.zeros((3, 1))), ValueError, "x"),
    ("nce.fit y replicates differ", _nce_fit(y=np.zeros((3, 3, 1))), ValueError, "y"),
    ("nce.fit y string", _nce_fit(y="y"), TypeError, "y"),
    ("nce.fit noise string", _nce_fit(noise="gaussian"), TypeError, "noise"),
    ("nce.fit noise and log_noise", _nce_fit(log_noise=(0.0, 0.0)), TypeError, "log_noise"),
    ("nce.fit log_noise not a pair", _nce_fit(noise=None, log_noise=1.0), TypeError, "log_noise"),
    ("nce.fit log_noise wrong shape", _nce_fit(noise=None, log_noise=(0.0, np.zeros(4))), ValueError, "log_noise"),
    ("nce.fit init wrong length", _nce_fit(init=[1.0]), ValueError, "init"),
    ("nce.fit init nan", _nce_fit(init=[NAN, 0.0]), ValueError, "init"),
    ("nce.fit init string", _nce_fit(init="start"), TypeError, "init"),
    ("nce.fit init wrong replicates", _nce_fit(init=np.zeros((3, 2))), ValueError, "init"),
    ("nce.fit max_iterations 0", _nce_fit(max_iterations=0), ValueError, "max_iterations"),
    ("nce.fit max_iterations float", _nce_fit(max_iterations=1.5), TypeError, "max_iterations"),
    ("nce.fit tolerance 0", _nce_fit(tolerance=0.0), ValueError, "tolerance"),
    ("nce.fit tolerance nan", _nce_fit(tolerance=NAN), ValueError, "tolerance"),
    ("nce.fit fixed_normalizer inf", _nce_fit(fixed_normalizer=INF), ValueError, "fixed_normalizer"),
    ("nce.fit fixed_normalizer string", _nce_fit(fixed_normalizer="0"), TypeError, "fixed_normalizer"),
    # ---- theory.cnce: fit ----------------------------------------------------------------------
    ("fit_cnce model string", _fit_cnce(model="gaussian"), TypeError, "model"),
    ("fit_cnce theta0 nan", _fit_cnce(theta0=[NAN]), ValueError, "theta0"),
    ("fit_cnce theta0 wrong length", _fit_cnce(theta0=[2.0, 1.0]), ValueError, "theta0"),
    ("fit_cnce theta0 wrong replicates", _fit_cnce(theta0=np.full((3, 1), 2.0)), ValueError, "theta0"),
    ("fit_cnce theta0 string", _fit_cnce(theta0="2"), TypeError, "theta0"),
    ("fit_cnce x inf", _fit_cnce(x=np.full((2, 3, 1), INF)), ValueError, "x"),
    ("fit_cnce x string", _fit_cnce(x="x"), TypeError, "x"),
    ("fit_cnce x empty", _fit_cnce(x=np.zeros((2, 0, 1))), ValueError, "x"),
    ("fit_cnce y wrong shape", _fit_cnce(y=np.zeros((2, 3, 1))), ValueError, "y"),
    ("fit_cnce y nan", _fit_cnce(y=np.full((2, 3, 2, 1), NAN)), ValueError, "y"),
    ("fit_cnce noise None", _fit_cnce(noise=None), TypeError, "noise"),
    ("fit_cnce tolerance 0", _fit_cnce(tolerance=0.0), ValueError, "tolerance"),
    ("fit_cnce tolerance nan", _fit_cnce(tolerance=NAN), ValueError, "tolerance"),
    ("fit_cnce max_iterations 0", _fit_cnce(max_iterations=0), ValueError, "max_iterations"),
    ("fit_cnce max_iterations float", _fit_cnce(max_iterations=2.5), TypeError, "max_iterations"),
    # ---- theory.fitting --------------------------------------------------------------------------
    ("newton initial nan", _newton(initial=np.full((2, 3), NAN)), ValueError, "initial"),
    ("newton initial 1-D", _newton(initial=np.zeros(3)), ValueError, "initial"),
    ("newton initial empty", _newton(initial=np.zeros((0, 3))), ValueError, "initial"),
    ("newton initial string", _newton(initial="x0"), TypeError, "initial"),
    ("newton loss_grad_hess not callable", _newton(loss_grad_hess=None), TypeError, "loss_grad_hess"),
    ("newton loss not callable", _newton(loss=3), TypeError, "loss"),
    ("newton loss_grad_hess wrong shapes", _newton(loss_grad_hess=WRONG_SHAPES), ValueError, "loss_grad_hess"),
    ("newton tolerance 0", _newton(tolerance=0.0), ValueError, "tolerance"),
    ("newton tolerance nan", _newton(tolerance=NAN), ValueError, "tolerance"),
    ("newton tolerance string", _newton(tolerance="1e-12"), TypeError, "tolerance"),
    ("newton max_iterations 0", _newton(max_iterations=0), ValueError, "max_iterations"),
    ("newton max_iterations float", _newton(max_iterations=2.0), TypeError, "max_iterations"),
    ("newton max_halvings 0", _newton(max_halvings=0), ValueError, "max_halvings"),
    ("fit_mean_loss losses not callable", lambda: fitting.fit_mean_loss(None, QUADRATIC, QUADRATIC, np.ones((1, 2))), TypeError, "losses"),
    ("fit_mean_loss hessians not callable", lambda: fitting.fit_mean_loss(QUADRATIC, QUADRATIC, "h", np.ones((1, 2))), TypeError, "hessians"),
    ("fit_mean_loss initial inf", lambda: fitting.fit_mean_loss(QUADRATIC, QUADRATIC, QUADRATIC, np.full((1, 2), INF)), ValueError, "initial"),
]

# ---- theory.cnce: loss, gradients, Hessians, per-sample functions (the same bad inputs each) ----
for _function in CNCE_FUNCTIONS:
    _name = _function.__name__
    CASES += [
        (f"cnce.{_name} model string", _cnce_call(_function, model="gaussian"), TypeError, "model"),
        (f"cnce.{_name} theta nan", _cnce_call(_function, theta=[NAN]), ValueError, "theta"),
        (f"cnce.{_name} theta empty", _cnce_call(_function, theta=[]), ValueError, "theta"),
        (f"cnce.{_name} theta string", _cnce_call(_function, theta="2"), TypeError, "theta"),
        (f"cnce.{_name} x inf", _cnce_call(_function, x=np.full((2, 3, 1), INF)), ValueError, "x"),
        (f"cnce.{_name} x 1-D", _cnce_call(_function, x=np.zeros(3)), ValueError, "x"),
        (f"cnce.{_name} y wrong shape", _cnce_call(_function, y=np.zeros((3, 1))), ValueError, "y"),
        (f"cnce.{_name} y string", _cnce_call(_function, y="y"), TypeError, "y"),
        (f"cnce.{_name} noise None", _cnce_call(_function, noise=None), TypeError, "noise"),
        (f"cnce.{_name} noise_term nan", _cnce_call(_function, noise=None, noise_term=np.full((2, 3, 2), NAN)), ValueError, "noise_term"),
        (f"cnce.{_name} noise_term wrong shape", _cnce_call(_function, noise=None, noise_term=np.zeros((2, 4, 2))), ValueError, "noise_term"),
    ]


@pytest.mark.parametrize("call, error, argument", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_refused_naming_the_argument(call, error, argument):
    with pytest.raises(error) as raised:
        call()
    assert _names(str(raised.value), argument), f"the message does not name {argument!r}: {raised.value}"


def _names(message: str, argument: str) -> bool:
    """The message names the argument: it starts with it, or (for names longer than one letter,
    which could be an English word such as 'a') contains it as a whole word."""
    word = re.escape(argument)
    return bool(re.match(rf"{word}\b", message) or (len(argument) > 1 and re.search(rf"(?<![\w.]){word}(?![\w])", message)))
