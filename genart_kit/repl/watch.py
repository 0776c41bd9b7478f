"""``:watch FILE``: re-run a sketch file on every save and play the result as a live loop.

Behaves like ``genart run --watch`` (and vsketch's ``vsk run``): each time the file's modification time or
size changes, the sketch is re-loaded and re-rendered in the background; a good render is swapped into the
preview at the next cycle, an error is printed and the last good picture keeps playing.

The file is polled (every 0.25 s by default): no extra dependency, and it works on network file systems
and with editors that save by renaming a temporary file.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError

log = logging.getLogger(__name__)

__all__ = ["SketchWatch", "loop_name_for"]


def loop_name_for(path: Path) -> str:
    """Loop name used for a watched sketch: its file stem made URL-safe (``latent_walk``)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem) or "sketch"
    if not (stem[0].isalpha() or stem[0] == "_"):
        stem = "_" + stem
    return stem[:64]


def render_sketch(path: Path, overrides: dict[str, Any] | None = None, **options: Any) -> Any:
    """Load the sketch at *path* and render it to a clip (``genart_kit.sketch``'s loader, freshly each time).

    Args:
        path: the sketch file.
        overrides: parameter overrides (``--param NAME=VALUE``).
        **options: ``seed``, ``frames``, ``fps``, ``size`` as for ``genart run`` (``None`` = the sketch's own).

    Returns:
        a clip-like object.
    """
    from ..sketch import load_sketch

    sketch = load_sketch(path)
    opts = {k: v for k, v in options.items() if v is not None}
    return sketch.render(overrides or {}, **opts)


class SketchWatch:
    """Polls one sketch file and (re)defines its loop on every change.

    Args:
        path: the sketch file (must exist).
        manager: the session's :class:`~genart_kit.repl.loops.LoopManager`.
        name: loop name (default :func:`loop_name_for`).
        fps: playback rate in frames per second (default: the sketch's fps, else 24).
        interval: polling period in seconds.
        overrides / options: passed to :func:`render_sketch`.

    Raises:
        InvalidInputError: the file does not exist or is not a ``.py`` file.
    """

    def __init__(self, path: str | os.PathLike[str], manager: Any, *, name: str | None = None, fps: float | None = None,
                 interval: float = 0.25, overrides: dict[str, Any] | None = None, **options: Any) -> None:
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise InvalidInputError(f"sketch file not found: {str(path)!r}; give the path of a .py sketch.")
        if self.path.suffix != ".py":
            raise InvalidInputError(f"{str(path)!r} is not a Python sketch (.py).")
        self.manager = manager
        self.name = name or loop_name_for(self.path)
        self.fps = fps
        self.interval = interval
        self.overrides = overrides or {}
        self.options = options
        self.runs = 0
        self._stop = threading.Event()
        self._stamp: tuple[float, int] | None = None
        self._thread = threading.Thread(target=self._poll, name=f"genart-watch-{self.name}", daemon=True)

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime, st.st_size)

    def trigger(self) -> None:
        """Re-render now (the first render, and every change)."""
        self.runs += 1
        path, overrides, options = self.path, dict(self.overrides), dict(self.options)

        def build() -> Any:
            return render_sketch(path, overrides, **options)

        fps = self.fps or options.get("fps") or 24.0
        self.manager.define(self.name, build, fps=fps)

    def start(self) -> "SketchWatch":
        """Render once and start polling."""
        self._stamp = self._file_stamp()
        self.trigger()
        self._thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            stamp = self._file_stamp()
            if stamp is not None and stamp != self._stamp:
                self._stamp = stamp
                try:
                    self.trigger()
                except Exception as exc:  # noqa: BLE001 - keep watching whatever happens
                    log.warning("watch %s: %s", self.path, exc)

    def stop(self) -> None:
        """Stop polling (the loop keeps playing; ``:stop NAME`` stops it)."""
        self._stop.set()
