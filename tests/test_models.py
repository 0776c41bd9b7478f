"""The GAN/cGAN/VAE/CVAE architectures honour the model contract; the maths of the losses; the plugins
register without importing torch; the shipped pretrained models load and decode."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from genart_kit.errors import InvalidInputError

ARCHS = ["gan", "cgan", "vae", "cvae"]
TINY = {"gan": {"width": 4, "latent_dim": 8}, "cgan": {"width": 4, "latent_dim": 8},
        "vae": {"width": 4, "hidden": 8, "latent_dim": 4}, "cvae": {"width": 4, "hidden": 8, "latent_dim": 4}}
PRETRAINED = ["gan-mnist", "cgan-mnist", "vae-mnist", "cvae-mnist"]


def load(name: str, **kw):
    from genart_kit.registry import get_registry

    return get_registry().load("model", name, **kw)


def tiny(arch: str, **kw):
    torch.manual_seed(0)
    return load(arch, device="cpu", **{**TINY[arch], **kw})


@pytest.mark.parametrize("arch", ARCHS)
def test_contract_shapes_range_and_batch_independence(arch: str) -> None:
    m = tiny(arch)
    assert not m.training
    z = m.sample_latents(6, seed=3)
    assert z.shape == (6, m.latent_dim) and z.dtype == torch.float32
    assert torch.equal(z, m.sample_latents(6, seed=3))
    assert not torch.equal(z, m.sample_latents(6, seed=4))
    cond = torch.arange(6) % 10 if m.conditional else None
    frames = m.decode(z, cond)
    assert frames.shape == (6, 1, 28, 28) and frames.dtype == torch.float32
    assert float(frames.min()) >= 0.0 and float(frames.max()) <= 1.0
    # batch independence: each latent alone renders like in the batch (BatchNorm in eval mode)
    m.train()  # even if someone left it in train mode
    for i in (0, 5):
        alone = m.decode(z[i:i + 1], None if cond is None else cond[i:i + 1])
        assert torch.allclose(alone, frames[i:i + 1], atol=1e-6)
    assert m.training  # decode restores the mode


@pytest.mark.parametrize("arch", ["gan", "vae"])
@pytest.mark.parametrize("shape", [(3, 32, 32), (3, 64, 64), (1, 64, 64)])
def test_larger_and_rgb_images(arch: str, shape: tuple[int, int, int]) -> None:
    m = tiny(arch, image_shape=shape)
    out = m.decode(m.sample_latents(2, seed=0))
    assert tuple(out.shape) == (2, *shape)
    if arch == "vae":
        assert tuple(m.encode(out).shape) == (2, m.latent_dim)


def test_unsupported_image_size_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="use 28, 32, 64"):
        tiny("gan", image_shape=(1, 30, 30))
    with pytest.raises(InvalidInputError, match="use 28, 32, 64"):
        tiny("vae", image_shape=(3, 100, 100))


def test_gan_architecture_follows_dcgan() -> None:
    from torch import nn

    m = tiny("gan", width=8)
    g_layers = list(m.generator.net)
    assert isinstance(g_layers[-1], nn.Tanh)
    assert any(isinstance(l, nn.BatchNorm2d) for l in g_layers)
    d_layers = list(m.discriminator.net)
    assert isinstance(d_layers[1], nn.LeakyReLU) and d_layers[1].negative_slope == 0.2
    assert not isinstance(d_layers[1], nn.BatchNorm2d)  # no BN on D's first layer
    convs = [l for l in m.modules() if isinstance(l, (nn.Conv2d, nn.ConvTranspose2d))]
    std = torch.cat([c.weight.flatten() for c in convs]).std().item()
    assert 0.015 < std < 0.025  # N(0, 0.02) init
    bns = [l for l in m.modules() if isinstance(l, nn.BatchNorm2d)]
    assert all(abs(b.weight.mean().item() - 1.0) < 0.05 for b in bns)
    step = m.training_step()
    for opt in step.optimizers.values():
        group = opt.param_groups[0]
        assert group["lr"] == 2e-4 and group["betas"] == (0.5, 0.999)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 64, 64)])
def test_gan_extra_layers_add_3x3_blocks_at_every_hidden_resolution(shape: tuple[int, int, int], tmp_path: Path) -> None:
    from genart_gan.model import GAN
    from torch import nn

    from genart_kit.checkpoint import save_checkpoint

    def blocks(net: nn.Module, x: torch.Tensor) -> list[tuple[int, int]]:
        """(channels, spatial side) of each 3x3 stride-1 conv, in order."""
        sizes: dict[nn.Module, int] = {}
        hooks = [mod.register_forward_hook(lambda mod, i, o: sizes.__setitem__(mod, o.shape[-1]))
                 for mod in net.modules() if isinstance(mod, nn.Conv2d) and mod.kernel_size == (3, 3)]
        net(x)
        for h in hooks:
            h.remove()
        return [(mod.out_channels, sizes[mod]) for mod in net.modules() if mod in sizes]

    plain = tiny("gan", width=4, image_shape=shape)
    m = tiny("gan", width=4, image_shape=shape, extra_layers=2)
    n_up = 2 if shape[1] == 28 else 4
    z, img = torch.zeros(2, 8, 1, 1), torch.zeros(2, *shape)
    assert blocks(plain.generator.net, z) == [] and "extra_layers" not in plain.config  # old checkpoints unchanged
    g_sides = [7 * 2**i for i in range(n_up)] if shape[1] == 28 else [4 * 2**i for i in range(n_up)]
    assert blocks(m.generator.net, z) == [(4 * 2 ** (n_up - 1 - i), s) for i, s in enumerate(g_sides) for _ in range(2)]
    assert blocks(m.discriminator.net, img) == [(4 * 2**i, s) for i, s in enumerate(reversed(g_sides)) for _ in range(2)]
    assert all(isinstance(mod, nn.BatchNorm2d) for net in (m.generator.net, m.discriminator.net)
               for a, mod in zip(net, list(net)[1:]) if isinstance(a, nn.Conv2d) and a.kernel_size == (3, 3))
    out = m.decode(m.sample_latents(3, seed=0))
    assert tuple(out.shape) == (3, *shape)
    path = tmp_path / "deep.safetensors"
    save_checkpoint(path, m.state_dict(), {"architecture": "gan", "model_config": m.config})
    again = load("gan", checkpoint=path, device="cpu")
    assert again.config["extra_layers"] == 2 and torch.equal(again.decode(again.sample_latents(3, seed=0)), out)
    for bad in (-1, 17, 1.5, "2", True, None, float("nan")):
        with pytest.raises(InvalidInputError, match="extra_layers="):
            GAN(extra_layers=bad)
    for bad in (-1, 1.5, "2", True):  # the registry loader (ga.model) checks the same way
        with pytest.raises(InvalidInputError, match="extra_layers="):
            tiny("gan", extra_layers=bad)


@pytest.mark.parametrize("arch, key, value", [
    ("gan", "width", 1.5), ("gan", "latent_dim", "8"), ("gan", "ema_start", 2.0), ("gan", "latent_dim", 0),
    ("vae", "hidden", 2.5), ("vae", "beta", float("inf")), ("vae", "binarize", 1), ("vae", "width", True),
])
def test_architecture_options_must_have_the_right_type(arch: str, key: str, value) -> None:
    """No silent int(1.5) == 1: an option of the wrong type or range is an InvalidInputError naming it."""
    with pytest.raises(InvalidInputError) as info:
        tiny(arch, **{key: value, **({"ema": 0.9} if key == "ema_start" else {})})
    assert f"{key}={value!r}" in str(info.value)
    # numpy scalars are numbers like any other
    import numpy as np

    m = tiny(arch, width=np.int64(4), latent_dim=np.int64(8))
    assert m.config["width"] == 4 and type(m.config["width"]) is int and m.latent_dim == 8
    if arch == "vae":
        assert tiny(arch, binarize=np.bool_(True), beta=np.float16(0.5)).config["binarize"] is True


def test_gan_training_step_is_the_classic_algorithm() -> None:
    """One step moves D towards separating real from fake and G towards fooling D (non-saturating loss)."""
    import torch.nn.functional as F

    m = tiny("gan", width=8)
    m.train()
    step = m.training_step(lr=1e-3)
    torch.manual_seed(1)
    real = torch.rand(16, 1, 28, 28)
    labels = torch.zeros(16, dtype=torch.long)
    g0 = [p.clone() for p in m.generator.parameters()]
    d0 = [p.clone() for p in m.discriminator.parameters()]
    out = step(real, labels)
    assert set(out) == {"loss_d", "loss_g", "d_real", "d_fake"}
    assert all(math.isfinite(v) for v in out.values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, m.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, m.discriminator.parameters()))
    # over a few steps on a fixed real batch, D learns to tell real from fake
    for _ in range(15):
        out = step(real, labels)
    assert out["d_real"] > out["d_fake"]
    # the reported G loss is the non-saturating -log D(G(z)) = softplus(-logit)
    logits = torch.tensor([0.3, -1.2])
    assert torch.allclose(F.binary_cross_entropy_with_logits(logits, torch.ones(2), reduction="none"),
                          -torch.log(torch.sigmoid(logits)), atol=1e-6)


def test_negative_elbo_matches_the_closed_form() -> None:
    from genart_vae.model import negative_elbo

    torch.manual_seed(0)
    logits = torch.randn(3, 1, 28, 28)
    x = torch.bernoulli(torch.full((3, 1, 28, 28), 0.3))
    mu, logvar = torch.randn(3, 5), torch.randn(3, 5) * 0.3
    loss, recon, kl = negative_elbo(logits, x, mu, logvar, beta=2.0)
    p = torch.sigmoid(logits)
    manual_recon = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
    var = logvar.exp()
    manual_kl = 0.5 * (var + mu**2 - 1 - logvar).sum(1)  # KL(N(mu, var) || N(0, 1))
    assert torch.allclose(recon, manual_recon, rtol=1e-4)
    assert torch.allclose(kl, manual_kl, rtol=1e-5)
    assert torch.allclose(loss, recon + 2.0 * kl)
    # KL of the prior against itself is zero
    assert negative_elbo(logits, x, torch.zeros(1, 5), torch.zeros(1, 5))[2].abs().max() == 0


def test_vae_reparameterisation_and_training_step() -> None:
    m = tiny("vae")
    x = torch.rand(8, 1, 28, 28)
    mu, logvar = m.posterior(x)
    eps = torch.randn_like(mu)
    logits, mu2, logvar2 = m(x, None, eps=eps)
    assert torch.equal(mu, mu2)
    assert torch.allclose(logits, m.decoder_logits(mu + torch.exp(0.5 * logvar) * eps))
    # encode = posterior mean (computed in blocks without autograd, so BLAS may round the last bit differently)
    assert torch.allclose(m.encode(x), mu, rtol=1e-5, atol=1e-6)
    m.train()
    step = m.training_step()
    first = step(x, torch.zeros(8, dtype=torch.long))
    for _ in range(20):
        last = step(x, torch.zeros(8, dtype=torch.long))
    assert set(last) == {"loss", "recon", "kl"}
    assert last["loss"] < first["loss"]
    assert abs(last["loss"] - (last["recon"] + last["kl"])) < 1e-3


@pytest.mark.parametrize("arch", ["cgan", "cvae"])
def test_conditional_models_take_labels_and_vectors(arch: str) -> None:
    m = tiny(arch)
    z = m.sample_latents(4, seed=0)
    by_label = m.decode(z, 3)
    one_hot = torch.nn.functional.one_hot(torch.full((4,), 3), 10).float()
    assert torch.allclose(m.decode(z, one_hot), by_label)
    assert not torch.allclose(m.decode(z, 4), by_label)
    with pytest.raises(InvalidInputError, match="conditional"):
        m.decode(z)
    with pytest.raises(InvalidInputError, match="0..9"):
        m.decode(z, 10)
    vec = tiny(arch, cond_dim=6)
    assert vec.num_classes is None and vec.cond_dim == 6
    assert vec.decode(vec.sample_latents(2, seed=0), torch.randn(2, 6)).shape == (2, 1, 28, 28)
    if arch == "cvae":
        assert m.encode(by_label, 3).shape == (4, m.latent_dim)


def test_unconditional_model_rejects_a_label_and_gan_cannot_encode() -> None:
    gan = tiny("gan")
    with pytest.raises(InvalidInputError, match="not conditional"):
        gan.decode(gan.sample_latents(1, seed=0), 3)
    with pytest.raises(InvalidInputError, match="cannot encode"):
        gan.encode(torch.zeros(1, 1, 28, 28))


def test_plugins_register_without_importing_torch() -> None:
    code = (
        "import sys; import genart_gan.plugin, genart_vae.plugin, genart_kit.training.plugin, genart_kit.training, "
        "genart_kit.commands.train, genart_kit.commands.sample, genart_gan, genart_vae; "
        "assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_registry_lists_architectures_and_pretrained_models() -> None:
    from genart_kit.registry import get_registry

    reg = get_registry()
    names = reg.names("model")
    for name in ARCHS + PRETRAINED:
        assert name in names
    from genart_kit.registry import model_ready, model_status

    for name in ARCHS:
        meta = reg.get("model", name).meta
        assert meta["trainable"] is True and not model_ready(meta)
        assert model_status(meta) == "needs checkpoint, trainable"
    for name in PRETRAINED:
        meta = reg.get("model", name).meta
        assert model_ready(meta) and meta["trainable"] is False and model_status(meta) == "ready"
        assert meta["conditional"] == name.startswith("c")
    assert {"mnist", "folder"} <= set(reg.names("dataset"))


@pytest.mark.parametrize("name", PRETRAINED)
def test_pretrained_models_load_offline_and_decode(name: str) -> None:
    from genart_kit.registry import get_registry

    weights = Path(__import__("genart_gan" if "gan" in name else "genart_vae").__file__).with_name("weights") / f"{name}.safetensors"
    assert weights.exists() and weights.stat().st_size < 5_000_000
    meta = get_registry().get("model", name).meta
    m = load(name, device="cpu")
    assert m.name == name and m.latent_dim == meta["latent_dim"] and tuple(m.image_shape) == tuple(meta["image_shape"])
    from genart_kit.checkpoint import load_checkpoint

    _, config = load_checkpoint(weights)
    assert config["command"].startswith(f"genart train {name.split('-')[0]} --data-dir ../shared/datasets/mnist ")  # --data mnist is the default
    assert config["training"]["dataset"] == "mnist" and config["training"]["dataset_size"] == 60000
    z = m.sample_latents(8, seed=0)
    frames = m.decode(z, torch.arange(8) if m.conditional else None)
    assert frames.shape == (8, 1, 28, 28)
    # real digits: mostly dark background, some bright strokes (not noise, not blank)
    assert 0.03 < float(frames.mean()) < 0.35
    assert float((frames > 0.5).float().mean()) > 0.03


def test_gan_generator_ema_is_averaged_and_used_for_decoding(tmp_path: Path) -> None:
    from genart_kit.checkpoint import save_checkpoint

    m = tiny("gan", width=8, ema=0.9)
    assert m.config["ema"] == 0.9
    m.train()
    step = m.training_step(lr=1e-2)
    for _ in range(5):
        step(torch.rand(8, 1, 28, 28), torch.zeros(8, dtype=torch.long))
    assert int(m.ema_updates) == 5
    g = dict(m.generator.named_parameters())
    e = dict(m.generator_ema.named_parameters())
    assert all(not p.requires_grad for p in e.values())
    assert any(not torch.equal(g[k], e[k]) for k in g)  # averaged, not a copy
    z = m.sample_latents(3, seed=0)
    m.eval()
    expected = (m.generator_ema(z) + 1) / 2
    assert torch.allclose(m.decode(z), expected.clamp(0, 1))
    path = save_checkpoint(tmp_path / "ema.safetensors", m.state_dict(), {"architecture": "gan", "model_config": m.config})
    again = load("gan", checkpoint=str(path), device="cpu")
    assert again.ema == 0.9 and torch.equal(again.decode(z), m.decode(z))
    with pytest.raises(InvalidInputError, match="ema decay must be in"):
        tiny("gan", ema=1.0)
    with pytest.raises(InvalidInputError, match="ema=1.5"):
        tiny("gan", ema=1.5)


def test_gan_ema_start_tracks_the_generator_until_then_averages() -> None:
    m = tiny("gan", width=8, ema=0.9, ema_start=3)
    assert m.config["ema_start"] == 3
    m.train()
    step = m.training_step(lr=1e-2)
    batch = (torch.rand(8, 1, 28, 28), torch.zeros(8, dtype=torch.long))
    for _ in range(3):
        step(*batch)
        assert all(torch.equal(p, q) for p, q in zip(m.generator.parameters(), m.generator_ema.parameters()))
    assert int(m.ema_updates) == 0 and int(m.generator_steps) == 3
    step(*batch)
    assert int(m.ema_updates) == 1
    assert any(not torch.equal(p, q) for p, q in zip(m.generator.parameters(), m.generator_ema.parameters()))
    with pytest.raises(InvalidInputError, match="ema_start"):
        tiny("gan", ema_start=5)  # averaging start without a decay


@pytest.mark.parametrize("name", ["vae-mnist", "cvae-mnist", "gan-mnist", "cgan-mnist"])
def test_decode_and_encode_are_bit_identical_alone_or_in_any_batch(name: str) -> None:
    m = load(name, device="cpu")
    z = m.sample_latents(37, seed=5)
    label = torch.arange(37) % 10 if m.num_classes else None
    whole = m.decode(z, label)
    for i in (0, 15, 16, 36):
        alone = m.decode(z[i:i + 1], label[i:i + 1] if label is not None else None)
        assert torch.equal(alone[0], whole[i]), i
    if m.can_encode:
        mu = m.encode(whole, label)
        assert torch.equal(m.encode(whole[20:21], label[20:21] if label is not None else None)[0], mu[20])


@pytest.mark.parametrize("latent_dim", [1, 3, 8, 16, 20, 64])
def test_sample_latents_prefix_does_not_depend_on_n(latent_dim: int) -> None:
    m = tiny("vae", latent_dim=latent_dim, width=4, hidden=16)
    many = m.sample_latents(37, seed=5)
    for n in (1, 2, 3, 15, 16, 17):
        assert torch.equal(m.sample_latents(n, seed=5), many[:n]), n


def test_model_options_are_checked_for_every_model(monkeypatch, tmp_path):
    """ga.model checks options against a plugin's declared options, else against its loader's signature:
    a toolkit error with 'did you mean', never a raw TypeError from inside the plugin."""
    import importlib.metadata as md
    import textwrap

    import genart_kit as ga
    from genart_kit import registry
    from genart_kit.errors import InvalidInputError
    from genart_kit.plugins import PluginManager

    (tmp_path / "genart_opts.py").write_text(textwrap.dedent('''
        from genart_kit import hookimpl
        from genart_kit.options import Option

        def load(checkpoint=None, device=None, size=64, hidden=8):
            return {"size": size, "hidden": hidden}

        def strict_load(checkpoint=None, device=None, depth=2):
            return {"depth": depth}

        @hookimpl
        def register_models(register):
            register("declared", load, latent_dim=2, image_shape=(3, None, None),
                     options=[Option("size", int, 64, "side in px", min=8, max=4096), Option("hidden", int, 8, min=1)])
            register("undeclared", strict_load, latent_dim=2, image_shape=(1, 8, 8))
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="opts", value="genart_opts", group="genart_kit")
    monkeypatch.setattr(registry, "_registry", registry.Registry(PluginManager(entry_points=[ep])))
    assert ga.model("declared", size=128) == {"size": 128, "hidden": 8}
    with pytest.raises(InvalidInputError, match="no option 'sise'. Did you mean 'size'"):
        ga.model("declared", sise=128)
    with pytest.raises(InvalidInputError, match="size=4"):
        ga.model("declared", size=4)
    with pytest.raises(InvalidInputError, match="expected an integer"):
        ga.model("declared", size=1.5)
    assert ga.model("undeclared", depth=3) == {"depth": 3}
    with pytest.raises(InvalidInputError, match="Did you mean 'depth'"):
        ga.model("undeclared", dept=3)
