"""Shared fixtures: generated workbooks, written once per test session."""

from pathlib import Path

import pytest

from sheetflow import definitions
from sheetflow.generate import Request, generate

HERE = Path(__file__).parent
FIXED_ID = "00000000-0000-4000-8000-000000000001"


@pytest.fixture(scope="session")
def assessment():
    return definitions.load("sector-self-assessment")


@pytest.fixture(scope="session")
def action_plan():
    return definitions.load("sector-action-plan")


@pytest.fixture(scope="session")
def blank_workbooks(tmp_path_factory, assessment, action_plan):
    """instrument id -> a blank generated workbook with a fixed response id."""
    folder = tmp_path_factory.mktemp("blank")
    out = {}
    for instrument in (assessment, action_plan):
        path = folder / f"{instrument.id}.xlsx"
        generate(Request(instrument, response_id=FIXED_ID, cycle="2026"), path)
        out[instrument.id] = path
    return out
