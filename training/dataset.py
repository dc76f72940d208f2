"""The training set: normalised 32x32 cells and class indices, built from a seed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from infra.ocr.handchars import SIZE, normalise_cell
from training import cells, glyphs, mnist

KANA_PER_CLASS = 300
KANJIVG_DIGITS_PER_CLASS = 100
MNIST_COPIES = 4
BLANKS = 1000
VERSION = 3  # of what `build` draws: bump it when the data changes, so `cached` rebuilds
CLASS_INDEX = {char: i for i, char in enumerate(glyphs.CLASSES)}


def _add(
    images: list[NDArray[np.float32]], labels: list[int], gray: cells.Gray, label: int
) -> None:
    normal = normalise_cell(gray)
    if normal is not None:  # a blank cell made by a scan look with no ink at all is not a sample
        images.append(normal)
        labels.append(label)


def build(
    seed: int, cache: Path, scale: float = 1.0
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """`scale` < 1 draws fewer of each (a quick check set)."""
    rng = np.random.default_rng(seed)
    images: list[NDArray[np.float32]] = []
    labels: list[int] = []
    index = {char: i for i, char in enumerate(glyphs.CLASSES)}
    pen, look = glyphs.TRAIN_PEN, cells.TRAIN_LOOK
    for char in glyphs.CLASSES[1:]:
        count = KANJIVG_DIGITS_PER_CLASS if char in glyphs.DIGITS else KANA_PER_CLASS
        count = max(round(count * scale), 1)
        for _ in range(count):
            gray = glyphs.write(char, rng, pen, cells.jitter_cell_size(rng))
            _add(images, labels, cells.scan_look(rng, gray, look), index[char])
    digits, digit_labels = mnist.digits(cache, "train")
    copies = MNIST_COPIES if scale >= 1 else 1
    step = 1 if scale >= 1 else round(1 / scale)
    for _ in range(copies):
        for digit, label in zip(digits[::step], digit_labels[::step], strict=True):
            gray = cells.mnist_cell(rng, digit, pen, cells.jitter_cell_size(rng))
            _add(images, labels, cells.scan_look(rng, gray, look), index[str(label)])
    blank_look = cells.ScanLook(specks=6, border_remnant=0.9)
    for _ in range(max(round(BLANKS * scale), 1)):
        gray = cells.blank_cell(rng, cells.jitter_cell_size(rng))
        _add(images, labels, cells.scan_look(rng, gray, blank_look), index[""])
    x = np.stack(images).reshape(-1, 1, SIZE, SIZE).astype(np.float32)
    return x, np.asarray(labels, dtype=np.int64)


def cached(seed: int, cache: Path) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """`build(seed)`, kept under `cache` by seed and version: a second run that changes only
    the training (not the data) skips the rendering, most of `make train`'s time."""
    path = cache / f"cells-v{VERSION}-seed{seed}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["x"], data["y"]
    x, y = build(seed, cache / "mnist")
    np.savez(path, x=x, y=y)
    return x, y


# The kana the model confuses most when the pen is thin (docs/MODEL_CARD.md): dakuten against
# handakuten, and pairs told apart by a stroke's angle or a small mark.
CONFUSABLE = "ハヒフヘホバビブベボパピプペポソンシツテデ"
# The thinner half of the training pen's widths: the marks that tell ブ from プ are smallest
# there. A sub-range of `TRAIN_PEN`, so the held-out pens stay outside what is trained on.
CONFUSABLE_PEN = replace(glyphs.TRAIN_PEN, width=(glyphs.TRAIN_PEN.width[0], 0.06))


def confusable(
    seed: int, per_class: int, cache: Path
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Extra cells of the `CONFUSABLE` kana for a fine-tune, kept under `cache` like `cached`."""
    path = cache / f"confusable-v{VERSION}-seed{seed}-{per_class}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["x"], data["y"]
    rng = np.random.default_rng(seed)
    images: list[NDArray[np.float32]] = []
    labels: list[int] = []
    for char in CONFUSABLE:
        for _ in range(per_class):
            gray = glyphs.write(char, rng, CONFUSABLE_PEN, cells.jitter_cell_size(rng))
            _add(images, labels, cells.scan_look(rng, gray, cells.TRAIN_LOOK), CLASS_INDEX[char])
    x = np.stack(images).reshape(-1, 1, SIZE, SIZE).astype(np.float32)
    y = np.asarray(labels, dtype=np.int64)
    np.savez(path, x=x, y=y)
    return x, y
