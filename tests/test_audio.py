"""Audio in (issue 13): load, features aligned to clip frames, envelopes, demo track, bad inputs."""

from __future__ import annotations

import subprocess
import sys
import wave

import numpy as np
import pytest

from genart_kit.audio import (attack_release, compress, demo_track, features, frame_count, load, normalize, smooth,
                              threshold, write_demo_track)
from genart_kit.audio import _deps
from genart_kit.audio.reader import Audio
from genart_kit.errors import InvalidInputError, MissingDependencyError

SR = 22050
CLICKS = [0.51, 1.27, 2.0, 3.33]  # seconds


def _write(path, y, sr=SR):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(y, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def clicks():
    y = np.zeros(int(4.0 * SR), np.float32)
    for t in CLICKS:
        i = int(t * SR)
        y[i:i + 64] = np.hanning(64) * 0.9
    return Audio(samples=y, sr=SR)


@pytest.mark.parametrize("fps", [12, 24, 30])
def test_onsets_land_in_the_frame_that_covers_them(clicks, fps):
    f = features(clicks, fps=fps)
    assert f.frames == frame_count(4.0, fps) == 4 * fps
    peaks = sorted(np.argsort(f.onset)[-len(CLICKS):])
    expected = [int(np.floor(t * fps)) for t in CLICKS]
    assert all(abs(p - e) <= 1 for p, e in zip(peaks, expected)), (peaks, expected)
    quiet = np.ones(f.frames, bool)
    for e in expected:
        quiet[max(0, e - 2): e + 3] = False
    assert f.onset[quiet].max() < 0.2 * f.onset.max()


def test_demo_track_features_follow_its_score():
    a = demo_track()
    assert a.duration == pytest.approx(8.0)
    f = features(a, fps=24)
    assert f.frames == 192 and f.chroma.shape == (192, 12) and f.mel.shape == (192, 8)
    assert f.tempo == pytest.approx(120, rel=0.05)
    beat_frames = set(range(0, 192, 12))  # the tracker keeps the pulse through the rest bar
    assert all(min(abs(b - e) for e in beat_frames) <= 1 for b in f.beats)
    rest, groove = f.onset[98:142], f.onset[2:94]
    assert rest.max() < 0.1 < groove.max()
    assert f.sections[100] != f.sections[50]  # the rest bar is its own section
    assert f.sections[170] in set(f.sections[:96])  # bar 4 returns to a label of the groove bars
    assert np.all((f.rms >= 0) & (f.rms <= 1)) and f.rms[110] < f.rms[24]


def test_load_roundtrip_and_bad_files(tmp_path):
    p = write_demo_track(tmp_path / "demo.wav", bars=1)
    a = load(p)
    assert a.sr == 22050 and a.duration == pytest.approx(2.0) and a.samples.dtype == np.float32
    with pytest.raises(InvalidInputError, match="does not exist"):
        load(tmp_path / "nope.wav")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    with pytest.raises(InvalidInputError, match="cannot read"):
        load(tmp_path / "junk.wav")
    with pytest.raises(InvalidInputError, match="over the limit"):
        load(p, max_seconds=1.0)


def test_silent_and_tiny_files(tmp_path):
    silent = load(_write(tmp_path / "s.wav", np.zeros(SR)))
    f = features(silent, fps=24)
    assert f.frames == 24 and not f.onset.any() and len(f.beats) == 0 and f.tempo == 0.0
    tiny = load(_write(tmp_path / "t.wav", np.random.default_rng(0).standard_normal(int(0.1 * SR)) * 0.3))
    f = features(tiny, fps=24)
    assert f.frames == 3 and np.isfinite(f.onset).all()
    with pytest.raises(InvalidInputError, match="shorter than one frame"):
        features(Audio(np.zeros(100, np.float32), SR), fps=24)


def test_missing_extra_names_the_install_command(monkeypatch):
    def fail(name):
        raise ImportError(f"No module named {name!r}")
    monkeypatch.setattr(_deps.importlib, "import_module", fail)
    with pytest.raises(MissingDependencyError, match=r"pip install 'genart-kit\[audio\]'"):
        demo_track()


def test_envelopes():
    x = np.zeros(40)
    x[10] = 1.0
    y = attack_release(x, attack=0, release=5)
    assert y[10] == 1.0 and 0 < y[15] < y[11] < 1.0 and y[9] == 0
    slow = attack_release(x, attack=3, release=5)
    assert slow[10] < 0.5
    s = smooth(x, 2)
    assert s.sum() == pytest.approx(1.0, rel=1e-5) and s.argmax() == 10 and s[10] < 0.5
    n = normalize(np.array([2.0, 4.0, 6.0]))
    assert list(n) == [0.0, 0.5, 1.0]
    assert list(compress(np.array([0.0, 0.25, 1.0]), 0.5)) == [0.0, 0.5, 1.0]
    assert list(threshold(np.array([0.2, 0.6, 1.0]), 0.5)) == pytest.approx([0.0, 0.2, 1.0])
    assert list(threshold(np.array([0.2, 0.6]), 0.5, hard=True)) == [0.0, 1.0]
    with pytest.raises(InvalidInputError):
        smooth(np.zeros((2, 2)))
    with pytest.raises(InvalidInputError, match="normalize"):
        compress(np.array([2.0]))
    torch = pytest.importorskip("torch")
    t = attack_release(torch.tensor([0.0, 1.0, 0.0]), release=2)
    assert isinstance(t, torch.Tensor) and t.shape == (3,)


def test_import_is_light():
    code = "import sys, genart_kit.audio; print('librosa' in sys.modules, 'torch' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "False"]
