"""Real images in: load images (a file, a folder, arrays, MNIST test digits), encode them, morph between them.

The package ships 100 real MNIST *test* digits (the first 10 of each class; MNIST by Y. LeCun, C. Cortes and
C. J. C. Burges, CC BY-SA 3.0) in ``genart_kit/latent/data/mnist_test_digits.safetensors``, so the morph
sketch runs on a machine with no dataset and no network. Regenerate it with
``genart_kit/latent/data/make_mnist_digits.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import torch

from ..errors import InvalidInputError
from .core import Latents, describe_args, from_tensor, source_info

_DIGITS_FILE = Path(__file__).with_name("data") / "mnist_test_digits.safetensors"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def mnist_digits(n: int | None = None, *, digits: Sequence[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Real MNIST test digits shipped with the package (100 images: the first 10 test images of each class).

    Args:
        n: how many to return, in the file's order (label-sorted); default all 100. Ignored with *digits*.
        digits: labels to pick, in order (e.g. ``[3, 1, 4, 1, 5]``); repeated labels take the next example
            of that class.

    Returns:
        ``(images, labels)``: float32 ``[N, 1, 28, 28]`` in [0, 1] (white digit on black, like training) and
        int64 ``[N]``.

    Raises:
        InvalidInputError: bad *n* or a label outside 0..9, or more than 10 of one digit.
        DatasetError: the shipped file is missing (a broken installation).
    """
    from safetensors.torch import load_file

    from ..errors import DatasetError

    if not _DIGITS_FILE.is_file():
        raise DatasetError(f"the shipped MNIST digits are missing ({_DIGITS_FILE}); reinstall genart-kit.")
    data = load_file(str(_DIGITS_FILE))
    images, labels = data["images"], data["labels"]
    if digits is not None:
        picks: list[int] = []
        used: dict[int, int] = {}
        for d in digits:
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 9:
                raise InvalidInputError(f"MNIST digits are 0..9, got {d!r}.")
            where = torch.nonzero(labels == d).flatten().tolist()
            k = used.get(d, 0)
            if k >= len(where):
                raise InvalidInputError(f"only {len(where)} examples of digit {d} are shipped; ask for fewer.")
            used[d] = k + 1
            picks.append(where[k])
        if not picks:
            raise InvalidInputError("digits is empty; pass at least one label.")
        idx = torch.tensor(picks)
        images, labels = images[idx], labels[idx]
    elif n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= images.shape[0]:
            raise InvalidInputError(f"n must be an int in [1, {images.shape[0]}], got {n!r}.")
        # spread over classes: take digits in the order 0,1,...,9,0,1,... (first example of each first)
        order = torch.tensor(sorted(range(images.shape[0]), key=lambda i: (i % 10, int(labels[i]))))
        idx = order[:n]
        images, labels = images[idx], labels[idx]
    return images.unsqueeze(1).float() / 255.0, labels.clone()


def load_images(source: Any, *, shape: Sequence[int] = (1, 28, 28), invert: bool = False) -> torch.Tensor:
    """Load images for a model: a file, a folder of images, ``"mnist"``, a tensor or an array.

    Files are read with Pillow, converted to grayscale or RGB to match ``shape[0]`` and resized (Lanczos) to
    ``shape[1:]``. Folders are read in sorted file-name order (images only).

    Args:
        source: path (str/Path) of an image or a folder; ``"mnist"`` or ``"mnist:3,1,4"`` for the shipped
            test digits; a tensor/array ``[N, C, H, W]``, ``[N, H, W]`` or ``[H, W]`` (uint8 0..255 or float
            0..1); or a list of paths.
        shape: ``(C, H, W)`` wanted (the model's ``image_shape``).
        invert: invert intensities (for dark-on-light photos of digits; MNIST is light-on-dark).

    Returns:
        float32 ``[N, C, H, W]`` in [0, 1].

    Raises:
        InvalidInputError: no images found, unreadable files, wrong shape or NaN values.
    """
    c, h, w = (int(v) for v in shape)
    if isinstance(source, str) and source.split(":")[0] == "mnist":
        spec = source.split(":", 1)[1] if ":" in source else ""
        try:
            digits = [int(x) for x in spec.split(",") if x.strip()] if spec else None
        except ValueError as exc:
            raise InvalidInputError(f"bad MNIST image spec {source!r}; use 'mnist' (ten digits) or 'mnist:3,1,4' "
                                    "(a comma-separated list of digits 0-9).") from exc
        imgs = mnist_digits(digits=digits)[0] if digits else mnist_digits(10)[0]
        return _fit(imgs, c, h, w, invert)
    if isinstance(source, (str, os.PathLike)) or (isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, os.PathLike)) for s in source)):
        paths = _image_paths(source)
        return _fit(torch.stack([_read(p, c) for p in paths]), c, h, w, invert, already=False)
    if isinstance(source, torch.Tensor) or hasattr(source, "__array__"):
        t = torch.as_tensor(source if isinstance(source, torch.Tensor) else __import__("numpy").asarray(source)).detach().cpu()
        if t.dtype == torch.bool or t.is_complex():
            raise InvalidInputError(f"images must be real numbers, got dtype {t.dtype}.")
        if t.ndim == 2:
            t = t[None, None]
        elif t.ndim == 3:
            t = t[:, None] if t.shape[0] != c or c not in (1, 3) else t[None]
        if t.ndim != 4 or t.shape[0] == 0:
            raise InvalidInputError(f"images must have shape [N, C, H, W], [N, H, W] or [H, W], got {list(t.shape)}.")
        if t.dtype == torch.uint8:
            t = t.float() / 255.0
        t = t.float()
        if not torch.isfinite(t).all():
            raise InvalidInputError("images contain NaN or infinite values.")
        return _fit(t.clamp(0, 1), c, h, w, invert)
    raise InvalidInputError(f"cannot load images from {type(source).__name__}; pass a path, a folder, 'mnist' or a tensor.")


def _image_paths(source: Any) -> list[Path]:
    items = source if isinstance(source, (list, tuple)) else [source]
    paths: list[Path] = []
    for item in items:
        p = Path(item).expanduser()
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES and q.is_file())
            if not found:
                raise InvalidInputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in folder {p}.")
            paths.extend(found)
        elif p.is_file():
            paths.append(p)
        else:
            raise InvalidInputError(f"image path {p} does not exist.")
    return paths


def _read(path: Path, channels: int) -> torch.Tensor:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("L" if channels == 1 else "RGB")
            arr = np.asarray(im, dtype=np.uint8)
    except Image.DecompressionBombError as exc:
        size = _image_size(path)
        raise InvalidInputError(f"image {path} is too large ({size}); resize it below {2 * (Image.MAX_IMAGE_PIXELS or 0)} pixels.") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInputError(f"cannot read image {path}: {exc}") from exc
    t = torch.from_numpy(arr.copy())
    t = t[None] if t.ndim == 2 else t.permute(2, 0, 1)
    return t


def _image_size(path: Path) -> str:
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as im:
            return f"{im.width} x {im.height}"
    except Exception:  # noqa: BLE001 - message only
        return "unknown size"
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _fit(t: torch.Tensor, c: int, h: int, w: int, invert: bool, already: bool = True) -> torch.Tensor:
    """Convert ``[N, C', H', W']`` (uint8 or float) to float ``[N, c, h, w]`` in [0, 1]."""
    if t.dtype == torch.uint8:
        t = t.float() / 255.0
    if t.shape[1] != c:
        if t.shape[1] == 3 and c == 1:
            t = (0.299 * t[:, 0:1] + 0.587 * t[:, 1:2] + 0.114 * t[:, 2:3])
        elif t.shape[1] == 1 and c == 3:
            t = t.expand(-1, 3, -1, -1)
        elif t.shape[1] == 4:
            return _fit(t[:, :3], c, h, w, invert)
        else:
            raise InvalidInputError(f"images have {t.shape[1]} channels; the model needs {c}.")
    if tuple(t.shape[2:]) != (h, w):
        t = torch.nn.functional.interpolate(t, size=(h, w), mode="bicubic", antialias=True, align_corners=False)
    t = t.clamp(0.0, 1.0)
    if invert:
        t = 1.0 - t
    return t.contiguous()


def encode(model: Any, images: Any, *, condition: Any = None, invert: bool = False, batch_size: int = 256) -> Latents:
    """Encode real images with a VAE: one latent per image (the posterior mean).

    Args:
        model: a model that can encode (``model.can_encode``), e.g. ``ga.model("vae-mnist")``.
        images: anything :func:`load_images` accepts (a file, a folder, ``"mnist:3,1,4"``, a tensor).
        condition: class labels / vectors for conditional encoders (CVAE), one per image.
        invert: invert intensities before encoding.
        batch_size: images per encoder call.

    Returns:
        :class:`Latents` ``[N, D]`` (N images), carrying *condition* if given.

    Raises:
        InvalidInputError: the model cannot encode, or the images cannot be loaded.
    """
    dim, m = source_info(model)
    if m is None or not getattr(m, "can_encode", False):
        name = getattr(model, "name", type(model).__name__)
        raise InvalidInputError(f"model '{name}' cannot encode images; use a VAE such as 'vae-mnist' or 'cvae-mnist'.")
    imgs = load_images(images, shape=tuple(m.image_shape), invert=invert)
    cond = condition
    if cond is not None and not isinstance(cond, int):
        cond = torch.as_tensor(cond)
    parts = []
    for i in range(0, imgs.shape[0], max(1, int(batch_size))):
        c = cond if (cond is None or isinstance(cond, int)) else cond[i: i + batch_size]
        parts.append(m.encode(imgs[i: i + batch_size], c).detach().to("cpu", torch.float32))
    z = torch.cat(parts)
    lat = from_tensor(z, condition=condition)
    lat.description = describe_args("encode", model=m, images=images if isinstance(images, (str, os.PathLike)) else f"{imgs.shape[0]} images")
    return lat


def morph(
    model: Any,
    images: Any,
    frames: int = 96,
    *,
    method: str = "slerp",
    easing: str = "cosine",
    hold: float = 0.25,
    loop: bool = True,
    condition: Any = None,
    invert: bool = False,
) -> Latents:
    """Morph between real images: encode them with a VAE, then interpolate between their latents.

    Args:
        model: a VAE (``model.can_encode``).
        images: anything :func:`load_images` accepts; at least one image.
        frames: T, total frames (>= 1), shared evenly between the transitions.
        method: ``"slerp"`` or ``"lerp"``.
        easing: easing curve name (see :data:`genart_kit.latent.EASINGS`).
        hold: fraction in [0, 1) of each transition spent resting on the image.
        loop: morph from the last image back to the first (a seamless loop).
        condition: per-frame condition for conditional decoders.
        invert: invert intensities before encoding.

    Returns:
        :class:`Latents` ``[T, D]``.

    Raises:
        InvalidInputError: the model cannot encode, images cannot be loaded, bad frames.
    """
    from .interpolation import interpolate

    keys = encode(model, images, invert=invert)
    out = interpolate(keys, frames, method=method, easing=easing, loop=loop, hold=hold, condition=condition)
    out.description = describe_args("morph", model=model, images=images if isinstance(images, (str, os.PathLike)) else f"{len(keys)} images",
                                    frames=frames, method=method, easing=easing, hold=hold, loop=loop)
    return out
