"""Renderer options that follow an envelope: a constant or one value per frame (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import genart_kit as ga
from genart_kit.errors import InvalidInputError
from genart_kit.render.params import FrameValue


def _clip(frames: torch.Tensor):
    """A clip showing *frames*: the latent of frame i is i, the decoder looks it up."""
    index = torch.arange(frames.shape[0], dtype=torch.float32)[:, None]
    return ga.latent.from_tensor(index) | (lambda z, _f=frames: _f[z[:, 0].long()])


def _ramp(T=6, C=3, H=9):
    g = torch.linspace(0, 1, H)
    img = (g[None, :] * g[:, None]).expand(C, H, H)
    return torch.stack([img * (0.3 + 0.1 * t) for t in range(T)])


def test_constant_and_per_frame_give_the_same_frames():
    x = _ramp()
    for make, value in [(ga.render.contrast, 1.7), (ga.render.gamma, 1.8), (ga.render.flash, 0.4),
                        (ga.render.hue, 0.3), (ga.render.zoom, 1.3)]:
        const = make(value)(x)
        seq = make([value] * x.shape[0])(x)
        assert torch.allclose(const, seq, atol=1e-6), make.__name__


def test_flash_fires_only_on_the_frames_it_is_told():
    x = torch.zeros(4, 1, 8, 8)
    out = ga.render.flash([0.0, 1.0, 0.0, 0.5])(x)
    assert out.shape == (4, 1, 8, 8)  # white on grey stays grey
    assert out[0].max() == 0 and out[2].max() == 0
    assert torch.allclose(out[1], torch.ones(1, 8, 8))
    assert torch.allclose(out[3], torch.full((1, 8, 8), 0.5))
    red = ga.render.flash([0.0, 1.0], color="red")(torch.zeros(2, 1, 4, 4))
    assert red.shape == (2, 3, 4, 4) and red[1, 0].min() == 1 and red[1, 1:].max() == 0 and red[0].max() == 0


def test_zoom_per_frame_grows_a_centred_square():
    x = torch.zeros(3, 1, 32, 32)
    x[:, :, 12:20, 12:20] = 1
    out = ga.render.zoom([1.0, 2.0, 0.5])(x)
    area = out.sum(dim=(1, 2, 3))
    assert torch.allclose(out[0], x[0], atol=1e-5)
    assert area[1] > 3 * area[0] and area[2] < 0.5 * area[0]


def test_hue_turns_colours_per_frame_and_keeps_luma():
    red = torch.zeros(3, 3, 4, 4)
    red[:, 0] = 0.8
    out = ga.render.hue([0.0, 1 / 3, 1.0])(red)
    assert torch.allclose(out[0], red[0], atol=1e-5) and torch.allclose(out[2], red[2], atol=1e-4)
    assert out[1, 1].mean() > out[1, 0].mean()  # a third of a turn: red moves towards green
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    assert torch.allclose((out[1:2] * luma).sum(1), (red[1:2] * luma).sum(1), atol=0.03)
    with pytest.raises(InvalidInputError, match="colour"):
        ga.render.hue(0.2)(torch.zeros(2, 1, 4, 4))


def test_streamed_batches_equal_one_batch():
    x = _ramp(T=10)
    env = np.linspace(0, 1, 10)
    look = (ga.render.zoom(1 + 0.5 * env) | ga.render.flash(0.5 * env) | ga.render.hue(env)
            | ga.render.trails(0.2 + 0.7 * env) | ga.render.feedback(zoom=1 + 0.1 * env, rotate=env, decay=0.5 * env))
    clip = _clip(x) | look
    one = torch.cat(list(clip.iter_frames(batch_size=64)))
    streamed = torch.cat(list(clip.iter_frames(batch_size=3)))
    assert one.shape == (10, 3, 9, 9)
    assert torch.allclose(one, streamed, atol=1e-6)


def test_per_frame_trails_decay_matters():
    x = torch.zeros(3, 1, 4, 4)
    x[0] = 1
    out = ga.render.trails([0.0, 0.9, 0.1])(x)
    assert out[1].max() == pytest.approx(0.9) and out[2].max() == pytest.approx(0.09, abs=1e-6)


def test_wrong_length_and_bad_values_are_clear_errors():
    with pytest.raises(InvalidInputError, match="3 per-frame values but the clip has 4 frames"):
        ga.render.flash([0.1, 0.2, 0.3])(torch.zeros(4, 1, 4, 4))
    with pytest.raises(InvalidInputError, match="frame 1 is 1.5"):
        ga.render.flash([0.1, 1.5])
    with pytest.raises(InvalidInputError, match="frame 2"):
        ga.render.zoom([1.0, 1.1, float("nan")])
    with pytest.raises(InvalidInputError, match="1-D"):
        ga.render.contrast(np.ones((3, 2)))
    with pytest.raises(InvalidInputError):
        ga.render.gamma("bright")
    with pytest.raises(InvalidInputError, match="real numbers"):
        ga.render.flash(torch.tensor([True, False]))


def test_frame_value_wraps_for_warm_up_frames_and_describes_itself():
    v = FrameValue([0.0, 1.0, 2.0], "x")
    assert v.at(-1, 2, 3).tolist() == [2.0, 0.0]
    assert v.describe() == "<3 values 0..2>" and FrameValue(0.5, "x").describe() == "0.5"
    assert "values" in ga.render.flash([0.0, 1.0]).describe()


def test_per_frame_renderers_are_registered():
    for name in ("flash", "hue", "zoom"):
        r = ga.render.get(name)
        assert r(torch.full((2, 3, 4, 4), 0.5)).shape[0] == 2
