"""Differentiable augmentation (DiffAugment) for training GANs on small data sets.

Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for Data-Efficient GAN Training"
(arXiv:2006.10738): the same random, differentiable transforms are applied to real *and* generated images
before the discriminator sees them, in its step and in the generator's, so D cannot memorise the few real
images and G still receives gradients through the transform. The three policies of the paper:

* ``color``: random brightness (+-0.5), saturation (x0..2) and contrast (x0.5..1.5) per image;
* ``translation``: a random shift of up to 1/8 of the side, zero padded;
* ``cutout``: a random square of half the side set to zero.

Written for this project from the paper's description (images in [-1, 1], ``[N, C, H, W]``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genart_kit.errors import InvalidInputError

from .options import POLICIES, check_policy

__all__ = ["POLICIES", "check_policy", "diff_augment"]


def _brightness(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)


def _saturation(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype) * 2) + mean


def _contrast(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean


def _translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = torch.clamp(gy[None] + dy + 1, 0, h + 1)
    gx = torch.clamp(gx[None] + dx + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # the border row/column of zeros is what shifted-in pixels read
    idx = (gy * (w + 2) + gx).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, idx).view_as(x)


def _cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (n, 1, 1), device=x.device) - ch // 2  # the square's centre is anywhere
    left = torch.randint(0, w, (n, 1, 1), device=x.device) - cw // 2
    gy = torch.arange(h, device=x.device).view(1, h, 1)
    gx = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (gy >= top) & (gy < top + ch) & (gx >= left) & (gx < left + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def diff_augment(x: torch.Tensor, policy: str) -> torch.Tensor:
    """Apply the DiffAugment *policy* to a batch.

    Args:
        x: images ``[N, C, H, W]`` float (any range; the paper's code uses [-1, 1]).
        policy: comma-separated names from :data:`POLICIES` (``"color,translation,cutout"``); ``"none"``:
            *x* unchanged.

    Returns:
        the augmented batch, same shape and dtype, differentiable with respect to *x*. Randomness comes from
        torch's global RNG (seeded by the training loop).

    Raises:
        InvalidInputError: an unknown policy name.
    """
    reason = check_policy(policy)
    if reason:
        raise InvalidInputError(f"diffaug: {reason}.")
    if policy.strip() == "none":
        return x
    for name in (p.strip() for p in policy.split(",")):
        if name == "color":
            x = _contrast(_saturation(_brightness(x)))
        elif name == "translation":
            x = _translation(x)
        elif name == "cutout":
            x = _cutout(x)
    return x.contiguous()
