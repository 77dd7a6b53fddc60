"""Run claims: check the derivation, run the numerical checks, collect the evidence."""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

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


@dataclasses.dataclass(frozen=True)
class Numerics:
    """What a claim's numerical checks produced: the checks, their figures, the confirmation checks
    (or None) and the seconds they took. Plain numbers and figures: it crosses process boundaries
    (a SymPy expression does not: unpickling re-evaluates an unevaluated step)."""

    checks: list
    figures: list
    confirmation: list | None
    seconds: float


def run_numerics(claim: Claim, config: RunConfig) -> Numerics:
    """Run ``claim``'s numerical checks under ``config`` (and on the confirmation stream when a
    statistical rejection needs confirming); ``config`` already resolved by :func:`run_claim`."""
    start = time.perf_counter()
    context = Context(claim.id, config)
    checks = claim.checks(context)
    confirmation = None
    if needs_confirmation(claim, checks):
        # A statistical rejection decides a verdict only if fresh, independent data reject again.
        fresh = Context(claim.id, config, stream=CONFIRMATION)
        confirmation = claim.checks(fresh)  # its figures are not shown
    return Numerics(checks, context.figures, confirmation, time.perf_counter() - start)


def _claim_config(claim: Claim, config: RunConfig | None, **settings) -> RunConfig:
    """``config`` with ``settings``; numpy for a host-only claim (:attr:`Claim.host_only`)."""
    config = resolve_config(config, **settings)
    return dataclasses.replace(config, backend="numpy") if claim.host_only else config


def _result(claim: Claim, numerics: Numerics) -> ClaimResult:
    """The claim's evidence: its derivation, checked in this process (once per process), and its numerics."""
    start = time.perf_counter()
    steps = list(checked_derivation(claim))
    seconds = numerics.seconds + time.perf_counter() - start
    return ClaimResult(claim, steps, numerics.checks, numerics.figures, seconds, numerics.confirmation,
                       derivation_of(claim).depth())


def run_claim(claim: Claim, config: RunConfig | None = None, **settings) -> ClaimResult:
    """Run one claim end to end under ``config`` and return its evidence.

    ``config`` is a :class:`~checks.config.RunConfig` (default: ``RunConfig()``, the quick
    profile on numpy at :data:`~checks.config.DEFAULT_SEED`); its fields may also be given as
    keywords, alone or overriding ``config``'s: ``run_claim(claim, seed=7, profile="full")``.
    A claim that declares itself host-only (:attr:`Claim.host_only`, with its reason) runs on
    numpy whatever the backend; its page says so.
    """
    config = _claim_config(claim, config, **settings)
    return _result(claim, run_numerics(claim, config))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform says, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def run_claims(
    claims: Iterable[Claim], config: RunConfig | None = None, *, progress: bool = True, label: str = "", jobs: int = 1,
    **settings,
) -> list[ClaimResult]:
    """Run claims under one configuration and return their evidence, in the order of ``claims``.

    ``config`` and ``settings`` as in :func:`run_claim`. ``jobs``: 1 runs the claims one after the
    other in this process; N > 1 runs them in a pool of N worker processes, 0 in one per available
    core. The numbers do not depend on it beyond rounding: every claim draws from its own streams,
    derived from the root seed and the claim id (:meth:`Context.rng`). Measured: byte-identical for
    the claims of ``tests/test_runner.py``; over the whole suite, the last digit of a few CNCE values
    depends on which worker ran what before (not yet explained; ``report --check`` compares within
    resolution). With ``progress`` (the command line's default): on a
    terminal, a progress bar with the estimated time left on stderr, kept when done; otherwise one
    line per claim as it finishes (``[3/24] hyvarinen-identity: verified, 12 checks, 2.1 s``), so a
    log shows where a long run is. ``label`` prefixes the bar and the lines (a sweep passes
    ``seed 7 (2/10)``).
    """
    config = resolve_config(config, **settings)
    claims = list(claims)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0:
        raise ValueError(f"jobs must be an int >= 0 (0: one worker per core), got {jobs!r}")
    workers = min(jobs or available_cores(), len(claims)) or 1
    results: list[ClaimResult | None] = [None] * len(claims)
    interactive = progress and sys.stderr.isatty()
    finished = _in_process(claims, config) if workers == 1 else _in_pool(claims, config, workers)
    with tqdm(total=len(claims), desc=label or "claims", unit="claim", disable=not interactive, leave=True,
              file=sys.stderr) as bar:
        for done, (index, result) in enumerate(finished, start=1):
            results[index] = result
            bar.set_postfix_str(result.claim.id)
            bar.update()
            if progress and not interactive:
                prefix = f"{label} " if label else ""
                print(f"{prefix}[{done}/{len(claims)}] {result.claim.id}: {result.verdict}, {len(result.checks)} checks, "
                      f"{result.seconds:.1f} s", file=sys.stderr, flush=True)
    return results


def _in_process(claims: list[Claim], config: RunConfig) -> Iterator[tuple[int, ClaimResult]]:
    for index, claim in enumerate(claims):
        yield index, run_claim(claim, config)


def _in_pool(claims: list[Claim], config: RunConfig, workers: int) -> Iterator[tuple[int, ClaimResult]]:
    """(index, result) as the workers finish; Ctrl-C cancels what has not started. The workers run the
    numerical checks (:func:`run_numerics`); the derivations are checked here, in this process, while
    the workers go on — SymPy expressions stay where they were built (an unevaluated step would not
    survive pickling). Workers come from a fork server (a clean process, none of the caller's
    threads), or are spawned where there is none."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))
    try:
        futures = {pool.submit(run_numerics, claim, _claim_config(claim, config)): index
                   for index, claim in enumerate(claims)}
        for future in as_completed(futures):
            index = futures[future]
            yield index, _result(claims[index], future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
