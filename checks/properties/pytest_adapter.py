"""The pytest adapter: :func:`parametrize_with_checks`, one test item per (objective, property)."""

from __future__ import annotations

from collections.abc import Sequence

from ebmcheck.checks.config import RunConfig, resolve_config
from ebmcheck.checks.properties.checks import PROPERTIES
from ebmcheck.checks.properties.families import Family
from ebmcheck.checks.properties.hypothesis_runner import as_objective, run_property
from ebmcheck.theory.objectives import NotApplicable


def parametrize_with_checks(
    objectives: Sequence,
    models: Sequence[Family] | None = None,
    *,
    properties: Sequence[str] = PROPERTIES,
    expected_failures: dict[tuple[str, str], str] | None = None,
    efficiency_bounds: dict[str, float] | None = None,
):
    """A ``pytest.mark.parametrize`` over (objective, property), one test item each.

    Use as::

        @parametrize_with_checks([MyObjective(), ScoreMatching()])
        def test_objective(objective, check):
            check(objective)

    Items are named ``<objective>-<property>``; ``expected_failures`` maps
    (objective name, property) to a reason and marks that item ``xfail(strict=True)``.
    ``check(objective, config)`` runs the property under ``config``, a
    :class:`~checks.config.RunConfig` (its seed and profile; None: ``RunConfig()``, the quick
    profile at the default seed). This repository's tests pass the session fixture
    ``run_config`` (``pytest --profile/--seed``): ``def test_x(objective, check, run_config):
    check(objective, run_config)``.
    """
    import pytest  # noqa: PLC0415 - only needed under pytest

    expected = dict(expected_failures or {})
    bounds = dict(efficiency_bounds or {})
    params = []
    objectives = [as_objective(objective) for objective in objectives]
    for objective in objectives:
        for prop in properties:
            check = _check(prop, models, bounds.get(objective.name))
            marks = ()
            if (objective.name, prop) in expected:
                marks = (pytest.mark.xfail(strict=True, raises=AssertionError, reason=expected[(objective.name, prop)]),)
            params.append(pytest.param(objective, check, id=f"{objective.name}-{prop}", marks=marks))
    return pytest.mark.parametrize(("objective", "check"), params)


def _check(prop: str, models: Sequence[Family] | None, efficiency_bound: float | None):
    """The ``check`` parameter of one item: runs ``prop`` on an objective under a configuration."""

    def check(objective, config: RunConfig | None = None) -> None:
        import pytest  # noqa: PLC0415 - only needed under pytest

        config = resolve_config(config)
        try:
            print(run_property(objective, prop, models, config.profile, seed=config.seed, efficiency_bound=efficiency_bound))
        except NotApplicable as reason:  # e.g. derivatives of a FiniteDifferenceObjective: nothing to test
            pytest.skip(f"{prop} does not apply to {objective.name}: {reason}")

    return check
