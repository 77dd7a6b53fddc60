"""Every registered claim as test items: its derivation, its checks, its verdict."""

from __future__ import annotations

import pytest

from checks.registry import CLAIMS
from checks.runner import run_claim

_RESULTS = {}


@pytest.fixture(params=CLAIMS, ids=[claim.id for claim in CLAIMS])
def result(request, profile, root_seed):
    claim = request.param
    key = (claim.id, profile, root_seed)
    if key not in _RESULTS:
        _RESULTS[key] = run_claim(claim, profile=profile, seed=root_seed)
    return _RESULTS[key]


def test_derivation_steps_are_checked(result):
    failed = [f"step {i + 1} ({r.step.justification}): {r.status} — {r.detail}" for i, r in enumerate(result.steps) if not r.ok]
    assert result.steps, "a claim needs a derivation"
    assert not failed, "\n".join(failed)


def test_checks_pass_and_controls_are_rejected(result):
    assert result.checks, "a claim needs numerical checks"
    problems = [
        f"{c.name}: z = {c.test.statistic:.2f} (threshold {c.threshold:.2f}), control '{c.control_label}' "
        f"z = {c.control.statistic:.3g}"
        for c in result.checks
        if not (c.passed and c.control_rejected)
    ]
    assert not problems, "\n".join(problems)


def test_verdict_is_the_recorded_one(result):
    assert result.verdict == result.claim.expected_verdict, result.reasons
