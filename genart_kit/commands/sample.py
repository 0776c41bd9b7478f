"""``genart sample MODEL -o OUT``: decode N seeded latents to a PNG grid or a ``.npy`` uint8 array.

No torch import at module level: everything heavy is imported inside :func:`handle`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

ORDER = 40


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``sample`` sub-command."""
    p = sub.add_parser(
        "sample",
        help="sample images from a model to a PNG grid or a .npy array",
        description=(
            "Decode N latents drawn with --seed to images. OUT ending in .png writes a grid; .npy writes a uint8 "
            "array [N, H, W] (grayscale) or [N, H, W, C]. The same seed gives identical bytes. MODEL is a pretrained "
            "name (vae-mnist, gan-mnist, cgan-mnist, cvae-mnist) or an architecture (gan, cgan, vae, cvae) with "
            "--checkpoint PATH from genart train."
        ),
        epilog="Examples: genart sample cgan-mnist -n 16 --label 7 --seed 3 -o sevens.png\n"
               "          genart sample cgan-mnist --prompt \"a handwritten seven\" -n 64 -o sevens.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="model name (see `genart list models`)")
    p.add_argument("-n", "--num", type=int, default=64, metavar="N", help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    p.add_argument("--label", type=int, default=None, metavar="L",
                   help="class label for conditional models (default: cycle through all labels)")
    p.add_argument("--prompt", default=None, metavar="TEXT",
                   help="text prompt for conditional models, e.g. \"a handwritten seven\" (see `genart list conditioners`)")
    p.add_argument("--encoder", default=None, metavar="NAME",
                   help="text conditioner for --prompt (default: the best installed; `genart list conditioners`)")
    p.add_argument("--checkpoint", default=None, metavar="PATH", help="weights written by genart train (.safetensors)")
    p.add_argument("--truncation", type=float, default=None, metavar="PSI", help="scale latents by PSI in (0, 1]")
    p.add_argument("--nrow", type=int, default=None, help="images per grid row (default: about sqrt(N))")
    p.add_argument("--device", default="cpu", help="cpu (default, bit-reproducible), cuda, cuda:N")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output file: .png (grid) or .npy (uint8 array)")
    p.set_defaults(handler=handle)


def to_uint8(frames: Any) -> Any:
    """Frames ``[N, C, H, W]`` float in [0, 1] -> numpy uint8 ``[N, H, W]`` (C = 1) or ``[N, H, W, C]``,
    rounding as ``torchvision.utils.save_image`` does (x * 255 + 0.5, clamped)."""
    arr = frames.detach().cpu().mul(255).add_(0.5).clamp_(0, 255).to(dtype=__import__("torch").uint8)
    arr = arr.permute(0, 2, 3, 1).numpy()
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def write_samples(frames: Any, out: str | Path, nrow: int | None = None) -> Path:
    """Write frames to *out* atomically: a PNG grid (:func:`genart_kit.render.layout.grid`, 2 px white padding) or a
    ``.npy`` uint8 array. *frames* is a float tensor ``[N, C, H, W]`` in [0, 1] or the uint8 array of
    :func:`to_uint8`.

    Raises:
        ExportError: unsupported suffix or unwritable folder.
    """
    import io

    import numpy as np

    from ..checkpoint import atomic_write_bytes
    from ..errors import ExportError

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise ExportError(f"cannot write '{out}': genart sample writes .png (grid) or .npy (uint8 array); change the suffix.")
    import torch

    buf = io.BytesIO()
    arr = frames if isinstance(frames, np.ndarray) else to_uint8(frames)  # uint8 [N, H, W] or [N, H, W, C]
    if suffix == ".npy":
        np.save(buf, arr, allow_pickle=False)
    else:
        from PIL import Image

        from ..render.layout import grid as layout_grid

        n = arr.shape[0]
        nchw = torch.from_numpy(arr[:, None] if arr.ndim == 3 else arr.transpose(0, 3, 1, 2).copy())
        grid = layout_grid(nchw, nrow or max(1, math.ceil(math.sqrt(n))), padding=2, background=255)
        if arr.ndim == 3:
            img = Image.fromarray(grid[0].numpy(), mode="L")
        else:
            img = Image.fromarray(grid.permute(1, 2, 0).contiguous().numpy(), mode="RGB")
        img.save(buf, format="PNG")
    try:
        return atomic_write_bytes(out, buf.getvalue())
    except OSError as exc:
        raise ExportError(f"cannot write '{out}' ({exc.strerror or exc}); pick a writable path.") from exc


MAX_GRID = 4096  # images in one PNG grid
MAX_N = 10_000_000  # samples per call (latents are drawn at once)
CHUNK = 1024  # images decoded and converted at a time: bounded memory for large N


def _write_npy_chunks(out: Path, n: int, shape: tuple[int, ...], chunks: Any) -> Path:
    """Write uint8 chunks to a ``.npy`` array ``[n, *shape]`` incrementally (memory-mapped temporary file in the
    target folder, renamed when complete): memory stays bounded by one chunk, and an interrupted or failed write
    leaves no file under the final name."""
    import os
    import tempfile

    import numpy as np
    from numpy.lib.format import open_memmap

    from ..errors import ExportError

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"cannot write '{out}' ({exc.strerror or exc}); pick a writable path.") from exc
    try:
        mm = open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, *shape))
        i = 0
        for part in chunks:
            mm[i:i + len(part)] = part
            i += len(part)
        mm.flush()
        del mm
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"cannot write '{out}' ({exc.strerror or exc}); free disk space or pick another path.") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _prompt_condition(args: argparse.Namespace, model: Any) -> Any:
    """The ``--prompt`` as a resolved condition for *model*; prints what it understood (the nearest classes
    with their probability for a class-conditional model) to stderr."""
    import sys
    import warnings

    from ..conditioning import PromptWarning, default_conditioner, describe_nearest, prompt

    if not model.conditional:
        from ..errors import InvalidInputError

        raise InvalidInputError(f"model '{args.model}' is not conditional: a prompt cannot steer it.")
    p = prompt(args.prompt, encoder=args.encoder)
    spec = model.condition_spec
    name = args.encoder or default_conditioner()
    if spec.kind == "classes":
        for text, near in p.explain(spec):
            print(f"prompt ({name}): {describe_nearest(text, near)}", file=sys.stderr)
            if near[0][1] < 0.5:
                print("  the prompt names no class clearly: the images blend the nearest classes.", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PromptWarning)  # already printed above
        return p.resolve(spec)


def handle(args: argparse.Namespace) -> int:
    """Load the model, decode ``args.num`` latents (seed ``args.seed``) and write ``args.out``."""
    import shutil

    from ..checkpoint import resolve_device
    from ..errors import ExportError, InvalidInputError
    from ..registry import get_registry

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise ExportError(f"cannot write '{out}': genart sample writes .png (grid) or .npy (uint8 array); change the suffix.")
    if args.num < 1:
        raise InvalidInputError(f"-n must be >= 1, got {args.num}.")
    if args.num > MAX_N:
        raise InvalidInputError(f"-n {args.num} is too large (at most {MAX_N} per call); run several calls with different --seed.")
    if suffix == ".png" and args.num > MAX_GRID:
        raise InvalidInputError(f"-n {args.num} is too many images for one PNG grid (at most {MAX_GRID}); use .npy for large N (-o samples.npy).")
    if args.nrow is not None and args.nrow < 1:
        raise InvalidInputError(f"--nrow must be >= 1, got {args.nrow}.")
    resolve_device(args.device)  # clear error for unknown/unavailable devices before anything is loaded
    registry = get_registry()
    entry = registry.get("model", args.model)
    from ..registry import model_ready

    if args.checkpoint is None and not model_ready(entry.meta):
        ready = [e.name for e in registry.entries("model") if model_ready(e.meta)]
        raise InvalidInputError(
            f"'{args.model}' needs a checkpoint: it has no weights of its own (sampling it would give noise); pass "
            f"--checkpoint PATH (a model.safetensors from genart train) or use a ready model: {', '.join(ready) or 'none installed'}."
        )
    import torch

    if args.prompt is not None and args.label is not None:
        raise InvalidInputError("pass --label or --prompt, not both.")
    if args.encoder is not None and args.prompt is None:
        raise InvalidInputError("--encoder chooses the text encoder for --prompt; add --prompt TEXT.")
    if args.prompt is not None and not (entry.meta.get("conditional") or entry.meta.get("num_classes")):
        raise InvalidInputError(f"model '{args.model}' is not conditional: a prompt cannot steer it; try cgan-mnist or "
                                "cvae-mnist (`genart list models` shows the conditional ones).")
    model = registry.load("model", args.model, checkpoint=args.checkpoint, device=args.device)
    spec = model.condition_spec
    if args.label is not None and spec is not None and spec.kind == "embedding":
        raise InvalidInputError(f"model '{args.model}' is conditioned on text, not labels: replace --label with "
                                f"--prompt TEXT (e.g. --prompt \"a red apple\").")
    prompt = _prompt_condition(args, model) if args.prompt is not None else None
    if prompt is not None:
        pass
    elif model.num_classes is not None:
        pass
    elif spec is not None and spec.kind == "embedding":
        raise InvalidInputError(f"model '{args.model}' draws what a prompt says: add --prompt TEXT "
                                f"(e.g. genart sample {args.model} --prompt \"a red apple\").")
    elif model.conditional:
        raise InvalidInputError(f"model '{args.model}' needs a conditioning vector; sample it from Python (model.decode(z, vectors)).")
    elif args.label is not None:
        raise InvalidInputError(f"model '{args.model}' is not conditional; drop --label (conditional models: cgan-mnist, cvae-mnist).")
    shape = tuple(model.image_shape)
    per_image = shape[1] * shape[2] * (shape[0] if shape[0] != 1 else 1)
    if suffix == ".npy":
        need = args.num * per_image
        try:
            free = shutil.disk_usage(out.parent if str(out.parent) else ".").free
        except OSError:
            free = None
        if free is not None and need > free:
            raise ExportError(f"'{out}' needs {need / 1e9:.1f} GB but only {free / 1e9:.1f} GB is free there; lower -n or pick another folder.")
    z = model.sample_latents(args.num, seed=args.seed, truncation=args.truncation)

    def chunks():
        for i in range(0, args.num, CHUNK):
            zi = z[i:i + CHUNK]
            if prompt is not None:
                ci = prompt
            elif model.num_classes is not None:
                ci = args.label if args.label is not None else (torch.arange(i, i + len(zi)) % model.num_classes).to(model.device)
            else:
                ci = None
            with torch.no_grad():
                frames = model.decode(zi, ci)
            if not bool(torch.isfinite(frames).all()):
                from ..errors import CheckpointError

                raise CheckpointError(
                    f"model '{args.model}' decoded non-finite values (NaN/inf); its weights are broken "
                    "(a diverged training run?): use another --checkpoint or retrain."
                )
            yield to_uint8(frames)

    img_shape = shape[1:] if shape[0] == 1 else (shape[1], shape[2], shape[0])
    if suffix == ".npy":
        path = _write_npy_chunks(out, args.num, img_shape, chunks())
        what = f"uint8 array [{', '.join(map(str, (args.num, *img_shape)))}]"
    else:
        import numpy as np

        path = write_samples(np.concatenate(list(chunks())), out, nrow=args.nrow)
        what = f"grid of {args.num} images, {'x'.join(map(str, model.image_shape))}"
    print(f"wrote {path} ({what})")
    return 0
