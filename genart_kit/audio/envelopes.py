"""Envelopes: shape a per-frame control signal ``[T]`` (numpy array or torch tensor; the same kind comes back).

All time constants are in clip frames. Attack/release is the one-pole envelope follower of audio
compressors (Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor Design", JAES 2012).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInputError
from ._deps import need


def _as_array(x: Any) -> tuple[Any, Any]:
    np = need("numpy")
    back = None
    if type(x).__module__.startswith("torch"):
        back = x
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or a.shape[0] == 0:
        raise InvalidInputError(f"an envelope is a non-empty 1-D [T] sequence, got shape {tuple(a.shape)}")
    if not np.all(np.isfinite(a)):
        raise InvalidInputError("the envelope contains NaN or infinite values")
    return a, back


def _back(a: Any, like: Any) -> Any:
    np = need("numpy")
    out = a.astype(np.float32)
    if like is not None:
        import torch

        return torch.from_numpy(out).to(like.device)
    return out


def attack_release(x: Any, attack: float = 1.0, release: float = 8.0) -> Any:
    """Follow *x* with separate rise and fall times: ``y[t] = y[t-1] + (1 - exp(-1/tau)) * (x[t] - y[t-1])``
    with ``tau = attack`` while rising and ``release`` while falling (frames; 0 = instantaneous).

    Raises:
        InvalidInputError: *x* is not a finite ``[T]`` sequence, or a time constant is negative.
    """
    import math

    if attack < 0 or release < 0:
        raise InvalidInputError(f"attack and release are frame counts >= 0, got {attack} and {release}")
    a, like = _as_array(x)
    ka = 1.0 if attack == 0 else 1.0 - math.exp(-1.0 / attack)
    kr = 1.0 if release == 0 else 1.0 - math.exp(-1.0 / release)
    y = a.copy()
    prev = a[0]
    for t in range(a.shape[0]):
        prev = prev + (ka if a[t] > prev else kr) * (a[t] - prev)
        y[t] = prev
    return _back(y, like)


def smooth(x: Any, sigma: float = 2.0) -> Any:
    """Gaussian smoothing with standard deviation *sigma* frames (edges reflected); sigma 0 returns a copy.

    Raises:
        InvalidInputError: bad *x* or negative *sigma*.
    """
    np = need("numpy")
    if sigma < 0:
        raise InvalidInputError(f"sigma is a frame count >= 0, got {sigma}")
    a, like = _as_array(x)
    if sigma == 0:
        return _back(a, like)
    r = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(a, r, mode="reflect" if a.shape[0] > r else "edge")
    return _back(np.convolve(padded, k, mode="valid"), like)


def normalize(x: Any, low: float = 0.0, high: float = 100.0) -> Any:
    """Map the *low*-th..*high*-th percentile of *x* to [0, 1] and clip; a constant *x* gives zeros.

    Raises:
        InvalidInputError: bad *x* or percentiles outside 0 <= low < high <= 100.
    """
    np = need("numpy")
    if not 0 <= low < high <= 100:
        raise InvalidInputError(f"percentiles must satisfy 0 <= low < high <= 100, got {low}, {high}")
    a, like = _as_array(x)
    lo, hi = np.percentile(a, [low, high])
    if hi - lo < 1e-12:
        return _back(np.zeros_like(a), like)
    return _back(np.clip((a - lo) / (hi - lo), 0.0, 1.0), like)


def compress(x: Any, amount: float = 0.5) -> Any:
    """Raise a [0, 1] envelope to the power ``1 - amount`` (amount in [0, 1)): quiet parts come up, peaks stay at 1.

    Raises:
        InvalidInputError: bad *x*, values outside [0, 1] (normalise first) or *amount* out of range.
    """
    np = need("numpy")
    if not 0 <= amount < 1:
        raise InvalidInputError(f"amount must be in [0, 1), got {amount}")
    a, like = _as_array(x)
    if a.min() < 0 or a.max() > 1:
        raise InvalidInputError("compress expects values in [0, 1]; call normalize() first")
    return _back(np.power(a, 1.0 - amount), like)


def threshold(x: Any, level: float = 0.5, *, hard: bool = False) -> Any:
    """Gate: values below *level* become 0; above it, ``(x - level) / (max - level)`` (or 1.0 when *hard*).

    Raises:
        InvalidInputError: bad *x*.
    """
    np = need("numpy")
    a, like = _as_array(x)
    above = a > level
    if hard:
        return _back(above.astype(np.float64), like)
    span = max(float(a.max()) - level, 1e-12)
    return _back(np.where(above, (a - level) / span, 0.0), like)
