"""Katakana names printed with and without the space between family and given name, each in
a box as a form holds it, read by the worker's field reader and valued as a `katakana` field:
how often a space is lost (or one put in) and the line trusted, and how often a right line is
flagged. Faces: the development set's four and IPAexGothic (never IPAexMincho, the report
set's); 200, 240 and 300 dpi; 3.8-4.8 mm. Seeded: `python -m bench.kana_spaces COUNT SEED`
(rules were worked out on seed 1; another seed is a fresh sample). `--ink` decides from the
ink alone (`spacing`), without the engine: fast, for every gap rule at once.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from handlers.ocr.reading import field_value
from infra.ocr import fields, imaging, ink, tesseract
from infra.ocr.page import SMALL_FACTOR
from infra.ocr.readings import FieldBox, PageTask
from schemas.forms import FormField
from tests.ocr.corpus import font_path
from tests.ocr.dev_corpus import FACES

# Names outside the three corpora's lists, many with the narrow kana (ト, ミ, ニ, ー, small
# kana) whose glyphs leave wide gaps inside a word.
FAMILY = (
    *("イトウ", "クドウ", "ミナミ", "ニシダ", "トミタ", "ホンダ", "シミズ", "ツチヤ", "ハットリ"),
    *("キノシタ", "ミヤモト", "ニイミ", "イシイ", "オオノ", "コバヤシ", "モリ", "ノグチ", "エトウ"),
    *("タニグチ", "ソノダ", "ハシモト", "キシ", "ヒラノ", "スギヤマ", "チバ", "ミウラ", "トダ"),
    *("ウチダ", "ヨシカワ", "マルヤマ", "ニッタ", "リョウ", "ショウジ", "シライシ", "ミキ"),
)
GIVEN = (
    *("ミキ", "トシオ", "ニナ", "ユウト", "ケイ", "ミツル", "ハルト", "リン", "ショウコ"),
    *("ユウイチ", "ナオミ", "アイ", "トオル", "ミユ", "コウジ", "イツキ", "ソウタ", "ヒトミ"),
    *("チヒロ", "シン", "ルミ", "キョウコ", "ジュン", "ノリコ", "ミノル", "エリ", "ケンジ"),
    *("マイ", "トモヤ", "ニコ", "リュウジ", "サトシ", "ユミ", "ミチコ", "イチロー", "ジョージ"),
)
PROBE_FACES = (*(path for path, _ in FACES), Path(font_path()))
RESOLUTIONS = (200, 240, 300)
BOX_MM = (10.0, 10.0, 80.0, 11.0)
SPEC = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=BOX_MM)


@dataclass(frozen=True)
class Line:
    written: str
    face: Path
    size_mm: float
    dpi: int
    blur: float


def lines(count: int, seed: int) -> list[Line]:
    """`count` lines, half of them typed with the space and half without."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        written = f"{family} {given}" if i % 2 == 0 else family + given
        made.append(
            Line(
                written,
                rng.choice(PROBE_FACES),
                rng.uniform(3.8, 4.8),
                rng.choice(RESOLUTIONS),
                rng.uniform(0.5, 0.9),
            )
        )
    return made


def page(line: Line) -> Image.Image:
    """The line in its box as the worker has it: printed, blurred as a scan, at `dpi`, brought
    back to 300 dpi as the worker brings a page."""
    px = tesseract.DPI / 25.4
    x, y, width, height = BOX_MM
    image = Image.new("L", (round(100 * px), round(30 * px)), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((x * px, y * px, (x + width) * px, (y + height) * px), outline=0, width=2)
    top = (y + height / 2 - line.size_mm / 2 - 0.3) * px
    face = ImageFont.truetype(str(line.face), round(line.size_mm * px))
    draw.text(((x + 2.5) * px, top), line.written, font=face, fill=0)
    image = image.filter(ImageFilter.GaussianBlur(line.blur))
    if line.dpi != tesseract.DPI:
        scaled = (round(image.width * line.dpi / 300), round(image.height * line.dpi / 300))
        image = image.resize(scaled, Image.Resampling.LANCZOS)
        image = image.resize((round(100 * px), round(30 * px)), Image.Resampling.LANCZOS)
    return image


def written_ink(image: Image.Image) -> NDArray[np.bool_]:
    """The line's ink as the worker measures it for its spaces."""
    small = imaging.downscale(image, SMALL_FACTOR)
    threshold = ink.page_ink_threshold(np.asarray(small))
    box = FieldBox("kana", "katakana", BOX_MM)
    raw_crop = fields.field_crop(image, box, 0, 0, 0.0, threshold)
    crop = fields.cleaned(raw_crop, imaging.despeckle(raw_crop))
    mask: NDArray[np.bool_] = fields._written_ink(crop, threshold)
    return mask


def outcome(line: Line, today: date) -> str:
    """right / right_flagged / wrong_flagged / wrong_trusted, and what went wrong."""
    image = page(line)
    task = PageTask("", "png", 0, (FieldBox("kana", "katakana", BOX_MM),))
    small = imaging.downscale(image, SMALL_FACTOR)
    reading = fields.read_fields(image, small, task, 0.0, (0, 0, True)).fields[0]
    value = field_value(SPEC, reading, True, today)
    right = value.value == line.written
    letters_right = str(value.value or "").replace(" ", "") == line.written.replace(" ", "")
    what = "" if right else ("space" if letters_right else "letters")
    verdict = ("right" if right else "wrong") + ("_flagged" if value.needs_review else "")
    shown = "" if right else f"[{value.value}]"
    return f"{verdict} {what} {value.review_reason or ''} {shown}".strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("seed", type=int)
    args = parser.parse_args()
    today = date(2026, 12, 1)
    tally: Counter[str] = Counter()
    for line in lines(args.count, args.seed):
        typed = "spaced" if " " in line.written else "unspaced"
        result = outcome(line, today)
        tally[f"{typed} {result.split('[')[0].strip()}"] += 1
        if result != "right":
            print(typed, result, line.written, line.face.stem, line.dpi, round(line.size_mm, 2))
    for key, n in sorted(tally.items()):
        print(f"{key:40s} {n}")


if __name__ == "__main__":
    main()
