"""A scan the OCR room gave up on is read again when its dead letter is replayed with
`madoguchi dlq replay`."""

from __future__ import annotations

import json
from pathlib import Path

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from events.catalog import DEAD_LETTERS, dead_letter_subject
from events.envelope import new_event_id
from handlers.ocr import records
from handlers.ocr.bus import READER
from infra.reliability import (
    CONSUMER_HEADER,
    ERROR_HEADER,
    ORIGINAL_MSG_ID_HEADER,
    dead_letter_headers,
)
from schemas.events import DocumentScanned
from schemas.ocr import DocumentStatus
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli
from tests.ocr.corpus import text_page
from tests.support import eventually

ORG = "gaveup"
LETTERS_ORG = "gaveup-letters"  # the replay test replays every letter of ORG


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
    # The dead letter exactly as the reliability middleware writes it after the reader's
    # last try (the stored message was read here by a consumer of the test's own).
    letter = dead_letter_headers(stored, "RuntimeError: the worker gave up", 5)
    await js.publish(
        dead_letter_subject(stored.subject),
        stored.data,
        headers=letter
        | {CONSUMER_HEADER: READER, "Nats-Msg-Id": f"{letter[ORIGINAL_MSG_ID_HEADER]}/{READER}"},
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


async def test_another_consumers_dead_letter_of_a_scan_does_not_fail_it(
    app: AppFixture, js: JetStreamContext
) -> None:
    """Only the reader giving up fails a scan: a letter of the same event from another
    consumer (the audit chain, say) leaves the read document as it is."""
    document_id = new_event_id()
    read = DocumentStatus(document_id=document_id, org=LETTERS_ORG, status="completed", pages=1)
    await records.put_status(js, read)
    event = DocumentScanned(
        event_id=new_event_id(),
        org=LETTERS_ORG,
        document_id=document_id,
        personal_info=False,
        content_type="image/png",
        size_bytes=1,
        source="cli",
    )
    for consumer in ("audit-chain", "ocr"):
        stored = await js.publish(
            dead_letter_subject(f"document.scanned.{LETTERS_ORG}"),
            event.model_dump_json().encode(),
            headers={
                "Nats-Msg-Id": f"{event.event_id}/{consumer}",
                ORIGINAL_MSG_ID_HEADER: event.event_id,
                CONSUMER_HEADER: consumer,
                ERROR_HEADER: "RuntimeError: gave up",
            },
        )
        await eventually(lambda seq=stored.seq: settled_past(js, seq), timeout=30)
        status = await records.get_status(js, LETTERS_ORG, document_id)
        assert status is not None
        assert status.status == ("completed" if consumer == "audit-chain" else "failed"), consumer


async def settled_past(js: JetStreamContext, seq: int) -> bool:
    """The OCR room's dead-letter consumer has settled every letter up to `seq`."""
    info = await js.consumer_info(DEAD_LETTERS.name, "ocr-gave-up")
    return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= seq
