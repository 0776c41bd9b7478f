"""Audio-driven latent ops (issue 13) with a plugin-agnostic toy model: only latent_dim / sample_latents."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import genart_kit as ga
from genart_kit.errors import InvalidInputError
from genart_kit.registry import get_registry
from genart_kit.latent.audio import beat_keyframes, motion, pulse, section_path


class Toy:
    """The model contract: latent_dim, a seeded sample_latents and decode."""

    latent_dim = 12

    def __init__(self):
        self.calls = 0

    def sample_latents(self, n, *, seed=0, truncation=None):
        self.calls += 1
        return torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed))

    def decode(self, z, condition=None):
        return torch.sigmoid(z[:, :1, None, None].expand(-1, 1, 8, 8))


def _speed(z):
    return (z[1:] - z[:-1]).norm(dim=1).numpy()


def test_pulse_pushes_on_the_envelope_and_relaxes():
    env = np.zeros(48)
    env[20] = 1.0
    env[21:30] = np.exp(-np.arange(1, 10) / 2)
    m = Toy()
    z = pulse(m, env, speed=0.0).tensor()
    assert m.calls == 1 and z.shape == (48, 12)
    disp = (z - z[0]).norm(dim=1)
    assert disp[:20].max() < 1e-5 and disp[20] > 1.0 and disp[40] < 1e-3
    bands = np.zeros((48, 3))
    bands[10, 1] = 1.0
    moved = (pulse(m, bands, speed=0.0).tensor()[10] - z[0]).abs() > 1e-6
    assert moved[1::3].all() and not moved[0::3].any() and not moved[2::3].any()


def test_motion_speed_follows_the_envelope():
    rng = np.random.default_rng(0)
    env = np.zeros(96)
    env[[10, 22, 34, 46]] = 1.0
    env = ga.audio.attack_release(env + 0.05 * rng.random(96), attack=0, release=3)
    z = motion(Toy(), env, turns=0.5).tensor()
    r = np.corrcoef(_speed(z), env[1:])[0, 1]
    assert r > 0.95
    quiet = motion(Toy(), np.zeros(96), rest=0.0).tensor()
    sq = _speed(quiet)
    assert sq.max() / sq.min() < 1.25 < _speed(z).max() / _speed(z).min()  # no drive: even phase steps


def test_beat_keyframes_change_on_the_beat():
    beats = [0, 12, 24, 36]
    z = beat_keyframes(Toy(), beats, 48, seed=2).tensor()
    s = _speed(z)
    assert s[:11].max() < 1e-6  # rests until the first beat after frame 0
    for a, b in [(12, 24), (24, 36), (36, 48)]:
        assert int(np.argmax(s[a - 1:b - 1])) == 0  # the biggest step of the interval is into the beat frame
    two = beat_keyframes(Toy(), beats, 48, every=2).tensor()
    assert _speed(two)[11] < 1e-6 and _speed(two)[23] > 0.1
    with pytest.raises(InvalidInputError):
        beat_keyframes(Toy(), [60], 48)


def test_section_path_returns_to_the_same_region():
    lab = np.repeat([0, 1, 0, 2], 24)
    z = section_path(Toy(), lab, radius=0.0, smooth=0).tensor()
    assert torch.allclose(z[10], z[60]) and not torch.allclose(z[10], z[30])
    with pytest.raises(InvalidInputError):
        section_path(Toy(), [-1, 0])


def test_registered_and_on_ga_latent():
    assert {"pulse", "motion", "beat_keyframes", "section_path"} <= set(get_registry().names("op"))
    assert ga.latent.pulse is pulse
    with pytest.raises(InvalidInputError, match="NaN"):
        motion(Toy(), [0.0, float("nan")])
