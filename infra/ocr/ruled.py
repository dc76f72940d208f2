"""Pages with ruled tables, inside an OCR worker: each cell read as a template field is
(`fields.py`), each table given row by row, and the page around the tables read in bands.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw

from infra.ocr import imaging, tables, tesseract
from infra.ocr.fields import read_fields, read_line
from infra.ocr.page import (
    LOW_PAGE_CONFIDENCE,
    PAGE_DESKEW_MIN,
    SMALL_FACTOR,
    SMALL_INK,
    rss_kib,
    to_px,
)
from infra.ocr.readings import FieldBox, FieldReading, PageReading, PageTask
from infra.ocr.template import cleaned, field_crop
from infra.ocr.text import clean_page_text


def read_if_ruled(
    task: PageTask, image: Image.Image, small: Image.Image, skew: float
) -> PageReading | None:
    """The page read table by table when it holds ruled tables, else None. Read with little
    confidence, it is asked OSD and read again turned when upside down (a grid looks the
    same either way up); still unsure, None: the plain reading (`worker.read_page`) then has
    its turn."""
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
    read = read_fields(
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
        peak_rss_kib=rss_kib(),
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
    crop = cleaned(field_crop(image, box, 0, 0, skew))
    text, confidence = read_line(Image.fromarray(imaging.pad(crop, 20)), box)
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
    margin = to_px(WHITEN_MARGIN_MM)
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
