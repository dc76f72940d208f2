"""Residents apply, staff review under the city's rules, residents pay through the sandbox
agent, payment operators refund: the whole flow against the real process and bus."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from nats.js import JetStreamContext

from tests.applications.flow import (
    ANSWERS,
    CARD_DECLINED,
    CARD_OK,
    ORG,
    PROCEDURE_ID,
    RESIDENT_NAME,
    accepted,
    apply,
    id_photo,
    pay_by_card,
    staff,
)
from tests.conftest import AppFixture
from tests.support import eventually, read_all


async def events(
    js: JetStreamContext, subject: str, key: str, value: str
) -> list[dict[str, object]]:
    found = [json.loads(body) for body in await read_all(js, subject)]
    return [event for event in found if event.get(key) == value]


async def test_bad_applications_are_refused_field_by_field_and_store_nothing(
    resident: httpx.AsyncClient, js: JetStreamContext
) -> None:
    before = await js.stream_info("KV_applications")
    response = await resident.post(
        "/api/applications",
        data={
            "procedure": PROCEDURE_ID,
            "answers": json.dumps({**ANSWERS, "kana": "Hanako", "birth": ""}),
            "attachment_kinds": "tax_receipt",
        },
        files={"attachments": ("a.txt", b"just text, not a scan", "text/plain")},
    )
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert set(problems) == {"kana", "birth", "attachment_1", "requirement_1"}
    assert "カタカナ" in problems["kana"] and "本人確認書類" in problems["requirement_1"]
    bad_file = await resident.post(
        "/api/applications",
        data={
            "procedure": PROCEDURE_ID,
            "answers": json.dumps(ANSWERS),
            "attachment_kinds": "passport",
        },
        files={"attachments": ("a.txt", b"just text, not a scan", "text/plain")},
    )
    assert bad_file.status_code == 422
    assert "PDF・JPEG・PNG・TIFF" in bad_file.json()["detail"]["attachment_1"]
    unknown = await resident.post("/api/applications", data={"procedure": "nope", "answers": "{}"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "unknown_procedure"
    after = await js.stream_info("KV_applications")
    assert after.state.messages == before.state.messages


async def test_apply_review_pay_refund(
    app: AppFixture, resident: httpx.AsyncClient, js: JetStreamContext
) -> None:
    application_id, code = await apply(resident)
    # The event names ids and counts only; the answers are stored encrypted.
    [submitted] = await events(js, f"application.submitted.{ORG}", "application_id", application_id)
    assert submitted["procedure_id"] == PROCEDURE_ID and submitted["attachments"] == 1
    assert RESIDENT_NAME not in json.dumps(submitted, ensure_ascii=False)
    stored = b"".join(await read_all(js, "$KV.pi_applications.>"))
    assert application_id.encode() in b"".join(await read_all(js, "$KV.applications.>"))
    assert RESIDENT_NAME.encode() not in stored and "窓口".encode() not in stored

    view = await resident.get(f"/api/applications/{application_id}", params={"access_code": code})
    assert view.status_code == 200 and view.json()["status"] == "submitted"
    assert view.headers["cache-control"] == "no-store"

    # Staff of the owning org: the list from SA; answers only from SJ by a PI handler.
    clerk_sa, _ = await staff(app, "clerk", "SA")
    listing = await clerk_sa.get("/api/applications")
    assert application_id in {a["application_id"] for a in listing.json()}
    assert (await clerk_sa.get(f"/api/applications/{application_id}")).json()["error"] == "needs_sj"
    nopi, _ = await staff(app, "clerk-nopi", "SJ")
    refused = await nopi.get(f"/api/applications/{application_id}")
    assert refused.json()["error"] == "not_pi_handler"
    other, other_csrf = await staff(app, "other-clerk", "SJ")
    assert (await other.get(f"/api/applications/{application_id}")).json()["error"] == "other_org"
    assert application_id not in {
        a["application_id"] for a in (await other.get("/api/applications")).json()
    }
    assert (
        await other.post(f"/api/applications/{application_id}/accept", json={}, headers=other_csrf)
    ).status_code == 403
    clerk, csrf = await staff(app, "clerk", "SJ")
    detail = (await clerk.get(f"/api/applications/{application_id}")).json()
    assert detail["answers"]["name"] == RESIDENT_NAME and detail["answers"]["birth"] == "1990-05-06"
    assert "access_code_hash" not in detail

    # The licence is an identity document: My Number terminals only, and the refusal says why.
    at_sj = await clerk.get(f"/api/applications/{application_id}/attachments/1")
    assert at_sj.status_code == 403 and at_sj.json()["error"] == "needs_mn"
    assert "MN" in at_sj.json()["detail"]
    clerk_mn, _ = await staff(app, "clerk", "MN")
    at_mn = await clerk_mn.get(f"/api/applications/{application_id}/attachments/1")
    assert at_mn.status_code == 200 and at_mn.content == id_photo()
    assert "免許証" not in at_mn.headers["content-disposition"]
    # Both reads of personal data are audited: who, what (ids only), for which action.
    reads = [json.loads(body) for body in await read_all(js, f"access.pi_read.{ORG}")]
    assert [
        (read["actor"], read["resource_id"], read["action"])
        for read in reads
        if read["resource_id"].startswith(application_id)
    ] == [
        ("ap-clerk", application_id, "application.read"),
        ("ap-clerk", f"{application_id}/1", "attachment.open"),
    ]

    # Returned for correction, resubmitted, accepted with a fee.
    note = "生年月日を確認してください"
    returned = await clerk.post(
        f"/api/applications/{application_id}/return", json={"reason": note}, headers=csrf
    )
    assert returned.json()["status"] == "returned"
    [returned_event] = await events(
        js, f"application.returned.{ORG}", "application_id", application_id
    )
    assert note not in json.dumps(returned_event, ensure_ascii=False)
    seen = (
        await resident.get(f"/api/applications/{application_id}", params={"access_code": code})
    ).json()
    assert seen["status"] == "returned" and seen["review_note"] == note
    again = await clerk.post(f"/api/applications/{application_id}/accept", json={}, headers=csrf)
    assert again.status_code == 409 and again.json()["error"] == "not_allowed_now"
    resubmitted = await resident.post(
        f"/api/applications/{application_id}/resubmit",
        data={"access_code": code, "answers": json.dumps({**ANSWERS, "birth": "1990-05-07"})},
    )
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == "submitted"
    assert (await clerk.get(f"/api/applications/{application_id}")).json()["answers"][
        "birth"
    ] == "1990-05-07"
    assert (
        await clerk_mn.get(f"/api/applications/{application_id}/attachments/1")
    ).content == id_photo()
    accept = await clerk.post(f"/api/applications/{application_id}/accept", json={}, headers=csrf)
    assert accept.json()["status"] == "awaiting_payment"  # the procedure's fee, 450 yen
    [accepted_event] = await events(
        js, f"application.accepted.{ORG}", "application_id", application_id
    )
    assert accepted_event["fee"] == 450 and accepted_event["actor_id"] == "ap-clerk"

    # The resident pays by card on the agent's page; the return is checked with the agent.
    payment_id, page = await pay_by_card(app, resident, application_id, code, CARD_OK)
    assert "完了" in page.text

    async def paid() -> bool:
        got = await resident.get(
            f"/api/applications/{application_id}", params={"access_code": code}
        )
        return got.json()["status"] == "paid"

    await eventually(paid, timeout=15)
    assert (await events(js, f"payment.settled.{ORG}", "payment_id", payment_id))[0][
        "amount"
    ] == 450
    assert await events(js, f"application.paid.{ORG}", "application_id", application_id)

    # Refunds: payment operators of the owning org only, never above what remains, idempotent.
    cashier, cash_csrf = await staff(app, "cashier", "SA")
    url = f"/api/payments/{payment_id}/refund"
    denied, denied_csrf = await staff(app, "other-cashier", "SA")
    assert (await denied.post(url, json={"amount": 100}, headers=denied_csrf)).json()[
        "error"
    ] == "other_org"
    assert (await clerk.post(url, json={"amount": 100}, headers=csrf)).json()["error"] == "role"
    key = {**cash_csrf, "Idempotency-Key": "refund-1"}
    first = await cashier.post(url, json={"amount": 200}, headers=key)
    assert first.status_code == 200 and first.json()["status"] == "partially_refunded"
    repeat = await cashier.post(url, json={"amount": 200}, headers=key)
    assert repeat.json()["refunded"] == 200  # the same key refunds once
    too_much = await cashier.post(url, json={"amount": 251}, headers=cash_csrf)
    assert too_much.status_code == 409 and too_much.json()["error"] == "amount_exceeds_remaining"
    rest = await cashier.post(url, json={"amount": 250}, headers=cash_csrf)
    assert rest.json()["status"] == "refunded" and rest.json()["refunded"] == 450
    refunds = await events(js, f"payment.refunded.{ORG}", "payment_id", payment_id)
    assert sorted(e["amount"] for e in refunds) == [200, 250]
    cancel = await cashier.post(f"/api/payments/{payment_id}/cancel", headers=cash_csrf)
    assert cancel.status_code == 409


async def test_a_declined_card_then_a_wallet_and_an_operator_cancel(
    app: AppFixture, resident: httpx.AsyncClient, js: JetStreamContext
) -> None:
    application_id, code = await accepted(app, resident)
    declined_id, page = await pay_by_card(app, resident, application_id, code, CARD_DECLINED)
    assert "できませんでした" in page.text
    [failed] = await events(js, f"payment.failed.{ORG}", "payment_id", declined_id)
    assert failed["reason_code"] == "card_declined"
    view = (
        await resident.get(f"/api/applications/{application_id}", params={"access_code": code})
    ).json()
    assert view["status"] == "awaiting_payment" and view["payment"]["status"] == "failed"

    # A wallet payment started and left open; a payment operator cancels it.
    started = await resident.post(
        f"/api/applications/{application_id}/payment",
        json={"access_code": code, "method": "wallet"},
    )
    wallet_id = started.json()["payment_id"]
    assert wallet_id != declined_id
    cashier, csrf = await staff(app, "cashier", "SJ")
    assert (await app.client(None).post(f"/api/payments/{wallet_id}/cancel")).status_code == 401
    first = await cashier.post(f"/api/payments/{wallet_id}/cancel", headers=csrf)
    assert first.status_code == 200 and first.json()["status"] == "canceled"
    second = await cashier.post(f"/api/payments/{wallet_id}/cancel", headers=csrf)
    assert second.status_code == 200  # idempotent
    assert len(await events(js, f"payment.canceled.{ORG}", "payment_id", wallet_id)) == 1
    page = await resident.get(started.json()["redirect_url"])
    assert page.status_code != 200 or "承認する" not in page.text  # the agent closed it too


async def test_wrong_access_codes_are_slowed_down(resident: httpx.AsyncClient) -> None:
    application_id, code = await apply(resident)
    url = f"/api/applications/{application_id}"
    for _ in range(4):
        assert (
            await resident.get(url, params={"access_code": "AAAA-BBBB-CCCC"})
        ).status_code == 404
    locked = await resident.get(url, params={"access_code": "AAAA-BBBB-CCCC"})
    assert locked.status_code == 429
    still = await resident.get(url, params={"access_code": code})
    assert still.status_code == 429  # even the right code waits out the lock
    missing = await resident.get("/api/applications/doesnotexist", params={"access_code": code})
    assert missing.status_code == 404


def test_the_example_procedure_is_valid() -> None:
    from schemas.applications import Procedure

    example = Path(__file__).parents[2] / "examples" / "koseki-tohon.json"
    Procedure.model_validate_json(example.read_bytes())
