"""One handwritten character per cell: the cell's crop, normalised, through a small CNN in numpy.

The weights (`handchars.npz`, beside this module) are trained by `make train` (see
`training/` and docs/MODEL_CARD.md); here they are only read. The model is loaded once per
OCR worker process and runs on one core in plain numpy: im2col convolutions as matrix
products, batch norm already folded into the convolution weights by the exporter.

`normalise_cell` is also what the training data goes through, so that what the model saw in
training and what it sees at run time are made by the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Floats = NDArray[np.float32]

SIZE = 32  # the model's input: SIZE x SIZE ink intensities in 0..1
INK_FLOOR = 0.25  # paper tone, JPEG ringing and light blur below this are not ink
WEIGHTS = Path(__file__).with_name("handchars.npz")
BLANK = ""  # the class of a cell with no character in it
DIGITS = frozenset("0123456789")
# A stroke wider than this share of the cell's shorter side (as `stroke_width` estimates it;
# the training pens' widest, 8.5 % of the cell, measures about 6.5 %) is read twice: as written,
# and thinned by a pixel each side, and the two readings averaged. A thick pen fills a ゛ into a
# blob the model takes for ゜; the thinned copy often keeps them apart. Chosen on development
# data (docs/MODEL_CARD.md), not on the held-out pens.
THICK_STROKE = 0.05


def normalise_cell(gray: NDArray[np.uint8]) -> Floats | None:
    """The model's input for one cell crop (0 black .. 255 white), or None if it holds no ink.

    The frame is a square as large as the cell's shorter side, centred on the ink: the
    character keeps its size relative to the cell (a small ッ stays small) but not its place,
    which residents vary more than the size.
    """
    ink = (255.0 - gray.astype(np.float32)) / 255.0
    ink[ink < INK_FLOOR] = 0.0
    rows = np.flatnonzero(ink.max(axis=1) >= 0.5)
    cols = np.flatnonzero(ink.max(axis=0) >= 0.5)
    if rows.size == 0 or cols.size == 0:
        return None
    # The cell's shorter side, unless the ink is larger: in a cell taller than wide (7 x 9 mm)
    # a digit then fills the frame as it fills a square cell in training.
    side = max(min(gray.shape), int(rows[-1] - rows[0]) + 3, int(cols[-1] - cols[0]) + 3)
    centre_y = (rows[0] + rows[-1] + 1) / 2
    centre_x = (cols[0] + cols[-1] + 1) / 2
    top, left = round(centre_y - side / 2), round(centre_x - side / 2)
    frame = np.zeros((side, side), dtype=np.float32)
    src_top, src_left = max(top, 0), max(left, 0)
    src_bottom, src_right = min(top + side, gray.shape[0]), min(left + side, gray.shape[1])
    frame[src_top - top : src_bottom - top, src_left - left : src_right - left] = ink[
        src_top:src_bottom, src_left:src_right
    ]
    resized = Image.fromarray(frame, mode="F").resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def stroke_width(gray: NDArray[np.uint8]) -> float:
    """The ink's typical stroke width as a share of the cell's shorter side: twice the ink's
    area over its outline (a long stroke of width w and length l: area w*l, outline about 2*l),
    the outline counted along rows and columns."""
    mask = gray < 128
    outline = np.count_nonzero(mask[:, 1:] != mask[:, :-1]) + np.count_nonzero(
        mask[1:] != mask[:-1]
    )
    side = float(min(gray.shape[0], gray.shape[1]))
    return 2.0 * float(np.count_nonzero(mask)) / max(int(outline), 1) / side


def thinned(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The cell with every stroke a pixel thinner on each side (ink is dark: a 3x3 maximum,
    the edge pixels repeated outside). Pillow's MaxFilter(3) gives the same pixels, five times
    slower: it was most of the second reading's cost."""
    padded = np.pad(gray, 1, mode="edge")
    rows = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    result: NDArray[np.uint8] = np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])
    return result


def _conv3x3(x: Floats, matrix: Floats, bias: Floats) -> Floats:
    """'Same' 3x3 convolution with ReLU on channels-last batches: (N, H, W, C) -> (N, H, W, K).

    im2col as nine shifted copies side by side (contiguous runs of C, so the copy is cheap),
    then one matrix product with the weights laid out (ky, kx, C) x K.
    """
    n, h, w, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    shifted = [padded[:, dy : dy + h, dx : dx + w, :] for dy in range(3) for dx in range(3)]
    columns = np.concatenate(shifted, axis=3).reshape(n * h * w, 9 * c)
    out = columns @ matrix
    out += bias
    np.maximum(out, 0.0, out=out)
    result: Floats = out.reshape(n, h, w, -1)
    return result


def _pool2(x: Floats) -> Floats:
    """2x2 max-pooling, as the maximum of four strided views (a reshape-and-reduce is slow)."""
    pooled: Floats = np.maximum(
        np.maximum(x[:, ::2, ::2], x[:, 1::2, ::2]), np.maximum(x[:, ::2, 1::2], x[:, 1::2, 1::2])
    )
    return pooled


@dataclass(frozen=True)
class CharModel:
    classes: tuple[str, ...]
    convs: tuple[tuple[Floats, Floats], ...]  # (weights (3*3*C) x K, bias K), each then pooled
    hidden: tuple[Floats, Floats]
    output: tuple[Floats, Floats]

    def probabilities(self, cells: Floats, allowed: frozenset[str] | None = None) -> Floats:
        """(N, SIZE, SIZE) normalised cells -> (N, classes) probabilities.

        `allowed` limits the answer to the characters a field kind can hold (and blank):
        in a digits field ロ is not a candidate for 0, nor ー for 1.
        """
        x = cells.reshape(-1, SIZE, SIZE, 1).astype(np.float32)
        for weight, bias in self.convs:
            x = _pool2(_conv3x3(x, weight, bias))
        flat = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)  # torch's (C, H, W) order
        hidden = np.maximum(flat @ self.hidden[0].T + self.hidden[1], 0.0)
        logits = hidden @ self.output[0].T + self.output[1]
        if allowed is not None:
            mask = np.array([c == BLANK or c in allowed for c in self.classes])
            logits = np.where(mask, logits, -np.inf)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs: Floats = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probs

    def read(
        self,
        grays: Sequence[NDArray[np.uint8]],
        allowed: frozenset[str] | None = None,
        reread_thick: bool = True,
    ) -> tuple[Floats, list[int]]:
        """Probabilities for the cell crops that hold ink, and which crops those are.

        A cell written with a thick pen (`THICK_STROKE`) is also read thinned, and the two
        readings averaged; every other cell is read once (`reread_thick` False: every cell
        once, the bench's baseline for what the second reading costs).
        """
        inked: list[int] = []
        inputs: list[Floats] = []
        for index, gray in enumerate(grays):
            normal = normalise_cell(gray)
            if normal is not None:
                inked.append(index)
                inputs.append(normal)
        if not inputs:
            return np.zeros((0, len(self.classes)), np.float32), inked
        probabilities = self.probabilities(np.stack(inputs), allowed)
        thick, second = [], []
        for row, index in enumerate(inked):
            if reread_thick and stroke_width(grays[index]) > THICK_STROKE:
                normal = normalise_cell(thinned(grays[index]))
                if normal is not None:
                    thick.append(row)
                    second.append(normal)
        if second:
            again = self.probabilities(np.stack(second), allowed)
            probabilities[thick] = (probabilities[thick] + again) / 2
        return probabilities, inked


def _as_matrix(weight: Floats) -> Floats:
    """Torch's (K, C, 3, 3) convolution weights as the (ky, kx, C) x K matrix `_conv3x3` uses."""
    kernels = weight.shape[0]
    matrix: Floats = np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(-1, kernels))
    return matrix


def load(path: Path = WEIGHTS) -> CharModel:
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key].astype(np.float32) for key in data.files if key != "classes"}
        classes = tuple(str(c) for c in data["classes"])
    count = sum(1 for key in arrays if key.startswith("conv") and key.endswith(".weight"))
    convs = tuple(
        (_as_matrix(arrays[f"conv{i}.weight"]), arrays[f"conv{i}.bias"]) for i in range(count)
    )
    return CharModel(
        classes=classes,
        convs=convs,
        hidden=(arrays["hidden.weight"], arrays["hidden.bias"]),
        output=(arrays["output.weight"], arrays["output.bias"]),
    )


@cache
def model() -> CharModel:
    """The shipped model, read once per process (OCR workers call this on first use)."""
    return load()
