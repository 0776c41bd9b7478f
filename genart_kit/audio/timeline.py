"""Music structure as controls: prompts on the beat or per section, chroma as prompt/class weights, and
sample-and-hold on beats.

The timelines return ``[(seconds, prompt), ...]`` for :func:`genart_kit.latent.prompt_timeline` (and
:func:`genart_kit.conditioning.prompt_timeline`). A beat's time is written as ``frame / fps`` so it lands on
the beat's own frame under the rule every part of the toolkit uses (:func:`genart_kit.timeline.frame_at`).
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Sequence

from ..errors import InvalidInputError
from ._deps import need
from .analysis import AudioFeatures
from .envelopes import _back

#: pitch-class names, C = 0 (as the chroma columns of :class:`AudioFeatures`)
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_NOTE = re.compile(r"^([A-Ga-g])([#♯b♭]?)$")
_BASE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _check_feats(feats: Any, op: str) -> AudioFeatures:
    if not isinstance(feats, AudioFeatures):
        raise InvalidInputError(f"{op} takes the features of a track (feats = ga.audio.features(ga.audio.load(path), "
                                f"fps=24)), got {type(feats).__name__}.")
    return feats


def _check_prompts(prompts: Any, op: str) -> list[str]:
    if isinstance(prompts, str):
        prompts = [prompts]
    if not isinstance(prompts, (list, tuple)) or not prompts:
        raise InvalidInputError(f"{op}: prompts must be a non-empty list of strings, got {prompts!r:.60}.")
    for text in prompts:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError(f"{op}: every prompt must be a non-empty string, got {text!r:.40}.")
    return list(prompts)


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a whole number >= 1, got {value!r}.")
    return value


def beat_timeline(feats: AudioFeatures, prompts: Sequence[str], *, every: int = 1) -> list[tuple[float, str]]:
    """One prompt per beat (or per *every* beats), the prompts taken in turn and cycled.

    Args:
        feats: the track's features (:func:`genart_kit.audio.features`).
        prompts: P strings (one string: held all the way).
        every: change on every *every*-th beat (4: once a bar in 4/4), counting from the first beat.

    Returns:
        ``[(seconds, prompt), ...]``: the first prompt from 0 s, then a change on each chosen beat's frame.
        A track with no detected beat gives the first prompt alone (with a warning).

    Raises:
        InvalidInputError: not features, bad prompts or *every*.
    """
    feats = _check_feats(feats, "beat_timeline")
    texts = _check_prompts(prompts, "beat_timeline")
    every = _check_count(every, "every")
    beats = [int(b) for b in feats.beats[::every]]
    if not beats:
        warnings.warn("no beat was detected in the track; the first prompt is held for the whole clip.",
                      UserWarning, stacklevel=2)
        return [(0.0, texts[0])]
    out = [(0.0, texts[0])] if beats[0] > 0 else []
    start = 1 if beats[0] > 0 and len(texts) > 1 else 0
    out += [(b / feats.fps, texts[(start + k) % len(texts)]) for k, b in enumerate(beats)]
    return out


def section_timeline(feats: AudioFeatures, prompts: Sequence[str]) -> list[tuple[float, str]]:
    """One prompt per song section: section label ``s`` shows ``prompts[s % P]``, so a repeated chorus returns
    to its prompt (labels come from :func:`genart_kit.audio.features`' self-similarity segmentation).

    Returns:
        ``[(seconds, prompt), ...]`` with an entry at 0 s and at every frame where the section changes.

    Raises:
        InvalidInputError: not features or bad prompts.
    """
    feats = _check_feats(feats, "section_timeline")
    texts = _check_prompts(prompts, "section_timeline")
    labels = [int(s) for s in feats.sections]
    out: list[tuple[float, str]] = []
    for f, label in enumerate(labels):
        if f == 0 or label != labels[f - 1]:
            out.append((f / feats.fps, texts[label % len(texts)]))
    return out


def _pitch_class(key: Any) -> int:
    if isinstance(key, str):
        m = _NOTE.match(key.strip())
        if m is None:
            raise InvalidInputError(f"cannot read the pitch class {key!r}; write C, C#, Db, ..., B (or 0-11, C = 0).")
        letter, accidental = m.groups()
        return (_BASE[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)) % 12
    if isinstance(key, bool) or not hasattr(key, "__index__") or not 0 <= int(key) < 12:
        raise InvalidInputError(f"a pitch class is a name (C, C#, Db, ..., B) or a number 0-11 (C = 0), got {key!r}.")
    return int(key)


def chroma_weights(chroma: Any, keys: Sequence[Any] | None = None, *, sharpness: float = 4.0) -> Any:
    """Per-frame weights of chosen pitch classes, rows summing to 1: feed them to
    :func:`genart_kit.latent.prompt_mix` (one prompt per key) or, for a class-conditional model, use them as
    class vectors (``path.with_condition(torch.as_tensor(w))`` with one key per class).

    ``w[t, k] = chroma[t, keys[k]] ** sharpness``, normalised per row (a silent frame gets equal weights):
    *sharpness* 1 keeps the chroma's proportions, higher values let the strongest pitch class win.

    Args:
        chroma: ``[T, 12]`` pitch-class energy (``feats.chroma``), numpy or torch, values >= 0.
        keys: the P pitch classes, as names (``["A", "F", "C", "G"]``) or numbers 0-11; default all 12 (C first).
        sharpness: exponent > 0.

    Returns:
        float32 ``[T, P]`` of the same kind as *chroma* (numpy array or torch tensor).

    Raises:
        InvalidInputError: chroma not ``[T, 12]``, negative or not finite; an unknown key; bad sharpness.
    """
    np = need("numpy")
    like = chroma if type(chroma).__module__.startswith("torch") else None
    a = np.asarray(chroma.detach().cpu().numpy() if like is not None else chroma, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 12 or a.shape[0] == 0:
        raise InvalidInputError(f"chroma must be [T, 12] (feats.chroma), got shape {tuple(a.shape)}.")
    if not np.all(np.isfinite(a)) or (a < 0).any():
        raise InvalidInputError("chroma must be finite and >= 0.")
    if isinstance(sharpness, bool) or not isinstance(sharpness, (int, float)) or not 0 < sharpness <= 64:
        raise InvalidInputError(f"sharpness must be a number in (0, 64], got {sharpness!r}.")
    cols = list(range(12)) if keys is None else [_pitch_class(k) for k in (keys if not isinstance(keys, str) else [keys])]
    if not cols:
        raise InvalidInputError("keys is empty; give at least one pitch class.")
    peak = a.max()
    w = (a[:, cols] / peak if peak > 0 else a[:, cols]) ** float(sharpness)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 1e-12, w / np.maximum(total, 1e-300), 1.0 / len(cols))
    return _back(w, like)


def hold_beats(x: Any, beats: Any, *, how: str = "mean") -> Any:
    """Sample-and-hold on the beat: every frame from one beat up to the next takes one value of *x* over that
    interval (frames before the first beat form their own interval), so a control steps on the beat.

    Args:
        x: ``[T]`` or ``[T, K]`` per-frame values (numpy or torch).
        beats: beat frame indices (``feats.beats``), any order; out-of-range ones are ignored.
        how: ``"mean"``, ``"max"`` or ``"first"`` (the value on the beat itself).

    Returns:
        float32 of *x*'s shape and kind.

    Raises:
        InvalidInputError: *x* empty, not 1-D/2-D or not finite; beats not whole numbers; an unknown *how*.
    """
    np = need("numpy")
    if how not in ("mean", "max", "first"):
        raise InvalidInputError(f"how must be 'mean', 'max' or 'first', got {how!r}.")
    like = x if type(x).__module__.startswith("torch") else None
    a = np.asarray(x.detach().cpu().numpy() if like is not None else x, dtype=np.float64)
    if a.ndim not in (1, 2) or a.shape[0] == 0 or not np.all(np.isfinite(a)):
        raise InvalidInputError(f"x must be a finite [T] or [T, K] sequence, got shape {tuple(a.shape)}.")
    b = np.asarray(beats.detach().cpu().numpy() if type(beats).__module__.startswith("torch") else beats)
    if b.size and not np.issubdtype(b.dtype, np.integer):
        raise InvalidInputError(f"beats must be frame indices (whole numbers, feats.beats), got dtype {b.dtype}.")
    T = a.shape[0]
    bounds = np.unique(np.concatenate([[0], b.astype(np.int64).ravel(), [T]]))
    bounds = bounds[(bounds >= 0) & (bounds <= T)]
    out = np.empty_like(a)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        seg = a[lo:hi]
        out[lo:hi] = seg.mean(axis=0) if how == "mean" else seg.max(axis=0) if how == "max" else seg[0]
    return _back(out, like)
