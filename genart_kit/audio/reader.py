"""Read an audio file: a mono float32 signal for analysis, the original kept for muxing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from ._deps import need

#: Files longer than this are refused unless ``max_seconds`` is raised (bounded work, no hang).
MAX_SECONDS = 1200.0


@dataclass(frozen=True)
class Audio:
    """A loaded track.

    Attributes:
        samples: mono signal, numpy float32 ``[N]`` in [-1, 1] (channels averaged), at ``sr``.
        sr: sample rate in Hz (the file's own rate).
        path: the file it came from (muxing copies the original stream from here), or None when synthesised.
        channels: number of channels in the file.
    """

    samples: Any
    sr: int
    path: Path | None = None
    channels: int = 1

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / float(self.sr)


def load(path: str | os.PathLike[str], *, max_seconds: float = MAX_SECONDS) -> Audio:
    """Read WAV/FLAC/OGG with soundfile (libsndfile; MP3 where libsndfile >= 1.1 decodes it).

    Args:
        path: audio file.
        max_seconds: refuse longer files (seconds) so analysis stays bounded.

    Returns:
        :class:`Audio` with mono float32 samples ``[N]``.

    Raises:
        MissingDependencyError: the ``audio`` extra is not installed.
        InvalidInputError: the file is missing, unreadable, empty or longer than *max_seconds*.
    """
    np = need("numpy")
    sf = need("soundfile")
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"audio file {str(p)!r} does not exist; pass the path of a WAV, FLAC or OGG file")
    try:
        info = sf.info(str(p))
    except Exception as exc:  # libsndfile raises its own RuntimeError/LibsndfileError
        raise InvalidInputError(f"cannot read {str(p)!r} as audio ({exc}); convert it to WAV, FLAC or OGG") from exc
    if info.frames <= 0:
        raise InvalidInputError(f"audio file {str(p)!r} holds no samples; pass a file with sound in it")
    if info.frames / info.samplerate > max_seconds:
        raise InvalidInputError(
            f"audio file {str(p)!r} lasts {info.frames / info.samplerate:.0f} s, over the limit of {max_seconds:.0f} s; "
            "trim it or pass max_seconds=")
    data, sr = sf.read(str(p), dtype="float32", always_2d=True)
    mono = data.mean(axis=1).astype(np.float32)
    if not np.all(np.isfinite(mono)):
        raise InvalidInputError(f"audio file {str(p)!r} contains NaN or infinite samples")
    return Audio(samples=mono, sr=int(sr), path=p, channels=int(data.shape[1]))
