"""Run claims: check the derivation, run the numerical checks, collect the evidence."""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from collections.abc import Iterable

from tqdm import tqdm

from ebmcheck.checks.anatomy import CONFIRMATION, Claim, ClaimResult, Context, needs_confirmation
from ebmcheck.checks.config import RunConfig, resolve_config
from ebmcheck.derivations.steps import Derivation, StepResult


@functools.lru_cache(maxsize=None)
def derivation_of(claim: Claim) -> Derivation:
    """The claim's derivation, built once per process (building runs SymPy too)."""
    return claim.derivation()


@functools.lru_cache(maxsize=None)
def checked_derivation(claim: Claim) -> tuple[StepResult, ...]:
    """The derivation's step results; SymPy work is done once per process and claim."""
    return tuple(derivation_of(claim).check())


def run_claim(claim: Claim, config: RunConfig | None = None, **settings) -> ClaimResult:
    """Run one claim end to end under ``config`` and return its evidence.

    ``config`` is a :class:`~checks.config.RunConfig` (default: ``RunConfig()``, the quick
    profile on numpy at :data:`~checks.config.DEFAULT_SEED`); its fields may also be given as
    keywords, alone or overriding ``config``'s: ``run_claim(claim, seed=7, profile="full")``.
    A claim that declares itself host-only (:attr:`Claim.host_only`, with its reason) runs on
    numpy whatever the backend; its page says so.
    """
    config = resolve_config(config, **settings)
    if claim.host_only:
        config = dataclasses.replace(config, backend="numpy")
    start = time.perf_counter()
    context = Context(claim.id, config)
    steps = list(checked_derivation(claim))
    checks = claim.checks(context)
    confirmation = None
    if needs_confirmation(claim, checks):
        # A statistical rejection decides a verdict only if fresh, independent data reject again.
        fresh = Context(claim.id, config, stream=CONFIRMATION)
        confirmation = claim.checks(fresh)  # its figures are not shown
    return ClaimResult(claim, steps, checks, context.figures, time.perf_counter() - start, confirmation,
                       derivation_of(claim).depth())


def run_claims(
    claims: Iterable[Claim], config: RunConfig | None = None, *, progress: bool = True, label: str = "", **settings
) -> list[ClaimResult]:
    """Run claims in order under one configuration and return their evidence.

    ``config`` and ``settings`` as in :func:`run_claim`. With ``progress`` (the command line's default): on a terminal, a progress bar with the
    estimated time left on stderr, kept when done; otherwise one line per claim as it finishes
    (``[3/24] hyvarinen-identity: verified, 12 checks, 2.1 s``), so a log shows where a long run
    is. ``label`` prefixes the bar and the lines (a sweep passes ``seed 7 (2/10)``).
    """
    config = resolve_config(config, **settings)
    claims = list(claims)
    results = []
    interactive = progress and sys.stderr.isatty()
    with tqdm(claims, desc=label or "claims", unit="claim", disable=not interactive, leave=True, file=sys.stderr) as bar:
        for index, claim in enumerate(bar, start=1):
            bar.set_postfix_str(claim.id)
            result = run_claim(claim, config)
            results.append(result)
            if progress and not interactive:
                prefix = f"{label} " if label else ""
                print(f"{prefix}[{index}/{len(claims)}] {claim.id}: {result.verdict}, {len(result.checks)} checks, "
                      f"{result.seconds:.1f} s", file=sys.stderr, flush=True)
    return results
