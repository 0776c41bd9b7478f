"""sketches/audio_reactive.py through `genart run --audio` (issue 13)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from genart_kit.audio import write_demo_track
from genart_kit.export.video import _ffmpeg_exe

SKETCH = Path(__file__).resolve().parents[1] / "sketches" / "audio_reactive.py"


def _run(*args, cwd, env_cache):
    import os

    env = dict(os.environ, GENART_CACHE_DIR=str(env_cache))
    return subprocess.run([sys.executable, "-m", "genart_kit", "run", str(SKETCH), "--size", "32", "-q", *args],
                          cwd=cwd, env=env, capture_output=True, text=True)


def test_mp4_follows_the_audio_duration_and_has_sound(tmp_path):
    wav = write_demo_track(tmp_path / "song.wav", bars=2, bpm=120)  # 4.0 s
    proc = _run("--audio", str(wav), "-o", "out.mp4", "--fps", "12", cwd=tmp_path, env_cache=tmp_path / "c")
    assert proc.returncode == 0, proc.stderr
    assert "(48 frames" in proc.stdout
    err = subprocess.run([_ffmpeg_exe(), "-hide_banner", "-i", str(tmp_path / "out.mp4")], capture_output=True, text=True).stderr
    assert re.search(r"Audio: aac", err)


def test_gif_is_silent_with_a_note_and_demo_is_generated(tmp_path):
    proc = _run("-o", "out.gif", "--fps", "6", cwd=tmp_path, env_cache=tmp_path / "c")
    assert proc.returncode == 0, proc.stderr
    assert "written silent" in proc.stderr and "(48 frames" in proc.stdout  # 8 s demo at 6 fps
    assert (tmp_path / "c" / "audio" / "demo-120bpm.wav").is_file()


def test_missing_audio_file_is_a_clear_error(tmp_path):
    proc = _run("--audio", "nope.wav", "-o", "out.gif", cwd=tmp_path, env_cache=tmp_path / "c")
    assert proc.returncode != 0 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_picture_pulses_on_the_beat_and_rests_in_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path))
    from genart_kit.sketch import load_sketch

    clip = load_sketch(SKETCH).render([], size=32, fps=24)
    fr = np.concatenate([np.asarray(b.cpu()) for b in clip.iter_frames()])
    change = np.abs(np.diff(fr, axis=0)).mean(axis=(1, 2, 3))
    beats = [12, 24, 36, 48, 60, 72, 84]  # demo: a beat every 12 frames, bars 1-2
    assert all(change[b - 1] > 3 * np.median(change[2:94]) for b in beats[1:])
    assert change[98:142].mean() < 0.2 * change[2:94].mean()  # bar 3 is the rest


def test_prompts_change_on_every_nth_beat_with_a_conditional_model(tmp_path, monkeypatch):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path))
    from genart_kit.sketch import load_sketch

    sk = load_sketch(SKETCH)
    still = ["model=cgan-mnist", "prompts=a one -> a seven -> a zero", "every=2", "strength=0", "drift=0", "flash=0", "encoder=tiny"]
    fr = np.concatenate([np.asarray(b.cpu()) for b in sk.render(still, size=32, fps=24).iter_frames()])
    change = np.abs(np.diff(fr, axis=0)).mean(axis=(1, 2, 3))
    moved = [i + 1 for i in np.nonzero(change > 1e-3)[0]]
    assert moved[0] == 12 and 36 in moved and 60 in moved  # the prompt's fade starts on the beat
    assert all(any(0 <= m - b <= 2 for b in (12, 36, 60, 84)) for m in moved if m < 96)  # and nothing else moves


def test_prompts_with_an_unconditional_model_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path))
    import pytest

    from genart_kit.errors import InvalidInputError
    from genart_kit.sketch import load_sketch

    with pytest.raises(InvalidInputError, match="conditional model"):
        load_sketch(SKETCH).render(["prompts=a cat -> a dog"], size=32, fps=24)
