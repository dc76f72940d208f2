"""Ruled tables on a page, seeded: a list of 世帯員 (氏名, 続柄, 生年月日, 性別) or a fee table
(証明書, 手数料, 備考), under a title, with a note below.

The truth is the reading order the contract promises: the title, then the table row by row, each
row's cells left to right, then the note. No cell holds a space, so a reading split on spaces
or tabs can be matched cell by cell. The tuning set draws them in IPAexGothic (constants are
fitted there), the report set in IPAexMincho (`face=MINCHO`) with the report corpus's look.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from tests.ocr.corpus import (
    A4_PX,
    GIVEN,
    MINCHO,
    SURNAMES,
    era_text,
    font,
    mm,
    random_date,
    scan_look,
)
from tests.ocr.metrics import comparable, levenshtein
from tests.ocr.report_corpus import GIVEN as REPORT_GIVEN
from tests.ocr.report_corpus import SURNAMES as REPORT_SURNAMES
from tests.ocr.report_corpus import look

RELATIONS = ["世帯主", "妻", "夫", "子", "母", "父", "孫", "同居人"]
CERTIFICATES = [
    "住民票の写し",
    "印鑑登録証明書",
    "戸籍謄本",
    "戸籍抄本",
    "除籍謄本",
    "課税証明書",
    "納税証明書",
    "身分証明書",
]
NOTES = ["一通につき", "窓口のみ", "郵送可", "本人確認要", "代理人可", "即日交付"]


@dataclass(frozen=True)
class TablePage:
    image: Image.Image
    title: str
    cells: tuple[tuple[str, ...], ...]  # rows of cells, the header row first
    note: str

    @property
    def truth(self) -> str:
        rows = ["\t".join(row) for row in self.cells]
        return "\n".join([self.title, *rows, self.note])


Names = tuple[list[tuple[str, str]], list[tuple[str, str]]]  # surnames, given names


def _members(
    rng: random.Random, rows: int, names: Names
) -> tuple[str, tuple[tuple[str, ...], ...]]:
    header = ("氏名", "続柄", "生年月日", "性別")
    surname, _ = rng.choice(names[0])
    body = []
    for n in range(rows - 1):
        given, _ = rng.choice(names[1])
        relation = "世帯主" if n == 0 else rng.choice(RELATIONS[1:])
        born = era_text(random_date(rng, date(1935, 1, 1), date(2020, 12, 31)))
        body.append((f"{surname}{given}", relation, born, rng.choice(("男", "女"))))
    return "世帯員の一覧", (header, *body)


def _fees(rng: random.Random, rows: int, _: Names) -> tuple[str, tuple[tuple[str, ...], ...]]:
    header = ("証明書の種類", "手数料", "備考")
    kinds = rng.sample(CERTIFICATES, rows - 1)
    body = [
        (kind, f"{rng.choice((200, 300, 350, 400, 450, 750))}円", rng.choice(NOTES))
        for kind in kinds
    ]
    return "証明書の交付手数料", (header, *body)


def table_page(
    seed: int, rows: int = 4, face: Path | None = None, names: Names = (SURNAMES, GIVEN)
) -> TablePage:
    """A title, a fully ruled table of `rows` rows (the header included), a note below."""
    rng = random.Random(seed)
    title, cells = (_members if seed % 2 == 0 else _fees)(rng, rows, names)
    columns = len(cells[0])
    text_font = font(4.0, face)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    left, top = rng.uniform(18, 30), rng.uniform(45, 70)
    widths = [max(len(row[c]) for row in cells) * 4.6 + rng.uniform(8, 16) for c in range(columns)]
    row_height = rng.uniform(10, 14)
    draw.text((mm(left), mm(top - 22)), title, font=font(6.0, face), fill=0)
    xs = [left + sum(widths[:c]) for c in range(columns + 1)]
    ys = [top + r * row_height for r in range(rows + 1)]
    line = rng.choice((2, 3, 4))
    for y in ys:
        draw.line((mm(xs[0]), mm(y), mm(xs[-1]), mm(y)), fill=0, width=line)
    for x in xs:
        draw.line((mm(x), mm(ys[0]), mm(x), mm(ys[-1])), fill=0, width=line)
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            draw.text(
                (mm(xs[c] + 3), mm(ys[r] + row_height / 2 - 2.3)), text, font=text_font, fill=0
            )
    note = f"※{rng.choice(NOTES)}の扱いは窓口でお尋ねください"
    draw.text((mm(left), mm(ys[-1] + 12)), note, font=text_font, fill=0)
    return TablePage(scan_look(page, rng), title, cells, note)


def report_table_page(seed: int) -> TablePage:
    """The report set's table page: IPAexMincho, then the report corpus's skew and exposure."""
    page = table_page(seed, 3 + seed % 4, MINCHO, (REPORT_SURNAMES, REPORT_GIVEN))
    return replace(page, image=look(page.image, random.Random(seed + 1)))


def cells_in_place(cells: tuple[tuple[str, ...], ...], text: str) -> int:
    """Cells read exactly (NFKC, spaces ignored) in their own row and column of the reading.

    The reading's lines are split into cells on tabs, or on spaces when it holds no tab (plain
    Tesseract's only mark of a gap between cells); the table's first row is matched to the
    reading's line closest to it, and each next row to the next line.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return 0
    tabbed = "\t" in text
    header = comparable("".join(cells[0]))
    start = min(range(len(lines)), key=lambda n: levenshtein(comparable(lines[n]), header))
    right = 0
    for line, row in zip(lines[start:], cells, strict=False):
        got = line.split("\t") if tabbed else line.split()
        right += sum(
            n < len(got) and comparable(got[n]) == comparable(want) for n, want in enumerate(row)
        )
    return right


def labelled_table_page(seed: int) -> TablePage:
    """A form's table: a label written down its narrow first column (申請者, 縦書き), that
    cell merged across all four rows, beside 項目 / 記入 pairs. Truth: the label in the first
    row, an empty cell below it in the others."""
    rng = random.Random(seed)
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    surname, _ = rng.choice(SURNAMES)
    given, _ = rng.choice(GIVEN)
    pairs = [("氏名", surname + given), ("続柄", rng.choice(RELATIONS)), ("手数料", "300円")]
    pairs.append(("備考", rng.choice(NOTES)))
    xs, ys = [25.0, 37.0, 75.0, 150.0], [60.0 + 12 * n for n in range(5)]
    for y in ys:
        draw.line((mm(xs[0]), mm(y), mm(xs[-1]), mm(y)), fill=0, width=3)
    for y in ys[1:-1]:  # the label's cell is one down the rows: no rule across it
        draw.line((mm(xs[0]) + 3, mm(y), mm(xs[1]) - 3, mm(y)), fill=255, width=5)
    for x in xs:
        draw.line((mm(x), mm(ys[0]), mm(x), mm(ys[-1])), fill=0, width=3)
    draw.text((mm(29), mm(66)), "申請者", font=font(4.5), fill=0, direction="ttb")
    for r, pair in enumerate(pairs):
        for c, text in enumerate(pair):
            draw.text((mm(xs[c + 1] + 3), mm(ys[r] + 3.5)), text, font=font(4.0), fill=0)
    title = "申請者の記入欄"
    draw.text((mm(25), mm(40)), title, font=font(6.0), fill=0)
    cells = tuple((("申請者",) if r == 0 else ("",)) + pair for r, pair in enumerate(pairs))
    return TablePage(scan_look(page, rng), title, cells, "")
