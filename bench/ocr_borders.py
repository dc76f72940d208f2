"""Ink written against a box's printed border, and blank boxes whose border is printed oddly:
is anything written there ever read as a trusted blank, is a blank box ever flagged?

    .venv/bin/python -m bench.ocr_borders SEED COUNT [WORKERS]

The cases (`tests/ocr/border_boxes.py`) are drawn by seed: not one of the three corpora, a
probe. Say which seed a figure comes from; a seed a rule was worked out on measures only that
rule's regression.
"""

from __future__ import annotations

import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from tests.ocr.border_boxes import cases, judge


def main(seed: int, count: int, workers: int = 2) -> None:
    tally: Counter[tuple[str, str]] = Counter()
    with ProcessPoolExecutor(workers) as pool:
        for case, verdict, shown in pool.map(judge, cases(seed, count), chunksize=4):
            tally[(case.mark, verdict)] += 1
            if verdict not in ("right", "flagged", "blank_right"):
                print(f"{verdict:<20} {shown:<28} {case}")
    for (mark, verdict), n in sorted(tally.items()):
        print(f"{mark:<8} {verdict:<20} {n}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
