"""The text-conditioned GAN (``tgan``, genart_gan.textgan), DiffAugment, and how genart train feeds a
captioned data set's caption embeddings to a model conditioned on text embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import genart_kit as ga
from genart_gan.augment import diff_augment
from genart_gan.textgan import ProjectionDiscriminator, TextGAN
from genart_kit.checkpoint import load_checkpoint
from genart_kit.errors import InvalidInputError
from genart_kit.training.conditions import training_conditions
from genart_kit.training.loop import TrainConfig, train

EMOJI = Path(__file__).parent / "fixtures" / "emoji"
MNIST = Path(__file__).parent / "fixtures" / "mnist_small"
TINY = {"width": 4, "embed_dim": 8, "latent_dim": 8}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------------------------------ DiffAugment


def test_diffaugment_keeps_shape_and_gradients_and_none_is_identity():
    torch.manual_seed(0)
    x = torch.rand(6, 3, 16, 16, requires_grad=True)
    y = diff_augment(x, "color,translation,cutout")
    assert y.shape == x.shape and y.dtype == x.dtype
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.equal(diff_augment(x, "none"), x)


def test_translation_moves_content_by_at_most_an_eighth_and_cutout_blanks_at_most_half_the_side():
    torch.manual_seed(1)
    x = torch.zeros(64, 1, 16, 16)
    x[:, :, 8, 8] = 1.0
    moved = diff_augment(x, "translation")
    pos = moved.flatten(1).argmax(1)
    ys, xs = pos // 16, pos % 16
    assert (moved.flatten(1).max(1).values == 1).all()  # a 1/8 shift keeps the centre pixel inside
    assert ((ys - 8).abs() <= 2).all() and ((xs - 8).abs() <= 2).all()
    assert len(set(zip(ys.tolist(), xs.tolist()))) > 5  # and really moves it
    ones = torch.ones(64, 3, 16, 16)
    cut = diff_augment(ones, "cutout")
    blank = (cut == 0).all(1)  # [N, H, W]: all channels of a cut pixel are zero
    assert blank.any(dim=(1, 2)).float().mean() > 0.9
    assert (blank.sum(dim=(1, 2)) <= 64).all()  # at most an 8x8 square of 16x16
    assert torch.equal(cut == 0, blank.unsqueeze(1).expand_as(cut))


def test_color_changes_brightness_saturation_and_contrast_per_image():
    torch.manual_seed(2)
    x = torch.rand(8, 3, 8, 8) * 2 - 1
    y = diff_augment(x, "color")
    assert not torch.allclose(y, x)
    means = (y - x).mean(dim=(1, 2, 3))
    assert means.std() > 0.05  # a different shift per image


def test_unknown_augmentation_is_refused_with_the_choices():
    with pytest.raises(InvalidInputError, match="unknown augmentation 'flip'; choose from color, translation, cutout"):
        diff_augment(torch.zeros(1, 3, 8, 8), "color,flip")
    with pytest.raises(InvalidInputError, match="diffaug"):
        ga.model("tgan", diffaug="rotate", **TINY)
    for bad in ("", ",,", "none,color", "color,color"):  # never silently off
        with pytest.raises(InvalidInputError):
            diff_augment(torch.zeros(1, 3, 8, 8), bad)


def test_export_command_gives_one_line_errors(tmp_path, capsys):
    from genart_gan.export import main as export_main

    root = Path(__file__).resolve().parents[1] / "plugins"
    gan = root / "genart_gan" / "weights" / "gan-mnist.safetensors"
    vae = root / "genart_vae" / "weights" / "vae-mnist.safetensors"
    cases = [([str(vae), str(tmp_path / "d.safetensors")], "not 'gan'"),
             ([str(tmp_path / "missing.safetensors"), str(tmp_path / "d.safetensors")], "missing.safetensors"),
             ([str(gan), str(tmp_path / "d.png")], "must be a .safetensors file"),
             ([str(gan), str(gan)], "the target is the source")]
    for argv, message in cases:
        assert export_main(argv) == 1, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "d.safetensors").exists()


# --------------------------------------------------------------------------------------------- model


def test_projection_discriminator_reads_the_condition():
    torch.manual_seed(3)
    d = ProjectionDiscriminator((3, 32, 32), width=8, cond_dim=16)
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    a, b = torch.randn(4, 16), torch.randn(4, 16)
    assert d(x, a).shape == (4,)
    assert not torch.allclose(d(x, a), d(x, b))  # the projection term depends on the embedding
    from torch.nn.utils.parametrize import is_parametrized

    convs = [m for m in d.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert convs and all(is_parametrized(m, "weight") for m in convs)  # every layer spectrally normalised


def test_tgan_decodes_embeddings_deterministically_and_refuses_labels():
    model = ga.model("tgan", **TINY)
    assert isinstance(model, TextGAN) and model.condition_spec.kind == "embedding"
    assert model.condition_spec.size == 384 and model.condition_spec.space == "all-MiniLM-L6-v2"
    z = model.sample_latents(3, seed=0)
    e = torch.nn.functional.normalize(torch.randn(3, 384, generator=torch.Generator().manual_seed(0)), dim=1)
    frames = model.decode(z, e)
    assert frames.shape == (3, 3, 64, 64) and frames.dtype == torch.float32
    assert 0 <= float(frames.min()) and float(frames.max()) <= 1
    assert torch.allclose(model.decode(z[:1], e[:1]), frames[:1], atol=1e-6)  # alone or in a batch
    with pytest.raises(InvalidInputError, match=r"vectors \(text embeddings of the all-MiniLM-L6-v2 space\), not labels: pass a prompt"):
        model.decode(z, torch.tensor([1, 2, 3]))


def test_tgan_takes_a_prompt_through_the_tiny_encoder():
    model = ga.model("tgan", **TINY)
    z = model.sample_latents(2, seed=1)
    a = model.decode(z, ga.prompt("a red apple", encoder="tiny"))
    b = model.decode(z, ga.prompt("a rocket", encoder="tiny"))
    assert a.shape == (2, 3, 64, 64) and not torch.equal(a, b)  # untrained: close to grey, but steered


# ------------------------------------------------------------------------------- training on captions


def _emoji(**options):
    from genart_emoji.dataset import load_emoji

    return load_emoji(fixture=EMOJI, image_size=32, **options)


def test_training_conditions_embed_each_caption_once_in_the_models_space():
    model = ga.model("tgan", **TINY)
    ds = _emoji()
    table, encoder = training_conditions(model, ds, encoder="tiny")
    assert encoder == "tiny" and table.shape == (len(ds), 384) and table.dtype == torch.float32
    direct = ga.prompt(list(ds.captions), encoder="tiny").resolve(model.condition_spec)
    assert torch.allclose(table, direct.cpu(), atol=1e-5)
    assert training_conditions(ga.model("cgan"), ds) is None  # a label-conditional model keeps its labels


def test_a_text_model_on_a_data_set_without_captions_is_refused():
    from genart_kit.training.data import load_dataset

    with pytest.raises(InvalidInputError, match="has no captions; train it on a captioned data set"):
        training_conditions(ga.model("tgan", **TINY), load_dataset("mnist", data_dir=str(MNIST), download=False))


def test_genart_train_trains_tgan_on_captions_and_records_the_encoder(tmp_path):
    cfg = TrainConfig(encoder="tiny", model="tgan", data="emoji", epochs=5, steps=6, batch_size=8, seed=0, out=str(tmp_path / "run"),
                      data_options={"fixture": str(EMOJI), "image_size": 32}, model_options=dict(TINY),
                      progress=False, sample_every=1)
    result = train(cfg)
    assert result.step == 6 and set(result.losses) == {"loss_d", "loss_g", "d_real", "d_fake"}
    assert all(torch.isfinite(torch.tensor(v)).all() for v in result.history.values())
    tensors, config = load_checkpoint(result.model_path)
    assert config["training"]["text_encoder"] == "tiny"
    assert config["model_config"]["architecture"] == "tgan" and config["model_config"]["image_shape"] == [3, 32, 32]
    model = ga.model("tgan", checkpoint=str(result.model_path))
    frames = model.decode(model.sample_latents(2, seed=0), ga.prompt("a cat face", encoder="tiny"))
    assert frames.shape == (2, 3, 32, 32)
    assert (tmp_path / "run" / "samples_epoch001.png").is_file()  # the grid decodes captions too
    # resuming continues from the same step with the same embeddings
    cfg.steps, cfg.resume, cfg.encoder = 8, True, None  # without --encoder: the run's own
    assert train(cfg).step == 8
    assert load_checkpoint(result.model_path)[1]["training"]["text_encoder"] == "tiny"
    from genart_kit.errors import CheckpointError

    cfg.steps, cfg.encoder = 10, "minilm"
    with pytest.raises(CheckpointError, match="embedded by 'tiny', not 'minilm'; resume with --encoder tiny"):
        train(cfg)
    # the shipped form: only the averaged generator, decoding exactly as the trained model does
    from genart_gan.export import export_decoder

    trained = ga.model("tgan", checkpoint=str(result.model_path))
    exported = tmp_path / "decoder.safetensors"
    config = export_decoder(result.model_path, exported)
    assert config["model_config"]["decoder_only"] is True and config["command"] == load_checkpoint(result.model_path)[1]["command"]
    small = ga.model("tgan", checkpoint=str(exported))
    assert not hasattr(small, "discriminator") and exported.stat().st_size < result.model_path.stat().st_size / 2
    z, c = trained.sample_latents(3, seed=4), ga.prompt(["a cat", "a rocket", "a red heart"], encoder="tiny")
    assert torch.equal(small.decode(z, c), trained.decode(z, c))
    with pytest.raises(InvalidInputError, match="exported for decoding only"):
        small.training_step()


def test_the_training_step_refuses_integer_labels():
    model = ga.model("tgan", **TINY)
    model.train()
    step = model.training_step()
    with pytest.raises(InvalidInputError, match="caption embeddings"):
        step(torch.rand(2, 3, 64, 64), torch.tensor([0, 1]))


def test_a_tgan_trained_without_averaging_reloads(tmp_path):
    from genart_kit.checkpoint import save_checkpoint

    model = ga.model("tgan", ema=0, **TINY)
    assert model.ema is None and not hasattr(model, "generator_ema")
    path = tmp_path / "plain.safetensors"
    save_checkpoint(path, dict(model.state_dict()), {"architecture": "tgan", "model_config": model.config})
    again = ga.model("tgan", checkpoint=str(path))
    z, e = model.sample_latents(2, seed=0), torch.nn.functional.normalize(torch.randn(2, 384), dim=1)
    assert torch.equal(again.decode(z, e), model.decode(z, e))



def test_genart_sample_draws_a_prompt_and_says_what_a_text_model_needs(tmp_path, capsys):
    from genart_kit.checkpoint import save_checkpoint
    from genart_kit.cli import main

    model = ga.model("tgan", image_shape=(3, 32, 32), **TINY)
    ckpt = tmp_path / "tgan.safetensors"
    save_checkpoint(ckpt, dict(model.state_dict()), {"architecture": "tgan", "model_config": model.config})
    out = tmp_path / "cats.png"
    assert main(["sample", "tgan", "--checkpoint", str(ckpt), "--prompt", "a cute kitten", "--encoder", "tiny",
                 "-n", "4", "-o", str(out)]) == 0
    assert out.is_file()
    capsys.readouterr()
    assert main(["sample", "tgan", "--checkpoint", str(ckpt), "-n", "2", "-o", str(tmp_path / "x.png")]) == 1
    assert 'draws what a prompt says: add --prompt TEXT' in capsys.readouterr().err
    assert main(["sample", "tgan", "--checkpoint", str(ckpt), "--label", "3", "-o", str(tmp_path / "x.png")]) == 1
    assert "conditioned on text, not labels: replace --label with --prompt" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


# ------------------------------------------------------------------------------------ the shipped model


@pytest.mark.parametrize("encoder", ["tiny", "minilm"])
def test_gan_emoji_draws_varied_colourful_images_for_free_text(encoder):
    from genart_kit.conditioning import conditioner
    from genart_kit.errors import GenartError

    try:
        conditioner(encoder)
    except GenartError as exc:  # minilm needs the text extra (CI installs it): say so rather than pass
        pytest.skip(f"text encoder {encoder!r} is not installed here: {exc}")
    model = ga.model("gan-emoji")
    assert model.name == "gan-emoji" and model.image_shape == (3, 64, 64) and model.decoder_only
    z = model.sample_latents(8, seed=0)
    kittens = model.decode(z, ga.prompt("a cute kitten", encoder=encoder))
    hearts = model.decode(z, ga.prompt("a big red heart", encoder=encoder))
    assert kittens.shape == (8, 3, 64, 64)
    for images in (kittens, hearts):
        chroma = images.amax(1) - images.amin(1)  # [8, 64, 64]: 0 for grey pixels
        assert chroma.mean() > 0.05  # colour, not grey digits
        assert images.std(0).mean() > 0.02  # seeds give different images
    assert (kittens - hearts).abs().mean() > 0.05  # the prompt steers the picture


def test_genart_sample_gan_emoji_with_a_prompt_it_was_never_trained_on(tmp_path):
    from genart_kit.cli import main

    out = tmp_path / "kittens.png"
    assert main(["sample", "gan-emoji", "--prompt", "a cute kitten", "--encoder", "tiny", "-n", "16", "-o", str(out)]) == 0
    from PIL import Image

    with Image.open(out) as im:
        assert im.mode == "RGB" and im.size[0] >= 4 * 64
