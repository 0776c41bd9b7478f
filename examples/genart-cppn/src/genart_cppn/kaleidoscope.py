"""The ``kaleidoscope`` renderer: N-fold mirror symmetry about the frame's centre.

Every output pixel at polar angle theta and radius rho (about the centre) samples the input at the angle
folded into the first half-wedge: with wedge ``w = 2 pi / folds`` and ``t = (theta - angle) mod w``, the
source angle is ``angle + min(t, w - t)`` at the same radius (a mirror at each wedge edge, as the two
mirrors of a kaleidoscope tube). The result has the ``folds``-fold rotational symmetry of the dihedral group
D_folds. Sampling is bilinear (:func:`torch.nn.functional.grid_sample`, reflected at the borders, so the
corners that look beyond the frame still see picture), batched over frames on the frames' device.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from genart_kit.errors import InvalidInputError
from genart_kit.render import Renderer

__all__ = ["Kaleidoscope", "kaleidoscope"]

MAX_FOLDS = 64


class Kaleidoscope(Renderer):
    """Mirror frames ``[B, C, H, W]`` float32 in [0, 1] into *folds*-fold symmetry; same shape out, in [0, 1].

    Args:
        folds: number of mirrored wedge pairs around the centre, an int in 1..64 (6: the classic three-mirror
            look; 1: a single mirror along the *angle* axis).
        angle: rotation of the mirror axes in degrees (counter-clockwise from the +x axis).

    Raises:
        InvalidInputError: *folds* not an int in range, *angle* not a finite number.
    """

    def __init__(self, folds: int = 6, angle: float = 0.0) -> None:
        if isinstance(folds, bool) or not isinstance(folds, int) or not 1 <= folds <= MAX_FOLDS:
            raise InvalidInputError(f"kaleidoscope folds must be a whole number in 1..{MAX_FOLDS}, got {folds!r}; e.g. kaleidoscope(6).")
        if isinstance(angle, bool) or not isinstance(angle, (int, float)) or not math.isfinite(angle):
            raise InvalidInputError(f"kaleidoscope angle must be a finite number of degrees, got {angle!r}.")
        self.folds = int(folds)
        self.angle = float(angle)
        self._grids: dict[tuple[int, int, str], torch.Tensor] = {}

    def sampling_grid(self, height: int, width: int, device: Any = "cpu") -> torch.Tensor:
        """The ``grid_sample`` grid ``[1, H, W, 2]`` (x, y in [-1, 1], ``align_corners=False``) for this size;
        computed once per size and device (float64 maths, stored float32)."""
        key = (height, width, str(device))
        if key not in self._grids:
            half = min(height, width) / 2.0
            ys = (torch.arange(height, dtype=torch.float64) + 0.5 - height / 2.0) / half
            xs = (torch.arange(width, dtype=torch.float64) + 0.5 - width / 2.0) / half
            y, x = torch.meshgrid(ys, xs, indexing="ij")
            rho = torch.sqrt(x * x + y * y)
            a0 = math.radians(self.angle)
            wedge = 2.0 * math.pi / self.folds
            t = torch.remainder(torch.atan2(-y, x) - a0, wedge)  # -y: angles counter-clockwise on screen
            src = a0 + torch.minimum(t, wedge - t)
            sx, sy = rho * torch.cos(src), -rho * torch.sin(src)
            # back to grid_sample's normalised coordinates (-1..1 across each side)
            grid = torch.stack([sx * half / (width / 2.0), sy * half / (height / 2.0)], dim=-1)
            self._grids = {key: grid.unsqueeze(0).to(device=device, dtype=torch.float32)}
        return self._grids[key]

    def render(self, frames: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` -> ``[B, C, H, W]`` float32 in [0, 1] (bilinear, so values stay in range)."""
        b, _, h, w = frames.shape
        grid = self.sampling_grid(h, w, frames.device).expand(b, -1, -1, -1)
        out = F.grid_sample(frames.to(torch.float32), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        return out.clamp_(0.0, 1.0)

    def describe(self) -> str:
        """Recipe text: ``kaleidoscope(6)`` or ``kaleidoscope(6, angle=15)``."""
        return f"kaleidoscope({self.folds})" if self.angle == 0 else f"kaleidoscope({self.folds}, angle={self.angle:g})"


def kaleidoscope(folds: int = 6, angle: float = 0.0) -> Kaleidoscope:
    """The registered factory: ``ga.render.kaleidoscope(6)`` / ``ga.render.get("kaleidoscope", folds=6)``.

    See :class:`Kaleidoscope` for the arguments and errors.
    """
    return Kaleidoscope(folds, angle)
