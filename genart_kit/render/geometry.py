"""Resizing: :func:`upscale` (nearest for a pixel look, smooth otherwise) and :func:`resize`; :func:`zoom`
(zoom and rotate about the centre, per frame if you like, e.g. a punch-in on every onset)."""

from __future__ import annotations

from typing import Any

import math

import torch
import torch.nn.functional as F

from ..checks import check_float
from ..errors import InvalidInputError
from .base import Renderer, Shape
from .params import FrameValue

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


def warp_grid(shape: Any, zoom: float, rotate: float, device: Any) -> torch.Tensor:
    """The sampling grid ``[1, H, W, 2]`` that zooms a ``(C, H, W)`` frame by *zoom* (> 1 magnifies) and
    rotates it by *rotate* degrees about its centre, for :func:`torch.nn.functional.grid_sample`."""
    a = math.radians(rotate)
    s = 1.0 / zoom
    theta = torch.tensor([[s * math.cos(a), -s * math.sin(a), 0.0], [s * math.sin(a), s * math.cos(a), 0.0]],
                         dtype=torch.float32, device=device)
    return F.affine_grid(theta[None], [1, *shape[-3:]], align_corners=False)


class Zoom(Renderer):
    """Zoom into (factor > 1) or out of (factor < 1) each frame about its centre, optionally rotated, with
    bilinear resampling (:func:`torch.nn.functional.grid_sample`); the size stays. Area uncovered when
    zooming out is black (transparent for RGBA). *factor* and *rotate* take a number or one value per frame
    ``[T]``, e.g. ``zoom(1 + 0.15 * onset)`` punches in on every onset.

    Args:
        factor: magnification in [0.1, 10] (1 = unchanged).
        rotate: rotation in degrees, in [-360, 360].

    Raises:
        InvalidInputError: values out of range or NaN, or a per-frame sequence of the wrong length.
    """

    def __init__(self, factor: Any = 1.1, rotate: Any = 0.0) -> None:
        self.factor = FrameValue(factor, "zoom factor", low=0.1, high=10.0)
        self.rotate = FrameValue(rotate, "zoom rotate", low=-360.0, high=360.0)

    def process(self, frames: torch.Tensor, state: Any, start: int, total: int) -> tuple[torch.Tensor, Any]:
        n = frames.shape[0]
        if not self.factor.varies and not self.rotate.varies:
            if self.factor.constant == 1.0 and self.rotate.constant == 0.0:
                return frames, state
            grid = warp_grid(frames.shape, self.factor.constant, self.rotate.constant, frames.device).expand(n, -1, -1, -1)
        else:
            f = self.factor.at(start, n, total).tolist()
            r = self.rotate.at(start, n, total).tolist()
            grid = torch.cat([warp_grid(frames.shape, f[i], r[i], frames.device) for i in range(n)])
        out = F.grid_sample(frames, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return out.clamp_(0.0, 1.0), state

    def render(self, frames: torch.Tensor) -> torch.Tensor:
        return self.process(frames, None, 0, frames.shape[0])[0]

    def describe(self) -> str:
        return f"zoom({self.factor.describe()}, rotate={self.rotate.describe()})"


def zoom(factor: Any = 1.1, *, rotate: Any = 0.0) -> Zoom:
    """Zoom (and rotate) about the centre, per frame if you like: ``ga.render.zoom(1 + 0.2 * onset)``; see
    :class:`Zoom`."""
    return Zoom(factor, rotate)
