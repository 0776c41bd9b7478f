"""Animated GIF export: exact timing, every frame kept, colour tables chosen by measured error, bounded memory.

The file is written block by block (header, NETSCAPE loop block, comment, then one graphic-control
extension + image per frame) with Pillow's LZW encoder doing the compression, instead of going through
``Image.save(save_all=True)``, because that path (Pillow 10-13):

* merges identical consecutive frames into one longer frame and drops "empty" frames, which changes the
  frame count and breaks holds at the end of a loop;
* quantises every frame separately (median cut, about 0.1 s per 256x256 frame), which flickers on smooth
  colour walks;
* needs every frame in memory at once.

Timing: GIF delays are integer centiseconds (1/100 s). A frame at ``fps`` lasts ``100 / fps`` cs, which is
rarely an integer, so the delays are distributed to keep the running total exact: frame ``i`` ends at
``round((i + 1) * 100 / fps)`` cs. At 24 fps the delays repeat 4, 4, 5, 4, 4, 4 (25 cs per 6 frames = 1/24 s
per frame on average, no drift); at 25 or 50 fps they are a constant 4 or 2 cs. Browsers and most viewers
replace delays under 2 cs (20 ms) by 10 cs (100 ms), so ``fps`` above 50 is refused unless
``allow_fast_fps=True`` (then a warning is logged and the delays are written as they are).

Palette strategy (streaming vs. a global palette): frames are buffered, in memory up to 64 MiB and then in
an unlinked temporary file in the output folder, until the clip ends or ``buffer_mb`` is reached, while a
colour histogram and a small per-frame sample are taken from them. One palette is built from the histogram
(see :mod:`genart_kit.export.palette`); :func:`~genart_kit.export.gif_tables.plan_tables` then measures
each frame's error under it and splits the clip into runs of frames with their own local colour tables
where that pays (``quality=`` presets; a clip that fits one palette keeps one global table). The buffered
frames are encoded, and any remaining frames are streamed straight through with the palette of everything
buffered. So clips up to ``buffer_mb`` (256 MiB: about 1,300 frames of 256x256 RGB) get tables computed
from every frame; longer clips get one computed from their first ``buffer_mb`` of frames for the rest, and
memory stays bounded whatever the length. Pass ``palette=`` (a fixed ``[K, 3]`` uint8 array) to stream with
no buffering at all.

Size: after the first frame, each frame stores only the bounding box of the pixels it changes; inside it,
the others become the transparent index of the frame's table when that compresses better. The canvas is
tracked as displayed colours, so this works across table changes: a pixel keeps the previous canvas,
whatever table drew it, when its new colour is the same, when its source pixel did not change (static
areas never flicker, dithered or not), or when the canvas colour is at least as close to the source as
the new colour. Identical frames become a
1x1 transparent frame that keeps its own delay. While every pixel on the canvas comes from one table (a
clip with one global table, or since the last frame that redrew everything), the canvas is kept as that
table's indices, so comparing a frame with it is one byte compare per pixel.
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import ExportError, InvalidInputError
from .atomic import atomic_path, check_target
from .frames import FrameStream, check_fps, cumulative_delays
from .gif_tables import FrameSamples, plan_tables, preset
from .palette import DITHER_MODES, ColorHistogram, ColorMapper, _keys24, _unkey, build_palette
from .recipe import RECIPE_KEY, dumps_recipe

log = logging.getLogger(__name__)

__all__ = ["GifExporter", "gif_size", "write_gif"]

MAX_FPS = 50.0
"""Highest frame rate whose delay (2 cs) viewers honour; faster GIFs are shown at 10 fps by browsers."""

_MEM_SPOOL = 64 << 20


class _TooBig(Exception):
    pass


class _Counting:
    """File wrapper that counts bytes and aborts once a size budget is exceeded."""

    def __init__(self, fp: IO[bytes], limit: int | None) -> None:
        self.fp = fp
        self.n = 0
        self.limit = limit

    def write(self, data: bytes) -> None:
        self.n += len(data)
        if self.limit is not None and self.n > self.limit:
            raise _TooBig
        self.fp.write(data)


def _lzw(indices: np.ndarray, bits: int) -> bytes:
    """LZW-compress ``[h, w]`` uint8 palette indices into GIF data sub-blocks (Pillow's C encoder)."""
    from PIL import Image

    h, w = indices.shape
    im = Image.frombuffer("P", (w, h), np.ascontiguousarray(indices).tobytes(), "raw", "P", 0, 1)
    return im.tobytes("gif", "P", bits, 0)


class _GifStream:
    """Writes a GIF89a block by block. Frames go in as full-canvas index arrays plus the table they index.

    The first table (*palette*) is the global colour table; a frame given another table carries it as a local
    colour table. Every table has its own transparent index, right after its opaque colours. The canvas is
    tracked as displayed RGB colours, so deltas work across table changes: a pixel is left transparent (it
    keeps the previous canvas, whatever table drew it) when its new colour equals the canvas colour or, given
    the source frame, when the canvas colour is at least as close to the source (within ``keep_tol``,
    squared 8-bit RGB distance). *stabilize* (for error diffusion, whose indices move even where the source
    does not) keeps every pixel whose source did not change, also while one table serves the whole clip.
    While the whole canvas shows one table's colours (and that table repeats no colour), it is kept as
    indices into that table instead (equal index = equal colour), and made into colours at the next table change.
    """

    def __init__(self, out: _Counting, size: tuple[int, int], palette: np.ndarray, *, loop: int | None,
                 comment: str | None, optimize: bool, has_alpha: bool, keep_tol: float = 0.0,
                 stabilize: bool = False) -> None:
        self.out = out
        self.w, self.h = size
        self.palette = palette
        self.optimize = optimize
        self.has_alpha = has_alpha
        self.keep_tol = float(keep_tol)
        # the canvas as displayed colours 0xRRGGBB, or, while every pixel on it was drawn from one table with
        # distinct colours, as indices into that table (cheaper to compare and update; colours made on demand)
        self._canvas: np.ndarray | None = None
        self._canvas_idx: np.ndarray | None = None
        self._canvas_table: np.ndarray | None = None
        self._distinct: tuple[np.ndarray | None, bool] = (None, False)
        self._keyed: tuple[np.ndarray | None, np.ndarray] = (None, np.zeros(0, np.uint32))
        self._set_canvas(np.zeros((self.h, self.w), np.uint8), palette)
        self.canvas_op = np.zeros((self.h, self.w), np.bool_)
        self.pending: tuple[np.ndarray, np.ndarray, np.ndarray | None, int] | None = None
        self.first_has_tr = False
        self.frames = 0
        self.prev_src: np.ndarray | None = None
        self._prev_src_keys: np.ndarray | None = None
        self.prev_table: np.ndarray | None = None
        self.mixed = False
        self.stabilize = stabilize
        bits, table = _table(palette)
        self.tr = len(palette)
        flags = 0x80 | ((bits - 1) << 4) | (bits - 1)
        head = [b"GIF89a", struct.pack("<HHBBB", self.w, self.h, flags, self.tr, 0), table]
        if loop is not None:
            head.append(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")
        if comment:
            data = f"{RECIPE_KEY} {comment}".encode("utf-8")
            head.append(b"!\xfe")
            for i in range(0, len(data), 255):
                sub = data[i:i + 255]
                head.append(bytes([len(sub)]) + sub)
            head.append(b"\x00")
        out.write(b"".join(head))

    def add(self, target: np.ndarray, delay_cs: int, table: np.ndarray | None = None, source: np.ndarray | None = None) -> None:
        """Queue frame *target* ``[H, W]`` uint8 indices into *table* (``[K, 3]``, default the global one; index
        K = transparent), shown for *delay_cs* centiseconds; *source* ``[H, W, 3]`` uint8 is the frame before
        quantisation (enables keeping closer canvas pixels), or None."""
        table = self.palette if table is None else table
        if self.frames == 0:
            self.first_has_tr = bool(self.has_alpha and (target == len(table)).any())
        if self.pending is not None:
            self._emit(*self.pending, nxt=target, nxt_tr=len(table))
        self.pending = (target, table, source, delay_cs)
        self.frames += 1

    @property
    def canvas(self) -> np.ndarray:
        """The displayed canvas ``[H, W]`` uint32 colours 0xRRGGBB (meaningful where :attr:`canvas_op` is set)."""
        if self._canvas_idx is None:
            assert self._canvas is not None
            return self._canvas
        assert self._canvas_table is not None
        return _shown(self._canvas_idx, self._keys(self._canvas_table))

    def _keys(self, table: np.ndarray) -> np.ndarray:
        """*table*'s colours as 24-bit keys 0xRRGGBB (``[K]`` uint32), kept for the last table asked."""
        if table is not self._keyed[0]:
            self._keyed = (table, _keys24(table))
        return self._keyed[1]

    def _set_canvas(self, target: np.ndarray, table: np.ndarray) -> None:
        """Every pixel was just drawn from *table* (``target`` ``[H, W]`` indices): the canvas becomes that frame.

        Kept as indices into *table* when its colours are distinct (equal indices then mean equal colours),
        else as colours.
        """
        if table is not self._distinct[0]:
            self._distinct = (table, len(np.unique(self._keys(table))) == len(table))
        if self._distinct[1]:
            self._canvas, self._canvas_idx, self._canvas_table = None, target.copy(), table
        else:
            self._canvas, self._canvas_idx, self._canvas_table = _shown(target, self._keys(table)), None, None

    def close(self) -> None:
        if self.pending is not None:
            self._emit(*self.pending, nxt=None, nxt_tr=0)
            self.pending = None
        self.out.write(b";")

    def _emit(self, target: np.ndarray, table: np.ndarray, source: np.ndarray | None, delay: int,
              nxt: np.ndarray | None, nxt_tr: int) -> None:
        tr = len(table)
        bits = _bits(tr)
        opaque = target != tr if self.has_alpha else None
        if nxt is None:
            clear = self.first_has_tr  # the loop restarts on a cleared canvas
        else:
            clear = bool(self.has_alpha and np.any((nxt == nxt_tr) & opaque))
        keys = self._keys(table)  # displayed colours as 24-bit keys 0xRRGGBB
        # the canvas as indices of this very table: compare indices, never build the frame's colours
        by_index = self._canvas_idx is not None and table is self._canvas_table
        if not by_index:  # another table: from now on the canvas is kept as colours
            canvas = self._canvas = self.canvas
            self._canvas_idx = self._canvas_table = None
            shown = _shown(target, keys)
        x0 = y0 = 0
        sub, need_sub, exact = target, None, True
        prev_src, self.prev_src = self.prev_src, source
        prev_keys, self._prev_src_keys = self._prev_src_keys, None  # the previous source's colour keys, if made
        prev_table, self.prev_table = self.prev_table, table
        if prev_table is not None and table is not prev_table:
            self.mixed = True  # from now on the canvas may hold colours of other tables
        if self.optimize:
            op = self.canvas_op if opaque is None else self.canvas_op & opaque
            keep = op & ((target == self._canvas_idx) if by_index else (shown == canvas))
            # with one table (and no error diffusion) an unchanged source pixel already maps to the same colour
            if source is not None and (self.mixed or self.stabilize or self.keep_tol > 0) and op.any():
                cand = op & ~keep
                if prev_src is not None:  # a pixel whose source did not change keeps its colour (no flicker)
                    self._prev_src_keys = _keys24(source)
                    static = cand & (self._prev_src_keys == (_keys24(prev_src) if prev_keys is None else prev_keys))
                    if static.any():  # kept pixels that differ from the new colour: the frame is not exact
                        exact = False
                        keep |= static
                        cand &= ~static
                # the error test only where the canvas may hold colours this table would not choose: after a
                # table change, or with a tolerance (with one table, the new index is already the nearest colour)
                yy, xx = np.nonzero(cand) if (table is not prev_table or self.keep_tol > 0) else ((), ())
                if len(yy):
                    assert source is not None
                    src = source[yy, xx].astype(np.int32)
                    old = keys[self._canvas_idx[yy, xx]] if by_index else canvas[yy, xx]
                    e_old = ((src - _unkey(old)) ** 2).sum(-1)
                    e_new = ((src - table[target[yy, xx]]) ** 2).sum(-1)
                    better = e_old <= e_new + self.keep_tol
                    if better.any():
                        exact = False
                        keep[yy[better], xx[better]] = True
            if opaque is not None:
                keep |= ~opaque & ~self.canvas_op
            need = ~keep
            if clear:  # disposal 2 clears the frame's rectangle: it must cover the canvas
                need_sub = need
            elif need[0].any() and need[-1].any() and need[:, 0].any() and need[:, -1].any():
                need_sub = need  # the changes touch all four edges: the box is the whole frame
            else:
                rows = np.flatnonzero(need.any(axis=1))
                if rows.size == 0:
                    sub = np.full((1, 1), tr, np.uint8)
                    need_sub = None
                else:
                    cols = np.flatnonzero(need[rows[0]:rows[-1] + 1].any(axis=0))
                    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
                    sub = target[y0:y1, x0:x1]
                    need_sub = need[y0:y1, x0:x1]
            if need_sub is not None and ((exact and opaque is None) or (need_sub.size == need.size and need_sub.all())):
                # every pixel now shows this frame's colour: redrawn, or kept because it already showed it
                self._set_canvas(target, table)
                if opaque is None:
                    self.canvas_op.fill(True)
                else:
                    np.copyto(self.canvas_op, opaque)
            elif need_sub is not None:
                if by_index:
                    np.copyto(self._canvas_idx, target, where=need)
                else:
                    np.copyto(canvas, shown, where=need)
                np.copyto(self.canvas_op, True if opaque is None else opaque, where=need)
        else:
            self._set_canvas(target, table)
            self.canvas_op = np.ones_like(self.canvas_op) if opaque is None else opaque
        if need_sub is None or (exact and np.count_nonzero(need_sub) > need_sub.size // 2):
            data = _lzw(sub, bits)
        else:
            alt = np.where(need_sub, sub, np.uint8(tr))
            data = _lzw(alt, bits)
            if exact:  # the opaque box shows the same pixels: keep whichever compresses better
                data1 = _lzw(sub, bits)
                if len(data1) < len(data):
                    data = data1
        disposal = 2 if clear else 1
        h, w = sub.shape
        local = b"" if table is self.palette else _table(table)[1]
        flags = (0x80 | (_bits(tr) - 1)) if local else 0
        self.out.write(b"".join([
            b"!\xf9\x04", bytes([(disposal << 2) | 1]), struct.pack("<H", delay), bytes([tr]), b"\x00",
            b",", struct.pack("<HHHHB", x0, y0, w, h, flags), local, bytes([bits]), data, b"\x00",
        ]))
        if clear:
            self.canvas_op.fill(False)


def _shown(target: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Displayed colours ``[H, W]`` uint32 0xRRGGBB of indices *target* into a table with colour keys *keys*
    ``[K]`` (index K, the transparent one, shows colour K - 1: only opaque pixels' colours are ever compared)."""
    return np.take(keys, np.minimum(target, len(keys) - 1))


def _bits(tr: int) -> int:
    """Bits per index of a table with opaque colours ``0 .. tr - 1`` plus the transparent index *tr*."""
    return max(2, math.ceil(math.log2(tr + 1)))


def _table(palette: np.ndarray) -> tuple[int, bytes]:
    """``(bits, bytes)`` of the colour table for *palette* ``[K, 3]``, padded to ``2 ** bits`` entries."""
    bits = _bits(len(palette))
    table = np.zeros((1 << bits, 3), np.uint8)
    table[:len(palette)] = palette
    return bits, table.tobytes()


class _Spool:
    """Frames ``[H, W, C]`` uint8 buffered in memory (copies of the batches) up to 64 MiB, then in an unlinked
    temporary file in *folder* (bounded RAM). :meth:`batches` can be read any number of times."""

    def __init__(self, folder: Path, shape: tuple[int, int, int]) -> None:
        self.shape = shape
        self.frame_bytes = int(np.prod(shape))
        self.count = 0
        self.folder = folder
        self.mem: list[np.ndarray] = []
        self.fh: IO[bytes] | None = None

    def write(self, batch: np.ndarray) -> None:
        if self.fh is None and (self.count + batch.shape[0]) * self.frame_bytes > _MEM_SPOOL:
            self.fh = tempfile.TemporaryFile(dir=self.folder, prefix=".genart-spool-")
            for b in self.mem:
                self.fh.write(b.data)
            self.mem = []
        if self.fh is None:
            self.mem.append(np.array(batch, order="C"))  # a copy: the caller may reuse its buffer
        else:
            self.fh.write(np.ascontiguousarray(batch).data)
        self.count += batch.shape[0]

    @property
    def nbytes(self) -> int:
        return self.count * self.frame_bytes

    def batches(self, size: int = 16) -> Iterator[np.ndarray]:
        if self.fh is None:
            yield from self.mem
            return
        self.fh.seek(0)
        left = self.count
        while left:
            n = min(size, left)
            buf = self.fh.read(n * self.frame_bytes)
            yield np.frombuffer(buf, np.uint8).reshape(n, *self.shape)
            left -= n

    def close(self) -> None:
        self.mem = []
        if self.fh is not None:
            self.fh.close()


class _Window:
    """One buffered window of the clip: its frames (a :class:`_Spool`), colour histogram and per-frame samples."""

    def __init__(self, folder: Path, shape: tuple[int, int, int], colors: int) -> None:
        h, w, _c = shape
        self.spool = _Spool(folder, shape)
        self.hist = ColorHistogram(colors, ColorHistogram.auto_stride(h, w))
        self.samples = FrameSamples(h, w)

    def fill(self, it: Iterator[np.ndarray], limit: int) -> bool:
        """Buffer batches from *it* until *limit* bytes; True when *it* ran out."""
        for batch in it:
            self.spool.write(batch)
            mask = None if batch.shape[-1] != 4 else batch[..., 3] >= 128
            self.hist.add(batch, mask)
            self.samples.add(batch, mask)
            if self.spool.nbytes >= limit:
                return False
        return True

    def tables(self, k: int, q: Any, fixed: np.ndarray | None) -> tuple[list[tuple[int, np.ndarray]], bool]:
        """``(runs, exact)``: ``(first frame, palette)`` per run of this window's frames; exact = lossless lookup."""
        if fixed is not None:
            return [(0, fixed)], False
        ex = self.hist.exact_colors()
        if ex is not None and 0 < len(ex) <= k:
            return [(0, ex)], True
        pts, wts = self.hist.cells()
        if len(pts) == 0:  # fully transparent clip
            return [(0, np.zeros((1, 3), np.uint8))], False
        whole = build_palette(pts, wts, k, kmeans_iters=q.kmeans_iters)
        runs = plan_tables(self.samples, k, q, whole)
        if len(runs) > 1:
            log.debug("GIF colour tables: %d runs of frames (%s)", len(runs), [r.stop - r.start for r in runs])
        return [(r.start, r.palette) for r in runs], False

    def close(self) -> None:
        self.spool.close()


def _resize(batch: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    out = []
    c = batch.shape[-1]
    for f in batch:
        im = Image.fromarray(f[..., 0] if c == 1 else f)
        out.append(np.asarray(im.resize(size, Image.Resampling.LANCZOS)).reshape(size[1], size[0], c))
    return np.stack(out)


def _check_int(name: str, value: Any, lo: int, hi: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= int(value) <= hi:
        raise InvalidInputError(f"{name} must be an integer from {lo} to {hi}, got {value!r}; {hint}.")
    return int(value)


class GifExporter:
    """Writes animated GIFs (the toolkit's first-class output). Registered as exporter ``"gif"`` (``.gif``)."""

    name = "gif"
    suffixes = (".gif",)

    def write(self, path: str | Path, batches: Iterable[np.ndarray], *, fps: float, total_frames: int | None = None,
              recipe: dict[str, Any] | None = None, colors: int | None = None, dither: str = "none", dither_strength: float = 1.0,
              loop: int | None = 0, max_bytes: int | None = None, palette: np.ndarray | None = None, optimize: bool = True,
              buffer_mb: float = 256, allow_fast_fps: bool = False, lut_bits: int | None = None,
              quality: str = "balanced") -> Path:
        """Write *batches* to the GIF *path*, atomically, and return the path.

        Args:
            path: output file (``.gif``); its folder must exist.
            batches: iterable of uint8 arrays ``[B, H, W, C]``, C in {1, 3, 4}; streamed. With C = 4, pixels
                with alpha < 128 are transparent (GIF has 1-bit transparency).
            fps: frames per second, > 0 and at most 50 (see ``allow_fast_fps``). Delays are whole
                centiseconds distributed so that the total duration is exact (24 fps -> 4, 4, 5, 4, 4, 4 cs).
            total_frames: optional number of frames, only checked against the real count (a warning).
            recipe: JSON-serialisable dict embedded as a comment extension (``read_recipe`` reads it back).
            colors: palette size per colour table, 2..256; default 256 (128 with ``quality="smallest"``). One
                index of the 256 is kept for transparency, so at most 255 opaque colours.
            dither: ``"none"`` (default: smallest files, no noise), ``"bayer"`` (ordered dithering, temporally
                stable: the right choice against banding in animations) or ``"floyd-steinberg"`` (error
                diffusion: smoother stills, but the dither pattern crawls between frames).
            dither_strength: ordered-dither amplitude in units of the palette's typical colour spacing.
            loop: NETSCAPE loop count; 0 (default) loops forever, ``None`` writes no loop block (plays once).
            max_bytes: size budget in bytes. The clip is re-encoded with fewer colours (down to 64), then at
                75%, 50%, 37.5% and 25% of its size, then with fewer colours again, until it fits; needs the
                whole clip to fit in ``buffer_mb``. Fewer colours or a smaller size is logged as a warning
                (:func:`gif_size` reads the written size back).
            palette: fixed palette ``[K, 3]`` uint8, K <= 255: frames stream straight to disk, nothing is buffered.
            optimize: store only the changed rectangle of each frame (default True). False writes every frame
                in full (larger files, same pixels).
            buffer_mb: how much of the clip (MiB of raw frames) the global palette is computed from; beyond
                that, frames are streamed with the palette computed so far.
            allow_fast_fps: write fps > 50 anyway (browsers will play it at 10 fps).
            lut_bits: colour lookup precision, 5..8 bits per channel (8 = exact nearest colour). Default: the
                finest of 7, 6, 5 bits whose table cells occupied by the clip's colour sample stay under 32,768
                (smooth walks get 7 bits; clips whose colours fill the RGB cube get 5), raised to 7 (6 for
                cube-filling clips) with ``quality="balanced"`` or ``"best"``; 6 with a fixed palette.
            quality: ``"balanced"`` (default: local colour tables where the measured error says they pay,
                never a pixel worse than needed), ``"smallest"`` (128 colours, fewer tables: smaller files,
                lower PSNR) or ``"best"`` (more tables and palette refinement: highest
                PSNR, slower). See :mod:`genart_kit.export.gif_tables`.

        Returns:
            the output path.

        Raises:
            ExportError: bad fps, unwritable path, no frames, frames larger than 65535 px, or a ``max_bytes``
                budget that cannot be met.
            InvalidInputError: bad frames (dtype, shape, NaN) or bad option values (e.g. an unknown ``quality``).
        """
        q = preset(quality)
        fps = check_fps(fps)
        if fps > MAX_FPS and not allow_fast_fps:
            raise ExportError(f"GIF cannot play {fps:g} fps: delays are whole centiseconds and viewers show delays under 20 ms "
                              f"(fps > {MAX_FPS:g}) at 100 ms; use fps <= 50 (e.g. keep every other frame at fps / 2), another "
                              f"format (.webp, .mp4), or pass allow_fast_fps=True.")
        if fps > MAX_FPS:
            log.warning("writing a GIF at %g fps: most viewers play delays under 20 ms at 100 ms", fps)
        if 100.0 / fps > 65535:
            raise ExportError(f"GIF frame delays are at most 655.35 s; fps={fps:g} is too slow. Use fps >= 0.0016.")
        colors = _check_int("colors", q.colors if colors is None else colors, 2, 256, "pass e.g. colors=256")
        if dither not in DITHER_MODES:
            raise InvalidInputError(f"dither must be one of {', '.join(DITHER_MODES)}, got {dither!r}.")
        if loop is not None:
            loop = _check_int("loop", loop, 0, 65535, "0 loops forever; None plays once")
        if max_bytes is not None:
            max_bytes = _check_int("max_bytes", max_bytes, 1, 1 << 62, "pass a size in bytes, e.g. max_bytes=2_000_000")
        if not (isinstance(buffer_mb, (int, float)) and math.isfinite(buffer_mb) and buffer_mb > 0):
            raise InvalidInputError(f"buffer_mb must be a positive number of MiB, got {buffer_mb!r}.")
        if lut_bits is not None:
            lut_bits = _check_int("lut_bits", lut_bits, 5, 8, "or None to choose automatically")
        fixed = None
        if palette is not None:
            fixed = np.asarray(palette)
            if fixed.ndim != 2 or fixed.shape[1] != 3 or not 1 <= len(fixed) <= 255 or fixed.dtype != np.uint8:
                raise InvalidInputError(f"palette must be a uint8 array [K, 3] with 1 <= K <= 255, got {fixed.dtype} {tuple(fixed.shape)}.")
        comment = dumps_recipe(recipe)
        target = check_target(path)
        stream = FrameStream(batches, max_side=65535, fmt="GIF")
        h, w, c = stream.peek()
        opaque = min(colors, 255)
        mapper_opts: dict[str, Any] = dict(dither=dither, dither_strength=float(dither_strength), lut_bits=lut_bits or 6)
        keep_tol = q.keep_tol if dither == "none" else 0.0

        Window = tuple[Iterable[np.ndarray], list[tuple[int, np.ndarray]], bool]

        def encode(fp: IO[bytes], windows: Iterable[Window], size: tuple[int, int], limit: int | None) -> int:
            """Encode *windows*: ``(batches, runs, exact)``, runs = ``(first frame in the window, palette)`` in
            order; the first window's first palette is the global table."""
            out = _Counting(fp, limit)
            gs = None
            delays = cumulative_delays(fps, 100)
            for sources, runs, exact in windows:
                if gs is None:
                    gs = _GifStream(out, size, runs[0][1], loop=loop, comment=comment, optimize=optimize,
                                    has_alpha=c == 4, keep_tol=keep_tol, stabilize=dither == "floyd-steinberg")
                nxt_run, mapper, pal, i = 0, None, runs[0][1], 0
                for batch in sources:
                    if size != (w, h):
                        batch = _resize(batch, size)
                    for f in batch:
                        if nxt_run < len(runs) and i >= runs[nxt_run][0]:
                            pal = runs[nxt_run][1]
                            mapper = ColorMapper(pal, exact=exact, **mapper_opts)
                            nxt_run += 1
                        assert mapper is not None
                        idx = mapper.map(f)
                        if c == 4:
                            idx[f[..., 3] < 128] = len(pal)
                        gs.add(idx, next(delays), pal, None if exact or c == 1 else f[..., :3])
                        i += 1
            assert gs is not None
            gs.close()
            return out.n

        with atomic_path(target) as tmp, open(tmp, "wb") as fp:
            if fixed is not None and max_bytes is None:
                encode(fp, [(stream, [(0, fixed)], False)], (w, h), None)
                self._check_count(stream.count, total_frames)
                return target
            it = iter(stream)
            limit = int(buffer_mb * (1 << 20))
            win = _Window(target.parent, (h, w, c), opaque)
            try:
                exhausted = win.fill(it, limit)
                if lut_bits is None:
                    auto = win.hist.lut_bits()  # 5 when the colours fill the RGB cube: a finer table costs more there
                    mapper_opts["lut_bits"] = max(auto, q.min_lut_bits - (auto < 6))
                if max_bytes is not None and not exhausted:
                    raise ExportError(f"max_bytes needs the whole clip buffered, but it is longer than buffer_mb={buffer_mb:g} MiB; "
                                      f"raise buffer_mb or drop max_bytes.")

                if max_bytes is None:
                    def windows() -> Iterator[Window]:
                        """The buffered window, then (for clips longer than buffer_mb) the next ones, one at a time."""
                        nonlocal win
                        done = exhausted
                        while True:
                            runs, exact = win.tables(opaque, q, fixed)
                            yield win.spool.batches(), runs, exact
                            if done:
                                return
                            win.close()
                            win = _Window(target.parent, (h, w, c), opaque)
                            done = win.fill(it, limit)
                            if win.spool.count == 0:
                                return

                    encode(fp, windows(), (w, h), None)
                else:
                    best = None
                    for k, scale in self._budget_plan(opaque, w, h):
                        size = (max(1, round(w * scale)), max(1, round(h * scale)))
                        runs, exact = win.tables(k, q, fixed)
                        fp.seek(0)
                        fp.truncate()
                        try:
                            n = encode(fp, [(win.spool.batches(), runs, exact)], size, max_bytes)
                        except _TooBig:
                            best = (k, size)
                            continue
                        if size != (w, h):
                            log.warning("GIF size budget max_bytes=%d: frames shrunk from %dx%d to %dx%d px with %d colours "
                                        "(%d bytes); raise max_bytes or export fewer frames to keep the full size",
                                        max_bytes, w, h, size[0], size[1], k, n)
                        elif k != opaque:
                            log.warning("GIF size budget max_bytes=%d: %d colours instead of %d (%d bytes)", max_bytes, k, opaque, n)
                        break
                    else:
                        assert best is not None
                        raise ExportError(f"cannot fit the GIF in max_bytes={max_bytes}: even {best[0]} colours at "
                                          f"{best[1][0]}x{best[1][1]} px is larger; raise max_bytes or export fewer frames.")
            finally:
                win.close()
        self._check_count(stream.count, total_frames)
        return target

    @staticmethod
    def _budget_plan(colors: int, w: int, h: int) -> list[tuple[int, float]]:
        plan: list[tuple[int, float]] = []
        for k in (colors, 128, 64):
            if k <= colors:
                plan.append((k, 1.0))
        k64 = min(colors, 64)
        for s in (0.75, 0.5, 0.375, 0.25):
            if round(w * s) >= 1 and round(h * s) >= 1:
                plan.append((k64, s))
        smallest = plan[-1][1]
        for k in (32, 16, 8, 4, 2):
            if k < k64:
                plan.append((k, smallest))
        seen: set[tuple[int, float]] = set()
        return [p for p in plan if not (p in seen or seen.add(p))]

    @staticmethod
    def _check_count(count: int, total_frames: int | None) -> None:
        if total_frames is not None and total_frames != count:
            log.warning("total_frames=%s but the clip had %d frames", total_frames, count)


def gif_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` in pixels of the GIF at *path*, read from its header (what a size budget left).

    Raises:
        ExportError: the file is missing or not a GIF.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(10)
    except OSError as exc:
        raise ExportError(f"cannot read GIF '{path}': {exc}") from exc
    if len(head) < 10 or head[:6] not in (b"GIF87a", b"GIF89a"):
        raise ExportError(f"'{path}' is not a GIF file.")
    w, h = struct.unpack("<HH", head[6:10])
    return w, h


def write_gif(path: str | Path, batches: Iterable[np.ndarray], *, fps: float, **options: Any) -> Path:
    """Shortcut for ``GifExporter().write(path, batches, fps=fps, **options)``."""
    return GifExporter().write(path, batches, fps=fps, **options)


GIF = GifExporter()
"""The registered instance (exporter ``"gif"``)."""
