"""The false-alarm sweep: every statistical property of correct objectives over many root seeds."""

from __future__ import annotations

from collections.abc import Sequence

from ebmcheck.checks.properties.families import Family
from ebmcheck.checks.properties.hypothesis_runner import as_objective, run_property
from ebmcheck.theory.objectives import NotApplicable


def sweep(objectives: Sequence, seeds: Sequence[int], profile: str = "quick", models: Sequence[Family] | None = None):
    """Run every statistical property of every objective for each root seed; count the failures.

    For objectives that are correct, every failure is a false alarm, so this measures the real
    false-alarm rate of the harness (each property run is a family of z-tests at
    :data:`~checks.anatomy.ALPHA`, Bonferroni-split). Returns ``{(objective, property):
    (runs, failures, first failure message)}``; each message ends with the line that reproduces it.
    """
    objectives = [as_objective(objective) for objective in objectives]
    tally: dict[tuple[str, str], list] = {}
    statistical = ("fisher-consistency", "unbiased-gradient", "asymptotic-normality")
    for seed in seeds:
        for objective in objectives:
            for prop in statistical:
                entry = tally.setdefault((objective.name, prop), [0, 0, ""])
                entry[0] += 1
                try:
                    run_property(objective, prop, models, profile, seed=seed)
                except NotApplicable:
                    entry[0] -= 1
                except AssertionError as error:
                    entry[1] += 1
                    entry[2] = entry[2] or f"seed {seed}: {error}"
    return {key: tuple(value) for key, value in tally.items()}


def built_in_sweep(seed: int, profile: str = "quick") -> dict[tuple[str, str], tuple[int, int, str]]:
    """:func:`sweep` of the built-in objectives under one root seed: the unit of work of
    ``ebmcheck objectives --seed A-B`` on any scheduler (:mod:`checks.scheduler`)."""
    from ebmcheck.theory.objectives import built_in_objectives

    return sweep(built_in_objectives(), [seed], profile)


def merge_tallies(tallies) -> dict[tuple[str, str], tuple[int, int, str]]:
    """Add up per-seed tallies of :func:`sweep` (given in seed order): runs and failures summed, the
    first failure message of the earliest seed kept."""
    merged: dict[tuple[str, str], tuple[int, int, str]] = {}
    for tally in tallies:
        for key, (runs, failures, first) in tally.items():
            old_runs, old_failures, old_first = merged.get(key, (0, 0, ""))
            merged[key] = (old_runs + runs, old_failures + failures, old_first or first)
    return merged

