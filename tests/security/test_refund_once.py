"""Finding 16 (dashboard): a refund form submitted twice refunds once. The key comes with the
page, so every submission of the same form carries the same Idempotency-Key."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.applications.flow import accepted, pay_by_card, staff
from tests.conftest import AppFixture
from tests.support import eventually


async def test_a_double_submitted_refund_refunds_once(
    app: AppFixture, resident: httpx.AsyncClient
) -> None:
    application_id, code = await accepted(app, resident)
    payment_id, _ = await pay_by_card(app, resident, application_id, code, "4242424242424242")

    async def paid() -> bool:
        got = await resident.get(
            f"/api/applications/{application_id}", params={"access_code": code}
        )
        return bool(got.json()["status"] == "paid")

    await eventually(paid, timeout=20)
    cashier, csrf = await staff(app, "cashier", "SA")
    page = await cashier.get(f"/staff/payments/{payment_id}")
    assert page.status_code == 200
    found = re.search(r'<form id="refund"[^>]*data-idempotency-key="([^"]+)"', page.text)
    assert found is not None, "the refund form carries no key of its own"
    headers = {**csrf, "Idempotency-Key": found.group(1)}
    url = f"/api/payments/{payment_id}/refund"
    answers = await asyncio.gather(
        cashier.post(url, json={"amount": 100}, headers=headers),
        cashier.post(url, json={"amount": 100}, headers=headers),
    )
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    payment = (await cashier.get(f"/api/payments/{payment_id}")).json()
    assert payment["refunded"] == 100 and payment["status"] == "partially_refunded"
