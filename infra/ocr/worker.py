"""What runs inside an OCR worker process: one page per task, loaded here and read with
the process's reused Tesseract engines (`tesseract.py`); a template's fields by `fields.py`, a
page of ruled tables by `ruled.py`.

Every function here runs in a child process (pdfium is not thread-safe, even across
documents) or in the serial twin's single thread. Inputs and outputs are small picklable
values; a task opens the scan by path and renders only its own page, so a worker's memory
stays flat however long the document.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from infra.ocr import blocks, imaging, ink, lighting, pdf_scan, tesseract
from infra.ocr.fields import read_fields
from infra.ocr.page import LOW_PAGE_CONFIDENCE, PAGE_DESKEW_MIN, SMALL_FACTOR, rss_kib, to_px
from infra.ocr.readings import PageReading, PageTask
from infra.ocr.ruled import read_if_ruled
from infra.ocr.template import align
from infra.ocr.text import clean_page_text

LARGE_LINE_PX = 40  # lines this tall at 300 dpi (about 11 pt and up) are read at 150 dpi


def probe_file(path: str, kind: str) -> Any:
    from infra.ocr.probe import probe

    return probe(Path(path).read_bytes(), kind)  # type: ignore[arg-type]


def page_preview(path: str, kind: str, index: int, width: int) -> bytes:
    """The page as a PNG `width` pixels wide, for staff to see beside the fields it gave.
    Runs in a worker process (pdfium is not thread-safe)."""
    image = load_page(path, kind, index)
    image.thumbnail((width, width * 4))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def load_page(path: str, kind: str, index: int) -> Image.Image:
    """The page as an 8-bit grayscale image at 300 dpi."""
    if kind == "pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            page = pdf[index]
            try:
                image = pdf_scan.scanned_page(page, tesseract.DPI) or _render(page)
            finally:
                page.close()
        finally:
            pdf.close()
        return image
    with Image.open(path) as source:
        source.seek(index)
        # A phone stores its photo sideways and says so in EXIF: turned here, upright for the
        # reading and for the staff's preview, with no orientation guess.
        # A colour page (tinted paper, a coloured form) in the grey that keeps its ink.
        image, _ = lighting.to_gray(ImageOps.exif_transpose(source) or source)
        dpi = source.info.get("dpi", (tesseract.DPI, tesseract.DPI))[0] or tesseract.DPI
    if abs(float(dpi) - tesseract.DPI) > 1:
        scale = tesseract.DPI / float(dpi)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    return image


def _render(page: Any) -> Image.Image:
    bitmap = page.render(scale=tesseract.DPI / 72, grayscale=True)
    try:
        image: Image.Image = bitmap.to_pil().convert("L")
        return image
    finally:
        bitmap.close()


def read_page(task: PageTask) -> PageReading:
    import tesserocr

    # A shadow or light falling off across a photo: the paper made even first, only then
    # its levels measured (both steps leave an evenly lit, plain page untouched).
    page = load_page(task.path, task.kind, task.page_index)
    # The light is measured on the page's 4 x 4 means, which are the 75 dpi copy as well:
    # made once (1.5 ms a page), and made again only for a page the two steps changed.
    means = imaging.downscale(page, lighting.MEAN_SIZE)
    evened, _ = lighting.even_light(page, means=means)
    image = _plain_paper(evened)
    same = image is page and SMALL_FACTOR == lighting.MEAN_SIZE
    small = means if same else imaging.downscale(image, SMALL_FACTOR)
    skew = imaging.estimate_skew(small)
    if task.fields:
        aligned = align(small, skew, task)
        if not aligned.found:
            # Perhaps fed upside down: a half turn is exact (no resampling) and keeps the skew.
            half = Image.Transpose.ROTATE_180
            upside_down = align(small.transpose(half), skew, task)
            if upside_down.found:
                reading = read_fields(
                    image.transpose(half),
                    upside_down.small_deskewed,
                    task,
                    upside_down.skew,
                    upside_down.shift,
                )
                return replace(reading, orientation_degrees=180)
        return read_fields(image, aligned.small_deskewed, task, aligned.skew, aligned.shift)
    ruled_reading = read_if_ruled(task, image, small, skew)
    if ruled_reading is not None:
        return ruled_reading
    vertical = imaging.is_vertical(small)
    if vertical:  # straightened along its columns: the same angle, measured across them
        skew = imaging.estimate_skew(small.transpose(Image.Transpose.ROTATE_90))
    dpi = tesseract.DPI
    if not vertical and imaging.line_height(small, skew) * SMALL_FACTOR >= LARGE_LINE_PX:
        # Large type reads better and faster at half the resolution, and the averaging fades
        # specks (tuning pages: CER 1.82 % -> 0.68 %, Tesseract 2.7 s -> 2.2 s a page).
        image, dpi = imaging.downscale(image, 2), tesseract.DPI // 2
    if abs(skew) >= PAGE_DESKEW_MIN:
        image = imaging.rotate(image, skew)
    if vertical:
        text, confidence = _read_vertical_page(image)
    else:
        # Specks read as stray glyphs: a 3x3 median took page CER from 1.21 % to 0.51 % on
        # the corpus (median3: the same pixels as PIL's filter in a third of the time).
        image = Image.fromarray(imaging.median3(np.asarray(image)))
        text, confidence = tesseract.ocr(image, tesserocr.PSM.AUTO, None, dpi=dpi)
        if confidence < LOW_PAGE_CONFIDENCE:  # perhaps 縦書き after all: keep the better
            other, other_confidence = _read_vertical(image, dpi)
            if other_confidence > confidence:
                text, confidence = other, other_confidence
    orientation = 0
    if confidence < LOW_PAGE_CONFIDENCE:
        orientation = tesseract.orientation(image, dpi)
        if orientation:
            turned = image.rotate(orientation, expand=True, fillcolor=255)
            turned_text, turned_confidence = tesseract.ocr(
                turned, tesserocr.PSM.AUTO, None, dpi=dpi
            )
            if turned_confidence > confidence:
                text, confidence = turned_text, turned_confidence
            else:
                orientation = 0
    return PageReading(
        task.page_index,
        clean_page_text(text),
        confidence,
        skew,
        orientation,
        peak_rss_kib=rss_kib(),
    )


# A page with less than half a percent of ink (one box of a sparse form) has its darkest
# half-percent on paper: its levels cannot be measured, and stretching them blackened the
# blur around every stroke (a box's border then read as text).
SPARSE_INK_SPAN = 32


def _plain_paper(image: Image.Image) -> Image.Image:
    """The page with white paper: only a dark, light or grainy scan is changed (about 50 ms),
    so every later step and constant sees what it was tuned on."""
    # Every fourth pixel tells the levels as well, taken by Pillow: a plain page, most of
    # them, is never copied into numpy.
    levels = ink.page_levels(imaging.every_other(image))
    if levels.plain or levels.paper - levels.darkest < SPARSE_INK_SPAN:
        return image
    page = np.asarray(image)
    return Image.fromarray(imaging.whiten_paper(page, levels.paper, levels.darkest, levels.grain))


def _read_vertical(image: Image.Image, dpi: int = tesseract.DPI) -> tuple[str, float]:
    """A 縦書き page as one block of columns, right to left. Measured on generated pages:
    CER 0.0 % as one vertical block, 1.5 % with Tesseract's own layout analysis and 5.8 %
    after the 3x3 median that helps horizontal pages (it split columns into blocks)."""
    import tesserocr

    return tesseract.ocr(
        image, tesserocr.PSM.SINGLE_BLOCK_VERT_TEXT, None, tesseract.vertical_api(), dpi=dpi
    )


# Blocks of a 縦書き page (a heading and the body, two 段) are 5 mm apart or more; inside a
# block some column always holds ink. A band under 12 mm high is one line across (a heading):
# at 4.5 mm a character, a column that short is two characters.
BLOCK_GAP_MM = 5.0
VERTICAL_BLOCK_MIN_MM = 12.0
BLOCK_ROW_MIN_INK = 3  # inked pixels (300 dpi, specks gone) that make a row part of a block


def _read_vertical_page(image: Image.Image) -> tuple[str, float]:
    """A 縦書き page block by block, top to bottom, each block's direction its own: read as
    one block, a horizontal heading came apart into single characters among the columns, and
    the columns of two 段 one above the other were read across both (CER 61-68 %, measured
    on generated pages). A page of one block is read as before."""
    # Found at full size on the page cleaned of specks: at 75 dpi the foot of the one long
    # column left on a page is under three pixels a row, so it was cut off as a block of its
    # own among the specks of a dark scan and read across (report page: CER 0.4 -> 7.5 %).
    cleaned = imaging.ink(imaging.median3(np.asarray(image)))
    found = blocks.bands(cleaned, to_px(BLOCK_GAP_MM), BLOCK_ROW_MIN_INK)
    if len(found) <= 1:
        return _read_vertical(image)
    small = imaging.downscale(image, SMALL_FACTOR)
    texts, confidences = [], []
    for top, bottom in found:
        band = image.crop((0, top, image.width, bottom))
        small_band = small.crop((0, top // SMALL_FACTOR, small.width, bottom // SMALL_FACTOR))
        rows = np.flatnonzero(cleaned[top:bottom].sum(axis=1) >= BLOCK_ROW_MIN_INK)
        tall = len(rows) and rows[-1] - rows[0] >= to_px(VERTICAL_BLOCK_MIN_MM)
        if tall and imaging.is_vertical(small_band):
            text, confidence = _read_vertical(band)
        else:
            band = Image.fromarray(imaging.median3(np.asarray(band)))
            text, confidence = tesseract.ocr(band, 3, None)  # PSM.AUTO
        texts.append(clean_page_text(text))
        confidences.append(confidence)
    return "\n".join(t for t in texts if t), sum(confidences) / len(confidences)
