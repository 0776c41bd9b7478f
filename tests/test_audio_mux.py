"""MP4/WebM export muxes a soundtrack in sync (issue 13)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from genart_kit.audio import demo_track, frame_count, write_demo_track
from genart_kit.errors import ExportError
from genart_kit.export import read_recipe
from genart_kit.export.video import MP4, WEBM, _ffmpeg_exe


def _streams(path):
    err = subprocess.run([_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    audio = re.findall(r"Stream #0:\d.*Audio: (\w+)", err)
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err).groups()
    return audio, int(h) * 3600 + int(m) * 60 + float(s)


def _frames(n):
    ramp = np.linspace(0, 255, n).astype(np.uint8)
    yield np.repeat(ramp[:, None, None, None], 16 * 16 * 3).reshape(n, 16, 16, 3)


@pytest.mark.parametrize("exporter,codec", [(MP4, "aac"), (WEBM, "opus")])
def test_soundtrack_is_muxed_and_durations_match(tmp_path, exporter, codec):
    wav = write_demo_track(tmp_path / "demo.wav", bars=1)  # 2.0 s
    fps = 12
    n = frame_count(2.0, fps)
    out = exporter.write(tmp_path / f"a.{exporter.name}", _frames(n), fps=fps, audio=wav, recipe={"k": 1})
    audio, duration = _streams(out)
    assert audio == [codec]
    assert read_recipe(out) == {"k": 1}  # the metadata input does not shift the audio input (issue 15)
    assert abs(duration - 2.0) <= 1.0 / fps + 0.03  # within one frame (plus container rounding)


def test_in_memory_audio_and_silent_default(tmp_path):
    out = MP4.write(tmp_path / "m.mp4", _frames(12), fps=12, audio=demo_track(bars=1))
    assert _streams(out)[0] == ["aac"]
    silent = MP4.write(tmp_path / "s.mp4", _frames(12), fps=12)
    assert _streams(silent)[0] == []
    with pytest.raises(ExportError, match="does not exist"):
        MP4.write(tmp_path / "x.mp4", _frames(12), fps=12, audio=tmp_path / "missing.wav")
    assert not (tmp_path / "x.mp4").exists()
