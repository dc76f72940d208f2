"""Cleaning Tesseract's text output."""

from __future__ import annotations

import re

# Tesseract separates Japanese glyphs with spaces; between two CJK characters (kana, kanji,
# full-width punctuation) a space is an artefact, between Latin words it is real.
_CJK = r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={_CJK})[ \t]+(?={_CJK})")
_SPACE_BETWEEN_CJK_AND_DIGIT = re.compile(rf"(?<={_CJK})[ \t]+(?=[0-9])|(?<=[0-9])[ \t]+(?={_CJK})")


def collapse_cjk_spaces(text: str) -> str:
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return _SPACE_BETWEEN_CJK_AND_DIGIT.sub("", text)


def clean_page_text(text: str) -> str:
    lines = [collapse_cjk_spaces(line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
