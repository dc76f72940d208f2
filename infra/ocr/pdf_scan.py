"""A scanned PDF page's pixels taken straight from its JPEG, without rendering the page.

A scanner's PDF page is one JPEG drawn over the whole page. PDFium renders it by decoding
the JPEG and resampling it (150 ms for an A4 page at 300 dpi); Pillow decodes the same
bytes in about 10 ms, and at a half, a quarter or an eighth of the size faster still. Any
other page (text, vector drawing, several images, a turned or masked image, a colour space
other than gray or RGB) returns None and is rendered as before.

Runs in an OCR worker process (PDFium is not thread-safe).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pypdfium2.raw as pdfium_c
from PIL import Image

from infra.ocr import lighting

POINTS_PER_INCH = 72
FIT_TOLERANCE_PT = 1.0  # how far the image's edges may sit from the page's and still cover it
_COLOUR_SPACES = frozenset(
    {
        pdfium_c.FPDF_COLORSPACE_DEVICEGRAY,
        pdfium_c.FPDF_COLORSPACE_DEVICERGB,
        pdfium_c.FPDF_COLORSPACE_ICCBASED,
    }
)


def covers_page(
    matrix: tuple[float, float, float, float, float, float],
    page_box: tuple[float, float, float, float],
) -> bool:
    """The image is drawn upright, unflipped, edge to edge over `page_box` (l, b, r, t)."""
    a, b, c, d, e, f = matrix
    left, bottom, right, top = page_box
    if b != 0 or c != 0 or a <= 0 or d <= 0:
        return False
    edges = ((e, left), (f, bottom), (e + a, right), (f + d, top))
    return all(abs(drawn - page) <= FIT_TOLERANCE_PT for drawn, page in edges)


def page_pixels(page_box: tuple[float, float, float, float], dpi: int) -> tuple[int, int]:
    left, bottom, right, top = page_box
    return round((right - left) * dpi / POINTS_PER_INCH), round(
        (top - bottom) * dpi / POINTS_PER_INCH
    )


def scanned_page(page: Any, dpi: int) -> Image.Image | None:
    """The page as 8-bit gray at `dpi`, from its one full-page JPEG; None for any other page."""
    if page.get_rotation() % 360:
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    box = tuple(page.get_cropbox())
    if image.get_filters() != ["DCTDecode"] or not covers_page(image.get_matrix().get(), box):
        return None
    if image.get_metadata().colorspace not in _COLOUR_SPACES:
        return None
    size = page_pixels(box, dpi)
    data = bytes(image.get_data())
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as jpeg:
            if jpeg.mode not in ("L", "RGB"):  # CMYK, often stored inverted: leave to PDFium
                return None
            grey = _colour_choice(data, size) if jpeg.mode == "RGB" else None
            if grey is not None and grey.chosen != "luminance":  # tinted paper
                jpeg.draft("RGB", size)
                gray = lighting.in_grey(jpeg.convert("RGB"), grey)
            else:
                jpeg.draft("L", size)  # decoded as gray, at the smallest scale still >= size
                # Gray already: the decoded image itself, not convert's copy of it (1 ms).
                jpeg.load()
                gray = jpeg if jpeg.mode == "L" else jpeg.convert("L")
    except (OSError, Image.DecompressionBombError):
        return None  # PDFium decodes what Pillow will not, or refuses it as before
    if gray.size != size:
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray


def _colour_choice(data: bytes, size: tuple[int, int]) -> lighting.Grey:
    """Which grey keeps a colour JPEG's ink, told from an eighth-size decode (a few ms): only
    tinted paper pays for decoding the colour at full size."""
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as jpeg:
        jpeg.draft("RGB", (max(size[0] // 8, 1), max(size[1] // 8, 1)))
        return lighting.choose_grey(np.asarray(jpeg.convert("RGB")))
