"""The ``efficiency`` property fails a ratio below the Cramér–Rao bound (issue 16, item 5).

No Fisher-consistent estimator has an asymptotic covariance below :math:`I_F^{-1}`, so a sandwich
:math:`H^{-1}VH^{-1}` below it means the objective's derivatives (or its minimiser) are wrong. The
negative control is maximum likelihood (efficient: every ratio is 1) with its Hessians scaled by
√2: the loss, the gradients and the minimiser stay right, and the sandwich halves (ratio 0.5).
"""

from __future__ import annotations

import math
import re

import pytest

from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.properties import DEFAULT_FAMILIES, PropertyFailure, family, run_property
from ebmcheck.checks.properties.checks import Setting, check_efficiency
from ebmcheck.checks.properties.families import Case
from ebmcheck.theory import models
from ebmcheck.theory.objectives import DenoisingScoreMatching, MaximumLikelihood, ScoreMatching


class HessiansTimesRoot2(MaximumLikelihood):
    """Maximum likelihood whose ``hessians`` are √2 times the true ones: H⁻¹VH⁻¹ = I_F⁻¹/2."""

    name = "maximum-likelihood-hessians-x-sqrt2"

    def hessians(self, model, params, batch):
        return math.sqrt(2) * super().hessians(model, params, batch)


PRECISION = family("gaussian-precision", models.gaussian_precision, [(2.0,)])
GAUSSIAN_2D = family("gaussian-2d", lambda: models.gaussian(2), [(0.5, -1.0, 2.0, 0.6, 1.0)])


@pytest.mark.parametrize("families", [(PRECISION,), (GAUSSIAN_2D,)], ids=["p=1", "p=5"])
def test_efficiency_below_the_cramer_rao_bound_fails(families):
    """A ratio of 0.5 (every direction, p = 1 and p = 5) fails with the explanation; the reported
    ratio is 0.5 within its error."""
    with pytest.raises(PropertyFailure, match="efficiency below the Cramér–Rao bound") as failure:
        run_property(HessiansTimesRoot2(), "efficiency", families, max_examples=1)
    message = str(failure.value)
    assert "No consistent estimator of θ has a covariance below I_F⁻¹" in message
    assert "gradients() or hessians() do not match its losses()" in message
    ratio, error = map(float, re.search(r"the ratio[^,]* is ([\d.]+) ± ([\d.e-]+), below 1", message).groups())
    assert abs(ratio - 0.5) <= 5 * error, message


@pytest.mark.parametrize("objective", [ScoreMatching(), MaximumLikelihood()], ids=lambda o: o.name)
def test_efficient_objectives_pass_at_the_bound(objective):
    """Score matching and maximum likelihood sit at the bound on the Gaussians (ratio 1 in every
    direction: the case where the smallest of p noisy eigenvalues falls below 1): every default
    family and parameter passes, and the least efficient ratio is reported."""
    setting = Setting(objective, {f.name: f for f in DEFAULT_FAMILIES}, RunConfig(), None)
    for fam in DEFAULT_FAMILIES:
        if objective.supports(fam.model()) is None:
            for theta in fam.thetas:
                assert "least efficient ratio" in check_efficiency(setting, Case(fam.name, theta))


def test_no_cramer_rao_test_when_the_objective_targets_another_parameter():
    """DSM's minimiser is the smoothed data's parameter, not θ*: its ratio (0.12 here) is no
    Cramér–Rao comparison, so it is reported with a note and not failed."""
    fam = family("gaussian-1d", lambda: models.gaussian(1), [(1.5, 4.0)])
    message = run_property(DenoisingScoreMatching(0.5), "efficiency", (fam,), max_examples=1)
    assert "not a Cramér–Rao comparison" in message and "least efficient ratio" not in message
