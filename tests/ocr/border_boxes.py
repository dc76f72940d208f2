"""Boxes with something written against their printed border, and blank boxes whose border is
printed oddly (thicker, doubled, dashed, turned): drawn on a clean page, given a scanner's look,
read by the worker's field reader and judged by the handler. `bench.ocr_borders` draws them by
the hundred; the tests read a few.

A case: a digit in a one-digit count box (12 x 11 mm), a short word in a 30 x 11 mm box, or a
pen stroke in either, set 0-3 px (300 dpi) from one border; scanned at 200, 240 or 300 dpi;
turned up to 1° (the skew the pipeline finds to within 0.1°); the box off its place by the
alignment's error. Faces: the development faces and IPAexGothic (never IPAexMincho, the report
set's).
"""

from __future__ import annotations

import dataclasses
import io
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from handlers.ocr.reading import field_value
from infra.ocr import fields, imaging
from infra.ocr.page import SMALL_FACTOR
from infra.ocr.readings import FieldBox, PageTask
from schemas.forms import FormField
from schemas.ocr import FieldValue
from tests.ocr.corpus import font, font_path, mm
from tests.ocr.dev_corpus import FACES

TODAY = date(2026, 11, 1)
PROBE_FACES = (*(face for face, _ in FACES if face.is_file()), font_path())
DIGITS = "0123456789"
WORDS = ("妻", "長男", "本人", "山田", "子", "1", "父")
SIDES = ("left", "right", "top", "bottom")
BORDERS = ("plain", "thick", "double", "dashed", "turned")
INTEGER_BOX = (50.0, 10.0, 12.0, 11.0)
TEXT_BOX = (40.0, 10.0, 30.0, 11.0)
LINE = 2  # the border's width in 300 dpi pixels, as the corpora print it


@dataclass(frozen=True)
class Case:
    mark: str  # "digit", "word", "stroke" or "blank"
    text: str  # what is written (the border's style for a blank; typed beside a stroke)
    side: str
    gap: int  # px between the mark's ink and the border's inner edge
    dpi: int
    angle: float  # the page's turn, degrees
    face: str
    kind: str
    shift: tuple[int, int]  # the box printed this far from where the template says
    along: float  # where along the side the mark sits, 0..1
    parallel: bool  # a stroke along the border, or across it

    @property
    def key(self) -> str:
        """What seeds the case's own draws: the same wherever the faces are installed."""
        return str(dataclasses.replace(self, face=Path(self.face).name))


def cases(seed: int, count: int) -> list[Case]:
    """`count` cases drawn by `seed`: in turn a digit, a word, two strokes, a blank box."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        mark = ("digit", "word", "stroke", "stroke", "blank")[n % 5]
        kind = "integer" if mark == "digit" or (mark == "stroke" and rng.random() < 0.5) else "text"
        if mark == "blank":
            kind = rng.choice(("integer", "text"))
        text = {
            "digit": rng.choice(DIGITS),
            "word": rng.choice(WORDS),
            "stroke": "",
            "blank": rng.choice(BORDERS),
        }[mark]
        out.append(
            Case(
                mark,
                text,
                rng.choice(SIDES),
                rng.randint(0, 3),
                rng.choice((200, 240, 300)),
                round(rng.uniform(-1.0, 1.0), 2),
                str(rng.choice(PROBE_FACES)),
                kind,
                (rng.randint(-3, 3), rng.randint(-3, 3)),
                rng.uniform(0.2, 0.8),
                rng.random() < 0.5,
            )
        )
    return out


def glyph(case: Case) -> Image.Image:
    """The mark alone, cut to its ink (0 ink, 255 paper)."""
    size = random.Random(case.text + Path(case.face).name).uniform(3.8, 4.8)
    if case.mark == "stroke":
        length, width = mm(random.Random(case.key).uniform(1.5, 4.0)), mm(0.35)
        vertical = case.parallel == (case.side in ("left", "right"))
        shape = (width, length) if vertical else (length, width)
        return Image.new("L", shape, 0)
    canvas = Image.new("L", (mm(size * max(3, len(case.text))), mm(size * 2)), 255)
    ImageDraw.Draw(canvas).text(
        (mm(1), mm(0.5)), case.text, font=font(size, Path(case.face)), fill=0
    )
    bbox = Image.eval(canvas, lambda v: 255 - v).getbbox()
    assert bbox is not None
    return canvas.crop(bbox)


def page_of(case: Case) -> tuple[Image.Image, tuple[float, float, float, float]]:
    box_mm = INTEGER_BOX if case.kind == "integer" else TEXT_BOX
    page = Image.new("L", (mm(120), mm(30)), 255)
    draw = ImageDraw.Draw(page)
    x, y, w, h = box_mm
    x0, y0 = mm(x) + case.shift[0], mm(y) + case.shift[1]
    x1, y1 = mm(x + w) + case.shift[0], mm(y + h) + case.shift[1]
    border(draw, (x0, y0, x1, y1), case.text if case.mark == "blank" else "plain")
    if case.mark == "blank" and case.text == "turned":
        bent = random.Random(case.key).choice((-1, 1)) * random.Random(case.face).uniform(0.3, 0.5)
        page = page.rotate(bent, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if case.mark != "blank":
        mark = glyph(case)
        inner = (x0 + LINE, y0 + LINE, x1 - LINE, y1 - LINE)  # the paper inside the border
        left = {
            "left": inner[0] + case.gap,
            "right": inner[2] - case.gap - mark.width + 1,
        }.get(case.side, round(inner[0] + case.along * (inner[2] - inner[0] - mark.width)))
        top = {
            "top": inner[1] + case.gap,
            "bottom": inner[3] - case.gap - mark.height + 1,
        }.get(case.side, round(inner[1] + case.along * (inner[3] - inner[1] - mark.height)))
        left = min(max(left, inner[0]), inner[2] - mark.width + 1)
        top = min(max(top, inner[1]), inner[3] - mark.height + 1)
        region = page.crop((left, top, left + mark.width, top + mark.height))
        page.paste(Image.fromarray(_darker(region, mark)), (left, top))
    if case.mark == "stroke" and case.text:  # a value typed in the middle of the box
        typed = glyph(dataclasses.replace(case, mark="word"))
        left, top = (x0 + x1 - typed.width) // 2, (y0 + y1 - typed.height) // 2
        region = page.crop((left, top, left + typed.width, top + typed.height))
        page.paste(Image.fromarray(_darker(region, typed)), (left, top))
    page = page.rotate(case.angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = _scanned(page, random.Random(case.key))
    if case.dpi != 300:
        scale = case.dpi / 300
        low = page.resize((round(page.width * scale), round(page.height * scale)))
        page = low.resize(page.size, Image.Resampling.LANCZOS)  # as the worker loads it
    return page, box_mm


def _scanned(page: Image.Image, rng: random.Random) -> Image.Image:
    """A scanner's blur, dust and JPEG artefacts (`scan_look` without its turn and shift)."""
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))
    pixels = page.load()
    assert pixels is not None
    for _ in range(page.width * page.height // 4000):
        pixels[rng.randrange(page.width), rng.randrange(page.height)] = rng.randint(0, 90)
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=rng.randint(70, 85))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def _darker(a: Image.Image, b: Image.Image) -> np.ndarray:
    return np.minimum(np.asarray(a), np.asarray(b))


def border(draw: ImageDraw.ImageDraw, corners: tuple[int, int, int, int], style: str) -> None:
    x0, y0, x1, y1 = corners
    if style == "thick":
        draw.rectangle(corners, outline=0, width=5)
    elif style == "double":
        draw.rectangle(corners, outline=0, width=LINE)
        draw.rectangle((x0 + 5, y0 + 5, x1 - 5, y1 - 5), outline=0, width=1)
    elif style == "dashed":
        dash, gap = mm(1.0), mm(0.6)
        for start in range(x0, x1, dash + gap):
            end = min(start + dash, x1)
            draw.rectangle((start, y0, end, y0 + LINE - 1), fill=0)
            draw.rectangle((start, y1 - LINE + 1, end, y1), fill=0)
        for start in range(y0, y1, dash + gap):
            end = min(start + dash, y1)
            draw.rectangle((x0, start, x0 + LINE - 1, end), fill=0)
            draw.rectangle((x1 - LINE + 1, start, x1, end), fill=0)
    elif style == "rounded":  # corners of 2 mm radius, as many municipal forms print them
        draw.rounded_rectangle(corners, radius=mm(2.0), outline=0, width=LINE)
    else:
        draw.rectangle(corners, outline=0, width=LINE)


def read_case(case: Case) -> FieldValue:
    """The case's box read by the worker's field reader and judged by the handler."""
    page, box_mm = page_of(case)
    task = PageTask("", "png", 0, (FieldBox("f", case.kind, box_mm),))
    small = imaging.downscale(page, SMALL_FACTOR)
    # The pipeline finds the page's turn to about 0.1°, from the page's text.
    skew = -case.angle + random.Random(case.key).uniform(-0.1, 0.1)
    reading = fields.read_fields(page, small, task, skew, (0, 0, True)).fields[0]
    spec = FormField(name="f", label="f", kind=case.kind, box_mm=box_mm)  # type: ignore[arg-type]
    return field_value(spec, reading, True, TODAY)


def verdict(case: Case, got: FieldValue) -> str:
    """right, flagged, blank_right, blank_flagged; or what must not happen: BLANK_TRUSTED
    (ink read as nothing written), WRONG_TRUSTED, STROKE_READ_TRUSTED."""
    empty = got.value in (None, "")
    if case.mark == "blank":
        return "blank_right" if empty and not got.needs_review else "blank_flagged"
    if got.needs_review:
        return "flagged"
    if empty:
        return "BLANK_TRUSTED"
    if case.mark == "stroke":
        return "STROKE_READ_TRUSTED"
    want: object = int(case.text) if case.kind == "integer" else case.text
    return "right" if got.value == want else "WRONG_TRUSTED"


def judge(case: Case) -> tuple[Case, str, str]:
    """`verdict` on the case read, and what was read (for a bench's listing)."""
    got = read_case(case)
    trust = f"flagged {got.review_reason}" if got.needs_review else "trusted"
    return case, verdict(case, got), f"{got.value!r} {trust}"
