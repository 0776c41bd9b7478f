"""Tiny fakes for plugin tests (imports torch): a deterministic :class:`TinyModel` to feed renderers, ops and
exporters without loading a real network."""

from __future__ import annotations

import math

import torch

from ..generative import GenerativeModel

__all__ = ["TinyModel", "tiny_model"]


class TinyModel(GenerativeModel):
    """A deterministic, parameter-free model: latents ``[N, D]`` -> frames ``[N, C, S, S]`` float32 in [0, 1].

    Pixel ``(y, x)`` of channel ``c`` is ``0.5 + 0.5 * sin(a_c * y' + b_c * x' + z_c)`` with ``y', x'`` in
    [-pi, pi], where ``a_c, b_c, z_c`` are fixed mixes of the latent: smooth, colourful, different for
    different latents, the same bits on every run and for every batch size (element-wise maths only).

    Args:
        latent_dim: D >= 1 (default 4).
        size: S, frame side in pixels (default 16).
        channels: C in {1, 3} (default 3).

    Raises:
        InvalidInputError: an argument out of range.
    """

    def __init__(self, latent_dim: int = 4, size: int = 16, channels: int = 3) -> None:
        from ..errors import InvalidInputError

        super().__init__()
        for label, value, lo in (("latent_dim", latent_dim, 1), ("size", size, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise InvalidInputError(f"TinyModel {label} must be an int >= {lo}, got {value!r}.")
        if channels not in (1, 3):
            raise InvalidInputError(f"TinyModel channels must be 1 or 3, got {channels!r}.")
        self.name = "tiny"
        self.latent_dim = latent_dim
        self.image_shape = (channels, size, size)
        self.config = {"architecture": "tiny", "latent_dim": latent_dim, "size": size, "channels": channels}
        axis = torch.linspace(-math.pi, math.pi, size)
        self.register_buffer("_yy", axis.view(1, 1, size, 1), persistent=False)
        self.register_buffer("_xx", axis.view(1, 1, 1, size), persistent=False)

    def _decode(self, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        c = self.image_shape[0]
        idx = torch.arange(3 * c, device=z.device) % z.shape[1]
        mix = torch.tanh(z[:, idx]).view(-1, 3, c, 1, 1)  # [N, 3, C, 1, 1]
        a, b, phase = 1.0 + mix[:, 0], 1.0 + mix[:, 1], math.pi * mix[:, 2]
        return 0.5 + 0.5 * torch.sin(a * self._yy + b * self._xx + phase)


def tiny_model(latent_dim: int = 4, size: int = 16, channels: int = 3) -> TinyModel:
    """A :class:`TinyModel` in eval mode on the CPU (what the ``tiny_model`` fixture returns)."""
    return TinyModel(latent_dim, size, channels).eval()
