"""Prompts on a timeline: times to frames, segment weights, PromptMix, the latent ops (issue 13)."""

from __future__ import annotations


import numpy as np
import pytest
import torch

import genart_kit as ga
from genart_kit.conditioning import PromptMix, prompt_mix, prompt_timeline
from genart_kit.errors import InvalidInputError
from genart_kit.timeline import frame_at, parse_time, segment_weights, timeline_starts


@pytest.mark.parametrize("text, seconds", [(8, 8.0), ("8", 8.0), ("8.5s", 8.5), ("0:08", 8.0), ("1:02.5", 62.5),
                                           ("1:00:00", 3600.0), (".5", 0.5), (" 0:00 ", 0.0)])
def test_parse_time_reads_the_usual_forms(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["0:75", "1:60:00", "eight", "-1", -1, float("nan"), True, None, "1:2:3:4", 10**6])
def test_parse_time_refuses_with_the_accepted_forms(bad):
    with pytest.raises(InvalidInputError):
        parse_time(bad)


def test_frame_at_puts_k_over_fps_on_frame_k():
    for fps in (24, 25, 29.97, 30, 60):
        for k in range(0, 500, 7):
            assert frame_at(k / fps, fps) == k


def test_timeline_starts_sorts_fills_the_start_and_warns_about_late_entries():
    assert timeline_starts({"0:02": "b", "0:01": "a"}, 96, 24) == [(0, "a"), (24, "a"), (48, "b")]
    assert timeline_starts([(0, "a"), ("0:01", "b")], 48, 24) == [(0, "a"), (24, "b")]
    with pytest.warns(UserWarning, match="dropped"):
        assert timeline_starts({0: "a", 10: "late"}, 48, 24) == [(0, "a")]
    with pytest.warns(UserWarning, match="same frame"):
        assert timeline_starts({0: "a", 0.01: "b"}, 48, 24) == [(0, "b")]
    with pytest.raises(InvalidInputError, match="clip's end"):
        timeline_starts({"0:10": "a"}, 48, 24)
    for bad in ({}, "a cat", [("0:00",)], {0: ""}, {0: 3}, {"soon": "a"}):
        with pytest.raises(InvalidInputError):
            timeline_starts(bad, 48, 24)
    with pytest.raises(InvalidInputError):
        timeline_starts({0: "a"}, 48, 0)


def test_segment_weights_change_on_the_start_frame_and_settle_after_the_fade():
    texts, w = segment_weights([(0, "a"), (10, "b"), (20, "a")], 30, fade=2)
    assert texts == ["a", "b"] and w.shape == (30, 2)
    assert torch.allclose(w.sum(1), torch.ones(30))
    top = w.argmax(1).tolist()
    assert top[:10] == [0] * 10 and top[10:20] == [1] * 10 and top[20:] == [0] * 10  # flips on the frame itself
    assert 0.5 < w[10, 1] < 1 and w[11, 1] < 1 and w[12, 1] == 1  # eases in over 2 frames
    _, cut = segment_weights([(0, "a"), (10, "b")], 20, fade=0)
    assert cut[10, 1] == 1 and cut[9, 0] == 1
    _, looped = segment_weights([(0, "a"), (10, "b")], 20, fade=2, loop=True)
    assert looped[0, 1] > 0 and segment_weights([(0, "a"), (10, "b")], 20)[1][0, 0] == 1
    for bad in (-1, 1.5, True):
        with pytest.raises(InvalidInputError):
            segment_weights([(0, "a")], 5, fade=bad)


def test_prompt_mix_normalises_rows_and_validates():
    m = prompt_mix(["a", "b"], [[1, 3], [0, 0], [2, 0]])
    assert torch.allclose(m.weights, torch.tensor([[0.25, 0.75], [0.5, 0.5], [1.0, 0.0]]))
    assert m.length == 3 and m.strongest(0) == 1 and m.take([2]).weights.tolist() == [[1.0, 0.0]]
    for bad in ([[1, 2, 3]], [[-1, 1]], [[float("nan"), 1]], [1, 2], "ab", [[True, False]]):
        with pytest.raises(InvalidInputError):
            prompt_mix(["a", "b"], bad)
    with pytest.raises(InvalidInputError):
        prompt_mix(["a", "b"], [[1, 1]], encoder="")


class Digits:
    """A class-conditional model: what the tiny encoder resolves prompts against (labels 0-9)."""

    latent_dim = 4
    num_classes = 10
    cond_dim = None
    conditional = True
    name = "digits"

    @property
    def condition_spec(self):
        from genart_kit.conditioning import ConditionSpec

        return ConditionSpec("classes", 10, class_names=tuple("0123456789"))

    def sample_latents(self, n, *, seed=0, truncation=None):
        return torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))


def test_prompt_timeline_resolves_to_class_vectors_that_change_on_time():
    cond = prompt_timeline({"0:00": "a zero", "0:01": "the digit seven", "0:02.5": "a three"}, 72, fps=24,
                           encoder="tiny", fade=0)
    assert isinstance(cond, PromptMix)
    vec = cond.resolve(Digits().condition_spec)
    assert vec.shape == (72, 10)
    top = vec.argmax(1).tolist()
    assert top[:24] == [0] * 24 and top[24:60] == [7] * 36 and top[60:] == [3] * 12


def test_latent_prompt_timeline_and_mix_with_the_shipped_conditional_model():
    model = ga.model("cgan-mnist")
    path = ga.latent.prompt_timeline(model, [(0, "a one"), (0.5, "a seven")], 24, fps=24, encoder="tiny", fade=0)
    frames = torch.cat(list((path | model).iter_frames(batch_size=5)))
    assert frames.shape[0] == 24
    diff = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert int(diff.argmax()) + 1 == 12  # the picture changes on the frame of 0.5 s, and only there
    assert diff[:10].max() < 1e-6 and diff[12:].max() < 1e-6
    w = np.zeros((6, 2))
    w[:3, 0] = 1
    w[3:, 1] = 1
    mixed = ga.latent.prompt_mix(model, ["a one", "a seven"], w, encoder="tiny")
    assert len(mixed) == 6 and "prompt_mix" in mixed.description
    with pytest.raises(InvalidInputError, match="conditional"):
        ga.latent.prompt_timeline(ga.model("vae-mnist"), {0: "a one"}, 10)
    with pytest.raises(InvalidInputError, match="frames"):
        ga.latent.prompt_timeline(model, {0: "a one"}, 10, latents=ga.latent.noise_loop(model, 12))


def test_ops_are_registered():
    from genart_kit.registry import get_registry

    names = {e.name for e in get_registry().entries("op")}
    assert {"prompt_timeline", "prompt_mix"} <= names
