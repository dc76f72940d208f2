"""Pure image steps on grayscale numpy arrays (0 black .. 255 white): no I/O, no Tesseract.

Hand-written on numpy because the steps are small and specific: deskew by projection profile,
template alignment by cross-correlating the form's box outlines, border removal in crops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Gray = NDArray[np.uint8]
Mask = NDArray[np.bool_]

INK_THRESHOLD = 128


def ink(image: Gray, threshold: int = INK_THRESHOLD) -> Mask:
    return image < threshold


def share(mask: Mask) -> float:
    """The share of `mask` that is set: `mask.mean()`, the same value, without widening every
    pixel to a float first (0.3 ms on a 75 dpi page)."""
    return np.count_nonzero(mask) / mask.size if mask.size else float("nan")


def coordinates(mask: Mask) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The rows and columns of the set pixels of a 2-D `mask`, in the order `np.nonzero`
    gives them, in a tenth of its time (0.76 -> 0.06 ms on a 75 dpi page)."""
    rows, columns = np.divmod(np.flatnonzero(mask), mask.shape[1])
    return rows, columns


def downscale(image: Image.Image, factor: int) -> Image.Image:
    """Each `factor` x `factor` block averaged to one pixel (a partial block at the right or
    bottom edge is dropped): small pixel (x, y) is exactly the block at (factor x, factor y).
    `reduce` does it in a tenth of the time of a BOX `resize`."""
    width, height = image.size
    if width < factor or height < factor:  # smaller than one block: one pixel per side
        return image.resize(
            (max(1, width // factor), max(1, height // factor)), Image.Resampling.BOX
        )
    whole = (width - width % factor, height - height % factor)
    if whole != image.size:
        image = image.crop((0, 0, *whole))
    return image.reduce(factor)


def every_other(image: Image.Image) -> Image.Image:
    """Every other pixel of every other row, `np.asarray(image)[::2, ::2]` as an image, taken
    without copying the whole image into numpy first (an A4 page at 300 dpi: 3.3 ms). Pillow's
    nearest-pixel transform samples output pixel x at 2 (x + 0.5) - 0.5 = 2x + 0.5, which it
    truncates to 2x."""
    width, height = image.size
    return image.transform(
        ((width + 1) // 2, (height + 1) // 2),
        Image.Transform.AFFINE,
        (2, 0, -0.5, 0, 2, -0.5),
        Image.Resampling.NEAREST,
    )


def _profile_score(points: tuple[NDArray[np.float64], NDArray[np.float64]], angle: float) -> float:
    """Sharpness of the horizontal projection of the ink turned by `angle` degrees
    (counter-clockwise, as `Image.rotate`): the ink's points are projected, not the image
    turned, so each angle costs a bincount of the ink pixels rather than a rotation."""
    xs, ys = points
    radians = np.deg2rad(angle)
    rows = np.floor(ys * np.cos(radians) - xs * np.sin(radians) + 0.5).astype(np.int64)
    profile = np.bincount(rows - rows.min()).astype(np.float64)
    return float(np.square(np.diff(profile)).sum())


def _window_sums(mask: Mask, radius: int) -> NDArray[np.int32]:
    """How many pixels of `mask` lie in the (2r+1)² window around each pixel: a sum of
    shifted views, rows then columns, in int16 (a window of a few pixels never overflows it),
    ten times faster than an int32 integral image on a page."""
    size = 2 * radius + 1
    height, width = mask.shape
    padded = np.pad(mask.astype(np.int16), radius)
    rows = padded[:height].copy()
    for dy in range(1, size):
        rows += padded[dy : dy + height]
    sums = rows[:, :width].copy()
    for dx in range(1, size):
        sums += rows[:, dx : dx + width]
    return sums.astype(np.int32)


def text_ink(small: Image.Image) -> Mask:
    """The ink of `small` (75 dpi) without solid areas and their edges: a book's shadow, a
    dark scanner margin or a photo would otherwise set the skew (a band of shadow 3° off
    turned a straight page by 3°, its CER from 0 % to 5 %). Strokes of type are a pixel or two
    wide here, so only large dark areas are solid."""
    mask = ink(np.asarray(small))
    solid = _window_sums(mask, 2) >= SOLID_SHARE * 25
    if not solid.any():  # most pages: nothing to take away
        return mask
    near_solid = _window_sums(solid, 3) > 0
    return mask & ~near_solid


SOLID_SHARE = 0.9


def estimate_skew(small: Image.Image, limit: float = 5.0) -> float:
    """The angle (degrees, counter-clockwise) that makes text lines horizontal.

    Coarse-to-fine search of the projection profile of the text's ink; `small` is a 75 dpi
    copy of the page.
    """
    mask = text_ink(small)
    if share(mask) < 0.002:  # a blank page has no lines to straighten
        return 0.0
    ys, xs = coordinates(mask)
    height, width = mask.shape
    points = (xs - width // 2 + 0.0, ys - height // 2 + 0.0)
    best = 0.0
    for step, span in ((0.5, limit), (0.05, 0.25)):
        candidates = np.arange(best - span, best + span + step / 2, step)
        best = float(max(candidates, key=lambda a: _profile_score(points, float(a))))
    return round(best, 2)


def line_height(small: Image.Image, angle: float) -> float:
    """The median height of the page's text lines, in `small`'s pixels, measured across the
    lines once turned by `angle` (0.0 when the page has no lines)."""
    mask = ink(np.asarray(small))
    ys, xs = coordinates(mask)
    if len(ys) == 0:
        return 0.0
    height, width = mask.shape
    radians = np.deg2rad(angle)
    rows = np.floor(
        (ys - height // 2) * np.cos(radians) - (xs - width // 2) * np.sin(radians) + 0.5
    ).astype(np.int64)
    inked = np.bincount(rows - rows.min()) > 0
    edges = np.diff(np.concatenate(([0], inked.astype(np.int8), [0])))
    runs = np.nonzero(edges == -1)[0] - np.nonzero(edges == 1)[0]
    return float(np.median(runs))


def _gaps(counts: NDArray[np.int64]) -> float:
    """Share of empty lines between the first and the last inked one."""
    inked = np.nonzero(counts)[0]
    if len(inked) < 2:
        return 0.0
    span = counts[inked[0] : inked[-1] + 1]
    return float((span == 0).mean())


def is_vertical(small: Image.Image) -> bool:
    """Whether the page's text runs top to bottom (縦書き), from the gaps between its lines.

    Lines of text leave blank strips between them: across 横書き many rows of pixels are
    empty and hardly any column is; across 縦書き the reverse. `small` is a 75 dpi copy.
    """
    mask = ink(np.asarray(small))
    if share(mask) < 0.002:
        return False
    return _gaps(mask.sum(axis=0)) > _gaps(mask.sum(axis=1)) + VERTICAL_MARGIN


VERTICAL_MARGIN = 0.1  # how many more empty columns than empty rows make a page vertical


def rotate(
    image: Image.Image, angle: float, resample: Image.Resampling = Image.Resampling.BICUBIC
) -> Image.Image:
    if abs(angle) < 0.01:
        return image
    return image.rotate(angle, resample=resample, fillcolor=255)


def source_point(
    point: tuple[float, float], angle: float, center: tuple[float, float]
) -> tuple[float, float]:
    """Where a point of `rotate(image, angle)` lies in `image` (rotation about `center`)."""
    radians = np.deg2rad(angle)
    cos, sin = float(np.cos(radians)), float(np.sin(radians))
    x, y = point[0] - center[0], point[1] - center[1]
    return center[0] + cos * x - sin * y, center[1] + sin * x + cos * y


def deskewed_crop(
    image: Image.Image,
    box: tuple[int, int, int, int],
    angle: float,
    resample: Image.Resampling = Image.Resampling.BICUBIC,
    width: int | None = None,
) -> Image.Image:
    """The region `box` (x, y, w, h) of `rotate(image, angle)`, rotating only a small patch.

    Rotating a whole 300 dpi page costs more than reading its fields, so each field's patch
    is cut a little larger from the original, turned, and trimmed to the box. Cut, turn and
    trim are one affine transform that computes only the box's pixels (the same pixels as
    turning the whole patch, in a third less time). Given `width`, only the box's first
    `width` columns, the very pixels they have in the whole box.
    """
    x, y, w, h = box
    kept = w if width is None else min(width, w)
    if abs(angle) < 0.01:
        return image.crop((x, y, x + kept, y + h))
    cx, cy = source_point((x + w / 2, y + h / 2), angle, (image.width / 2, image.height / 2))
    margin = int(np.ceil(abs(np.sin(np.deg2rad(angle))) * max(w, h))) + 4
    half_w, half_h = w / 2 + margin, h / 2 + margin
    left, top = round(cx - half_w), round(cy - half_h)
    width, height = round(cx + half_w) - left, round(cy + half_h) - top
    if left < 0 or top < 0 or left + width > image.width or top + height > image.height:
        # Past the page's edge a cut patch is black (PIL's crop), as it always was here.
        patch = image.crop((left, top, left + width, top + height))
        turned = patch.rotate(angle, resample=resample, fillcolor=255)
        inset_x, inset_y = (width - w) // 2, (height - h) // 2
        return turned.crop((inset_x, inset_y, inset_x + kept, inset_y + h))
    # Output pixel (u, v) is pixel (u + inset_x, v + inset_y) of the turned patch, which
    # `Image.rotate` turns about the patch's centre; the patch starts at (left, top).
    inset_x, inset_y = (width - w) // 2, (height - h) // 2
    radians = np.deg2rad(angle)
    cos, sin = float(np.cos(radians)), float(np.sin(radians))
    px, py = inset_x - width / 2, inset_y - height / 2
    matrix = (
        cos,
        -sin,
        left + width / 2 + cos * px - sin * py,
        sin,
        cos,
        top + height / 2 + sin * px + cos * py,
    )
    return image.transform((kept, h), Image.Transform.AFFINE, matrix, resample, fillcolor=255)


def deskewed_writing(
    image: Image.Image,
    box: tuple[int, int, int, int],
    angle: float,
    threshold: int,
    margin: int,
    edge: int,
) -> Gray:
    """`deskewed_crop` of `box`, its pixels turned bicubic from the left to `margin` columns
    past the last one with ink, and nearest (a twentieth of the cost) on the bare paper
    beyond, which most of a box is (a short name in a long one).

    Ink here is a 2 x 2 square darker than `threshold` (a speck is one pixel) away from the
    top and bottom `edge` rows (where the border's remnants lie). A box without any is
    turned bicubic throughout: blank or not is decided on the pixels it always was.
    """
    nearest = np.array(deskewed_crop(image, box, angle, Image.Resampling.NEAREST))
    dark = nearest < threshold
    strokes = dark[:-1, :-1] & dark[1:, :-1] & dark[:-1, 1:] & dark[1:, 1:]
    strokes[:edge] = False
    strokes[max(strokes.shape[0] - edge, 0) :] = False
    columns = np.flatnonzero(strokes.any(axis=0))
    width = int(columns[-1]) + 2 + margin if len(columns) else box[2]
    if width >= box[2]:
        return np.asarray(deskewed_crop(image, box, angle))
    nearest[:, :width] = np.asarray(deskewed_crop(image, box, angle, width=width))
    return nearest


def outline_mask(
    shape: tuple[int, int], boxes_px: list[tuple[int, int, int, int]], thickness: int = 1
) -> Mask:
    """Where the template's box borders would be printed, at the given pixel scale."""
    mask = np.zeros(shape, dtype=bool)
    height, width = shape
    for x, y, w, h in boxes_px:
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, width - 1), min(y + h, height - 1)
        if x1 <= x0 or y1 <= y0:
            continue
        mask[y0 : y0 + thickness, x0:x1] = True
        mask[max(y1 - thickness, 0) : y1, x0:x1] = True
        mask[y0:y1, x0 : x0 + thickness] = True
        mask[y0:y1, max(x1 - thickness, 0) : x1] = True
    return mask


def fast_length(n: int) -> int:
    """The smallest length >= n whose only prime factors are 2, 3 and 5: an FFT of 877 rows
    (a prime) took several times longer than one of 900."""
    length = n
    while True:
        rest = length
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return length
        length += 1


@dataclass(frozen=True)
class Outlines:
    """A template's box outlines, transformed once for `find_shift` (every page of a template
    is matched against the same outlines)."""

    shape: tuple[int, int]
    spectrum: NDArray[np.complex128]  # conjugate FFT of the outlines' bounding box
    fft_shape: tuple[int, int]
    total: float  # outline pixels
    max_shift: int
    origin: tuple[int, int] = (0, 0)  # (y, x) of the outlines' bounding box in the page
    extent: tuple[int, int] = (0, 0)  # (height, width) of that box


def outlines(expected: Mask, max_shift: int) -> Outlines:
    """Only the outlines' bounding box is transformed: page ink farther from it than the
    largest shift never meets an outline, so the FFT covers the boxes, not the whole page
    (a form's boxes fill a third of A4: the FFT took three times as long)."""
    height, width = expected.shape
    ys, xs = np.nonzero(expected)
    if len(ys) == 0:
        return Outlines((height, width), np.zeros((1, 1), np.complex128), (1, 1), 0.0, max_shift)
    y0, x0 = int(ys.min()), int(xs.min())
    box_h, box_w = int(ys.max()) + 1 - y0, int(xs.max()) + 1 - x0
    # The page's window is the box widened by the largest shift on every side: an FFT of
    # that size never wraps a shifted outline onto the other edge.
    fft_shape = (fast_length(box_h + 2 * max_shift), fast_length(box_w + 2 * max_shift))
    template = expected[y0 : y0 + box_h, x0 : x0 + box_w].astype(np.float32)
    spectrum = np.conj(np.fft.rfft2(template, s=fft_shape))
    return Outlines(
        (height, width),
        spectrum,
        fft_shape,
        float(template.sum()),
        max_shift,
        (y0, x0),
        (box_h, box_w),
    )


def find_shift(page_ink: Mask, expected: Outlines) -> tuple[int, int, float]:
    """(dx, dy, score): how far the page's ink is shifted from the expected outlines.

    Cross-correlation by FFT; `score` is the share of expected outline pixels found as ink at
    the best shift (1.0 perfect), so callers can tell a failed alignment from a good one.
    """
    if expected.total == 0:
        return 0, 0, 0.0
    height, width = expected.shape
    m = expected.max_shift
    (y0, x0), (box_h, box_w) = expected.origin, expected.extent
    # The page's ink from the box's corner less m to its far corner plus m; outside the
    # page (or past the template's size) there is none.
    window_ink = np.zeros((box_h + 2 * m, box_w + 2 * m), dtype=np.float32)
    page = page_ink[:height, :width]
    top, left = y0 - m, x0 - m
    src_y0, src_x0 = max(top, 0), max(left, 0)
    src_y1 = min(top + box_h + 2 * m, page.shape[0])
    src_x1 = min(left + box_w + 2 * m, page.shape[1])
    if src_y1 > src_y0 and src_x1 > src_x0:
        window_ink[src_y0 - top : src_y1 - top, src_x0 - left : src_x1 - left] = page[
            src_y0:src_y1, src_x0:src_x1
        ]
    correlation = np.fft.irfft2(
        np.fft.rfft2(window_ink, s=expected.fft_shape) * expected.spectrum, s=expected.fft_shape
    )
    # Entry (k, l) matches the outlines against the ink k - m rows and l - m columns on.
    window = correlation[: 2 * m + 1, : 2 * m + 1]
    iy, ix = np.unravel_index(int(np.argmax(window)), window.shape)
    return int(ix) - m, int(iy) - m, float(window[iy, ix]) / expected.total


def clear_border_lines(crop: Gray, fill: float = 0.6) -> Gray:
    """Whiten rows and columns that are mostly ink: remnants of the printed box border.
    A crop without any is returned itself, not a copy (callers can tell, and skip work)."""
    mask = ink(crop)
    if mask.size == 0:
        return crop
    rows = mask.mean(axis=1) > fill
    cols = mask.mean(axis=0) > fill
    if not rows.any() and not cols.any():
        return crop
    cleaned = crop.copy()
    cleaned[rows, :] = 255
    cleaned[:, cols] = 255
    return cleaned


def ink_ratio(crop: Gray) -> float:
    return share(ink(crop)) if crop.size else 0.0


def despeckle(crop: Gray) -> Gray:
    """A 3x3 median: removes isolated specks that Tesseract reads as dots, keeps strokes."""
    return median3(crop)


def whiten_paper(crop: Gray, paper: int, darkest: int, grain: float) -> Gray:
    """White paper and black ink: a dark, faded or grainy scan as the engine reads best.

    Levels are stretched so the darkest ink becomes 0 and the paper 255; what lies within
    the paper's own grain (PAPER_GRAIN_SIGMAS of it) becomes white. Everything darker keeps
    its gray: the thin strokes of a Mincho face, faded, are lighter than the ink threshold,
    and cutting there erased them (日 read as "H", 丁 as "」").
    """
    span = max(paper - darkest, 1)
    stretched = np.clip((crop.astype(np.float32) - darkest) * (255.0 / span), 0, 255)
    paper_cut = paper - PAPER_GRAIN_SIGMAS * grain
    return np.where(crop >= paper_cut, 255, stretched).astype(np.uint8)


PAPER_GRAIN_SIGMAS = 3.0


def median3(page: Gray) -> Gray:
    """A 3x3 median, the same values as PIL's MedianFilter(3) inside the page, in a tenth of
    its time. Each column of three is sorted once (three neighbouring windows share it); a
    window's median is then the median of its columns' largest low, middle median and
    smallest high, which is exactly the median of its nine: 18 element-wise min and max
    passes over the page, where a sorting network of the nine took 38 (half the time)."""
    padded = np.pad(page, 1, mode="edge")
    above, level, below = padded[:-2], padded[1:-1], padded[2:]
    low, high = np.minimum(above, level), np.maximum(above, level)
    between = np.minimum(high, below)
    high = np.maximum(high, below)
    middle, low = np.maximum(low, between), np.minimum(low, between)
    lows = np.maximum(np.maximum(low[:, :-2], low[:, 1:-1]), low[:, 2:])
    highs = np.minimum(np.minimum(high[:, :-2], high[:, 1:-1]), high[:, 2:])
    middles = _median_of_three(middle[:, :-2], middle[:, 1:-1], middle[:, 2:])
    return _median_of_three(lows, middles, highs)


def _median_of_three(a: Gray, b: Gray, c: Gray) -> Gray:
    return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))


def pad(crop: Gray, margin: int) -> Gray:
    return np.pad(crop, margin, mode="constant", constant_values=255)
