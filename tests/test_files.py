"""Writing outputs: atomic files, and zip parts deflated as zipfile stores them."""

import io
import zipfile
import zlib

from hypothesis import given, strategies as st

from sheetflow.files import Deflated, atomic_path, zip_bytes


def inflate(packed: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    data = inflater.decompress(packed) + inflater.flush()
    assert inflater.eof, "the stream has no final block"
    assert not inflater.unused_data
    return data


@given(st.binary(max_size=5000), st.sampled_from([1, 2, 6, 9, zlib.Z_DEFAULT_COMPRESSION]))
def test_a_deflated_part_inflates_to_its_bytes_with_their_crc_and_size(data, level):
    part = Deflated.of(data, level)
    assert inflate(part.packed) == data and (part.crc, part.size) == (zlib.crc32(data), len(data))


@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}/[a-z]{1,8}\.xml", fullmatch=True), st.binary(max_size=2000),
                       min_size=1, max_size=5))
def test_zip_bytes_is_a_zip_that_zipfile_reads_back(parts):
    infos = [zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)) for name in parts]
    with zipfile.ZipFile(io.BytesIO(zip_bytes((info, Deflated.of(parts[info.filename])) for info in infos))) as z:
        assert z.testzip() is None
        assert {name: z.read(name) for name in z.namelist()} == parts




def test_an_output_appears_only_when_it_is_complete(tmp_path):
    target = tmp_path / "out.txt"
    try:
        with atomic_path(target) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("stopped")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
