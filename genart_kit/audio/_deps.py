"""Import the ``audio`` extra's libraries on demand, with a toolkit error when they are missing."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import MissingDependencyError


def need(module: str) -> Any:
    """Import and return *module* (``"librosa"``, ``"soundfile"``).

    Raises:
        MissingDependencyError: the module is not installed; the message names the extra to install.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"audio analysis needs {module!r}, which is not installed ({exc}); "
            "install the audio extra: pip install 'genart-kit[audio]'") from exc
