"""Ruled tables on a page: their rows and cells found from the long printed lines (pure numpy).

A table here is a ruled grid: an outer frame (horizontal rules across the whole table, joined by
vertical rules at its left and right edges) and rules inside it that start and end on other
rules; where a rule stops short, the cells on either side of the gap are one (merged across
columns or rows). Text never forms such a frame, so a page without one is left as it was.
Lines are found as runs of ink on a copy of the page at 75 dpi, turned straight by the skew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.bool_]
Box = tuple[int, int, int, int]  # x, y, width, height

# Shorter than the rules of a table of two rows of 8 mm. Text leaves long runs too at 75 dpi
# (neighbouring strokes touch: up to 28 mm on the tuning text pages, 41 mm on a two-column
# page, 26 mm down a 縦書き page), so a run alone proves nothing: only rules joined into a
# grid make a table.
MIN_RULE_MM = 15.0
ALIGN_MM = 2.0  # rules of one table start and end within this of each other
MIN_ROW_MM = 4.0  # rows lower than this are a double rule, not a row of text


@dataclass(frozen=True)
class Rule:
    at: int  # the row (horizontal) or column (vertical) it runs along
    start: int
    end: int  # exclusive


@dataclass(frozen=True)
class Table:
    box: Box
    # Each row's cells, left to right; None where a cell merged across rows from above lies.
    rows: tuple[tuple[Box | None, ...], ...]


def _runs(mask: Mask, min_length: int) -> list[Rule]:
    """Runs of ink along each row of `mask` at least `min_length` long. Only rows holding
    such a run (found by a sliding sum: a few on most pages) are split into runs."""
    sums = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=sums[:, 1:])
    rows = np.flatnonzero(
        ((sums[:, min_length:] - sums[:, :-min_length]) >= min_length).any(axis=1)
    )
    if len(rows) == 0:
        return []
    padded = np.pad(mask[rows], ((0, 0), (1, 1))).astype(np.int8)
    edges = np.diff(padded, axis=1)
    starts = np.nonzero(edges == 1)  # row-major: the n-th start and end are one run
    ends = np.nonzero(edges == -1)
    lengths = ends[1] - starts[1]
    keep = np.flatnonzero(lengths >= min_length)
    return [Rule(int(rows[starts[0][k]]), int(starts[1][k]), int(ends[1][k])) for k in keep]


def _merged(runs: list[Rule], slack: int) -> list[Rule]:
    """Runs on neighbouring rows that overlap are one printed rule (a rule is a few pixels
    thick, and a trace of skew steps it from one row to the next)."""
    lines: list[list[Rule]] = []
    for run in sorted(runs, key=lambda r: (r.at, r.start)):
        for line in lines:
            start, end = min(r.start for r in line), max(r.end for r in line)
            if run.at - line[-1].at <= 1 and run.start < end + slack and start < run.end + slack:
                line.append(run)
                break
        else:
            lines.append([run])
    return [
        Rule(
            round(sum(r.at for r in line) / len(line)),
            min(r.start for r in line),
            max(r.end for r in line),
        )
        for line in lines
    ]


def rules(ink: Mask, min_length: int) -> tuple[list[Rule], list[Rule]]:
    """The horizontal and the vertical rules of the page's ink. A pixel's neighbours across
    the rule count as its own, and one-pixel breaks along it are closed (a thin, light rule
    comes apart at 75 dpi)."""

    def along_rows(mask: Mask) -> list[Rule]:
        thick = mask.copy()
        thick[1:] |= mask[:-1]
        thick[:-1] |= mask[1:]
        closed = thick.copy()
        closed[:, 1:-1] |= thick[:, :-2] & thick[:, 2:]
        return _merged(_runs(closed, min_length), slack=2)

    return along_rows(ink), along_rows(np.ascontiguousarray(ink.T))  # rows: twice as fast


def _near(a: int, b: int, tolerance: int) -> bool:
    return abs(a - b) <= tolerance


def find_tables(ink: Mask, px_per_mm: float, factor: int = 1) -> list[Table]:
    """Every ruled table of the page, top to bottom, its boxes in pixels of `ink` times
    `factor` (cells found at 75 dpi, read at 300)."""
    tolerance = max(round(ALIGN_MM * px_per_mm), 1)
    horizontal, vertical = rules(ink, round(MIN_RULE_MM * px_per_mm))
    found: list[Table] = []
    used: set[Rule] = set()
    for first in sorted(horizontal, key=lambda r: r.at):
        if first in used or any(_inside(first, table.box, tolerance) for table in found):
            continue  # a piece of a rule of a table already found (a rule broken by a speck)
        left, right = first.start, first.end
        # Rules of the same extent below it, as long as the edges' vertical rules join them.
        row_rules = [first]
        for rule in sorted(horizontal, key=lambda r: r.at):
            if rule.at <= row_rules[-1].at or rule in used:
                continue
            if not (_near(rule.start, left, tolerance) and _near(rule.end, right, tolerance)):
                continue
            if rule.at - row_rules[-1].at < MIN_ROW_MM * px_per_mm:
                continue
            if not all(
                _joined(vertical, x, row_rules[-1].at, rule.at, tolerance) for x in (left, right)
            ):
                break
            row_rules.append(rule)
        table = _table(row_rules, horizontal, vertical, tolerance, MIN_ROW_MM * px_per_mm)
        if table is not None:
            used.update(row_rules)
            found.append(table)
    return [_scaled(table, factor) for table in found]


def _inside(rule: Rule, box: Box, tolerance: int) -> bool:
    x, y, width, height = box
    return (
        y - tolerance <= rule.at <= y + height + tolerance
        and rule.start < x + width
        and rule.end > x
    )


def _joined(vertical: list[Rule], x: int, top: int, bottom: int, tolerance: int) -> bool:
    """A vertical rule at `x` runs from `top` to `bottom`."""
    return any(
        _near(rule.at, x, tolerance)
        and rule.start <= top + tolerance
        and rule.end >= bottom - tolerance
        for rule in vertical
    )


def _table(
    row_rules: list[Rule],
    horizontal: list[Rule],
    vertical: list[Rule],
    tolerance: int,
    min_row: float,
) -> Table | None:
    """The cells of the grid between the table's outer rules, or None when it is not a grid
    of 2 x 2 cells or more. Inside, a rule counts where it starts and ends on other rules (a
    run of text does not); a cell with no rule between it and its neighbour is one cell with
    it (merged across columns or rows)."""
    if len(row_rules) < 2:
        return None
    left, right = min(r.start for r in row_rules), max(r.end for r in row_rules)
    top, bottom = row_rules[0].at, row_rules[-1].at

    def within(rule: Rule, low: int, high: int) -> bool:
        return rule.start >= low - tolerance and rule.end <= high + tolerance

    def on(value: int, positions: list[int]) -> bool:
        return any(_near(value, at, tolerance) for at in positions)

    downs = [v for v in vertical if left - tolerance <= v.at <= right + tolerance]
    downs = [v for v in downs if within(v, top, bottom) and v.end - v.start > tolerance]
    across = [h for h in horizontal if top + tolerance < h.at < bottom - tolerance]
    across = [h for h in across if within(h, left, right)]
    across = [
        h for h in across if on(h.start, [v.at for v in downs]) and on(h.end, [v.at for v in downs])
    ]
    levels = [r.at for r in row_rules] + [h.at for h in across]
    downs = [v for v in downs if on(v.start, levels) and on(v.end, levels)]
    ys = _distinct(sorted(levels), max(tolerance, round(min_row)))
    xs = _distinct(sorted(v.at for v in downs), tolerance)
    if len(ys) < 3 or len(xs) < 3:
        return None
    ys[0], ys[-1] = top, bottom  # the outer rules as found, not a rule seen twice near them
    return Table(
        (left, top, right - left, bottom - top),
        _cells(ys, xs, row_rules + across, downs, tolerance),
    )


def _cells(
    ys: list[int], xs: list[int], across: list[Rule], downs: list[Rule], tolerance: int
) -> tuple[tuple[Box | None, ...], ...]:
    """Each row's cells left to right on the grid `ys` x `xs`: elementary cells with no rule
    between them are joined. A cell merged across columns is one cell of its row; one merged
    across rows is given in its first row and is None (an empty place) in the rows below."""
    rows, columns = len(ys) - 1, len(xs) - 1
    owner = {(r, c): (r, c) for r in range(rows) for c in range(columns)}

    def find(cell: tuple[int, int]) -> tuple[int, int]:
        while owner[cell] != cell:
            cell = owner[cell]
        return cell

    def join(a: tuple[int, int], b: tuple[int, int]) -> None:
        first, second = sorted((find(a), find(b)))
        owner[second] = first  # the top-left cell owns the merged one

    for r in range(rows):
        middle_y = (ys[r] + ys[r + 1]) // 2
        for c in range(columns):
            middle_x = (xs[c] + xs[c + 1]) // 2
            if c + 1 < columns and not _crosses(downs, xs[c + 1], middle_y, tolerance):
                join((r, c), (r, c + 1))
            if r + 1 < rows and not _crosses(across, ys[r + 1], middle_x, tolerance):
                join((r, c), (r + 1, c))
    extent: dict[tuple[int, int], list[int]] = {}
    for r, c in list(owner):
        head = find((r, c))
        box = extent.setdefault(head, [c, r, c, r])
        box[0], box[1] = min(box[0], c), min(box[1], r)
        box[2], box[3] = max(box[2], c), max(box[3], r)
    table = []
    for r in range(rows):
        row: list[Box | None] = []
        for c in range(columns):
            c0, r0, c1, r1 = extent[find((r, c))]
            if c != c0:
                continue  # merged across columns: its first column gives it
            if r != r0:
                row.append(None)  # merged across rows: given in its first row
                continue
            row.append((xs[c0], ys[r0], xs[c1 + 1] - xs[c0], ys[r1 + 1] - ys[r0]))
        table.append(tuple(row))
    return tuple(table)


def _crosses(rules_: list[Rule], at: int, through: int, tolerance: int) -> bool:
    """A rule along `at` passes `through` (a cell's middle): the cells beside it are two."""
    return any(
        _near(rule.at, at, tolerance) and rule.start <= through < rule.end for rule in rules_
    )


def _distinct(positions: list[int], tolerance: int) -> list[int]:
    """Positions closer than `tolerance` are one rule seen twice (a double rule, a thick one)."""
    kept: list[int] = []
    for at in positions:
        if kept and at - kept[-1] <= tolerance:
            continue
        kept.append(at)
    return kept


def _scaled(table: Table, factor: int) -> Table:
    def box(b: Box) -> Box:
        return (b[0] * factor, b[1] * factor, b[2] * factor, b[3] * factor)

    rows = tuple(tuple(None if c is None else box(c) for c in row) for row in table.rows)
    return Table(box(table.box), rows)
