"""A text-conditioned GAN for small colourful data sets (``tgan``; shipped trained on emoji as ``gan-emoji``).

G and D are trained in turn, as in the classic GAN (Goodfellow et al. 2014), with what the field uses for a
few thousand images:

* Conditioning on a caption embedding ``e [N, cond_dim]`` (the text conditioner's space, all-MiniLM-L6-v2 by
  default): in G, ``e`` is projected to ``embed_dim`` and concatenated with z (Reed et al. 2016, "Generative
  Adversarial Text to Image Synthesis"); in D, a projection discriminator adds ``<P e, phi(x)>`` to the
  unconditional logit (Miyato & Koyama 2018, "cGANs with Projection Discriminator", arXiv:1802.05637).
* Spectral normalisation of every layer of D (Miyato et al. 2018, arXiv:1802.05957) and the hinge loss
  (Lim & Ye 2017; Miyato et al. 2018).
* DiffAugment on real and generated images (Zhao et al. 2020; :mod:`genart_gan.augment`).
* Conditioning augmentation: during training the caption embedding (a unit vector) gets Gaussian noise of
  expected length ``cond_noise`` and is re-normalised, so nearby prompts, which is to say paraphrases,
  decode to nearby images (the idea of StackGAN's conditioning augmentation, Zhang et al. 2017, without its learned variance).
* An exponential moving average of G's weights decodes (Yazici et al. 2019; Karras et al. 2018).

G is DCGAN's (Radford et al. 2015): stride-2 transposed convolutions, BatchNorm, ReLU, tanh. Decoding is
deterministic: the same latent and condition give the same image alone or in a batch (eval-mode BatchNorm).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from genart_kit.errors import InvalidInputError
from genart_kit.generative import GenerativeModel
from genart_kit.options import check_option_values

from .augment import diff_augment
from .model import GAN, DCGANGenerator, dcgan_init, upsampling_plan
from .options import TGAN_OPTIONS

__all__ = ["TextGAN", "ProjectionDiscriminator", "TextGANTrainingStep", "load_tgan", "load_pretrained_gan_emoji"]


class ProjectionDiscriminator(nn.Module):
    """D(x, e) = w . phi(x) + <P e, phi(x)>: images ``[N, C, H, W]`` in [-1, 1] and embeddings ``[N, K]`` ->
    logits ``[N]`` (Miyato & Koyama 2018).

    phi: spectrally normalised stride-2 4x4 convolutions with LeakyReLU(0.2) doubling the channels from
    *width* until the side is ``base`` (4 for 32/64 px), then a 3x3 convolution and a sum over positions
    (the paper's global sum pooling). P: a spectrally normalised linear map from K to phi's channels.
    """

    def __init__(self, image_shape: tuple[int, int, int], width: int, cond_dim: int) -> None:
        super().__init__()
        c, h, _ = image_shape
        n_down, _ = upsampling_plan(h)
        layers: list[nn.Module] = []
        ch_in, ch = c, width
        for _ in range(n_down):
            layers += [spectral_norm(nn.Conv2d(ch_in, ch, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            ch_in, ch = ch, min(ch * 2, width * 8)
        layers += [spectral_norm(nn.Conv2d(ch_in, ch_in, 3, 1, 1)), nn.LeakyReLU(0.2, True)]
        self.features = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(ch_in, 1))
        self.embed = spectral_norm(nn.Linear(cond_dim, ch_in, bias=False))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``x [N, C, H, W]``, ``cond [N, K]`` float32 -> logits ``[N]`` (real > 0 > fake under the hinge)."""
        h = self.features(x).sum(dim=(2, 3))
        return self.linear(h).view(-1) + (self.embed(cond) * h).sum(dim=1)


class _ConditionedGenerator(nn.Module):
    """G(z, e): ``e [N, K]`` -> ``Linear(K, embed_dim)`` + LeakyReLU(0.2), concatenated with ``z [N, D]``, into
    a DCGAN generator (:class:`genart_gan.model.DCGANGenerator`); images ``[N, C, H, W]`` in [-1, 1]."""

    def __init__(self, latent_dim: int, image_shape: tuple[int, int, int], width: int, cond_dim: int,
                 embed_dim: int) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Linear(cond_dim, embed_dim), nn.LeakyReLU(0.2, True))
        self.net = DCGANGenerator(latent_dim, image_shape, width, embed_dim)

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``z [N, D]``, ``cond [N, K]`` -> ``[N, C, H, W]`` in [-1, 1]."""
        return self.net(z, self.project(cond))


class TextGAN(GAN):
    """A GAN conditioned on text embeddings (see the module docstring for the sources).

    Args:
        latent_dim: D, length of z ~ N(0, I).
        image_shape: ``(C, S, S)``, C 1 or 3, S in 32, 64, 128 (28 too).
        width: channels of G's last hidden layer and D's first (both double per resolution).
        cond_dim: K, the length of a caption embedding (384 for all-MiniLM-L6-v2).
        embed_dim: the length G projects the embedding to before concatenating it with z.
        space: the name of the embedding space (``genart list conditioners`` shows each conditioner's);
            prompts resolve to embeddings of this space.
        ema: decay of the generator's weight average that decodes (0 or ``None``: decode with G itself).
        ema_start: generator step after which averaging begins.
        diffaug: DiffAugment policy (``"color,translation,cutout"``; ``"none"`` turns it off).
        cond_noise: expected length of the Gaussian noise added to the (unit) training embeddings (0: none).
        decoder_only: only the generator that decodes, no discriminator (what :func:`export_decoder` writes
            for shipping: a third of the size); such a model decodes but cannot be trained.

    ``decode(z, condition)`` takes a condition of embeddings ``[N, K]`` float32 (or a prompt:
    ``ga.prompt("a red apple")``) and returns float32 ``[N, C, S, S]`` in [0, 1].
    """

    def __init__(self, latent_dim: int = 64, image_shape: Any = (3, 64, 64), width: int = 32, cond_dim: int = 384,
                 embed_dim: int = 128, space: str = "all-MiniLM-L6-v2", ema: float | None = 0.999,
                 ema_start: int = 0, diffaug: str = "color,translation,cutout", cond_noise: float = 0.25,
                 decoder_only: bool = False) -> None:
        GenerativeModel.__init__(self)
        check_option_values({"latent_dim": latent_dim, "width": width, "cond_dim": cond_dim, "embed_dim": embed_dim,
                             "space": space, "ema": ema, "ema_start": ema_start, "diffaug": diffaug,
                             "cond_noise": cond_noise}, TGAN_OPTIONS, what="model 'tgan'", where="model option")
        image_shape = tuple(int(v) for v in image_shape)
        if len(image_shape) != 3 or image_shape[1] != image_shape[2] or image_shape[0] not in (1, 3):
            raise InvalidInputError(f"image_shape must be (C, S, S) with C 1 or 3, got {image_shape}.")
        self.latent_dim, self.image_shape = int(latent_dim), image_shape
        self.num_classes, self.cond_dim = None, int(cond_dim)
        self.embedding_space = str(space)
        self.name = "tgan"
        self.ema = float(ema) if ema else None
        if ema_start and not self.ema:
            raise InvalidInputError(f"ema_start needs an ema decay (--ema 0.999 --ema-start {ema_start}).")
        self.ema_start = int(ema_start)
        self.diffaug, self.cond_noise = str(diffaug), float(cond_noise)
        self.config = {"architecture": "tgan", "latent_dim": self.latent_dim, "image_shape": list(image_shape),
                       "width": int(width), "cond_dim": self.cond_dim, "embed_dim": int(embed_dim),
                       "space": self.embedding_space, "ema": self.ema or 0.0, "ema_start": self.ema_start,
                       "diffaug": self.diffaug, "cond_noise": self.cond_noise}
        self.decoder_only = bool(decoder_only)
        if self.decoder_only:  # the exported generator: its weights are the average's; nothing left to average
            self.ema, self.ema_start = None, 0
            self.config.update(ema=0.0, ema_start=0, decoder_only=True)
        self.generator = _ConditionedGenerator(self.latent_dim, image_shape, int(width), self.cond_dim, int(embed_dim))
        dcgan_init(self.generator)
        if not self.decoder_only:
            self.discriminator = ProjectionDiscriminator(image_shape, int(width), self.cond_dim)
        if self.ema:
            self.add_generator_average()

    def condition_vector(self, cond: torch.Tensor | None) -> torch.Tensor | None:
        """Embeddings ``[N, K]`` -> float32 ``[N, K]``; class labels are refused (this model reads text)."""
        if cond is None:
            return None
        if not cond.is_floating_point():
            raise InvalidInputError("this model is conditioned on text embeddings, not labels: pass a prompt "
                                    "(ga.prompt('a red apple'), --prompt) or embeddings [N, %d]." % self.cond_dim)
        return cond.to(torch.float32)

    def training_step(self, lr: float | None = None, **options: Any) -> "TextGANTrainingStep":
        """The per-iteration update used by ``genart train`` (see :class:`TextGANTrainingStep`).

        Raises:
            InvalidInputError: a decoder-only model (it has no discriminator).
        """
        if self.decoder_only:
            from .export import decoder_only_error

            raise decoder_only_error("tgan")
        return TextGANTrainingStep(self, lr=lr, **options)


class TextGANTrainingStep:
    """One iteration: a D step then a G step on the same noise (hinge loss, DiffAugment on everything D sees).

    ``loss_D = E[relu(1 - D(T(x), e))] + E[relu(1 + D(T(G(z, e')), e))]``, ``loss_G = -E[D(T(G(z, e')), e)]``,
    with T the DiffAugment policy and ``e'`` the caption embedding with conditioning noise. Adam(lr=2e-4,
    betas=(0.5, 0.999)) for both. The training loop passes ``labels`` as the caption embeddings of the batch
    ``[B, K]`` float32 (it embeds a captioned data set's captions once, see
    :func:`genart_kit.training.conditions.training_conditions`).
    """

    default_lr = 2e-4

    def __init__(self, model: TextGAN, lr: float | None = None, beta1: float = 0.5, beta2: float = 0.999) -> None:
        self.model = model
        lr = float(lr or self.default_lr)
        self.modules: dict[str, nn.Module] = {"generator": model.generator, "discriminator": model.discriminator}
        self.optimizers = {name: torch.optim.Adam(m.parameters(), lr=lr, betas=(beta1, beta2))
                           for name, m in self.modules.items()}
        self.run = dict(self.modules)

    def wrap(self, fn: Any) -> None:
        """Wrap the trainable modules (DistributedDataParallel): ``fn(module) -> module``."""
        self.run = {k: fn(m) for k, m in self.modules.items()}

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One iteration on ``images [B, C, H, W]`` in [0, 1] and caption embeddings ``labels [B, K]``.

        Returns ``{"loss_d", "loss_g", "d_real", "d_fake"}`` (hinge losses; mean logits of real and fake).

        Raises:
            InvalidInputError: *labels* are not ``[B, K]`` embeddings (a data set without captions).
        """
        m = self.model
        if not labels.is_floating_point() or labels.ndim != 2 or labels.shape[1] != m.cond_dim:
            raise InvalidInputError(f"model 'tgan' trains on caption embeddings [B, {m.cond_dim}], got labels "
                                    f"{labels.dtype} {list(labels.shape)}: train it on a captioned data set (--data emoji).")
        G, D = self.run["generator"], self.run["discriminator"]
        opt_g, opt_d = self.optimizers["generator"], self.optimizers["discriminator"]
        b = images.shape[0]
        x = images * 2.0 - 1.0
        e = labels.to(torch.float32)
        if m.cond_noise:  # noise of expected length cond_noise (embeddings are unit vectors), then unit length again
            e_noisy = F.normalize(e + m.cond_noise * torch.randn_like(e) / e.shape[1] ** 0.5, dim=1)
        else:
            e_noisy = e
        z = torch.randn(b, m.latent_dim, device=images.device)
        fake = G(z, e_noisy)
        opt_d.zero_grad(set_to_none=True)
        logit_real = D(diff_augment(x, m.diffaug), e)
        logit_fake = D(diff_augment(fake.detach(), m.diffaug), e)
        loss_d = F.relu(1.0 - logit_real).mean() + F.relu(1.0 + logit_fake).mean()
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        loss_g = -D(diff_augment(fake, m.diffaug), e).mean()
        loss_g.backward()
        opt_g.step()
        m.update_ema()
        return {"loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach()),
                "d_real": float(logit_real.detach().mean()), "d_fake": float(logit_fake.detach().mean())}


# ------------------------------------------------------------------------------------------ loaders

_DEFAULTS = {"latent_dim": 64, "image_shape": (3, 64, 64), "width": 32, "cond_dim": 384}


def load_tgan(checkpoint: Any = None, device: Any = None, **options: Any) -> TextGAN:
    """Registry loader for the ``tgan`` architecture (untrained unless *checkpoint* is given).

    Raises:
        CheckpointError: an unsafe or unreadable checkpoint, or one of another architecture.
        InvalidInputError: bad options.
    """
    from genart_kit.checkpoint import build_model

    return build_model(TextGAN, "tgan", checkpoint=checkpoint, device=device, defaults=_DEFAULTS,
                       declared=TGAN_OPTIONS, options=options)


def load_pretrained_gan_emoji(checkpoint: Any = None, device: Any = None, **options: Any) -> TextGAN:
    """``gan-emoji``: the shipped text-conditioned GAN trained on the emoji data set by ``genart train``
    (the command is in its config and in docs/weights.md)."""
    from genart_kit.checkpoint import build_model, shipped_weights

    return build_model(TextGAN, "tgan", checkpoint=checkpoint or shipped_weights(__file__, "gan-emoji"),
                       device=device, defaults=_DEFAULTS, declared=TGAN_OPTIONS, options=options, name="gan-emoji")


if __name__ == "__main__":  # the older spelling of python -m genart_gan.export SOURCE TARGET
    from .export import main

    raise SystemExit(main())
