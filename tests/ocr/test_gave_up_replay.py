"""A scan the OCR room gave up on is read again when its dead letter is replayed."""

from __future__ import annotations

import json
from pathlib import Path

from nats.js import JetStreamContext

from events.catalog import dead_letter_subject
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli
from tests.ocr.corpus import text_page
from tests.support import eventually, read_all

ORG = "gaveup"


async def test_a_replayed_scan_that_was_given_up_on_is_read_again(
    app: AppFixture, js: JetStreamContext, tmp_path: Path
) -> None:
    assert (await cli(app, "org", "add", ORG, "--name", "再読取係"))[0] == 0
    code, _, err = await cli(
        app,
        "user",
        "add",
        "gu-clerk",
        "--org",
        ORG,
        "--role",
        "staff",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err
    clerk = app.client("SA")
    session = await clerk.post("/api/session", json={"login": "gu-clerk", "password": GOOD})
    csrf = {"X-CSRF-Token": session.json()["csrf_token"]}
    page = tmp_path / "page.png"
    text_page(5, lines=2).image.save(page, dpi=(300, 300))
    uploaded = await clerk.post(
        "/api/documents", files={"file": ("p.png", page.read_bytes(), "image/png")}, headers=csrf
    )
    document_id = uploaded.json()["document_id"]

    async def status_is(wanted: str) -> bool:
        listing = (await clerk.get("/api/documents")).json()
        return any(d["document_id"] == document_id and d["status"] == wanted for d in listing)

    await eventually(lambda: status_is("completed"), timeout=60)
    [scanned] = [
        body
        for body in await read_all(js, f"document.scanned.{ORG}", idle=0.3)
        if json.loads(body)["document_id"] == document_id
    ]
    # As the reliability middleware does after the last try: the OCR room gives it up.
    await js.publish(
        dead_letter_subject(f"document.scanned.{ORG}"), scanned, headers={"Nats-Msg-Id": "gu-1"}
    )
    await eventually(lambda: status_is("failed"), timeout=20)
    # `dlq replay` publishes it again under a new id: read again, completed again.
    await js.publish(f"document.scanned.{ORG}", scanned, headers={"Nats-Msg-Id": "gu-replay-1"})
    await eventually(lambda: status_is("completed"), timeout=60)
