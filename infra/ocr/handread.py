"""Handwritten fields inside an OCR worker: comb cells through the character model, marks by ink.

Runs in the worker process (or the serial twin's thread), after the page is aligned: `crop`
cuts an aligned, deskewed region of the page given in template millimetres. What comes back
is evidence (per-cell probabilities, per-area marks); deciding the field's value and whether
staff must look is `handlers/ocr/hand.py`'s, in the parent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from infra.ocr import handchars, imaging, ink, marks

Box = tuple[float, float, float, float]
CropFn = Callable[[Box, float], imaging.Gray]  # (box_mm, inset_mm) -> the region as scanned

DPI = 300
CELL_INSET_MM = 0.8
CHECKBOX_INSET_MM = 1.2


@dataclass(frozen=True)
class CellGuess:
    """One cell: blank (no ink), or the model's two best characters and their probabilities."""

    ink: bool
    first: str = ""
    first_p: float = 1.0
    second: str = ""
    second_p: float = 0.0


def allowed_characters(kind: str) -> frozenset[str] | None:
    """The characters a cell of `kind` may hold; None: any the model knows."""
    if kind in ("digits", "integer", "date"):
        return handchars.DIGITS
    if kind == "katakana":
        return frozenset(c for c in handchars.model().classes if c and c not in handchars.DIGITS)
    return None


def cell_boxes(box_mm: Box, cells: int) -> list[Box]:
    x, y, width, height = box_mm
    step = width / cells
    return [(x + i * step, y, step, height) for i in range(cells)]


def _cleaned(region: imaging.Gray) -> imaging.Gray:
    return imaging.despeckle(imaging.clear_border_lines(region))


def read_cells(
    box_mm: Box, cells: int, kind: str, crop: CropFn, threshold: int
) -> tuple[CellGuess, ...]:
    """Each cell of a comb: blank by ink, otherwise the model's reading (one batch per field)."""
    inputs, slots = [], []
    guesses: list[CellGuess] = [CellGuess(ink=False)] * cells
    for index, cell in enumerate(cell_boxes(box_mm, cells)):
        region = crop(cell, CELL_INSET_MM)
        if not ink.measure(region, DPI, threshold).written:
            continue
        normal = handchars.normalise_cell(_cleaned(region))
        if normal is not None:
            inputs.append(normal)
            slots.append(index)
    if not inputs:
        return tuple(guesses)
    model = handchars.model()
    probabilities = model.probabilities(np.stack(inputs), allowed_characters(kind))
    for slot, row in zip(slots, probabilities, strict=True):
        first, second = np.argsort(row)[::-1][:2]
        guesses[slot] = CellGuess(
            True, model.classes[first], float(row[first]), model.classes[second], float(row[second])
        )
    return tuple(guesses)


def option_marks(
    options: tuple[Box, ...], crop: CropFn, px_per_mm: float, threshold: int
) -> tuple[marks.Mark, ...]:
    return tuple(
        marks.ring_mark(_cleaned(crop(option, 0.0)), px_per_mm, threshold) for option in options
    )


def checkbox_mark(box_mm: Box, crop: CropFn, px_per_mm: float, threshold: int) -> marks.Mark:
    return marks.box_mark(_cleaned(crop(box_mm, CHECKBOX_INSET_MM)), px_per_mm, threshold)
