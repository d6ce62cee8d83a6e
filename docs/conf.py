"""Sphinx configuration for the jaxinit documentation.

Build (warnings are errors, as in CI):  sphinx-build -W --keep-going -b html docs docs/_build/html

The gallery's figures are made at build time: ``generate_gallery`` runs the example scripts
of ``examples/`` and writes their PNGs and printed tables to ``docs/_generated/``.
"""

import contextlib
import importlib.util
import io
import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the checkout, not an installed copy

import jaxinit  # noqa: E402

project = "jaxinit"
author = "jaxinit developers"
copyright = "jaxinit developers"
release = version = jaxinit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.intersphinx",
]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True  # show `nonlinearity="leaky_relu"`, not a repr of the value
add_module_names = False
# Intersphinx needs the network, which a docs build must not need; links stay plain text.
intersphinx_mapping: dict = {}

html_theme = "sphinx_book_theme"
html_title = f"jaxinit {release}"
html_theme_options = {
    "repository_url": "https://github.com/jaxinit/jaxinit",
    "use_repository_button": True,
    "show_toc_level": 2,
}
exclude_patterns = ["_build", "_generated"]
templates_path: list = []

# (example script, output PNG or None, keyword arguments of its run())
GALLERY = [
    ("signal_propagation", "signal_propagation.png", {"depth": 50}),
    ("plot_distributions", "distributions.png", {}),
    ("port_from_pytorch", None, {}),
]


def generate_gallery(app) -> None:
    """Run each gallery example, keeping its figure and what it printed."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir = DOCS / "_generated"
    out_dir.mkdir(exist_ok=True)
    for script, png, kwargs in GALLERY:
        spec = importlib.util.spec_from_file_location(script, ROOT / "examples" / f"{script}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[script] = module  # dataclasses (Flax modules) look their module up there
        spec.loader.exec_module(module)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            module.run(**({"out": str(out_dir / png)} if png else {}), **kwargs)
        lines = [line for line in printed.getvalue().splitlines() if not line.startswith("saved ")]
        (out_dir / f"{script}.txt").write_text("\n".join(lines).strip() + "\n")


def setup(app):
    app.connect("builder-inited", generate_gallery)
