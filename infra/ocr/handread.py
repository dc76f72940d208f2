"""Handwritten fields inside an OCR worker: comb cells through the character model, marks by ink.

Runs in the worker process (or the serial twin's thread), after the page is aligned: `crop`
cuts an aligned, deskewed region of the page given in template millimetres. What comes back
is evidence (per-cell probabilities, per-area marks); deciding the field's value and whether
staff must look is `handlers/ocr/hand.py`'s, in the parent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from infra.ocr import handchars, imaging, ink, marks

Box = tuple[float, float, float, float]
CropFn = Callable[[Box, float], imaging.Gray]  # (box_mm, inset_mm) -> the region as scanned

DPI = 300
PX_PER_MM = DPI / 25.4
CHECKBOX_INSET_MM = 0.6  # a hand mark runs close to the border: cut only the border itself
COMB_MARGIN_MM = 1.0  # the comb is cut this much larger all round, to hold its printed lines
LINE_SEARCH_MM = 1.2  # how far from where the template puts it a printed line is looked for
LINE_FILL = 0.8  # a column (row) this full of ink across the whole comb is a printed line
CELL_CLEARANCE_MM = 0.35  # kept clear inside a found line: its blur and the pen's overlap
CELL_EDGE_BAND_MM = 0.5  # a printed line's sliver left in a cell lies this close to its edge
EDGE_LINE_FILL = 0.6  # a row (column) of the edge band this full of ink is such a sliver


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


def _cleaned(region: imaging.Gray) -> imaging.Gray:
    return imaging.despeckle(imaging.clear_border_lines(region))


def clear_edge_lines(cell: imaging.Gray, threshold: int) -> imaging.Gray:
    """Whiten what is left of the printed lines in a comb cell: the rows (columns) near its
    edge that are mostly ink. A stroke across the middle is kept, however long: the 7's bar,
    the 2's foot, a 1 or the ー filling the cell (clearing every full row or column, as for a
    printed box, cut them away)."""
    mask = cell < threshold
    band = max(round(CELL_EDGE_BAND_MM * PX_PER_MM), 1)
    cleaned = cell.copy()
    height, width = mask.shape
    for axis, length in ((1, height), (0, width)):
        full = mask.mean(axis=axis) > EDGE_LINE_FILL
        edge = np.zeros(length, dtype=bool)
        edge[:band] = edge[length - band :] = True
        lines = full & edge
        if axis == 1:
            cleaned[lines, :] = 255
        else:
            cleaned[:, lines] = 255
    return cleaned


def _lines(fill: NDArray[np.float64], expected: list[float], search: int) -> list[tuple[int, int]]:
    """Where each printed line lies (first, last pixel), near where the template puts it.

    The template's position is kept when no line is found there (a comb printed without
    dividers, or a faint one); a found line's whole width is taken, so no sliver of it stays.
    """
    found = []
    for position in expected:
        centre = round(position)
        low, high = max(centre - search, 0), min(centre + search + 1, fill.size)
        window = fill[low:high]
        if window.size == 0 or window.max() < LINE_FILL:
            found.append((centre, centre))
            continue
        peak = low + int(window.argmax())
        first, last = peak, peak
        while first > low and fill[first - 1] >= LINE_FILL / 2:
            first -= 1
        while last < high - 1 and fill[last + 1] >= LINE_FILL / 2:
            last += 1
        found.append((first, last))
    return found


def comb_cells(comb: imaging.Gray, cells: int, threshold: int) -> list[imaging.Gray]:
    """The inside of each cell of a comb cut `COMB_MARGIN_MM` larger than its box, found by
    its printed lines (so a scan aligned half a millimetre off leaves no divider in a cell)."""
    mask = comb < threshold
    height, width = mask.shape
    margin = COMB_MARGIN_MM * PX_PER_MM
    search, clear = round(LINE_SEARCH_MM * PX_PER_MM), round(CELL_CLEARANCE_MM * PX_PER_MM)
    step = (width - 2 * margin) / cells
    middle_rows = mask[height // 4 : height - height // 4]
    columns = _lines(
        middle_rows.mean(axis=0), [margin + i * step for i in range(cells + 1)], search
    )
    middle_cols = mask[:, round(margin + step / 4) : round(width - margin - step / 4)]
    (_, top), (bottom, _) = _lines(middle_cols.mean(axis=1), [margin, height - margin], search)
    return [
        comb[top + clear : bottom - clear, left + clear : right - clear]
        for (_, left), (right, _) in itertools.pairwise(columns)
    ]


def read_cells(
    box_mm: Box, cells: int, kind: str, crop: CropFn, threshold: int
) -> tuple[CellGuess, ...]:
    """Each cell of a comb: blank by ink, otherwise the model's reading (one batch per field)."""
    regions, slots = [], []
    guesses: list[CellGuess] = [CellGuess(ink=False)] * cells
    comb = crop(box_mm, -COMB_MARGIN_MM)
    for index, region in enumerate(comb_cells(comb, cells, threshold)):
        if region.size == 0 or not ink.measure(region, DPI, threshold).written:
            continue
        regions.append(imaging.despeckle(clear_edge_lines(region, threshold)))
        slots.append(index)
    if not regions:
        return tuple(guesses)
    model = handchars.model()
    probabilities, inked = model.read(regions, allowed_characters(kind))
    slots = [slots[i] for i in inked]
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
