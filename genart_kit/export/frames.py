"""Frame validation, float -> uint8 conversion and frame timing shared by every exporter.

Exporters receive *batches*: an iterable (often a generator, possibly thousands of frames long) of numpy
``uint8`` arrays ``[B, H, W, C]`` with ``C`` in {1, 3, 4} (grey, RGB, RGBA). :class:`FrameStream` checks
each batch as it arrives (dtype, rank, channels, a constant frame size) so a bad batch raises
:class:`~genart_kit.errors.InvalidInputError` with a fix, never an error deep inside Pillow or ffmpeg.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ExportError, InvalidInputError

__all__ = ["to_uint8", "FrameStream", "check_fps", "frame_times", "cumulative_delays"]

_FIX = ("exporters take numpy uint8 arrays [B, H, W, C] with C in {1, 3, 4}; convert float frames "
        "[T, C, H, W] in [0, 1] with genart_kit.export.to_uint8(frames)")


def to_uint8(frames: Any) -> np.ndarray:
    """Convert float frames ``[T, C, H, W]`` in [0, 1] (torch tensor or numpy array) to uint8 ``[T, H, W, C]``.

    Values are clamped to [0, 1], scaled by 255 and rounded half to even (``np.rint``), so 0.5 -> 128 and the
    conversion is exact for values that came from uint8 (``k / 255``). A single frame ``[C, H, W]`` is
    accepted and returned as ``[1, H, W, C]``. Arrays that are already uint8 ``[T, C, H, W]`` are only
    transposed. ``C`` must be 1, 3 or 4.

    Args:
        frames: ``torch.Tensor`` (any device; it is moved to the CPU) or ``numpy.ndarray``, float16/32/64
            or uint8, shape ``[T, C, H, W]`` or ``[C, H, W]``.

    Returns:
        a C-contiguous ``numpy.ndarray`` uint8 ``[T, H, W, C]``.

    Raises:
        InvalidInputError: wrong rank or channel count, NaN values, an empty array, or an unsupported dtype
            (bool, complex, object, integers other than uint8).
    """
    if hasattr(frames, "detach") and hasattr(frames, "cpu"):  # torch.Tensor, imported lazily by the caller
        t = frames.detach().cpu()
        if str(t.dtype) in ("torch.bfloat16",):
            t = t.float()
        frames = t.numpy()
    arr = np.asarray(frames)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise InvalidInputError(f"to_uint8 expects frames [T, C, H, W] (or one frame [C, H, W]); got shape {tuple(arr.shape)}.")
    if arr.shape[1] not in (1, 3, 4):
        hint = " (it looks like [T, H, W, C]: transpose with frames.permute(0, 3, 1, 2))" if arr.shape[-1] in (1, 3, 4) else ""
        raise InvalidInputError(f"to_uint8 expects [T, C, H, W] with C in 1, 3 or 4; got shape {tuple(arr.shape)}{hint}.")
    if arr.size == 0:
        raise InvalidInputError(f"to_uint8 got an empty array of shape {tuple(arr.shape)}; render at least one frame of at least 1x1 pixel.")
    if arr.dtype == np.uint8:
        out = arr
    elif np.issubdtype(arr.dtype, np.floating):
        if np.isnan(arr).any():
            raise InvalidInputError("frames contain NaN values; check the model/renderer output (e.g. a division by zero) before exporting.")
        out = np.rint(np.clip(arr.astype(np.float32, copy=False), 0.0, 1.0) * np.float32(255.0)).astype(np.uint8)
    else:
        raise InvalidInputError(f"to_uint8 expects float frames in [0, 1] (or uint8); got dtype {arr.dtype}.")
    return np.ascontiguousarray(out.transpose(0, 2, 3, 1))


def check_fps(fps: Any) -> float:
    """Validate a frame rate (frames per second) and return it as a float.

    Raises:
        ExportError: *fps* is not a real number, is not finite, or is not positive.
    """
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating, Fraction)):
        raise ExportError(f"fps must be a positive number (frames per second), got {fps!r}; pass e.g. fps=24.")
    f = float(fps)
    if not math.isfinite(f) or f <= 0:
        raise ExportError(f"fps must be a positive, finite number of frames per second, got {fps!r}; pass e.g. fps=24.")
    return f


def _fraction(fps: float) -> Fraction:
    # 29.97 -> 2997/100, 23.976 -> 2997/125: the decimal the user typed, not its binary approximation
    f = Fraction(fps).limit_denominator(1_000_000)
    if f == 0 or abs(float(f) - fps) > 1e-9 * fps:  # tiny or odd rates: keep the exact binary value
        f = Fraction(fps)
    return f


def frame_times(index: int, fps: float, unit: int) -> int:
    """End time of frame *index* (0-based) in integer *unit* ticks per second, rounded half up, exactly.

    ``frame_times(i, fps, 100)`` is the centisecond at which frame ``i`` ends. Using exact rational
    arithmetic means the sum of the per-frame delays equals the clip's true duration to within half a tick,
    with no drift over long clips.
    """
    return _end_tick(index, _fraction(fps), unit)


def _end_tick(index: int, fps: Fraction, unit: int) -> int:
    """``floor((index + 1) * unit / fps + 1/2)`` in integer arithmetic (exact; *fps* a positive fraction)."""
    num, den = fps.numerator, fps.denominator
    return (2 * (index + 1) * unit * den + num) // (2 * num)


def cumulative_delays(fps: float, unit: int) -> Iterator[int]:
    """Yield per-frame delays in integer ticks (*unit* per second) whose running sum never drifts.

    Delay ``i`` is ``round((i + 1) * unit / fps) - round(i * unit / fps)`` (round half up). For a GIF at 24 fps
    (``unit=100``) that gives the repeating pattern 4, 4, 5, 4, 4, 4 centiseconds: 25 cs every 6 frames,
    exactly 1/24 s per frame on average. At 25 fps it is a constant 4 cs.
    """
    f = _fraction(fps)
    prev = 0
    i = 0
    while True:
        t = _end_tick(i, f, unit)
        yield t - prev
        prev = t
        i += 1


class FrameStream:
    """Validate and iterate a stream of frame batches.

    Iterating yields C-contiguous uint8 arrays ``[B, H, W, C]`` (empty batches are skipped); after
    iteration, :attr:`count` is the number of frames seen. :attr:`shape` is ``(H, W, C)`` once the first
    batch has been seen (or after :meth:`peek`).

    Args:
        batches: iterable of numpy uint8 arrays ``[B, H, W, C]``, ``C`` in {1, 3, 4}. A single array
            ``[T, H, W, C]`` is also accepted (it is one batch).
        max_side: largest allowed width/height in pixels (format limit, e.g. 65535 for GIF).
        channels: accepted channel counts.
        fmt: format name for error messages.

    Raises (while iterating):
        InvalidInputError: a batch is not a uint8 ndarray of rank 4, has 0 width/height, a channel count
            not in *channels*, or a frame size different from the first batch.
        ExportError: the frames exceed *max_side*, or the stream held no frames at all.
    """

    def __init__(self, batches: Iterable[Any], *, max_side: int = 1 << 30, channels: tuple[int, ...] = (1, 3, 4), fmt: str = "this format") -> None:
        if isinstance(batches, np.ndarray) or hasattr(batches, "detach"):
            batches = [batches]
        try:
            self._it = iter(batches)
        except TypeError as exc:
            raise InvalidInputError(f"batches must be an iterable of frame arrays, got {type(batches).__name__}; {_FIX}.") from exc
        self.max_side = max_side
        self.channels = channels
        self.fmt = fmt
        self.shape: tuple[int, int, int] | None = None
        self.count = 0
        self._peeked: list[np.ndarray] = []

    def _check(self, b: Any) -> np.ndarray:
        if hasattr(b, "detach"):
            raise InvalidInputError(f"got a torch tensor of shape {tuple(b.shape)}; {_FIX}.")
        if not isinstance(b, np.ndarray):
            raise InvalidInputError(f"got a {type(b).__name__} in the frame batches; {_FIX}.")
        if b.dtype != np.uint8:
            if np.issubdtype(b.dtype, np.floating) and b.size and np.isnan(b).any():
                raise InvalidInputError(f"frames contain NaN values (dtype {b.dtype}); check the model/renderer output, then {_FIX}.")
            raise InvalidInputError(f"frames must be uint8, got dtype {b.dtype}; {_FIX}.")
        if b.ndim != 4:
            raise InvalidInputError(f"frame batches must have 4 dimensions [B, H, W, C], got shape {tuple(b.shape)}; {_FIX}.")
        bsz, h, w, c = b.shape
        if c not in self.channels:
            allowed = ", ".join(map(str, self.channels))
            raise InvalidInputError(f"frames must have C in {{{allowed}}} channels (last axis), got shape {tuple(b.shape)}; "
                                    f"{'it looks like [B, C, H, W]: transpose to [B, H, W, C]' if b.shape[1] in (1, 3, 4) else _FIX}.")
        if h == 0 or w == 0:
            raise InvalidInputError(f"frames must be at least 1x1 pixel, got shape {tuple(b.shape)}.")
        if h > self.max_side or w > self.max_side:
            raise ExportError(f"{self.fmt} frames can be at most {self.max_side} pixels per side, got {w}x{h}; downscale the clip first.")
        if self.shape is None:
            self.shape = (h, w, c)
        elif (h, w, c) != self.shape:
            raise InvalidInputError(f"all frames must have the same size and channels: first batch was (H, W, C)={self.shape}, "
                                    f"frame {self.count} has {(h, w, c)}; resize or convert before exporting.")
        return np.ascontiguousarray(b)

    def _next_batch(self) -> np.ndarray | None:
        if self._peeked:
            return self._peeked.pop(0)
        for b in self._it:
            arr = self._check(b)
            if arr.shape[0]:
                return arr
        return None

    def peek(self) -> tuple[int, int, int]:
        """Read ahead to the first non-empty batch and return ``(H, W, C)``.

        Raises:
            ExportError: the stream holds no frames.
        """
        if self.shape is None or (not self._peeked and self.count == 0):
            b = self._next_batch()
            if b is None:
                raise ExportError(f"nothing to export: the clip has no frames; render at least one frame before writing {self.fmt}.")
            self._peeked.insert(0, b)
        assert self.shape is not None
        return self.shape

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            b = self._next_batch()
            if b is None:
                break
            self.count += b.shape[0]
            yield b
        if self.count == 0:
            raise ExportError(f"nothing to export: the clip has no frames; render at least one frame before writing {self.fmt}.")

    def frames(self) -> Iterator[np.ndarray]:
        """Iterate single frames ``[H, W, C]`` (views into the batches)."""
        for b in self:
            yield from b
