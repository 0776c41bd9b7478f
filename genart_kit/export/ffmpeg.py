"""ffmpeg, as the ``video`` extra provides it (imageio-ffmpeg): finding the binary, and the ``ffmetadata`` text
format that carries a recipe into and out of MP4/WebM containers. The lowest module of the video path: both
the writer (:mod:`genart_kit.export.video`) and the recipe reader (:mod:`genart_kit.export.recipe`) use it.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from ..errors import ExportError, MissingDependencyError

_HINT = "install the video extra: pip install 'genart-kit[video]' (it provides imageio-ffmpeg and an ffmpeg binary)"


def _ffmpeg_exe() -> str:
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise MissingDependencyError(f"MP4/WebM export needs imageio-ffmpeg; {_HINT}, or export .gif/.webp instead.")
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # pragma: no cover - broken install
        raise MissingDependencyError(f"imageio-ffmpeg found no ffmpeg binary ({exc}); {_HINT}.") from exc


def read_video_comment(path: str | Path) -> str | None:
    """The ``comment`` metadata tag of a video container (via ``ffmpeg -f ffmetadata``), or None.

    Raises:
        MissingDependencyError: imageio-ffmpeg is not installed.
        ExportError: ffmpeg cannot read the file.
    """
    exe = _ffmpeg_exe()
    proc = subprocess.run([exe, "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"], capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise ExportError(f"ffmpeg cannot read '{path}': {proc.stderr.decode(errors='replace').strip()[:300]}")
    lines = proc.stdout.decode("utf-8", errors="replace").split("\n")
    # ffmetadata escapes '=', ';', '#', '\' and newline with a backslash; a trailing '\' continues the line
    joined: list[str] = []
    buf = ""
    for line in lines:
        if line.endswith("\\") and not line.endswith("\\\\"):
            buf += line[:-1] + "\n"
            continue
        joined.append(buf + line)
        buf = ""
    for line in joined:
        if line.lower().startswith("comment="):
            raw = line[len("comment="):]
            out, i = [], 0
            while i < len(raw):
                if raw[i] == "\\" and i + 1 < len(raw):
                    out.append(raw[i + 1])
                    i += 2
                else:
                    out.append(raw[i])
                    i += 1
            return "".join(out)
    return None
