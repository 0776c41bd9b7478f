"""The ``genart`` command.

Sub-commands live one per module in :mod:`genart_kit.commands`; each module defines ``ORDER``,
``add_parser(sub)`` and a ``handle(args) -> int`` set as the parser's default ``handler``. Nothing here (nor in
the command modules' top level) imports torch, so ``genart --help`` and listings stay fast.

Plugins add sub-commands through the ``register_commands`` hook (:mod:`genart_kit.plugin_commands`); they
are loaded only when the command given is not a built-in one (and for ``genart --help``), so built-in
commands never pay for them. ``--plugins-dir DIR`` may come anywhere before ``--`` (``genart list models
--plugins-dir DIR`` too), because the plugins must be known before the command line is parsed.

Errors from the toolkit (:class:`~genart_kit.errors.GenartError`) print as one line on stderr and exit 1;
``--debug`` prints the traceback too. Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import pkgutil
import sys
import traceback
from typing import Any, NoReturn, Sequence

from ._version import __version__
from .errors import GenartError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``genart: error: ...``) with a pointer to ``--help``, and no
    abbreviated options (``--over`` is not silently taken as ``--overwrite``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(2, f"genart: error: {message} (see `{self.prog} --help`)\n")


def build_parser(*, plugin_commands: bool = False) -> argparse.ArgumentParser:
    """The argument parser, with every sub-command found in :mod:`genart_kit.commands`.

    Args:
        plugin_commands: also add the sub-commands of the installed plugins (``register_commands``); this
            builds the registry (imports the plugins' modules, not torch).

    The sub-parsers action is the parser's ``commands`` attribute.
    """
    from . import commands

    parser = _Parser(
        prog="genart",
        description="Generative art with neural networks: models, latent animations, GIF export.",
        epilog="Run `genart COMMAND --help` for a command's options. Docs: README.md.",
    )
    parser.add_argument("--version", action="version", version=f"genart-kit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logging")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) if any plugin failed to load or validate (for plugin authors)",
    )
    parser.add_argument(
        "--plugins-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load every *.py plugin file in DIR (repeatable; env GENART_PLUGINS_DIR)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = []
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        module.add_parser(sub)
    parser.commands = sub  # type: ignore[attr-defined]
    if plugin_commands:
        from .plugin_commands import add_to_parser
        from .registry import get_registry

        add_to_parser(sub, get_registry().commands)
    return parser


def split_plugins_dirs(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Take every ``--plugins-dir DIR`` / ``--plugins-dir=DIR`` out of *argv*, wherever it is (before a
    ``--``), so it works after the sub-command too.

    Returns:
        ``(dirs, the other arguments in order)``.

    Raises:
        SystemExit: (2) ``--plugins-dir`` is the last argument, with no DIR.
    """
    dirs: list[str] = []
    rest: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--":
            rest.extend(items[i:])
            break
        if arg == "--plugins-dir":
            if i + 1 >= len(items):
                _Parser(prog="genart").error("argument --plugins-dir: expected one argument")
            dirs.append(items[i + 1])
            i += 2
            continue
        if arg.startswith("--plugins-dir="):
            dirs.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return dirs, rest


def _command_word(argv: Sequence[str]) -> str | None:
    """The sub-command of *argv* (its first argument not starting with ``-``), or ``None``."""
    return next((a for a in argv if not a.startswith("-")), None)


def _report_plugin_problems(strict: bool) -> int:
    from .registry import get_registry

    registry = get_registry()
    if strict:
        registry.verify_loaders()
    problems = registry.plugins.problems()
    if problems and strict:
        for info in problems:
            print(f"genart: plugin '{info.name}': {info.error}", file=sys.stderr)
        print(f"genart: {len(problems)} plugin problem(s) (--strict)", file=sys.stderr)
        return 2
    return 0


def _fail(exc: GenartError, debug: bool) -> int:
    """Print a toolkit error as one line on stderr (the traceback too with ``--debug``); return exit status 1."""
    if debug:
        traceback.print_exception(exc)
    print(f"genart: error: {exc}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``genart`` console script; returns the exit status."""
    from .plugin_commands import BUILTIN_COMMANDS

    dirs, argv = split_plugins_dirs(sys.argv[1:] if argv is None else argv)
    if dirs:
        from .registry import configure

        configure(dirs)
    word = _command_word(argv)
    debug = "--debug" in (argv[:argv.index(word)] if word is not None else argv)
    logging.basicConfig(  # before any plugin loads (plugin commands load them while the parser is built)
        level=logging.DEBUG if debug else logging.WARNING,
        format="genart: %(levelname)s: %(message)s" if not debug else "%(name)s: %(levelname)s: %(message)s",
    )
    if not debug:
        # Broken plugins are reported by `genart plugins`; don't repeat it on every command.
        logging.getLogger("genart_kit.plugins").setLevel(logging.ERROR)
    wants_plugins = word not in BUILTIN_COMMANDS and not (word is None and "--version" in argv)
    try:  # plugin commands load the plugins here, before any command runs
        parser = build_parser(plugin_commands=wants_plugins)
    except GenartError as exc:
        return _fail(exc, debug)
    except KeyboardInterrupt:
        print("genart: interrupted", file=sys.stderr)
        return 130
    if word is not None and wants_plugins and word not in parser.commands.choices:  # type: ignore[attr-defined]
        from .registry import get_registry

        failed = [p.name for p in get_registry().plugins.problems()]
        if failed:  # the command may be one a broken plugin would have added: say so
            parser.error(f"argument COMMAND: invalid choice: {word!r}; plugin(s) {', '.join(failed)} failed to load "
                         "and add nothing (see `genart plugins`)")
    args, extra = parser.parse_known_args(argv)
    args.plugins_dir = [*args.plugins_dir, *dirs]
    if extra and not getattr(args, "takes_extra_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra  # a command that builds flags at run time (genart train MODEL ...) parses them itself
    try:
        if args.strict and (status := _report_plugin_problems(strict=True)):
            return status
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return 0
        return int(args.handler(args) or 0)
    except GenartError as exc:
        return _fail(exc, args.debug)
    except KeyboardInterrupt:
        print("genart: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `genart list models | head`
        return 0


def run() -> None:
    """Console-script wrapper: ``sys.exit(main())``.

    Under ``torchrun`` (``WORLD_SIZE`` > 1, ``torch.distributed`` loaded) the process ends with ``os._exit``
    once its output is flushed: at interpreter teardown a gloo worker's C++ thread could still be joinable, and
    a rank then aborted with "terminate called without an active exception" after a run that had finished and
    saved (about once in 20 runs on a busy machine), turning torchrun's exit status into a failure.
    """
    status = main()
    if os.environ.get("WORLD_SIZE", "1") not in ("", "0", "1") and "torch.distributed" in sys.modules:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
