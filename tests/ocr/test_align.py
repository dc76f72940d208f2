"""Finding a template's boxes on a scanned form, and refusing a page that is not the form."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from infra.ocr import imaging, lighting, template, worker
from infra.ocr.page import SMALL_FACTOR
from infra.ocr.readings import FieldBox, PageTask
from tests.ocr.corpus import text_page
from tests.ocr.dev_corpus import DEV_SEED, DEV_TEMPLATE, dev_form

FIELDS = tuple(FieldBox(f.name, f.kind, f.box_mm) for f in DEV_TEMPLATE.fields)


def _alignment(page: Image.Image, task: PageTask) -> template.Alignment:
    small = imaging.downscale(page, SMALL_FACTOR)
    return template.align(small, imaging.estimate_skew(small), task)


def test_a_form_whose_text_skew_misses_the_outlines_still_aligns(tmp_path: Path) -> None:
    # Development form 15: its few lines of text give a skew at which the outlines scored
    # 0.32 (every field was flagged not_aligned); at the angle that fits them, about 0.5.
    form = dev_form(DEV_SEED + 15)
    path = tmp_path / f"form.{form.kind}"
    path.write_bytes(form.data)
    task = PageTask(str(path), form.kind, 0, FIELDS, (210.0, 297.0))
    page, _ = lighting.even_light(worker.load_page(task.path, task.kind, 0))
    alignment = _alignment(worker._plain_paper(page), task)
    assert alignment.found
    assert alignment.skew != imaging.estimate_skew(imaging.downscale(page, SMALL_FACTOR))


def test_a_page_of_text_is_not_taken_for_the_form() -> None:
    task = PageTask("unused", "png", 0, FIELDS, (210.0, 297.0))
    assert not _alignment(text_page(7).image, task).found
