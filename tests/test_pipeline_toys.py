"""Small deterministic models for the pipeline/latent/render/sketch tests (no trained weights needed)."""

from __future__ import annotations

import torch

from genart_kit.generative import GenerativeModel


class ToyModel(GenerativeModel):
    """A tiny deterministic decoder: ``sigmoid(W z + b)`` reshaped to ``image_shape``; optionally class-conditional.

    ``encode`` is the least-squares inverse of ``W`` applied to ``logit(images)``, so encode/decode round-trips.
    """

    def __init__(self, latent_dim: int = 8, image_shape=(1, 12, 12), num_classes: int | None = None, seed: int = 0) -> None:
        super().__init__()
        self.name = "toy" if num_classes is None else "toy-cond"
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.num_classes = num_classes
        g = torch.Generator().manual_seed(seed)
        n = 1
        for v in image_shape:
            n *= v
        self.weight = torch.nn.Parameter(torch.randn(n, latent_dim, generator=g) * 0.8, requires_grad=False)
        self.bias = torch.nn.Parameter(torch.randn(n, generator=g) * 0.1, requires_grad=False)
        if num_classes:
            self.embed = torch.nn.Parameter(torch.randn(num_classes, n, generator=g), requires_grad=False)
        self.calls = 0

    def _decode(self, z, condition):
        self.calls += 1
        x = z @ self.weight.T + self.bias
        if condition is not None:
            if condition.ndim == 1:
                x = x + self.embed[condition]
            else:
                x = x + condition @ self.embed
        return torch.sigmoid(x).reshape(z.shape[0], *self.image_shape)

    def _encode(self, images, condition):
        x = images.reshape(images.shape[0], -1).clamp(1e-4, 1 - 1e-4)
        logits = torch.log(x) - torch.log1p(-x) - self.bias
        return torch.linalg.lstsq(self.weight, logits.T).solution.T


def test_toy_model_roundtrip():
    m = ToyModel()
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    frames = m.decode(z)
    assert frames.shape == (4, 1, 12, 12)
    assert torch.allclose(m.encode(frames), z, atol=1e-2)


def test_toy_model_is_batch_independent():
    m = ToyModel()
    z = torch.randn(5, 8)
    assert torch.allclose(m.decode(z)[2:3], m.decode(z[2:3]))
