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
numpy dispatches on: numpy's SIMD kernels (AVX2 vs AVX-512) round differently in the last bit,
which moves numbers that are rounding noise (a quadrature residual of 1e-17). ``ebmcheck report
--check`` therefore compares exactly when the recorded platform is this one, and otherwise
within :data:`CROSS_PLATFORM_RTOL` of each number's *statistical resolution* (see
:func:`compare_results`); strings, flags and verdicts are always compared exactly.

Run times and the commit go to the pages' provenance blocks only. Reports are written into a
staging folder beside ``out`` that replaces ``out`` by renames, so an interrupted run never
leaves a half-written folder (see :func:`write_reports`).
"""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2

from checks.anatomy import ALPHA, ClaimResult, critical_z
from checks.figures import save
from checks.mathtext import INLINE_MATH, MathRenderer

# Libraries whose versions can change the numbers: recorded in results.json.
LIBRARIES = ("ebmcheck", "numpy", "scipy", "sympy", "mpmath")
# Libraries that only shape the pages: shown in the provenance block, not in results.json.
REPORT_LIBRARIES = ("matplotlib", "jinja2", "latex2mathml", "click")

CROSS_PLATFORM_RTOL = 1e-2
"""Default tolerance of ``report --check`` when the platform differs from the recorded one.

A number agrees when it differs by at most 1 % of its statistical resolution (for a check's
estimate: its standard error; for a z statistic: 1). Measured: running the quick profile with
numpy's AVX-512 kernels disabled moves 87 numbers, the largest by 9e-4 of this scale.
"""

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


def platform_fingerprint() -> dict[str, str]:
    """What, besides the code and the seed, decides the last bits of the numbers."""
    return {
        "python": platform.python_version(),
        "system": platform.system(),
        "machine": platform.machine(),
        "numpy_cpu_features": _numpy_cpu_features(),
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


# ---- comparing results documents ----------------------------------------------------------------
_STATISTICAL_KEYS = ("prediction", "estimate", "standard_error")


def compare_results(committed: Any, fresh: Any, rtol: float = 0.0, path: str = "") -> list[str]:
    """Paths where two results documents differ, one line each; ``[]`` when they agree.

    With ``rtol = 0`` numbers must be equal. Otherwise a number agrees when
    :math:`|a - b| \\le \\mathrm{rtol}\\cdot\\max(|a|, |b|, s)` where the scale ``s`` is its
    statistical resolution: inside a test record (a dict with ``estimate`` and
    ``standard_error``) the standard error for ``prediction``/``estimate``/``standard_error``
    and 1 for the z ``statistic``; 0 elsewhere (a plain relative tolerance). Strings, booleans,
    ``null`` and verdicts must be equal. Lists of records with unique ``id`` (claims) or
    ``name`` (checks) are matched by that key, so a missing or extra claim is named.
    """
    if rtol < 0 or not math.isfinite(rtol):
        raise ValueError(f"rtol={rtol!r} must be a finite number >= 0")
    return list(_compare(committed, fresh, rtol, path or "", None))


def _keyed(items: list) -> str | None:
    for key in ("id", "name"):
        if items and all(isinstance(i, dict) and isinstance(i.get(key), str) for i in items):
            if len({i[key] for i in items}) == len(items):
                return key
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _compare(committed, fresh, rtol, path, scale):
    if isinstance(committed, dict) and isinstance(fresh, dict):
        scales: dict[str, float] = {}
        if "estimate" in committed and "standard_error" in committed:
            errors = [abs(v) for v in (committed.get("standard_error"), fresh.get("standard_error")) if isinstance(v, (int, float))]
            se = max(errors, default=0.0)
            scales = {key: se for key in _STATISTICAL_KEYS} | {"statistic": 1.0}
        for key in sorted(set(committed) | set(fresh)):
            if key not in fresh:
                yield f"{path}/{key}: committed {_short(committed[key])}, missing from the regenerated results"
            elif key not in committed:
                yield f"{path}/{key}: not in the committed results, regenerated {_short(fresh[key])}"
            else:
                yield from _compare(committed[key], fresh[key], rtol, f"{path}/{key}", scales.get(key))
        return
    if isinstance(committed, list) and isinstance(fresh, list):
        key = _keyed(committed) if _keyed(committed) == _keyed(fresh) else None
        if key is not None:
            old = {item[key]: item for item in committed}
            new = {item[key]: item for item in fresh}
            for name in old.keys() - new.keys():
                yield f"{path}[{name}]: committed, missing from the regenerated results"
            for name in new.keys() - old.keys():
                yield f"{path}[{name}]: regenerated, not in the committed results"
            order_old = [n for n in old if n in new]
            order_new = [n for n in new if n in old]
            if order_old != order_new:
                yield f"{path}: order differs: committed {order_old}, regenerated {order_new}"
            for name in order_old:
                yield from _compare(old[name], new[name], rtol, f"{path}[{name}]", None)
            return
        if len(committed) != len(fresh):
            yield f"{path}: committed {len(committed)} items, regenerated {len(fresh)}"
            return
        for index, (a, b) in enumerate(zip(committed, fresh)):
            yield from _compare(a, b, rtol, f"{path}[{index}]", None)
        return
    numbers = (int, float)
    if (
        isinstance(committed, numbers) and isinstance(fresh, numbers)
        and not isinstance(committed, bool) and not isinstance(fresh, bool)
    ):
        if committed == fresh or abs(committed - fresh) <= rtol * max(abs(committed), abs(fresh), scale or 0.0):
            return
    elif committed == fresh:
        return
    yield f"{path}: committed {_short(committed)}, regenerated {_short(fresh)}"


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing a committed results document with a regenerated one."""

    rtol: float
    same_platform: bool
    platform_notes: list[str]  # how the recorded platform differs from this one (not failures)
    differences: list[str]  # numbers, flags or verdicts that differ (failures)

    @property
    def reproduced(self) -> bool:
        return not self.differences

    def describe(self) -> str:
        if self.rtol == 0:
            return "compared exactly" + (" (same platform)" if self.same_platform else "")
        where = "" if self.same_platform else " (the platform differs from the recorded one)"
        return f"compared within rtol {self.rtol:g} of each number's statistical resolution{where}"


def compare_documents(committed: dict, fresh: dict, rtol: float | None = None) -> Comparison:
    """Compare two results documents: numbers, verdicts and flags; provenance only as notes.

    ``rtol=None`` picks the tolerance from the recorded platform: exact (0) when seed, profile,
    backend, library versions and platform all match, :data:`CROSS_PLATFORM_RTOL` otherwise.
    Seed, profile and backend must always match: a different run is not a reproduction.
    """
    old, new = committed.get("provenance", {}), fresh.get("provenance", {})
    run_keys = ("seed", "profile", "backend")
    run_differences = [
        f"/provenance/{k}: committed {old.get(k)!r}, regenerated {new.get(k)!r}" for k in run_keys if old.get(k) != new.get(k)
    ]
    environment_old = {k: v for k, v in old.items() if k not in run_keys}
    environment_new = {k: v for k, v in new.items() if k not in run_keys}
    notes = compare_results(environment_old, environment_new, 0.0, "/provenance")
    same_platform = not notes
    if rtol is None:
        rtol = 0.0 if same_platform else CROSS_PLATFORM_RTOL
    differences = run_differences + compare_results(committed.get("claims"), fresh.get("claims"), rtol, "/claims")
    return Comparison(rtol, same_platform, notes, differences)


# ---- writing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSummary:
    """What :func:`write_reports` wrote, and the LaTeX it could not convert to MathML."""

    out: Path
    pages: int
    figures: int
    math_converted: int
    math_failures: list[tuple[str, str]]


def write_reports(results: list[ClaimResult], out: Path, *, profile: str, backend: str, seed: int) -> ReportSummary:
    """Write every report into ``out``, replacing it only once everything has been written.

    Everything goes into a staging folder beside ``out`` (same file system); then ``out`` is
    renamed away, the staging folder renamed to ``out``, and the old folder deleted. An error
    while writing leaves ``out`` untouched. A process killed between the two renames leaves the
    complete old reports in ``.<out>-old``, which the next run puts back before it starts.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    retired = out.with_name(f".{out.name}-old")
    if not out.exists() and retired.is_dir():
        retired.rename(out)  # a previous run died between its two renames
    _remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-staging-{os.getpid()}-", dir=out.parent))
    try:
        summary = _write(results, staging, profile, backend, seed)
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReportSummary(out, summary.pages, summary.figures, summary.math_converted, summary.math_failures)


def _remove_stale_staging(out: Path) -> None:
    """Delete staging folders left by report runs that were killed (their process is gone)."""
    for folder in out.parent.glob(f".{out.name}-staging-*"):
        try:
            pid = int(folder.name.split("-staging-", 1)[1].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


def _replace(staging: Path, out: Path) -> None:
    """Swap the staged folder in: at every moment ``out`` is the complete old or new folder,
    except between the two renames, when the complete old one is ``.<out>-old``."""
    if out.exists():
        retired = out.with_name(f".{out.name}-old")
        shutil.rmtree(retired, ignore_errors=True)
        out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(out)


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
    page = jinja2.Environment(autoescape=True, **common)
    for environment in (markdown, page):
        environment.filters["num"] = _format
    return markdown, page


def _write(results: list[ClaimResult], out: Path, profile: str, backend: str, seed: int) -> ReportSummary:
    (out / "claims").mkdir(parents=True)
    (out / "figures").mkdir()
    document = results_document(results, profile, backend, seed)
    (out / "results.json").write_text(dump_results(document), encoding="utf-8")
    markdown, page = _environments()
    math = MathRenderer()
    page.filters["math"] = lambda latex: math(latex, display=True)
    page.filters["imath"] = lambda latex: math(latex, display=False)
    page.filters["prose"] = math.prose
    page.filters["plain"] = lambda text: INLINE_MATH.sub(lambda m: m.group(1), text)

    prov = _provenance_view(document["provenance"], results)
    common = {
        "alpha": ALPHA,
        "threshold": critical_z(),
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
    # Printed intermediate steps shown wrong inside claims that are not refuted as a whole
    # (a refuted claim's own entry lists its steps).
    step_errata = [v for v in views if v["verdict"] != "refuted" and v["errata_steps"]]
    counts = {verdict: sum(v["verdict"] == verdict for v in views) for verdict in VERDICT_MARKS}
    num_checks = sum(len(v["checks"]) for v in views)
    context = {**common, "claims": views, "refuted": refuted, "step_errata": step_errata, "counts": counts,
               "num_checks": num_checks, "root": ""}
    for name in ("index", "errata"):
        (out / f"{name}.md").write_text(markdown.get_template(f"{name}.md.j2").render(context), encoding="utf-8")
        (out / f"{name}.html").write_text(page.get_template(f"{name}.html.j2").render(context), encoding="utf-8")
    return ReportSummary(out, 2 * (len(views) + 2), num_figures, math.converted, list(math.failures))


def _claim_view(result: ClaimResult, figures: list[dict]) -> dict:
    """Everything a claim's pages show, computed once for both the Markdown and the HTML."""
    claim = result.claim
    derivation = _derivation(claim)
    checks = []
    for index, check in enumerate(result.checks, start=1):
        own_estimate = check.control.estimate != check.test.estimate or check.control.standard_error != check.test.standard_error
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
        "expected_verdict": claim.expected_verdict,
        "reasons": result.reasons,
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
        "figures": figures,
        "seconds": result.seconds,
    }


def _provenance_view(prov: dict, results: list[ClaimResult]) -> dict:
    return {
        "seed": prov["seed"],
        "profile": prov["profile"],
        "backend": prov["backend"],
        "python": prov["python"],
        "version": prov["versions"].get("ebmcheck", "unknown"),
        "commit": _commit(),
        "libraries": {k: v for k, v in prov["versions"].items() if k != "ebmcheck"} | _versions(REPORT_LIBRARIES),
        "platform": prov["platform"],
        "seconds": sum(r.seconds for r in results),
    }


def _commit() -> str:
    """Short commit hash of the code, marked when the working tree has uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        run = functools.partial(subprocess.run, capture_output=True, text=True, check=True, timeout=10, cwd=root)
        commit = run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip()
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit} (with uncommitted changes)" if dirty else commit


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
