"""Finding 2: a payload's org must be its subject's org, a scan is owned by org + id, and
`personal_info` is what was stored when the scan was handed in. Attacks with the scanner's own
credentials (raw nats-py) against the running service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from events.catalog import DEAD_LETTERS, dead_letter_subject
from events.envelope import new_event_id
from handlers.ocr import records
from handlers.ops.dlq import dead_letters
from infra.reliability import CONSUMER_HEADER, ERROR_HEADER, ORIGINAL_MSG_ID_HEADER, org_refusal
from schemas.events import DocumentScanned
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD
from tests.ocr.corpus import text_page
from tests.support import eventually, madoguchi
from tests.test_bus_permissions import Refusals

OWN, OTHER = "own-org", "other-org"


@pytest.mark.parametrize(
    ("subject", "body", "refused"),
    [
        ("document.scanned.a", b'{"org": "a"}', False),
        ("document.scanned.a", b'{"org": "b"}', True),
        ("deadletter.document.scanned.a", b'{"org": "b"}', True),
        ("payment.settled.a", b'{"org": "a.b"}', True),
        ("document.scanned.a", b'{"org": null}', True),
        ("document.scanned.a", b'{"document_id": "x"}', False),  # validation answers that
        ("document.scanned.a", b"not json", False),
    ],
)
def test_org_refusal(subject: str, body: bytes, refused: bool) -> None:
    assert (org_refusal(subject, body) is not None) is refused


@pytest.fixture(scope="module")
async def orgs(app: AppFixture) -> tuple[str, str]:
    for org in (OWN, OTHER):
        code, _, err = await madoguchi(app.data_dir, "org", "add", org, "--name", org)
        assert code == 0, err
    return OWN, OTHER


def announcement(org: str, document_id: str, personal_info: bool) -> DocumentScanned:
    return DocumentScanned(
        event_id=new_event_id(),
        org=org,
        document_id=document_id,
        personal_info=personal_info,
        content_type="image/png",
        size_bytes=1000,
        source="scanner",
    )


async def announce_as_scanner(app: AppFixture, event: DocumentScanned) -> Client:
    """Publish on OWN's subject as a producer that may (the scanner credentials no longer may:
    tests/test_bus_permissions.py); returns the client (closed by the caller)."""
    scanner = await app.server.connect("operator", error_cb=Refusals().record)
    await scanner.publish(
        f"document.scanned.{OWN}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.event_id},
    )
    await scanner.flush()
    return scanner


async def dead_letter_of(js: JetStreamContext, event: DocumentScanned) -> str:
    """The error the OCR room (consumer `ocr`) dead-lettered `event` with (waits for it)."""

    async def found() -> str | None:
        async for letter in dead_letters(js, f"document.scanned.{OWN}"):
            headers = letter.headers or {}
            if (headers.get(ORIGINAL_MSG_ID_HEADER), headers.get(CONSUMER_HEADER)) == (
                event.event_id,
                "ocr",
            ):
                return headers.get(ERROR_HEADER)
        return None

    return await eventually(found, timeout=20)


async def letters_settled(js: JetStreamContext) -> bool:
    """The `ocr-gave-up` consumer has taken every dead letter and settled it."""
    info = await js.consumer_info(DEAD_LETTERS.name, "ocr-gave-up")
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_a_scanner_cannot_file_a_document_in_another_org(
    app: AppFixture, orgs: tuple[str, str], js: JetStreamContext
) -> None:
    document_id = new_event_id()
    assert await records.get_status(js, OTHER, document_id) is None  # nothing there before
    event = announcement(OTHER, document_id, personal_info=False)
    scanner = await announce_as_scanner(app, event)
    await scanner.close()
    assert "org_mismatch" in await dead_letter_of(js, event)
    await eventually(lambda: letters_settled(js), timeout=20)
    assert await records.get_status(js, OTHER, document_id) is None
    assert await records.get_status(js, OWN, document_id) is None


async def test_a_scanner_cannot_re_announce_another_orgs_document_as_its_own(
    app: AppFixture, orgs: tuple[str, str], js: JetStreamContext, tmp_path: Path
) -> None:
    page = tmp_path / "personal.png"
    text_page(7, lines=2).image.save(page, dpi=(300, 300))
    code, out, err = await madoguchi(
        app.data_dir, "scan", str(page), "--org", OTHER, "--personal-info", "--wait", "--json"
    )
    assert code == 0, err
    document_id = json.loads(out.splitlines()[0])["document_id"]
    original = await records.get_status(js, OTHER, document_id)
    assert original is not None and original.personal_info, original
    assert original.status != "queued", original  # settled: nothing will change it but us

    event = announcement(OWN, document_id, personal_info=False)
    scanner = await announce_as_scanner(app, event)
    await scanner.close()
    # The event is given up on.
    assert await dead_letter_of(js, event)
    await eventually(lambda: letters_settled(js), timeout=20)
    assert await records.get_status(js, OWN, document_id) is None
    owner_record = await records.get_status(js, OTHER, document_id)
    assert owner_record is not None and owner_record.personal_info, (
        owner_record
    )  # not from the event

    code, _, err = await madoguchi(
        app.data_dir,
        "user",
        "add",
        "own-clerk",
        "--org",
        OWN,
        "--role",
        "staff",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err
    async with app.client("SA") as clerk:
        signed_in = await clerk.post("/api/session", json={"login": "own-clerk", "password": GOOD})
        assert signed_in.status_code == 200, signed_in.text
        assert (await clerk.get(f"/api/documents/{document_id}")).status_code == 404


async def test_an_invalid_dead_letter_is_settled_at_once_not_retried(
    app: AppFixture, orgs: tuple[str, str], js: JetStreamContext
) -> None:
    """Finding 16: `ocr-gave-up` used to retry a dead letter it could not read for ~25 min."""
    subject = dead_letter_subject(f"document.scanned.{OWN}")
    ack = await js.publish(
        subject,
        b'{"org": "' + OWN.encode() + b'", "document_id": 5}',
        headers={"Nats-Msg-Id": new_event_id()},
    )

    async def taken_and_settled() -> bool:
        info = await js.consumer_info(DEAD_LETTERS.name, "ocr-gave-up")
        return info.delivered.stream_seq >= ack.seq and await letters_settled(js)

    await eventually(taken_and_settled, timeout=20)
    info = await js.consumer_info(DEAD_LETTERS.name, "ocr-gave-up")
    assert info.num_redelivered == 0
