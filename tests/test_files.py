"""Writing outputs: atomic files, and zip parts deflated in threads or in pieces."""

import zlib

from hypothesis import given, strategies as st

from sheetflow.files import Deflated, Deflater, atomic_path, crc32_combine, deflate


def inflate(packed: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    data = inflater.decompress(packed) + inflater.flush()
    assert inflater.eof, "the stream has no final block"
    assert not inflater.unused_data
    return data


@given(st.lists(st.binary(max_size=3000) | st.text(max_size=500).map(str.encode), min_size=1, max_size=5))
def test_pieces_deflated_apart_join_into_one_part(pieces):
    packed = b"".join(deflate(piece, last=False) for piece in pieces[:-1]) + deflate(pieces[-1])
    assert inflate(packed) == b"".join(pieces)


@given(st.binary(max_size=5000), st.binary(max_size=5000), st.binary(max_size=50))
def test_deflated_pieces_join_with_the_crc_and_size_of_the_whole(a, b, c):
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    whole = Deflated.of(a, last=False) + Deflated.of(b, last=False, level=2) + Deflated.of(c)
    assert (whole.crc, whole.size) == (zlib.crc32(a + b + c), len(a + b + c))
    assert inflate(whole.packed) == a + b + c


def test_crc32_combine_over_a_long_second_piece():
    a, b = b"<row/>" * 1000, bytes(range(256)) * 40_000
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_large_parts_are_deflated_in_threads_and_deflated_parts_are_kept():
    big = b"<row/>" * 300_000
    ready = Deflated.of(b"<b/>")
    parts = {"a.xml": big, "b.xml": ready, "c.xml": b"<c/>"}
    with Deflater() as deflater:
        deflater.start(parts)
        first = deflater.finish(parts)
        parts["a.xml"] = b"<changed/>"
        changed = deflater.finish(parts)
    assert inflate(first["a.xml"].packed) == big and first["b.xml"] is ready
    assert inflate(first["c.xml"].packed) == b"<c/>"
    assert inflate(changed["a.xml"].packed) == b"<changed/>"


def test_an_output_appears_only_when_it_is_complete(tmp_path):
    target = tmp_path / "out.txt"
    try:
        with atomic_path(target) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("stopped")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
