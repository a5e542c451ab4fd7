"""The project's packaging: what pip reads from pyproject.toml."""

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"


def test_license_is_an_spdx_expression_so_setuptools_does_not_warn():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"  # a table ({text = ...}) is deprecated and warns on every install
    assert "setuptools>=77" in project["build-system"]["requires"]  # the first to read SPDX license strings


def test_every_subpackage_is_packaged():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    source = PYPROJECT.parent / "sheetflow"
    found = {"sheetflow"} | {f"sheetflow.{p.parent.name}" for p in source.glob("*/__init__.py")}
    assert found - {"sheetflow.__pycache__"} <= set(project["tool"]["setuptools"]["packages"])


def test_the_installed_package_says_it_is_typed():
    """PEP 561: type checkers read sheetflow's annotations only when the installed package has py.typed."""
    import sheetflow

    assert (Path(sheetflow.__file__).parent / "py.typed").is_file()
