r"""Property tests for training objectives of unnormalized models: ``check_objective``.

The shape is scikit-learn's ``check_estimator`` / ``parametrize_with_checks``: one call runs
every property on a user's objective; :func:`parametrize_with_checks` turns (objective,
property) pairs into pytest items. A property runs on *cases* — a model family and its true
parameter :math:`\theta^*`: the simplest case, one with d >= 2 whenever the objective supports
one, and cases Hypothesis draws — never choosing the sample sizes, which are fixed per profile.
The root seed and the profile are the run's :class:`~checks.config.RunConfig`, given as
arguments (``profile=``, ``seed=``) or, under pytest, by the ``run_config`` fixture; the root
seed alone chooses the cases and their numbers, and a failure ends with the line that reproduces it.

The package, by seam:

- :mod:`.families` — :class:`Family`, :func:`family`, :data:`DEFAULT_FAMILIES` and the cases
  of a run (:func:`~.families.plan`);
- :mod:`.checks` — the properties (:data:`PROPERTIES`), one ``check_<property>`` function each,
  yielded in order by :func:`yield_all_checks`, with their experiment sizes (:data:`SIZES`);
- :mod:`.hypothesis_runner` — :func:`as_objective` and :func:`probe` (the objective against the
  protocol, before any experiment), :func:`run_property` and :func:`check_objective`;
- :mod:`.pytest_adapter` — :func:`parametrize_with_checks`;
- :mod:`.sweep` — :func:`sweep`, the harness's false-alarm rate over root seeds.

Properties, in order: ``derivatives``, ``fisher-consistency``, ``unbiased-gradient``,
``asymptotic-normality``, ``efficiency``, ``invariances`` (each check's docstring states its mathematics).
"""

from ebmcheck.checks.properties.checks import (
    PROPERTIES,
    SIZES,
    ExperimentDiverged,
    PropertyFailure,
    fisher_information,
    replicate_size,
    sandwich,
)
from ebmcheck.checks.properties.families import DEFAULT_FAMILIES, Case, Family, family
from ebmcheck.checks.properties.hypothesis_runner import (
    EXAMPLES,
    Outcome,
    as_objective,
    check_objective,
    probe,
    run_property,
)
from ebmcheck.checks.properties.pytest_adapter import parametrize_with_checks
from ebmcheck.checks.properties.sweep import sweep

__all__ = [
    "DEFAULT_FAMILIES",
    "EXAMPLES",
    "PROPERTIES",
    "SIZES",
    "Case",
    "ExperimentDiverged",
    "Family",
    "Outcome",
    "PropertyFailure",
    "as_objective",
    "check_objective",
    "family",
    "fisher_information",
    "parametrize_with_checks",
    "probe",
    "replicate_size",
    "run_property",
    "sandwich",
    "sweep",
]
