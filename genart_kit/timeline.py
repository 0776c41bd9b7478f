"""Timelines: times in a clip (``"0:08"``, ``8.0``) to frames, and segments to per-frame blend weights.

A clip at ``fps`` frames per second shows frame ``i`` during ``[i / fps, (i + 1) / fps)`` seconds, so the
frame that shows time ``t`` is ``floor(t * fps)`` (:func:`frame_at`; audio features and beat frames use the
same rule, so a prompt timed on a beat changes on that beat's frame).

Importing this module does not import torch; :func:`segment_weights` does.
"""

from __future__ import annotations

import math
import re
import warnings
from numbers import Real
from typing import Any, Mapping, Sequence

from .checks import check_float
from .errors import InvalidInputError

_TIME = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*s?\s*$")
MAX_SECONDS = 24 * 3600.0


def parse_time(value: Any) -> float:
    """Seconds from a time: a number of seconds (``8``, ``8.5``) or a string ``"8"``, ``"8.5s"``, ``"0:08"``,
    ``"1:02.5"`` (minutes:seconds) or ``"1:00:00"`` (hours:minutes:seconds).

    Raises:
        InvalidInputError: negative, not finite, over 24 h, or a string in another format (the message shows
            the accepted forms).
    """
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise InvalidInputError(f"a time must be seconds (8.5) or 'm:ss' ('0:08'), got {type(value).__name__} {value!r:.40}.")
    if isinstance(value, str):
        m = _TIME.match(value)
        if m is None:
            raise InvalidInputError(f"cannot read the time {value!r:.40}; write seconds ('8.5', '8.5s'), 'm:ss' ('0:08', "
                                    f"'1:02.5') or 'h:mm:ss'.")
        first, second, secs = m.groups()
        hours, minutes = (first, second) if second is not None else (None, first)
        if (hours is not None or minutes is not None) and float(secs) >= 60:
            raise InvalidInputError(f"the time {value!r} has {secs} seconds after a colon; seconds must be below 60.")
        if hours is not None and int(minutes) >= 60:
            raise InvalidInputError(f"the time {value!r} has {minutes} minutes after the hours; minutes must be below 60.")
        seconds = float(secs) + 60.0 * int(minutes or 0) + 3600.0 * int(hours or 0)
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_SECONDS:
        raise InvalidInputError(f"a time must be between 0 and 24 h, got {value!r}.")
    return seconds


def frame_at(seconds: float, fps: float) -> int:
    """The frame that shows time *seconds* at *fps*: ``floor(seconds * fps)`` (plus a 1e-9 guard, so a time
    written as ``k / fps`` lands on frame ``k``)."""
    return int(math.floor(seconds * fps + 1e-9))


def timeline_starts(timeline: Any, frames: int, fps: float) -> list[tuple[int, str]]:
    """The segments of a text timeline as ``[(start frame, text), ...]``, sorted, the first starting at 0.

    Args:
        timeline: a mapping ``{time: text}`` or a sequence of ``(time, text)`` pairs; times as in
            :func:`parse_time`. Frames before the first time hold the first text.
        frames: the clip's length T (>= 1).
        fps: frames per second.

    Raises:
        InvalidInputError: empty, a bad time or text, or every entry at or past the clip's end.

    Warns:
        UserWarning: entries at or past the end are dropped; entries on the same frame keep the last one.
    """
    if isinstance(timeline, Mapping):
        items = list(timeline.items())
    elif isinstance(timeline, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in timeline):
        items = [tuple(p) for p in timeline]
    else:
        raise InvalidInputError(f"a timeline is a dict {{time: text}} (e.g. {{'0:00': 'a cat', '0:08': 'a rocket'}}) or a "
                                f"list of (time, text) pairs, got {type(timeline).__name__} {timeline!r:.60}.")
    if not items:
        raise InvalidInputError("the timeline is empty; give at least one {time: text} entry.")
    fps = check_float(fps, "fps", low=0.0, high=1000.0, low_open=True)
    by_frame: dict[int, str] = {}
    late: list[Any] = []
    for when, text in items:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError(f"the timeline entry at {when!r} must be a non-empty text, got {text!r:.40}.")
        f = frame_at(parse_time(when), fps)
        if f >= frames:
            late.append(when)
            continue
        if f in by_frame and by_frame[f] != text:
            warnings.warn(f"timeline entries {by_frame[f]!r} and {text!r} fall on the same frame {f}; keeping {text!r}.",
                          UserWarning, stacklevel=3)
        by_frame[f] = text
    if not by_frame:
        end = frames / fps
        raise InvalidInputError(f"every timeline entry is at or after the clip's end ({frames} frames = {end:g} s at "
                                f"{fps:g} fps); give times below {end:g} s, or more frames.")
    if late:
        warnings.warn(f"{len(late)} timeline entr{'y' if len(late) == 1 else 'ies'} at or after the clip's end "
                      f"({frames / fps:g} s) dropped: {', '.join(map(repr, late[:5]))}.", UserWarning, stacklevel=3)
    starts = sorted(by_frame.items())
    if starts[0][0] != 0:
        starts.insert(0, (0, starts[0][1]))
    return starts


def segment_weights(starts: Sequence[tuple[int, str]], frames: int, *, fade: int = 2, loop: bool = False) -> tuple[list[str], Any]:
    """Per-frame blend weights of segments: each segment's text is held from its start frame, reached after a
    *fade*-frame ease-out (``1 - (1 - u)^2``) from the previous one, so the change starts on the start frame
    itself (on the beat) and settles *fade* frames later.

    Args:
        starts: ``[(start frame, text), ...]`` sorted, the first at 0 (:func:`timeline_starts`).
        frames: T.
        fade: frames of the blend (0 = a hard cut).
        loop: the first segment fades in from the last one, so a looping clip has no jump.

    Returns:
        ``(texts, weights)``: the P distinct texts (a repeated text shares one entry) and float32 weights
        ``[T, P]`` whose rows sum to 1.

    Raises:
        InvalidInputError: fade not an int >= 0.
    """
    import torch

    if isinstance(fade, bool) or not isinstance(fade, int) or fade < 0:
        raise InvalidInputError(f"fade must be a whole number of frames >= 0, got {fade!r}.")
    texts = list(dict.fromkeys(text for _, text in starts))
    col = {t: i for i, t in enumerate(texts)}
    w = torch.zeros(frames, len(texts), dtype=torch.float32)
    bounds = [s for s, _ in starts] + [frames]
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        cur = col[starts[k][1]]
        w[a:b, cur] = 1.0
        prev = col[starts[k - 1][1]] if k > 0 else (col[starts[-1][1]] if loop else cur)
        n = min(fade, b - a)
        if prev != cur and n > 0:
            u = (torch.arange(n, dtype=torch.float32) + 1) / (fade + 1)
            ease = 1 - (1 - u) ** 2
            w[a:a + n, cur] = ease
            w[a:a + n, prev] = 1 - ease
    return texts, w
