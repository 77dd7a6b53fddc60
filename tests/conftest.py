"""pytest configuration: the run configuration from --profile/--seed, Hypothesis profiles.

``--profile`` and ``--seed`` are resolved once, at configuration, into a
:class:`~ebmcheck.checks.config.RunConfig`; tests receive it from the session fixture
``run_config`` (the claim suite, the property harness's items) and pass it on as an argument.
``$EBMCHECK_SEED`` is the command line's default only: pytest's seed is ``--seed``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from ebmcheck.checks.anatomy import PROFILES
from ebmcheck.checks.config import DEFAULT_SEED, RunConfig
from ebmcheck.checks.anatomy import Claim

# Derandomized in CI so that a run is reproducible; random locally to keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=40)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

RUN_CONFIG = pytest.StashKey[RunConfig]()


def pytest_addoption(parser):
    parser.addoption("--profile", choices=PROFILES, default="quick", help="experiment size of the claim checks and properties")
    parser.addoption("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")


def pytest_configure(config):
    try:
        config.stash[RUN_CONFIG] = RunConfig(seed=config.getoption("--seed"), profile=config.getoption("--profile"))
    except (TypeError, ValueError) as error:
        raise pytest.UsageError(f"--seed/--profile: {error}") from None


@pytest.fixture(scope="session")
def run_config(pytestconfig) -> RunConfig:
    """The session's run configuration (``pytest --profile/--seed``)."""
    return pytestconfig.stash[RUN_CONFIG]


def pytest_report_header(config):
    run = config.stash[RUN_CONFIG]
    return f"ebmcheck: profile {run.profile}, root seed {run.seed}"



def pytest_collection_modifyitems(config, items):
    """Groups for ``pytest -n 2 --dist loadgroup`` (pytest-xdist, the README's test command): the
    items of one claim run in one worker, where they share its run (tests/test_claims.py caches it
    per process) and its derivation (``runner.derivation_of``). Modules whose items share a
    module-scoped fixture (a report build) carry their own ``xdist_group``; every other item is
    placed freely."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        claim = params.get("result", params.get("claim"))
        if isinstance(claim, Claim):
            item.add_marker(pytest.mark.xdist_group(f"claim:{claim.id}"))
