"""What ``--resume`` needs besides the weights: optimizer state in and out of a checkpoint, and the check that
a resumed run keeps the options its checkpoint was trained with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError

__all__ = ["optim_tensors", "restore_optim", "check_resume_training"]


def optim_tensors(name: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Optimizer *name*'s state as flat tensors ``optim.<name>.<param index>.<key>`` plus its JSON-able
    ``param_groups`` (hyper-parameters), for a safetensors checkpoint."""
    sd = opt.state_dict()
    tensors = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            t = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            tensors[f"optim.{name}.{idx}.{key}"] = t
    return tensors, {"param_groups": sd["param_groups"]}


def restore_optim(name: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any], device: torch.device) -> None:
    """Load what :func:`optim_tensors` stored back into *opt*, moving moments to *device*."""
    state: dict[int, dict[str, torch.Tensor]] = {}
    prefix = f"optim.{name}."
    for key, t in tensors.items():
        if key.startswith(prefix):
            idx, k = key[len(prefix):].split(".", 1)
            state.setdefault(int(idx), {})[k] = t if k == "step" else t.to(device)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


_RESUME_DATA_KEYS = ("limit", "image_size", "channels")  # data_dir / download only say where the files are


def check_resume_training(saved: Any, cfg: Any, dataset: str, size: int, world: int, path: Path) -> None:
    """Refuse ``--resume`` with training options that differ from the checkpoint's (learning rate, seed,
    batch size, dataset, number of processes): the continued run would match neither the checkpoint's
    recorded command nor the new one. Model options are checked separately.

    Raises:
        CheckpointError: naming each differing option with its saved and new value.
    """
    if not isinstance(saved, dict):
        return  # an older or hand-made checkpoint: nothing recorded to compare
    now = {"lr": cfg.lr, "seed": cfg.seed, "batch_size": cfg.batch_size, "dataset": dataset, "dataset_size": size,
           "world_size": world}
    now.update({f"data_options.{k}": cfg.data_options.get(k) for k in _RESUME_DATA_KEYS})
    before = {k: saved.get(k) for k in now if "." not in k}
    saved_data = saved.get("data_options") if isinstance(saved.get("data_options"), dict) else {}
    before.update({f"data_options.{k}": saved_data.get(k) for k in _RESUME_DATA_KEYS})
    diffs = []
    for k, value in now.items():
        if before.get(k) is None and k in ("dataset", "dataset_size", "world_size"):
            continue  # not recorded by an older checkpoint
        if json.dumps(before.get(k)) != json.dumps(value):
            diffs.append(k)
    if diffs:
        flags = {"lr": "--lr", "seed": "--seed", "batch_size": "--batch-size", "dataset": "--data", "dataset_size": "--data / --limit",
                 "world_size": "torchrun --nproc_per_node", "data_options.limit": "--limit",
                 "data_options.image_size": "--image-size", "data_options.channels": "--channels"}
        detail = ", ".join(f"{flags[k]} {before.get(k)!r} -> {now[k]!r}" for k in diffs)
        raise CheckpointError(
            f"--resume: '{path}' was trained with other training options ({detail}); a resumed run must use the same "
            "ones (only --epochs, --steps, --device, --sample-every and --checkpoint-every may change). "
            "Start a new run with another --out to train differently."
        )
