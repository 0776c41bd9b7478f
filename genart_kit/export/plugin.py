"""First-party exporters, registered through the ``register_exporters`` hook like any third-party plugin.

Importing this module is cheap: loaders are ``"module:attribute"`` strings, so neither numpy nor Pillow is
imported until an exporter is used. Each loader resolves to an exporter instance whose
``write(path, batches, *, fps, total_frames=None, recipe=None, **options) -> Path`` does the work.
"""

from __future__ import annotations

from typing import Any, Callable

from ..hookspecs import hookimpl

#: (name, loader, description, suffixes)
BUILTIN_EXPORTERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("gif", "genart_kit.export.gif:GIF", "Animated GIF: shared flicker-free palette, exact timing, loops forever", (".gif",)),
    ("webp", "genart_kit.export.images:WEBP", "Animated WebP (lossy q90 or lossless), via Pillow/libwebp", (".webp",)),
    ("apng", "genart_kit.export.images:APNG", "Animated PNG (lossless, exact frame delays); one frame = plain PNG", (".png", ".apng")),
    ("png-sequence", "genart_kit.export.images:PNG_SEQUENCE", "Folder of numbered PNG frames plus frames.json", ("",)),
    ("spritesheet", "genart_kit.export.spritesheet:SPRITESHEET", "Sprite sheet: PNG atlas + JSON frame table (Phaser/PixiJS/CSS)", (".json",)),
    ("mp4", "genart_kit.export.video:MP4", "MP4 (H.264) via imageio's ffmpeg plugin (extra: genart-kit[video])", (".mp4", ".m4v", ".mov")),
    ("webm", "genart_kit.export.video:WEBM", "WebM (VP9) via imageio's ffmpeg plugin (extra: genart-kit[video])", (".webm",)),
)


@hookimpl
def register_exporters(register: Callable[..., Any]) -> None:
    """Register the built-in exporters (meta ``suffixes`` picks one from an output file name)."""
    for name, loader, description, suffixes in BUILTIN_EXPORTERS:
        register(name, loader, description=description, suffixes=suffixes)
