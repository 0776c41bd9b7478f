"""Renderers with memory: :func:`trails` and :func:`feedback` blend each frame with the previous output.

State (the previous output frame) carries across streamed batches, so a clip rendered in batches of 8 is
identical to one rendered in a single batch. Both declare a :attr:`~genart_kit.render.base.Renderer.warmup`
(the frames after which older history weighs less than 1/512): the pipeline runs that many preceding frames
first — taken from the end of the clip when it loops — so the first frame already carries its trail and a
loop stays seamless.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..errors import InvalidInputError
from ..latent.core import check_float
from .base import Renderer

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

    def __init__(self, decay: float = 0.8, mode: str = "max") -> None:
        self.decay = check_float(decay, "decay", low=0.0, high=0.999)
        if mode not in MODES:
            raise InvalidInputError(f"trails mode must be one of {', '.join(MODES)}; got {mode!r}.")
        self.mode = mode
        self.warmup = _warmup(self.decay)

    def process(self, frames: torch.Tensor, state: torch.Tensor | None, start: int, total: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = torch.empty_like(frames)
        prev = state
        for i in range(frames.shape[0]):
            cur = frames[i]
            if prev is None or prev.shape != cur.shape:
                prev = cur
            else:
                prev = _combine(self.mode, cur, prev, self.decay)
            out[i] = prev
        return out, prev

    def describe(self) -> str:
        return f"trails(decay={self.decay:g}, mode={self.mode!r})"


def trails(decay: float = 0.8, *, mode: str = "max") -> Trails:
    """Motion trails that carry across batches; see :class:`Trails`.

    Args:
        decay: how much of the previous output survives each frame, in [0, 0.999] (0 = off).
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

    def __init__(self, zoom: float = 1.05, rotate: float = 0.0, decay: float = 0.85, mode: str = "max") -> None:
        self.zoom = check_float(zoom, "zoom", low=0.1, high=10.0)
        self.rotate = check_float(rotate, "rotate", low=-360.0, high=360.0)
        self.decay = check_float(decay, "decay", low=0.0, high=0.999)
        if mode not in MODES:
            raise InvalidInputError(f"feedback mode must be one of {', '.join(MODES)}; got {mode!r}.")
        self.mode = mode
        self.warmup = _warmup(self.decay)
        self._grid: dict[tuple, torch.Tensor] = {}

    def _grid_for(self, x: torch.Tensor) -> torch.Tensor:
        key = (tuple(x.shape), x.device)
        g = self._grid.get(key)
        if g is None:
            a = math.radians(self.rotate)
            s = 1.0 / self.zoom
            theta = torch.tensor([[s * math.cos(a), -s * math.sin(a), 0.0], [s * math.sin(a), s * math.cos(a), 0.0]],
                                 dtype=torch.float32, device=x.device)
            g = F.affine_grid(theta[None], [1, *x.shape], align_corners=False)
            self._grid[key] = g
        return g

    def process(self, frames: torch.Tensor, state: torch.Tensor | None, start: int, total: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = torch.empty_like(frames)
        prev = state
        for i in range(frames.shape[0]):
            cur = frames[i]
            if prev is None or prev.shape != cur.shape:
                prev = cur
            else:
                warped = F.grid_sample(prev[None], self._grid_for(prev), mode="bilinear", padding_mode="zeros", align_corners=False)[0]
                prev = _combine(self.mode, cur, warped, self.decay)
            out[i] = prev
        return out, prev

    def describe(self) -> str:
        return f"feedback(zoom={self.zoom:g}, rotate={self.rotate:g}, decay={self.decay:g})"


def feedback(zoom: float = 1.05, rotate: float = 0.0, decay: float = 0.85, *, mode: str = "max") -> Feedback:
    """Zoom/rotate video feedback; see :class:`Feedback`.

    Args:
        zoom: zoom factor of the echo per frame (0.1..10; > 1 flies outwards).
        rotate: rotation of the echo per frame in degrees.
        decay: how much of the echo survives each frame, in [0, 0.999].
        mode: ``"max"``, ``"blend"`` or ``"add"``.

    Raises:
        InvalidInputError: values out of range or NaN; unknown mode.
    """
    return Feedback(zoom, rotate, decay, mode)
