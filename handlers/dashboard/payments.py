"""Staff pages for payments (payment operators): the list, and one payment with its history."""

from __future__ import annotations

import json

from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from starlette.requests import Request
from starlette.responses import Response

from events.catalog import PAYMENTS
from handlers.dashboard.pages import Pages, page
from handlers.identity.authz import Resource
from handlers.payments import records
from handlers.payments.answers import PAYMENT_GONE
from handlers.payments.lifecycle import PAYMENT_LABELS

EVENT_LABELS = {
    "payment.requested": "支払い開始",
    "payment.settled": "支払い完了",
    "payment.failed": "支払い失敗",
    "payment.canceled": "取消",
    "payment.refunded": "返金",
}


async def history(js: JetStreamContext, org: str, payment_id: str) -> list[dict[str, object]]:
    """The payment's events, oldest first, read from its stream (ids and amounts only)."""
    sub = await js.subscribe(
        f"payment.*.{org}",
        stream=PAYMENTS.name,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    found: list[dict[str, object]] = []
    try:
        pending = (
            await js.stream_info(PAYMENTS.name, subjects_filter=f"payment.*.{org}")
        ).state.messages
        for _ in range(pending):
            msg = await sub.next_msg(timeout=2)
            event = json.loads(msg.data)
            if event.get("payment_id") == payment_id:
                event["type"] = ".".join(msg.subject.split(".")[:2])
                found.append(event)
    except TimeoutError:
        pass
    finally:
        await sub.unsubscribe()
    return found


@page
async def payments(request: Request, pages: Pages, js: JetStreamContext) -> Response:
    session, who = await pages.allowed(request, "payment.read")
    listed = list(reversed(await records.list_payments(js, who.org)))
    return pages.render(request, "payments.html", session, payments=listed, labels=PAYMENT_LABELS)


@page
async def payment(request: Request, pages: Pages, js: JetStreamContext) -> Response:
    session, _ = await pages.allowed(request, "payment.read")
    found = await records.load_payment(js, request.path_params["payment_id"])
    if found is None:
        raise pages.missing(request, session, PAYMENT_GONE)
    record = found[0]
    session, who = await pages.allowed(request, "payment.read", Resource(org=record.org))
    events = await history(js, who.org, record.payment_id)
    return pages.render(
        request,
        "payment.html",
        session,
        payment=record,
        events=events,
        labels=PAYMENT_LABELS,
        event_labels=EVENT_LABELS,
        remaining=record.amount - record.refunded,
    )
