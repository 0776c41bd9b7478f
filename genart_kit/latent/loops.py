"""Seamless loops: paths whose last frame leads into the first with no jump.

Both ops sample a closed curve at ``theta_i = 2 pi i / T`` for ``i = 0 .. T-1``: frame ``T`` would be frame
0 again, so a GIF on repeat has no seam and no duplicated frame.

* :func:`circular_walk` — the great-circle loop ``z(theta) = c + r (a cos theta + b sin theta)`` with ``a``,
  ``b`` independent N(0, I) draws. Because ``cos^2 + sin^2 = 1`` every frame is again exactly N(0, I)
  distributed (for ``c = 0``, ``r = 1``): the loop never leaves the region the model was trained on.
* :func:`noise_loop` — the "noise loop" of generative-art practice: sample a smooth random field on a circle
  in a higher-dimensional noise space (Etienne Jacob, "Drawing from noise, and then making animated loopy
  GIFs from there", bleuje.com, 2018). Here the field is a random trigonometric polynomial per latent
  dimension, ``z_d(theta) = sum_k w_k (a_dk cos k theta + b_dk sin k theta) / sqrt(sum_k w_k^2)`` with
  ``a, b ~ N(0, 1)`` and ``w_k = roughness^(k-1)``: a stationary, periodic Gaussian process whose marginal
  at every frame is exactly N(0, I), with more wiggle per loop as ``harmonics`` and ``roughness`` grow.
  ``harmonics=1`` is the circular walk.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .core import Latents, as_vectors, check_float, check_frames, check_seed, describe_args, source_info


def _coefficients(dim: int, harmonics: int, seed: int) -> torch.Tensor:
    from ..generative import seeded_generator

    # [harmonics, 2, D]: cos and sin coefficients of each harmonic, drawn in a fixed order so that adding
    # harmonics keeps the lower ones (the same seed gives a related, smoother/rougher loop).
    return torch.randn(harmonics, 2, dim, generator=seeded_generator(seed), dtype=torch.float64)


def noise_loop(
    source: Any,
    frames: int = 96,
    *,
    seed: int = 0,
    harmonics: int = 3,
    roughness: float = 0.5,
    radius: float = 1.0,
    center: Any = None,
    condition: Any = None,
) -> Latents:
    """A seamless noise loop through the prior: smooth, random, and exactly N(0, I) at every frame.

    Args:
        source: a model or an int latent dimension D.
        frames: T, frames per loop (>= 1).
        seed: RNG seed; the same seed gives the same loop.
        harmonics: K >= 1, number of harmonics (1 = a plain circular walk; 3-4 = organic wandering).
        roughness: weight ratio of successive harmonics, in [0, 1]: 0 keeps only the first harmonic.
        radius: scale of the excursion around *center* (1 keeps the prior's spread; < 1 acts like truncation).
        center: optional latent ``[D]`` the loop circles around (default the prior mean 0).
        condition: per-frame condition for conditional models.

    Returns:
        looping :class:`Latents` ``[T, D]``, computed chunk by chunk.

    Raises:
        InvalidInputError: bad frames, seed, harmonics (1..64), roughness, radius or center.
    """
    frames = check_frames(frames)
    check_seed(seed)
    if isinstance(harmonics, bool) or not isinstance(harmonics, int) or not 1 <= harmonics <= 64:
        from ..errors import InvalidInputError

        raise InvalidInputError(f"harmonics must be an int in [1, 64], got {harmonics!r}.")
    roughness = check_float(roughness, "roughness", low=0.0, high=1.0)
    radius = check_float(radius, "radius", low=0.0, high=1e6)
    dim, _ = source_info(source)
    c = None if center is None else as_vectors(center, "center", dim=dim)[0].to(torch.float64)
    coef = _coefficients(dim, harmonics, seed)
    weights = torch.tensor([roughness**k for k in range(harmonics)], dtype=torch.float64)
    weights = weights / weights.norm()
    ks = torch.arange(1, harmonics + 1, dtype=torch.float64)

    def fn(start: int, stop: int) -> torch.Tensor:
        theta = torch.arange(start, stop, dtype=torch.float64) * (2 * math.pi / frames)
        angles = theta[:, None] * ks[None, :]  # [n, K]
        cos = torch.cos(angles) * weights
        sin = torch.sin(angles) * weights
        z = cos @ coef[:, 0, :] + sin @ coef[:, 1, :]
        z = z * radius
        if c is not None:
            z = z + c
        return z.to(torch.float32)

    desc = describe_args("noise_loop", source=source, frames=frames, seed=seed, harmonics=harmonics,
                         roughness=roughness, radius=radius)
    return Latents(fn, frames, dim, condition=condition, loop=True, description=desc)


def circular_walk(
    source: Any,
    frames: int = 96,
    *,
    seed: int = 0,
    radius: float = 1.0,
    center: Any = None,
    condition: Any = None,
) -> Latents:
    """The great-circle loop ``z(theta) = center + radius (a cos theta + b sin theta)``, a, b ~ N(0, I).

    Every frame has the prior's distribution (for ``center=None``, ``radius=1``), the path is smooth and
    the last frame leads into the first. Equivalent to :func:`noise_loop` with ``harmonics=1``.

    Args:
        source: a model or an int latent dimension D.
        frames: T, frames per loop (>= 1).
        seed: RNG seed.
        radius: scale of the circle (>= 0).
        center: optional latent ``[D]`` to circle around.
        condition: per-frame condition for conditional models.

    Returns:
        looping :class:`Latents` ``[T, D]``.

    Raises:
        InvalidInputError: bad frames, seed, radius or center.
    """
    out = noise_loop(source, frames, seed=seed, harmonics=1, roughness=0.0, radius=radius, center=center, condition=condition)
    out.description = describe_args("circular_walk", source=source, frames=frames, seed=seed, radius=radius)
    return out
