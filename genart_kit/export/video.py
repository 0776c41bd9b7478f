"""MP4 (H.264) and WebM (VP9) export with the ffmpeg of imageio's ffmpeg plugin (extra ``genart-kit[video]``).

``imageio-ffmpeg`` supplies the ffmpeg binary; frames are piped to it one at a time (bounded memory). The
subprocess is driven here rather than through ``imageio.get_writer`` because that writer does not check
ffmpeg's exit status (a failed encode would be renamed into place as a broken file); here a non-zero exit
raises :class:`~genart_kit.errors.ExportError` with ffmpeg's own message and nothing is written. Determinism: ffmpeg runs with
``-fflags +bitexact -flags:v +bitexact`` (no encoder version or creation time in the container) and
single-threaded encoding where a codec's threading could change the bitstream, so the same frames give the
same bytes with the same ffmpeg build. Odd widths/heights are padded by one replicated pixel row/column
(yuv420p needs even sizes). The recipe goes into the container's ``comment`` tag; it reaches ffmpeg in an
``ffmetadata`` file in a private temporary folder (``-i meta.txt -map_metadata``), never on its command line, where
a large sketch's source would pass the OS limit on one argument ("Argument list too long") and every local user
could read it with ``ps``.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ExportError, InvalidInputError
from .atomic import atomic_path, check_target
from .frames import FrameStream, _fraction, check_fps
from .ffmpeg import _ffmpeg_exe, read_video_comment  # read_video_comment: re-exported from its old home
from .recipe import RECIPE_KEY, dumps_recipe

log = logging.getLogger(__name__)

__all__ = ["VideoExporter", "MP4", "WEBM", "read_video_comment"]

class VideoExporter:
    """MP4 or WebM writer. Registered as ``"mp4"`` (``.mp4``, ``.m4v``, ``.mov``) and ``"webm"`` (``.webm``).

    Args:
        name: ``"mp4"`` or ``"webm"``.
    """

    CODECS = {"mp4": ("libx264", "mp4"), "webm": ("libvpx-vp9", "webm")}

    def __init__(self, name: str) -> None:
        if name not in self.CODECS:
            raise InvalidInputError(f"unknown video format {name!r}; use 'mp4' or 'webm'.")
        self.name = name
        self.suffixes = (".mp4", ".m4v", ".mov") if name == "mp4" else (".webm",)

    def write(self, path: str | Path, batches: Iterable[np.ndarray], *, fps: float, total_frames: int | None = None,
              recipe: dict[str, Any] | None = None, crf: int | None = None, preset: str = "medium",
              audio: Any = None) -> Path:
        """Encode *batches* to *path* with ffmpeg and return *path*.

        Args:
            path: output file; its folder must exist.
            batches: iterable of uint8 ``[B, H, W, C]``, C in {1, 3, 4}. Alpha is kept in WebM (yuva420p) and
                dropped in MP4 (composited on black).
            fps: frames per second (> 0), passed to ffmpeg as an exact fraction (29.97 -> 2997/100).
            total_frames: optional hint, only checked.
            recipe: JSON-serialisable dict stored in the container's ``comment`` tag.
            crf: constant rate factor, lower = better (H.264 0..51, default 18; VP9 0..63, default 30).
            preset: x264 speed/size preset (``ultrafast`` .. ``veryslow``); ignored for WebM.
            audio: optional soundtrack muxed from time 0 (AAC in MP4, Opus in WebM): an audio file path, or a
                :class:`genart_kit.audio.Audio` (its file, or its samples written to a temporary WAV).

        Raises:
            MissingDependencyError: ``imageio-ffmpeg`` is not installed (``pip install 'genart-kit[video]'``).
            ExportError: bad fps, unwritable path, no frames, or ffmpeg failed (its message is included).
            InvalidInputError: bad frames or options.
        """
        fps = check_fps(fps)
        codec, fmt = self.CODECS[self.name]
        hi = 51 if self.name == "mp4" else 63
        crf = (18 if self.name == "mp4" else 30) if crf is None else crf
        if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= hi:
            raise InvalidInputError(f"crf must be an integer 0..{hi} for {self.name}, got {crf!r}.")
        presets = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
        if preset not in presets:
            raise InvalidInputError(f"preset must be one of {', '.join(presets)}, got {preset!r}.")
        if not 0.01 <= fps <= 1000:
            raise ExportError(f"video frame rates must be between 0.01 and 1000 fps, got {fps:g}; pass e.g. fps=24.")
        text = dumps_recipe(recipe)
        target = check_target(path)
        exe = _ffmpeg_exe()
        stream = FrameStream(batches, max_side=16384, fmt=self.name.upper())
        h, w, c = stream.peek()
        alpha = c == 4 and self.name == "webm"
        rate = _fraction(fps).limit_denominator(1_000_000)
        pad_h, pad_w = h % 2, w % 2
        cmd = [exe, "-y", "-hide_banner", "-nostdin", "-v", "error", "-f", "rawvideo", "-vcodec", "rawvideo",
               "-s", f"{w + pad_w}x{h + pad_h}", "-pix_fmt", "rgba" if alpha else "rgb24",
               "-r", f"{rate.numerator}/{rate.denominator}", "-i", "-"]
        with tempfile.TemporaryDirectory() as scratch:  # mode 0700: only this user reads the metadata file
            sound = _audio_input(audio, Path(scratch))
            meta = _metadata_file(text, Path(scratch)) if text else None
            return self._encode(cmd, sound, meta, codec, alpha, fmt, crf, preset, target, stream, c, pad_h, pad_w,
                                total_frames)

    def _encode(self, cmd: list[str], sound: str | None, meta: str | None, codec: str, alpha: bool, fmt: str,
                crf: int, preset: str, target: Path, stream: FrameStream, c: int, pad_h: int, pad_w: int,
                total_frames: int | None) -> Path:
        """Run ffmpeg on the prepared input command (see :meth:`write`); *meta* is the ffmetadata file or None."""
        maps = ["-map", "0:v:0"]
        if sound is None:
            cmd += ["-an"]
        else:
            cmd += ["-i", sound]
            maps += ["-map", "1:a:0", "-flags:a", "+bitexact", "-c:a", "aac" if self.name == "mp4" else "libopus",
                     "-b:a", "160k"]
        if meta is not None:  # global tags from the last input; without one, none at all (bit-exact output)
            cmd += ["-f", "ffmetadata", "-i", meta]
        cmd += maps + ["-map_metadata", "-1" if meta is None else str(1 + (sound is not None)), "-map_chapters", "-1"]
        cmd += ["-vcodec", codec,
               "-pix_fmt", "yuva420p" if alpha else "yuv420p",
               "-f", fmt, "-fflags", "+bitexact", "-flags:v", "+bitexact", "-crf", str(crf)]
        if self.name == "mp4":
            cmd += ["-preset", preset, "-threads", "1", "-movflags", "+faststart"]
        else:
            cmd += ["-b:v", "0", "-row-mt", "0", "-threads", "1", "-deadline", "good", "-cpu-used", "4"]
        with atomic_path(target) as tmp, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen(cmd + [str(tmp)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
            except OSError as exc:  # the encoder never ran: say so, not "cannot write" (the folder is fine)
                raise ExportError(f"cannot start ffmpeg ('{cmd[0]}') to write '{target}': {exc.strerror or exc}; "
                                  f"reinstall the video extra (pip install --force-reinstall imageio-ffmpeg) or "
                                  f"export .gif/.webp instead.") from exc
            assert proc.stdin is not None
            try:
                try:
                    for frame in stream.frames():
                        if c == 1:
                            frame = np.repeat(frame, 3, axis=-1)
                        elif c == 4 and not alpha:  # composite on black
                            a = frame[..., 3:].astype(np.uint16)
                            frame = ((frame[..., :3].astype(np.uint16) * a + 127) // 255).astype(np.uint8)
                        if pad_h or pad_w:
                            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
                        proc.stdin.write(np.ascontiguousarray(frame).tobytes())
                except BrokenPipeError:
                    pass  # ffmpeg stopped early: its exit status and message are reported below
                finally:
                    try:
                        proc.stdin.close()
                    except BrokenPipeError:
                        pass
                code = proc.wait()
            except BaseException:
                proc.kill()
                proc.wait()
                raise
            if code != 0:
                err.seek(0)
                msg = err.read().decode("utf-8", errors="replace").strip().splitlines()
                raise ExportError(f"ffmpeg failed to write '{target}' (exit status {code}): "
                                  f"{' | '.join(msg[-3:]) or 'no message'}.")
        if total_frames is not None and total_frames != stream.count:
            log.warning("total_frames=%s but the clip had %d frames", total_frames, stream.count)
        return target


def _metadata_file(text: str, scratch: Path) -> str:
    """Write the recipe *text* as an ffmetadata file (``comment`` tag) in *scratch* and return its path.

    ffmetadata escapes ``=``, ``;``, ``#``, ``\\`` and newline with a backslash (:func:`read_video_comment`
    undoes it). The file is UTF-8.
    """
    value = f"{RECIPE_KEY} {text}"
    escaped = "".join("\\" + ch if ch in "=;#\\\n" else ch for ch in value)
    out = scratch / "meta.txt"
    out.write_text(f";FFMETADATA1\ncomment={escaped}\n", encoding="utf-8")
    return str(out)


def _audio_input(audio: Any, scratch: Path) -> str | None:
    """A file path ffmpeg can read for *audio* (None, a path, or an object with ``path`` / ``samples`` + ``sr``).

    Raises:
        ExportError: the file does not exist or the object is not audio.
    """
    if audio is None:
        return None
    if isinstance(audio, (str, Path)):
        if not Path(audio).is_file():
            raise ExportError(f"audio file '{audio}' for muxing does not exist; pass an existing WAV/FLAC/OGG/MP3 file.")
        return str(audio)
    if getattr(audio, "path", None) is not None:
        return _audio_input(audio.path, scratch)
    samples, sr = getattr(audio, "samples", None), getattr(audio, "sr", None)
    if samples is None or not sr:
        raise ExportError(f"audio= takes a file path or a ga.audio.Audio, got {type(audio).__name__}.")
    import wave

    out = scratch / "sound.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sr))
        w.writeframes((np.clip(np.asarray(samples, np.float32), -1, 1) * 32767).astype("<i2").tobytes())
    return str(out)


MP4 = VideoExporter("mp4")
WEBM = VideoExporter("webm")
