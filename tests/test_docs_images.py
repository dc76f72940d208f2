"""The README's "First steps" pictures exist, are shown by the README, and stay small.
`make screenshots` takes them again from the demo data (the first-hour browser test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_first_hour_browser import SCREENSHOTS

ROOT = Path(__file__).parents[1]
IMAGES = ROOT / "docs" / "images"


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_each_first_steps_screenshot_is_there_and_shown(name: str) -> None:
    path = IMAGES / f"{name}.png"
    assert path.is_file(), f"missing {path}: run `make screenshots`"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < path.stat().st_size < 400_000, path.stat().st_size
    assert f"(docs/images/{name}.png)" in (ROOT / "README.md").read_text("utf-8")


def test_no_picture_is_left_over() -> None:
    assert {path.stem for path in IMAGES.glob("*.png")} == set(SCREENSHOTS)
