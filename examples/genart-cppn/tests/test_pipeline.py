"""The CPPN with the toolkit's latent ops, renderers and exporters: a seamless loop saved to every format."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import genart_kit as ga


def test_noise_loop_is_seamless(reg):
    m = ga.model("cppn", size=48)
    frames = torch.as_tensor((ga.latent.noise_loop(m, 48, seed=3) | m).frames()).float()
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    wrap = (frames[0] - frames[-1]).abs().mean()
    assert float(steps.min()) > 0  # it moves
    assert float(wrap) <= 1.5 * float(steps.max())  # the last frame leads back into the first like any other step
    far = (frames[0] - frames[24]).abs().mean()
    assert float(far) > 3 * float(wrap)


@pytest.mark.parametrize("path", [
    lambda m: ga.latent.interpolate(m, 6, keys=3, seed=0),
    lambda m: ga.latent.random_walk(m, 6, seed=0),
    lambda m: ga.latent.circular_walk(m, 6, seed=0),
    lambda m: ga.latent.grid_sweep(m, 2, 3, seed=0),
    lambda m: ga.latent.truncate(ga.latent.noise_loop(m, 6, seed=0), 0.7),
    lambda m: ga.latent.concat(ga.latent.noise_loop(m, 3, seed=0), ga.latent.noise_loop(m, 3, seed=1)),
    lambda m: ga.latent.from_tensor(m.sample_latents(6, seed=0)),
], ids=["interpolate", "random_walk", "circular_walk", "grid_sweep", "truncate", "concat", "from_tensor"])
def test_latent_ops(reg, path):
    m = ga.model("cppn", size=24)
    frames = (path(m) | m).frames()
    assert frames.shape == (6, 24, 24, 3) and frames.dtype == np.uint8


def test_every_builtin_renderer(reg):
    m = ga.model("cppn", size=24)
    look = (ga.render.kaleidoscope(6) | ga.render.trails(0.7) | ga.render.feedback(1.02) | ga.render.contrast(1.2)
            | ga.render.gamma(1.1) | ga.render.posterize(8) | ga.render.invert() | ga.render.upscale(48)
            | ga.render.resize(40) | ga.render.caption("{frame}"))
    frames = (ga.latent.noise_loop(m, 4, seed=0) | m | look).frames()
    assert frames.shape == (4, 40, 40, 3)
    gray = (ga.latent.noise_loop(m, 2, seed=0) | m | (lambda f: f.mean(dim=1, keepdim=True)) | ga.render.colormap("magma")).frames()
    assert gray.shape == (2, 24, 24, 3)


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".apng", ".mp4", ".webm", ".json"])
def test_every_exporter(reg, tmp_path, suffix):
    m = ga.model("cppn", size=32)
    out = (ga.latent.noise_loop(m, 6, seed=1) | m | ga.render.kaleidoscope(6)).save(tmp_path / f"loop{suffix}", fps=12)
    assert out.exists() and out.stat().st_size > 0


def test_colour_loop_gif_512(reg, tmp_path):
    """The showcase: a seamless colour loop at 512 px through the kaleidoscope, as a looping GIF."""
    cppn = ga.model("cppn", size=512)
    out = (ga.latent.noise_loop(cppn, 8, seed=3) | cppn | ga.render.kaleidoscope(6)).save(tmp_path / "loop.gif", fps=12)
    with Image.open(out) as im:
        assert im.size == (512, 512) and im.n_frames == 8 and im.info.get("loop") == 0
        im.seek(3)
        rgb = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    assert rgb.std() > 0.1 and (rgb.max(axis=2) - rgb.min(axis=2)).mean() > 0.2
