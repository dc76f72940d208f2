"""The place names an address starts with, checked against the official list: pure functions.

Every Japanese address starts with its prefecture and municipality (富山県富山市,
北海道札幌市中央区, 長野県諏訪郡富士見町), names from a closed list (`places.tsv`, built by
`python -m training.places`).
The fast model misreads their rarer kanji (富山 as 冨山 or 嘉山, 那覇 as 那一), so a reading that
starts one edit away from exactly one listed name is put right, and one that starts like an
address but names no listed place, or is one edit from several, goes to a person. A postal code
written first (〒930-0094 富山県富山市) is kept as read and the place names after it checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files

PLACES_FILE = "places.tsv"
# 〒930-0094 before the prefecture, full- or half-width, the hyphen read as any dash (or 一).
_POSTAL_CODE = re.compile(r"〒?\s*[0-9０-９]{3}\s*[-－‐‑‒–—―−ー一─]\s*[0-9０-９]{4}\s*")
# A designated city's ward written after it (札幌市|中央区); the city alone names no ward.
_WARD_AFTER = re.compile(r".{1,4}区")  # 保土ケ谷区, the longest
# A designated city's ward without its prefecture (札幌市中央区…): only with 市 and 区 read
# where they belong, so that no name is taken for a place.
_CITY_WARD = re.compile(r".{1,4}市.{1,4}区")
_DISTRICT = re.compile(r"^(.+?郡)(.+[町村])$")  # not 蒲郡市, 大和郡山市: 郡 is in their name
_SUFFIXES = frozenset("市区町村郡")
# Fewer characters than this are not put right (大阪府市 is not 大阪府堺市 with 堺 dropped).
_SHORTEST_FIX = 5


@dataclass(frozen=True)
class Gazetteer:
    """The prefectures, and each prefecture's municipalities as officially written."""

    municipalities: Mapping[str, tuple[str, ...]]
    forms: _Forms  # how addresses may start, derived from `municipalities`

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Gazetteer:
        found: dict[str, tuple[str, ...]] = {}
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            prefecture, _, names = line.rstrip("\n").partition("\t")
            found[prefecture] = tuple(names.split())
        return cls(found, _forms(found))


@cache
def gazetteer() -> Gazetteer:
    """The list shipped with the package (a few tens of kB, read once per process)."""
    text = files("handlers.ocr").joinpath(PLACES_FILE).read_text(encoding="utf-8")
    return Gazetteer.from_lines(text.splitlines())


@dataclass(frozen=True)
class _Form:
    """One way an address may start: 富山県富山市, 長野県富士見町 (郡 left out), 札幌市中央区."""

    written: str  # as the gazetteer spells it
    key: str  # folded for comparison
    # A designated city without its ward (神奈川県横浜市): taken only as read, and only when no
    # ward follows, so that it never hides a misread ward.
    city_only: bool = False


@dataclass(frozen=True)
class _Forms:
    by_prefecture: Mapping[str, tuple[_Form, ...]]
    without_prefecture: tuple[_Form, ...]  # designated cities' wards (札幌市中央区)
    cities: frozenset[str]  # the designated cities (札幌市)


def _forms(municipalities: Mapping[str, tuple[str, ...]]) -> _Forms:
    by_prefecture: dict[str, tuple[_Form, ...]] = {}
    wards: list[_Form] = []
    cities: set[str] = set()
    for prefecture, names in municipalities.items():
        forms: dict[str, _Form] = {}
        for name in names:
            spellings = [name]
            if district := _DISTRICT.match(name):  # 長野県富士見町: the 郡 is often left out
                spellings.append(district[2])
            if name.endswith("区") and (city := name[: name.find("市") + 1]) not in ("", name):
                cities.add(city)
                wards.append(_Form(name, _fold(name)))
                forms.setdefault(city, _Form(prefecture + city, _fold(prefecture + city), True))
            for spelling in spellings:
                forms[spelling] = _Form(prefecture + spelling, _fold(prefecture + spelling))
        by_prefecture[prefecture] = tuple(forms.values())
    return _Forms(by_prefecture, tuple(wards), frozenset(cities))


@dataclass(frozen=True)
class PlaceCheck:
    """What the gazetteer says of a reading that starts like an address."""

    value: str  # the reading, its place names put right when one listed name was one edit away
    corrected: bool = False
    # Put right: the letter (spaces not counted) of the reading that was read otherwise or
    # added, or, when one was dropped, the letter the dropped one stood before.
    edit_at: int = -1
    doubtful: bool = False  # names no listed place, or is one edit from several
    # Listed as read: how many letters (spaces not counted) its place names take, a postal
    # code written before them included. What follows (町名, 番地) no list here checks.
    names_end: int = 0


@dataclass(frozen=True)
class _Match:
    form: _Form
    read: int  # characters of the reading it covers
    edits: int  # 0 or 1


def check_place(text: str, places: Gazetteer) -> PlaceCheck | None:
    """The place names `text` starts with (after a postal code, if one is written first),
    checked; None when it does not start like an address (a person's name, a relation, a
    sentence), which is then left alone."""
    code = _POSTAL_CODE.match(text)
    if code is None:
        return _check_names(text, places)
    check = _check_names(text[code.end() :], places)
    if check is None:
        return None
    # The code stays as read; `edit_at` and `names_end` count its letters too, as they count
    # the value's.
    shift = len("".join(code[0].split()))
    return replace(
        check,
        value=code[0] + check.value,
        edit_at=check.edit_at + shift if check.corrected else check.edit_at,
        names_end=check.names_end + shift if check.names_end else 0,
    )


# A place name ends with one of these: a space after it is one between two names, as written.
_NAME_ENDS = _SUFFIXES | frozenset("都道府県")


def names_unspaced(text: str, names_end: int) -> str:
    """`text` without the spaces the engine read inside its listed place names (its first
    `names_end` letters, spaces not counted, after a postal code written first); one after a
    letter a name ends with (秋田県 秋田市, and 千葉県市 川市, which it cannot tell) stays.
    Sawarabi Mincho's 秋田県秋田市 came back "秋田県秋 田市" and "秋田県秋田 市" at 92
    (rendered addresses, seed 4), the place names listed and the line trusted."""
    code = _POSTAL_CODE.match(text)  # counted in `names_end`, and as written
    kept = list(code[0]) if code else []
    letters = sum(not char.isspace() for char in kept)
    for char in text[len(kept) :]:
        inside = letters < names_end and bool(kept) and kept[-1] not in _NAME_ENDS
        if char.isspace() and inside:
            continue
        letters += not char.isspace()
        kept.append(char)
    return "".join(kept)


def _check_names(text: str, places: Gazetteer) -> PlaceCheck | None:
    letters = "".join(text.split())
    folded = _fold(letters)
    forms = places.forms
    matches = list(_matches(folded, forms))
    # A designated city without its ward (横浜市) is an answer only as read with no ward after
    # it, and never the one a misreading is put right to; but one edit from it, it is a
    # rival: 北海道三幌市 is one edit from 札幌市 as well as from 三笠市, so neither is chosen.
    usable = [
        m
        for m in matches
        if not (m.form.city_only and (m.edits or _WARD_AFTER.match(folded, m.read)))
    ]
    if exact := [m.read for m in usable if m.edits == 0]:
        return PlaceCheck(text, names_end=max(exact))
    fixes = {(m.form.written, m.read) for m in usable if _plausible_misreading(folded, m)}
    present = {m.form.written for m in matches if m.edits == 0}  # 札幌市 before its ward
    rivals = {m.form.written for m in matches if m.edits and m.form.written not in present}
    if len(fixes) == 1 and len(rivals) == 1:
        written, read = fixes.pop()
        edit_at = _first_difference(folded[:read], _fold(written))
        return PlaceCheck(written + _after(text, read), corrected=True, edit_at=edit_at)
    if matches or _starts_like_address(folded, places):
        return PlaceCheck(text, doubtful=True)
    return None


def _matches(folded: str, forms: _Forms) -> Iterator[_Match]:
    candidates: list[_Form] = []
    for prefecture, prefecture_forms in forms.by_prefecture.items():
        if _edits_at_start(folded, _fold(prefecture)) is not None:
            candidates.extend(prefecture_forms)
    if _CITY_WARD.match(folded):
        candidates.extend(forms.without_prefecture)
    for form in candidates:
        for read in (len(form.key) - 1, len(form.key), len(form.key) + 1):
            if read <= len(folded) and (edits := one_edit(folded[:read], form.key)) is not None:
                yield _Match(form, read, edits)


def _plausible_misreading(folded: str, match: _Match) -> bool:
    """One kanji read as another, or one character dropped or added: not a kana or a
    letter read in a kanji's place (大阪府の市 is a sentence, not 大阪府堺市)."""
    if match.read < _SHORTEST_FIX:
        return False
    if match.read != len(match.form.key):
        return True
    return all(
        _is_kanji(read) and _is_kanji(wanted)
        for read, wanted in zip(folded, match.form.key, strict=False)
        if read != wanted
    )


def _starts_like_address(folded: str, places: Gazetteer) -> bool:
    """A prefecture (or one edit from one, its 都道府県 read) followed shortly by a
    municipality's 市区町村郡; or a designated city followed by a ward."""
    for prefecture in places.municipalities:
        key = _fold(prefecture)
        for end in (len(key) - 1, len(key), len(key) + 1):
            if (
                folded[end - 1 : end] == key[-1]
                and one_edit(folded[:end], key) is not None
                and any(char in _SUFFIXES for char in folded[end + 1 : end + 8])
            ):
                return True
    cities = places.forms.cities
    return any(folded.startswith(city) for city in cities) and bool(_CITY_WARD.match(folded))


def _edits_at_start(folded: str, key: str) -> int | None:
    found = [one_edit(folded[:end], key) for end in (len(key) - 1, len(key), len(key) + 1)]
    return min((edits for edits in found if edits is not None), default=None)


def one_edit(read: str, wanted: str) -> int | None:
    """0 when the two are the same, 1 when one substitution, insertion or deletion turns
    one into the other, None when more are needed."""
    if read == wanted:
        return 0
    if abs(len(read) - len(wanted)) > 1:
        return None
    if len(read) == len(wanted):
        return 1 if sum(a != b for a, b in zip(read, wanted, strict=True)) == 1 else None
    shorter, longer = sorted((read, wanted), key=len)
    pairs = enumerate(zip(shorter, longer, strict=False))
    start = next((i for i, (a, b) in pairs if a != b), len(shorter))
    return 1 if shorter[start:] == longer[start + 1 :] else None


def _first_difference(read: str, written: str) -> int:
    return next(
        (i for i, (a, b) in enumerate(zip(read, written, strict=False)) if a != b), len(read)
    )


def _after(text: str, read: int) -> str:
    """What follows the first `read` characters of `text`, spaces not counted."""
    seen = 0
    for index, char in enumerate(text):
        if seen == read:
            return text[index:].lstrip() if char.isspace() else text[index:]
        if not char.isspace():
            seen += 1
    return ""


def _fold(text: str) -> str:
    # ヶ and ケ are both written in 茅ヶ崎, 関ケ原: the same place either way.
    return text.replace("ヶ", "ケ")


def _is_kanji(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK")
