"""Recipe readers facing hostile or damaged files: bounded memory, one-line errors, never a traceback."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from genart_kit.errors import InvalidInputError
from genart_kit.export.recipe import MAX_RECIPE_BYTES, RECIPE_KEY, read_recipe


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _png_with(tmp_path: Path, *chunks: bytes) -> Path:
    base = tmp_path / "base.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(base)
    data = base.read_bytes()
    iend = data.rindex(b"IEND") - 4
    out = tmp_path / "x.png"
    out.write_bytes(data[:iend] + b"".join(chunks) + data[iend:])
    return out


def _itxt(text: bytes, compressed: bool) -> bytes:
    body = RECIPE_KEY.encode() + b"\0" + (b"\1\0" if compressed else b"\0\0") + b"\0\0" + text
    return _chunk(b"iTXt", body)


def test_png_decompression_bomb_is_refused_without_inflating_it(tmp_path):
    # 1.5 MB of zlib inflating to ~1.5 GB: the reader must stop at its cap, not allocate the whole thing
    comp = zlib.compressobj(9)
    block = b" " * (1 << 20)
    bomb = comp.compress(b'{"a":"') + b"".join(comp.compress(block) for _ in range(64)) + comp.flush()  # 64 MiB -> ~64 kB
    path = _png_with(tmp_path, _itxt(bomb, compressed=True))
    with pytest.raises(InvalidInputError, match="larger than"):
        read_recipe(path)


def test_oversized_plain_recipe_is_refused(tmp_path):
    big = b'{"a":"' + b"x" * (MAX_RECIPE_BYTES + 10) + b'"}'
    with pytest.raises(InvalidInputError, match="larger than"):
        read_recipe(_png_with(tmp_path, _itxt(big, compressed=False)))


@pytest.mark.parametrize("suffix", ["png", "gif", "json", "frames"])
def test_deeply_nested_json_is_a_one_line_error(tmp_path, suffix):
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    if suffix == "png":
        path = _png_with(tmp_path, _itxt(deep, compressed=False))
    elif suffix == "gif":
        path = tmp_path / "x.gif"
        Image.fromarray(np.zeros((2, 2), np.uint8)).save(path)
        data = path.read_bytes()
        text = RECIPE_KEY.encode() + b" " + deep
        blocks = b"".join(bytes([len(text[i:i + 255])]) + text[i:i + 255] for i in range(0, len(text), 255))
        flags = data[10]
        pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
        path.write_bytes(data[:pos] + b"\x21\xfe" + blocks + b"\0" + data[pos:])
    elif suffix == "json":
        path = tmp_path / "x.json"
        path.write_bytes(deep)
    else:
        path = tmp_path / "seq"
        path.mkdir()
        (path / "frames.json").write_bytes(deep)
    with pytest.raises(InvalidInputError, match="nested too deeply|not valid JSON"):
        read_recipe(path)


def test_png_itxt_holding_only_the_keyword(tmp_path):
    path = _png_with(tmp_path, _chunk(b"iTXt", RECIPE_KEY.encode() + b"\0"))
    with pytest.raises(InvalidInputError, match="damaged"):
        read_recipe(path)


def test_gif_ending_after_an_extension_introducer(tmp_path):
    path = tmp_path / "x.gif"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(path)
    data = path.read_bytes()
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    path.write_bytes(data[:pos] + b"\x21")
    assert read_recipe(path) is None


def test_truncated_webp(tmp_path):
    path = tmp_path / "x.webp"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, lossless=True)
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(InvalidInputError, match="damaged|truncated"):
        read_recipe(path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"GIF89a", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBP", b"{", b""]))
def test_fuzzed_files_give_a_recipe_none_or_the_toolkits_error(tmp_path_factory, tail, head):
    path = tmp_path_factory.mktemp("fz") / "f.bin"
    path.write_bytes(head + tail)
    try:
        rec = read_recipe(path)
    except InvalidInputError:
        return
    assert rec is None or isinstance(rec, dict)


def _gif_header(tmp_path: Path) -> tuple[bytes, bytes]:
    path = tmp_path / "base.gif"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(path)
    data = path.read_bytes()
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    return data[:pos], data[pos:]


def test_many_empty_gif_comments_are_read_in_linear_time_and_memory(tmp_path):
    head, tail = _gif_header(tmp_path)
    text = RECIPE_KEY.encode() + b' {"a": 1}'
    path = tmp_path / "many.gif"
    path.write_bytes(head + b"\x21\xfe\x00" * 300_000 + b"\x21\xfe" + bytes([len(text)]) + text + b"\0" + tail)
    assert read_recipe(path) == {"a": 1}  # quadratic before: ~minutes for this many blocks


@pytest.mark.parametrize("kind", ["png", "gif"])
def test_a_huge_sparse_file_is_not_read_into_memory(tmp_path, kind):
    path = tmp_path / f"sparse.{kind}"
    if kind == "png":
        base = tmp_path / "b.png"
        Image.fromarray(np.zeros((2, 2), np.uint8)).save(base)
        data = base.read_bytes()
        iend = data.rindex(b"IEND") - 4
        path.write_bytes(data[:iend] + struct.pack(">I", 3 << 30) + b"iTXt" + RECIPE_KEY.encode() + b"\0")
    else:
        head, _ = _gif_header(tmp_path)
        path.write_bytes(head + b"\x21\xfe\xff")
    with open(path, "r+b") as fh:
        fh.truncate(3 << 30)  # 3 GiB on paper, a few kB on disk
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if kind == "png":  # the recipe chunk claims 3 GiB: refused by its size
        with pytest.raises(InvalidInputError, match="larger than"):
            read_recipe(path)
    else:  # zeros after one comment block: the header is over, no recipe
        assert read_recipe(path) is None
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # kB: far below the file's size
