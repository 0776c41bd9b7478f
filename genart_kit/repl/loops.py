"""Named live loops: animations that play continuously and are swapped, not restarted, when redefined.

The model is Sonic Pi's ``live_loop`` and TidalCycles' patterns: evaluating ``loop("walk", clip)`` again
renders the new definition in the background while the old one keeps playing, then swaps it in at the
old one's next cycle boundary (frame 0), so the preview never stops or jumps mid-cycle. If the new
definition fails (the expression raises, or rendering the clip raises), the error is printed and the old
version keeps playing.

Playback is time-based: a loop of ``T`` frames at ``fps`` frames per second shows frame
``floor((now - start) * fps) mod T``, so every preview (terminal, browser) agrees on the frame and a slow
redraw never slows the animation down. A loop on the session's shared :class:`~genart_kit.repl.clock.Clock`
(``bpm=``/``beats=``, or ``audio=``) shows ``floor(phase * T)`` where the phase is the clock's position in
the cycle, so loops stay in phase with each other and with the tempo (see :mod:`genart_kit.repl.clock`).

This module imports neither torch nor numpy at import time (numpy is used once frames exist).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Cancelled, InvalidInputError, unknown_name
from .background import _to_uint8_thwc, clip_length, is_clip_like, materialize
from .clock import Clock, LoopTiming, phase_of, resolve_timing

log = logging.getLogger(__name__)

__all__ = ["LoopVersion", "LiveLoop", "LoopManager", "NAME_RE"]

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
"""Loop names: a letter or ``_`` then letters, digits, ``_ . -`` (at most 64 characters; URL-safe)."""


@dataclass
class LoopVersion:
    """One rendered definition of a loop.

    Attributes:
        number: version number within its loop (1, 2, ...).
        frames: numpy uint8 ``[T, H, W, C]``, C in (1, 3, 4).
        fps: playback rate in frames per second (for a loop on the clock: ``T`` over the cycle's seconds at
            the current tempo, kept up to date when the tempo changes).
        source: the clip (or callable) it was rendered from; ``:save`` re-exports from it.
        render_seconds: wall time the render took, in seconds.
    """

    number: int
    frames: Any
    fps: float
    source: Any = None
    render_seconds: float = 0.0
    cycle: int | None = None
    """For a loop re-evaluated every cycle: the cycle number passed to its function (0, 1, ...)."""
    timing: LoopTiming | None = None
    """How the frames map onto time (``None``: free-running at :attr:`fps`)."""

    @property
    def length(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])

    @property
    def cycle_seconds(self) -> float:
        """Duration of one cycle in seconds (T / fps)."""
        return self.length / self.fps

    def timed(self) -> LoopTiming:
        """The version's :class:`LoopTiming` (free-running at :attr:`fps` unless it is on the clock)."""
        return self.timing or LoopTiming(fps=self.fps)


@dataclass
class _RenderTask:
    number: int
    timing: LoopTiming
    swap: str
    cycle: int | None = None
    auto: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    done_frames: int = 0
    total: int | None = None
    thread: threading.Thread | None = None


class LiveLoop:
    """A named loop: the version playing, the one waiting for the next cycle, the one rendering.

    Read its state through the attributes; change it through :class:`LoopManager` (``loop()``,
    ``stop()``, ``solo()``, ``hush()`` in the REPL).

    Attributes:
        name: the loop's name.
        current: the :class:`LoopVersion` playing, or ``None`` until the first render succeeds.
        pending: a rendered version waiting for the current cycle to end, or ``None``.
        start: ``time.monotonic()`` (seconds) at which ``current`` was swapped in: its frame 0 when it runs at
            its own fps; a loop on the clock takes the clock's phase instead (see :meth:`frame_index`).
        swaps: how many versions have been swapped in (including the first).
        last_error: one-line summary of the last failed definition, or ``None``.
    """

    def __init__(self, name: str, manager: "LoopManager") -> None:
        self.name = name
        self._manager = manager
        self.current: LoopVersion | None = None
        self.pending: LoopVersion | None = None
        self.start = 0.0
        self.swaps = 0
        self.last_error: str | None = None
        self._next_number = 1
        self._boundary = 0  # the pending version swaps in when the current one has played this many cycles
        self._pending_auto = False
        self._definition: tuple[int, Any, LoopTiming, bool] = (0, None, LoopTiming(fps=24.0), False)
        self._task: _RenderTask | None = None

    # ------------------------------------------------------------------------------------ playback
    def cycles(self, now: float | None = None) -> float:
        """Cycles of the playing version elapsed at *now* (monotonic seconds), fractional: counted from
        its start when free-running, from the clock's origin when on the clock; 0.0 when nothing plays."""
        cur = self.current
        if cur is None:
            return 0.0
        now = self._manager.clock() if now is None else now
        return cur.timed().cycles(self._manager.clock, self.start, cur.length, now)

    def time_of_cycle(self, n: float) -> float:
        """Monotonic seconds at which the playing version will have played *n* cycles."""
        cur = self.current
        if cur is None:
            return self._manager.clock()
        return cur.timed().time_of_cycle(self._manager.clock, self.start, cur.length, n)

    def frame_index(self, now: float | None = None) -> int:
        """Index of the frame showing at *now* (``time.monotonic()`` seconds); 0 when nothing plays.

        ``floor(cycles * T) mod T``: for a free-running loop ``floor((now - start) * fps) mod T``; for a loop
        on the clock the clock's phase in the cycle picks the frame.
        """
        cur = self.current
        if cur is None:
            return 0
        return math.floor(self.cycles(now) * cur.length + 1e-6) % cur.length

    def phase(self, now: float | None = None) -> str:
        """Where the cycle is at *now*, for listings: ``"beat 5.25/8"``, ``"3.10/8.00 s"`` or ``"frame 12/48"``."""
        cur = self.current
        if cur is None:
            return "-"
        timing = cur.timed()
        return phase_of(timing, self.cycles(now), cur.length, timing.cycle_seconds(cur.length, self._manager.clock))

    def frame(self, now: float | None = None) -> Any:
        """The frame showing at *now*: numpy uint8 ``[H, W, C]``, or ``None`` when nothing plays."""
        cur = self.current
        if cur is None:
            return None
        return cur.frames[self.frame_index(now)]

    def cycle_end(self, now: float | None = None) -> float:
        """``time.monotonic()`` at which the current cycle ends (the next frame 0)."""
        now = self._manager.clock() if now is None else now
        if self.current is None:
            return now
        return self.time_of_cycle(self._next_cycle(now))

    def _next_cycle(self, now: float) -> int:
        """The number of cycles played at the playing version's next frame 0 after *now*."""
        return math.floor(self.cycles(now) + 1e-9) + 1

    @property
    def rendering(self) -> tuple[int, int | None] | None:
        """``(frames_done, total_or_None)`` of the version rendering in the background, or ``None``."""
        task = self._task
        if task is None:
            return None
        return (task.done_frames, task.total)

    @property
    def playing(self) -> bool:
        """Whether a version is playing."""
        return self.current is not None

    def __repr__(self) -> str:
        parts = [f"loop {self.name!r}"]
        if self.current is not None:
            c = self.current
            parts.append(f"v{c.number} playing {c.length} frames @ {c.fps:g} fps"
                         + (f" ({c.timing.describe()} on the clock)" if c.timing is not None else ""))
        else:
            parts.append("not playing")
        if self.pending is not None:
            parts.append(f"v{self.pending.number} waiting for the next cycle")
        task = self._task
        if task is not None:
            parts.append(f"v{task.number} rendering {task.done_frames}/{task.total if task.total is not None else '?'}")
        if self.last_error:
            parts.append(f"last error: {self.last_error}")
        return "<" + "; ".join(parts) + ">"


def _check_channels(arr: Any, what: str) -> None:
    """Raise InvalidInputError unless the numpy frames *arr* have 1, 3 or 4 channels (checks one frame)."""
    if len(arr) == 0:
        return  # the render reports an empty clip
    try:
        _to_uint8_thwc(arr[:1], what)
    except InvalidInputError as exc:
        raise InvalidInputError(str(exc).replace(str([1, *arr.shape[1:]]), str(list(arr.shape)))) from None


def _takes_cycle(fn: Any) -> bool:
    """Whether callable *fn* has a parameter named ``cycle``."""
    import inspect

    try:
        return "cycle" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _speed(version: LoopVersion, clock: Clock) -> str:
    """``"48 frames @ 12 fps"``, with ``", 8 beats on the clock"`` for a loop on the clock."""
    text = f"{version.length} frames @ {round(version.fps, 2):g} fps"
    if version.timing is not None:
        text += f", {version.timing.describe()} on the clock"
        if version.timing.beats is not None:
            text += f" at {clock.bpm:g} BPM"
    return text


def _default_notify(message: str) -> None:
    log.info("%s", message)


class LoopManager:
    """All live loops of a session, their background renders and the player thread that swaps versions.

    Args:
        notify: called with one-line (or short multi-line) messages about swaps and failures; the REPL
            prints them above the prompt.
        format_error: turns a render exception into text for *notify* (default ``"Type: message"``).
        clock: the session's shared :class:`~genart_kit.repl.clock.Clock`, or a monotonic time source in
            seconds to build one from (tests inject a fake one); default ``time.monotonic``.
        batch_size: frames per batch when rendering clips.

    Thread-safety: every public method may be called from any thread.
    """

    def __init__(self, notify: Callable[[str], None] = _default_notify,
                 format_error: Callable[[BaseException], str] | None = None,
                 clock: Clock | Callable[[], float] = time.monotonic, batch_size: int = 32) -> None:
        self.notify = notify
        self.format_error = format_error or (lambda e: f"{type(e).__name__}: {e}")
        self.clock = clock if isinstance(clock, Clock) else Clock(clock)
        """The shared clock: ``clock()`` is monotonic seconds; ``clock.bpm``, ``clock.beat()``, ``clock.reset()``."""
        self.batch_size = batch_size
        self.loops: dict[str, LiveLoop] = {}
        self.solo_name: str | None = None
        self.version = 0
        """Increases whenever what the previews show changes (a swap, a new/stopped loop, solo)."""
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._change_listeners: list[Callable[[int], None]] = []
        self._closed = False
        self.clock.on_change(self._clock_changed)
        self._player = threading.Thread(target=self._play, name="genart-loop-player", daemon=True)
        self._player.start()

    # ----------------------------------------------------------------------------------- listeners
    def on_change(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(version)`` (on the player or a render thread) whenever :attr:`version` changes."""
        with self._lock:
            self._change_listeners.append(callback)

    def _bump(self) -> None:
        # caller holds the lock
        self.version += 1
        self._cond.notify_all()
        version = self.version
        for cb in list(self._change_listeners):
            try:
                cb(version)
            except Exception:  # a broken listener must not stop playback
                log.exception("loop change listener failed")

    def wait_version(self, after: int, timeout: float | None = None) -> int:
        """Block until :attr:`version` > *after* (or *timeout* seconds pass, or the manager closes);
        return the current version."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self.version <= after and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self.version

    # ------------------------------------------------------------------------------------- define
    def define(self, name: str, source: Any, *, fps: float | None = None, bpm: float | None = None,
               beats: float | None = None, audio: Any = None, swap: str = "cycle") -> LiveLoop:
        """Define or redefine loop *name* from a clip-like *source* (or a zero-argument callable that
        returns one); render it in the background and start playing / swap it in.

        Args:
            name: loop name (see :data:`NAME_RE`).
            source: a clip (anything with ``iter_uint8``/``iter_frames``/``frames``), a numpy array
                ``[T, H, W, C]`` uint8, a tensor ``[T, C, H, W]`` float in [0, 1], or a callable returning
                one of those (called on the render thread). A callable with a parameter named ``cycle`` is
                re-evaluated for every cycle, like the body of Sonic Pi's ``live_loop``: ``fn(cycle=0)``
                plays first, ``fn(cycle=1)`` renders meanwhile and is swapped in at the boundary, and so on
                (if a cycle fails, the error is printed once and the last good cycle repeats until the loop
                is redefined).
            fps: free-running playback rate in frames per second, ``0 < fps <= 120`` (default 24 when neither
                *bpm*, *beats* nor *audio* is given).
            bpm: tempo in beats per minute; sets the shared clock's tempo (every loop on the beat follows)
                and puts this loop on the clock's beat grid.
            beats: the cycle's length in beats on the clock (default 8 with *bpm*; alone: at the clock's
                tempo). The clip's frames are stretched to the cycle; the clock's phase picks the frame.
            audio: ``ga.audio.features(...)`` (duration ``frames / fps``), a track from ``ga.audio.load``
                (``duration``) or seconds: the cycle lasts that long, on the clock's seconds (no sound is
                played; ``clock.reset()`` on the music's downbeat lines them up).
            swap: ``"cycle"`` (default) swaps at the old version's next frame 0; ``"now"`` swaps as soon as
                the render is done.

        Returns:
            the :class:`LiveLoop` (returned at once; the render continues in the background).

        Raises:
            InvalidInputError: bad name, fps, bpm, beats, audio or swap mode, contradicting timing arguments,
                or a *source* that is neither clip-like nor callable.
        """
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise InvalidInputError(
                f"loop name {name!r} is not valid: use a letter then letters, digits, '_', '.', '-' (e.g. 'walk')."
            )
        timing, tempo = resolve_timing(fps, bpm, beats, audio)
        if swap not in ("cycle", "now"):
            raise InvalidInputError(f"swap must be 'cycle' or 'now', got {swap!r}.")
        if not is_clip_like(source) and not callable(source):
            raise InvalidInputError(
                f"loop {name!r} needs a clip, e.g. loop({name!r}, path | vae | ga.render.colormap('magma')); "
                f"got {type(source).__name__}."
            )
        if type(source).__module__ == "numpy" and getattr(source, "ndim", 0) == 4:
            _check_channels(source, f"loop {name!r}")  # fail now, not later on the render thread
        if tempo is not None:  # before the render, which reads the tempo for its frame rate
            self.set_tempo(tempo)
        with self._lock:
            if self._closed:
                raise InvalidInputError("the loop player is closed.")
            lp = self.loops.get(name)
            if lp is None:
                lp = LiveLoop(name, self)
                self.loops[name] = lp
            if lp._task is not None:  # newest definition wins
                lp._task.cancel.set()
            per_cycle = callable(source) and not is_clip_like(source) and _takes_cycle(source)
            number = lp._next_number
            lp._next_number += 1
            lp._definition = (number, source, timing, per_cycle)
            self._start_render(lp, number, source, timing, swap, cycle=0 if per_cycle else None, auto=False)
        return lp

    def _start_render(self, lp: LiveLoop, number: int, source: Any, timing: LoopTiming, swap: str, *,
                      cycle: int | None, auto: bool) -> None:
        # caller holds the lock
        task = _RenderTask(number=number, timing=timing, swap=swap, cycle=cycle, auto=auto,
                           total=None if callable(source) and not is_clip_like(source) else clip_length(source))
        lp._task = task
        suffix = f"-c{cycle}" if cycle is not None else ""
        task.thread = threading.Thread(target=self._render, args=(lp, task, source),
                                       name=f"genart-loop-{lp.name}-v{number}{suffix}", daemon=True)
        task.thread.start()

    def _render(self, lp: LiveLoop, task: _RenderTask, source: Any) -> None:
        t0 = time.perf_counter()

        def progress(done: int, total: int | None) -> None:
            task.done_frames = done
            if total is not None:
                task.total = total

        try:
            if task.cycle is not None:
                obj = source(cycle=task.cycle)
            elif callable(source) and not is_clip_like(source):
                obj = source()
            else:
                obj = source
            if task.total is None:
                task.total = clip_length(obj)
            frames = materialize(obj, batch_size=self.batch_size, what=f"loop '{lp.name}'", cancel=task.cancel,
                                 on_progress=progress)
        except Cancelled:
            with self._lock:
                if lp._task is task:
                    lp._task = None
            return
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything; report, keep playing
            with self._lock:
                if lp._task is not task or task.cancel.is_set():
                    return
                lp._task = None
                lp.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                keeps = f"v{lp.current.number} keeps playing" if lp.current is not None else "nothing is playing"
                what = f"v{task.number}" if task.cycle is None else f"v{task.number} cycle {task.cycle}"
                if task.auto:
                    keeps = "its last good cycle repeats; redefine the loop to go on"
                message = f"loop '{lp.name}' {what} failed ({keeps}):\n{self.format_error(exc)}"
                if lp.current is None and lp.pending is None and self.loops.get(lp.name) is lp:
                    del self.loops[lp.name]
            self.notify(message.rstrip())
            return
        timing = task.timing
        fps = timing.fps if timing.fps is not None else len(frames) / timing.cycle_seconds(len(frames), self.clock)
        version = LoopVersion(task.number, frames, fps, source=source, render_seconds=time.perf_counter() - t0,
                              cycle=task.cycle, timing=timing if timing.on_clock else None)
        message = None
        with self._lock:
            if lp._task is not task or task.cancel.is_set() or self.loops.get(lp.name) is not lp:
                return  # superseded or stopped meanwhile
            lp._task = None
            lp.last_error = None
            if lp.current is None or task.swap == "now":
                self._install(lp, version, self.clock())
                if not task.auto:
                    message = (f"loop '{lp.name}' v{version.number} playing ({_speed(version, self.clock)}"
                               f"{', re-evaluated every cycle' if task.cycle is not None else ''})")
            else:
                if lp.pending is None:  # swap at the end of the cycle in which the new version arrived
                    lp._boundary = lp._next_cycle(self.clock())
                lp.pending = version
                lp._pending_auto = task.auto
                self._cond.notify_all()  # wake the player to schedule the swap
        if message:
            self.notify(message)

    def _install(self, lp: LiveLoop, version: LoopVersion, start: float) -> None:
        # caller holds the lock
        lp.current = version
        lp.pending = None
        lp.start = start
        lp.swaps += 1
        self._bump()
        # a loop re-evaluated every cycle: render the next cycle while this one plays
        number, source, timing, per_cycle = lp._definition
        if per_cycle and version.number == number and version.cycle is not None and lp._task is None \
                and self.loops.get(lp.name) is lp and not self._closed:
            self._start_render(lp, number, source, timing, "cycle", cycle=version.cycle + 1, auto=True)

    # -------------------------------------------------------------------------------------- player
    def _play(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                messages, next_due = self._swap_due(self.clock())
                if not messages:
                    timeout = None if next_due is None else max(0.0, next_due - self.clock())
                    self._cond.wait(timeout if timeout is None else min(timeout, 1.0))
            for m in messages:
                self.notify(m)

    def _swap_due(self, now: float) -> tuple[list[str], float | None]:
        # caller holds the lock: swap in every pending version whose boundary has come by *now*; return the
        # messages and the next boundary still ahead (monotonic seconds; recomputed, so a tempo change counts)
        messages = []
        next_due = None
        for lp in self.loops.values():
            if lp.pending is None or lp.current is None:
                continue
            boundary = lp.time_of_cycle(lp._boundary)
            if now >= boundary - 1e-4:
                version = lp.pending
                auto = lp._pending_auto
                self._install(lp, version, boundary)
                if not auto:
                    messages.append(f"loop '{lp.name}' v{version.number} swapped in ({_speed(version, self.clock)})")
            else:
                next_due = boundary if next_due is None else min(next_due, boundary)
        return messages, next_due

    def update(self, now: float | None = None) -> list[str]:
        """Swap in, now, every waiting version whose cycle boundary has passed by *now* (monotonic seconds;
        default the clock's now) and return the messages (also sent to *notify*). The player thread does
        this on its own; a test with a fake clock calls it after moving the clock on."""
        with self._cond:
            messages, _ = self._swap_due(self.clock() if now is None else now)
            self._cond.notify_all()
        for m in messages:
            self.notify(m)
        return messages

    # ---------------------------------------------------------------------------------------- tempo
    def set_tempo(self, bpm: Any) -> float:
        """Set the shared clock's tempo to *bpm* beats per minute; loops on the beat follow it, in phase.

        Returns:
            the previous tempo in BPM.

        Raises:
            InvalidInputError: *bpm* is not a positive, finite number.
        """
        old = self.clock.set_tempo(bpm)
        if old != self.clock.bpm:
            self.notify(f"tempo {old:g} -> {self.clock.bpm:g} BPM")
        return old

    def _clock_changed(self) -> None:
        # the tempo changed or the clock was reset: refresh the rates of loops on the beat, wake the player
        with self._cond:
            for lp in self.loops.values():
                for v in (lp.current, lp.pending):
                    if v is not None and v.timing is not None:
                        v.fps = v.length / v.timing.cycle_seconds(v.length, self.clock)
            self._bump()

    # ------------------------------------------------------------------------------ stop, solo, hush
    def _get(self, name: str) -> LiveLoop:
        lp = self.loops.get(name)
        if lp is None:
            raise unknown_name("loop", name, self.loops, hint="`:loops` lists them.")
        return lp

    def stop(self, name: str) -> None:
        """Stop loop *name* (and cancel its background render).

        Raises:
            UnknownNameError: no loop of that name (close names suggested).
        """
        with self._lock:
            lp = self._get(name)
            if lp._task is not None:
                lp._task.cancel.set()
                lp._task = None
            del self.loops[name]
            if self.solo_name == name:
                self.solo_name = None
            self._bump()

    def hush(self) -> int:
        """Stop every loop and cancel every background render; return how many loops were stopped."""
        with self._lock:
            n = len(self.loops)
            for lp in self.loops.values():
                if lp._task is not None:
                    lp._task.cancel.set()
                    lp._task = None
            self.loops.clear()
            self.solo_name = None
            self._bump()
            return n

    def cancel_renders(self) -> list[str]:
        """Cancel every background render (playing versions keep playing); return the loop names."""
        names = []
        with self._lock:
            for lp in list(self.loops.values()):
                if lp._task is not None:
                    lp._task.cancel.set()
                    lp._task = None
                    names.append(lp.name)
                    if lp.current is None and lp.pending is None:
                        del self.loops[lp.name]
        return names

    def solo(self, name: str | None) -> None:
        """Show only loop *name* in the previews (the others keep time); ``None`` shows all again.

        Raises:
            UnknownNameError: no loop of that name.
        """
        with self._lock:
            if name is not None:
                self._get(name)
            self.solo_name = name
            self._bump()

    # ------------------------------------------------------------------------------------ queries
    def visible(self) -> list[LiveLoop]:
        """Loops the previews show: the solo loop if set, else every playing loop (definition order)."""
        with self._lock:
            if self.solo_name is not None and self.solo_name in self.loops:
                lps = [self.loops[self.solo_name]]
            else:
                lps = list(self.loops.values())
            return [lp for lp in lps if lp.current is not None]

    def focus(self) -> LiveLoop | None:
        """The loop ``:save`` uses by default: the solo loop, else the most recently swapped-in one."""
        with self._lock:
            vis = self.visible()
            if not vis:
                return None
            if self.solo_name is not None:
                return vis[0]
            return max(vis, key=lambda lp: lp.start)

    def busy(self) -> bool:
        """Whether any render is running or any version waits for its swap."""
        with self._lock:
            return any(lp._task is not None or lp.pending is not None for lp in self.loops.values())

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no render is running and no swap is pending; ``True`` if that happened in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.busy():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def table(self) -> list[dict[str, Any]]:
        """One dict per loop: name, version, frames, fps, state (``playing``/``solo``/``hidden``/
        ``rendering``), pending version, render progress, last error, and its timing: ``timing``
        (``"24 fps"``, ``"8 beats"``, ``"8.00 s (audio)"``), ``on_clock``, ``beats`` and ``bpm`` (on the beat, else
        ``None``), ``seconds`` (one cycle, at the current tempo) and ``phase`` (``"beat 5.25/8"``...)."""
        rows = []
        with self._lock:
            now = self.clock()
            for lp in self.loops.values():
                cur = lp.current
                timing = cur.timed() if cur else lp._definition[2]
                if cur is None:
                    state = "rendering"
                elif self.solo_name is None:
                    state = "playing"
                else:
                    state = "solo" if self.solo_name == lp.name else "hidden"
                rows.append({
                    "name": lp.name,
                    "version": cur.number if cur else None,
                    "frames": cur.length if cur else None,
                    "size": list(cur.frames.shape[1:3]) if cur else None,
                    "fps": cur.fps if cur else None,
                    "state": state,
                    "cycle": cur.cycle if cur else None,
                    "pending": lp.pending.number if lp.pending else None,
                    "rendering": lp.rendering if lp._task is not None and not lp._task.auto else None,
                    "error": lp.last_error,
                    "timing": timing.describe(),
                    "on_clock": timing.on_clock,
                    "beats": timing.beats,
                    "bpm": self.clock.bpm if timing.beats is not None else None,
                    "seconds": timing.cycle_seconds(cur.length, self.clock) if cur else None,
                    "phase": lp.phase(now),
                })
        return rows

    def close(self) -> None:
        """Stop everything, end the player thread and give running renders a moment to stop (they
        check their cancel event between batches)."""
        with self._cond:
            threads = []
            for lp in self.loops.values():
                if lp._task is not None:
                    lp._task.cancel.set()
                    if lp._task.thread is not None:
                        threads.append(lp._task.thread)
            self._closed = True
            self._cond.notify_all()
        self._player.join(timeout=2.0)
        deadline = time.monotonic() + 2.0
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
