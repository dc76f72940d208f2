"""The second jpn model (jpn_best_int, vendored in infra/ocr/tessdata): found wherever an install
put it, and reading the kanji of a name that the fast model misreads."""

from __future__ import annotations

from pathlib import Path

import tesserocr
from PIL import Image, ImageDraw

from infra.ocr import tesseract
from infra.ocr.fields import FIELD_SCALE
from infra.ocr.tesseract import BUNDLED_TESSDATA, SECOND_MODEL, second_jpn_api, vendored_tessdata
from tests.ocr.corpus import font, mm

# Measured when written: the fast jpn model reads this line 高橋夢 (confidence 78), the second
# 高橋蓮 (94), printed 4.5 mm high in IPAexGothic and scaled as a field is.
NAME = "高橋蓮"


def name_line(text: str) -> Image.Image:
    face = font(4.5)  # IPAexGothic, installed with the project (japanize-matplotlib)
    line = Image.new("L", (round(face.getlength(text)) + mm(6), mm(9.5)), 255)
    ImageDraw.Draw(line).text((mm(3), mm(2)), text, font=face, fill=0)
    return tesseract.scaled(line, FIELD_SCALE)


def test_jpn_best_int_is_found_beside_the_models_or_in_the_package(tmp_path: Path) -> None:
    assert (BUNDLED_TESSDATA / f"{SECOND_MODEL}.traineddata").is_file()
    assert vendored_tessdata(str(tmp_path), SECOND_MODEL) == str(BUNDLED_TESSDATA)  # a wheel
    (tmp_path / f"{SECOND_MODEL}.traineddata").write_bytes(b"")
    assert vendored_tessdata(str(tmp_path), SECOND_MODEL) == str(tmp_path)  # `make setup`


def test_the_second_model_reads_the_kanji_of_a_name() -> None:
    api = second_jpn_api()
    assert api.GetInitLanguagesAsString() == SECOND_MODEL
    assert second_jpn_api() is api  # loaded once for the process
    text, confidence = tesseract.ocr(name_line(NAME), tesserocr.PSM.SINGLE_LINE, None, api)
    assert text.strip() == NAME  # no space between its characters, as the fast model reads
    assert confidence > 80


def test_the_second_model_keeps_a_real_gap_as_the_fast_model_does() -> None:
    read = [
        tesseract.ocr(name_line("山田 花子"), tesserocr.PSM.SINGLE_LINE, None, api)[0].strip()
        for api in (tesseract.jpn_api(), second_jpn_api())
    ]
    assert read == ["山田 花子", "山田 花子"]
