"""Staff reading a document's result: the one rule both the API and the verification page keep.

A result of a scan with personal information is personal data: each read is audited
(`access.pi_read`) once it is found.
"""

from __future__ import annotations

from starlette.requests import Request

from handlers.identity.authz import Action
from handlers.identity.guard import Guard
from handlers.ocr import records
from handlers.shared.wareki import period
from infra.pi_store import PersonalDataStore
from schemas.accounts import Principal
from schemas.ocr import DocumentResult, DocumentStatus


def gone(retention_seconds: float) -> str:
    """Why a document staff ask for is not there, with the retention this city set."""
    return (
        f"文書が見つかりません。保存期間（{period(retention_seconds)}）を過ぎた可能性があります。"
    )


async def read_result_as(
    who: Principal,
    action: Action,
    status: DocumentStatus,
    store: PersonalDataStore,
    guard: Guard,
    request: Request,
) -> tuple[DocumentResult, int] | None:
    """The result and its revision (None when it is gone), read by `who` for `action`, whom
    the caller has authorized for it."""
    found = await records.read_result(store, status.document_id)
    if found is not None and status.personal_info:
        await guard.record_pi_read(request, who, status.document_id, action)
    return found
