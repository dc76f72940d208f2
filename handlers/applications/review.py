"""Staff review of an application: accept (with a fee or none), return, reject.

The reason given on return or rejection is addressed to the resident and may name them: it
is kept with the answers in the personal-data store, and the event says only who acted.
"""

from __future__ import annotations

from typing import Literal

from events.envelope import Publisher, new_event_id
from handlers.applications import records
from handlers.applications.desk import ApplicationDesk
from handlers.applications.lifecycle import next_status
from schemas.applications import ApplicationState
from schemas.events import ApplicationAccepted, ApplicationRejected, ApplicationReturned, utc_now

REVIEWED = Publisher(
    "applications",
    "review:review_application",
    ApplicationAccepted,
    ApplicationReturned,
    ApplicationRejected,
)

Decision = Literal["accept", "return", "reject"]


async def review_application(
    desk: ApplicationDesk,
    state: ApplicationState,
    revision: int,
    decision: Decision,
    actor: str,
    *,
    fee: int | None = None,
    reason: str | None = None,
) -> ApplicationState:
    status = next_status(state.status, decision, fee)
    if reason is not None:
        content = await records.load_content(desk.store, state.application_id)
        if content is not None:
            noted = content.model_copy(update={"review_note": reason})
            await records.save_content(desk.store, noted)
    fee = fee or None
    updated = state.model_copy(update={"status": status, "fee": fee, "updated_at": utc_now()})
    await records.save_state(desk.js, updated, revision)
    common = {"event_id": new_event_id(), "org": state.org, "actor_id": actor}
    if decision == "accept":
        event: ApplicationAccepted | ApplicationReturned | ApplicationRejected = (
            ApplicationAccepted(application_id=state.application_id, fee=fee, **common)
        )
    elif decision == "return":
        event = ApplicationReturned(application_id=state.application_id, **common)
    else:
        event = ApplicationRejected(application_id=state.application_id, **common)
    await REVIEWED(desk.broker, event)
    return updated
