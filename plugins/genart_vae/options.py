"""The options of the VAE architectures, declared with their registration (torch-free: read by listings).

``genart train vae|cvae`` builds its architecture flags from these, ``ga.model`` checks them, and the model and
checkpoint loading validate against them.
"""

from __future__ import annotations

from genart_kit.options import Option, strided_image_shape

VAE_OPTIONS = (
    Option("latent_dim", int, 16, "latent dimension D", min=1, max=4096),
    Option("width", int, 32, "conv channel width of the first encoder layer", min=1, max=1024),
    Option("hidden", int, 128, "fully-connected hidden width (0: none, the conv map meets the latent heads)",
           min=0, max=8192),
    Option("blocks", int, 0, "residual blocks at every encoder and decoder resolution (He et al. 2016)",
           min=0, max=16),
    Option("beta", float, 1.0, "weight of the KL term (1.0 = the ELBO; Higgins et al. 2017 for beta > 1)",
           min=1e-12, max=1e6),
    Option("binarize", bool, False, "resample binary pixels x ~ Bernoulli(intensity) every batch (a true likelihood "
           "of binarized MNIST)"),
    Option("kl_warmup", int, 0, "steps over which the KL weight rises from 0 to beta (Bowman et al. 2016; 0: none)",
           min=0, max=10**9, train_only=True),
    Option("free_bits", float, 0.0, "nats per latent dimension the KL term does not push below (Kingma et al. 2016; "
           "0: none)", min=0.0, max=100.0, train_only=True),
    Option("lr_half_life", int, 0, "steps in which the learning rate halves (exponential decay; 0: constant)",
           min=0, max=10**9, train_only=True),
    Option("image_shape", tuple, (1, 28, 28), "(C, H, W) of the images; genart train takes it from the data",
           cli=False, validate=strided_image_shape()),
    Option("cond_dim", int, None, "length of conditioning vectors instead of labels", min=1, max=4096, cli=False),
)

CVAE_OPTIONS = (*VAE_OPTIONS, Option("num_classes", int, None, "number of class labels (default 10 for the conditional architecture)", min=1, max=10000))
