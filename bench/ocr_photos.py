"""`python -m bench.ocr_photos`: the fit of the lighting step's threshold, on the TUNING set.

Pages of `tests/ocr/corpus.py` photographed on tinted paper under one shadow of growing depth
(`shadowed_photo`), each read by the worker twice in this process: the flattening forced off
and forced on. Printed per depth: the spread `infra/ocr/lighting.py` measures, and the mean
CER each way. UNEVEN_SPREAD is set halfway between the largest spread where skipping the step
cost nothing and the smallest where it cost more than half a point of CER, well above what
evenly lit scans measure. Figures on tuning data: a fit, not a
measurement (`make bench` reports photos of the report set).

Then a check on the REPORT set (never fitted on), where the threshold matters: its photo pages
(IPAexMincho, its tints) under a lamp's light only, falling off mildly, read off, on and with
the fitted threshold: the last should match the better of the first two.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image

from infra.ocr import lighting
from infra.ocr.readings import PageTask
from infra.ocr.worker import read_page
from tests.ocr.corpus import filled_form, shadowed_photo, text_page
from tests.ocr.metrics import cer
from tests.ocr.report_corpus import report_photo_page

DEPTHS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45)
SEEDS = range(50_000, 50_000 + int(os.environ.get("BENCH_PHOTO_FIT_PAGES", "3")))
FALLOFFS = (0.06, 0.1, 0.15, 0.25)
REPORT_SEEDS = range(80_000, 80_000 + int(os.environ.get("BENCH_PHOTO_CHECK_PAGES", "3")))
ALWAYS, NEVER = -1.0, 2.0  # thresholds below and above any spread
COST = 0.005  # half a point of CER: what skipping the step may cost before it must run


def _cer(path: str, truth: str, threshold: float) -> float:
    with mock.patch.object(lighting, "UNEVEN_SPREAD", threshold):
        return cer(truth, read_page(PageTask(path, "jpeg", 0)).text)


def _saved(image: Image.Image, path: Path) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, dpi=(300, 300))
    path.write_bytes(buffer.getvalue())
    return str(path)


def _spread(image: Image.Image) -> float:
    grey, _ = lighting.to_gray(image)
    return lighting.light_spread(lighting.paper_light(grey))


def check_report() -> None:
    print(f"{'falloff':>7} {'spread':>7} {'CER off':>8} {'CER on':>8} {'fitted':>8}   (REPORT set)")
    with tempfile.TemporaryDirectory(prefix="madoguchi-photo-check-") as tmp:
        for falloff in FALLOFFS:
            spreads, rates = [], []
            for seed in REPORT_SEEDS:
                image, truth = report_photo_page(seed, falloff=falloff)
                path = _saved(image, Path(tmp) / f"{seed}.jpg")
                spreads.append(_spread(image))
                fitted = lighting.UNEVEN_SPREAD
                rates.append([_cer(path, truth, t) for t in (NEVER, ALWAYS, fitted)])
            off, on, chosen = (100 * float(np.mean(column)) for column in zip(*rates, strict=True))
            spread = float(np.mean(spreads))
            print(f"{falloff:>7.2f} {spread:>7.3f} {off:>7.2f}% {on:>7.2f}% {chosen:>7.2f}%")


def main() -> None:
    even = [text_page(seed).image for seed in SEEDS] + [filled_form(seed).image for seed in SEEDS]
    even_spreads = [lighting.light_spread(lighting.paper_light(image)) for image in even]
    print(f"evenly lit tuning scans and forms: spread at most {max(even_spreads):.3f}")
    print(f"{'depth':>6} {'spread':>7} {'CER off':>8} {'CER on':>8}   (TUNING set, fitted on)")
    costly: list[float] = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-photo-fit-") as tmp:
        for depth in DEPTHS:
            spreads, off, on = [], [], []
            for seed in SEEDS:
                page = shadowed_photo(seed, depth)
                path = _saved(page.image, Path(tmp) / f"{seed}.jpg")
                spreads.append(_spread(page.image))
                off.append(_cer(path, page.truth, NEVER))
                on.append(_cer(path, page.truth, ALWAYS))
            spread, cost = float(np.mean(spreads)), float(np.mean(off) - np.mean(on))
            if cost > COST:
                costly.append(spread)
            off_pct, on_pct = 100 * np.mean(off), 100 * np.mean(on)
            print(f"{depth:>6.2f} {spread:>7.3f} {off_pct:>7.2f}% {on_pct:>7.2f}%")
    cheapest = min(costly) if costly else float("nan")
    print(
        f"skipping costs more than {100 * COST:.1f} points of CER from a spread of {cheapest:.3f}; "
        f"UNEVEN_SPREAD is {lighting.UNEVEN_SPREAD}"
    )


if __name__ == "__main__":
    parts = sys.argv[1:] or ["fit", "check"]  # `python -m bench.ocr_photos check`: the check only
    if "fit" in parts:
        main()
    if "check" in parts:
        check_report()
