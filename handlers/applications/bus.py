"""The applications room on the bus: a settled payment moves its application to `paid`.

Idempotent: an application already paid publishes its `application.paid` again with the
same id (dropped by the stream as a duplicate).
"""

from __future__ import annotations

from faststream import Context
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext

from events.catalog import event_spec
from events.envelope import Publisher, caused_id
from handlers.applications import records
from handlers.applications.lifecycle import next_status
from infra.bus import durable_subscriber
from schemas.events import ApplicationPaid, PaymentSettled, utc_now

PAID = Publisher("applications", "bus:fee_paid", ApplicationPaid)

router = NatsRouter()


@durable_subscriber(
    router, event_spec(PaymentSettled), "applications-paid", description="Mark the fee as paid"
)
async def fee_paid(
    settled: PaymentSettled,
    js: JetStreamContext = Context("js"),
    broker: NatsBroker = Context("broker"),
) -> None:
    found = await records.load_state(js, settled.application_id)
    if found is None:
        return  # past its retention: nothing left to move on
    state, revision = found
    if state.status == "awaiting_payment":
        paid = state.model_copy(
            update={"status": next_status(state.status, "paid"), "updated_at": utc_now()}
        )
        await records.save_state(js, paid, revision)  # a conflict is retried by the bus
    elif state.status != "paid":
        return
    await PAID(
        broker,
        ApplicationPaid(
            event_id=caused_id(settled.event_id, "application.paid"),
            org=settled.org,
            application_id=settled.application_id,
            payment_id=settled.payment_id,
        ),
    )
