"""A template's fields read inside an OCR worker: each box cut from the aligned page
(`template.py`), blank decided by its ink, its text read by the process's reused Tesseract
engines (`tesseract.py`) and read again where a reading is doubted (`digit_runs.py`,
`lone_digit.py`, `kana.py`, `second_opinion.py`); handwritten fields, combs and choices by
`handread.py`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

import numpy as np
from PIL import Image

from infra.ocr import (
    digit_runs,
    handread,
    imaging,
    ink,
    kana,
    lone_digit,
    second_opinion,
    spacing,
    tesseract,
)
from infra.ocr.page import rss_kib, to_px
from infra.ocr.readings import FieldBox, FieldReading, PageReading, PageTask
from infra.ocr.template import BORDER_INSET_MM, cleaned, crop_mm, field_crop

EMPTY_INK = 0.003  # below this a box holds nothing written (specks, dust)
SINGLE_LINE_MAX_MM = 14.0
FIELD_SCALE = 0.6
LATIN_KINDS = frozenset({"digits", "integer"})
WORDED_KINDS = frozenset({"text", "katakana"})  # a space between words is part of the value
REREAD_KINDS = frozenset({"date", "text"})  # read by jpn, digits among their characters
ONE_GLYPH_ASPECT = 1.3  # ink no wider than this times its height is a single character
GLYPH_MARGIN_PX = 12
GLYPH_MIN_CONFIDENCE = 80.0
GLYPH_CHECK_SCALE = 0.8
# A line of words read with less confidence than this is read again, cut tight around its ink
# (`_more_confident`). Development set, 96 forms, the 26 text and katakana lines under 60:
# right 10 as first read, 12 keeping the more confident of that and a reading at full size,
# 21 of that and the tight cut (a Mincho 翔 read 義 at 48, Noto Sans's 蓮 read 夢 at 56).
LINE_AGAIN_BELOW = 60.0
# A katakana line read with less confidence than this, or with another count of characters than
# its ink holds, is read again with its glyphs set apart (`kana.py`). Development set, 192
# forms: the five kana lines with a glyph doubled, dropped or misread were read at 81 or less
# or with the count wrong; 15 were read again, those five then right and five right ones no
# longer unsure (tuning set, 40 forms: one read again, right before and after).
KANA_AGAIN_BELOW = 85.0
# Read again with as many characters as the first reading, the reading set apart replaces it
# only when at least this much more confident: it loses the narrow cell of a small kana and
# a (han)dakuten's place beside its kana. Random kana names rendered in six faces at 200 and
# 300 dpi (960 lines), where both readings gave the glyphs' count and differed: the set-apart
# reading was right in 6 (9 to 19 more confident), the first in 5 (ュ/ユ, ャ/ヤ, ピ/ビ, ボ/ポ,
# ヂ/チ; 1 to 9 more confident); development set: 2 right (12 and 16 more).
KANA_AGAIN_MARGIN = 10.0
READING_STATE = ("symbols", "other_choices", "symbol_boxes")  # what `read_line` leaves


def read_fields(
    image: Image.Image,
    small_deskewed: Image.Image,
    task: PageTask,
    skew: float,
    alignment: tuple[int, int, bool],
    # A ruled table's cells: text only (no doubts drawn from them, digits not read again),
    # cut as whole bicubic crops (what full-page reading was tuned on).
    table_cells: bool = False,
) -> PageReading:
    dx, dy, aligned = alignment
    threshold = ink.page_ink_threshold(small_deskewed)
    readings = []
    read_whole: set[str] = set()  # the boxes read whole, with the ink against their border
    for box in task.fields:
        if box.hand or box.cells or box.kind == "choice":
            readings.append(_read_hand(image, box, dx, dy, skew, threshold))
            continue
        past_writing = None if table_cells else threshold
        raw_crop = field_crop(image, box, dx, dy, skew, past_writing)
        despeckled = imaging.despeckle(raw_crop)  # for the ink measure, and for `cleaned`
        crop = cleaned(raw_crop, despeckled)
        ratio = imaging.ink_ratio(crop)
        if box.kind == "checkbox":  # a mark, not a reading: decided from the ratio alone
            readings.append(FieldReading(box.name, "", 100.0, ratio, blank=ratio < EMPTY_INK))
            continue
        measured = ink.measure(raw_crop, tesseract.DPI, threshold, despeckled)
        against = _against_border(_outer_crop(image, box.box_mm, dx, dy, skew), threshold)
        if not ink.any_written(measured, against.ink):
            readings.append(FieldReading(box.name, "", 100.0, ratio, blank=True))
            continue
        if against.ink.written and not table_cells:  # cells: page text, as cut
            # Written against the border, which the crop cut inside it left out or cut in
            # half (Sawarabi Mincho's 8 read as 3): the box read whole, its border whitened.
            read_whole.add(box.name)
            outer = _outer_crop(image, box.box_mm, dx, dy, skew, Image.Resampling.BICUBIC)
            raw_crop = against.interior(outer)
            despeckled = imaging.despeckle(raw_crop)
            crop = cleaned(raw_crop, despeckled)
            ratio = imaging.ink_ratio(crop)
            measured = ink.measure(raw_crop, tesseract.DPI, threshold, despeckled)
            if not measured.written:
                readings.append(FieldReading(box.name, "", 0.0, ratio))
                continue
        if _one_glyph(measured, box.vertical):
            text, confidence = _read_glyph(crop, measured, box)
            if box.kind in LATIN_KINDS:
                readings.append(_lone_digit(box.name, crop, threshold, text, confidence, ratio))
                continue
            if text:
                listed = _words_again(crop, measured, box, text)
                readings.append(FieldReading(box.name, text, confidence, ratio, words_again=listed))
                continue
            # A lone kanji the engine is unsure of as one glyph (森 in Mincho): read as a line.
        if box.kind == "integer":
            crop = _without_unit(crop, threshold)
        padded = Image.fromarray(imaging.pad(crop, 20))
        patch = tesseract.scaled(padded, FIELD_SCALE)
        text, confidence = read_line(patch, box)
        if box.kind in WORDED_KINDS and confidence < LINE_AGAIN_BELOW:
            text, confidence, patch = _more_confident(patch, crop, measured, box, text, confidence)
        verdict: second_opinion.Verdict = "not_asked"
        if box.kind == "text" and not box.vertical and not table_cells:  # cells: page text
            text, confidence, verdict = _second_opinion(
                patch, crop, measured, box, text, confidence
            )
        glyphs, space_unsure, size_unsure, kana_apart = 0, False, False, ""
        space_elsewhere = False
        kana_again = ""
        if box.kind in WORDED_KINDS and not box.vertical:
            written = _written_ink(crop, threshold)
            if box.kind == "katakana":
                glyphs = kana.glyph_count(written)
                text, confidence = _katakana_again(crop, written, glyphs, box, text, confidence)
                if len("".join(text.split())) != glyphs:
                    kana_again = _spaced(_kana_cut_tight(crop, measured, glyphs), written)
                kana_apart = _kana_read_apart(crop, written)
            judged = (
                spacing.kana_space(written, "".join(text.split()))
                if box.kind == "katakana"
                else None
            )
            if judged is not None:
                text, space_unsure, space_elsewhere = _kana_spaced(crop, measured, text, judged)
            else:
                text = _spaced(text, written)
                gap = None
                if box.kind == "katakana" and " " not in text:
                    gap = spacing.unsure_gap(written, text)
                space_unsure = gap is not None
                if gap is not None:
                    text = _space_read_again(crop, measured, text, gap)
                space_elsewhere = spacing.space_elsewhere(written, text)
            size_unsure = box.kind == "katakana" and kana.size_unsure(written, text)
        # One reading a line. A second look at 0.7 of the size, flagged where the two
        # differed, caught no wrong field that confidence or plausibility left unflagged, but
        # flagged right ones, at 40 % of the engine's time in template mode. Without it:
        # 40 tuning forms flagged 5.3 % -> 4.2 %, 40 development forms (report-like, seeds
        # 900000+) 8.0 % -> 6.8 %, exact and wrong-but-unflagged unchanged on both.
        symbols, others = (
            tesseract.state.get("symbols", ()),
            tesseract.state.pop("other_choices", ()),
        )
        runs = digit_runs.glyph_runs(crop, threshold) if box.kind in LATIN_KINDS else glyphs
        by_jpn = (
            _digits_by_jpn(patch, symbols, others)
            if box.kind in LATIN_KINDS and not table_cells
            else ""
        )
        line_boxes = tesseract.state.get("symbol_boxes", ())  # each reading again clears them
        again = (
            digit_runs.digit_runs_again(
                patch, threshold, FIELD_SCALE, box.kind == "text", box.kind == "date"
            )
            if not table_cells and box.kind in REREAD_KINDS and not box.vertical
            else ()
        )
        day_again = (
            digit_runs.lost_day_again(patch, threshold, FIELD_SCALE, line_boxes)
            if box.kind == "date" and not table_cells and not box.vertical
            else None
        )
        lost = (
            digit_runs.characters_lost(text, digit_runs.ink_runs(np.asarray(patch), threshold))
            if box.kind == "text" and not box.vertical and not table_cells
            else ()
        )
        readings.append(
            FieldReading(
                box.name,
                text,
                confidence,
                ratio,
                symbols=symbols,
                characters_lost=lost,
                glyph_runs=runs,
                space_unsure=space_unsure,
                space_elsewhere=space_elsewhere,
                kana_size_unsure=size_unsure,
                kana_apart=kana_apart,
                kana_again=kana_again,
                other_choices=others,
                digits_again=again,
                day_again=day_again,
                second_opinion=verdict,
                words_again=_words_again(crop, measured, box, text),
                digits_by_jpn=by_jpn,
            )
        )
    readings = [replace(r, read_whole=True) if r.name in read_whole else r for r in readings]
    text = "\n".join(r.raw for r in readings if r.raw)
    confidences = [r.confidence for r in readings]
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return PageReading(task.page_index, text, mean, skew, 0, aligned, tuple(readings), rss_kib())


# What an amount may end with that the digit model cannot read (the integer parser takes it).
AMOUNT_UNIT = "円"


def _without_unit(crop: Any, threshold: int) -> Any:
    """An amount's crop with its trailing 円 whitened, when the Japanese model reads the last
    full-width character as 円 on its own.

    The English model reads the digits but not 円: it dropped it or read it as "M", "/9", and
    the word's confidence fell to 0-49 with every digit right, so nearly every amount went to
    review (development set: 45 of 48 forms). Two digits touching can make a run as wide, so
    a run is whitened only when the model that knows 円 says it is one. 48 development forms:
    exact 94.32 -> 94.51 %, flagged 17.23 -> 8.33 %, wrong and not flagged 1.70 % unchanged;
    40 tuning forms (no amounts) unchanged.
    """
    import tesserocr

    runs = digit_runs.ink_runs(crop, threshold)
    if not runs or not runs[-1].full_width:
        return crop
    last = runs[-1]
    columns = crop[:, last.start : last.end]
    top, bottom = _tallest_band(columns < threshold)
    glyph = imaging.pad(columns[top:bottom], GLYPH_MARGIN_PX)
    patch = tesseract.scaled(Image.fromarray(glyph), FIELD_SCALE)
    # Single-character (and single-line) mode returned nothing for a clean Noto Sans 円 that
    # a raw line reads at 96.
    for psm in (tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.RAW_LINE):
        text, confidence = tesseract.ocr(patch, psm, None, tesseract.jpn_api())
        if text.strip():
            break
    if text.strip() != AMOUNT_UNIT or confidence < GLYPH_MIN_CONFIDENCE:
        return crop
    digits = crop.copy()
    digits[:, last.start : last.end] = 255
    return digits


def _tallest_band(ink: Any) -> tuple[int, int]:
    """The first and one-past-last rows of the tallest band of inked rows: a speck below 円,
    cut with it, made Sawarabi Mincho's 円 a doubtful one (79)."""
    inked = np.concatenate(([False], ink.any(axis=1), [False]))
    starts = np.flatnonzero(inked[1:] & ~inked[:-1])
    ends = np.flatnonzero(~inked[1:] & inked[:-1])
    tallest = int(np.argmax(ends - starts))
    return int(starts[tallest]), int(ends[tallest])


def _one_glyph(measured: ink.Ink, vertical: bool) -> bool:
    """The ink is one character long (a one-digit box): read it as a single character."""
    if measured.bbox is None:
        return False
    _, _, width, height = measured.bbox
    if vertical:  # characters stack downwards: one is no taller than it is wide
        return height <= ONE_GLYPH_ASPECT * width
    return width <= ONE_GLYPH_ASPECT * height


def _read_hand(
    image: Image.Image, box: FieldBox, dx: int, dy: int, skew: float, threshold: int
) -> FieldReading:
    """A handwritten field, a comb or a choice: evidence from ink and the hand model."""

    def crop(box_mm: tuple[float, float, float, float], inset: float) -> imaging.Gray:
        return crop_mm(image, box_mm, inset, dx, dy, skew)

    if box.kind == "choice":
        found = handread.option_marks(box.options, crop, tesseract.PX_PER_MM, threshold)
        return FieldReading(box.name, "", 100.0, 0.0, marks=found)
    if box.kind == "checkbox":
        mark = handread.checkbox_mark(box.box_mm, crop, tesseract.PX_PER_MM, threshold)
        return FieldReading(box.name, "", 100.0, 0.0, marks=(mark,))
    if box.cells:
        guesses = handread.read_cells(box.box_mm, box.cells, box.kind, crop, threshold)
        blank = not any(guess.ink for guess in guesses)
        return FieldReading(box.name, "", 100.0, 0.0, blank=blank, cells=guesses)
    measured = ink.measure(crop(box.box_mm, BORDER_INSET_MM), tesseract.DPI, threshold)
    against = _against_border(_outer_crop(image, box.box_mm, dx, dy, skew), threshold)
    blank = not ink.any_written(measured, against.ink)
    return FieldReading(box.name, "", 100.0, measured.ratio, blank=blank)


# How far outside its place in the template a box is cut to find its printed border: the
# alignment errs by about 0.3 mm, and a border printed 0.5° off the page's turn runs 0.4 mm
# off its place at the ends of a 90 mm box.
BORDER_SLACK_MM = 1.0


def _outer_crop(
    image: Image.Image,
    box_mm: tuple[float, float, float, float],
    dx: int,
    dy: int,
    skew: float,
    resample: Image.Resampling = Image.Resampling.NEAREST,
) -> imaging.Gray:
    """The box cut BORDER_SLACK_MM larger than the template puts it: its printed border and
    what was written against it inside. Turned to the nearest pixel to find the border and
    measure the ink (8 development forms: 8 ms a form, against 127 turned bicubic), bicubic
    to be read."""
    return crop_mm(image, box_mm, -BORDER_SLACK_MM, dx, dy, skew, resample)


def _against_border(outer: imaging.Gray, threshold: int) -> ink.AgainstBorder:
    """The ink between a box's printed border and the crop cut BORDER_INSET_MM inside it
    (`ink.measure_against_border`): a "1" or a tick written against the border had left the
    box trusted as blank."""
    return ink.measure_against_border(
        outer, tesseract.DPI, threshold, to_px(BORDER_SLACK_MM), to_px(BORDER_INSET_MM)
    )


def read_line(patch: Image.Image, box: FieldBox) -> tuple[str, float]:
    """The field's text and confidence.

    Read freely first, trying the next segmentation mode while Tesseract returns nothing
    (seen on the corpus: a three-glyph name can come back empty in single-line mode yet
    read right as one block of glyphs, SINGLE_CHAR, or as a raw line). Only when the free
    reading holds characters the kind cannot have is the whitelist applied: forced first,
    it made the fast model return nothing for single digits. A forced reading differs from
    what the model saw, so it keeps the lower of the two confidences.
    """
    import tesserocr

    single = box.box_mm[3] <= SINGLE_LINE_MAX_MM
    first = tesserocr.PSM.SINGLE_LINE if single else tesserocr.PSM.SINGLE_BLOCK
    api = tesseract.latin_api() if box.kind in LATIN_KINDS else tesseract.jpn_api()
    if box.vertical:
        first, api = tesserocr.PSM.SINGLE_BLOCK_VERT_TEXT, tesseract.vertical_api()
    for psm in (first, tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.RAW_LINE):
        text, confidence = tesseract.ocr(patch, psm, None, api, symbols=True)
        # jpn_vert puts a space between every two words it sees: they say nothing written.
        text = "".join(text.split()) if box.vertical else text.strip()
        if text:
            break
    else:
        return "", 0.0
    allowed = box.whitelist
    if allowed and any(c not in allowed and not c.isspace() for c in text):
        forced, forced_confidence = tesseract.ocr(patch, psm, allowed, api, symbols=True)
        if forced.strip():
            tesseract.state["other_choices"] = tesseract.other_choices(patch, psm, allowed, api)
            return forced.strip(), min(confidence, forced_confidence)
    tesseract.state["other_choices"] = tesseract.other_choices(patch, psm, None, api)
    return text, confidence


def _more_confident(
    patch: Image.Image,
    crop: Any,
    measured: ink.Ink,
    box: FieldBox,
    text: str,
    confidence: float,
) -> tuple[str, float, Image.Image]:
    """A line of words read with little confidence, read again cut tight around its ink (as
    a lone glyph is): the more confident reading is kept, with its characters (confidences,
    other choices, boxes) and the image they were read on. A single character so read is
    trusted only if read the same at another size (`_glyph_checked`): VL Gothic's lone 妻,
    cut tight, came back as "お" at 95."""
    assert measured.bbox is not None
    first = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    glyphs = _cut_tight(crop, measured.bbox)
    tight = tesseract.scaled(Image.fromarray(glyphs), FIELD_SCALE)
    again, again_confidence = read_line(tight, box)
    if len(again) == 1:
        kept = {key: tesseract.state.get(key, ()) for key in READING_STATE}
        again_confidence = _glyph_checked(glyphs, again, again_confidence, tesseract.jpn_api())
        tesseract.state.update(kept)
    if again_confidence > confidence:
        return again, again_confidence, tight
    tesseract.state.update(first)
    return text, confidence, patch


def _second_opinion(
    patch: Image.Image,
    crop: Any,
    measured: ink.Ink,
    box: FieldBox,
    text: str,
    confidence: float,
) -> tuple[str, float, second_opinion.Verdict]:
    """A doubted line read again by the larger network (`second_opinion.py`). Read otherwise,
    the line is read once more by both networks cut tight around its ink, as a line and as a
    raw line, and holds the letters most readings give (`second_opinion.merged`), and goes to
    staff; read alike, the line's confidence rises to the larger network's only when
    `agreement_clears` it, its letters' scores never. The first reading's boxes and other
    choices stay: only letters change, never their number.

    Development set, 576 forms, with the larger network asked as a line only: of the 99 name
    and address lines the two networks read otherwise, the surer letter was wrong in 3 (宮崎
    read 定崎 by the larger network at 99, 美穂's 穂 read 策, 恵美's 恵 read 恭); the letter most
    readings give was right in those three and in all 95 lines where the surer one was
    right."""
    import tesserocr

    symbols = tesseract.state.get("symbols", ())
    if not second_opinion.doubted(text, symbols, confidence):
        return text, confidence, "not_asked"
    single = box.box_mm[3] <= SINGLE_LINE_MAX_MM
    psm = tesserocr.PSM.SINGLE_LINE if single else tesserocr.PSM.SINGLE_BLOCK
    first = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    # In the modes `read_line` tries, in its order: a line that comes back empty in one (原田
    # 陽菜, 遠藤 美穂 in Noto Serif and Sawarabi Mincho, from both networks) reads as a line of
    # glyphs in the next, by the larger network too.
    for asked_in in (psm, tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.RAW_LINE):
        read, larger = tesseract.ocr(
            patch, asked_in, None, tesseract.second_jpn_api(), symbols=True
        )
        if read.strip():
            break
    larger_symbols = tesseract.state.get("symbols", ())
    result = second_opinion.merged(text, symbols, larger_symbols)
    if result.verdict == "differed" and measured.bbox is not None:
        cut = _cut_tight(crop, measured.bbox)
        tight = tesseract.scaled(Image.fromarray(cut), FIELD_SCALE)
        again = [
            tesseract.ocr(tight, mode, None, api)[0]
            for api in (tesseract.jpn_api(), tesseract.second_jpn_api())
            for mode in (tesserocr.PSM.SINGLE_LINE, tesserocr.PSM.RAW_LINE)
        ]
        result = second_opinion.merged(text, symbols, larger_symbols, again)
    tesseract.state.update(first)
    if result.verdict == "differed":
        tesseract.state["symbols"] = result.symbols
        if len(result.symbols) != len(symbols):  # a space among the symbols: pairs lost
            tesseract.state["other_choices"] = ()
        return result.text, confidence, result.verdict
    # Agreement clears a doubt only as a line: AGREED_MIN_CONFIDENCE was set on lines read so.
    # Read as a line of glyphs, both networks gave 条 for 粂 and 徳 for 德 at 95-96, the larger
    # as sure as when right (rendered rare names in the development faces and IPAexGothic).
    cleared = asked_in == psm and second_opinion.agreement_clears(symbols, larger)
    if result.verdict == "agreed" and cleared:
        return text, max(confidence, larger), result.verdict
    return text, confidence, result.verdict


def _kana_cut_tight(crop: Any, measured: ink.Ink, glyphs: int) -> str:
    """A katakana line read with more or fewer characters than its glyphs even set apart,
    read again cut tight around its ink, as a line and as a raw line: the first reading with
    as many characters as the glyphs, all kana, or "". The handler shows it, for staff.
    Development set, 576 forms: Noto Serif's フクダ カツラ read "フクダ カウツラ" and ササキ ユイ
    read "ササキュユイ" came back right so; the four kana lines read right whose glyphs the ink
    miscounted gave no reading of that count."""
    import tesserocr

    if measured.bbox is None or glyphs == 0:
        return ""
    kept = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    cut = _cut_tight(crop, measured.bbox)
    tight = tesseract.scaled(Image.fromarray(cut), FIELD_SCALE)
    found = ""
    for psm in (tesserocr.PSM.SINGLE_LINE, tesserocr.PSM.RAW_LINE):
        again = " ".join(tesseract.ocr(tight, psm, None, tesseract.jpn_api())[0].split())
        chars = again.replace(" ", "")
        if len(chars) == glyphs and all("ァ" <= char <= "ヾ" for char in chars):
            found = again
            break
    tesseract.state.update(kept)
    return found


def _kana_spaced(
    crop: Any, measured: ink.Ink, text: str, judged: spacing.KanaSpace
) -> tuple[str, bool, bool]:
    """A katakana line's text with the space its ink shows (`spacing.kana_space`), whether
    the ink leaves the space in doubt (`space_unsure`), and whether the space read is one the
    ink does not show (`space_elsewhere`). Read as one word: the space put in where the ink
    decides one, and where it does not decide, the line read again for it and sent to staff.
    Read as two: kept where the ink shows that space or may; else for staff, spaced as the ink
    decides where it shows the space after another character. Read as more
    (a name is two words): spaced as the ink decides, and for staff all the same, the spaces
    read being ones the ink does not show (Sawarabi
    Mincho's エンドウ タカシ at 200 dpi came back エン ドウ タカシ, the ink deciding one space
    after エンドウ: development form 151)."""
    words = text.split()
    if len(words) == 1:
        if judged.place is None:
            return text, False, False
        if judged.decided:
            return f"{text[: judged.place]} {text[judged.place :]}", False, False
        return _space_read_again(crop, measured, text, judged.place), True, False
    if len(words) == 2:
        read_at = len(words[0])
        if judged.decided and judged.place not in (None, read_at):
            # For staff all the same, spaced where the ink puts it: Hanazono Mincho's ニシムラ
            # サチコ came back ニシムラサ チコ at 93 (`bench.ocr_dev newfaces`, form 281).
            chars = "".join(words)
            return f"{chars[: judged.place]} {chars[judged.place :]}", False, True
        if judged.decided:
            return text, False, judged.place != read_at
        return text, False, judged.misfit[read_at] > 1
    if judged.decided:
        chars = "".join(words)
        place = judged.place or len(chars)
        return f"{chars[:place]} {chars[place:]}".strip(), False, True
    return text, False, False


def _space_read_again(crop: Any, measured: ink.Ink, text: str, gap: int) -> str:
    """A katakana line whose ink leaves a gap that may be a space or not (`spacing.unsure_gap`),
    read again cut tight around its ink, as a line and as a raw line: the line with the space
    there when a reading again gives the same characters spaced there, else as read. Either
    way it goes to staff (`space_unsure`). Development set, 576 forms: the five kana names
    whose space the first reading missed and the ink left in doubt (Noto Serif's ミヤザキ エミ)
    came back spaced cut tight, each in one mode or both."""
    import tesserocr

    if measured.bbox is None:
        return text
    kept = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    cut = _cut_tight(crop, measured.bbox)
    tight = tesseract.scaled(Image.fromarray(cut), FIELD_SCALE)
    readings = [
        tesseract.ocr(tight, psm, None, tesseract.jpn_api())[0]
        for psm in (tesserocr.PSM.SINGLE_LINE, tesserocr.PSM.RAW_LINE)
    ]
    tesseract.state.update(kept)
    if spacing.spaced_as_read_again(text, gap, readings):
        return f"{text[:gap]} {text[gap:]}"
    return text


def _words_again(
    crop: Any, measured: ink.Ink, box: FieldBox, text: str
) -> tuple[tuple[str, float], ...]:
    """A line of a listed-words field (続柄) read as none of its words, read again: by the
    larger network as the line was first read, and by both networks cut tight around its ink,
    as a line and as a raw line. Which listed word, if any, these readings support is the
    handler's to decide (`handlers.ocr.listed.word_read_again`). A listed reading, or a
    field without words, is not read again.

    Rendered 続柄 (the 38 words of the development template's list, six faces, three sizes,
    blurred, specked, JPEG): 55 of 756 read as none of the words; read again, 44 of them gave
    the word written and no other listed word, none gave only a wrong one.
    """
    import tesserocr

    letters = unicodedata.normalize("NFKC", "".join(text.split()))
    if not box.words or box.vertical or letters in box.words or measured.bbox is None:
        return ()
    line = tesseract.scaled(Image.fromarray(imaging.pad(crop, 20)), FIELD_SCALE)
    cut = _cut_tight(crop, measured.bbox)
    tight = tesseract.scaled(Image.fromarray(cut), FIELD_SCALE)
    single, raw = tesserocr.PSM.SINGLE_LINE, tesserocr.PSM.RAW_LINE
    fast, larger = tesseract.jpn_api(), tesseract.second_jpn_api()
    found = []
    for image, psm, api in (
        (line, single, larger),
        (tight, single, fast),
        (tight, raw, fast),
        (tight, single, larger),
        (tight, raw, larger),
    ):
        again, confidence = tesseract.ocr(image, psm, None, api)
        if again := "".join(again.split()):
            found.append((unicodedata.normalize("NFKC", again), confidence))
    return tuple(found)


def _cut_tight(crop: Any, bbox: tuple[int, int, int, int]) -> Any:
    """The crop cut tight around its ink (`ink.Ink.bbox`), with a margin the engine reads
    single glyphs and short lines best with."""
    x, y, width, height = bbox
    return imaging.pad(crop[y : y + height, x : x + width], GLYPH_MARGIN_PX)


def _written_ink(crop: Any, threshold: int) -> Any:
    """The crop's ink without a band of BORDER_BAND_MM along its edges, where what is left of
    the box's border lies: a remnant down one edge stretched the line's height to the box's
    and gave a glyph of its own (a sliver two pixels wide, too short for `ink.strip_border`
    to take for a line, left a Noto Serif kana name without its space)."""
    mask = imaging.ink(crop, threshold)
    band = to_px(ink.BORDER_BAND_MM)
    mask[:band, :] = mask[-band:, :] = False
    mask[:, :band] = mask[:, -band:] = False
    return mask


def _katakana_again(
    crop: Any, written: Any, glyphs: int, box: FieldBox, text: str, confidence: float
) -> tuple[str, float]:
    """A katakana line read with little confidence, or with more or fewer characters than its
    ink holds, read again with its glyphs set apart: that reading is kept, with its characters'
    confidences and other choices, when it gives one character a glyph and the first did not,
    or did with KANA_AGAIN_MARGIN less confidence. Its spaces are the first reading's where
    that one holds as many characters; else the ink's (`_spaced`)."""
    read = len("".join(text.split()))
    if read == glyphs and confidence >= KANA_AGAIN_BELOW:
        return text, confidence
    first = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    apart = tesseract.scaled(Image.fromarray(kana.set_apart(crop, written)), FIELD_SCALE)
    again, again_confidence = read_line(apart, box)
    chars = "".join(again.split())
    if len(chars) == glyphs and (
        read != glyphs or again_confidence >= confidence + KANA_AGAIN_MARGIN
    ):
        return kana.spaced_as(chars, text), again_confidence
    tesseract.state.update(first)
    return text, confidence


# The size a katakana line is read at again, its glyphs set apart, to check the reading kept
# (`_kana_read_apart`): not FIELD_SCALE, at which the reading kept may itself have been made
# set apart. Development forms 0-301, each kana line read again so at 0.5, 0.6 and 0.7: the
# 302 values, all right, were read the same at 0.5 and 0.6 (as `plausible.kana_read_otherwise`
# compares them), one was not at 0.7; forms 331 and 446, misread and trusted, otherwise at 0.5.
KANA_CHECK_SCALE = 0.5


def _kana_read_apart(crop: Any, written: Any) -> str:
    """A katakana line read again with its glyphs set apart, at KANA_CHECK_SCALE: its
    characters, for the handler to compare with the reading kept (and to show where that one
    is implausible), spaced where the ink's pitch puts the space or likely puts it
    (`spacing.kana_space`). The engine can misread a clean kana surely in one line and not in
    another (VL Gothic's フクダ ユイ came back as "フタダ コイ" at 88, every letter at 98 or
    more, and set apart as フクダユイ at each size)."""
    import tesserocr

    kept = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    apart = tesseract.scaled(Image.fromarray(kana.set_apart(crop, written)), KANA_CHECK_SCALE)
    again, _ = tesseract.ocr(apart, tesserocr.PSM.SINGLE_LINE, None, tesseract.jpn_api())
    tesseract.state.update(kept)
    chars = "".join(again.split())
    judged = spacing.kana_space(written, chars)
    if judged is None or judged.place is None:
        return chars
    return f"{chars[: judged.place]} {chars[judged.place :]}"


def _spaced(text: str, ink_mask: Any) -> str:
    """The text with the space between two words that the ink shows and the engine did not
    read ("坂本修" for "坂本 修"): decided only in a line read without any space."""
    if not text or any(char.isspace() for char in text):
        return text
    gap = spacing.word_gap(ink_mask, text)
    return text if gap is None else f"{text[:gap]} {text[gap:]}"


def _read_glyph(crop: Any, measured: ink.Ink, box: FieldBox) -> tuple[str, float]:
    """One character, cut tight around its ink: in a wide box the line modes often find no
    text at all around a lone digit (a one-digit 通数 box came back empty).

    No whitelist: forced onto digits, a stray pen stroke came back as a confident "4"; read
    freely it stays what it is, and the kind's parser sends it to review.
    """
    import tesserocr

    assert measured.bbox is not None
    glyph = _cut_tight(crop, measured.bbox)
    patch = tesseract.scaled(Image.fromarray(glyph), FIELD_SCALE)
    api = tesseract.latin_api() if box.kind in LATIN_KINDS else tesseract.jpn_api()
    for psm in (tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.SINGLE_LINE):
        text, confidence = tesseract.ocr(patch, psm, None, api)
        if text.strip():
            # Unsure of a lone glyph, the engine is naming a mark, not reading a character
            # (a stray pen stroke came back as "4" at 65): left unread, for a person.
            if confidence < GLYPH_MIN_CONFIDENCE:
                return "", 0.0
            confidence = _glyph_checked(glyph, text.strip(), confidence, api)
            return text.strip(), confidence
    return "", 0.0


def _lone_digit(
    name: str, crop: Any, threshold: int, text: str, confidence: float, ratio: float
) -> FieldReading:
    """A one-character box of digits, read as one glyph (`_read_glyph`). A digit read surely,
    and the same at the check's size, stands. Otherwise the ink says what may be shown
    (`lone_digit.digit_mark`): where it is no digit's mark, nothing (a stray stroke read "|"
    was shown as 1, a slash through the box read "7" as 7); where it is, a digit read unsurely
    is kept, and a reading of nothing or of a letter (a thin 1 read "", "|" or "i") is read
    again (`lone_digit.read_again`), for the handler to show staff. Digits read more than one
    (two narrow ones, VL Gothic's 12, are no wider than one glyph's ink) stand as read where
    each mark of the ink is a digit's (`lone_digit.marks_of_digits`), else nothing is shown."""
    read_digit = len(text) == 1 and text in digit_runs.DIGITS
    if read_digit and confidence > 0:
        return FieldReading(name, text, confidence, ratio)
    if len(text) > 1 and text.isascii() and text.isdigit():
        shown = lone_digit.marks_of_digits(crop, threshold, len(text))
        return FieldReading(name, text if shown else "", confidence if shown else 0.0, ratio)
    mark = lone_digit.digit_mark(crop, threshold)
    if mark is None:
        return FieldReading(name, "", 0.0, ratio)
    if read_digit:
        return FieldReading(name, text, confidence, ratio)
    return FieldReading(name, "", 0.0, ratio, lone_digit=lone_digit.read_again(crop, mark))


def _digits_by_jpn(
    patch: Image.Image,
    symbols: tuple[tuple[str, float], ...],
    others: tuple[tuple[tuple[str, float], ...], ...],
) -> str:
    """A line of digits the English model nearly read otherwise (a digit with another digit
    among its choices at CLOSE_SECOND_CHOICE or more), read again by the Japanese model as a
    line: its digits, for the handler to weigh against those choices
    (`plausible.second_choice_confirmed`); "" where no digit was so doubted (no call).

    VL Gothic's 7 first in a postal code came back 1 from the English model at 95-96, 7 its
    second choice at 81-84, and so at most other sizes; the Japanese model read both codes
    right (development forms 610 and 1294)."""
    import tesserocr

    doubted = any(
        char in digit_runs.DIGITS
        and other in digit_runs.DIGITS
        and other != char
        and score >= tesseract.CLOSE_SECOND_CHOICE
        for (char, _), choices in zip(symbols, others, strict=False)
        for other, score in choices
    )
    if not doubted:
        return ""
    kept = {key: tesseract.state.get(key, ()) for key in READING_STATE}
    text, _ = tesseract.ocr(patch, tesserocr.PSM.SINGLE_LINE, None, tesseract.jpn_api())
    tesseract.state.update(kept)
    return digit_runs.digits_in(text)


def _glyph_checked(glyph: Any, text: str, confidence: float, api: Any) -> float:
    """A lone glyph read again at GLYPH_CHECK_SCALE: a different reading there means neither
    can be trusted (a Mincho 3 came back as "8" at 91, and as "3" at 0.8). Fitted on 40
    tuning and 40 development forms: the check read all 79 lone digits right, and differed
    only on that one misread. A lone kanji too (Noto Serif's 妻 read as "お" at 88)."""
    import tesserocr

    patch = tesseract.scaled(Image.fromarray(glyph), GLYPH_CHECK_SCALE)
    again, _ = tesseract.ocr(patch, tesserocr.PSM.SINGLE_CHAR, None, api)
    return confidence if again.strip() == text else 0.0
