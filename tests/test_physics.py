"""Unit tests of the grid maximum-entropy solver (theory/physics_maxent.py) and of the physics checks' use of the exports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ebmcheck.checks import physics as checks
from ebmcheck.derivations import physics as derivation
from ebmcheck.theory.physics_maxent import maximise_entropy, tangent_curvature


def test_max_entropy_with_a_mean_constraint_is_the_discrete_exponential_family():
    """Fixed mean on [0, 1]: the KKT root is p ∝ e^{λx} with the constraint met, and a strict maximum."""
    solution = maximise_entropy(0.0, 1.0, [lambda x: x], [0.3], panels=4, order=8)
    np.testing.assert_allclose(solution.integral(np.ones_like(solution.nodes)), 1.0, atol=1e-12)
    np.testing.assert_allclose(solution.integral(solution.nodes), 0.3, atol=1e-12)
    slope = np.polyfit(solution.nodes, np.log(solution.density), 1)[0]
    assert slope == pytest.approx(solution.multipliers[1], rel=1e-9) and slope < 0
    assert tangent_curvature(solution, [solution.nodes]) < 0


def test_entropy_of_the_uniform_grid_density_is_log_length():
    solution = maximise_entropy(-1.0, 3.0, panels=2, order=4)
    assert solution.entropy == pytest.approx(math.log(4.0), rel=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"lo": 1.0, "hi": 0.0}, "lo < hi"),
    ({"lo": 0.0, "hi": 1.0, "features": [lambda x: x], "targets": []}, "one target per constraint"),
    ({"lo": 0.0, "hi": 1.0, "panels": 0}, "panels"),
])
def test_maximise_entropy_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        maximise_entropy(**kwargs)


def test_checks_take_their_predictions_from_the_exports():
    exports = derivation.boltzmann_gibbs().exports
    assert checks._number(exports["lambda1_harmonic"], Ubar=checks.MEAN_ENERGY) == pytest.approx(-1 / (2 * checks.MEAN_ENERGY))
    lemma = derivation.free_energy_lemma().exports
    assert checks._number(lemma["lambda1"], T=checks.TEMPERATURE) == pytest.approx(-1 / checks.TEMPERATURE)


def test_not_encoded_entries_give_reasons():
    assert all(len(entry.reason) > 40 for entry in checks.NOT_ENCODED)
