"""Sphinx configuration for clientid's documentation."""

from __future__ import annotations

import importlib.metadata

project = "clientid"
author = "the clientid developers"
release = importlib.metadata.version("clientid")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Attributes sections become :ivar: fields, so attrs fields are not
# documented twice (once by napoleon, once by autodoc).
napoleon_use_ivar = True
# Field names such as ``type`` exist on several model classes; an ambiguous
# cross-reference is harmless there.
suppress_warnings = ["ref.python"]
html_theme = "furo"
nitpicky = False
