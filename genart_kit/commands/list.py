"""``genart list KIND``: the registry's catalogue of models, ops, renderers, exporters, conditioners, datasets,
the names plugins add to sketches and the REPL, and the sub-commands they add to ``genart``."""

from __future__ import annotations

import argparse

ORDER = 11

_CHOICES = ["models", "ops", "renderers", "exporters", "conditioners", "datasets", "names", "commands"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``list`` sub-command."""
    p = sub.add_parser(
        "list",
        help="list models, ops, renderers, exporters, conditioners, datasets, names or commands",
        description="List what the installed plugins register, without loading any model (fast).",
    )
    p.add_argument("kind", choices=_CHOICES, metavar="KIND", help="one of: " + ", ".join(_CHOICES))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handle)


def _shape(value: object) -> str:
    """``(3, 64, 64)`` -> ``3x64x64``; ``None`` for a side the model renders at any size -> ``any``."""
    if isinstance(value, (list, tuple)):
        return "x".join("any" if v is None else str(v) for v in value)
    return "" if value is None else str(value)


def handle(args: argparse.Namespace) -> int:
    """Print the catalogue of ``args.kind`` as a table or JSON."""
    from ..errors import GenartError
    from ..registry import get_registry, model_status
    from ._output import print_json, print_table

    registry = get_registry()
    if args.kind == "commands":  # sub-commands plugins add (register_commands); not registry entries
        commands = list(registry.commands.values())
        if args.json:
            print_json([{"name": c.name, "plugin": c.plugin, "help": c.help} for c in commands])
        elif not commands:
            print("No plugin adds a command. See `genart plugins` for plugins that failed to load.")
        else:
            print_table(["name", "plugin", "help"], [(f"genart {c.name}", c.plugin, c.help) for c in commands])
        return 0
    entries = registry.entries(args.kind)
    if args.json:
        print_json([e.as_dict() for e in entries])
        return 0
    if not entries:
        print(f"No {args.kind} registered. See `genart plugins` for plugins that failed to load.")
        return 0
    if args.kind == "models":
        rows = [
            (
                e.name,
                e.meta.get("latent_dim", ""),
                _shape(e.meta.get("image_shape")),
                ("labels 0-%d" % (e.meta["num_classes"] - 1)) if e.meta.get("num_classes") else ("yes" if e.meta.get("conditional") else "no"),
                model_status(e.meta),
                e.plugin,
                e.description,
            )
            for e in entries
        ]
        print_table(["name", "latent", "image", "conditional", "status", "plugin", "description"], rows)
    elif args.kind == "exporters":
        rows = [(e.name, " ".join(e.meta.get("suffixes", ())), e.plugin, e.description) for e in entries]
        print_table(["name", "suffixes", "plugin", "description"], rows)
    elif args.kind == "conditioners":
        from ..conditioning import default_conditioner

        try:
            default = default_conditioner(registry)
        except GenartError:
            default = None
        rows = [(e.name, ("available" if e.meta.get("available", True) else "not installed")
                 + (", default" if e.name == default else ""), e.meta.get("cond_dim", ""), e.plugin,
                 e.description + ("" if e.meta.get("available", True) else f" ({e.meta.get('install', 'extra missing')})"))
                for e in entries]
        print_table(["name", "status", "dim", "plugin", "description"], rows)
    else:
        print_table(["name", "plugin", "description"], [(e.name, e.plugin, e.description) for e in entries])
    return 0
