"""Hook specifications: what a genart-kit plugin can contribute.

A plugin is any module (or object) with functions decorated by :data:`hookimpl` whose names match the
specs below. Each hook receives a ``register`` callback; call it once per contribution::

    from genart_kit import hookimpl

    @hookimpl
    def register_models(register):
        register("my-gan", "my_plugin.model:load", description="...", latent_dim=64,
                 image_shape=(3, 64, 64), conditional=False, ready=True)

``register(name, loader, *, description="", **meta)``: *loader* is a ``"module:attribute"`` string
(imported only when the entry is used, so listing stays fast and never imports torch) or a callable.
What the loader must return is given per hook below. *meta* is cheap metadata shown by ``genart list``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol, Union

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import argparse

PROJECT = "genart_kit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: what a loader may be: a ``"package.module:attribute"`` string (imported when used) or the object itself
Loader = Union[str, Callable[..., Any]]


class Register(Protocol):
    """The ``register`` callback every ``register_*`` hook except :func:`register_commands` receives.

    ``register(name, loader, *, description="", **meta) -> Entry``

    Args:
        name: the part's name, unique within its kind: a string of 1..100 characters with no control
            characters (NUL, newline, tab...), no ``/`` or ``\\`` and not only spaces; for
            :func:`register_namespace`, a Python identifier not starting with ``_``.
        loader: ``"module:attribute"`` or a callable (for :func:`register_namespace`, any object).
        description: one line for ``genart list``.
        **meta: cheap metadata, per hook (see each hook).

    Returns:
        the staged :class:`genart_kit.registry.Entry`.

    Raises:
        InvalidInputError: a bad name, loader or meta; the plugin is then marked ``error`` with the reason
            (``genart plugins``) and none of its parts is registered.
    """

    def __call__(self, name: str, loader: Any, *, description: str = "", **meta: Any) -> Any:
        ...


class RegisterCommand(Protocol):
    """The ``register`` callback :func:`register_commands` receives.

    ``register(name, handler, *, help="", description=None, epilog=None) -> argparse.ArgumentParser``

    Args:
        name: the sub-command (``genart NAME``): lower-case letters, digits and ``-``, starting with a
            letter, at most 40 characters, and not a built-in command (``run``, ``list``, ...).
        handler: ``handler(args: argparse.Namespace) -> int | None``, the exit status (``None``: 0).
        help: one line for ``genart --help``.
        description, epilog: shown by ``genart NAME --help``.

    Returns:
        the command's :class:`argparse.ArgumentParser`: add its arguments to it.

    Raises:
        InvalidInputError: a bad or built-in name, or a handler that is not callable; the plugin is then
            marked ``error`` and none of its commands or parts is registered.
    """

    def __call__(self, name: str, handler: "Callable[[argparse.Namespace], int | None]", *, help: str = "",
                 description: str | None = None, epilog: str | None = None) -> "argparse.ArgumentParser":
        ...

# --------------------------------------------------------------------------------------------- models


@hookspec
def register_models(register: Register) -> None:
    """Register generative models. The loader is called as ``loader(checkpoint=None, device=None, **options)``
    (``ga.model(name, **options)`` forwards the user's options) and returns a
    :class:`genart_kit.generative.GenerativeModel`. Meta: ``latent_dim`` (int), ``image_shape`` ((C, H, W);
    ``None`` for a side the model renders at any size), ``conditional`` (bool), ``num_classes`` (int or None),
    ``ready`` (bool: sampling without a checkpoint gives a real picture — shipped weights or a procedural
    model; default true; ``pretrained`` is the older spelling), ``trainable`` (bool: ``genart train`` can
    train it), ``options`` (a list of :class:`genart_kit.options.Option`)."""


# ----------------------------------------------------------------------------------- animation pieces


@hookspec
def register_ops(register: Register) -> None:
    """Register latent-space operations. The loader is the op function itself; it returns latents
    ``[T, D]`` (see :mod:`genart_kit.latent`)."""


@hookspec
def register_renderers(register: Register) -> None:
    """Register frame renderers. The loader is a factory ``factory(**options) -> renderer`` where a renderer
    maps frames ``[T, C, H, W]`` float32 in [0, 1] to frames (see :mod:`genart_kit.render`)."""


@hookspec
def register_exporters(register: Register) -> None:
    """Register exporters. Meta ``suffixes`` (tuple of ``".gif"``-style suffixes) picks the exporter for
    ``clip.save(path)``. The loader returns the writer (see :mod:`genart_kit.export`)."""


# ---------------------------------------------------------------------------------- conditioning, data


@hookspec
def register_conditioners(register: Register) -> None:
    """Register conditioners that turn text prompts into what conditional models take. The loader (called
    with no arguments, once per process) returns an object with ``encode(texts: list[str]) -> Tensor
    [N, cond_dim]`` float32 and ``condition(texts, spec) -> Tensor [N, spec.size]`` float32 for a model's
    :class:`genart_kit.conditioning.ConditionSpec` (class vectors over its ``class_names`` / ``label_set``, or
    embeddings in its ``space``); it raises ``InvalidInputError`` for a spec it cannot serve. Meta:
    ``cond_dim`` (int), ``space`` (the embedding space's name), ``available`` (bool: its dependencies are
    installed; checked without importing them), ``priority`` (int: the available conditioner with the
    highest priority is the default), ``install`` (the command that makes it available)."""


@hookspec
def register_datasets(register: Register) -> None:
    """Register training datasets. The loader is called as ``loader(**options)`` and returns a
    ``torch.utils.data.Dataset`` of ``(image [C, H, W] float32 in [0, 1], label int)``."""


# ------------------------------------------------------------------------------ commands and namespace


@hookspec
def register_commands(register: RegisterCommand) -> None:
    """Add sub-commands to ``genart``: ``register(name, handler, help=...)`` returns the command's
    :class:`argparse.ArgumentParser` (see :class:`RegisterCommand`). Called when the command line is built,
    so keep it cheap (no torch); import heavy modules inside the handler. A hook that raises, a bad or
    built-in name, or a name another plugin also registers marks the plugin ``error``; the other commands
    keep working, and a handler that raises exits 1 with a one-line message."""


@hookspec
def register_namespace(register: Register) -> None:
    """Add names to the namespace of sketch files and of the REPL session: ``register(name, obj,
    description=...)`` where *obj* is any object or a ``"module:attribute"`` string (imported when a sketch
    is loaded or a session starts). *name* is a Python identifier not starting with ``_``, not a keyword
    and not a Python builtin; a sketch's or session's own names win over it."""
