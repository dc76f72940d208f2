"""Turn the raw text of one form field (read by OCR, or typed by a resident) into the
contract's normalised value: one set of rules for both rooms.

Pure functions, no I/O. The raw text is personal data, so no
`problem` code and no exception message ever contains it; bad input never raises, it comes
back as an untrusted `Normalised` for staff to review.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from handlers.shared.wareki import ERAS, Era
from schemas.forms import FormFieldKind


@dataclass(frozen=True)
class Normalised:
    value: str | int | bool | None  # None when the text failed to parse
    trusted: bool  # False => the field needs staff review
    problem: str | None = None  # a short code, never the input text


# Hyphen look-alikes Tesseract emits for a written dash (after NFKC, which already turns
# full-width "－" into "-" and half-width "ｰ" into "ー").
_DASHES = "-‐‑‒–—―−ー─"
# 〇 is a real zero in Japanese writing; the Latin look-alikes are guesses, hence untrusted.
_ZERO = str.maketrans({"〇": "0"})
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
_LETTER_RUN = re.compile(r"[A-Za-z|]+")
_ASCII_DIGITS = frozenset("0123456789")

_WHITESPACE_RUN = re.compile(r"(\s+)")  # \s also matches U+3000 (the ideographic space)


def _tidy_spaces(raw: str) -> str:
    """NFKC the text and keep the writer's spaces, one per gap.

    Measured on this project's corpus: the tessdata_fast `jpn` model reads a typed space
    between family and given name as one space and adds none between glyphs, so every gap it
    reports is kept (as one ASCII space; NFKC turns U+3000 into one too).
    """
    return " ".join(unicodedata.normalize("NFKC", part) for part in raw.split())


def _text(raw: str) -> Normalised:
    text = _tidy_spaces(raw)
    return Normalised(text, True) if text else Normalised("", False, "empty")


# A long-vowel mark misread as a dash or as the kanji 一 (identical glyphs in most fonts).
_TO_CHOONPU = str.maketrans(dict.fromkeys(_DASHES + "一", "ー"))
_SAME_SHAPE = str.maketrans("へべぺ", "ヘベペ")  # hiragana drawn exactly as their katakana


def _is_katakana(char: str) -> bool:
    # ァ..ヺ letters (with ヴヵヶ), ・, ー and the iteration marks ヽヾ; also the small ㇰ-ㇿ.
    return "\u30a1" <= char <= "\u30fe" or "\u31f0" <= char <= "\u31ff" or char == " "


def _katakana(raw: str) -> Normalised:
    text = _tidy_spaces(raw).translate(_TO_CHOONPU)
    if not text:
        return Normalised("", False, "empty")
    # Hiragana (or anything else) is kept as read rather than converted: a silent conversion
    # would hide a misread or a field filled in the wrong script. Except へべぺ: they are
    # ヘベペ's own shapes, so among katakana they are katakana (the engine gave "アべ" for アベ).
    as_katakana = text.translate(_SAME_SHAPE)
    if all(_is_katakana(char) for char in as_katakana):
        return Normalised(as_katakana, True)
    return Normalised(text, False, "unexpected_characters")


def _guess_lookalikes(text: str) -> tuple[str, bool]:
    """Read O/o as 0 and l/I/| as 1 in a letter run made only of them ("O6", "l234").

    A run with any other letter is a real word ("tel", "FAX") and is left alone. Returns the
    text and whether anything was guessed (a guess is never trusted).
    """

    def guess(run: re.Match[str]) -> str:
        return run[0].translate(_LOOKALIKES) if set(run[0]) <= set("Ool|I") else run[0]

    guessed = _LETTER_RUN.sub(guess, text)
    return guessed, guessed != text


def _digits(raw: str) -> Normalised:
    text = unicodedata.normalize("NFKC", raw).translate(_ZERO)
    if not text.strip():
        return Normalised(None, False, "empty")
    text, guessed = _guess_lookalikes(text)
    kept = [
        "-" if char in _DASHES else char
        for char in text
        if char in _ASCII_DIGITS or char in _DASHES
    ]
    # Spaces are Tesseract noise and dropped quietly; anything else dropped needs a look.
    dropped = len(kept) != sum(not char.isspace() for char in text)
    cleaned = re.sub(r"-{2,}", "-", "".join(kept))  # a long dash is often read as "--"
    if not _ASCII_DIGITS.intersection(cleaned):
        return Normalised(None, False, "no_digits")
    value = cleaned.strip("-")
    if dropped:
        return Normalised(value, False, "unexpected_characters")
    if guessed:
        return Normalised(value, False, "ambiguous_characters")
    if value != cleaned:
        return Normalised(value, False, "stray_hyphens")
    return Normalised(value, True)


_INTEGER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")


def _integer(raw: str) -> Normalised:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).translate(_ZERO)
    if not text:
        return Normalised(None, False, "empty")
    text = text.removeprefix("¥").removesuffix("円")  # NFKC has already turned ￥ into ¥
    text, guessed = _guess_lookalikes(text)
    if not _ASCII_DIGITS.intersection(text):
        return Normalised(None, False, "no_digits")
    if not _INTEGER.fullmatch(text):  # e.g. "12.345", "1,23", "12-345"
        return Normalised(None, False, "not_an_integer")
    value = int(text.replace(",", ""))
    return Normalised(value, False, "ambiguous_characters") if guessed else Normalised(value, True)


_ERA_ALIASES = {
    **{name: name for name in ERAS},
    **{name[0]: name for name in ERAS},  # 令, 平, 昭, 大, 明
    "M": "明治",
    "T": "大正",
    "S": "昭和",
    "H": "平成",
    "R": "令和",
}
_YMD = r"(?:年|[./-])(?P<m>[0-9]{1,2})(?:月|[./-])(?P<d>[0-9]{1,2})日?"
_ERA_DATE = re.compile(
    r"(?P<era>令和|平成|昭和|大正|明治|[令平昭大明MTSHR])(?P<y>元|[0-9]{1,2})" + _YMD
)
_WESTERN_DATE = re.compile(
    r"(?P<y>[0-9]{4})" + _YMD + r"|(?P<y8>[0-9]{4})(?P<m8>[0-9]{2})(?P<d8>[0-9]{2})"
)
_TO_HYPHEN = str.maketrans(dict.fromkeys(_DASHES, "-"))
_EARLIEST = date(1868, 1, 1)


def _latest(today: date) -> date:
    """A year from today. A form is filled in about now: a date years ahead (令和18年 in
    令和8年) is far more often a misread year than a real one, and a real one (an expiry
    date) costs a person one look."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February, with no leap day a year later
        return today.replace(year=today.year + 1, day=28)


def parse_date(raw: str, *, today: date) -> tuple[date | None, str | None]:
    """(the date, None) when trusted; (the date, "implausible_date"); or (None, a problem)."""
    # NFKC also expands the one-glyph era signs (㋿ -> 令和, ㍻ -> 平成) and full-width digits.
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()
    text = text.translate(_ZERO).translate(_TO_HYPHEN)
    if not text:
        return None, "empty"
    era: Era | None = None
    if match := _ERA_DATE.fullmatch(text):
        era = ERAS[_ERA_ALIASES[match["era"]]]
        era_year = 1 if match["y"] == "元" else int(match["y"])
        if era_year == 0:
            return None, "not_a_date"
        year, month, day = era.start.year + era_year - 1, int(match["m"]), int(match["d"])
    elif match := _WESTERN_DATE.fullmatch(text):
        year = int(match["y"] or match["y8"])
        month, day = int(match["m"] or match["m8"]), int(match["d"] or match["d8"])
    else:
        return None, "not_a_date"
    try:
        parsed = date(year, month, day)
    except ValueError:  # 2月30日, 13月, year 0
        return None, "not_a_date"
    outside_era = era is not None and not (era.start <= parsed <= (era.end or date.max))
    if outside_era or not _EARLIEST <= parsed <= _latest(today):
        return parsed, "implausible_date"
    return parsed, None


def _date(raw: str, today: date) -> Normalised:
    parsed, problem = parse_date(raw, today=today)
    return Normalised(parsed.isoformat() if parsed else None, problem is None, problem)


def normalise(kind: FormFieldKind, raw: str, *, today: date) -> Normalised:
    """The normalised value of one field; checkboxes go through `checkbox_from_ink` instead."""
    parsers: dict[str, Callable[[str], Normalised]] = {
        "text": _text,
        "katakana": _katakana,
        "digits": _digits,
        "integer": _integer,
        "date": lambda text: _date(text, today),
    }
    parser = parsers.get(kind)
    return parser(raw) if parser else Normalised(None, False, "unsupported_kind")
