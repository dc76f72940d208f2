"""Scan intake on the bus: a scanner PC hands a file in over `scan.submit.<org>`, holding
nothing but its scanner credentials (it may send there and hear its replies, nothing else).

A NATS service (`nats.micro`, so `nats micro ls` finds it) with two endpoints:

- `scan.submit.<org>` (queue group: any one instance answers) takes an upload's first message:
  the headers of `ScanSubmitHeaders` and the file's first bytes. Intake's `precheck` runs on the
  declared size and those bytes before anything more is accepted.
- `scan.submit.<org>.<instance>.<upload>` takes its later chunks, on the instance that holds it.

Every reply says what to do next (`ScanSubmitReply`); the client sends one chunk and waits, so
neither side holds more than one chunk beyond what the service keeps for the file. The org is
the subject's (the bus only lets `scanner-<org>` send there). The finished file goes through
`submit_scan`, as HTTP and `scan` do: stored encrypted, indexed, `document.scanned` announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.micro import add_service
from nats.micro.request import Request
from nats.micro.service import Service
from pydantic import ValidationError

from events.catalog import SCAN_SUBMIT
from events.envelope import Publisher
from handlers.ocr import records
from handlers.ocr.pipeline import UNKNOWN_TEMPLATE, limits_from
from handlers.ocr.submit import refuse_scan, scanned_event, submit_scan
from handlers.ocr.uploads import (
    BAD_REQUEST,
    BUSY,
    HASH_MISMATCH,
    SERVICE_ERROR,
    SIZE_MISMATCH,
    UPLOAD_UNKNOWN,
    Upload,
    UploadLimits,
    Uploads,
    accepted_reply,
    continue_reply,
    document_id_for,
    rejected_reply,
    retry_reply,
    subject_org,
)
from handlers.shared.uploads import CONTENT_TYPES, SNIFF_BYTES, Limits, Rejection, precheck
from infra.pi_store import PersonalDataStore
from infra.store import STORE_FULL_LINE, announce_refusal, is_store_full
from schemas.events import DocumentScanned
from schemas.scan_intake import MAX_CHUNK_BYTES, ScanSubmitHeaders, ScanSubmitReply
from schemas.settings import OcrSettings

ANNOUNCED_AGAIN = Publisher("ocr", "scan_service:first", DocumentScanned)

log = logging.getLogger("madoguchi.scan_intake")

SERVICE_NAME = "madoguchi-scan-intake"
PROTOCOL_VERSION = "1.0.0"
BUSY_RETRY_SECONDS = 2.0
# A full store does not empty in seconds: the scanner asks again less often.
STORE_FULL = Rejection("store_full", STORE_FULL_LINE)
STORE_FULL_RETRY_SECONDS = 30.0
HANDLING_AT_ONCE = 32  # messages being answered at once, over all orgs


def upload_limits(settings: OcrSettings) -> UploadLimits:
    return UploadLimits(
        uploads_per_org=settings.uploads_per_org,
        bytes_per_org=round(settings.upload_mb_per_org * 1024 * 1024),
        idle_seconds=settings.upload_idle,
    )


def parse_headers(request: Request) -> ScanSubmitHeaders | None:
    try:
        return ScanSubmitHeaders.model_validate(request.headers or {})
    except ValidationError:
        return None


def _too_long(request: Request) -> bool:
    return len(request.data) > MAX_CHUNK_BYTES


class ScanIntake:
    """One instance of the service on a connection; its uploads live in its memory."""

    def __init__(
        self,
        client: Client,
        store: PersonalDataStore,
        limits: Limits,
        upload: UploadLimits,
    ) -> None:
        self.client = client
        self.js: JetStreamContext = client.jetstream()
        self.store = store
        self.limits = limits
        self.uploads = Uploads(upload)
        self.service: Service | None = None
        self.instance = ""  # the service's id: later chunks go to subjects naming it
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(HANDLING_AT_ONCE)

    async def start(self) -> None:
        self.service = await add_service(
            self.client,
            name=SERVICE_NAME,
            version=PROTOCOL_VERSION,
            description=SCAN_SUBMIT.description,
        )
        instance = self.instance = self.service.id
        await self.service.add_endpoint(
            name="submit", subject=SCAN_SUBMIT.all_orgs, handler=self._spawn(self.first)
        )
        await self.service.add_endpoint(
            name="chunk",
            subject=f"{SCAN_SUBMIT.all_orgs}.{instance}.*",
            queue_group=instance,
            handler=self._spawn(self.chunk),
        )
        await self.client.flush()

    async def stop(self) -> None:
        service, self.service = self.service, None
        if service is not None:
            await service.stop()
        for task in list(self._tasks):
            task.cancel()
        self.uploads.clear()

    async def run(self) -> None:
        """Serve until cancelled, dropping abandoned uploads as they pass their idle limit."""
        await self.start()
        try:
            every = min(1.0, self.uploads.limits.idle_seconds / 4)
            while True:
                await asyncio.sleep(every)
                if dropped := self.uploads.expire(time.monotonic()):
                    log.info("dropped %d abandoned upload(s)", len(dropped))
        finally:
            await self.stop()

    def _spawn(
        self, answer: Callable[[Request], Awaitable[ScanSubmitReply]]
    ) -> Callable[[Request], Awaitable[None]]:
        """Each message in a task of its own: storing one file must not hold up the chunks of
        the others (a subscription's callbacks run one at a time). At most HANDLING_AT_ONCE:
        beyond that the subscription waits, and the client library's pending limits apply."""

        async def handler(request: Request) -> None:
            await self._slots.acquire()
            task = asyncio.create_task(self._respond(request, answer))
            self._tasks.add(task)
            task.add_done_callback(self._finished)

        return handler

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _respond(
        self, request: Request, answer: Callable[[Request], Awaitable[ScanSubmitReply]]
    ) -> None:
        try:
            reply = await answer(request)
        except Exception as exc:  # the client starts again; never our exception's text
            log.warning("scan intake failed (%s)", type(exc).__name__)
            reply = retry_reply(SERVICE_ERROR, BUSY_RETRY_SECONDS)
            if is_store_full(exc):  # the scanner waits longer; /healthz hears of it
                await announce_refusal(self.client)
                reply = retry_reply(STORE_FULL, STORE_FULL_RETRY_SECONDS)
        with contextlib.suppress(Exception):  # no reply subject, or the bus went away
            await request.respond(reply.wire())

    def _upload_subject(self, upload: Upload) -> str:
        return f"{SCAN_SUBMIT.subject(upload.org)}.{self.instance}.{upload.token}"

    async def first(self, request: Request) -> ScanSubmitReply:
        """An upload's first message: check, then accept it, join it, or answer at once."""
        org, declared = subject_org(request.subject, 3), parse_headers(request)
        if org is None or declared is None or declared.offset != 0 or _too_long(request):
            return rejected_reply(BAD_REQUEST)
        document_id = document_id_for(org, declared.sha256)
        kind = precheck(declared.size, request.data[:SNIFF_BYTES], self.limits)
        if isinstance(kind, Rejection):
            await refuse_scan(
                self.js,
                self.store,
                org=org,
                document_id=document_id,
                rejection=kind,
                template_id=declared.template_id,
                personal_info=declared.personal_info,
            )
            return rejected_reply(kind, document_id)
        if (running := self.uploads.find(org, declared.sha256)) is not None:
            return await self._accept(running, declared.offset, request.data)  # a repeat
        status = await records.get_status(self.js, org, document_id)
        if status is not None:  # handed in before: the same answer, nothing stored twice
            if status.status == "queued":  # announce again (in case we stopped before)
                event = scanned_event(status, CONTENT_TYPES[kind], declared.size, "scanner")
                await ANNOUNCED_AGAIN(self.js, event)
            return accepted_reply(document_id)
        template_id = declared.template_id
        if template_id and await records.load_template(self.js, org, template_id) is None:
            return rejected_reply(UNKNOWN_TEMPLATE)  # nothing recorded: no id
        if (running := self.uploads.find(org, declared.sha256)) is not None:
            return await self._accept(running, declared.offset, request.data)
        if not self.uploads.admits(org, declared.size):
            return retry_reply(BUSY, BUSY_RETRY_SECONDS)
        token = secrets.token_hex(8)
        upload = self.uploads.open(token, org, declared, document_id, time.monotonic())
        return await self._accept(upload, 0, request.data)

    async def chunk(self, request: Request) -> ScanSubmitReply:
        upload = self.uploads.get(request.subject.rsplit(".", 1)[-1])
        declared = parse_headers(request)
        if upload is None or upload.org != subject_org(request.subject, 5):
            return retry_reply(UPLOAD_UNKNOWN, 0.0)
        if declared is None or declared.sha256 != upload.declared.sha256 or _too_long(request):
            return rejected_reply(BAD_REQUEST)
        return await self._accept(upload, declared.offset, request.data)

    def _take(self, upload: Upload, offset: int, body: bytes) -> ScanSubmitReply:
        """Add the chunk (no await: nothing else runs between the check and the change)."""
        taken = self.uploads.take(upload, offset, body, time.monotonic())
        if taken == "overflow":
            self.uploads.drop(upload.token)
            return rejected_reply(SIZE_MISMATCH)
        if taken == "resend" and upload.finishing:
            return retry_reply(BUSY, 0.5)  # being stored: asked again, it is `accepted`
        if taken == "complete":
            return accepted_reply(upload.document_id)  # provisional: `_accept` stores it first
        return continue_reply(upload, self._upload_subject(upload), self.uploads.limits.chunk_bytes)

    async def _accept(self, upload: Upload, offset: int, body: bytes) -> ScanSubmitReply:
        reply = self._take(upload, offset, body)
        if not (upload.finishing and reply.status == "accepted"):
            return reply
        try:
            return await self._store(upload)
        finally:
            self.uploads.drop(upload.token)

    async def _store(self, upload: Upload) -> ScanSubmitReply:
        if not upload.intact():
            return rejected_reply(HASH_MISMATCH)
        declared = upload.declared
        submitted = await submit_scan(
            self.js,
            self.store,
            org=upload.org,
            data=bytes(upload.data),
            template_id=declared.template_id,
            personal_info=declared.personal_info,
            source="scanner",
            limits=self.limits,
            document_id=upload.document_id,
        )
        log.info("document %s handed in over the bus", submitted.document_id)
        if submitted.rejection is not None:
            return rejected_reply(submitted.rejection, submitted.document_id)
        return accepted_reply(submitted.document_id)


async def serve_scan_intake(
    connection: Client, store: PersonalDataStore, settings: OcrSettings
) -> None:
    """The room's background task: the service on the process's own bus connection."""
    intake = ScanIntake(
        connection,
        store,
        limits_from(settings),
        upload_limits(settings),
    )
    await intake.run()
