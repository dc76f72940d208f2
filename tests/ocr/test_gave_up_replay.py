"""A scan the OCR room gave up on is read again when its dead letter is replayed with
`madoguchi dlq replay`."""

from __future__ import annotations

import json
from pathlib import Path

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from events.catalog import dead_letter_subject
from infra.reliability import dead_letter_headers
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli
from tests.ocr.corpus import text_page
from tests.support import eventually

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
    stored = await stored_scan(js, document_id)
    # The dead letter exactly as the reliability middleware writes it after the last try.
    await js.publish(
        dead_letter_subject(stored.subject),
        stored.data,
        headers=dead_letter_headers(stored, "RuntimeError: the worker gave up", 5),
    )
    await eventually(lambda: status_is("failed"), timeout=20)
    # The operator's replay, through the command: read again, completed again.
    code, out, err = await cli(
        app, "dlq", "replay", "--subject", f"document.scanned.{ORG}", "--all"
    )
    assert code == 0 and "replayed 1 of 1 dead letters" in err, (out, err)
    await eventually(lambda: status_is("completed"), timeout=60)


async def stored_scan(js: JetStreamContext, document_id: str) -> Msg:
    """The stored `document.scanned` message of one document (with its stream metadata)."""
    sub = await js.subscribe(
        f"document.scanned.{ORG}", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    try:
        while True:
            msg = await sub.next_msg(timeout=10)
            if json.loads(msg.data)["document_id"] == document_id:
                return msg
    finally:
        await sub.unsubscribe()
