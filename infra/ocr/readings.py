"""What crosses the OCR worker process's boundary: the task for one page (and, in template
mode, the template's boxes) and the page's reading (its fields' readings). Small frozen
values, picklable: they travel to and from the worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.ocr import digit_runs, handread
from infra.ocr.marks import Mark
from infra.ocr.second_opinion import Verdict


@dataclass(frozen=True)
class FieldBox:
    name: str
    kind: str
    box_mm: tuple[float, float, float, float]
    whitelist: str | None = None
    hand: bool = False
    cells: int = 0  # a comb of this many cells, read one character a cell by the hand model
    options: tuple[tuple[float, float, float, float], ...] = ()  # a choice's option areas
    vertical: bool = False  # 縦書き: read with jpn_vert
    # The words the field holds (続柄): a line read as none of them is read again (`fields.py`).
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageTask:
    path: str
    kind: str  # pdf, tiff, png, jpeg
    page_index: int
    fields: tuple[FieldBox, ...] = ()  # empty: read the whole page as text
    page_size_mm: tuple[float, float] | None = None


@dataclass(frozen=True)
class FieldReading:
    name: str
    raw: str
    confidence: float
    ink_ratio: float
    blank: bool = False  # no ink in the box (measured by `ink.measure`): nothing was written
    cells: tuple[handread.CellGuess, ...] = ()  # a comb: one guess per cell
    marks: tuple[Mark, ...] = ()  # hand marks: one per choice option, or the checkbox's
    symbols: tuple[tuple[str, float], ...] = ()  # each character read, with its confidence
    # For each of `symbols`, the engine's best other choices with their scores: read only when
    # a digit or kana was read with less than tesseract.SURE_SYMBOL (`tesseract.other_choices`).
    other_choices: tuple[tuple[tuple[str, float], ...], ...] = ()
    # Characters written, counted on the ink: separate runs of inked columns (digit kinds),
    # glyphs a kana line holds (katakana, `kana.glyph_count`).
    glyph_runs: int = 0
    # A katakana line read as one word where the ink shows a gap that may be a space or not
    # (`spacing.unsure_gap`); the line holds the space there when read again it had one.
    space_unsure: bool = False
    # A line read with one space where the ink shows the gap between its words elsewhere
    # (`spacing.space_elsewhere`).
    space_elsewhere: bool = False
    # A katakana line with a kana read small whose glyph sits as a full-size one does, or the
    # reverse (`kana.size_unsure`): ュ or ユ, ッ or ツ, the reading does not say.
    kana_size_unsure: bool = False
    # A katakana line read again with its glyphs set apart at another size (`fields.py`,
    # `_kana_read_apart`): its characters, spaced where the ink likely puts the space, ""
    # where not read so.
    kana_apart: str = ""
    # A katakana line read with another count of characters than its glyphs, read again cut
    # tight: the first reading with as many characters as the glyphs, all kana ("" if none).
    kana_again: str = ""
    # A text line whose ink holds a number the reading has none for: the places (letters
    # read before it, spaces not counted) where one put in lays the line on its ink
    # (`digit_runs.characters_lost`).
    characters_lost: tuple[int, ...] = ()
    # Each run of digits in a line jpn read, in order, with what eng read in its place.
    digits_again: tuple[digit_runs.DigitRun, ...] = ()
    # A date read with nothing between 月 and 日: its day's marks read by eng
    # (`digit_runs.lost_day_again`), None where not read so.
    day_again: digit_runs.DigitRun | None = None
    # What the larger network said of a doubted printed text line (`second_opinion.py`).
    second_opinion: Verdict = "not_asked"
    # A line of a listed-words field read as none of its words, read again by both networks,
    # cut tight and not: each reading's letters (spaces dropped), with its confidence.
    words_again: tuple[tuple[str, float], ...] = ()
    # A one-character box of digits read as no digit, its ink one mark of a digit's size and
    # shape: the digit two readings again both gave (`lone_digit.py`), "" where they did not.
    lone_digit: str = ""
    # A line of digits with a digit nearly read as another (a close second choice): the digits
    # the Japanese model reads in the same place (`fields._digits_by_jpn`), "" where not read.
    digits_by_jpn: str = ""
    # Ink against the box's printed border, which the box as the template cuts it leaves out:
    # the box read whole, its border whitened (`fields.py`). A pen stroke beside a value is
    # read into it then (a stroke at the left of 257-6092 read 1257-6092, rendered boxes).
    read_whole: bool = False


@dataclass(frozen=True)
class PageReading:
    page_index: int
    text: str
    confidence: float
    skew_degrees: float = 0.0
    orientation_degrees: int = 0
    aligned: bool = True
    fields: tuple[FieldReading, ...] = field(default=())
    peak_rss_kib: int = 0
