"""Training datasets: MNIST from a local folder (or a download when online) and any folder of images.

Both return an :class:`ImageTensorDataset`: all images preloaded as one uint8 tensor, items
``(image [C, H, W] float32 in [0, 1], label int)``, plus a fast :meth:`ImageTensorDataset.get_batch`.

MNIST lookup order (first folder holding the four IDX files, ``.gz`` or decompressed, directly or under
``MNIST/raw/``): the ``data_dir`` argument (``--data-dir``), ``$GENART_DATA_DIR`` (the folder itself or its
``mnist/`` sub-folder), ``../shared/datasets/mnist`` and ``shared/datasets/mnist`` relative to the current
folder and to the project root, then the cache ``$GENART_CACHE_DIR/mnist`` (default
``~/.cache/genart-kit/mnist``). Compressed files are decompressed into that cache with torchvision's
``extract_archive`` (never next to the source). When nothing is found and ``download`` allows it,
torchvision downloads MNIST into the cache; offline, a :class:`~genart_kit.errors.DatasetError` says where to
put the files.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

from ..errors import DatasetError

log = logging.getLogger(__name__)

#: the project root searched for ``shared/datasets/mnist`` next to it (tests point it elsewhere)
PROJECT_ROOT = Path(__file__).resolve().parents[2]

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

__all__ = ["ImageTensorDataset", "load_mnist", "load_image_folder", "find_mnist_dir", "cache_dir", "load_dataset"]


class ImageTensorDataset(torch.utils.data.Dataset):
    """Images held in memory as uint8.

    Args:
        images: uint8 ``[N, C, H, W]``.
        labels: int64 ``[N]``.
        num_classes: number of distinct labels (``None`` for unlabelled data, all labels 0).
        name: description used in logs and checkpoint configs.

    Items are ``(float32 [C, H, W] in [0, 1], int label)``.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, num_classes: int | None, name: str,
                 classes: list[str] | None = None) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise DatasetError(f"dataset '{name}': images must be uint8 [N, C, H, W], got {images.dtype} {list(images.shape)}.")
        self.images = images
        self.labels = labels.to(torch.long)
        self.num_classes = num_classes
        self.name = name
        self.classes = classes

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of every image."""
        return tuple(int(v) for v in self.images.shape[1:])  # type: ignore[return-value]

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i].float().div_(255.0), int(self.labels[i])

    def get_batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``index [B]`` int64 -> ``(images float32 [B, C, H, W] in [0, 1], labels int64 [B])`` on the CPU."""
        return self.images[index].float().div_(255.0), self.labels[index]

    def subset(self, n: int) -> "ImageTensorDataset":
        """The first *n* items (a new dataset sharing storage)."""
        return ImageTensorDataset(self.images[:n], self.labels[:n], self.num_classes, self.name, self.classes)


# ------------------------------------------------------------------------------------------------ MNIST


def cache_dir() -> Path:
    """The toolkit's cache folder (:func:`genart_kit.paths.cache_dir`: ``$GENART_CACHE_DIR`` or the platform's)."""
    from ..paths import cache_dir as _cache_dir

    return _cache_dir()


def _has_mnist(folder: Path) -> Path | None:
    """The folder holding the 4 IDX files (``.gz`` or raw) in *folder* or *folder*/MNIST/raw, else None."""
    for cand in (folder, folder / "MNIST" / "raw", folder / "raw"):
        if all((cand / f).exists() or (cand / (f + ".gz")).exists() for f in MNIST_FILES):
            return cand
    return None


def _candidates(data_dir: Any) -> list[Path]:
    out: list[Path] = []
    if data_dir:
        out.append(Path(data_dir).expanduser())
    env = os.environ.get("GENART_DATA_DIR")
    if env:
        out += [Path(env).expanduser(), Path(env).expanduser() / "mnist"]
    for base in (Path.cwd(), PROJECT_ROOT):
        out += [base / ".." / "shared" / "datasets" / "mnist", base / "shared" / "datasets" / "mnist"]
    out.append(cache_dir() / "mnist")
    return out


def find_mnist_dir(data_dir: Any = None) -> Path | None:
    """The first folder with the MNIST IDX files, following the lookup order of this module; else None.

    An explicit *data_dir* that lacks the files is not silently skipped: it raises DatasetError.
    """
    if data_dir:
        found = _has_mnist(Path(data_dir).expanduser())
        if found is None:
            raise DatasetError(
                f"no MNIST files in '{data_dir}': expected {', '.join(f + '.gz' for f in MNIST_FILES)} "
                "(or the decompressed files, directly or under MNIST/raw/). Put the files there or fix --data-dir."
            )
        return found
    for cand in _candidates(None):
        found = _has_mnist(cand)
        if found is not None:
            return found
    return None


def _prepare_raw(src: Path) -> Path:
    """Return a root for ``torchvision.datasets.MNIST(root)``: decompress ``.gz`` files into the cache."""
    if all((src / f).exists() for f in MNIST_FILES) and src.name == "raw" and src.parent.name == "MNIST":
        return src.parent.parent
    import hashlib
    import shutil
    import tempfile
    import zlib

    from torchvision.datasets.utils import extract_archive

    # the cache is keyed by the source folder and each source file's size and modification time, so
    # replaced files are decompressed again instead of a stale copy being used
    key = [str(src.resolve())]
    for f in MNIST_FILES:
        for name in (f, f + ".gz"):
            if (src / name).exists():
                st = (src / name).stat()
                key.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    digest = hashlib.sha1("\n".join(key).encode()).hexdigest()[:12]
    root = cache_dir() / "mnist" / digest
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for f in MNIST_FILES:
        if (raw / f).exists():
            continue
        # unique temporary names: several processes (torchrun ranks) may fill the same cache at once; each
        # renames its complete copy into place atomically
        if (src / f).exists():
            fd, tmp_name = tempfile.mkstemp(dir=raw, prefix=f + ".", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write((src / f).read_bytes())
            os.replace(tmp_name, raw / f)
        else:
            tmpdir = Path(tempfile.mkdtemp(dir=raw, prefix=f + ".extracting-"))
            try:
                extract_archive(str(src / (f + ".gz")), str(tmpdir))
                os.replace(tmpdir / f, raw / f)
            except (EOFError, OSError, zlib.error) as exc:
                raise DatasetError(
                    f"cannot decompress '{src / (f + '.gz')}' ({exc}): the file is truncated or damaged; "
                    "replace it with a complete copy of the MNIST file."
                ) from None
            finally:
                shutil.rmtree(tmpdir, ignore_errors=True)
    return root


def _where_to_put() -> str:
    return (
        "MNIST not found locally. Put the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz: the original MNIST files, from any MNIST mirror) in a folder and "
        "pass --data-dir FOLDER or set GENART_DATA_DIR=FOLDER (e.g. ../shared/datasets/mnist), or put them in "
        f"{cache_dir() / 'mnist'}."
    )


def load_mnist(data_dir: Any = None, train: bool = True, download: bool | None = None, limit: int | None = None,
               **_: Any) -> ImageTensorDataset:
    """MNIST (LeCun et al. 1998) via ``torchvision.datasets.MNIST``: 60,000 train / 10,000 test digits.

    Args:
        data_dir: folder with the IDX files (see the module docstring for the search order).
        train: training split (True) or the 10k test split (False).
        download: ``None`` = download only when no local files are found (and fail clearly offline);
            ``False`` = never download; ``True`` = download when missing.
        limit: keep only the first *limit* images (quick runs).

    Returns:
        ImageTensorDataset of uint8 ``[N, 1, 28, 28]`` images, labels 0-9, ``num_classes`` 10.

    Raises:
        DatasetError: no local files and no download possible (the message says where to put them).
    """
    from torchvision.datasets import MNIST

    found = find_mnist_dir(data_dir)
    if found is not None:
        root = _prepare_raw(found)
        try:
            ds = MNIST(str(root), train=train, download=False)
        except (AssertionError, ValueError, RuntimeError, IndexError, OSError) as exc:  # torchvision asserts on bad headers
            raise DatasetError(
                f"the MNIST files in '{found}' are not valid IDX files ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''}); "
                "replace them with the original train/t10k images and labels files."
            ) from None
        if len(ds.data) != len(ds.targets) or tuple(ds.data.shape[1:]) != (28, 28):
            raise DatasetError(
                f"the MNIST files in '{found}' do not fit together ({len(ds.data)} images of {tuple(ds.data.shape[1:])}, "
                f"{len(ds.targets)} labels); replace them with the original MNIST files."
            )
    elif download is False:
        raise DatasetError(_where_to_put() + " (download disabled)")
    else:
        root = cache_dir() / "mnist" / "download"
        import socket

        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(15)
        try:
            ds = MNIST(str(root), train=train, download=True)
        except Exception as exc:  # any network error means "offline"
            raise DatasetError(_where_to_put() + f" Downloading failed ({type(exc).__name__}: offline?).") from exc
        finally:
            socket.setdefaulttimeout(old)
    images = ds.data.unsqueeze(1).contiguous()
    labels = ds.targets.clone()
    if limit:
        images, labels = images[: int(limit)], labels[: int(limit)]
    return ImageTensorDataset(images, labels, 10, "mnist" + ("" if train else "-test"), [str(i) for i in range(10)])


# ---------------------------------------------------------------------------------------- image folders


def load_image_folder(path: Any, image_size: int = 64, channels: int | None = None, limit: int | None = None,
                      **_: Any) -> ImageTensorDataset:
    """Every image under *path* (recursively, sorted by path), resized so the short side is *image_size*
    then center-cropped to ``image_size x image_size``.

    Args:
        path: a folder of images (.png .jpg .jpeg .bmp .gif .webp .tif). Images in sub-folders get the
            sub-folder as their class label (sorted names -> 0, 1, ...); images directly in *path* get 0.
        image_size: output side in pixels.
        channels: 1 (grayscale) or 3 (RGB); ``None`` = 1 when every image is grayscale, else 3.
        limit: keep only the first *limit* images.

    Returns:
        ImageTensorDataset of uint8 ``[N, C, S, S]``.

    Raises:
        DatasetError: not a folder, no images, an unreadable image, or bad *channels*.
    """
    from PIL import Image, UnidentifiedImageError
    from torchvision.transforms import functional as TF

    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetError(f"dataset folder '{path}' does not exist; pass --data mnist or a folder of images.")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if limit:
        files = files[: int(limit)]
    if not files:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found under '{path}'; add images or pick another folder.")
    if channels not in (None, 1, 3):
        raise DatasetError(f"channels must be 1 or 3, got {channels}.")
    pics = []
    for f in files:
        try:
            with Image.open(f) as im:
                im.load()
                pics.append(im.copy())
        except (UnidentifiedImageError, OSError) as exc:
            raise DatasetError(f"cannot read image '{f}' ({exc}); remove it or convert it to PNG.") from exc
    if channels is None:
        channels = 1 if all(p.mode in ("1", "L", "LA", "I;16", "I") for p in pics) else 3
    mode = "L" if channels == 1 else "RGB"
    size = int(image_size)
    out = torch.empty(len(pics), channels, size, size, dtype=torch.uint8)
    for i, im in enumerate(pics):
        im = im.convert(mode)
        im = TF.center_crop(TF.resize(im, size, antialias=True), [size, size])
        out[i] = TF.pil_to_tensor(im)
    rel = [f.relative_to(root).parts for f in files]
    class_names = sorted({parts[0] for parts in rel if len(parts) > 1})
    index = {n: i for i, n in enumerate(class_names)}
    labels = torch.tensor([index[parts[0]] if len(parts) > 1 else 0 for parts in rel], dtype=torch.long)
    return ImageTensorDataset(out, labels, len(class_names) or None, f"folder:{root}", class_names or None)


def load_dataset(data: str, **options: Any) -> ImageTensorDataset:
    """Resolve ``--data``: a registered dataset name (``mnist``, plugin datasets) or a folder path.

    Raises:
        DatasetError / UnknownNameError: neither a known dataset nor an existing folder.
    """
    from ..errors import unknown_name

    if data == "mnist":
        return load_mnist(**options)
    if Path(data).expanduser().is_dir():
        return load_image_folder(data, **options)
    try:
        from ..registry import get_registry

        reg = get_registry()
        names = list(reg.names("dataset"))
        if data in names:
            ds = reg.load("dataset", data, **options)
            return _coerce(ds, data)
    except ImportError:  # registry not available: only the built-in datasets
        names = ["mnist", "folder"]
    if any(sep in str(data) for sep in ("/", "\\")) or str(data).startswith((".", "~")):
        path = Path(data).expanduser()
        what = "is a file, not a folder" if path.exists() else "does not exist"
        raise DatasetError(f"--data '{data}' {what}; pass a folder of images (or a dataset name: {', '.join(sorted(names))}).")
    raise unknown_name("dataset", data, names, hint="Or pass a folder of images: --data path/to/folder.")


def _coerce(ds: Any, name: str) -> ImageTensorDataset:
    """Turn any Dataset of ``(image [C, H, W] float in [0, 1], label)`` into an ImageTensorDataset."""
    if isinstance(ds, ImageTensorDataset):
        return ds
    imgs, labels = [], []
    for i in range(len(ds)):
        x, y = ds[i]
        imgs.append((torch.as_tensor(x).float().clamp(0, 1) * 255 + 0.5).to(torch.uint8))
        labels.append(int(y))
    if not imgs:
        raise DatasetError(f"dataset '{name}' is empty.")
    n_cls = max(labels) + 1 if len(set(labels)) > 1 else None
    return ImageTensorDataset(torch.stack(imgs), torch.tensor(labels), n_cls, name)
