"""Heads: small networks from a 384-d sentence embedding to what a conditional model takes.

Importing this module imports torch.
"""

from __future__ import annotations

import torch
from torch import nn


class ClassHead(nn.Module):
    """Sentence embedding ``[N, in_dim]`` float32 -> class logits ``[N, classes]`` (a 2-layer MLP).

    ``probs(x)`` is the soft class vector ``[N, classes]`` (rows sum to 1) that a class-conditional model
    takes; trained with soft-target cross-entropy so mixtures ("half three, half eight") come out as mixtures.
    """

    def __init__(self, in_dim: int = 384, classes: int = 10, hidden: int = 256) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, classes))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Unnormalised class scores ``[N, classes]``."""
        return self.net(x)

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        """Soft class vectors ``[N, classes]`` float32, rows summing to 1."""
        return torch.softmax(self.net(x), dim=-1)
