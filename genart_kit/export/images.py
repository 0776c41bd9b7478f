"""WebP, APNG and PNG-sequence exporters (Pillow), all streaming with bounded memory.

* **APNG** is written chunk by chunk: each frame is compressed by Pillow's PNG encoder and its ``IDAT`` data
  re-wrapped as an ``fdAT`` chunk, and the frame count in ``acTL`` is patched in at the end. Pillow's own
  APNG path (``save_all=True``) holds every frame in memory and merges identical consecutive frames; this
  one keeps every frame, and frame delays are exact fractions (``1/fps`` s as ``delay_num/delay_den``). A
  clip of one frame is written as a plain PNG.
* **WebP** frames go straight into libwebp's animation encoder (``WebPAnimEncoder`` through Pillow), which
  keeps only compressed frames in memory. Timestamps are whole milliseconds distributed so the total is
  exact. libwebp always stores identical consecutive frames as one frame with their summed duration (there
  is no option to turn that off): the timing is preserved, the stored frame count may be lower.
* **PNG sequence** writes ``frame_000000.png``, ``frame_000001.png``, ... into a folder, plus ``frames.json``
  (frame list, fps, per-frame durations in ms, recipe); the whole folder appears atomically.
"""

from __future__ import annotations

import io
import json
import logging
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import ExportError, InvalidInputError
from .atomic import atomic_dir, atomic_path, check_target
from .frames import FrameStream, _fraction, check_fps, cumulative_delays
from .recipe import RECIPE_KEY, SEQUENCE_MANIFEST, dumps_recipe, recipe_xmp

log = logging.getLogger(__name__)

__all__ = ["ApngExporter", "WebPExporter", "PngSequenceExporter", "APNG", "WEBP", "PNG_SEQUENCE"]

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _itxt(text: str) -> bytes:
    """An uncompressed ``iTXt`` chunk body: keyword, flags, empty language and translated keyword, UTF-8 text."""
    return RECIPE_KEY.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")


def _image(frame: np.ndarray) -> Any:
    from PIL import Image

    c = frame.shape[-1]
    return Image.fromarray(frame[..., 0] if c == 1 else frame, _MODES[c])


def _png_chunks(frame: np.ndarray, compress_level: int) -> tuple[bytes, list[bytes]]:
    """Encode one frame ``[H, W, C]`` with Pillow; return its ``IHDR`` body and its ``IDAT`` bodies."""
    buf = io.BytesIO()
    _image(frame).save(buf, "PNG", compress_level=compress_level)
    data = buf.getvalue()
    pos, ihdr, idat = 8, b"", []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if ctype == b"IHDR":
            ihdr = body
        elif ctype == b"IDAT":
            idat.append(body)
        pos += 12 + n
    return ihdr, idat


def _check_level(compress_level: Any) -> int:
    if isinstance(compress_level, bool) or not isinstance(compress_level, int) or not 0 <= compress_level <= 9:
        raise InvalidInputError(f"compress_level must be an integer 0 (fastest) to 9 (smallest), got {compress_level!r}.")
    return compress_level


def _png_bytes(frame: np.ndarray, text: str | None, compress_level: int) -> bytes:
    ihdr, idat = _png_chunks(frame, compress_level)
    parts = [_PNG_SIG, _chunk(b"IHDR", ihdr)]
    if text:
        parts.append(_chunk(b"iTXt", _itxt(text)))
    parts += [_chunk(b"IDAT", d) for d in idat]
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)


def _apng_delay(fps: float) -> tuple[int, int] | None:
    """``(delay_num, delay_den)`` for exactly ``1 / fps`` seconds, or None if it does not fit in uint16."""
    d = 1 / _fraction(fps)
    if d.numerator <= 65535 and d.denominator <= 65535:
        return d.numerator, d.denominator
    return None


class ApngExporter:
    """Animated PNG writer (lossless, exact delays, every frame kept). Exporter ``"apng"`` (``.png``, ``.apng``)."""

    name = "apng"
    suffixes = (".png", ".apng")

    def write(self, path: str | Path, batches: Iterable[np.ndarray], *, fps: float, total_frames: int | None = None,
              recipe: dict[str, Any] | None = None, loop: int = 0, compress_level: int = 6) -> Path:
        """Write *batches* as an APNG (a plain PNG when there is a single frame) and return *path*.

        Args:
            path: output file; its folder must exist.
            batches: iterable of uint8 ``[B, H, W, C]``, C in {1, 3, 4} (grey, RGB, RGBA); streamed, one frame
                in memory at a time.
            fps: frames per second (> 0). Each frame lasts exactly ``1/fps`` s when that fraction fits the
                format's 16-bit numerator/denominator (24, 29.97, 0.5 ... do); otherwise delays are whole
                milliseconds (centiseconds, ... for very slow clips) distributed so the total stays exact.
            total_frames: optional hint, only checked (a warning on mismatch).
            recipe: JSON-serialisable dict stored in an ``iTXt`` chunk (``genart-kit:recipe``).
            loop: number of plays, 0 = forever (the ``acTL`` ``num_plays`` field).
            compress_level: zlib level 0..9 (Pillow's default 6).

        Raises:
            ExportError: bad fps, unwritable path, no frames.
            InvalidInputError: bad frames or options.
        """
        fps = check_fps(fps)
        if isinstance(loop, bool) or not isinstance(loop, int) or not 0 <= loop < 2**31:
            raise InvalidInputError(f"loop must be a non-negative integer (0 = forever), got {loop!r}.")
        level = _check_level(compress_level)
        text = dumps_recipe(recipe)
        target = check_target(path)
        stream = FrameStream(batches, max_side=2**31 - 1, fmt="PNG")
        stream.peek()
        exact = _apng_delay(fps)
        unit = next((u for u in (1000, 100, 10, 1) if u / fps + 1 <= 65535), None)
        if exact is None and unit is None:
            raise ExportError(f"APNG frame delays are at most 65535 s; fps={fps:g} is too slow. Use fps >= 0.00002.")
        ms = cumulative_delays(fps, unit or 1000)
        with atomic_path(target) as tmp, open(tmp, "wb") as fp:
            first: np.ndarray | None = None
            actl_pos = 0
            seq = 0
            n = 0
            for frame in stream.frames():
                if n == 0:
                    first = frame.copy()
                    n = 1
                    continue
                if n == 1:  # second frame: it is an animation; write the header and the held first frame
                    assert first is not None
                    ihdr, idat = _png_chunks(first, level)
                    fp.write(_PNG_SIG + _chunk(b"IHDR", ihdr))
                    actl_pos = fp.tell()
                    fp.write(_chunk(b"acTL", struct.pack(">II", 0, loop)))
                    if text:
                        fp.write(_chunk(b"iTXt", _itxt(text)))
                    seq = self._frame(fp, first, idat, seq, exact, ms, unit or 1000, first_frame=True)
                    first = None
                _, idat = _png_chunks(frame, level)
                seq = self._frame(fp, frame, idat, seq, exact, ms, unit or 1000, first_frame=False)
                n += 1
            if n == 1:
                assert first is not None
                fp.write(_png_bytes(first, text, level))
            else:
                fp.write(_chunk(b"IEND", b""))
                fp.seek(actl_pos)
                fp.write(_chunk(b"acTL", struct.pack(">II", n, loop)))
        if total_frames is not None and total_frames != stream.count:
            log.warning("total_frames=%s but the clip had %d frames", total_frames, stream.count)
        return target

    @staticmethod
    def _frame(fp: IO[bytes], frame: np.ndarray, idat: list[bytes], seq: int, exact: tuple[int, int] | None, ms: Any,
               unit: int, *, first_frame: bool) -> int:
        h, w = frame.shape[:2]
        num, den = exact if exact else (next(ms), unit)
        if exact:
            next(ms)
        # fcTL: seq, w, h, x, y, delay_num, delay_den, dispose_op (0 none), blend_op (0 source)
        fp.write(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, w, h, 0, 0, num, den, 0, 0)))
        seq += 1
        for d in idat:
            if first_frame:
                fp.write(_chunk(b"IDAT", d))
            else:
                fp.write(_chunk(b"fdAT", struct.pack(">I", seq) + d))
                seq += 1
        return seq


class WebPExporter:
    """Animated WebP writer through Pillow's libwebp binding. Exporter ``"webp"`` (``.webp``)."""

    name = "webp"
    suffixes = (".webp",)

    def write(self, path: str | Path, batches: Iterable[np.ndarray], *, fps: float, total_frames: int | None = None,
              recipe: dict[str, Any] | None = None, lossless: bool = False, quality: float = 90, method: int = 4,
              loop: int = 0) -> Path:
        """Write *batches* as an animated WebP and return *path*.

        Args:
            path: output file; its folder must exist.
            batches: iterable of uint8 ``[B, H, W, C]``, C in {1, 3, 4}; grey is stored as RGB, alpha kept.
            fps: frames per second (> 0); timestamps are whole milliseconds, distributed so the total is exact.
            total_frames: optional hint, only checked.
            recipe: JSON-serialisable dict stored in the file's XMP packet.
            lossless: lossless compression (exact pixels, larger files); default lossy.
            quality: 0..100; lossy quality, or compression effort when lossless.
            method: 0 (fast) .. 6 (slowest, smallest).
            loop: number of loops, 0 = forever.

        Raises:
            ExportError: bad fps, unwritable path, no frames, frames over 16383 px (the WebP limit).
            InvalidInputError: bad frames or options.
        """
        from PIL import features

        fps = check_fps(fps)
        if not isinstance(quality, (int, float)) or isinstance(quality, bool) or not 0 <= quality <= 100:
            raise InvalidInputError(f"quality must be a number from 0 to 100, got {quality!r}.")
        if isinstance(method, bool) or not isinstance(method, int) or not 0 <= method <= 6:
            raise InvalidInputError(f"method must be an integer 0..6, got {method!r}.")
        if isinstance(loop, bool) or not isinstance(loop, int) or not 0 <= loop <= 65535:
            raise InvalidInputError(f"loop must be an integer 0..65535 (0 = forever), got {loop!r}.")
        if not features.check("webp"):
            raise ExportError("this Pillow build has no WebP support; install a Pillow wheel from PyPI or export .gif/.png.")
        if 1000.0 / fps > 0xFFFFFF:
            raise ExportError(f"WebP frame durations are at most 16777 s (4.6 h); fps={fps:g} is too slow. Use fps >= 0.00006.")
        text = dumps_recipe(recipe)
        xmp = recipe_xmp(text) if text else b""
        target = check_target(path)
        stream = FrameStream(batches, max_side=16383, fmt="WebP")
        h, w, c = stream.peek()
        try:
            from PIL import _webp

            enc = _webp.WebPAnimEncoder((w, h), 0, loop, False, 9 if lossless else 3, 17 if lossless else 5, False, False)
        except (ImportError, AttributeError, TypeError):  # pragma: no cover - Pillow without the anim encoder API
            return self._write_pillow(target, stream, fps, xmp, lossless, quality, method, loop)
        timestamp = 0
        ms = cumulative_delays(fps, 1000)
        for frame in stream.frames():
            im = _image(frame)
            if im.mode == "L":
                im = im.convert("RGB")
            enc.add(im.getim(), timestamp, bool(lossless), float(quality), 100.0, int(method))
            timestamp += next(ms)
            if timestamp > 2**31 - 1:
                raise ExportError("the WebP animation would last over 24 days (the format's timestamp limit); export fewer frames or a higher fps.")
        enc.add(None, timestamp, bool(lossless), float(quality), 100.0, 0)
        data = enc.assemble(b"", b"", xmp)
        if data is None:
            raise ExportError("libwebp could not assemble the animation; try lossless=False or a smaller size.")
        with atomic_path(target) as tmp:
            Path(tmp).write_bytes(data)
        if total_frames is not None and total_frames != stream.count:
            log.warning("total_frames=%s but the clip had %d frames", total_frames, stream.count)
        return target

    @staticmethod
    def _write_pillow(target: Path, stream: FrameStream, fps: float, xmp: bytes, lossless: bool, quality: float, method: int,
                      loop: int) -> Path:  # pragma: no cover - fallback for Pillow builds without _webp.WebPAnimEncoder
        ims = [_image(f).convert("RGBA" if f.shape[-1] == 4 else "RGB") for f in stream.frames()]
        ms = cumulative_delays(fps, 1000)
        durations = [next(ms) for _ in ims]
        with atomic_path(target) as tmp:
            ims[0].save(tmp, "WEBP", save_all=True, append_images=ims[1:], duration=durations, loop=loop,
                        lossless=lossless, quality=quality, method=method, xmp=xmp)
        return target


class PngSequenceExporter:
    """Folder of numbered PNG frames plus ``frames.json``. Exporter ``"png-sequence"`` (paths without a suffix)."""

    name = "png-sequence"
    suffixes = ("",)

    def write(self, path: str | Path, batches: Iterable[np.ndarray], *, fps: float, total_frames: int | None = None,
              recipe: dict[str, Any] | None = None, prefix: str = "frame_", digits: int = 6, compress_level: int = 6) -> Path:
        """Write every frame as ``<path>/<prefix><index>.png`` plus ``<path>/frames.json``; return the folder.

        The folder is built under a temporary name and renamed into place at the end. An existing folder of
        the same name is replaced only if it is empty or was written by this exporter (it has ``frames.json``).

        Args:
            path: output folder (created; its parent must exist).
            batches: iterable of uint8 ``[B, H, W, C]``, C in {1, 3, 4}; streamed, one frame at a time.
            fps: frames per second (> 0); stored in ``frames.json`` with per-frame durations in whole ms that
                sum to the exact clip duration.
            total_frames: optional hint, only checked.
            recipe: JSON-serialisable dict, stored in every PNG (``iTXt``) and in ``frames.json``.
            prefix: file-name prefix (letters, digits, ``-``, ``_``).
            digits: zero-padding of the frame index (1..9); names stay in order up to ``10**digits`` frames.
            compress_level: zlib level 0..9.

        Manifest (``frames.json``): ``{"format": "genart-kit/png-sequence", "version": 1, "fps", "width",
        "height", "channels", "frame_count", "frames": [names], "durations_ms": [...], "recipe"}``.

        Raises:
            ExportError: bad fps, unwritable parent, a foreign non-empty folder in the way, no frames.
            InvalidInputError: bad frames or options.
        """
        fps = check_fps(fps)
        if not isinstance(prefix, str) or not all(ch.isalnum() or ch in "-_" for ch in prefix):
            raise InvalidInputError(f"prefix may hold only letters, digits, '-' and '_', got {prefix!r}.")
        if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 9:
            raise InvalidInputError(f"digits must be an integer 1..9, got {digits!r}.")
        level = _check_level(compress_level)
        text = dumps_recipe(recipe)
        target = check_target(path, directory=True)
        stream = FrameStream(batches, max_side=2**31 - 1, fmt="PNG")
        h, w, c = stream.peek()
        names: list[str] = []
        ms = cumulative_delays(fps, 1000)
        durations: list[int] = []
        with atomic_dir(target, marker=SEQUENCE_MANIFEST) as tmp:
            for i, frame in enumerate(stream.frames()):
                name = f"{prefix}{i:0{digits}d}.png"
                (tmp / name).write_bytes(_png_bytes(frame, text, level))
                names.append(name)
                durations.append(next(ms))
            manifest = {"format": "genart-kit/png-sequence", "version": 1, "fps": fps, "width": w, "height": h,
                        "channels": c, "frame_count": len(names), "frames": names, "durations_ms": durations,
                        "recipe": json.loads(text) if text else None}
            (tmp / SEQUENCE_MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        if total_frames is not None and total_frames != stream.count:
            log.warning("total_frames=%s but the clip had %d frames", total_frames, stream.count)
        return target


APNG = ApngExporter()
WEBP = WebPExporter()
PNG_SEQUENCE = PngSequenceExporter()
