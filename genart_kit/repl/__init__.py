"""The live-coding REPL (``genart repl``), built on prompt_toolkit.

Modules (all loaded lazily; importing this package imports neither prompt_toolkit nor torch):

* :mod:`~genart_kit.repl.app` - the session: prompt, key bindings, code execution, output;
* :mod:`~genart_kit.repl.background` - jobs off the prompt thread, Ctrl-C cancellation, torch preloading;
* :mod:`~genart_kit.repl.loops` - named live loops swapped at their next cycle;
* :mod:`~genart_kit.repl.clock` - the session's shared clock (tempo, beats) that keeps loops in phase;
* :mod:`~genart_kit.repl.preview_term` / :mod:`~genart_kit.repl.preview_web` - terminal and browser previews;
* :mod:`~genart_kit.repl.completion`, :mod:`~genart_kit.repl.commands`, :mod:`~genart_kit.repl.helpers`,
  :mod:`~genart_kit.repl.watch`.
"""

from __future__ import annotations

from .._lazy import lazy_attributes

__all__ = ["Repl", "main", "LoopManager", "PreviewServer"]

_LAZY = {"Repl": "app", "main": "app", "LoopManager": "loops", "PreviewServer": "preview_web"}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
