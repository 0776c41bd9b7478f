"""Checkpoints: safetensors + config round trip, atomic writes, refusal of code-executing pickles, DDP
``module.`` prefixes, CUDA-saved tensors on a CPU machine, architecture mismatches."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from genart_kit.checkpoint import (
    atomic_write_bytes,
    load_checkpoint,
    model_state,
    save_checkpoint,
    strip_wrapper_prefixes,
)
from genart_kit.errors import CheckpointError


def load(name: str, **kw):
    """Load a registered model (what ``ga.model`` does)."""
    from genart_kit.registry import get_registry

    return get_registry().load("model", name, **kw)


def tiny_vae(**kw):
    from genart_vae.model import VAE

    torch.manual_seed(0)
    return VAE(latent_dim=4, width=4, hidden=8, **kw).eval()


def test_round_trip_rebuilds_the_model(tmp_path: Path) -> None:
    vae = tiny_vae()
    path = save_checkpoint(tmp_path / "m.safetensors", vae.state_dict(),
                           {"architecture": "vae", "model_config": vae.config, "command": "genart train vae"})
    tensors, config = load_checkpoint(path)
    assert config["architecture"] == "vae" and config["command"] == "genart train vae"
    assert config["versions"]["torch"] == torch.__version__
    assert set(tensors) == set(vae.state_dict())
    again = load("vae", checkpoint=str(path), device="cpu")
    assert again.latent_dim == 4 and again.config == vae.config
    z = vae.sample_latents(3, seed=1)
    assert torch.equal(again.decode(z), vae.decode(z))
    assert not again.training


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ck.safetensors"
    atomic_write_bytes(target, b"old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.safetensors"]  # no temp file left behind


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ.get('GENART_EVIL_MARKER', '/nonexistent/x')}",))


def test_pickle_that_runs_code_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    monkeypatch.setenv("GENART_EVIL_MARKER", str(marker))
    bad = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(2), "payload": _Evil()}, bad)
    with pytest.raises(CheckpointError, match="refusing to load") as info:
        load("vae", checkpoint=str(bad), device="cpu")
    assert "safetensors" in str(info.value)  # says how to fix it
    assert not marker.exists()
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_checkpoint(raw)
    assert not marker.exists()


def test_plain_torch_state_dict_with_ddp_prefixes_loads(tmp_path: Path) -> None:
    vae = tiny_vae()
    wrapped = {f"module.{k}": v for k, v in vae.state_dict().items()}
    path = tmp_path / "ddp.pt"
    torch.save(wrapped, path)
    model = load("vae", checkpoint=str(path), device="cpu", latent_dim=4, width=4, hidden=8)
    z = vae.sample_latents(2, seed=0)
    assert torch.equal(model.decode(z), vae.decode(z))
    # nested prefixes (a DDP-wrapped sub-module inside a model) are removed too
    assert strip_wrapper_prefixes({"generator.module.net.0.weight": torch.zeros(1)}) == {"generator.net.0.weight": torch.zeros(1)}


def test_safetensors_with_module_prefixes_loads(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    vae = tiny_vae()
    path = tmp_path / "ddp.safetensors"
    save_file({f"module.{k}": v.contiguous() for k, v in vae.state_dict().items()}, str(path))
    model = load("vae", checkpoint=str(path), device="cpu", latent_dim=4, width=4, hidden=8)
    z = vae.sample_latents(2, seed=0)
    assert torch.equal(model.decode(z), vae.decode(z))


def test_cuda_saved_torch_checkpoint_loads_on_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A torch.save file whose storages are tagged 'cuda:0' (as written on a GPU machine) loads on the CPU."""
    vae = tiny_vae()
    path = tmp_path / "cuda.pt"
    import torch.serialization as ser

    real_tag = ser.location_tag
    monkeypatch.setattr(ser, "location_tag", lambda storage: "cuda:0")
    torch.save(vae.state_dict(), path)
    monkeypatch.setattr(ser, "location_tag", real_tag)
    if not torch.cuda.is_available():  # the file really is CUDA-tagged: a plain load fails here
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)
    tensors, config = load_checkpoint(path)
    assert config == {} and all(t.device.type == "cpu" for t in tensors.values())
    model = load("vae", checkpoint=str(path), device="cpu", latent_dim=4, width=4, hidden=8)
    assert torch.equal(model.decode(torch.zeros(1, 4)), vae.decode(torch.zeros(1, 4)))


def test_other_architecture_is_named_in_the_error(tmp_path: Path) -> None:
    vae = tiny_vae()
    path = save_checkpoint(tmp_path / "v.safetensors", vae.state_dict(), {"architecture": "vae", "model_config": vae.config})
    with pytest.raises(CheckpointError, match="architecture 'vae', not 'gan'") as info:
        load("gan", checkpoint=str(path), device="cpu")
    assert "genart sample vae --checkpoint" in str(info.value)
    with pytest.raises(CheckpointError, match="'vae', not 'cvae'"):
        load("cvae-mnist", checkpoint=str(path), device="cpu")


def test_bare_state_dict_of_other_shape_is_a_clear_error(tmp_path: Path) -> None:
    vae = tiny_vae()
    path = tmp_path / "bare.pt"
    torch.save(vae.state_dict(), path)
    with pytest.raises(CheckpointError, match="has shape"):
        load("vae", checkpoint=str(path), device="cpu", latent_dim=5, width=4, hidden=8)
    with pytest.raises(CheckpointError, match="missing .* weights"):
        load("gan", checkpoint=str(path), device="cpu")


def test_missing_corrupt_and_non_tensor_files(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.safetensors")
    vae = tiny_vae()
    good = save_checkpoint(tmp_path / "g.safetensors", vae.state_dict(), {"architecture": "vae"})
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated|not a readable"):
        load_checkpoint(cut)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(CheckpointError):
        load_checkpoint(junk)
    lst = tmp_path / "list.pt"
    torch.save([1, 2, 3], lst)
    with pytest.raises(CheckpointError, match="state dict"):
        load_checkpoint(lst)


def test_training_state_is_not_model_state() -> None:
    t = {"a.weight": torch.zeros(1), "optim.vae.0.exp_avg": torch.zeros(1), "rng.torch.0": torch.zeros(1, dtype=torch.uint8),
         "history.loss": torch.zeros(3)}
    assert list(model_state(t)) == ["a.weight"]


def test_float16_storage_halves_weights(tmp_path: Path) -> None:
    vae = tiny_vae()
    p16 = save_checkpoint(tmp_path / "h.safetensors", vae.state_dict(), {"architecture": "vae", "model_config": vae.config},
                          dtype=torch.float16)
    tensors, _ = load_checkpoint(p16)
    assert all(t.dtype == torch.float16 for t in tensors.values())
    model = load("vae", checkpoint=str(p16), device="cpu")
    assert next(model.parameters()).dtype == torch.float32
    z = vae.sample_latents(2, seed=3)
    assert torch.allclose(model.decode(z), vae.decode(z), atol=2e-2)


@pytest.mark.parametrize("key, value", [
    ("width", 200000), ("latent_dim", 10**9), ("width", "abc"), ("surprise", 1), ("image_shape", [1, 30, 30]),
    ("image_shape", [1, 4096, 4096]), ("latent_dim", True), ("beta", -1.0), ("hidden", -1),
])
def test_model_config_is_validated_before_building(tmp_path: Path, key: str, value) -> None:
    vae = tiny_vae()
    config = dict(vae.config, **{key: value})
    path = save_checkpoint(tmp_path / "m.safetensors", vae.state_dict(), {"architecture": "vae", "model_config": config})
    with pytest.raises(CheckpointError) as info:
        load("vae", checkpoint=str(path), device="cpu")
    assert key in str(info.value) and repr(value) in str(info.value)


def tiny_gan(**kw):
    from genart_gan.model import GAN

    torch.manual_seed(0)
    return GAN(latent_dim=8, width=4, **kw).eval()


@pytest.mark.parametrize("value", ["two", None, [2], -3, 17, 1.5, True, "2", 2.0])
def test_a_tampered_gan_extra_layers_is_a_checkpoint_error(tmp_path: Path, value) -> None:
    gan = tiny_gan(extra_layers=2)
    path = save_checkpoint(tmp_path / "m.safetensors", gan.state_dict(),
                           {"architecture": "gan", "model_config": dict(gan.config, extra_layers=value)})
    with pytest.raises(CheckpointError) as info:
        load("gan", checkpoint=str(path), device="cpu")
    msg = str(info.value)
    assert f"extra_layers={value!r}" in msg and "corrupt or was edited" in msg and str(path) in msg


def test_options_a_checkpoint_leaves_out_take_the_architecture_defaults(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    plain = tiny_gan()  # its config records neither extra_layers (0) nor ema (none)
    assert "extra_layers" not in plain.config and "ema" not in plain.config
    path = save_checkpoint(tmp_path / "m.safetensors", plain.state_dict(), {"architecture": "gan", "model_config": plain.config})
    with caplog.at_level("WARNING"):
        again = load("gan", checkpoint=str(path), device="cpu", extra_layers=1, ema=0.9, width=8, latent_dim=8)
    assert again.config == plain.config
    z = plain.sample_latents(3, seed=0)
    assert torch.equal(again.decode(z), plain.decode(z))
    for ignored in ("extra_layers=1 ignored: the checkpoint's config does not record it, so it is the default 0",
                    "ema=0.9 ignored: the checkpoint's config does not record it, so it is the default None",
                    "width=8 ignored: checkpoint was trained with 4"):
        assert ignored in caplog.text
    assert "latent_dim" not in caplog.text  # the same value: nothing to warn about
    import numpy as np

    assert load("gan", checkpoint=str(path), device="cpu", image_shape=np.array([1, 28, 28])).config == plain.config


def test_a_config_without_num_classes_means_the_loaders_default(tmp_path: Path) -> None:
    from genart_gan.model import GAN

    torch.manual_seed(0)
    cgan = GAN(latent_dim=8, width=4, num_classes=10).eval()
    config = {k: v for k, v in cgan.config.items() if k != "num_classes"}  # hand-made: left out
    path = save_checkpoint(tmp_path / "c.safetensors", cgan.state_dict(), {"architecture": "cgan", "model_config": config})
    z = cgan.sample_latents(2, seed=0)
    for options in ({}, {"num_classes": 10}):  # the same model whether or not the right value is passed
        again = load("cgan", checkpoint=str(path), device="cpu", **options)
        assert again.num_classes == 10 and torch.equal(again.decode(z, 3), cgan.decode(z, 3))


def test_build_model_leaves_a_plugins_own_options_to_its_model(tmp_path: Path) -> None:
    """GAN/VAE option rules are not imposed on a third-party architecture that happens to use the same names."""
    from genart_kit.checkpoint import build_model

    class Plugin(torch.nn.Module):
        def __init__(self, hidden=(16, 16), width=4096, beta=(0.9, 0.99)) -> None:
            super().__init__()
            self.hidden, self.width, self.beta = hidden, width, beta
            self.config = {"architecture": "mlp"}

    m = build_model(Plugin, "mlp", options={"hidden": [8, 8], "width": 4096, "beta": (0.5, 0.9)})
    assert m.hidden == [8, 8] and m.width == 4096 and m.beta == (0.5, 0.9)


def test_nan_weights_are_refused_naming_the_tensor(tmp_path: Path) -> None:
    vae = tiny_vae()
    state = dict(vae.state_dict())
    state["enc_mu.bias"] = torch.full_like(state["enc_mu.bias"], float("inf"))
    path = save_checkpoint(tmp_path / "m.safetensors", state, {"architecture": "vae", "model_config": vae.config})
    with pytest.raises(CheckpointError, match="non-finite.*enc_mu.bias"):
        load("vae", checkpoint=str(path), device="cpu")


@pytest.mark.parametrize("content, needle", [(b"", "empty"), (b"\x00" * 5, "truncated"), (b"hello world, not weights", "not a safetensors")])
def test_empty_or_garbage_file_is_not_called_a_pickle(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert needle in str(info.value) and "would run code" not in str(info.value)
    if content == b"":
        with pytest.raises(CheckpointError, match="not a regular file"):  # a device: refused before reading
            load_checkpoint("/dev/null")
