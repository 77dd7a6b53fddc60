"""The run configuration: root seed, experiment profile and array backend, resolved once per run.

A run is decided by three settings and nothing else. They are resolved in one place — the command
line (from its options; ``$EBMCHECK_SEED`` is only the documented default of ``--seed``) or the
pytest session fixture ``run_config`` (from ``pytest --profile/--seed``) — into one frozen
:class:`RunConfig`, which then travels by argument: :class:`checks.anatomy.Context` carries it into
every check, :func:`checks.runner.run_claim` takes it, the property harness
(:mod:`checks.properties`) builds its experiments from it, and the results record it
(:meth:`RunConfig.to_json`, the ``seed``/``profile``/``backend`` of the provenance). No setting is
read from the environment below this point.

The experiment sizes follow from the profile: a claim's check picks its size with
``Context.size(quick, full)``, the property harness from its table ``checks.properties.SIZES``.
Derivations take no part in the configuration: their numerical spot checks evaluate at fixed
points (seed 0, :meth:`derivations.steps.Derivation.check`), so a derivation's status never
depends on the run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ebmcheck.checks.anatomy import PROFILES, Profile
from ebmcheck.theory.backend import BACKENDS
from ebmcheck.theory.validation import choice, positive_int

DEFAULT_SEED = 20261123
"""The root seed of a run that names none (the committed reports' seed)."""


@dataclass(frozen=True)
class RunConfig:
    """How a run is made: root seed (an int >= 0), profile (``"quick"`` or ``"full"``: the
    experiment sizes) and array backend (``"numpy"`` or ``"cupy"``). Validated on construction;
    frozen and hashable, so it can key a cache of results."""

    seed: int = DEFAULT_SEED
    profile: Profile = "quick"
    backend: str = "numpy"

    def __post_init__(self) -> None:
        object.__setattr__(self, "seed", positive_int("seed", self.seed, minimum=0))
        choice("profile", self.profile, PROFILES)
        choice("backend", self.backend, BACKENDS)

    def to_json(self) -> dict[str, Any]:
        """``{"seed", "profile", "backend"}``: how results record the configuration that produced them."""
        return dataclasses.asdict(self)


def resolve_config(config: RunConfig | None = None, **fields: Any) -> RunConfig:
    """``config`` (default :class:`RunConfig`\\ ()) with the given fields replaced.

    The convenient form of the run functions' argument: ``run_claim(claim)``,
    ``run_claim(claim, seed=7)`` and ``run_claim(claim, RunConfig(seed=7, profile="full"))`` all
    resolve here. An unknown field is a ``TypeError`` naming it; a bad value the field's error."""
    if config is None:
        config = RunConfig()
    elif not isinstance(config, RunConfig):
        raise TypeError(f"config must be a checks.config.RunConfig, got {config!r:.80}")
    unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(RunConfig)})
    if unknown:
        raise TypeError(f"unknown run settings {', '.join(unknown)}; a RunConfig has seed, profile and backend")
    return dataclasses.replace(config, **fields) if fields else config
