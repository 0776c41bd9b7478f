"""Per-thread defaults for renders: a progress callback and a cancel event used when a call passes none.

A host that runs user code on worker threads (the REPL runs each input as a job) sets them around the
code, so a clip method called directly (``clip.frames()``, ``clip.save("x.gif")``) still reports its frame
count and stops on Ctrl-C. Deliberately tiny (standard library only) so hosts can import it cheaply.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["render_defaults", "default_progress", "default_cancel"]

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
