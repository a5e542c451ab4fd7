"""The manifest of what was sent: written and read back unchanged, and anything else refused in one line."""

import pytest
from hypothesis import given, settings, strategies as st

from sheetflow.errors import SheetflowError
from sheetflow.instruments.manifest import MANIFEST_COLUMNS, ManifestRow, manifest_path, read_manifest, write_manifest

cell = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
ident = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=20)
address = st.emails()


@st.composite
def rows(draw):
    return ManifestRow(response_id=draw(ident), instrument=draw(cell), cycle=draw(cell), region=draw(cell),
                       organization=draw(cell), respondent_name=draw(cell), email=draw(address), file=draw(ident),
                       generated_at=draw(cell))


@settings(max_examples=150, deadline=None)
@given(st.lists(rows(), max_size=5))
def test_any_text_is_read_back_as_it_was_written(tmp_path_factory, written):
    path = tmp_path_factory.mktemp("m") / "manifest.csv"
    write_manifest(path, written)
    assert read_manifest(path) == written
    assert read_manifest(path.parent) == written  # the folder names its manifest.csv


def test_spaces_typed_around_an_email_are_not_part_of_it(tmp_path):
    path = tmp_path / "manifest.csv"
    path.write_text(",".join(MANIFEST_COLUMNS) + "\nr1,sector-self-assessment,2026,North,Org,Ana, ana@a.org ,a.xlsx,\n",
                    encoding="utf-8")
    (row,) = read_manifest(path)
    assert row.email == "ana@a.org" and row.file == "a.xlsx" and row.generated_at == ""


@pytest.mark.parametrize("content, reason", [
    (None, "no such manifest"),
    (b"", "is empty; it is not a sheetflow manifest"),
    (b"name,email\nAna,a@x.org\n", "is not a sheetflow manifest (no column response_id, instrument, cycle"),
    (b"\xff\xfe\x00r\x00", "cannot be read as a sheetflow manifest"),
    ((",".join(MANIFEST_COLUMNS) + "\n,sector-self-assessment,2026,N,O,A,a@x.org,a.xlsx,\n").encode(),
     "row 2: no response id or file; the manifest was edited by hand"),
])
def test_anything_else_is_refused_with_its_reason(tmp_path, content, reason):
    path = tmp_path / "manifest.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SheetflowError, match=reason.replace("(", r"\(")):
        read_manifest(path)


def test_a_folder_or_a_file_names_the_manifest(tmp_path):
    assert manifest_path(tmp_path) == tmp_path / "manifest.csv"
    assert manifest_path(tmp_path / "sent.csv") == tmp_path / "sent.csv"
