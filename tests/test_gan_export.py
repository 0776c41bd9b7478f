"""Shipped GANs hold what sampling needs: the decoder-only export of gan / cgan (issue 16)."""

from __future__ import annotations

import pytest
import torch

import genart_kit as ga
from genart_kit.checkpoint import load_checkpoint
from genart_kit.errors import InvalidInputError
from genart_gan.export import export_decoder

TINY = {"latent_dim": 8, "width": 8}


@pytest.mark.parametrize("arch, options", [("gan", {"ema": 0.9}), ("cgan", {}), ("gan", {})])
def test_export_decodes_exactly_as_the_trained_model_and_cannot_train(tmp_path, arch, options):
    from genart_kit.checkpoint import save_checkpoint

    model = ga.model(arch, **TINY, **options)
    with torch.no_grad():  # weights that differ between G and its average, as after training
        for p in model.generator.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    full = tmp_path / "model.safetensors"
    save_checkpoint(full, model.state_dict(), {"architecture": arch, "model_config": model.config, "command": "genart train ..."})
    config = export_decoder(full, tmp_path / "d.safetensors")
    assert config["model_config"]["decoder_only"] is True and "ema" not in config["model_config"]
    assert config["command"] == "genart train ..." and config["exported_from"]["weights"] == ("generator_ema" if options else "generator")
    small = ga.model(arch, checkpoint=str(tmp_path / "d.safetensors"))
    assert not hasattr(small, "discriminator")
    tensors, _ = load_checkpoint(tmp_path / "d.safetensors")
    assert all(k.startswith("generator.") for k in tensors)
    z = model.sample_latents(4, seed=1)
    cond = torch.arange(4) if arch == "cgan" else None
    model.eval()
    assert torch.equal(small.decode(z, cond), model.decode(z, cond))
    with pytest.raises(InvalidInputError, match="exported for decoding only"):
        small.training_step()


@pytest.mark.parametrize("name", ["gan-mnist", "cgan-mnist", "gan-emoji"])
def test_shipped_gans_hold_only_the_decoding_generator(name):
    from pathlib import Path

    model = ga.model(name)
    assert not hasattr(model, "discriminator") and not hasattr(model, "generator_ema")
    path = Path(__file__).resolve().parents[1] / "plugins" / "genart_gan" / "weights" / f"{name}.safetensors"
    tensors, config = load_checkpoint(path)
    assert config["model_config"]["decoder_only"] is True and all(k.startswith("generator.") for k in tensors)
    assert "genart train" in config["command"]  # the training record survives the export
