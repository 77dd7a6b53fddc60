r"""Property tests for training objectives of unnormalized models: ``check_objective``.

The shape is scikit-learn's ``check_estimator`` / ``parametrize_with_checks``: one call runs
every property on a user's objective; :func:`parametrize_with_checks` turns (objective,
property) pairs into pytest items. Hypothesis chooses the *case* — a model family and its true
parameter :math:`\theta^*` — never the sample sizes, which are fixed per profile; the root seed
and the profile are the run's :class:`~checks.config.RunConfig`, given as arguments
(``profile=``, ``seed=``) or, under pytest, by the ``run_config`` fixture.

The package, by seam:

- :mod:`.families` — :class:`Family`, :func:`family`, :data:`DEFAULT_FAMILIES` and the cases
  Hypothesis draws from them;
- :mod:`.checks` — the properties (:data:`PROPERTIES`), one ``check_<property>`` function each,
  yielded in order by :func:`yield_all_checks`, with their experiment sizes (:data:`SIZES`);
- :mod:`.hypothesis_runner` — :func:`run_property` and :func:`check_objective`;
- :mod:`.pytest_adapter` — :func:`parametrize_with_checks`;
- :mod:`.sweep` — :func:`sweep`, the harness's false-alarm rate over root seeds.

Properties, in order: ``fisher-consistency``, ``unbiased-gradient``, ``asymptotic-normality``,
``efficiency``, ``invariances`` (each check's docstring states its mathematics).
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
from ebmcheck.checks.properties.hypothesis_runner import EXAMPLES, Outcome, as_objective, check_objective, run_property
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
    "replicate_size",
    "run_property",
    "sandwich",
    "sweep",
]
