"""ebmcheck.derivations: one module per topic, each a SymPy derivation as checked steps.

``steps`` is the machinery (``Step``, ``Derivation``, ``Assumption``); the topic modules
(``score_matching``, ``ula``, ``nce``, ``toy``, ``cnce``) start from the models of
:mod:`ebmcheck.theory.models` and export the closed forms the checks compare with simulation.
"""
