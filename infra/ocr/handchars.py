"""One handwritten character per cell: the cell's crop, normalised, through a small CNN in numpy.

The weights (`handchars.npz`, beside this module) are trained by `make train` (see
`training/` and docs/MODEL_CARD.md); here they are only read. The model is loaded once per
OCR worker process and runs on one core in plain numpy: im2col convolutions as matrix
products, batch norm already folded into the convolution weights by the exporter.

`normalise_cell` is also what the training data goes through, so that what the model saw in
training and what it sees at run time are made by the same code.
"""

from __future__ import annotations

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


def normalise_cell(gray: NDArray[np.uint8]) -> Floats | None:
    """The model's input for one cell crop (0 black .. 255 white), or None if it holds no ink.

    The frame is a square as large as the cell's longer side, centred on the ink: the
    character keeps its size relative to the cell (a small ッ stays small) but not its place,
    which residents vary more than the size.
    """
    ink = (255.0 - gray.astype(np.float32)) / 255.0
    ink[ink < INK_FLOOR] = 0.0
    rows = np.flatnonzero(ink.max(axis=1) >= 0.5)
    cols = np.flatnonzero(ink.max(axis=0) >= 0.5)
    if rows.size == 0 or cols.size == 0:
        return None
    side = max(gray.shape)
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


def _conv3x3(x: Floats, weight: Floats, bias: Floats) -> Floats:
    """'Same' 3x3 convolution, batch (N, C, H, W) -> (N, K, H, W), ReLU applied."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)
    out = columns @ weight.reshape(weight.shape[0], -1).T + bias
    result: Floats = np.maximum(out, 0.0).reshape(n, h, w, -1).transpose(0, 3, 1, 2)
    return result


def _pool2(x: Floats) -> Floats:
    n, c, h, w = x.shape
    pooled: Floats = x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    return pooled


@dataclass(frozen=True)
class CharModel:
    classes: tuple[str, ...]
    convs: tuple[tuple[Floats, Floats], ...]  # (weight K x C x 3 x 3, bias K), each then pooled
    hidden: tuple[Floats, Floats]
    output: tuple[Floats, Floats]

    def probabilities(self, cells: Floats, allowed: frozenset[str] | None = None) -> Floats:
        """(N, SIZE, SIZE) normalised cells -> (N, classes) probabilities.

        `allowed` limits the answer to the characters a field kind can hold (and blank):
        in a digits field ロ is not a candidate for 0, nor ー for 1.
        """
        x = cells.reshape(-1, 1, SIZE, SIZE).astype(np.float32)
        for weight, bias in self.convs:
            x = _pool2(_conv3x3(x, weight, bias))
        flat = x.reshape(x.shape[0], -1)
        hidden = np.maximum(flat @ self.hidden[0].T + self.hidden[1], 0.0)
        logits = hidden @ self.output[0].T + self.output[1]
        if allowed is not None:
            mask = np.array([c == BLANK or c in allowed for c in self.classes])
            logits = np.where(mask, logits, -np.inf)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs: Floats = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probs


def load(path: Path = WEIGHTS) -> CharModel:
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key].astype(np.float32) for key in data.files if key != "classes"}
        classes = tuple(str(c) for c in data["classes"])
    count = sum(1 for key in arrays if key.startswith("conv") and key.endswith(".weight"))
    convs = tuple((arrays[f"conv{i}.weight"], arrays[f"conv{i}.bias"]) for i in range(count))
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
