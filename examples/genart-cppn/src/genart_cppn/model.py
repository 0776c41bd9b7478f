"""The CPPN model: a compositional pattern-producing network rendered at any resolution.

A CPPN (Stanley, "Compositional pattern producing networks: A novel abstraction of development", Genetic
Programming and Evolvable Machines 8(2), 2007) is a function of pixel coordinates built from smooth
activations. With fixed random weights it is the classic generative-art pattern generator (e.g. Ha,
"Generating abstract patterns with TensorFlow", blog.otoro.net, 2016). Here, for every pixel::

    x, y in [-scale, scale]  (the frame's centre is 0; x grows to the right, y downwards)
    r = sqrt(x^2 + y^2)
    h_1 = tanh(W_c [x, y, r] + W_z z + b_1)          z: the latent vector [D]
    h_k = act_k(W_k h_{k-1} + b_k)                   act cycles sin, gaussian 2 exp(-h^2) - 1, tanh
    rgb = sigmoid(W_out h_L)

The weights are drawn once from N(0, 1) scaled per layer (see :func:`init_weights`) with ``weights_seed``:
nothing is trained and no weights are shipped. Moving z moves colours and shapes smoothly, so every latent
op of genart-kit (lerp, slerp, noise loops, walks) gives smooth animations.

Decoding is one matmul per layer over a fixed-size block of pixel rows (``[pixel_block, hidden]``, float32),
for all frames at once: memory stays bounded whatever the size (4096 px included) and every pixel meets the
same arithmetic whatever the batch, so decoding is batch-independent bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from genart_kit.errors import InvalidInputError
from genart_kit.generative import GenerativeModel, seeded_generator

from .plugin import CPPN_OPTIONS

__all__ = ["CPPN", "load", "init_weights", "coordinate_features", "ACTIVATIONS"]


def _sin(h: torch.Tensor) -> torch.Tensor:
    """``sin(h)``, in place."""
    return h.sin_()


def _gaussian(h: torch.Tensor) -> torch.Tensor:
    """Centred gaussian bump ``2 exp(-h^2) - 1`` in (-1, 1], in place (zero-mean-ish, so colours do not drift
    to one hue)."""
    return h.square_().neg_().exp_().mul_(2.0).sub_(1.0)


def _tanh(h: torch.Tensor) -> torch.Tensor:
    """``tanh(h)``, in place."""
    return h.tanh_()


#: activation of hidden layer k >= 2 is ``ACTIVATIONS[(k - 2) % 3]``; the first layer is tanh
ACTIVATIONS = (_sin, _gaussian, _tanh)

#: the coordinate part of layer 1 (``W_c [x, y, r]`` for every pixel, ``[H*W, hidden]``) is computed once per
#: size and kept while it holds at most this many floats (64 MiB: up to 724 px at hidden=32); above, it is
#: computed block by block (the same arithmetic, so the same bits)
TABLE_LIMIT = 1 << 24

#: pixel rows per network call: fixed per device, so results never depend on the batch (the last block is
#: padded); about 1 MiB of activations per block on the CPU (cache-friendly), large blocks on a GPU
PIXEL_BLOCK = {"cpu": 8192, "cuda": 1 << 20}


def init_weights(latent_dim: int, hidden: int, layers: int, seed: int) -> dict[str, torch.Tensor]:
    """Draw the CPPN's fixed random weights (float32, CPU) from a CPU generator seeded with *seed*.

    Scales, tuned by eye for colourful, smooth pictures: coordinates N(0, 1) (a few bands across the frame at
    ``scale=1``), latent N(0, 1/D) (a unit-norm change of z moves the picture by about one coordinate
    unit), hidden N(0, 1/hidden) (activations stay in the smooth part of tanh/sin), biases N(0, 0.5^2), output
    N(0, 3^2/hidden) (saturated colours, not a grey sigmoid(0)).

    Returns:
        ``{"coord": [3, hidden], "latent": [D, hidden], "bias0": [hidden], "w1".."w{L-1}": [hidden, hidden],
        "b1"..: [hidden], "out": [hidden, 3], "out_bias": [3]}``.
    """
    g = seeded_generator(seed)

    def normal(*shape: int, std: float) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.float32) * std

    w = {
        "coord": normal(3, hidden, std=2.5),
        "latent": normal(latent_dim, hidden, std=1.5 / math.sqrt(latent_dim)),
        "bias0": normal(hidden, std=0.5),
    }
    for k in range(1, layers):
        w[f"w{k}"] = normal(hidden, hidden, std=2.0 / math.sqrt(hidden))
        w[f"b{k}"] = normal(hidden, std=0.5)
    w["out"] = normal(hidden, 3, std=3.0 / math.sqrt(hidden))
    w["out_bias"] = torch.zeros(3)
    return w


def coordinate_features(height: int, width: int, scale: float, device: Any = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates of a ``height x width`` frame.

    The shorter side spans ``[-scale, scale]`` (pixels are square; the centre is 0).

    Returns:
        ``(ys [height], xs [width])`` float32 on *device*; pixel ``(i, j)`` has ``y = ys[i]``, ``x = xs[j]``.
    """
    half = min(height, width) / 2.0
    ys = (torch.arange(height, dtype=torch.float64) + 0.5 - height / 2.0) / half * scale
    xs = (torch.arange(width, dtype=torch.float64) + 0.5 - width / 2.0) / half * scale
    return ys.to(device=device, dtype=torch.float32), xs.to(device=device, dtype=torch.float32)


class CPPN(GenerativeModel):
    """A random-weight CPPN: latents ``[N, latent_dim]`` -> RGB frames ``[N, 3, size, size]`` in [0, 1].

    Args:
        size: output side in pixels (8..4096).
        latent_dim: D.
        hidden: units per hidden layer.
        layers: number of hidden layers (>= 1).
        weights_seed: seed of the fixed random weights.
        scale: zoom of the coordinate plane (> 0).

    Raises:
        InvalidInputError: an option outside its declared range (see :data:`genart_cppn.plugin.CPPN_OPTIONS`).

    The weights are parameters with ``requires_grad=False`` so ``.to(device)`` and ``state_dict()`` carry them;
    ``config`` rebuilds the same model (``CPPN(**model.config)``).
    """

    name = "cppn"
    #: frames per :meth:`_decode` call: all of them (the pixel blocks bound memory, not frame blocks)
    decode_block = 0

    def __init__(self, size: int = 256, latent_dim: int = 8, hidden: int = 32, layers: int = 4,
                 weights_seed: int = 0, scale: float = 1.0) -> None:
        super().__init__()
        values = {"size": size, "latent_dim": latent_dim, "hidden": hidden, "layers": layers,
                  "weights_seed": weights_seed, "scale": scale}
        for opt in CPPN_OPTIONS:
            values[opt.name] = opt.check(values[opt.name], where="cppn option")
        self.config = dict(values)
        self.size = int(values["size"])
        self.latent_dim = int(values["latent_dim"])
        self.image_shape = (3, self.size, self.size)
        self.hidden = int(values["hidden"])
        self.layers = int(values["layers"])
        self.scale = float(values["scale"])
        weights = init_weights(self.latent_dim, self.hidden, self.layers, int(values["weights_seed"]))
        self.weights = torch.nn.ParameterDict({k: torch.nn.Parameter(v, requires_grad=False) for k, v in weights.items()})
        self._coords: dict[tuple[int, int, str], tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = {}

    # --------------------------------------------------------------------------------------- helpers
    def pixel_block(self) -> int:
        """Pixel rows per network call on the model's device (see :data:`PIXEL_BLOCK`)."""
        return PIXEL_BLOCK.get(self.device.type, PIXEL_BLOCK["cpu"])

    def _coord_part(self, pix: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, width: int) -> torch.Tensor:
        """``W_c [x, y, r]`` for the flat pixel indices *pix* ``[P]`` -> ``[P, hidden]`` float32."""
        wc = self.weights["coord"]
        y, x = ys[pix // width, None], xs[pix % width, None]
        r = torch.sqrt(x * x + y * y)
        return x * wc[0] + y * wc[1] + r * wc[2]

    def _coordinates(self, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(ys, xs, table)`` for this size and device, computed once per size (the last size is kept):
        :func:`coordinate_features` and the ``[H*W, hidden]`` coordinate part of layer 1 (``None`` above
        :data:`TABLE_LIMIT`)."""
        key = (height, width, str(self.device))
        if key not in self._coords:
            ys, xs = coordinate_features(height, width, self.scale, self.device)
            hw, table = height * width, None
            if hw * self.hidden <= TABLE_LIMIT:
                block = self.pixel_block()
                table = torch.cat([self._coord_part(torch.arange(s, min(s + block, hw), device=self.device), ys, xs, width)
                                   for s in range(0, hw, block)])
            self._coords = {key: (ys, xs, table)}
        return self._coords[key]

    def _mlp(self, h: torch.Tensor) -> torch.Tensor:
        """Hidden layers 2..L and the RGB head: ``h [P, hidden]`` (after layer 1) -> ``[P, 3]`` in (0, 1)."""
        w = self.weights
        for k in range(1, self.layers):
            h = ACTIVATIONS[(k - 1) % 3](torch.addmm(w[f"b{k}"], h, w[f"w{k}"]))
        return torch.addmm(w["out_bias"], h, w["out"]).sigmoid_()

    # ---------------------------------------------------------------------------------------- decode
    def render(self, latents: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """Render latents ``[N, D]`` (already checked: float32 on the device) at ``height x width``.

        The ``N * H * W`` pixel rows are run through the MLP in blocks of exactly :meth:`pixel_block` rows (the
        last one padded by repeating its final row): memory is bounded by one block (plus the output) and a
        pixel's arithmetic does not depend on N.

        Returns:
            float32 frames ``[N, 3, height, width]`` in (0, 1).
        """
        w = self.weights
        n, hw = latents.shape[0], height * width
        ys, xs, table = self._coordinates(height, width)
        # latent part of layer 1, elementwise (no matmul over N: the same bits whatever N is)
        zproj = w["bias0"].expand(n, -1).clone()
        for d in range(self.latent_dim):
            zproj.add_(latents[:, d:d + 1] * w["latent"][d])
        total, block = n * hw, self.pixel_block()
        out = torch.empty(total, 3, device=latents.device, dtype=torch.float32)
        for start in range(0, total, block):
            stop = min(start + block, total)
            frame, p0 = divmod(start, hw)
            if table is not None and p0 + block <= hw:  # inside one frame: a slice, no gather
                h = table[p0:p0 + block] + zproj[frame]
            else:
                idx = torch.arange(start, start + block, device=latents.device).clamp_(max=total - 1)
                frames, pix = idx // hw, idx % hw
                coords = table[pix] if table is not None else self._coord_part(pix, ys, xs, width)
                h = coords + zproj[frames]
            out[start:stop] = self._mlp(h.tanh_())[: stop - start]
        return out.view(n, height, width, 3).permute(0, 3, 1, 2).contiguous()

    def _decode(self, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """``z [N, D]`` -> frames ``[N, 3, size, size]`` (see :meth:`render`)."""
        return self.render(z, self.size, self.size)

    def extra_repr(self) -> str:  # nn.Module printing
        return ", ".join(f"{k}={v}" for k, v in self.config.items())


def load(checkpoint: Any = None, device: Any = None, **options: Any) -> CPPN:
    """The ``cppn`` loader: ``loader(checkpoint=None, device=None, **options)`` as genart-kit calls it.

    Args:
        checkpoint: must be ``None`` (the CPPN has no weights to load; ``weights_seed`` picks them).
        device: ``"cpu"``, ``"cuda"``, a :class:`torch.device` or ``None`` (CPU).
        **options: see :data:`genart_cppn.plugin.CPPN_OPTIONS` (``size``, ``latent_dim``, ``hidden``,
            ``layers``, ``weights_seed``, ``scale``).

    Returns:
        a :class:`CPPN` in eval mode on *device*.

    Raises:
        InvalidInputError: a checkpoint was given, or an unknown / out-of-range option.
    """
    if checkpoint is not None:
        raise InvalidInputError("the cppn model has no checkpoint: its weights are drawn from weights_seed; drop --checkpoint.")
    known = {opt.name for opt in CPPN_OPTIONS}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidInputError(f"cppn has no option '{unknown[0]}'. Valid options: {', '.join(sorted(known))}.")
    model = CPPN(**options).eval()
    return model.to(torch.device(device) if device is not None else torch.device("cpu"))

