"""Stop a training run between two iterations when asked by a signal, never in the middle of one.

A ``KeyboardInterrupt`` raised wherever Python happens to be (inside an optimizer step, between the
discriminator and generator updates, or in a callback where the interpreter swallows it) can leave a torn
state or be lost. :class:`GracefulStop` instead records the first SIGINT / SIGTERM / SIGHUP in a flag that
the loop checks after each complete iteration; a second SIGINT raises ``KeyboardInterrupt`` at once for a
user who does not want to wait.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable

__all__ = ["GracefulStop"]

_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class GracefulStop:
    """Context manager: while active (main thread only), stop signals set :attr:`signum` instead of raising.

    Attributes:
        signum: the first stop signal received (``int``, e.g. ``signal.SIGINT`` = 2), or None.

    Args:
        on_first: called with the signal number on the first signal (e.g. to log "finishing this step").

    In a thread other than the main one (where Python cannot install handlers) it does nothing, and the
    caller keeps its usual behaviour. A signal that is ignored when it starts (``nohup`` ignores SIGHUP, a
    shell's background job SIGINT) stays ignored.
    """

    def __init__(self, on_first: Callable[[int], None] | None = None) -> None:
        self.signum: int | None = None
        self._on_first = on_first
        self._saved: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
            if self._on_first is not None:
                self._on_first(signum)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl-C: stop now

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for name in _SIGNALS:
                sig = getattr(signal, name, None)
                if sig is None:
                    continue
                try:
                    if signal.getsignal(sig) is signal.SIG_IGN:
                        continue  # ignored on purpose (nohup, a background job): keep it ignored
                    self._saved[sig] = signal.signal(sig, self._handler)
                except (ValueError, OSError):  # pragma: no cover - not the main interpreter
                    pass
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._saved.items():
            try:
                signal.signal(sig, old)
            except (ValueError, OSError):  # pragma: no cover
                pass
        self._saved.clear()

    @property
    def requested(self) -> bool:
        """True once a stop signal arrived."""
        return self.signum is not None
