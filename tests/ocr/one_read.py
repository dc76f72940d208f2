"""One rendered form read once through an in-process worker: the page a module of field tests
shares (reading it costs about a second, so each module reads it once); and the pages those
tests and `bench.ocr_variants` lay out."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw

from handlers.ocr.pipeline import read_scan
from handlers.ocr.reading import assemble, plan_pages
from handlers.shared.uploads import Limits
from infra.ocr import fields, imaging, worker
from infra.ocr.engine import OcrEngine
from infra.ocr.page import SMALL_FACTOR
from infra.ocr.pool import serial_pool
from infra.ocr.readings import FieldBox, FieldReading, PageTask
from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import font, mm, render_form, save_pdf, scan_look
from tests.ocr.dev_corpus import DEV_SEED, DEV_TEMPLATE, DevForm, dev_form


def names_page(count: int, template_id: str) -> FormTemplate:
    """`count` name boxes down a page, each a little off the one above (a code review's
    probe of rare variants: readings depend on where a name sits, so the layout is kept)."""
    return FormTemplate(
        id=template_id,
        name="氏名の届",
        fields=tuple(
            FormField(
                name=f"f{i}",
                label="氏名",
                kind="text",
                box_mm=(60 + (i % 3) * 7, 40 + 17 * i + (i * i) % 4, 100, 12),
            )
            for i in range(count)
        ),
    )


def read_one_box(
    text: str,
    face: Path,
    size_mm: float,
    table_cells: bool = False,
    words: tuple[str, ...] = (),
    kind: str = "text",
) -> FieldReading:
    """`text` printed `size_mm` high in a 90 x 11 mm box on a clean page, read as a field of
    `kind` (or as a ruled table's cell, or a field of listed `words`) by the worker's field
    reader, without the pipeline around it."""
    page = Image.new("L", (mm(120), mm(30)), 255)
    draw = ImageDraw.Draw(page)
    x, y, width, height = 10.0, 10.0, 90.0, 11.0
    draw.rectangle((mm(x), mm(y), mm(x + width), mm(y + height)), outline=0, width=2)
    top = mm(y + height / 2) - mm(size_mm / 2) - mm(0.3)
    draw.text((mm(x + 2.5), top), text, font=font(size_mm, face), fill=0)
    task = PageTask("", "png", 0, (FieldBox("name", kind, (x, y, width, height), words=words),))
    small = imaging.downscale(page, SMALL_FACTOR)
    read = fields.read_fields(page, small, task, 0.0, (0, 0, True), table_cells=table_cells)
    return read.fields[0]


async def read_rendered(
    template: FormTemplate,
    written: Mapping[str, str | bool],
    face: Path,
    folder: Path,
    today: date,
) -> DocumentResult:
    """`template` filled with `written` in `face`, given a scanner's look (seeded), and read."""
    page = scan_look(render_form(template, dict(written), face), random.Random(2))
    pdf = save_pdf([page], folder / "form.pdf").read_bytes()
    engine = OcrEngine(serial_pool())
    try:
        read, refusal = await read_scan(
            engine, f"{template.id}-doc", pdf, template, Limits(), today
        )
    finally:
        engine.close()
    assert refusal is None
    assert set(read.fields) == {f.name for f in template.fields}  # every box was read
    return read


def read_dev_form(
    form: int, folder: Path, dpi: int | None = None
) -> tuple[DevForm, DocumentResult]:
    """Development form `form` (tests/ocr/dev_corpus.py), at its resolution or `dpi`, written
    to `folder` and read through an in-process worker, as the pipeline would."""
    made = dev_form(DEV_SEED + form, dpi)
    path = folder / f"form.{made.kind}"
    path.write_bytes(made.data)
    (task,) = plan_pages(str(path), made.kind, 1, DEV_TEMPLATE)
    return made, assemble("form", DEV_TEMPLATE, [worker.read_page(task)], date(2026, 11, 1))
