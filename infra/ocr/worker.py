"""What runs inside an OCR worker process: one page per task, read with the process's reused
Tesseract engines (`tesseract.py`); a template's fields with the help of `digit_runs.py`.

Every function here runs in a child process (pdfium is not thread-safe, even across
documents) or in the serial twin's single thread. Inputs and outputs are small picklable
values; a task opens the scan by path and renders only its own page, so a worker's memory
stays flat however long the document.
"""

from __future__ import annotations

import functools
import io
import resource
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from infra.ocr import (
    blocks,
    digit_runs,
    handread,
    imaging,
    ink,
    kana,
    lighting,
    pdf_scan,
    second,
    spacing,
    tables,
    tesseract,
)
from infra.ocr.marks import Mark
from infra.ocr.text import clean_page_text

SMALL_FACTOR = 4  # skew and alignment run on a 75 dpi copy
SMALL_INK = 200  # at 75 dpi a thin printed border averages to light gray
MAX_SHIFT_MM = 15.0
BORDER_INSET_MM = 0.8  # inside the printed border: alignment is good to about 0.3 mm
CHECKBOX_INSET_MM = 1.2
EMPTY_INK = 0.003  # below this a box holds nothing written (specks, dust)
SINGLE_LINE_MAX_MM = 14.0
# Tesseract's own layout analysis copes with up to about 1° on full pages, and resampling
# the page made the CER worse there (measured: 3.0 % -> 4.0 % with tessdata_fast jpn).
PAGE_DESKEW_MIN = 1.0
FIELD_SCALE = 0.6
LATIN_KINDS = frozenset({"digits", "integer"})
WORDED_KINDS = frozenset({"text", "katakana"})  # a space between words is part of the value
REREAD_KINDS = frozenset({"date", "text"})  # read by jpn, digits among their characters
LOW_PAGE_CONFIDENCE = 60.0  # below this a page may be sideways or upside down: ask OSD
LARGE_LINE_PX = 40  # lines this tall at 300 dpi (about 11 pt and up) are read at 150 dpi
ONE_GLYPH_ASPECT = 1.3  # ink no wider than this times its height is a single character
GLYPH_MARGIN_PX = 12
GLYPH_MIN_CONFIDENCE = 80.0
GLYPH_CHECK_SCALE = 0.8
# A line of words read with less confidence than this is read again, cut tight around its ink
# (`_more_confident`). Development set, 96 forms, the 26 text and katakana lines under 60:
# right 10 as first read, 12 keeping the more confident of that and a reading at full size,
# 21 of that and the tight cut (a Mincho 翔 read 義 at 48, Noto Sans's 蓮 read 夢 at 56).
LINE_AGAIN_BELOW = 60.0
# A katakana line read with less confidence than this, or with another count of characters than
# its ink holds, is read again with its glyphs set apart (`kana.py`). Development set, 192
# forms: the five kana lines with a glyph doubled, dropped or misread were read at 81 or less
# or with the count wrong; 15 were read again, those five then right and five right ones no
# longer unsure (tuning set, 40 forms: one read again, right before and after).
KANA_AGAIN_BELOW = 85.0
# Read again with as many characters as the first reading, the reading set apart replaces it
# only when at least this much more confident: it loses the narrow cell of a small kana and
# a (han)dakuten's place beside its kana. Random kana names rendered in six faces at 200 and
# 300 dpi (960 lines), where both readings gave the glyphs' count and differed: the set-apart
# reading was right in 6 (9 to 19 more confident), the first in 5 (ュ/ユ, ャ/ヤ, ピ/ビ, ボ/ポ,
# ヂ/チ; 1 to 9 more confident); development set: 2 right (12 and 16 more).
KANA_AGAIN_MARGIN = 10.0
READING_STATE = ("symbols", "other_choices", "symbol_boxes")  # what `_read_line` leaves


@dataclass(frozen=True)
class FieldBox:
    name: str
    kind: str
    box_mm: tuple[float, float, float, float]
    whitelist: str | None = None
    hand: bool = False
    cells: int = 0  # a comb of this many cells, read one character a cell by the hand model
    options: tuple[tuple[float, float, float, float], ...] = ()  # a choice's option areas
    vertical: bool = False  # 縦書き: read with jpn_vert


@dataclass(frozen=True)
class PageTask:
    path: str
    kind: str  # pdf, tiff, png, jpeg
    page_index: int
    fields: tuple[FieldBox, ...] = ()  # empty: read the whole page as text
    page_size_mm: tuple[float, float] | None = None


@dataclass(frozen=True)
class FieldReading:
    name: str
    raw: str
    confidence: float
    ink_ratio: float
    blank: bool = False  # no ink in the box (measured by `ink.measure`): nothing was written
    cells: tuple[handread.CellGuess, ...] = ()  # a comb: one guess per cell
    marks: tuple[Mark, ...] = ()  # hand marks: one per choice option, or the checkbox's
    symbols: tuple[tuple[str, float], ...] = ()  # each character read, with its confidence
    # For each of `symbols`, the engine's best other choices with their scores: read only when
    # a digit or kana was read with less than tesseract.SURE_SYMBOL (`tesseract.other_choices`).
    other_choices: tuple[tuple[tuple[str, float], ...], ...] = ()
    # Characters written, counted on the ink: separate runs of inked columns (digit kinds),
    # glyphs a kana line holds (katakana, `kana.glyph_count`).
    glyph_runs: int = 0
    # A katakana line read as one word where the ink shows a gap that may be a space or not
    # (`spacing.gap_unsure`).
    space_unsure: bool = False
    # A katakana line with a kana read small whose glyph sits as a full-size one does, or the
    # reverse (`kana.size_unsure`): ュ or ユ, ッ or ツ, the reading does not say.
    kana_size_unsure: bool = False
    digits_again: tuple[
        digit_runs.DigitRun, ...
    ] = ()  # each run of digits in a line jpn read, in order
    # What the larger network said of a doubted line of words (`second.py`): "" not asked.
    second_opinion: second.Verdict = ""


@dataclass(frozen=True)
class PageReading:
    page_index: int
    text: str
    confidence: float
    skew_degrees: float = 0.0
    orientation_degrees: int = 0
    aligned: bool = True
    fields: tuple[FieldReading, ...] = field(default=())
    peak_rss_kib: int = 0


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


# What an amount may end with that the digit model cannot read (the integer parser takes it).
AMOUNT_UNIT = "円"


def _without_unit(crop: Any, threshold: int) -> Any:
    """An amount's crop with its trailing 円 whitened, when the Japanese model reads the last
    full-width character as 円 on its own.

    The English model reads the digits but not 円: it dropped it or read it as "M", "/9", and
    the word's confidence fell to 0-49 with every digit right, so nearly every amount went to
    review (development set: 45 of 48 forms). Two digits touching can make a run as wide, so
    a run is whitened only when the model that knows 円 says it is one. 48 development forms:
    exact 94.32 -> 94.51 %, flagged 17.23 -> 8.33 %, wrong and not flagged 1.70 % unchanged;
    40 tuning forms (no amounts) unchanged.
    """
    import tesserocr

    runs = digit_runs.ink_runs(crop, threshold)
    if not runs or not runs[-1].full_width:
        return crop
    last = runs[-1]
    columns = crop[:, last.start : last.end]
    top, bottom = _tallest_band(columns < threshold)
    glyph = imaging.pad(columns[top:bottom], GLYPH_MARGIN_PX)
    patch = tesseract.scaled(Image.fromarray(glyph), FIELD_SCALE)
    # Single-character (and single-line) mode returned nothing for a clean Noto Sans 円 that
    # a raw line reads at 96.
    for psm in (tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.RAW_LINE):
        text, confidence = tesseract.ocr(patch, psm, None, tesseract.jpn_api())
        if text.strip():
            break
    if text.strip() != AMOUNT_UNIT or confidence < GLYPH_MIN_CONFIDENCE:
        return crop
    digits = crop.copy()
    digits[:, last.start : last.end] = 255
    return digits


def _tallest_band(ink: Any) -> tuple[int, int]:
    """The first and one-past-last rows of the tallest band of inked rows: a speck below 円,
    cut with it, made Sawarabi Mincho's 円 a doubtful one (79)."""
    inked = np.concatenate(([False], ink.any(axis=1), [False]))
    starts = np.flatnonzero(inked[1:] & ~inked[:-1])
    ends = np.flatnonzero(~inked[1:] & inked[:-1])
    tallest = int(np.argmax(ends - starts))
    return int(starts[tallest]), int(ends[tallest])


def _rss_kib() -> int:
    """This process's own peak resident size. Not ru_maxrss: a spawned worker inherits the
    parent's value there (measured: a 16 MB child reported its 500 MB parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


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
        aligned = _align(small, skew, task)
        if not aligned.found:
            # Perhaps fed upside down: a half turn is exact (no resampling) and keeps the skew.
            half = Image.Transpose.ROTATE_180
            upside_down = _align(small.transpose(half), skew, task)
            if upside_down.found:
                reading = _read_fields(
                    image.transpose(half),
                    upside_down.small_deskewed,
                    task,
                    upside_down.skew,
                    upside_down.shift,
                )
                return replace(reading, orientation_degrees=180)
        return _read_fields(image, aligned.small_deskewed, task, aligned.skew, aligned.shift)
    ruled_reading = _read_if_ruled(task, image, small, skew)
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
        peak_rss_kib=_rss_kib(),
    )


# A page with less than half a percent of ink (one box of a sparse form) has its darkest
# half-percent on paper: its levels cannot be measured, and stretching them blackened the
# blur around every stroke (a box's border then read as text).
SPARSE_INK_SPAN = 32


def _plain_paper(image: Image.Image) -> Image.Image:
    """The page with white paper: only a dark, light or grainy scan is changed (about 50 ms),
    so every later step and constant sees what it was tuned on."""
    page = np.asarray(image)
    levels = ink.page_levels(page[::2, ::2])  # every fourth pixel tells the levels as well
    if levels.plain or levels.paper - levels.darkest < SPARSE_INK_SPAN:
        return image
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
    found = blocks.bands(cleaned, _to_px(BLOCK_GAP_MM), BLOCK_ROW_MIN_INK)
    if len(found) <= 1:
        return _read_vertical(image)
    small = imaging.downscale(image, SMALL_FACTOR)
    texts, confidences = [], []
    for top, bottom in found:
        band = image.crop((0, top, image.width, bottom))
        small_band = small.crop((0, top // SMALL_FACTOR, small.width, bottom // SMALL_FACTOR))
        rows = np.flatnonzero(cleaned[top:bottom].sum(axis=1) >= BLOCK_ROW_MIN_INK)
        tall = len(rows) and rows[-1] - rows[0] >= _to_px(VERTICAL_BLOCK_MIN_MM)
        if tall and imaging.is_vertical(small_band):
            text, confidence = _read_vertical(band)
        else:
            band = Image.fromarray(imaging.median3(np.asarray(band)))
            text, confidence = tesseract.ocr(band, 3, None)  # PSM.AUTO
        texts.append(clean_page_text(text))
        confidences.append(confidence)
    return "\n".join(t for t in texts if t), sum(confidences) / len(confidences)


def _to_px(value_mm: float, factor: int = 1) -> int:
    return round(value_mm * tesseract.PX_PER_MM / factor)


ALIGN_MIN_SCORE = 0.35  # share of the outlines found as ink: below it, not this template
# The text's skew can be off by a degree on a form (a few short lines of text, long printed
# borders): 1° across a 175 mm row of boxes moves its far end 3 mm. When the outlines do not
# fit at the text's skew, the angle is searched around it for the one that fits them best.
# Development forms 0-191 (seed 50000): forms 15, 101, 113, 141, 163 and 164 scored 0.17-0.32
# at the text's skew, 0.49-0.54 at the best angle. Searched only then: on every page it moved
# forms that fitted (dev form 44's kana and date then misread, one of them unflagged).
# Development forms 0-191: not_aligned fields 42 -> 0, exact 97.68 % -> 98.34 %, wrong and
# not flagged 0.19 % -> 0.19 % (the same four misreadings, none on a form it turned).
ALIGN_ANGLE_STEPS = ((0.25, 1.5), (0.05, 0.2))  # (step, span either side) in degrees


@dataclass(frozen=True)
class Alignment:
    shift: tuple[int, int, bool]  # (dx, dy) in 300 dpi pixels from template to scan, found
    skew: float  # the angle that straightens the page onto the template's outlines
    small_deskewed: Image.Image

    @property
    def found(self) -> bool:
        return self.shift[2]


def _align(small: Image.Image, skew: float, task: PageTask) -> Alignment:
    """Where the template's boxes lie on the 75 dpi page, and at which angle."""
    boxes = tuple(f.box_mm for f in task.fields)
    outlines = _outlines(task.page_size_mm or (210.0, 297.0), boxes)

    def fit(angle: float) -> tuple[int, int, float, Image.Image]:
        # Turned bilinear, not bicubic (13 ms, not 31): this copy only gives the outlines'
        # ink and the ink threshold. Field figures, 100 tuning / 48 report forms: unchanged
        # / flagged 46 -> 45 (nearest-pixel: one exact fewer on each).
        turned = imaging.rotate(small, angle, Image.Resampling.BILINEAR)
        dx, dy, score = imaging.find_shift(imaging.ink(np.asarray(turned), SMALL_INK), outlines)
        return dx, dy, score, turned

    best_angle, best = skew, fit(skew)
    for step, span in ALIGN_ANGLE_STEPS if best[2] < ALIGN_MIN_SCORE else ():
        centre = best_angle
        for angle in np.arange(centre - span, centre + span + step / 2, step):
            candidate = fit(round(float(angle), 2))
            if candidate[2] > best[2]:
                best_angle, best = round(float(angle), 2), candidate
    dx, dy, score, turned = best
    return Alignment(
        (dx * SMALL_FACTOR, dy * SMALL_FACTOR, score >= ALIGN_MIN_SCORE), best_angle, turned
    )


@functools.lru_cache(maxsize=32)
def _outlines(
    page_size_mm: tuple[float, float], boxes_mm: tuple[tuple[float, float, float, float], ...]
) -> imaging.Outlines:
    """A template's outlines at 75 dpi, transformed once per worker, not once per page."""
    width_mm, height_mm = page_size_mm
    shape = (_to_px(height_mm, SMALL_FACTOR), _to_px(width_mm, SMALL_FACTOR))
    boxes = [tuple(_to_px(v, SMALL_FACTOR) for v in box) for box in boxes_mm]
    expected = imaging.outline_mask(shape, boxes)  # type: ignore[arg-type]
    return imaging.outlines(expected, _to_px(MAX_SHIFT_MM, SMALL_FACTOR))


def _box_px(box_mm: tuple[float, ...], dx: int, dy: int, inset_mm: float) -> tuple[int, ...]:
    x, y, w, h = box_mm
    inset = _to_px(inset_mm)
    x0, y0 = _to_px(x) + dx + inset, _to_px(y) + dy + inset
    return x0, y0, max(_to_px(w) - 2 * inset, 1), max(_to_px(h) - 2 * inset, 1)


def _field_crop(
    image: Image.Image, box: FieldBox, dx: int, dy: int, skew: float, threshold: int | None = None
) -> Any:
    """The box interior as cut from the page, straightened, border and specks not yet removed.
    Given the page's ink threshold, a line of writing's box is turned bicubic only as far as
    its writing goes and PAPER_MARGIN_MM beyond (`imaging.deskewed_writing`)."""
    inset = CHECKBOX_INSET_MM if box.kind == "checkbox" else BORDER_INSET_MM
    if threshold is None or box.vertical or box.kind == "checkbox":
        return _crop_mm(image, box.box_mm, inset, dx, dy, skew)
    region = _box_px(box.box_mm, dx, dy, inset)
    margin, edge = _to_px(PAPER_MARGIN_MM), _to_px(ink.BORDER_BAND_MM)
    return imaging.deskewed_writing(image, region, skew, threshold, margin, edge)  # type: ignore[arg-type]


# The bicubic turn was a third of the time outside Tesseract in template mode (17 of 51 ms a
# tuning form, one process); past the writing it now costs 9. A box cut short there instead
# read with less confidence (6 right development names sent to review, margin 4 or 12 mm);
# kept, as nearest pixels past 4 mm: 40 tuning forms exact 99.72 -> 100.00 %, flagged 2.78 ->
# 2.50 %; 48 development forms unchanged (exact 98.67 %, flagged 5.30 %); wrong and not
# flagged 0.00 % on both. Every other field read as before, confidences within 6 points.
PAPER_MARGIN_MM = 4.0


def _crop_mm(
    image: Image.Image, box_mm: tuple[float, ...], inset: float, dx: int, dy: int, skew: float
) -> imaging.Gray:
    region = _box_px(box_mm, dx, dy, inset)
    return np.asarray(imaging.deskewed_crop(image, region, skew))  # type: ignore[arg-type]


def _cleaned(crop: Any, despeckled: Any = None) -> Any:
    """The crop without its border's remnants, despeckled. `despeckled`, the crop's own 3x3
    median, is that already when no remnant was found (most boxes, cut inside their border)."""
    bordered = imaging.clear_border_lines(crop)
    if bordered is crop and despeckled is not None:
        return despeckled
    return imaging.despeckle(bordered)


def _one_glyph(measured: ink.Ink, vertical: bool) -> bool:
    """The ink is one character long (a one-digit box): read it as a single character."""
    if measured.bbox is None:
        return False
    _, _, width, height = measured.bbox
    if vertical:  # characters stack downwards: one is no taller than it is wide
        return height <= ONE_GLYPH_ASPECT * width
    return width <= ONE_GLYPH_ASPECT * height


def _read_hand(
    image: Image.Image, box: FieldBox, dx: int, dy: int, skew: float, threshold: int
) -> FieldReading:
    """A handwritten field, a comb or a choice: evidence from ink and the hand model."""

    def crop(box_mm: tuple[float, float, float, float], inset: float) -> imaging.Gray:
        return _crop_mm(image, box_mm, inset, dx, dy, skew)

    if box.kind == "choice":
        found = handread.option_marks(box.options, crop, tesseract.PX_PER_MM, threshold)
        return FieldReading(box.name, "", 100.0, 0.0, marks=found)
    if box.kind == "checkbox":
        mark = handread.checkbox_mark(box.box_mm, crop, tesseract.PX_PER_MM, threshold)
        return FieldReading(box.name, "", 100.0, 0.0, marks=(mark,))
    if box.cells:
        guesses = handread.read_cells(box.box_mm, box.cells, box.kind, crop, threshold)
        blank = not any(guess.ink for guess in guesses)
        return FieldReading(box.name, "", 100.0, 0.0, blank=blank, cells=guesses)
    measured = ink.measure(crop(box.box_mm, BORDER_INSET_MM), tesseract.DPI, threshold)
    return FieldReading(box.name, "", 100.0, measured.ratio, blank=not measured.written)


def _read_line(patch: Image.Image, box: FieldBox) -> tuple[str, float]:
    """The field's text and confidence.

    Read freely first, trying the next segmentation mode while Tesseract returns nothing
    (seen on the corpus: a three-glyph name can come back empty in single-line mode yet
    read right as one block of glyphs, SINGLE_CHAR, or as a raw line). Only when the free
    reading holds characters the kind cannot have is the whitelist applied: forced first,
    it made the fast model return nothing for single digits. A forced reading differs from
    what the model saw, so it keeps the lower of the two confidences.
    """
    import tesserocr

    single = box.box_mm[3] <= SINGLE_LINE_MAX_MM
    first = tesserocr.PSM.SINGLE_LINE if single else tesserocr.PSM.SINGLE_BLOCK
    api = tesseract.latin_api() if box.kind in LATIN_KINDS else tesseract.jpn_api()
    if box.vertical:
        first, api = tesserocr.PSM.SINGLE_BLOCK_VERT_TEXT, tesseract.vertical_api()
    for psm in (first, tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.RAW_LINE):
        text, confidence = tesseract.ocr(patch, psm, None, api, symbols=True)
        # jpn_vert puts a space between every two words it sees: they say nothing written.
        text = "".join(text.split()) if box.vertical else text.strip()
        if text:
            break
    else:
        return "", 0.0
    allowed = box.whitelist
    if allowed and any(c not in allowed and not c.isspace() for c in text):
        forced, forced_confidence = tesseract.ocr(patch, psm, allowed, api, symbols=True)
        if forced.strip():
            tesseract.state["other_choices"] = tesseract.other_choices(patch, psm, allowed, api)
            return forced.strip(), min(confidence, forced_confidence)
    tesseract.state["other_choices"] = tesseract.other_choices(patch, psm, None, api)
    return text, confidence


def _more_confident(
    patch: Image.Image,
    crop: Any,
    measured: ink.Ink,
    box: FieldBox,
    text: str,
    confidence: float,
) -> tuple[str, float, Image.Image]:
    """A line of words read with little confidence, read again cut tight around its ink (as
    a lone glyph is): the more confident reading is kept, with its characters (confidences,
    other choices, boxes) and the image they were read on. A single character so read is
    trusted only if read the same at another size (`_glyph_checked`): VL Gothic's lone 妻,
    cut tight, came back as "お" at 95."""
    assert measured.bbox is not None
    first = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    x, y, width, height = measured.bbox
    glyphs = imaging.pad(crop[y : y + height, x : x + width], GLYPH_MARGIN_PX)
    tight = tesseract.scaled(Image.fromarray(glyphs), FIELD_SCALE)
    again, again_confidence = _read_line(tight, box)
    if len(again) == 1:
        kept = {key: tesseract.state.get(key, ()) for key in READING_STATE}
        again_confidence = _glyph_checked(glyphs, again, again_confidence, tesseract.jpn_api())
        tesseract.state.update(kept)
    if again_confidence > confidence:
        return again, again_confidence, tight
    tesseract.state.update(first)
    return text, confidence, patch


def _second_opinion(
    patch: Image.Image, box: FieldBox, text: str, confidence: float
) -> tuple[str, float, second.Verdict]:
    """A doubted line of words read again by the larger network (`second.py`): where the two
    agree, the more confident scores stand; where they differ, each character is the more
    confident reading's, and the line goes to staff. The first reading's boxes and other
    choices are kept."""
    import tesserocr

    symbols = tesseract.state.get("symbols", ())
    if not second.doubted(symbols, confidence):
        return text, confidence, ""
    single = box.box_mm[3] <= SINGLE_LINE_MAX_MM
    psm = tesserocr.PSM.SINGLE_LINE if single else tesserocr.PSM.SINGLE_BLOCK
    first = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    _, again_confidence = tesseract.ocr(patch, psm, None, tesseract.second_jpn_api(), symbols=True)
    result = second.merged(text, symbols, tesseract.state.get("symbols", ()))
    tesseract.state.update(first)
    if result.verdict == "unaligned":
        return text, confidence, result.verdict
    tesseract.state["symbols"] = result.symbols
    if len(result.symbols) != len(symbols):
        tesseract.state["other_choices"] = ()
    if result.verdict == "agreed":
        confidence = max(confidence, again_confidence)
    return result.text, confidence, result.verdict


def _written_ink(crop: Any, threshold: int) -> Any:
    """The crop's ink without a band of BORDER_BAND_MM along its edges, where what is left of
    the box's border lies: a remnant down one edge stretched the line's height to the box's
    and gave a glyph of its own (a sliver two pixels wide, too short for `ink.strip_border`
    to take for a line, left a Noto Serif kana name without its space)."""
    mask = imaging.ink(crop, threshold)
    band = _to_px(ink.BORDER_BAND_MM)
    mask[:band, :] = mask[-band:, :] = False
    mask[:, :band] = mask[:, -band:] = False
    return mask


def _katakana_again(
    crop: Any, written: Any, glyphs: int, box: FieldBox, text: str, confidence: float
) -> tuple[str, float]:
    """A katakana line read with little confidence, or with more or fewer characters than its
    ink holds, read again with its glyphs set apart: that reading is kept, with its characters'
    confidences and other choices, when it gives one character a glyph and the first did not,
    or did with KANA_AGAIN_MARGIN less confidence. Its spaces are the first reading's where
    that one holds as many characters; else the ink's (`_spaced`)."""
    read = len("".join(text.split()))
    if read == glyphs and confidence >= KANA_AGAIN_BELOW:
        return text, confidence
    first = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    apart = tesseract.scaled(Image.fromarray(kana.set_apart(crop, written)), FIELD_SCALE)
    again, again_confidence = _read_line(apart, box)
    chars = "".join(again.split())
    if len(chars) == glyphs and (
        read != glyphs or again_confidence >= confidence + KANA_AGAIN_MARGIN
    ):
        return kana.spaced_as(chars, text), again_confidence
    tesseract.state.update(first)
    return text, confidence


def _spaced(text: str, ink_mask: Any) -> str:
    """The text with the space between two words that the ink shows and the engine did not
    read ("坂本修" for "坂本 修"): decided only in a line read without any space."""
    if not text or any(char.isspace() for char in text):
        return text
    gap = spacing.word_gap(ink_mask, text)
    return text if gap is None else f"{text[:gap]} {text[gap:]}"


def _read_glyph(crop: Any, measured: ink.Ink, box: FieldBox) -> tuple[str, float]:
    """One character, cut tight around its ink: in a wide box the line modes often find no
    text at all around a lone digit (a one-digit 通数 box came back empty).

    No whitelist: forced onto digits, a stray pen stroke came back as a confident "4"; read
    freely it stays what it is, and the kind's parser sends it to review.
    """
    import tesserocr

    assert measured.bbox is not None
    x, y, width, height = measured.bbox
    glyph = imaging.pad(crop[y : y + height, x : x + width], GLYPH_MARGIN_PX)
    patch = tesseract.scaled(Image.fromarray(glyph), FIELD_SCALE)
    api = tesseract.latin_api() if box.kind in LATIN_KINDS else tesseract.jpn_api()
    for psm in (tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.SINGLE_LINE):
        text, confidence = tesseract.ocr(patch, psm, None, api)
        if text.strip():
            # Unsure of a lone glyph, the engine is naming a mark, not reading a character
            # (a stray pen stroke came back as "4" at 65): left unread, for a person.
            if confidence < GLYPH_MIN_CONFIDENCE:
                return "", 0.0
            confidence = _glyph_checked(glyph, text.strip(), confidence, api)
            return text.strip(), confidence
    return "", 0.0


def _glyph_checked(glyph: Any, text: str, confidence: float, api: Any) -> float:
    """A lone glyph read again at GLYPH_CHECK_SCALE: a different reading there means neither
    can be trusted (a Mincho 3 came back as "8" at 91, and as "3" at 0.8). Fitted on 40
    tuning and 40 development forms: the check read all 79 lone digits right, and differed
    only on that one misread. A lone kanji too (Noto Serif's 妻 read as "お" at 88)."""
    import tesserocr

    patch = tesseract.scaled(Image.fromarray(glyph), GLYPH_CHECK_SCALE)
    again, _ = tesseract.ocr(patch, tesserocr.PSM.SINGLE_CHAR, None, api)
    return confidence if again.strip() == text else 0.0


def _read_fields(
    image: Image.Image,
    small_deskewed: Image.Image,
    task: PageTask,
    skew: float,
    alignment: tuple[int, int, bool],
    # A ruled table's cells: text only (no doubts drawn from them, digits not read again),
    # cut as whole bicubic crops (what full-page reading was tuned on).
    table_cells: bool = False,
) -> PageReading:
    dx, dy, aligned = alignment
    threshold = ink.page_ink_threshold(np.asarray(small_deskewed))
    readings = []
    for box in task.fields:
        if box.hand or box.cells or box.kind == "choice":
            readings.append(_read_hand(image, box, dx, dy, skew, threshold))
            continue
        past_writing = None if table_cells else threshold
        raw_crop = _field_crop(image, box, dx, dy, skew, past_writing)
        despeckled = imaging.despeckle(raw_crop)  # for the ink measure, and for `_cleaned`
        crop = _cleaned(raw_crop, despeckled)
        ratio = imaging.ink_ratio(crop)
        if box.kind == "checkbox":  # a mark, not a reading: decided from the ratio alone
            readings.append(FieldReading(box.name, "", 100.0, ratio, blank=ratio < EMPTY_INK))
            continue
        measured = ink.measure(raw_crop, tesseract.DPI, threshold, despeckled)
        if not measured.written:
            readings.append(FieldReading(box.name, "", 100.0, ratio, blank=True))
            continue
        if _one_glyph(measured, box.vertical):
            text, confidence = _read_glyph(crop, measured, box)
            if text or box.kind in LATIN_KINDS:
                readings.append(FieldReading(box.name, text, confidence, ratio))
                continue
            # A lone kanji the engine is unsure of as one glyph (森 in Mincho): read as a line.
        if box.kind == "integer":
            crop = _without_unit(crop, threshold)
        padded = Image.fromarray(imaging.pad(crop, 20))
        patch = tesseract.scaled(padded, FIELD_SCALE)
        text, confidence = _read_line(patch, box)
        if box.kind in WORDED_KINDS and confidence < LINE_AGAIN_BELOW:
            text, confidence, patch = _more_confident(patch, crop, measured, box, text, confidence)
        verdict: second.Verdict = ""
        if box.kind == "text" and not box.vertical:
            text, confidence, verdict = _second_opinion(patch, box, text, confidence)
        glyphs, space_unsure, size_unsure = 0, False, False
        if box.kind in WORDED_KINDS and not box.vertical:
            written = _written_ink(crop, threshold)
            if box.kind == "katakana":
                glyphs = kana.glyph_count(written)
                text, confidence = _katakana_again(crop, written, glyphs, box, text, confidence)
            text = _spaced(text, written)
            space_unsure = (
                box.kind == "katakana" and " " not in text and spacing.gap_unsure(written, text)
            )
            size_unsure = box.kind == "katakana" and kana.size_unsure(written, text)
        # One reading a line. A second look at 0.7 of the size, flagged where the two
        # differed, caught no wrong field that confidence or plausibility left unflagged, but
        # flagged right ones, at 40 % of the engine's time in template mode. Without it:
        # 40 tuning forms flagged 5.3 % -> 4.2 %, 40 development forms (report-like, seeds
        # 900000+) 8.0 % -> 6.8 %, exact and wrong-but-unflagged unchanged on both.
        symbols, others = (
            tesseract.state.get("symbols", ()),
            tesseract.state.pop("other_choices", ()),
        )
        runs = digit_runs.glyph_runs(crop, threshold) if box.kind in LATIN_KINDS else glyphs
        again = (
            digit_runs.digit_runs_again(patch, threshold, FIELD_SCALE)
            if not table_cells and box.kind in REREAD_KINDS and not box.vertical
            else ()
        )
        readings.append(
            FieldReading(
                box.name,
                text,
                confidence,
                ratio,
                symbols=symbols,
                glyph_runs=runs,
                space_unsure=space_unsure,
                kana_size_unsure=size_unsure,
                other_choices=others,
                digits_again=again,
                second_opinion=verdict,
            )
        )
    text = "\n".join(r.raw for r in readings if r.raw)
    confidences = [r.confidence for r in readings]
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return PageReading(task.page_index, text, mean, skew, 0, aligned, tuple(readings), _rss_kib())


# --- pages with ruled tables ------------------------------------------------------------------


def _read_if_ruled(
    task: PageTask, image: Image.Image, small: Image.Image, skew: float
) -> PageReading | None:
    """The page read table by table when it holds ruled tables, else None. Read with little
    confidence, it is asked OSD and read again turned when upside down (a grid looks the
    same either way up); still unsure, None: the plain reading below then has its turn."""
    # Nearest pixels: a twentieth of the time of a bicubic turn, and rules need no more.
    straight = small.rotate(skew, resample=Image.Resampling.NEAREST, fillcolor=255)
    ruled = _tables_of(straight)
    if not ruled:
        return None
    reading = _read_ruled_page(task, image, straight, ruled, skew)
    if reading.confidence >= LOW_PAGE_CONFIDENCE:
        return reading
    if tesseract.orientation(image) != 180:
        return None
    half = Image.Transpose.ROTATE_180
    image, straight = image.transpose(half), straight.transpose(half)
    turned = _read_ruled_page(task, image, straight, _tables_of(straight), skew)
    if turned.confidence < LOW_PAGE_CONFIDENCE:
        return None
    return replace(turned, orientation_degrees=180)


def _tables_of(straight: Image.Image) -> list[tables.Table]:
    mask = imaging.ink(np.asarray(straight), SMALL_INK)
    return tables.find_tables(mask, tesseract.PX_PER_MM / SMALL_FACTOR, SMALL_FACTOR)


def _read_ruled_page(
    task: PageTask,
    image: Image.Image,
    straight: Image.Image,
    ruled: list[tables.Table],
    skew: float,
) -> PageReading:
    """A page holding ruled tables: each cell read on its own, as a template field is (blank
    decided by ink), each table given row by row, its cells left to right separated by a tab
    (a cell merged across rows in its first row, an empty place below); the rest of the
    page read in bands around the tables (`_read_around`), each table after the band above."""
    cells = tuple(
        FieldBox(
            f"{t}.{r}.{c}",
            "text",
            tuple(v / tesseract.PX_PER_MM for v in box),  # type: ignore[arg-type]
            vertical=box[3] >= VERTICAL_CELL * box[2],
        )
        for t, table in enumerate(ruled)
        for r, row in enumerate(table.rows)
        for c, box in enumerate(row)
        if box is not None
    )
    read = _read_fields(
        image, straight, replace(task, fields=cells), skew, (0, 0, True), table_cells=True
    )
    by_name = {f.name: f for f in read.fields}
    for box in cells:
        if not by_name[box.name].blank and by_name[box.name].confidence < CELL_AGAIN_BELOW:
            by_name[box.name] = _cell_again(image, box, skew, by_name[box.name])
    table_texts = [
        "\n".join(
            "\t".join(
                "" if box is None else _cell_text(by_name[f"{t}.{r}.{c}"].raw)
                for c, box in enumerate(row)
            )
            for r, row in enumerate(table.rows)
        )
        for t, table in enumerate(ruled)
    ]
    around, around_confidences = _read_around(image, ruled, skew)
    pieces = [around[0]]
    for table_text, after in zip(table_texts, around[1:], strict=True):
        pieces += [table_text, after]
    confidences = [f.confidence for f in by_name.values() if not f.blank] + around_confidences
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return PageReading(
        task.page_index,
        "\n".join(p for p in pieces if p),
        confidence,
        skew,
        peak_rss_kib=_rss_kib(),
    )


# A cell at least this many times taller than wide holds 縦書き (a label down the side of a
# form's table, 申請者): read across, its characters came one a line with spaces between.
VERTICAL_CELL = 2.0
# Fitted on the tuning table pages (IPAexGothic): a lone 女 in a cell came back as "3" (0) or
# "ーー" (16) at the field scale and as 女 (92) at full size; right readings were 80 and up.
CELL_AGAIN_BELOW = 60.0


def _cell_again(
    image: Image.Image, box: FieldBox, skew: float, first: FieldReading
) -> FieldReading:
    """A cell read with little confidence, read again at full size: the more confident wins."""
    crop = _cleaned(_field_crop(image, box, 0, 0, skew))
    text, confidence = _read_line(Image.fromarray(imaging.pad(crop, 20)), box)
    return (
        replace(first, raw=text, confidence=confidence) if confidence > first.confidence else first
    )


def _cell_text(raw: str) -> str:
    """One cell on one line: its own line breaks become spaces, and no tab is left inside."""
    return " ".join(clean_page_text(raw).split())


def _read_around(
    image: Image.Image, ruled: list[tables.Table], skew: float
) -> tuple[list[str], list[float]]:
    """The page outside its tables, in bands cut at each table's top: the text above the
    first table, then what follows each table down to the next one's top (the tables
    whitened), and the confidence of each band read. A band Tesseract's layout analysis
    reads as nothing or with little confidence, though it holds ink, is read again as sparse
    text, the more confident kept: alone above a table, a title in large type was dropped,
    or read as "川" at 0 or as "名" at 71 (as the first line of a page can be)."""
    import tesserocr

    page = image.copy()
    draw = ImageDraw.Draw(page)
    centre = (image.width / 2, image.height / 2)
    margin = _to_px(WHITEN_MARGIN_MM)
    turned = abs(skew) >= PAGE_DESKEW_MIN
    cuts = []
    for table in ruled:  # whitened where it lies on the page as scanned
        x, y, w, h = table.box
        x, y, w, h = x - margin, y - margin, w + 2 * margin, h + 2 * margin
        corners = [
            imaging.source_point(c, skew, centre)
            for c in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        ]
        draw.polygon(corners, fill=255)
        cuts.append(y if turned else round(min(cy for _, cy in corners)))
    if turned:
        page = imaging.rotate(page, skew)
    page = Image.fromarray(imaging.median3(np.asarray(page)))
    texts, confidences = [], []
    for top, bottom in zip([0, *cuts], [*cuts, page.height], strict=True):
        band = page.crop((0, max(top, 0), page.width, max(bottom, top + 1)))
        small_band = np.asarray(imaging.downscale(band, SMALL_FACTOR))
        if imaging.ink(small_band, SMALL_INK).sum() < BAND_MIN_INK_PX:
            texts.append("")
            continue
        text, confidence = tesseract.ocr(band, tesserocr.PSM.AUTO, None)
        if not text.strip() or confidence < BAND_AGAIN_BELOW:
            sparse, sparse_confidence = tesseract.ocr(band, tesserocr.PSM.SPARSE_TEXT, None)
            if sparse_confidence > confidence:
                text, confidence = sparse, sparse_confidence
        texts.append(clean_page_text(text))
        confidences.append(confidence)
    return texts, confidences


WHITEN_MARGIN_MM = 1.0  # around a table: what is left of its outer rules
# Fitted on the tuning table pages (IPAexGothic): the notes under tables read at 88 and up;
# titles misread read at 71 or less, and right as sparse text at 83 and 85.
BAND_AGAIN_BELOW = 80.0
BAND_MIN_INK_PX = 4  # at 75 dpi, about 0.5 mm²: less is a speck, not a line of text
