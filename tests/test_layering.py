"""
The package's internal layering, checked from the source with ``ast``.

Lower layers never import higher ones, so the model and the hashing stay
usable (and importable) without the counting engine or the reports.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "clientid"
PYPROJECT = ROOT / "pyproject.toml"


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


def _module_name(path: Path) -> str:
    """Return the dotted name of a module below the package, "" for it."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


PATHS = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
MODULES = sorted(PATHS)
#: The subpackages, one a layer (docs/architecture.md).
LAYERS = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))


def test_the_layer_contracts_hold():
    """
    import-linter's contracts in pyproject.toml hold: each layer imports
    only the layers below it (nox -s contracts runs the same check).
    """
    lint = pytest.importorskip("importlinter.cli")
    assert (
        lint.lint_imports(
            config_filename=str(PYPROJECT), no_cache=True, no_logo=True
        )
        == 0
    )


def test_every_layer_is_in_the_contract():
    """
    A new subpackage must be placed in the layer contract on purpose.
    """
    contract = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    layers = contract["tool"]["importlinter"]["contracts"][0]["layers"]
    named = {
        name.strip("() ").removeprefix("clientid.")
        for layer in layers
        for name in layer.split("|")
    }

    assert set(LAYERS) <= named


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_says_what_it_owns_and_may_import(layer):
    """
    Each subpackage's docstring names what it may import.
    """
    docstring = ast.get_docstring(
        ast.parse((PACKAGE / layer / "__init__.py").read_text("utf-8"))
    )

    assert docstring is not None
    assert "May import" in docstring


def _is_cli(module: str) -> bool:
    return module in {"cli", "__main__"} or module.startswith("cli.")


CORE = [module for module in MODULES if not _is_cli(module)]


def test_nothing_in_the_core_imports_serde():
    """
    serde is a leaf of the core (only the command above it uses it):
    importing clientid never imports cattrs.
    """
    importers = [
        module for module in CORE if "serde" in _imports(PATHS[module])[0]
    ]

    assert importers == []


@pytest.mark.parametrize(
    ("package", "owner"),
    [
        ("cattrs", "serde"),
        ("mmh3", "model.hashing"),
        ("numpy", "sketch.batch_numpy"),
        ("matplotlib", "cli._chart"),
        ("zstandard", "cli._sources"),
        ("orjson", "ingest.common"),
    ],
)
def test_third_party_package_has_one_owner(package, owner):
    """
    cattrs, mmh3, the optional numpy and the command's optional
    matplotlib, zstandard and orjson each have exactly one user.
    """
    users = sorted(
        module for module in MODULES if package in _imports(PATHS[module])[1]
    )

    assert users == [owner]


def test_runtime_dependencies_are_the_declared_ones():
    """
    The core imports nothing beyond its four dependencies, numpy and orjson.

    numpy is the optional ``clientid[numpy]`` extra: only
    ``clientid.sketch.batch_numpy`` imports it, and only when installed;
    orjson is ``clientid[fast]``, imported by ``clientid.ingest.common``
    when installed.
    The command's optional packages are pinned by the test above.
    """
    external: set[str] = set()
    for module in CORE:
        external |= _imports(PATHS[module])[1]
    stdlib = external & set(__import__("sys").stdlib_module_names)

    assert external - stdlib - {"__future__"} == {
        "attrs",
        "cattrs",
        "mmh3",
        "numpy",
        "orjson",
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


def test_the_command_is_a_declared_layer_and_forbidden_to_the_core():
    """
    ``clientid.cli`` is the top layer, and a forbidden contract keeps every
    other subpackage and serde from importing it.
    """
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
    [forbidden] = [c for c in contracts if c["type"] == "forbidden"]

    assert contracts[0]["layers"][0] == "clientid.cli"
    assert forbidden["forbidden_modules"] == ["clientid.cli"]
    assert {
        name.removeprefix("clientid.") for name in forbidden["source_modules"]
    } == (set(LAYERS) - {"cli"}) | {"serde", "errors"}
