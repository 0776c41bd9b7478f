"""Per-thread defaults for renders: a progress callback and a cancel event used when a call passes none.

A host that runs user code on worker threads (the REPL runs each input as a job) sets them around the
code, so a clip method called directly (``clip.frames()``, ``clip.save("x.gif")``) still reports its frame
count and stops on Ctrl-C. :func:`model_defaults` does the same for model options: ``genart run --size``
makes the run's size the default ``size`` of the models a sketch loads. Deliberately tiny (standard library
only) so hosts can import it cheaply.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["render_defaults", "default_progress", "default_cancel", "model_defaults", "default_model_options"]

_local = threading.local()


def default_progress() -> Callable[[int, int], None] | None:
    """The calling thread's default ``progress(done, total)`` callback, or ``None``."""
    return getattr(_local, "progress", None)


def default_cancel() -> Any:
    """The calling thread's default cancel event (or callable), or ``None``."""
    return getattr(_local, "cancel", None)


def report_stage(label: str) -> None:
    """Say what slow step the calling thread starts ("loading text encoder 'minilm'"); shown by the REPL
    next to its spinner, ignored elsewhere."""
    stage = getattr(_local, "stage", None)
    if stage is not None:
        stage(label)


@contextlib.contextmanager
def render_defaults(progress: Callable[[int, int], None] | None = None, cancel: Any = None,
                    stage: Callable[[str], None] | None = None) -> Iterator[None]:
    """Within the block, renders on this thread that pass no *progress* / *cancel* use these, and
    :func:`report_stage` calls *stage*."""
    old = (getattr(_local, "progress", None), getattr(_local, "cancel", None), getattr(_local, "stage", None))
    _local.progress, _local.cancel, _local.stage = progress, cancel, stage
    try:
        yield
    finally:
        _local.progress, _local.cancel, _local.stage = old


def default_model_options() -> dict[str, Any]:
    """The calling thread's default model options (``{"size": 512}`` while ``genart run --size 512`` runs a
    sketch): ``ga.model`` gives each to a model that declares an option of that name and is not passed it."""
    return dict(getattr(_local, "model_options", None) or {})


@contextlib.contextmanager
def model_defaults(**options: Any) -> Iterator[None]:
    """Within the block, ``ga.model(name)`` on this thread fills in these options (``size=512``) for models
    that declare them (``options=[Option("size", ...)]``) when the caller does not pass them; ``None`` values
    are ignored. Blocks nest (the inner values win)."""
    old = getattr(_local, "model_options", None)
    _local.model_options = {**(old or {}), **{k: v for k, v in options.items() if v is not None}}
    try:
        yield
    finally:
        _local.model_options = old
