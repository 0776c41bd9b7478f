"""Regenerate ``mnist_test_digits.safetensors``: 100 real MNIST *test* digits (the first 10 of each class).

Run from the project root: ``python genart_kit/latent/data/make_mnist_digits.py [MNIST_DIR]`` (default
``../shared/datasets/mnist``, IDX gzip files). MNIST: Y. LeCun, C. Cortes, C. J. C. Burges, CC BY-SA 3.0.
The file holds ``images`` uint8 ``[100, 28, 28]`` and ``labels`` int64 ``[100]``, sorted by label and then
by test-set index, and ``test_index`` int64 ``[100]`` (position in the 10,000-image test set).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX (optionally gzip) file into a numpy array (big-endian header, uint8 payload)."""
    data = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/mnist")
    images = read_idx(root / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(root / "t10k-labels-idx1-ubyte.gz")
    picks = np.concatenate([np.flatnonzero(labels == d)[:10] for d in range(10)])
    out = Path(__file__).with_name("mnist_test_digits.safetensors")
    save_file(
        {
            "images": np.ascontiguousarray(images[picks]),
            "labels": labels[picks].astype(np.int64),
            "test_index": picks.astype(np.int64),
        },
        str(out),
        metadata={"source": "MNIST test set (LeCun, Cortes, Burges), CC BY-SA 3.0", "selection": "first 10 of each class"},
    )
    print(out, out.stat().st_size)


if __name__ == "__main__":
    main()
