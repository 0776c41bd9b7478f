"""The live-coding REPL session: prompt, code execution off the prompt thread, previews, live loops.

Start it with ``genart repl`` (or :func:`main`). Architecture, in one paragraph: the main thread only
draws prompt_toolkit's :class:`~prompt_toolkit.PromptSession` (the synchronous ``prompt()``, never inside a
running event loop) and waits; each input runs as a :class:`~genart_kit.repl.background.Job` on a worker
thread. While a job runs longer than ``progress_delay`` seconds the main thread shows prompt_toolkit's
:class:`~prompt_toolkit.shortcuts.ProgressBar`, whose Ctrl-C cancels the job (cooperative event plus an
asynchronous ``KeyboardInterrupt``), and keys typed meanwhile are kept for the next prompt. All output goes
through ``patch_stdout`` so background threads (loop swaps, render errors, user ``print``) never corrupt the
prompt. Live loops render on their own threads and play in the prompt's bottom toolbar (truecolor
half-blocks) and, after ``:preview``, in a browser.
"""

from __future__ import annotations

import ast
import builtins
import codeop
import contextlib
import linecache
import logging
import os
import re
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import Condition, emacs_insert_mode, has_completions, has_selection, vi_insert_mode, vi_navigation_mode
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input.typeahead import store_typeahead
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import ColorDepth, DummyOutput
from prompt_toolkit.patch_stdout import StdoutProxy
from prompt_toolkit.shortcuts import ProgressBar
from prompt_toolkit.shortcuts.progress_bar import formatters as pbf
from prompt_toolkit.styles import Style
from pygments.lexers.python import PythonLexer

from .. import __version__
from ..errors import InvalidInputError
from .background import JobRunner, Preloader, materialize
from .completion import ReplCompleter
from .loops import LoopManager
from .preview_term import TerminalPreview, fit, half_block_ansi, tile, to_rgb
from .tracebacks import INPUT_PREFIX as _INPUT_PREFIX
from .tracebacks import format_exception

log = logging.getLogger(__name__)
_PLUGIN_NAMES_LOCK = threading.Lock()

__all__ = ["Repl", "main", "is_complete", "default_history_path", "format_exception"]

_REAL_INPUT = builtins.input

STYLE = Style.from_dict({
    "bottom-toolbar": "noreverse",
    "bottom-toolbar.text": "",
    "preview.status": "#9a9a9a",
    "prompt": "#5fafff bold",
    "continuation": "#5f5f5f",
    "hint": "#808080",
    "progressbar title": "#9a9a9a",
    "label": "#5fafff",
})


# ------------------------------------------------------------------------------------------ helpers


def default_history_path() -> Path:
    """Where the REPL keeps its history: ``$GENART_HISTORY`` if set, else
    ``$XDG_DATA_HOME/genart-kit/repl_history`` (``~/.local/share/genart-kit/repl_history`` by default)."""
    override = os.environ.get("GENART_HISTORY")
    if override:
        return Path(override).expanduser()
    from ..paths import data_dir

    return data_dir() / "repl_history"


def is_complete(text: str) -> bool:
    """Whether Enter at the end of *text* should run it (``True``) or open a new line (``False``).

    Same rule as the standard Python prompt (:func:`codeop.compile_command`): an open bracket, string or
    block header continues; a compound statement (``for``, ``def``...) runs after an empty line; a syntax
    error runs (so it is reported); colon commands and blank input run at once.
    """
    if not text.strip() or text.lstrip().startswith(":"):
        return True
    lines = text.split("\n")
    if not lines[-1].strip():
        lines[-1] = ""
    src = "\n".join(lines)
    try:
        return codeop.compile_command(src, "<input>", "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        pass
    # Several statements (a paste): complete when `exec` compiles and we are not inside an indented block.
    try:
        code = codeop.compile_command(src, "<input>", "exec")
    except (SyntaxError, ValueError, OverflowError):
        return True
    if code is None:
        return False
    return lines[-1] == "" or not lines[-1][:1].isspace()


_DEDENT_AFTER = re.compile(r"^\s*(return|pass|break|continue|raise)\b")


def _newline_with_indent(buffer: Any) -> None:
    line = buffer.document.current_line_before_cursor
    indent = len(line) - len(line.lstrip(" "))
    code = line.split("#", 1)[0].rstrip()
    if code.endswith(":"):
        indent += 4
    elif _DEDENT_AFTER.match(line):
        indent = max(0, indent - 4)
    buffer.insert_text("\n" + " " * indent)


class _InputRequest:
    """A question from code running in a job, answered by the prompt thread."""

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt
        self.event = threading.Event()
        self.value = ""
        self.error: type[BaseException] | None = None


class _Forward:
    """A file-like object that writes to the *current* ``sys.stdout`` and reads lines through the REPL's
    ``input`` (for :class:`pydoc.Helper`, so ``help()`` prints instead of starting a pager that would fight
    the prompt for the terminal)."""

    def __init__(self, repl: "Repl") -> None:
        self._repl = repl

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def readline(self) -> str:
        try:
            return self._repl.input("help> ") + "\n"
        except EOFError:
            return ""


class _Help:
    """``help`` for the REPL: :class:`pydoc.Helper` writing to the session (no pager; pydoc is imported on
    first use so it does not slow the start)."""

    def __init__(self, repl: "Repl") -> None:
        self._repl = repl
        self._helper: Any = None

    def __repr__(self) -> str:
        return "Type help() for interactive help, or help(object) for help about object."

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._helper is None:
            import pydoc

            fwd = _Forward(self._repl)
            self._helper = pydoc.Helper(input=fwd, output=fwd)
        return self._helper(*args, **kwargs)


class _LazyRegistry:
    """Forwards to :func:`genart_kit.registry.get_registry` on first use (plugin discovery is not free)."""

    def _reg(self) -> Any:
        from ..registry import get_registry

        return get_registry()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._reg(), name)

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._reg()) if not n.startswith("_")]

    def __repr__(self) -> str:
        try:
            reg = self._reg()
            from ..registry import KINDS

            counts = ", ".join(f"{len(reg.names(k))} {KINDS[k][1]}" for k in KINDS)
            return f"<registry: {counts}>"
        except Exception as exc:  # noqa: BLE001
            return f"<registry (unavailable: {exc})>"


class _DrainableStdoutProxy(StdoutProxy):
    """prompt_toolkit's :class:`StdoutProxy` that can wait until everything written so far has reached the
    terminal, so a message printed by a finished job never lands in the middle of the next prompt."""

    def __init__(self, raw: bool = False) -> None:
        super().__init__(raw=raw)
        self._queued = 0
        self._written = 0
        self._count_lock = threading.Condition()
        queue = getattr(self, "_flush_queue", None)
        self._counting = queue is not None and hasattr(StdoutProxy, "_write_and_flush")
        if not self._counting:  # a prompt_toolkit without these internals: drain() becomes a plain flush
            return
        put = queue.put

        def counting_put(item: Any, *args: Any, **kwargs: Any) -> None:
            if isinstance(item, str):
                with self._count_lock:
                    self._queued += len(item)
            put(item, *args, **kwargs)

        queue.put = counting_put  # type: ignore[method-assign]

    def _write_and_flush(self, loop: Any, text: str) -> None:
        try:
            super()._write_and_flush(loop, text)
        finally:
            with self._count_lock:
                self._written += len(text)
                self._count_lock.notify_all()

    def drain(self, timeout: float = 1.0) -> bool:
        """Flush and wait (at most *timeout* seconds) until all text has been written; ``True`` if it was."""
        self.flush()
        if not self._counting:
            return True
        deadline = time.monotonic() + timeout
        with self._count_lock:
            while self._written < self._queued:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._count_lock.wait(left)
        return True


@contextlib.contextmanager
def _patch_stdout(raw: bool = True) -> Any:
    """Like :func:`prompt_toolkit.patch_stdout.patch_stdout`, with a drainable proxy; yields the proxy."""
    with _DrainableStdoutProxy(raw=raw) as proxy:
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = proxy  # type: ignore[assignment]
        try:
            yield proxy
        finally:
            sys.stdout, sys.stderr = saved


class _Count(pbf.Formatter):
    """``done/total`` when the job reports a total, else nothing (prompt_toolkit's Progress shows ``0/?``)."""

    def format(self, progress_bar: Any, progress: Any, width: int) -> Any:
        if not progress.total:
            return ""
        return f"{progress.items_completed}/{progress.total}".rjust(width)

    def get_width(self, progress_bar: Any) -> Any:
        from prompt_toolkit.layout.dimension import D

        totals = [c.total for c in progress_bar.counters if c.total]
        return D.exact(2 * len(str(max(totals))) + 1) if totals else D.exact(0)


# ----------------------------------------------------------------------------------------------- Repl


class Repl:
    """One live-coding session.

    Args:
        input / output: prompt_toolkit input and output (default: the terminal). Tests pass a pipe input
            and a :class:`~prompt_toolkit.output.DummyOutput`.
        stdout: where results and messages go (default: ``sys.stdout``, patched while the REPL runs).
        history_path: history file (default :func:`default_history_path`); ``False`` keeps history in
            memory only.
        vi_mode: start in vi editing mode (``:vi`` / ``:emacs`` switch).
        term_preview: show the live loops in the bottom toolbar.
        preview_rows: toolbar picture height in terminal rows (2 pixels each).
        preload: import torch and the toolkit in the background at start.
        progress_delay: seconds a job runs before the progress bar appears.
        cancel_grace: seconds to wait for a cancelled job before detaching it.
        color_depth: prompt_toolkit colour depth (default: true colour unless ``PROMPT_TOOLKIT_COLOR_DEPTH``
            says otherwise).
    """

    def __init__(self, *, input: Any = None, output: Any = None, stdout: TextIO | None = None,
                 history_path: str | os.PathLike[str] | bool | None = None, vi_mode: bool = False,
                 term_preview: bool = True, preview_rows: int = 14, preload: bool = True,
                 progress_delay: float = 0.3, cancel_grace: float = 3.0, color_depth: ColorDepth | None = None,
                 banner: bool = True) -> None:
        self.stdout = stdout
        self.progress_delay = progress_delay
        self.cancel_grace = cancel_grace
        self.banner = banner
        self.exiting = False
        self.exit_code = 0
        self.counter = 0
        self.last_error: BaseException | None = None
        self.last_job: Any = None
        self.web: Any = None
        self.watches: dict[str, Any] = {}
        self.runner = JobRunner()
        self.preloader = Preloader(after=self._warm_registry) if preload else None
        self.loops = LoopManager(notify=self.notify, format_error=format_exception)
        self.namespace = self._make_namespace()

        from . import commands as _commands

        self.commands = _commands
        self.history = self._make_history(history_path)
        if color_depth is None and not os.environ.get("PROMPT_TOOLKIT_COLOR_DEPTH"):
            color_depth = ColorDepth.TRUE_COLOR
        self._dummy_output = isinstance(output, DummyOutput)
        completer = ReplCompleter(self.namespace, self._registry_pairs, commands=_commands.command_list(),
                                  command_args=_commands.argument_completers(self))
        self.session: PromptSession[str] = PromptSession(
            message=[("class:prompt", ">>> ")],
            multiline=True,
            prompt_continuation=lambda width, line_number, wrap_count: [("class:continuation", "... ".rjust(width))],
            lexer=PygmentsLexer(PythonLexer),
            completer=ThreadedCompleter(completer),
            complete_while_typing=False,
            auto_suggest=AutoSuggestFromHistory(),
            history=self.history,
            enable_history_search=False,
            key_bindings=self._key_bindings(),
            style=STYLE,
            include_default_pygments_style=True,
            editing_mode=EditingMode.VI if vi_mode else EditingMode.EMACS,
            bottom_toolbar=self._toolbar,
            color_depth=color_depth,
            input=input,
            output=output,
            enable_open_in_editor=True,
            mouse_support=False,
            tempfile_suffix=".py",
        )
        self.preview = TerminalPreview(self.loops, rows=preview_rows, enabled=term_preview,
                                       columns=lambda: self.session.output.get_size().columns,
                                       lines=lambda: self.session.output.get_size().rows)
        self._ticker = threading.Thread(target=self._tick, name="genart-preview-tick", daemon=True)
        self._ticker_stop = threading.Event()

    # --------------------------------------------------------------------------------- namespace
    def _make_namespace(self) -> dict[str, Any]:
        import genart_kit as ga

        from . import helpers

        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins, "ga": ga, "registry": _LazyRegistry(),
                              "input": self.input, "help": _Help(self)}
        ns.update(helpers.make_helpers(self))
        return ns

    def _warm_registry(self) -> None:
        from ..registry import get_registry

        get_registry()
        self._add_plugin_names()

    def _add_plugin_names(self) -> None:
        """Add the names plugins give the session (``register_namespace``) once, without replacing any
        name the session already has (``ga``, the helpers, the user's own variables win)."""
        with _PLUGIN_NAMES_LOCK:  # the preloader thread and the first job may both get here
            if getattr(self, "_plugin_names_added", False):
                return
            self._plugin_names_added = True
            from ..registry import get_registry

            try:
                names = get_registry().namespace()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the session
                log.warning("names from plugins not added: %s", exc)
                return
            for name, obj in names.items():
                self.namespace.setdefault(name, obj)

    def _registry_pairs(self, kind: str) -> list[tuple[str, str]]:
        from ..registry import get_registry

        return [(e.name, e.description) for e in get_registry().entries(kind)]

    @staticmethod
    def _make_history(path: Any) -> History:
        if path is False:
            return InMemoryHistory()
        p = Path(path) if path not in (None, True) else default_history_path()
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.touch(exist_ok=True)
            return FileHistory(str(p))
        except OSError as exc:
            log.warning("history file %s is not writable (%s); history kept in memory", p, exc)
            return InMemoryHistory()

    # ------------------------------------------------------------------------------------ output
    @property
    def out(self) -> TextIO:
        """Where the session writes (the patched ``sys.stdout`` unless given)."""
        return self.stdout or sys.stdout

    def echo(self, text: str = "") -> None:
        """Write one message line (from any thread; goes above the prompt)."""
        out = self.out
        out.write(text + "\n")
        out.flush()

    def notify(self, message: str) -> None:
        """Background message (loop swaps, render errors): printed above the prompt."""
        self.echo(message)

    def _toolbar(self) -> Any:
        try:
            return self.preview.fragments()
        except Exception as exc:  # noqa: BLE001 - the preview must never break the prompt
            log.debug("preview failed: %s", exc)
            return None

    def _tick(self) -> None:
        """Redraw the prompt while loops play (at most 15 times a second)."""
        while not self._ticker_stop.is_set():
            vis = self.loops.visible() if self.preview.enabled else []
            if vis or (self.preview.enabled and self.loops.busy()):
                app = self.session.app
                if app.is_running:
                    app.invalidate()
                fps = max((lp.current.fps for lp in vis), default=4.0)
                self._ticker_stop.wait(1.0 / min(15.0, max(2.0, fps)))
            else:
                self._ticker_stop.wait(0.2)

    # ------------------------------------------------------------------------------- key bindings
    def _key_bindings(self) -> KeyBindings:
        kb = KeyBindings()
        insert = emacs_insert_mode | vi_insert_mode

        @kb.add("enter", filter=insert & ~has_selection)
        def _enter(event: Any) -> None:
            b = event.current_buffer
            if b.complete_state and b.complete_state.current_completion is not None:
                b.apply_completion(b.complete_state.current_completion)
                return
            if b.document.is_cursor_at_the_end and is_complete(b.text):
                b.validate_and_handle()
            else:
                _newline_with_indent(b)

        @kb.add("enter", filter=vi_navigation_mode)
        def _enter_nav(event: Any) -> None:
            b = event.current_buffer
            if is_complete(b.text):
                b.validate_and_handle()
            else:
                b.cursor_down()

        @kb.add("escape", "enter")
        def _force_accept(event: Any) -> None:
            event.current_buffer.validate_and_handle()

        def at_indentation() -> bool:
            # Tab in leading whitespace indents (except on an empty first line, where it lists the names)
            doc = self.session.default_buffer.document
            return doc.current_line_before_cursor.strip() == "" and (doc.cursor_position_row > 0 or doc.text != "")

        @kb.add("tab", filter=insert & ~has_completions & Condition(at_indentation))
        def _indent(event: Any) -> None:
            event.current_buffer.insert_text("    ")

        @kb.add("c-c")
        def _ctrl_c(event: Any) -> None:
            b = event.current_buffer
            if b.text:
                event.app.exit(exception=KeyboardInterrupt, style="class:aborting")
                return
            cancelled = self.loops.cancel_renders()
            msg = (f"cancelled background render of {', '.join(repr(n) for n in cancelled)}" if cancelled
                   else "(Ctrl-C does not exit: use Ctrl-D or :quit)")
            run_in_terminal(lambda: self.echo(msg))

        return kb

    # ---------------------------------------------------------------------------------- main loop
    def _patched(self) -> Any:
        if self.stdout is not None or self._dummy_output:
            return contextlib.nullcontext()
        return _patch_stdout(raw=True)

    def _drain(self) -> None:
        out = sys.stdout
        if isinstance(out, _DrainableStdoutProxy):
            out.drain(1.0)

    @contextlib.contextmanager
    def _input_bridge(self) -> Any:
        """Route ``builtins.input`` (used by ``pdb``, ``breakpoint()``, ``cmd``...) through :meth:`input`
        while the session runs, so code in a job never reads the terminal behind the prompt's back."""
        builtins.input = self.input
        try:
            yield
        finally:
            builtins.input = _REAL_INPUT

    @contextlib.contextmanager
    def _logging_to_proxy(self) -> Any:
        """Point logging's stderr handlers at the (patched) ``sys.stderr`` while the session runs."""
        moved = []
        for h in logging.getLogger().handlers:
            if isinstance(h, logging.StreamHandler) and h.stream in (sys.__stderr__, sys.__stdout__) \
                    and h.stream is not sys.stderr:
                moved.append((h, h.setStream(sys.stderr)))
        try:
            yield
        finally:
            for h, old in moved:
                h.setStream(old)

    def run(self, startup: list[str] | tuple[str, ...] = ()) -> int:
        """Run the session until ``:quit``, ``exit()`` or Ctrl-D; return the exit status.

        Args:
            startup: inputs run before the first prompt (e.g. ``[":preview web"]``).
        """
        with self._patched(), self._logging_to_proxy(), self._input_bridge():
            if self.banner:
                self.echo(f"genart-kit {__version__} live-coding REPL (Python {sys.version.split()[0]}). "
                          f"`ga` is the toolkit; :help lists commands; Ctrl-D quits.")
            self._ticker.start()
            try:
                for text in startup:
                    self.handle(text)
                while not self.exiting:
                    try:  # a Ctrl-C (SIGINT) landing anywhere in here never ends the session
                        self._drain()
                        try:
                            text = self.session.prompt(pre_run=self._start_preload)
                        except KeyboardInterrupt:
                            continue
                        except EOFError:
                            break
                        self.handle(text)
                    except KeyboardInterrupt:
                        continue
            finally:
                self.close()
        return self.exit_code

    def _start_preload(self) -> None:
        """Start importing torch & co. in the background once the first prompt has been drawn, so the
        import (which holds the GIL for up to ~0.5 s at a time) does not delay the prompt itself."""
        if self.preloader is None or self.preloader._thread is not None:
            return
        try:
            import asyncio

            asyncio.get_running_loop().call_later(0.05, self.preloader.start)
        except RuntimeError:
            self.preloader.start()

    def handle(self, text: str) -> Any:
        """Run one input (Python code or a colon command) to completion; return the job (or ``None``)."""
        if not text.strip():
            return None
        if text.lstrip().startswith(":"):
            line = text.strip()
            return self.run_foreground(lambda: self.commands.run(self, line), label=line.split()[0])
        return self.run_code(text)

    # ------------------------------------------------------------------------------- python code
    def _compile(self, source: str) -> tuple[Any, Any, str]:
        self.counter += 1
        filename = f"{_INPUT_PREFIX}{self.counter}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        tree = ast.parse(source, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            expr = tree.body.pop()
            last = compile(ast.Expression(expr.value), filename, "eval")
        body = compile(tree, filename, "exec") if tree.body else None
        return body, last, filename

    def run_code(self, source: str) -> Any:
        """Compile *source* here (syntax errors are reported at once), run it as a foreground job, print
        the value of a final expression (``repr``, kept in ``_``)."""
        try:
            body, last, _ = self._compile(source)
        except (SyntaxError, ValueError, OverflowError) as exc:
            self.last_error = exc
            self.echo("".join(traceback.format_exception_only(type(exc), exc)).rstrip())
            return None
        ns = self.namespace

        def run() -> Any:
            self._add_plugin_names()
            self.current_source = source  # what helpers such as loop() record for :save's recipe
            if body is not None:
                exec(body, ns)  # noqa: S102 - executing the user's code is the point of a REPL
            if last is not None:
                value = eval(last, ns)  # noqa: S307
                if value is not None:
                    ns["_"] = value
                    return repr(value)
            return None

        label = source.strip().splitlines()[0][:40]
        job = self.run_foreground(run, label=label)
        return job

    # -------------------------------------------------------------------------------------- jobs
    def _job_text(self, job: Any) -> str:
        label = job.label
        if self.preloader is not None and not self.preloader.done.is_set():
            label = f"{label} (waiting: {self.preloader.stage})"
        if job.cancel_event.is_set():
            label = f"{label} (cancelling)"
        return label

    def run_foreground(self, fn: Any, label: str = "running") -> Any:
        """Run ``fn()`` as a job on the worker thread and wait for it with a progress bar and Ctrl-C.

        Prints its outcome: the returned string (a ``repr``), a short traceback, or the cancellation.
        Returns the :class:`~genart_kit.repl.background.Job`.
        """
        job = self.runner.submit(fn, label=label)
        self.last_job = job
        cancelled_at: list[float] = []

        def request_cancel() -> None:
            if not cancelled_at:
                cancelled_at.append(time.monotonic())
            job.cancel()

        try:
            quiet_since = time.monotonic()
            while not job.done_event.is_set():
                if job.input_request is not None:
                    self._serve_input(job)
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since < self.progress_delay:
                    job.wait(0.02)
                else:
                    self._wait_with_progress(job, request_cancel, cancelled_at)
                    if cancelled_at and time.monotonic() - cancelled_at[0] > self.cancel_grace:
                        break
        except KeyboardInterrupt:
            request_cancel()
        if cancelled_at:
            try:
                stopped = job.wait(max(0.0, self.cancel_grace - (time.monotonic() - cancelled_at[0])))
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting at once
                stopped = job.done_event.is_set()
        else:
            stopped = True
        if not stopped:
            self.runner.detach(job)
            self.echo("cancel requested, but the job is inside a long native call; it was detached "
                      "(its result will be discarded) - the session goes on.")
            return job
        self._report(job)
        return job

    def _wait_with_progress(self, job: Any, request_cancel: Any, cancelled_at: list[float]) -> None:
        kb = KeyBindings()
        typeahead: list[Any] = []

        @kb.add(Keys.Any)
        def _keep(event: Any) -> None:  # keys typed during the job go to the next prompt
            typeahead.extend(event.key_sequence)

        formatters = [
            pbf.Label(suffix="  "),
            pbf.SpinningWheel(),
            pbf.Text(" "),
            pbf.Bar(sym_a="#", sym_b="#", sym_c="."),
            pbf.Text(" "),
            _Count(),
            pbf.Text(" "),
            pbf.TimeElapsed(),
            pbf.Text("  Ctrl-C cancels", style="class:hint"),
        ]
        with ProgressBar(formatters=formatters, key_bindings=kb, cancel_callback=request_cancel,
                         style=STYLE, input=self.session.input, output=self.session.output,
                         color_depth=self.session.color_depth) as pb:
            counter = pb(label=lambda: self._job_text(job), total=job.total)
            while not job.wait(0.1) and job.input_request is None:
                counter.items_completed = job.completed
                counter.total = job.total
                counter.label = self._job_text(job)
                if cancelled_at and time.monotonic() - cancelled_at[0] > self.cancel_grace:
                    break
            counter.items_completed = job.completed
            counter.total = job.total
            if job.status == "done":
                counter.done = True
            elif job.done_event.is_set():
                counter.stopped = True
            else:  # paused for input(): this bar goes, a new one comes after the answer
                pb.counters.remove(counter)
        if typeahead:
            store_typeahead(self.session.input, typeahead)

    # ------------------------------------------------------------------------------------- input()
    def _serve_input(self, job: Any) -> None:
        """Answer a job's ``input()`` with a prompt on the main thread (the only thread reading keys)."""
        req = job.input_request
        try:
            answer = PromptSession(input=self.session.input, output=self.session.output).prompt(req.prompt)
            req.value = answer
        except (KeyboardInterrupt, EOFError) as exc:
            req.error = type(exc)
        finally:
            job.input_request = None
            req.event.set()

    def input(self, prompt: Any = "") -> str:
        """``input()`` for code running in the REPL: the question is asked by the prompt thread (a worker
        must never read the terminal itself, it would steal the prompt's keys).

        Raises:
            EOFError: Ctrl-D at the question; KeyboardInterrupt: Ctrl-C at the question.
        """
        from .background import current_job

        job = current_job()
        if job is None:
            return _REAL_INPUT(prompt)
        req = _InputRequest(str(prompt))
        job.input_request = req
        while not req.event.wait(0.05):
            if job.cancel_event.is_set():
                raise KeyboardInterrupt
        if req.error is not None:
            raise req.error
        return req.value

    def _report(self, job: Any) -> None:
        if job.status == "done":
            if isinstance(job.result, str):
                self.echo(job.result)
        elif job.status == "cancelled":
            self.last_error = job.error
            self.echo(f"cancelled after {job.elapsed:.1f} s (the session goes on)")
        elif job.status == "error":
            exc = job.error
            if isinstance(exc, SystemExit):
                self.exiting = True
                self.exit_code = exc.code if isinstance(exc.code, int) else 0
                return
            self.last_error = exc
            sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
            self.echo(format_exception(exc))

    # ----------------------------------------------------------------------------------- previews
    def start_web_preview(self, port: int = 0) -> str:
        """Start (once) the browser preview on 127.0.0.1 and return its URL."""
        if self.web is None or self.web.closed:
            from .preview_web import PreviewServer

            self.web = PreviewServer(self.loops, port=port)
        return self.web.url

    def _terminal_columns(self) -> int:
        """The terminal width: prompt_toolkit's view, capped by the OS's (they can disagree under tmux)."""
        if self._dummy_output:
            return 80
        cols = int(self.session.output.get_size().columns)
        try:
            import shutil

            real = shutil.get_terminal_size((cols, 24)).columns
            if sys.stdout.isatty() and real > 0:
                cols = min(cols, real)
        except (OSError, ValueError, AttributeError):
            pass
        return max(10, cols)

    def show(self, clip: Any, frames: int = 6, rows: int | None = None) -> str:
        """Render *clip* (with progress, cancellable) and print up to *frames* evenly spaced frames side by
        side as half-blocks; return a one-line summary."""
        arr = materialize(clip, what="clip")
        t = arr.shape[0]
        n = max(1, min(int(frames), t))
        idx = sorted({round(i * (t - 1) / max(1, n - 1)) for i in range(n)}) if n > 1 else [0]
        cols = self._terminal_columns() - 1  # never the last column: a full-width line wraps in many terminals
        rows = rows or self.preview.rows
        while len(idx) > 1 and (cols - 2 * (len(idx) - 1)) // len(idx) < 4:
            idx = idx[:: 2] if len(idx) > 2 else idx[:1]  # too narrow for this many frames: show fewer
        per = max(1, (cols - 2 * (len(idx) - 1)) // len(idx))
        picture = tile([fit(to_rgb(arr[i]), per, rows) for i in idx])
        if picture.shape[1] > cols:  # tiny terminal: crop rather than wrap
            picture = picture[:, :max(1, cols)]
        self.out.write(half_block_ansi(picture))
        self.out.flush()
        return f"{t} frames, {arr.shape[2]}x{arr.shape[1]} px, showing frames {', '.join(map(str, idx))}"

    # -------------------------------------------------------------------------------------- watch
    def watch(self, path: str, **options: Any) -> str:
        """Start watching a sketch file (see :mod:`genart_kit.repl.watch`); return its loop name."""
        from .watch import SketchWatch

        w = SketchWatch(path, self.loops, notify=self.notify, format_error=format_exception,
                        **{k: v for k, v in options.items() if v is not None})
        old = self.watches.pop(str(w.path), None)
        if old is not None:
            old.stop()
        self.watches[str(w.path)] = w
        w.start()
        return w.name

    def unwatch(self, path: str | None = None) -> list[str]:
        """Stop watching *path* (all files when ``None``); return the files no longer watched."""
        if path is None:
            keys = list(self.watches)
        else:
            p = str(Path(path).expanduser().resolve())
            if p not in self.watches:
                raise InvalidInputError(f"{path!r} is not watched; watched: {', '.join(self.watches) or 'none'}.")
            keys = [p]
        for k in keys:
            self.watches.pop(k).stop()
        return keys

    # -------------------------------------------------------------------------------------- close
    def close(self) -> None:
        """Stop loops, watchers, the web preview and the worker (idempotent)."""
        self._ticker_stop.set()
        job = self.last_job
        if job is not None and not job.done_event.is_set():
            job.cancel()  # a detached job still inside torch would abort the interpreter at exit
            job.wait(2.0)
        for w in list(self.watches.values()):
            w.stop()
        self.watches.clear()
        if self.web is not None:
            self.web.close()
        self.loops.close()
        self.runner.shutdown()


def main(argv: list[str] | None = None, **options: Any) -> int:
    """Run a REPL session on the terminal; *options* are :class:`Repl` arguments. Returns the exit status."""
    return Repl(**options).run()
