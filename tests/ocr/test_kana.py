"""Katakana read exactly: the ink counts the characters (kana is set full-width, one a glyph),
and a line read with another count, or with little confidence, is read again with its glyphs
set apart (`infra.ocr.kana`)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from handlers.ocr.reading import assemble, field_value, plan_pages
from infra.ocr import fields, imaging, ink, kana, spacing, tesseract, worker
from infra.ocr.readings import FieldBox, FieldReading
from schemas.forms import FormField
from tests.ocr.corpus import MINCHO, font_path, mm, scan_look
from tests.ocr.dev_corpus import DEV_TEMPLATE, FACES, render
from tests.ocr.one_read import read_dev_form, read_one_box

FACE_PARAMS = [pytest.param(font_path(), id="ipaexg"), pytest.param(MINCHO, id="ipaexm")]
NOTO_SERIF = FACES[0][0]
if NOTO_SERIF.is_file():  # Debian's fonts-noto-cjk (`make devfonts`): its ink is low, ル wide
    FACE_PARAMS.append(pytest.param(NOTO_SERIF, id="noto-serif"))


def line_crop(text: str, face: Path, size_mm: float = 4.3) -> np.typing.NDArray[np.uint8]:
    image = Image.new("L", (mm(10 + 6 * len(text)), mm(10)), 255)
    ImageDraw.Draw(image).text(
        (mm(2), mm(2)), text, font=ImageFont.truetype(str(face), mm(size_mm)), fill=0
    )
    return np.asarray(image)


@pytest.mark.parametrize("face", FACE_PARAMS)
@pytest.mark.parametrize(
    "written", ["アベ ヤスヒロ", "アオキ トモコ", "ハラダ ショウタ", "イトウ", "ハル ミツル"]
)
def test_the_ink_counts_the_characters_of_a_kana_line(written: str, face: Path) -> None:
    crop = line_crop(written, face)
    assert kana.glyph_count(crop < 128) == len(written.replace(" ", ""))


def test_glyphs_set_apart_are_the_same_glyphs_further_apart() -> None:
    crop = line_crop("ハラダ ヒナ", font_path())
    mask = crop < 128
    apart = kana.set_apart(crop, mask)
    assert kana.glyph_count(apart < 128) == 5
    inked = np.flatnonzero(mask.any(axis=0))
    inked_apart = np.flatnonzero((apart < 128).any(axis=0))
    assert inked_apart[-1] - inked_apart[0] > inked[-1] - inked[0]
    assert (apart < 128).sum() == mask.sum()  # the line's ink, nothing more or less


@pytest.mark.parametrize(
    ("chars", "first", "spaced"),
    [
        ("アベヤスヒロ", "アベ ヤスヒロ", "アベ ヤスヒロ"),  # the first reading's space kept
        ("フクダヒナ", "フクダ モナ", "フクダ ヒナ"),  # a glyph read otherwise, same count
        ("アベヤスヒロ", "アベベ ヤスヒロ", "アベヤスヒロ"),  # another count: left to the ink
        ("アオキトモコ", "アオキモコ", "アオキトモコ"),
    ],
)
def test_spaces_come_from_a_first_reading_of_the_same_count(
    chars: str, first: str, spaced: str
) -> None:
    assert kana.spaced_as(chars, first) == spaced


DEV_FACES_MISSING = not all(path.is_file() for path, _ in FACES)


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
@pytest.mark.parametrize(
    "form",
    [
        pytest.param(14, id="vl-gothic-glyph-doubled"),  # アベ read "アベベ"
        pytest.param(59, id="sawarabi-glyph-dropped"),  # アオキ トモコ read "アオキモコ"
        pytest.param(123, id="sawarabi-glyph-misread"),  # ヒ read as モ at 79
        pytest.param(124, id="noto-serif-glyph-added"),  # アベ カツラ read "アベカツウラ"
    ],
)
def test_kana_names_the_line_reading_got_wrong_are_read_exactly(form: int, tmp_path: Path) -> None:
    made, result = read_dev_form(form, tmp_path)
    field = result.fields["kana"]
    assert (field.value, field.needs_review) == (made.expected["kana"], False), field


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
def test_a_kana_name_whose_space_the_ink_shows_is_spaced_from_the_ink(tmp_path: Path) -> None:
    """Development form 188, Noto Serif CJK: ミヤザキ エミ came back "ミヤザキエミ" at 92; the
    gap between キ and エ is 1.41 of the line's height, 1.28 of the closest pair, which the
    centre distances' rule left in doubt. On the line's own pitch the space fits its glyphs
    more than three times better than none (`spacing.kana_space`)."""
    made, result = read_dev_form(188, tmp_path)
    field = result.fields["kana"]
    assert (field.value, field.needs_review) == (made.expected["kana"], False), field


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
def test_a_kana_name_read_as_three_words_is_shown_spaced_as_its_ink_for_staff(
    tmp_path: Path,
) -> None:
    """Development form 151 at 200 dpi, Sawarabi Mincho: エンドウ タカシ came back
    "エン ドウ タカシ" at 92. The line's pitch puts the one space after エンドウ; staff still
    check it, as the engine's reading had a space the ink does not show (`implausible`)."""
    made, result = read_dev_form(151, tmp_path, dpi=200)
    field = result.fields["kana"]
    assert (field.value, field.needs_review) == (made.expected["kana"], True), field
    assert field.review_reason == "implausible"


@pytest.mark.parametrize(
    ("written", "face", "size_mm"),
    [
        ("アオキ ナオキ", font_path(), 4.8),  # read "アオキナオキ"
        ("アベ ミホ", MINCHO, 4.3),
        ("イトウイチロウ", font_path(), 4.3),  # no space: ト sits off its cell's centre
    ],
)
def test_a_kana_gap_the_line_s_pitch_decides_is_not_in_doubt(
    written: str, face: Path, size_mm: float
) -> None:
    """Gaps the centre distances' rule left in doubt (and sent to staff), which the glyphs
    fitted to the line's pitch decide."""
    reading = read_one_box(written, face, size_mm, kind="katakana")
    assert (reading.raw, reading.space_unsure, reading.space_elsewhere) == (written, False, False)


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
@pytest.mark.parametrize(
    ("written", "face", "size_mm"),
    [
        ("フクダ ミホ", FACES[3][0], 4.3),  # read "フクダミホ" at 93, as on development form 1043
        ("キシ イツキ", FACES[0][0], 3.8),  # read "キシイツキ" at 91
        # The space put after ッ ("ハッ トリトモヤ" at 94): `glyph_spans` joined ト with a stroke
        # of リ; cut evenly, the glyphs fit the space where it was typed and nowhere else.
        ("ハットリ トモヤ", FACES[1][0], 4.3),
    ],
)
def test_a_kana_space_lost_is_put_back_from_the_ink_or_goes_to_staff(
    written: str, face: Path, size_mm: float
) -> None:
    """Names whose space the engine lost beside narrow kana (ミ, ト, イ), or put elsewhere:
    each came back trusted and wrong before the glyphs were fitted to the line's pitch."""
    reading = read_one_box(written, face, size_mm, kind="katakana")
    spec = FormField(name="name", label="フリガナ", kind="katakana", box_mm=(10, 10, 90, 11))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert value.value == written or value.needs_review, (reading.raw, value)


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
def test_a_reading_set_apart_a_little_more_confident_does_not_replace_the_first() -> None:
    """Noto Sans CJK at 4.8 mm, blurred as a scan: read as a line at 83, right; set apart at
    84, its small ュ came back a full-size ユ (apart, a glyph's width no longer tells)."""
    written = "ベュオージ タ"
    image = Image.new("L", (mm(80), mm(9)), 255)
    face = ImageFont.truetype(str(FACES[1][0]), mm(4.771), index=FACES[1][1])
    ImageDraw.Draw(image).text((mm(2), mm(4.5) - mm(4.771 / 2)), written, font=face, fill=0)
    crop = np.asarray(image.filter(ImageFilter.GaussianBlur(0.856156)))
    box = FieldBox("kana", "katakana", (115, 40, 80, 11))
    patch = tesseract.scaled(Image.fromarray(imaging.pad(crop, 20)), fields.FIELD_SCALE)
    text, confidence = fields.read_line(patch, box)
    assert (text, confidence < fields.KANA_AGAIN_BELOW) == (written, True)  # read again
    ink = fields._written_ink(crop, 160)
    again = fields._katakana_again(crop, ink, kana.glyph_count(ink), box, text, confidence)
    assert again == (written, confidence)


SIZE_FACES = [pytest.param(font_path(), 0, id="ipaexg")] + [
    pytest.param(path, index, id=path.stem) for path, index in FACES if path.is_file()
]


@pytest.mark.parametrize(("face", "index"), SIZE_FACES)
@pytest.mark.parametrize(
    ("written", "misread"),
    [
        ("ハラダ ショウタ", "ハラダ シヨウタ"),  # ョ read as ヨ
        ("ハットリ リュウ", "ハツトリ リユウ"),  # ッ as ツ and ュ as ユ
        ("アベ シュンヤ", "アベ シユンヤ"),
        ("ヤマモト ヨウ", "ャマモト ヨウ"),  # a full-size ヤ read small
        ("フクダ ツヨシ", "フクダ ツョシ"),
    ],
)
def test_a_kana_read_at_the_other_size_than_its_ink_is_unsure(
    written: str, misread: str, face: Path, index: int
) -> None:
    image = Image.new("L", (mm(80), mm(9)), 255)
    font = ImageFont.truetype(str(face), mm(4.3), index=index)
    ImageDraw.Draw(image).text((mm(2), mm(2)), written, font=font, fill=0)
    mask = np.asarray(image.filter(ImageFilter.GaussianBlur(0.7))) < 160
    assert not kana.size_unsure(mask, written)
    assert kana.size_unsure(mask, misread)
    assert not kana.size_unsure(mask, misread + "ウ")  # glyphs and characters not one to one


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
def test_a_full_size_kana_the_engine_reads_small_is_flagged(tmp_path: Path) -> None:
    """Noto Serif CJK at 4.37 mm, scanned, a template of the kana box alone: コンドウ ユウヤ
    came back "コンドウ ュウヤ" at 91, not flagged; its ユ sits in the middle of the line.
    (A word that starts with a small kana is implausible too, and that rule comes first.)"""
    rng = random.Random(33)
    size_mm = rng.uniform(3.8, 4.8)
    page = scan_look(render({"kana": "コンドウ ユウヤ"}, FACES[0], size_mm), rng)
    path = tmp_path / "form.png"
    page.save(path)
    kana_only = DEV_TEMPLATE.model_copy(
        update={"fields": [f for f in DEV_TEMPLATE.fields if f.name == "kana"]}
    )
    (task,) = plan_pages(str(path), "png", 1, kana_only)
    read = worker.read_page(task)
    (reading,) = read.fields
    if "ュ" in reading.raw:  # read small: the ink says otherwise, whatever rule flags it first
        assert reading.kana_size_unsure, reading
    result = assemble("form", kana_only, [read], date(2026, 11, 1))
    field = result.fields["kana"]
    assert field.value == "コンドウ ユウヤ" or field.review_reason in (
        "confusable",
        "implausible",
    ), field


def test_a_kana_line_read_with_another_count_shows_a_reading_again_of_its_glyph_count() -> None:
    """IPAexMincho's タカハシ (4.3 mm) comes back "タカハンシ", a glyph read twice: cut tight
    around its ink, the line reads タカハシ, as many characters as the ink holds. Shown, and
    still for staff."""
    reading = read_one_box("タカハシ", MINCHO, 4.3, kind="katakana")
    assert (reading.raw, reading.glyph_runs) == ("タカハンシ", 4)  # the case this is about
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(10, 10, 90, 11))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "タカハシ",
        True,
        "confusable",
    )


@pytest.mark.parametrize(
    ("again", "value", "reason"),
    [
        ("ササキ ユイ", "ササキ ユイ", "confusable"),
        ("", "ササキュユイ", "implausible"),  # nothing read again with the glyphs' count
        ("ーサキ ユイ", "ササキュユイ", "implausible"),  # read again, but no name starts with ー
        ("サ サキ ユイ", "ササキュユイ", "implausible"),  # nor has three words
    ],
)
def test_a_kana_reading_again_is_shown_only_where_the_first_has_another_count(
    again: str, value: str, reason: str
) -> None:
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(10, 10, 90, 11))
    sure = tuple((char, 95.0) for char in "ササキュユイ")
    reading = FieldReading("kana", "ササキュユイ", 75.0, 0.1, symbols=sure, glyph_runs=5)
    got = field_value(spec, replace(reading, kana_again=again), True, date(2026, 11, 1))
    assert (got.value, got.needs_review, got.review_reason) == (value, True, reason)
    # A line read with as many characters as its glyphs keeps its reading.
    counted = replace(reading, raw="ササキ ユイ", kana_again="サザキ ユイ")
    assert field_value(spec, counted, True, date(2026, 11, 1)).value == "ササキ ユイ"


@pytest.mark.parametrize(
    ("raw", "apart", "value", "reason"),
    [
        # Read with other letters than katakana (and a glyph twice): shown as read set apart.
        ("旨ジドウ ジジシヤ", "コンドウ シンヤ", "コンドウ シンヤ", "confusable"),
        ("旨ンドウ シンヤ", "コンドウ シンヤ", "コンドウ シンヤ", "confusable"),  # the count right
        ("旨ジドウ ジジシヤ", "コンドウ シンヤヤ", "旨ジドウ ジジシヤ", "implausible"),  # not 7
        ("旨ジドウ ジジシヤ", "", "旨ジドウ ジジシヤ", "implausible"),
        ("旨ジドウ ジジシヤ", "コン ドウ シンヤ", "旨ジドウ ジジシヤ", "implausible"),  # 3 words
    ],
)
def test_an_implausible_kana_line_shows_its_reading_set_apart_of_its_glyph_count(
    raw: str, apart: str, value: str, reason: str
) -> None:
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(10, 10, 90, 11))
    sure = tuple((char, 95.0) for char in raw if not char.isspace())
    reading = FieldReading("kana", raw, 28.0, 0.1, symbols=sure, glyph_runs=7, kana_apart=apart)
    got = field_value(spec, reading, True, date(2026, 11, 1))
    assert (got.value, got.needs_review, got.review_reason) == (value, True, reason)


def test_a_plausible_kana_line_read_otherwise_set_apart_keeps_its_reading() -> None:
    """Both readings katakana of the glyphs' count: which is right, nothing says; the first
    is kept, and flagged (`plausible.kana_read_otherwise`)."""
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(10, 10, 90, 11))
    sure = tuple((char, 99.0) for char in "フタダユイ")
    reading = FieldReading(
        "kana", "フタダ ユイ", 95.0, 0.1, symbols=sure, glyph_runs=5, kana_apart="フクダ ユイ"
    )
    got = field_value(spec, reading, True, date(2026, 11, 1))
    assert (got.value, got.needs_review, got.review_reason) == ("フタダ ユイ", True, "confusable")


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
def test_a_kana_name_read_as_kanji_and_kana_is_shown_as_read_set_apart(tmp_path: Path) -> None:
    """Noto Serif CJK's コンドウ シンヤ (development form 1632) came back "旨ジドウ ジジシヤ" at
    28; set apart, its glyphs read コンドウシンヤ, spaced where the ink's pitch puts the space.
    Shown so, and still for staff."""
    made, result = read_dev_form(1632, tmp_path)
    assert made.expected["kana"] == "コンドウ シンヤ"
    field = result.fields["kana"]
    assert (field.value, field.needs_review) == ("コンドウ シンヤ", True), field


@pytest.mark.parametrize(
    ("place", "decided", "shown", "elsewhere"),
    [
        (4, True, "ニシムラ サチコ", True),  # the ink shows the space elsewhere: put there
        (5, True, "ニシムラサ チコ", False),  # where it was read
        (None, True, "ニシムラサ チコ", True),  # the ink shows none: as read, for staff
        (4, False, "ニシムラサ チコ", False),  # the ink does not decide: as read
    ],
)
def test_a_kana_line_read_as_two_words_is_spaced_where_the_ink_decides(
    place: int | None, decided: bool, shown: str, elsewhere: bool
) -> None:
    misfit = (2.0, 2.0, 2.0, 2.0, 0.5, 0.5, 2.0)  # reading set at 5 fits too, as far as asked
    judged = spacing.KanaSpace(place, decided, misfit)
    crop = np.full((10, 10), 255, np.uint8)
    got = fields._kana_spaced(crop, ink.BLANK, "ニシムラサ チコ", judged)
    assert got == (shown, False, elsewhere)
