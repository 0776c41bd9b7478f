"""Resizing: :func:`upscale` (nearest for a pixel look, smooth otherwise) and :func:`resize`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..errors import InvalidInputError
from .base import Renderer, Shape

#: user-facing mode -> torch.nn.functional.interpolate mode
MODES = {
    "nearest": "nearest-exact",
    "pixel": "nearest-exact",
    "bilinear": "bilinear",
    "bicubic": "bicubic",
    "smooth": "bicubic",
    "area": "area",
}

MAX_SIDE = 8192


class Resize(Renderer):
    """Resize frames to a target size with :func:`torch.nn.functional.interpolate`, batched on the device.

    Args:
        size: an int (the longer side, keeping the aspect ratio) or ``(H, W)``; or ``None`` with *scale*.
        scale: a factor (> 0) instead of *size*.
        mode: ``"nearest"``/``"pixel"`` (blocky pixels; ``nearest-exact`` sampling), ``"smooth"``/``"bicubic"``
            (default), ``"bilinear"`` or ``"area"``. Smooth modes antialias when shrinking; bicubic
            overshoot is clamped back to [0, 1].

    Raises:
        InvalidInputError: no size and no scale, both, a non-positive or absurd size, unknown mode.
    """

    def __init__(self, size: Any = None, *, scale: float | None = None, mode: str = "smooth") -> None:
        if mode not in MODES:
            from ..errors import unknown_name

            raise unknown_name("resize mode", str(mode), MODES)
        if (size is None) == (scale is None):
            raise InvalidInputError("give either a size (pixels, or (H, W)) or a scale factor, e.g. upscale(256) or upscale(scale=4).")
        self.size: tuple[int, int] | int | None = None
        self.scale: float | None = None
        if size is not None:
            if isinstance(size, (tuple, list)):
                if len(size) != 2:
                    raise InvalidInputError(f"size must be an int or (H, W), got {size!r}.")
                self.size = (self._side(size[0]), self._side(size[1]))
            else:
                self.size = self._side(size)
        else:
            from ..latent.core import check_float

            self.scale = check_float(scale, "scale", low=0.0, high=float(MAX_SIDE), low_open=True)
        self.mode = mode

    @staticmethod
    def _side(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIDE:
            raise InvalidInputError(f"size must be a whole number of pixels in [1, {MAX_SIDE}], got {v!r}.")
        return int(v)

    def target(self, h: int, w: int) -> tuple[int, int]:
        """Output ``(H, W)`` for input frames of ``h x w`` pixels."""
        if isinstance(self.size, tuple):
            return self.size
        if isinstance(self.size, int):
            if h >= w:
                return self.size, max(1, round(w * self.size / h))
            return max(1, round(h * self.size / w)), self.size
        assert self.scale is not None
        th, tw = max(1, round(h * self.scale)), max(1, round(w * self.scale))
        if th > MAX_SIDE or tw > MAX_SIDE:
            raise InvalidInputError(f"scaling {h}x{w} by {self.scale:g} gives {th}x{tw}, over the {MAX_SIDE}-pixel limit.")
        return th, tw

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = shape
        th, tw = self.target(h, w)
        return (c, th, tw)

    def render(self, frames: torch.Tensor) -> torch.Tensor:
        h, w = frames.shape[-2:]
        th, tw = self.target(h, w)
        if (th, tw) == (h, w):
            return frames
        mode = MODES[self.mode]
        kwargs: dict[str, Any] = {}
        if mode in ("bilinear", "bicubic"):
            kwargs["align_corners"] = False
            kwargs["antialias"] = th < h or tw < w
        out = F.interpolate(frames, size=(th, tw), mode=mode, **kwargs)
        if mode == "bicubic":
            out = out.clamp_(0.0, 1.0)
        return out

    def describe(self) -> str:
        what = f"{self.size!r}" if self.size is not None else f"scale={self.scale:g}"
        return f"upscale({what}, mode={self.mode!r})"


def upscale(size: Any = None, *, scale: float | None = None, mode: str = "smooth") -> Resize:
    """Upscale frames: ``upscale(256)`` (longer side 256 px), ``upscale((256, 384))``, ``upscale(scale=4)``;
    ``mode="nearest"`` for a pixel-art look, ``"smooth"`` (bicubic, default) otherwise. See :class:`Resize`."""
    return Resize(size, scale=scale, mode=mode)


def resize(size: Any = None, *, scale: float | None = None, mode: str = "smooth") -> Resize:
    """Resize frames up or down (same as :func:`upscale`; antialiased when shrinking)."""
    return Resize(size, scale=scale, mode=mode)
