"""
The package's internal layering, checked from the source with ``ast``.

Lower layers never import higher ones, so the model and the hashing stay
usable (and importable) without the counting engine or the reports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "clientid"

#: For each module, the clientid modules it may import.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_ids": set(),
    "_validators": {"errors"},
    "_model": {"_ids", "_validators", "errors"},
    "_text": set(),
    "_hashing": {"_ids", "_text"},
    "_resolve": {"_hashing", "_ids", "_model", "_text", "errors"},
    "_identity": {
        "_hashing",
        "_ids",
        "_model",
        "_resolve",
        "_text",
        "errors",
    },
    "_hll_tables": set(),
    "_datasketches": {"errors"},
    "_hll": {
        "_datasketches",
        "_hashing",
        "_hll_numpy",
        "_hll_tables",
        "errors",
    },
    # The optional numpy fast path: imported only when numpy is installed.
    "_hll_numpy": set(),
    "_exact": {"errors"},
    "_count": {"_exact", "_hll", "errors"},
    "_report": {"_count", "_ids", "_model", "errors"},
    "_export": {"_ids", "_model", "_validators", "errors"},
    "_ingest": {"_hashing", "_ids", "_model", "_resolve", "errors"},
    # The activity log accepts the ingest adapters' events (typing only).
    "_activity": {
        "_count",
        "_export",
        "_hll",
        "_ids",
        "_ingest",
        "_model",
        "_report",
        "_resolve",
        "errors",
    },
}
#: Modules that may import any clientid module; nothing may import them
#: except the facade (and serde not even that).
TOP = {"__init__", "serde"}


def _imported_names(node: ast.AST) -> list[tuple[int, str]]:
    """Return (relative level, dotted name) for one import node."""
    if isinstance(node, ast.Import):
        return [(0, alias.name) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.module:
            return [(node.level, node.module)]
        return [(node.level, alias.name) for alias in node.names]
    return []


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """Return (clientid modules, third-party top-level names) imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own: set[str] = set()
    external: set[str] = set()
    for node in ast.walk(tree):
        for level, name in _imported_names(node):
            parts = name.split(".")
            if level:
                own.add(parts[0])
            elif parts[0] == "clientid":
                own.update(parts[1:2])
            else:
                external.add(parts[0])
    return own, external


MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def test_every_module_has_a_place_in_the_layering():
    """
    A new module must be added to the layering table on purpose.
    """
    assert set(MODULES) == set(ALLOWED) | TOP


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_module_imports_only_lower_layers(module):
    """
    Each private module imports only the modules its layer allows.
    """
    own, _ = _imports(PACKAGE / f"{module}.py")

    assert own <= ALLOWED[module]


def test_nothing_imports_serde():
    """
    serde is a leaf: importing clientid never imports cattrs.
    """
    importers = [
        module
        for module in MODULES
        if "serde" in _imports(PACKAGE / f"{module}.py")[0]
    ]

    assert importers == []


@pytest.mark.parametrize(
    ("package", "owner"),
    [("cattrs", "serde"), ("mmh3", "_hashing"), ("numpy", "_hll_numpy")],
)
def test_third_party_package_has_one_owner(package, owner):
    """
    cattrs, mmh3 and the optional numpy each have exactly one user.
    """
    users = sorted(
        module
        for module in MODULES
        if package in _imports(PACKAGE / f"{module}.py")[1]
    )

    assert users == [owner]


def test_runtime_dependencies_are_the_declared_ones():
    """
    The package imports nothing beyond its four dependencies and numpy.

    numpy is the optional ``clientid[numpy]`` extra: only ``_hll_numpy``
    imports it, and only when it is installed.
    """
    external: set[str] = set()
    for module in MODULES:
        external |= _imports(PACKAGE / f"{module}.py")[1]
    stdlib = external & set(__import__("sys").stdlib_module_names)

    assert external - stdlib - {"__future__"} == {
        "attrs",
        "cattrs",
        "mmh3",
        "numpy",
        "sortedcontainers",
    }


def test_importing_clientid_does_not_import_cattrs_or_numpy():
    """
    ``import clientid`` stays cheap: cattrs loads only with serde, numpy
    only with the first large batch update.
    """
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys, clientid;"
        " print('cattrs' in sys.modules or 'numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "False"
