"""Sub-commands that plugins add to ``genart`` through the ``register_commands`` hook (as llm's plugins do).

A plugin's hook receives a ``register`` callback (:class:`genart_kit.hookspecs.RegisterCommand`)::

    @hookimpl
    def register_commands(register):
        parser = register("hello", hello, help="say hello")
        parser.add_argument("--name", default="world")

    def hello(args):          # args: argparse.Namespace
        print(f"hello {args.name}")

Each command gets its own staged :class:`argparse.ArgumentParser`; the command line copies it in only when
the plugin loaded cleanly, so a plugin whose hook raises, or that takes a built-in command's name or one
another plugin also takes, is reported by ``genart plugins`` and leaves the command line as it was. At run
time a handler that raises exits 1 with a one-line message (``--debug``: the traceback).

This module imports no torch.
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ._text import clean_text
from .errors import GenartError, InvalidInputError

__all__ = ["BUILTIN_COMMANDS", "PluginCommand", "check_command_name", "make_register_command", "collect_commands",
           "add_to_parser"]

#: the sub-commands of genart-kit itself (a plugin cannot take these names); checked against the
#: command line by the tests
BUILTIN_COMMANDS = frozenset({"plugins", "list", "run", "replay", "sample", "train", "new-plugin", "repl", "help"})

_COMMAND = re.compile(r"[a-z][a-z0-9-]{0,39}\Z")

#: argument destinations genart itself sets on every command line (its global options and what it uses to
#: run a command): a plugin command's arguments cannot take them; checked against the parser by the tests
RESERVED_DESTS = frozenset({"command", "debug", "help", "plugins_dir", "strict", "version", "handler", "extra",
                            "takes_extra_args", "plugin_command"})


@dataclass(frozen=True)
class PluginCommand:
    """One sub-command a plugin adds.

    Attributes:
        name: the sub-command (``genart NAME``).
        plugin: the plugin that registered it.
        handler: ``handler(args: argparse.Namespace) -> int | None``.
        parser: the staged parser holding its arguments (copied into the command line).
        help: one line for ``genart --help``.
        description, epilog: for ``genart NAME --help``.
    """

    name: str
    plugin: str
    handler: Callable[[argparse.Namespace], Any]
    parser: argparse.ArgumentParser
    help: str = ""
    description: str | None = None
    epilog: str | None = None


def check_command_name(name: object) -> str | None:
    """Why *name* cannot be a plugin's sub-command, or ``None`` when it can: lower-case letters, digits and
    ``-``, starting with a letter, 1..40 characters, not one of :data:`BUILTIN_COMMANDS`."""
    if not isinstance(name, str):
        return f"is a {type(name).__name__}, not a string"
    if not _COMMAND.match(name):
        return "is not 1..40 lower-case letters, digits and '-' starting with a letter"
    if name in BUILTIN_COMMANDS:
        return "is a built-in command of genart"
    return None


def _literal(text: str | None, always: bool = False) -> str | None:
    """*text* safe from argparse's %-formatting: help lines are always formatted, descriptions and epilogs
    only when they hold ``%(prog)``."""
    if text is None or not (always or "%(prog)" in text):
        return text
    return text.replace("%", "%%")


def make_register_command(plugin: str, info: Any, staged: dict[str, list[PluginCommand]]) -> Callable[..., argparse.ArgumentParser]:
    """The ``register`` callback given to *plugin*'s ``register_commands`` hook (see
    :class:`genart_kit.hookspecs.RegisterCommand`); commands are staged in ``staged[plugin]``.

    Args:
        plugin: the plugin's name.
        info: its :class:`~genart_kit.plugins.PluginInfo` (failed with the reason on a bad registration).
        staged: plugin name -> its commands so far (filled in).
    """

    def register(name: str, handler: Callable[[argparse.Namespace], Any], *, help: str = "",
                 description: str | None = None, epilog: str | None = None) -> argparse.ArgumentParser:
        """Stage the sub-command *name* running *handler*; return its parser to add arguments to.

        Raises:
            InvalidInputError: a bad or built-in name, a name this plugin already registered, or a handler
                that is not callable (the plugin is marked ``error``).
        """
        reason = check_command_name(name)
        if reason is None and any(c.name == name for c in staged.get(plugin, ())):
            reason = "is registered twice by this plugin"
        if reason is None and not callable(handler):
            reason = f"has a handler that is not callable ({handler!r:.40})"
        if reason is not None:
            message = f"plugin '{plugin}' registered the command {name!r:.50}, which {reason}; rename it or fix the call"
            info.fail(message)
            raise InvalidInputError(message + ".")
        parser = argparse.ArgumentParser(prog=f"genart {name}", add_help=False, allow_abbrev=False)
        # help texts are printed: one printable line; description and epilog keep their lines
        staged.setdefault(plugin, []).append(PluginCommand(
            name, plugin, handler, parser, clean_text(help or ""),
            None if description is None else clean_text(description, keep_lines=True),
            None if epilog is None else clean_text(epilog, keep_lines=True)))
        return parser

    return register


def collect_commands(staged: Mapping[str, list[PluginCommand]], infos: Mapping[str, Any]) -> dict[str, PluginCommand]:
    """The commands of the plugins that loaded cleanly; a name two plugins register is withdrawn and both
    plugins are marked ``error`` (as for parts), and so is a command whose arguments clash with ``-h``.

    Args:
        staged: plugin name -> its staged commands.
        infos: plugin name -> :class:`~genart_kit.plugins.PluginInfo`.

    Returns:
        command name -> :class:`PluginCommand`, sorted by name.
    """
    owners: dict[str, list[PluginCommand]] = {}
    for plugin, commands in staged.items():
        if infos[plugin].status != "ok":
            continue
        for command in commands:
            owners.setdefault(command.name, []).append(command)
    out: dict[str, PluginCommand] = {}
    for name in sorted(owners):
        found = owners[name]
        if len(found) == 1:
            try:  # a trial copy of its arguments with -h: a clash is the plugin's error, found now
                argparse.ArgumentParser(prog=f"genart {name}", parents=[found[0].parser])
            except (argparse.ArgumentError, ValueError, TypeError) as exc:
                infos[found[0].plugin].fail(f"command 'genart {name}' cannot be added: {type(exc).__name__}: {exc}")
                continue
            taken = sorted({a.dest for a in found[0].parser._actions} & RESERVED_DESTS)
            if taken:
                infos[found[0].plugin].fail(
                    f"command 'genart {name}' has arguments stored as {', '.join(map(repr, taken))}, which genart uses "
                    "itself; give them other names (add_argument(..., dest='my_name'))")
                continue
            out[name] = found[0]
            continue
        reason = (f"command 'genart {name}' is registered by plugins {' and '.join(repr(c.plugin) for c in found)}; "
                  "uninstall or disable one (GENART_LOAD_PLUGINS)")
        for command in found:
            infos[command.plugin].fail(reason)
    return out


def _run(command: PluginCommand) -> Callable[[argparse.Namespace], int]:
    """*command*'s handler, isolated: toolkit errors pass through (one line, exit 1, as for built-in
    commands); any other exception exits 1 with a one-line message naming the plugin (``--debug``: the
    traceback). ``SystemExit`` and Ctrl-C pass through."""

    def handler(args: argparse.Namespace) -> int:
        try:
            status = command.handler(args)
        except (GenartError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - a broken plugin command must not look like a genart crash
            if getattr(args, "debug", False):
                traceback.print_exc()
            text = " ".join(str(exc).split()) or "(no message)"
            print(f"genart: error: command '{command.name}' of plugin '{command.plugin}' failed: "
                  f"{type(exc).__name__}: {text} (see `genart plugins`; --debug shows the traceback)", file=sys.stderr)
            return 1
        if status is None:
            return 0
        if isinstance(status, int) and not isinstance(status, bool) and 0 <= status <= 255:
            return status
        print(f"genart: error: command '{command.name}' of plugin '{command.plugin}' returned {status!r:.60}; a "
              "handler returns None or an exit status 0..255", file=sys.stderr)
        return 1

    return handler


def add_to_parser(sub: "argparse._SubParsersAction[Any]", commands: Mapping[str, PluginCommand]) -> list[str]:
    """Add *commands* (from :func:`collect_commands`) to the ``genart`` sub-parsers *sub*: each copies its
    staged parser's arguments and defaults, plus ``-h``, and runs its handler isolated.

    Returns:
        the names added.
    """
    added = []
    for name, command in commands.items():
        if name in sub.choices:  # pragma: no cover - built-in names are refused at registration
            continue
        parser = sub.add_parser(name, parents=[command.parser],
                                help=_literal(f"{command.help} (plugin {command.plugin})".strip(), always=True),
                                description=_literal(command.description or command.help or None),
                                epilog=_literal(command.epilog))
        parser.set_defaults(handler=_run(command), plugin_command=name)
        added.append(name)
    return added
