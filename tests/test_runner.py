"""The runner: claims in worker processes give the numbers of the in-process run."""

from __future__ import annotations

import json

import pytest

from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.registry import get_claim
from ebmcheck.checks.runner import run_claims

# Monte Carlo (Stein's identity), quadrature (the toy partition function), a fit (the NCE normalizer
# on replicate datasets), and one with a figure and unevaluated derivation steps (the pushforward).
KINDS = ("gaussian-score", "toy-partition-function", "nce-identifiability", "gans-pushforward")


def test_claims_in_worker_processes_give_byte_identical_results():
    claims = [get_claim(claim_id) for claim_id in KINDS]
    config = RunConfig(seed=11)
    alone = run_claims(claims, config, progress=False)
    pooled = run_claims(claims, config, progress=False, jobs=2)
    assert [r.claim.id for r in pooled] == list(KINDS)  # the order of the claims, not of completion
    for one, other in zip(alone, pooled, strict=True):
        assert json.dumps(one.to_json()) == json.dumps(other.to_json()), one.claim.id
        assert [name for name, *_ in one.figures] == [name for name, *_ in other.figures]


@pytest.mark.parametrize("jobs", [-1, 1.5, True, "2"])
def test_jobs_must_be_a_non_negative_int(jobs):
    with pytest.raises(ValueError, match="jobs must be an int >= 0"):
        run_claims([get_claim("gaussian-score")], progress=False, jobs=jobs)
