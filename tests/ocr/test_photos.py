"""Photos and real scans: what the page itself says is honoured (EXIF orientation), and a
preprocessing step is skipped where it would hurt."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date

import numpy as np
import pytest
from PIL import Image

from handlers.ocr.pipeline import read_scan
from handlers.ocr.reading import plan_pages
from handlers.shared.uploads import Limits
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import serial_pool
from tests.ocr.corpus import mm, text_page
from tests.ocr.metrics import cer

TODAY = date(2026, 11, 1)
EXIF_ORIENTATION = 0x0112
ROTATED_90_CW = 6  # "the camera was turned: rotate the stored image 90° clockwise to view"


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[OcrEngine]:
    ocr = OcrEngine(serial_pool())
    yield ocr
    ocr.close()


def phone_photo(upright: Image.Image) -> bytes:
    """The JPEG a phone writes: the sensor's pixels (the page lying on its side) plus the EXIF
    tag that says how to turn them."""
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise, as stored
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATED_90_CW
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, dpi=(300, 300), exif=exif)
    return buffer.getvalue()


async def test_a_photo_is_turned_by_its_exif_orientation(engine: OcrEngine) -> None:
    source = text_page(41, 6)
    photo = phone_photo(source.image)
    async with engine.staged(photo) as path:
        (reading,) = await engine.read_pages(plan_pages(path, "jpeg", 1, None))
        preview = Image.open(io.BytesIO(await engine.preview(photo, "jpeg", 0, 200)))
    assert reading.orientation_degrees == 0  # upright from EXIF: no guess by OSD was needed
    assert cer(source.truth, reading.text) <= 0.05, reading.text
    assert preview.height > preview.width  # staff see the page upright too

    result, refusal = await read_scan(engine, "photo-doc", photo, None, Limits(), TODAY)
    assert refusal is None
    assert cer(source.truth, result.pages[0].text) <= 0.05


def with_book_shadow(page: Image.Image) -> Image.Image:
    """The shadow a book's edge casts on a flatbed: a dark band along the top, 3° off."""
    band = Image.new("L", (page.width * 2, mm(12)), 60).rotate(3, expand=True, fillcolor=255)
    shadow = Image.new("L", page.size, 255)
    shadow.paste(band, (-page.width // 2, -mm(8)))
    return Image.fromarray(np.minimum(np.asarray(page), np.asarray(shadow)))


async def test_a_straight_page_with_a_shadow_is_not_turned(engine: OcrEngine) -> None:
    source = text_page(51, 12)
    buffer = io.BytesIO()
    with_book_shadow(source.image).save(buffer, "PNG", dpi=(300, 300))
    async with engine.staged(buffer.getvalue()) as path:
        (reading,) = await engine.read_pages(plan_pages(path, "png", 1, None))
    # Straightening the shadow's edge turned the text by 3° and took CER from 0 % to 5 %.
    assert abs(reading.skew_degrees) < 1.0, reading.skew_degrees
    assert cer(source.truth, reading.text) <= 0.02, reading.text
