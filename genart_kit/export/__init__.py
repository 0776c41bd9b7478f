"""Exporters: write frame batches to GIF, WebP, APNG, PNG sequences, sprite sheets and MP4/WebM.

Every exporter is an object with one method::

    write(path, batches, *, fps, total_frames=None, recipe=None, **options) -> pathlib.Path

*batches* is an iterable (often a generator) of numpy uint8 arrays ``[B, H, W, C]`` with C in {1, 3, 4};
convert float frames ``[T, C, H, W]`` in [0, 1] with :func:`to_uint8`. Writes are atomic (temporary file in
the target folder, then :func:`os.replace`), embed the *recipe* dict in the file's metadata (read it back
with :func:`read_recipe`), and are byte-identical for identical input and options.

Exporters are registered by :mod:`genart_kit.export.plugin` through the ``register_exporters`` hook; pick one
by name or suffix with :func:`find_exporter`, or let :func:`write` do it. This package imports neither
numpy nor Pillow until an attribute is used.
"""

from __future__ import annotations

from .._lazy import lazy_attributes

__all__ = [
    "write", "find_exporter", "to_uint8", "read_recipe",
    "GifExporter", "WebPExporter", "ApngExporter", "PngSequenceExporter", "SpriteSheetExporter", "VideoExporter",
    "ColorMapper", "build_palette",
]

_LAZY = {
    "write": "api", "find_exporter": "api",
    "to_uint8": "frames", "read_recipe": "recipe",
    "GifExporter": "gif", "WebPExporter": "images", "ApngExporter": "images", "PngSequenceExporter": "images",
    "SpriteSheetExporter": "spritesheet", "VideoExporter": "video",
    "ColorMapper": "palette", "build_palette": "palette",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
