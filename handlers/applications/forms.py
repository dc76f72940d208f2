"""Reading an application form: the API's (`answers` as JSON) and the portal's (one input per
field, named `answer.<name>`), both with files `attachments` and their `attachment_kinds`."""

from __future__ import annotations

import json

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from handlers.applications.attachments import LIMITS, MAX_ATTACHMENTS
from handlers.applications.submit import Upload
from infra.http import KB, MB, read_form
from infra.web import ApiError

ANSWER_PREFIX = "answer."
BAD_ANSWERS = ApiError(400, "invalid_answers", "answers は項目名と値の JSON オブジェクトです。")
# All attachments of one application together (each is at most LIMITS.max_bytes), with the
# answers: the whole request is refused past this, while it streams.
APPLICATION_CAP = 32 * MB
ANSWERS_CAP = 256 * KB


def _answers(form: FormData) -> dict[str, object]:
    raw = form.get("answers")
    if isinstance(raw, str):
        try:
            answers = json.loads(raw)
        except (ValueError, RecursionError):
            raise BAD_ANSWERS from None
        if not isinstance(answers, dict):
            raise BAD_ANSWERS
        return answers
    return {
        key.removeprefix(ANSWER_PREFIX): value
        for key, value in form.multi_items()
        if key.startswith(ANSWER_PREFIX) and isinstance(value, str)
    }


def _kinds(form: FormData) -> list[str]:
    values = [value for value in form.getlist("attachment_kinds") if isinstance(value, str)]
    if len(values) == 1 and values[0].startswith("["):
        try:
            listed = json.loads(values[0])
        except (ValueError, RecursionError):
            listed = None
        if not isinstance(listed, list):
            raise ApiError(400, "invalid_attachment_kinds", "attachment_kinds を確認してください。")
        return [str(value) for value in listed]
    return values


async def read_application_form(
    request: Request,
) -> tuple[dict[str, str], dict[str, object], list[Upload] | None]:
    """(plain fields, answers, uploads); uploads is None when the form sent no file at all
    (a resubmission that keeps its attachments). An empty file input is not a file."""
    async with read_form(
        request,
        APPLICATION_CAP,
        max_files=MAX_ATTACHMENTS + 1,
        max_fields=300,
        max_part_size=ANSWERS_CAP,
    ) as form:
        files = [
            item
            for item in form.getlist("attachments")
            if isinstance(item, UploadFile) and (item.filename or item.size)
        ]
        kinds = _kinds(form)
        if len(kinds) < len(files):
            kinds += [""] * (len(files) - len(kinds))
        uploads = [
            Upload(
                kind=kind, data=await file.read(LIMITS.max_bytes + 1), file_name=file.filename or ""
            )
            for kind, file in zip(kinds, files, strict=False)
        ]
        plain = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "answers"}
        answers = _answers(form)
    return plain, answers, uploads if files else None
