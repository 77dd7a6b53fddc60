"""From a claim to its parts: where its derivation and its checks are written, and how to run its tests.

Read from the :class:`~ebmcheck.checks.anatomy.Claim` object itself — the ``__module__`` and
``__qualname__`` of the functions it holds, and its ``topic`` — never from its id: ids are stable
keys chosen for readers (``hyvarinen-identity`` lives in the topic ``score_matching``), not paths.
Shown by ``ebmcheck list -v ID`` and on every claim page; not written to ``results.json``, which
holds results, not code locations.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass

from ebmcheck.checks.anatomy import Claim

CLAIM_TESTS = "tests/test_claims.py"
"""The test file whose items run every registered claim, parametrized by claim id: each claim's
items are named ``test_…[<claim id>]``."""


def describe_callable(function) -> str:
    """Where ``function`` is written, as ``module:qualname``
    (``ebmcheck.derivations.ula:stationary_covariance``).

    A ``functools.partial`` names the function it wraps and its bound arguments; a decorated
    function (``functools.wraps``) the function it wraps; a callable object its class's
    ``__call__``; a lambda, which has no name, its module, line and enclosing function."""
    if isinstance(function, functools.partial):
        bound = [repr(a) for a in function.args] + [f"{k}={v!r}" for k, v in function.keywords.items()]
        return f"{describe_callable(function.func)} with {', '.join(bound) or 'no arguments'} bound (functools.partial)"
    function = inspect.unwrap(function)
    if not (inspect.isfunction(function) or inspect.isbuiltin(function) or inspect.ismethod(function)):
        kind = type(function)
        return f"{kind.__module__}:{kind.__qualname__}.__call__"
    module, qualname = function.__module__, function.__qualname__
    if function.__name__ == "<lambda>":
        enclosing = qualname.rpartition(".<locals>.")[0] if ".<locals>." in qualname else ""
        line = getattr(getattr(function, "__code__", None), "co_firstlineno", "?")
        return f"a lambda in {module}, line {line}" + (f", inside {module}:{enclosing}" if enclosing else "")
    return f"{module}:{qualname}"


def pytest_command(claim: Claim) -> str:
    """The command that runs exactly the test items of ``claim`` (from the repository root).

    ``-k "[<id>]"`` matches the bracketed parameter id as a substring of the item name, so it
    selects ``test_…[hyvarinen-identity]`` and not ``test_…[hyvarinen-identity-factor-two]``."""
    return f'python -m pytest {CLAIM_TESTS} -k "[{claim.id}]"'


@dataclass(frozen=True)
class ClaimParts:
    """Where a claim's parts are: its topic, derivation function, check function and tests, and
    where its checks run (the array backend of ``--backend``, or the host and why)."""

    topic: str
    derivation: str
    checks: str
    tests: str
    backend: str


def claim_parts(claim: Claim) -> ClaimParts:
    """The parts of ``claim``, read from the claim object (see the module docstring)."""
    return ClaimParts(
        topic=claim.topic,
        derivation=describe_callable(claim.derivation),
        checks=describe_callable(claim.checks),
        tests=pytest_command(claim),
        backend=backend_support(claim),
    )


def backend_support(claim: Claim) -> str:
    """Whether the claim's checks run on ``--backend``'s arrays or on the host whatever it is, and why."""
    if claim.host_only:
        return f"host only (numpy whatever --backend): {claim.host_only}"
    return "honours --backend (its chains run on the chosen array backend)"
