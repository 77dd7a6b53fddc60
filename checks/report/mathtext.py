r"""LaTeX -> MathML for the HTML pages, with no network access and no JavaScript; prose with mathematics.

Every LaTeX string is converted to MathML at build time with ``latex2mathml`` (pure Python, MIT,
no dependencies), and the browser lays it out natively (MathML Core: Chromium >= 109, Firefox,
Safari). ``latex2mathml`` leaves unknown commands as literal text (``\tr`` becomes
``<mi>\tr</mi>``) instead of raising, so a result whose text still holds a backslash, or that
contains ``<merror>``, counts as a failure. A failure never breaks a page: the LaTeX source is
shown in a ``<code class="latex">`` element and the failures are counted. A few gaps of
``latex2mathml`` are bridged by rewriting before conversion (:data:`LATEX_REWRITES`).

Prose (titles, summaries, conditions, justifications, labels, captions) marks mathematics as
``$…$``; mathematics typed without dollars — a word holding a LaTeX command, ``^`` or ``_``, such
as ``s_θ``, ``e^{−L²/8}``, ``E_{p1}[∇F]``, ``λ_min`` — is found as well (:func:`prose_segments`)
and shown as mathematics too: MathML in the HTML (:meth:`MathRenderer.prose`), ``$`…`$`` in the
Markdown (:func:`markdown_prose`), and Unicode where markup does not belong, in ``<title>`` and
``alt`` (:func:`plain_text`). A found fragment that does not convert is shown as Unicode text
(never as raw LaTeX) and is not counted as a failure: it was not marked as mathematics.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from ebmcheck.checks.anatomy import ClaimResult

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
    (re.compile(r"\\[lc]?dots(?![A-Za-z])"), lambda m: "…"),  # an ellipsis in a quotation: latex2mathml has no \ldots
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
        if display:
            lines = split_display(latex)
            if len(lines) > 1 and all(converts(line) for line in lines):
                label = html.escape(" ".join(latex.split()), quote=True)
                rows = "".join(f'<div class="line">{self._convert_one(line, True)}</div>' for line in lines)
                return Markup(f'<div class="lines" role="group" aria-label="{label}">{rows}</div>')
        return self._convert_one(latex, display)

    def _convert_one(self, latex: str, display: bool) -> Markup:
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
        """HTML for prose: ``$…$`` and the fragments :func:`prose_segments` finds as MathML."""
        parts = []
        for kind, piece in prose_segments(text):
            if kind == TEXT:
                parts.append(html.escape(piece))
            elif kind == MATH:
                parts.append(self(piece))
            elif converts(piece):  # a fragment typed without dollars
                parts.append(self(piece))
            else:
                parts.append(html.escape(latex_to_unicode(piece)))
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
    strings += [text for text in (result.claim.corrected, result.claim.sharpening) if text]
    for r in result.steps:
        strings.append(r.step.latex())
        strings += [a.latex for a in r.step.assumptions]
    strings += [c.quantity for c in result.checks if c.quantity]
    return strings


@functools.lru_cache(maxsize=None)
def converts(latex: str) -> bool:
    """Whether ``latex`` converts to MathML faithfully (no exception, no :func:`mathml_problem`)."""
    from latex2mathml.converter import convert

    try:
        return not mathml_problem(convert(prepare_latex(latex)))
    except Exception:  # latex2mathml raises many types
        return False


# ---- prose: explicit $…$ and mathematics typed without dollars ---------------------------------
TEXT, MATH, FOUND = "text", "math", "found"  # kinds of prose segments
_WORD = re.compile(r"\S+")
_MARKS = re.compile(r"[\\^_]")
_TRAILING = ".,;:!?"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def prose_segments(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``(kind, piece)``: :data:`TEXT`, :data:`MATH` (the LaTeX inside ``$…$``)
    and :data:`FOUND` (a word of the text holding ``\\``, ``^`` or ``_``, rewritten as LaTeX by
    :func:`fragment_latex`). Words inside backquotes (code) are left as text."""
    segments: list[tuple[str, str]] = []
    last = 0
    for match in INLINE_MATH.finditer(text):
        segments += _found_segments(text[last:match.start()])
        segments.append((MATH, match.group(1)))
        last = match.end()
    segments += _found_segments(text[last:])
    return [(kind, piece) for kind, piece in segments if piece]


def _found_segments(text: str) -> list[tuple[str, str]]:
    segments, last = [], 0
    code = [m.span() for m in re.finditer(r"`[^`]*`", text)]
    words = [m for m in _WORD.finditer(text) if not any(a <= m.start() < b for a, b in code)]
    index = 0
    while index < len(words):
        match = words[index]
        index += 1
        if match.start() < last or not _MARKS.search(match.group(0)):
            continue
        lead, core = _trim(match.group(0))
        if not _MARKS.search(core):
            continue
        # a bracket opened in the word and closed a few words on: one fragment (E_p[∇log f ∇log fᵀ])
        for extra in range(index, min(index + _SPAN_WORDS, len(words))):
            if _balance(core) <= 0:
                break
            candidate = text[match.start() + lead:words[extra].end()]
            if _balance(candidate) < 0 or "`" in candidate:
                break
            if _balance(_trim(candidate)[1]) == 0:
                core, index = _trim(candidate)[1], extra + 1
                break
        start = match.start() + lead
        segments += [(TEXT, text[last:start]), (FOUND, fragment_latex(core))]
        last = start + len(core)
    segments.append((TEXT, text[last:]))
    return segments


_SPAN_WORDS = 6


def _balance(text: str) -> int:
    """Brackets opened minus brackets closed (negative as soon as one closes unopened)."""
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return -1
    return depth


def _trim(word: str) -> tuple[int, str]:
    """(characters cut from the front, the word without the prose around it): sentence
    punctuation, a possessive ``'s`` and unbalanced brackets."""
    lead = 0
    while True:
        before = (lead, word)
        if word.endswith("'s"):
            word = word[:-2]
        if word and word[-1] in _TRAILING:
            word = word[:-1]
        if word and word[-1] in _PAIRS and word.count(word[-1]) > word.count(_PAIRS[word[-1]]):
            word = word[:-1]
        if word and word[0] in "([{":
            close = {"(": ")", "[": "]", "{": "}"}[word[0]]
            if word.count(word[0]) > word.count(close):
                word, lead = word[1:], lead + 1
        if (lead, word) == before:
            return lead, word


_FUNCTIONS = {"log", "exp", "ln", "sin", "cos", "tan", "det", "min", "max", "sup", "inf", "lim", "arg"}
_SYMBOLS = {
    "−": "-", "·": r"\cdot ", "×": r"\times ", "~": r"\sim ", "∼": r"\sim ", "≈": r"\approx ",
    "≤": r"\leq ", "≥": r"\geq ", "≠": r"\neq ", "→": r"\to ", "⇒": r"\Rightarrow ",
    "⇔": r"\Leftrightarrow ", "∞": r"\infty ", "∇": r"\nabla ", "∂": r"\partial ", "∫": r"\int ",
    "‖": r"\|", "…": r"\dots ", "%": r"\%", "&": r"\&", "#": r"\#",
}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀ", "0123456789+-=()inT"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", "0123456789+-=()aeoxhklmnpstijruv"))
_ACCENTS = {"\u0302": r"\hat", "\u0307": r"\dot", "\u0303": r"\tilde", "\u0304": r"\bar", "\u0308": r"\ddot"}
_SCRIPT_RUN = re.compile(r"[A-Za-z0-9\u0370-\u03ff]+")
_VERBATIM_ARGUMENT = {r"\text", r"\mathrm", r"\operatorname", r"\mathbb", r"\mathcal", r"\mathbf", r"\mathsf",
                      r"\begin", r"\end"}


def fragment_latex(word: str) -> str:
    """LaTeX for a word of prose written half in Unicode (``E_{p1}[∇²F σ(−F*)]``, ``λ_min``,
    ``θ̂``, ``I_F⁻¹``): Unicode operators, superscripts and accents become LaTeX, a script that
    is a word is set upright (``λ_{\\mathrm{min}}``), and so are words such as ``tr`` or ``Var``."""
    word = re.sub(r"(.)([\u0300-\u036f])", lambda m: _ACCENTS.get(m.group(2), "") + "{" + m.group(1) + "}", word)
    out, i = [], 0
    while i < len(word):
        char = word[i]
        command = re.match(r"\\([A-Za-z]+|.)", word[i:])
        if command:
            out.append(command.group(0))
            i += len(command.group(0))
            if command.group(0) in _VERBATIM_ARGUMENT and word[i:i + 1] == "{":
                end = word.find("}", i)
                end = len(word) - 1 if end < 0 else end
                out.append(word[i:end + 1])
                i = end + 1
            continue
        if char in "^_":
            out.append(char)
            i += 1
            rest = word[i:]
            run = _SCRIPT_RUN.match(rest)
            if rest[:1] == "{":
                continue
            if run and re.fullmatch(r"[A-Za-z]{2,}", run.group(0)):
                out.append(r"{\mathrm{" + run.group(0) + "}}")
                i += len(run.group(0))
            elif run:
                out.append("{" + run.group(0) + "}")
                i += len(run.group(0))
            elif rest[:1] == "\\":
                continue
            elif rest:
                out.append("{" + _SYMBOLS.get(rest[0], rest[0]).strip() + "}")
                i += 1
            continue
        if char in _SUPERSCRIPTS or char in _SUBSCRIPTS:
            table, mark = (_SUPERSCRIPTS, "^") if char in _SUPERSCRIPTS else (_SUBSCRIPTS, "_")
            j = i
            while j < len(word) and word[j] in table:
                j += 1
            out.append(mark + "{" + "".join(table[c] for c in word[i:j]) + "}")
            i = j
            continue
        letters = re.match(r"[A-Za-z]{2,}", word[i:])
        if letters:
            name = letters.group(0)
            out.append(f"\\{name} " if name in _FUNCTIONS else r"\operatorname{" + name + "}")
            i += len(name)
            continue
        out.append(_SYMBOLS.get(char, char))
        i += 1
    return "".join(out).strip()


# ---- Markdown and plain text ------------------------------------------------------------------------
def markdown_math(latex: str) -> str:
    """Inline mathematics for Markdown: ``$`…`$``, which Markdown leaves untouched."""
    return "$`" + " ".join(latex.split()) + "`$"


def markdown_prose(text: str) -> str:
    """Markdown for prose: ``$…$`` and found fragments as ``$`…`$``; a found fragment that does
    not convert as Unicode text."""
    parts = []
    for kind, piece in prose_segments(text):
        if kind == TEXT:
            parts.append(piece)
        elif kind == MATH or converts(piece):
            parts.append(markdown_math(piece))
        else:
            parts.append(latex_to_unicode(piece))
    return "".join(parts)


def plain_text(text: str) -> str:
    """Prose as Unicode text with no markup, for ``<title>``, ``alt`` and ``title`` attributes."""
    return "".join(piece if kind == TEXT else latex_to_unicode(piece) for kind, piece in prose_segments(text))


_UNICODE_COMMANDS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "infty": "∞", "nabla": "∇",
    "partial": "∂", "int": "∫", "sum": "∑", "prod": "∏", "cdot": "·", "times": "×", "pm": "±", "leq": "≤",
    "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "to": "→",
    "rightarrow": "→", "Rightarrow": "⇒", "Leftrightarrow": "⇔", "iff": "⇔", "in": "∈", "propto": "∝",
    "|": "‖", "Vert": "‖", "lVert": "‖", "rVert": "‖", "vert": "|", "mid": "|", "langle": "⟨", "rangle": "⟩",
    "dots": "…", "ldots": "…", "cdots": "⋯", "{": "{", "}": "}", "%": "%", "&": "&", "#": "#", "_": "_",
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": " ", "left": "", "right": "",
    "big": "", "Big": "", "bigg": "", "Bigg": "", "displaystyle": "", "textstyle": "", "star": "*", "ast": "*",
    "prime": "′", "top": "ᵀ", "intercal": "ᵀ", "succ": "≻", "prec": "≺", "circ": "∘", "emptyset": "∅",
}
_UNICODE_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "overline": "\u0304",
                    "dot": "\u0307", "ddot": "\u0308", "vec": "\u20d7"}
_BLACKBOARD = {"E": "𝔼", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ"}
_TO_SUPERSCRIPT = {v: k for k, v in _SUPERSCRIPTS.items()} | {"*": "*", "′": "′", "T": "ᵀ"} | dict(
    zip("abcdefghijklmnoprstuvwxyz", "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"))
_TO_SUBSCRIPT = {v: k for k, v in _SUBSCRIPTS.items()}


def latex_to_unicode(latex: str) -> str:
    """A LaTeX fragment as Unicode text (``D_\\theta = D^*`` → ``Dθ = D*``, ``x^2`` → ``x²``):
    scripts become Unicode sub/superscripts where every character has one; a subscript that has
    none is written after its base, a superscript that has none as ``^(…)``."""
    text, _ = _unicode(latex, 0)
    return re.sub(r"\s+", " ", text).strip()


def _group(latex: str, i: int) -> tuple[str, int]:
    """The argument at ``i``: a braced group (converted), a command, or one character."""
    while i < len(latex) and latex[i] == " ":
        i += 1
    if i >= len(latex):
        return "", i
    if latex[i] == "{":
        return _unicode(latex, i + 1, closing=True)
    command = re.match(r"\\([A-Za-z]+|.)", latex[i:])
    if command:
        return _unicode(command.group(0), 0)[0], i + len(command.group(0))
    return latex[i], i + 1


def _unicode(latex: str, i: int, closing: bool = False) -> tuple[str, int]:
    out = []
    while i < len(latex):
        char = latex[i]
        if char == "}" and closing:
            return "".join(out), i + 1
        if char == "{":
            inner, i = _unicode(latex, i + 1, closing=True)
            out.append(inner)
            continue
        if char in "^_":
            script, i = _group(latex, i + 1)
            script = script.strip()
            table = _TO_SUPERSCRIPT if char == "^" else _TO_SUBSCRIPT
            if all(c in table for c in script):
                out.append("".join(table[c] for c in script))
            elif char == "_":
                out.append(script)
            else:
                out.append(f"^({script})" if len(script) > 1 else "^" + script)
            continue
        command = re.match(r"\\([A-Za-z]+|.)", latex[i:])
        if not command:
            out.append("−" if char == "-" else char)
            i += 1
            continue
        name, i = command.group(1), i + len(command.group(0))
        if name.isalpha():  # TeX skips the spaces after a control word
            while i < len(latex) and latex[i] == " ":
                i += 1
        if name in ("frac", "dfrac", "tfrac"):
            top, i = _group(latex, i)
            bottom, i = _group(latex, i)
            wrap = lambda s: s if len(s) == 1 or re.fullmatch(r"\w+", s) else f"({s})"  # noqa: E731
            out.append(f"{wrap(top)}/{wrap(bottom)}")
        elif name == "sqrt":
            inner, i = _group(latex, i)
            out.append("√" + (inner if len(inner) == 1 else f"({inner})"))
        elif name in _UNICODE_ACCENTS:
            inner, i = _group(latex, i)
            out.append(inner + _UNICODE_ACCENTS[name])
        elif name in ("mathbb",):
            inner, i = _group(latex, i)
            out.append("".join(_BLACKBOARD.get(c, c) for c in inner))
        elif name in ("mathrm", "operatorname", "text", "mathit", "mathbf", "mathsf", "mathcal", "boldsymbol"):
            inner, i = _group(latex, i)
            out.append(inner)
        elif name in _UNICODE_COMMANDS:
            symbol = _UNICODE_COMMANDS[name]
            out.append(f" {symbol} " if symbol in "≤≥≠≈∼→⇒⇔∈∝×±≻≺" else symbol)
        else:  # \log, \exp, \tr, \max, ...: the name
            out.append(name + " ")
    return "".join(out), i


# ---- long display equations: one line per relation or group of terms -------------------------------
# MathML Core has no automatic line breaking (``linebreak`` is ignored by browsers), so a display
# equation wider than the page is cut at build time: before a relation (=, ≠, ≤, …) at the top level
# and, where a side is still too wide, before a top-level + or −, into lines of at most
# DISPLAY_WIDTH estimated character widths, each its own <math display="block">. What still does
# not fit (one huge fraction or matrix) scrolls inside its box (CSS ``.equation``).
DISPLAY_WIDTH = 90  # ≈ 1030 px at the pages' math font size: the text column at a 1280-px window
_RELATIONS = {"=", "<", ">", r"\neq", r"\ne", r"\approx", r"\leq", r"\le", r"\geq", r"\ge", r"\sim", r"\propto",
              r"\equiv", r"\to", r"\Rightarrow", r"\Leftrightarrow", r"\iff"}
_LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)


def split_display(latex: str, width: float = DISPLAY_WIDTH) -> list[str]:
    """``latex`` as lines no wider than ``width`` (estimated), cut only at the top level (outside
    braces, brackets, parentheses and environments): first before relations, then, in a part
    still too wide, before + and −. One line when it fits or has no place to cut."""
    if estimated_width(latex) <= width:
        return [latex]
    sides = _cut(latex, lambda token, previous: token in _RELATIONS)
    if sides is None:
        return [latex]
    parts = []
    for side in sides:
        terms = _cut(side, lambda token, previous: token in ("+", "-") and previous not in _NOT_BINARY)
        parts += _pack(terms, width) if terms and estimated_width(side) > width else [side]
    lines = _pack(parts, width)
    return lines if len(lines) > 1 else [latex]


_NOT_BINARY = {"", "(", "[", "{", "^", "_", ",", *_RELATIONS, r"\left(", r"\left["}


def _cut(latex: str, before) -> list[str] | None:
    """``latex`` cut before every top-level token for which ``before(token, previous)`` holds
    (None when the brackets do not balance)."""
    depth, pieces, current, previous = 0, [], [], ""
    for token in _LATEX_TOKEN.findall(latex):
        if depth == 0 and "".join(current).strip() and before(token, previous):
            pieces.append("".join(current))
            current = []
        current.append(token)
        if token in ("{", "(", "[", r"\left", r"\begin"):
            depth += 1
        elif token in ("}", ")", "]", r"\right", r"\end"):
            depth -= 1
        if previous == r"\left" or previous == r"\right":  # \left( opens once, not twice
            depth -= 1 if token in ("(", "[", "{") else 0
            depth += 1 if token in (")", "]", "}") else 0
        if not token.isspace():
            previous = token
    pieces.append("".join(current))
    return pieces if depth == 0 else None


def _pack(pieces: list[str], width: float) -> list[str]:
    """Consecutive pieces joined into lines no wider than ``width`` (a wider piece alone)."""
    lines, line = [], ""
    for piece in pieces:
        if line.strip() and estimated_width(line + piece) > width:
            lines.append(line.strip())
            line = ""
        line += piece
    if line.strip():
        lines.append(line.strip())
    return lines


@functools.lru_cache(maxsize=None)
def estimated_width(latex: str) -> float:
    """Width of ``latex`` as MathML, in average character widths (a rough layout model)."""
    from xml.etree import ElementTree

    from latex2mathml.converter import convert

    try:
        root = ElementTree.fromstring(convert(prepare_latex(latex), display="block"))
    except Exception:
        return 0.0
    return _width(root, 1.0)


def _width(element, scale: float) -> float:
    tag = element.tag.rsplit("}", 1)[-1]
    children = list(element)
    if tag in ("mi", "mn", "mtext"):
        return scale * len((element.text or "").strip())
    if tag == "mo":
        text = (element.text or "").strip()
        spaced = text in "=+−-<>≠≤≥≈∼→⇒⇔" and text != ""
        return scale * (len(text) + (1.2 if spaced else 0))
    if tag == "mspace":
        return scale * 0.3
    if tag == "mfrac":
        return max((_width(c, scale * 0.85) for c in children), default=0) + 0.4 * scale
    if tag in ("msub", "msup"):
        return _width(children[0], scale) + _width(children[1], scale * 0.7) if len(children) == 2 else 0
    if tag == "msubsup":
        return _width(children[0], scale) + max(_width(children[1], scale * 0.7), _width(children[2], scale * 0.7))
    if tag in ("mover", "munder", "munderover"):
        return max((_width(c, scale) for c in children), default=0)
    if tag in ("msqrt", "mroot"):
        return sum(_width(c, scale) for c in children) + scale
    if tag == "mtable":
        return max((_width(row, scale) for row in children), default=0)
    if tag == "mtr":
        return sum(_width(c, scale) for c in children) + scale * (len(children) - 1)
    return sum(_width(c, scale) for c in children)
