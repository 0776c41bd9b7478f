"""The input checks every layer shares: frame counts, finite numbers in a range, seeds (one home each).

Torch-free (a 0-d tensor is read through its ``numel``/``__float__``), so listings, sketches and the
renderers' option checks can use them without importing torch.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from .errors import InvalidInputError

#: Largest number of frames an op accepts (about 11.6 days of animation at 100 fps).
MAX_FRAMES = 100_000_000


def check_frames(frames: Any, *, name: str = "frames") -> int:
    """Validate a frame count: a positive ``int`` no larger than :data:`MAX_FRAMES`.

    Raises:
        InvalidInputError: not an int, zero, negative or absurdly large.
    """
    if isinstance(frames, (bool, float)) or not hasattr(frames, "__index__"):
        raise InvalidInputError(f"{name} must be a positive whole number, got {frames!r}.")
    try:
        frames = int(frames.__index__())
    except Exception as exc:  # e.g. a multi-element tensor
        raise InvalidInputError(f"{name} must be a positive whole number, got {frames!r}.") from exc
    if frames < 1:
        raise InvalidInputError(f"{name} must be at least 1, got {frames}; ask for at least one frame.")
    if frames > MAX_FRAMES:
        raise InvalidInputError(f"{name}={frames} is too large (at most {MAX_FRAMES:,}).")
    return frames


def check_float(value: Any, name: str, *, low: float | None = None, high: float | None = None, low_open: bool = False) -> float:
    """Validate a finite real number in ``[low, high]`` (``(low, high]`` when *low_open*).

    Raises:
        InvalidInputError: not a real number, NaN/inf, or out of range (the message gives the range).
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        if callable(getattr(value, "numel", None)) and value.numel() == 1:  # a one-element tensor
            value = float(value)
        else:
            raise InvalidInputError(f"{name} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite number, got {value}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        bracket = "(" if low_open else "["
        raise InvalidInputError(f"{name} must be in {bracket}{lo}, {hi}], got {value:g}.")
    return value


def check_seed(seed: Any) -> int:
    """Validate a seed: an ``int`` (any size; reduced modulo 2**63 by the generator).

    Raises:
        InvalidInputError: not an int.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidInputError(f"seed must be an int, got {seed!r}; pass e.g. seed=0.")
    return int(seed)
