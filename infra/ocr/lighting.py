"""Phone photos: a page's grey taken from the colour that keeps its ink, and its lighting
evened out, each only when the page itself needs it.

Pure steps on a page just decoded, before every other step (numpy and Pillow only):

- `to_gray(image)`: a colour page's grey. Luminance, unless the page is printed on tinted
  paper or a coloured form background; then the brightest of the three channels at each pixel,
  which is the paper's own light whatever its tint, while black ink stays dark in all three.
- `even_light(gray)`: a page lit unevenly (a shadow, light falling off across it) divided by
  its own paper, so the paper is white everywhere; a page lit evenly is returned as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Gray = NDArray[np.uint8]

# --- colour -----------------------------------------------------------------------------------

COLOUR_SAMPLE_STEP = 4  # every fourth pixel each way tells the page's colours as well
PAPER_SHARE = 0.75  # the paper's level: this quantile of a channel (most of a page is paper)
INK_SHARE = 0.005  # the ink's level: the darkest half percent
# How much more paper-to-ink contrast the brightest channel must give than luminance before
# it is taken: on white paper the two differ only by noise, and luminance is what the page's
# other steps were tuned on.
CHANNEL_GAIN = 1.1


@dataclass(frozen=True)
class Grey:
    """Which grey a colour page was read in, and the paper-to-ink contrast of each."""

    chosen: str  # "luminance" or "brightest"
    luminance_contrast: float
    brightest_contrast: float


def _contrast(values: NDArray[np.uint8]) -> float:
    paper, ink = np.quantile(values, (PAPER_SHARE, INK_SHARE))
    return float(paper - ink)


def choose_grey(rgb: NDArray[np.uint8]) -> Grey:
    """Luminance or the brightest channel, whichever separates this page's paper from its
    ink better (`rgb`: (h, w, 3), a sample of the page is enough)."""
    luminance = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    brightest = rgb.max(axis=2)
    plain, bright = _contrast(luminance), _contrast(brightest)
    chosen = "brightest" if bright > CHANNEL_GAIN * plain else "luminance"
    return Grey(chosen, plain, bright)


def in_grey(rgb: Image.Image, grey: Grey) -> Image.Image:
    """`rgb` in the grey `grey` chose."""
    if grey.chosen == "luminance":
        return rgb.convert("L")
    red, green, blue = rgb.split()
    brightest = np.maximum(np.maximum(np.asarray(red), np.asarray(green)), np.asarray(blue))
    return Image.fromarray(brightest)


def to_gray(image: Image.Image) -> tuple[Image.Image, Grey | None]:
    """The page in 8-bit grey, and the choice made for a colour page (None: it was grey)."""
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("L"), None
    rgb = image.convert("RGB")
    sample = np.asarray(rgb)[::COLOUR_SAMPLE_STEP, ::COLOUR_SAMPLE_STEP]
    grey = choose_grey(np.ascontiguousarray(sample))
    return in_grey(rgb, grey), grey


# --- light ------------------------------------------------------------------------------------

BLOCK = 16  # the paper is estimated on 16 x 16 blocks: 1.35 mm at 300 dpi, wider than a stroke
MEAN_SIZE = 4  # ... each the brightest of its 4 x 4 means
CLOSING = 5  # ... then dark areas up to 5 blocks across (type, rules, a logo) are closed over
# Spread of the paper's light: 1 - (dark quantile / bright quantile) of the estimated paper.
# Quantiles, not the extremes: a dark margin, a photo or a black band printed on a few percent
# of the page is content, not lighting.
LIGHT_LOW, LIGHT_HIGH = 0.1, 0.9
# Fitted on the tuning set (`python -m bench.ocr_photos`: 3 pages of tests/ocr/corpus.py under
# one shadow of growing depth, read with the step forced off and on): at a spread of 0.05
# skipping the step cost nothing (0.54 % either way), at 0.10 it cost 0.8 points (1.32 vs
# 0.54 %), at 0.15 2.6, at 0.20 6.6; the threshold sits halfway between. Evenly lit pages
# measure at most 0.001 (tuning scans and forms) and 0.005 (report scans, forms, tables).
UNEVEN_SPREAD = 0.075


@dataclass(frozen=True)
class Light:
    spread: float  # 0: the paper is equally bright everywhere
    flattened: bool  # the page was divided by its paper


def _sliding(small: NDArray[np.uint8], size: int, pick: np.ufunc) -> NDArray[np.uint8]:
    """The max (or min) over each `size` x `size` window, edges repeated: separable, on
    shifted views (Pillow's MaxFilter took 19 ms on a 155 x 219 image, this well under 1)."""
    half = size // 2
    out = np.pad(small, half, mode="edge")
    height, width = small.shape
    rows = out[0:height]
    for dy in range(1, size):
        rows = pick(rows, out[dy : dy + height])
    result = rows[:, 0:width]
    for dx in range(1, size):
        result = pick(result, rows[:, dx : dx + width])
    return np.asarray(result, dtype=np.uint8)


def _block_max(means: NDArray[np.uint8], step: int) -> NDArray[np.uint8]:
    """The brightest of each `step` x `step` block (strided views: a reshaped max was 10x
    slower)."""
    rows = means[0::step]
    for dy in range(1, step):
        rows = np.maximum(rows, means[dy::step])
    blocks = rows[:, 0::step]
    for dx in range(1, step):
        blocks = np.maximum(blocks, rows[:, dx::step])
    return blocks


def paper_light(image: Image.Image, means: Image.Image | None = None) -> NDArray[np.float32]:
    """The paper's brightness across the page ("L") at 1/BLOCK of its size: the block's
    brightest MEAN_SIZE x MEAN_SIZE mean (strokes fall out, the sensor's noise is averaged),
    then a closing that fills larger dark areas of type. `means`: the page already averaged
    over MEAN_SIZE x MEAN_SIZE squares (`imaging.downscale(image, MEAN_SIZE)`), when the
    caller has it: the same values, not made a second time.

    Last, one block's erosion: where the light changes sharply (the edge of a coloured band,
    a hard shadow) the upscaled estimate ramps across a block, and that ramp must lie on the
    bright side, where dividing by too dark a paper only whitens paper. On the dark side it
    left a grey line that was read as a row of dashes and took the next line's text with it."""
    width, height = image.size
    if height < BLOCK or width < BLOCK:
        return np.full((1, 1), float(np.asarray(image).max(initial=255)), dtype=np.float32)
    box = (0, 0, width - width % BLOCK, height - height % BLOCK)
    if means is None:
        averaged = np.asarray(image.reduce(MEAN_SIZE, box))
    else:
        averaged = np.asarray(means)[: box[3] // MEAN_SIZE, : box[2] // MEAN_SIZE]
    blocks = _block_max(averaged, BLOCK // MEAN_SIZE)
    closed = _sliding(_sliding(blocks, CLOSING, np.maximum), CLOSING, np.minimum)
    return _sliding(closed, 3, np.minimum).astype(np.float32)


def light_spread(paper: NDArray[np.float32]) -> float:
    dark, bright = np.quantile(paper, (LIGHT_LOW, LIGHT_HIGH))
    return float(1.0 - dark / bright) if bright > 0 else 0.0


def even_light(
    image: Image.Image, threshold: float | None = None, means: Image.Image | None = None
) -> tuple[Image.Image, Light]:
    """`image` ("L") with its paper made equally bright, when its light spreads by more than
    `threshold` (default UNEVEN_SPREAD, read at each call so the fit can vary it); otherwise
    `image` itself, untouched. `means` as for `paper_light`."""
    threshold = UNEVEN_SPREAD if threshold is None else threshold
    paper = paper_light(image, means)
    spread = light_spread(paper)
    if spread <= threshold:
        return image, Light(spread, flattened=False)
    page = np.asarray(image)
    full = Image.fromarray(np.maximum(paper, 1.0), "F").resize(
        image.size, Image.Resampling.BILINEAR
    )
    flat = page.astype(np.float32) * (255.0 / np.asarray(full, dtype=np.float32))
    return Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8)), Light(spread, flattened=True)
