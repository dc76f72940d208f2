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

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from schemas.forms import FormField, FormTemplate
from tests.ocr.corpus import (
    A4_PX,
    MINCHO,
    PX_PER_MM,
    era_text,
    font,
    lit_paper,
    mm,
    phone_shot,
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


# Other paper than the tuning photos': lilac, lemon, grey-green, salmon, sky blue.
REPORT_TINTS = [(232, 222, 245), (250, 245, 190), (215, 225, 210), (250, 200, 185), (190, 220, 245)]


def _lamp(size: tuple[int, int], rng: random.Random, falloff: float | None) -> NDArray[np.float32]:
    """Light (1.0 full) falling off by `falloff` (None: drawn at random, 0.25-0.45, after the
    lamp's place, as the report photos always drew it) with the distance from a lamp beyond one
    side of the page, at an eighth of the page's size."""
    width, height = size
    ys, xs = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    lamp_x = rng.choice((-0.3, 1.3)) * width
    lamp_y = rng.uniform(0, 1) * height
    distance = np.hypot(xs - lamp_x, ys - lamp_y) / np.hypot(width, height)
    if falloff is None:
        falloff = rng.uniform(0.25, 0.45)
    light: NDArray[np.float32] = 1.0 - falloff * (distance - distance.min()) / np.ptp(distance)
    return light


def lamp_only(size: tuple[int, int], rng: random.Random, falloff: float) -> Image.Image:
    """A lamp's light falling off by `falloff` across the page, no shadow, as "L": the mild
    light where the lighting step's threshold is decided (`bench.ocr_photos`' check)."""
    small = Image.fromarray(np.clip(255 * _lamp(size, rng, falloff), 0, 255).astype(np.uint8))
    return small.resize(size, Image.Resampling.BILINEAR)


def lamp_and_hand(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Another light than the tuning photos': a lamp off to one side (light falling off with
    the distance from a point beyond the page) and the soft shadow of a hand or phone as a
    blurred ellipse over part of the text, as an "L" image (255 full light)."""
    width, height = size
    light = _lamp(size, rng, None)
    shadow = Image.new("L", (width // 8 + 1, height // 8 + 1), 0)
    centre = (rng.uniform(0.3, 0.7) * width / 8, rng.uniform(0.4, 0.9) * height / 8)
    radii = (rng.uniform(0.25, 0.45) * width / 8, rng.uniform(0.2, 0.35) * height / 8)
    ImageDraw.Draw(shadow).ellipse(
        (centre[0] - radii[0], centre[1] - radii[1], centre[0] + radii[0], centre[1] + radii[1]),
        fill=255,
    )
    soft = np.asarray(shadow.filter(ImageFilter.GaussianBlur(rng.uniform(3, 8))), np.float32)
    light *= 1.0 - rng.uniform(0.35, 0.55) * soft[: light.shape[0], : light.shape[1]] / 255
    small = Image.fromarray(np.clip(255 * light, 0, 255).astype(np.uint8))
    return small.resize(size, Image.Resampling.BILINEAR)


def report_photo_page(
    seed: int, lines: int = 20, falloff: float | None = None
) -> tuple[Image.Image, str]:
    """A page photographed with a phone, of the report set: IPAexMincho, this module's names
    and places, another light (`lamp_and_hand`, or `lamp_only` of `falloff` when given) and
    other tints than the tuning photos."""
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    body = font(3.8, MINCHO)
    truth = []
    for n in range(lines):
        surname, _ = rng.choice(SURNAMES)
        given, _ = rng.choice(GIVEN)
        day = random_date(rng, date(1940, 1, 1), date(2026, 10, 31))
        line = (
            f"届出人 {surname} {given}",
            f"住所 {rng.choice(PLACES)}{rng.randint(1, 5)}丁目{rng.randint(1, 40)}番",
            f"届出日 {era_text(day)} 世帯人数 {rng.randint(1, 9)}",
        )[n % 3]
        draw.text((mm(22), mm(25) + n * mm(11.0)), line, font=body, fill=0)
        truth.append(line)
    page = scan_look(page, rng)
    tint = rng.choice(REPORT_TINTS)
    light = lamp_and_hand(page.size, rng) if falloff is None else lamp_only(page.size, rng, falloff)
    lit = lit_paper(page, tint, light)
    return phone_shot(lit, rng), "\n".join(truth)


def report_photo_form(seed: int) -> ReportForm:
    """A form of the report set filled in and photographed with a phone (`lamp_and_hand`
    light, a report tint), as the JPEG the phone writes at 300 dpi."""
    rng = random.Random(seed)
    written, expected = _values(rng)
    page = scan_look(render_form(REPORT_TEMPLATE, written, MINCHO), rng)
    photo = phone_shot(
        lit_paper(page, rng.choice(REPORT_TINTS), lamp_and_hand(page.size, rng)), rng
    )
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92, dpi=(300, 300))
    return ReportForm(buffer.getvalue(), "jpeg", 300, expected)
