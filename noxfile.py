"""
Development sessions for clientid.

``nox`` runs the default sessions (tests, typing, lint); the others are asked
for by name: ``nox -s properties``, ``nox -s bench``, ``nox -s datasketches``,
``nox -s docs``.  The ``tests`` session runs exactly the README's test
command.

``.ci/run`` runs the README's test command, then each of its gates through
the session of the same name here (typing, lint, docs, coverage, contracts,
openbao), so that a developer and CI run the same commands.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "typing", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite: the README's second command."""
    session.install("-e", ".[tests]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python="3.11")
def coverage(session: nox.Session) -> None:
    """Run the test suite under branch coverage (fail_under in pyproject)."""
    session.install("-e", ".[tests]")
    session.run(
        "python",
        "-m",
        "pytest",
        "--cov=clientid",
        "--cov-report=term-missing",
        *session.posargs,
    )


@nox.session(python="3.11")
def contracts(session: nox.Session) -> None:
    """Check the import-linter layer contracts of pyproject.toml."""
    session.install("-e", ".", "import-linter>=2.1")
    session.run("lint-imports", "--no-cache")


@nox.session(python="3.11")
def openbao(session: nox.Session) -> None:
    """Check the audit reader against a real OpenBao dev server's logs."""
    session.install("-e", ".[tests]")
    session.run(
        "python", "-m", "pytest", "tests/openbao", "-v", *session.posargs
    )


@nox.session(python="3.11")
def properties(session: nox.Session) -> None:
    """Run the property tests with the thorough Hypothesis profile."""
    session.install("-e", ".[tests]")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/properties",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "ci"},
    )


@nox.session(python="3.11")
def typing(session: nox.Session) -> None:
    """Type-check the package, the tests and the benchmarks strictly."""
    session.install("-e", ".[typing]")
    session.run("mypy", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Lint and check formatting."""
    session.install(".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Run the benchmarks side by side with their peers."""
    session.install("-e", ".[bench]")
    session.run(
        "python",
        "-m",
        "pytest",
        "benchmarks",
        "--benchmark-only",
        "--benchmark-columns=min,median,mean,ops,rounds",
        "--benchmark-sort=name",
        *session.posargs,
    )


@nox.session(python="3.11")
def datasketches(session: nox.Session) -> None:
    """Re-check the sketch format against the live datasketches package."""
    session.install("-e", ".[tests]", "datasketches>=5.0")
    session.run(
        "python", "-m", "pytest", "-m", "datasketches", *session.posargs
    )


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation with Sphinx, warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "-b", "html", "docs", "docs/_build/html")


@nox.session(python="3.11")
def changelog(session: nox.Session) -> None:
    """Show the changelog the fragments in changelog.d/ would produce."""
    session.install(".[changelog]")
    session.run("towncrier", "build", "--version", "UNRELEASED", "--draft")


@nox.session(python="3.11")
def spark(session: nox.Session) -> None:
    """Check sketch interchange and reports against a local Spark (Java 17)."""
    session.install("-e", ".[tests]", "pyspark>=3.5")
    session.run(
        "python", "-m", "pytest", "integration/test_spark.py", *session.posargs
    )
