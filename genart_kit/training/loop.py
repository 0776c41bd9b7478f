"""The shared training loop behind ``genart train``.

The loop knows no architecture: the model supplies ``model.training_step(lr=...)`` -> a step object with
``modules`` / ``optimizers`` dicts, ``wrap(fn)`` (for DistributedDataParallel) and ``__call__(images,
labels) -> {loss name: float}`` (the first-party model plugins' training steps are examples). The loop owns data order, seeding, devices, DDP, progress,
sample grids, loss curves, atomic checkpoints, Ctrl-C and resume. Helpers live beside it: ``outputs`` (the run
folder, its lock and files), ``resume`` (optimizer state, option checks), ``stop`` (stop signals),
``progress`` (the progress bar).

Determinism: the model is initialised after ``torch.manual_seed(seed)``; epoch *e* visits the data in the
order ``torch.randperm(N, generator=seed_for(seed, e))`` (rank r of W takes every W-th index), batches of
``batch_size`` (per process), last partial batch dropped; the step's own noise comes from torch's global RNG
seeded with ``seed + rank``. A checkpoint stores the RNG state, optimizer moments, epoch and step, so
``--resume`` continues exactly where it stopped (same losses as an uninterrupted run on the same machine).

Run folder (``--out``): ``checkpoint.safetensors`` (weights + training state + config, written atomically
after every epoch, every ``checkpoint_every`` steps, at the end and on Ctrl-C / SIGTERM / SIGHUP, always
between two iterations: see :mod:`genart_kit.training.stop`), ``model.safetensors``
(weights + config only: what ``genart sample --checkpoint`` and the shipped plugins use),
``samples_epochNNN.png`` (a fixed-latent grid per epoch), ``losses.png`` (loss curves) and ``train.json``
(summary).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..checkpoint import (atomic_write_bytes, constructor_defaults, load_checkpoint, load_state_into, package_versions,
                          resolve_device, save_checkpoint)
from ..contracts import Trainable, TrainingStep
from ..errors import CheckpointError, InvalidInputError
from .data import ImageTensorDataset, load_dataset
from .outputs import run_files, run_folder, save_grid, save_loss_curve
from .progress import ProgressBar
from .resume import check_resume_options, check_resume_state, optim_tensors, restore_optim
from .stop import GracefulStop

log = logging.getLogger(__name__)

__all__ = ["TrainConfig", "TrainResult", "train", "seed_for", "ProgressBar"]

@dataclass
class TrainConfig:
    """Everything ``genart train`` needs; recorded in the checkpoint's config.

    Attributes:
        model: name of a registered model with ``trainable=True``.
        data: dataset name (``mnist``) or a folder of images.
        epochs: passes over the data (an epoch is ``len(data) // (batch_size * world_size)`` steps).
        steps: optional cap on the total number of iterations (quick runs); ``None`` = no cap.
        batch_size: images per iteration per process.
        lr: learning rate (``None`` = the training step's ``default_lr``).
        seed: master seed (model init, data order, noise).
        device: ``cpu``, ``cuda``, ``cuda:N`` or ``None`` (CUDA if available; the local rank's GPU under torchrun).
        out: run folder.
        resume: continue from ``out/checkpoint.safetensors`` (error when there is none).
        overwrite: start from scratch in an *out* that already holds a run, deleting its files (checkpoint,
            model, sample grids, loss curve, summary) once the new run has saved its first checkpoint (a
            new run that fails before that leaves the old checkpoint and model in place); without it (or
            *resume*) such a folder is refused, so no run is ever replaced by accident.
        data_options: dataset options (``data_dir``, ``image_size``, ``channels``, ``limit``, ``download``).
        model_options: the architecture's own options (those it declares; ``genart train MODEL --help``).
        sample_every: write a sample grid every N epochs (0 = only at the end: the run's last epoch, or the
            point where ``steps`` stops it, always gets one).
        checkpoint_every: also checkpoint every N steps (0 = only per epoch / at the end).
        command: the command line recorded in the checkpoint config (the one that reproduces the run).
        invocation: the actual command line of this process (kept with earlier ones in ``invocations``).
        progress: show a progress bar on stderr.
        encoder: the text conditioner that embeds the captions of a captioned data set for a model conditioned
            on text embeddings (:mod:`genart_kit.training.conditions`); ``None``: the best installed.
    """

    model: str
    data: str = "mnist"
    epochs: int = 1
    steps: int | None = None
    batch_size: int = 64
    lr: float | None = None
    seed: int = 0
    device: str | None = None
    out: str = "runs/train"
    resume: bool = False
    overwrite: bool = False
    data_options: dict[str, Any] = field(default_factory=dict)
    model_options: dict[str, Any] = field(default_factory=dict)
    sample_every: int = 1
    checkpoint_every: int = 0
    command: str | None = None
    progress: bool = True
    invocation: str | None = None
    encoder: str | None = None  # text conditioner for caption embeddings (None: the best installed)


@dataclass
class TrainResult:
    """What :func:`train` did: final step/epoch, whether it was interrupted, last losses, written paths,
    and throughput in training images per second (all processes together): ``images_per_second`` counts the
    iterations only, ``wall_images_per_second`` also the checkpoint / sample-grid / loss-curve writes."""

    out: Path
    checkpoint: Path
    model_path: Path
    step: int
    epoch: int
    interrupted: bool
    losses: dict[str, float]
    images_per_second: float
    history: dict[str, list[float]]
    wall_images_per_second: float = 0.0
    stop_signal: int | None = None
    epochs_done: float = 0.0  # complete epochs plus the fraction of the current one


def seed_for(seed: int, epoch: int) -> torch.Generator:
    """The CPU generator that orders epoch *epoch* of a run with master *seed*."""
    g = torch.Generator()
    g.manual_seed((int(seed) * 1_000_003 + int(epoch) * 7919 + 12345) % (2**63))
    return g


# ------------------------------------------------------------------------------------------ helpers


def _dist_info() -> tuple[int, int, int]:
    """(rank, world_size, local_rank) from torchrun's environment (0, 1, 0 when not distributed)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return rank, world, local


def _trainable_entry(name: str) -> Any:
    """The registry entry of architecture *name*; raises UnknownNameError / InvalidInputError (not trainable)."""
    from ..registry import get_registry

    reg = get_registry()
    entry = reg.get("model", name)
    if not entry.meta.get("trainable", False):
        trainable = [e.name for e in reg.entries("model") if e.meta.get("trainable")]
        raise InvalidInputError(
            f"model '{name}' is not a trainable architecture; train one of: {', '.join(trainable)} "
            f"(e.g. genart train {trainable[0] if trainable else 'MODEL'} --data mnist)."
        )
    return entry


def _load_architecture(name: str, **options: Any) -> Any:
    """Build the untrained architecture *name* with *options*, checked against the options it declares
    (``meta["options"]``) or, when it declares none, its loader's signature: an option it does not take is a
    one-line error with "did you mean" and the valid options, whatever the plugin."""
    from .._options import check_options
    from ..options import check_option_values, options_from_meta

    entry = _trainable_entry(name)
    declared = options_from_meta(entry.meta)
    if declared:
        check_option_values(options, declared, what=f"model '{name}'", where=f"model '{name}' option")
    else:
        check_options(f"model '{name}'", entry.resolve(), options, skip=("checkpoint", "device"))
    return entry.load(checkpoint=None, device="cpu", **options)


# ---------------------------------------------------------------------------------------------- train


def _validate_config(cfg: TrainConfig) -> None:
    """The checks ``genart train`` makes on its options, for callers of the Python API too.

    Raises:
        InvalidInputError: naming the option, the value and what is allowed.
    """
    def whole(name: str, value: Any, low: int, flag: str, high: int | None = None) -> None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)
        if not ok:
            limit = f">= {low}" if high is None else f"in {low}..{'2**62' if high == 2**62 else high}"
            raise InvalidInputError(f"{flag} must be {limit} (a whole number; TrainConfig.{name}), got {value!r}.")

    whole("epochs", cfg.epochs, 1, "--epochs")
    whole("batch_size", cfg.batch_size, 1, "--batch-size")
    whole("seed", cfg.seed, 0, "--seed", 2**62)
    whole("sample_every", cfg.sample_every, 0, "--sample-every")
    whole("checkpoint_every", cfg.checkpoint_every, 0, "--checkpoint-every")
    if cfg.steps is not None:
        whole("steps", cfg.steps, 1, "--steps")
    if cfg.lr is not None and not (isinstance(cfg.lr, (int, float)) and not isinstance(cfg.lr, bool)
                                   and math.isfinite(cfg.lr) and cfg.lr > 0):
        raise InvalidInputError(f"--lr must be a positive finite number such as 2e-4 (TrainConfig.lr), got {cfg.lr!r}.")
    if not str(cfg.out).strip():
        raise InvalidInputError("--out must name a folder for the run, e.g. runs/my-model (TrainConfig.out); got ''.")
    limit = (cfg.data_options or {}).get("limit")
    if limit is not None:
        whole("data_options['limit']", limit, 1, "--limit")


def train(cfg: TrainConfig) -> TrainResult:
    """Train ``cfg.model`` on ``cfg.data`` (see :class:`TrainConfig` and the module docstring).

    Under ``torchrun --nproc_per_node=N`` (``WORLD_SIZE`` > 1) it initialises ``torch.distributed`` (gloo on
    CPU, nccl on CUDA), wraps the trainable modules in DistributedDataParallel and shards every epoch; rank 0
    alone writes files.

    Returns:
        TrainResult. On Ctrl-C, SIGTERM or SIGHUP (when called from the main thread) the current iteration
        finishes, a checkpoint is saved and the result has ``interrupted=True`` and ``stop_signal`` set; a
        second Ctrl-C raises KeyboardInterrupt at once, keeping the last complete checkpoint.

    Raises:
        DatasetError, UnknownNameError, InvalidInputError: bad dataset / model / options.
        CheckpointError: ``resume`` without a checkpoint, or a checkpoint of another model/config.
        InvalidInputError: also when *out* already holds a run and neither ``resume`` nor ``overwrite`` is set,
            or both are.
    """
    if cfg.resume and cfg.overwrite:
        raise InvalidInputError("--resume and --overwrite contradict each other; pass one.")
    try:
        _trainable_entry(cfg.model)  # a wrong model name is the first thing to report
    except ImportError:  # pragma: no cover - registry missing in a partial checkout
        pass
    _validate_config(cfg)
    rank, world, local_rank = _dist_info()
    if rank == 0:
        with run_folder(Path(cfg.out)):  # locked first: a folder in use is reported as such
            existing = run_files(Path(cfg.out), everything=False)
            if existing and not cfg.resume and not cfg.overwrite:
                raise InvalidInputError(
                    f"--out '{cfg.out}' already holds a run ({', '.join(p.name for p in existing)}); continue it with --resume, "
                    "pick a new --out, or pass --overwrite to replace it."
                )
            return _train_distributed(cfg, rank, world, local_rank)
    return _train_distributed(cfg, rank, world, local_rank)


def _train_distributed(cfg: TrainConfig, rank: int, world: int, local_rank: int) -> TrainResult:
    distributed = world > 1
    if cfg.device is None and distributed and torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
    else:
        device = resolve_device(cfg.device)
    if distributed:
        import torch.distributed as dist

        if not dist.is_initialized():
            backend = "nccl" if device.type == "cuda" else "gloo"
            if device.type == "cuda":
                torch.cuda.set_device(device)
            dist.init_process_group(backend=backend)
    try:
        result = _train(cfg, device, rank, world)
        if distributed:
            # Every rank waits here until rank 0 has written its files: a rank that tore its process group
            # down while a peer still used it could abort in gloo ("terminate called without an active
            # exception"), seen about once in 16 runs on a busy machine.
            dist.barrier()
        return result
    finally:
        if distributed:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def _train(cfg: TrainConfig, device: torch.device, rank: int, world: int) -> TrainResult:
    out = Path(cfg.out)
    ckpt_path = out / "checkpoint.safetensors"
    model_path = out / "model.safetensors"
    main = rank == 0

    dataset: ImageTensorDataset = load_dataset(cfg.data, **cfg.data_options)
    n = len(dataset)
    steps_per_epoch = n // (cfg.batch_size * world)
    if steps_per_epoch < 1:
        raise InvalidInputError(
            f"dataset '{dataset.name}' has {n} images, fewer than one batch of {cfg.batch_size} x {world} process(es); "
            "lower --batch-size or add images."
        )

    # ---- model (initialised from the master seed: identical on every rank)
    torch.manual_seed(cfg.seed)
    opts = {k: v for k, v in cfg.model_options.items() if v is not None}
    opts["image_shape"] = dataset.image_shape
    model = _load_architecture(cfg.model, **opts)
    if model.num_classes is not None:
        if dataset.num_classes is None:
            raise InvalidInputError(
                f"model '{cfg.model}' is class-conditional but dataset '{dataset.name}' has no labels; "
                "use class sub-folders (folder/<class>/image.png) or an unconditional model."
            )
        if dataset.num_classes > model.num_classes:
            raise InvalidInputError(
                f"dataset '{dataset.name}' has {dataset.num_classes} classes but the model takes {model.num_classes}; "
                f"pass --num-classes {dataset.num_classes}."
            )
    model.to(device).train()
    if not isinstance(model, Trainable):
        raise InvalidInputError(f"model '{cfg.model}' has no training_step(lr=...); genart train needs one "
                                "(see genart_kit.contracts.Trainable and docs/writing-plugins.md).")
    step_fn = model.training_step(lr=cfg.lr)
    if not isinstance(step_fn, TrainingStep):
        missing = [m for m in ("modules", "optimizers", "wrap", "__call__") if not hasattr(step_fn, m)]
        raise InvalidInputError(f"model '{cfg.model}'.training_step() returned {type(step_fn).__name__}, which lacks "
                                f"{', '.join(missing)} (see genart_kit.contracts.TrainingStep).")
    history: dict[str, list[float]] = {}
    epoch, step, pos = 0, 0, 0  # epoch index, global step, batches done in the current epoch
    invocations: list[str] = []
    resume_encoder = None  # the text encoder a resumed run's captions were embedded with

    # ---- resume
    if cfg.resume:
        if not ckpt_path.exists():
            raise CheckpointError(f"--resume: no checkpoint at '{ckpt_path}'; start without --resume or pass the run's --out folder.")
        tensors, config = load_checkpoint(ckpt_path)
        if config.get("architecture") != model.config.get("architecture"):
            raise CheckpointError(
                f"--resume: '{ckpt_path}' is a '{config.get('architecture')}' run, not '{model.config.get('architecture')}'; "
                "use another --out folder."
            )
        saved_cfg = config.get("model_config", {})
        state = config.get("state", {})
        if not isinstance(state, dict) or not isinstance(saved_cfg, dict):
            raise CheckpointError(f"--resume: '{ckpt_path}' is damaged: its state or model_config is not an object; "
                                  "resume from another checkpoint or start a new run (--overwrite).")
        added: set[str] = set()
        if not isinstance(state.get("optimizers"), dict) or not set(step_fn.optimizers) <= set(state["optimizers"]):
            raise CheckpointError(
                f"--resume: '{ckpt_path}' is a model export (weights only), not a resumable training checkpoint "
                "(no optimizer state); start a new run with another --out, or --overwrite to restart in this folder."
            )
        check_resume_state(tensors, state, step_fn.optimizers, ckpt_path, rank)
        adapt = getattr(model, "adapt_resume_state", None)  # a model may add state on resume (e.g. weight averaging)
        if callable(adapt) and isinstance(saved_cfg, dict):
            tensors, added = adapt(tensors, saved_cfg, int(state.get("step", 0)))
        check_resume_options(config, model.config, added, cfg, dataset.name, n, world, ckpt_path,
                             default_lr=getattr(step_fn, "default_lr", None), model_defaults=constructor_defaults(type(model)))
        load_state_into(model, tensors, path=ckpt_path, arch=cfg.model)
        for name, opt in step_fn.optimizers.items():
            restore_optim(name, opt, tensors, state["optimizers"][name], device)
        epoch, step, pos = int(state["epoch"]), int(state["step"]), int(state["pos"])
        saved_training = config.get("training") if isinstance(config.get("training"), dict) else {}
        resume_encoder = saved_training.get("text_encoder")
        history = {k[len("history."):]: tensors[k].tolist() for k in tensors if k.startswith("history.")}
        invocations = list(config.get("invocations") or ([config["command"]] if config.get("command") else []))
        rng_key = f"rng.torch.{rank}" if f"rng.torch.{rank}" in tensors else "rng.torch.0"
        torch.set_rng_state(tensors[rng_key].to(torch.uint8))
        if main:
            log.info("resumed %s at epoch %d, step %d from %s", cfg.model, epoch + 1, step, ckpt_path)
    else:
        torch.manual_seed(cfg.seed + 1 + rank)  # noise stream for the steps (different per rank)

    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        step_fn.wrap(lambda m: DDP(m, device_ids=ids))

    from .conditions import training_conditions

    # caption embeddings for a model conditioned on text; a resumed run keeps the encoder it was trained with
    encoder = cfg.encoder or (resume_encoder if cfg.resume else None)
    if cfg.resume and cfg.encoder and resume_encoder and cfg.encoder != resume_encoder:
        raise CheckpointError(f"--resume: '{ckpt_path}' was trained on captions embedded by '{resume_encoder}', not "
                              f"'{cfg.encoder}'; resume with --encoder {resume_encoder} (or without --encoder), or start "
                              "a new run with another --out.")
    conditions = training_conditions(model, dataset, encoder=encoder)
    cond_table, text_encoder = conditions if conditions is not None else (None, None)
    invocations.append(cfg.invocation or cfg.command or "")
    sample_seed = cfg.seed + 424242
    n_samples = 100 if model.num_classes else 64
    fixed_z = model.sample_latents(n_samples, seed=sample_seed)
    fixed_c = (torch.arange(n_samples) % model.num_classes).to(device) if model.num_classes else None
    if cond_table is not None:  # the captions of n_samples images spread evenly over the data set
        fixed_c = cond_table[torch.linspace(0, n - 1, n_samples).long()].to(device)

    def run_config() -> dict[str, Any]:
        return {
            "architecture": model.config.get("architecture", cfg.model),
            "model_config": model.config,
            "training": {
                **{k: v for k, v in asdict(cfg).items() if k not in ("command", "progress", "out", "invocation", "overwrite")},
                "dataset": dataset.name,
                "dataset_size": n,
                "world_size": world,
                "steps_per_epoch": steps_per_epoch,
                "steps_done": step,
                "epochs_done": epoch + (pos / steps_per_epoch if steps_per_epoch else 0),
                **({"text_encoder": text_encoder} if text_encoder else {}),
            },
            "command": cfg.command,
            "invocations": invocations,
            "versions": package_versions(),
        }

    def rng_states() -> dict[str, torch.Tensor]:
        state = torch.get_rng_state()
        if world > 1:
            import torch.distributed as dist

            gathered = [torch.empty_like(state) for _ in range(world)]
            dist.all_gather(gathered, state)  # gloo handles CPU tensors; on nccl move to device
            return {f"rng.torch.{r}": g for r, g in enumerate(gathered)}
        return {"rng.torch.0": state}

    replaced = run_files(out) if cfg.overwrite and not cfg.resume and main else []
    written: set[Path] = set()

    def save(final: bool = False) -> None:
        if world > 1 and device.type == "cuda":
            import torch.distributed as dist

            state = torch.get_rng_state().to(device)
            gathered = [torch.empty_like(state) for _ in range(world)]
            dist.all_gather(gathered, state)
            rngs = {f"rng.torch.{r}": g.cpu() for r, g in enumerate(gathered)}
        else:
            rngs = rng_states()
        if not main:
            return
        config = run_config()
        tensors: dict[str, torch.Tensor] = dict(model.state_dict())
        opt_meta = {}
        for name, opt in step_fn.optimizers.items():
            t, meta = optim_tensors(name, opt)
            tensors.update(t)
            opt_meta[name] = meta
        tensors.update(rngs)
        for k, v in history.items():
            tensors[f"history.{k}"] = torch.tensor(v, dtype=torch.float32)
        config["state"] = {"epoch": epoch, "step": step, "pos": pos, "optimizers": opt_meta}
        save_checkpoint(ckpt_path, tensors, config)
        if final:
            save_checkpoint(model_path, dict(model.state_dict()), run_config())
            written.add(model_path)
        # --overwrite: the old run's files go once the new run has its own checkpoint (so a new run that
        # fails early leaves the old one intact)
        for old in replaced:
            if old not in written and old != ckpt_path:
                old.unlink(missing_ok=True)
        replaced.clear()

    def write_samples(ep: int) -> None:
        if not main:
            return
        frames = model.decode(fixed_z, fixed_c)
        model.train()
        # the grid and the curve are for looking at: failing to write one (disk full, file too large) is
        # reported and training goes on; the checkpoint that follows says so clearly if the disk is full
        grid_path = out / f"samples_epoch{ep:03d}.png"
        jobs = [(grid_path, lambda: save_grid(grid_path, frames, nrow=10 if model.num_classes else 8))]
        if history:
            jobs.append((out / "losses.png", lambda: save_loss_curve(out / "losses.png", history, steps_per_epoch)))
        for path, job in jobs:
            try:
                job()
                written.add(path)
            except OSError as exc:
                log.warning("could not write %s (%s); training goes on", path, exc.strerror or exc)

    total_steps = steps_per_epoch * cfg.epochs
    if cfg.steps is not None:
        total_steps = min(total_steps, cfg.steps)
    if cfg.resume and (step >= total_steps or epoch >= cfg.epochs):
        raise InvalidInputError(
            f"--resume: the run is already at step {step} (epoch {epoch}, {steps_per_epoch} steps per epoch), "
            + (f"which --epochs {cfg.epochs} ({steps_per_epoch * cfg.epochs} steps)" if steps_per_epoch * cfg.epochs <= step
               else f"which --steps {cfg.steps}")
            + " does not go beyond; pass a larger one to continue it."
        )
    interrupted = False
    last: dict[str, float] = {}
    t_start = time.perf_counter()
    images_seen = 0
    io_time = [0.0]  # seconds spent writing checkpoints, grids and curves

    def timed(fn, *a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            io_time[0] += time.perf_counter() - t

    if main:
        out.mkdir(parents=True, exist_ok=True)
        log.info("training %s on %s (%d images, %d steps/epoch, world %d) -> %s", cfg.model, dataset.name, n, steps_per_epoch, world, out)
    bar = ProgressBar(total_steps, f"{cfg.model}", enabled=cfg.progress and main)

    def on_signal(signum: int) -> None:
        if main:
            bar.close()
            log.warning("stop requested (signal %d): finishing step %d, then saving a checkpoint "
                        "(press Ctrl-C again to quit without saving)", signum, step + 1)

    stop = GracefulStop(on_first=on_signal)

    def stop_requested() -> bool:
        """Any rank got a stop signal (all ranks agree, so they leave the collective ops together)."""
        if world == 1:
            return stop.requested
        import torch.distributed as dist

        flag = torch.tensor([stop.signum or 0], dtype=torch.int64, device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item() and stop.signum is None:
            stop.signum = int(flag.item())
        return bool(flag.item())

    try:
        with stop:
            while epoch < cfg.epochs and step < total_steps and not interrupted:
                perm = torch.randperm(n, generator=seed_for(cfg.seed, epoch))[rank::world]
                bar.desc = f"{cfg.model} epoch {epoch + 1}/{cfg.epochs}"
                while pos < steps_per_epoch and step < total_steps:
                    idx = perm[pos * cfg.batch_size:(pos + 1) * cfg.batch_size]
                    images, labels = dataset.get_batch(idx)
                    if cond_table is not None:
                        labels = cond_table[idx]  # the batch's caption embeddings [B, K]
                    images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
                    last = step_fn(images, labels)
                    for k, v in last.items():
                        history.setdefault(k, []).append(v)
                    pos += 1
                    step += 1
                    images_seen += images.shape[0] * world
                    if not all(math.isfinite(v) for v in last.values()):
                        raise InvalidInputError(f"training diverged at step {step} (losses {last}); lower --lr or change --seed.")
                    bar.update(step, last, images_seen / max(time.perf_counter() - t_start - io_time[0], 1e-9))
                    if pos >= steps_per_epoch:
                        break  # the epoch's end below saves and checks for a stop, with the state normalised
                    if stop_requested():
                        interrupted = True
                        break
                    if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                        timed(save)
                if interrupted:
                    break
                if pos >= steps_per_epoch:  # a checkpoint never says "pos = steps_per_epoch": (epoch + 1, 0)
                    epoch += 1
                    pos = 0
                    if (cfg.sample_every and epoch % cfg.sample_every == 0) or epoch == cfg.epochs or step >= total_steps:
                        timed(write_samples, epoch)
                    timed(save)
                    if stop_requested():
                        interrupted = True
            if interrupted:
                bar.close()
                if main:
                    log.warning("interrupted: saving checkpoint at step %d to %s (continue with --resume)", step, ckpt_path)
                save(final=True)
            else:
                if pos:  # stopped by --steps mid-epoch: still leave a grid
                    timed(write_samples, epoch + 1)
                timed(save, final=True)
    except KeyboardInterrupt:  # a second Ctrl-C: leave now; the last complete checkpoint stays as it was
        bar.close()
        if main:
            log.warning("stopped without saving; %s holds the last complete checkpoint", ckpt_path)
        raise
    finally:
        bar.update(step, last, images_seen / max(time.perf_counter() - t_start - io_time[0], 1e-9), force=True)
        bar.close()
    elapsed = time.perf_counter() - t_start
    busy = elapsed - io_time[0]
    ips = images_seen / busy if busy > 0 else 0.0
    result = TrainResult(out=out, checkpoint=ckpt_path, model_path=model_path, step=step, epoch=epoch,
                         interrupted=interrupted, stop_signal=stop.signum, losses=last, images_per_second=ips, history=history,
                         wall_images_per_second=images_seen / elapsed if elapsed > 0 else 0.0,
                         epochs_done=epoch + pos / steps_per_epoch)
    if main:
        summary = {"model": cfg.model, "data": dataset.name, "step": step, "epoch": epoch, "interrupted": interrupted,
                   "losses": last, "images_per_second": ips, "wall_images_per_second": result.wall_images_per_second,
                   "seconds": elapsed, "io_seconds": io_time[0], "command": cfg.command}
        atomic_write_bytes(out / "train.json", (json.dumps(summary, indent=2) + "\n").encode())
    return result
