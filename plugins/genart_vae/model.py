"""Convolutional VAE and conditional VAE (CVAE) for genart-kit.

Sources:
* Kingma & Welling 2013, "Auto-Encoding Variational Bayes" (arXiv:1312.6114): Gaussian encoder
  q(z|x) = N(mu(x), diag(sigma(x)^2)), prior N(0, I), reparameterisation z = mu + sigma * eps, and the ELBO
  E_q[log p(x|z)] - KL(q(z|x) || N(0, I)) with the closed-form Gaussian KL.
* Higgins et al. 2017 (beta-VAE): optional weight ``beta`` on the KL term (beta = 1 is the ELBO).
* Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep Conditional Generative
  Models" (NeurIPS): the CVAE, q(z|x, y) and p(x|z, y) both see the condition y (one-hot label or a
  conditioning vector); here with the prior p(z|y) = N(0, I).

* He et al. 2016 ("Identity Mappings in Deep Residual Networks"): ``blocks`` pre-activation residual
  blocks x + conv(act(conv(act(x)))) at every encoder and decoder resolution, as in the ResNet VAEs of
  Kingma et al. 2016 ("Improved Variational Inference with Inverse Autoregressive Flow", NeurIPS), with ELU
  (Clevert et al. 2015); the last conv of each block starts at zero, so a block starts as the identity.
* Bowman et al. 2016 ("Generating Sentences from a Continuous Space") / Sonderby et al. 2016 (Ladder VAE):
  KL warm-up, the KL weight rising linearly from 0 to ``beta`` over ``kl_warmup`` steps.
* Kingma et al. 2016 (IAF paper, eq. 15): free bits, the training objective uses
  max(lambda, E_batch KL_j) per latent dimension j, so no dimension is pushed to the prior before it is used.

Warm-up and free bits shape the training objective only: the reported ``loss`` is always the true negative
ELBO (recon + beta * KL, the ELBO itself for beta = 1).

Likelihood: Bernoulli p(x|z) with logits from the decoder (the standard choice for MNIST, so negative ELBO
values are in nats per image and comparable with the literature on binarized MNIST). With
``binarize=True`` training targets are dynamically binarized (x_bin ~ Bernoulli(x)), which makes the model a
proper likelihood model of binarized MNIST. ``decode`` returns the Bernoulli means sigmoid(logits).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genart_kit.checkpoint import build_model
from genart_kit.options import check_option_values
from genart_kit.errors import InvalidInputError
from genart_kit.generative import GenerativeModel

from .options import CVAE_OPTIONS

__all__ = ["VAE", "ResBlock", "VAETrainingStep", "load_vae", "load_cvae", "load_pretrained_vae_mnist",
           "load_pretrained_cvae_mnist", "negative_elbo", "gaussian_kl", "kl_objective"]


def _plan(size: int) -> tuple[int, int]:
    n, s = 0, int(size)
    while s > 7 and s % 2 == 0:
        s //= 2
        n += 1
    if n < 1 or not (4 <= s <= 7):
        raise InvalidInputError(f"image size {size} is not supported by the VAE; use 28, 32, 64 or 128 (--image-size 64).")
    return n, s


class ResBlock(nn.Module):
    """Pre-activation residual block (He et al. 2016): ``x + conv3x3(ELU(conv3x3(ELU(x))))``, channels kept,
    ``[N, C, H, W] -> [N, C, H, W]``. The second conv starts at zero, so a new block is the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x [N, C, H, W]`` float32 -> the same shape."""
        return x + self.conv2(F.elu(self.conv1(F.elu(x))))


class VAE(GenerativeModel):
    """Convolutional VAE (Kingma & Welling 2013); with ``num_classes`` / ``cond_dim`` a CVAE (Sohn et al. 2015).

    Encoder: n_up stride-2 Conv(4x4) + ReLU layers (channels width, 2*width, ...), each followed by ``blocks``
    residual blocks, flatten, concat the condition, Linear(hidden) + ReLU (none when ``hidden`` is 0), then
    Linear heads for mu and log sigma^2 ``[N, latent_dim]``.
    Decoder: concat(z, condition) -> [Linear(hidden) + ReLU] -> Linear + ReLU -> reshape to the last conv map
    -> per resolution ``blocks`` residual blocks and a stride-2 ConvTranspose(4x4) (+ ReLU but the last) ->
    logits ``[N, C, H, W]``.

    Args:
        latent_dim: D.
        image_shape: (C, H, W) with H == W in {28, 32, 64, ...}, C in {1, 3}.
        width: channels of the first conv layer.
        hidden: width of the fully-connected hidden layer (0: none, the conv map connects to the heads).
        num_classes: label count for a CVAE (labels are one-hot encoded).
        cond_dim: conditioning-vector length for a vector-conditional VAE.
        beta: KL weight (1.0 = the ELBO).
        binarize: dynamically binarize training targets (for Bernoulli likelihood on MNIST).
        blocks: residual blocks at every resolution of the encoder and of the decoder (0: the plain VAE).
        kl_warmup: training steps over which the KL weight rises linearly from 0 to *beta* (0: none).
        free_bits: lambda in nats per latent dimension for the training objective's KL (0: none).
        lr_half_life: training steps in which the learning rate halves (exponential decay; 0: constant).

    Raises:
        InvalidInputError: an option out of its declared range, or an unsupported image shape.
    """

    def __init__(self, latent_dim: int = 16, image_shape: Any = (1, 28, 28), width: int = 32, hidden: int = 128,
                 num_classes: int | None = None, cond_dim: int | None = None, beta: float = 1.0,
                 binarize: bool = False, blocks: int = 0, kl_warmup: int = 0, free_bits: float = 0.0,
                 lr_half_life: int = 0) -> None:
        super().__init__()
        check_option_values({"latent_dim": latent_dim, "width": width, "hidden": hidden, "num_classes": num_classes,
                             "cond_dim": cond_dim, "beta": beta, "binarize": binarize, "blocks": blocks,
                             "kl_warmup": kl_warmup, "free_bits": free_bits, "lr_half_life": lr_half_life},
                            CVAE_OPTIONS, what="model 'vae'", where="model option")
        image_shape = tuple(int(v) for v in image_shape)
        if len(image_shape) != 3 or image_shape[1] != image_shape[2] or image_shape[0] not in (1, 3):
            raise InvalidInputError(f"image_shape must be (C, S, S) with C 1 or 3, got {image_shape}.")
        if num_classes is not None and cond_dim is not None:
            raise InvalidInputError("pass num_classes (labels) or cond_dim (vectors), not both.")
        c, h, _ = image_shape
        n_up, base = _plan(h)
        self.latent_dim = int(latent_dim)
        self.image_shape = image_shape
        self.num_classes = int(num_classes) if num_classes else None
        self.cond_dim = int(cond_dim) if cond_dim else None
        k = self.num_classes or self.cond_dim or 0
        self.name = "cvae" if k else "vae"
        self.beta = float(beta)
        self.binarize = bool(binarize)
        self.blocks = int(blocks)
        self.kl_warmup = int(kl_warmup)
        self.free_bits = float(free_bits)
        self.lr_half_life = int(lr_half_life)
        self.config = {"architecture": self.name, "latent_dim": self.latent_dim, "image_shape": list(image_shape),
                       "width": int(width), "hidden": int(hidden), "num_classes": self.num_classes,
                       "cond_dim": self.cond_dim, "beta": self.beta, "binarize": self.binarize}
        # recorded only when set, so the configs of plain VAEs (and their checkpoints) stay as they were
        for key, value, off in (("blocks", self.blocks, 0), ("kl_warmup", self.kl_warmup, 0),
                                ("free_bits", self.free_bits, 0.0), ("lr_half_life", self.lr_half_life, 0)):
            if value != off:
                self.config[key] = value
        enc: list[nn.Module] = []
        ch_in, ch = c, int(width)
        for _ in range(n_up):
            enc += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.ReLU(True), *(ResBlock(ch) for _ in range(self.blocks))]
            ch_in, ch = ch, ch * 2
        self._top = (ch_in, base, base)
        flat = ch_in * base * base
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        hidden = int(hidden)
        head_in = hidden if hidden else flat + k
        self.enc_fc = nn.Sequential(nn.Linear(flat + k, hidden), nn.ReLU(True)) if hidden else nn.Identity()
        self.enc_mu = nn.Linear(head_in, self.latent_dim)
        self.enc_logvar = nn.Linear(head_in, self.latent_dim)
        fc: list[nn.Module] = [nn.Linear(self.latent_dim + k, hidden), nn.ReLU(True)] if hidden else []
        self.dec_fc = nn.Sequential(*fc, nn.Linear(hidden or self.latent_dim + k, flat), nn.ReLU(True))
        dec: list[nn.Module] = []
        ch = ch_in
        for i in range(n_up):
            out = c if i == n_up - 1 else ch // 2
            dec += [*(ResBlock(ch) for _ in range(self.blocks)), nn.ConvTranspose2d(ch, out, 4, 2, 1)]
            if i < n_up - 1:
                dec.append(nn.ReLU(True))
            ch = out
        self.decoder = nn.Sequential(*dec)

    # ------------------------------------------------------------------------------------ pieces
    def condition_vector(self, cond: torch.Tensor | None) -> torch.Tensor | None:
        """Labels ``[N]`` int64 -> one-hot ``[N, num_classes]`` float32; vectors pass through; None -> None."""
        if cond is None:
            return None
        if not cond.is_floating_point():
            return F.one_hot(cond.long(), self.num_classes).to(torch.float32)
        return cond.to(torch.float32)

    def posterior(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x, y): ``x [N, C, H, W]`` in [0, 1] -> ``(mu, logvar)``, each ``[N, latent_dim]`` float32."""
        h = self.encoder(x)
        if cond is not None:
            h = torch.cat([h, cond], dim=1)
        h = self.enc_fc(h)
        return self.enc_mu(h), self.enc_logvar(h)

    def decoder_logits(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """p(x|z, y): ``z [N, D]`` -> Bernoulli logits ``[N, C, H, W]``."""
        if cond is not None:
            z = torch.cat([z, cond], dim=1)
        return self.decoder(self.dec_fc(z).view(-1, *self._top))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None,
                eps: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass with the reparameterisation trick: returns ``(logits, mu, logvar)``.

        ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)`` (from torch's global RNG unless given).
        *cond* is already a float vector (see :meth:`condition_vector`).
        """
        mu, logvar = self.posterior(x, cond)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decoder_logits(z, cond), mu, logvar

    # ------------------------------------------------------------------------------ contract hooks
    def _decode(self, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        return torch.sigmoid(self.decoder_logits(z, self.condition_vector(condition)))

    def _encode(self, images: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        return self.posterior(images, self.condition_vector(condition))[0]

    # ------------------------------------------------------------------------------------- bounds
    @torch.no_grad()
    def negative_elbo(self, x: torch.Tensor, condition: Any = None,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Single-sample negative ELBO of binary images (Kingma & Welling 2013), in nats per image.

        Args:
            x: ``[N, C, H, W]`` float32 with values 0 or 1 (binarized images: a true likelihood).
            condition: the CVAE's labels ``[N]`` / vectors ``[N, K]`` (``None`` for the VAE).
            generator: CPU generator for the posterior sample (torch's global RNG when ``None``).

        Returns:
            ``(loss, recon, kl)``, each ``[N]`` float32 on the model's device (see :func:`negative_elbo`).
        """
        cond = self.condition_vector(condition)
        mu, logvar = self.posterior(x, cond)
        eps = torch.randn(mu.shape, generator=generator).to(mu.device)
        return negative_elbo(self.decoder_logits(mu + torch.exp(0.5 * logvar) * eps, cond), x, mu, logvar)

    @torch.no_grad()
    def iwae_bound(self, x: torch.Tensor, condition: Any = None, samples: int = 1000,
                   generator: torch.Generator | None = None, chunk: int = 16) -> torch.Tensor:
        """The importance-weighted bound on -log p(x) (Burda et al. 2015) with *samples* = K posterior samples:
        -log (1/K sum_k p(x|z_k) p(z_k) / q(z_k|x)), z_k ~ q(z|x); K = 1 is the ELBO and it tightens towards
        -log p(x) as K grows.

        Args:
            x: ``[N, C, H, W]`` float32 binary images.
            condition: as in :meth:`negative_elbo`.
            samples: K >= 1.
            generator: CPU generator for the samples.
            chunk: samples decoded per network call per image (memory: chunk * N images at a time).

        Returns:
            ``[N]`` float32, nats per image.

        Raises:
            InvalidInputError: K < 1.
        """
        if not isinstance(samples, int) or samples < 1:
            raise InvalidInputError(f"samples (K) must be an int >= 1, got {samples!r}.")
        cond = self.condition_vector(condition)
        mu, logvar = self.posterior(x, cond)
        std = torch.exp(0.5 * logvar)
        n, d = mu.shape
        total = torch.full((n,), -math.inf, device=mu.device)
        for start in range(0, samples, chunk):
            s = min(chunk, samples - start)
            eps = torch.randn((s, n, d), generator=generator).to(mu.device)
            z = (mu + std * eps).reshape(s * n, d)
            c = None if cond is None else cond.repeat(s, 1)
            logits = self.decoder_logits(z, c)
            log_px = -F.binary_cross_entropy_with_logits(logits, x.repeat(s, 1, 1, 1), reduction="none").flatten(1).sum(1)
            log_pz = -0.5 * (eps * std + mu).pow(2).sum(2) - 0.5 * d * math.log(2 * math.pi)
            log_qz = -0.5 * (eps.pow(2) + logvar).sum(2) - 0.5 * d * math.log(2 * math.pi)
            log_w = log_px.view(s, n) + log_pz - log_qz
            total = torch.logaddexp(total, torch.logsumexp(log_w, 0))
        return -(total - math.log(samples))

    def training_step(self, lr: float | None = None, **options: Any) -> "VAETrainingStep":
        """The per-iteration update used by ``genart train`` (see :class:`VAETrainingStep`)."""
        return VAETrainingStep(self, lr=lr, **options)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per latent dimension, in nats: ``[N, D]`` float32,
    -1/2 (1 + logvar - mu^2 - exp(logvar)) (Kingma & Welling 2013, appendix B)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def negative_elbo(logits: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-image negative ELBO under a Bernoulli likelihood, in nats.

    Args:
        logits: decoder logits ``[N, C, H, W]``.
        target: ``[N, C, H, W]`` in [0, 1] (binary for a true likelihood).
        mu, logvar: posterior parameters ``[N, D]``.
        beta: KL weight.

    Returns:
        ``(loss, recon, kl)``, each ``[N]`` float32: recon = -log p(x|z) = sum BCE over pixels,
        kl = KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar)), loss = recon + beta*kl.
    """
    recon = F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).sum(1)
    kl = gaussian_kl(mu, logvar).sum(1)
    return recon + beta * kl, recon, kl


def kl_objective(kl_dims: torch.Tensor, free_bits: float = 0.0) -> torch.Tensor:
    """The KL term a training step minimises, from per-dimension KLs ``[N, D]`` (nats): the batch mean of
    the summed KL, or with *free_bits* lambda > 0 the sum over dimensions of max(lambda, batch-mean KL_j)
    (Kingma et al. 2016, eq. 15; a dimension below lambda gets no gradient towards the prior). A scalar."""
    per_dim = kl_dims.mean(0)
    if free_bits > 0:
        per_dim = torch.clamp(per_dim, min=float(free_bits))
    return per_dim.sum()


class VAETrainingStep:
    """One VAE iteration: minimise the mean over the batch of the negative ELBO with Adam (lr 1e-3 by
    default). With ``model.binarize`` the batch is dynamically binarized first (torch's global RNG).

    The objective is recon + w_t * KL: w_t = beta, or with ``model.kl_warmup`` = W the warm-up
    beta * min(1, (t + 1) / W) at step t; with ``model.free_bits`` the KL term is :func:`kl_objective`'s.
    With ``model.lr_half_life`` = H the learning rate is lr * 0.5 ** (t / H). The step count t is read from
    the optimizer's own state (Adam's per-parameter ``step``), which ``--resume`` restores, so a resumed run
    follows the same schedule as an uninterrupted one. Reported losses are the true negative ELBO (beta-
    weighted when beta != 1), recon and KL, in nats per image, whatever the objective's shaping."""

    default_lr = 1e-3

    def __init__(self, model: VAE, lr: float | None = None) -> None:
        self.model = model
        self.modules: dict[str, nn.Module] = {"vae": model}
        self.base_lr = float(lr or self.default_lr)
        self.optimizers = {"vae": torch.optim.Adam(model.parameters(), lr=self.base_lr)}
        self.run = dict(self.modules)

    def wrap(self, fn: Any) -> None:
        """Wrap the trainable module (e.g. in DistributedDataParallel): ``fn(module) -> module``."""
        self.run = {k: fn(m) for k, m in self.modules.items()}

    def steps_done(self) -> int:
        """Optimizer steps taken so far (0 before the first), from Adam's state (restored by ``--resume``)."""
        for state in self.optimizers["vae"].state.values():
            if "step" in state:
                return int(state["step"])
        return 0

    def kl_weight(self, t: int) -> float:
        """The KL weight of the objective at step *t* (0-based): beta, warmed up over ``kl_warmup`` steps."""
        m = self.model
        return m.beta * min(1.0, (t + 1) / m.kl_warmup) if m.kl_warmup else m.beta

    def learning_rate(self, t: int) -> float:
        """The learning rate at step *t* (0-based): lr, halved every ``lr_half_life`` steps when set."""
        h = self.model.lr_half_life
        return self.base_lr * 0.5 ** (t / h) if h else self.base_lr

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One step on ``images [B, C, H, W]`` float32 in [0, 1], ``labels [B]`` int64 -> losses (nats/image)."""
        m = self.model
        t = self.steps_done()
        x = torch.bernoulli(images) if m.binarize else images
        cond = m.condition_vector(labels) if m.num_classes else None
        opt = self.optimizers["vae"]
        if m.lr_half_life:
            for group in opt.param_groups:
                group["lr"] = self.learning_rate(t)
        opt.zero_grad(set_to_none=True)
        logits, mu, logvar = self.run["vae"](x, cond)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        kl_dims = gaussian_kl(mu, logvar)
        w = self.kl_weight(t)
        if m.free_bits:
            objective = recon.mean() + w * kl_objective(kl_dims, m.free_bits)
        else:  # the plain ELBO, computed exactly as the earlier shipped runs were (same bits on resume)
            objective = (recon + w * kl_dims.sum(1)).mean()
        objective.backward()
        opt.step()
        kl = kl_dims.detach().sum(1)
        loss = recon.detach() + m.beta * kl
        return {"loss": float(loss.mean()), "recon": float(recon.detach().mean()), "kl": float(kl.mean())}


# ------------------------------------------------------------------------------------------ loaders

_DEFAULTS = {"latent_dim": 16, "image_shape": (1, 28, 28), "width": 32, "hidden": 128}


def load_vae(checkpoint: Any = None, device: Any = None, **options: Any) -> VAE:
    """Registry loader for the ``vae`` architecture (untrained unless *checkpoint* is given).

    Options: ``latent_dim`` (16), ``image_shape`` ((1, 28, 28)), ``width`` (32), ``hidden`` (128),
    ``beta`` (1.0), ``binarize`` (False). Raises CheckpointError for unsafe or mismatched checkpoints.
    """
    if options.pop("num_classes", None) is not None:
        raise InvalidInputError("'vae' is unconditional: num_classes (--num-classes) is an option of 'cvae'; "
                                "train cvae for a class-conditional model, or drop the option.")
    return build_model(VAE, "vae", checkpoint=checkpoint, device=device, defaults=_DEFAULTS, declared=CVAE_OPTIONS, options=options)


def load_cvae(checkpoint: Any = None, device: Any = None, **options: Any) -> VAE:
    """Registry loader for the ``cvae`` architecture (``num_classes`` default 10, or ``cond_dim``)."""
    defaults = dict(_DEFAULTS, num_classes=None if options.get("cond_dim") else 10)
    return build_model(VAE, "cvae", checkpoint=checkpoint, device=device, defaults=defaults, declared=CVAE_OPTIONS, options=options)


MNIST_CLASS_NAMES = tuple(str(d) for d in range(10))


def _weights(name: str) -> str:
    from genart_kit.checkpoint import shipped_weights

    return shipped_weights(__file__, name)


def load_pretrained_vae_mnist(checkpoint: Any = None, device: Any = None, **options: Any) -> VAE:
    """``vae-mnist``: the shipped conv VAE trained on MNIST by ``genart train`` (see its config's ``command``)."""
    return build_model(VAE, "vae", checkpoint=checkpoint or _weights("vae-mnist"), device=device,
                       defaults=_DEFAULTS, declared=CVAE_OPTIONS, options=options, name="vae-mnist")


def load_pretrained_cvae_mnist(checkpoint: Any = None, device: Any = None, **options: Any) -> VAE:
    """``cvae-mnist``: the shipped conditional VAE trained on MNIST (labels 0-9)."""
    model = build_model(VAE, "cvae", checkpoint=checkpoint or _weights("cvae-mnist"), device=device,
                       defaults=dict(_DEFAULTS, num_classes=10), declared=CVAE_OPTIONS, options=options, name="cvae-mnist")
    model.class_names = MNIST_CLASS_NAMES  # prompts reach it through the text conditioner's digit head
    model.label_set = "mnist-digits"
    return model
