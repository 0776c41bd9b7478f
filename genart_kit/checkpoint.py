"""Safe checkpoints: safetensors weights plus a JSON config in the safetensors metadata.

A checkpoint written by ``genart train`` is one ``.safetensors`` file holding

* the model's ``state_dict`` under its own key names (``generator.net.0.weight``, ...);
* optionally the training state under reserved prefixes: ``optim.<name>.<param index>.<key>`` (optimizer
  moments), ``rng.torch`` (the CPU RNG state), ``history.<loss>`` (per-step losses);
* metadata key ``genart`` = a JSON document ``{"format": 1, "architecture": "my-arch", "model_config": {...},
  "training": {...}, "versions": {...}}`` so the checkpoint rebuilds its own model.

Loading never executes code from the file: safetensors is a plain tensor container. A pickle-based file
(``torch.save``) is only read with ``torch.load(weights_only=True, map_location="cpu")``, and refused with a
:class:`~genart_kit.errors.CheckpointError` when that fails. Tensors always load on the CPU first (a
CUDA-saved checkpoint loads on a CPU-only machine), ``module.`` / ``_orig_mod.`` prefixes written by
DataParallel / DistributedDataParallel / ``torch.compile`` are stripped, and a checkpoint for another
architecture fails with an error naming both architectures.

Writes are atomic: the file is written to a temporary file in the target folder, then ``os.replace``-d.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, InvalidInputError

FORMAT_VERSION = 1
META_KEY = "genart"
RESERVED_PREFIXES = ("optim.", "rng.", "history.")
WRAPPER_PREFIXES = ("module.", "_orig_mod.")

__all__ = [
    "save_checkpoint",
    "load_checkpoint",
    "model_state",
    "strip_wrapper_prefixes",
    "load_state_into",
    "check_architecture",
    "package_versions",
    "atomic_write_bytes",
]


def package_versions() -> dict[str, str]:
    """Versions of the packages a checkpoint depends on: python, torch, torchvision, safetensors, genart-kit."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version(), "torch": torch.__version__}
    for dist in ("torchvision", "safetensors", "genart-kit"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - depends on the install
            out[dist] = "unknown"
    return out


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write *data* to *path* atomically (temporary file in the same folder, fsync, ``os.replace``).

    Returns the final path. Raises ``OSError`` when the folder is not writable.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def save_checkpoint(
    path: str | os.PathLike,
    tensors: dict[str, torch.Tensor],
    config: dict[str, Any],
    *,
    dtype: torch.dtype | None = None,
) -> Path:
    """Save *tensors* and *config* to a ``.safetensors`` file, atomically.

    Args:
        path: target file (its folder is created).
        tensors: name -> tensor (any device; copied to contiguous CPU tensors). ``module.`` prefixes are
            stripped so a DDP-wrapped state dict saves under the plain names.
        config: JSON-serialisable dict; ``architecture`` and ``model_config`` are required to rebuild a
            model. ``format`` and ``versions`` are filled in when absent.
        dtype: optional floating dtype for model weights (e.g. ``torch.float16`` to halve shipped files);
            training state (``optim.`` / ``rng.`` / ``history.``) keeps its own dtype.

    Returns:
        the written path.

    Raises:
        CheckpointError: *config* is not JSON-serialisable, or the file cannot be written (folder not
            writable, no space left).
    """
    from safetensors.torch import save

    config = dict(config)
    config.setdefault("format", FORMAT_VERSION)
    config.setdefault("versions", package_versions())
    try:
        meta = json.dumps(config, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint config is not JSON-serialisable ({exc}); pass plain numbers, strings, lists and dicts.") from exc
    clean: dict[str, torch.Tensor] = {}
    for name, t in strip_wrapper_prefixes(tensors).items():
        t = t.detach().to("cpu")
        if dtype is not None and t.is_floating_point() and not name.startswith(RESERVED_PREFIXES):
            t = t.to(dtype)
        clean[name] = t.contiguous().clone()
    data = save(clean, metadata={META_KEY: meta})
    try:
        return atomic_write_bytes(path, data)
    except OSError as exc:
        import errno

        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise CheckpointError(f"cannot write checkpoint '{path}': no space left on the device ({len(data) / 1e6:.1f} MB needed); "
                                  "free disk space or pick another --out. The previous checkpoint, if any, is unchanged.") from exc
        raise CheckpointError(f"cannot write checkpoint '{path}' ({exc.strerror or exc}); pick a writable folder. "
                              "The previous checkpoint, if any, is unchanged.") from exc


def shipped_weights(package_file: str | os.PathLike, name: str) -> str:
    """Path of the pretrained weights ``<package>/weights/<name>.safetensors`` shipped with a plugin.

    Args:
        package_file: ``__file__`` of a module inside the plugin package.
        name: registry name of the pretrained model (``"my-model"``).

    Raises:
        CheckpointError: the file is missing from the installed package.
    """
    path = Path(package_file).with_name("weights") / f"{name}.safetensors"
    if not path.exists():
        raise CheckpointError(
            f"the pretrained weights of '{name}' are missing from the installed package ({path}); reinstall "
            f"genart-kit (the .safetensors files are package data) or train your own with genart train."
        )
    return str(path)


def _is_safetensors(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(9)
    except OSError:
        return False
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 0 < n < 100_000_000 and head[8:9] == b"{"


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load a checkpoint's tensors (on the CPU) and config without executing any code from the file.

    Args:
        path: a ``.safetensors`` file written by :func:`save_checkpoint`, any safetensors file (config
            ``{}``), or a ``torch.save`` file holding only tensors (read with ``weights_only=True``).

    Returns:
        ``(tensors, config)``: CPU tensors with ``module.`` prefixes stripped, and the config dict (``{}``
        when the file carries none).

    Raises:
        CheckpointError: missing file, corrupt file, or a pickle that needs code execution to load.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint '{path}' does not exist; check the path (genart train writes <out>/model.safetensors and <out>/checkpoint.safetensors; either works).")
    if not path.is_dir() and not path.is_file():  # a FIFO would block the read forever; a device never ends
        raise CheckpointError(f"checkpoint '{path}' is not a regular file (a FIFO, socket or device); pass the "
                              ".safetensors file itself.")
    if path.is_dir():
        for cand in ("model.safetensors", "checkpoint.safetensors"):
            if (path / cand).exists():
                return load_checkpoint(path / cand)
        raise CheckpointError(f"'{path}' is a folder without model.safetensors or checkpoint.safetensors; pass the checkpoint file itself.")
    if _is_safetensors(path):
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt", device="cpu") as fh:
                meta = fh.metadata() or {}
                tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        except Exception as exc:  # any parse error means a corrupt file
            raise CheckpointError(f"checkpoint '{path}' is not a readable safetensors file ({exc}); it may be truncated, re-save or re-download it.") from exc
        config: dict[str, Any] = {}
        if META_KEY in meta:
            try:
                config = json.loads(meta[META_KEY])
            except json.JSONDecodeError as exc:
                raise CheckpointError(f"checkpoint '{path}' has a corrupt config (metadata '{META_KEY}' is not JSON: {exc}).") from exc
        return strip_wrapper_prefixes(tensors), config
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint '{path}' ({exc.strerror or exc}); check the path and its permissions.") from exc
    if not head:
        raise CheckpointError(f"checkpoint '{path}' is empty (0 bytes); the write was interrupted or the wrong file was given: "
                              "pass a .safetensors file written by genart train.")
    if not (head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"):  # torch.save zip / legacy pickle
        what = "truncated" if len(head) < 9 else "not a safetensors file nor a torch checkpoint"
        raise CheckpointError(f"checkpoint '{path}' is {what} ({len(head)}+ bytes starting {head[:8]!r}); "
                              "pass a .safetensors file written by genart train, or re-download / re-save it.")
    return _load_pickle_weights_only(path), {}


def _load_pickle_weights_only(path: Path) -> dict[str, torch.Tensor]:
    import pickle
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # protocol warnings of the weights-only unpickler
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except (EOFError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and "weights_only" in str(exc).lower():
            raise CheckpointError(
                f"refusing to load '{path}': it is a pickle that would run code from the file when loaded "
                f"(torch.load(weights_only=True) failed: {str(exc).splitlines()[0]}). Only load checkpoints you trust: "
                "re-save the weights as safetensors or retrain with genart train."
            ) from exc
        raise CheckpointError(
            f"checkpoint '{path}' is a truncated or corrupt torch file ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
            "re-save or re-download it (a .safetensors file written by genart train is best)."
        ) from exc
    except (pickle.UnpicklingError, AttributeError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"refusing to load '{path}': it is a pickle that would run code from the file when loaded "
            f"(torch.load(weights_only=True) failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). "
            "Only load checkpoints you trust: re-save the weights as safetensors "
            "(safetensors.torch.save_file(model.state_dict(), 'model.safetensors')) or retrain with genart train."
        ) from exc
    except Exception as exc:
        raise CheckpointError(f"'{path}' is neither a safetensors file nor a readable torch checkpoint ({exc}); pass a .safetensors file written by genart train.") from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"'{path}' does not hold a state dict of tensors; pass a .safetensors checkpoint written by genart train.")
    return strip_wrapper_prefixes({str(k): v for k, v in obj.items()})


def strip_wrapper_prefixes(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove ``module.`` (DataParallel/DDP) and ``_orig_mod.`` (torch.compile) prefixes from every name,
    including nested ones such as ``generator.module.net.0.weight``."""
    out = {}
    for name, t in tensors.items():
        parts = [p for p in name.split(".") if p not in ("module", "_orig_mod")]
        out[".".join(parts)] = t
    return out


def model_state(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model weights of a checkpoint: every tensor outside the reserved training-state prefixes."""
    return {k: v for k, v in tensors.items() if not k.startswith(RESERVED_PREFIXES)}


def check_architecture(config: dict[str, Any], expected: str | tuple[str, ...], path: str | os.PathLike) -> None:
    """Raise :class:`CheckpointError` when *config*'s architecture is not *expected*.

    A config without an ``architecture`` key (a bare state dict) passes; :func:`load_state_into` still
    checks names and shapes.
    """
    arch = config.get("architecture")
    if arch is None:
        return
    allowed = (expected,) if isinstance(expected, str) else tuple(expected)
    if arch not in allowed:
        raise CheckpointError(
            f"checkpoint '{path}' is for architecture '{arch}', not '{allowed[0]}'; "
            f"load it with `genart sample {arch} --checkpoint {path}` (or ga.model('{arch}', checkpoint=...))."
        )


def load_state_into(model: torch.nn.Module, tensors: dict[str, torch.Tensor], *, path: str | os.PathLike = "checkpoint", arch: str = "model") -> None:
    """Copy a checkpoint's model weights into *model*, strictly.

    Raises:
        CheckpointError: missing or unexpected weight names, or a shape mismatch (the message names the
            first offending weights and the expected architecture).
    """
    state = model_state(strip_wrapper_prefixes(tensors))
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        detail = []
        if missing:
            detail.append(f"missing {len(missing)} weights (e.g. {', '.join(missing[:3])})")
        if unexpected:
            detail.append(f"{len(unexpected)} unexpected weights (e.g. {', '.join(unexpected[:3])})")
        raise CheckpointError(
            f"checkpoint '{path}' does not match architecture '{arch}': {'; '.join(detail)}. "
            "Pass the model name the checkpoint was trained as, and the same architecture options it was trained with."
        )
    for k, v in state.items():
        if tuple(own[k].shape) != tuple(v.shape):
            raise CheckpointError(
                f"checkpoint '{path}' does not match architecture '{arch}': weight '{k}' has shape {list(v.shape)}, "
                f"the model expects {list(own[k].shape)}. Pass the architecture options the checkpoint was trained with."
            )
    for k, v in state.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise CheckpointError(
                f"checkpoint '{path}' has non-finite values (NaN/inf) in weight '{k}'; the training run diverged or the "
                "file is damaged: use an earlier checkpoint or retrain (lower --lr)."
            )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=True)


def resolve_device(device: Any = None) -> torch.device:
    """``None`` -> CUDA when available else CPU; strings such as ``"cpu"`` / ``"cuda:1"`` -> a device.

    Raises:
        CheckpointError: never; :class:`~genart_kit.errors.InvalidInputError` for an unknown or unavailable device.
    """
    from .errors import InvalidInputError

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n_cuda = torch.cuda.device_count() if torch.cuda.is_available() else 0
    available = ["cpu"] + (["cuda"] + [f"cuda:{i}" for i in range(n_cuda)] if n_cuda else [])
    hint = f"available here: {', '.join(available)}"
    if isinstance(device, torch.device):
        dev = device
    else:
        try:
            dev = torch.device(str(device))
        except (RuntimeError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"unknown device {device!r}; use --device cpu, cuda or cuda:N ({hint})") from exc
    if dev.type not in ("cpu", "cuda"):
        raise InvalidInputError(f"device {str(device)!r} is not supported by genart-kit; use --device cpu, cuda or cuda:N ({hint})")
    if dev.type == "cuda":
        if not n_cuda:
            raise InvalidInputError(f"device {str(device)!r} asked for but CUDA is not available here; use --device cpu ({hint})")
        if dev.index is not None and dev.index >= n_cuda:
            raise InvalidInputError(f"device {str(device)!r} does not exist: this machine has {n_cuda} CUDA device(s) ({hint})")
    return dev


#: generic bounds of a recorded image shape (what any architecture may record; its own rules are its options')
MAX_IMAGE_SIDE = 8192


def validate_model_config(factory: Any, saved: Any, path: Any, declared: Any = ()) -> None:
    """Check a checkpoint's ``model_config`` before the model is built: only keys *factory* accepts, an image
    shape of sane size, and every value the architecture *declared* (its :class:`~genart_kit.options.Option` s:
    type, range, its own rules) valid, so a tampered or corrupt file cannot ask for huge allocations.

    Raises:
        CheckpointError: naming the bad key and value.
    """
    import inspect

    from .options import check_option_values

    def bad(key: str, value: Any, why: str) -> CheckpointError:
        return CheckpointError(f"checkpoint '{path}' has an invalid model_config: {key}={value!r} ({why}); "
                               "the file is corrupt or was edited: re-save it with genart train.")

    if not isinstance(saved, dict):
        raise bad("model_config", saved, "expected a JSON object")
    params = inspect.signature(factory).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for key, value in saved.items():
        if key == "architecture":
            continue
        if key not in params and not accepts_any:
            raise bad(key, value, f"unknown option; accepted: {', '.join(k for k in params if k != 'self')}")
        if key == "image_shape":
            if (not isinstance(value, (list, tuple)) or len(value) != 3
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
                raise bad(key, value, "expected [C, H, W] integers")
            if not (1 <= value[0] <= 4 and 0 < value[1] <= MAX_IMAGE_SIDE and 0 < value[2] <= MAX_IMAGE_SIDE):
                raise bad(key, value, f"expected 1..4 channels and sides of at most {MAX_IMAGE_SIDE}")
    try:
        check_option_values({k: v for k, v in saved.items() if k != "architecture"}, tuple(declared),
                            what=f"checkpoint '{path}'", where=f"checkpoint '{path}' has an invalid model_config:",
                            allow_unknown=True)
    except InvalidInputError as exc:
        raise CheckpointError(f"{exc}; the file is corrupt or was edited: re-save it with genart train.") from None


def constructor_defaults(factory: Any) -> dict[str, Any]:
    """The keyword defaults of *factory* (a class or function): what a model-config key that is left out means."""
    import inspect

    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins / C extensions
        return {}
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


def _same_option(a: Any, b: Any) -> bool:
    """Option values equal, with lists, tuples and numpy arrays compared as sequences."""
    if hasattr(a, "tolist"):
        a = a.tolist()
    if hasattr(b, "tolist"):
        b = b.tolist()
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return tuple(a) == tuple(b)
    return bool(a == b)


def build_model(factory: Any, arch: str | tuple[str, ...], *, checkpoint: Any = None, device: Any = None,
                defaults: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
                name: str | None = None, declared: Any = ()) -> Any:
    """Build a model from architecture options, or rebuild it from a checkpoint, and return it in eval mode.

    Args:
        factory: ``factory(**model_config) -> GenerativeModel`` (the architecture class).
        arch: the architecture name(s) a checkpoint must carry (``"my-arch"`` or a tuple of names).
        checkpoint: optional path of a checkpoint; its ``model_config`` rebuilds the model and wins over
            *options* (a warning names each ignored option), also for the hyper-parameters it leaves out,
            which are the architecture's defaults. A bare state dict
            without a config is built from *options*.
        device: see :func:`resolve_device`.
        defaults: architecture defaults, overridden by *options* and then by the checkpoint's config.
        options: user options (``latent_dim=...``, ``width=...``).
        name: registry name to give the model (``"my-model"``).
        declared: the architecture's declared options, which a checkpoint's config is validated against.

    Raises:
        CheckpointError: unreadable/unsafe checkpoint or another architecture.
        InvalidInputError: bad device (the model's constructor checks its own options).
    """
    import logging

    given = {k: v for k, v in (options or {}).items() if v is not None}
    cfg = dict(defaults or {})
    cfg.update(given)
    tensors = None
    if checkpoint is not None:
        tensors, config = load_checkpoint(checkpoint)
        check_architecture(config, arch, checkpoint)
        saved = config.get("model_config") or {}
        validate_model_config(factory, saved, checkpoint, declared)
        implied = {**constructor_defaults(factory), **(defaults or {})}  # the loader's defaults win
        log = logging.getLogger(__name__)
        for k, v in given.items():
            if k in saved:
                was, how = saved[k], "checkpoint was trained with"
            elif saved and k in implied:
                # a key the recorded config leaves out has the default: the loader's, else the constructor's
                was = implied[k]
                how = "the checkpoint's config does not record it, so it is the default"
                cfg[k] = was
            else:
                continue
            if not _same_option(v, was):
                log.warning("option %s=%r ignored: %s %r", k, v, how, was)
        cfg.update(saved)
    cfg.pop("architecture", None)
    model = factory(**cfg)
    if tensors is not None:
        load_state_into(model, tensors, path=checkpoint, arch=model.config.get("architecture", str(arch)))
    if name:
        model.name = name
    model.to(resolve_device(device))
    model.eval()
    return model
