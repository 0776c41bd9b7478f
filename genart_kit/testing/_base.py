"""The common part of the contract classes, and test frames (imports torch)."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Sequence

import pytest
import torch

from ..registry import Entry, Registry
from .fakes import tiny_model


def frames_for(shape: Sequence[int] = (3, 16, 16), n: int = 6, seed: int = 0) -> torch.Tensor:
    """Smooth, colourful, seeded test frames ``[n, C, H, W]`` float32 in [0, 1] (C in 1, 3, 4; any H, W),
    decoded by :class:`~genart_kit.testing.fakes.TinyModel`; C = 4 gets a horizontal alpha ramp."""
    c, h, w = (int(v) for v in shape)
    model = tiny_model(size=max(h, w), channels=1 if c == 1 else 3)
    frames = model.decode(model.sample_latents(n, seed=seed))[:, :, :h, :w]
    if c == 4:
        alpha = torch.linspace(0.0, 1.0, w).expand(n, 1, h, w)
        frames = torch.cat([frames, alpha], dim=1)
    return frames.contiguous()


class Contract:
    """Base of the contract classes.

    Class attributes (set them in the ``Test*`` subclass):
        plugin: the plugin under test: a module (or object) with ``@hookimpl`` functions, a list of them, or
            ``()`` for the toolkit's built-in parts only; or override the ``genart_plugin`` fixture instead.
        name: the registered name of the part under test.
        options: keyword options for the part (model/renderer options, op arguments, exporter write options,
            conditioner loader options).
    """

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Any]] = {}

    def entry(self, registry: Registry) -> Entry:
        """The registry entry of :attr:`name` (the test fails with a hint when it is not set)."""
        if not self.name:
            pytest.fail(f"{type(self).__name__}: set name = '...', the {self.kind} name your plugin registers")
        return registry.get(self.kind, self.name)

    def test_plugin_loads_cleanly(self, genart_registry: Registry) -> None:
        entry = self.entry(genart_registry)
        assert entry.description.strip(), f"register {self.kind} '{self.name}' with a one-line description="
        failed = [reason for e, reason in genart_registry.verify_loaders() if e.plugin == entry.plugin]
        assert not failed, "loaders that do not resolve (what `genart --strict plugins` reports): " + "; ".join(failed)
