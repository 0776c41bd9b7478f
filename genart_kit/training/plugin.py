"""First-party plugin registering the training datasets ``mnist`` and ``folder`` (no torch import here)."""

from __future__ import annotations

from genart_kit import hookimpl


@hookimpl
def register_datasets(register):
    """Register ``mnist`` (torchvision MNIST from a local folder or a download) and ``folder`` (any image folder)."""
    register(
        "mnist",
        "genart_kit.training.data:load_mnist",
        description="MNIST digits, 60k train / 10k test, 1x28x28, labels 0-9 (--data-dir or $GENART_DATA_DIR)",
        image_shape=(1, 28, 28),
        num_classes=10,
        size=60000,
    )
    register(
        "folder",
        "genart_kit.training.data:load_image_folder",
        description="any folder of images (--data path/to/folder), resized + center-cropped, RGB or grayscale",
        image_shape=None,
        num_classes=None,
    )
