"""Which attachments an application may carry (pure): the procedure's required documents,
and each file checked like a scan (kind by magic bytes, size, pages, pixels), with messages
for residents that never quote a file's name or content."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.shared.uploads import Limits, Rejection
from schemas.applications import ATTACHMENT_KINDS, Procedure, kinds_meeting, requirement_label

MAX_ATTACHMENTS = 10
LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pages=20, max_page_pixels=72_000_000)
# What a resident does next, after the shared upload check's own words for the problem.
NEXT_STEPS = {
    "unsupported_type": "PDF・JPEG・PNG・TIFF のいずれかの形式で添付してください。",
    "encrypted": "パスワードを外してから添付してください。",
    "corrupt": "別のファイルを添付してください。",
    "no_pages": "内容を確認して添付し直してください。",
    "too_many_pages": "必要なページだけを添付してください。",
    "page_too_large": "解像度を下げてください。",
}


def file_problem(rejection: Rejection) -> str:
    return rejection.problem + NEXT_STEPS.get(rejection.code, "")


def kind_problems(procedure: Procedure, kinds: Sequence[str]) -> dict[str, str]:
    """Problems keyed `attachments` (too many), `attachment_N` (a bad kind, 1-based) or
    `requirement_N` (a required document missing, 1-based over `attachment_kinds`)."""
    problems: dict[str, str] = {}
    if len(kinds) > MAX_ATTACHMENTS:
        problems["attachments"] = f"添付は {MAX_ATTACHMENTS} 件までです。"
    allowed = {kind.id for entry in procedure.attachment_kinds for kind in kinds_meeting(entry)}
    for number, kind in enumerate(kinds, start=1):
        if kind not in ATTACHMENT_KINDS:
            problems[f"attachment_{number}"] = "書類の種類を選んでください。"
        elif kind not in allowed:
            problems[f"attachment_{number}"] = "この手続では受け付けていない書類です。"
    unused = list(kinds)
    for number, entry in enumerate(procedure.attachment_kinds, start=1):
        meeting = {kind.id for kind in kinds_meeting(entry)}
        match = next((kind for kind in unused if kind in meeting), None)
        if match is None:
            problems[f"requirement_{number}"] = f"{requirement_label(entry)}を添付してください。"
        else:
            unused.remove(match)  # one document meets one requirement
    return problems
