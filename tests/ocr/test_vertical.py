"""縦書き: a vertical page is recognised as such and read with jpn_vert (vendored in
infra/ocr/tessdata), and a template field marked `"direction": "vertical"` is read down."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr.engine import OcrEngine
from infra.ocr.tesseract import BUNDLED_TESSDATA, VERTICAL_MODEL, vendored_tessdata
from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import A4_PX, MINCHO, font, mm, save_pdf, scan_look, vertical_page
from tests.ocr.metrics import cer

TODAY = date(2026, 11, 1)
# Measured when set: 0.8 % (tessdata_fast jpn_vert); read as horizontal text it was 96 %.
MAX_VERTICAL_CER = 0.05


async def read(engine: OcrEngine, data: bytes, template: FormTemplate | None) -> DocumentResult:
    result, refusal = await read_scan(engine, "vertical-doc", data, template, Limits(), TODAY)
    assert refusal is None
    return result


async def test_a_vertical_page_is_read_top_to_bottom(engine: OcrEngine, tmp_path: Path) -> None:
    source = vertical_page(21, lines=6)
    result = await read(engine, save_pdf([source.image], tmp_path / "v.pdf").read_bytes(), None)
    (page,) = result.pages
    assert cer(source.truth, page.text) <= MAX_VERTICAL_CER, page.text


async def test_a_vertical_field_is_read_down(engine: OcrEngine, tmp_path: Path) -> None:
    template = FormTemplate(
        id="vertical-name",
        name="縦書きの届出",
        fields=(
            FormField(
                name="name",
                label="氏名",
                kind="text",
                box_mm=(150, 40, 14, 70),
                direction="vertical",
            ),
        ),
    )
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((mm(150), mm(40), mm(164), mm(110)), outline=0, width=3)
    draw.text((mm(154), mm(45)), "佐藤花子", font=font(4.5, MINCHO), fill=0, direction="ttb")
    data = save_pdf([scan_look(page, random.Random(4))], tmp_path / "f.pdf").read_bytes()
    result = await read(engine, data, template)
    assert result.fields["name"].value == "佐藤花子", result.fields["name"]


def test_jpn_vert_is_found_beside_the_models_or_in_the_package(tmp_path: Path) -> None:
    assert (BUNDLED_TESSDATA / f"{VERTICAL_MODEL}.traineddata").is_file()
    assert (BUNDLED_TESSDATA / "LICENSE").is_file()
    assert vendored_tessdata(str(tmp_path), VERTICAL_MODEL) == str(BUNDLED_TESSDATA)  # a wheel
    (tmp_path / f"{VERTICAL_MODEL}.traineddata").write_bytes(b"")
    assert vendored_tessdata(str(tmp_path), VERTICAL_MODEL) == str(tmp_path)  # `make setup`
