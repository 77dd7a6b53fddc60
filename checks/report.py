r"""Write the reports: index, one page per claim, errata, figures, results.json — as Markdown and HTML.

What is written (``ebmcheck report --out OUT``)::

    OUT/index.md, OUT/index.html        every claim: id, title, source, verdict badge, link
    OUT/claims/<id>.md, .html           one page per claim
    OUT/errata.md, OUT/errata.html      every statement of a source that the evidence refutes, and
                                        every printed step a derivation shows wrong
    OUT/results.json                    every number; no timings (reproducible byte for byte)
    OUT/figures/<claim id>-<name>.png   the checks' figures (style: :mod:`checks.figures`)

Mathematics
-----------
The Markdown pages are for a code-hosting site: display mathematics in ``$$ … $$`` blocks and
inline mathematics as ``$`…`$`` (GitHub's and GitLab's form of ``$…$`` that Markdown cannot
mangle). The HTML pages show the mathematics as MathML converted at build time, with no network
access and no JavaScript (:mod:`checks.mathtext`).

Reproducibility
---------------
``results.json`` holds every number and is a pure function of (seed, profile, backend, code,
library versions, platform): it carries no time stamps, timings or commit, so regenerating
reproduces it byte for byte on the same platform. The *platform* includes the CPU features that
numpy dispatches on and the BLAS library's kernel ("core") and thread count: numpy's SIMD loops
(AVX2 vs AVX-512) and OpenBLAS's cores (Haswell vs SkylakeX) round differently in the last bit.
``ebmcheck report --check`` therefore compares exactly when the recorded platform is this one,
and otherwise each number within its own resolution (:mod:`checks.compare`); strings, integers,
flags and verdicts are always compared exactly.

The commit goes to the pages' provenance blocks; run times only to the terminal, so a re-run
that changes nothing changes no file. How files reach ``out`` without touching anything else
there: :mod:`checks.destination`.
"""

from __future__ import annotations

import functools
import json
import math
import platform
import shutil
import struct
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import jinja2

from ebmcheck.checks.anatomy import ALPHA, NEAR_CONTROL, NUMERICAL_SAFETY, ClaimResult, critical_z, evidence_of, power_z
from ebmcheck.checks.destination import check_destination, install, new_staging
from ebmcheck.checks.figures import save
from ebmcheck.checks.mathtext import MathRenderer, markdown_prose, plain_text

# Libraries whose versions can change the numbers: recorded in results.json.
LIBRARIES = ("ebmcheck", "numpy", "scipy", "sympy", "mpmath")
# Libraries that only shape the pages: shown in the provenance block, not in results.json.
REPORT_LIBRARIES = ("matplotlib", "jinja2", "latex2mathml", "click")

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

# ---- provenance and results.json ----------------------------------------------------------------
def _versions(names) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _numpy_cpu_features() -> str:
    """The CPU features numpy's SIMD kernels dispatch on here (they change the last bits)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return "unknown"
    return " ".join(sorted(name for name, enabled in features.items() if enabled))


def _blas_cores() -> str:
    """The BLAS libraries loaded, with their kernel ("core") and thread count, e.g.
    ``openblas 0.3.31 SkylakeX x2``: OpenBLAS picks its kernels from the CPU at load time
    (``OPENBLAS_CORETYPE`` overrides), and both the kernel and the number of threads that split a
    reduction change the last bits."""
    import numpy  # noqa: F401  (load numpy's and scipy's BLAS before asking)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    cores = sorted({
        f"{info.get('internal_api', '?')} {info.get('version') or '?'} {info.get('architecture') or '?'} x{info.get('num_threads', '?')}"
        for info in threadpool_info() if info.get("user_api") == "blas"
    })
    return "; ".join(cores) or "unknown"


def platform_fingerprint() -> dict[str, str]:
    """What, besides the code and the seed, decides the last bits of the numbers."""
    return {
        "python": platform.python_version(),
        "system": platform.system(),
        "machine": platform.machine(),
        "numpy_cpu_features": _numpy_cpu_features(),
        "blas": _blas_cores(),
    }


def provenance(profile: str, backend: str, seed: int) -> dict:
    """What produced the numbers: seed, profile, backend, library versions, platform (no timings)."""
    fingerprint = platform_fingerprint()
    return {
        "seed": seed,
        "profile": profile,
        "backend": backend,
        "python": fingerprint.pop("python"),
        "versions": _versions(LIBRARIES),
        "platform": fingerprint,
    }


def results_document(results: list[ClaimResult], profile: str, backend: str, seed: int) -> dict:
    """Every number of a run, as written to ``results.json`` (JSON-ready, no timings)."""
    return {"provenance": provenance(profile, backend, seed), "claims": [r.to_json() for r in results]}


def dump_results(document: dict) -> str:
    """The exact text of ``results.json``."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


# ---- writing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSummary:
    """What :func:`write_reports` wrote, and the LaTeX it could not convert to MathML."""

    out: Path
    pages: int
    figures: int
    math_converted: int
    math_failures: list[tuple[str, str]]


def write_reports(results: list[ClaimResult], out: Path, *, profile: str, backend: str, seed: int,
                  force: bool = False) -> ReportSummary:
    """Write every report into ``out`` without deleting or overwriting anything ebmcheck did not write.

    ``out`` is checked first (:func:`checks.destination.check_destination`: a non-empty folder
    that is not a report folder needs ``force``). Everything is written into a staging folder
    inside ``out``; only when all of it has been written are the files moved into place
    (:func:`checks.destination.install`). An error while writing leaves ``out`` as it was.
    """
    destination = check_destination(out, force)
    staging = new_staging(destination.path)
    try:
        summary = _write(results, staging, profile, backend, seed)
        install(staging, destination.path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if destination.created:
            shutil.rmtree(destination.path, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return ReportSummary(Path(out), summary.pages, summary.figures, summary.math_converted, summary.math_failures)


@functools.lru_cache(maxsize=None)
def _derivation(claim):
    return claim.derivation()


def _png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as handle:
        header = handle.read(24)
    return struct.unpack(">II", header[16:24])


def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.PackageLoader("checks", "templates")
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


def _write(results: list[ClaimResult], out: Path, profile: str, backend: str, seed: int) -> ReportSummary:
    (out / "claims").mkdir(parents=True)
    (out / "figures").mkdir()
    document = results_document(results, profile, backend, seed)
    (out / "results.json").write_text(dump_results(document), encoding="utf-8")
    markdown, page = _environments()
    renderer = MathRenderer()
    page.filters["math"] = lambda latex: renderer(latex, display=True)
    page.filters["imath"] = lambda latex: renderer(latex, display=False)
    page.filters["prose"] = renderer.prose

    prov = _provenance_view(document["provenance"], results)
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
               "counts": counts, "num_checks": num_checks, "evidence": evidence, "root": ""}
    for name in ("index", "errata"):
        (out / f"{name}.md").write_text(markdown.get_template(f"{name}.md.j2").render(context), encoding="utf-8")
        (out / f"{name}.html").write_text(page.get_template(f"{name}.html.j2").render(context), encoding="utf-8")
    return ReportSummary(out, 2 * (len(views) + 2), num_figures, renderer.converted, list(renderer.failures))


def _claim_view(result: ClaimResult, figures: list[dict]) -> dict:
    """Everything a claim's pages show, computed once for both the Markdown and the HTML."""
    claim = result.claim
    derivation = _derivation(claim)
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
        }
        for index, r in enumerate(result.steps, start=1)
    ]
    return {
        "id": claim.id,
        "title": claim.title,
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
        "errata_steps": [s for s in steps if s["erratum"]],
        "steps_proved": sum(s["status"] == "symbolic" for s in steps),
        "steps_numeric": sum(s["status"] == "numeric" for s in steps),
        "checks": checks,
        "common_quantity": checks[0]["quantity"] if checks and len({c["quantity"] for c in checks}) == 1 else "",
        "checks_passed": sum(c["passed"] for c in checks),
        "controls_rejected": sum(c["control_rejected"] for c in checks),
        "max_abs_z": max(finite, default=math.nan),
        "min_abs_control_z": min(controls, default=math.nan),
        "statement_controls": sum(c["control_is_statement"] for c in checks),
        "statement_rejected": sum(c["control_is_statement"] and c["control_rejected"] for c in checks),
        "min_abs_statement_z": min((abs(c["control_statistic"]) for c in checks if c["control_is_statement"] and not c["diverged"]),
                                   default=math.nan),
        "figures": figures,
    }


def _provenance_view(prov: dict, results: list[ClaimResult]) -> dict:
    return {
        "seed": prov["seed"],
        "profile": prov["profile"],
        "backend": prov["backend"],
        "python": prov["python"],
        "version": prov["versions"].get("ebmcheck", "unknown"),
        "commit": code_state().describe(),
        "libraries": {k: v for k, v in prov["versions"].items() if k != "ebmcheck"} | _versions(REPORT_LIBRARIES),
        "platform": prov["platform"],
    }


CODE_PATHS = ("__init__.py", "theory", "derivations", "checks", "pyproject.toml")
"""What produces the numbers: a change here (committed or not) changes what the reports say."""


@dataclass(frozen=True)
class CodeState:
    """The git commit of the code and the code files that differ from it (tracked or new)."""

    commit: str | None  # None when the code is not a git checkout
    changed: tuple[str, ...]

    def describe(self) -> str:
        if self.commit is None:
            return "unknown (not a git checkout)"
        return f"{self.commit} (with uncommitted changes)" if self.changed else self.commit


def code_state() -> CodeState:
    """The last commit that changed the code (:data:`CODE_PATHS`) and its uncommitted code changes.

    The commit of the *code*, not of the checkout: a later commit that touches only the README or
    the reports does not change what produced the numbers, so it must not change the pages."""
    root = Path(__file__).resolve().parents[1]
    run = functools.partial(subprocess.run, capture_output=True, text=True, check=True, timeout=10, cwd=root)
    try:
        if run(["git", "rev-parse", "--show-toplevel"]).stdout.strip() != str(root):
            return CodeState(None, ())  # installed into site-packages, inside someone else's repository
        commit = run(["git", "log", "-1", "--format=%h", "--", *CODE_PATHS]).stdout.strip()
        status = run(["git", "status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS]).stdout
    except (OSError, subprocess.SubprocessError):
        return CodeState(None, ())
    changed = tuple(line[3:] for line in status.splitlines() if line.strip() and not line.endswith(".pyc"))
    return CodeState(commit or None, changed)


def repository_reports() -> Path | None:
    """The repository's own reports/ folder, when the package runs from a git checkout."""
    state = code_state()
    return Path(__file__).resolve().parents[1] / "reports" if state.commit is not None else None


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
