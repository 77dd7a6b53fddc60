"""The reports: Markdown + HTML written, MathML present, images exist, errata, reproducibility,
``report --check``, atomic writing, and the LaTeX → MathML conversion of every string the suite
produces."""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from ebmcheck.checks import registry
from ebmcheck.checks.anatomy import Check, Claim, Source, ZTest
from ebmcheck.checks.cli import main
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.figures import new_figure, simulation_points, theory_line
from ebmcheck.checks.report import render
from ebmcheck.checks.report.mathtext import MathRenderer, latex_strings, markdown_prose, mathml_problem
from ebmcheck.checks.report.parts import CLAIM_TESTS, claim_parts, describe_callable
from ebmcheck.checks.report.write import write_reports
from ebmcheck.checks.runner import run_claims
from ebmcheck.checks.score_matching import CLAIMS as SCORE_MATCHING
from ebmcheck.derivations.steps import Assumption, Derivation, Step

# The items share a module-scoped fixture: one pytest-xdist worker builds it once.
pytestmark = pytest.mark.xdist_group("module:test_report")

ROOT = Path(__file__).resolve().parents[1]
CONFIG = RunConfig(seed=20261123, profile="quick", backend="numpy")
UNCONVERTIBLE = r"a \middle| b"  # latex2mathml 3.x cannot convert \middle


# ---- a synthetic claim: fast, with a figure, a diverged check, unconvertible LaTeX ---------------
def _toy_derivation() -> Derivation:
    x = sp.Symbol("x", positive=True)
    positive = Assumption("x-positive", r"x > 0", "x is positive so that $\\log x$ is defined")
    return Derivation(
        "a toy derivation",
        (
            Step(sp.log(x**2), 2 * sp.log(x), "logarithm of a square", (positive,)),
            Step(sp.diff(x**3, x), 3 * x**2, "power rule"),
            Step(sp.log(x**2), sp.log(x) ** 2, "the printed log x² = (log x)² is wrong", relation="≠", erratum="eq. (2)"),
        ),
        notes="Three steps, all symbolic; the last shows a printed step wrong.",
    )


def _toy_checks(context) -> list[Check]:
    figure, (axis,) = new_figure()
    theory_line(axis, [0, 1], [0, 1], "theory")
    simulation_points(axis, [0.5], [0.5], [0.1], "simulation")
    axis.set_xlabel("$x$")
    axis.set_ylabel("$y$")
    context.add_figure("toy", figure, "A toy figure: theory as a line, simulation as points.")
    return [
        Check("toy | with a pipe", r"\mathbb{E}[\|X\|^2]", ZTest(1.0, 1.01, 0.01), ZTest(2.0, 1.01, 0.01), "twice the truth"),
        Check("toy diverged", r"\operatorname{tr}(\Sigma)", ZTest(1.0, math.nan, 0.01), ZTest(2.0, math.nan, 0.01), "a control"),
    ]


TOY = Claim(
    id="toy-claim",
    title="A toy claim with $x^2$ in prose",
    topic="toy",
    sources=(Source("999", "eq. (1)", UNCONVERTIBLE),),
    expected_verdict="inconclusive",
    derivation=_toy_derivation,
    checks=_toy_checks,
    summary="The summary mentions $\\sqrt{x}$ inline.",
)


def _by_id(*ids):
    return [next(c for c in SCORE_MATCHING if c.id == i) for i in ids]


@pytest.fixture(scope="module")
def results():
    """Real claims (a figure, a refuted statement) plus the synthetic one."""
    return run_claims([*_by_id("hyvarinen-identity", "hyvarinen-identity-review-eq54"), TOY], CONFIG, progress=False)


@pytest.fixture(scope="module")
def written(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "reports"
    summary = write_reports(results, out, CONFIG)
    return out, summary


def _visible_text(page: str) -> str:
    """Text a reader sees: no script/style, no MathML markup, no LaTeX fallbacks."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<math\b.*?</math>", " ", page, flags=re.S)
    page = re.sub(r'<code class="latex">.*?</code>', " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# ---- files and content -----------------------------------------------------------------------------
def test_every_page_is_written(written, results):
    out, summary = written
    for name in ("index.md", "index.html", "errata.md", "errata.html", "results.json"):
        assert (out / name).is_file(), name
    for result in results:
        for suffix in (".md", ".html"):
            assert (out / "claims" / f"{result.claim.id}{suffix}").is_file()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == sorted(f for r in results for f, _, _ in r.figures)
    assert summary.figures == len(figures) and summary.pages == 2 * (len(results) + 2)


def test_index_lists_every_claim_with_source_verdict_and_link(written, results):
    out, _ = written
    markdown, page = (out / "index.md").read_text(), (out / "index.html").read_text()
    for result in results:
        cid = result.claim.id
        assert f"](claims/{cid}.md)" in markdown and f'href="claims/{cid}.html"' in page
        assert f'<span class="badge {result.verdict}">{result.verdict}</span>' in page
        assert f"**{result.verdict}**" in markdown
        for source in result.claim.sources:
            assert f"seed {source.seed_file}, {source.location}" in markdown


def test_html_math_is_mathml_and_no_raw_dollars(written):
    out, summary = written
    pages = [out / "index.html", out / "errata.html", *sorted((out / "claims").glob("*.html"))]
    for path in pages:
        page = path.read_text()
        visible = _visible_text(page)
        assert "$$" not in visible, f"raw $$ in {path.name}"
        assert not re.search(r"\$[^$\s][^$]*\$", visible), f"raw inline $…$ in {path.name}"
        assert "<link" not in page and not re.search(r"""(src|href)=["']https?:""", page), f"{path.name} loads from the network"
    claim_page = (out / "claims" / "hyvarinen-identity.html").read_text()
    assert claim_page.count("<math") >= 10 and 'display="block"' in claim_page and "<mfrac>" in claim_page
    assert summary.math_converted > 20


def test_unconvertible_latex_falls_back_to_code_and_is_counted(written):
    out, summary = written
    assert [latex for latex, _ in summary.math_failures] == [UNCONVERTIBLE]
    page = (out / "claims" / "toy-claim.html").read_text()
    assert f'<code class="latex">{html.escape(UNCONVERTIBLE)}</code>' in page
    # prose with inline $…$ is converted
    assert "<msqrt>" in page and "<msup>" in page.split("</h1>")[0]


def test_every_image_referenced_exists_and_every_figure_is_shown(written):
    out, _ = written
    referenced = set()
    for path in [*out.glob("*.md"), *out.glob("*.html"), *(out / "claims").iterdir()]:
        text = path.read_text()
        targets = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text) + re.findall(r'<img[^>]*\ssrc="([^"]+)"', text)
        for target in targets:
            image = (path.parent / target).resolve()
            assert image.is_file(), f"{path.name} shows {target}, which does not exist"
            referenced.add(image)
    assert referenced == {p.resolve() for p in (out / "figures").iterdir()}


def test_figures_are_legible_pngs(written):
    out, _ = written
    for path in (out / "figures").iterdir():
        width, height = render._png_size(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and width >= 600 and height >= 300


def test_claim_page_holds_statement_derivation_checks_provenance(written, results):
    out, _ = written
    result = next(r for r in results if r.claim.id == "hyvarinen-identity-review-eq54")
    markdown = (out / "claims" / f"{result.claim.id}.md").read_text()
    page = (out / "claims" / f"{result.claim.id}.html").read_text()
    source = result.claim.sources[0]
    assert f"Seed `{source.seed_file}`" in markdown and source.location in markdown and source.statement in markdown
    assert "## Corrected statement" in markdown and result.claim.corrected in markdown
    assert f'alttext="{html.escape(" ".join(result.claim.corrected.split()), quote=True)}"' in page
    for step in result.steps:
        assert markdown_prose(step.step.justification) in markdown and MathRenderer().prose(step.step.justification) in page
        assert step.step.latex() in markdown
    assert "proved symbolically (SymPy)" in markdown and "steps: " in markdown
    for index, check in enumerate(result.checks, start=1):
        assert f'<tr id="check-{index}"' in page and f'<a id="check-{index}"></a>{index}' in markdown
        assert html.escape(check.name) in page
    for heading in ("prediction", "estimate", "SE", "threshold", "pass", "negative control"):
        assert heading in markdown and heading in page
    for item in ("seed 20261123", "profile quick", "backend numpy", "commit", "numpy", "sympy", "BLAS", "ebmcheck 0.1"):
        assert item in _visible_text(page), item
        assert item.lower() in markdown.lower(), item
    assert "run time" not in _visible_text(page).lower() and "run time" not in markdown.lower()  # re-runs change no page


def test_assumptions_conditions_and_step_status_are_shown(written, results):
    out, _ = written
    result = next(r for r in results if r.claim.id == "hyvarinen-identity")
    page = (out / "claims" / "hyvarinen-identity.html").read_text()
    markdown = (out / "claims" / "hyvarinen-identity.md").read_text()
    for assumption in result.claim.derivation().assumptions:
        assert f"<strong>{assumption.name}</strong>" in page and f"**{assumption.name}**" in markdown
    for condition in result.claim.conditions:
        assert MathRenderer().prose(condition) in page and markdown_prose(condition) in markdown
    assert 'class="step-status symbolic"' in page


def test_diverged_check_and_inconclusive_reasons_are_reported(written):
    out, _ = written
    page = (out / "claims" / "toy-claim.html").read_text()
    markdown = (out / "claims" / "toy-claim.md").read_text()
    assert "diverged" in page and "| diverged |" in markdown
    assert "Why the verdict is inconclusive" in page
    assert "inconclusive" in page


def test_markdown_math_and_tables_render_on_a_code_host(written):
    out, _ = written
    for path in [*out.glob("*.md"), *(out / "claims").glob("*.md")]:
        text = path.read_text()
        assert text.count("\n$$\n") % 2 == 0 or text.count("$$") % 2 == 0, f"unbalanced $$ in {path.name}"
        for block in re.findall(r"\n\$\$\n(.*?)\n\$\$\n", text, flags=re.S):
            assert "\n\n" not in block, f"blank line inside a $$ block of {path.name}"
        # every table row has as many cells as its header (pipes inside cells are escaped)
        for table in re.findall(r"((?:^\|.*\|\n)+)", text, flags=re.M):
            rows = table.splitlines()
            widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
            assert len(widths) == 1, f"ragged table in {path.name}: {rows[0]}"
    toy = (out / "claims" / "toy-claim.md").read_text()
    assert r"| toy \| with a pipe: $`\mathbb{E}[\\|X\\|^2]`$ |" in toy


def test_errata_lists_every_refuted_claim_with_evidence_links(written, results):
    out, _ = written
    markdown, page = (out / "errata.md").read_text(), (out / "errata.html").read_text()
    for result in results:
        cid = result.claim.id
        if result.verdict == "refuted":
            assert f"claims/{cid}.md#checks" in markdown and f'href="claims/{cid}.html#checks"' in page
            assert result.claim.corrected in markdown
            for index in range(1, len(result.checks) + 1):
                assert f"claims/{cid}.md#check-{index})" in markdown and f'claims/{cid}.html#check-{index}"' in page
            for source in result.claim.sources:
                assert source.location in markdown and source.statement in markdown
        elif not any(r.step.erratum for r in result.steps):
            assert f"claims/{cid}.md" not in markdown and f"claims/{cid}.html" not in page
    assert any(r.verdict == "refuted" for r in results)


def test_errata_list_every_printed_step_a_derivation_shows_wrong(written, results):
    """Steps marked ``erratum`` appear on the errata page (with a link to the step), also for a
    claim that is not refuted, and are flagged on the claim's own page."""
    out, _ = written
    markdown, page = (out / "errata.md").read_text(), (out / "errata.html").read_text()
    marked = [(result, index, r.step) for result in results for index, r in enumerate(result.steps, start=1) if r.step.erratum]
    assert any(result.verdict != "refuted" for result, _, _ in marked)
    for result, index, step in marked:
        cid = result.claim.id
        assert f"- {step.erratum}: {step.justification}" in markdown
        assert f'href="claims/{cid}.html#step-{index}"' in page and step.erratum in page
        assert f"{step.erratum} as printed is wrong" in (out / "claims" / f"{cid}.md").read_text()
    assert "Printed steps that are wrong inside claims not refuted" in markdown


# ---- results.json and reproducibility --------------------------------------------------------------
def test_results_json_has_no_timings_and_reproduces_byte_for_byte(written, results, tmp_path):
    out, _ = written
    text = (out / "results.json").read_text()
    assert "seconds" not in text and "time" not in json.loads(text)["provenance"]
    again = run_claims([r.claim for r in results], CONFIG, progress=False)
    write_reports(again, tmp_path / "again", CONFIG)
    assert (tmp_path / "again" / "results.json").read_bytes() == (out / "results.json").read_bytes()
    assert sorted(p.name for p in (tmp_path / "again" / "figures").iterdir()) == sorted(p.name for p in (out / "figures").iterdir())


def test_cli_report_check_reproduces_and_detects_a_modified_number(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "CLAIMS", (TOY,))
    runner = CliRunner()
    out = tmp_path / "reports"
    written = runner.invoke(main, ["report", "--out", str(out)])
    assert written.exit_code == 0, written.output  # the toy claim is inconclusive, as recorded
    assert (out / "index.html").is_file()
    check = runner.invoke(main, ["report", "--check", "--out", str(out)])
    assert check.exit_code == 0, check.output
    assert "reproduced (compared exactly (same platform))" in check.output
    document = json.loads((out / "results.json").read_text())
    document["claims"][0]["checks"][0]["estimate"] = 1.02
    (out / "results.json").write_text(json.dumps(document))
    check = runner.invoke(main, ["report", "--check", "--out", str(out)])
    assert check.exit_code == 1
    assert "/claims[toy-claim]/checks[toy | with a pipe]/estimate: committed 1.02, regenerated 1.01" in check.output
    missing = runner.invoke(main, ["report", "--check", "--out", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


# ---- atomic writing (what it must never delete: tests/test_destination.py) ---------------------------
def _old_reports(out: Path) -> None:
    """A report folder as written before the manifest existed (recognised by its results.json)."""
    (out / "claims").mkdir(parents=True)
    (out / "index.md").write_text("old index\n")
    (out / "claims" / "old.md").write_text("old claim\n")
    (out / "results.json").write_text('{"provenance": {}, "claims": []}\n')


def _snapshot(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def test_an_error_mid_write_leaves_the_old_reports_intact(results, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    _old_reports(out)
    before = _snapshot(out)
    calls = []

    def failing_save(figure, path):
        calls.append(path)
        assert (Path(path).parents[1] / "results.json").is_file()  # mid-write: results.json is staged
        raise OSError("disk full")

    monkeypatch.setattr(render, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        write_reports(results, out, CONFIG)
    assert calls and _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # no staging folder left behind
    assert not [p for p in out.iterdir() if p.name.startswith(".ebmcheck-staging")]


def test_a_template_error_leaves_the_old_reports_intact(results, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    _old_reports(out)
    before = _snapshot(out)

    def failing_view(result, figures):
        raise RuntimeError("template bug")

    monkeypatch.setattr(render, "_claim_view", failing_view)
    with pytest.raises(RuntimeError, match="template bug"):
        write_reports(results, out, CONFIG)
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_success_replaces_the_old_reports_completely(results, tmp_path):
    out = tmp_path / "reports"
    _old_reports(out)
    write_reports(results, out, CONFIG)
    assert not (out / "claims" / "old.md").exists() and "old index" not in (out / "index.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_stale_staging_of_a_killed_run_is_removed(results, tmp_path):
    out = tmp_path / "reports"
    _old_reports(out)
    stale = out / ".ebmcheck-staging-999999999-abc"  # a staging folder of a process that is gone
    (stale / "claims").mkdir(parents=True)
    write_reports(results, out, CONFIG)
    assert not stale.exists() and (out / "index.html").is_file()


# ---- LaTeX -> MathML ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "latex",
    [
        r"\operatorname{tr}(J_x s_\theta)",
        r"\mathbb{E}_{x \sim p}\left[\frac{1}{2}\|\nabla_x \log p_\theta(x)\|^2\right]",
        r"\tfrac12 \|s\|^2",
        r"\mathbb{E}_*\big[\tfrac12\|s_{\theta}\|^{2} + \text{tr}(J_{x}s_{\theta})\big]",
        r"\big\| x \big\| + \Bigl\langle x, y \Bigr\rangle + \bigl\{ z \bigr\}",
        r"\operatorname{arg}\min_\theta L(\theta) = \arg\min_\theta L(\theta)",
        r"\frac{\partial^{2}}{\partial x_{1}^{2}} \ell{\left(x_{1},x_{2} \right)}",
        r"\left[\begin{matrix}1 & x\\y & 2\end{matrix}\right]",
        r"\lim_{|x|\to\infty} p(x)\, s_\theta(x) = 0 \text{ (and no boundary)}",
        r"\Sigma^{-1}(x - \mu) \neq \Sigma (x-\mu)",
    ],
)
def test_math_renderer_converts_common_constructs(latex):
    renderer = MathRenderer()
    mathml = renderer(latex, display=True)
    assert mathml.startswith("<math") and 'display="block"' in mathml, renderer.failures
    assert not renderer.failures and not mathml_problem(str(mathml))


@pytest.mark.parametrize("latex", [UNCONVERTIBLE, r"\tr(A)", r"\frac{1}{"])
def test_math_renderer_falls_back_to_the_source(latex):
    renderer = MathRenderer()
    fallback = renderer(latex)
    assert f'<code class="latex">{html.escape(latex)}</code>' in fallback and "<math" not in fallback
    assert [failure[0] for failure in renderer.failures] == [latex]


def test_function_names_get_a_thin_space():
    mathml = str(MathRenderer()(r"\log p + \log(x)"))
    assert '<mi>log</mi><mspace width="0.1667em"></mspace><mi>p</mi>' in mathml
    assert '<mi>log</mi><mo stretchy="false">&#x00028;' in mathml


def test_every_latex_string_of_the_registered_claims_converts(results):
    """Statements, corrections, assumptions and derivation steps of every registered claim, and
    the check quantities of the claims run here, convert to MathML without a fallback."""
    strings = [latex for r in results if r.claim is not TOY for latex in latex_strings(r)]
    for claim in registry.CLAIMS:
        strings += [s.statement for s in claim.sources] + ([claim.corrected] if claim.corrected else [])
        derivation = claim.derivation()
        strings += [step.latex() for step in derivation.steps] + [a.latex for a in derivation.assumptions]
    renderer = MathRenderer()
    for latex in strings:
        renderer(latex, display=True)
    assert not renderer.failures, "\n".join(f"{why}: {latex[:120]}" for latex, why in renderer.failures)
    assert any(len(latex) > 1000 for latex in strings)  # long SymPy output is among them


def test_markdown_cell_and_number_format():
    assert render._markdown_cell("a|b\n c") == r"a\|b c"
    assert [render._format(v) for v in (None, math.nan, 0.0, 1e-17, 0.5, 123456.0, math.inf)] == [
        "—", "—", "0", "1.000e-17", "0.5", "1.235e+05", "∞",
    ]


def test_writing_leaves_nothing_beside_the_report_folder(results, tmp_path):
    write_reports(results, tmp_path / "out", CONFIG)
    assert os.listdir(tmp_path) == ["out"]


# ---- from a claim to its parts ------------------------------------------------------------------------
def test_claim_pages_and_index_name_the_code(written, results):
    out, _ = written
    result = next(r for r in results if r.claim.id == "hyvarinen-identity")
    markdown = (out / "claims" / "hyvarinen-identity.md").read_text()
    page = (out / "claims" / "hyvarinen-identity.html").read_text()
    expected = {
        "topic": "score_matching",
        "derivation": "ebmcheck.derivations.score_matching:hyvarinen_identity",
        "checks": "ebmcheck.checks.score_matching:hyvarinen_checks",
        "tests": 'python -m pytest tests/test_claims.py -k "[hyvarinen-identity]"',
    }
    parts = claim_parts(result.claim).__dict__
    assert parts.pop("backend").startswith("host only (numpy whatever --backend): quadrature")
    assert parts == expected
    section = markdown.split("## Code\n", 1)[1].split("## Provenance", 1)[0]
    for label, value in expected.items():
        assert f"| {label} | `{value}` |" in section
        assert f"<dt>{label}</dt><dd><code>{value}</code></dd>" in html.unescape(page)
    assert "| backend | host only (numpy whatever --backend): " in section
    assert '<a href="#code">code</a>' in page
    for index in (out / "index.md").read_text(), (out / "index.html").read_text():
        assert "score_matching" in index and "toy" in index  # the topic column
    # code locations are not results: results.json does not hold them
    assert "ebmcheck.derivations" not in (out / "results.json").read_text()


def _decorated(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper


class _Checks:
    def __call__(self, context):
        return []


def test_describe_callable_unwraps_partials_and_decorators_and_names_a_lambda_honestly():
    assert describe_callable(_toy_derivation) == f"{__name__}:_toy_derivation"
    assert describe_callable(_decorated(_toy_checks)) == f"{__name__}:_toy_checks"
    assert describe_callable(functools.partial(_toy_checks, 3, scale=2)) == (
        f"{__name__}:_toy_checks with 3, scale=2 bound (functools.partial)")
    assert describe_callable(_Checks()) == f"{__name__}:_Checks.__call__"
    line = sys._getframe().f_lineno + 1
    anonymous = lambda context: []  # noqa: E731
    described = describe_callable(anonymous)
    assert described == (f"a lambda in {__name__}, line {line}, inside "
                         f"{__name__}:test_describe_callable_unwraps_partials_and_decorators_and_names_a_lambda_honestly")
    assert "<lambda>" not in described and "<locals>" not in described


def test_every_claim_is_found_by_its_topic_not_by_its_id():
    """8 of the ids do not start with their topic (``hyvarinen-identity`` is score_matching): the
    topic, read from the claim, names the modules that hold its derivation and its checks."""
    not_prefixed = [c.id for c in registry.CLAIMS if not c.id.replace("-", "_").startswith(c.topic)]
    assert "hyvarinen-identity" in not_prefixed and "fisher-information-unnormalized" in not_prefixed
    for claim in registry.CLAIMS:
        parts = claim_parts(claim)
        derivation_module, checks_module = parts.derivation.split(":")[0], parts.checks.split(":")[0]
        assert derivation_module.startswith("ebmcheck.derivations.") and claim.topic in derivation_module.split("."), claim.id
        assert checks_module.startswith("ebmcheck.checks.") and claim.topic in checks_module.split("."), claim.id


def _collected(command: list[str]) -> list[str]:
    run = subprocess.run([sys.executable, *command[1:], "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_the_pytest_line_selects_exactly_the_claims_test_items():
    """For ids that begin other ids (hyvarinen-identity, hyvarinen-identity-factor-two): the
    page's ``pytest -k`` line runs that claim's items of the claims' test file and nothing else."""
    every_item = _collected(["python", "-m", "pytest", CLAIM_TESTS])
    for claim_id in ("hyvarinen-identity", "cnce-asymptotic-covariance"):
        command = shlex.split(claim_parts(registry.get_claim(claim_id)).tests)
        assert command[:3] == ["python", "-m", "pytest"]
        expected = [item for item in every_item if item.endswith(f"[{claim_id}]")]
        assert len(expected) >= 4 and _collected(command) == expected, claim_id
