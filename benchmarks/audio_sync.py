"""Audio-reactive benchmark (issue 13): sync, reaction and speed, on synthesised audio (no files needed).

* sync: beats detected on a click track (clicks every 60/bpm s) and on the demo track against the true beat
  frames (max error, frames); exported MP4 duration against the audio's (seconds and frames).
* reaction: Pearson r between the onset envelope and (a) the per-frame latent speed of ``ga.latent.motion``,
  (b) the picture's mean absolute frame-to-frame change of ``sketches/audio_reactive.py``; and the ratio of the
  picture's change in the demo's rest bar to its change in the groove.
* prompts on the beat: a ``ga.audio.beat_timeline`` of three prompts (every 2 beats) steering ``cgan-mnist``
  on a still latent: the frames where the picture changes against the true beat frames, on the click track
  and the demo track (max error, frames).
* speed: feature extraction and rendering of a ``--seconds`` click track at 24 fps, ``--size`` px, against the
  audio's duration (real-time factor), and a plain loop decoding and rendering the same latents one frame at
  a time.

Usage::

    python benchmarks/audio_sync.py [--seconds 60] [--size 256] [--out benchmarks/results/audio_sync.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import genart_kit as ga
from genart_kit.audio.reader import Audio
from genart_kit.export.video import _ffmpeg_exe
from genart_kit.sketch import load_sketch

ROOT = Path(__file__).resolve().parents[1]


def click_track(seconds: float, bpm: float = 120.0, sr: int = 22050) -> Audio:
    """Hann-windowed 3 ms clicks every 60/bpm s, starting at 0.25 s."""
    y = np.zeros(int(seconds * sr), np.float32)
    for t in np.arange(0.25, seconds - 0.1, 60.0 / bpm):
        i = int(t * sr)
        y[i:i + 64] = np.hanning(64) * 0.9
    return Audio(samples=y, sr=sr)


def beat_error(detected: np.ndarray, true_frames: np.ndarray) -> float:
    """Largest distance (frames) from a detected beat frame to the nearest true one."""
    return float(max(np.min(np.abs(true_frames - b)) for b in detected)) if len(detected) else float("nan")


def prompt_change_error(feats, true_frames: np.ndarray, every: int = 2) -> float:
    """Largest distance (frames) from a picture change of a beat-timed prompt timeline to the nearest true beat."""
    model = ga.model("cgan-mnist")
    tl = ga.audio.beat_timeline(feats, ["a one", "a seven", "a zero"], every=every)
    path = ga.latent.prompt_timeline(model, tl, feats.frames, fps=feats.fps, encoder="tiny", fade=0)
    frames = torch.cat(list((path | model).iter_frames()))
    change = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3)).numpy()
    moved = np.nonzero(change > 1e-4)[0] + 1
    return beat_error(moved, true_frames) if len(moved) else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "audio_sync.json"))
    a = ap.parse_args()
    fps, res = 24, {}
    clicks = click_track(20.0)
    f = ga.audio.features(clicks, fps=fps)  # also warms librosa's numba JIT
    true = np.floor(np.arange(0.25, 19.9, 0.5) * fps).astype(int)
    res["click_track_beat_error_frames"] = beat_error(f.beats, true)
    res["click_track_tempo_bpm"] = f.tempo
    demo = ga.audio.demo_track()
    fd = ga.audio.features(demo, fps=fps)
    res["demo_beat_error_frames"] = beat_error(fd.beats, np.arange(0, 192, 12))
    kb = ga.latent.beat_keyframes(16, fd.beats, fd.frames).tensor()
    step = (kb[1:] - kb[:-1]).norm(dim=1).numpy()
    res["prompt_change_vs_beat_error_frames_click"] = prompt_change_error(f, true)
    res["prompt_change_vs_beat_error_frames_demo"] = prompt_change_error(fd, np.arange(0, 192, 12))
    res["beat_keyframes_jump_at_beat_frames"] = float(np.mean([np.argmax(step[b - 1:b + 5]) == 0 for b in fd.beats if b > 0]))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GENART_CACHE_DIR"] = tmp
        sk = load_sketch(ROOT / "sketches" / "audio_reactive.py")
        clip = sk.render([], size=64, fps=fps)
        out = clip.save(Path(tmp) / "demo.mp4", fps=fps, audio=ga.audio.track_path("demo"))
        err = subprocess.run([_ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
        h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err).groups()
        dur = int(h) * 3600 + int(m) * 60 + float(s)
        res["mp4_duration_s"], res["audio_duration_s"] = dur, demo.duration
        res["mp4_duration_error_frames"] = abs(dur - demo.duration) * fps
        frames = np.concatenate([np.asarray(b.cpu()) for b in clip.iter_frames()])
    change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    res["picture_change_vs_onset_r"] = float(np.corrcoef(change, fd.onset[1:])[0, 1])
    res["rest_to_groove_change_ratio"] = float(change[98:142].mean() / change[2:94].mean())
    env = ga.audio.attack_release(fd.onset, attack=0, release=3)
    mz = ga.latent.motion(16, env).tensor()
    res["motion_speed_vs_onset_r"] = float(np.corrcoef((mz[1:] - mz[:-1]).norm(dim=1).numpy(), env[1:])[0, 1])
    # speed
    track = click_track(a.seconds)
    t0 = time.perf_counter()
    ft = ga.audio.features(track, fps=fps)
    res["features_s"] = time.perf_counter() - t0
    model = ga.model("vae-mnist")
    path = ga.latent.pulse(model, ga.audio.attack_release(ft.onset, 0, 5), fps=fps)
    t0 = time.perf_counter()
    n = sum(b.shape[0] for b in (path | model | ga.render.upscale(a.size) | ga.render.colormap("magma")).iter_frames())
    res["render_s"] = time.perf_counter() - t0
    z = path.tensor()
    up, cmap = ga.render.upscale(a.size), ga.render.colormap("magma")
    t0 = time.perf_counter()
    with torch.no_grad():  # the same work, one frame at a time, as a hand-written script would do it
        for i in range(z.shape[0]):
            cmap(up(model.decode(z[i:i + 1])))
    res["plain_loop_decode_s"] = time.perf_counter() - t0
    res.update(seconds=a.seconds, fps=fps, size=a.size, frames=n,
               realtime_factor=(res["features_s"] + res["render_s"]) / a.seconds)
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
