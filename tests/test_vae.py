"""The VAE's newer pieces at tiny sizes: residual blocks, the layer without a hidden FC, KL warm-up, free bits,
the learning-rate half-life (and that a resumed run follows the same schedule), the ELBO and IWAE bounds;
the residual architecture passes the same conformance kit a third-party model does."""

from __future__ import annotations

import math
from pathlib import Path

import genart_vae.plugin
import pytest
import torch

from genart_kit.errors import InvalidInputError
from genart_kit.testing import ModelContract

@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("GENART_DATA_DIR", raising=False)


RES = {"width": 4, "hidden": 0, "latent_dim": 6, "blocks": 2}


def vae(**kw):
    from genart_kit.registry import get_registry

    torch.manual_seed(0)
    return get_registry().load("model", kw.pop("arch", "vae"), device="cpu", **{**RES, **kw})


class TestResidualVae(ModelContract):
    """The residual VAE (blocks, no hidden layer) honours the model contract."""

    plugin = genart_vae.plugin
    name = "vae"
    options = RES
    test_any_size = None


class TestResidualCvae(ModelContract):
    plugin = genart_vae.plugin
    name = "cvae"
    options = RES
    test_any_size = None


def test_residual_block_starts_as_the_identity_and_learns() -> None:
    from genart_vae.model import ResBlock

    block = ResBlock(3)
    x = torch.randn(2, 3, 7, 7)
    assert torch.equal(block(x), x)
    with torch.no_grad():
        block.conv2.weight.normal_()
    assert not torch.allclose(block(x), x)
    assert block(x).shape == x.shape


def test_blocks_sit_at_every_resolution_and_hidden_zero_drops_the_fc_layer() -> None:
    from torch import nn

    from genart_vae.model import ResBlock

    m = vae(blocks=1)
    assert sum(isinstance(l, ResBlock) for l in m.encoder) == 2  # 14x14 and 7x7 for 28 px
    assert sum(isinstance(l, ResBlock) for l in m.decoder) == 2
    assert isinstance(m.enc_fc, nn.Identity) and m.enc_mu.in_features == 8 * 7 * 7
    assert m.config["blocks"] == 1 and m.config["hidden"] == 0
    plain = vae(blocks=0, hidden=8)
    assert not any(isinstance(l, ResBlock) for l in plain.modules())
    assert "blocks" not in plain.config  # plain configs stay as the earlier checkpoints recorded them
    big = vae(image_shape=(3, 64, 64))
    assert sum(isinstance(l, ResBlock) for l in big.decoder) == 2 * 4
    assert big.decode(big.sample_latents(2, seed=0)).shape == (2, 3, 64, 64)


def test_a_checkpoint_of_the_plain_architecture_loads_without_the_newer_keys(tmp_path: Path) -> None:
    """The earlier shipped configs record no blocks / warm-up / free bits / half-life: they mean the defaults."""
    from genart_kit.checkpoint import save_checkpoint
    from genart_kit.registry import get_registry

    plain = vae(blocks=0, hidden=8)
    assert not {"blocks", "kl_warmup", "free_bits", "lr_half_life"} & set(plain.config)
    path = save_checkpoint(tmp_path / "plain.safetensors", plain.state_dict(), {"architecture": "vae", "model_config": plain.config})
    again = get_registry().load("model", "vae", checkpoint=str(path), device="cpu")
    z = plain.sample_latents(3, seed=1)
    assert again.blocks == 0 and torch.equal(again.decode(z), plain.decode(z))


@pytest.mark.parametrize("bad", [{"blocks": -1}, {"blocks": 1.5}, {"free_bits": -0.1}, {"kl_warmup": -5},
                                 {"lr_half_life": True}, {"hidden": -1}])
def test_bad_options_are_one_line_errors(bad) -> None:
    name, value = next(iter(bad.items()))
    with pytest.raises(InvalidInputError, match=name):
        vae(**bad)


def test_kl_warmup_and_learning_rate_half_life_follow_the_optimizer_step() -> None:
    m = vae(kl_warmup=4, lr_half_life=2, beta=2.0)
    m.train()
    step = m.training_step(lr=1e-2)
    assert [step.kl_weight(t) for t in range(6)] == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    assert step.learning_rate(0) == 1e-2 and math.isclose(step.learning_rate(4), 1e-2 / 4)
    x = torch.rand(4, 1, 28, 28)
    y = torch.zeros(4, dtype=torch.long)
    for t in range(3):
        assert step.steps_done() == t
        step(x, y)
        assert math.isclose(step.optimizers["vae"].param_groups[0]["lr"], 1e-2 * 0.5 ** (t / 2))
    assert step.steps_done() == 3


def test_warmup_changes_the_objective_not_the_reported_elbo() -> None:
    """At step 0 of a long warm-up the KL barely pulls: the reported loss is still recon + beta * KL."""
    x = torch.rand(8, 1, 28, 28)
    y = torch.zeros(8, dtype=torch.long)
    out = vae(kl_warmup=1000).train().training_step()(x, y)
    assert set(out) == {"loss", "recon", "kl"}
    assert math.isclose(out["loss"], out["recon"] + out["kl"], rel_tol=1e-5)


def test_free_bits_clamp_each_dimension_of_the_batch_mean_kl() -> None:
    from genart_vae.model import kl_objective

    kl = torch.tensor([[0.0, 1.0, 3.0], [0.2, 1.0, 1.0]])  # batch means 0.1, 1.0, 2.0
    assert math.isclose(float(kl_objective(kl)), 3.1, rel_tol=1e-6)
    assert math.isclose(float(kl_objective(kl, free_bits=0.5)), 0.5 + 1.0 + 2.0, rel_tol=1e-6)
    # a dimension under the threshold gets no gradient towards the prior
    mu = torch.zeros(2, 3, requires_grad=True)
    from genart_vae.model import gaussian_kl

    logvar = torch.full((2, 3), -0.01)
    kl_objective(gaussian_kl(mu + torch.tensor([0.01, 0.0, 2.0]), logvar), free_bits=0.5).backward()
    assert mu.grad[:, :2].abs().max() == 0 and mu.grad[:, 2].abs().min() > 0


def test_free_bits_training_step_runs_and_reports_the_true_kl() -> None:
    m = vae(free_bits=0.5).train()
    step = m.training_step()
    x = torch.rand(8, 1, 28, 28)
    first = step(x, torch.zeros(8, dtype=torch.long))
    for _ in range(10):
        last = step(x, torch.zeros(8, dtype=torch.long))
    assert last["loss"] < first["loss"]
    assert math.isclose(last["loss"], last["recon"] + last["kl"], rel_tol=1e-5)


def test_elbo_and_iwae_bounds() -> None:
    """K = 1 is an ELBO estimate; the bound tightens with K; chunking and seeds do not change it."""
    m = vae()
    x = torch.bernoulli(torch.full((3, 1, 28, 28), 0.2), generator=torch.Generator().manual_seed(0))
    loss, recon, kl = m.negative_elbo(x, generator=torch.Generator().manual_seed(0))
    assert loss.shape == (3,) and torch.allclose(loss, recon + kl)
    mean_elbo = torch.stack([m.negative_elbo(x, generator=torch.Generator().manual_seed(s))[0] for s in range(50)]).mean(0)
    iw1 = torch.stack([m.iwae_bound(x, samples=1, generator=torch.Generator().manual_seed(s)) for s in range(50)]).mean(0)
    assert torch.allclose(iw1, mean_elbo, rtol=1e-3)  # same expectation (closed-form vs sampled KL)
    g = lambda: torch.Generator().manual_seed(7)  # noqa: E731
    k64 = m.iwae_bound(x, samples=64, generator=g())
    assert torch.allclose(k64, m.iwae_bound(x, samples=64, generator=g(), chunk=64), rtol=1e-5)
    assert bool((k64 <= mean_elbo + 1e-3).all())
    assert torch.isfinite(k64).all()
    with pytest.raises(InvalidInputError, match="samples"):
        m.iwae_bound(x, samples=0)
    c = vae(arch="cvae")
    assert c.iwae_bound(x, torch.tensor([1, 2, 3]), samples=4).shape == (3,)


def test_resumed_run_with_warmup_and_decay_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    """The schedules read the step from the optimizer's state, which --resume restores: same weights."""
    from genart_kit.checkpoint import load_checkpoint
    from genart_kit.training.loop import TrainConfig, train

    opts = {"width": 4, "hidden": 0, "latent_dim": 4, "blocks": 1, "kl_warmup": 5, "lr_half_life": 3,
            "free_bits": 0.1, "binarize": True}
    data = {"limit": 64, "data_dir": str(Path(__file__).parent / "fixtures" / "mnist_small")}

    def cfg(out, epochs):
        return TrainConfig(model="vae", data="mnist", epochs=epochs, batch_size=16, seed=3, out=str(out),
                           model_options=opts, data_options=data, progress=False, sample_every=0)

    train(cfg(tmp_path / "straight", 2))
    train(cfg(tmp_path / "phased", 1))
    phased = cfg(tmp_path / "phased", 2)
    phased.resume = True
    train(phased)
    a, _ = load_checkpoint(tmp_path / "straight" / "model.safetensors")
    b, _ = load_checkpoint(tmp_path / "phased" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
