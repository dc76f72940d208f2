"""The development corpus: where the review rules are worked out, apart from both other sets.

The tuning corpus (`corpus.py`) fits constants; the report corpus (`report_corpus.py`) is read
once, at the end, to report. A rule found by looking at the report set's misreadings would be
fitted to it, so rules are found here instead, on forms that share nothing with either: other
faces (Noto Serif and Sans CJK, VL Gothic, Sawarabi Mincho: `make bench` installs them from
Debian), another layout (labels above the boxes, one name field, a postal code without hyphen,
an amount in yen), other names and places, another type size per form, 240/300/360 dpi.
Seeded: the same seed gives the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from schemas.forms import FormField, FormTemplate
from tests.ocr.corpus import A4_PX, era_text, mm, random_date, scan_look
from tests.ocr.report_corpus import encode

# (file, face index in a collection). Debian packages fonts-noto-cjk, fonts-vlgothic and
# fonts-sawarabi-mincho (`make devfonts`).
FACES = (
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 0),
    (Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf"), 0),
    (Path("/usr/share/fonts/truetype/sawarabi-mincho/sawarabi-mincho-medium.ttf"), 0),
)
# Mincho faces no rule up to 0.12.0 was found on, for reading the same layout in a face the
# pipeline had not seen (`bench.ocr_dev newfaces`). Since then, development data too: rules were
# found on BIZ UDMincho's and Hanazono Mincho's forms 0-287 (59, 101, 127, 143, 145, 276, 281),
# and Noto Serif CJK Light's 1000-1095 were read once, as a fresh check. Three of the five are
# weights of Noto Serif CJK, whose Regular is in FACES. Debian packages fonts-morisawa-bizud-mincho,
# fonts-hanazono, fonts-noto-cjk-extra; none of them IPA-derived (the report set's family).
# Not used by `make bench`, so not installed by `make devfonts`. (fonts-dejima-mincho has no
# Latin digits: its forms would carry blank boxes where the numbers are.)
NEW_FACES = (
    (Path("/usr/share/fonts/truetype/bizud-mincho/BIZUDMincho-Regular.ttf"), 0),
    (Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Light.ttc"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Medium.ttc"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-SemiBold.ttc"), 0),
)
NEW_FACES_SEED = 70_000  # apart from DEV_SEED's forms, so no development form is read again

SURNAMES = [
    ("佐々木", "ササキ"),
    ("山本", "ヤマモト"),
    ("中島", "ナカジマ"),
    ("小川", "オガワ"),
    ("阿部", "アベ"),
    ("近藤", "コンドウ"),
    ("坂本", "サカモト"),
    ("遠藤", "エンドウ"),
    ("青木", "アオキ"),
    ("藤田", "フジタ"),
    ("西村", "ニシムラ"),
    ("福田", "フクダ"),
    ("宮崎", "ミヤザキ"),
    ("大沢", "オオサワ"),
    ("原田", "ハラダ"),
    ("菊地", "キクチ"),
]
GIVEN = [
    ("翔太", "ショウタ"),
    ("陽菜", "ヒナ"),
    ("大和", "ヤマト"),
    ("結衣", "ユイ"),
    ("蓮", "レン"),
    ("美穂", "ミホ"),
    ("修", "オサム"),
    ("康弘", "ヤスヒロ"),
    ("智子", "トモコ"),
    ("隆", "タカシ"),
    ("三郎", "サブロウ"),
    ("幸子", "サチコ"),
    ("正和", "マサカズ"),
    ("恵美", "エミ"),
    ("信也", "シンヤ"),
    ("桂", "カツラ"),
]
PLACES = [
    "青森県弘前市下白銀町",
    "秋田県秋田市山王",
    "富山県富山市新桜町",
    "鹿児島県鹿児島市山下町",
    "愛媛県松山市二番町",
    "栃木県宇都宮市旭",
    "奈良県奈良市二条大路南",
    "沖縄県那覇市泉崎",
]
RELATIONS = ["本人", "妻", "夫", "長男", "長女", "次男", "子", "母", "父"]
# The 続柄 a city lists for a claimant (as 住民票 writes them), wider than what the forms
# above are filled with: the template's `words`, a reading none of them is flagged.
RELATION_WORDS = (
    *("本人", "世帯主", "妻", "夫", "子", "父", "母", "祖父", "祖母", "孫", "兄", "姉", "弟", "妹"),
    *("長男", "長女", "次男", "次女", "二男", "二女", "三男", "三女", "四男", "四女"),
    *("養父", "養母", "養子", "義父", "義母", "子の妻", "子の夫", "叔父", "叔母", "伯父", "伯母"),
    *("甥", "姪", "同居人", "縁故者", "未届の妻", "未届の夫", "代理人"),
)

DEV_TEMPLATE = FormTemplate(
    id="jidou-teate",
    name="児童手当 認定請求書",
    fields=(
        FormField(name="name", label="請求者氏名", kind="text", box_mm=(20, 40, 90, 11)),
        FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(115, 40, 80, 11)),
        FormField(
            name="relation",
            label="続柄",
            kind="text",
            box_mm=(20, 63, 30, 11),
            words=RELATION_WORDS,
        ),
        FormField(name="born", label="生年月日", kind="date", box_mm=(60, 63, 75, 11)),
        FormField(name="children", label="児童数", kind="integer", box_mm=(145, 63, 12, 11)),
        FormField(name="postal", label="郵便番号", kind="digits", box_mm=(20, 86, 40, 11)),
        FormField(name="address", label="住所", kind="text", box_mm=(65, 86, 130, 11)),
        FormField(name="mobile", label="携帯電話", kind="digits", box_mm=(20, 109, 70, 11)),
        FormField(name="income", label="所得額", kind="integer", box_mm=(100, 109, 50, 11)),
        FormField(name="filed", label="請求日", kind="date", box_mm=(20, 132, 75, 11)),
        FormField(name="public_servant", label="公務員", kind="checkbox", box_mm=(110, 134, 6, 6)),
    ),
)
FORMATS = ("png", "pdf", "jpeg", "tiff")
DEV_SEED = 50_000  # the first form's seed: `make bench` and `bench.ocr_dev` read from here
RESOLUTIONS = (240, 300, 360)


@dataclass(frozen=True)
class DevForm:
    data: bytes
    kind: str
    face: str
    expected: dict[str, str | int | bool]


def _values(rng: random.Random) -> tuple[dict[str, str | bool], dict[str, str | int | bool]]:
    surname, surname_kana = rng.choice(SURNAMES)
    given, given_kana = rng.choice(GIVEN)
    born = random_date(rng, date(1960, 1, 1), date(2005, 12, 31))
    filed = random_date(rng, date(2025, 1, 1), date(2026, 10, 31))
    postal = f"{rng.randint(100, 999)}{rng.randint(0, 9999):04d}"
    mobile = f"0{rng.choice((7, 8, 9))}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    address = f"{rng.choice(PLACES)}{rng.randint(100, 2999)}番地{rng.randint(1, 30)}"
    children = rng.randint(1, 4)
    income = rng.randint(50, 900) * 1000
    servant = rng.random() < 0.3
    western = rng.random() < 0.4
    written: dict[str, str | bool] = {
        "name": f"{surname} {given}",
        "kana": f"{surname_kana} {given_kana}",
        "relation": rng.choice(RELATIONS),
        "born": f"{born.year}年{born.month}月{born.day}日" if western else era_text(born),
        "children": str(children),
        "postal": postal,
        "address": address,
        "mobile": mobile,
        "income": f"{income:,}円",
        "filed": era_text(filed),
        "public_servant": servant,
    }
    expected: dict[str, str | int | bool] = {
        **{k: v for k, v in written.items()},
        "born": born.isoformat(),
        "children": children,
        "income": income,
        "filed": filed.isoformat(),
    }
    return written, expected


def render(written: dict[str, str | bool], face: tuple[Path, int], size_mm: float) -> Image.Image:
    """Labels above the boxes (the other two sets put them to the left), thin borders."""
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)

    def font(size: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(face[0]), mm(size), index=face[1])

    draw.text((mm(20), mm(18)), DEV_TEMPLATE.name, font=font(5.5), fill=0)
    label_font, value_font = font(3.0), font(size_mm)
    for spec in DEV_TEMPLATE.fields:
        x, y, w, h = spec.box_mm
        draw.rectangle((mm(x), mm(y), mm(x + w), mm(y + h)), outline=0, width=2)
        if spec.kind == "checkbox":
            draw.text((mm(x + w + 2), mm(y + 0.5)), spec.label, font=label_font, fill=0)
            if written.get(spec.name):  # a typed ✗: two crossing strokes
                draw.line((mm(x + 1), mm(y + 1), mm(x + w - 1), mm(y + h - 1)), fill=0, width=5)
                draw.line((mm(x + 1), mm(y + h - 1), mm(x + w - 1), mm(y + 1)), fill=0, width=5)
            continue
        draw.text((mm(x), mm(y - 4.5)), spec.label, font=label_font, fill=0)
        value = written.get(spec.name)
        if isinstance(value, str) and value:
            top = mm(y + h / 2) - mm(size_mm / 2) - mm(0.3)
            draw.text((mm(x + 2.5), top), value, font=value_font, fill=0)
    return page


def dev_form(
    seed: int, dpi: int | None = None, faces: tuple[tuple[Path, int], ...] = FACES
) -> DevForm:
    """The form of `seed`, encoded at its own resolution or at `dpi` (the same page and values:
    how a resolution outside `RESOLUTIONS` reads, e.g. the 200 dpi a cheap scanner keeps), in
    `faces[seed % len(faces)]`."""
    rng = random.Random(seed)
    written, expected = _values(rng)
    face = faces[seed % len(faces)]
    page = scan_look(render(written, face, rng.uniform(3.8, 4.8)), rng)
    page = page.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, fillcolor=255)
    kind = FORMATS[(seed // 4) % len(FORMATS)]
    dpi = dpi or RESOLUTIONS[(seed // 16) % len(RESOLUTIONS)]
    return DevForm(encode(page, kind, dpi), kind, face[0].stem, expected)
