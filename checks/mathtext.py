r"""LaTeX -> MathML for the HTML pages, with no network access and no JavaScript.

Every LaTeX string is converted to MathML at build time with ``latex2mathml`` (pure Python, MIT,
no dependencies), and the browser lays it out natively (MathML Core: Chromium >= 109, Firefox,
Safari). ``latex2mathml`` leaves unknown commands as literal text (``\tr`` becomes
``<mi>\tr</mi>``) instead of raising, so a result whose text still holds a backslash, or that
contains ``<merror>``, counts as a failure. A failure never breaks a page: the LaTeX source is
shown in a ``<code class="latex">`` element and the failures are counted. A few gaps of
``latex2mathml`` are bridged by rewriting before conversion (:data:`LATEX_REWRITES`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from checks.anatomy import ClaimResult

# Sized delimiters given as commands (``\big\|``, ``\Bigl\langle``) are left as literal text by
# latex2mathml 3.x, while the same delimiter as a character works: rewrite the command.
_DELIMITER_CHARACTERS = {
    r"\|": "‖", r"\Vert": "‖", r"\lVert": "‖", r"\rVert": "‖",
    r"\vert": "|", r"\lvert": "|", r"\rvert": "|",
    r"\{": "{", r"\}": "}", r"\lbrace": "{", r"\rbrace": "}", r"\lbrack": "[", r"\rbrack": "]",
    r"\langle": "⟨", r"\rangle": "⟩", r"\lfloor": "⌊", r"\rfloor": "⌋", r"\lceil": "⌈", r"\rceil": "⌉",
}
_SIZED_DELIMITER = re.compile(
    r"(\\(?:big|Big|bigg|Bigg)[lmr]?)\s*(\\\||\\[{}]|\\[A-Za-z]+)"
)
LATEX_REWRITES = (
    (_SIZED_DELIMITER, lambda m: m.group(1) + _DELIMITER_CHARACTERS.get(m.group(2), m.group(2))),
    (re.compile(r"\\arg(?![A-Za-z])"), lambda m: r"\operatorname{arg}"),
)
# latex2mathml writes \log x as <mi>log</mi><mi>x</mi> with no space between; TeX puts a thin
# space there (none before a parenthesis).
_FUNCTION_NAME = re.compile(
    r"(<mi>(?:log|ln|exp|sin|cos|tan|sinh|cosh|tanh|det|dim|ker|deg|Pr|sup|inf|max|min|arg)</mi>)"
    r"(?!(?:<mrow>)*<mo[^>]*>(?:\(|&#x00028;|\[|&#x0005B;|\{|&#x0007B;))"
)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$(?!\$)")


# ---- mathematics: LaTeX -> MathML ---------------------------------------------------------------
@dataclass
class MathRenderer:
    """Convert LaTeX to MathML for the HTML pages, counting what could not be converted."""

    failures: list[tuple[str, str]] = field(default_factory=list)  # (latex, why)
    converted: int = 0
    _cache: dict[tuple[str, bool], Markup] = field(default_factory=dict)

    def __call__(self, latex: str, display: bool = False) -> Markup:
        """MathML for ``latex`` (``display`` for a block), or the LaTeX source in ``<code>``."""
        key = (latex, display)
        if key not in self._cache:
            self._cache[key] = self._convert(latex, display)
        return self._cache[key]

    def _convert(self, latex: str, display: bool) -> Markup:
        from latex2mathml.converter import convert

        prepared = prepare_latex(latex)
        try:
            mathml = convert(prepared, display="block" if display else "inline")
        except Exception as error:  # latex2mathml raises many types; any failure falls back
            return self._fallback(latex, display, f"{type(error).__name__}: {error}".strip(": "))
        problem = mathml_problem(mathml)
        if problem:
            return self._fallback(latex, display, problem)
        self.converted += 1
        mathml = _FUNCTION_NAME.sub(r'\1<mspace width="0.1667em"></mspace>', mathml)
        label = html.escape(" ".join(latex.split()), quote=True)
        return Markup(mathml.replace("<math ", f'<math alttext="{label}" ', 1))

    def _fallback(self, latex: str, display: bool, why: str) -> Markup:
        self.failures.append((latex, why))
        element = "pre" if display else "span"
        return Markup(
            f'<{element} class="latex-fallback" title="LaTeX not converted to MathML: {html.escape(why, quote=True)}">'
            f'<code class="latex">{html.escape(latex)}</code></{element}>'
        )

    def prose(self, text: str) -> Markup:
        """HTML for prose that may hold inline ``$…$`` mathematics."""
        parts, last = [], 0
        for match in INLINE_MATH.finditer(text):
            parts.append(html.escape(text[last:match.start()]))
            parts.append(self(match.group(1)))
            last = match.end()
        parts.append(html.escape(text[last:]))
        return Markup("".join(parts))


def prepare_latex(latex: str) -> str:
    """``latex`` with the rewrites of :data:`LATEX_REWRITES` applied."""
    for pattern, replacement in LATEX_REWRITES:
        latex = pattern.sub(replacement, latex)
    return latex


def mathml_problem(mathml: str) -> str:
    """Why ``mathml`` is not a faithful conversion ('' if it is)."""
    if "<merror" in mathml:
        return "latex2mathml produced <merror>"
    text = html.unescape(re.sub(r"<[^>]*>", " ", mathml))
    leftover = re.search(r"\\[A-Za-z]+|\\.", text)
    if leftover:
        return f"unconverted command {leftover.group(0)!r} left as text"
    return ""


def latex_strings(result: ClaimResult) -> list[str]:
    """Every LaTeX string a claim's pages show (statements, assumptions, steps, quantities)."""
    strings = [s.statement for s in result.claim.sources]
    if result.claim.corrected:
        strings.append(result.claim.corrected)
    for r in result.steps:
        strings.append(r.step.latex())
        strings += [a.latex for a in r.step.assumptions]
    strings += [c.quantity for c in result.checks if c.quantity]
    return strings
