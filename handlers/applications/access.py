"""A resident reaches their application with its id and access code; wrong codes slow down."""

from __future__ import annotations

import re

from nats.js import JetStreamContext

from handlers.applications import records
from handlers.applications.access_codes import (
    LOCKED_MESSAGE,
    WRONG_MESSAGE,
    after_failure,
    code_matches,
    locked,
)
from infra.kv import RecordChanged, retry_on_change
from infra.web import ApiError
from schemas.applications import ApplicationState
from schemas.events import RECORD_ID_PATTERN, utc_now

NOT_FOUND = ApiError(404, "not_found", WRONG_MESSAGE)  # the same answer for a wrong id or code


async def resident_application(
    js: JetStreamContext, application_id: str, code: str
) -> tuple[ApplicationState, int]:
    """The application and its revision, if `code` is its access code; else 404 or 429."""
    if not re.match(RECORD_ID_PATTERN, application_id):
        raise NOT_FOUND

    async def check() -> tuple[ApplicationState, int]:
        found = await records.load_state(js, application_id)
        if found is None:
            raise NOT_FOUND
        state, revision = found
        now = utc_now()
        if locked(state.code_locked_until, now):
            raise ApiError(429, "too_many_attempts", LOCKED_MESSAGE)
        if code_matches(code, state.access_code_hash):
            if state.code_failures:
                state = state.model_copy(update={"code_failures": 0})
                revision = await records.save_state(js, state, revision)
            return state, revision
        failures, until = after_failure(state.code_failures, now)
        counted = state.model_copy(update={"code_failures": failures, "code_locked_until": until})
        # A RecordChanged here: another try counted at the same moment, count this one on top.
        await records.save_state(js, counted, revision)
        if until is not None:
            raise ApiError(429, "too_many_attempts", LOCKED_MESSAGE)
        raise NOT_FOUND

    try:
        return await retry_on_change(application_id, check)
    except RecordChanged:
        # So many tries at once that not all could be counted: a guesser, never waved through.
        raise ApiError(429, "too_many_attempts", LOCKED_MESSAGE) from None
