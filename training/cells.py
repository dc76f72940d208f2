"""Cells as a scanner sees them: a character (KanjiVG or MNIST) in a comb cell, with a scan look.

Everything ends in `infra.ocr.handchars.normalise_cell`, the same step the OCR worker runs,
so the training data and the run-time input are normalised by one piece of code.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from training.glyphs import Pen

Gray = NDArray[np.uint8]


@dataclass(frozen=True)
class ScanLook:
    blur: tuple[float, float] = (0.0, 1.2)  # Gaussian radius, pixels of a ~300 dpi cell
    paper: tuple[int, int] = (225, 255)
    ink: tuple[int, int] = (0, 70)
    noise: float = 6.0
    specks: int = 3
    border_remnant: float = 0.3  # chance of a sliver of the printed cell border at an edge
    jpeg: float = 0.5  # chance of JPEG compression, quality 50-90


TRAIN_LOOK = ScanLook()


def mnist_cell(rng: np.random.Generator, digit: NDArray[np.float32], pen: Pen, cell: int) -> Gray:
    """An MNIST digit (28x28 ink) redrawn in a white cell at a writer's size, slant and weight."""
    rows = np.flatnonzero(digit.max(axis=1) > 0.2)
    cols = np.flatnonzero(digit.max(axis=0) > 0.2)
    glyph = Image.fromarray(
        (digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * 255).astype(np.uint8)
    )
    size = float(rng.uniform(*pen.size)) * cell
    scale = size / max(glyph.size)
    glyph = glyph.resize(
        (max(round(glyph.width * scale), 1), max(round(glyph.height * scale), 1)),
        Image.Resampling.BICUBIC,
    )
    shear = float(rng.uniform(*pen.slant)) * (1 if rng.random() < 0.5 else -1) * 0.6
    angle = float(rng.uniform(*pen.rotation)) * (1 if rng.random() < 0.5 else -1) * 0.6
    pad = round(size * 0.4)
    canvas = Image.new("L", (glyph.width + 2 * pad, glyph.height + 2 * pad), 0)
    canvas.paste(glyph, (pad, pad))
    canvas = canvas.transform(
        canvas.size,
        Image.Transform.AFFINE,
        (1, shear, -shear * canvas.height / 2, 0, 1, 0),
        Image.Resampling.BILINEAR,
    ).rotate(angle, Image.Resampling.BILINEAR)
    # MNIST strokes are about 2.5/20 of the digit: thicken or thin towards the pen's width.
    target = float(rng.uniform(*pen.width)) * cell
    now = 2.5 / 20 * size
    if target > now * 1.3:
        canvas = canvas.filter(ImageFilter.MaxFilter(3 if target < now * 2 else 5))
    elif target < now * 0.7:
        canvas = canvas.filter(ImageFilter.MinFilter(3))
    ink = np.asarray(canvas)
    rows = np.flatnonzero(ink.max(axis=1) > 60)
    cols = np.flatnonzero(ink.max(axis=0) > 60)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1][:cell, :cell]
    out = np.zeros((cell, cell), dtype=np.uint8)
    y = int(rng.uniform(0.2, 0.8) * (cell - ink.shape[0]))
    x = int(rng.uniform(0.2, 0.8) * (cell - ink.shape[1]))
    out[y : y + ink.shape[0], x : x + ink.shape[1]] = ink
    return 255 - out


def scan_look(rng: np.random.Generator, cell: Gray, look: ScanLook) -> Gray:
    """Paper tone, lighter ink, blur, noise, specks, a border sliver and JPEG, as scans have."""
    height, width = cell.shape
    paper = float(rng.uniform(*look.paper))
    ink = float(rng.uniform(*look.ink))
    image = paper - (255.0 - cell.astype(np.float32)) / 255.0 * (paper - ink)
    if rng.random() < look.border_remnant:
        thickness = int(rng.integers(1, 4))
        edge = int(rng.integers(4))
        value = float(rng.uniform(0, 90))
        if edge == 0:
            image[:thickness, :] = value
        elif edge == 1:
            image[-thickness:, :] = value
        elif edge == 2:
            image[:, :thickness] = value
        else:
            image[:, -thickness:] = value
    for _ in range(int(rng.integers(0, look.specks + 1))):
        y, x = int(rng.integers(height)), int(rng.integers(width))
        image[y : y + 2, x : x + 2] = float(rng.uniform(0, 150))
    blurred = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(rng.uniform(*look.blur)))
    )
    noisy = np.asarray(blurred, dtype=np.float32) + rng.normal(0, look.noise, (height, width))
    scanned = np.clip(noisy, 0, 255).astype(np.uint8)
    if rng.random() < look.jpeg:
        buffer = io.BytesIO()
        Image.fromarray(scanned).save(buffer, "JPEG", quality=int(rng.integers(50, 91)))
        scanned = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    return scanned


def blank_cell(rng: np.random.Generator, cell: int) -> Gray:
    """An empty cell: paper, and sometimes what a scan adds to nothing."""
    return np.full((cell, cell), 255, dtype=np.uint8)


def jitter_cell_size(rng: np.random.Generator) -> int:
    return round(math.exp(rng.uniform(math.log(56), math.log(110))))
