"""``genart train MODEL --data DATASET``: train any registered model with ``trainable=True``.

The generic training flags (data, epochs, batch size, lr, seed, device, run folder, ...) are defined here;
the architecture's own flags are built from the options the model declares with its registration
(``meta["options"]``, :class:`genart_kit.options.Option`), after MODEL is known: ``genart train MODEL --help``
lists them. No torch import at module level: everything heavy is imported inside :func:`handle`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

ORDER = 50

# (flag, dest) of every option recorded in the command line kept in the checkpoint
_OPTIONS = [
    ("--data", "data"), ("--data-dir", "data_dir"), ("--image-size", "image_size"), ("--channels", "channels"),
    ("--limit", "limit"), ("--epochs", "epochs"), ("--steps", "steps"), ("--batch-size", "batch_size"),
    ("--lr", "lr"), ("--seed", "seed"), ("--device", "device"), ("--out", "out"),
    ("--sample-every", "sample_every"), ("--checkpoint-every", "checkpoint_every"), ("--encoder", "encoder"),
]
_FLAGS = [("--no-download", "no_download"), ("--resume", "resume"), ("--quiet", "quiet"),
          ("--overwrite", "overwrite")]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``train`` sub-command."""
    p = sub.add_parser(
        "train",
        add_help=False,
        help="train a model (gan, vae, ... or a plugin's) on MNIST or a folder of images",
        description=(
            "Train a trainable model architecture the way its plugin describes, with a progress bar, per-epoch "
            "sample grids, a loss curve, atomic checkpoints, Ctrl-C = save and stop, --resume, and "
            "DistributedDataParallel under torchrun --nproc_per_node=N. The architecture's own options "
            "(latent size, widths, ...) come from the model: `genart train MODEL --help` lists them."
        ),
        epilog="Example: genart train vae --data mnist --data-dir ../shared/datasets/mnist --epochs 10 --out runs/vae",
    )
    p.add_argument("-h", "--help", action="store_true", help="show this help (with MODEL: also the model's own options)")
    p.add_argument("model", metavar="MODEL", nargs="?", help="a trainable model (see `genart list models`: status 'trainable')")
    p.add_argument("--data", default="mnist", metavar="DATASET", help="dataset name (mnist) or a folder of images (default mnist)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder with the MNIST IDX files (env GENART_DATA_DIR)")
    p.add_argument("--no-download", action="store_true", help="never download MNIST; fail if no local files")
    p.add_argument("--image-size", type=int, default=None, metavar="PX",
                   help="image folders and data sets that take a size (emoji): side in pixels (default 64)")
    p.add_argument("--channels", type=int, choices=(1, 3), default=None, help="image folders: 1 grayscale / 3 RGB (default: auto)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="use only the first N images")
    p.add_argument("--epochs", type=int, default=1, metavar="E", help="passes over the data (default 1)")
    p.add_argument("--steps", type=int, default=None, metavar="N", help="stop after N iterations in total (quick runs)")
    p.add_argument("--batch-size", type=int, default=64, metavar="B", help="images per iteration per process (default 64)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the model's own)")
    p.add_argument("--seed", type=int, default=0, help="master seed: same seed, same result (default 0)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA if available)")
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/MODEL)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    p.add_argument("--overwrite", action="store_true", help="start from scratch in an OUT folder that already holds a run (replaces its files)")
    p.add_argument("--sample-every", type=int, default=1, metavar="E", help="sample grid every E epochs (0 = only at the end)")
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="N", help="also checkpoint every N iterations")
    p.add_argument("--encoder", default=None, metavar="NAME",
                   help="text conditioner that embeds a captioned data set's captions for a model conditioned on text "
                        "(genart list conditioners; default the best installed)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle, takes_extra_args=True, model_options={}, _parser=p)


def _model_parser(name: str, declared: Any) -> argparse.ArgumentParser:
    """The flags of model *name*'s declared options (``bool`` options are switches)."""
    mp = argparse.ArgumentParser(prog=f"genart train {name}", add_help=False, allow_abbrev=False)
    group = mp.add_argument_group(f"options of model '{name}'")
    for opt in declared:
        default = "" if opt.default is None else f" (default {opt.default})"
        if opt.type is bool:
            group.add_argument(opt.flag, dest=opt.name, action="store_true", default=None, help=opt.help + default)
        else:
            group.add_argument(opt.flag, dest=opt.name, type=opt.type, default=None, metavar=opt.name.upper(),
                               help=opt.help + default)
    return mp


def parse_model_options(name: str, declared: Any, extra: list[str]) -> dict[str, Any]:
    """Parse the arguments ``genart train`` did not know (*extra*) as model *name*'s declared options and
    check their values.

    Raises:
        InvalidInputError: an option the model does not declare ("did you mean", the valid flags), a value
            of the wrong type or out of range.
    """
    from ..errors import InvalidInputError, suggest
    from ..options import check_option_values

    flags = {o.flag: o for o in declared}
    for token in extra:
        flag = token.split("=", 1)[0]
        if flag.startswith("--") and flag not in flags:
            valid = " ".join(sorted(flags)) or "(none)"
            hint = suggest(flag, flags)
            raise InvalidInputError(f"model '{name}' has no option '{flag[2:].replace('-', '_')}' ({flag}).{hint} "
                                    f"Its options: {valid} (see `genart train {name} --help`).")
    mp = _model_parser(name, declared)

    def fail(message: str) -> None:
        raise InvalidInputError(f"genart train {name}: {message}.")

    mp.error = fail  # type: ignore[method-assign]
    values = {k: v for k, v in vars(mp.parse_args(extra)).items() if v is not None}
    table = {o.name: o for o in declared}
    for key, value in values.items():
        try:
            check_option_values({key: value}, declared, what=f"model '{name}'", where=f"genart train {name}:")
        except InvalidInputError as exc:
            raise InvalidInputError(f"{exc} (the value of {table[key].flag})") from None
    return check_option_values(values, declared, what=f"model '{name}'", where=f"genart train {name}:")


def command_line(args: argparse.Namespace) -> str:
    """The ``genart train ...`` command equivalent to *args* (only options that differ from the defaults).

    ``--resume`` and ``--quiet`` are left out: a resumed run ends bit-identical to an uninterrupted one, so
    the recorded command is the one that reproduces the weights from scratch (the actual invocations are kept
    in the checkpoint config under ``invocations``)."""
    defaults = {"data": "mnist", "epochs": 1, "batch_size": 64, "seed": 0, "sample_every": 1, "checkpoint_every": 0}
    parts = ["genart", "train", str(args.model)]
    for flag, dest in _OPTIONS:
        value = getattr(args, dest, None)
        if value is None or defaults.get(dest, None) == value:
            continue
        parts += [flag, str(value)]
    for flag, dest in _FLAGS:
        if dest in ("resume", "quiet", "overwrite"):  # no effect on the result: --resume continues exactly (tested)
            continue
        if getattr(args, dest, False):
            parts.append(flag)
    for key, value in (getattr(args, "model_options", None) or {}).items():  # the model's own, as declared
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif value is not False and value is not None:
            parts += [flag, str(value)]
    return shlex.join(parts)


def _validate(args: argparse.Namespace) -> None:
    """Reject bad option values and unsafe --out folders before anything is loaded (clear one-line errors)."""
    if args.encoder is not None:  # a misspelt --encoder is refused before the data set is loaded
        from ..registry import get_registry

        get_registry().get("conditioner", args.encoder)
    from pathlib import Path

    from ..checkpoint import resolve_device
    from ..errors import InvalidInputError

    def need(ok: bool, msg: str) -> None:
        if not ok:
            raise InvalidInputError(msg)

    # --lr, --seed, --limit, --sample-every, --checkpoint-every, --epochs, --steps: checked by training.loop.train
    need(args.out is None or bool(args.out.strip()), "--out must name a folder for the run (e.g. --out runs/my-gan), got ''.")
    if args.data == "mnist":
        for flag, value in (("--image-size", args.image_size), ("--channels", args.channels)):
            need(value is None, f"{flag} applies to image folders (--data path/to/folder); MNIST is 1x28x28: drop {flag}.")
    if args.image_size is not None:
        need(args.image_size >= 1, f"--image-size must be >= 1, got {args.image_size}.")
    if args.device is not None:
        resolve_device(args.device)
    from ..registry import get_registry

    entry = get_registry().get("model", args.model)  # unknown name: its own clear error
    if entry.meta.get("trainable") is False:
        return  # the training loop says it is not a trainable architecture
    out = Path(args.out or f"runs/{args.model}")
    need(not out.exists() or out.is_dir(), f"--out '{out}' is an existing file, not a folder; pass a folder for the run (e.g. --out runs/{args.model}).")
    # an --out that already holds a run (without --resume / --overwrite) is refused by training.loop.train


def _prepare(args: argparse.Namespace) -> bool:
    """Resolve MODEL's declared options from the arguments the generic parser left (``args.extra``) into
    ``args.model_options``; print the help and return True for ``--help``.

    Raises:
        InvalidInputError: no MODEL, or an option MODEL does not take.
    """
    from ..errors import InvalidInputError
    from ..options import options_from_meta
    from ..registry import get_registry

    extra = list(getattr(args, "extra", None) or [])
    registry = get_registry()
    if args.model is None:
        if args.help:
            args._parser.print_help()
            trainable = [e.name for e in registry.entries("model") if e.meta.get("trainable")]
            print(f"\ntrainable models: {', '.join(trainable) or '(none installed)'}; "
                  "`genart train MODEL --help` lists a model's own options.")
            return True
        raise InvalidInputError("give the model to train, e.g. genart train vae --data mnist "
                                "(`genart train --help` lists the trainable models).")
    declared = [o for o in options_from_meta(registry.get("model", args.model).meta) if o.cli]
    if args.help:
        args._parser.print_help()
        print()
        text = _model_parser(args.model, declared).format_help().split("\n", 2)
        print(text[2] if len(text) > 2 and declared else f"model '{args.model}' declares no options of its own.")
        return True
    args.model_options = parse_model_options(args.model, declared, extra)
    return False


def handle(args: argparse.Namespace) -> int:
    """Run the training; print where the run folder and model file are. Returns 0, or ``128 + signal`` after
    a stop signal (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), once the checkpoint is saved."""
    import logging

    if _prepare(args):  # before the training loop's import: --help stays torch-free
        return 0
    from ..training.loop import TrainConfig, train

    _validate(args)
    logging.getLogger("genart_kit.training").setLevel(logging.INFO if not args.quiet else logging.WARNING)
    data_options = {}
    if args.data == "mnist":
        data_options = {"data_dir": args.data_dir, "download": False if args.no_download else None}
    else:
        if args.image_size:
            data_options["image_size"] = args.image_size
        if args.channels:
            data_options["channels"] = args.channels
    if args.limit is not None:
        data_options["limit"] = args.limit
    model_options = dict(args.model_options)
    cfg = TrainConfig(
        model=args.model, data=args.data, epochs=args.epochs, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, device=args.device, out=args.out or f"runs/{args.model}", resume=args.resume,
        overwrite=args.overwrite,
        data_options=data_options, model_options=model_options, sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every, command=command_line(args), progress=not args.quiet,
        invocation=command_line(args) + (" --resume" if args.resume else ""), encoder=args.encoder,
    )
    result = train(cfg)
    import os

    if int(os.environ.get("RANK", "0")) == 0:
        losses = " ".join(f"{k}={v:.4f}" for k, v in result.losses.items())
        state = "interrupted, checkpoint saved (continue with --resume)" if result.interrupted else "done"
        print(f"{state}: {result.step} steps, {result.epochs_done:.4g} epochs, {result.images_per_second:.0f} img/s, {losses}")
        print(f"model: {result.model_path}")
        print(f"checkpoint: {result.checkpoint}")
        sys.stdout.flush()
    if result.interrupted:
        return 128 + int(result.stop_signal or 2)
    return 0
