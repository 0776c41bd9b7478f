"""``genart run --watch``: watch the sketch here, render it in a worker process the next save can stop.

A sketch is user code, and user code can loop forever (``while True``, or a C call such as
``sum(range(10**15))`` that never gives the interpreter lock back). So this process only watches the files
(:class:`genart_kit.sketch.Watcher`'s polling) and a worker process (``multiprocessing``, spawn start method)
loads, renders and saves. A save while a run is still going stops that run first:

1. a ``SIGINT`` to the worker (a ``KeyboardInterrupt`` in the sketch, so the exporter's atomic write removes
   its temporary file and the worker, with its imported modules, stays warm for the new run);
2. if it has not stopped after :data:`GRACE_S` seconds, the worker is killed (its partial output removed
   here) and a fresh one renders the new version.

Either way the last good output is kept and the new version renders at once. A worker that dies on its own
(``os._exit`` or a crash in the sketch) is reported and replaced at the next save. The worker exits when this
process does, even if its sketch is stuck (a watchdog thread sees the parent go).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..sketch import Watcher, _signature  # the watcher's own file signatures

log = logging.getLogger(__name__)

GRACE_S = 3.0
"""Seconds a run that was asked to stop (SIGINT) has before its worker process is killed."""

_POSIX = hasattr(signal, "pthread_sigmask")


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


def _say(message: str) -> None:
    print(f"{_stamp()} {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- the worker
def _exit_with(parent: int) -> None:
    """Watchdog thread of the worker: end the process when the watching process is gone."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _send(conn: Any, message: tuple) -> None:
    """Send *message* with SIGINT/SIGTERM held back, so an interrupt cannot cut a message in half."""
    if not _POSIX:  # pragma: no cover - Windows: no signal masks
        conn.send(message)
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        conn.send(message)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _worker_main(conn: Any, setup: dict[str, Any], parent: int) -> None:
    """Body of the worker process: for each job number received, load, render and save the sketch once
    (:meth:`Watcher.run_once`, printing what it wrote or what went wrong), then send
    ``("done" | "cancelled", job, files)`` back. ``None`` or a closed pipe ends it."""
    from ..registry import configure

    threading.Thread(target=_exit_with, args=(parent,), name="genart-watch-watchdog", daemon=True).start()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the stop request, even if the parent ignores Ctrl-C
    debug = setup["debug"]
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(name)s: %(levelname)s: %(message)s" if debug else "genart: %(levelname)s: %(message)s")
    if not debug:
        logging.getLogger("genart_kit.plugins").setLevel(logging.ERROR)
    if setup["plugins_dirs"]:
        configure(setup["plugins_dirs"])
    args = argparse.Namespace(**setup["args"])
    path, out = Path(setup["path"]), Path(setup["out"])
    on_clip, on_error = setup["make_callbacks"](args, path, out)
    stop_signals_as_interrupt = setup["stop_signals"]
    watcher = Watcher(path, on_clip, on_error, overrides=args.param, **setup["options"])
    with stop_signals_as_interrupt():  # SIGTERM cleans up like Ctrl-C
        while True:
            try:
                job = conn.recv()
            except KeyboardInterrupt:  # a stop that came just after the run ended: nothing to stop
                continue
            except EOFError:
                return
            if job is None:
                return
            state = "done"
            try:
                watcher.run_once()
            except KeyboardInterrupt:
                state = "cancelled"
            try:
                _send(conn, (state, job, [str(f) for f in watcher.files]))
            except (BrokenPipeError, OSError):
                return


class RenderWorker:
    """The worker process that renders a watched sketch, started on the first job and replaced when killed.

    Args:
        setup: what :func:`_worker_main` needs (picklable): ``path``, ``out``, ``args`` (the command's
            options as a dict), ``options`` (seed/frames/fps/size), ``plugins_dirs``, ``debug``.

    Attributes:
        busy: a job was sent and has not reported back.
    """

    def __init__(self, setup: dict[str, Any]) -> None:
        self.setup = setup
        self.proc: Any = None
        self.conn: Any = None
        self.job = 0
        self.busy = False

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads; same on every OS
        ours, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(theirs, self.setup, os.getpid()),
                                name="genart-watch-render", daemon=True)
        self.proc.start()
        theirs.close()
        self.conn = ours

    def submit(self) -> int:
        """Start the next run (a worker process first, if none is alive); returns its job number."""
        if self.proc is None or not self.proc.is_alive():
            self._discard()
            self._start()
        self.job += 1
        self.conn.send(self.job)
        self.busy = True
        return self.job

    def receive(self, timeout: float) -> tuple | None:
        """The next report within *timeout* seconds: ``("done" | "cancelled", job, files)``,
        ``("died", exit_status, [])`` when the worker ended on its own, or ``None``."""
        if self.conn is None:
            time.sleep(timeout)
            return None
        try:
            if not self.conn.poll(timeout):
                return None
            message = self.conn.recv()
        except (EOFError, OSError):
            self.proc.join(5)
            code = self.proc.exitcode
            self._discard()
            self.busy = False
            return ("died", code, [])
        if message[1] == self.job:
            self.busy = False
        return message

    def stop_run(self) -> tuple[str, list[str]]:
        """Stop the run in progress: ``("stopped", files)`` when it ended within :data:`GRACE_S` seconds of a
        SIGINT (the worker stays), ``("killed", [])`` when its process had to be killed."""
        if _POSIX and self.proc is not None and self.proc.pid is not None:
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + GRACE_S
            while self.busy and self.conn is not None and time.monotonic() < deadline:
                message = self.receive(max(0.0, deadline - time.monotonic()))
                if message is not None and message[0] == "died":
                    return "killed", []
                if message is not None and not self.busy:
                    return "stopped", list(message[2])
        self.kill()
        return "killed", []

    def kill(self) -> None:
        """Kill the worker process now and remove what its unfinished write left."""
        from ..export.atomic import remove_partials

        if self.proc is not None:
            self.proc.kill()
            self.proc.join(10)
        self._discard()
        self.busy = False
        remove_partials(Path(self.setup["out"]))

    def close(self) -> None:
        """End the worker: an idle one is asked to exit; a busy one is stopped, then killed if need be."""
        if self.proc is None:
            return
        try:
            if self.busy:
                self.stop_run()
            if self.conn is not None:
                self.conn.send(None)
            if self.proc is not None:
                self.proc.join(GRACE_S)
        except (OSError, EOFError, ValueError, KeyboardInterrupt):  # a pipe cut mid-message: end it the hard way
            pass
        if self.proc is not None and self.proc.is_alive():
            self.kill()
        self._discard()

    def _discard(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None


# ---------------------------------------------------------------------------------------- the watcher
class ProcessWatcher(Watcher):
    """:class:`~genart_kit.sketch.Watcher` whose runs happen in a :class:`RenderWorker`: polling goes on while
    a run is in progress, and a save during a run stops it (see the module docstring) before the new run."""

    def __init__(self, path: Path, worker: RenderWorker, interval: float = 0.3) -> None:
        super().__init__(path, lambda clip, sketch: None, interval=interval)
        self.worker = worker

    def run_once(self) -> None:
        """Start a run of the sketch as it is now in the worker (stopping the one in progress, if any)."""
        self.runs += 1
        self._signature = _signature(self.files)
        if self.worker.busy:
            how, files = self.worker.stop_run()
            self._learn(files)
            if how == "stopped":
                _say(f"{self.path.name} changed: stopped the unfinished run; rendering the new version")
            else:
                _say(f"{self.path.name} changed: killed the unfinished run (it did not stop within {GRACE_S:g} s of "
                     "an interrupt); rendering the new version in a fresh process")
        self.worker.submit()

    def _learn(self, files: list[str]) -> None:
        """Watch *files* (what the last load imported) from now on; a file already watched keeps the signature
        it had when its run started, so a save during the run is still seen."""
        if not files:
            return
        known = {entry[0]: entry for entry in (self._signature or ())}
        self.files = [Path(f) for f in files]
        self._signature = tuple(known.get(str(f)) or _signature([f])[0] for f in self.files)

    def run(self) -> None:
        """Poll and collect the worker's reports until :attr:`stop_event` is set (blocking)."""
        while not self.stop_event.is_set():
            self.poll()
            message = self.worker.receive(self.interval)
            if message is None:
                continue
            if message[0] == "died":
                code = message[1]
                _say(f"the render process of {self.path.name} exited on its own (status {code}); kept the last good "
                     "output; the next save runs it again")
            else:
                self._learn(list(message[2]))


def watch(args: argparse.Namespace, path: Path, out: Path, options: dict[str, Any], *, make_callbacks: Any,
          stop_signals: Any, terminated: type[BaseException]) -> int:
    """Run ``genart run --watch`` for *path* writing *out* until Ctrl-C (returns 0) or SIGTERM/SIGHUP
    (*terminated* propagates after the worker is ended).

    The command passes in what it owns, so this module never imports it back: *make_callbacks*
    ``(args, path, out) -> (on_clip, on_error)`` and *stop_signals* (a context manager turning SIGTERM/SIGHUP
    into *terminated*) must be module-level functions, since they travel to the spawned worker by reference.
    """
    keep = {k: v for k, v in vars(args).items() if not callable(v)}
    setup = {"path": str(path), "out": str(out), "args": keep, "options": options,
             "make_callbacks": make_callbacks, "stop_signals": stop_signals,
             "plugins_dirs": list(getattr(args, "plugins_dir", []) or []), "debug": bool(getattr(args, "debug", False))}
    worker = RenderWorker(setup)
    watcher = ProcessWatcher(path, worker)
    print(f"watching {path} (and its local modules); Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        watcher.run()
    except terminated:
        raise
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    finally:
        worker.close()
    return 0
