"""Progress bars on stderr, drawn by `tqdm <https://tqdm.github.io>`_ (one home for renders and training).

:class:`RenderProgress` is the ``progress(done, total)`` callback of a render (``genart run``, ``genart
replay``); :class:`TrainingProgress` is ``genart train``'s bar with the latest losses and images per second.
Both draw only on a terminal, redraw in place, and end their line on :meth:`close` so the next message starts
on a fresh line; later updates after ``close`` are ignored. Training on a pipe (a log file) prints one
plain line every ``log_every`` seconds instead (tqdm's own meter text, without carriage returns).
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["RenderProgress", "TrainingProgress"]


def _is_tty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


class RenderProgress:
    """``progress(done, total)`` for a render: a bar of frames after *delay* seconds, on a terminal only.

    Args:
        label: shown before the bar (the sketch's name).
        enabled: False draws nothing (``--quiet``).
        delay: seconds before the bar first appears (short renders stay silent).
        stream: where to draw (default ``sys.stderr``).
    """

    def __init__(self, label: str, *, enabled: bool = True, delay: float = 0.5, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and _is_tty(self.stream)
        self.label, self.delay = label, delay
        self._bar: Any = None
        self._closed = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or self._closed:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit="frame", file=self.stream, delay=self.delay,
                             mininterval=0.1, dynamic_ncols=True, leave=True)
        if self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    @property
    def shown(self) -> bool:
        """Whether the bar has drawn anything yet."""
        return self._bar is not None and bool(getattr(self._bar, "last_print_n", 0) or self._bar.n)

    def close(self) -> None:
        """End the bar's line (nothing if it never showed); later calls draw nothing."""
        if self._bar is not None:
            self._bar.close()
        self._closed = True


class TrainingProgress:
    """``genart train``'s bar: ``epoch 2/5: 26%|###  | 120/468 [00:04<00:12, loss_d=0.61 ... 540 img/s]``.

    Args:
        total: the number of steps.
        desc: the label (the loop updates it each epoch through :attr:`desc`).
        enabled: False draws nothing.
        stream: where to draw (default ``sys.stderr``).
        log_every: seconds between lines when *stream* is not a terminal.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, stream: Any = None, log_every: float = 30.0) -> None:
        self.total, self.desc, self.enabled = max(1, total), desc, enabled
        self.stream = stream or sys.stderr
        self.tty = _is_tty(self.stream)
        self.log_every = log_every
        self.t0 = self.last = time.perf_counter()
        self.closed = False
        self._bar: Any = None

    def update(self, n: int, losses: dict[str, float], ips: float, force: bool = False) -> None:
        """Show step *n* of *total* with the latest *losses* and *ips* images per second."""
        if not self.enabled or self.closed:
            return
        from tqdm import tqdm

        postfix = " ".join(f"{k}={v:.3f}" for k, v in losses.items()) + f" {ips:.0f} img/s"
        if self.tty:
            if self._bar is None:
                self._bar = tqdm(total=self.total, desc=self.desc, unit="step", file=self.stream, mininterval=0.1,
                                 dynamic_ncols=True, leave=True, initial=min(n, self.total))
            self._bar.set_description_str(self.desc, refresh=False)
            self._bar.set_postfix_str(postfix, refresh=False)
            self._bar.update(min(n, self.total) - self._bar.n)
            if force:
                self._bar.refresh()
            return
        now = time.perf_counter()
        if not force and now - self.last < self.log_every:
            return
        self.last = now
        line = tqdm.format_meter(min(n, self.total), self.total, now - self.t0, prefix=self.desc, postfix=postfix,
                                 unit="step", ncols=120)
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line; later updates are ignored (so no bar is drawn after a stop message)."""
        if self._bar is not None:
            self._bar.close()
        self.closed = True
