"""Latent-space operations: paths through a model's latent space, ready to pipe into the model.

Every op returns a :class:`Latents` object: ``T`` latents ``[T, D]`` (float32), optionally with a per-frame
condition (``[T]`` int64 class labels or ``[T, cond_dim]`` float32 vectors), computed lazily in chunks.
Pipe it into a model to get a :class:`~genart_kit.pipeline.Clip`::

    import genart_kit as ga
    vae = ga.model("vae-mnist")
    clip = ga.latent.interpolate(vae, frames=48, keys=5, seed=0, loop=True) | vae
    clip = ga.latent.noise_loop(vae, frames=96, seed=3) | vae | ga.render.colormap("magma")

Plain tensors come in through :func:`from_tensor` (``ga.latent.from_tensor(z) | vae``) — a bare
``torch.Tensor`` cannot start a ``|`` chain because ``Tensor.__or__`` is bitwise OR.

Ops (each also registered in the registry as an ``op``; ``genart list ops``):

* interpolation: :func:`lerp`, :func:`slerp` (tensor primitives, robust for identical, parallel, zero and
  opposite vectors), :func:`interpolate` (through any number of keyframes, easing, optional loop), easing
  curves in :data:`EASINGS`;
* seamless loops: :func:`noise_loop`, :func:`circular_walk`;
* walks and arithmetic: :func:`random_walk`, :func:`truncate`, :func:`attribute_vector`, :func:`shift`,
  :func:`grid_sweep`, :func:`class_sweep`, :func:`concat`;
* real images: :func:`encode`, :func:`morph`, :func:`mnist_digits`, :func:`load_images`.

This package imports torch only when one of these names is first used.
"""

from __future__ import annotations

from typing import Any

from .._lazy import lazy_attributes

#: public name -> submodule that defines it
_NAMES = {
    "Latents": "core",
    "from_tensor": "core",
    "concat": "core",
    "keyframes": "core",
    "lerp": "interpolation",
    "slerp": "interpolation",
    "interpolate": "interpolation",
    "ease": "interpolation",
    "EASINGS": "interpolation",
    "noise_loop": "loops",
    "circular_walk": "loops",
    "random_walk": "walks",
    "truncate": "core",
    "attribute_vector": "walks",
    "shift": "walks",
    "grid_sweep": "walks",
    "class_sweep": "walks",
    "prompt_morph": "prompts",
    "prompt_timeline": "prompts",
    "prompt_mix": "prompts",
    "encode": "images",
    "morph": "images",
    "mnist_digits": "images",
    "load_images": "images",
    "pulse": "audio",
    "motion": "audio",
    "beat_keyframes": "audio",
    "section_path": "audio",
}

__all__ = sorted([*_NAMES, "get"])


def get(name: str, *args: Any, **options: Any) -> Any:
    """The latent op registered as *name* (built-in or from a plugin), with any arguments bound.

    Raises:
        UnknownNameError: no op of that name (close names suggested).
    """
    from ..registry import get_registry

    return get_registry().load("op", name, *args, **options)


__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals(), registered="op", make=get)
