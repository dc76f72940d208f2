"""An evaluation corpus the tests and `make bench` make themselves: typed Japanese pages and
filled forms rendered with IPAexGothic at 300 dpi, given a realistic scan look, with truth.

Everything is seeded: the same seed gives the same pages.
"""

from __future__ import annotations

import importlib.util
import io
import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from schemas.forms import FormTemplate

DPI = 300
PX_PER_MM = DPI / 25.4
A4_PX = (round(210 * PX_PER_MM), round(297 * PX_PER_MM))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def font_path() -> Path:
    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("japanize-matplotlib (IPAexGothic) is not installed: make setup")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"


# Debian's fonts-ipaexfont-mincho (`make test` installs it): a face the pipeline was not tuned on.
MINCHO = Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf")


def font(size_mm: float, face: Path | None = None) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(face or font_path()), round(size_mm * PX_PER_MM))


def mm(value: float) -> int:
    return round(value * PX_PER_MM)


SURNAMES = [
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("松本", "マツモト"),
]
GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("美咲", "ミサキ"),
    ("健太", "ケンタ"),
    ("陽子", "ヨウコ"),
    ("翔", "ショウ"),
    ("由美", "ユミ"),
    ("大輔", "ダイスケ"),
    ("恵子", "ケイコ"),
    ("誠", "マコト"),
    ("直樹", "ナオキ"),
]
PLACES = [
    "東京都千代田区丸の内",
    "大阪府大阪市北区梅田",
    "神奈川県横浜市中区本町",
    "愛知県名古屋市中村区名駅",
    "福岡県福岡市博多区博多駅前",
    "北海道札幌市中央区北一条西",
    "京都府京都市中京区河原町",
    "兵庫県神戸市中央区三宮町",
]
ERAS = [("令和", date(2019, 5, 1)), ("平成", date(1989, 1, 8)), ("昭和", date(1926, 12, 25))]
PHRASES = [
    "住民票の写しの交付を申請します",
    "本人確認書類を窓口で提示してください",
    "申請書は黒のボールペンで記入してください",
    "手数料は一通につき三百円です",
    "代理人が申請する場合は委任状が必要です",
    "マイナンバーカードをお持ちの方はコンビニでも取得できます",
    "転入届は引っ越してから十四日以内に提出してください",
    "国民健康保険の加入手続きについて",
    "児童手当の認定請求書を受け付けました",
    "固定資産税の納税通知書を送付します",
    "印鑑登録証明書の交付には登録証が必要です",
    "受付時間は平日の午前八時三十分から午後五時十五分までです",
    "お問い合わせは市民課までご連絡ください",
    "戸籍謄本の請求は本籍地の市区町村で行います",
]


def era_text(day: date) -> str:
    for era, start in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era}{year_text}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def random_date(rng: random.Random, start: date, end: date) -> date:
    return date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))


def scan_look(page: Image.Image, rng: random.Random) -> Image.Image:
    """Rotation within ±1°, a shift of a few mm, blur, speckle and JPEG artefacts."""
    angle = rng.uniform(-1.0, 1.0)
    dx, dy = mm(rng.uniform(-3, 3)), mm(rng.uniform(-3, 3))
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, translate=(dx, dy))
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))
    pixels = page.load()
    assert pixels is not None
    width, height = page.size
    for _ in range(width * height // 4000):  # dark specks
        pixels[rng.randrange(width), rng.randrange(height)] = rng.randint(0, 90)
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=rng.randint(70, 85))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


@dataclass(frozen=True)
class TextPage:
    image: Image.Image
    truth: str


def text_page(seed: int, lines: int = 25) -> TextPage:
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    body = font(4.0)  # about 11 pt
    truth = []
    for n in range(lines):
        kind = n % 4
        if kind == 0:
            surname, _ = rng.choice(SURNAMES)
            given, _ = rng.choice(GIVEN)
            line = f"申請者 {surname} {given} 様"
        elif kind == 1:
            line = f"住所 {rng.choice(PLACES)}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
        elif kind == 2:
            day = random_date(rng, date(1950, 1, 1), date(2026, 10, 31))
            line = f"{era_text(day)} 電話 0{rng.randint(3, 9)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        else:
            line = rng.choice(PHRASES)
        draw.text((mm(20), mm(20) + n * mm(10.0)), line, font=body, fill=0)
        truth.append(line)
    return TextPage(scan_look(page, rng), "\n".join(truth))


def load_template(name: str = "juminhyo-v1") -> FormTemplate:
    return FormTemplate.model_validate(json.loads((EXAMPLES / f"{name}.json").read_text("utf-8")))


@dataclass(frozen=True)
class FilledForm:
    image: Image.Image
    clean: Image.Image
    written: dict[str, str | bool]  # what was typed into each box
    expected: dict[str, str | int | bool]  # the contract's normalised values


def _form_values(rng: random.Random) -> tuple[dict[str, str | bool], dict[str, str | int | bool]]:
    surname, surname_kana = rng.choice(SURNAMES)
    given, given_kana = rng.choice(GIVEN)
    birth = random_date(rng, date(1930, 1, 1), date(2010, 12, 31))
    applied = random_date(rng, date(2024, 1, 1), date(2026, 10, 31))
    phone = f"0{rng.randint(3, 9)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    address = f"{rng.choice(PLACES)}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    copies = rng.randint(1, 5)
    ticks = (rng.random() < 0.5, rng.random() < 0.5)
    western = rng.random() < 0.3
    written: dict[str, str | bool] = {
        "application_date": applied.isoformat().replace("-", "/") if western else era_text(applied),
        "name": f"{surname} {given}",
        "name_kana": f"{surname_kana} {given_kana}",
        "birth_date": era_text(birth),
        "address": address,
        "phone": phone,
        "copies": str(copies),
        "identity_checked": ticks[0],
        "include_household": ticks[1],
    }
    expected: dict[str, str | int | bool] = {
        "application_date": applied.isoformat(),
        "name": f"{surname} {given}",
        "name_kana": f"{surname_kana} {given_kana}",
        "birth_date": birth.isoformat(),
        "address": address,
        "phone": phone,
        "copies": copies,
        "identity_checked": ticks[0],
        "include_household": ticks[1],
    }
    return written, expected


def render_form(
    template: FormTemplate, written: dict[str, str | bool], face: Path | None = None
) -> Image.Image:
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    draw.text((mm(20), mm(15)), template.name, font=font(6.0, face), fill=0)
    label_font, value_font = font(3.5, face), font(4.2, face)
    for spec in template.fields:
        x, y, w, h = spec.box_mm
        draw.rectangle((mm(x), mm(y), mm(x + w), mm(y + h)), outline=0, width=3)
        if spec.kind == "checkbox":
            draw.text((mm(x + w + 2), mm(y)), spec.label, font=label_font, fill=0)
            if written.get(spec.name):  # a typed ✓: two strokes
                draw.line(
                    (mm(x + 1), mm(y + h / 2), mm(x + w / 2.5), mm(y + h - 1)), fill=0, width=6
                )
                draw.line(
                    (mm(x + w / 2.5), mm(y + h - 1), mm(x + w - 0.8), mm(y + 0.8)), fill=0, width=6
                )
            continue
        draw.text((mm(x - 30), mm(y + 3)), spec.label, font=label_font, fill=0)
        value = written.get(spec.name)
        if isinstance(value, str) and value:
            draw.text((mm(x + 3), mm(y + h / 2) - mm(2.3)), value, font=value_font, fill=0)
    return page


def filled_form(seed: int, template: FormTemplate | None = None) -> FilledForm:
    rng = random.Random(seed)
    template = template or load_template()
    written, expected = _form_values(rng)
    clean = render_form(template, written)
    return FilledForm(scan_look(clean, rng), clean, written, expected)


def save_pdf(images: list[Image.Image], path: Path) -> Path:
    images[0].save(path, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return path


def vertical_page(seed: int, lines: int = 12, face: Path | None = None) -> TextPage:
    """縦書き: columns of text from right to left, each read top to bottom (PIL's ttb layout)."""
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    body = font(4.5, face)
    truth = [rng.choice(PHRASES) for _ in range(lines)]
    for n, line in enumerate(truth):
        draw.text((mm(185) - n * mm(13), mm(20)), line, font=body, fill=0, direction="ttb")
    return TextPage(scan_look(page, rng), "\n".join(truth))


def two_column_page(seed: int, lines: int = 12) -> TextPage:
    """Two columns of short lines side by side: the truth is the left column, then the right."""
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    body = font(3.5)
    left = [rng.choice(PHRASES)[:12] for _ in range(lines)]
    right = [rng.choice(PHRASES)[:12] for _ in range(lines)]
    for n, (first, second) in enumerate(zip(left, right, strict=True)):
        draw.text((mm(15), mm(30) + n * mm(9)), first, font=body, fill=0)
        draw.text((mm(115), mm(30) + n * mm(9)), second, font=body, fill=0)
    return TextPage(scan_look(page, rng), "\n".join(left + right))


# Paper a municipal office hands out or a citizen brings: cream, pale blue, pink, pale green,
# and a strongly coloured form background (orange), as RGB.
TINTS = [(250, 243, 215), (218, 232, 250), (250, 222, 230), (222, 242, 218), (250, 205, 160)]
INK_RGB = (28, 28, 34)


def lit_paper(page: Image.Image, paper: tuple[int, int, int], light: Image.Image) -> Image.Image:
    """A white page with black type printed on `paper` (RGB) and lit by `light` (an "L" image,
    255 full light): each pixel mixes paper and ink by its grey, then takes the light. Lookup
    tables and Pillow's multiply: a float copy of a colour page took seconds."""
    channels = []
    for paper_level, ink_level in zip(paper, INK_RGB, strict=True):
        table = [round(ink_level + v * (paper_level - ink_level) / 255) for v in range(256)]
        channels.append(ImageChops.multiply(page.point(table), light))
    return Image.merge("RGB", channels)


def phone_shot(lit: Image.Image, rng: random.Random) -> Image.Image:
    """Sensor noise, a little blur and the JPEG a phone writes (RGB). The noise is the same in
    the three channels (most of a sensor's noise is in brightness; a third of the work)."""
    blurred = lit.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.0)))
    noise = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(
        (lit.height, lit.width), dtype=np.float32
    )
    noise_image = Image.fromarray(np.clip(128 + rng.uniform(2, 4) * noise, 0, 255).astype(np.uint8))
    shot = Image.merge(
        "RGB", [ImageChops.add(band, noise_image, offset=-128) for band in blurred.split()]
    )
    buffer = io.BytesIO()
    shot.save(buffer, "JPEG", quality=rng.randint(80, 90))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def gradient_and_shadow(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Light falling off across the page in a random direction, and the soft-edged shadow of a
    phone or hand over one side of it (its edge somewhere in the middle third), as "L"."""
    width, height = size
    ys, xs = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    along = (xs - width / 2) * np.cos(angle) + (ys - height / 2) * np.sin(angle)
    along /= np.abs(along).max()
    light = 1.0 - rng.uniform(0.15, 0.35) * (along + 1) / 2
    edge_angle = rng.uniform(0, 2 * np.pi)
    across = (xs - width / 2) * np.cos(edge_angle) + (ys - height / 2) * np.sin(edge_angle)
    offset = rng.uniform(-0.15, 0.15) * min(width, height)
    softness = mm(rng.uniform(3, 15))
    shade = 1.0 / (1.0 + np.exp(-(across - offset) / max(softness / 4, 1.0)))
    light *= 1.0 - rng.uniform(0.4, 0.6) * shade
    small = Image.fromarray(np.clip(255 * light, 0, 255).astype(np.uint8))
    return small.resize(size, Image.Resampling.BILINEAR)


def photo_page(seed: int, lines: int = 25) -> TextPage:
    """A typed page photographed with a phone: tinted paper, light falling off across it and
    a shadow over part of it, sensor noise, JPEG, in colour (the tuning set's photo look)."""
    rng = random.Random(seed)
    typed = text_page(seed, lines)  # its scan look: the slight skew, blur and specks stay
    light = gradient_and_shadow(typed.image.size, rng)
    lit = lit_paper(typed.image, rng.choice(TINTS), light)
    return TextPage(phone_shot(lit, rng), typed.truth)


def one_shadow(size: tuple[int, int], rng: random.Random, depth: float) -> Image.Image:
    """A soft straight shadow of a given `depth` (0: none, 0.5: half the light) over one side
    of the page, its edge through the centre in a random direction, as "L" (the fit's light)."""
    width, height = size
    ys, xs = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    across = (xs - width / 2) * np.cos(angle) + (ys - height / 2) * np.sin(angle)
    shade = 1.0 / (1.0 + np.exp(-across / (mm(8) / 4)))
    small = Image.fromarray(np.clip(255 * (1.0 - depth * shade), 0, 255).astype(np.uint8))
    return small.resize(size, Image.Resampling.BILINEAR)


def shadowed_photo(seed: int, depth: float) -> TextPage:
    """A tuning page photographed on tinted paper under `one_shadow` of `depth`."""
    rng = random.Random(seed)
    typed = text_page(seed)
    lit = lit_paper(typed.image, rng.choice(TINTS), one_shadow(typed.image.size, rng, depth))
    return TextPage(phone_shot(lit, rng), typed.truth)
