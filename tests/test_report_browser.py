"""Render the HTML reports in headless Chromium with the network disabled.

For the index and one claim page — of a report generated here, and of the committed
``reports/`` — take a screenshot and assert from the rendered DOM that the mathematics is
MathML laid out by the browser (a fraction's numerator sits above its denominator), that no raw
``$$`` is left in the visible text, and that every image loaded (``naturalWidth > 0``). The pages
carry a small inline script that records these facts as data attributes of ``<body>`` once the
page has loaded; ``--dump-dom`` with a virtual-time budget returns the DOM after it ran.

Chromium: ``$EBMCHECK_CHROMIUM`` or the first of chromium / chromium-browser / google-chrome on
the PATH (``.ci/run`` installs Debian's ``chromium``). Without one the tests skip, saying so.
Screenshots go to ``$EBMCHECK_SCREENSHOTS`` when set (e.g. to keep them as CI artefacts).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.report.write import write_reports
from ebmcheck.checks.runner import run_claims
from ebmcheck.checks.score_matching import CLAIMS as SCORE_MATCHING

# The items share a module-scoped fixture: one pytest-xdist worker builds it once.
pytestmark = pytest.mark.xdist_group("module:test_report_browser")

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "reports"
CLAIM_PAGE = "hyvarinen-identity"  # has figures and long derivation steps


def _chromium() -> str | None:
    candidates = [os.environ.get("EBMCHECK_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless-browser test skipped: no Chromium found (set EBMCHECK_CHROMIUM, or install Debian's "
    "package: apt-get install -y chromium; .ci/run does this)",
)


def _run_chromium(url: str, *arguments: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="ebmcheck-chromium-") as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--proxy-server=127.0.0.1:9",  # the network is unreachable: any fetch would fail
            "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            *arguments,
            url,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _body_attributes(dom: str) -> dict[str, str]:
    body = re.search(r"<body\b([^>]*)>", dom)
    assert body, "no <body> in the rendered DOM"
    return {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', body.group(1))}


def _visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    dom = re.sub(r"<math\b.*?</math>", " ", dom, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


def _render(page: Path, screenshot: Path) -> tuple[dict[str, str], str]:
    """Screenshot ``page`` and return its body's data attributes and the rendered DOM."""
    url = page.resolve().as_uri()
    run = _run_chromium(url, "--dump-dom", f"--screenshot={screenshot}", "--window-size=1280,2400", "--hide-scrollbars")
    assert run.returncode == 0 and "<html" in run.stdout, f"chromium --dump-dom failed: {run.stderr[-2000:]}"
    assert screenshot.is_file(), f"chromium --screenshot wrote nothing: {run.stderr[-2000:]}"
    keep = os.environ.get("EBMCHECK_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(keep) / screenshot.name)
    return _body_attributes(run.stdout), run.stdout


def _assert_rendered(page: Path, screenshot: Path, *, expect_images: bool, expect_math: bool) -> None:
    attributes, dom = _render(page, screenshot)
    name = page.name
    assert attributes.get("data-images") == "loaded", (
        f"{name}: images did not all load: {attributes.get('data-broken-images') or attributes}"
    )
    count = int(attributes["data-image-count"])
    assert count == len(re.findall(r"<img\b", dom))
    if expect_images:
        assert count >= 1, f"{name}: no figure shown"
    assert int(attributes["data-math-count"]) == dom.count("<math"), f"{name}: MathML count mismatch"
    if expect_math:
        assert int(attributes["data-math-count"]) >= 1, f"{name}: no MathML in the DOM"
        assert attributes.get("data-mathml-layout") == "stacked", f"{name}: MathML is not laid out (fraction not stacked)"
    visible = _visible_text(dom)
    assert "$$" not in visible, f"{name}: raw $$ in the visible text"
    assert "\\frac" not in visible and "\\left" not in visible, f"{name}: raw LaTeX in the visible text"
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000, f"{name}: the screenshot is empty"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    claims = [c for c in SCORE_MATCHING if c.id in (CLAIM_PAGE, "hyvarinen-identity-review-eq54")]
    results = run_claims(claims, progress=False)
    out = tmp_path_factory.mktemp("browser") / "reports"
    write_reports(results, out, RunConfig())
    return out


@pytest.mark.parametrize("page", ["index.html", f"claims/{CLAIM_PAGE}.html", "errata.html"])
def test_generated_report_renders_offline(generated, page, tmp_path):
    _assert_rendered(
        generated / page, tmp_path / f"generated-{Path(page).stem}.png",
        expect_images=page.startswith("claims/"), expect_math=page != "index.html",
    )


@pytest.mark.parametrize("page", ["index.html", f"claims/{CLAIM_PAGE}.html"])
def test_committed_report_renders_offline(page, tmp_path):
    path = COMMITTED / page
    if not path.is_file():
        pytest.skip(f"{path.relative_to(ROOT)} is not there yet: regenerate the reports with `ebmcheck report`")
    _assert_rendered(
        path, tmp_path / f"committed-{Path(page).stem}.png",
        expect_images=page.startswith("claims/"), expect_math=page != "index.html",
    )
