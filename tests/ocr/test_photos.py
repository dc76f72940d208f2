"""Photos and real scans: what the page itself says is honoured (EXIF orientation, uneven
light, tinted paper), and a preprocessing step is skipped where it would hurt."""

from __future__ import annotations

import io
import random
from datetime import date

import numpy as np
import pytest
from PIL import Image

from handlers.ocr.pipeline import read_scan
from handlers.ocr.reading import plan_pages
from handlers.shared.uploads import Limits
from infra.ocr import imaging, lighting
from infra.ocr.engine import OcrEngine
from tests.ocr.corpus import lit_paper, mm, phone_shot, text_page
from tests.ocr.metrics import cer, comparable

TODAY = date(2026, 11, 1)
WHITE = (255, 255, 255)
GREEN = (60, 160, 80)  # a form's coloured section: grey 124 in luminance
ORANGE = (250, 205, 160)  # tinted paper
EXIF_ORIENTATION = 0x0112
ROTATED_90_CW = 6  # "the camera was turned: rotate the stored image 90° clockwise to view"


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


def half_in_shadow(size: tuple[int, int], depth: float) -> Image.Image:
    """Light ("L") that falls by `depth` over the lower half of the page, with a soft edge (a
    phone held over the page)."""
    width, height = size
    rows = np.arange(height, dtype=np.float32)
    shade = 1.0 / (1.0 + np.exp(-(rows - height / 2) / mm(2)))
    light = np.round(255 * (1.0 - depth * shade)).astype(np.uint8)
    return Image.fromarray(np.repeat(light[:, None], width, axis=1))


async def read_photo(engine: OcrEngine, photo: Image.Image) -> str:
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, dpi=(300, 300))
    async with engine.staged(buffer.getvalue()) as path:
        (reading,) = await engine.read_pages(plan_pages(path, "jpeg", 1, None))
    return reading.text


def top(page: Image.Image) -> Image.Image:
    """The part of a 12-line `text_page` that holds its text: half the pixels to make and read."""
    return page.crop((0, 0, page.width, mm(150)))


async def test_the_words_in_a_shadow_over_half_the_page_are_read(engine: OcrEngine) -> None:
    source = text_page(61, 12)
    page = top(source.image)
    photo = phone_shot(lit_paper(page, WHITE, half_in_shadow(page.size, 0.6)), random.Random(61))
    text = await read_photo(engine, photo)
    # Before the flattening nothing at all was read (CER 100 %): at the page's one threshold
    # the shadowed half was ink.
    shaded = source.truth.splitlines()[6:]
    found = [line for line in shaded if comparable(line) in comparable(text)]
    assert len(found) >= 5, (found, text)
    assert cer(source.truth, text) <= 0.03, text


def with_coloured_band(page: Image.Image, colour: tuple[int, int, int], top: int) -> Image.Image:
    """White paper whose lower part, from `top` down, is printed in `colour` behind the type
    (a form's coloured section), in RGB."""
    even = Image.new("L", page.size, 255)
    white, coloured = lit_paper(page, WHITE, even), lit_paper(page, colour, even)
    white.paste(coloured.crop((0, top, page.width, page.height)), (0, top))
    return white


async def test_a_form_with_a_coloured_section_is_read(engine: OcrEngine) -> None:
    source = text_page(62, 12)
    page = top(source.image)
    photo = phone_shot(with_coloured_band(page, GREEN, mm(75)), random.Random(62))
    text = await read_photo(engine, photo)
    # Before: CER 100 % (nothing read: at the page's one threshold the green was ink), and
    # 25 % while the paper estimate was blurred across the band's edge (a line of dashes).
    # Plain tesserocr: 62 %.
    assert cer(source.truth, text) <= 0.03, text


def test_tinted_paper_is_read_in_its_brightest_channel() -> None:
    page = text_page(65, 3).image.crop((0, 0, mm(150), mm(50)))
    photo = phone_shot(lit_paper(page, ORANGE, Image.new("L", page.size, 255)), random.Random(65))
    grey, choice = lighting.to_gray(photo)
    assert choice is not None and choice.chosen == "brightest", choice
    assert np.median(np.asarray(grey)) >= 235  # the tint is gone: the paper is near white
    assert np.median(np.asarray(photo.convert("L"))) < 215  # (in luminance it was grey)


def test_an_evenly_lit_page_is_left_alone() -> None:
    page = text_page(63, 12).image
    flat, light = lighting.even_light(page)
    assert flat is page  # not a copy: the very pixels every later step was tuned on
    assert not light.flattened and light.spread < lighting.UNEVEN_SPREAD
    # ... and a black band printed across it (a form's header) is content, not a shadow.
    banded = page.copy()
    banded.paste(0, (0, mm(40), page.width, mm(52)))
    assert lighting.even_light(banded)[0] is banded


def test_a_colour_photo_of_white_paper_is_read_in_luminance() -> None:
    page = text_page(64, 3).image.crop((0, 0, mm(150), mm(50)))
    photo = phone_shot(lit_paper(page, WHITE, Image.new("L", page.size, 255)), random.Random(64))
    grey, choice = lighting.to_gray(photo)
    assert choice is not None and choice.chosen == "luminance", choice
    assert np.array_equal(np.asarray(grey), np.asarray(photo.convert("L")))


@pytest.mark.parametrize(
    ("depth", "flattened"), [(0.0, False), (0.05, False), (0.3, True), (0.6, True)]
)
def test_the_page_is_flattened_only_when_its_light_spreads(depth: float, flattened: bool) -> None:
    light = np.asarray(half_in_shadow((400, 600), depth))
    page = Image.fromarray(light)  # blank paper under that light
    evened, measured = lighting.even_light(page)
    assert measured.flattened is flattened, measured
    if flattened:  # the paper is white again, in the shadow (255 * (1 - depth)) as in the light
        assert int(np.asarray(evened).min()) >= 235


@pytest.mark.parametrize("size", [(2480, 3508), (403, 611)])
def test_the_light_measured_on_the_pages_own_75_dpi_copy_is_the_same(
    size: tuple[int, int],
) -> None:
    # The worker hands `even_light` the 4 x 4 means it keeps as the 75 dpi copy: the paper's
    # light from them must be the very values measured on the page (sizes that are not a
    # multiple of the block, and a page of A4 at 300 dpi).
    rng = np.random.default_rng(7)
    light = np.asarray(half_in_shadow(size, 0.3), dtype=np.int16)
    page = np.clip(light - rng.integers(0, 30, light.shape), 0, 255).astype(np.uint8)
    page[100:140, 50:300] = 20  # a line of "type"
    image = Image.fromarray(page)
    means = imaging.downscale(image, lighting.MEAN_SIZE)
    alone = lighting.paper_light(image)
    assert np.array_equal(lighting.paper_light(image, means), alone)
    assert alone.shape == (size[1] // lighting.BLOCK, size[0] // lighting.BLOCK)
