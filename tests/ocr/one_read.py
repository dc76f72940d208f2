"""One rendered form read once through an in-process worker: the page a module of field tests
shares (reading it costs about a second, so each module reads it once)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import serial_pool
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import render_form, save_pdf, scan_look


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
