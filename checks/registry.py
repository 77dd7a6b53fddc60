"""The claim registry: one explicit tuple, no import-time discovery."""

from __future__ import annotations

import difflib

from ebmcheck.checks import (
    cnce,
    cnce_limits,
    contrastive_divergence,
    diffusion,
    divergences,
    fisher,
    flows,
    gans,
    interpolants,
    nce,
    notes,
    physics,
    sampling,
    score_matching,
    toy,
    ula,
    vae,
)
from ebmcheck.checks.anatomy import Claim, NotEncoded

TOPICS = (
    score_matching,
    ula,
    nce,
    toy,
    cnce,
    cnce_limits,
    divergences,
    vae,
    gans,
    diffusion,
    fisher,
    interpolants,
    flows,
    sampling,
    physics,
    contrastive_divergence,
    notes,
)
"""The topic modules, in the order of the index (the notes' and the CNCE paper's first, then the review's sections); each declares ``CLAIMS`` and may declare ``NOT_ENCODED``."""

CLAIMS: tuple[Claim, ...] = tuple(claim for topic in TOPICS for claim in topic.CLAIMS)

NOT_ENCODED: tuple[NotEncoded, ...] = tuple(entry for topic in TOPICS for entry in getattr(topic, "NOT_ENCODED", ()))
"""Statements of the sources that are not claims, each with its reason (the index lists them)."""

_BY_ID = {claim.id: claim for claim in CLAIMS}
if len(_BY_ID) != len(CLAIMS):
    raise RuntimeError("duplicate claim ids in the registry")


def get_claim(claim_id: str) -> Claim:
    """Return the claim called ``claim_id``; ``KeyError`` naming the closest ids otherwise."""
    try:
        return _BY_ID[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim id {claim_id!r}; closest: {', '.join(closest_ids(claim_id)) or 'none'}") from None


def closest_ids(claim_id: str, count: int = 3) -> list[str]:
    matches = difflib.get_close_matches(claim_id, list(_BY_ID), n=count, cutoff=0.0)
    return matches
