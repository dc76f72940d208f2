"""The report corpus: forms and pages the pipeline's constants are never fitted on.

Against the tuning corpus (`corpus.py`: IPAexGothic, juminhyo-v1, 300 dpi PDF, ±1°) it changes
everything at once: another face (IPAexMincho), another layout (`REPORT_TEMPLATE`, with a
one-digit box), names and places from another list, 200/300/400 dpi, PDF/PNG/TIFF/JPEG, skew
up to ±2.5° both ways, light and dark scans. Seeded: the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date

from PIL import Image

from schemas.forms import FormField, FormTemplate
from tests.ocr.corpus import (
    MINCHO,
    PX_PER_MM,
    era_text,
    random_date,
    render_form,
    scan_look,
    text_page,
    vertical_page,
)

SURNAMES = [
    ("斎藤", "サイトウ"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("清水", "シミズ"),
    ("山口", "ヤマグチ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("石川", "イシカワ"),
    ("前田", "マエダ"),
    ("藤井", "フジイ"),
    ("岡本", "オカモト"),
    ("長谷川", "ハセガワ"),
    ("村上", "ムラカミ"),
]
GIVEN = [
    ("次郎", "ジロウ"),
    ("優子", "ユウコ"),
    ("健一", "ケンイチ"),
    ("拓也", "タクヤ"),
    ("真由美", "マユミ"),
    ("茂", "シゲル"),
    ("和子", "カズコ"),
    ("浩二", "コウジ"),
    ("彩", "アヤ"),
    ("勇気", "ユウキ"),
    ("千尋", "チヒロ"),
    ("博之", "ヒロユキ"),
]
PLACES = [
    "宮城県仙台市青葉区国分町",
    "広島県広島市中区紙屋町",
    "新潟県新潟市中央区古町通",
    "熊本県熊本市中央区手取本町",
    "静岡県浜松市中区鍛冶町",
    "岡山県岡山市北区表町",
    "長野県松本市大手",
    "石川県金沢市広坂",
]

REPORT_TEMPLATE = FormTemplate(
    id="kokuho-todoke",
    name="国民健康保険 資格取得届",
    fields=(
        FormField(name="family_name", label="氏", kind="text", box_mm=(45, 35, 55, 12)),
        FormField(name="given_name", label="名", kind="text", box_mm=(135, 35, 55, 12)),
        FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(45, 52, 100, 12)),
        FormField(name="born", label="生年月日", kind="date", box_mm=(45, 69, 80, 12)),
        FormField(name="postal", label="郵便番号", kind="digits", box_mm=(45, 86, 45, 12)),
        FormField(name="address", label="住所", kind="text", box_mm=(45, 103, 150, 12)),
        FormField(name="members", label="世帯人数", kind="integer", box_mm=(45, 120, 14, 12)),
        FormField(name="phone", label="連絡先", kind="digits", box_mm=(110, 120, 80, 12)),
        FormField(name="moved_in", label="転入日", kind="date", box_mm=(45, 137, 80, 12)),
        FormField(name="student", label="学生", kind="checkbox", box_mm=(45, 157, 6, 6)),
    ),
)
FORMATS = ("pdf", "png", "tiff", "jpeg")
RESOLUTIONS = (200, 300, 400)


@dataclass(frozen=True)
class ReportForm:
    data: bytes
    kind: str
    dpi: int
    expected: dict[str, str | int | bool]


def _values(rng: random.Random) -> tuple[dict[str, str | bool], dict[str, str | int | bool]]:
    surname, surname_kana = rng.choice(SURNAMES)
    given, given_kana = rng.choice(GIVEN)
    born = random_date(rng, date(1935, 1, 1), date(2012, 12, 31))
    moved = random_date(rng, date(2023, 4, 1), date(2026, 10, 31))
    postal = f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
    phone = f"0{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    address = (
        f"{rng.choice(PLACES)}{rng.randint(1, 5)}丁目{rng.randint(1, 40)}番{rng.randint(1, 20)}号"
    )
    members = rng.randint(1, 9)
    student = rng.random() < 0.3
    written: dict[str, str | bool] = {
        "family_name": surname,
        "given_name": given,
        "kana": f"{surname_kana} {given_kana}",
        "born": era_text(born),
        "postal": postal,
        "address": address,
        "members": str(members),
        "phone": phone,
        "moved_in": era_text(moved),
        "student": student,
    }
    expected: dict[str, str | int | bool] = {
        **{k: v for k, v in written.items() if k not in ("born", "moved_in", "members")},
        "born": born.isoformat(),
        "moved_in": moved.isoformat(),
        "members": members,
    }
    return written, expected


def look(page: Image.Image, rng: random.Random) -> Image.Image:
    """The tuning corpus's scan look, then skew both ways and a light or dark exposure."""
    page = scan_look(page, rng)
    angle = rng.choice((-1, 1)) * rng.uniform(0.5, 2.5)
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    exposure = rng.choice(("plain", "light", "dark"))
    if exposure == "light":  # faded toner: ink at about 110
        page = page.point(lambda v: round(110 + v * 145 / 255))
    elif exposure == "dark":  # grey paper at about 185
        page = page.point(lambda v: round(v * 185 / 255))
    return page


def encode(page: Image.Image, kind: str, dpi: int) -> bytes:
    """The page at `dpi` in the given file format."""
    scale = dpi / (PX_PER_MM * 25.4)
    resized = page.resize((round(page.width * scale), round(page.height * scale)))
    buffer = io.BytesIO()
    if kind == "pdf":
        resized.save(buffer, "PDF", resolution=dpi)
    elif kind == "jpeg":
        resized.save(buffer, "JPEG", quality=88, dpi=(dpi, dpi))
    elif kind == "tiff":
        resized.save(buffer, "TIFF", compression="tiff_lzw", dpi=(dpi, dpi))
    else:
        resized.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def report_form(seed: int) -> ReportForm:
    rng = random.Random(seed)
    written, expected = _values(rng)
    page = look(render_form(REPORT_TEMPLATE, written, MINCHO), rng)
    kind, dpi = FORMATS[seed % len(FORMATS)], RESOLUTIONS[(seed // 4) % len(RESOLUTIONS)]
    return ReportForm(encode(page, kind, dpi), kind, dpi, expected)


def report_page(seed: int) -> tuple[Image.Image, str]:
    """A horizontal text page of the report set: Mincho is not offered by `text_page`, so
    the page's own skew and exposure differ instead (its text shares the tuning phrases)."""
    page = text_page(seed)
    rng = random.Random(seed + 1)
    angle = rng.choice((-1, 1)) * rng.uniform(0.5, 2.0)
    return page.image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255), page.truth


def report_vertical_page(seed: int) -> tuple[Image.Image, str]:
    page = vertical_page(seed, 12, MINCHO)
    return page.image, page.truth
