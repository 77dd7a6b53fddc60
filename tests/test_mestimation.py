"""The M-estimator sandwich (derivations/mestimation.py): its steps check, it derives from the
estimator's definition, it embeds in another derivation, and a Monte Carlo of a misspecified
M-estimator agrees with H⁻¹VH⁻¹ (and rejects H⁻¹)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from ebmcheck.derivations import mestimation
from ebmcheck.derivations.steps import DEFINITION, Derivation, Step
from sympy import stats

# The items share a module-scoped fixture: one pytest-xdist worker builds it once.
pytestmark = pytest.mark.xdist_group("module:test_mestimation")


@pytest.fixture(scope="module")
def derivation() -> Derivation:
    return mestimation.sandwich_derivation()


def test_every_step_checks_and_shows_something(derivation):
    assert derivation.title == "M-estimator sandwich"
    results = derivation.check()
    assert all(r.ok for r in results), [(r.step.label, r.status, r.detail) for r in results if not r.ok]
    assert not any(step.vacuous for step in derivation.steps)
    assert all(step.label and step.rests_on and step.justification for step in derivation.steps)


def test_derives_from_the_definition_of_the_estimator(derivation):
    depth = derivation.depth()
    assert depth.derives and depth.from_definition and not depth.placeholders
    assert depth.chain == tuple(range(1, len(derivation.steps) + 1))  # every step is used by the result
    assert {"consistency", "lln", "clt", "slutsky", "interior-minimiser"} <= set(depth.assumptions)
    assert derivation.steps[-1].label == "sandwich"
    first_order = next(s for s in derivation.steps if s.label == "solve")
    assert DEFINITION in first_order.rests_on
    assert "interior-minimiser" in {a.name for a in first_order.assumptions}


def test_exports_the_sandwich_in_the_symbols_of_H_and_V(derivation):
    sigma = derivation.exports["sigma"]
    assert sigma.free_symbols == set(mestimation.H_SYMBOLS) | set(mestimation.V_SYMBOLS)
    point = dict(zip(mestimation.H_SYMBOLS + mestimation.V_SYMBOLS, (3, 1, 2, 5, -1, 4)))
    H, V = mestimation.H.subs(point), mestimation.V.subs(point)
    assert H * sigma.subs(point) * H == V


def test_prefixed_steps_rename_labels_and_what_they_rest_on():
    plain, prefixed = mestimation.sandwich_steps(), mestimation.sandwich_steps("m-")
    assert [s.label for s in prefixed] == ["m-" + s.label for s in plain]
    for a, b in zip(plain, prefixed):
        assert b.rests_on == tuple(name if name == DEFINITION else "m-" + name for name in a.rests_on)
        assert (a.lhs, a.rhs, a.assumptions) == (b.lhs, b.rhs, b.assumptions)


def test_an_embedding_derivation_rests_on_the_embedded_sandwich():
    C1 = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"C1_{min(i, j) + 1}{max(i, j) + 1}", real=True))
    C2 = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"C2_{min(i, j) + 1}{max(i, j) + 1}", real=True))
    shown = sp.MatMul(mestimation.shown_inverse(2 * C1), sp.ImmutableMatrix(4 * C2), mestimation.shown_inverse(2 * C1),
                      evaluate=False)
    embedded = mestimation.sandwich_steps("m-")
    # the embedded result with H = 2C1, V = 4C2 (cnce.theorem1 writes C1⁻¹C2C1⁻¹/N_d on the right)
    assert sp.ImmutableMatrix(shown) == mestimation.SIGMA.subs(mestimation.substitution(2 * C1, 4 * C2))
    final = Step(shown, C1.adjugate() * C2 * C1.adjugate() / C1.det() ** 2,
                 "the sandwich with H = 2C1, V = 4C2: Σ = (2C1)⁻¹ 4C2 (2C1)⁻¹ = adj(C1) C2 adj(C1)/det(C1)²", label="sigma",
                 rests_on=("m-sandwich",),
                 placeholders=tuple(sorted(C1.free_symbols | C2.free_symbols, key=str)))
    outer = Derivation("embedding", (*embedded, final))
    assert final.check().ok and not final.vacuous
    depth = outer.depth()
    assert depth.chain == tuple(range(1, len(embedded) + 2))
    assert depth.from_definition and depth.annotated
    assert depth.placeholders  # C1, C2 are the embedding's own symbols, declared as such



# ---- Monte Carlo: a misspecified M-estimator ------------------------------------------------------
# The Gaussian quasi-MLE θ = (μ, s = log σ), ℓ(x;θ) = s + (x − μ)² e^{−2s}/2, fitted to x ~ Exp(1):
# θ* = (1, 0), and the model is wrong (skewness 2, kurtosis 9), so V ≠ H and H⁻¹ is not the covariance.
def _formula() -> tuple[np.ndarray, np.ndarray]:
    """H⁻¹VH⁻¹ and H⁻¹ for the quasi-MLE, H and V from their definitions (sympy.stats, x ~ Exp(1))."""
    mu, s = sp.symbols("mu s", real=True)
    X = stats.Exponential("X", 1)
    loss = s + (X - mu) ** 2 * sp.exp(-2 * s) / 2
    at_star = {mu: 1, s: 0}
    gradient = [sp.diff(loss, t).subs(at_star) for t in (mu, s)]
    H = sp.Matrix(2, 2, lambda i, j: stats.E(sp.diff(loss, (mu, s)[i], (mu, s)[j]).subs(at_star)))
    V = sp.Matrix(2, 2, lambda i, j: stats.covariance(gradient[i], gradient[j]))
    sigma = mestimation.SIGMA.subs(mestimation.substitution(H, V))
    return np.array(sigma, dtype=float), np.array(H.inv(), dtype=float)


def _replicates(n: int = 1000, replicates: int = 4000, seed: int = 0) -> np.ndarray:
    """√N(θ̂ − θ*) for independent fits, vectorised: μ̂ = mean, ŝ = ½ log(mean (x − μ̂)²)."""
    x = np.random.default_rng(seed).exponential(1.0, size=(replicates, n))
    mu_hat = x.mean(axis=1)
    s_hat = 0.5 * np.log(((x - mu_hat[:, None]) ** 2).mean(axis=1))
    return np.sqrt(n) * np.column_stack([mu_hat - 1.0, s_hat - 0.0])


def _z_scores(d: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """(empirical N·Cov(θ̂) − sigma) / standard error, entrywise; the SE of a covariance entry is the
    standard deviation of the centred products over √replicates."""
    centred = d - d.mean(axis=0)
    products = centred[:, :, None] * centred[:, None, :]
    return (products.mean(axis=0) - sigma) / (products.std(axis=0, ddof=1) / np.sqrt(len(d)))


def test_monte_carlo_agrees_with_the_sandwich_and_rejects_the_inverse_hessian():
    sigma, inverse_hessian = _formula()
    np.testing.assert_allclose(sigma, [[1.0, 1.0], [1.0, 2.0]])  # H = diag(1, 2), V = [[1, 2], [2, 8]]
    d = _replicates()
    assert np.abs(_z_scores(d, sigma)).max() < 5
    assert np.abs(_z_scores(d, inverse_hessian)).max() > 5  # the model-based H⁻¹ is wrong under misspecification


def test_the_numerical_sandwich_is_the_derived_formula():
    """theory.asymptotics.sandwich_covariance (used by the CNCE calculator and the property harness's
    normality and efficiency checks) computes the derived H⁻¹VH⁻¹: on unit gradients whose covariance is
    exactly V (four symmetric points) and constant Hessians H, it equals the export evaluated at (H, V)."""
    from ebmcheck.theory import asymptotics

    h = np.array([[3.0, 1.0], [1.0, 2.0]])
    root = np.linalg.cholesky(np.array([[5.0, -1.0], [-1.0, 4.0]]))
    gradients = np.concatenate([np.sqrt(2) * root.T, -np.sqrt(2) * root.T])  # mean 0, covariance (1/n) Σ gg^T = V
    hessians = np.broadcast_to(h, (4, 2, 2))
    v = gradients.T @ gradients / 4
    point = dict(zip(mestimation.H_SYMBOLS, (h[0, 0], h[0, 1], h[1, 1]))) | dict(zip(mestimation.V_SYMBOLS, (v[0, 0], v[0, 1], v[1, 1])))
    derived = np.array(mestimation.SIGMA.subs(point).evalf(), dtype=float)
    np.testing.assert_allclose(asymptotics.sandwich_covariance(gradients, hessians), derived, rtol=1e-12)
