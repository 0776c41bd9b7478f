"""genart-kit's first-party VAE plugin: convolutional VAE (Kingma & Welling 2013) and conditional VAE (Sohn
et al. 2015), with shipped MNIST weights ``vae-mnist`` and ``cvae-mnist``.

Light on purpose (no torch import): the models live in :mod:`genart_vae.model`, registered by
:mod:`genart_vae.plugin`.
"""
