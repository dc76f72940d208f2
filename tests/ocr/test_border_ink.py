"""Ink against a box's printed border, read through the worker's field reader and the handler:
never a trusted blank; and a blank box whose border is printed oddly stays a trusted blank
(`tests/ocr/border_boxes.py`, `infra.ocr.ink.measure_against_border`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ocr.border_boxes import Case, read_case
from tests.ocr.corpus import font_path

VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")
SAWARABI = Path("/usr/share/fonts/truetype/sawarabi-mincho/sawarabi-mincho-medium.ttf")


def drawn(
    mark: str,
    text: str,
    side: str,
    gap: int,
    face: Path,
    kind: str = "integer",
    dpi: int = 300,
    angle: float = 0.0,
    shift: tuple[int, int] = (0, 0),
) -> Case:
    if not face.is_file():
        pytest.skip(f"{face.name} is not installed (make devfonts)")
    return Case(mark, text, side, gap, dpi, angle, str(face), kind, shift, 0.5, True)


def test_a_one_against_the_right_border_is_read_for_staff() -> None:
    """VL Gothic's 1, 0 px from the right border of a one-digit box: all of it within the
    0.8 mm the crop is cut inside the border, it had been a trusted blank. Read whole, it goes
    to staff: ink against the border may be a stroke that is no part of the value."""
    got = read_case(drawn("digit", "1", "right", 0, VL_GOTHIC, dpi=240, angle=0.27))
    assert (got.value, got.needs_review, got.review_reason) == (1, True, "ink_unread")


def test_a_digit_against_the_border_is_read_whole() -> None:
    """Sawarabi Mincho's 8 against the left border, scanned at 200 dpi: its left half cut off
    with the border's margin, it had been read 3 and trusted."""
    case = drawn("digit", "8", "left", 2, SAWARABI, dpi=200, angle=-0.56, shift=(-3, 0))
    got = read_case(case)
    assert (got.value, got.needs_review) == (8, True)


@pytest.mark.parametrize(("text", "kind", "gap"), [("3", "integer", 2), ("418-6449", "digits", 1)])
def test_a_stroke_beside_a_typed_value_is_never_trusted_in_it(
    text: str, kind: str, gap: int
) -> None:
    """A pen stroke along the right border beside a typed value: the box read whole read it
    into the value (3 as 31, 418-6449 as 418-64491) and trusted it."""
    case = Case("stroke", text, "right", gap, 300, -0.5, str(font_path()), kind, (0, 0), 0.5, True)
    got = read_case(case)
    assert (got.needs_review, got.review_reason) == (True, "ink_unread")


@pytest.mark.parametrize(("side", "kind"), [("left", "text"), ("top", "integer")])
def test_a_stroke_along_the_border_goes_to_staff(side: str, kind: str) -> None:
    """A pen stroke 1 px inside the border, along it: it had been a trusted blank."""
    got = read_case(drawn("stroke", "", side, 1, font_path(), kind, angle=0.4))
    assert got.needs_review


@pytest.mark.parametrize("border", ["thick", "double", "dashed", "turned", "rounded"])
def test_a_blank_box_with_an_odd_border_is_blank(border: str) -> None:
    case = drawn("blank", border, "top", 0, font_path(), "text", dpi=200, angle=-0.6)
    got = read_case(case)
    assert (got.value, got.needs_review) == ("", False)
