"""``:watch FILE``: re-run a sketch file on every save and play the result as a live loop.

The same behaviour as ``genart run --watch`` (and vsketch's ``vsk run``), built on the same
:class:`genart_kit.sketch.Watcher`: each time the sketch (or a local module it imports) is saved, it is
re-loaded and re-rendered; a good result is swapped into the previews at the next cycle, an error is
printed and the last good animation keeps playing.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Callable

from ..errors import InvalidInputError

log = logging.getLogger(__name__)

__all__ = ["SketchWatch", "loop_name_for"]


def loop_name_for(path: Path) -> str:
    """Loop name used for a watched sketch: its file stem made URL-safe (``latent_walk``)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem) or "sketch"
    if not (stem[0].isalpha() or stem[0] == "_"):
        stem = "_" + stem
    return stem[:64]


class SketchWatch:
    """Watches one sketch and (re)defines its live loop on every successful run.

    Args:
        path: the sketch file (must exist).
        manager: the session's :class:`~genart_kit.repl.loops.LoopManager`.
        name: loop name (default :func:`loop_name_for`).
        notify: prints a message above the prompt (errors of a run).
        format_error: exception -> text.
        interval: polling period in seconds.
        **options: ``overrides``, ``seed``, ``frames``, ``fps``, ``size`` as for ``genart run``.

    Raises:
        InvalidInputError: the file does not exist or is not a ``.py`` file.
    """

    def __init__(self, path: str | os.PathLike[str], manager: Any, *, name: str | None = None,
                 notify: Callable[[str], None] = log.warning, format_error: Callable[[BaseException], str] = str,
                 interval: float = 0.25, **options: Any) -> None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise InvalidInputError(f"sketch file not found: {str(path)!r}; give the path of a .py sketch.")
        if p.suffix != ".py":
            raise InvalidInputError(f"{str(path)!r} is not a Python sketch (.py).")
        from ..sketch import Watcher

        self.path = p.resolve()
        self.manager = manager
        self.name = name or loop_name_for(self.path)
        self.notify = notify
        self.format_error = format_error
        self.fps = options.get("fps")
        self.watcher = Watcher(self.path, self._on_clip, self._on_error, interval=interval, **options)

    @property
    def runs(self) -> int:
        """How many times the sketch has been run."""
        return self.watcher.runs

    def _on_clip(self, clip: Any, sketch: Any) -> None:
        recipe = getattr(clip, "recipe", None) or {}
        fps = self.fps or recipe.get("fps") or getattr(sketch, "defaults", {}).get("fps") or 24.0
        self.manager.define(self.name, clip, fps=float(fps))

    def _on_error(self, exc: BaseException) -> None:
        keeps = "the last good version keeps playing" if self.name in self.manager.loops else "nothing to play yet"
        self.notify(f"watch {self.path.name}: run {self.watcher.runs} failed ({keeps}):\n{self.format_error(exc)}")

    def start(self) -> "SketchWatch":
        """Start watching (the first run happens at once, on the watcher's thread)."""
        self.watcher.start()
        return self

    def stop(self) -> None:
        """Stop watching (the loop keeps playing; ``:stop NAME`` stops it)."""
        self.watcher.stop(timeout=2.0)
