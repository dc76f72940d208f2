"""A resident applies or resubmits: check everything, store it encrypted, announce it.

Nothing is stored unless everything is valid, so a refused application leaves no trace but
its answer to the resident. Events carry ids and counts; answers and files go to the
personal-data store with the applications' and attachments' retention.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from events.envelope import Publisher, new_event_id
from handlers.applications import records
from handlers.applications.access_codes import hash_code, new_code
from handlers.applications.answers import check_answers
from handlers.applications.attachments import LIMITS, file_problem, kind_problems
from handlers.applications.desk import ApplicationDesk
from handlers.applications.lifecycle import next_status
from handlers.shared.uploads import CONTENT_TYPES, SNIFF_BYTES, Rejection, check, precheck
from schemas.applications import (
    AnswerValue,
    ApplicationContent,
    ApplicationState,
    AttachmentInfo,
    RegisteredProcedure,
)
from schemas.events import ApplicationResubmitted, ApplicationSubmitted, utc_now

SUBMITTED = Publisher("applications", "submit:submit_application", ApplicationSubmitted)
RESUBMITTED = Publisher("applications", "submit:resubmit_application", ApplicationResubmitted)


@dataclass(frozen=True)
class Upload:
    kind: str
    data: bytes
    file_name: str  # personal data (it often holds a name): stored encrypted, never logged


class ApplicationInvalid(Exception):
    """What is wrong, per field (`answers` names) or attachment (`attachment_N`, ...)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")  # field names only, never values
        self.problems = problems


async def _check_files(desk: ApplicationDesk, uploads: Sequence[Upload]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for number, upload in enumerate(uploads, start=1):
        kind = precheck(len(upload.data), upload.data[:SNIFF_BYTES], LIMITS)
        if not isinstance(kind, Rejection):
            async with desk.ocr.staged(upload.data) as path:
                kind = check(await desk.ocr.probe(path, kind), LIMITS) or kind
        if isinstance(kind, Rejection):
            problems[f"attachment_{number}"] = file_problem(kind)
    return problems


async def _checked(
    desk: ApplicationDesk,
    registered: RegisteredProcedure,
    answers: Mapping[str, object],
    uploads: Sequence[Upload] | None,
) -> dict[str, AnswerValue]:
    values, problems = check_answers(registered.procedure, answers, date.today())
    if uploads is not None:
        problems |= kind_problems(registered.procedure, [upload.kind for upload in uploads])
        if not problems:  # probing costs a worker's time: only for an otherwise good form
            problems |= await _check_files(desk, uploads)
    if problems:
        raise ApplicationInvalid(problems)
    return values


def _infos(uploads: Sequence[Upload]) -> tuple[AttachmentInfo, ...]:
    return tuple(
        AttachmentInfo(
            kind=upload.kind,
            content_type=CONTENT_TYPES.get(_sniffed(upload.data), "application/octet-stream"),
            size_bytes=len(upload.data),
        )
        for upload in uploads
    )


def _sniffed(data: bytes) -> str:
    kind = precheck(len(data), data[:SNIFF_BYTES], LIMITS)
    return "" if isinstance(kind, Rejection) else kind


async def _store_files(
    desk: ApplicationDesk, application_id: str, revision: int, uploads: Sequence[Upload]
) -> None:
    # Independent records: written side by side, each a few round trips to the bus.
    await asyncio.gather(
        *(
            records.save_attachment(desk.store, application_id, revision, number, upload.data)
            for number, upload in enumerate(uploads, start=1)
        )
    )


async def submit_application(
    desk: ApplicationDesk,
    registered: RegisteredProcedure,
    answers: Mapping[str, object],
    uploads: Sequence[Upload],
) -> tuple[ApplicationState, str]:
    """The stored application and its access code (the only time the code exists in clear)."""
    values = await _checked(desk, registered, answers, uploads)
    application_id, code = new_event_id()[:20], new_code()
    content = ApplicationContent(
        application_id=application_id,
        answers=values,
        file_names=tuple(upload.file_name for upload in uploads),
    )
    # Everything personal is stored before the status record that points at it exists.
    await asyncio.gather(
        _store_files(desk, application_id, 1, uploads),
        records.save_content(desk.store, content),
    )
    state = ApplicationState(
        application_id=application_id,
        org=registered.org,
        procedure_id=registered.procedure.id,
        status="submitted",
        attachments=_infos(uploads),
        access_code_hash=hash_code(code),
    )
    await records.save_state(desk.js, state, 0)
    await SUBMITTED(
        desk.broker,
        ApplicationSubmitted(
            event_id=new_event_id(),
            org=state.org,
            application_id=application_id,
            procedure_id=state.procedure_id,
            attachments=len(uploads),
        ),
    )
    return state, code


async def resubmit_application(
    desk: ApplicationDesk,
    registered: RegisteredProcedure,
    state: ApplicationState,
    revision: int,
    answers: Mapping[str, object],
    uploads: Sequence[Upload] | None,
) -> ApplicationState:
    """A returned application, corrected; `uploads` None keeps the files already attached."""
    status = next_status(state.status, "resubmit")
    values = await _checked(desk, registered, answers, uploads)
    number = state.revision + 1
    content = await records.load_content(desk.store, state.application_id)
    file_names = content.file_names if content else ()
    changes: dict[str, object] = {"status": status, "revision": number, "updated_at": utc_now()}
    if uploads is not None:
        await _store_files(desk, state.application_id, number, uploads)
        file_names = tuple(upload.file_name for upload in uploads)
        changes |= {"attachments": _infos(uploads), "attachments_revision": number}
    await records.save_content(
        desk.store,
        ApplicationContent(
            application_id=state.application_id, answers=values, file_names=file_names
        ),
    )
    updated = state.model_copy(update=changes)
    await records.save_state(desk.js, updated, revision)
    if uploads is not None:
        await records.forget_attachments(
            desk.store,
            state.application_id,
            state.attachments_revision,
            len(state.attachments),
        )
    await RESUBMITTED(
        desk.broker,
        ApplicationResubmitted(
            event_id=new_event_id(),
            org=state.org,
            application_id=state.application_id,
            revision=number,
            attachments=len(updated.attachments),
        ),
    )
    return updated
