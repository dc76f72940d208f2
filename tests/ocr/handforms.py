"""Handwritten forms made from a template: characters pasted into comb cells, circled options,
ticks, and the things that are not marks (a stray dot, a line grazing a border), with a scan look.

The characters come from a `CellWriter` (a function drawing one character in a white cell of
a given size): the tests use a committed sample of held-out MNIST digits, `make bench` the
whole held-out split and KanjiVG kana drawn with pens outside the training ranges. Seeded:
the same seed gives the same page.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from schemas.forms import FormField, FormTemplate
from tests.ocr.corpus import A4_PX, EXAMPLES, font, mm, scan_look

CellWriter = Callable[[str, int, random.Random], NDArray[np.uint8]]  # char, cell px -> gray
DATA = Path(__file__).with_name("data")
MNIST_SAMPLE = DATA / "mnist-heldout-sample.npz"

MarkKind = str  # "circle", "tick", "cross", "dot", "graze", "none"


@dataclass
class HandForm:
    """What was written where (the truth) and the clean page before the scan look."""

    values: dict[str, str | list[str] | bool | None] = field(default_factory=dict)
    marks: dict[str, MarkKind] = field(default_factory=dict)  # per checkbox or option area


def mnist_sample() -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The committed held-out MNIST sample (see data/LICENSE-mnist)."""
    with np.load(MNIST_SAMPLE) as data:
        return data["images"].astype(np.float32) / 255.0, data["labels"].astype(np.int64)


def mnist_writer(images: NDArray[np.float32], labels: NDArray[np.int64]) -> CellWriter:
    """Digits from the given MNIST images, each used in turn for its class."""
    by_digit = {
        d: [img for img, lab in zip(images, labels, strict=True) if lab == d] for d in range(10)
    }
    used = dict.fromkeys(range(10), 0)

    def write(char: str, cell: int, rng: random.Random) -> NDArray[np.uint8]:
        digit = int(char)
        pool = by_digit[digit]
        image = pool[used[digit] % len(pool)]
        used[digit] += 1
        rows = np.flatnonzero(image.max(axis=1) > 0.2)
        cols = np.flatnonzero(image.max(axis=0) > 0.2)
        glyph = Image.fromarray(
            (image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * 255).astype(np.uint8)
        )
        size = rng.uniform(0.6, 0.85) * cell
        scale = size / max(glyph.size)
        glyph = glyph.resize(
            (max(round(glyph.width * scale), 1), max(round(glyph.height * scale), 1)),
            Image.Resampling.BICUBIC,
        )
        out = Image.new("L", (cell, cell), 0)
        out.paste(
            glyph,
            (
                round(rng.uniform(0.25, 0.75) * (cell - glyph.width)),
                round(rng.uniform(0.25, 0.75) * (cell - glyph.height)),
            ),
        )
        return 255 - np.asarray(out)

    return write


def load_template(name: str = "tegaki-v1") -> FormTemplate:
    return FormTemplate.model_validate_json((EXAMPLES / f"{name}.json").read_text("utf-8"))


def _wobbly(
    points: list[tuple[float, float]], rng: random.Random, amount: float
) -> list[tuple[float, float]]:
    phase, frequency = rng.uniform(0, 2 * math.pi), rng.uniform(1, 3)
    count = len(points)
    return [
        (
            x + amount * math.sin(phase + frequency * 2 * math.pi * i / count),
            y + amount * math.cos(phase + frequency * 2 * math.pi * i / count),
        )
        for i, (x, y) in enumerate(points)
    ]


def draw_mark(
    draw: ImageDraw.ImageDraw,
    kind: MarkKind,
    box_mm: tuple[float, float, float, float],
    rng: random.Random,
    pen_mm: tuple[float, float] = (0.3, 0.7),
    inside: bool = False,
) -> None:
    """A hand mark in (or around) an area given in mm: what a resident might do to it.
    `inside`: a printed box, whose circle is drawn within it rather than around it."""
    x, y, w, h = box_mm
    width = max(mm(rng.uniform(*pen_mm)), 2)
    cx, cy = x + w / 2 + rng.uniform(-0.8, 0.8), y + h / 2 + rng.uniform(-0.6, 0.6)
    if kind == "circle":  # a loop around the label, often not closed or overshooting
        spread = (0.5, 0.75) if inside else (0.8, 0.98)
        rx, ry = w / 2 * rng.uniform(*spread), h / 2 * rng.uniform(*spread)
        start = rng.uniform(0, 2 * math.pi)
        sweep = rng.uniform(1.9, 2.15) * math.pi
        tilt = rng.uniform(-0.2, 0.2)
        points = []
        for i in range(80):
            t = start + sweep * i / 79
            px, py = rx * math.cos(t), ry * math.sin(t)
            points.append(
                (
                    cx + px * math.cos(tilt) - py * math.sin(tilt),
                    cy + px * math.sin(tilt) + py * math.cos(tilt),
                )
            )
        points = _wobbly(points, rng, rng.uniform(0.0, 0.4))
        draw.line([(mm(px), mm(py)) for px, py in points], fill=0, width=width, joint="curve")
    elif kind == "tick":
        size = min(w, h) * rng.uniform(0.6, 0.85)
        a = (cx - size * 0.45, cy)
        b = (cx - size * 0.1, cy + size * 0.4)
        c = (cx + size * 0.5, cy - size * 0.5)
        draw.line([(mm(p[0]), mm(p[1])) for p in (a, b, c)], fill=0, width=width, joint="curve")
    elif kind == "cross":
        size = min(w, h) * rng.uniform(0.55, 0.8) / 2
        for sign in (1, -1):
            draw.line(
                (mm(cx - size), mm(cy - sign * size), mm(cx + size), mm(cy + sign * size)),
                fill=0,
                width=width,
            )
    elif kind == "dot":  # a pen resting for a moment somewhere in the area
        dx, dy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        radius = mm(rng.uniform(0.3, 0.5))
        draw.ellipse(
            (mm(x + dx) - radius, mm(y + dy) - radius, mm(x + dx) + radius, mm(y + dy) + radius),
            fill=0,
        )
    elif kind == "graze":  # a stroke running along one edge, just touching it
        edge = rng.choice("tblr")
        offset = rng.uniform(-0.3, 0.3)
        length = rng.uniform(0.5, 0.9)
        if edge in "tb":
            yy = (y if edge == "t" else y + h) + offset
            draw.line(
                (mm(x + w * (1 - length) / 2), mm(yy), mm(x + w * (1 + length) / 2), mm(yy)),
                fill=0,
                width=width,
            )
        else:
            xx = (x if edge == "l" else x + w) + offset
            draw.line(
                (mm(xx), mm(y + h * (1 - length) / 2), mm(xx), mm(y + h * (1 + length) / 2)),
                fill=0,
                width=width,
            )


def _print_field(draw: ImageDraw.ImageDraw, spec: FormField) -> None:
    x, y, w, h = spec.box_mm
    label = font(3.2)
    if spec.kind == "checkbox":
        draw.rectangle((mm(x), mm(y), mm(x + w), mm(y + h)), outline=0, width=3)
        draw.text((mm(x + w + 2), mm(y + h / 2 - 1.6)), spec.label, font=label, fill=0)
        return
    draw.text((mm(x), mm(y - 5)), spec.label, font=label, fill=0)
    if spec.kind == "choice":
        draw.rectangle((mm(x), mm(y), mm(x + w), mm(y + h)), outline=0, width=3)
        for option in spec.options:
            ox, oy, ow, oh = option.box_mm
            text = font(3.6)
            left, top, right, bottom = draw.textbbox((0, 0), option.value, font=text)
            draw.text(
                (
                    mm(ox + ow / 2) - (right - left) / 2 - left,
                    mm(oy + oh / 2) - (bottom - top) / 2 - top,
                ),
                option.value,
                font=text,
                fill=0,
            )
        return
    draw.rectangle((mm(x), mm(y), mm(x + w), mm(y + h)), outline=0, width=3)
    for i in range(1, spec.cells or 0):
        cx = mm(x + w * i / (spec.cells or 1))
        draw.line((cx, mm(y), cx, mm(y + h)), fill=0, width=2)


def print_form(template: FormTemplate) -> Image.Image:
    """The blank form as printed."""
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    draw.text((mm(20), mm(15)), template.name, font=font(6.0), fill=0)
    for spec in template.fields:
        _print_field(draw, spec)
    return page


def write_cells(
    page: Image.Image, spec: FormField, text: str, writer: CellWriter, rng: random.Random
) -> None:
    """`text` into the comb, one character a cell ("" or " ": leave the cell empty)."""
    x, y, w, h = spec.box_mm
    cells = spec.cells or 1
    step = w / cells
    side = mm(min(step, h)) - 4
    for i, char in enumerate(text[:cells]):
        if not char.strip():
            continue
        gray = writer(char, side, rng)
        left = mm(x + i * step) + (mm(step) - side) // 2 + rng.randint(-2, 2)
        top = mm(y) + (mm(h) - side) // 2 + rng.randint(-2, 2)
        region = np.asarray(page.crop((left, top, left + side, top + side)))
        page.paste(Image.fromarray(np.minimum(region, gray)), (left, top))


def fill(
    template: FormTemplate,
    texts: dict[str, str],
    marks: dict[str, MarkKind],
    writer: CellWriter,
    seed: int,
    look: bool = True,
) -> Image.Image:
    """The printed form with `texts` in its combs and `marks` (keyed by field, or
    `field/option`) drawn by hand, then scanned."""
    rng = random.Random(seed)
    page = print_form(template)
    for spec in template.fields:
        if spec.name in texts and spec.cells:
            write_cells(page, spec, texts[spec.name], writer, rng)
    draw = ImageDraw.Draw(page)
    for spec in template.fields:
        if spec.kind == "checkbox" and spec.name in marks:
            draw_mark(draw, marks[spec.name], spec.box_mm, rng, inside=True)
        for option in spec.options:
            key = f"{spec.name}/{option.value}"
            if key in marks:
                draw_mark(draw, marks[key], option.box_mm, rng)
        if spec.kind == "text" and spec.hand and spec.name in texts:
            x, y, _, h = spec.box_mm
            draw.line((mm(x + 4), mm(y + h / 2), mm(x + 30), mm(y + h / 2 - 2)), fill=0, width=5)
    return scan_look(page, rng) if look else page
