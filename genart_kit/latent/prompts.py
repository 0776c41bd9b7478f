"""Prompt-driven paths: a conditional model morphs from one text prompt to the next.

The prompts stay lazy (:mod:`genart_kit.conditioning`): the model that decodes the path resolves them
against what it takes (class vectors, text embeddings), so the same op serves every conditional model.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..conditioning import prompt_morph as conditioning_morph
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
    dim, model = source_info(source)
    if model is not None and not getattr(model, "conditional", False):
        raise InvalidInputError(f"prompt_morph needs a conditional model (cgan-mnist, cvae-mnist, ...); "
                                f"'{getattr(model, 'name', model)}' is unconditional.")
    if not isinstance(prompts, (str, list, tuple)):
        raise InvalidInputError(f"prompts must be a string or a list of strings, got {type(prompts).__name__} {prompts!r:.40}.")
    texts = [prompts] if isinstance(prompts, str) else list(prompts)
    cond = conditioning_morph(texts, frames, hold=hold, loop=loop, encoder=encoder)
    out = conditioned_path(source, latents, frames, dim, cond, seed=seed, loop=loop)
    out.description = describe_args("prompt_morph", source=source, prompts=texts, frames=frames, seed=seed, hold=hold)
    return out
