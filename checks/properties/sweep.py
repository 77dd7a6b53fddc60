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
