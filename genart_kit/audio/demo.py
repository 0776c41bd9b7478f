"""The bundled demo track, synthesised by this code (no file is shipped): drums and chords, 120 BPM.

Licence: the generated audio is dedicated to the public domain (CC0 1.0) by the genart-kit authors.

Layout at the default 120 BPM (2 beats per second): bars 1-2 kick on every beat, snare on 2 and 4, hi-hat
eighths over a chord pad; bar 3 is a rest (pad only, quiet, no drums); bar 4 repeats bar 1's groove.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from ._deps import need
from .reader import Audio

LICENCE = "Demo track synthesised by genart-kit; CC0 1.0 (public domain dedication)."
CHORDS = ((57, 60, 64), (53, 57, 60), (55, 59, 62), (57, 60, 64))  # Am F G Am (MIDI notes)


def _kick(np: Any, sr: int) -> Any:
    t = np.arange(int(0.25 * sr)) / sr
    return np.sin(2 * np.pi * (50 + 100 * np.exp(-t * 30)) * t) * np.exp(-t * 12)


def _noise_hit(np: Any, sr: int, length: float, decay: float, seed: int) -> Any:
    t = np.arange(int(length * sr)) / sr
    return np.random.default_rng(seed).standard_normal(t.shape[0]) * np.exp(-t * decay)


def demo_track(bpm: float = 120.0, bars: int = 4, sr: int = 22050) -> Audio:
    """Synthesise the demo track in memory (deterministic: same arguments, same samples).

    Args:
        bpm: tempo in beats per minute (40..240); 4 beats per bar.
        bars: number of bars (>= 1); bar 3 (index 2) is the rest.
        sr: sample rate in Hz.

    Returns:
        :class:`Audio` with float32 mono samples in [-1, 1], ``path=None``; beats at ``k * 60 / bpm`` seconds.

    Raises:
        InvalidInputError: bpm, bars or sr out of range.
    """
    np = need("numpy")
    if not 40 <= bpm <= 240 or bars < 1 or sr < 8000:
        raise InvalidInputError(f"need 40 <= bpm <= 240, bars >= 1, sr >= 8000; got {bpm}, {bars}, {sr}")
    beat = 60.0 / bpm
    n = int(round(bars * 4 * beat * sr))
    y = np.zeros(n + sr, np.float64)
    kick, snare, hat = _kick(np, sr), _noise_hit(np, sr, 0.2, 20, 1) * 0.5, _noise_hit(np, sr, 0.05, 80, 2) * 0.2

    def add(sig: Any, at: float, gain: float = 1.0) -> None:
        i = int(round(at * sr))
        y[i:i + sig.shape[0]] += gain * sig[: y.shape[0] - i]

    for bar in range(bars):
        start = bar * 4 * beat
        seg = np.arange(int(4 * beat * sr)) / sr
        notes = CHORDS[bar % len(CHORDS)]
        pad = sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * seg) for m in notes) / len(notes)
        pad *= np.minimum(1, seg / 0.05) * np.minimum(1, (4 * beat - seg) / 0.05)
        add(pad, start, 0.06 if bar == 2 else 0.15)
        if bar == 2:
            continue
        for b in range(4):
            add(kick, start + b * beat, 0.8)
            if b in (1, 3):
                add(snare, start + b * beat)
            for h in (0.0, 0.5):
                add(hat, start + (b + h) * beat)
    y = y[:n]
    y = 0.9 * y / max(float(np.max(np.abs(y))), 1e-9)
    return Audio(samples=y.astype(np.float32), sr=sr, path=None, channels=1)


def write_demo_track(path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write :func:`demo_track` (same keyword arguments) as 16-bit PCM WAV at *path*, atomically.

    Returns:
        the path written.

    Raises:
        InvalidInputError: as :func:`demo_track`.
    """
    import wave

    np = need("numpy")
    audio = demo_track(**kwargs)
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio.sr)
        w.writeframes((np.clip(audio.samples, -1, 1) * 32767).astype("<i2").tobytes())
    os.replace(tmp, p)
    return p


def track_path(value: str | os.PathLike[str]) -> Path:
    """The audio file a sketch's ``audio`` parameter names: ``"demo"`` is the demo track, written at first
    use to the cache folder (:func:`genart_kit.paths.cache_dir`: ``$GENART_CACHE_DIR``, default
    ``~/.cache/genart-kit``) as ``audio/demo-120bpm.wav``; anything else is
    a path.

    Raises:
        InvalidInputError: the named file does not exist.
    """
    if str(value) == "demo":
        from ..paths import cache_dir

        folder = cache_dir() / "audio"
        target = folder / "demo-120bpm.wav"
        if not target.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            write_demo_track(target)
        return target
    p = Path(value)
    if not p.is_file():
        raise InvalidInputError(f"audio file {str(p)!r} does not exist; pass --audio FILE (WAV/FLAC/OGG) or 'demo'")
    return p
