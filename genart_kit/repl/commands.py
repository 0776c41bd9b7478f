"""Colon commands: ``:help``, ``:models``, ``:loops``, ``:watch FILE``, ``:save PATH``, ``:quit``...

A line starting with ``:`` is a command, not Python. Commands run like code (off the prompt thread, with
progress and Ctrl-C). An unknown command gets the closest names as a suggestion. Each command is a
function ``(repl, arg) -> None`` registered in :data:`COMMANDS` with its usage and one-line help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError, UnknownNameError

__all__ = ["Command", "COMMANDS", "run", "find", "command_list", "argument_completers", "print_loops"]


@dataclass(frozen=True)
class Command:
    """One colon command: primary *name*, *aliases*, *usage* line, one-line *help*, the *handler*
    ``(repl, arg)`` and how its argument completes (``"path"``, a callable, or ``None``)."""

    name: str
    usage: str
    help: str
    handler: Callable[[Any, str], Any]
    aliases: tuple[str, ...] = ()
    args: Any = None


def _table(repl: Any, headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[h.upper() for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for r in cells:
        repl.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


# --------------------------------------------------------------------------------------- handlers


def _help(repl: Any, arg: str) -> None:
    if arg:
        cmd = find(arg.lstrip(":"))
        repl.echo(f"{cmd.usage}\n    {cmd.help}")
        return
    repl.echo("Type Python; `ga` is genart_kit. Enter runs a complete statement, blocks end with an empty line,")
    repl.echo("Meta-Enter (Esc Enter) always runs, Tab completes (names, and registry names inside strings:")
    repl.echo('ga.model("<Tab>). Ctrl-C cancels a running job; Ctrl-D quits.')
    repl.echo("")
    repl.echo("Live coding:  loop(name, clip, fps=24)  stop(name)  hush()  solo(name)  loops()")
    repl.echo("              loop(name, clip, bpm=120, beats=8)  tempo(128)  clock   (loops in phase on one clock)")
    repl.echo("              show(clip)  save(clip_or_loop, path)  preview()  watch(path)")
    repl.echo("")
    repl.echo("Commands:")
    width = max(len(c.usage) for c in COMMANDS)
    for c in COMMANDS:
        alias = f" (also :{', :'.join(c.aliases)})" if c.aliases else ""
        repl.echo(f"  {c.usage.ljust(width)}  {c.help}{alias}")


def _registry() -> Any:
    from ..registry import get_registry

    return get_registry()


def _models(repl: Any, arg: str) -> None:
    from ..registry import model_ready

    rows = []
    for e in _registry().entries("model"):
        m = e.meta
        shape = "x".join("any" if s is None else str(s) for s in m.get("image_shape", ())) or "?"
        flags = ", ".join(f for f, on in (("ready", model_ready(m)), ("conditional", m.get("conditional"))) if on)
        rows.append([e.name, m.get("latent_dim", "?"), shape, flags or "-", e.description])
    if not rows:
        repl.echo("No models registered (see :plugins).")
        return
    _table(repl, ["name", "latent", "image", "flags", "description"], rows)
    repl.echo('Load one with  vae = ga.model("vae-mnist")')


def _kind_lister(kind: str, example: str) -> Callable[[Any, str], None]:
    def handler(repl: Any, arg: str) -> None:
        entries = _registry().entries(kind)
        if not entries:
            repl.echo(f"No {kind}s registered (see :plugins).")
            return
        _table(repl, ["name", "plugin", "description"], [[e.name, e.plugin, e.description] for e in entries])
        if example:
            repl.echo(example)

    return handler


def _plugins(repl: Any, arg: str) -> None:
    infos = list(_registry().plugins.infos.values())
    if not infos:
        repl.echo("No plugins loaded.")
        return
    _table(repl, ["name", "version", "status", "hooks", "source"],
           [[i.name, i.version, i.status, ",".join(h.removeprefix("register_") for h in i.hooks) or "-", i.source]
            for i in infos])
    for i in infos:
        if i.status != "ok":
            repl.echo(f"{i.name}: error: {i.error}")


def print_loops(repl: Any) -> None:
    """Print the loop table of *repl* (``:loops`` and ``loops()``)."""
    rows = repl.loops.table()
    if not rows:
        repl.echo('No live loops. Start one with  loop("walk", clip)  or  loop("walk", clip, bpm=120, beats=8)')
        return
    repl.echo(repl.loops.clock.describe())
    out = []
    for r in rows:
        extra = []
        if r.get("cycle") is not None:
            extra.append(f"cycle {r['cycle']} (re-evaluated every cycle)")
        if r["pending"] and r.get("cycle") is None:
            extra.append(f"v{r['pending']} at next cycle")
        if r["rendering"] is not None:
            done, total = r["rendering"]
            extra.append(f"rendering {done}/{total if total is not None else '?'}")
        if r["error"]:
            extra.append(f"last error: {r['error']}")
        size = f"{r['size'][1]}x{r['size'][0]}" if r["size"] else "-"
        out.append([r["name"], f"v{r['version']}" if r["version"] else "-", r["frames"] or "-", size,
                    f"{round(r['fps'], 2):g}" if r["fps"] else "-", r["state"], _cycle(r), r["phase"], "; ".join(extra)])
    _table(repl, ["loop", "version", "frames", "size", "fps", "state", "cycle", "phase", "notes"], out)


def _cycle(row: dict[str, Any]) -> str:
    """The CYCLE column: ``"8 beats @ 120 BPM"``, ``"8.00 s (audio)"`` or ``"2.00 s"`` (free-running)."""
    if row["beats"] is not None:
        return f"{row['timing']} @ {row['bpm']:g} BPM"
    if row["on_clock"] or row["seconds"] is None:
        return row["timing"]
    return f"{row['seconds']:.2f} s"


def _loops(repl: Any, arg: str) -> None:
    print_loops(repl)


def _loop_names(repl: Any) -> Callable[[str], list[tuple[str, str]]]:
    return lambda prefix: [(n, "loop") for n in repl.loops.loops]


def _stop(repl: Any, arg: str) -> None:
    if not arg:
        raise InvalidInputError("usage: :stop NAME   (:hush stops every loop)")
    for name in arg.split():
        repl.loops.stop(name)
        repl.echo(f"stopped loop '{name}'")


def _hush(repl: Any, arg: str) -> None:
    n = repl.loops.hush()
    repl.echo(f"stopped {n} loop{'s' if n != 1 else ''}")


def _solo(repl: Any, arg: str) -> None:
    repl.loops.solo(arg or None)
    repl.echo(f"solo '{arg}'" if arg else "showing every loop")


def _watch(repl: Any, arg: str) -> None:
    if not arg:
        watched = list(repl.watches.values())
        if not watched:
            raise InvalidInputError("usage: :watch FILE   (a sketch .py file; re-run on every save)")
        for w in watched:
            repl.echo(f"watching {w.path} as loop '{w.name}' ({w.runs} runs)")
        return
    path, *params = arg.split()
    bad = [p for p in params if "=" not in p]
    if bad:
        raise InvalidInputError(f"sketch parameters are NAME=VALUE, got {' '.join(bad)!r}; "
                                "e.g. :watch sketches/noise_loop.py model=vae harmonics=5")
    options: dict[str, Any] = {}
    overrides = []
    for item in params:  # run options (seed, frames, fps, size) as for `genart run`; the rest are parameters
        key, _, value = item.partition("=")
        if key in ("seed", "frames", "size", "fps"):
            try:
                options[key] = float(value) if key == "fps" else int(value)
            except ValueError:
                raise InvalidInputError(f"{key} must be a number, got {value!r}.") from None
        else:
            overrides.append(item)
    name = repl.watch(path, overrides=overrides or None, **options)
    repl.echo(f"watching {path} as loop '{name}': save the file to re-run it (:unwatch stops)")


def _unwatch(repl: Any, arg: str) -> None:
    for p in repl.unwatch(arg or None):
        repl.echo(f"stopped watching {p}")


def _save(repl: Any, arg: str) -> None:
    parts = arg.split()
    if not parts:
        raise InvalidInputError("usage: :save PATH [LOOP]   e.g. :save walk.gif")
    path = parts[0]
    if len(parts) > 1:
        name = parts[1]
    else:
        lp = repl.loops.focus()
        if lp is None:
            raise InvalidInputError('no loop is playing; start one with loop("walk", clip) or save(clip, PATH).')
        name = lp.name
    out = repl.namespace["save"](name, path)
    repl.echo(f"saved loop '{name}' to {out}")


def _preview(repl: Any, arg: str) -> None:
    words = arg.split()
    sub = words[0] if words else "web"
    if sub in ("web", "open", "on") and len(words) <= 1:
        url = repl.start_web_preview()
        repl.echo(f"browser preview at {url}  (127.0.0.1 only; `:preview stop` ends it)")
    elif sub in ("stop", "close"):
        if repl.web is not None:
            repl.web.close()
            repl.web = None
        repl.echo("browser preview stopped")
    elif sub in ("term", "terminal"):
        opt = words[1] if len(words) > 1 else "on"
        if opt.lstrip("-").isdigit():
            try:
                height = int(repl.preview._lines())
            except Exception:  # noqa: BLE001 - no usable terminal size: assume a common one
                height = 24
            top = max(2, height - 4)
            if not 2 <= int(opt) <= top:
                raise InvalidInputError(
                    f":preview term ROWS must be 2..{top} (this terminal has {height} rows; the prompt needs 4); "
                    f"got {opt}."
                )
            repl.preview.rows = int(opt)
            repl.preview.enabled = True
        elif opt in ("on", "off"):
            repl.preview.enabled = opt == "on"
        else:
            raise InvalidInputError("usage: :preview term on|off|ROWS")
        repl.echo(f"terminal preview {'on, ' + str(repl.preview.rows) + ' rows' if repl.preview.enabled else 'off'}")
    elif sub == "off":
        repl.preview.enabled = False
        repl.echo("terminal preview off (:preview term on brings it back)")
    else:
        raise InvalidInputError("usage: :preview [web|stop|term on|term off|term ROWS]")


def _vi(repl: Any, arg: str) -> None:
    from prompt_toolkit.enums import EditingMode

    repl.session.editing_mode = EditingMode.VI
    repl.echo("vi editing mode")


def _emacs(repl: Any, arg: str) -> None:
    from prompt_toolkit.enums import EditingMode

    repl.session.editing_mode = EditingMode.EMACS
    repl.echo("emacs editing mode")


def _tb(repl: Any, arg: str) -> None:
    from .tracebacks import format_exception

    if repl.last_error is None:
        repl.echo("no error yet")
        return
    repl.echo(format_exception(repl.last_error, full=True))


def _quit(repl: Any, arg: str) -> None:
    repl.exiting = True


COMMANDS: list[Command] = [
    Command("help", ":help [COMMAND]", "this help, or one command's", _help),
    Command("models", ":models", "models you can load with ga.model(NAME)", _models),
    Command("ops", ":ops", "latent ops (ga.latent.*)", _kind_lister("op", "")),
    Command("renderers", ":renderers", "frame renderers (ga.render.*)", _kind_lister("renderer", "")),
    Command("exporters", ":exporters", "export formats for save()/:save", _kind_lister("exporter", "")),
    Command("plugins", ":plugins", "installed plugins and their status", _plugins),
    Command("loops", ":loops", "the live loops", _loops),
    Command("stop", ":stop NAME", "stop one live loop", _stop, args="loops"),
    Command("hush", ":hush", "stop every live loop", _hush),
    Command("solo", ":solo [NAME]", "show only NAME (no name: show all)", _solo, args="loops"),
    Command("watch", ":watch FILE [NAME=VALUE ...]", "re-run a sketch file on every save into the preview", _watch,
            args="path"),
    Command("unwatch", ":unwatch [FILE]", "stop watching (all files when none given)", _unwatch, args="path"),
    Command("save", ":save PATH [LOOP]", "export the focused (or named) loop; format from the suffix", _save,
            args="path"),
    Command("preview", ":preview [web|stop|term on|off|ROWS]", "browser preview on 127.0.0.1 / terminal preview",
            _preview, args="preview"),
    Command("tb", ":tb", "full traceback of the last error", _tb),
    Command("vi", ":vi", "vi key bindings", _vi),
    Command("emacs", ":emacs", "emacs key bindings (default)", _emacs),
    Command("quit", ":quit", "leave the REPL (Ctrl-D too)", _quit, aliases=("q", "exit")),
]


def command_list() -> list[tuple[str, str]]:
    """``[(name, help)]`` for completion, aliases included."""
    out = []
    for c in COMMANDS:
        out.append((c.name, c.help))
        out.extend((a, c.help) for a in c.aliases)
    return out


def argument_completers(repl: Any) -> dict[str, Any]:
    """``command -> "path" | callable(prefix) -> [(value, meta)]`` for :class:`ReplCompleter`."""
    preview_words = [("web", "open the browser preview"), ("stop", "stop the browser preview"),
                     ("term", "terminal preview on|off|ROWS")]
    out: dict[str, Any] = {}
    for c in COMMANDS:
        if c.args == "path":
            spec: Any = "path"
        elif c.args == "loops":
            spec = _loop_names(repl)
        elif c.args == "preview":
            spec = lambda prefix: preview_words  # noqa: E731
        else:
            continue
        for n in (c.name, *c.aliases):
            out[n] = spec
    return out


def find(name: str) -> Command:
    """The command called *name* (or an alias).

    Raises:
        UnknownNameError: no such command; the message suggests the closest ones.
    """
    for c in COMMANDS:
        if name == c.name or name in c.aliases:
            return c
    import difflib

    names = [n for n, _ in command_list()]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if not close and name:
        close = [n for n in names if n.startswith(name[0])][:3]
    hint = (" Did you mean " + " or ".join(f"':{m}'" for m in close) + "?") if close else ""
    raise UnknownNameError(f"unknown command ':{name}'.{hint} :help lists the commands.")


def run(repl: Any, line: str) -> None:
    """Run one command line (``":watch sketches/x.py"``) on *repl*."""
    body = line.strip()[1:]
    name, _, arg = body.partition(" ")
    find(name.strip()).handler(repl, arg.strip())
