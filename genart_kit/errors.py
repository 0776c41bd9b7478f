"""The toolkit's one exception family.

Every error the toolkit raises on purpose derives from :class:`GenartError`. Its message says what was
wrong *and* how to fix it; the ``genart`` command prints it as one line (``--debug`` adds the traceback)
and exits with status 1. Subclasses also derive from the matching built-in exception (``ValueError``,
``KeyError``, ...) so ordinary ``except ValueError`` code keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GenartError(Exception):
    """Base class of every deliberate toolkit error. ``str(err)`` is a complete, user-facing sentence."""


class UnknownNameError(GenartError, LookupError):
    """A model, op, renderer, exporter, conditioner, dataset, plugin or parameter name is not known."""

    def __str__(self) -> str:  # LookupError/KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class InvalidInputError(GenartError, ValueError):
    """A value (shape, dtype, range, NaN, file content, parameter) is not acceptable."""


class PluginError(GenartError):
    """A plugin failed to import, failed validation, raised in a hook or collided with another plugin."""


class CheckpointError(GenartError):
    """A checkpoint or weights file is missing, unsafe, corrupt or for a different architecture."""


class DatasetError(GenartError):
    """A dataset could not be found or read (for example MNIST offline with no local files)."""


class ExportError(GenartError):
    """An animation or image could not be written (unwritable path, unsupported format, bad fps)."""


class MissingDependencyError(GenartError, ImportError):
    """An optional dependency (an extra such as ``genart-kit[video]``) is not installed."""


class Cancelled(GenartError):
    """Work was cancelled by the user (Ctrl-C in the REPL, ``stop()`` on a render)."""


def suggest(name: str, choices: Iterable[str], *, n: int = 3) -> str:
    """Return ``" Did you mean 'a' or 'b'?"`` for the closest matches of *name* in *choices*, or ``""``.

    Case is ignored (``GAN`` suggests ``gan``); otherwise :func:`difflib.get_close_matches` (ratio cutoff 0.5).
    """
    choices = list(choices)
    folded = {c.casefold(): c for c in choices}
    matches = [folded[name.casefold()]] if name.casefold() in folded else []
    matches += [folded[m] for m in difflib.get_close_matches(name.casefold(), list(folded), n=n, cutoff=0.5) if folded[m] not in matches]
    matches = matches[:n]
    if not matches:
        return ""
    quoted = [f"'{m}'" for m in matches]
    return " Did you mean " + (" or ".join(quoted) if len(quoted) < 3 else ", ".join(quoted[:-1]) + " or " + quoted[-1]) + "?"


def unknown_name(kind: str, name: str, choices: Iterable[str], *, hint: str = "") -> UnknownNameError:
    """Build the standard "unknown <kind> 'name'" error, with close matches and the full list of choices."""
    choices = sorted(choices)
    available = ", ".join(choices) if choices else "(none registered)"
    msg = f"unknown {kind} '{name}'.{suggest(name, choices)} Available: {available}."
    if hint:
        msg += " " + hint
    return UnknownNameError(msg)
