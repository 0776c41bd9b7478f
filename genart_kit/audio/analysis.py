"""Audio features resampled to a clip's frame rate: frame ``i`` covers ``[i/fps, (i+1)/fps)`` seconds.

Analysis is librosa's (McFee et al., "librosa: Audio and Music Signal Analysis in Python", SciPy 2015):
spectral-flux onset strength, RMS, spectral centroid, chroma (STFT), mel bands, dynamic-programming beat
tracking (Ellis 2007) and temporally constrained agglomerative segmentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError
from ._deps import need
from .reader import Audio

#: Segmentation works on at most this many columns, so a long track costs bounded time.
MAX_SEGMENT_COLUMNS = 600


@dataclass(frozen=True)
class AudioFeatures:
    """Per-frame features of a track at ``fps``; every array is numpy float32 with ``T`` rows.

    Attributes:
        fps: frames per second of the clip.
        onset: ``[T]`` onset strength in [0, 1] (max over the frame's window).
        rms: ``[T]`` RMS loudness in [0, 1] (normalised by the track's peak RMS; 0 for silence).
        centroid: ``[T]`` spectral centroid in Hz.
        chroma: ``[T, 12]`` pitch-class energy in [0, 1], C first.
        mel: ``[T, n_mels]`` mel-band loudness in [0, 1] (log-power, normalised per track).
        beats: ``[B]`` int64 indices of frames holding a detected beat.
        beat_times: ``[B]`` float64 beat times in seconds.
        tempo: estimated tempo in beats per minute (0.0 when no beat was found).
        sections: ``[T]`` int64 section label; repeated material gets the same label.
    """

    fps: float
    onset: Any
    rms: Any
    centroid: Any
    chroma: Any
    mel: Any
    beats: Any
    beat_times: Any
    tempo: float
    sections: Any

    @property
    def frames(self) -> int:
        """T, the number of clip frames."""
        return int(self.onset.shape[0])


def frame_count(duration: float, fps: float) -> int:
    """Frames a clip of *duration* seconds needs at *fps* to cover all of it: ``ceil(duration * fps)``."""
    return max(1, math.ceil(duration * fps - 1e-9))


def _bin(values: Any, times: Any, fps: float, frames: int, how: str) -> Any:
    """Aggregate feature columns ``values [F, K]`` at ``times [K]`` into clip frames (``mean`` or ``max``);
    a frame no column fell into takes linear interpolation between its neighbours."""
    np = need("numpy")
    idx = np.floor(times * fps + 1e-9).astype(np.int64)
    ok = (idx >= 0) & (idx < frames)
    idx, cols = idx[ok], values[:, ok]
    out = np.zeros((values.shape[0], frames), np.float64)
    count = np.bincount(idx, minlength=frames)
    if how == "max":
        out[:] = -np.inf
        for k in range(values.shape[0]):
            np.maximum.at(out[k], idx, cols[k])
    else:
        for k in range(values.shape[0]):
            out[k] = np.bincount(idx, weights=cols[k], minlength=frames) / np.maximum(count, 1)
    have = count > 0
    if not have.all() and have.any():
        centres = np.arange(frames) + 0.5
        for k in range(values.shape[0]):
            out[k, ~have] = np.interp(centres[~have], centres[have], out[k, have])
    if not have.any():
        out[:] = 0.0
    return out.T.astype(np.float32)


def _unit(x: Any) -> Any:
    np = need("numpy")
    lo, hi = float(np.min(x)), float(np.max(x))
    return ((x - lo) / (hi - lo)).astype(np.float32) if hi - lo > 1e-12 else np.zeros_like(x, dtype=np.float32)


def _sections(data: Any, n_sections: int) -> Any:
    """Boundaries by agglomerative clustering of feature columns; segments with similar mean features share a label."""
    np, librosa = need("numpy"), need("librosa")
    T = data.shape[1]
    step = max(1, math.ceil(T / MAX_SEGMENT_COLUMNS))
    coarse = data[:, ::step]
    k = max(1, min(n_sections, coarse.shape[1]))
    bounds = list(librosa.segment.agglomerative(coarse, k)) if k > 1 else [0]
    bounds = sorted(set(int(b) * step for b in bounds) | {0}) + [T]
    labels = np.zeros(T, np.int64)
    means: list[Any] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        m = data[:, a:b].mean(axis=1)
        m = m / (np.linalg.norm(m) + 1e-9)
        sims = [float(m @ q) for q in means]
        if sims and max(sims) > 0.98:
            labels[a:b] = int(np.argmax(sims))
        else:
            labels[a:b] = len(means)
            means.append(m)
    return labels


def features(audio: Audio, fps: float = 24.0, *, frames: int | None = None, n_mels: int = 8,
             n_sections: int = 6) -> AudioFeatures:
    """Analyse *audio* and resample every feature to exactly the clip's frames.

    Args:
        audio: a loaded track (:func:`genart_kit.audio.load`).
        fps: clip frame rate (frames per second, > 0).
        frames: number of clip frames; default :func:`frame_count` of the duration.
        n_mels: number of mel bands (>= 1).
        n_sections: most sections the segmentation may return (>= 1).

    Returns:
        :class:`AudioFeatures`. A silent track gives zeros, no beats and tempo 0.0.

    Raises:
        MissingDependencyError: the ``audio`` extra is not installed.
        InvalidInputError: fps, frames, n_mels or n_sections out of range, or a track shorter than one frame.
    """
    np, librosa = need("numpy"), need("librosa")
    if not fps > 0:
        raise InvalidInputError(f"fps must be > 0 frames per second, got {fps}")
    if n_mels < 1 or n_sections < 1:
        raise InvalidInputError(f"n_mels and n_sections must be >= 1, got {n_mels} and {n_sections}")
    T = frame_count(audio.duration, fps) if frames is None else int(frames)
    if T < 1:
        raise InvalidInputError(f"frames must be >= 1, got {frames}")
    if audio.duration < 1.0 / fps:
        raise InvalidInputError(f"the track lasts {audio.duration * 1000:.0f} ms, shorter than one frame at {fps} fps")
    y, sr = np.asarray(audio.samples, np.float32), audio.sr
    hop = max(32, min(512, int(sr / (fps * 4))))  # at least ~4 analysis columns per clip frame
    n_fft = 2048 if len(y) >= 2048 else int(2 ** math.floor(math.log2(max(len(y), 64))))
    silent = float(np.max(np.abs(y))) < 1e-6
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)) ** 2
    times = librosa.frames_to_time(np.arange(S.shape[1]), sr=sr, hop_length=hop)
    mel_power = librosa.feature.melspectrogram(S=S, sr=sr, n_mels=max(n_mels, 32))
    onset = librosa.onset.onset_strength(S=librosa.power_to_db(mel_power, ref=np.max), sr=sr, hop_length=hop)
    rms = librosa.feature.rms(S=np.sqrt(S), frame_length=n_fft, hop_length=hop)
    cent = librosa.feature.spectral_centroid(S=np.sqrt(S), sr=sr, n_fft=n_fft, hop_length=hop)
    chroma = librosa.feature.chroma_stft(S=S, sr=sr, n_fft=n_fft, hop_length=hop, tuning=0.0)
    bands = librosa.power_to_db(librosa.feature.melspectrogram(S=S, sr=sr, n_mels=n_mels), ref=np.max, top_db=60.0)
    if silent:
        zeros = np.zeros(T, np.float32)
        return AudioFeatures(fps, zeros, zeros, zeros, np.zeros((T, 12), np.float32), np.zeros((T, n_mels), np.float32),
                             np.zeros(0, np.int64), np.zeros(0), 0.0, np.zeros(T, np.int64))
    tempo, beat_cols = librosa.beat.beat_track(onset_envelope=onset, sr=sr, hop_length=hop, units="frames")
    beat_times = librosa.frames_to_time(beat_cols, sr=sr, hop_length=hop).astype(np.float64)
    # the frame showing each beat: the rule of genart_kit.timeline.frame_at, vectorised
    beats = np.unique(np.clip(np.floor(beat_times * fps + 1e-9).astype(np.int64), 0, T - 1))
    f_onset = _unit(_bin(onset[None], times[: onset.shape[0]], fps, T, "max")[:, 0])
    f_rms = _bin(rms, times[: rms.shape[1]], fps, T, "mean")[:, 0]
    f_rms = (f_rms / max(float(f_rms.max()), 1e-12)).astype(np.float32)
    f_chroma = _bin(chroma, times, fps, T, "mean")
    f_mel = (_bin(bands, times, fps, T, "mean") + 60.0) / 60.0
    sections = _sections(np.vstack([f_chroma.T, f_mel.T]).astype(np.float64), n_sections)
    return AudioFeatures(fps=float(fps), onset=f_onset, rms=f_rms, centroid=_bin(cent, times, fps, T, "mean")[:, 0],
                         chroma=f_chroma, mel=np.clip(f_mel, 0, 1).astype(np.float32), beats=beats,
                         beat_times=beat_times, tempo=float(np.atleast_1d(tempo)[0]) if len(beats) else 0.0,
                         sections=sections)
