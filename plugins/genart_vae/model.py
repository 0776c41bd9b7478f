"""Convolutional VAE and conditional VAE (CVAE) for genart-kit.

Sources:
* Kingma & Welling 2013, "Auto-Encoding Variational Bayes" (arXiv:1312.6114): Gaussian encoder
  q(z|x) = N(mu(x), diag(sigma(x)^2)), prior N(0, I), reparameterisation z = mu + sigma * eps, and the ELBO
  E_q[log p(x|z)] - KL(q(z|x) || N(0, I)) with the closed-form Gaussian KL.
* Higgins et al. 2017 (beta-VAE): optional weight ``beta`` on the KL term (beta = 1 is the ELBO).
* Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep Conditional Generative
  Models" (NeurIPS): the CVAE, q(z|x, y) and p(x|z, y) both see the condition y (one-hot label or a
  conditioning vector); here with the prior p(z|y) = N(0, I).

Likelihood: Bernoulli p(x|z) with logits from the decoder (the standard choice for MNIST, so negative ELBO
values are in nats per image and comparable with the literature on binarized MNIST). With
``binarize=True`` training targets are dynamically binarized (x_bin ~ Bernoulli(x)), which makes the model a
proper likelihood model of binarized MNIST. ``decode`` returns the Bernoulli means sigmoid(logits).
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

from .options import CVAE_OPTIONS

__all__ = ["VAE", "VAETrainingStep", "load_vae", "load_cvae", "load_pretrained_vae_mnist",
           "load_pretrained_cvae_mnist", "negative_elbo"]


def _plan(size: int) -> tuple[int, int]:
    n, s = 0, int(size)
    while s > 7 and s % 2 == 0:
        s //= 2
        n += 1
    if n < 1 or not (4 <= s <= 7):
        raise InvalidInputError(f"image size {size} is not supported by the VAE; use 28, 32, 64 or 128 (--image-size 64).")
    return n, s


class VAE(GenerativeModel):
    """Convolutional VAE (Kingma & Welling 2013); with ``num_classes`` / ``cond_dim`` a CVAE (Sohn et al. 2015).

    Encoder: n_up stride-2 Conv(4x4) + ReLU layers (channels width, 2*width, ...), flatten, concat the
    condition, Linear(hidden) + ReLU, then Linear heads for mu and log sigma^2 ``[N, latent_dim]``.
    Decoder: concat(z, condition) -> Linear(hidden) + ReLU -> Linear -> reshape to the last conv map ->
    stride-2 ConvTranspose(4x4) + ReLU layers -> logits ``[N, C, H, W]``.

    Args:
        latent_dim: D.
        image_shape: (C, H, W) with H == W in {28, 32, 64, ...}, C in {1, 3}.
        width: channels of the first conv layer.
        hidden: width of the fully-connected hidden layer.
        num_classes: label count for a CVAE (labels are one-hot encoded).
        cond_dim: conditioning-vector length for a vector-conditional VAE.
        beta: KL weight (1.0 = the ELBO).
        binarize: dynamically binarize training targets (for Bernoulli likelihood on MNIST).
    """

    def __init__(self, latent_dim: int = 16, image_shape: Any = (1, 28, 28), width: int = 32, hidden: int = 128,
                 num_classes: int | None = None, cond_dim: int | None = None, beta: float = 1.0,
                 binarize: bool = False) -> None:
        super().__init__()
        check_option_values({"latent_dim": latent_dim, "width": width, "hidden": hidden, "num_classes": num_classes,
                             "cond_dim": cond_dim, "beta": beta, "binarize": binarize},
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
        self.config = {"architecture": self.name, "latent_dim": self.latent_dim, "image_shape": list(image_shape),
                       "width": int(width), "hidden": int(hidden), "num_classes": self.num_classes,
                       "cond_dim": self.cond_dim, "beta": self.beta, "binarize": self.binarize}
        enc: list[nn.Module] = []
        ch_in, ch = c, int(width)
        for _ in range(n_up):
            enc += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.ReLU(True)]
            ch_in, ch = ch, ch * 2
        self._top = (ch_in, base, base)
        flat = ch_in * base * base
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        self.enc_fc = nn.Sequential(nn.Linear(flat + k, hidden), nn.ReLU(True))
        self.enc_mu = nn.Linear(hidden, self.latent_dim)
        self.enc_logvar = nn.Linear(hidden, self.latent_dim)
        self.dec_fc = nn.Sequential(nn.Linear(self.latent_dim + k, hidden), nn.ReLU(True), nn.Linear(hidden, flat), nn.ReLU(True))
        dec: list[nn.Module] = []
        ch = ch_in
        for i in range(n_up):
            out = c if i == n_up - 1 else ch // 2
            dec.append(nn.ConvTranspose2d(ch, out, 4, 2, 1))
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

    def training_step(self, lr: float | None = None, **options: Any) -> "VAETrainingStep":
        """The per-iteration update used by ``genart train`` (see :class:`VAETrainingStep`)."""
        return VAETrainingStep(self, lr=lr, **options)


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
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return recon + beta * kl, recon, kl


class VAETrainingStep:
    """One VAE iteration: minimise the mean over the batch of the negative ELBO (recon + beta * KL) with Adam
    (lr 1e-3 by default). With ``model.binarize`` the batch is dynamically binarized first (torch's global
    RNG). Reported losses are nats per image."""

    default_lr = 1e-3

    def __init__(self, model: VAE, lr: float | None = None) -> None:
        self.model = model
        self.modules: dict[str, nn.Module] = {"vae": model}
        self.optimizers = {"vae": torch.optim.Adam(model.parameters(), lr=float(lr or self.default_lr))}
        self.run = dict(self.modules)

    def wrap(self, fn: Any) -> None:
        """Wrap the trainable module (e.g. in DistributedDataParallel): ``fn(module) -> module``."""
        self.run = {k: fn(m) for k, m in self.modules.items()}

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One step on ``images [B, C, H, W]`` float32 in [0, 1], ``labels [B]`` int64 -> losses (nats/image)."""
        m = self.model
        x = torch.bernoulli(images) if m.binarize else images
        cond = m.condition_vector(labels) if m.num_classes else None
        opt = self.optimizers["vae"]
        opt.zero_grad(set_to_none=True)
        logits, mu, logvar = self.run["vae"](x, cond)
        loss, recon, kl = negative_elbo(logits, x, mu, logvar, m.beta)
        loss.mean().backward()
        opt.step()
        return {"loss": float(loss.detach().mean()), "recon": float(recon.detach().mean()), "kl": float(kl.detach().mean())}


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
