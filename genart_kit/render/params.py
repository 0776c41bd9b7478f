"""Renderer options that follow the music: a constant or one value per frame (issue 13).

A numeric renderer option (``flash(amount)``, ``zoom(factor)``, ``hue(shift)``, ``contrast(amount)``,
``gamma(value)``, ``feedback(zoom, rotate, decay)``, ``trails(decay)``) accepts either a number or a per-frame
sequence ``[T]`` (a list, numpy array or tensor, e.g. an envelope from ``ga.audio``), so a flash can fire on
onsets or the hue follow the spectral centroid::

    feats = ga.audio.features(track, fps=24)
    look = ga.render.flash(0.6 * feats.onset) | ga.render.hue(ga.audio.normalize(feats.centroid))

A sequence must have one value per frame of the clip it renders (``T`` frames); frame ``i`` of the clip takes
value ``i`` (looping clips wrap, so warm-up frames before 0 take the last values).
"""

from __future__ import annotations

from typing import Any

import torch

from ..checks import check_float
from ..errors import InvalidInputError


class FrameValue:
    """A renderer option: a constant, or a float32 ``[T]`` sequence with one value per frame.

    Args:
        value: a real number, or a 1-D sequence (list, tuple, numpy array, tensor) of finite real numbers.
        name: the option's name, for messages (``"flash amount"``).
        low, high: the allowed range (inclusive; ``low_open`` excludes *low*); every value is checked.

    Raises:
        InvalidInputError: not a number or a 1-D sequence, empty, NaN/inf, or a value out of range (the
            message names the first bad frame).
    """

    def __init__(self, value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False) -> None:
        self.name = name
        self.values: torch.Tensor | None = None
        self.constant: float | None = None
        if _is_scalar(value):
            self.constant = check_float(value, name, low=low, high=high, low_open=low_open)
            return
        try:
            t = torch.as_tensor(value.copy() if hasattr(value, "copy") and not isinstance(value, torch.Tensor) else value)
        except Exception as exc:  # strings, dicts, ragged lists
            raise InvalidInputError(f"{name} must be a number or one number per frame ([T] list/array/tensor), "
                                    f"got {type(value).__name__} {value!r:.60}.") from exc
        if t.dtype == torch.bool or t.is_complex() or not (t.is_floating_point() or t.dtype in _INTS):
            raise InvalidInputError(f"{name} must hold real numbers, got dtype {t.dtype}.")
        if t.ndim != 1 or t.shape[0] < 1:
            raise InvalidInputError(f"{name} per frame must be a 1-D sequence [T] with T >= 1, got shape {list(t.shape)}.")
        t = t.detach().to("cpu", torch.float32)
        bad = ~torch.isfinite(t)
        if low is not None:
            bad |= (t <= low) if low_open else (t < low)
        if high is not None:
            bad |= t > high
        if bad.any():
            i = int(bad.nonzero()[0])
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            raise InvalidInputError(f"{name} must be in {'(' if low_open else '['}{lo}, {hi}] on every frame; "
                                    f"frame {i} is {float(t[i]):g}.")
        self.values = t

    @property
    def varies(self) -> bool:
        """Whether the value changes over the clip (a sequence rather than a constant)."""
        return self.values is not None

    @property
    def peak(self) -> float:
        """The largest value over the clip (e.g. for a renderer's warm-up length)."""
        return float(self.constant if self.values is None else self.values.max())

    def at(self, start: int, count: int, total: int, device: Any = None) -> torch.Tensor:
        """Values of frames ``start .. start + count - 1`` of a *total*-frame clip: float32 ``[count]``.

        Raises:
            InvalidInputError: a sequence whose length is not *total* (the message gives both lengths).
        """
        if self.values is None:
            return torch.full((count,), self.constant, dtype=torch.float32, device=device)  # type: ignore[arg-type]
        n = self.values.shape[0]
        if n != total:
            raise InvalidInputError(f"{self.name} has {n} per-frame values but the clip has {total} frames; give one "
                                    f"value per frame (audio features of the same clip: ga.audio.features(track, fps) "
                                    f"with the clip's fps and frames=).")
        idx = torch.arange(start, start + count) % n
        return self.values[idx].to(device)

    def describe(self) -> str:
        """``0.5`` for a constant, ``<192 values 0..0.8>`` for a sequence (recipes and reprs)."""
        if self.values is None:
            return f"{self.constant:g}"
        return f"<{self.values.shape[0]} values {float(self.values.min()):g}..{float(self.values.max()):g}>"


def rgb_color(color: Any, name: str) -> tuple[float, float, float]:
    """A colour option as ``(r, g, b)`` floats in [0, 1]: a name or ``"#rrggbb"`` (Pillow's ``ImageColor``), a
    grey level in [0, 1], or an ``(r, g, b)`` tuple in [0, 1].

    Raises:
        InvalidInputError: an unknown name or a value out of range (*name* says which option).
    """
    if isinstance(color, str):
        from PIL import ImageColor

        try:
            r, g, b = ImageColor.getrgb(color)[:3]
        except ValueError as exc:
            raise InvalidInputError(f"{name}: unknown colour {color!r}; use a name like 'white' or '#ff3366'.") from exc
        return (r / 255.0, g / 255.0, b / 255.0)
    if isinstance(color, (int, float)) and not isinstance(color, bool):
        v = float(color)
        if not 0.0 <= v <= 1.0:
            raise InvalidInputError(f"{name}: a grey level must be in [0, 1], got {v}.")
        return (v, v, v)
    try:
        vals = tuple(float(c) for c in color)
    except TypeError as exc:
        raise InvalidInputError(f"{name}: expected a colour name, '#rrggbb' or an (r, g, b) tuple in [0, 1], got {color!r}.") from exc
    if len(vals) != 3 or not all(0.0 <= v <= 1.0 for v in vals):
        raise InvalidInputError(f"{name}: an (r, g, b) colour needs three values in [0, 1], got {color!r}.")
    return vals  # type: ignore[return-value]


_INTS = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, (int, float)) or isinstance(value, bool):
        return True
    ndim = getattr(value, "ndim", None)
    return ndim == 0
