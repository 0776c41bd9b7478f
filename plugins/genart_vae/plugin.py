"""Registers the VAE architectures and the shipped MNIST VAEs (string loaders: no torch import here)."""

from __future__ import annotations

from genart_kit import hookimpl

from .options import CVAE_OPTIONS, VAE_OPTIONS


@hookimpl
def register_models(register):
    """Register ``vae``/``cvae`` (trainable architectures) and ``vae-mnist``/``cvae-mnist`` (pretrained)."""
    register("vae-mnist", "genart_vae.model:load_pretrained_vae_mnist",
             description="residual convolutional VAE trained on MNIST digits, can encode (shipped weights)", latent_dim=32,
             image_shape=(1, 28, 28), conditional=False, num_classes=None, ready=True, trainable=False, options=())
    register("cvae-mnist", "genart_vae.model:load_pretrained_cvae_mnist",
             description="conditional VAE trained on MNIST, --label 0-9 (shipped weights)", latent_dim=8,
             image_shape=(1, 28, 28), conditional=True, num_classes=10, ready=True, trainable=False, options=())
    register("vae", "genart_vae.model:load_vae",
             description="convolutional VAE architecture (Kingma & Welling 2013) for genart train", latent_dim=16,
             image_shape=(1, 28, 28), conditional=False, num_classes=None, ready=False, trainable=True, options=VAE_OPTIONS)
    register("cvae", "genart_vae.model:load_cvae",
             description="conditional VAE (Sohn et al. 2015) for genart train", latent_dim=16,
             image_shape=(1, 28, 28), conditional=True, num_classes=10, ready=False, trainable=True, options=CVAE_OPTIONS)
