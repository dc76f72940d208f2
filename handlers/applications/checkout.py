"""A resident pays an accepted application's fee: reuse the payment already open for the same
method, or start a new one (canceling an open one of the other method first)."""

from __future__ import annotations

import contextlib

from handlers.applications import records as application_records
from handlers.applications.desk import ApplicationDesk
from handlers.applications.lifecycle import next_status
from handlers.payments import records, service
from handlers.payments.lifecycle import PaymentRefused
from infra.payment_agent import PaymentAgentError
from schemas.applications import ApplicationState, PaymentState
from schemas.events import PaymentMethod, utc_now

RETURN_PATH = "/applications/{application_id}/payment-return?payment={payment_id}"


async def begin_payment(
    desk: ApplicationDesk,
    state: ApplicationState,
    revision: int,
    method: PaymentMethod,
    base_url: str,
) -> PaymentState:
    """The payment to send the resident to (raises TransitionRefused unless the fee is due)."""
    next_status(state.status, "pay")
    if state.payment_id is not None:
        found = await records.load_payment(desk.js, state.payment_id)
        if found is not None:
            open_payment = await service.refresh(desk.payments, found[0])
            if open_payment.status == "requested" and open_payment.method == method:
                return open_payment
            if open_payment.status not in ("requested", "failed", "canceled"):
                raise PaymentRefused("already_final")  # paid: the application moves on
            if open_payment.status == "requested":
                with contextlib.suppress(PaymentAgentError, PaymentRefused):
                    # If it cannot be canceled now, the reconciliation loop learns its fate.
                    await service.cancel(desk.payments, open_payment.payment_id, "resident")
    return_url = base_url.rstrip("/") + RETURN_PATH.format(
        application_id=state.application_id, payment_id="{payment_id}"
    )
    payment = await service.start_payment(desk.payments, state, method, return_url)
    await application_records.save_state(
        desk.js,
        state.model_copy(update={"payment_id": payment.payment_id, "updated_at": utc_now()}),
        revision,
    )
    return payment
