"""genart-kit: a plugin-based creative-coding toolkit for generative art with neural networks.

Typical use (a sketch file or the REPL)::

    import genart_kit as ga
    vae = ga.model("vae-mnist")                     # shipped pretrained weights, no download
    path = ga.latent.noise_loop(vae, frames=96, seed=3)
    clip = path | vae | ga.render.colormap("magma") | ga.render.upscale(256)
    clip.save("loop.gif", fps=24)

Everything here is imported lazily: ``import genart_kit`` does not import torch, so the command line and
the REPL start fast. Sub-modules (``ga.latent``, ``ga.render``, ``ga.export``, ...) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lazy import lazy_attributes
from .errors import GenartError
from .hookspecs import hookimpl

from ._version import __version__

__all__ = [
    "__version__",
    "GenartError",
    "hookimpl",
    "model",
    "prompt",
    "prompt_morph",
    "registry",
    "latent",
    "render",
    "export",
    "pipeline",
    "sketch",
    "errors",
]

_SUBMODULES = {"conditioning", "registry", "audio", "latent", "render", "export", "pipeline", "sketch", "errors", "hookspecs", "plugins", "training", "checkpoint"}

if TYPE_CHECKING:  # pragma: no cover
    from .generative import GenerativeModel


def model(name: str, *, checkpoint: str | None = None, device: str | None = None, **options: Any) -> "GenerativeModel":
    """Load a model by registry name, e.g. ``ga.model("vae-mnist")``.

    Args:
        name: a pretrained model (``"vae-mnist"``, ``"gan-mnist"``, ...) or an architecture (``"vae"``,
            ``"gan"``, ...); ``genart list models`` shows them all.
        checkpoint: optional path of a ``.safetensors`` checkpoint written by ``genart train``.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default CUDA when available, else CPU.
        **options: the model's options (``genart list models --json`` shows those a plugin declares),
            checked before the loader runs. Inside a sketch run by ``genart run --size PX``, a model that
            declares a ``size`` option gets ``size=PX`` unless one is passed
            (:func:`genart_kit.context.model_defaults`).

    Returns:
        a :class:`genart_kit.generative.GenerativeModel` in eval mode.

    Raises:
        UnknownNameError: no model of that name (the message lists close names).
        InvalidInputError: an option the model does not take ("did you mean") or a bad value.
        CheckpointError: the checkpoint is missing, unsafe or for another architecture.
    """
    from ._options import check_options
    from .options import check_option_values, options_from_meta
    from .registry import get_registry

    from .context import default_model_options

    registry = get_registry()
    entry = registry.get("model", name)
    declared = options_from_meta(entry.meta)
    taken = {o.name for o in declared}
    options = {**{k: v for k, v in default_model_options().items() if k in taken}, **options}
    if declared or "options" in entry.meta:  # declared (options=[] too: none): same checks, "did you mean"
        options = check_option_values(options, declared, what=f"model '{name}'", where=f"model '{name}' option")
    else:  # otherwise the loader's own signature says what it takes
        check_options(f"model '{name}'", entry.resolve(), options, skip=("checkpoint", "device"))
    return registry.load("model", name, checkpoint=checkpoint, device=device, **options)


def prompt(texts: Any, *, encoder: str | None = None) -> Any:
    """A text prompt as a condition for any conditional model, resolved when the model decodes:
    ``model.decode(z, condition=ga.prompt("a handwritten seven"))`` or ``path.with_condition(ga.prompt(...))``.
    A list gives one prompt per frame. See :func:`genart_kit.conditioning.prompt`.

    Raises:
        InvalidInputError: not a string or a non-empty list of strings.
    """
    from .conditioning import prompt as _prompt

    return _prompt(texts, encoder=encoder)


def prompt_morph(prompts: Any, frames: int, *, hold: float = 0.25, loop: bool = False,
                 encoder: str | None = None) -> Any:
    """A per-frame condition morphing through *prompts* over *frames* frames (``path.with_condition(...)``);
    see :func:`genart_kit.conditioning.prompt_morph` and, for a ready path, ``ga.latent.prompt_morph``.

    Raises:
        InvalidInputError: bad prompts, frames or hold.
    """
    from .conditioning import prompt_morph as _morph

    return _morph(prompts, frames, hold=hold, loop=loop, encoder=encoder)


__getattr__, __dir__ = lazy_attributes(__name__, {}, globals(), submodules=_SUBMODULES)
