"""ebmcheck.theory: the numerical machinery, no claims.

One definition of each concept, imported by the derivations and the checks alike:

- ``models``: unnormalized models declared once in SymPy (``Model`` for scalar symbols,
  ``MatrixModel`` for vector/matrix structure, e.g. ``gaussian(d)``), every derivative derived by
  SymPy and compiled by ``symbolic.compile_expression``, the one place that calls ``lambdify``;
- ``samplers``: Langevin sampling — ``langevin_step`` is the one move (ULA, MALA, PCD, coupled chains);
- ``noise``: the one noise protocol of NCE and CNCE; ``nce``, ``cnce``: their losses;
  ``fitting``: the one batched Newton and its ``FitResult``; ``asymptotics``: CNCE covariances,
  NCE's A and m, Fisher information, sandwich; ``densities``: normalised 1-D densities and the
  Gaussian log-density; ``objectives``: the ``Objective`` protocol and the built-ins;
- ``quadrature`` (``refine``: the one value-with-error rule), ``expectations``, ``toy`` (the
  slides' two-mode model, compiled from its declaration in ``models``);
- ``backend``: the inputs' array namespace (array API), host copies, the random-number shim that
  gives numpy and cupy the same draws' interface; ``validation``: every public argument check.

Numerical functions take their array namespace from their inputs (numpy, cupy, array-api-strict).
"""
