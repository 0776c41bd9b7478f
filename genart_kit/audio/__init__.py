"""Audio in: load a track, features at a clip's frame rate, envelopes (issue 13).

Importing this package is cheap: numpy, soundfile and librosa load only when a function is first called, and
a missing ``audio`` extra raises :class:`~genart_kit.errors.MissingDependencyError` naming
``pip install 'genart-kit[audio]'``.

    a = ga.audio.load("song.wav")
    f = ga.audio.features(a, fps=24)          # f.onset [T], f.rms [T], f.chroma [T, 12], f.beats, f.sections
    env = ga.audio.attack_release(f.onset, attack=1, release=8)
    tl = ga.audio.beat_timeline(f, ["a cat", "a rocket"], every=4)   # prompts on the beat
"""

from __future__ import annotations

from .._lazy import lazy_attributes

_NAMES = {
    "Audio": "reader", "load": "reader",
    "AudioFeatures": "analysis", "features": "analysis", "frame_count": "analysis",
    "attack_release": "envelopes", "smooth": "envelopes", "normalize": "envelopes",
    "compress": "envelopes", "threshold": "envelopes",
    "beat_timeline": "timeline", "section_timeline": "timeline", "chroma_weights": "timeline",
    "hold_beats": "timeline", "PITCH_CLASSES": "timeline",
    "demo_track": "demo", "write_demo_track": "demo", "track_path": "demo",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals())
