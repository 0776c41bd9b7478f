"""The exclusive lock of a ``genart train`` run folder: OS locks (``flock`` / ``LockFileEx`` through the
``filelock`` package), so a crashed or killed run never leaves a stale lock behind, and a second run into the
same folder fails at once, naming the process that holds it.

Two locks are held: the lock file ``.genart-train.lock`` (which records its holder: pid, host, start time) and,
where the OS allows it (POSIX), the folder itself, so that deleting the lock file during a run does not let a
second run in.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import InvalidInputError

__all__ = ["LOCK_NAME", "hold_run_lock", "lock_owner"]

LOCK_NAME = ".genart-train.lock"
_MAX_OWNER_BYTES = 4096  # what a holder writes is about 100 bytes; never read more of a file another process wrote


def _owner_record() -> bytes:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}).encode()


def _write_owner(fd: int) -> None:
    """``on_acquired`` callback: replace the lock file's contents by this process's record (best effort)."""
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, _owner_record())
    except OSError:  # a lock without a record still locks; the contender then names no pid
        pass


def lock_owner(lock_path: Path) -> dict[str, Any] | None:
    """The holder recorded in *lock_path* (``{"pid": int, "host": str, "started": str}``), or ``None`` when the
    file is missing, unreadable, not yet written or not such a record. Never raises."""
    try:
        with open(lock_path, "rb") as fh:
            data = json.loads(fh.read(_MAX_OWNER_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # ValueError covers JSON and UTF-8 decoding errors
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int) or isinstance(data.get("pid"), bool):
        return None
    return {"pid": data["pid"], "host": str(data.get("host") or "?"), "started": str(data.get("started") or "?")}


def _in_use(out: Path, lock_path: Path, deleted: bool = False) -> InvalidInputError:
    owner = None if deleted else lock_owner(lock_path)
    if owner:
        who = f"pid {owner['pid']} on {owner['host']}, started {owner['started']}"
    elif deleted:
        who = f"its lock file {lock_path.name} was deleted, but that process still holds the folder"
    else:
        who = f"lock {lock_path}"
    return InvalidInputError(f"--out '{out}' is in use by another running genart train ({who}); wait for it to "
                             "finish or stop it, or pick another --out.")


@contextlib.contextmanager
def _folder_lock(out: Path, lock_path: Path) -> Iterator[None]:
    """Lock the folder *out* itself (POSIX ``flock`` on a directory descriptor); a no-op where the OS cannot
    open or lock a directory (Windows, some network file systems)."""
    from filelock import lock_descriptor, unlock_descriptor

    try:
        fd = os.open(out, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            locked = lock_descriptor(fd, blocking=False)
        except OSError:  # no flock on directories here: the lock file alone guards the folder
            locked = None
        if locked is False:
            raise _in_use(out, lock_path, deleted=not lock_path.exists())
        try:
            yield
        finally:
            if locked:
                unlock_descriptor(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def hold_run_lock(out: Path) -> Iterator[None]:
    """Hold the exclusive lock of the existing run folder *out* for the ``with`` block.

    The lock file stays in the folder after the run (deleting it after release could let a run that took it in
    between lose it); left by a finished or killed run, it blocks nothing.

    Raises:
        InvalidInputError: another process holds the folder (the message names its pid, host and start time
            when it recorded them, and the folder), or the lock file is unusable.
    """
    from filelock import FileLock, Timeout

    lock_path = out / LOCK_NAME
    lock = FileLock(str(lock_path), timeout=0, preserve_lock_file=True, on_acquired=_write_owner)
    try:
        lock.acquire()
    except Timeout:
        raise _in_use(out, lock_path) from None
    except OSError as exc:
        raise InvalidInputError(
            f"cannot lock the run folder --out '{out}': its lock file '{lock_path}' is unusable ({exc.strerror or exc}); "
            "make the folder writable, or delete that lock file if no genart train is running there."
        ) from None
    try:
        with _folder_lock(out, lock_path):
            yield
    finally:
        lock.release()
