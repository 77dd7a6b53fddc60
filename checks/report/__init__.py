r"""The reports: index, one page per claim, errata, figures, results.json — as Markdown and HTML.

What is written (``ebmcheck report --out OUT``)::

    OUT/index.md, OUT/index.html        every claim: id, topic, title, source, verdict badge, link
    OUT/claims/<id>.md, .html           one page per claim, naming its code (derivation, checks, tests)
    OUT/errata.md, OUT/errata.html      every statement of a source that the evidence refutes, and
                                        every printed step a derivation shows wrong
    OUT/results.json                    every number; no timings (reproducible byte for byte)
    OUT/figures/<claim id>-<name>.png   the checks' figures (style: :mod:`ebmcheck.checks.figures`)

One module per concern, entry points first:

=================  ===============================================================================
module             what it holds
=================  ===============================================================================
``write``          ``write_reports``, the entry point: check ``OUT`` before the run, render into a
                   staging folder, install — never deleting or overwriting a file ebmcheck did not write
``render``         the pages: view models of claims and provenance, Jinja templates (``templates/``)
``results``        ``results.json``: every number and what produced it (no timings, no commit)
``provenance``     seed, profile, backend, library versions, platform fingerprint (numpy SIMD,
                   BLAS core) and the code state (last commit that touched the code, via git)
``compare``        ``report --check``: a regenerated ``results.json`` against the committed one,
                   exactly on the same platform, each number within its resolution elsewhere
``parts``          from a claim to its code: derivation and check functions, topic, pytest line
``mathtext``       LaTeX → MathML for the HTML, LaTeX → Unicode for plain text, prose mathematics
=================  ===============================================================================

Mathematics
-----------
The Markdown pages are for a code-hosting site: display mathematics in ``$$ … $$`` blocks and
inline mathematics as ``$`…`$`` (GitHub's and GitLab's form of ``$…$`` that Markdown cannot
mangle). The HTML pages show the mathematics as MathML converted at build time, with no network
access and no JavaScript (:mod:`~ebmcheck.checks.report.mathtext`).

Reproducibility
---------------
``results.json`` holds every number and is a pure function of (seed, profile, backend, code,
library versions, platform): it carries no time stamps, timings, commit or code locations, so
regenerating reproduces it byte for byte on the same platform. The *platform* includes the CPU
features that numpy dispatches on and the BLAS library's kernel ("core") and thread count
(:mod:`~ebmcheck.checks.report.provenance`). ``ebmcheck report --check`` therefore compares
exactly when the recorded platform is this one, and otherwise each number within its own
resolution (:mod:`~ebmcheck.checks.report.compare`); strings, integers, flags and verdicts are
always compared exactly.

The commit and the code locations go to the pages; run times only to the terminal, so a re-run
that changes nothing changes no file.
"""
