"""Writing outputs: atomic files, and zip parts deflated in threads or in pieces."""

import zlib

from hypothesis import given, strategies as st

from sheetflow.files import Deflater, atomic_path, deflate


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


def test_a_part_deflated_elsewhere_is_kept_unless_it_changes():
    big = b"<row/>" * 300_000
    parts = {"a.xml": big, "b.xml": b"<b/>"}
    with Deflater() as deflater:
        deflater.start(parts)
        deflater.done("b.xml", parts["b.xml"], b"kept as given")
        kept = deflater.finish(parts)
        parts["b.xml"] = b"<changed/>"
        changed = deflater.finish(parts)
    assert inflate(kept["a.xml"]) == big and kept["b.xml"] == b"kept as given"
    assert inflate(changed["b.xml"]) == b"<changed/>"


def test_an_output_appears_only_when_it_is_complete(tmp_path):
    target = tmp_path / "out.txt"
    try:
        with atomic_path(target) as tmp:
            open(tmp, "w").write("half")
            raise RuntimeError("stopped")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
