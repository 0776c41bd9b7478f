"""How the REPL shows an exception from user code: toolkit errors as one line, other tracebacks without the
REPL's own frames (``:tb`` shows everything)."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from ..errors import Cancelled, GenartError

__all__ = ["format_exception", "INPUT_PREFIX"]

_REPL_DIR = str(Path(__file__).resolve().parent) + os.sep
INPUT_PREFIX = "<repl-"
"""File-name prefix of the code objects the REPL compiles from what the user types (``<repl-3>``)."""


def format_exception(exc: BaseException, *, full: bool = False, max_frames: int = 6) -> str:
    """Format a user-code exception.

    Short form (default): a toolkit error (:class:`~genart_kit.errors.GenartError`) is one line
    (``UnknownNameError: unknown model 'vea'. Did you mean 'vae'? ...``); anything else is a traceback
    without the REPL's own frames, limited to the first input frame plus the last *max_frames* frames, and
    without chained exceptions. ``full=True`` gives everything (``:tb``).
    """
    if isinstance(exc, (KeyboardInterrupt, Cancelled)) and not full:
        return f"{type(exc).__name__}: {exc}" if str(exc) else "KeyboardInterrupt"
    if isinstance(exc, GenartError) and not full:
        text = f"{type(exc).__name__}: {exc}"
        if len(text) > 600:  # e.g. an "Available: ..." list of 200 names: keep the start and the hint
            text = text[:380].rstrip() + " [... :tb shows all ...] " + text[-160:].lstrip()
        return text
    te = traceback.TracebackException.from_exception(exc)
    frames = [f for f in te.stack if not f.filename.startswith(_REPL_DIR)]
    hidden = 0
    if not full and len(frames) > max_frames + 1:
        first_user = next((i for i, f in enumerate(frames) if f.filename.startswith(INPUT_PREFIX)), None)
        keep = frames[-max_frames:]
        hidden = len(frames) - len(keep)
        if first_user is not None and frames[first_user] not in keep:
            keep = [frames[first_user]] + keep
            hidden -= 1
        frames = keep
    te.stack = traceback.StackSummary.from_list(frames)
    if not full:
        te.__cause__ = None
        te.__context__ = None
    text = "".join(te.format(chain=full))
    if hidden > 0:
        text = text.replace("Traceback (most recent call last):\n",
                            f"Traceback (most recent call last, {hidden} frames hidden; :tb shows all):\n", 1)
    return text.rstrip("\n")
