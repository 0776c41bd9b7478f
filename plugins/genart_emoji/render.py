"""Glyphs -> square tiles: draw an emoji (or read a pre-rendered one), centre it on its visible bounding box,
pad it and resample it once, in premultiplied alpha, to the output size.

Tiles are kept premultiplied RGBA uint8 ``[4, S, S]`` (what the cache stores): compositing on any background
is then one linear step (:func:`composite`), and a background change never re-renders.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Callable, Iterable, Protocol

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from genart_kit.errors import DatasetError

from .catalog import EmojiEntry

log = logging.getLogger(__name__)

__all__ = ["GlyphSource", "FontGlyphs", "PngGlyphs", "fit_tile", "render_tiles", "composite", "file_stamp",
           "ALPHA_THRESHOLD", "FONT_SIZE"]

#: the only size a CBDT bitmap font like Noto Color Emoji opens at (its strike: 136 x 128 px glyph cells)
FONT_SIZE = 109
#: alpha (0..255) above which a pixel counts as visible when the bounding box is measured
ALPHA_THRESHOLD = 8


class GlyphSource(Protocol):
    """Where glyph pictures come from: ``glyph(entry)`` -> an RGBA ``PIL.Image`` (straight alpha, any size,
    the emoji anywhere in it), or ``None`` when this source cannot draw *entry* (the entry is left out).
    ``describe()`` names the source for logs; ``stamp()`` is a string that changes when its files change
    (part of the cache key)."""

    def glyph(self, entry: EmojiEntry) -> Image.Image | None: ...

    def describe(self) -> str: ...

    def stamp(self) -> str: ...


def file_stamp(path: Path) -> str:
    """``"<resolved path>:<size in bytes>:<mtime in ns>"`` of one file (a cache-key part).

    Raises:
        OSError: the file is missing.
    """
    st = Path(path).stat()
    return f"{Path(path).resolve()}:{st.st_size}:{st.st_mtime_ns}"


class FontGlyphs:
    """Glyphs drawn in colour from a colour bitmap font (Noto Color Emoji) by Pillow.

    Args:
        path: the ``.ttf`` file.

    Raises:
        DatasetError: FreeType cannot open the font at size 109 (not a CBDT colour font, or a Pillow built
            without FreeType / PNG support).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # raqm shapes ZWJ sequences, flags and keycaps into one glyph; the basic engine draws them letter by
        # letter, which glyph() detects and leaves out
        engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
        if engine is ImageFont.Layout.BASIC:
            log.warning("Pillow has no raqm text shaping here: multi-code-point emoji (flags, families, keycaps) "
                        "cannot be drawn and are left out")
        try:
            self.font = ImageFont.truetype(str(self.path), FONT_SIZE, layout_engine=engine)
        except OSError as exc:
            raise DatasetError(f"cannot open the emoji font '{self.path}' at size {FONT_SIZE} ({exc}): it must be "
                               "Noto Color Emoji (`sudo apt-get install fonts-noto-color-emoji`) and Pillow needs "
                               "FreeType with PNG support.") from None
        self.cell = float(self.font.getlength("\U0001F600"))  # one glyph's advance, about 136 px

    def glyph(self, entry: EmojiEntry) -> Image.Image | None:
        """RGBA of *entry* drawn at size 109 (about 136 x 128 px); ``None`` when the font lays it out as more
        than one glyph (a sequence the font or the shaper does not know)."""
        text = entry.text
        if self.font.getlength(text) > 1.5 * self.cell:
            return None
        left, top, right, bottom = self.font.getbbox(text)
        im = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
        ImageDraw.Draw(im).text((-left, -top), text, font=self.font, embedded_color=True)
        return im

    def describe(self) -> str:
        """The font path."""
        return str(self.path)

    def stamp(self) -> str:
        """The font file's path, size and modification time."""
        return file_stamp(self.path)


class PngGlyphs:
    """Pre-rendered glyphs: one RGBA PNG per emoji, ``<folder>/<entry.key>.png`` (``1F431.png``).

    The test fixture uses it, so the tests run the same centring and resampling code without the font.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def glyph(self, entry: EmojiEntry) -> Image.Image | None:
        """The PNG of *entry* as RGBA, ``None`` when there is none.

        Raises:
            DatasetError: the file is not a readable image.
        """
        path = self.folder / f"{entry.key}.png"
        if not path.is_file():
            return None
        try:
            with Image.open(path) as im:
                return im.convert("RGBA")
        except (OSError, ValueError) as exc:  # UnidentifiedImageError is an OSError
            raise DatasetError(f"cannot read the glyph '{path}' ({exc}); replace it with an RGBA PNG.") from None

    def describe(self) -> str:
        """The folder."""
        return str(self.folder)

    def stamp(self) -> str:
        """Path, size and modification time of every PNG of the folder."""
        return ";".join(file_stamp(p) for p in sorted(self.folder.glob("*.png")))


def fit_tile(glyph: Image.Image, size: int, padding: float) -> np.ndarray | None:
    """Centre *glyph* on its visible bounding box and resample it into a square tile.

    The larger side of the bounding box (pixels with alpha > :data:`ALPHA_THRESHOLD`) spans
    ``size * (1 - 2 * padding)`` pixels; the box's centre lands on the tile's centre to a sub-pixel (Pillow's
    ``resize(box=...)`` with LANCZOS, in premultiplied alpha, so transparent pixels lend no dark fringe).

    Args:
        glyph: RGBA image, straight alpha.
        size: tile side in pixels.
        padding: margin on each side as a fraction of *size* (0 <= padding < 0.5).

    Returns:
        uint8 ``[4, size, size]`` premultiplied RGBA, or ``None`` for an invisible glyph.
    """
    alpha = glyph.getchannel("A")
    bbox = alpha.point(lambda a: 255 if a > ALPHA_THRESHOLD else 0).getbbox()
    if bbox is None:
        return None
    x0, y0, x1, y1 = bbox
    content = size * (1.0 - 2.0 * padding)
    side = max(x1 - x0, y1 - y0) * size / content  # the source square mapped onto the whole tile
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    # a transparent margin so the source square (and LANCZOS's reach beyond it) stays inside the image
    margin = int(math.ceil(side)) + 8
    canvas = Image.new("RGBa", (glyph.width + 2 * margin, glyph.height + 2 * margin), (0, 0, 0, 0))
    canvas.paste(glyph.convert("RGBa"), (margin, margin))
    box = (cx + margin - side / 2, cy + margin - side / 2, cx + margin + side / 2, cy + margin + side / 2)
    tile = canvas.resize((size, size), Image.Resampling.LANCZOS, box=box)
    return np.asarray(tile, dtype=np.uint8).transpose(2, 0, 1).copy()


def render_tiles(entries: Iterable[EmojiEntry], source: GlyphSource, size: int, padding: float,
                 progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, list[int]]:
    """Render every entry :func:`fit_tile`-style.

    Args:
        entries: the emoji, in dataset order.
        source: where the glyphs come from.
        size: tile side in pixels.
        padding: margin fraction on each side.
        progress: optional ``progress(done, total)`` called every 200 entries and at the end.

    Returns:
        ``(tiles uint8 [M, 4, size, size] premultiplied RGBA, kept)``: *kept* are the indices (into
        *entries*) of the M entries the source could draw; the others are logged and left out.

    Raises:
        DatasetError: the source draws none of them.
    """
    entries = list(entries)
    tiles: list[np.ndarray] = []
    kept: list[int] = []
    t0 = time.perf_counter()
    for i, entry in enumerate(entries):
        glyph = source.glyph(entry)
        tile = None if glyph is None else fit_tile(glyph, size, padding)
        if tile is not None:
            tiles.append(tile)
            kept.append(i)
        if progress is not None and ((i + 1) % 200 == 0 or i + 1 == len(entries)):
            progress(i + 1, len(entries))
    missing = len(entries) - len(kept)
    if missing:
        log.warning("%d of %d emoji cannot be drawn from %s and are left out", missing, len(entries), source.describe())
    if not tiles:
        raise DatasetError(f"none of the {len(entries)} emoji could be drawn from {source.describe()}; "
                           "check that it is Noto Color Emoji (package fonts-noto-color-emoji).")
    log.info("rendered %d emoji at %d px in %.1f s", len(kept), size, time.perf_counter() - t0)
    return np.stack(tiles), kept


def composite(tiles: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """Premultiplied RGBA tiles over an opaque background colour: ``rgb + bg * (1 - alpha)``.

    Args:
        tiles: uint8 ``[N, 4, S, S]`` premultiplied RGBA.
        background: ``(r, g, b)`` in 0..255.

    Returns:
        uint8 ``[N, 3, S, S]`` RGB.
    """
    rgb = tiles[:, :3].astype(np.float32)
    alpha = tiles[:, 3:4].astype(np.float32) / 255.0
    bg = np.asarray(background, dtype=np.float32).reshape(1, 3, 1, 1)
    out = rgb + bg * (1.0 - alpha)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
