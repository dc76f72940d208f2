"""From a scan to a result, as pure steps: which pages to read how, and what the readings mean.

`plan_pages` turns a document and its template into page tasks for the workers;
`assemble` turns their readings into the contract's result, deciding for each field its
normalised value, its confidence and whether staff must review it. A value is never changed
from what was read, save an address's place names put right from the official list, a
listed word (続柄) that the line read again gives, a date's 日 read as another character, a
lone digit or a digit's close second choice read again, an address's 丁目 put back, and a
bar read at a word's edge left out, and those always go to staff (as does a line whose
characters the worker took from its larger model, or a number of a date or a line the digit
model read again). Spaces the engine reads inside an address's place names or beside a hyphen
between its digits are dropped.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from handlers.ocr.hand import hand_value, is_hand_field
from handlers.ocr.listed import as_listed, listed, word_read_again
from handlers.ocr.marks import char_whitelist, checkbox_from_ink
from handlers.ocr.places import PlaceCheck, check_place, gazetteer, names_unspaced
from handlers.ocr.plausible import (
    SURE_DIGITS,
    bars_dropped,
    characters_dropped,
    chome_restored,
    close_second_choice,
    day_mark_misread,
    digit_dropped,
    digit_inside_word,
    digits_disagree,
    digits_read_again,
    digits_settled,
    hyphen_spaces_closed,
    kana_count_differs,
    kana_read_otherwise,
    kanji_read_as_katakana,
    katakana_among_hiragana,
    letter_outscored_digit,
    lone_latin_letter,
    long_vowel_first,
    long_vowel_misplaced,
    lost_day_restored,
    more_digits_than_marks,
    no_letters,
    other_mark_seen,
    second_choice_confirmed,
    small_kana_first,
    small_kana_first_enlarged,
    space_inside_number,
    split_name,
    stray_marks,
    stray_punctuation,
    unsure_letter,
)
from handlers.shared.normalise import normalise
from infra.ocr.confusables import (
    ALWAYS_DOUBTFUL,
    CONFUSABLE_MIN_CONFIDENCE,
    NO_RARE_TWIN,
    VOICED_HIRAGANA,
    confusable,
)
from infra.ocr.readings import FieldBox, FieldReading, PageReading, PageTask
from schemas.forms import FormField, FormFieldKind, FormTemplate
from schemas.ocr import DocumentResult, FieldValue, FieldValueType, PageText, ReviewReason

# Below this Tesseract confidence a value goes to staff review even when it parses.
# Calibrated on the generated corpus by `make bench` (wrong-but-unflagged rate).
REVIEW_CONFIDENCE = 80.0
UNSURE_MARK_CONFIDENCE = 50.0
_EMPTY_VALUE: dict[FormFieldKind, str | None] = {
    "text": "",
    "katakana": "",
    "digits": "",
    "integer": None,
    "date": None,
    "checkbox": None,
    "choice": None,
}


def plan_pages(path: str, kind: str, pages: int, template: FormTemplate | None) -> list[PageTask]:
    """One task per page; a page with template fields is read field by field, others as text."""
    tasks = []
    for index in range(pages):
        fields = (
            ()
            if template is None
            else tuple(
                FieldBox(
                    f.name,
                    f.kind,
                    f.box_mm,
                    char_whitelist(f.kind) if f.kind != "choice" else None,
                    f.hand,
                    f.cells or 0,
                    tuple(option.box_mm for option in f.options),
                    vertical=f.direction == "vertical",
                    words=f.words,
                )
                for f in template.fields
                if f.page == index + 1
            )
        )
        size = template.page_size_mm if template is not None else None
        tasks.append(PageTask(path, kind, index, fields, size))
    return tasks


def _review(value: FieldValueType, confidence: float, reason: ReviewReason) -> FieldValue:
    return FieldValue(
        value=value, confidence=round(confidence, 1), needs_review=True, review_reason=reason
    )


def field_value(
    spec: FormField, reading: FieldReading | None, aligned: bool, today: date
) -> FieldValue:
    if reading is None:  # the page this field is on is missing from the scan
        return _review(None, 0.0, "page_missing")
    if is_hand_field(spec):
        return hand_value(spec, reading, aligned, today, _EMPTY_VALUE.get(spec.kind))
    if spec.kind == "checkbox":
        mark = checkbox_from_ink(reading.ink_ratio)
        if not mark.trusted:
            return _review(mark.value, UNSURE_MARK_CONFIDENCE, "uncertain_mark")
        return _trusted_unless_misaligned(mark.value, 100.0, aligned)
    if reading.blank:  # no ink (measured on the pixels): nothing written in the box
        return _trusted_unless_misaligned(_EMPTY_VALUE[spec.kind], 100.0, aligned)
    # Read as none of its words: the one word the line read again gives, for staff to compare
    # with the scan; with none or several, what was read (flagged in `_doubt`).
    # Its confidence is the line's: the readings again that found the word are not the reading.
    unlisted = bool(spec.words) and not listed(spec.words, reading.raw)
    if unlisted and (found := word_read_again(spec.words, reading.words_again)):
        return _review(found[0], min(reading.confidence, found[1]), "confusable")
    if not reading.raw:  # ink, but nothing Tesseract could read
        # A lone digit read again: shown for staff to compare with the scan, never trusted.
        lone = normalise(spec.kind, reading.lone_digit, today=today) if reading.lone_digit else None
        return _review(lone.value if lone is not None else None, 0.0, "ink_unread")
    if spec.kind == "katakana" and (again := _kana_read_again(reading, today)):
        return _review(again, reading.confidence, "confusable")
    raw = reading.raw
    # A date's number read with a digit more than its ink's marks (a stroke of 和 read as a 7):
    # never trusted, whether the date parses or not.
    surplus = spec.kind == "date" and more_digits_than_marks(reading.digits_again)
    if surplus or _digits_doubted(reading):  # flagged below: shown as the digit model read it
        sure = SURE_DIGITS if spec.kind == "date" else 0.0
        counted = spec.kind == "text"
        raw = digits_read_again(raw, reading.digits_again, sure, counted=counted, surplus=surplus)
    parsed = normalise(spec.kind, raw, today=today)
    confidence = round(reading.confidence, 1)
    mended = day_mark_misread(raw) if spec.kind == "date" and parsed.value is None else None
    if mended and (dated := normalise("date", mended, today=today)).value is not None:
        return _review(dated.value, confidence, "implausible")  # 日 read as another character
    if spec.kind == "date" and parsed.value is None:
        # Its day lost whole (7月3日 read 7月日): shown as the digit model read the day's marks.
        lost = lost_day_restored(raw, reading.day_again, SURE_DIGITS)
        if lost and (dated := normalise("date", lost, today=today)).value is not None:
            return _review(dated.value, confidence, "implausible")
    if not parsed.trusted:
        return _review(parsed.value, confidence, _reason_for(parsed.problem))
    if surplus:  # a number with a digit more than its ink holds: never trusted
        return _review(parsed.value, confidence, "implausible")
    value = parsed.value
    if spec.words and isinstance(value, str) and listed(spec.words, value):
        value = as_listed(value)  # the word as the list writes it, not 長 男
    is_text = spec.kind == "text" and isinstance(value, str) and not spec.words
    # Its place names checked once (each check walks every listed form of the prefecture
    # read): whether they are put right, then where they end.
    place = check_place(str(value), gazetteer()) if is_text else None
    if is_text and (placed := _place_checked(reading, str(value), confidence, place)):
        printed, _ = _address_as_printed(str(placed.value), place)
        return placed.model_copy(update={"value": printed})
    guessed = False
    if place is not None:  # an address: as printed, but a letter not read is never trusted
        value, guessed = _address_as_printed(str(value), place)
    if doubt := _doubt(spec, reading, value, place):
        if doubt == "confusable" and spec.kind in ("digits", "integer"):
            return _review(_second_choice_shown(spec, reading, value, today), confidence, doubt)
        shown = small_kana_first_enlarged(value) if isinstance(value, str) else value
        if isinstance(shown, str) and place is None:  # a bar in an address may be a letter's
            shown = bars_dropped(shown)
        return _review(shown, confidence, doubt)
    if confidence < REVIEW_CONFIDENCE:
        return _review(value, confidence, "low_confidence")
    if spec.kind in ("text", "katakana") and unsure_letter(reading.symbols):
        return _review(value, confidence, "low_confidence")
    if spec.kind == "katakana" and reading.space_unsure:  # one word, or two: the ink cannot say
        return _review(value, confidence, "low_confidence")
    if guessed:
        return _review(value, confidence, "confusable")
    return _trusted_unless_misaligned(value, confidence, aligned)


def _second_choice_shown(
    spec: FormField, reading: FieldReading, value: FieldValueType, today: date
) -> FieldValueType:
    """A digit field flagged for a digit nearly read as another: shown with that digit as the
    Japanese model read it, where it confirms the engine's second choice there and reads the
    other digits alike (`second_choice_confirmed`); else as read."""
    confirmed = second_choice_confirmed(
        reading.raw, reading.symbols, reading.other_choices, reading.digits_by_jpn
    )
    if confirmed is None:
        return value
    parsed = normalise(spec.kind, confirmed, today=today)
    return parsed.value if parsed.trusted else value


def _address_as_printed(text: str, place: PlaceCheck | None) -> tuple[str, bool]:
    """An address line without the spaces the engine reads inside its place names or on one
    side of a hyphen between digits, and with 丁目 where it read 」目 or 目 after a number;
    whether a letter was put in (丁), which staff then check."""
    if place is None:
        return text, False
    unspaced = hyphen_spaces_closed(names_unspaced(text, place.names_end))
    restored = chome_restored(unspaced)
    return restored, "".join(restored.split()) != "".join(unspaced.split())


def _kana_read_again(reading: FieldReading, today: date) -> str | None:
    """A katakana line read with more or fewer characters than its glyphs, as the line read
    again cut tight gave it with as many (`fields._kana_cut_tight`); failing that, a line read
    so or read with other letters than katakana, as it read with its glyphs set apart where
    that gave one katakana a glyph (`fields._kana_read_apart`: Noto Serif CJK's コンドウ シンヤ
    came back "旨ジドウ ジジシヤ" at 28, and set apart right, development form 1632). For staff
    to compare with the scan: None when neither did, or when that reading is itself
    implausible."""
    miscounted = kana_count_differs(reading.raw, reading.glyph_runs)
    if reading.kana_again and miscounted:
        shown = reading.kana_again
    elif (
        (miscounted or not normalise("katakana", reading.raw, today=today).trusted)
        and reading.kana_apart
        and reading.glyph_runs > 0
        and not kana_count_differs(reading.kana_apart, reading.glyph_runs)
    ):
        shown = reading.kana_apart
    else:
        return None
    again = normalise("katakana", shown, today=today)
    text = again.value if again.trusted and isinstance(again.value, str) else None
    if text is None or split_name(text) or long_vowel_first(text) or small_kana_first(text):
        return None
    return text


def _place_checked(
    reading: FieldReading, value: str, confidence: float, place: PlaceCheck | None
) -> FieldValue | None:
    """The value for staff when it starts like an address (`place`, its check) whose place
    names are not listed as read; None when they are, or when it does not start like one."""
    if place is None or not (place.doubtful or place.corrected):
        return None
    # Shown put right only where the engine doubted that letter, and never trusted unseen: a
    # name read surely but not listed is what the paper says (a former ward, 浜松市中区, now
    # 中央区) and is shown as read, for staff to look at.
    if place.corrected and _doubted_at(reading, value, place.edit_at):
        return _review(place.value, confidence, "confusable")
    return _review(value, confidence, "implausible")


def _doubted_at(reading: FieldReading, value: str, at: int) -> bool:
    """Whether the engine was unsure of the value's letter `at` (spaces not counted) or of
    the one before it (a letter dropped between them), or read a character it misreads others
    as (冨). False when its characters up to there do not line up with the value's."""
    letters = "".join(value.split())
    read = [(char, score) for char, score in reading.symbols if not char.isspace()]
    # Up to that letter only: a number read again after it (636 shown 630) changes nothing
    # here, and left 那覇市 read 那市 (市 at 0) shown as read (development form 1590).
    read_letters = unicodedata.normalize("NFKC", "".join(char for char, _ in read))
    if read_letters[: at + 1] != letters[: at + 1]:
        return False
    near = read[max(at - 1, 0) : at + 1]
    return any(score < CONFUSABLE_MIN_CONFIDENCE or char in ALWAYS_DOUBTFUL for char, score in near)


def _digits_doubted(reading: FieldReading) -> bool:
    """Digits `_doubt` flags (of a date or a text line, the fields read for them): read
    otherwise by the English model, or fewer than the ink holds."""
    return digits_disagree(reading.digits_again) or digit_dropped(reading.digits_again)


def _doubt(
    spec: FormField, reading: FieldReading, value: FieldValueType, place: PlaceCheck | None
) -> ReviewReason | None:
    """Why a value that parsed is still not to be trusted, if it is not. `place`: the check
    of a free text line's place names (None for any other value)."""
    if reading.read_whole:  # what was written against the border may not belong to the value
        return "ink_unread"
    if spec.kind in ("digits", "integer") and characters_dropped(reading.raw, reading.glyph_runs):
        return "implausible"
    # Dates and text lines: digits lost inside a date (10月 read 1月, development forms), at
    # the end of an address (番地30 read 番地3, the same) and inside one (385番地 read 85番地,
    # 番30号 read 番3号: rendered addresses, trusted at 86-90).
    if spec.kind in ("date", "text") and digit_dropped(reading.digits_again):
        return "implausible"
    # A number lost whole, its ink between two whole characters read (川口3番地 read 川口番地:
    # rendered addresses, trusted at 81-92).
    if spec.kind == "text" and reading.characters_lost:
        return "implausible"
    text = value if spec.kind == "text" and isinstance(value, str) else None
    if text is not None and (
        no_letters(text) or stray_punctuation(text) or lone_latin_letter(text)
    ):
        return "implausible"
    # A field of listed words (続柄): none of them is implausible; one of them is what the
    # form expects, and the name rules below (男 read for 勇) do not apply to it.
    is_listed = text is not None and bool(spec.words)
    if is_listed and not listed(spec.words, str(text)):
        return "implausible"
    if spec.kind in ("text", "katakana") and isinstance(value, str) and stray_marks(value):
        return "implausible"
    worded = value if spec.kind in ("text", "katakana") and isinstance(value, str) else None
    if worded is not None and (small_kana_first(worded) or space_inside_number(worded)):
        return "implausible"
    katakana = value if spec.kind == "katakana" and isinstance(value, str) else None
    if reading.space_elsewhere:  # the ink's gap between the words is not where read
        return "implausible"
    if katakana is not None and (
        split_name(katakana)
        or long_vowel_first(katakana)
        or kana_count_differs(reading.raw, reading.glyph_runs)
    ):
        return "implausible"
    # Not listed words: a name, an address, and where the address's listed place names end.
    free = str(text) if text is not None and not is_listed else None
    if free is not None and (
        long_vowel_misplaced(free)
        or katakana_among_hiragana(free)
        or (place is None and (digit_inside_word(free) or kanji_read_as_katakana(free)))
    ):
        return "implausible"
    if reading.second_opinion == "differed":  # the two networks read a character otherwise
        return "confusable"
    if free is not None and _unreadable_twin(_unlisted_part(free, place)):
        return "confusable"
    if spec.kind in ("text", "katakana") and not is_listed and confusable(reading.symbols):
        return "confusable"
    if katakana is not None and reading.kana_size_unsure:  # ュ or ユ: the ink sits otherwise
        return "confusable"
    if katakana is not None and kana_read_otherwise(
        katakana, reading.kana_apart, reading.glyph_runs
    ):
        return "confusable"
    if katakana is not None and other_mark_seen(reading.symbols, reading.other_choices):
        return "confusable"
    settled = digits_settled(reading.symbols, reading.digits_again)
    if close_second_choice(reading.symbols, reading.other_choices, settled):
        return "confusable"
    if spec.kind == "date" and letter_outscored_digit(
        reading.symbols, reading.other_choices, settled
    ):
        return "confusable"
    if digits_disagree(reading.digits_again):
        return "confusable"
    return None


def _unlisted_part(text: str, place: PlaceCheck | None) -> str:
    """A name whole; of an address, what follows the place names the official list checked
    (東京都品川区|大崎1丁目), spaces left out: the list spells its names with the common twin,
    the street part is checked by nothing else (東京都品川区大﨑 came back 大崎, trusted)."""
    return "".join(text.split())[place.names_end :] if place is not None else text


def _unreadable_twin(text: str) -> bool:
    """A character whose twin no model here tells apart from it, however surely read: 高, 崎
    and 吉, whose rare twins (髙, 﨑, 𠮷) the engine cannot read, or a hiragana of the は row
    with either mark (ぱ read as ば)."""
    return any(char in NO_RARE_TWIN or char in VOICED_HIRAGANA for char in text)


def _trusted_unless_misaligned(
    value: FieldValueType, confidence: float, aligned: bool
) -> FieldValue:
    if not aligned:
        return _review(value, confidence, "not_aligned")
    return FieldValue(value=value, confidence=round(confidence, 1), needs_review=False)


def _reason_for(problem: str | None) -> ReviewReason:
    """The staff-facing reason for a value that did not parse as its kind."""
    if problem in ("empty", "no_digits"):
        return "ink_unread"
    if problem == "ambiguous_characters":
        return "low_confidence"
    return "implausible"


def assemble(
    document_id: str, template: FormTemplate | None, readings: list[PageReading], today: date
) -> DocumentResult:
    ordered = sorted(readings, key=lambda r: r.page_index)
    pages = [PageText(text=r.text, confidence=round(r.confidence, 1)) for r in ordered]
    fields: dict[str, FieldValue] = {}
    if template is not None:
        by_page = {r.page_index + 1: r for r in ordered}
        for spec in template.fields:
            page = by_page.get(spec.page)
            found = next((f for f in page.fields if f.name == spec.name), None) if page else None
            fields[spec.name] = field_value(spec, found, page.aligned if page else False, today)
    return DocumentResult(
        document_id=document_id,
        status="completed",
        template_id=template.id if template else None,
        fields=fields,
        pages=pages,
    )


def review_count(result: DocumentResult) -> int:
    return sum(1 for value in result.fields.values() if value.needs_review)


def mean_confidence(result: DocumentResult) -> float:
    scores = [v.confidence for v in result.fields.values()] or [p.confidence for p in result.pages]
    return round(sum(scores) / len(scores), 1) if scores else 0.0
