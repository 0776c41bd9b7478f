"""Music structure as controls: beat/section timelines, chroma weights, hold on beats (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import genart_kit as ga
from genart_kit.audio.analysis import AudioFeatures
from genart_kit.errors import InvalidInputError


def _feats(T=96, fps=24.0, beats=(12, 24, 36, 48, 60, 72, 84), sections=None, chroma=None):
    z = np.zeros(T, np.float32)
    return AudioFeatures(fps=fps, onset=z, rms=z, centroid=z, chroma=np.zeros((T, 12), np.float32) if chroma is None else chroma,
                         mel=np.zeros((T, 4), np.float32), beats=np.asarray(beats, np.int64),
                         beat_times=np.asarray(beats, np.float64) / fps, tempo=120.0,
                         sections=np.zeros(T, np.int64) if sections is None else np.asarray(sections, np.int64))


def test_beat_timeline_changes_on_every_nth_beat_frame():
    f = _feats()
    tl = ga.audio.beat_timeline(f, ["a", "b", "c"], every=2)
    assert tl == [(0.0, "a"), (12 / 24, "b"), (36 / 24, "c"), (60 / 24, "a"), (84 / 24, "b")]
    cond = ga.conditioning.prompt_timeline(tl, f.frames, fps=f.fps, fade=0)
    top = cond.weights.argmax(1).numpy()
    changes = [t for t in range(1, f.frames) if top[t] != top[t - 1]]
    assert changes == [12, 36, 60, 84]
    assert ga.audio.beat_timeline(_feats(beats=(0, 24)), ["a", "b"]) == [(0.0, "a"), (1.0, "b")]


def test_beat_timeline_without_beats_holds_the_first_prompt():
    with pytest.warns(UserWarning, match="no beat"):
        assert ga.audio.beat_timeline(_feats(beats=()), ["a", "b"]) == [(0.0, "a")]
    for bad in ([], [""], None, 3):
        with pytest.raises(InvalidInputError):
            ga.audio.beat_timeline(_feats(), bad)
    with pytest.raises(InvalidInputError, match="every"):
        ga.audio.beat_timeline(_feats(), ["a"], every=0)
    with pytest.raises(InvalidInputError, match="features"):
        ga.audio.beat_timeline(np.zeros(10), ["a"])


def test_section_timeline_returns_to_the_prompt_of_a_repeated_section():
    labels = [0] * 10 + [1] * 10 + [0] * 10 + [2] * 6
    tl = ga.audio.section_timeline(_feats(T=36, sections=labels), ["verse", "chorus"])
    assert tl == [(0.0, "verse"), (10 / 24, "chorus"), (20 / 24, "verse"), (30 / 24, "verse")]


def test_chroma_weights_follow_the_strongest_pitch_class():
    chroma = np.full((4, 12), 0.1, np.float32)
    chroma[0, 9] = 1.0   # A
    chroma[1, 5] = 1.0   # F
    chroma[2, 0] = 1.0   # C
    chroma[3] = 0.0      # silence
    w = ga.audio.chroma_weights(chroma, ["A", "F", "C", "G"])
    assert w.shape == (4, 4) and w.dtype == np.float32
    assert w.argmax(1)[:3].tolist() == [0, 1, 2]
    assert np.allclose(w.sum(1), 1) and np.allclose(w[3], 0.25)
    assert np.allclose(ga.audio.chroma_weights(chroma, ["Bb", "A#", 10, "b♭"])[0], 0.25)
    soft, sharp = ga.audio.chroma_weights(chroma, ["A", "F"], sharpness=1), ga.audio.chroma_weights(chroma, ["A", "F"], sharpness=8)
    assert sharp[0, 0] > soft[0, 0] > 0.5
    t = ga.audio.chroma_weights(torch.as_tensor(chroma))
    assert isinstance(t, torch.Tensor) and t.shape == (4, 12)
    for bad in (np.zeros((4, 11)), -chroma - 1, np.full((2, 12), np.nan)):
        with pytest.raises(InvalidInputError):
            ga.audio.chroma_weights(bad)
    for keys in (["H"], [12], ["C", True], []):
        with pytest.raises(InvalidInputError):
            ga.audio.chroma_weights(chroma, keys)


def test_hold_beats_steps_on_the_beat():
    x = np.arange(10, dtype=np.float64)
    assert ga.audio.hold_beats(x, [3, 7]).tolist() == [1, 1, 1, 4.5, 4.5, 4.5, 4.5, 8, 8, 8]
    assert ga.audio.hold_beats(x, [3, 7], how="first").tolist() == [0, 0, 0, 3, 3, 3, 3, 7, 7, 7]
    assert ga.audio.hold_beats(x, [7, 3, 50], how="max").tolist() == [2, 2, 2, 6, 6, 6, 6, 9, 9, 9]
    two = ga.audio.hold_beats(np.stack([x, -x], 1), [5])
    assert two.shape == (10, 2) and two[0].tolist() == [2, -2]
    assert isinstance(ga.audio.hold_beats(torch.arange(4.0), [2]), torch.Tensor)
    with pytest.raises(InvalidInputError, match="how"):
        ga.audio.hold_beats(x, [3], how="median")
    with pytest.raises(InvalidInputError, match="whole numbers"):
        ga.audio.hold_beats(x, [2.5])
    with pytest.raises(InvalidInputError):
        ga.audio.hold_beats([], [1])


def test_prompts_on_the_demo_tracks_beats_change_the_picture_on_those_frames():
    pytest.importorskip("librosa")
    feats = ga.audio.features(ga.audio.demo_track(), fps=24)
    model = ga.model("cgan-mnist")
    tl = ga.audio.beat_timeline(feats, ["a one", "a seven", "a zero"], every=2)
    path = ga.latent.prompt_timeline(model, tl, feats.frames, fps=24, encoder="tiny", fade=0)
    frames = torch.cat(list((path | model).iter_frames(batch_size=64)))
    diff = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3)).numpy()
    changed = sorted(int(i) + 1 for i in np.nonzero(diff > 1e-4)[0])
    assert changed == [int(b) for b in feats.beats[::2]]


def test_the_audio_page_runs(tmp_path, monkeypatch):
    """docs/audio.md's python blocks run in order, so the page cannot rot."""
    pytest.importorskip("librosa")
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "audio.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path / "cache"))
    ns: dict = {}
    for block in blocks:
        exec(compile(block, "docs/audio.md", "exec"), ns)
    assert (tmp_path / "pulse.mp4").stat().st_size > 0
    assert len(ns["path"]) == ns["feats"].frames and len(ns["keys"]) == ns["feats"].frames
    ns["clip"].frame(0)
