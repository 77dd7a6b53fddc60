"""ebmcheck.checks: claims, their experiments, and the machinery that judges and reports them.

- one module per topic (``score_matching``, ``ula``, ``nce``, ``toy``, ``cnce``): the experiments and,
  at the bottom, the ``Claim`` declarations that name them (``ebmcheck list -v ID`` says where);
- ``anatomy``: kinds of check, resolution, near controls, the verdict rule; ``sequential``:
  confidence sequences; ``config``: the one frozen ``RunConfig``; ``registry``, ``runner``, ``cli``;
  ``scheduler``: where a run's units of work execute (in-process, a process pool, Dask);
- ``properties/``: ``check_objective``, the property harness for objectives users invent;
- ``report/``: pages, results.json, provenance, ``report --check`` comparison, safe writing.
"""
