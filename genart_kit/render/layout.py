"""Grid layout of frames: many small images into one, batched over time (the core of tiling and sheets)."""

from __future__ import annotations

import math

import torch

from ..errors import InvalidInputError


def grid(frames: torch.Tensor, cols: int | None = None, *, padding: int = 0, background: float = 0.0) -> torch.Tensor:
    """Arrange K images into a grid, row by row, for one time step or a batch of time steps at once.

    Like ``torchvision.utils.make_grid`` but batched over time (``[B, K, C, H, W]``) and without importing
    torchvision; pure reshapes/copies on the frames' device.

    Args:
        frames: ``[K, C, H, W]`` (one grid) or ``[B, K, C, H, W]`` (B grids), float in [0, 1].
        cols: columns (default ``ceil(sqrt(K))``); rows follow.
        padding: pixels of *background* between and around cells (>= 0).
        background: value of padding and empty cells (in [0, 1] for float frames, 0..255 for uint8).

    Returns:
        ``[C, H', W']`` or ``[B, C, H', W']`` with ``H' = rows * H + (rows + 1) * padding`` and
        ``W' = cols * W + (cols + 1) * padding``.

    Raises:
        InvalidInputError: wrong rank, empty input, bad cols or padding.
    """
    if not isinstance(frames, torch.Tensor) or frames.ndim not in (4, 5) or frames.numel() == 0:
        shape = list(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise InvalidInputError(f"grid takes frames [K, C, H, W] or [B, K, C, H, W], got {shape}.")
    single = frames.ndim == 4
    x = frames[None] if single else frames
    b, k, c, h, w = x.shape
    cols = cols or math.ceil(math.sqrt(k))
    if isinstance(cols, bool) or not isinstance(cols, int) or cols < 1:
        raise InvalidInputError(f"cols must be a positive int, got {cols!r}.")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise InvalidInputError(f"padding must be a non-negative int, got {padding!r}.")
    cols = min(cols, k)
    rows = math.ceil(k / cols)
    p = padding
    out = torch.full((b, c, rows * h + (rows + 1) * p, cols * w + (cols + 1) * p), float(background), dtype=x.dtype, device=x.device)
    if p == 0 and rows * cols == k:
        # fast path: one reshape/permute copy
        out = x.reshape(b, rows, cols, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, rows * h, cols * w)
    else:
        for i in range(k):
            r, col = divmod(i, cols)
            y0, x0 = p + r * (h + p), p + col * (w + p)
            out[:, :, y0: y0 + h, x0: x0 + w] = x[:, i]
    return out[0] if single else out.contiguous()
