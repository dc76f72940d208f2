"""What the OCR engine may read in a field, and whether a box is ticked (pure)."""

from __future__ import annotations

from handlers.shared.normalise import Normalised
from schemas.forms import FieldKind

# Ink thresholds, as the fraction of dark pixels inside the box interior. A 5 mm box has about
# 19 mm² of interior; even a small tick (two strokes ~2.5 mm long with a 0.3 mm pen) covers
# ~4 %, a normal ✓/✗ 6-20 %, and a filled ■ (some forms ask for it) up to 100 %. Specks and
# scanner noise stay well under 1 %, a box border clipped into the crop adds ~1-2 %.
_CLEARLY_EMPTY = 0.015  # at most noise plus a sliver of border
_CLEARLY_TICKED = 0.04  # the smallest deliberate tick
_UNSURE_SPLIT = 0.025  # in between: a guess, sent to staff review


def checkbox_from_ink(ink_ratio: float) -> Normalised:
    if not 0.0 <= ink_ratio <= 1.0:  # also catches NaN, which compares false
        return Normalised(None, False, "invalid_ink_ratio")
    if ink_ratio <= _CLEARLY_EMPTY:
        return Normalised(False, True)
    if ink_ratio >= _CLEARLY_TICKED:
        return Normalised(True, True)
    return Normalised(ink_ratio >= _UNSURE_SPLIT, False, "uncertain_mark")


def char_whitelist(kind: FieldKind) -> str | None:
    """What Tesseract may output for the kind; None means no whitelist (kanji, kana, text)."""
    return {"digits": "0123456789-", "integer": "0123456789,"}.get(kind)
