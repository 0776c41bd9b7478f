"""DCGAN-style GAN and class-conditional GAN (cGAN) for genart-kit.

Sources:
* Goodfellow et al. 2014, "Generative Adversarial Nets" (arXiv:1406.2661): the minimax objective and the
  alternating discriminator / generator updates; the non-saturating generator loss -log D(G(z)).
* Radford, Metz & Chintala 2015, "Unsupervised Representation Learning with Deep Convolutional Generative
  Adversarial Networks" (arXiv:1511.06434): strided (transposed) convolutions, BatchNorm, ReLU in G and
  LeakyReLU(0.2) in D, tanh output, N(0, 0.02) initialisation, Adam(lr=2e-4, beta1=0.5).
* Mirza & Osindero 2014, "Conditional Generative Adversarial Nets" (arXiv:1411.1784): G and D both see the
  condition y (a one-hot label or a conditioning vector): G(z, y), D(x, y).

Image sizes: 28 (MNIST: 7 -> 14 -> 28) or any size ``base * 2**k`` with base 4..7 (32, 64, ...).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genart_kit.checkpoint import build_model
from genart_kit.options import check_option_values
from genart_kit.errors import InvalidInputError
from genart_kit.generative import GenerativeModel

from .options import CGAN_OPTIONS

__all__ = ["GAN", "DCGANGenerator", "DCGANDiscriminator", "GANTrainingStep", "load_gan", "load_cgan",
           "load_pretrained_gan_mnist", "load_pretrained_cgan_mnist", "upsampling_plan", "dcgan_init"]


def upsampling_plan(size: int) -> tuple[int, int]:
    """Split an image side into ``(n_up, base)`` with ``size == base * 2**n_up``, base in 4..7, n_up >= 1.

    28 -> (2, 7); 32 -> (3, 4); 64 -> (4, 4). Raises InvalidInputError for sizes such as 30 or 100.
    """
    n = 0
    s = int(size)
    while s > 7 and s % 2 == 0:
        s //= 2
        n += 1
    if n < 1 or not (4 <= s <= 7):
        raise InvalidInputError(
            f"image size {size} is not supported by the DCGAN/VAE architectures; use 28, 32, 64 or 128 "
            "(a size base*2**k with base 4..7), e.g. --image-size 64."
        )
    return n, s


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2015): conv weights ~ N(0, 0.02), BatchNorm weight ~ N(1, 0.02),
    bias 0. Draws from torch's global RNG (seed it with ``torch.manual_seed`` first)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _extra_blocks(ch: int, n: int, act: type[nn.Module], *args: Any) -> list[nn.Module]:
    """*n* blocks of 3x3 stride-1 Conv(ch -> ch) + BN + activation (shape-preserving)."""
    out: list[nn.Module] = []
    for _ in range(n):
        out += [nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch), act(*args)]
    return out


class DCGANGenerator(nn.Module):
    """G(z, y): ``z [N, D]`` (+ condition ``[N, K]``) -> images ``[N, C, H, W]`` in [-1, 1] (tanh).

    Layers: ConvTranspose(D+K -> width*2**(n_up-1), base) + BN + ReLU, then n_up-1 stride-2 ConvTranspose
    + BN + ReLU halving the channels, then a stride-2 ConvTranspose to C channels + tanh. With
    ``extra_layers = E``, E blocks of 3x3 stride-1 Conv + BN + ReLU follow every hidden block (at each
    resolution below the output's), like the ``n_extra_layers`` of the DCGAN code in Arjovsky et al.'s
    WassersteinGAN repository, which adds them at one resolution only.
    """

    def __init__(self, latent_dim: int, image_shape: tuple[int, int, int], width: int, cond_features: int = 0,
                 extra_layers: int = 0) -> None:
        super().__init__()
        c, h, w = image_shape
        n_up, base = upsampling_plan(h)
        ch = width * 2 ** (n_up - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim + cond_features, ch, base, 1, 0, bias=False),
                                   nn.BatchNorm2d(ch), nn.ReLU(True), *_extra_blocks(ch, extra_layers, nn.ReLU, True)]
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
            layers += _extra_blocks(ch, extra_layers, nn.ReLU, True)
        layers += [nn.ConvTranspose2d(ch, c, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """``z [N, D]`` float32, ``cond [N, K]`` float32 or None -> ``[N, C, H, W]`` in [-1, 1]."""
        if cond is not None:
            z = torch.cat([z, cond], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """D(x, y): images ``[N, C, H, W]`` in [-1, 1] (+ condition ``[N, K]``) -> logits ``[N]``.

    Stride-2 Conv + LeakyReLU(0.2) (no BN on the first layer), n_up-1 stride-2 Conv + BN + LeakyReLU doubling
    the channels, then a ``base x base`` Conv to one logit. A condition is projected by a linear layer to one
    extra ``H x W`` input channel (a convolutional form of Mirza & Osindero's joint input). With
    ``extra_layers = E``, E blocks of 3x3 stride-1 Conv + BN + LeakyReLU follow every stride-2 block.
    """

    def __init__(self, image_shape: tuple[int, int, int], width: int, cond_features: int = 0,
                 extra_layers: int = 0) -> None:
        super().__init__()
        c, h, w = image_shape
        n_up, base = upsampling_plan(h)
        self.image_shape = (c, h, w)
        self.cond_proj = nn.Linear(cond_features, h * w) if cond_features else None
        in_ch = c + (1 if cond_features else 0)
        layers: list[nn.Module] = [nn.Conv2d(in_ch, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
                                   *_extra_blocks(width, extra_layers, nn.LeakyReLU, 0.2, True)]
        ch = width
        for _ in range(n_up - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
            layers += _extra_blocks(ch, extra_layers, nn.LeakyReLU, 0.2, True)
        layers += [nn.Conv2d(ch, 1, base, 1, 0, bias=False)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """``x [N, C, H, W]`` in [-1, 1], ``cond [N, K]`` or None -> logits ``[N]`` (D(x) = sigmoid(logit))."""
        if self.cond_proj is not None:
            if cond is None:
                raise InvalidInputError("this discriminator is conditional: pass a condition.")
            _, h, w = self.image_shape
            x = torch.cat([x, self.cond_proj(cond).view(-1, 1, h, w)], dim=1)
        return self.net(x).view(-1)


class GAN(GenerativeModel):
    """A DCGAN (Radford et al. 2015) or, with ``num_classes`` / ``cond_dim``, a conditional GAN (Mirza &
    Osindero 2014), exposing the genart-kit model contract.

    Args:
        latent_dim: D, length of z ~ N(0, I).
        image_shape: (C, H, W), H == W in {28, 32, 64, ...}; C = 1 (grayscale) or 3 (RGB).
        width: channel width of the first D layer / last G hidden layer (G's first layer has
            ``width * 2**(n_up-1)`` channels).
        num_classes: class count for a label-conditional GAN (labels are one-hot encoded; soft
            ``[N, num_classes]`` vectors are accepted too).
        cond_dim: length of a conditioning vector (e.g. a text embedding) for a vector-conditional GAN.
        ema: optional decay (e.g. 0.999) of an exponential moving average of the generator's weights,
            updated after every generator step and used by :meth:`decode` (weight averaging as in Yazici
            et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training"; Karras et al. 2018).
            The effective decay warms up as min(ema, (1 + t) / (10 + t)) over the t updates so far.
        extra_layers: E >= 0 extra 3x3 stride-1 Conv + BN + activation blocks after every hidden block of
            G and every stride-2 block of D (default 0: the plain DCGAN). Deeper networks at the same width:
            for 28x28, E = 1 adds 4 layers and about 2x the training time.
        ema_start: generator step after which averaging begins (default 0: from the first step). Until then
            the average simply tracks the generator, so early, poor weights never enter it (Yazici et al.
            2019 start averaging late). A run that adds ``--ema`` when resumed at step S is bit-identical to
            one trained from scratch with ``ema_start=S``.
        decoder_only: only the generator that decodes, no discriminator (what
            :func:`genart_gan.export.export_decoder` writes for shipping); such a model decodes but cannot train.

    ``decode(z, condition)`` returns ``(G(z, y) + 1) / 2``: float32 ``[N, C, H, W]`` in [0, 1], in eval mode
    (BatchNorm running statistics), so one latent renders identically alone or in a batch.
    """

    def __init__(self, latent_dim: int = 64, image_shape: Any = (1, 28, 28), width: int = 32,
                 num_classes: int | None = None, cond_dim: int | None = None, ema: float | None = None,
                 ema_start: int = 0, extra_layers: int = 0, decoder_only: bool = False) -> None:
        super().__init__()
        check_option_values({"latent_dim": latent_dim, "width": width, "num_classes": num_classes, "cond_dim": cond_dim,
                             "ema": ema, "ema_start": ema_start, "extra_layers": extra_layers},
                            CGAN_OPTIONS, what="model 'gan'", where="model option")
        image_shape = tuple(int(v) for v in image_shape)
        if len(image_shape) != 3 or image_shape[1] != image_shape[2] or image_shape[0] not in (1, 3):
            raise InvalidInputError(f"image_shape must be (C, S, S) with C 1 or 3, got {image_shape}.")
        if num_classes is not None and cond_dim is not None:
            raise InvalidInputError("pass num_classes (labels) or cond_dim (vectors), not both.")
        self.latent_dim = int(latent_dim)
        self.image_shape = image_shape
        self.num_classes = int(num_classes) if num_classes else None
        self.cond_dim = int(cond_dim) if cond_dim else None
        k = self.num_classes or self.cond_dim or 0
        self.name = "cgan" if k else "gan"
        if ema is not None and not (0.0 < float(ema) < 1.0):
            raise InvalidInputError(f"ema decay must be in (0, 1), e.g. 0.999; got {ema}.")
        self.ema = float(ema) if ema else None
        if ema_start and not self.ema:
            raise InvalidInputError(f"ema_start needs an ema decay (--ema-start needs --ema DECAY, e.g. --ema 0.999 "
                                    f"--ema-start {ema_start}); got ema_start={ema_start}, ema={ema}.")
        self.ema_start = int(ema_start)
        self.config = {"architecture": self.name, "latent_dim": self.latent_dim, "image_shape": list(image_shape),
                       "width": int(width), "num_classes": self.num_classes, "cond_dim": self.cond_dim}
        if extra_layers:
            self.config["extra_layers"] = int(extra_layers)  # absent = 0: older checkpoints keep their config
        if self.ema:
            self.config["ema"] = self.ema
            if self.ema_start:
                self.config["ema_start"] = self.ema_start
        self.decoder_only = bool(decoder_only)
        if self.decoder_only:  # exported: the weights already are the average, nothing is left to average
            if self.ema:
                raise InvalidInputError("a decoder-only GAN has no averaging: its weights are the average (drop ema).")
            self.config["decoder_only"] = True
        self.generator = DCGANGenerator(self.latent_dim, image_shape, int(width), k, int(extra_layers))
        if not self.decoder_only:
            self.discriminator = DCGANDiscriminator(image_shape, int(width), k, int(extra_layers))
        dcgan_init(self)
        if self.ema:
            self.add_generator_average()

    def add_generator_average(self) -> None:
        """Create the averaged generator (a frozen copy of ``generator``) and its counters ``ema_updates`` and
        ``generator_steps`` (long scalars), which :meth:`update_ema` moves; called when ``ema`` is set."""
        import copy

        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
        self.register_buffer("ema_updates", torch.zeros((), dtype=torch.long))
        self.register_buffer("generator_steps", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update_ema(self) -> None:
        """Call after each generator step: move the averaged generator towards the current one, or copy it
        while ``generator_steps <= ema_start``; BN statistics are always copied. No-op without ``ema``."""
        if not self.ema:
            return
        self.generator_steps += 1
        if int(self.generator_steps) <= self.ema_start:
            self.start_ema_from_generator()
            return
        t = int(self.ema_updates)
        decay = min(self.ema, (1.0 + t) / (10.0 + t))
        for p_ema, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
            p_ema.lerp_(p, 1.0 - decay)
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers()):
            b_ema.copy_(b)
        self.ema_updates += 1

    @torch.no_grad()
    def start_ema_from_generator(self) -> None:
        """(Re)start the average at the current generator: copy its weights and BN statistics, zero the
        update count t (so the decay warm-up starts again)."""
        for p_ema, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
            p_ema.copy_(p)
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers()):
            b_ema.copy_(b)
        self.ema_updates.zero_()

    def adapt_resume_state(self, tensors: dict[str, torch.Tensor], saved_config: dict[str, Any],
                           step: int) -> tuple[dict[str, torch.Tensor], set[str]]:
        """Let ``genart train --resume`` add generator averaging to a run trained without it.

        Called by the training loop with the checkpoint's *tensors*, its ``model_config`` and its global
        *step*. When this model has ``ema`` and the checkpoint has none, the averaged generator starts as a
        copy of the checkpoint's generator (``generator_steps = step``, ``ema_updates = 0``), which is
        exactly the state a from-scratch run with ``ema_start >= step`` has at that step.

        Returns:
            ``(tensors, keys)``: the tensors to load and the config keys allowed to differ (``ema``,
            ``ema_start``), or the inputs unchanged and an empty set.
        Raises:
            CheckpointError: the run is already past ``ema_start`` (averaging cannot begin in the past).
        """
        if not self.ema or "ema" in saved_config or any(k.startswith("generator_ema.") for k in tensors):
            return tensors, set()
        from genart_kit.errors import CheckpointError

        if step > self.ema_start:
            raise CheckpointError(
                f"--resume: this run was trained without --ema and is at step {step}; averaging can start from "
                f"now on, not at step {self.ema_start}: pass --ema {self.ema} --ema-start {step}."
            )
        tensors = dict(tensors)
        for k, v in list(tensors.items()):
            if k.startswith("generator."):
                tensors["generator_ema." + k[len("generator."):]] = v
        tensors["ema_updates"] = torch.zeros((), dtype=torch.long)
        tensors["generator_steps"] = torch.tensor(step, dtype=torch.long)
        return tensors, {"ema", "ema_start"}

    def condition_vector(self, cond: torch.Tensor | None) -> torch.Tensor | None:
        """Labels ``[N]`` int64 -> one-hot ``[N, num_classes]`` float32; vectors pass through; None -> None."""
        if cond is None:
            return None
        if not cond.is_floating_point():
            return F.one_hot(cond.long(), self.num_classes).to(torch.float32)
        return cond.to(torch.float32)

    def _decode(self, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        g = self.generator_ema if self.ema else self.generator
        return (g(z, self.condition_vector(condition)) + 1.0) * 0.5

    def training_step(self, lr: float | None = None, **options: Any) -> "GANTrainingStep":
        """The per-iteration update used by ``genart train`` (see :class:`GANTrainingStep`).

        Raises:
            InvalidInputError: a decoder-only model (it has no discriminator).
        """
        if self.decoder_only:
            from .export import decoder_only_error

            raise decoder_only_error(self.name)
        return GANTrainingStep(self, lr=lr, **options)


class GANTrainingStep:
    """One GAN iteration (Goodfellow et al. 2014, Algorithm 1 with k = 1, non-saturating G loss):

    1. D step: real batch x (scaled to [-1, 1]) and fake batch G(z), z ~ N(0, I);
       loss_D = BCE(D(x), 1) + BCE(D(G(z)), 0), i.e. maximise log D(x) + log(1 - D(G(z))).
    2. G step on the same z: loss_G = BCE(D(G(z)), 1) = -log D(G(z)).

    Both optimizers are Adam(lr=2e-4, betas=(0.5, 0.999)) by default (Radford et al. 2015). With
    ``model.ema`` the averaged generator is updated after each G step. Noise comes from
    torch's global RNG (seeded by the training loop). Losses are reported as floats, in nats per sample.
    """

    default_lr = 2e-4

    def __init__(self, model: GAN, lr: float | None = None, beta1: float = 0.5, beta2: float = 0.999) -> None:
        self.model = model
        lr = float(lr or self.default_lr)
        self.modules: dict[str, nn.Module] = {"generator": model.generator, "discriminator": model.discriminator}
        self.optimizers = {
            "generator": torch.optim.Adam(model.generator.parameters(), lr=lr, betas=(beta1, beta2)),
            "discriminator": torch.optim.Adam(model.discriminator.parameters(), lr=lr, betas=(beta1, beta2)),
        }
        self.run = dict(self.modules)  # possibly DDP-wrapped versions

    def wrap(self, fn: Any) -> None:
        """Wrap the trainable modules (e.g. in DistributedDataParallel): ``fn(module) -> module``."""
        self.run = {k: fn(m) for k, m in self.modules.items()}

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One iteration on ``images [B, C, H, W]`` float32 in [0, 1] and ``labels [B]`` int64.

        Returns ``{"loss_d", "loss_g", "d_real", "d_fake"}`` (losses in nats; D outputs as probabilities).
        """
        m = self.model
        G, D = self.run["generator"], self.run["discriminator"]
        opt_g, opt_d = self.optimizers["generator"], self.optimizers["discriminator"]
        b = images.shape[0]
        x = images * 2.0 - 1.0
        cond = m.condition_vector(labels) if m.num_classes else None
        z = torch.randn(b, m.latent_dim, device=images.device)
        fake = G(z, cond)
        ones = torch.ones(b, device=images.device)
        zeros = torch.zeros(b, device=images.device)
        # (1) discriminator: separate real and fake batches (DCGAN practice: BN statistics per batch type)
        opt_d.zero_grad(set_to_none=True)
        logit_real = D(x, cond)
        loss_real = F.binary_cross_entropy_with_logits(logit_real, ones)
        loss_real.backward()
        logit_fake = D(fake.detach(), cond)
        loss_fake = F.binary_cross_entropy_with_logits(logit_fake, zeros)
        loss_fake.backward()
        opt_d.step()
        # (2) generator: non-saturating loss -log D(G(z))
        opt_g.zero_grad(set_to_none=True)
        logit_gen = D(fake, cond)
        loss_g = F.binary_cross_entropy_with_logits(logit_gen, ones)
        loss_g.backward()
        opt_g.step()
        m.update_ema()
        return {
            "loss_d": float(loss_real.detach() + loss_fake.detach()),
            "loss_g": float(loss_g.detach()),
            "d_real": float(torch.sigmoid(logit_real.detach()).mean()),
            "d_fake": float(torch.sigmoid(logit_fake.detach()).mean()),
        }


# ------------------------------------------------------------------------------------------ loaders

_DEFAULTS = {"latent_dim": 64, "image_shape": (1, 28, 28), "width": 32}


def load_gan(checkpoint: Any = None, device: Any = None, **options: Any) -> GAN:
    """Registry loader for the ``gan`` architecture (untrained unless *checkpoint* is given).

    Options: ``latent_dim`` (64), ``image_shape`` ((1, 28, 28)), ``width`` (32), ``extra_layers`` (0), ``ema`` (None: no
    generator weight averaging), ``ema_start`` (0: average from the first generator step).
    Raises CheckpointError for an unsafe/unreadable checkpoint or one for another architecture.
    """
    if options.pop("num_classes", None) is not None:
        raise InvalidInputError("'gan' is unconditional: num_classes (--num-classes) is an option of 'cgan'; "
                                "train cgan for a class-conditional model, or drop the option.")
    return build_model(GAN, "gan", checkpoint=checkpoint, device=device, defaults=_DEFAULTS, declared=CGAN_OPTIONS, options=options)


def load_cgan(checkpoint: Any = None, device: Any = None, **options: Any) -> GAN:
    """Registry loader for the ``cgan`` architecture (class-conditional, ``num_classes`` default 10, or
    ``cond_dim`` for conditioning vectors)."""
    defaults = dict(_DEFAULTS, num_classes=None if options.get("cond_dim") else 10)
    return build_model(GAN, "cgan", checkpoint=checkpoint, device=device, defaults=defaults, declared=CGAN_OPTIONS, options=options)


MNIST_CLASS_NAMES = tuple(str(d) for d in range(10))


def _weights(name: str) -> str:
    from genart_kit.checkpoint import shipped_weights

    return shipped_weights(__file__, name)


def load_pretrained_gan_mnist(checkpoint: Any = None, device: Any = None, **options: Any) -> GAN:
    """``gan-mnist``: the shipped DCGAN trained on MNIST by ``genart train`` (see its config's ``command``)."""
    return build_model(GAN, "gan", checkpoint=checkpoint or _weights("gan-mnist"), device=device,
                       defaults=_DEFAULTS, declared=CGAN_OPTIONS, options=options, name="gan-mnist")


def load_pretrained_cgan_mnist(checkpoint: Any = None, device: Any = None, **options: Any) -> GAN:
    """``cgan-mnist``: the shipped class-conditional DCGAN trained on MNIST (labels 0-9)."""
    model = build_model(GAN, "cgan", checkpoint=checkpoint or _weights("cgan-mnist"), device=device,
                       defaults=dict(_DEFAULTS, num_classes=10), declared=CGAN_OPTIONS, options=options, name="cgan-mnist")
    model.class_names = MNIST_CLASS_NAMES  # prompts reach it through the text conditioner's digit head
    model.label_set = "mnist-digits"
    return model
