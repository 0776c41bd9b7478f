"""The session's shared clock: monotonic seconds, a tempo in BPM and a beat count every live loop reads.

One :class:`Clock` per REPL session (``clock`` in the namespace, ``tempo(128)`` sets it). A loop on the clock
(``loop("walk", clip, bpm=120, beats=8)``) shows the frame the clock's phase names, so two loops started at
different moments stay in phase, and a version swapped in takes the clock's phase instead of restarting at
frame 0. Like TidalCycles' ``setcps`` there is one tempo: changing it changes the speed of every loop on the
beat grid and keeps the beat count continuous (no jump). A :class:`LoopTiming` says how a loop's frames map
onto time: free-running at an fps (the default), a number of beats on the clock's beat grid, or a length in
seconds on the clock's seconds (an audio-driven clip: the loop lasts as long as the audio). No sound device
is used: :meth:`Clock.reset` puts beat 0 at the moment the music starts.

Torch- and numpy-free.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real
from typing import Any

from ..checks import check_float
from ..errors import InvalidInputError

__all__ = ["Clock", "LoopTiming", "check_bpm", "check_beats", "resolve_timing", "phase_of", "DEFAULT_BEATS", "MAX_FPS"]

MAX_FPS = 120.0
"""Highest free-running loop rate, in frames per second."""

DEFAULT_BEATS = 8.0
"""Cycle length in beats of a loop given ``bpm=`` without ``beats=`` (two bars of 4/4)."""


def _check_positive(value: Any, name: str, hint: str, high: float | None = None) -> float:
    """Validate a positive, finite real number (at most *high*); the error ends with *hint* (how to fix it)."""
    try:
        value = check_float(value, name)
    except InvalidInputError as exc:
        if isinstance(value, bool) or not isinstance(value, Real):  # check_float's hint would name another example
            raise InvalidInputError(f"{name} must be a number, got {value!r:.40}. {hint}") from None
        raise InvalidInputError(f"{exc} {hint}") from None
    if value <= 0:
        raise InvalidInputError(f"{name} must be positive, got {value:g}. {hint}")
    if high is not None and value > high:
        raise InvalidInputError(f"{name} must be at most {high:g}, got {value:g}. {hint}")
    return value


def check_bpm(bpm: Any) -> float:
    """Validate a tempo: a positive, finite number of beats per minute; returns it as a float.

    Raises:
        InvalidInputError: not a number, NaN/inf, zero or negative (the message says how to fix it).
    """
    return _check_positive(bpm, "bpm", "Give a tempo in beats per minute, e.g. bpm=120.")


def check_beats(beats: Any) -> float:
    """Validate a loop length in beats: a positive, finite number (fractions allowed); returns a float.

    Raises:
        InvalidInputError: not a number, NaN/inf, zero or negative (the message says how to fix it).
    """
    return _check_positive(beats, "beats", "Give the loop's length in beats, e.g. beats=8 (two bars of 4/4).")


class Clock:
    """Monotonic seconds, a tempo and a beat count shared by every live loop of a session.

    Args:
        time_fn: monotonic time source in seconds (default ``time.monotonic``; tests inject a fake one).
        bpm: starting tempo in beats per minute.

    Calling the clock (``clock()``) returns ``time_fn()``, monotonic seconds. Seconds and beats count from
    the clock's origin (its creation or the last :meth:`reset`); the beat count stays continuous when the
    tempo changes. Thread-safe: its state is one tuple replaced atomically.

    Raises:
        InvalidInputError: a bad *bpm*.
    """

    def __init__(self, time_fn: Callable[[], float] = time.monotonic, *, bpm: float = 120.0) -> None:
        self.time_fn = time_fn
        t = float(time_fn())
        # (origin seconds, anchor time, beat at the anchor, tempo since the anchor)
        self._state = (t, t, 0.0, check_bpm(bpm))
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def __call__(self) -> float:
        """Monotonic time now, in seconds."""
        return float(self.time_fn())

    def _now(self, now: float | None) -> float:
        return self() if now is None else float(now)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every tempo change or reset (on the thread that made it, no lock held)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for cb in list(self._listeners):
            cb()

    @property
    def origin(self) -> float:
        """Monotonic seconds of second 0 (creation or the last :meth:`reset`)."""
        return self._state[0]

    @property
    def bpm(self) -> float:
        """The tempo in beats per minute; assigning sets it like :meth:`set_tempo`."""
        return self._state[3]

    @bpm.setter
    def bpm(self, value: float) -> None:
        self.set_tempo(value)

    def seconds(self, now: float | None = None) -> float:
        """Seconds since the origin at *now* (monotonic seconds; default: now)."""
        return self._now(now) - self._state[0]

    def beat(self, now: float | None = None) -> float:
        """Beats since the origin at *now* (monotonic seconds; default: now), fractional."""
        _, t0, b0, bpm = self._state
        return b0 + (self._now(now) - t0) * bpm / 60.0

    def time_of_beat(self, beat: float) -> float:
        """Monotonic seconds at which the beat count reaches *beat* at the current tempo."""
        _, t0, b0, bpm = self._state
        return t0 + (beat - b0) * 60.0 / bpm

    def set_tempo(self, bpm: Any, now: float | None = None) -> float:
        """Set the tempo to *bpm* beats per minute from *now* on (the beat count does not jump).

        Returns:
            the previous tempo in BPM.

        Raises:
            InvalidInputError: *bpm* is not a positive, finite number.
        """
        bpm = check_bpm(bpm)
        with self._lock:
            now = self._now(now)
            origin, _, _, old = self._state
            self._state = (origin, now, self.beat(now), bpm)
        self._changed()
        return old

    def reset(self, now: float | None = None) -> None:
        """Put second 0 and beat 0 at *now* (default: now): every loop on the clock shows its frame 0 then.

        Use it on the downbeat of music playing elsewhere to line the loops up with it.
        """
        with self._lock:
            now = self._now(now)
            self._state = (now, now, 0.0, self.bpm)
        self._changed()

    def describe(self, now: float | None = None, beats_per_bar: int = 4) -> str:
        """One line: tempo, beat count, bar and beat in the bar, seconds since the origin."""
        now = self._now(now)
        beat = self.beat(now)
        bar, in_bar = divmod(beat, beats_per_bar)
        return (f"clock {self.bpm:g} BPM, beat {beat:.2f} (bar {int(bar) + 1}, beat {in_bar + 1:.2f} of "
                f"{beats_per_bar}), {self.seconds(now):.2f} s")

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


@dataclass(frozen=True)
class LoopTiming:
    """How a loop's ``T`` frames map onto time; exactly one of the three is set.

    Attributes:
        fps: free-running at *fps* frames per second from the version's own start (not on the clock).
        beats: one cycle lasts *beats* beats of the clock's tempo; the cycle starts on the clock's beat 0.
        seconds: one cycle lasts *seconds* seconds of the clock (an audio-driven clip: the audio's duration).

    On the clock the frame showing is ``floor(phase * T)``, phase being the fraction of the cycle the clock
    has reached: the frames are stretched or squeezed to the cycle, never interpolated.
    """

    fps: float | None = None
    beats: float | None = None
    seconds: float | None = None

    @property
    def on_clock(self) -> bool:
        """Whether the phase comes from the shared clock (beats or seconds), not the version's start."""
        return self.fps is None

    def cycle_seconds(self, length: int, clock: Clock) -> float:
        """Duration in seconds of one cycle of *length* frames at the clock's current tempo."""
        if self.fps is not None:
            return length / self.fps
        if self.beats is not None:
            return self.beats * 60.0 / clock.bpm
        return float(self.seconds)  # type: ignore[arg-type]

    def cycles(self, clock: Clock, start: float, length: int, now: float) -> float:
        """Cycles elapsed at *now* (monotonic seconds), fractional; *start* is the version's frame-0 time."""
        if self.fps is not None:
            return max(0.0, now - start) * self.fps / length
        if self.beats is not None:
            return clock.beat(now) / self.beats
        return clock.seconds(now) / float(self.seconds)  # type: ignore[arg-type]

    def time_of_cycle(self, clock: Clock, start: float, length: int, n: float) -> float:
        """Monotonic seconds at which *n* cycles have elapsed (the inverse of :meth:`cycles`)."""
        if self.fps is not None:
            return start + n * length / self.fps
        if self.beats is not None:
            return clock.time_of_beat(n * self.beats)
        return clock.origin + n * float(self.seconds)  # type: ignore[arg-type]

    def describe(self) -> str:
        """``"24 fps"``, ``"8 beats"`` or ``"8.00 s (audio)"``."""
        if self.fps is not None:
            return f"{self.fps:g} fps"
        if self.beats is not None:
            return f"{self.beats:g} beat{'' if self.beats == 1 else 's'}"
        return f"{self.seconds:.2f} s (audio)"


def _audio_seconds(audio: Any) -> float:
    """The duration in seconds of audio features (``frames / fps``), a track (``duration``) or a number."""
    fps, frames = getattr(audio, "fps", None), getattr(audio, "frames", None)
    if isinstance(frames, int) and isinstance(fps, (int, float)) and fps > 0:
        seconds: Any = frames / float(fps)
    elif getattr(audio, "duration", None) is not None:
        seconds = audio.duration
    elif isinstance(audio, (int, float)) and not isinstance(audio, bool):
        seconds = audio
    else:
        raise InvalidInputError(
            f"audio= takes ga.audio.features(track, fps), a track from ga.audio.load(...) or a length in "
            f"seconds, got {type(audio).__name__}.")
    return _check_positive(seconds, "the audio's duration (seconds)", "Use a track at least one frame long.")


def resolve_timing(fps: Any = None, bpm: Any = None, beats: Any = None, audio: Any = None) -> tuple[LoopTiming, float | None]:
    """Turn ``loop()``'s timing arguments into a :class:`LoopTiming` and the tempo to set, if any.

    Args:
        fps: frames per second, ``0 < fps <= 120`` (default 24 when nothing else is given).
        bpm: tempo in beats per minute to set on the clock (the loop runs on the clock's beat grid).
        beats: cycle length in beats (default :data:`DEFAULT_BEATS` with *bpm*).
        audio: audio features, a track or seconds: the cycle lasts that long, on the clock's seconds.

    Returns:
        ``(timing, bpm or None)``.

    Raises:
        InvalidInputError: bad values, or arguments that contradict each other (the message says which to drop).
    """
    if audio is not None:
        if bpm is not None or beats is not None or fps is not None:
            raise InvalidInputError(
                "audio= makes the loop last as long as the audio; drop bpm=/beats=/fps= (or drop audio= to "
                "stretch the clip to beats instead).")
        return LoopTiming(seconds=_audio_seconds(audio)), None
    if bpm is not None or beats is not None:
        if fps is not None:
            raise InvalidInputError(
                "a loop on the beat takes its speed from the tempo: pass bpm=/beats= or fps=, not both "
                "(drop fps=).")
        tempo = None if bpm is None else check_bpm(bpm)
        return LoopTiming(beats=DEFAULT_BEATS if beats is None else check_beats(beats)), tempo
    fps = 24.0 if fps is None else fps
    return LoopTiming(fps=_check_positive(fps, "fps", f"Give frames per second up to {MAX_FPS:g}, e.g. fps=24.",
                                          high=MAX_FPS)), None


def phase_of(timing: LoopTiming, cycles: float, length: int, cycle_seconds: float) -> str:
    """Where a cycle is, for listings: ``"beat 5.25/8"``, ``"3.10/8.00 s"`` or ``"frame 12/48"``."""
    frac = cycles - math.floor(cycles)
    if timing.beats is not None:
        return f"beat {frac * timing.beats:.2f}/{timing.beats:g}"
    if timing.seconds is not None:
        return f"{frac * cycle_seconds:.2f}/{cycle_seconds:.2f} s"
    return f"frame {int(frac * length + 1e-6) % length}/{length}"
