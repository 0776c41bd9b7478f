"""Small numpy-based stand-ins for clips, shared by the REPL tests (no torch needed)."""

from __future__ import annotations

import threading
import time

import numpy as np


def solid(color, frames=4, size=8, channels=3):
    """uint8 frames [T, size, size, C] of one colour (C=3) or grey level (C=1)."""
    arr = np.zeros((frames, size, size, channels), np.uint8)
    arr[...] = np.asarray(color, np.uint8)
    return arr


class FakeClip:
    """Clip-like: ``len``, ``iter_uint8(batch_size)`` streaming [B, H, W, C] uint8, optional delay per batch
    and an optional failure after some batches. Records how many batches were produced."""

    def __init__(self, frames, delay=0.0, fail_after=None, error=RuntimeError("boom in the renderer")):
        self._frames = frames
        self.delay = delay
        self.fail_after = fail_after
        self.error = error
        self.batches = 0
        self.started = threading.Event()

    def __len__(self):
        return int(self._frames.shape[0])

    def iter_uint8(self, batch_size=32):
        for i in range(0, len(self), batch_size):
            self.started.set()
            if self.fail_after is not None and self.batches >= self.fail_after:
                raise self.error
            if self.delay:
                time.sleep(self.delay)
            self.batches += 1
            yield self._frames[i : i + batch_size]

    def frames(self):
        return np.concatenate(list(self.iter_uint8()), axis=0)


class FakeTime:
    """A monotonic time source the test moves by hand: ``t = FakeTime(100.0); t.advance(0.5); t()``."""

    def __init__(self, start=100.0):
        self.now = float(start)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
        return self.now

    def set(self, now):
        self.now = float(now)
        return self.now


def wait_for(predicate, timeout=10.0, interval=0.01):
    """Poll *predicate* until true; return its last value (tests assert on it)."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


class RunningRepl:
    """A REPL running on a thread, fed through a pipe input: ``with RunningRepl() as (repl, send): ...``.

    On exit it sends ``:quit`` and joins the thread; ``.code`` is the exit status.
    """

    def __init__(self, **options):
        options.setdefault("preload", False)
        options.setdefault("progress_delay", 0.05)
        options.setdefault("history_path", False)
        self.options = options
        self.code = None

    def __enter__(self):
        from prompt_toolkit.input import create_pipe_input
        from prompt_toolkit.output import DummyOutput

        from genart_kit.repl.app import Repl

        self._pipe_cm = create_pipe_input()
        self.inp = self._pipe_cm.__enter__()
        self.repl = Repl(input=self.inp, output=DummyOutput(), **self.options)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self.repl, self.send

    def _run(self):
        self.code = self.repl.run()

    def send(self, text, wait=True, timeout=60):
        """Type *text* + Enter; with *wait*, block until that input has finished running."""
        before = self.repl.counter, id(self.repl.last_job)
        self.inp.send_text(text + "\r")
        if wait:
            ok = wait_for(lambda: (self.repl.counter, id(self.repl.last_job)) != before
                          and self.repl.last_job is not None and self.repl.last_job.done_event.is_set(), timeout)
            assert ok, f"input {text!r} did not finish"
            time.sleep(0.05)  # let the result be printed

    def __exit__(self, *exc):
        if self.thread.is_alive():
            self.inp.send_text(":quit\r")
            self.thread.join(30)
        self._pipe_cm.__exit__(*exc)
        return False
