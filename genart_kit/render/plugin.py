"""First-party plugin: registers the built-in renderers (``genart list renderers``).

Each loader is a factory ``factory(**options) -> Renderer``; loaders are ``"module:attr"`` strings so listing
imports nothing heavy (no torch).
"""

from __future__ import annotations

from ..hookspecs import hookimpl

_M = "genart_kit.render"

RENDERERS = [
    ("colormap", f"{_M}.color:colormap", "map grayscale to colour with a 256-entry table (matplotlib maps)"),
    ("upscale", f"{_M}.geometry:upscale", "upscale: nearest for a pixel look, smooth (bicubic) otherwise"),
    ("resize", f"{_M}.geometry:resize", "resize up or down (antialiased when shrinking)"),
    ("trails", f"{_M}.temporal:trails", "motion trails that fade (state carries across batches)"),
    ("feedback", f"{_M}.temporal:feedback", "zoom/rotate video feedback"),
    ("posterize", f"{_M}.color:posterize", "quantise to a few levels per channel"),
    ("invert", f"{_M}.color:invert", "invert colours"),
    ("contrast", f"{_M}.color:contrast", "scale contrast around a pivot"),
    ("gamma", f"{_M}.color:gamma", "gamma curve"),
    ("flash", f"{_M}.color:flash", "blend towards a colour (per-frame amounts flash on the beat)"),
    ("hue", f"{_M}.color:hue", "rotate hue by a number of turns (per frame: follow the music)"),
    ("zoom", f"{_M}.geometry:zoom", "zoom/rotate about the centre, keeping the size (per frame: punch in on onsets)"),
    ("caption", f"{_M}.text:caption", "draw text (per-frame format fields) with Pillow"),
]


@hookimpl
def register_renderers(register):  # type: ignore[no-untyped-def]
    """Register the built-in renderers."""
    for name, loader, description in RENDERERS:
        register(name, loader, description=description)
