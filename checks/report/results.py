"""``results.json``: every number of a run and what produced it, nothing else.

The document is a pure function of (seed, profile, backend, code, library versions, platform):
it carries no time stamps, timings, commit or code locations, so regenerating reproduces it byte
for byte on the same platform (:mod:`ebmcheck.checks.report.compare` says what "reproduces"
means on another one).
"""

from __future__ import annotations

import json

from ebmcheck.checks.anatomy import ClaimResult
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.report.provenance import provenance


def results_document(results: list[ClaimResult], config: RunConfig) -> dict:
    """Every number of a run made under ``config``, as written to ``results.json`` (JSON-ready, no timings)."""
    return {"provenance": provenance(config), "claims": [r.to_json() for r in results]}


def dump_results(document: dict) -> str:
    """The exact text of ``results.json``."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
