"""Add up seed sweeps run in pieces and print the README's table (Markdown).

Each input is the JSON document of ``ebmcheck verify --seed A-B --json`` (the same claims, profile
and backend; disjoint seed ranges)::

    ebmcheck verify --seed 0-24 --scheduler processes:2 --json > sweep-0-24.json
    ebmcheck verify --seed 25-49 --scheduler processes:2 --json > sweep-25-49.json
    python benchmarks/sweep_table.py sweep-0-24.json sweep-25-49.json [--merged sweep.json]

Per kind of check: runs, failures, the failure rate with its 95 % Clopper–Pearson interval (for the
statistical checks, against their α); surviving negative controls; claim verdicts that moved; every
check that failed or whose control survived, with the command that reproduces it; the wall time
of each piece. ``--merged`` writes the added-up document (same form as one piece).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ebmcheck.checks.anatomy import ALPHA
from ebmcheck.checks.cli import _binomial_interval


def merge(documents: list[dict]) -> dict:
    """One document from pieces: counts added per check, the earliest failing seed kept."""
    first = documents[0]
    for document in documents[1:]:
        for key in ("profile", "backend", "claims"):
            if document[key] != first[key]:
                raise ValueError(f"the pieces differ in {key}: {first[key]!r} and {document[key]!r}")
    ranges = sorted(tuple(document["seeds"]) for document in documents)
    for (_, last), (start, _) in zip(ranges, ranges[1:]):
        if start <= last:
            raise ValueError(f"seed ranges overlap: {ranges}")
    checks: dict[str, dict] = {}
    for document in documents:
        for key, entry in document["checks"].items():
            total = checks.setdefault(key, {**entry, "runs": 0, "failures": 0, "survived": 0, "first": None})
            for count in ("runs", "failures", "survived"):
                total[count] += entry[count]
            if entry["first"] is not None:
                total["first"] = min(entry["first"], total["first"] if total["first"] is not None else entry["first"])
    moved: dict[tuple[str, str], list] = {}
    for document in documents:
        for claim_id, verdict, count, seed in document["verdicts_moved"]:
            old = moved.get((claim_id, verdict), [0, seed])
            moved[(claim_id, verdict)] = [old[0] + count, min(old[1], seed)]
    return {"profile": first["profile"], "backend": first["backend"], "claims": first["claims"],
            "seeds": [ranges[0][0], ranges[-1][1]], "pieces": [[*r] for r in ranges],
            "seconds": sum(document["seconds"] for document in documents),
            "scheduler": sorted({name for document in documents for name in _as_list(document["scheduler"])}),
            "checks": checks, "verdicts_moved": [[c, v, n, s] for (c, v), (n, s) in sorted(moved.items())]}


def _as_list(value) -> list:
    """A piece names one scheduler; a merged document (itself a valid piece) lists them."""
    return value if isinstance(value, list) else [value]


def table(document: dict) -> str:
    """The Markdown table and the lists under it."""
    seeds = document["seeds"][1] - document["seeds"][0] + 1
    lines = ["| checks | per seed | runs | failures | rate | 95 % interval | at nominal α |", "|---|---|---|---|---|---|---|"]
    for kind in ("statistical", "numerical"):
        entries = [e for e in document["checks"].values() if e["kind"] == kind]
        runs, failures = sum(e["runs"] for e in entries), sum(e["failures"] for e in entries)
        low, high = _binomial_interval(failures, runs)
        expected = sum(e["alpha"] * e["runs"] for e in entries)  # false alarms expected if every test had its α exactly
        nominal = (f"α ≤ {ALPHA:g} each; {expected:.1f} failures expected" if kind == "statistical"
                   else "(no rate: error bounds)")
        lines.append(f"| {kind} | {len(entries)} | {runs} | {failures} | {failures / max(runs, 1):.1e} | "
                     f"[{low:.1e}, {high:.1e}] | {nominal} |")
    survived = sum(e["survived"] for e in document["checks"].values())
    controls = sum(e["runs"] for e in document["checks"].values())
    claim_runs = seeds * len(document["claims"])
    moved = sum(count for _, _, count, _ in document["verdicts_moved"])
    lines += ["", f"{seeds} seeds × {len(document['claims'])} claims, profile {document['profile']}, "
              f"backend {document['backend']}; negative controls that survived: {survived} of {controls}; "
              f"claim verdicts that differ from the recorded one: {moved} of {claim_runs} claim runs."]
    for claim_id, verdict, count, seed in document["verdicts_moved"]:
        lines.append(f"- {claim_id}: {verdict} in {count} of {seeds} seeds (`ebmcheck verify {claim_id} --seed {seed}`)")
    for key, entry in sorted(document["checks"].items()):
        if entry["failures"] or entry["survived"]:
            low, high = _binomial_interval(entry["failures"], entry["runs"])
            again = f" (`ebmcheck verify {key.split(' / ')[0]} --seed {entry['first']}`)" if entry["first"] is not None else ""
            lines.append(f"- {key} [{entry['kind']}]: {entry['failures']}/{entry['runs']} failed, 95 % interval "
                         f"[{low:.1e}, {high:.1e}]; {entry['survived']} controls survived{again}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pieces", nargs="+", type=Path, help="JSON documents of verify --seed A-B --json")
    parser.add_argument("--merged", type=Path, help="write the added-up document here")
    args = parser.parse_args(argv)
    try:
        document = merge([json.loads(path.read_text(encoding="utf-8")) for path in args.pieces])
    except (OSError, ValueError, KeyError) as error:
        parser.exit(2, f"error: {error}\n")
    if args.merged:
        args.merged.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(table(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
