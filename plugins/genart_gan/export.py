"""Shipping a trained GAN: keep what sampling needs (issue 16).

A ``genart train`` checkpoint of a GAN holds the discriminator, the raw generator and, with ``--ema``, the
generator's weight average; sampling uses only the last (or G itself without ``--ema``). :func:`export_decoder`
writes that one generator as ``generator.*`` with the config marked ``decoder_only`` (the training record
kept, plus an ``exported_from`` entry), which the ``gan``, ``cgan`` and ``tgan`` architectures load as a model
that decodes exactly as the trained one and refuses to train. Command line::

    python -m genart_gan.export RUN/model.safetensors plugins/genart_gan/weights/NAME.safetensors
"""

from __future__ import annotations

import os
from typing import Any

from genart_kit.errors import InvalidInputError

#: the architectures whose checkpoints this module exports
ARCHITECTURES = ("gan", "cgan", "tgan")


def decoder_only_error(arch: str) -> InvalidInputError:
    """The error a decoder-only model gives when asked to train (one message for every GAN architecture)."""
    return InvalidInputError(f"this {arch} was exported for decoding only (no discriminator): train from the run's "
                             f"own checkpoint (genart train {arch} --resume --out RUN).")


def export_decoder(source: Any, target: Any) -> dict[str, Any]:
    """Write the decoding part of a trained ``gan``, ``cgan`` or ``tgan`` checkpoint to *target*: the weight
    average of G (or G itself without ``ema``) as the generator, no discriminator, ``model_config`` marked
    ``decoder_only`` with ``ema`` off (the weights already are the average).

    Args:
        source, target: paths of ``.safetensors`` files (the target is written atomically).

    Returns:
        the written config.

    Raises:
        CheckpointError: *source* is unreadable, unsafe or not one of :data:`ARCHITECTURES`.
    """
    from genart_kit.checkpoint import check_architecture, load_checkpoint, save_checkpoint
    from genart_kit.errors import CheckpointError

    tensors, config = load_checkpoint(source)
    check_architecture(config, ARCHITECTURES, source)
    if not isinstance(config.get("model_config"), dict) or not any(k.startswith("generator.") for k in tensors):
        raise CheckpointError(f"checkpoint '{source}' is not a GAN trained by genart train (no model_config or no "
                              f"generator weights); export a run's model.safetensors.")
    arch = config.get("architecture") or config["model_config"].get("architecture")
    prefix = "generator_ema." if any(k.startswith("generator_ema.") for k in tensors) else "generator."
    out = {"generator." + k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    model_config = {k: v for k, v in config["model_config"].items() if k not in ("ema", "ema_start")}
    if arch == "tgan":  # tgan declares ema with a default of 0.999: say it is off
        model_config.update(ema=0.0, ema_start=0)
    config = dict(config)
    config["model_config"] = {**model_config, "decoder_only": True}
    config["exported_from"] = {"file": os.path.basename(str(source)), "weights": prefix.rstrip("."),
                               "command": f"python -m genart_gan.export {source} {target}"}
    save_checkpoint(target, out, config)
    return config


def main(argv: list[str] | None = None) -> int:
    """``python -m genart_gan.export SOURCE TARGET``: :func:`export_decoder` with one-line errors (exit 1)."""
    import argparse
    import sys

    from genart_kit.errors import GenartError

    ap = argparse.ArgumentParser(prog="python -m genart_gan.export",
                                 description="Write the decoding part of a trained gan/cgan/tgan (what the shipped GANs hold).")
    ap.add_argument("source", help="a GAN's model.safetensors (from genart train gan|cgan|tgan)")
    ap.add_argument("target", help="the .safetensors file to write")
    args = ap.parse_args(argv)
    try:
        if not str(args.target).endswith(".safetensors"):
            raise InvalidInputError(f"the target must be a .safetensors file, got '{args.target}'.")
        if os.path.exists(args.target) and os.path.exists(args.source) and os.path.samefile(args.source, args.target):
            raise InvalidInputError("the target is the source: write the decoder to another file.")
        export_decoder(args.source, args.target)
    except GenartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.target}")
    return 0


if __name__ == "__main__":  # python -m genart_gan.export SOURCE TARGET
    raise SystemExit(main())
