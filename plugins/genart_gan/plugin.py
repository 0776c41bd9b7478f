"""Registers the GAN architectures and the shipped MNIST GANs (string loaders: no torch import here)."""

from __future__ import annotations

from genart_kit import hookimpl

from .options import CGAN_OPTIONS, GAN_OPTIONS, TGAN_OPTIONS


@hookimpl
def register_models(register):
    """Register ``gan``/``cgan``/``tgan`` (trainable architectures) and ``gan-mnist``/``cgan-mnist``/``gan-emoji``
    (pretrained)."""
    register("gan-mnist", "genart_gan.model:load_pretrained_gan_mnist",
             description="DCGAN trained on MNIST digits (shipped weights)", latent_dim=64, image_shape=(1, 28, 28),
             conditional=False, num_classes=None, ready=True, trainable=False, options=())
    register("cgan-mnist", "genart_gan.model:load_pretrained_cgan_mnist",
             description="class-conditional DCGAN trained on MNIST, --label 0-9 (shipped weights)", latent_dim=64,
             image_shape=(1, 28, 28), conditional=True, num_classes=10, ready=True, trainable=False, options=())
    register("gan", "genart_gan.model:load_gan",
             description="DCGAN architecture (Radford et al. 2015) for genart train; 28/32/64/128 px, grayscale or RGB",
             latent_dim=64, image_shape=(1, 28, 28), conditional=False, num_classes=None, ready=False,
             trainable=True, options=GAN_OPTIONS)
    register("cgan", "genart_gan.model:load_cgan",
             description="class-conditional DCGAN (Mirza & Osindero 2014) for genart train", latent_dim=64,
             image_shape=(1, 28, 28), conditional=True, num_classes=10, ready=False, trainable=True, options=CGAN_OPTIONS)
    register("tgan", "genart_gan.textgan:load_tgan",
             description="text-conditioned GAN (projection D, spectral norm, DiffAugment, EMA) for genart train on "
                         "a captioned data set (--data emoji)", latent_dim=64, image_shape=(3, 64, 64),
             conditional=True, num_classes=None, cond_dim=384, ready=False, trainable=True, options=TGAN_OPTIONS)
    register("gan-emoji", "genart_gan.textgan:load_pretrained_gan_emoji",
             description="text-to-emoji GAN trained on Noto Color Emoji, 64 px colour (shipped weights): "
                         "--prompt \"a cute kitten\"", latent_dim=64, image_shape=(3, 64, 64), conditional=True,
             num_classes=None, cond_dim=384, ready=True, trainable=False, options=())
