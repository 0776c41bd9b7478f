"""``genart train MODEL --data DATASET``: train a GAN/VAE (or a plugin's trainable model).

No torch import at module level: everything heavy is imported inside :func:`handle`.
"""

from __future__ import annotations

import argparse
import shlex
import sys

ORDER = 50

# (flag, dest) of every option recorded in the command line kept in the checkpoint
_OPTIONS = [
    ("--data", "data"), ("--data-dir", "data_dir"), ("--image-size", "image_size"), ("--channels", "channels"),
    ("--limit", "limit"), ("--epochs", "epochs"), ("--steps", "steps"), ("--batch-size", "batch_size"),
    ("--lr", "lr"), ("--seed", "seed"), ("--latent-dim", "latent_dim"), ("--width", "width"), ("--extra-layers", "extra_layers"), ("--hidden", "hidden"),
    ("--beta", "beta"), ("--ema", "ema"), ("--ema-start", "ema_start"), ("--num-classes", "num_classes"), ("--device", "device"), ("--out", "out"),
    ("--sample-every", "sample_every"), ("--checkpoint-every", "checkpoint_every"),
]
_FLAGS = [("--binarize", "binarize"), ("--no-download", "no_download"), ("--resume", "resume"), ("--quiet", "quiet"),
          ("--overwrite", "overwrite")]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``train`` sub-command."""
    p = sub.add_parser(
        "train",
        help="train a GAN/VAE on MNIST or a folder of images",
        description=(
            "Train a model architecture (gan, cgan, vae, cvae, or a plugin's) the way the classic papers describe, "
            "with a progress bar, per-epoch sample grids, a loss curve, atomic checkpoints, Ctrl-C = save and stop, "
            "--resume, and DistributedDataParallel under torchrun --nproc_per_node=N."
        ),
        epilog="Example: genart train vae --data mnist --data-dir ../shared/datasets/mnist --epochs 10 --out runs/vae",
    )
    p.add_argument("model", metavar="MODEL", help="trainable architecture: gan, cgan, vae, cvae (see `genart list models`)")
    p.add_argument("--data", default="mnist", metavar="DATASET", help="dataset name (mnist) or a folder of images (default mnist)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder with the MNIST IDX files (env GENART_DATA_DIR)")
    p.add_argument("--no-download", action="store_true", help="never download MNIST; fail if no local files")
    p.add_argument("--image-size", type=int, default=None, metavar="PX", help="image folders: side after resize+crop (default 64)")
    p.add_argument("--channels", type=int, choices=(1, 3), default=None, help="image folders: 1 grayscale / 3 RGB (default: auto)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="use only the first N images")
    p.add_argument("--epochs", type=int, default=1, metavar="E", help="passes over the data (default 1)")
    p.add_argument("--steps", type=int, default=None, metavar="N", help="stop after N iterations in total (quick runs)")
    p.add_argument("--batch-size", type=int, default=64, metavar="B", help="images per iteration per process (default 64)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 2e-4 GAN, 1e-3 VAE)")
    p.add_argument("--seed", type=int, default=0, help="master seed: same seed, same result (default 0)")
    p.add_argument("--latent-dim", type=int, default=None, metavar="D", help="latent dimension (default: GAN 64, VAE 16)")
    p.add_argument("--width", type=int, default=None, help="conv channel width (default 32)")
    p.add_argument("--extra-layers", type=int, default=None, metavar="E",
                   help="GAN: E extra 3x3 conv blocks per resolution in G and D (default 0)")
    p.add_argument("--hidden", type=int, default=None, help="VAE fully-connected hidden width (default 128)")
    p.add_argument("--beta", type=float, default=None, help="VAE KL weight (default 1.0)")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY",
                   help="GAN: keep an exponential moving average of the generator (e.g. 0.999) and sample from it")
    p.add_argument("--ema-start", type=int, default=None, metavar="STEP",
                   help="GAN with --ema: begin averaging after this iteration (default 0); resuming a run without "
                        "averaging with --ema --ema-start STEP (its current step) adds it")
    p.add_argument("--binarize", action="store_true", help="VAE: dynamically binarize training images (Bernoulli likelihood)")
    p.add_argument("--num-classes", type=int, default=None, help="conditional models: number of labels (default 10)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA if available)")
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/MODEL)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    p.add_argument("--overwrite", action="store_true", help="start from scratch in an OUT folder that already holds a run (replaces its files)")
    p.add_argument("--sample-every", type=int, default=1, metavar="E", help="sample grid every E epochs (0 = only at the end)")
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="N", help="also checkpoint every N iterations")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle)


def command_line(args: argparse.Namespace) -> str:
    """The ``genart train ...`` command equivalent to *args* (only options that differ from the defaults).

    ``--resume`` and ``--quiet`` are left out: a resumed run ends bit-identical to an uninterrupted one, so
    the recorded command is the one that reproduces the weights from scratch (the actual invocations are kept
    in the checkpoint config under ``invocations``)."""
    defaults = {"data": "mnist", "epochs": 1, "batch_size": 64, "seed": 0, "sample_every": 1, "checkpoint_every": 0}
    parts = ["genart", "train", args.model]
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
    return shlex.join(parts)


def _validate(args: argparse.Namespace) -> None:
    """Reject bad option values and unsafe --out folders before anything is loaded (clear one-line errors)."""
    import math
    from pathlib import Path

    from ..checkpoint import resolve_device
    from ..errors import InvalidInputError

    def need(ok: bool, msg: str) -> None:
        if not ok:
            raise InvalidInputError(msg)

    if args.beta is not None:
        need(math.isfinite(args.beta) and args.beta > 0, f"--beta must be a positive finite number (1.0 = the ELBO), got {args.beta}.")
    if args.ema is not None:
        need(0.0 < args.ema < 1.0, f"--ema must be in (0, 1) (e.g. 0.999), got {args.ema}.")
    if args.ema_start is not None:
        need(args.ema is not None, "--ema-start needs --ema DECAY (e.g. --ema 0.999 --ema-start 4680).")
        need(0 <= args.ema_start <= 2**62, f"--ema-start must be an iteration number in 0..2**62, got {args.ema_start}.")
    # --lr, --seed, --limit, --sample-every, --checkpoint-every, --epochs, --steps: checked by training.loop.train
    need(args.out is None or bool(args.out.strip()), "--out must name a folder for the run (e.g. --out runs/my-gan), got ''.")
    if args.data == "mnist":
        for flag, value in (("--image-size", args.image_size), ("--channels", args.channels)):
            need(value is None, f"{flag} applies to image folders (--data path/to/folder); MNIST is 1x28x28: drop {flag}.")
    for flag, value, low in (("--image-size", args.image_size, 1), ("--num-classes", args.num_classes, 1),
                             ("--latent-dim", args.latent_dim, 1), ("--width", args.width, 1), ("--hidden", args.hidden, 1),
                             ("--extra-layers", args.extra_layers, 0)):
        if value is not None:
            need(value >= low, f"{flag} must be >= {low}, got {value}.")
    if args.device is not None:
        resolve_device(args.device)
    from ..registry import get_registry

    entry = get_registry().get("model", args.model)  # unknown name: its own clear error
    if entry.meta.get("trainable") is False:
        return  # the training loop says it is not a trainable architecture
    out = Path(args.out or f"runs/{args.model}")
    need(not out.exists() or out.is_dir(), f"--out '{out}' is an existing file, not a folder; pass a folder for the run (e.g. --out runs/{args.model}).")
    # an --out that already holds a run (without --resume / --overwrite) is refused by training.loop.train


def handle(args: argparse.Namespace) -> int:
    """Run the training; print where the run folder and model file are. Returns 0, or ``128 + signal`` after
    a stop signal (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), once the checkpoint is saved."""
    import logging

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
    model_options = {"latent_dim": args.latent_dim, "width": args.width, "extra_layers": args.extra_layers, "hidden": args.hidden, "beta": args.beta,
                     "binarize": True if args.binarize else None, "num_classes": args.num_classes}
    if args.ema is not None:
        model_options["ema"] = args.ema
    if args.ema_start:
        model_options["ema_start"] = args.ema_start
    cfg = TrainConfig(
        model=args.model, data=args.data, epochs=args.epochs, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, device=args.device, out=args.out or f"runs/{args.model}", resume=args.resume,
        overwrite=args.overwrite,
        data_options=data_options, model_options=model_options, sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every, command=command_line(args), progress=not args.quiet,
        invocation=command_line(args) + (" --resume" if args.resume else ""),
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
