"""Atomic writes: a temporary file in the target folder, then :func:`os.replace`.

An export that fails, or is interrupted (``KeyboardInterrupt``), never leaves a half-written file under the
final name and never leaves temporary files behind: the temporary name is removed on every exception,
``BaseException`` included. :func:`os.replace` is atomic on POSIX and Windows when source and target are in
the same folder, which is why the temporary file is created next to the target rather than in ``/tmp``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import ExportError

__all__ = ["check_target", "atomic_path", "atomic_dir", "remove_quietly", "remove_partials", "os_error_message"]

_REASONS = {
    errno.ENOSPC: "no space left on device: free space or choose another folder",
    errno.EDQUOT: "disk quota exceeded: free space or choose another folder",
    errno.EFBIG: "file too large for this file system: choose another folder or a smaller output",
    errno.ENAMETOOLONG: "file name too long: choose a shorter name (most file systems allow 255 bytes per name)",
    errno.EACCES: "permission denied: fix the folder's permissions or choose another folder",
    errno.EPERM: "permission denied: fix the folder's permissions or choose another folder",
    errno.EROFS: "read-only file system: choose another folder",
    errno.ENOTDIR: "a part of the path is not a folder: choose a path inside an existing folder",
    errno.ENOENT: "the folder does not exist (any more): create it first or choose another folder",
    errno.EIO: "input/output error on the device: check the disk and try again",
}


def os_error_message(path: object, exc: OSError) -> str:
    """One-line, user-facing sentence for an :class:`OSError` raised while writing *path*.

    A known file-system errno gets its cause and fix; any other error (a writer's own ``OSError`` without an
    errno, such as Pillow's "cannot write mode RGBA as JPEG") is reported as it is, never guessed to be a
    permissions or free-space problem.
    """
    reason = _REASONS.get(exc.errno or -1)
    if reason is None:
        reason = str(exc.strerror or exc).strip() or type(exc).__name__
    return f"cannot write '{path}': {reason}."


def wrap_os_error(path: object, exc: OSError) -> ExportError:
    """An :class:`ExportError` for *exc* (chain it with ``raise ... from exc``)."""
    return ExportError(os_error_message(path, exc))


def check_target(path: str | os.PathLike[str], *, directory: bool = False) -> Path:
    """Validate an output path before any work is done and return it as a :class:`~pathlib.Path`.

    Args:
        path: the final output path (a file, or a folder when *directory* is true).
        directory: the output is a folder (PNG sequence).

    Raises:
        ExportError: the parent folder is missing, is not a folder or is not writable, or the target is an
            existing folder where a file is expected (the message says how to fix it).
    """
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise ExportError(f"output path must be a str or os.PathLike, got {type(path).__name__}; pass e.g. 'out.gif'.")
    try:
        raw = os.fspath(path)
    except TypeError as exc:
        raise ExportError(f"output path must be a str or os.PathLike, got {type(path).__name__}; pass e.g. 'out.gif'.") from exc
    if not isinstance(raw, str):
        raise ExportError(f"output path must be text, got {type(raw).__name__}; pass e.g. 'out.gif'.")
    if "\x00" in raw:
        raise ExportError(f"output path {raw!r} contains a NUL character; remove it.")
    p = Path(raw).expanduser()
    if str(p) == "":
        raise ExportError("output path is empty; pass a file name such as 'out.gif'.")
    if str(p) == "." or (not directory and raw.endswith(("/", os.sep))):
        raise ExportError(f"output path '{raw}' is a folder; give a file name inside it such as '{p / 'out.gif'}'.")
    try:
        return _check_target(p, directory)
    except OSError as exc:
        raise wrap_os_error(p, exc) from exc


def _check_target(p: Path, directory: bool) -> Path:
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise ExportError(f"cannot write '{p}': folder '{parent}' does not exist; create it first (mkdir -p '{parent}') or choose another path.")
    if not parent.is_dir():
        raise ExportError(f"cannot write '{p}': '{parent}' is not a folder; choose a path inside an existing folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write '{p}': folder '{parent}' is not writable; fix its permissions or choose another folder.")
    if not directory and p.is_dir():
        raise ExportError(f"cannot write '{p}': it is an existing folder; choose a file name such as '{p / ('out' + (p.suffix or '.gif'))}'.")
    if directory and p.exists() and not p.is_dir():
        raise ExportError(f"cannot write the frame folder '{p}': a file of that name exists; remove it or choose another name.")
    _check_name(p)
    return p


def _check_name(p: Path) -> None:
    """Refuse a final name the file system cannot hold before any work (the temporary name is shortened)."""
    try:
        limit = os.pathconf(p.parent if str(p.parent) else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    if len(os.fsencode(p.name)) > limit:
        raise OSError(errno.ENAMETOOLONG, "File name too long", str(p))


def _temp_parts(p: Path, kind: str) -> tuple[str, str]:
    # keep the real suffix last: some writers (ffmpeg) pick the container from it; shorten long stems so the
    # temporary name fits wherever the final name does
    return f".{p.stem[:64]}.{kind}-", p.suffix[:32]


def _temp_name(p: Path, kind: str) -> Path:
    prefix, suffix = _temp_parts(p, kind)
    return p.with_name(f"{prefix}{secrets.token_hex(4)}{suffix}")


def remove_partials(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files or folders an unfinished write of *path* left (a writer process that was
    killed cannot clean up after itself); returns what was removed. Only names :func:`atomic_path` and
    :func:`atomic_dir` make for *path* are touched."""
    p = Path(path)
    prefix, suffix = _temp_parts(p, "part")
    gone: list[Path] = []
    try:
        candidates = list((p.parent if str(p.parent) else Path(".")).iterdir())
    except OSError:
        return gone
    for q in candidates:
        name = q.name
        token = name[len(prefix):len(name) - len(suffix)] if name.startswith(prefix) and name.endswith(suffix) else ""
        if len(token) == 8 and all(c in "0123456789abcdef" for c in token):
            remove_quietly(q)
            gone.append(q)
    return gone


def remove_quietly(path: Path) -> None:
    """Remove a file or folder tree if it exists, ignoring errors (cleanup paths only)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # pragma: no cover - best effort
        pass


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Context manager yielding a temporary path next to *path*; on success it is renamed onto *path*.

    The temporary file is created empty (mode ``0o666`` minus the umask, like an ordinary file) so the
    caller may open it for writing, or let a library (Pillow, ffmpeg) overwrite it. On any exception,
    ``KeyboardInterrupt`` included, the temporary file is removed and the exception propagates; an existing
    file under the final name is left untouched.

    Raises:
        ExportError: the folder is missing or not writable (see :func:`check_target`).
    """
    p = check_target(path)
    for _ in range(100):
        tmp = _temp_name(p, "part")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        except OSError as exc:
            raise wrap_os_error(p, exc) from exc
        os.close(fd)
        break
    else:  # pragma: no cover
        raise ExportError(f"cannot create a temporary file next to '{p}'.")
    try:
        yield tmp
        _check_name(p)
        os.replace(tmp, p)
    except BaseException as exc:
        remove_quietly(tmp)
        if isinstance(exc, OSError):
            raise wrap_os_error(p, exc) from exc
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, marker: str) -> Iterator[Path]:
    """Context manager yielding a temporary folder next to *path*; on success it replaces *path*.

    Used by the PNG-sequence exporter. A folder that already exists under the final name is replaced only
    if it is empty or was written by the toolkit (it contains the file *marker*); otherwise the export is
    refused, so a typo never deletes someone's folder. The swap is two renames (old folder aside, new folder
    in place); a crash between them leaves the old folder under a hidden ``.name.old-*`` name, never a
    half-written folder under the final name.

    Raises:
        ExportError: the parent folder is missing or unwritable, or the target folder holds foreign files.
    """
    p = check_target(path, directory=True)
    if p.is_dir() and any(p.iterdir()) and not (p / marker).is_file():
        raise ExportError(f"refusing to overwrite folder '{p}': it is not empty and was not written by genart-kit "
                          f"(no {marker}); choose a new or empty folder.")
    _check_name(p)
    tmp = _temp_name(p, "part")
    try:
        tmp.mkdir()
    except OSError as exc:
        raise wrap_os_error(p, exc) from exc
    try:
        yield tmp
        old = None
        if p.exists():
            old = _temp_name(p, "old")
            os.replace(p, old)
        os.replace(tmp, p)
        if old is not None:
            remove_quietly(old)
    except BaseException as exc:
        remove_quietly(tmp)
        if isinstance(exc, OSError):
            raise wrap_os_error(p, exc) from exc
        raise
