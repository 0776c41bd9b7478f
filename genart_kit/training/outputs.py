"""The run folder of ``genart train``: creating and locking it, the files a run writes there (sample grids,
the loss curve) and the list of those files (for ``--overwrite``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import torch

from ..checkpoint import atomic_write_bytes
from ..errors import InvalidInputError
from .lock import LOCK_NAME, hold_run_lock

__all__ = ["run_folder", "run_files", "save_grid", "save_loss_curve"]


@contextlib.contextmanager
def run_folder(out: Path) -> Iterator[None]:
    """Create the run folder *out* (clear error if that is impossible) and hold its exclusive OS lock
    (:func:`~genart_kit.training.lock.hold_run_lock`) so that two trainings never write one run.

    Only a folder this run created and left empty (a failed start) is removed again, lock file included.

    Raises:
        InvalidInputError: *out* cannot be created, its lock file is unusable, or another ``genart train``
            holds the folder (named with its pid).
    """
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"cannot create the run folder --out '{out}' ({exc.strerror or exc}); pick a writable folder.") from None
    lock_path = out / LOCK_NAME
    with hold_run_lock(out):
        try:
            yield
        finally:  # still locked: a run that wrote nothing leaves no folder behind (never another run's)
            if created:
                with contextlib.suppress(OSError):
                    if [p.name for p in out.iterdir()] == [lock_path.name]:
                        lock_path.unlink()
                        out.rmdir()


def run_files(out: Path, everything: bool = True) -> list[Path]:
    """The files of a run in folder *out* that exist: the checkpoint and model, and with *everything* also
    the sample grids, the loss curve and the summary that :func:`train` writes."""
    names = ["checkpoint.safetensors", "model.safetensors"]
    if everything:
        names += ["losses.png", "train.json"]
    found = [out / n for n in names if (out / n).is_file()]
    if everything and out.is_dir():
        found += sorted(out.glob("samples_epoch[0-9][0-9][0-9]*.png"))
    return found


def save_grid(path: Path, frames: torch.Tensor, nrow: int) -> None:
    """Write *frames* ``[N, C, H, W]`` float in [0, 1] as a PNG grid of *nrow* columns (2 px white padding),
    grayscale when every pixel is gray; atomically. Raises OSError when the file cannot be written."""
    import io

    from PIL import Image

    from ..render.layout import grid as layout_grid

    grid = layout_grid(frames.detach().cpu(), nrow, padding=2, background=1.0)
    arr = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    if arr.shape[2] == 1 or (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all():
        img = Image.fromarray(arr[..., 0], mode="L")
    else:
        img = Image.fromarray(arr, mode="RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def save_loss_curve(path: Path, history: dict[str, list[float]], steps_per_epoch: int) -> None:
    """Plot each loss of *history* (nats per iteration; smoothed by a moving average past 200 points) to a
    PNG, atomically. Raises OSError when the file cannot be written."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for name, values in history.items():
        if not values or name.startswith(("d_real", "d_fake")):
            continue
        y = torch.tensor(values, dtype=torch.float64)
        k = max(1, len(values) // 200)
        if k > 1:  # moving average for readability
            y = torch.nn.functional.avg_pool1d(y[None, None], k, stride=1).view(-1)
        x = torch.arange(len(y)) + (k - 1)
        ax.plot(x.numpy(), y.numpy(), label=name, linewidth=1)
    ax.set_xlabel(f"iteration ({steps_per_epoch} per epoch)")
    ax.set_ylabel("loss (nats)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())
