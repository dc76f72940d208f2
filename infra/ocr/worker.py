"""What runs inside an OCR worker process: one reused Tesseract, one page per task.

Every function here runs in a child process (pdfium is not thread-safe, even across
documents) or in the serial twin's single thread. Inputs and outputs are small picklable
values; a task opens the scan by path and renders only its own page, so a worker's memory
stays flat however long the document.
"""

from __future__ import annotations

import io
import os
import resource
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from infra.ocr import handread, imaging, ink
from infra.ocr.marks import Mark
from infra.ocr.text import clean_page_text

DPI = 300
PX_PER_MM = DPI / 25.4
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
SECOND_LOOK_SCALE = 0.7
LATIN_KINDS = frozenset({"digits", "integer"})
LOW_PAGE_CONFIDENCE = 60.0  # below this a page may be sideways or upside down: ask OSD
LARGE_LINE_PX = 40  # lines this tall at 300 dpi (about 11 pt and up) are read at 150 dpi
ONE_GLYPH_ASPECT = 1.3  # ink no wider than this times its height is a single character
GLYPH_MARGIN_PX = 12
GLYPH_MIN_CONFIDENCE = 80.0


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
    glyph_runs: int = 0  # separate runs of inked columns (digit kinds): characters written


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


_state: dict[str, Any] = {}


def default_tessdata() -> str:
    return str(Path(sys.prefix) / "share" / "tessdata")


VERTICAL_MODEL = "jpn_vert"
BUNDLED_TESSDATA = Path(__file__).resolve().parent / "tessdata"  # package data: jpn_vert


def vertical_tessdata(tessdata: str) -> str:
    """Where jpn_vert is: beside the other models (`make setup` copies it there), or else in
    this package's own data, so an installed wheel finds it too."""
    if (Path(tessdata) / f"{VERTICAL_MODEL}.traineddata").is_file():
        return tessdata
    return str(BUNDLED_TESSDATA)


def init_worker(tessdata: str, languages: str) -> None:
    """Process initialiser: one Tesseract for the life of the process."""
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one core per worker: the pool is the parallelism
    import tesserocr

    _state["api"] = tesserocr.PyTessBaseAPI(
        path=tessdata, lang=languages, psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY
    )
    _state["tessdata"] = tessdata


def _api() -> Any:
    if "api" not in _state:
        init_worker(default_tessdata(), "jpn")
    return _state["api"]


def _osd_api() -> Any:
    if "osd" not in _state:
        import tesserocr

        _state["osd"] = tesserocr.PyTessBaseAPI(
            path=_state.get("tessdata", default_tessdata()),
            lang="osd",
            psm=tesserocr.PSM.OSD_ONLY,
        )
    return _state["osd"]


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
                bitmap = page.render(scale=DPI / 72, grayscale=True)
                image: Image.Image = bitmap.to_pil().convert("L")
                bitmap.close()
            finally:
                page.close()
        finally:
            pdf.close()
        return image
    with Image.open(path) as source:
        source.seek(index)
        # A phone stores its photo sideways and says so in EXIF: turned here, upright for the
        # reading and for the staff's preview, with no orientation guess.
        image = (ImageOps.exif_transpose(source) or source).convert("L")
        dpi = source.info.get("dpi", (DPI, DPI))[0] or DPI
    if abs(float(dpi) - DPI) > 1:
        scale = DPI / float(dpi)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    return image


def _vertical_api() -> Any:
    """Japanese written top to bottom (縦書き): a second Tesseract, loaded on first need."""
    if "vertical" not in _state:
        import tesserocr

        tessdata = vertical_tessdata(_state.get("tessdata", default_tessdata()))
        _state["vertical"] = tesserocr.PyTessBaseAPI(
            path=tessdata, lang=VERTICAL_MODEL, psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY
        )
    return _state["vertical"]


def _latin_api() -> Any:
    """English for fields of digits: on single digits the jpn model reads ']' for 1."""
    if "latin" not in _state:
        import tesserocr

        _state["latin"] = tesserocr.PyTessBaseAPI(
            path=_state.get("tessdata", default_tessdata()),
            lang="eng",
            psm=tesserocr.PSM.SINGLE_LINE,
            oem=tesserocr.OEM.LSTM_ONLY,
        )
    return _state["latin"]


def _ocr(
    image: Image.Image,
    psm: int,
    whitelist: str | None,
    api: Any = None,
    symbols: bool = False,
    dpi: int = DPI,
) -> tuple[str, float]:
    api = api or _api()
    api.SetPageSegMode(psm)
    api.SetVariable("tessedit_char_whitelist", whitelist or "")
    api.SetImage(image)
    api.SetSourceResolution(dpi)  # without it Japanese accuracy drops sharply
    text = api.GetUTF8Text()
    confidence = float(api.MeanTextConf())
    _state["symbols"] = _symbols(api) if symbols else ()
    api.Clear()
    return text, confidence


def _symbols(api: Any) -> tuple[tuple[str, float], ...]:
    """Each character the last reading gave, with the engine's confidence in it."""
    import tesserocr

    level = tesserocr.RIL.SYMBOL
    iterator = api.GetIterator()
    if iterator is None:
        return ()
    found = []
    try:
        for symbol in tesserocr.iterate_level(iterator, level):
            char = symbol.GetUTF8Text(level)
            if char:
                found.append((char, float(symbol.Confidence(level))))
    except RuntimeError:  # tesserocr's "No text returned": an empty reading
        return ()
    return tuple(found)


def _glyph_runs(crop: Any, threshold: int) -> int:
    """Runs of inked columns left to right: about one per digit, hyphen or comma typed."""
    columns = (crop < threshold).sum(axis=0) > 0
    return int(np.count_nonzero(columns[1:] & ~columns[:-1]) + int(columns[0]))


def _orientation(image: Image.Image, dpi: int = DPI) -> int:
    """Degrees to rotate the page counter-clockwise so that it reads upright (0, 90, 180, 270)."""
    api = _osd_api()
    api.SetImage(image)
    api.SetSourceResolution(dpi)
    try:
        result = api.DetectOrientationScript()
    except RuntimeError:
        return 0
    finally:
        api.Clear()
    return int(result.get("orient_deg", 0)) if result else 0


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

    image = _plain_paper(load_page(task.path, task.kind, task.page_index))
    small = imaging.downscale(image, SMALL_FACTOR)
    skew = imaging.estimate_skew(small)
    if task.fields:
        small_deskewed = imaging.rotate(small, skew)
        alignment = _align(small_deskewed, task)
        if not alignment[2]:
            # Perhaps fed upside down: a half turn is exact (no resampling) and keeps the skew.
            half = Image.Transpose.ROTATE_180
            upside_down = _align(small_deskewed.transpose(half), task)
            if upside_down[2]:
                reading = _read_fields(
                    image.transpose(half), small_deskewed.transpose(half), task, skew, upside_down
                )
                return replace(reading, orientation_degrees=180)
        return _read_fields(image, small_deskewed, task, skew, alignment)
    vertical = imaging.is_vertical(small)
    if vertical:  # straightened along its columns: the same angle, measured across them
        skew = imaging.estimate_skew(small.transpose(Image.Transpose.ROTATE_90))
    dpi = DPI
    if not vertical and imaging.line_height(small, skew) * SMALL_FACTOR >= LARGE_LINE_PX:
        # Large type reads better and faster at half the resolution, and the averaging fades
        # specks (tuning pages: CER 1.82 % -> 0.68 %, Tesseract 2.7 s -> 2.2 s a page).
        image, dpi = imaging.downscale(image, 2), DPI // 2
    if abs(skew) >= PAGE_DESKEW_MIN:
        image = imaging.rotate(image, skew)
    if vertical:
        text, confidence = _read_vertical(image)
    else:
        # Specks read as stray glyphs: a 3x3 median took page CER from 1.21 % to 0.51 % on
        # the corpus (median3: the same pixels as PIL's filter in a third of the time).
        image = Image.fromarray(imaging.median3(np.asarray(image)))
        text, confidence = _ocr(image, tesserocr.PSM.AUTO, None, dpi=dpi)
        if confidence < LOW_PAGE_CONFIDENCE:  # perhaps 縦書き after all: keep the better
            other, other_confidence = _read_vertical(image, dpi)
            if other_confidence > confidence:
                text, confidence = other, other_confidence
    orientation = 0
    if confidence < LOW_PAGE_CONFIDENCE:
        orientation = _orientation(image, dpi)
        if orientation:
            turned = image.rotate(orientation, expand=True, fillcolor=255)
            turned_text, turned_confidence = _ocr(turned, tesserocr.PSM.AUTO, None, dpi=dpi)
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


def _plain_paper(image: Image.Image) -> Image.Image:
    """The page with white paper: only a dark, light or grainy scan is changed (about 50 ms),
    so every later step and constant sees what it was tuned on."""
    page = np.asarray(image)
    levels = ink.page_levels(page[::2, ::2])  # every fourth pixel tells the levels as well
    if levels.plain:
        return image
    return Image.fromarray(
        imaging.whiten_paper(page, levels.paper, levels.darkest, levels.threshold)
    )


def _read_vertical(image: Image.Image, dpi: int = DPI) -> tuple[str, float]:
    """A 縦書き page as one block of columns, right to left. Measured on generated pages:
    CER 0.0 % as one vertical block, 1.5 % with Tesseract's own layout analysis and 5.8 %
    after the 3x3 median that helps horizontal pages (it split columns into blocks)."""
    import tesserocr

    return _ocr(image, tesserocr.PSM.SINGLE_BLOCK_VERT_TEXT, None, _vertical_api(), dpi=dpi)


def _to_px(value_mm: float, factor: int = 1) -> int:
    return round(value_mm * PX_PER_MM / factor)


def _align(small_deskewed: Image.Image, task: PageTask) -> tuple[int, int, bool]:
    """Shift (dx, dy) in 300 dpi pixels from the template's boxes to the scan's, and success."""
    width_mm, height_mm = task.page_size_mm or (210.0, 297.0)
    shape = (_to_px(height_mm, SMALL_FACTOR), _to_px(width_mm, SMALL_FACTOR))
    boxes = [tuple(_to_px(v, SMALL_FACTOR) for v in f.box_mm) for f in task.fields]
    expected = imaging.outline_mask(shape, boxes)  # type: ignore[arg-type]
    dx, dy, score = imaging.find_shift(
        imaging.ink(np.asarray(small_deskewed), SMALL_INK),
        expected,
        _to_px(MAX_SHIFT_MM, SMALL_FACTOR),
    )
    return dx * SMALL_FACTOR, dy * SMALL_FACTOR, score >= 0.35


def _box_px(box_mm: tuple[float, ...], dx: int, dy: int, inset_mm: float) -> tuple[int, ...]:
    x, y, w, h = box_mm
    inset = _to_px(inset_mm)
    x0, y0 = _to_px(x) + dx + inset, _to_px(y) + dy + inset
    return x0, y0, max(_to_px(w) - 2 * inset, 1), max(_to_px(h) - 2 * inset, 1)


def _field_crop(image: Image.Image, box: FieldBox, dx: int, dy: int, skew: float) -> Any:
    """The box interior as cut from the page, straightened, border and specks not yet removed."""
    inset = CHECKBOX_INSET_MM if box.kind == "checkbox" else BORDER_INSET_MM
    return _crop_mm(image, box.box_mm, inset, dx, dy, skew)


def _crop_mm(
    image: Image.Image, box_mm: tuple[float, ...], inset: float, dx: int, dy: int, skew: float
) -> imaging.Gray:
    region = _box_px(box_mm, dx, dy, inset)
    return np.asarray(imaging.deskewed_crop(image, region, skew))  # type: ignore[arg-type]


def _cleaned(crop: Any) -> Any:
    return imaging.despeckle(imaging.clear_border_lines(crop))


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
        found = handread.option_marks(box.options, crop, PX_PER_MM, threshold)
        return FieldReading(box.name, "", 100.0, 0.0, marks=found)
    if box.kind == "checkbox":
        mark = handread.checkbox_mark(box.box_mm, crop, PX_PER_MM, threshold)
        return FieldReading(box.name, "", 100.0, 0.0, marks=(mark,))
    if box.cells:
        guesses = handread.read_cells(box.box_mm, box.cells, box.kind, crop, threshold)
        blank = not any(guess.ink for guess in guesses)
        return FieldReading(box.name, "", 100.0, 0.0, blank=blank, cells=guesses)
    measured = ink.measure(crop(box.box_mm, BORDER_INSET_MM), DPI, threshold)
    return FieldReading(box.name, "", 100.0, measured.ratio, blank=not measured.written)


def _scaled(patch: Image.Image, scale: float) -> Image.Image:
    """Typed 12 pt at 300 dpi is larger than the LSTM models like: single digits went from
    34/40 to 40/40 right on the corpus at 0.6 of the size."""
    width, height = round(patch.width * scale), round(patch.height * scale)
    return patch.resize((width, height), Image.Resampling.LANCZOS)


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
    api = _latin_api() if box.kind in LATIN_KINDS else _api()
    if box.vertical:
        first, api = tesserocr.PSM.SINGLE_BLOCK_VERT_TEXT, _vertical_api()
    for psm in (first, tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.RAW_LINE):
        text, confidence = _ocr(patch, psm, None, api, symbols=True)
        # jpn_vert puts a space between every two words it sees: they say nothing written.
        text = "".join(text.split()) if box.vertical else text.strip()
        if text:
            break
    else:
        return "", 0.0
    allowed = box.whitelist
    if allowed and any(c not in allowed and not c.isspace() for c in text):
        forced, forced_confidence = _ocr(patch, psm, allowed, api, symbols=True)
        if forced.strip():
            return forced.strip(), min(confidence, forced_confidence)
    return text, confidence


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
    patch = _scaled(Image.fromarray(glyph), FIELD_SCALE)
    api = _latin_api() if box.kind in LATIN_KINDS else _api()
    for psm in (tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.SINGLE_LINE):
        text, confidence = _ocr(patch, psm, None, api)
        if text.strip():
            # Unsure of a lone glyph, the engine is naming a mark, not reading a character
            # (a stray pen stroke came back as "4" at 65): left unread, for a person.
            return (text.strip(), confidence) if confidence >= GLYPH_MIN_CONFIDENCE else ("", 0.0)
    return "", 0.0


def _read_fields(
    image: Image.Image,
    small_deskewed: Image.Image,
    task: PageTask,
    skew: float,
    alignment: tuple[int, int, bool],
) -> PageReading:
    dx, dy, aligned = alignment
    threshold = ink.page_ink_threshold(np.asarray(small_deskewed))
    readings = []
    for box in task.fields:
        if box.hand or box.cells or box.kind == "choice":
            readings.append(_read_hand(image, box, dx, dy, skew, threshold))
            continue
        raw_crop = _field_crop(image, box, dx, dy, skew)
        crop = _cleaned(raw_crop)
        ratio = imaging.ink_ratio(crop)
        if box.kind == "checkbox":  # a mark, not a reading: decided from the ratio alone
            readings.append(FieldReading(box.name, "", 100.0, ratio, blank=ratio < EMPTY_INK))
            continue
        measured = ink.measure(raw_crop, DPI, threshold)
        if not measured.written:
            readings.append(FieldReading(box.name, "", 100.0, ratio, blank=True))
            continue
        if _one_glyph(measured, box.vertical):
            text, confidence = _read_glyph(crop, measured, box)
            if text or box.kind in LATIN_KINDS:
                readings.append(FieldReading(box.name, text, confidence, ratio))
                continue
            # A lone kanji the engine is unsure of as one glyph (森 in Mincho): read as a line.
        padded = Image.fromarray(imaging.pad(crop, 20))
        text, confidence = _read_line(_scaled(padded, FIELD_SCALE), box)
        symbols = _state.get("symbols", ())
        if box.kind not in LATIN_KINDS and text:
            # A second look at another size: where the two readings differ, the value is
            # not to be trusted (on the corpus this flagged 4 of 5 wrong-but-confident fields).
            second, _ = _read_line(_scaled(padded, SECOND_LOOK_SCALE), box)
            if second != text:
                confidence = 0.0
        runs = _glyph_runs(crop, threshold) if box.kind in LATIN_KINDS else 0
        readings.append(
            FieldReading(box.name, text, confidence, ratio, symbols=symbols, glyph_runs=runs)
        )
    text = "\n".join(r.raw for r in readings if r.raw)
    confidences = [r.confidence for r in readings]
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return PageReading(task.page_index, text, mean, skew, 0, aligned, tuple(readings), _rss_kib())
