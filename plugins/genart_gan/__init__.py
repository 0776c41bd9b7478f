"""genart-kit's first-party GAN plugin: DCGAN (Radford et al. 2015) and class-conditional GAN (Mirza &
Osindero 2014), with shipped MNIST weights ``gan-mnist`` and ``cgan-mnist``.

Light on purpose (no torch import): the models live in :mod:`genart_gan.model`, registered by
:mod:`genart_gan.plugin`.
"""
