"""Frame renderers: frames ``[T, C, H, W]`` float32 in [0, 1] in, frames out — batched, chainable, streamable.

Use them after a model in a pipe; they compose with ``|`` and apply directly to tensors::

    clip = latents | vae | ga.render.colormap("magma") | ga.render.upscale(256) | ga.render.trails(0.8)
    look = ga.render.colormap("viridis") | ga.render.posterize(6)
    frames = look(vae.decode(z))                # [N, 3, 28, 28]

Built-in renderers (registered as ``renderer`` entries; ``genart list renderers``):
:func:`colormap`, :func:`upscale` / :func:`resize`, :func:`trails`, :func:`feedback`, :func:`posterize`,
:func:`invert`, :func:`contrast`, :func:`gamma`, :func:`flash`, :func:`hue`, :func:`zoom`, :func:`caption`.
Numeric options take a number or one value per frame ``[T]`` (:class:`FrameValue`), so a flash, a zoom or a
hue can follow an audio envelope: ``ga.render.flash(0.6 * feats.onset)``. :func:`tile` lays several clips out in a
grid (it combines clips, so it is a function of clips rather than a renderer); :func:`grid` lays out a
batch of images ``[B, K, C, H, W]`` -> ``[B, C, H', W']`` (e.g. inside a custom decoder). :func:`get` builds any
registered renderer (including third-party ones) by name. A plain function ``f(frames) -> frames`` can be
piped too (wrapped in :class:`Function`).

This package imports torch only when one of these names is first used.
"""

from __future__ import annotations

from typing import Any

from .._lazy import lazy_attributes

_NAMES = {
    "Renderer": "base",
    "Chain": "base",
    "Function": "base",
    "check_frames_tensor": "base",
    "colormap": "color",
    "Colormap": "color",
    "lut": "color",
    "shipped_colormaps": "color",
    "colormap_names": "color",
    "posterize": "color",
    "invert": "color",
    "contrast": "color",
    "gamma": "color",
    "flash": "color",
    "hue": "color",
    "zoom": "geometry",
    "Zoom": "geometry",
    "FrameValue": "params",
    "upscale": "geometry",
    "resize": "geometry",
    "Resize": "geometry",
    "trails": "temporal",
    "feedback": "temporal",
    "caption": "text",
    "grid": "layout",
    "Caption": "text",
}

__all__ = sorted([*_NAMES, "tile", "get"])


def tile(*args: Any, **kwargs: Any) -> Any:
    """Lay several clips out in a grid, frame by frame; see :func:`genart_kit.pipeline.tile`."""
    from ..pipeline import tile as _tile

    return _tile(*args, **kwargs)


def get(name: str, **options: Any) -> Any:
    """Build the renderer registered as *name* (built-in or from a plugin) with *options*.

    Raises:
        UnknownNameError: no renderer of that name (close names suggested).
    """
    from ..registry import get_registry

    from .._options import check_options

    entry = get_registry().get("renderer", name)
    check_options(f"renderer '{name}'", entry.resolve(), options)
    return entry.load(**options)


def _plugin_renderer(name: str) -> Any:
    """``ga.render.NAME`` for a renderer registered by a plugin: a factory ``NAME(*args, **options)``."""
    from ..registry import get_registry

    entry = get_registry().get("renderer", name)

    def factory(*args: Any, **options: Any) -> Any:
        from .._options import check_options

        check_options(f"renderer '{name}'", entry.resolve(), options)
        return entry.load(*args, **options)

    factory.__name__ = factory.__qualname__ = name.replace("-", "_")
    factory.__doc__ = f"{entry.description or 'Renderer ' + repr(name)} (plugin '{entry.plugin}'; see `genart list renderers`)."
    return factory


__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals(), registered="renderer", make=_plugin_renderer)
