"""``genart repl``: the live-coding REPL (prompt_toolkit; torch loads in the background)."""

from __future__ import annotations

import argparse
import os

ORDER = 60


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``repl`` sub-command."""
    p = sub.add_parser(
        "repl",
        help="live-coding REPL with live loops and a live preview",
        description="An interactive Python prompt with the toolkit imported as `ga`: completion (also of "
        "model/op/renderer/exporter names inside strings), highlighting, persistent history, live loops "
        "(loop(name, clip) swaps at the next cycle), a truecolor terminal preview and a browser preview "
        "(:preview). Ctrl-C cancels a running job; Ctrl-D or :quit leaves. :help lists the commands.",
    )
    p.add_argument("--vi", action="store_true", help="vi key bindings (default emacs; env GENART_REPL_VI=1)")
    p.add_argument("--no-preview", action="store_true", help="do not draw the live loops in the terminal")
    p.add_argument("--preview-rows", type=int, default=14, metavar="ROWS",
                   help="terminal preview height in rows, 2 pixels each (default 14)")
    p.add_argument("--web", action="store_true", help="start the browser preview at once (prints its URL)")
    p.add_argument("--history", metavar="FILE",
                   help="history file (default $GENART_HISTORY or $XDG_DATA_HOME/genart-kit/repl_history)")
    p.add_argument("--no-preload", action="store_true", help="do not import torch in the background at start")
    p.add_argument("--watch", metavar="SKETCH", help="start with :watch SKETCH")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the REPL until :quit / Ctrl-D; return its exit status."""
    from ..repl.app import Repl

    repl = Repl(
        vi_mode=args.vi or os.environ.get("GENART_REPL_VI", "") not in ("", "0"),
        term_preview=not args.no_preview,
        preview_rows=args.preview_rows,
        history_path=args.history,
        preload=not args.no_preload,
    )
    startup = []
    if args.web:
        startup.append(":preview web")
    if args.watch:
        startup.append(f":watch {args.watch}")
    return repl.run(startup=startup)
