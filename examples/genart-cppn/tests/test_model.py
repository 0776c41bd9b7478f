"""The CPPN's maths: any size, determinism, batch independence, bounded blocks, smooth colourful pictures."""

from __future__ import annotations

import pytest
import torch

import genart_kit as ga
from genart_kit.errors import InvalidInputError
from genart_cppn import model as cppn_model
from genart_cppn.model import CPPN, load


@pytest.mark.parametrize("size", [8, 37, 130])
def test_any_size_shape_dtype_range(reg, size):
    m = ga.model("cppn", size=size)
    frames = m.decode(m.sample_latents(3, seed=1))
    assert m.image_shape == (3, size, size)
    assert frames.shape == (3, 3, size, size) and frames.dtype == torch.float32
    assert 0.0 <= float(frames.min()) and float(frames.max()) <= 1.0


def test_same_picture_at_two_sizes(reg):
    """Resolution independence: the 128 px render, averaged 2x2, is close to the 64 px one."""
    z = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    small = ga.model("cppn", size=64).decode(z)
    big = ga.model("cppn", size=128).decode(z)
    pooled = torch.nn.functional.avg_pool2d(big, 2)
    assert (pooled - small).abs().mean() < 0.03


def test_deterministic_and_seeded(reg):
    z = torch.randn(2, 8, generator=torch.Generator().manual_seed(3))
    a = ga.model("cppn", size=48).decode(z)
    b = ga.model("cppn", size=48).decode(z)
    other = ga.model("cppn", size=48, weights_seed=1).decode(z)
    assert torch.equal(a, b)
    assert (a - other).abs().mean() > 0.05


def test_batch_independent_bit_for_bit(reg):
    m = ga.model("cppn", size=100)  # 10,000 pixels: blocks straddle frames
    z = m.sample_latents(5, seed=2)
    together = m.decode(z)
    alone = torch.cat([m.decode(z[i:i + 1]) for i in range(5)])
    assert torch.equal(together, alone)


def test_large_sizes_run_in_fixed_blocks(reg, monkeypatch):
    """Memory is bounded: every MLP call sees exactly pixel_block() rows, however large the frame, and the
    block-by-block coordinate path (above TABLE_LIMIT) gives the same bits as the cached table."""
    m = ga.model("cppn", size=96)
    z = m.sample_latents(2, seed=0)
    cached = m.decode(z)
    rows = []
    real = CPPN._mlp
    monkeypatch.setattr(CPPN, "_mlp", lambda self, h: rows.append(h.shape[0]) or real(self, h))
    monkeypatch.setattr(cppn_model, "TABLE_LIMIT", 0)
    m._coords = {}
    uncached = m.decode(z)
    assert torch.equal(cached, uncached)
    assert rows and set(rows) == {m.pixel_block()}
    assert len(rows) == -(-2 * 96 * 96 // m.pixel_block())


def test_colourful_and_smooth(reg):
    m = ga.model("cppn", size=256)
    frames = m.decode(m.sample_latents(4, seed=0))
    # not flat: a wide spread of values in every channel
    assert float(frames.std(dim=(2, 3)).min()) > 0.1
    # colourful: mean saturation (max - min over RGB) well above grey
    sat = frames.max(dim=1).values - frames.min(dim=1).values
    assert float(sat.mean()) > 0.3
    # smooth, not noise: neighbouring pixels differ far less than random pixels do
    neighbour = (frames[..., 1:] - frames[..., :-1]).abs().mean()
    shuffled = frames.flatten(2)[..., torch.randperm(256 * 256, generator=torch.Generator().manual_seed(0))]
    random_pairs = (shuffled[..., 1:] - shuffled[..., :-1]).abs().mean()
    assert neighbour < 0.1 * random_pairs


def test_latent_moves_picture_smoothly(reg):
    m = ga.model("cppn", size=64)
    z = m.sample_latents(1, seed=0)
    step = torch.randn(1, 8, generator=torch.Generator().manual_seed(1))
    base, near, far = m.decode(z), m.decode(z + 0.01 * step), m.decode(z + 1.0 * step)
    assert 0 < (base - near).abs().mean() < 0.01 < (base - far).abs().mean()


def test_config_rebuilds_the_same_model(reg):
    m = ga.model("cppn", size=32, hidden=16, layers=3, weights_seed=7, scale=2.0)
    twin = CPPN(**m.config)
    z = m.sample_latents(2, seed=0)
    assert torch.equal(m.decode(z), twin.decode(z))
    assert m.state_dict().keys() == twin.state_dict().keys()


def test_options_checked_with_the_toolkits_errors(reg):
    with pytest.raises(InvalidInputError, match="size"):
        ga.model("cppn", size=4)
    with pytest.raises(InvalidInputError, match="bogus"):
        ga.model("cppn", bogus=1)
    with pytest.raises(InvalidInputError, match="integer"):
        ga.model("cppn", hidden=2.5)
    with pytest.raises(InvalidInputError, match="checkpoint"):
        load(checkpoint="weights.safetensors")
    with pytest.raises(InvalidInputError, match=r"\[N, 8\]"):
        ga.model("cppn", size=16).decode(torch.zeros(2, 5))
