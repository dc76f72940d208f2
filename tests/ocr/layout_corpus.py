"""Pages of more than one block, seeded: a 縦書き body under a horizontal heading, and two
縦書き blocks one above the other (段組み). The truth is the reading order: the heading, then
each block top to bottom, its columns right to left.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

from tests.ocr.corpus import A4_PX, PHRASES, TextPage, font, mm, scan_look

HEADINGS = [
    "市民課からのお知らせ",
    "窓口の受付時間について",
    "証明書の交付について",
    "手続きのご案内",
]


def _columns(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    top_mm: float,
    count: int,
    longest: int,
    face: Path | None,
) -> list[str]:
    """`count` columns right to left from 185 mm, starting at `top_mm`, at most `longest`
    characters each."""
    body = font(4.5, face)
    lines = [rng.choice(PHRASES)[:longest] for _ in range(count)]
    for n, line in enumerate(lines):
        draw.text((mm(185) - n * mm(13), mm(top_mm)), line, font=body, fill=0, direction="ttb")
    return lines


def headed_vertical_page(seed: int, face: Path | None = None) -> TextPage:
    """A horizontal heading across the top, a 縦書き body of 10 columns under it."""
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    heading = rng.choice(HEADINGS)
    draw.text((mm(60), mm(20)), heading, font=font(6.0, face), fill=0)
    lines = _columns(draw, rng, 40, 10, 40, face)
    return TextPage(scan_look(page, rng), "\n".join([heading, *lines]))


def two_block_vertical_page(seed: int, face: Path | None = None, heading: bool = False) -> TextPage:
    """Two 縦書き blocks of 8 columns, one above the other, 12 mm apart or more; with
    `heading`, a horizontal heading across the top first."""
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    title = [rng.choice(HEADINGS)] if heading else []
    if heading:
        draw.text((mm(60), mm(20)), title[0], font=font(6.0, face), fill=0)
    upper = _columns(draw, rng, 40 if heading else 20, 8, 24, face)
    lower = _columns(draw, rng, 160 if heading else 153, 8, 24, face)
    return TextPage(scan_look(page, rng), "\n".join(title + upper + lower))
