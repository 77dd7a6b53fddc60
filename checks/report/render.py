"""The pages: what a claim's pages, the index and the errata show, and the templates that show it.

A *view* is everything a page shows, computed once from the results for both the Markdown and
the HTML (:func:`_claim_view`, :func:`_provenance_view`); the templates in ``templates/`` only lay
it out. Markdown and HTML differ only in their filters: mathematics as ``$`…`$`` and ``$$`` blocks
for Markdown, MathML converted at build time for HTML (:mod:`~ebmcheck.checks.report.mathtext`).
:func:`render` writes every file of a report into a folder; how that folder reaches ``--out``
safely is :mod:`~ebmcheck.checks.report.write`'s.
"""

from __future__ import annotations

import functools
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ebmcheck.checks.anatomy import ALPHA, NEAR_CONTROL, NUMERICAL_SAFETY, ClaimResult, critical_z, evidence_of, power_z
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.runner import derivation_of
from ebmcheck.checks.figures import save
from ebmcheck.checks.report.mathtext import MathRenderer, markdown_prose, plain_text
from ebmcheck.checks.report.parts import claim_parts
from ebmcheck.checks.report.provenance import REPORT_LIBRARIES, code_state, versions
from ebmcheck.checks.report.results import dump_results, results_document
from ebmcheck.checks.registry import NOT_ENCODED
from ebmcheck.derivations.steps import DEFINITION
from ebmcheck.derivations.steps import latex as step_latex

STATUS_WORDS = {
    "symbolic": "proved symbolically (SymPy)",
    "numeric": "checked numerically at random points (mpmath, 50 digits), not proved",
    "failed": "FAILED",
    "undecided": "UNDECIDED",
}
STATUS_SHORT = {"symbolic": "proved", "numeric": "numeric spot-check", "failed": "failed", "undecided": "undecided"}
VERDICT_MARKS = {
    "verified": "✅",
    "verified-with-conditions": "☑️",
    "refuted": "❌",
    "inconclusive": "❔",
}
# The source documents (the files in the shared seeds folder whose names start with the code).
SEED_TITLES = {
    "000": "Score Based Models — lecture notes on score matching and NCE",
    "001": "Score Based Models — lecture notes, univariate score matching",
    "002": "S. Coste, Generative models: how they work and how to train them (slides, 2024)",
    "003": "Hitchhiker's guide on Energy-Based Models (review, under double-blind review)",
    "004": "H. Yu, M. U. Gutmann, A. Klami, O. Chehab, Conditional Noise-Contrastive Estimation of EBMs by Jumping Between Modes",
}


@dataclass(frozen=True)
class ReportSummary:
    """What was written into ``out`` (pages, figures), and the LaTeX that could not become MathML."""

    out: Path
    pages: int
    figures: int
    math_converted: int
    math_failures: list[tuple[str, str]]


def _png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as handle:
        header = handle.read(24)
    return struct.unpack(">II", header[16:24])


def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.PackageLoader(__package__, "templates")
    common = dict(loader=loader, keep_trailing_newline=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    markdown = jinja2.Environment(autoescape=False, **common)
    markdown.filters["cell"] = _markdown_cell
    markdown.filters["inline"] = _markdown_inline
    markdown.filters["prose"] = markdown_prose
    page = jinja2.Environment(autoescape=True, **common)
    for environment in (markdown, page):
        environment.filters["num"] = _format
        environment.filters["pct"] = _percent
        environment.filters["plain"] = plain_text
    return markdown, page


def render(results: list[ClaimResult], out: Path, config: RunConfig) -> ReportSummary:
    """Write every file of a report into the empty folder ``out`` (the staging folder of
    :func:`~ebmcheck.checks.report.write.write_reports`): results.json, the figures, and the index,
    errata and claim pages as Markdown and HTML."""
    (out / "claims").mkdir(parents=True)
    (out / "figures").mkdir()
    document = results_document(results, config)
    (out / "results.json").write_text(dump_results(document), encoding="utf-8")
    markdown, page = _environments()
    renderer = MathRenderer()
    page.filters["math"] = lambda latex: renderer(latex, display=True)
    page.filters["imath"] = lambda latex: renderer(latex, display=False)
    page.filters["prose"] = renderer.prose

    prov = _provenance_view(document["provenance"])
    common = {
        "alpha": ALPHA,
        "threshold": critical_z(),
        "power_z": power_z(),
        "near_control": NEAR_CONTROL,
        "numerical_safety": NUMERICAL_SAFETY,
        "status_words": STATUS_WORDS,
        "status_short": STATUS_SHORT,
        "marks": VERDICT_MARKS,
        "seed_titles": SEED_TITLES,
        "provenance": prov,
    }
    views = []
    num_figures = 0
    for result in results:
        figures = []
        for filename, figure, caption in result.figures:
            save(figure, out / "figures" / filename)
            width, height = _png_size(out / "figures" / filename)
            figures.append({"filename": filename, "caption": caption, "width": width, "height": height})
        num_figures += len(figures)
        views.append(_claim_view(result, figures))

    for view in views:
        context = {**common, "c": view, "root": "../"}
        (out / "claims" / f"{view['id']}.md").write_text(markdown.get_template("claim.md.j2").render(context), encoding="utf-8")
        (out / "claims" / f"{view['id']}.html").write_text(page.get_template("claim.html.j2").render(context), encoding="utf-8")

    refuted = [v for v in views if v["verdict"] == "refuted"]
    sharpened = [v for v in views if v["sharpening"]]
    statistical = [k for v in views for k in v["checks"] if k["kind"] == "statistical"]
    resolutions = [k["resolution"] for k in statistical if math.isfinite(k["resolution"])]
    evidence = {
        "statistical": len(statistical),
        "numerical": sum(len(v["checks"]) for v in views) - len(statistical),
        "budget": sum(v["evidence"]["false_alarm_budget"] for v in views),
        "worst_resolution": max(resolutions, default=math.nan),
        "median_resolution": sorted(resolutions)[len(resolutions) // 2] if resolutions else math.nan,
    }
    # Printed intermediate steps shown wrong inside claims that are not refuted as a whole
    # (a refuted claim's own entry lists its steps).
    step_errata = [v for v in views if v["verdict"] != "refuted" and v["errata_steps"]]
    counts = {verdict: sum(v["verdict"] == verdict for v in views) for verdict in VERDICT_MARKS}
    num_checks = sum(len(v["checks"]) for v in views)
    context = {**common, "claims": views, "refuted": refuted, "sharpened": sharpened, "step_errata": step_errata,
               "counts": counts, "num_checks": num_checks, "evidence": evidence, "root": "", "not_encoded": NOT_ENCODED}
    for name in ("index", "errata"):
        (out / f"{name}.md").write_text(markdown.get_template(f"{name}.md.j2").render(context), encoding="utf-8")
        (out / f"{name}.html").write_text(page.get_template(f"{name}.html.j2").render(context), encoding="utf-8")
    return ReportSummary(out, 2 * (len(views) + 2), num_figures, renderer.converted, list(renderer.failures))


def _rests_on_text(name: str, derivation) -> str:
    """'definition', or 'step N' for a step label (pages number steps from 1)."""
    if name == DEFINITION:
        return "the definitions"
    return next(f"step {i}" for i, step in enumerate(derivation.steps, start=1) if step.label == name)


def _threshold_text(check) -> str:
    """The acceptance threshold as the check table prints it: "3.89" for a two-sided check (|z| ≤),
    "z ≥ −3.72" for a one-sided check of "m ≥ m₀", "z ≤ 3.72" for one of "m ≤ m₀"."""
    text = f"{check.threshold:.2f}"
    return {"greater": f"z ≥ −{text}", "less": f"z ≤ {text}"}.get(check.alternative, text)


def _claim_view(result: ClaimResult, figures: list[dict]) -> dict:
    """Everything a claim's pages show, computed once for both the Markdown and the HTML."""
    claim = result.claim
    derivation = derivation_of(claim)
    depth = result.depth or derivation.depth()  # run_claim computed it; a hand-made ClaimResult may not have
    checks = []
    for index, check in enumerate(result.checks, start=1):
        own_estimate = check.has_own_estimate
        checks.append({
            "index": index,
            "anchor": f"check-{index}",
            "name": check.name,
            "quantity": check.quantity,
            "prediction": check.test.prediction,
            "estimate": check.test.estimate,
            "standard_error": check.test.standard_error,
            "statistic": check.test.statistic,
            "threshold": check.threshold,
            "threshold_text": _threshold_text(check),
            "error_kind": check.error_kind,
            "passed": check.passed,
            "diverged": check.diverged,
            "control_label": check.control_label,
            "control_prediction": check.control.prediction,
            "control_estimate": check.control.estimate if own_estimate else None,
            "control_standard_error": check.control.standard_error if own_estimate else None,
            "control_statistic": check.control.statistic,
            "control_rejected": check.control_rejected,
            "control_is_statement": check.control_is_statement,
            "control_distance": check.control_distance,
            "kind": check.kind,
            "tests": evidence_of(claim, check),
            "resolution": check.relative_resolution,
            "digits": check.agreement_digits,
        })
    finite = [abs(c["statistic"]) for c in checks if not c["diverged"]]
    controls = [abs(c["control_statistic"]) for c in checks if not c["diverged"]]
    steps = [
        {
            "index": index,
            "latex": r.step.latex(),
            "justification": r.step.justification,
            "status": r.status,
            "detail": r.detail,
            "assumptions": [a.name for a in r.step.assumptions],
            "erratum": r.step.erratum,
            "rests_on": [_rests_on_text(name, derivation) for name in r.step.rests_on],
            "placeholders": [step_latex(p) for p in r.step.placeholders],
            "vacuous": r.step.vacuous,
        }
        for index, r in enumerate(result.steps, start=1)
    ]
    return {
        "id": claim.id,
        "title": claim.title,
        "code": claim_parts(claim),
        "summary": claim.summary,
        "verdict": result.verdict,
        "verdict_line": result.judgement.line,
        "expected_verdict": claim.expected_verdict,
        "reasons": result.reasons,
        "sharpening": claim.sharpening,
        "typo": claim.typo,
        "resolution_reason": claim.resolution_reason,
        "evidence": result.evidence(),
        "sources": [{"seed_file": s.seed_file, "location": s.location, "statement": s.statement} for s in claim.sources],
        "corrected": claim.corrected,
        "conditions": list(claim.conditions),
        "assumptions": [{"name": a.name, "latex": a.latex, "description": a.description} for a in derivation.assumptions],
        "derivation_title": derivation.title,
        "derivation_notes": derivation.notes,
        "steps": steps,
        "depth": depth,
        "depth_placeholders": list(dict.fromkeys(step_latex(p) for i in depth.chain for p in derivation.steps[i - 1].placeholders)),
        "errata_steps": [s for s in steps if s["erratum"]],
        "steps_proved": sum(s["status"] == "symbolic" for s in steps),
        "steps_numeric": sum(s["status"] == "numeric" for s in steps),
        "checks": checks,
        "common_quantity": checks[0]["quantity"] if checks and len({c["quantity"] for c in checks}) == 1 else "",
        "checks_passed": sum(c["passed"] for c in checks),
        "one_sided": sum(check.alternative != "two-sided" for check in result.checks),
        "one_sided_threshold": critical_z(alternative="greater"),
        "controls_rejected": sum(c["control_rejected"] for c in checks),
        "max_abs_z": max(finite, default=math.nan),
        "min_abs_control_z": min(controls, default=math.nan),
        "statement_controls": sum(c["control_is_statement"] for c in checks),
        "statement_rejected": sum(c["control_is_statement"] and c["control_rejected"] for c in checks),
        "min_abs_statement_z": min((abs(c["control_statistic"]) for c in checks if c["control_is_statement"] and not c["diverged"]),
                                   default=math.nan),
        "figures": figures,
    }


def _provenance_view(prov: dict) -> dict:
    """The provenance block of every page: results.json's provenance, the commit of the code and
    the versions of the libraries that only shape the pages."""
    return {
        "seed": prov["seed"],
        "profile": prov["profile"],
        "backend": prov["backend"],
        "python": prov["python"],
        "version": prov["versions"].get("ebmcheck", "unknown"),
        "commit": code_state().describe(),
        "libraries": {k: v for k, v in prov["versions"].items() if k != "ebmcheck"} | versions(REPORT_LIBRARIES),
        "platform": prov["platform"],
    }


def _percent(value: float | None) -> str:
    """A relative resolution for a table: '23 %', '0.4 %', '2e-10 %' (two significant digits)."""
    if value is None or not math.isfinite(float(value)):
        return "—"
    return f"{100 * float(value):.2g} %"


def _format(value: float | None) -> str:
    """A number for a table: 4 significant digits, scientific outside [1e-3, 1e5)."""
    if value is None:
        return "—"
    value = float(value)
    if value != value:  # NaN
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}"


def _markdown_cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped (also inside code and math), one line."""
    return " ".join(str(text).split()).replace("|", r"\|")


def _markdown_inline(latex: str) -> str:
    """Inline mathematics for Markdown: ``$`…`$``, which Markdown leaves untouched."""
    latex = " ".join(latex.split())
    return f"$`{latex}`$"
