"""The training progress bar: :class:`genart_kit.progress.TrainingProgress` (tqdm), under the name the loop uses."""

from __future__ import annotations

from ..progress import TrainingProgress as ProgressBar

__all__ = ["ProgressBar"]
