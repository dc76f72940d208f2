"""Pure image steps on grayscale numpy arrays (0 black .. 255 white): no I/O, no Tesseract.

Hand-written on numpy because the steps are small and specific: deskew by projection profile,
template alignment by cross-correlating the form's box outlines, border removal in crops.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Gray = NDArray[np.uint8]
Mask = NDArray[np.bool_]

INK_THRESHOLD = 128


def ink(image: Gray, threshold: int = INK_THRESHOLD) -> Mask:
    return image < threshold


def downscale(image: Image.Image, factor: int) -> Image.Image:
    width, height = image.size
    return image.resize((max(1, width // factor), max(1, height // factor)), Image.Resampling.BOX)


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
    """How many pixels of `mask` lie in the (2r+1)² window around each pixel."""
    size = 2 * radius + 1
    integral = np.pad(mask.astype(np.int32), ((radius + 1, radius), (radius + 1, radius)))
    integral = integral.cumsum(axis=0).cumsum(axis=1)
    return (
        integral[size:, size:]
        - integral[:-size, size:]
        - integral[size:, :-size]
        + integral[:-size, :-size]
    )


def text_ink(small: Image.Image) -> Mask:
    """The ink of `small` (75 dpi) without solid areas and their edges: a book's shadow, a
    dark scanner margin or a photo would otherwise set the skew (a band of shadow 3° off
    turned a straight page by 3°, its CER from 0 % to 5 %). Strokes of type are a pixel or two
    wide here, so only large dark areas are solid."""
    mask = ink(np.asarray(small))
    solid = _window_sums(mask, 2) >= SOLID_SHARE * 25
    near_solid = _window_sums(solid, 3) > 0
    return mask & ~near_solid


SOLID_SHARE = 0.9


def estimate_skew(small: Image.Image, limit: float = 5.0) -> float:
    """The angle (degrees, counter-clockwise) that makes text lines horizontal.

    Coarse-to-fine search of the projection profile of the text's ink; `small` is a 75 dpi
    copy of the page.
    """
    mask = text_ink(small)
    if mask.mean() < 0.002:  # a blank page has no lines to straighten
        return 0.0
    ys, xs = np.nonzero(mask)
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
    ys, xs = np.nonzero(mask)
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
    if mask.mean() < 0.002:
        return False
    return _gaps(mask.sum(axis=0)) > _gaps(mask.sum(axis=1)) + VERTICAL_MARGIN


VERTICAL_MARGIN = 0.1  # how many more empty columns than empty rows make a page vertical


def rotate(image: Image.Image, angle: float) -> Image.Image:
    if abs(angle) < 0.01:
        return image
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)


def source_point(
    point: tuple[float, float], angle: float, center: tuple[float, float]
) -> tuple[float, float]:
    """Where a point of `rotate(image, angle)` lies in `image` (rotation about `center`)."""
    radians = np.deg2rad(angle)
    cos, sin = float(np.cos(radians)), float(np.sin(radians))
    x, y = point[0] - center[0], point[1] - center[1]
    return center[0] + cos * x - sin * y, center[1] + sin * x + cos * y


def deskewed_crop(image: Image.Image, box: tuple[int, int, int, int], angle: float) -> Image.Image:
    """The region `box` (x, y, w, h) of `rotate(image, angle)`, rotating only a small patch.

    Rotating a whole 300 dpi page costs more than reading its fields, so each field's patch
    is cut a little larger from the original, turned, and trimmed to the box.
    """
    x, y, w, h = box
    if abs(angle) < 0.01:
        return image.crop((x, y, x + w, y + h))
    cx, cy = source_point((x + w / 2, y + h / 2), angle, (image.width / 2, image.height / 2))
    margin = int(np.ceil(abs(np.sin(np.deg2rad(angle))) * max(w, h))) + 4
    half_w, half_h = w / 2 + margin, h / 2 + margin
    patch = image.crop(
        (round(cx - half_w), round(cy - half_h), round(cx + half_w), round(cy + half_h))
    )
    turned = patch.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    left, top = (turned.width - w) // 2, (turned.height - h) // 2
    return turned.crop((left, top, left + w, top + h))


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


def find_shift(page_ink: Mask, expected: Mask, max_shift: int) -> tuple[int, int, float]:
    """(dx, dy, score): how far the page's ink is shifted from the expected outlines.

    Cross-correlation by FFT; `score` is the share of expected outline pixels found as ink at
    the best shift (1.0 perfect), so callers can tell a failed alignment from a good one.
    """
    height, width = expected.shape
    page = page_ink[:height, :width].astype(np.float32)
    if page.shape != expected.shape:
        padded = np.zeros(expected.shape, dtype=np.float32)
        padded[: page.shape[0], : page.shape[1]] = page
        page = padded
    template = expected.astype(np.float32)
    total = float(template.sum())
    if total == 0:
        return 0, 0, 0.0
    spectrum = np.fft.rfft2(page) * np.conj(np.fft.rfft2(template))
    correlation = np.fft.irfft2(spectrum, s=expected.shape)
    # Only plausible shifts, within max_shift each way: negative shifts wrap around, so roll
    # them to the front and look at the (2m+1)^2 window.
    m = max_shift
    window = np.roll(correlation, (m, m), axis=(0, 1))[: 2 * m + 1, : 2 * m + 1]
    iy, ix = np.unravel_index(int(np.argmax(window)), window.shape)
    return int(ix) - m, int(iy) - m, float(window[iy, ix]) / total


def clear_border_lines(crop: Gray, fill: float = 0.6) -> Gray:
    """Whiten rows and columns that are mostly ink: remnants of the printed box border."""
    mask = ink(crop)
    cleaned = crop.copy()
    if mask.size == 0:
        return cleaned
    rows = mask.mean(axis=1) > fill
    cols = mask.mean(axis=0) > fill
    cleaned[rows, :] = 255
    cleaned[:, cols] = 255
    return cleaned


def ink_ratio(crop: Gray) -> float:
    return float(ink(crop).mean()) if crop.size else 0.0


def despeckle(crop: Gray) -> Gray:
    """A 3x3 median: removes isolated specks that Tesseract reads as dots, keeps strokes."""
    return median3(crop)


def whiten_paper(crop: Gray, paper: int, darkest: int, threshold: int) -> Gray:
    """White paper and black ink: a dark, faded or grainy scan as the engine reads best.

    Levels are stretched so the darkest ink becomes 0 and the paper 255, and everything
    lighter than the ink threshold (grain, a tinted background) is set to white.
    """
    span = max(paper - darkest, 1)
    stretched = np.clip((crop.astype(np.float32) - darkest) * (255.0 / span), 0, 255)
    return np.where(crop >= threshold, 255, stretched).astype(np.uint8)


# Smith's 19-exchange network for the median of nine values (each pair: min first).
_MEDIAN9 = (
    (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3),
    (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
)  # fmt: skip


def median3(page: Gray) -> Gray:
    """A 3x3 median, the same values as PIL's MedianFilter(3) inside the page, in a quarter
    of its time: a sorting network over nine shifted views (element-wise min and max)."""
    padded = np.pad(page, 1, mode="edge")
    height, width = page.shape
    values = [padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)]
    for low, high in _MEDIAN9:
        a, b = values[low], values[high]
        values[low], values[high] = np.minimum(a, b), np.maximum(a, b)
    return values[4]


def pad(crop: Gray, margin: int) -> Gray:
    return np.pad(crop, margin, mode="constant", constant_values=255)
