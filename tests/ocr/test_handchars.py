"""The character model's reading of a cell: a thick pen is also read thinned (test-time
augmentation), and the development pens where that was chosen lie between training and held out."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from infra.ocr import handchars
from training import glyphs


def _cross(side: int, width: int) -> np.ndarray:
    """A plus sign of two long strokes `width` pixels wide on white paper."""
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    pen.line((side * 0.15, side / 2, side * 0.85, side / 2), fill=0, width=width)
    pen.line((side / 2, side * 0.15, side / 2, side * 0.85), fill=0, width=width)
    return np.asarray(image)


@pytest.mark.parametrize(("side", "width"), [(60, 2), (90, 3), (90, 6), (110, 9)])
def test_the_stroke_width_is_a_share_of_the_cell(side: int, width: int) -> None:
    measured = handchars.stroke_width(_cross(side, width))
    assert measured == pytest.approx(width / side, rel=0.25)


def test_a_blank_cell_has_no_stroke_width() -> None:
    assert handchars.stroke_width(np.full((80, 80), 255, np.uint8)) == 0.0


def test_a_thick_pen_is_read_as_written_and_thinned_a_thin_pen_once() -> None:
    model = handchars.model()
    thick, thin = _cross(90, 9), _cross(90, 3)
    assert handchars.stroke_width(thick) > handchars.THICK_STROKE > handchars.stroke_width(thin)
    blank = np.full((90, 90), 255, np.uint8)
    probabilities, inked = model.read([thick, blank, thin])
    assert inked == [0, 2]  # the blank cell is not asked
    once = model.probabilities(np.stack([handchars.normalise_cell(g) for g in (thick, thin)]))
    thinned = model.probabilities(handchars.normalise_cell(handchars.thinned(thick))[None])
    assert not np.allclose(once[0], thinned[0], atol=1e-3)  # the two readings differ
    np.testing.assert_allclose(probabilities[0], (once[0] + thinned[0]) / 2, atol=1e-5)
    np.testing.assert_allclose(probabilities[1], once[1], atol=1e-5)
    alone, _ = model.read([thick], reread_thick=False)  # the bench's baseline: read once
    np.testing.assert_allclose(alone[0], once[0], atol=1e-5)


def test_the_development_pens_lie_between_training_and_held_out() -> None:
    train, dev, bench = glyphs.TRAIN_PEN, glyphs.DEV_PEN, glyphs.BENCH_PEN
    for name in ("slant", "rotation", "stroke_shift", "wobble", "elastic", "width"):
        low, high = getattr(dev, name)
        assert getattr(train, name)[1] <= low <= high <= getattr(bench, name)[0], name
    # Squash: narrower than training, less narrow than held out.
    assert bench.squash[1] <= dev.squash[0] <= dev.squash[1] <= train.squash[0]
    assert dev.thin_width is not None and bench.thin_width is not None
    assert bench.thin_width[1] <= dev.thin_width[0] <= dev.thin_width[1] <= train.width[0]


def test_thinning_is_a_three_by_three_maximum_with_the_edges_repeated() -> None:
    from PIL import ImageFilter

    gray = np.random.default_rng(5).integers(0, 256, (37, 41), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(gray).filter(ImageFilter.MaxFilter(3)))
    np.testing.assert_array_equal(handchars.thinned(gray), expected)
    assert handchars.thinned(_cross(90, 5)).min() == 0  # a 5-pixel stroke keeps 3 pixels of ink
    assert handchars.thinned(_cross(90, 2)).min() > 0  # a 2-pixel one is gone
