"""Renderers with memory: :func:`trails` and :func:`feedback` blend each frame with the previous output.

State (the previous output frame) carries across streamed batches, so a clip rendered in batches of 8 is
identical to one rendered in a single batch. Both declare a :attr:`~genart_kit.render.base.Renderer.warmup`
(the frames after which older history weighs less than 1/512): the pipeline runs that many preceding frames
first — taken from the end of the clip when it loops — so the first frame already carries its trail and a
loop stays seamless.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import InvalidInputError
from .base import Renderer
from .geometry import warp_grid
from .params import FrameValue

MODES = ("max", "blend", "add")
MAX_WARMUP = 2000


def _warmup(decay: float) -> int:
    if decay <= 0.0:
        return 0
    if decay >= 1.0:
        return MAX_WARMUP
    return min(MAX_WARMUP, math.ceil(math.log(1 / 512) / math.log(decay)))


def _combine(mode: str, current: torch.Tensor, previous: torch.Tensor, decay: float) -> torch.Tensor:
    if mode == "max":
        return torch.maximum(current, previous * decay)
    if mode == "add":
        return (current + previous * decay).clamp_(0.0, 1.0)
    return current * (1.0 - decay) + previous * decay  # "blend": exponential moving average


class Trails(Renderer):
    """Motion trails: ``out[t] = combine(in[t], decay * out[t-1])``.

    Modes: ``"max"`` (light trails: the brighter of the frame and the fading trail; default), ``"blend"``
    (exponential moving average, a soft motion blur), ``"add"`` (glow that saturates).
    """

    def __init__(self, decay: Any = 0.8, mode: str = "max") -> None:
        self.decay_value = FrameValue(decay, "decay", low=0.0, high=0.999)
        self.decay = self.decay_value.peak
        if mode not in MODES:
            raise InvalidInputError(f"trails mode must be one of {', '.join(MODES)}; got {mode!r}.")
        self.mode = mode
        self.warmup = _warmup(self.decay)

    def process(self, frames: torch.Tensor, state: torch.Tensor | None, start: int, total: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = torch.empty_like(frames)
        decays = self.decay_value.at(start, frames.shape[0], total).tolist()
        prev = state
        for i in range(frames.shape[0]):
            cur = frames[i]
            if prev is None or prev.shape != cur.shape:
                prev = cur
            else:
                prev = _combine(self.mode, cur, prev, decays[i])
            out[i] = prev
        return out, prev

    def describe(self) -> str:
        return f"trails(decay={self.decay_value.describe()}, mode={self.mode!r})"


def trails(decay: Any = 0.8, *, mode: str = "max") -> Trails:
    """Motion trails that carry across batches; see :class:`Trails`.

    Args:
        decay: how much of the previous output survives each frame, in [0, 0.999] (0 = off); a number or one
            value per frame ``[T]``.
        mode: ``"max"``, ``"blend"`` or ``"add"``.

    Raises:
        InvalidInputError: decay out of range or NaN; unknown mode.
    """
    return Trails(decay, mode)


class Feedback(Renderer):
    """Video feedback: the previous output, zoomed and rotated about the centre, fades under the new frame.

    ``out[t] = combine(in[t], decay * warp(out[t-1]))`` with ``warp`` a zoom by *zoom* and a rotation by
    *rotate* degrees (bilinear resampling with :func:`torch.nn.functional.grid_sample`), the classic
    camera-pointed-at-its-monitor tunnel effect.
    """

    def __init__(self, zoom: Any = 1.05, rotate: Any = 0.0, decay: Any = 0.85, mode: str = "max") -> None:
        self.zoom_value = FrameValue(zoom, "zoom", low=0.1, high=10.0)
        self.rotate_value = FrameValue(rotate, "rotate", low=-360.0, high=360.0)
        self.decay_value = FrameValue(decay, "decay", low=0.0, high=0.999)
        self.zoom, self.rotate = self.zoom_value.constant, self.rotate_value.constant  # None when per frame
        self.decay = self.decay_value.peak
        if mode not in MODES:
            raise InvalidInputError(f"feedback mode must be one of {', '.join(MODES)}; got {mode!r}.")
        self.mode = mode
        self.warmup = _warmup(self.decay)
        self._grid: dict[tuple, torch.Tensor] = {}

    def _grid_for(self, x: torch.Tensor, zoom: float, rotate: float) -> torch.Tensor:
        key = (tuple(x.shape), x.device, zoom, rotate)
        g = self._grid.get(key)
        if g is None:
            g = warp_grid(x.shape, zoom, rotate, x.device)
            if len(self._grid) > 64:  # per-frame zooms: keep the cache bounded
                self._grid.clear()
            self._grid[key] = g
        return g

    def process(self, frames: torch.Tensor, state: torch.Tensor | None, start: int, total: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = torch.empty_like(frames)
        n = frames.shape[0]
        zooms = self.zoom_value.at(start, n, total).tolist()
        turns = self.rotate_value.at(start, n, total).tolist()
        decays = self.decay_value.at(start, n, total).tolist()
        prev = state
        for i in range(n):
            cur = frames[i]
            if prev is None or prev.shape != cur.shape:
                prev = cur
            else:
                grid = self._grid_for(prev, zooms[i], turns[i])
                warped = F.grid_sample(prev[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
                prev = _combine(self.mode, cur, warped, decays[i])
            out[i] = prev
        return out, prev

    def describe(self) -> str:
        return (f"feedback(zoom={self.zoom_value.describe()}, rotate={self.rotate_value.describe()}, "
                f"decay={self.decay_value.describe()})")


def feedback(zoom: Any = 1.05, rotate: Any = 0.0, decay: Any = 0.85, *, mode: str = "max") -> Feedback:
    """Zoom/rotate video feedback; see :class:`Feedback`. *zoom*, *rotate* and *decay* each take a number or
    one value per frame ``[T]`` (e.g. an audio envelope).

    Args:
        zoom: zoom factor of the echo per frame (0.1..10; > 1 flies outwards).
        rotate: rotation of the echo per frame in degrees.
        decay: how much of the echo survives each frame, in [0, 0.999].
        mode: ``"max"``, ``"blend"`` or ``"add"``.

    Raises:
        InvalidInputError: values out of range or NaN; unknown mode.
    """
    return Feedback(zoom, rotate, decay, mode)
