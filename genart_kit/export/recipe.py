"""Recipes: the JSON that lets ``genart replay FILE`` re-render an exported animation.

A recipe is a JSON-serialisable dict (for example ``{"sketch": "sketches/loop.py", "params": {...},
"seed": 3, "model": "vae-mnist", "versions": {...}}``; its content is the pipeline's business). Every
exporter embeds it in the file's own metadata, serialised canonically (sorted keys, no whitespace) so the
same recipe always gives the same bytes:

=================  ==========================================================================
format             where the recipe lives
=================  ==========================================================================
GIF                a comment extension block ``genart-kit:recipe {json}`` after the header
PNG, APNG          an ``iTXt`` chunk with keyword ``genart-kit:recipe`` (UTF-8, uncompressed)
WebP               an XMP packet (attribute ``genart:recipe`` in namespace :data:`XMP_NS`)
PNG sequence       an ``iTXt`` chunk in every PNG plus ``"recipe"`` in ``frames.json``
sprite sheet       ``iTXt`` in the atlas PNG plus ``meta.recipe`` in the JSON frame table
MP4 / WebM         the container's ``comment`` tag (``genart-kit:recipe {json}``)
=================  ==========================================================================

:func:`read_recipe` reads any of them back.
"""

from __future__ import annotations

import html
import json
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any

from ..errors import ExportError, InvalidInputError

__all__ = ["RECIPE_KEY", "XMP_NS", "MAX_RECIPE_BYTES", "dumps_recipe", "loads_recipe", "parse_json_bounded", "recipe_xmp", "read_recipe"]

RECIPE_KEY = "genart-kit:recipe"
"""Keyword of the PNG text chunk and prefix of GIF/video comments that carry a recipe."""

XMP_NS = "https://github.com/genart-kit/ns/recipe/1.0/"
"""XML namespace of the recipe attribute in WebP XMP packets."""

SEQUENCE_MANIFEST = "frames.json"
"""Manifest written inside a PNG-sequence folder."""

MAX_RECIPE_BYTES = 16 << 20
"""Largest recipe (or manifest) any reader parses or inflates, in bytes: a recipe with its sketch source is a
few kB; a compressed chunk that inflates past this (a decompression bomb) is refused without inflating it all."""


def _too_big(source: str, n: int | str) -> InvalidInputError:
    return InvalidInputError(f"the recipe in {source} is larger than {MAX_RECIPE_BYTES >> 20} MiB ({n} bytes); genart-kit "
                             "never writes one that large, so the file is damaged or hostile: it was not read.")


def parse_json_bounded(text: str | bytes, *, source: str, what: str = "the recipe embedded in") -> Any:
    """``json.loads`` with the readers' limits: at most :data:`MAX_RECIPE_BYTES`, any nesting depth the
    decoder survives (deeper input is an error, not a ``RecursionError`` traceback).

    Raises:
        InvalidInputError: too large, not JSON, or nested too deeply.
    """
    if len(text) > MAX_RECIPE_BYTES:
        raise _too_big(source, len(text))
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInputError(f"{what} {source} is nested too deeply to be a recipe; the file is damaged or hostile.") from None
    except ValueError as exc:
        raise InvalidInputError(f"{what} {source} is not valid JSON ({exc}); the file may be damaged.") from exc


def _default(obj: Any) -> Any:
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "tolist"):  # numpy scalars/arrays, torch tensors
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def dumps_recipe(recipe: Any) -> str | None:
    """Serialise *recipe* canonically (sorted keys, compact, UTF-8 text); ``None`` passes through.

    Paths become strings and numpy/torch scalars plain numbers, so ``{"seed": np.int64(3)}`` works.

    Raises:
        InvalidInputError: *recipe* is not a dict, holds values JSON cannot represent (NaN, infinities,
            arbitrary objects) or keys of mixed types.
    """
    if recipe is None:
        return None
    if not isinstance(recipe, dict):
        raise InvalidInputError(f"recipe must be a dict (sketch, params, seed, model, versions), got {type(recipe).__name__}.")
    try:
        return json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"recipe is not JSON-serialisable ({exc}); keep it to str/int/float/bool/None, lists and dicts.") from exc


def loads_recipe(text: str | bytes, *, source: str = "file") -> dict[str, Any]:
    """Parse a serialised recipe (optionally prefixed by :data:`RECIPE_KEY`).

    Raises:
        InvalidInputError: the text is not a JSON object, is larger than :data:`MAX_RECIPE_BYTES` or is
            nested too deeply.
    """
    if len(text) > MAX_RECIPE_BYTES + len(RECIPE_KEY) + 8:
        raise _too_big(source, len(text))
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text.strip()
    if text.startswith(RECIPE_KEY):
        text = text[len(RECIPE_KEY):].strip()
    obj = parse_json_bounded(text, source=source)
    if not isinstance(obj, dict):
        raise InvalidInputError(f"the recipe embedded in {source} is not a JSON object.")
    return obj


def recipe_xmp(text: str) -> bytes:
    """An XMP packet (UTF-8 bytes) carrying the serialised recipe *text* as an attribute."""
    value = html.escape(text, quote=True)
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:genart="{XMP_NS}" genart:recipe="{value}"/>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="r"?>').encode("utf-8")


_XMP_RE = re.compile(r'genart:recipe="([^"]*)"')


def _from_xmp(xmp: Any, source: str) -> dict[str, Any] | None:
    if not xmp:
        return None
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", errors="replace")
    m = _XMP_RE.search(str(xmp))
    return loads_recipe(html.unescape(m.group(1)), source=source) if m else None


def _gif_comments(fh: Any) -> list[bytes]:
    """Comment extensions before the first image of a GIF, read block by block from the open file *fh* (a
    tiny walker: no pixel decoding, at most :data:`MAX_RECIPE_BYTES` of comment text kept, linear time)."""
    out: list[bytes] = []
    head = fh.read(13)
    if len(head) < 13:
        return out
    flags = head[10]
    if flags & 0x80:
        fh.seek(3 * (2 << (flags & 7)), 1)
    kept = 0
    while True:
        intro = fh.read(2)
        if len(intro) < 2 or intro[0] != 0x21:  # image descriptor, trailer or a cut-off file: the header is over
            break
        chunks = []
        while True:
            n = fh.read(1)
            if not n or not n[0]:
                break
            block = fh.read(n[0])
            if intro[1] == 0xFE:
                kept += len(block)
                if kept > MAX_RECIPE_BYTES + 64:
                    raise _too_big(getattr(fh, "name", "the GIF"), f"more than {kept}")
                chunks.append(block)
        if intro[1] == 0xFE:
            out.append(b"".join(chunks))
        if not n:
            break
    return out


def read_recipe(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read the recipe embedded by a genart-kit exporter; ``None`` when the file carries none.

    Works on GIF, PNG/APNG, WebP, a PNG-sequence folder (or any PNG in it), a sprite sheet's JSON or PNG,
    and MP4/WebM (those need the ``video`` extra for ffmpeg). The format is detected from the file's
    content, not its name.

    Raises:
        InvalidInputError: the path does not exist, or the embedded recipe is damaged.
        ExportError: the file cannot be read.
        MissingDependencyError: a video file and ``imageio-ffmpeg`` is not installed.
    """
    p = Path(os.fspath(path)).expanduser()
    if p.is_dir():
        manifest = p / SEQUENCE_MANIFEST
        if not manifest.is_file():
            return None
        table = parse_json_bounded(_read_bounded(manifest), source=f"'{manifest}'", what="the manifest")
        rec = table.get("recipe") if isinstance(table, dict) else None
        return rec if isinstance(rec, dict) else None
    if not p.is_file():
        raise InvalidInputError(f"cannot read a recipe from '{p}': no such file; check the path.")
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
            if head[:6] in (b"GIF87a", b"GIF89a"):
                fh.seek(0)
                for c in _gif_comments(fh):
                    if c.startswith(RECIPE_KEY.encode()):
                        return loads_recipe(c, source=str(p))
                return None
    except OSError as exc:
        raise ExportError(f"cannot read '{p}': {exc.strerror or exc}.") from exc
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_recipe(p)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        from PIL import Image

        try:
            with Image.open(p) as im:
                xmp = im.info.get("xmp")
        except (OSError, ValueError, SyntaxError, struct.error) as exc:
            raise InvalidInputError(f"'{p}' is a damaged or truncated WebP file ({exc}); re-export it.") from exc
        if xmp and len(xmp) > MAX_RECIPE_BYTES * 2:
            raise _too_big(str(p), len(xmp))
        return _from_xmp(xmp, str(p))
    if head[:1] in (b"{", b"[") or p.suffix.lower() == ".json":
        table = parse_json_bounded(_read_bounded(p), source=f"'{p}'", what="the JSON file")
        if isinstance(table, dict):
            rec = table.get("recipe", (table.get("meta") or {}).get("recipe") if isinstance(table.get("meta"), dict) else None)
            return rec if isinstance(rec, dict) else None
        return None
    if head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3":  # MP4/MOV or Matroska/WebM
        from .ffmpeg import read_video_comment

        comment = read_video_comment(p)
        if comment and comment.strip().startswith(RECIPE_KEY):
            return loads_recipe(comment, source=str(p))
        return None
    return None


def _read_bounded(p: Path) -> bytes:
    """The bytes of *p*, refusing files over :data:`MAX_RECIPE_BYTES` before reading them."""
    try:
        size = p.stat().st_size
        if size > MAX_RECIPE_BYTES:
            raise _too_big(f"'{p}'", size)
        return p.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read '{p}': {exc.strerror or exc}.") from exc


def _inflate_bounded(data: bytes, source: str) -> bytes:
    """zlib-inflate *data* to at most :data:`MAX_RECIPE_BYTES` (a bomb stops at the cap, nothing more is allocated)."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_RECIPE_BYTES + 1)
    except zlib.error as exc:
        raise InvalidInputError(f"the recipe chunk in {source} is damaged ({exc}).") from exc
    if len(out) > MAX_RECIPE_BYTES or d.unconsumed_tail:
        raise _too_big(source, f"more than {len(out)}")
    return out


def _png_recipe(p: Path) -> dict[str, Any] | None:
    # walk the chunks ourselves: cheap, no decoding, and text chunks after IDAT (APNG) are found too

    key = RECIPE_KEY.encode("latin-1")
    try:
        fh = open(p, "rb")
    except OSError as exc:
        raise ExportError(f"cannot read '{p}': {exc.strerror or exc}.") from exc
    with fh:
        fh.seek(8)
        while True:
            header = fh.read(8)
            if len(header) < 8:
                return None
            (n,) = struct.unpack(">I", header[:4])
            ctype = header[4:8]
            if ctype == b"IEND":
                return None
            if ctype not in (b"iTXt", b"tEXt"):
                fh.seek(n + 4, 1)  # skip the chunk and its CRC without reading it
                continue
            if n > MAX_RECIPE_BYTES + len(key) + 8:
                probe = fh.read(len(key) + 1)
                if probe == key + b"\0":
                    raise _too_big(f"'{p}'", n)
                fh.seek(n - len(probe) + 4, 1)
                continue
            body = fh.read(n)
            fh.seek(4, 1)
            recipe = _png_text_recipe(ctype, body, key, p)
            if recipe is not None:
                return recipe


def _png_text_recipe(ctype: bytes, body: bytes, key: bytes, p: Path) -> dict[str, Any] | None:
    """The recipe in one PNG text chunk, or ``None`` when the chunk is another keyword's."""
    if ctype == b"iTXt" and body.startswith(key + b"\0"):
        rest = body[len(key) + 1:]
        if len(rest) < 4:
            raise InvalidInputError(f"the recipe chunk in '{p}' is damaged (it holds only its keyword); re-export the file.")
        compressed = rest[0] == 1
        rest = rest[2:]
        _lang, _, rest = rest.partition(b"\0")
        _tkey, _, text = rest.partition(b"\0")
        if compressed:
            text = _inflate_bounded(text, f"'{p}'")
        return loads_recipe(text, source=str(p))
    if ctype == b"tEXt" and body.startswith(key + b"\0"):
        return loads_recipe(body[len(key) + 1:].decode("latin-1"), source=str(p))
    return None
