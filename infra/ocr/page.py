"""What every step reading a page in an OCR worker shares: the 75 dpi copy that skew,
alignment and rules are found on, millimetres as pixels at 300 dpi, when a page is turned
or asked its orientation, and the process's peak memory each reading reports.
"""

from __future__ import annotations

import resource
from pathlib import Path

from infra.ocr import tesseract

SMALL_FACTOR = 4  # skew and alignment run on a 75 dpi copy
SMALL_INK = 200  # at 75 dpi a thin printed border averages to light gray
# Tesseract's own layout analysis copes with up to about 1° on full pages, and resampling
# the page made the CER worse there (measured: 3.0 % -> 4.0 % with tessdata_fast jpn).
PAGE_DESKEW_MIN = 1.0
LOW_PAGE_CONFIDENCE = 60.0  # below this a page may be sideways or upside down: ask OSD


def to_px(value_mm: float, factor: int = 1) -> int:
    return round(value_mm * tesseract.PX_PER_MM / factor)


def rss_kib() -> int:
    """This process's own peak resident size. Not ru_maxrss: a spawned worker inherits the
    parent's value there (measured: a 16 MB child reported its 500 MB parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
