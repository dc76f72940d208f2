"""Staff pages for payments (payment operators): the list, and one payment with its history."""

from __future__ import annotations

import json

from nats.js.api import DeliverPolicy
from starlette.requests import Request
from starlette.responses import Response

from events.catalog import PAYMENTS
from handlers.applications.portal import PAYMENT_LABELS
from handlers.dashboard.pages import allowed, missing, page, render
from handlers.identity.authz import Resource
from handlers.identity.guard import runtime_of
from handlers.payments import records
from infra.runtime import Runtime

EVENT_LABELS = {
    "payment.requested": "支払い開始",
    "payment.settled": "支払い完了",
    "payment.failed": "支払い失敗",
    "payment.canceled": "取消",
    "payment.refunded": "返金",
}


async def history(runtime: Runtime, org: str, payment_id: str) -> list[dict[str, object]]:
    """The payment's events, oldest first, read from its stream (ids and amounts only)."""
    sub = await runtime.js.subscribe(
        f"payment.*.{org}",
        stream=PAYMENTS.name,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    found: list[dict[str, object]] = []
    try:
        pending = (
            await runtime.js.stream_info(PAYMENTS.name, subjects_filter=f"payment.*.{org}")
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
async def payments(request: Request) -> Response:
    session, who = await allowed(request, "payment.read")
    listed = list(reversed(await records.list_payments(runtime_of(request).js, who.org)))
    return render(request, "payments.html", session, payments=listed, labels=PAYMENT_LABELS)


@page
async def payment(request: Request) -> Response:
    session, _ = await allowed(request, "payment.read")
    runtime = runtime_of(request)
    found = await records.load_payment(runtime.js, request.path_params["payment_id"])
    if found is None:
        raise missing(request, session, "支払いが見つかりません。")
    record = found[0]
    session, who = await allowed(request, "payment.read", Resource(org=record.org))
    events = await history(runtime, who.org, record.payment_id)
    return render(
        request,
        "payment.html",
        session,
        payment=record,
        events=events,
        labels=PAYMENT_LABELS,
        event_labels=EVENT_LABELS,
        remaining=record.amount - record.refunded,
    )
