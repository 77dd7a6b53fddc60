"""pytest configuration: profile and seed options, Hypothesis profiles, shared claim runs."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from ebmcheck.checks.runner import DEFAULT_SEED

# Derandomized in CI so that a run is reproducible; random locally to keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=40)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser):
    parser.addoption("--profile", choices=("quick", "full"), default="quick", help="experiment size of the claim checks")
    parser.addoption("--seed", type=int, default=None, help=f"root seed (default $EBMCHECK_SEED or {DEFAULT_SEED})")


@pytest.fixture(scope="session")
def profile(request) -> str:
    return request.config.getoption("--profile")


@pytest.fixture(scope="session")
def root_seed(request) -> int:
    seed = request.config.getoption("--seed")
    return seed if seed is not None else int(os.environ.get("EBMCHECK_SEED", DEFAULT_SEED))


def pytest_configure(config):
    """Hand --profile and --seed to code that is not a fixture user (checks.properties' pytest items)."""
    os.environ["EBMCHECK_PROFILE"] = config.getoption("--profile")
    if config.getoption("--seed") is not None:
        os.environ["EBMCHECK_SEED"] = str(config.getoption("--seed"))


def pytest_report_header(config):
    seed = config.getoption("--seed") or os.environ.get("EBMCHECK_SEED", DEFAULT_SEED)
    return f"ebmcheck: profile {config.getoption('--profile')}, root seed {seed}"
