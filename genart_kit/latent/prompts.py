"""Prompt-driven paths: a conditional model morphs from one text prompt to the next.

The prompts stay lazy (:mod:`genart_kit.conditioning`): the model that decodes the path resolves them
against what it takes (class vectors, text embeddings), so the same op serves every conditional model.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..conditioning import prompt_mix as conditioning_mix
from ..conditioning import prompt_morph as conditioning_morph
from ..conditioning import prompt_timeline as conditioning_timeline
from ..errors import InvalidInputError
from .core import Latents, check_frames, check_seed, describe_args, source_info
from .walks import conditioned_path


def prompt_morph(
    source: Any,
    prompts: Sequence[str],
    frames: int = 96,
    *,
    latents: Any = None,
    seed: int = 0,
    hold: float = 0.25,
    loop: bool = False,
    encoder: str | None = None,
) -> Latents:
    """Morph a conditional model through text prompts (``["a zero", "a nine"]``) while the latent stays
    put or follows a path of its own.

    Args:
        source: a conditional model (or its latent size D with a conditional model decoding the path later).
        prompts: two or more strings, in order; one string alone is held for every frame.
        frames: T (>= the number of prompts).
        latents: a fixed latent ``[D]``, or a :class:`Latents` path of T frames (e.g. a noise loop); default
            one latent drawn with *seed*.
        seed: seed for the default latent.
        hold: fraction of each prompt's segment held before it cross-fades into the next, in [0, 1).
        loop: fade the last prompt back into the first (and loop a fixed latent seamlessly).
        encoder: the text conditioner (``genart list conditioners``); default the best installed.

    Returns:
        :class:`Latents` ``[T, D]`` whose condition is a :class:`genart_kit.conditioning.PromptMorph`.

    Raises:
        InvalidInputError: an unconditional model, bad prompts, too few frames, bad latents.
    """
    frames = check_frames(frames)
    check_seed(seed)
    dim, _ = _conditional_source(source, "prompt_morph")
    if not isinstance(prompts, (str, list, tuple)):
        raise InvalidInputError(f"prompts must be a string or a list of strings, got {type(prompts).__name__} {prompts!r:.40}.")
    texts = [prompts] if isinstance(prompts, str) else list(prompts)
    cond = conditioning_morph(texts, frames, hold=hold, loop=loop, encoder=encoder)
    out = conditioned_path(source, latents, frames, dim, cond, seed=seed, loop=loop)
    out.description = describe_args("prompt_morph", source=source, prompts=texts, frames=frames, seed=seed, hold=hold)
    return out


def _conditional_source(source: Any, op: str) -> tuple[int, Any]:
    """``(D, model or None)`` of *source*, refusing an unconditional model with the op's name."""
    dim, model = source_info(source)
    if model is not None and not getattr(model, "conditional", False):
        raise InvalidInputError(f"{op} needs a conditional model (cgan-mnist, cvae-mnist, gan-emoji, ...); "
                                f"'{getattr(model, 'name', model)}' is unconditional.")
    return dim, model


def prompt_timeline(
    source: Any,
    timeline: Any,
    frames: int,
    *,
    fps: float = 24.0,
    latents: Any = None,
    seed: int = 0,
    fade: int = 2,
    loop: bool = False,
    encoder: str | None = None,
) -> Latents:
    """Prompts on a timeline: the condition changes at given times (``{"0:00": "a zero", "0:08": "a seven"}``),
    on the exact frame that shows each time, so a timeline built from beats or sections
    (``ga.audio.beat_timeline``, ``ga.audio.section_timeline``) changes on the beat.

    Args:
        source: a conditional model (or its latent size D).
        timeline: ``{time: prompt}`` or ``[(time, prompt), ...]``; times in seconds or ``"m:ss"``.
        frames: T, e.g. ``feats.frames`` of the song.
        fps: frames per second of the clip (the times are read at this rate).
        latents: a fixed latent ``[D]`` or a :class:`Latents` path of T frames (e.g. ``ga.latent.pulse(...)``);
            default one latent drawn with *seed*.
        seed: seed for the default latent.
        fade: frames of blend after each change (0: a hard cut on the frame).
        loop: the first prompt fades in from the last (and a fixed latent loops).
        encoder: the text conditioner; default the best installed.

    Returns:
        :class:`Latents` ``[T, D]`` whose condition is a :class:`genart_kit.conditioning.PromptMix`.

    Raises:
        InvalidInputError: an unconditional model, a bad timeline, frames, fps, fade or latents.
    """
    frames = check_frames(frames)
    check_seed(seed)
    dim, _ = _conditional_source(source, "prompt_timeline")
    cond = conditioning_timeline(timeline, frames, fps=fps, fade=fade, loop=loop, encoder=encoder)
    out = conditioned_path(source, latents, frames, dim, cond, seed=seed, loop=loop)
    out.description = describe_args("prompt_timeline", source=source, prompts=list(cond.prompts), frames=frames, fps=fps)
    return out


def prompt_mix(
    source: Any,
    prompts: Sequence[str],
    weights: Any,
    *,
    latents: Any = None,
    seed: int = 0,
    loop: bool = False,
    encoder: str | None = None,
) -> Latents:
    """Per-frame mixes of prompts with given weights ``[T, P]``: e.g. from the song's chroma
    (``ga.audio.chroma_weights(feats.chroma, ["C", "F", "G"])``) or any envelopes stacked by hand.

    Args:
        source: a conditional model (or its latent size D).
        prompts: P strings.
        weights: ``[T, P]`` non-negative numbers; each row is normalised to sum to 1. T sets the length.
        latents, seed, loop, encoder: as :func:`prompt_timeline`.

    Returns:
        :class:`Latents` ``[T, D]`` whose condition is a :class:`genart_kit.conditioning.PromptMix`.

    Raises:
        InvalidInputError: an unconditional model, bad prompts or weights (shape, NaN, negative), bad latents.
    """
    check_seed(seed)
    dim, _ = _conditional_source(source, "prompt_mix")
    cond = conditioning_mix(prompts, weights, encoder=encoder)
    frames = check_frames(cond.length)
    out = conditioned_path(source, latents, frames, dim, cond, seed=seed, loop=loop)
    out.description = describe_args("prompt_mix", source=source, prompts=list(cond.prompts), frames=frames)
    return out
