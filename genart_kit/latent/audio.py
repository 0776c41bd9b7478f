"""Audio-driven latent ops (issue 13): an envelope or the beats of a track move a path through any model's
latent space. They use only the model contract (``latent_dim`` / ``sample_latents`` through
:func:`~genart_kit.latent.core.keyframes`), so they work with every model plugin.

Envelopes are per-frame ``[T]`` sequences (numpy, torch or lists), e.g. ``ga.audio.features(a, fps).onset``
shaped with ``ga.audio.attack_release``; bands are ``[T, B]``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..errors import InvalidInputError
from .core import Latents, describe_args, from_tensor, keyframes
from .interpolation import slerp


def _envelope(env: Any, name: str = "envelope", ndim: tuple[int, ...] = (1,)) -> torch.Tensor:
    t = torch.as_tensor(env.copy() if hasattr(env, "copy") and not isinstance(env, torch.Tensor) else env,
                        dtype=torch.float32).cpu()
    if t.ndim not in ndim or t.shape[0] < 1:
        raise InvalidInputError(f"{name} must be a per-frame sequence with shape {'[T]' if ndim == (1,) else '[T] or [T, B]'}, "
                                f"got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise InvalidInputError(f"{name} contains NaN or infinite values")
    return t


def _circle(source: Any, phase: torch.Tensor, seed: int) -> torch.Tensor:
    a, b = keyframes(source, 2, seed=seed)
    return torch.cos(phase)[:, None] * a + torch.sin(phase)[:, None] * b


def pulse(source: Any, envelope: Any, *, seed: int = 0, strength: float = 1.5, speed: float = 0.25,
          fps: float = 24.0) -> Latents:
    """A slow seamless circle that the envelope pushes away from and that relaxes back when it falls.

    ``z[t] = circle(t) + strength * sum_b env[t, b] * d_b`` with ``d_b`` seeded unit-variance directions on
    disjoint latent dimensions (band b owns every B-th dimension), so per-band loudness pushes its own dims.

    Args:
        source: a model or an int latent dimension D.
        envelope: ``[T]`` or ``[T, B]`` per-frame drive (about [0, 1]).
        seed: RNG seed for the base circle and the push directions.
        strength: how far a full-scale envelope pushes (in prior standard deviations).
        speed: turns of the base circle per second.
        fps: frames per second (for *speed*).

    Returns:
        :class:`Latents` ``[T, D]``.

    Raises:
        InvalidInputError: bad envelope, fps <= 0.
    """
    env = _envelope(envelope, ndim=(1, 2))
    if not fps > 0:
        raise InvalidInputError(f"fps must be > 0, got {fps}")
    env = env[:, None] if env.ndim == 1 else env
    T, B = env.shape
    base = _circle(source, 2 * math.pi * speed * torch.arange(T, dtype=torch.float32) / fps, seed)
    D = base.shape[1]
    dirs = keyframes(D, B, seed=seed + 1)
    mask = torch.zeros(B, D)
    for b in range(B):
        mask[b, b::B] = 1.0
    push = env @ (dirs * mask * math.sqrt(B))
    out = from_tensor(base + strength * push)
    out.description = describe_args("pulse", source=source, seed=seed, strength=strength)
    return out


def motion(source: Any, envelope: Any, *, seed: int = 0, turns: float = 1.0, rest: float = 0.02) -> Latents:
    """Travel a seamless great circle at a speed that follows the envelope: loud/onset frames move far, quiet
    frames barely move. The phase advance of frame t is proportional to ``rest + env[t]``; the whole clip
    covers *turns* turns.

    Raises:
        InvalidInputError: bad envelope, negative values, turns <= 0 or rest < 0.
    """
    env = _envelope(envelope)
    if (env < 0).any() or not turns > 0 or rest < 0:
        raise InvalidInputError("motion needs a non-negative envelope, turns > 0 and rest >= 0")
    step = rest + env
    total = float(step.sum())
    step = step / total if total > 0 else torch.full_like(step, 1.0 / len(step))
    phase = 2 * math.pi * turns * (torch.cumsum(step, 0) - step[0])
    out = from_tensor(_circle(source, phase, seed))
    out.description = describe_args("motion", source=source, seed=seed, turns=turns)
    return out


def beat_keyframes(source: Any, beats: Any, frames: int, *, every: int = 1, seed: int = 0,
                   sharpness: float = 4.0) -> Latents:
    """A new target latent on every *every*-th beat: from beat frame ``beats[k]`` the path slerps from the
    previous keyframe to keyframe k with an ease-out (``1 - (1 - u)^sharpness``, u in (0, 1] over the beat
    interval), so the largest step of each interval is the one into the beat frame and it settles on
    keyframe k by the next beat.

    Args:
        source: a model or an int D.
        beats: beat frame indices (``AudioFeatures.beats``), ints in [0, frames).
        frames: T.
        every: use every N-th beat (>= 1).
        seed: RNG seed of the keyframes.
        sharpness: >= 1; higher snaps faster.

    Raises:
        InvalidInputError: frames < 1, every < 1, sharpness < 1, beats out of range.
    """
    if frames < 1 or every < 1 or sharpness < 1:
        raise InvalidInputError("beat_keyframes needs frames >= 1, every >= 1 and sharpness >= 1")
    bt = sorted({int(b) for b in list(beats)[::every]})
    if any(b < 0 or b >= frames for b in bt):
        raise InvalidInputError(f"beat frames must lie in [0, {frames}), got {bt}")
    marks = [0] + [b for b in bt if b > 0]
    keys = keyframes(source, len(marks) + 1, seed=seed)
    z = torch.empty(frames, keys.shape[1])
    bounds = marks + [frames]
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        u = (torch.arange(b - a, dtype=torch.float32) + 1) / (b - a)
        w = 1 - (1 - u) ** sharpness if k > 0 else torch.zeros_like(u)
        z[a:b] = slerp(keys[max(k - 1, 0)].expand(b - a, -1), keys[k].expand(b - a, -1), w)
    out = from_tensor(z)
    out.description = describe_args("beat_keyframes", source=source, every=every, seed=seed)
    return out


def section_path(source: Any, sections: Any, *, seed: int = 0, radius: float = 0.3, smooth: int = 6) -> Latents:
    """Each section label owns a region (a seeded centre latent): the same section returns to the same place,
    with a small circle of *radius* for movement inside it and a *smooth*-frame blend at boundaries.

    Raises:
        InvalidInputError: sections not ``[T]`` non-negative ints, radius < 0, smooth < 0.
    """
    lab = _envelope(sections, "sections").long()
    if (lab < 0).any() or radius < 0 or smooth < 0:
        raise InvalidInputError("section_path needs labels >= 0, radius >= 0 and smooth >= 0")
    T = lab.shape[0]
    centres = keyframes(source, int(lab.max()) + 1, seed=seed)[lab]
    if smooth > 0:
        k = torch.ones(1, 1, 2 * smooth + 1) / (2 * smooth + 1)
        padded = torch.nn.functional.pad(centres.T[None], (smooth, smooth), mode="replicate")
        centres = torch.nn.functional.conv1d(padded.reshape(-1, 1, T + 2 * smooth), k).reshape(-1, T).T
    wander = _circle(centres.shape[1], 2 * math.pi * torch.arange(T, dtype=torch.float32) / max(T, 2), seed + 7)
    out = from_tensor(centres + radius * wander)
    out.description = describe_args("section_path", source=source, seed=seed)
    return out
