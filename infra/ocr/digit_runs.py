"""Runs of digits and of ink in a line of a field: the digits the Japanese model read cut out
and read again by the English model, and the runs of inked columns that say how many
characters were typed. Pure numpy and Pillow around `tesseract.ocr`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from infra.ocr import imaging, kana, tesseract

# Specks a 3x3 median leaves are under 0.1 mm² (infra/ocr/ink.py); a thin hyphen is 0.25.
RUN_MIN_MM2 = 0.1
DIGITS = "0123456789"
FULL_WIDTH = 0.85  # of the line's height: a run this wide and tall is a full-width character


class DigitRun(NamedTuple):
    """A run of digits in a line the Japanese model read, and the English model's readings
    of the same place cut on its own (`digit_runs_again`)."""

    read: str  # by jpn, in the line
    again: str = ""  # by eng, at the field's size; "" when not read again
    larger: str = ""  # by eng enlarged, only when `again` holds as many digits, other ones,
    # or as many as `printed` where fewer were read
    # Separate marks of ink between the whole characters read before and after the run
    # (`marks_between_kanji`); 0 where not counted.
    printed: int = 0
    again_score: float = 0.0  # eng's mean confidence in `again` (0-100)
    larger_score: float = 0.0  # and in `larger`


DIGIT_RUN_MARGIN_PX = 3  # around a run of digits cut from a line (at the field scale, 0.6)
DIGIT_RUN_PAD_PX = 12
# A character's box starts where the model recognised it, which is not where its ink starts:
# up to 7 px (at the field scale) right of it on the development forms, and a little left of it.
BOX_LEFT_SLACK_PX = 3
BOX_LEFT_LAG_PX = 12


def digit_runs_again(
    patch: Image.Image,
    threshold: int,
    read_at: float,
    text_line: bool = False,
    date: bool = False,
) -> tuple[DigitRun, ...]:
    """Each run of digits the last (Japanese) reading of `patch` (`read_at` of the field's
    size) gave, in reading order, with what the English model reads in the same place, cut on
    its own ("" where it was not read).

    VL Gothic's 0 came back from jpn as 6 or 9 with confidence 85-91 and no other choice
    to give it away ("2026-03-20" as "2026-03-26"); eng, which never confused them in the
    digit fields, reads the same place right. A lone digit is not read again (eng read a third
    of them as letters, "7" as "i", "1" as "J"), unless the ink holds more marks there than
    were read: then it is cut and read with them (10月 read 1月). Nor is a run with a box one
    pixel wide: the model lost track of where it read it (all of "9-22-10" came back at one
    place). In a text line (`text_line`) a number the ink places (`numbers_on_ink`) is cut
    between its marks, whatever the boxes' columns say: VL Gothic's 1017 came back 1917 at 91, its
    boxes a glyph left of their ink and the 7's one pixel wide (development form 1378). A
    `date`'s numbers each stand between whole characters (an era's name, 年, 月, 日) or the
    line's ends: one whose cut does not (`between_characters`) is not read again, none is cut
    with its neighbours' ink, and its marks are counted by `marks_in_date` where
    `marks_between_kanji` could place none; one so left unread is read where the line's
    characters laid on its ink place it (`date_numbers_placed`)."""
    pixels = np.asarray(patch)
    inked = ink_runs(pixels, threshold)
    found = []
    boxed = tesseract.state.get("symbol_boxes", ())
    runs = digit_runs(boxed)
    text = "".join(char for char, _ in boxed)
    in_date = date_marks(text, inked) if date and inked else []
    marks = [len(number) for number in in_date] or (
        marks_between_kanji(text, inked) if inked else []
    )
    if marks and boxed and boxed[-1][0] in DIGITS:  # a number ends the line: 番地30
        marks[-1] = marks_after_last_kanji(boxed, len(runs[-1]), inked)
    placed = numbers_on_ink(text, inked) if text_line else [None] * len(runs)
    in_date = in_date or [()] * len(runs)
    for run, printed, on_ink, of_date in zip(
        runs, marks or [0] * len(runs), placed, in_date, strict=True
    ):
        read = "".join(char for char, _ in run)
        band = _band(pixels, [box for _, box in run])
        if on_ink is not None:
            found.append(_placed_read_again(band, read_at, read, on_ink))
            continue
        first, last = run_starting(run[0][1][0], inked), run_starting(run[-1][1][0], inked)
        lost = any(box[2] - box[0] <= 1 for _, box in run)
        # A digit the line lost (10月 read 1月) is cut with the rest of its number.
        count = max(len(run), printed)
        if (
            count >= 2
            and not lost
            and first is not None
            and last is not None
            and last.end > first.start
        ):
            first, last = widened(first, last, count, inked)
            if not date or between_characters(first, last, inked):
                # A date's number not into the characters around it: 和's last stroke was
                # read as a 1.
                cut = _cut(band, first, last, inked if date else None)
                found.append(_cut_read_again(cut, read_at, read, printed))
                continue
        # A date's number the boxes do not say where to cut, whose marks the ink places
        # between the characters around it, is cut where they are.
        placed_in_date = len(of_date) == printed > len(run)
        found.append(
            _placed_read_again(band, read_at, read, of_date)
            if placed_in_date
            else DigitRun(read, printed=printed)
        )
    if date and inked:
        return tuple(_date_number_placed(pixels, read_at, runs, found, inked, text, in_date))
    return tuple(found)


def _date_number_placed(
    pixels: Any,
    read_at: float,
    runs: list[list[Boxed]],
    found: list[DigitRun],
    inked: list[InkRun],
    text: str,
    counted: list[tuple[InkRun, ...]],
) -> list[DigitRun]:
    """The numbers of a date `found` not read again, read again cut where the ink places them
    (`date_numbers_placed`), or else on the two or more marks `counted` for them between whole
    characters (`date_marks`), or on one where more digits were read, clear of the characters
    beside them. Counted so, VL Gothic's
    昭和20年 read 昭和720年 (和's last stroke a 7) was not read again: its cut, from the box
    on 和, had no whole character before it."""
    placed = date_numbers_placed(text, inked, [number.printed for number in found])
    out = []
    for run, number, on_ink, of_date in zip(runs, found, placed, counted, strict=True):
        # A lone mark is read again only where more digits were read on it: VL Gothic's
        # 令和3年 read 令和53年, a stroke of 和 a 5 (rendered dates).
        counted_here = len(of_date) >= 2 or 0 < len(of_date) < len(number.read)
        marks = on_ink or (of_date if counted_here else None)
        if number.again or marks is None:
            out.append(number)
            continue
        cut = _cut(_band(pixels, [box for _, box in run]), marks[0], marks[-1], inked)
        out.append(_cut_read_again(cut, read_at, number.read, len(marks)))
    return out


def date_numbers_placed(
    read: str, runs: list[InkRun], counted: list[int]
) -> list[tuple[InkRun, ...] | None]:
    """For each number of a date (`read`), the two or more marks of ink the line's characters
    laid on its ink place it on (`numbers_on_ink`), where as many were `counted` for it between
    whole characters, or none were; None elsewhere (a lone mark is not read again).

    VL Gothic's 和 breaks into two runs of ink, and 昭 too at some sizes: then neither
    `marks_between_kanji` nor `marks_in_date` counts the year's marks, the engine's boxes lie a
    glyph left of their ink, and the year was not read again: rendered 昭和50年 read 昭和59年
    or 昭和5年 at 82-92 and trusted (VL Gothic, 3.4-4.8 mm, 200-300 dpi). Laid on the ink with
    each character of the era in one to three pieces, the year's two marks are placed."""
    placed = numbers_on_ink(read, runs)
    return [
        marks if marks is not None and len(marks) >= 2 and count in (0, len(marks)) else None
        for marks, count in zip(placed, counted, strict=True)
    ]


def lost_day_again(
    patch: Image.Image, threshold: int, read_at: float, boxed: tuple[Boxed, ...]
) -> DigitRun | None:
    """A date read (`boxed`: its characters and their boxes) with nothing between 月 and 日
    (`lost_day_marks`), its day's marks cut clear of the two and read by the English model, at
    the field's size and enlarged; None where the line does not read so or the ink does not
    place the day.

    VL Gothic's 令和7年7月3日 came back 令和7年7月日 at 90, the 3's box and reading lost
    (development form 1726): the date did not parse, and staff were shown nothing."""
    text = "".join(char for char, _ in boxed)
    pixels = np.asarray(patch)
    inked = ink_runs(pixels, threshold)
    marks = lost_day_marks(text, inked)
    if not marks:
        return None
    around = [box for char, box in boxed if char in "月日"][-2:]
    cut = _cut(_band(pixels, around), marks[0], marks[-1], inked)
    image = Image.fromarray(imaging.pad(cut, DIGIT_RUN_PAD_PX))
    again, score = line_of_digits(image)
    larger, larger_score = line_of_digits(tesseract.scaled(image, 1 / read_at))
    return DigitRun("", again, larger, len(marks), score, larger_score)


def lost_day_marks(read: str, runs: list[InkRun]) -> tuple[InkRun, ...]:
    """The one or two marks of ink of a date's day where the line (`read`) ends 月日, a number
    before 月: placed by laying the line on its ink with a day between the two
    (`numbers_on_ink`); () where it does not read so or the ink does not place it."""
    line = "".join(read.split())
    if re.fullmatch(r".*[0-9]月日", line) is None:
        return ()
    day = numbers_on_ink(f"{line[:-1]}0日", runs)[-1]
    return day if day is not None and len(day) <= 2 else ()


def _placed_read_again(band: Any, read_at: float, read: str, marks: tuple[InkRun, ...]) -> DigitRun:
    """A number of a text line the ink placed on `marks`, cut from `band` (the rows its boxes
    span) between them and read again. Its boxes' rows hold where their columns strayed; cut
    to its own ink's rows instead, VL Gothic's 27 came back 21 from eng at both sizes
    (development form 486)."""
    if len(marks) < 2:  # a lone digit read as one: not read again
        return DigitRun(read, printed=len(marks))
    return _cut_read_again(_cut(band, marks[0], marks[-1]), read_at, read, len(marks))


def _band(pixels: Any, boxes: list[tesseract.Box]) -> Any:
    """The rows of `pixels` the `boxes` span, with a margin above and below."""
    top = max(min(box[1] for box in boxes) - DIGIT_RUN_MARGIN_PX, 0)
    return pixels[top : max(box[3] for box in boxes) + DIGIT_RUN_MARGIN_PX]


def _cut(band: Any, first: InkRun, last: InkRun, runs: list[InkRun] | None = None) -> Any:
    """`band` cut from the ink of `first` to that of `last`, with a margin on each side; with
    the line's `runs`, not into the runs beside the two."""
    left, right = first.start - DIGIT_RUN_MARGIN_PX, last.end + DIGIT_RUN_MARGIN_PX
    if runs is not None:
        at_first, at_last = runs.index(first), runs.index(last)
        if at_first > 0:
            left = max(left, runs[at_first - 1].end)
        if at_last + 1 < len(runs):
            right = min(right, runs[at_last + 1].start)
    return band[:, max(left, 0) : right]


def _cut_read_again(cut: Any, read_at: float, read: str, printed: int) -> DigitRun:
    """What the English model reads in `cut`, the place of the digits jpn `read`; enlarged
    too where the two differ digit for digit, or where eng found a digit jpn lost."""
    image = Image.fromarray(imaging.pad(cut, DIGIT_RUN_PAD_PX))
    again, again_score = line_of_digits(image)
    larger, larger_score = "", 0.0
    digits = digits_in(again)
    other = len(digits) == len(read) and digits != read
    if other or len(read) < len(digits) == printed:
        # The two models differ digit for digit, or eng found the digit jpn lost: eng on
        # the run enlarged says whether its first reading holds (VL Gothic's 23 came back
        # as 25 once, and 23 enlarged).
        larger, larger_score = line_of_digits(tesseract.scaled(image, 1 / read_at))
    return DigitRun(read, again, larger, printed, again_score, larger_score)


def between_characters(first: InkRun, last: InkRun, runs: list[InkRun]) -> bool:
    """Whether the runs of ink from `first` to `last` (a number of a date) have a whole
    character or the line's end on either side: the ink a full-width run, or the narrow 日 that
    ends a line (`_narrow_last_closes`).

    The engine's boxes strayed a glyph left of their ink: Sawarabi Mincho's and Noto Serif
    CJK's 昭和26年 and 昭和35年 were cut as the last stroke of 和 (a piece of its own, where
    和 breaks in two) and the 2 or the 3, and the English model read "12" and "13", surely;
    their dates, read right, were shown with a wrong year. A number so cut has a mark of ink
    beside it that is no whole character: one of its own digits, left out."""
    at_first, at_last = runs.index(first), runs.index(last)
    before = runs[at_first - 1] if at_first > 0 else None
    after = runs[at_last + 1] if at_last + 1 < len(runs) else None
    wide = [run for run in runs if run.full_width]
    closes = (
        after is None or after.full_width or (after is runs[-1] and _narrow_last_closes(runs, wide))
    )
    return (before is None or before.full_width) and closes


def line_of_digits(image: Image.Image) -> tuple[str, float]:
    """What the English model reads in `image` as one line, spaces left out, and its mean
    confidence."""
    import tesserocr

    text, score = tesseract.ocr(image, tesserocr.PSM.SINGLE_LINE, None, tesseract.latin_api())
    return "".join(text.split()), score


def digits_in(text: str) -> str:
    return "".join(char for char in text if char in "0123456789")


# Between two digits of a run at the field scale: about 3 px in the development faces.
DIGIT_GAP_PX = 8


def widened(first: InkRun, last: InkRun, count: int, runs: list[InkRun]) -> tuple[InkRun, InkRun]:
    """The first and last runs of ink of `count` digits, widened by the narrow runs beside
    them while there are fewer runs than digits, to the left first: the first digit's box
    often starts a character late ("1852" was cut as "852")."""
    at_first, at_last = runs.index(first), runs.index(last)
    while at_last - at_first + 1 < count:
        if at_first > 0 and beside(runs[at_first - 1], runs[at_first]):
            at_first -= 1
        elif at_last + 1 < len(runs) and beside(runs[at_last], runs[at_last + 1]):
            at_last += 1
        else:
            break
    return runs[at_first], runs[at_last]


def beside(left: InkRun, right: InkRun) -> bool:
    """Two runs of ink close enough, and narrow enough, to be digits of one number."""
    narrow = not (left.full_width or right.full_width)
    return narrow and right.start - left.end <= DIGIT_GAP_PX


Boxed = tuple[str, tesseract.Box]  # a character read and where it lies


def digit_runs(boxed: tuple[Boxed, ...]) -> list[list[Boxed]]:
    """The runs of digits among characters read, each with its characters' boxes."""
    runs: list[list[Boxed]] = []
    previous_digit = False
    for char, box in boxed:
        digit = char in "0123456789"
        if digit and previous_digit:
            runs[-1].append((char, box))
        elif digit:
            runs.append([(char, box)])
        previous_digit = digit
    return runs


def marks_between_kanji(read: str, runs: list[InkRun]) -> list[int]:
    """For each run of digits in `read` (a line's characters), the separate narrow marks of
    ink between the whole characters read before and after it; 0 where they cannot be placed.

    The Japanese model read 10月, 11月 and 平成14年 as 1月 and 平成1年 at 92-99, the lost
    digit's ink inside the box it gave 年 (development forms 192-575: 6 dates, trusted).
    Digits are each one run of inked columns and touching ones make fewer, never more, so more
    marks than digits read is a digit dropped. The engine's boxes strayed a glyph from their
    ink, so the places come from order alone: only a line whose other characters are each one
    full-width run is counted (in small type thin strokes break: Noto Serif's 和 at 3.4 mm
    came out as four runs, Sawarabi Mincho's 月 as two). The one exception is a last
    character narrower than an em (日, in each development face at some sizes), which closes
    the last number all the same when it is wider than the marks before it."""
    wide = [run for run in runs if run.full_width]
    whole = _whole(read)
    numbers = list(re.finditer(f"[{DIGITS}]+", read))
    narrow_last = (
        len(wide) == len(whole) - 1 and not runs[-1].full_width and read.strip()[-1:] == whole[-1:]
    )
    if len(wide) != len(whole) and not narrow_last:
        return [0] * len(numbers)
    closing = [*wide, runs[-1]] if narrow_last and _narrow_last_closes(runs, wide) else wide
    return [len(marks) for marks in _marks_before_closing(read, runs, wide, closing)]


def _marks_before_closing(
    read: str, runs: list[InkRun], wide: list[InkRun], closing: list[InkRun]
) -> list[tuple[InkRun, ...]]:
    """The narrow runs of each number of `read`, between the full-width run of the whole
    character before it (or the line's start) and the `closing` run of the one after it."""
    found: list[tuple[InkRun, ...]] = []
    for number in re.finditer(f"[{DIGITS}]+", read):
        before = len(_whole(read[: number.start()]))
        if before >= len(closing):
            found.append(())
            continue
        left = wide[before - 1].end if before else runs[0].start
        found.append(_marks_between(runs, left, closing[before].start))
    return found


# A date as the line read it: what comes before its first number (an era's name, or nothing),
# its numbers with 年 and 月 after the first two, and one character after the day (日, or what
# it was read as).
_DATE_READ = re.compile(r"(\D*)([0-9]+)年([0-9]+)月([0-9]+)(\D)")


def date_marks(read: str, runs: list[InkRun]) -> list[tuple[InkRun, ...]]:
    """The marks of ink of each number of a date: between whole characters placed in order
    (as `marks_between_kanji` places them), else from the line's end (`marks_in_date`); []
    where neither places any."""
    wide = [run for run in runs if run.full_width]
    whole = _whole(read)
    narrow_last = (
        len(wide) == len(whole) - 1 and not runs[-1].full_width and read.strip()[-1:] == whole[-1:]
    )
    if len(wide) == len(whole) or narrow_last:
        closing = [*wide, runs[-1]] if narrow_last and _narrow_last_closes(runs, wide) else wide
        placed = _marks_before_closing(read, runs, wide, closing)
        if any(placed):
            return placed
    return marks_in_date(read, runs)


def marks_in_date(read: str, runs: list[InkRun]) -> list[tuple[InkRun, ...]]:
    """For each number of a date read as such (`_DATE_READ`), the separate narrow marks of
    ink between the whole characters around it, placed from the line's end; [] where they
    cannot be placed.

    Where a character breaks in two (Noto Sans CJK's 和 at 4.3 mm, VL Gothic's 昭 at 4.8 mm,
    Noto Serif CJK's 和 at 3.4 mm), `marks_between_kanji` counts nothing, and rendered dates
    such as 昭和20年 read as 昭和2年 and 11月 read as 1月 were trusted. The era's name is
    all that comes before the first number, so 年, 月 and 日 are still the line's last
    three whole characters: each a full-width run, or the narrow 日 that ends the line
    (`_narrow_last_closes`). They are placed so only where the day's character is the line's
    last ink and the month and the day each hold one or two marks; a character of theirs
    broken in two puts its pieces among a number's digits and fails that. The year's marks
    are those after the full-width run before 年 (the era's last character, or the line's
    start for a year written in full), counted where there are no more than the year can
    have: two after an era's name, four without; else 0, the era's last character broken."""
    date = _DATE_READ.fullmatch(read.replace(" ", ""))
    if date is None or not runs:
        return []
    wide = [run for run in runs if run.full_width]
    narrow_last = not runs[-1].full_width and _narrow_last_closes(runs, wide)
    closing = [*wide, runs[-1]] if narrow_last else wide
    if len(closing) < 3 or closing[-1] is not runs[-1]:
        return []
    year_end, month_end, day_end = closing[-3:]
    month = _marks_between(runs, year_end.end, month_end.start)
    day = _marks_between(runs, month_end.end, day_end.start)
    if not (1 <= len(month) <= 2 and 1 <= len(day) <= 2):
        return []
    before = [run for run in wide if run.end <= year_end.start]
    era = bool(date[1])
    if era != bool(before):  # an era's name with no whole character left, or one without
        return [(), month, day]
    year = _marks_between(runs, before[-1].end if before else runs[0].start, year_end.start)
    return [year if len(year) <= (2 if era else 4) else (), month, day]


def _marks_between(runs: list[InkRun], left: int, right: int) -> tuple[InkRun, ...]:
    return tuple(run for run in runs if not run.full_width and left <= run.start < right)


def _narrow_last_closes(runs: list[InkRun], wide: list[InkRun]) -> bool:
    """Whether a line's last run of ink, narrower than an em, is the whole character that ends
    it: wider than each mark between it and the last full-width run (the day's digits).

    A day read with a digit lost before a narrow 日 was not counted: NotoSans CJK's 27日 came
    back 2日 at 87, trusted (development form 1149). Of 1000 dates rendered in the development
    faces and IPAexGothic, 291 ended in such a 日, 1.14-2.75 times as wide as the widest digit
    before it; a last run no wider is a digit, or a piece of a character, and places nothing."""
    last = runs[-1]
    after = wide[-1].end if wide else runs[0].start
    marks = [run for run in runs[:-1] if run.start >= after]
    return all(run.end - run.start < last.end - last.start for run in marks)


def marks_after_last_kanji(boxed: tuple[Boxed, ...], digits: int, runs: list[InkRun]) -> int:
    """The separate narrow marks of ink after the whole character read before a line's last
    `digits` characters (a number that ends it); 0 where that character's ink is not one
    full-width run where its box starts.

    VL Gothic's 番地30 and 番地10 came back 番地3 and 番地1 at 87-88, trusted (development
    forms 714 and 774, of forms 576-959 read once each to measure). No whole character follows
    a number that ends a line, so `marks_between_kanji` cannot count it; the box the engine
    gives the character before it may stray a glyph right, onto a digit, and is then not
    taken (a narrow run). Marks an em or more apart from the number are not its digits (what
    is left of the box's border at its right end, read ーー)."""
    if len(boxed) <= digits:
        return 0
    character = run_starting(boxed[-digits - 1][1][0], runs)
    if character is None or not character.full_width:
        return 0
    em = character.end - character.start
    marks, end = 0, character.end
    for run in runs[runs.index(character) + 1 :]:
        if run.full_width or run.start - end > em:  # not a digit, or apart from the number
            break
        marks, end = marks + 1, run.end
    return marks


def _whole(read: str) -> str:
    """The characters read that are not digits or spaces: one full-width run of ink each."""
    return "".join(char for char in read if char not in DIGITS and not char.isspace())


def run_starting(left: int, runs: list[InkRun]) -> InkRun | None:
    """The run of ink a character whose box starts at `left` begins in: the last one that
    starts before it (the box of the last digit before 年 came back spanning 年 and the next
    digit too, so its end says nothing)."""
    before = [run for run in runs if run.start <= left + BOX_LEFT_SLACK_PX]
    if not before or before[-1].start < left - BOX_LEFT_LAG_PX:
        return None
    return before[-1]


def glyph_runs(crop: Any, threshold: int) -> int:
    """Runs of inked columns left to right: about one per digit, hyphen or comma typed.
    A run with less ink than RUN_MIN_MM2 is a speck the median left, not a character (two
    pixels beside a Mincho postal code counted as a ninth character, and flagged it). A run
    as wide and as tall as the line is a full-width character, the unit of "188,000円": no
    digit kind reads it, so it is not a digit the engine skipped (counted, it flagged every
    amount written with 円). Two digits touching are as wide, and fewer runs never flag."""
    return sum(1 for run in ink_runs(crop, threshold) if not run.full_width)


@dataclass(frozen=True)
class InkRun:
    start: int  # first inked column
    end: int  # one past the last
    full_width: bool  # as wide and as tall as the line: a full-width character, or two digits


def ink_runs(crop: Any, threshold: int) -> list[InkRun]:
    """The runs of inked columns `glyph_runs` counts, specks left out."""
    ink = crop < threshold
    ink_per_column = ink.sum(axis=0)
    inked = np.concatenate(([False], ink_per_column > 0, [False]))
    starts = np.flatnonzero(inked[1:] & ~inked[:-1])
    ends = np.flatnonzero(~inked[1:] & inked[:-1])
    found = []
    for start, end in zip(starts, ends, strict=True):
        if ink_per_column[start:end].sum() >= RUN_MIN_MM2 * tesseract.PX_PER_MM**2:
            rows = np.flatnonzero(ink[:, start:end].any(axis=1))
            found.append((int(start), int(end), int(rows[-1] - rows[0] + 1)))
    # The line's height is the runs' median: a speck above or below a digit stretches its
    # column run, and the tallest run then hid 円 as a narrow character (counted, it flagged).
    full = FULL_WIDTH * float(np.median([height for _, _, height in found])) if found else 0.0
    return [InkRun(s, e, e - s >= full and height >= full) for s, e, height in found]


# A whole character's ink, against the median width of the line's full-width runs: at least
# this wide, as one run or as a few (那 as 尹 and 阝), and at most HI wide; a digit narrower.
WHOLE_LO = 0.7
WHOLE_HI = 1.25
WHOLE_MAX_PIECES = 3  # 川 in three runs
NUMBER_GAP_EM = 0.5  # between two digits of one number, at most
PLACINGS_MAX = 64  # more ways to place a line's characters than this: none is trusted

Placing = tuple[tuple[int, int], ...]  # each number's first and one-past-last run


def numbers_on_ink(read: str, runs: list[InkRun]) -> list[tuple[InkRun, ...] | None]:
    """For each number in `read` (a text line's characters), the runs of ink that are its
    digits, where the ink decides them; None where it does not.

    The line's characters are laid on its runs of ink in order: a whole character is one run,
    or a few side by side (那 as 尹 and 阝, 町 as 田 and 丁), together about as wide as the
    line's full-width runs; a digit is one narrower run; a number's digits stand close. Every
    way of laying the line that uses all its ink is found, and a number is placed only where
    all of them put it on the same runs. `marks_between_kanji` places characters only where
    each is one full-width run, and 二 (wide but short) or a kanji in two runs left every
    number of its line uncounted: VL Gothic's 1097 and 2218 read 197 and 218 (development
    forms 1210 and 1238). A run that ends the line an em or more after the rest is no character
    (what is left of the box's border). A number laid on fewer marks than its digits read is
    not placed."""
    numbers = re.findall(f"[{DIGITS}]+", read)
    count = len(numbers)
    wide = sorted(run.end - run.start for run in runs if run.full_width)
    if not wide or count == 0:
        return [None] * count
    em = wide[len(wide) // 2]
    tokens = _tokens(read)
    placings = _placings(tokens, runs, em)
    if not placings:
        return [None] * count
    found: list[tuple[InkRun, ...] | None] = []
    for number, digits in enumerate(numbers):
        spans = {placing[number] for placing in placings}
        ((start, end),) = spans if len(spans) == 1 else ((0, 0),)
        # On fewer marks than the digits read, the ink was laid otherwise than printed (a
        # kanji narrower than the others taken with a digit): nothing is placed.
        found.append(tuple(runs[start:end]) if end - start >= len(digits) else None)
    return found


def _token_starts(read: str) -> list[int]:
    """For each of `_tokens(read)`, how many letters of `read` (spaces not counted) come
    before it."""
    starts: list[int] = []
    letters = 0
    previous_digit = False
    for char in read:
        if char.isspace():
            continue
        digit = char in DIGITS
        if not (digit and previous_digit):
            starts.append(letters)
        letters, previous_digit = letters + 1, digit
    return starts


def _tokens(read: str) -> list[str]:
    """The line as what its ink must hold, in order: "9" a number, "w" a whole character,
    "s" a small kana (one run, whatever its width), "n" a narrow mark (a hyphen, a letter)."""
    tokens: list[str] = []
    for char in read:
        if char.isspace():
            continue
        if char in DIGITS:
            if not tokens or tokens[-1] != "9":
                tokens.append("9")
        elif char in kana.SMALL_KANA:
            tokens.append("s")
        elif ord(char) < 0x2E80 or "\uff61" <= char <= "\uff9f":  # Latin, half-width
            tokens.append("n")
        else:
            tokens.append("w")
    return tokens


def _placings(tokens: list[str], runs: list[InkRun], em: int) -> set[Placing]:
    """Every way of laying `tokens` on `runs` (see `numbers_on_ink`), as each number's runs;
    empty where there is none, or too many to say."""
    return _ways(tokens, runs, em) or set()


def _ways(tokens: list[str], runs: list[InkRun], em: int) -> set[Placing] | None:
    """`_placings`, but None where there are too many ways to say."""
    memo: dict[tuple[int, int], set[Placing] | None] = {}

    def width(start: int, end: int) -> int:
        return runs[end - 1].end - runs[start].start

    def rest_apart(at: int) -> bool:  # nothing left, or only what stands an em from the rest
        return at == len(runs) or (at > 0 and runs[at].start - runs[at - 1].end >= em)

    def lay(token: int, at: int) -> set[Placing] | None:  # None: too many ways
        if (token, at) in memo:
            return memo[(token, at)]
        found: set[Placing] | None = set()
        if token == len(tokens):
            found = {()} if rest_apart(at) else set()
            memo[(token, at)] = found
            return found
        kind = tokens[token]
        ends: list[int] = []
        if kind == "9":
            end = at
            while end < len(runs) and width(end, end + 1) < WHOLE_LO * em:
                if end > at and runs[end].start - runs[end - 1].end > NUMBER_GAP_EM * em:
                    break
                end += 1
                ends.append(end)
        elif kind == "n":
            if at < len(runs) and width(at, at + 1) < WHOLE_LO * em:
                ends.append(at + 1)
        else:
            for end in range(at + 1, min(at + WHOLE_MAX_PIECES, len(runs)) + 1):
                span = width(at, end)
                if span > WHOLE_HI * em:
                    break
                if span >= WHOLE_LO * em or (kind == "s" and end == at + 1):
                    ends.append(end)
        for end in ends:
            rest = lay(token + 1, end)
            if rest is None or found is None:  # too many ways already
                found = None
                break
            here = ((at, end),) if kind == "9" else ()
            found |= {here + placing for placing in rest}
            if len(found) > PLACINGS_MAX:
                found = None
                break
        memo[(token, at)] = found
        return found

    return lay(0, 0)


def characters_lost(read: str, runs: list[InkRun]) -> tuple[int, ...]:
    """The places (letters of `read` before it, spaces not counted) where the ink of a text
    line holds a number the reading has none for: the line as read cannot be laid on its ink
    (`numbers_on_ink`), and with a number put between two of its characters it can, between
    two whole characters' ink (`_lost_between_whole`). () where it lays as read, or no
    number so put in lays it.

    Noto Sans CJK's, VL Gothic's and IPAexGothic's 川口3番地 read 川口番地 at 81-92, and VL
    Gothic's and Sawarabi Mincho's 番2号 read 番号 at 83-89: trusted, as no number was read
    there to count marks for or to read again. A whole character put in instead lays lines
    read right as well: two digits touching make a full-width run (408番地, 1644番地:
    development forms 119 and 300), which a kanji put in anywhere before them takes up."""
    wide = sorted(run.end - run.start for run in runs if run.full_width)
    tokens = _tokens(read)
    if not wide or len(tokens) < 2:
        return ()
    em = wide[len(wide) // 2]
    if _ways(tokens, runs, em) != set():  # laid as read, or in too many ways to say
        return ()
    starts = _token_starts(read)
    return tuple(
        starts[at]
        for at in range(1, len(tokens))
        # Not beside a number read: that is a longer number, `digit_dropped`'s to count.
        if "9" not in (tokens[at - 1], tokens[at]) and _lost_between_whole(tokens, at, runs, em)
    )


def _lost_between_whole(tokens: list[str], at: int, runs: list[InkRun], em: int) -> bool:
    """Whether a number put in `tokens` at `at` lays the line on its ink, on the same runs in
    every way, with a full-width run (a whole character) on either side of them. Where thin
    strokes fade (Noto Serif CJK's 二 at 3.8 mm a narrow run, Sawarabi Mincho's 山下 six) or
    a character's ink is lost at the crop's edge, the line does not lay as read either, and
    a number put in somewhere lays it: between marks of characters, not whole ones (3 of 400
    rendered addresses, read right)."""
    ways = _ways([*tokens[:at], "9", *tokens[at:]], runs, em)
    if not ways:
        return False
    place = tokens[:at].count("9")
    spans = {way[place] for way in ways}
    if len(spans) != 1:
        return False
    ((start, end),) = spans
    return start > 0 and end < len(runs) and runs[start - 1].full_width and runs[end].full_width
