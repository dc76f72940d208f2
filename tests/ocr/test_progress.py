"""While a long document is read, the service tells how many of its pages are done (a live
notice on `progress.ocr.<org>`, kept by no stream, carrying ids and counts only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from events.catalog import OCR_PROGRESS
from schemas.ocr import ReadingProgress
from tests.conftest import AppFixture
from tests.ocr.corpus import save_pdf, text_page
from tests.support import eventually, madoguchi

ORG = "ocr-progress"


async def test_each_page_read_is_announced_with_the_total(app: AppFixture, tmp_path: Path) -> None:
    pages = [text_page(seed, lines=2) for seed in (31, 32, 33)]
    pdf = save_pdf([page.image for page in pages], tmp_path / "three.pdf")
    client = await app.server.connect()
    heard: list[ReadingProgress] = []

    async def noted(msg: Msg) -> None:
        heard.append(ReadingProgress.model_validate_json(msg.data))

    await client.subscribe(OCR_PROGRESS.subject(ORG), cb=noted)
    await client.flush()
    code, out, err = await madoguchi(
        app.data_dir, "scan", str(pdf), "--org", ORG, "--wait", "--json"
    )
    assert code == 0, err
    document_id = json.loads(out)["document_id"]
    await eventually(lambda: _at_least(heard, 3), timeout=10)
    assert {notice.document_id for notice in heard} == {document_id}
    assert sorted(notice.pages_read for notice in heard) == [1, 2, 3]
    assert {notice.pages_total for notice in heard} == {3}
    assert all(notice.org == ORG for notice in heard)
    with pytest.raises(NotFoundError):  # no stream keeps them
        await client.jetstream().find_stream_name_by_subject(OCR_PROGRESS.subject(ORG))
    await client.close()


async def _at_least(heard: list[ReadingProgress], count: int) -> bool:
    return len(heard) >= count
