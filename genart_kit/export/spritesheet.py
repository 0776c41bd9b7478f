"""Sprite sheets: every frame in one PNG atlas plus a JSON frame table.

The JSON follows the "JSON array" layout of TexturePacker/Aseprite, which Phaser (``load.atlas``), PixiJS
(``Spritesheet``), and most game engines read, with per-frame ``duration`` in milliseconds as Aseprite
writes it; ``meta`` adds a plain grid description (``columns``, ``rows``, ``frameWidth``, ``frameHeight``,
``fps``) for CSS ``steps()`` animations and the recipe::

    {"frames": [{"filename": "frame_0000", "frame": {"x": 0, "y": 0, "w": 64, "h": 64}, "rotated": false,
                 "trimmed": false, "spriteSourceSize": {...}, "sourceSize": {"w": 64, "h": 64},
                 "duration": 42}, ...],
     "meta": {"app": "genart-kit", "image": "walk.png", "format": "RGBA8888", "size": {"w": 512, "h": 256},
              "scale": "1", "columns": 8, "rows": 4, "frameWidth": 64, "frameHeight": 64, "fps": 24,
              "frameCount": 30, "padding": 0, "recipe": {...}}}

Frames are laid out row by row. The atlas is the whole clip in one image, so memory grows with the clip
(a sheet is meant for short loops): atlases over ``max_side`` pixels (default 16384, the common GPU texture
limit) are refused with a suggestion. An existing ``<stem>.png`` is only replaced when it is the atlas of a
previous sprite-sheet export (its ``<stem>.json`` frame table names it); any other PNG there (say an APNG
rendered earlier) is refused with an :class:`ExportError` rather than silently overwritten.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ExportError, InvalidInputError
from .atomic import atomic_path, check_target
from .frames import FrameStream, check_fps, cumulative_delays
from .images import _png_bytes
from .recipe import dumps_recipe

log = logging.getLogger(__name__)

__all__ = ["SpriteSheetExporter", "SPRITESHEET"]

_FORMATS = {1: "L8", 3: "RGB888", 4: "RGBA8888"}


class SpriteSheetExporter:
    """PNG atlas + JSON frame table. Exporter ``"spritesheet"`` (``.json``: the atlas gets the same name, ``.png``)."""

    name = "spritesheet"
    suffixes = (".json",)

    def write(self, path: str | Path, batches: Iterable[np.ndarray], *, fps: float, total_frames: int | None = None,
              recipe: dict[str, Any] | None = None, columns: int | None = None, padding: int = 0, max_side: int = 16384,
              compress_level: int = 6) -> Path:
        """Write ``<stem>.png`` (atlas) and ``<stem>.json`` (frame table) next to each other; return *path*.

        Args:
            path: ``walk.json`` or ``walk.png`` (the other file gets the other suffix); its folder must exist.
            batches: iterable of uint8 ``[B, H, W, C]``, C in {1, 3, 4}.
            fps: frames per second (> 0); per-frame ``duration`` values are whole ms summing to the exact total.
            total_frames: optional hint, only checked.
            recipe: JSON-serialisable dict, stored in the atlas (``iTXt``) and in ``meta.recipe``.
            columns: frames per row (default ``ceil(sqrt(n))``, a near-square sheet).
            padding: transparent/black pixels between frames (0..64), against texture bleeding.
            max_side: largest allowed atlas width/height in pixels.
            compress_level: zlib level 0..9.

        Raises:
            ExportError: bad fps, unwritable path, no frames, an atlas larger than *max_side*, or an existing
                ``<stem>.png`` that is not this sprite sheet's previous atlas (when *path* is the ``.json``).
            InvalidInputError: bad frames or options.
        """
        fps = check_fps(fps)
        if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int) or columns < 1):
            raise InvalidInputError(f"columns must be a positive integer or None, got {columns!r}.")
        if isinstance(padding, bool) or not isinstance(padding, int) or not 0 <= padding <= 64:
            raise InvalidInputError(f"padding must be an integer 0..64, got {padding!r}.")
        if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
            raise InvalidInputError(f"max_side must be a positive integer, got {max_side!r}.")
        text = dumps_recipe(recipe)
        target = check_target(path)
        if target.suffix.lower() == ".png":
            png_path, json_path = target, target.with_suffix(".json")
        else:
            png_path, json_path = target.with_suffix(".png"), target.with_suffix(".json")
        check_target(png_path)
        check_target(json_path)
        if png_path != target and png_path.exists() and not _own_atlas(png_path, json_path):
            raise ExportError(
                f"{png_path} already exists and was not written by a sprite-sheet export (no {json_path.name} "
                f"frame table from genart-kit names it), so the atlas would overwrite it; choose another name for "
                f"the sprite sheet, or delete {png_path.name} first."
            )
        stream = FrameStream(batches, max_side=max_side, fmt="sprite sheet")
        h, w, c = stream.peek()
        frames: list[np.ndarray] = []
        n = 0
        for b in stream:  # the grid only grows with n, so a too-large sheet fails before buffering the rest
            frames.append(b)
            n += len(b)
            cols, rows, aw, ah = _grid(n, columns, w, h, padding)
            if aw > max_side or ah > max_side:
                raise ExportError(f"the sprite sheet would be at least {aw}x{ah} px, over max_side={max_side}; export fewer "
                                  f"or smaller frames, set columns= to reshape the grid, or raise max_side.")
        atlas = np.zeros((ah, aw, c), np.uint8)
        table = []
        ms = cumulative_delays(fps, 1000)
        i = 0
        for b in frames:
            for f in b:
                r, q = divmod(i, cols)
                x, y = q * (w + padding), r * (h + padding)
                atlas[y:y + h, x:x + w] = f
                table.append({"filename": f"frame_{i:04d}", "frame": {"x": x, "y": y, "w": w, "h": h}, "rotated": False,
                              "trimmed": False, "spriteSourceSize": {"x": 0, "y": 0, "w": w, "h": h},
                              "sourceSize": {"w": w, "h": h}, "duration": next(ms)})
                i += 1
        meta = {"app": "genart-kit", "version": _version(), "image": png_path.name, "format": _FORMATS[c],
                "size": {"w": aw, "h": ah}, "scale": "1", "columns": cols, "rows": rows, "frameWidth": w,
                "frameHeight": h, "frameCount": n, "padding": padding, "fps": fps,
                "recipe": json.loads(text) if text else None}
        doc = json.dumps({"frames": table, "meta": meta}, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
        data = _png_bytes(atlas, text, compress_level)
        with atomic_path(png_path) as tmp:
            tmp.write_bytes(data)
        with atomic_path(json_path) as tmp:
            tmp.write_text(doc, encoding="utf-8")
        if total_frames is not None and total_frames != n:
            log.warning("total_frames=%s but the clip had %d frames", total_frames, n)
        return target


def _own_atlas(png_path: Path, json_path: Path) -> bool:
    """True if *png_path* is the atlas of a previous sprite-sheet export: the sibling *json_path* is a
    genart-kit frame table whose ``meta.image`` is *png_path*'s name."""
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8")).get("meta")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(meta, dict) and meta.get("app") == "genart-kit" and meta.get("image") == png_path.name


def _grid(n: int, columns: int | None, w: int, h: int, padding: int) -> tuple[int, int, int, int]:
    cols = min(columns or math.ceil(math.sqrt(n)), n)
    rows = math.ceil(n / cols)
    return cols, rows, cols * (w + padding) - padding, rows * (h + padding) - padding


def _version() -> str:
    from .._version import __version__

    return __version__


SPRITESHEET = SpriteSheetExporter()
