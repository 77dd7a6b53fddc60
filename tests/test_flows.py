"""Unit tests of the flow machinery (theory.flows) and of the flows topic's derivation exports."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from ebmcheck.checks import flows as checks
from ebmcheck.derivations import flows as derivation
from ebmcheck.theory.quadrature import integrate, integrate_2d
from ebmcheck.theory.flows import (
    Affine,
    Composition,
    Planar,
    Radial,
    solve_monotone,
    standard_normal_log_density,
)
from scipy import stats

FLOWS = [
    Affine(np.array([[1.2, 0.5], [0.3, -0.8]]), np.array([0.5, -0.3])),
    Planar(np.array([1.5, -0.5]), np.array([0.8, 0.6]), 0.3),
    Planar(np.array([2.0]), np.array([-0.45]), 0.2),
    Radial(np.array([0.2, -0.1]), 0.7, -0.5),
    Radial(np.array([0.3]), 0.5, 1.5),
]


def _finite_difference_det(forward, z, step=1e-6):
    columns = [(forward(z + step * e) - forward(z - step * e)) / (2 * step) for e in np.eye(z.shape[1])]
    return np.linalg.det(np.stack(columns, axis=-1))


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f"{type(f).__name__}-{f.dim}d")
def test_inverse_undoes_forward_and_det_matches_finite_differences(flow):
    z = np.random.default_rng(0).standard_normal((500, flow.dim)) * 2
    assert np.max(np.abs(flow.inverse(flow.forward(z)) - z)) < 1e-10
    assert np.max(np.abs(_finite_difference_det(flow.forward, z) - flow.det(z))) < 1e-6


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f"{type(f).__name__}-{f.dim}d")
def test_the_checks_log_det_is_the_derivations_and_agrees_with_theory(flow):
    """checks.flows takes planar and 1-D radial determinants from the derivation's exports; they agree
    with theory.flows' closed forms (which the other families use)."""
    z = np.random.default_rng(1).standard_normal((200, flow.dim))
    np.testing.assert_allclose(checks.log_abs_det_forward(flow, z), flow.log_abs_det(z), rtol=1e-12, atol=1e-12)


def test_planar_export_is_the_determinant_of_the_symbolic_jacobian():
    symbols, jacobian, closed = derivation.planar_det_2d()
    assert derivation.change_of_variables().exports["planar_det_2d"] == closed
    values = dict(zip(symbols, (0.3, -0.7, 1.5, -0.5, 0.8, 0.6, 0.3)))
    assert abs(float(sp.Determinant(jacobian).doit().subs(values) - closed.subs(values))) < 1e-12


def test_affine_fit_uses_the_exported_maximiser():
    exports = derivation.ml_objective().exports
    assert exports["covariance_estimate"] == sp.Matrix(2, 2, lambda i, j: exports["scatter_symbols"][i + j])


def test_invalid_flows_are_refused_with_the_allowed_range():
    with pytest.raises(ValueError, match="w·u > -1"):
        Planar(np.array([2.0]), np.array([-0.5]))
    with pytest.raises(ValueError, match="beta > -alpha"):
        Radial(np.array([0.0]), 0.5, -0.5)
    with pytest.raises(ValueError, match="invertible"):
        Affine(np.array([[1.0, 2.0], [0.5, 1.0]]), np.array([0.0, 0.0]))
    with pytest.raises(ValueError, match="shape"):
        FLOWS[0].forward(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="same R"):
        Composition((FLOWS[0], FLOWS[2]))


def test_composition_inverts_in_the_printed_order_and_sums_log_dets():
    flow = Composition((FLOWS[1], FLOWS[3], FLOWS[0]))
    z = np.random.default_rng(2).standard_normal((300, 2))
    assert np.max(np.abs(flow.inverse(flow.forward(z)) - z)) < 1e-10
    np.testing.assert_allclose(flow.log_abs_det(z), np.log(np.abs(_finite_difference_det(flow.forward, z))), atol=1e-6)


def test_solve_monotone_finds_roots_and_reports_non_convergence():
    target = np.linspace(-5, 5, 11)
    root = solve_monotone(lambda a: a + 0.9 * np.tanh(a), lambda a: 1 + 0.9 / np.cosh(a) ** 2, target, 0.9)
    np.testing.assert_allclose(root + 0.9 * np.tanh(root), target, atol=1e-13)
    with pytest.raises(RuntimeError, match="did not converge"):
        solve_monotone(lambda a: a + 1e25, lambda a: np.full_like(a, 1e30), np.array([1.0]), 1e30)  # wrong slope: tiny steps


def test_quadratures_integrate_known_gaussians_and_handle_kinks():
    value, error = integrate_2d(lambda y: np.exp(standard_normal_log_density(y - 0.3)), -10, 10)
    assert abs(value - 1) < 1e-12 and error < 1e-10
    value, error = integrate(lambda y: np.abs(y - 0.3) * stats.norm.pdf(y), -12, 12, 20, 8, breaks=(0.3,))
    exact = 2 * stats.norm.pdf(0.3) + 0.3 * (1 - 2 * stats.norm.sf(0.3))  # E|Z − a| = 2φ(a) + a(2Φ(a) − 1)
    assert abs(value - exact) < 1e-12
    with pytest.raises(ValueError, match="lo < hi"):
        integrate_2d(lambda y: y[:, 0], 1, 0)
