"""The training progress bar (stderr, no dependency)."""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """A one-line stderr progress bar (no dependency): ``epoch 2/5 [#####.....] 120/468 loss_d=0.61 ... 540 img/s``.

    On a terminal it redraws in place at most 10 times per second; otherwise (logs) it prints one line every
    *log_every* seconds.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, stream: Any = None, log_every: float = 30.0) -> None:
        self.total, self.desc, self.enabled = max(1, total), desc, enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last = 0.0
        self.log_every = log_every if not self.tty else 0.1
        self.t0 = time.perf_counter()
        self.closed = False

    def update(self, n: int, losses: dict[str, float], ips: float, force: bool = False) -> None:
        """Show progress *n* of *total* with the latest losses and images/second (nothing once closed)."""
        if not self.enabled or self.closed:
            return
        now = time.perf_counter()
        if not force and now - self.last < self.log_every:
            return
        self.last = now
        width = 24
        fill = int(width * min(n, self.total) / self.total)
        text = " ".join(f"{k}={v:.3f}" for k, v in losses.items())
        line = f"{self.desc} [{'#' * fill}{'.' * (width - fill)}] {n}/{self.total} {text} {ips:.0f} img/s"
        if self.tty:
            self.stream.write("\r" + line[:200] + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line; later updates are ignored (so no bar is drawn after a stop message)."""
        if self.enabled and self.tty and not self.closed:
            self.stream.write("\n")
            self.stream.flush()
        self.closed = True
