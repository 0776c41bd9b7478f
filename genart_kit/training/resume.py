"""What ``--resume`` needs besides the weights: optimizer state in and out of a checkpoint, and the check that
a resumed run keeps the options its checkpoint was trained with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError

__all__ = ["optim_tensors", "restore_optim", "check_resume_options", "check_resume_state"]


def optim_tensors(name: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Optimizer *name*'s state as flat tensors ``optim.<name>.<param index>.<key>`` plus its JSON-able
    ``param_groups`` (hyper-parameters), for a safetensors checkpoint."""
    sd = opt.state_dict()
    tensors = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            t = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            tensors[f"optim.{name}.{idx}.{key}"] = t
    return tensors, {"param_groups": sd["param_groups"], "state_keys": sorted(tensors)}


def restore_optim(name: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any], device: torch.device) -> None:
    """Load what :func:`optim_tensors` stored back into *opt*, moving moments to *device*."""
    state: dict[int, dict[str, torch.Tensor]] = {}
    prefix = f"optim.{name}."
    for key, t in tensors.items():
        if key.startswith(prefix):
            idx, k = key[len(prefix):].split(".", 1)
            state.setdefault(int(idx), {})[k] = t if k == "step" else t.to(device)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def _counter(state: dict[str, Any], key: str, path: Path) -> int:
    value = state.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CheckpointError(f"--resume: '{path}' is damaged: state.{key} is {value!r}, not a count >= 0; "
                              "resume from another checkpoint or start a new run (--overwrite).")
    return value


def _keeps_state(opt: Any) -> bool:
    """Whether *opt* keeps per-parameter state (Adam-style moments, SGD momentum) once it has stepped."""
    name = type(opt).__name__
    if name == "SGD":
        return any(g.get("momentum", 0) for g in opt.param_groups)
    return True


def check_resume_state(tensors: dict[str, torch.Tensor], state: Any, optimizers: dict[str, Any], path: Path,
                       rank: int = 0) -> None:
    """Refuse a training checkpoint missing any part of what an exact resume needs, naming the part: the
    counters (``state.epoch/step/pos``), each optimizer's ``param_groups`` and moments (every tensor the
    checkpoint recorded writing, or at least one after the first step for older files), the torch RNG
    state of this rank (a full-length uint8 vector), and 1-D loss histories.

    Raises:
        CheckpointError: what is missing or damaged, and how to go on.
    """
    hint = "resume from another checkpoint or start a new run (--overwrite)."
    if not isinstance(state, dict):
        raise CheckpointError(f"--resume: '{path}' is damaged: its state is {type(state).__name__}, not an object; {hint}")
    step = _counter(state, "step", path)
    for key in ("epoch", "pos"):
        _counter(state, key, path)
    for name in optimizers:
        meta = state["optimizers"].get(name)
        if not isinstance(meta, dict) or not isinstance(meta.get("param_groups"), list) or \
                not all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in meta["param_groups"]):
            raise CheckpointError(f"--resume: '{path}' is damaged: optimizer '{name}' param_groups are missing or "
                                  f"not a list of groups; {hint}")
        have = {k for k in tensors if k.startswith(f"optim.{name}.")}
        recorded = meta.get("state_keys")
        if isinstance(recorded, list):  # written by this version: exactly what was saved
            missing = sorted(set(recorded) - have)
            bad = bool(missing)
        else:  # an older checkpoint: after a step, a stateful optimizer has some moments
            missing, bad = [], step > 0 and not have and _keeps_state(optimizers[name])
        if bad:
            what = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "") if missing else "all of them"
            raise CheckpointError(f"--resume: '{path}' lacks optimizer '{name}' state ({what}); resuming would restart "
                                  f"its moments from zero and diverge from the recorded run; {hint}")
    key = f"rng.torch.{rank}" if f"rng.torch.{rank}" in tensors else "rng.torch.0"
    rng = tensors.get(key)
    expected = torch.get_rng_state().numel()
    if rng is None or rng.ndim != 1 or rng.numel() != expected:
        got = "missing" if rng is None else f"shape {list(rng.shape)}"
        raise CheckpointError(f"--resume: '{path}' has no usable RNG state ({key}: {got}, expected [{expected}]); "
                              f"the resumed run could not repeat the recorded one; {hint}")
    for k, t in tensors.items():
        if k.startswith("history.") and t.ndim != 1:
            raise CheckpointError(f"--resume: '{path}' is damaged: {k} has shape {list(t.shape)}, not a 1-D loss "
                                  f"history; {hint}")


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
