"""First-party plugin: registers the built-in latent ops (``genart list ops``).

Loaders are ``"module:attr"`` strings, so listing imports nothing heavy (no torch).
"""

from __future__ import annotations

from ..hookspecs import hookimpl

_M = "genart_kit.latent"

OPS = [
    ("interpolate", f"{_M}.interpolation:interpolate", "path through keyframes (slerp/lerp, easing, optional loop)"),
    ("slerp", f"{_M}.interpolation:slerp", "spherical interpolation of latents (robust: identical/zero/opposite)"),
    ("lerp", f"{_M}.interpolation:lerp", "linear interpolation of latents"),
    ("noise_loop", f"{_M}.loops:noise_loop", "seamless loop: smooth periodic noise, N(0, I) at every frame"),
    ("circular_walk", f"{_M}.loops:circular_walk", "seamless great-circle loop a cos t + b sin t"),
    ("random_walk", f"{_M}.walks:random_walk", "bounded, seeded Ornstein-Uhlenbeck random walk"),
    ("truncate", f"{_M}.core:truncate", "truncation trick: scale towards the mean by psi"),
    ("attribute_vector", f"{_M}.walks:attribute_vector", "mean latent of one class minus another (vector arithmetic)"),
    ("shift", f"{_M}.walks:shift", "move a path along a direction, by a constant or a ramp"),
    ("grid_sweep", f"{_M}.walks:grid_sweep", "latents on a grid spanned by two directions"),
    ("class_sweep", f"{_M}.walks:class_sweep", "step a class-conditional model through labels (count 0 -> 9)"),
    ("prompt_morph", f"{_M}.prompts:prompt_morph", "morph a conditional model through text prompts"),
    ("prompt_timeline", f"{_M}.prompts:prompt_timeline", "prompts on a timeline ({'0:00': 'a cat', '0:08': ...}, beats)"),
    ("prompt_mix", f"{_M}.prompts:prompt_mix", "per-frame weighted mix of prompts (e.g. from chroma)"),
    ("encode", f"{_M}.images:encode", "encode real images (file, folder, MNIST digits) with a VAE"),
    ("morph", f"{_M}.images:morph", "morph between real images through a VAE's latent space"),
    ("from_tensor", f"{_M}.core:from_tensor", "wrap a [T, D] tensor as latents to pipe into a model"),
    ("concat", f"{_M}.core:concat", "play latent paths one after another"),
    ("pulse", f"{_M}.audio:pulse", "audio: an envelope (or [T, B] bands) pushes latent dims, relaxing back"),
    ("motion", f"{_M}.audio:motion", "audio: speed along a seamless loop follows an envelope"),
    ("beat_keyframes", f"{_M}.audio:beat_keyframes", "audio: a new target latent on every (N-th) beat"),
    ("section_path", f"{_M}.audio:section_path", "audio: same song section, same latent region"),
]


@hookimpl
def register_ops(register):  # type: ignore[no-untyped-def]
    """Register the built-in latent ops."""
    for name, loader, description in OPS:
        register(name, loader, description=description)
