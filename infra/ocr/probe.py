"""Read a scan's structure (kind, pages, page sizes, encryption) without decoding pixels.

Run `probe` in a worker process, never on a thread of a shared process: PDFium is not
thread-safe, Pillow's warning filter here is process-global, and a crash in a native parser
on a hostile file then costs only the worker. Every PDFium document is closed explicitly so
a long-lived worker does not leak native memory.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import pypdfium2 as pdfium  # importing the package initialises the PDFium library
import pypdfium2.raw as pdfium_c
from PIL import Image

FileKind = Literal["pdf", "tiff", "png", "jpeg"]

# PDFs have no pixels of their own: they are measured as if rendered at this resolution,
# which is the one the OCR renders them at.
PDF_RENDER_DPI = 300


@dataclass(frozen=True)
class FileFacts:
    """What `infra.ocr.probe` read from a file's headers.

    encrypted: the file needs a password to open (a PDF whose only password is the owner's
        opens without one, and is not counted as encrypted).
    largest_page_pixels: width x height of the largest page; for PDFs, as rendered at
        PDF_RENDER_DPI.
    error: "corrupt" when the structure could not be parsed; the other fields then mean
        nothing.
    """

    kind: FileKind
    pages: int
    largest_page_pixels: int
    encrypted: bool = False
    error: str | None = None


# Counting stops a little past this: any count above Limits.max_pages is refused alike,
# and walking a hostile TIFF's chain of page headers costs time per page.
MAX_PAGES_COUNTED = 1_000

_PIL_FORMAT: dict[FileKind, str] = {"tiff": "TIFF", "png": "PNG", "jpeg": "JPEG"}

# PDFium's load errors that mean "this PDF is locked": a password we were not given, or a
# security handler it does not support (e.g. certificate encryption). Either way the clerk
# must remove the protection, so both count as encrypted.
_LOCKED = {pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY}


def probe(data: bytes, kind: FileKind) -> FileFacts:
    """The structural facts of `data`, read as `kind`. Never raises for bad input."""
    try:
        if kind == "pdf":
            return _probe_pdf(data)
        return _probe_image(data, kind)
    except Exception:
        # Any parser failure on hostile or broken input is, to the clerk, a broken file.
        return _corrupt(kind)


def _corrupt(kind: FileKind) -> FileFacts:
    return FileFacts(kind=kind, pages=0, largest_page_pixels=0, error="corrupt")


def _probe_pdf(data: bytes) -> FileFacts:
    # Loaded through the raw API: pypdfium2's PdfDocument(bytes) raises on a PDF with zero
    # pages without closing the handle it opened. FPDF_LoadMemDocument64 does not copy
    # `data`; it stays alive for this whole call.
    raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if not raw:
        # Only meaningful right after a failed call, as here.
        if pdfium_c.FPDF_GetLastError() in _LOCKED:
            return FileFacts(kind="pdf", pages=0, largest_page_pixels=0, encrypted=True)
        return _corrupt("pdf")
    pdf = pdfium.PdfDocument(raw)
    try:
        pages = len(pdf)
        largest = 0
        for index in range(min(pages, MAX_PAGES_COUNTED)):
            # Reads the page's MediaBox (in points, 1/72 in) without loading its content.
            width, height = pdf.get_page_size(index)
            largest = max(largest, _pixels(width, height))
        return FileFacts(kind="pdf", pages=pages, largest_page_pixels=largest)
    finally:
        pdf.close()


def _pixels(width_pt: float, height_pt: float) -> int:
    scale = PDF_RENDER_DPI / 72
    return math.ceil(abs(width_pt) * scale) * math.ceil(abs(height_pt) * scale)


def _probe_image(data: bytes, kind: FileKind) -> FileFacts:
    with warnings.catch_warnings():
        # Pillow warns about sizes it would still decode and about damaged metadata it
        # skips; the facts returned are the answer, and the policy decides, not a log.
        warnings.simplefilter("ignore")
        try:
            # Lazy: reads headers only. `formats` pins the one plugin the magic bytes chose.
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]]) as image:
                sizes = list(_frame_sizes(image) if kind == "tiff" else [image.size])
        except Image.DecompressionBombError:
            # Pillow refuses, at open, a first page above twice MAX_IMAGE_PIXELS without
            # saying the size; that bound is a true lower bound, far above any sane limit.
            refused_above = 2 * (Image.MAX_IMAGE_PIXELS or 0)
            return FileFacts(kind=kind, pages=1, largest_page_pixels=refused_above + 1)
    largest = max(width * height for width, height in sizes)
    if largest == 0:
        return _corrupt(kind)  # a header claiming no pixels at all
    return FileFacts(kind=kind, pages=len(sizes), largest_page_pixels=largest)


def _frame_sizes(image: Image.Image) -> Iterator[tuple[int, int]]:
    """Each TIFF page's size, from its header (IFD) alone."""
    # Pillow checks only the first page against MAX_IMAGE_PIXELS; later pages are
    # measured here instead.
    for frame in range(MAX_PAGES_COUNTED + 1):
        try:
            image.seek(frame)
        except EOFError:
            return
        yield image.size
