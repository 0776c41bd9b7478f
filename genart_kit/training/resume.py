"""What ``--resume`` needs besides the weights: optimizer state in and out of a checkpoint, and the check that
a resumed run keeps the options its checkpoint was trained with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError

__all__ = ["optim_tensors", "restore_optim", "check_resume_options"]


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


def _shown(value: Any) -> str:
    return "default" if value is None else repr(value)


def check_resume_options(config: dict[str, Any], model_config: dict[str, Any], added: set[str], cfg: Any,
                         dataset: str, size: int, world: int, path: Path, default_lr: float | None = None,
                         model_defaults: dict[str, Any] | None = None) -> None:
    """Refuse ``--resume`` with options that differ from the checkpoint's: model options (width, latent
    dimension, ...) and training options (learning rate, seed, batch size, dataset, number of processes).
    The continued run would match neither the checkpoint's recorded command nor the new one. Keys in
    *added* (options the model agreed to add on resume, such as weight averaging) are not compared; a
    learning rate left to its default equals *default_lr* given explicitly, and a model option left out of
    either config equals its value in *model_defaults* (an option absent from an older config == its default).

    Raises:
        CheckpointError: naming every differing option with its saved and new value, and the run's own
            command to resume with.
    """
    diffs: list[str] = []
    saved_model = config.get("model_config") if isinstance(config.get("model_config"), dict) else {}
    defaults = model_defaults or {}
    for k in sorted(set(saved_model) | set(model_config)):
        before, now_ = saved_model.get(k, defaults.get(k)), model_config.get(k, defaults.get(k))
        if k not in added and json.dumps(before) != json.dumps(now_):
            flag = "image shape (--image-size / --channels)" if k == "image_shape" else "--" + k.replace("_", "-")
            diffs.append(f"{flag} {_shown(before)} -> {_shown(now_)}")
    saved = config.get("training")
    if isinstance(saved, dict):  # older or hand-made checkpoints record no training options
        now = {"lr": cfg.lr, "seed": cfg.seed, "batch_size": cfg.batch_size, "dataset": dataset, "world_size": world}
        now.update({f"data_options.{k}": cfg.data_options.get(k) for k in _RESUME_DATA_KEYS})
        before = {k: saved.get(k) for k in now if "." not in k}
        saved_data = saved.get("data_options") if isinstance(saved.get("data_options"), dict) else {}
        before.update({f"data_options.{k}": saved_data.get(k) for k in _RESUME_DATA_KEYS})
        if default_lr is not None:  # an explicit --lr equal to the default means the same as none
            now["lr"] = default_lr if now["lr"] is None else float(now["lr"])
            before["lr"] = default_lr if before["lr"] is None else float(before["lr"])
        if saved.get("dataset_size") not in (None, size) and before["data_options.limit"] == now["data_options.limit"]:
            now["dataset_size"], before["dataset_size"] = size, saved.get("dataset_size")  # the data itself changed
        flags = {"lr": "--lr", "seed": "--seed", "batch_size": "--batch-size", "dataset": "--data", "dataset_size": "images in --data",
                 "world_size": "torchrun --nproc_per_node", "data_options.limit": "--limit",
                 "data_options.image_size": "--image-size", "data_options.channels": "--channels"}
        for k, value in now.items():
            if before.get(k) is None and k in ("dataset", "world_size"):
                continue  # not recorded by an older checkpoint
            if json.dumps(before.get(k)) != json.dumps(value):
                diffs.append(f"{flags[k]} {_shown(before.get(k))} -> {_shown(value)}")
    if diffs:
        command = config.get("command")
        again = f" Resume with the run's own options: {command} --resume (with a larger --epochs or --steps)." if command else ""
        raise CheckpointError(
            f"--resume: '{path}' was trained with other options ({', '.join(diffs)}); only --epochs, --steps, --device, "
            f"--sample-every and --checkpoint-every may change.{again} To train differently, start a new run with another --out."
        )
