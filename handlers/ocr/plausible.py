"""Doubts about a reading that parsed: pure checks, each a reason for staff to look.

They flag, never correct: a name written 髙橋 must stay 髙橋, so a doubtful character goes to a
person rather than to a guess. (Only place names are ever shown put right, by
`handlers.ocr.places`, and letters the worker's two networks read otherwise,
`infra.ocr.second_opinion`; a field so changed still goes to a person.)
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Collection, Sequence

from infra.ocr.kana import FULL_KANA, SMALL_KANA
from infra.ocr.tesseract import CLOSE_SECOND_CHOICE

_DIGIT_MARKS = frozenset("0123456789-,")


Choices = Sequence[tuple[str, float]]


def close_second_choice(
    symbols: Sequence[tuple[str, float]],
    others: Sequence[Choices],
    settled: Collection[int] = frozenset(),
) -> bool:
    """A digit or kana with another digit or kana among its other choices, scored nearly as
    high: the engine nearly read the other one. Not a digit at a `settled` place (one another
    model read the same, `digits_settled`).

    Only choices of the same kind count: the engine's other choices for a kanji are mostly
    unrelated characters from a neighbouring step of the line (山 with 上 at 98 on right
    readings), and so are many for a digit (6 with 昌 at 90 beside 9 at 85).
    """
    return any(
        _kind(char) is not None
        and place not in settled
        and other != char
        and _kind(other) == _kind(char)
        and score >= CLOSE_SECOND_CHOICE
        for place, ((char, _), choices) in enumerate(zip(symbols, others, strict=False))
        for other, score in choices
    )


def letter_outscored_digit(
    symbols: Sequence[tuple[str, float]],
    others: Sequence[Choices],
    settled: Collection[int] = frozenset(),
) -> bool:
    """A digit among whose other choices the engine scored a letter (a kanji, a kana) at
    least as high as the digit itself: it nearly read no digit there, and which digit it chose
    the reading does not show. Not a digit at a `settled` place (`digits_settled`), nor a
    letter read beside it (the 和 of 令和8 among the 8's choices: a neighbouring step's).
    Hanazono Mincho's 5 of 5月, narrow beside 月, came back 3 at 90-95 with 有 at 96-97 among
    its choices, the date trusted (`bench.ocr_dev newfaces`, forms 59, 101, 127, 143, 145)."""
    read = [char for char, _ in symbols]
    return any(
        char in "0123456789"
        and place not in settled
        and len(other) == 1
        and unicodedata.category(other)[0] == "L"
        and other not in read[max(place - 1, 0) : place + 2]
        and score >= own
        for place, ((char, own), choices) in enumerate(zip(symbols, others, strict=False))
        for other, score in choices
    )


def _kind(char: str) -> str | None:
    if char in "0123456789":
        return "digit"
    if "\u3041" <= char <= "\u30ff":  # hiragana and katakana: ベ and べ are one shape
        return "kana"
    return None


# A letter (kanji, kana) of a name or an address read with less than this is doubtful, whatever
# the line's mean confidence: 那覇 came back as 那一 at 81 overall, 一 at 83.5. Development (96
# forms) and tuning (80 forms) sets: of 503 right readings at 80 or more overall, none had a
# letter below 87.9.
UNSURE_LETTER = 86.0


def unsure_letter(symbols: Sequence[tuple[str, float]]) -> bool:
    """A letter the engine was unsure of: a misread glyph among sure ones does not show in the
    line's mean."""
    return any(
        unicodedata.category(char)[0] == "L" and confidence < UNSURE_LETTER
        for char, confidence in symbols
    )


# A run of digits the Japanese model read in a line, and what the English model read in its
# place, cut on its own: at the field's size, and enlarged ("" where not read), the marks of
# ink counted there, and the English model's confidence in its two readings
# (digit_runs.DigitRun).
DigitRun = tuple[str, str, str, int, float, float]


def digits_disagree(runs: Sequence[DigitRun]) -> bool:
    """A run of digits the Japanese model read that the English model, reading the same place
    cut on its own, read otherwise: at least as many digits, and not these among them.

    Fewer digits say nothing (eng read "11" as "1" and "Mn"; a cut may lose the run's first
    digit), nor do other characters beside them (a piece of 年 cut with the digits). On 96
    development forms this flagged 7 wrong-but-unflagged dates and addresses (VL Gothic's 0
    read as 6 or 9) and no right field; on 40 tuning forms nothing.
    """
    for read, again, *_ in runs:
        digits = _digits(again)
        if len(digits) >= len(read) and read not in digits:
            return True
    return False


def digit_dropped(runs: Sequence[DigitRun]) -> bool:
    """A number read with fewer digits than the ink shows separate marks: between the
    characters around it (10月 read as 1月, `digit_runs.marks_between_kanji`), or after the
    character before a number that ends the line (番地30 read 番地3,
    `digit_runs.marks_after_last_kanji`)."""
    return any(printed > len(read) for read, _, _, printed, *_ in runs)


# The English model's reading of a run is shown where it, or the same reading enlarged, scored
# at least this, and no reading enlarged scored this with other digits. Dates on development
# forms 1152-1535: where the two models read as many digits otherwise, eng was right in 31
# runs, scoring 91-96, and wrong in 4, scoring 29-84 (Sawarabi Mincho's 27 read 20 at 59, and
# 20 enlarged; Noto Sans CJK's 27 read 21 at 29, and 21 at 38); enlarged, where right, it
# scored 90-96, but read VL Gothic's 30 as 50 at 67. Cut clear of 月, VL Gothic's 10 scored 84,
# and 96 enlarged (form 1358). Rendered dates (development faces and IPAexGothic, 600): right
# in 37, 90-96.
SURE_DIGITS = 87.0


def digits_read_again(
    raw: str,
    runs: Sequence[DigitRun],
    sure: float = 0.0,
    counted: bool = False,
    surplus: bool = False,
) -> str:
    """The line with each run of digits as the English model read it, where it read as many
    digits, other ones, or as many as the ink holds where the line lost one (`digit_dropped`),
    and the same enlarged, one of the two readings scoring at least `sure`; or, enlarged,
    others scoring less, itself scoring at least `sure`: the value staff are shown for a field
    that either flags (a date's with `sure` SURE_DIGITS). On 96
    development forms eng was right in 19 of the 21 runs where the two differed (VL Gothic's
    0, that jpn read as 6 or 9), wrong in 2 (VL Gothic's 23 read as 25, and as 23 enlarged).
    Left as read when the line's runs of digits are not the ones paired (a space read inside
    a number). `counted` (a text line's numbers): a reading enlarged with a digit more than
    the ink's marks, holding eng's digits in order and not jpn's, bears eng out (VL Gothic's
    2770, read 2776 by jpn, came back 2770 from eng at 70 and 27170 enlarged: development
    form 1770); one with fewer, or holding neither, still gainsays (Sawarabi Mincho's 77,
    read 44 by eng and 7 enlarged: rendered addresses). With `surplus` (a date with a number
    read with more digits than its marks), also where the line read more digits than the ink
    holds and eng as many as it does: VL Gothic's 1980年 read 19890年, eng 1980 at 96
    (development form 1758); 昭和20年 read 昭和720年, 和's last stroke a 7."""
    found = list(re.finditer(r"[0-9]+", raw))
    if [match[0] for match in found] != [run[0] for run in runs]:
        return raw
    pieces, end = [], 0
    for match, (read, again, larger, printed, score, larger_score) in zip(found, runs, strict=True):
        digits = _digits(again)
        other = len(digits) == len(read) and digits != read
        restored = len(read) < len(digits) == printed or (
            surplus and len(read) > len(digits) == printed
        )
        if _digits(larger) == digits:  # read the same at both sizes, one of them surely
            confirmed = max(score, larger_score) >= sure
        elif counted and _one_mark_more(larger, digits, read, printed):
            confirmed = score >= sure
        else:  # read surely, and not gainsaid by a sure reading enlarged
            confirmed = score >= sure > larger_score
        if (other or restored) and confirmed:
            pieces += [raw[end : match.start()], digits]
            end = match.end()
    return "".join(pieces) + raw[end:]


def more_digits_than_marks(runs: Sequence[DigitRun]) -> bool:
    """Whether a number was read with more digits than the marks of ink counted for it: a
    stroke of the character beside it read as a digit (VL Gothic's 令和3年 came back 令和53年,
    令和2年 令和72年, both rendered dates). None of the 768 dates of development forms 0-383
    read right was read so."""
    return any(0 < printed < len(read) for read, _, _, printed, *_ in runs)


def _one_mark_more(larger: str, again: str, read: str, printed: int) -> bool:
    """Whether `larger` holds one digit more than the `printed` marks of ink, and the
    digits of `again` in order among them, but not those of `read`."""
    digits = _digits(larger)
    return (
        printed > 0
        and len(digits) == printed + 1
        and _in_order(_digits(again), digits)
        and not _in_order(read, digits)
    )


def _in_order(wanted: str, digits: str) -> bool:
    """Whether `wanted` is `digits` with some left out."""
    rest = iter(digits)
    return all(char in rest for char in wanted)


# A date read whole up to its day, and one other character where 日 stands.
_DAY_MARK_MISREAD = re.compile(r"(.*[0-9]月[0-9]{1,2})[^0-9日]")


def day_mark_misread(raw: str) -> str | None:
    """The date with the character read after its day written 日, where that character is
    another one: the value staff are shown for the flagged field. Noto Serif CJK's and VL
    Gothic's 日 came back as 晶 at 94-95, every other character sure (development forms 260,
    822, 1032), and Sawarabi Mincho's and Noto Serif CJK's at 3.4-3.8 mm in 18 of 1000
    rendered dates: the date did not parse, and staff were shown nothing. None where the line
    does not read so."""
    misread = _DAY_MARK_MISREAD.fullmatch("".join(raw.split()))
    return f"{misread[1]}日" if misread else None


def lost_day_restored(raw: str, day: DigitRun | None, sure: float) -> str | None:
    """The date with the day the English model read on its marks put between 月 and 日, where
    the line read nothing there (`digit_runs.lost_day_again`): the same digits at both sizes,
    as many as the marks, one of the two readings scoring at least `sure`. The value staff
    are shown for the flagged field; None where not read so."""
    line = "".join(raw.split())
    if day is None or not line.endswith("月日"):
        return None
    _, again, larger, printed, score, larger_score = day
    if not (again == larger and again.isdigit() and len(again) == printed):
        return None
    return f"{line[:-1]}{again}日" if max(score, larger_score) >= sure else None


def digits_settled(symbols: Sequence[tuple[str, float]], runs: Sequence[DigitRun]) -> set[int]:
    """The places, among the characters read, of the digits in runs the English model read
    again as the same digits: a close second choice there is a doubt the other model settled.

    On 192 development forms, 8 fields were flagged only for a close second choice on digits
    eng then read the same, all right (VL Gothic); of the 25 runs jpn misread there, eng read
    none the same. The runs are matched to the characters in order, and only if they line up;
    a run with fewer digits than the ink's marks (`digit_dropped`) settles nothing: eng, cutting
    it with the mark it lost, may lose it too.
    """
    places: list[list[int]] = []
    previous_digit = False
    for place, (char, _) in enumerate(symbols):
        digit = char in "0123456789"
        if digit and previous_digit:
            places[-1].append(place)
        elif digit:
            places.append([place])
        previous_digit = digit
    read = ["".join(symbols[place][0] for place in run) for run in places]
    if read != [run[0] for run in runs]:
        return set()
    return {
        place
        for run, (digits, again, _, printed, *_) in zip(places, runs, strict=True)
        if again and _digits(again) == digits and printed <= len(digits)
        for place in run
    }


def _digits(text: str) -> str:
    return "".join(char for char in text if char in "0123456789")


def split_name(text: str) -> bool:
    """A katakana name read as more than two words: a name is a family and a given name, so a
    second space is a gap inside a word read as a space ("ハセ ガワ ユウキ")."""
    return len(text.split()) > 2


def long_vowel_first(text: str) -> bool:
    """A word of kana that starts with the long-vowel mark: ー lengthens the sound before it,
    so no word starts with it (VL Gothic's ニシムラ came back as "ージムラ" at 80)."""
    return any(word.startswith("ー") for word in text.split())


# Small kana (and ゕ, ゖ): each follows a kana it changes the sound of, so none starts a word.
_SMALL_KANA = frozenset(SMALL_KANA + "ゕゖ")


def small_kana_first(text: str) -> bool:
    """A word that starts with a small kana: ャ, ッ, ァ ... change the sound before them, so
    no word starts with one (Noto Serif CJK's アベ came back as "ァベ" at 86, ァ at 95.5)."""
    return any(word[0] in _SMALL_KANA for word in text.split())


_FULL_SIZE = str.maketrans(SMALL_KANA + "ゕゖ", FULL_KANA + "かけ")
_SMALL_FIRST = re.compile(f"(?<!\\S)[{''.join(sorted(_SMALL_KANA))}]")


def small_kana_first_enlarged(text: str) -> str:
    """The text with each small kana that starts a word (`small_kana_first`) full size: what
    staff are shown for the flagged line, since no word starts with a small one (Noto Serif
    CJK's ユイ came back as "ュイ" at 91-92, twice on 576 development forms)."""
    return _SMALL_FIRST.sub(lambda small: small[0].translate(_FULL_SIZE), text)


# A bar read at a word's end or start, against a letter (not a digit): VL Gothic's 小川 隆 came
# back "小川| 隆" at 81 (development form 1770), the bar at 99. Beside a digit a bar may be a
# piece of a misread character (番地1| for 番地11).
_BAR_BY_WORD = re.compile(r"(?<=[^\W\d])\|+(?=\s|$)|(?:^|(?<=\s))\|+(?=[^\W\d])")


def bars_dropped(text: str) -> str:
    """The line without a bar read against a letter at a word's end or start: what staff
    are shown for a flagged name, which never holds a bar (`stray_punctuation`). Not for an
    address: its bar may be a piece of a misread character, Sawarabi Mincho's 八幡川口7 came
    back "八幡川| 7", and without the bar the line would look read right."""
    return _BAR_BY_WORD.sub("", text)


# A space on one side of a hyphen between digits; with one on each side, the "hyphen" may be a
# speck between two numbers (2-8-1 - 101), which stays as read, for staff.
_HYPHEN_SPACED = re.compile(r"(?<=[0-9０-９])(?:\s+([-－])(?=[0-9０-９])|([-－])\s+(?=[0-9０-９]))")


def hyphen_spaces_closed(text: str) -> str:
    """The address without a space the engine read on one side of a hyphen between digits:
    VL Gothic's hyphen stands narrow in a wide cell, and 6-10-16 came back "6 -10-16" or
    "5- 12-11" at 90-95, every character right (a code review's rendered addresses: 23 of 280
    hyphenated ones)."""
    return _HYPHEN_SPACED.sub(lambda found: found[1] or found[2], text)


# 丁 of 丁目 after a number, as the engine reads it in Mincho faces (」, ], or nothing), before
# the number of the 番地 or the line's end: 目 after a space alone starts a word (目黒).
_CHOME_READ = re.compile(r"(?<=[0-9０-９])(?:\s*[丁」］\]亅]\s*|)目(?=[0-9０-９\s]|$)")


def chome_restored(text: str) -> str:
    """An address line with 丁目 after a number as addresses write it: Sawarabi Mincho's and
    Noto Serif's 丁 is a hook, read 」 or ] or dropped, often after a space ("6 」目", "2目",
    "1 丁目"): 13 of the 17 addresses read wrong among 300 rendered in the development faces
    and IPAexGothic (seed 3), each flagged."""
    return _CHOME_READ.sub("丁目", text)


def space_inside_number(text: str) -> bool:
    """Digits on both sides of a space: one number read as two (Sawarabi Mincho's 2377番地
    came back as "237 7番地" at 95, every digit sure). A space typed between two numbers
    ("1-2-3 101") is flagged too: for staff to look at, not for the engine to decide."""
    return re.search(r"[0-9０-９]\s+[0-9０-９]", text) is not None


def kana_read_otherwise(value: str, apart: str, glyphs: int) -> bool:
    """A katakana line that, read again with its glyphs set apart (`apart`), gave one
    character a glyph and other letters than its value: the engine read the same ink two ways
    (Sawarabi Mincho's ショウタ as ショウク, タ at 97, and as ショウタ)."""
    read, again = _letters_as_valued(value), _letters_as_valued(apart)
    return glyphs > 0 and len(read) == len(again) == glyphs and read != again


def _letters_as_valued(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).translate(_SAME_IN_VALUE)


# Letters a katakana value does not tell apart: `normalise` takes へべぺ for ヘベペ and a dash
# or 一 for ー; a small kana or its full-size twin is `kana_size_unsure`'s to decide, on the ink.
_SAME_IN_VALUE = str.maketrans(
    {
        **dict(zip("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ", strict=True)),
        **dict(zip("へべぺ", "ヘベペ", strict=True)),
        **dict.fromkeys("-‐‑‒–—―−─一", "ー"),
    }
)


def kana_count_differs(raw: str, glyphs: int) -> bool:
    """A katakana line read with more or fewer characters than the glyphs its ink holds
    (`glyphs`, 0 where not counted): kana is set full-width, one character a glyph, so a glyph
    was read twice or not at all (VL Gothic's アベ read "アベベ")."""
    return glyphs > 0 and sum(1 for char in raw if not char.isspace()) != glyphs


def characters_dropped(raw: str, glyph_runs: int) -> bool:
    """Fewer digits, hyphens and commas read than separate marks were printed in the box.

    Only counts up: touching digits make fewer runs than characters, never more, so more
    runs than characters read means the engine skipped one ("06-1234-5678" read "06-124-5678").
    """
    read = sum(1 for char in unicodedata.normalize("NFKC", raw) if char in _DIGIT_MARKS)
    return glyph_runs > read


def no_letters(text: str) -> bool:
    """No letter at all: a mark, a smudge or a ruled line read as text, or only digits in a
    field for words (a lone 茂 read as "6"): a text field holds words, numbers have kinds of
    their own."""
    return not any(unicodedata.category(char)[0] == "L" for char in text)


# Punctuation a name or an address may hold; any other (」, 『, ※ ...) is a misread stroke
# (IPAexMincho's 丁 in 3丁目 came back as 」).
_PLAIN_PUNCTUATION = frozenset("-‐・ー、。.,()（）'&/")


def stray_punctuation(text: str) -> bool:
    """Punctuation or symbols a written name or address does not have."""
    return any(
        unicodedata.category(char)[0] in "PS" and char not in _PLAIN_PUNCTUATION for char in text
    )


_LATIN = "A-Za-zＡ-Ｚａ-ｚ"
_LONE_LATIN = re.compile(f"(?<![{_LATIN}])[{_LATIN}](?![{_LATIN}])")


def lone_latin_letter(text: str) -> bool:
    """A Latin letter with none beside it: a name or an address holds Latin letters, if any,
    as words (a building's name), while a digit or a stroke misread is one letter alone
    (Noto Serif CJK's 1000番地6 read 1000番地e at 95, trusted: development form 2300)."""
    return _LONE_LATIN.search(text) is not None


def stray_marks(text: str) -> bool:
    """A word of marks only, apart from the rest ("…8-23-8 ーー"): a piece of the box's
    printed border or a pen stroke read as dashes, not something written in the field."""
    words = text.split()
    return len(words) > 1 and any(all(_is_mark(char) for char in word) for word in words)


def _is_mark(char: str) -> bool:
    # ー is a letter to Unicode (Lm), but a word of ー alone is a line, not a sound.
    return char in "ー〜|" or unicodedata.category(char)[0] in "PS"


def digit_inside_word(text: str) -> bool:
    """A digit (of any script: 0, ０, ①) with a letter on either side, spaces not counted: in
    a name it is a glyph the face lacks, printed as an empty box and read as a digit
    (Sawarabi Mincho's 柳﨑 花子 came back "柳0 花子" at 82). For text that does not start like
    an address, whose 1丁目 and 2番地 hold digits between letters."""
    letters = "".join(text.split())
    numeric = [unicodedata.category(char)[0] == "N" for char in letters]
    for place in range(1, len(letters) - 1):
        if numeric[place] and not numeric[place - 1] and _is_letter(letters[place - 1]):
            after = next((i for i in range(place, len(letters)) if not numeric[i]), None)
            if after is not None and _is_letter(letters[after]):
                return True
    return False


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] == "L"


def long_vowel_misplaced(text: str) -> bool:
    """ー where no sound stands before it to lengthen, or 一 inside a katakana word: the two
    are one bar, and the engine reads either for the other (IPAexGothic's 一通につき came back
    "ー通につき" at 90, 一 between katakana "ヤマーチ"). ー follows a kana; after a kanji or
    starting a word it is 一 misread. After a digit or a Latin letter it is left alone, a
    dash as an address may be written (1ー2ー3), unless a kanji follows (3ー丁目)."""
    for word in text.split():
        for place, char in enumerate(word):
            before = word[place - 1] if place else ""
            after = word[place + 1] if place + 1 < len(word) else ""
            unlengthened = not before or _is_kanji(before) or _is_kanji(after)
            if char == "ー" and not _is_kana(before) and unlengthened:
                return True
            if char == "一" and _is_katakana(before) and _is_katakana(after):
                return True
    return False


def _is_kana(char: str) -> bool:
    return bool(char) and "\u3041" <= char <= "\u30ff" and char != "・"


def _is_katakana(char: str) -> bool:
    return bool(char) and "\u30a1" <= char <= "\u30ff" and char != "・"


def _is_kanji(char: str) -> bool:
    return len(char) == 1 and (unicodedata.name(char, "").startswith("CJK") or char == "々")


# Katakana drawn as their hiragana twins are: the engine gives ヘ, ベ, ペ for へ, べ, ぺ.
_HIRAGANA_SHAPED = frozenset("ヘベペ")


def katakana_among_hiragana(text: str) -> bool:
    """A katakana letter inside a hiragana word: one whose hiragana twin has its shape (ヘ, ベ,
    ペ) beside a hiragana, or any between two. Rendered hiragana words in five faces came back
    with ぺ read as ペ (こんぶわぺ as "こんぶわペ", 90) and ぷ as パ ("まパえす", 91), trusted.
    ヶ and ヵ (ひばりヶ丘) are place-name counters, not words' letters."""
    for word in text.split():
        for place, char in enumerate(word):
            if not _is_katakana(char) or char in "ーヶヵ":
                continue
            before = word[place - 1] if place else ""
            after = word[place + 1] if place + 1 < len(word) else ""
            beside = [_is_hiragana(before), _is_hiragana(after)]
            if all(beside) or (char in _HIRAGANA_SHAPED and any(beside)):
                return True
    return False


def _is_hiragana(char: str) -> bool:
    return bool(char) and "\u3041" <= char <= "\u309f"


# Kanji and katakana drawn alike, which the engine reads one for the other: 口 ロ, 二 ニ, 力 カ,
# 工 エ, 夕 タ, 卜 ト, 八 ハ (一 and ー: `long_vowel_misplaced`).
_KANJI_LIKE_KATAKANA = frozenset("口二力工夕卜八")
_KATAKANA_LIKE_KANJI = frozenset("ロニカエタトハ")
# Katakana that names and place names do write beside kanji (一ノ瀬, 茅ヶ崎, 関ケ原, 四ツ谷).
_KATAKANA_IN_KANJI_NAMES = frozenset("ノヶケヵツ")


def kanji_read_as_katakana(text: str) -> bool:
    """A kanji that has a katakana twin beside a katakana, or such a katakana beside a kanji:
    a name does not mix the two in one word, so one was read for its twin (関口 ロミ came
    back "関口 口ミ" at 95, 川口 一 "川ロー" at 90-95, trusted). For text that does not start
    like an address, whose building names may mix them."""
    for word in text.split():
        for first, second in itertools.pairwise(word):
            for kanji, kana in ((first, second), (second, first)):
                letter = _is_katakana(kana) and kana not in _KATAKANA_IN_KANJI_NAMES | {"ー"}
                if (kanji in _KANJI_LIKE_KATAKANA and letter) or (
                    kana in _KATAKANA_LIKE_KANJI and _is_kanji(kanji)
                ):
                    return True
    return False


# Kana with a dakuten and the same kana with a handakuten, both ways: バ and パ, ぶ and ぷ.
_OTHER_MARK = {
    **dict(zip("バビブベボばびぶべぼ", "パピプペポぱぴぷぺぽ", strict=True)),
    **dict(zip("パピプペポぱぴぷぺぽ", "バビブベボばびぶべぼ", strict=True)),
}
# The other mark among a kana's other choices with at least this score: the engine saw it.
# 400 katakana names rendered in five faces at 200 and 300 dpi (not the development, tuning or
# report sets): the 2 read with the wrong mark and trusted (ピ read ビ at 96.5 with ピ at 34,
# ペ read ベ at 96.8 with ペ at 59) are caught at 30, with 11 right ones flagged; on the
# development set (192 forms) it flagged 1 right field more, on the tuning set none.
OTHER_MARK_CHOICE = 30.0


def other_mark_seen(symbols: Sequence[tuple[str, float]], others: Sequence[Choices]) -> bool:
    """A kana of the は row with one mark whose other mark was among the engine's choices
    (`other_choices`, read for a kana read with less than tesseract.SURE_SYMBOL): the two
    differ by a dot and a ring, so a choice far below CLOSE_SECOND_CHOICE is already a doubt."""
    return any(
        other == _OTHER_MARK.get(char) and score >= OTHER_MARK_CHOICE
        for (char, _), choices in zip(symbols, others, strict=False)
        for other, score in choices
    )


def second_choice_confirmed(
    raw: str,
    symbols: Sequence[tuple[str, float]],
    others: Sequence[Choices],
    by_other_model: str,
) -> str | None:
    """A line of digits with the digits the engine nearly read otherwise put as the other
    model read them (`infra.ocr.fields._digits_by_jpn`): where that model read as many digits,
    and where it differs, each time gave the close second choice there. None where it did not
    or agreed throughout.

    Development forms 0-1535, the six digit fields flagged for a close second choice (all VL
    Gothic): the two misread, postal codes whose first 7 came back 1 (7 second at 81-84), were
    read 7 by the Japanese model and the rest alike; in the four read right, it agreed, or
    differed at another digit (it reads VL Gothic's 0 as 6 or 9), so nothing was put."""
    if "".join(char for char, _ in symbols) != "".join(raw.split()) or not by_other_model:
        return None
    digits = [(place, char) for place, (char, _) in enumerate(symbols) if char in "0123456789"]
    if len(digits) != len(by_other_model) or len(others) != len(symbols):
        return None
    put: dict[int, str] = {}
    for (place, char), other in zip(digits, by_other_model, strict=True):
        if other == char:
            continue
        if not any(o == other and score >= CLOSE_SECOND_CHOICE for o, score in others[place]):
            return None
        put[place] = other
    if not put:
        return None
    return "".join(put.get(place, char) for place, (char, _) in enumerate(symbols))
