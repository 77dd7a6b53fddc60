"""Run claims: check the derivation, run the numerical checks, collect the evidence."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable

from checks.anatomy import PROFILES, Claim, ClaimResult, Context
from derivations.steps import StepResult
from theory.backend import get_backend

DEFAULT_SEED = 20261123


@functools.lru_cache(maxsize=None)
def checked_derivation(claim: Claim) -> tuple[StepResult, ...]:
    """The derivation's step results; SymPy work is done once per process and claim."""
    return tuple(claim.derivation().check())


def run_claim(claim: Claim, profile: str = "quick", backend: str = "numpy", seed: int = DEFAULT_SEED) -> ClaimResult:
    """Run one claim end to end and return its evidence."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    start = time.perf_counter()
    context = Context(claim.id, profile, get_backend(backend), seed)
    steps = list(checked_derivation(claim))
    checks = claim.checks(context)
    return ClaimResult(claim, steps, checks, context.figures, time.perf_counter() - start)


def run_claims(claims: Iterable[Claim], progress: bool = True, **options) -> list[ClaimResult]:
    """Run claims in order, with a progress bar on stderr when it is a terminal."""
    from tqdm import tqdm

    claims = list(claims)
    results = []
    with tqdm(claims, desc="claims", unit="claim", disable=None if progress else True, leave=False) as bar:
        for claim in bar:
            bar.set_postfix_str(claim.id)
            results.append(run_claim(claim, **options))
    return results
