"""ebmcheck: machine-checked derivations and statistical checks of the theory of training energy-based models.

The package maps the repository's top-level folders into one namespace (pyproject.toml,
``package-dir``): ``ebmcheck.theory`` (numerical machinery), ``ebmcheck.derivations`` (SymPy
derivations as checked steps), ``ebmcheck.checks`` (claims, experiments, the command line and the
reports). Nothing else is installed: ``import theory`` does not find this project.
"""

__version__ = "0.1.0"
