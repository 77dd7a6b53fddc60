"""How the reports show mathematics: SymPy symbol names printed as mathematics (θ*, log p_d(x)),
no raw LaTeX (``\\cmd``, ``^``, ``_``) left in the visible text of the HTML, titles as plain
Unicode where markup does not belong, inline mathematics of the Markdown as ``$`…`$``, and
display equations that do not clip at a 1280-px window (cut into lines, the rest scrolling in
their own box)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import sympy as sp

from ebmcheck.checks import registry
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.report.mathtext import (
    DISPLAY_WIDTH,
    MathRenderer,
    estimated_width,
    markdown_prose,
    plain_text,
    prose_segments,
    split_display,
)
from ebmcheck.checks.report.write import write_reports
from ebmcheck.checks.runner import run_claims
from ebmcheck.derivations.steps import SYMBOL_LATEX

# The items share a module-scoped fixture: one pytest-xdist worker builds it once.
pytestmark = pytest.mark.xdist_group("module:test_report_rendering")

ROOT = Path(__file__).resolve().parents[1]
CONFIG = RunConfig(seed=20261123, profile="quick", backend="numpy")
# fast claims with SymPy names (θ*, log p_d(x), (C_1)_12), prose fragments (s_p, E_{p0}, e^{−U_μ}),
# a title with mathematics and long derivation steps
CLAIM_IDS = ("hyvarinen-identity-factor-two", "nce-identifiability", "cnce-loss-symmetry", "toy-nce-with-normalizer",
             "cnce-asymptotic-covariance")
# how SymPy names printed verbatim look: θ_{star}, lpd_{x}, lpn_{yx}, logZ, C_{1 12}
SYMPY_IDENTIFIER = re.compile(r"star(?![a-z])|lp[dn]|logZ|[A-Z]_\{\d \d\d\}")  # "star" not inside a word ("starts")
RAW_LATEX = re.compile(r"\\[A-Za-z]+|[\^_]")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    results = run_claims([registry.get_claim(i) for i in CLAIM_IDS], CONFIG, progress=False)
    out = tmp_path_factory.mktemp("rendering") / "reports"
    write_reports(results, out, CONFIG)
    return out


def _html_pages(out):
    return [out / "index.html", out / "errata.html", *sorted((out / "claims").glob("*.html"))]


def _visible_text(page: str) -> str:
    """What a reader sees as text: no script, style, MathML, code or provenance table (package
    and CPU-feature names such as AVX512_SKX are names, not mathematics)."""
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<math\b.*?</math>", " ", page, flags=re.S)
    page = re.sub(r"<code\b.*?</code>", " ", page, flags=re.S)
    page = re.sub(r'<dl class="provenance">.*?</dl>', " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# ---- SymPy symbol names -------------------------------------------------------------------------
def test_every_derivation_step_prints_symbols_as_mathematics():
    printed = {c.id: [s.latex() for s in c.derivation().steps] for c in registry.CLAIMS}
    garbage = {cid: SYMPY_IDENTIFIER.findall(" ".join(steps)) for cid, steps in printed.items()}
    assert not {cid: found for cid, found in garbage.items() if found}
    toy = " ".join(printed["toy-nce-fixed-point"])
    assert r"\theta^{*}" in toy and "theta_{star}" not in toy
    theorem1 = " ".join(printed["cnce-asymptotic-covariance"])
    assert r"\log p_{d}(x)" in theorem1 and "(C_{1})_{12}" in theorem1 and r"\mathbb{E}" in theorem1


def test_the_symbol_table_names_symbols_the_derivations_declare():
    printed = {s.name for c in registry.CLAIMS for step in c.derivation().steps
               for side in (step.lhs, step.rhs) for s in sp.sympify(side).atoms(sp.Symbol)}
    sources = " ".join(path.read_text() for path in (ROOT / "derivations").glob("*.py"))
    for name in SYMBOL_LATEX:
        assert name in printed or re.search(rf"\b{name}\b", sources), name


def test_no_sympy_identifier_in_the_mathematics_of_the_pages(written):
    for path in _html_pages(written):
        identifiers = re.findall(r"<mi>([^<]{2,})</mi>", path.read_text())
        assert not [i for i in identifiers if SYMPY_IDENTIFIER.search(i)], path.name


# ---- raw LaTeX in prose -------------------------------------------------------------------------
def test_no_raw_latex_in_the_visible_text_of_any_page(written):
    for path in _html_pages(written):
        visible = _visible_text(path.read_text())
        leftovers = [visible[max(0, m.start() - 30):m.end() + 30] for m in RAW_LATEX.finditer(visible)]
        assert not leftovers, f"{path.name}: {leftovers[:5]}"
        assert not SYMPY_IDENTIFIER.search(visible), path.name


def test_prose_fragments_become_mathml():
    math = MathRenderer()
    rendered = math.prose("so E_{p0}[−log σ(−F)] = E_{p1}[−log σ(F)] and λ_min, e^{−L²/8}, ‖s_θ‖²; code `a_b`")
    assert rendered.count("<math") == 5 and "<msub>" in rendered and "<msup>" in rendered
    assert not RAW_LATEX.search(_visible_text(str(rendered)).replace("`a_b`", ""))
    assert "<code" not in rendered and "`a_b`" in rendered  # code is left alone
    assert math.failures == []  # found fragments are never counted as failures
    # one fragment spans the words inside a bracket it opens
    assert [k for k, _ in prose_segments("tr E_p[∇log f ∇log fᵀ] (forgetting")] == ["text", "found", "text"]


def test_titles_are_plain_text_in_title_elements_and_the_index(written):
    pages = _html_pages(written)
    for path in pages:
        title = html.unescape(re.search(r"<title>(.*?)</title>", path.read_text(), re.S).group(1))
        assert not re.search(r"[\\^_${}<]", title), f"{path.name}: {title}"
    assert "<title>Dθ = D* if and only if pθ = pd — ebmcheck</title>" in (written / "claims" / "nce-identifiability.html").read_text()
    index = (written / "index.html").read_text()
    cells = re.findall(r'<td><a href="claims/[^"]+\.html">(?!<code>)(.*?)</a></td>', index)
    assert len(cells) == len(CLAIM_IDS)
    for cell in cells:
        assert "<" not in cell and not re.search(r"[\\^_$]", html.unescape(cell)), cell
    for line in (written / "index.md").read_text().splitlines():
        if line.startswith("| [`"):
            title = line.split(" — ", 1)[1].split(" | ", 1)[0]
            assert not re.search(r"[\\^_$`]", title), title
    assert plain_text(r"$\mathbb{E}[X^2] \le \frac{a}{b}$ and s_θ") == "𝔼[X²] ≤ a/b and sθ"


def test_markdown_shows_inline_mathematics_as_dollar_backquote(written):
    for path in [*written.glob("*.md"), *(written / "claims").glob("*.md")]:
        text = re.sub(r"\$`[^`]*`\$", " ", path.read_text())  # inline mathematics in the project's form
        text = re.sub(r"\n\$\$\n.*?\n\$\$\n", "\n", text, flags=re.S)  # display blocks
        text = re.sub(r"`[^`]*`", " ", text)  # code
        text = re.sub(r"^\| platform .*$|^\| numpy .*$", " ", text, flags=re.M)  # provenance rows
        assert "$" not in text, f"{path.name}: a $…$ not in the $`…`$ form"
        assert not re.search(r"\\[A-Za-z]+|[\^]", text), f"{path.name}: raw LaTeX"
    claim = (written / "claims" / "nce-identifiability.md").read_text()
    assert claim.startswith(r"# $`D_\theta = D^*`$ if and only if $`p_\theta = p_d`$")
    assert markdown_prose("with e^{−U_μ} here") == r"with $`e^{-U_{μ}}`$ here"


# ---- long display equations -----------------------------------------------------------------------
def test_display_math_sits_in_a_scrolling_box_that_never_clips(written):
    page = (written / "claims" / "cnce-asymptotic-covariance.html").read_text()
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    rule = re.search(r"\.equation \{([^}]*)\}", style).group(1)
    assert "overflow-x: auto" in rule and "max-width: 100%" in rule and "scrollbar-width" in rule
    for path in _html_pages(written):
        text = re.sub(r"<style>.*?</style>", "", path.read_text(), flags=re.S)
        outside = re.sub(r'<div class="equation">.*?</div>\n', "", text, flags=re.S)
        assert 'display="block"' not in outside, f"{path.name}: display math outside an .equation box"


def test_long_equations_are_cut_into_lines_at_the_top_level(written):
    step = next(s for s in registry.get_claim("toy-nce-fixed-point").derivation().steps if estimated_width(s.latex()) > 1.5 * DISPLAY_WIDTH)
    lines = split_display(step.latex())
    assert len(lines) >= 2 and all(estimated_width(line) <= DISPLAY_WIDTH for line in lines)
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", step.latex())
    # cut only before a top-level relation or sum sign, and the relation starts its own line
    assert all(line.lstrip()[:1] in "=+-" for line in lines[1:]) and any(line.startswith("=") for line in lines[1:])
    assert split_display(r"\left(a + b\right) = c") == [r"\left(a + b\right) = c"]  # short: one line
    page = (written / "claims" / "cnce-asymptotic-covariance.html").read_text()
    assert '<div class="lines"' in page and 'class="line"' in page
