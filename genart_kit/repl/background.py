"""Work off the prompt's thread: cancellable jobs, progress reporting, lazy torch loading.

The REPL never runs user code on the thread that draws the prompt. Each input is a :class:`Job` run by a
:class:`JobRunner` on a persistent worker thread (so thread-local state such as ``torch.no_grad()`` or
``torch.set_num_threads`` survives from one input to the next), while the prompt thread waits, shows a
progress bar after a short delay, and turns Ctrl-C into :meth:`Job.cancel`.

Cancellation is delivered two ways, as ptpython/IPython-kernel style REPLs do:

* cooperatively: :meth:`Job.cancel` sets :attr:`Job.cancel_event`; streaming code (the REPL's own clip
  helpers, and any code that calls :func:`check_cancelled`) stops between batches with
  :class:`~genart_kit.errors.Cancelled`;
* asynchronously: ``ctypes.pythonapi.PyThreadState_SetAsyncExc`` raises ``KeyboardInterrupt`` in the
  worker thread at its next Python bytecode, which stops pure-Python loops (``while True: ...``). A thread
  stuck inside one long C call (a single huge torch op, ``time.sleep(600)``) only sees it when the call
  returns; after a grace period the REPL detaches such a job, discards its result and carries on with a
  fresh worker.

Progress: code running inside a job calls :func:`report_progress` (or uses :func:`materialize`, which does it
for clip-like objects); the prompt thread mirrors it into prompt_toolkit's
:class:`~prompt_toolkit.shortcuts.ProgressBar`.

This module imports neither torch nor numpy at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..context import render_defaults
from ..errors import Cancelled, InvalidInputError

log = logging.getLogger(__name__)

__all__ = [
    "Job",
    "JobRunner",
    "Preloader",
    "current_job",
    "report_progress",
    "check_cancelled",
    "materialize",
    "iter_uint8_batches",
    "clip_length",
    "is_clip_like",
]

_local = threading.local()


def current_job() -> "Job | None":
    """The :class:`Job` running on the calling thread, or ``None`` outside a REPL job."""
    return getattr(_local, "job", None)


def report_progress(completed: int, total: int | None = None, label: str | None = None) -> None:
    """Tell the REPL how far the current job is (no-op outside a REPL job).

    Args:
        completed: units done so far (frames, batches, steps), ``>= 0``.
        total: total units if known.
        label: optional short text shown next to the progress bar.
    """
    job = current_job()
    if job is not None:
        job.progress(completed, total, label)


def check_cancelled() -> None:
    """Raise :class:`~genart_kit.errors.Cancelled` if the current job was cancelled (no-op outside a job).

    Long loops call this between steps so Ctrl-C stops them promptly.
    """
    job = current_job()
    if job is not None and job.cancel_event.is_set():
        raise Cancelled("cancelled by Ctrl-C.")


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> int:
    """Raise *exc* in thread *thread_id* at its next bytecode (``None`` clears a pending one).

    Returns the number of thread states modified (0: the thread is gone).
    """
    import ctypes

    func = ctypes.pythonapi.PyThreadState_SetAsyncExc
    obj = ctypes.py_object(exc) if exc is not None else None
    return int(func(ctypes.c_ulong(thread_id), obj))


class Job:
    """One piece of work run off the prompt thread, with progress and cancellation.

    Attributes:
        label: short description shown in the progress bar.
        cancel_event: set by :meth:`cancel`; cooperative code polls it.
        done_event: set once the job has finished (any outcome).
        completed / total: progress units (``total`` is ``None`` when unknown).
        status: ``"pending"``, ``"running"``, ``"done"``, ``"error"`` or ``"cancelled"``.
        result: the function's return value (status ``"done"``).
        error: the exception raised (status ``"error"`` or ``"cancelled"``).
        started / finished: ``time.monotonic()`` stamps in seconds.
        detached: the REPL gave up waiting for it (its result is discarded).
    """

    def __init__(self, fn: Callable[[], Any], label: str = "running") -> None:
        self.fn = fn
        self.label = label
        self.cancel_event = threading.Event()
        self.done_event = threading.Event()
        self.completed = 0
        self.total: int | None = None
        self.status = "pending"
        self.result: Any = None
        self.error: BaseException | None = None
        self.started: float | None = None
        self.finished: float | None = None
        self.detached = False
        self.input_request: Any = None
        """Set by the REPL's ``input()`` when the job waits for an answer typed at the prompt."""
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._in_user_code = False
        self._interrupted = False

    # ------------------------------------------------------------------------------------ progress
    def progress(self, completed: int, total: int | None = None, label: str | None = None) -> None:
        """Record progress (thread-safe; see :func:`report_progress`)."""
        self.completed = max(0, int(completed))
        if total is not None:
            self.total = max(0, int(total))
        if label is not None:
            self.label = str(label)

    @property
    def elapsed(self) -> float:
        """Seconds since the job started (until it finished), 0.0 before it started."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    # -------------------------------------------------------------------------------------- cancel
    def cancel(self, *, interrupt: bool = True) -> None:
        """Ask the job to stop: set :attr:`cancel_event` and, with *interrupt*, raise ``KeyboardInterrupt``
        asynchronously in its thread (at most once, and only while it is inside the user function).
        Idempotent."""
        self.cancel_event.set()
        if not interrupt:
            return
        with self._lock:
            if self._in_user_code and self._thread_id is not None and not self._interrupted:
                self._interrupted = True
                _set_async_exc(self._thread_id, KeyboardInterrupt)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done; ``True`` if it is, ``False`` on timeout (seconds)."""
        return self.done_event.wait(timeout)

    # ----------------------------------------------------------------------------------------- run
    def _leave_user_code(self) -> None:
        with self._lock:
            if self._in_user_code:
                self._in_user_code = False
                # An interrupt sent just as the function returned must not hit the runner's own code.
                _set_async_exc(threading.get_ident(), None)

    def run_here(self) -> None:
        """Run the job on the calling thread, recording the outcome (never raises)."""
        _local.job = self
        self.started = time.monotonic()
        self.status = "running"
        try:
            try:
                with self._lock:
                    self._thread_id = threading.get_ident()
                    self._in_user_code = True
                # clip calls typed directly (clip.frames(), clip.save(...)) report to this job and obey Ctrl-C
                with render_defaults(progress=lambda done, total: self.progress(done, total), cancel=self.cancel_event,
                                     stage=lambda label: self.progress(self.completed, None, label)):
                    self.result = self.fn()
                self.status = "done"
            finally:
                self._leave_user_code()
        except (KeyboardInterrupt, Cancelled) as exc:
            self.status = "cancelled"
            self.error = exc
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit included
            self.status = "error"
            self.error = exc
        finally:
            self._leave_user_code()
            _local.job = None
            self.finished = time.monotonic()
            self.done_event.set()

    def __repr__(self) -> str:
        return f"<Job {self.label!r} {self.status} {self.completed}/{self.total if self.total is not None else '?'}>"


class _Worker(threading.Thread):
    """A daemon thread that runs submitted jobs one at a time."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._queue: list[Job] = []
        self._cond = threading.Condition()
        self.busy = False
        self.retired = False

    def submit(self, job: Job) -> None:
        with self._cond:
            self._queue.append(job)
            self.busy = True
            self._cond.notify()

    def retire(self) -> None:
        with self._cond:
            self.retired = True
            self._cond.notify()

    def run(self) -> None:  # pragma: no cover - exercised through JobRunner
        while True:
            try:
                with self._cond:
                    while not self._queue and not self.retired:
                        self._cond.wait()
                    if not self._queue:
                        return
                    job = self._queue.pop(0)
                job.run_here()
                with self._cond:
                    self.busy = bool(self._queue)
                    if self.retired and not self._queue:
                        return
            except KeyboardInterrupt:
                # A stray asynchronous interrupt landed outside user code: keep serving.
                continue


class JobRunner:
    """Runs jobs on a persistent worker thread; replaces the worker when a job is detached.

    Args:
        name: thread-name prefix.
    """

    def __init__(self, name: str = "genart-repl-worker") -> None:
        self._name = name
        self._count = 0
        self._worker: _Worker | None = None
        self._lock = threading.Lock()

    def _get_worker(self) -> _Worker:
        with self._lock:
            if self._worker is None or not self._worker.is_alive() or self._worker.retired:
                self._count += 1
                self._worker = _Worker(f"{self._name}-{self._count}")
                self._worker.start()
            return self._worker

    def submit(self, fn: Callable[[], Any], label: str = "running") -> Job:
        """Queue ``fn()`` as a :class:`Job` and return it immediately."""
        job = Job(fn, label)
        self._get_worker().submit(job)
        return job

    def detach(self, job: Job) -> None:
        """Give up on *job* (it did not stop after cancellation): its worker retires when it returns and
        the next job gets a fresh worker."""
        job.detached = True
        with self._lock:
            if self._worker is not None:
                self._worker.retire()
                self._worker = None

    def shutdown(self) -> None:
        """Retire the worker (daemon thread: it never blocks interpreter exit)."""
        with self._lock:
            if self._worker is not None:
                self._worker.retire()
                self._worker = None


# ------------------------------------------------------------------------------------------ preload


class Preloader:
    """Imports the heavy modules (torch, the pipeline, the registry's plugins) on a background thread.

    The REPL starts this right after its prompt is ready, so plain Python typed at the first prompt is
    answered at once; the first expression that needs torch simply waits (Python's import lock makes a
    concurrent ``import torch`` wait for the one in progress), under a spinner labelled by :attr:`stage`.

    Args:
        modules: module names imported in order; failures are logged and recorded, never raised.
        after: optional callable run at the end (e.g. warming the registry).
    """

    DEFAULT_MODULES = ("torch", "genart_kit.generative", "genart_kit.pipeline", "genart_kit.latent", "genart_kit.render")

    def __init__(self, modules: tuple[str, ...] = DEFAULT_MODULES, after: Callable[[], Any] | None = None) -> None:
        self.modules = modules
        self.after = after
        self.stage = "not started"
        self.errors: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Preloader":
        """Start the background thread (idempotent) and return self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="genart-preload", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        import importlib

        t0 = time.perf_counter()
        for name in self.modules:
            self.stage = f"loading {name.split('.')[-1] if name != 'torch' else 'torch'}"
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - recorded and shown when the module is used
                self.errors[name] = f"{type(exc).__name__}: {exc}"
                log.debug("preload of %s failed: %s", name, exc)
            self.timings[name] = time.perf_counter() - t0
        if self.after is not None:
            self.stage = "loading plugins"
            try:
                self.after()
            except Exception as exc:  # noqa: BLE001
                self.errors["after"] = f"{type(exc).__name__}: {exc}"
        self.timings["total"] = time.perf_counter() - t0
        self.stage = "ready"
        self.done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until preloading finished; ``True`` if it did within *timeout* seconds."""
        return self.done.wait(timeout)


# ---------------------------------------------------------------------------------- clip-likes


def is_clip_like(obj: Any) -> bool:
    """Whether *obj* can be turned into frames: has ``iter_uint8``, ``iter_frames`` or ``frames``, or is a
    numpy array / torch tensor."""
    if any(callable(getattr(obj, a, None)) for a in ("iter_uint8", "iter_frames", "frames")):
        return True
    mod = type(obj).__module__ or ""
    return type(obj).__name__ in ("ndarray", "Tensor") and mod.split(".")[0] in ("numpy", "torch")


def clip_length(obj: Any) -> int | None:
    """Number of frames of a clip-like object if cheaply known (``len``), else ``None``."""
    try:
        n = len(obj)
    except Exception:  # noqa: BLE001 - any object may refuse len()
        return None
    return int(n) if isinstance(n, int) or hasattr(n, "__index__") else None


def _to_uint8_thwc(arr: Any, what: str) -> Any:
    """Normalise an array-like of frames to numpy uint8 ``[T, H, W, C]`` with C in (1, 3, 4).

    Accepts numpy or torch; ``[T, H, W, C]`` (numpy convention), ``[T, C, H, W]`` torch/float frames
    (C in 1, 3, 4 with H, W > 4), ``[T, H, W]`` (grey), or a single image ``[H, W, C]``. Floats must be
    in [0, 1].
    """
    import numpy as np

    mod = (type(arr).__module__ or "").split(".")[0]
    given = list(getattr(arr, "shape", ()))
    channels_first = False
    if mod == "torch":
        arr = arr.detach().to("cpu")
        channels_first = True
        arr = arr.numpy()
        if arr.ndim == 3:  # a single [C, H, W] image
            arr = arr[None]
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[-1] in (1, 3, 4) and not channels_first and arr.shape[0] > 4:
        arr = arr[None]  # a single [H, W, C] image
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4:
        raise InvalidInputError(
            f"{what} must be frames [T, H, W, C] (uint8) or [T, C, H, W] (float in [0, 1]); got shape {list(arr.shape)}."
        )
    if channels_first or (arr.shape[1] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4)):
        arr = arr.transpose(0, 2, 3, 1)
    if arr.shape[-1] not in (1, 3, 4):
        raise InvalidInputError(f"{what} has {arr.shape[-1]} channels (shape {given}); frames need 1 (grey), "
                                f"3 (RGB) or 4 (RGBA).")
    if 0 in arr.shape:
        raise InvalidInputError(f"{what} is empty (shape {list(arr.shape)}); render at least one frame.")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.bool_:
        return np.ascontiguousarray(arr.astype(np.uint8) * 255)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InvalidInputError(f"{what} contains NaN or infinite values; check the op or renderer that produced it.")
        return np.ascontiguousarray((np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise InvalidInputError(f"{what} has integer values outside 0..255; pass uint8 frames or floats in [0, 1].")
        return np.ascontiguousarray(arr.astype(np.uint8))
    raise InvalidInputError(f"{what} has dtype {arr.dtype}; pass uint8 frames or floats in [0, 1].")


def accepts(fn: Any, name: str) -> bool:
    """Whether callable *fn* takes a keyword argument *name* (directly or through ``**kwargs``)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def stream_options(fn: Any, cancel: threading.Event | None) -> dict[str, Any]:
    """``{"cancel": event}`` for a clip method that supports cooperative cancellation (the pipeline's
    ``Clip.iter_frames``/``iter_uint8``/``save`` do), else ``{}``. The event is *cancel*, or the current
    REPL job's."""
    job = current_job()
    event = cancel if cancel is not None else (job.cancel_event if job is not None else None)
    if event is None or not accepts(fn, "cancel"):
        return {}
    return {"cancel": event}


def iter_uint8_batches(clip: Any, batch_size: int = 32, *, what: str = "clip",
                       cancel: threading.Event | None = None) -> Iterator[Any]:
    """Stream a clip-like object as numpy uint8 ``[B, H, W, C]`` batches.

    Uses, in order of preference: ``clip.iter_uint8(batch_size)``, ``clip.iter_frames(batch_size=...)``
    (float ``[B, C, H, W]`` in [0, 1]), ``clip.frames()``, or the object itself if it is an array/tensor.
    Clips whose methods take ``cancel=`` get *cancel* (or the current job's cancel event).

    Raises:
        InvalidInputError: *clip* is not clip-like or yields bad frames.
    """
    if callable(getattr(clip, "iter_uint8", None)):
        source = clip.iter_uint8(batch_size, **stream_options(clip.iter_uint8, cancel))
    elif callable(getattr(clip, "iter_frames", None)):
        source = clip.iter_frames(batch_size=batch_size, **stream_options(clip.iter_frames, cancel))
    elif callable(getattr(clip, "frames", None)):
        source = iter([clip.frames()])
    elif is_clip_like(clip):
        source = iter([clip])
    else:
        raise InvalidInputError(
            f"{what} must be a clip (e.g. `path | vae | ga.render.colormap('magma')`), a numpy array [T, H, W, C] "
            f"or a tensor [T, C, H, W]; got {type(clip).__name__}."
        )
    for batch in source:
        yield _to_uint8_thwc(batch, what)


def materialize(clip: Any, *, batch_size: int = 32, what: str = "clip", cancel: threading.Event | None = None,
                on_progress: Callable[[int, int | None], None] | None = None, max_bytes: int = 2 << 30) -> Any:
    """Render a clip-like object to one numpy uint8 array ``[T, H, W, C]``, batch by batch.

    Reports progress to the current REPL job (frames done / ``len(clip)``) and stops between batches when
    the job (or *cancel*) is cancelled.

    Args:
        clip: anything :func:`iter_uint8_batches` accepts.
        batch_size: frames per batch (memory vs. overhead).
        what: name used in error messages.
        cancel: extra cancellation event (background loop renders use their own).
        on_progress: extra callback ``(frames_done, total_or_None)``.
        max_bytes: refuse to hold more than this many bytes of frames (default 2 GiB).

    Returns:
        numpy uint8 array ``[T, H, W, C]``, C in (1, 3, 4).

    Raises:
        Cancelled: cancelled between batches.
        InvalidInputError: not clip-like, inconsistent frame sizes, empty, or too large.
    """
    import numpy as np

    total = clip_length(clip)
    job = current_job()
    parts: list[Any] = []
    done = 0
    nbytes = 0
    if job is not None:
        job.progress(0, total)
    for batch in iter_uint8_batches(clip, batch_size, what=what, cancel=cancel):
        if parts and batch.shape[1:] != parts[0].shape[1:]:
            raise InvalidInputError(
                f"{what} changed frame size mid-stream ({list(parts[0].shape[1:])} then {list(batch.shape[1:])})."
            )
        parts.append(batch)
        done += batch.shape[0]
        nbytes += batch.nbytes
        if nbytes > max_bytes:
            raise InvalidInputError(
                f"{what} is larger than {max_bytes >> 20} MiB of frames; render fewer frames or a smaller size."
            )
        if job is not None:
            job.progress(done, total if total is not None and total >= done else None)
        if on_progress is not None:
            on_progress(done, total)
        if (cancel is not None and cancel.is_set()) or (job is not None and job.cancel_event.is_set()):
            raise Cancelled(f"rendering of {what} cancelled after {done} frames.")
    if not parts:
        raise InvalidInputError(f"{what} has no frames; render at least one frame.")
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
