"""Pure image steps: FFT sizes, template alignment, block downscaling."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from infra.ocr import imaging


@pytest.mark.parametrize(
    ("n", "fast"), [(1, 1), (7, 8), (877, 900), (620, 625), (643, 648), (1024, 1024)]
)
def test_fft_lengths_have_only_small_prime_factors(n: int, fast: int) -> None:
    assert imaging.fast_length(n) == fast


BOXES = [(40, 30, 200, 40), (40, 100, 120, 40), (300, 200, 150, 60), (20, 400, 500, 30)]


@pytest.mark.parametrize("shift", [(0, 0), (7, -3), (-15, 12), (-20, -20), (20, 19)])
def test_a_page_shifted_from_its_template_is_found_at_its_shift(shift: tuple[int, int]) -> None:
    shape = (500, 560)
    expected = imaging.outline_mask(shape, BOXES)
    dx, dy = shift
    page = np.zeros(shape, dtype=bool)
    # The printed outlines, moved; the ones pushed off the page are cut, as on a real scan.
    moved = [(x + dx, y + dy, w, h) for x, y, w, h in BOXES]
    page |= imaging.outline_mask(shape, moved)
    page[260:270, 100:400] = True  # a written line: ink that is not an outline
    found = imaging.find_shift(page, imaging.outlines(expected, 20))
    assert found[:2] == shift
    assert found[2] > 0.9
    assert imaging.find_shift(np.zeros(shape, dtype=bool), imaging.outlines(expected, 20))[2] == 0


@pytest.mark.parametrize("size", [(2480, 3508), (2479, 3501), (5, 4)])
def test_a_downscaled_pixel_is_the_mean_of_its_block(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(5)
    page = rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    small = np.asarray(imaging.downscale(Image.fromarray(page), 4), dtype=np.float64)
    height, width = max(size[1] // 4, 1), max(size[0] // 4, 1)
    assert small.shape == (height, width)
    blocks = page[: height * 4, : width * 4].reshape(height, 4, width, 4).mean(axis=(1, 3))
    assert np.abs(small - blocks).max() <= 1  # rounding only, no shift, no stretch


@pytest.mark.parametrize("size", [(2480, 3508), (2479, 3501), (1, 1), (2, 3)])
def test_every_other_pixel_is_numpys_stride_of_two(size: tuple[int, int]) -> None:
    # `_plain_paper` measures a page's levels on these pixels: the same ones as before.
    rng = np.random.default_rng(6)
    page = rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    sample = np.asarray(imaging.every_other(Image.fromarray(page)))
    assert np.array_equal(sample, page[::2, ::2])


@pytest.mark.parametrize("levels", [2, 3, 256])
def test_the_median_of_each_pixels_three_by_three_is_numpys(levels: int) -> None:
    # Few levels make ties, where a wrong pick of the middle value shows.
    rng = np.random.default_rng(levels)
    for height, width in ((1, 1), (2, 7), (9, 4), (31, 53)):
        page = rng.integers(0, levels, (height, width), dtype=np.uint8)
        padded = np.pad(page, 1, mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
        expected = np.median(windows.reshape(height, width, 9), axis=2).astype(np.uint8)
        assert np.array_equal(imaging.median3(page), expected)


def test_a_page_smaller_than_a_block_still_gives_a_pixel() -> None:
    assert imaging.downscale(Image.new("L", (3, 9), 200), 4).size == (1, 2)


@pytest.mark.parametrize(
    ("paper", "darkest", "grain", "pixel", "low", "high"),
    [
        (255, 110, 1.5, 110, 0, 0),  # faded toner: its darkest ink becomes black
        (255, 110, 1.5, 190, 130, 150),  # a faded thin Mincho stroke stays a stroke
        (255, 110, 1.5, 252, 255, 255),  # the paper's grain becomes white
        (150, 40, 14.0, 100, 130, 150),  # a dark scan: a light stroke stays a stroke
        (150, 40, 14.0, 120, 255, 255),  # ... and its grain, 2 sigmas off paper, is paper
    ],
)
def test_whitened_paper_keeps_light_strokes_and_drops_grain(
    paper: int, darkest: int, grain: float, pixel: int, low: int, high: int
) -> None:
    page = np.full((3, 3), pixel, dtype=np.uint8)
    assert low <= int(imaging.whiten_paper(page, paper, darkest, grain)[1, 1]) <= high


def _speckled_page(seed: int, size: tuple[int, int] = (300, 220)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, size=size[::-1], dtype=np.uint8)
    return Image.fromarray(pixels)


def _patch_turned(image: Image.Image, box: tuple[int, int, int, int], angle: float) -> Image.Image:
    """The long way: cut a patch with a margin, turn all of it, trim it to the box."""
    x, y, w, h = box
    cx, cy = imaging.source_point(
        (x + w / 2, y + h / 2), angle, (image.width / 2, image.height / 2)
    )
    margin = int(np.ceil(abs(np.sin(np.deg2rad(angle))) * max(w, h))) + 4
    half_w, half_h = w / 2 + margin, h / 2 + margin
    patch = image.crop(
        (round(cx - half_w), round(cy - half_h), round(cx + half_w), round(cy + half_h))
    )
    turned = patch.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    left, top = (turned.width - w) // 2, (turned.height - h) // 2
    return turned.crop((left, top, left + w, top + h))


@pytest.mark.parametrize(
    ("box", "angle"),
    [
        ((40, 60, 150, 30), 0.7),
        ((40, 60, 150, 30), -2.4),
        ((10, 200, 9, 41), 1.3),  # taller than wide
        ((150, 5, 120, 40), -1.1),  # past the page's edge: the patch is cut black there
        ((30, 30, 80, 20), 0.004),  # too small an angle to turn: a plain crop
    ],
)
def test_a_deskewed_crop_has_the_pixels_of_its_turned_patch(
    box: tuple[int, int, int, int], angle: float
) -> None:
    page = _speckled_page(7)
    expected = np.asarray(
        page.crop((box[0], box[1], box[0] + box[2], box[1] + box[3]))
        if abs(angle) < 0.01
        else _patch_turned(page, box, angle)
    )
    got = np.asarray(imaging.deskewed_crop(page, box, angle))
    assert got.shape == (box[3], box[2])
    assert np.array_equal(got, expected)
    # The first columns alone are the same pixels as in the whole box.
    left = np.asarray(imaging.deskewed_crop(page, box, angle, width=box[2] // 3))
    assert np.array_equal(left, expected[:, : box[2] // 3])


def _written_page() -> Image.Image:
    """Paper with grain and one-pixel specks, a line of writing at the left of a long box and
    what is left of the box's top border across it."""
    rng = np.random.default_rng(3)
    page = rng.integers(235, 256, size=(200, 600), dtype=np.uint8)
    page[rng.integers(0, 200, 300), rng.integers(0, 600, 300)] = 30  # specks
    page[80:110, 60:90] = page[80:110, 110:140] = 20  # two characters, ink up to column 139
    page[52, :] = 40  # the border's remnant, inside the box's top edge
    return Image.fromarray(page)


@pytest.mark.parametrize("angle", [0.8, -1.3])
def test_a_box_is_turned_bicubic_as_far_as_its_writing_and_nearest_on_the_paper_beyond(
    angle: float,
) -> None:
    page, box, margin = _written_page(), (40, 50, 500, 80), 12
    got = imaging.deskewed_writing(page, box, angle, threshold=128, margin=margin, edge=6)
    bicubic = np.asarray(imaging.deskewed_crop(page, box, angle))
    nearest = np.asarray(imaging.deskewed_crop(page, box, angle, Image.Resampling.NEAREST))
    assert got.shape == bicubic.shape
    # The writing ends near column 100 of the box (139 - 40, give or take the turn); its
    # strokes and their margin are bicubic, the rest is nearest: no speck or the border's
    # remnant moved the cut to the box's right end.
    bicubic_columns = np.flatnonzero((got == bicubic).all(axis=0) & (got != nearest).any(axis=0))
    assert 95 <= bicubic_columns.max() <= 100 + margin + 6
    cut = bicubic_columns.max() + 1
    assert np.array_equal(got[:, :cut], bicubic[:, :cut])
    assert np.array_equal(got[:, cut + 2 :], nearest[:, cut + 2 :])


def test_a_box_without_writing_is_turned_bicubic_throughout() -> None:
    page = _written_page()
    box = (200, 50, 300, 80)  # specks and the border's remnant only
    got = imaging.deskewed_writing(page, box, 0.8, threshold=128, margin=12, edge=6)
    assert np.array_equal(got, np.asarray(imaging.deskewed_crop(page, box, 0.8)))


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_window_sums_count_the_mask_pixels_around_each_pixel(radius: int) -> None:
    mask = np.random.default_rng(radius).random((23, 31)) < 0.4
    padded = np.pad(mask, radius)
    size = 2 * radius + 1
    expected = np.array(
        [
            [padded[y : y + size, x : x + size].sum() for x in range(mask.shape[1])]
            for y in range(mask.shape[0])
        ]
    )
    assert np.array_equal(imaging._window_sums(mask, radius), expected)


@pytest.mark.parametrize("shift", [(0, 0), (-20, -20), (9, 19), (-17, 5)])
def test_outlines_in_a_corner_are_found_shifted_up_to_the_page_edge(
    shift: tuple[int, int],
) -> None:
    """Only the outlines' bounding box is transformed: boxes far from the page's origin,
    pushed up to its far edges, are still found at their shift."""
    shape = (400, 300)
    boxes = [(200, 280, 90, 40), (150, 330, 140, 50)]  # within 10 px of the right and bottom
    expected = imaging.outlines(imaging.outline_mask(shape, boxes), 20)
    assert expected.fft_shape[0] < shape[0] and expected.fft_shape[1] < shape[1]
    dx, dy = shift
    page = imaging.outline_mask(shape, [(x + dx, y + dy, w, h) for x, y, w, h in boxes])
    found_dx, found_dy, score = imaging.find_shift(page, expected)
    assert (found_dx, found_dy) == shift
    assert score == pytest.approx(1.0)


def test_border_lines_are_whitened_and_a_crop_without_any_is_given_back_itself() -> None:
    crop = np.full((60, 200), 250, dtype=np.uint8)
    crop[20:40, 30:60] = 0  # writing, not a line
    assert imaging.clear_border_lines(crop) is crop  # no copy: the caller's median holds
    crop[1, :] = 0  # what is left of the box's top border
    crop[:, 197] = 10  # ... and of its right one
    cleaned = imaging.clear_border_lines(crop)
    assert cleaned is not crop and crop[1, 5] == 0  # the crop itself is left as it was
    assert (cleaned[1] == 255).all() and (cleaned[:, 197] == 255).all()
    assert (cleaned[20:40, 30:60] == 0).all()


def test_set_pixels_and_their_share_are_numpys() -> None:
    rng = np.random.default_rng(11)
    mask = rng.random((877, 620)) < 0.01
    rows, columns = imaging.coordinates(mask)
    expected = np.nonzero(mask)
    assert np.array_equal(rows, expected[0]) and np.array_equal(columns, expected[1])
    assert imaging.share(mask) == mask.mean()
    assert len(imaging.coordinates(np.zeros((3, 4), dtype=bool))[0]) == 0
