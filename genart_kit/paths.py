"""Where genart-kit keeps files of its own: one home for the cache and data folders (issue 16).

The platform's conventions come from `platformdirs <https://platformdirs.readthedocs.io>`_ (XDG on Linux,
``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows); environment variables override them.
Importing this module imports no heavy library.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "genart-kit"


def cache_dir() -> Path:
    """The cache folder (decompressed MNIST, rendered emoji, the demo track): ``$GENART_CACHE_DIR`` if set, else
    the platform's user cache folder (``$XDG_CACHE_HOME/genart-kit``, ``~/.cache/genart-kit`` on Linux).
    Not created here."""
    override = os.environ.get("GENART_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def data_dir() -> Path:
    """The data folder (the REPL's history): the platform's user data folder (``$XDG_DATA_HOME/genart-kit``,
    ``~/.local/share/genart-kit`` on Linux). Not created here."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))
