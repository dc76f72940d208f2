"""The sandbox payment agent over real HTTP: API, hosted pages, signed webhooks, persistence."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import logging
import os
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.payment_sandbox import SandboxAgent, check_card, luhn_valid
from infra.payment_sandbox.cards import (
    CVC_FORMAT,
    EXPIRY_FORMAT,
    EXPIRY_PAST,
    NUMBER_FORMAT,
    NUMBER_INVALID,
)
from infra.tls import TlsFiles
from infra.web import web_server
from tests.conftest import free_port
from tests.support import eventually

SECRET = "whsec_" + base64.b64encode(b"madoguchi-sandbox-test-secret-32").decode()
API_KEY = "sk_test_madoguchi"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
RETURN_URL = "https://portal.example.jp/applications/app-1/paid?x=1&y=2"

OK_CARD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NO_ANSWER = "4000 0000 0000 0119"
LATE_SUCCESS = "4000 0000 0000 0259"
OTHER_VALID = "5555 5555 5555 4444"  # not a test card: an ordinary success
EXPIRY = "12/40"
LATE_AFTER = 1.0


# Serving


@contextlib.asynccontextmanager
async def serve(
    app: Starlette, port: int | None = None, tls: TlsFiles | None = None
) -> AsyncIterator[str]:
    """`app` under uvicorn on loopback, as `madoguchi up` serves it; yields its base URL."""
    port = port or free_port()
    server = web_server(app, "127.0.0.1", port, tls, "off")
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # raises what stopped it
            raise AssertionError("server stopped before starting")
        return bool(server.started)

    try:
        await eventually(started, timeout=10)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Our side of the webhooks: records every try, and can answer 500 a few times first."""

    fail_next: int = 0
    calls: list[Call] = field(default_factory=list)
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        status = 200
        if self.fail_next > 0:
            self.fail_next -= 1
            status = 500
        self.calls.append(Call(dict(request.headers), body, status))
        return Response(status_code=status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])

    def acknowledged(self, payment_id: str) -> list[dict[str, Any]]:
        """The events about a payment that the receiver accepted, in order."""
        return [
            call.event
            for call in self.calls
            if call.status == 200 and call.event["data"]["id"] == payment_id
        ]

    def tries(self, payment_id: str) -> list[Call]:
        return [call for call in self.calls if call.event["data"]["id"] == payment_id]


@dataclass
class Sandbox:
    agent: SandboxAgent
    url: str
    receiver: Receiver
    state_file: Path

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=AUTH, timeout=10)

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=10)


@pytest.fixture(scope="session")
async def receiver_server() -> AsyncIterator[Receiver]:
    """One receiver for the session (starting servers is most of these tests' time)."""
    hook = Receiver()
    async with serve(hook.app()) as url:
        hook.url = f"{url}/hook"
        yield hook


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.calls.clear()
    receiver_server.fail_next = 0
    return receiver_server


@contextlib.asynccontextmanager
async def running_sandbox(
    state_file: Path, receiver: Receiver, tls: TlsFiles | None = None, **options: Any
) -> AsyncIterator[Sandbox]:
    port = free_port()
    scheme = "https" if tls else "http"
    agent = SandboxAgent(
        secret=SECRET,
        api_key=API_KEY,
        webhook_url=receiver.url,
        public_url=f"{scheme}://127.0.0.1:{port}",
        state_file=state_file,
        retry_delays=options.pop("retry_delays", (0.05, 0.1, 0.2)),
        late_success_after=options.pop("late_success_after", LATE_AFTER),
        **options,
    )
    delivery = asyncio.create_task(agent.deliver_forever())
    try:
        async with serve(agent.app, port, tls) as url:
            yield Sandbox(agent, url, receiver, state_file)
    finally:
        await agent.aclose()
        await asyncio.wait_for(delivery, timeout=10)


@pytest.fixture
async def sandbox(tmp_path: Path, receiver: Receiver) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path / "agent" / "state.json", receiver) as running:
        yield running


# Helpers


async def create(
    api: httpx.AsyncClient,
    key: str,
    *,
    amount: int = 1000,
    method: str = "card",
    reference: str = "pay-001",
) -> httpx.Response:
    body = {"reference": reference, "amount": amount, "method": method, "return_url": RETURN_URL}
    return await api.post("/v1/payments", json=body, headers={"Idempotency-Key": key})


async def pay_card(
    browser: httpx.AsyncClient, payment: dict[str, Any], number: str, expiry: str = EXPIRY
) -> httpx.Response:
    data = {"card_number": number, "expiry": expiry, "cvc": "123"}
    return await browser.post(payment["redirect_url"], data=data)


async def paid_payment(sandbox: Sandbox, key: str, amount: int = 1000) -> dict[str, Any]:
    """A wallet payment that succeeded, its webhook delivered."""
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment: dict[str, Any] = (
            await create(api, key, amount=amount, method="wallet", reference=key)
        ).json()
        assert (await browser.post(payment["redirect_url"])).status_code == 303
    await wait_for_events(sandbox.receiver, payment["id"], 1)
    return payment


async def wait_for_events(receiver: Receiver, payment_id: str, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]]:
        events = receiver.acknowledged(payment_id)
        return events if len(events) >= count else []

    return await eventually(arrived, timeout=10)


async def flush(sandbox: Sandbox) -> None:
    """Wait until every webhook queued so far has been delivered: the outbox is sent in order,
    so once a marker queued now arrives, nothing queued before it is still on the way."""
    await paid_payment(sandbox, f"marker-{time.monotonic_ns()}")


async def api_payment(sandbox: Sandbox, payment_id: str) -> dict[str, Any]:
    async with sandbox.api() as api:
        response = await api.get(f"/v1/payments/{payment_id}")
    assert response.status_code == 200
    payment: dict[str, Any] = response.json()
    return payment


def verified(call: Call) -> dict[str, Any]:
    """The event, after checking its Standard Webhooks signature as our receiver will."""
    assert call.headers["content-type"] == "application/json"
    assert call.headers["webhook-id"].startswith("msg_")
    assert abs(int(call.headers["webhook-timestamp"]) - time.time()) < 60
    event: dict[str, Any] = Webhook(SECRET).verify(call.body, call.headers)
    return event


# Pure checks


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4242424242424242", True),
        ("4242424242424241", False),
        ("4000000000000002", True),
        ("4000000000000119", True),
        ("4000000000000259", True),
        ("5555555555554444", True),
        ("378282246310005", True),  # 15 digits (odd length)
        ("79927398713", True),  # the textbook example
        ("79927398710", False),
        ("4242 4242 4242 4242", False),  # separators are removed before, not here
        ("", False),
        ("４２４２", False),  # full-width digits are folded before, not here
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


TODAY = dt.date(2026, 4, 15)


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "outcome", "errors"),
    [
        ("4242 4242 4242 4242", "04/26", "123", "succeed", ()),  # this month is still valid
        ("4242-4242-4242-4242", "12/30", "1234", "succeed", ()),
        ("４２４２ ４２４２ ４２４２ ４２４２", "１２/３０", "１２３", "succeed", ()),
        ("4000 0000 0000 0002", "12/30", "123", "decline", ()),
        ("4000000000000119", "12/30", "123", "no_answer", ()),
        ("4000000000000259", "12/30", "123", "late_success", ()),
        ("5555555555554444", "12/30", "123", "succeed", ()),
        ("4242 4242 4242 4241", "12/30", "123", None, (NUMBER_INVALID,)),
        ("4242 4242 424", "12/30", "123", None, (NUMBER_FORMAT,)),
        ("4242 4242 4242 424a", "12/30", "123", None, (NUMBER_FORMAT,)),
        ("4" * 20, "12/30", "123", None, (NUMBER_FORMAT,)),
        ("4242424242424242", "03/26", "123", None, (EXPIRY_PAST,)),
        ("4242424242424242", "13/30", "123", None, (EXPIRY_FORMAT,)),
        ("4242424242424242", "1230", "123", None, (EXPIRY_FORMAT,)),
        ("4242424242424242", "12/30", "12", None, (CVC_FORMAT,)),
        ("4242424242424242", "12/30", "12345", None, (CVC_FORMAT,)),
        ("", "", "", None, (NUMBER_FORMAT, EXPIRY_FORMAT, CVC_FORMAT)),
    ],
)
def test_check_card(
    number: str, expiry: str, cvc: str, outcome: str | None, errors: tuple[str, ...]
) -> None:
    check = check_card(number, expiry, cvc, TODAY)
    assert (check.outcome, check.errors) == (outcome, errors)


# The API


async def test_create_is_idempotent_and_authorized(sandbox: Sandbox) -> None:
    async with sandbox.api() as api:
        first = await create(api, "key-1")
        assert first.status_code == 201
        payment = first.json()
        assert payment == {
            "id": payment["id"],
            "reference": "pay-001",
            "status": "pending",
            "amount": 1000,
            "refunded": 0,
            "method": "card",
            "redirect_url": f"{sandbox.url}/pay/{payment['id']}",
            "failure_code": None,
        }
        again = await create(api, "key-1")
        assert (again.status_code, again.json()) == (200, payment)
        other = await create(api, "key-1", amount=2000)
        assert (other.status_code, other.json()) == (409, {"error": "conflict"})
        second = await create(api, "key-2")
        assert second.status_code == 201 and second.json()["id"] != payment["id"]

        got = await api.get(f"/v1/payments/{payment['id']}")
        assert (got.status_code, got.json()) == (200, payment)
        missing = await api.get("/v1/payments/pay_nope")
        assert (missing.status_code, missing.json()) == (404, {"error": "not_found"})

        no_key = await api.post("/v1/payments", json={"reference": "r", "amount": 1})
        assert no_key.status_code == 400
        for bad in (0, -5, "1000", 1.5, True):
            body = {"reference": "r", "amount": bad, "method": "card", "return_url": RETURN_URL}
            response = await api.post(
                "/v1/payments", json=body, headers={"Idempotency-Key": f"bad-{bad}"}
            )
            assert response.status_code == 400, bad
    async with httpx.AsyncClient(base_url=sandbox.url) as anonymous:
        assert (await anonymous.get(f"/v1/payments/{payment['id']}")).status_code == 401
        assert (await create(anonymous, "key-3")).status_code == 401
        wrong = {"Authorization": "Bearer sk_test_other"}
        response = await anonymous.post(
            "/v1/payments", json={}, headers={**wrong, "Idempotency-Key": "k"}
        )
        assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})


# The hosted pages


async def test_card_payment_succeeds_redirects_and_signs_its_webhook(sandbox: Sandbox) -> None:
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, "card-ok")).json()
        page = await browser.get(payment["redirect_url"])
        assert page.status_code == 200
        html = page.text
        assert 'name="viewport"' in html and 'lang="ja"' in html
        assert "1,000円" in html
        for name in ("card_number", "expiry", "cvc"):
            assert f'name="{name}"' in html
        assert html.count("<button") == 1 and "<script" not in html
        assert "4242 4242 4242 4242" in html and "4000 0000 0000 0259" in html  # documented

        paid = await pay_card(browser, payment, OK_CARD)
        assert paid.status_code == 303
        assert paid.headers["location"] == RETURN_URL

        again = await browser.get(payment["redirect_url"])
        assert again.status_code == 409 and "完了" in again.text
        assert 'name="card_number"' not in again.text

    await wait_for_events(sandbox.receiver, payment["id"], 1)
    [call] = sandbox.receiver.tries(payment["id"])
    event = verified(call)
    assert event["type"] == "payment.succeeded"
    assert event["data"] == {**payment, "status": "succeeded", "redirect_url": None}
    assert await api_payment(sandbox, payment["id"]) == event["data"]

    forged = {**call.headers, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(SECRET).verify(call.body, forged)


async def test_wallet_page_has_one_approve_button(sandbox: Sandbox) -> None:
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, "wallet", method="wallet")).json()
        page = await browser.get(payment["redirect_url"])
        assert page.status_code == 200
        assert page.text.count("<button") == 1 and "承認する" in page.text
        assert "card_number" not in page.text
        approved = await browser.post(payment["redirect_url"])
        assert (approved.status_code, approved.headers["location"]) == (303, RETURN_URL)
        unknown = await browser.get(f"{sandbox.url}/pay/pay_unknown")
        assert unknown.status_code == 404 and "見つかりません" in unknown.text
    [event] = await wait_for_events(sandbox.receiver, payment["id"], 1)
    assert (event["type"], event["data"]["status"]) == ("payment.succeeded", "succeeded")


async def test_declined_card_fails_with_a_webhook(sandbox: Sandbox) -> None:
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, "declined")).json()
        response = await pay_card(browser, payment, DECLINED)
        assert (response.status_code, response.headers["location"]) == (303, RETURN_URL)
        page = await browser.get(payment["redirect_url"])
        assert page.status_code == 409 and "できませんでした" in page.text
    [event] = await wait_for_events(sandbox.receiver, payment["id"], 1)
    assert event["type"] == "payment.failed"
    assert (event["data"]["status"], event["data"]["failure_code"]) == ("failed", "card_declined")
    verified(sandbox.receiver.tries(payment["id"])[0])


@pytest.mark.parametrize(
    ("number", "expiry", "message"),
    [
        ("4242 4242 4242 4241", EXPIRY, NUMBER_INVALID),  # Luhn fails
        (OTHER_VALID, "01/20", EXPIRY_PAST),
        ("5555-5555-555", EXPIRY, NUMBER_FORMAT),
    ],
)
async def test_invalid_card_is_refused_without_echoing_it(
    sandbox: Sandbox, number: str, expiry: str, message: str
) -> None:
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, f"invalid-{len(number)}-{expiry}")).json()
        response = await pay_card(browser, payment, number, expiry)
        assert response.status_code == 422
        assert message in response.text
        digits = number.replace(" ", "").replace("-", "")
        for form in (number, digits, digits[-4:], expiry):
            assert form not in response.text
        assert 'name="card_number"' in response.text  # the form again, empty
    assert (await api_payment(sandbox, payment["id"]))["status"] == "pending"
    await flush(sandbox)
    assert sandbox.receiver.tries(payment["id"]) == []


async def test_card_that_never_answers_stays_pending_without_webhook(sandbox: Sandbox) -> None:
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, "silent")).json()
        response = await pay_card(browser, payment, NO_ANSWER)
        assert (response.status_code, response.headers["location"]) == (303, RETURN_URL)
        retry = await browser.get(payment["redirect_url"])
        assert retry.status_code == 409 and "処理中" in retry.text

    await flush(sandbox)
    deadline = time.monotonic() + 0.5  # and a short while more, for a late one
    while time.monotonic() < deadline:
        assert sandbox.receiver.tries(payment["id"]) == []
        assert (await api_payment(sandbox, payment["id"]))["status"] == "pending"
        await asyncio.sleep(0.05)


async def test_late_success_card_reports_failure_then_quietly_succeeds(sandbox: Sandbox) -> None:
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, "late")).json()
        response = await pay_card(browser, payment, LATE_SUCCESS)
        assert response.status_code == 303
    started = time.monotonic()
    assert (await api_payment(sandbox, payment["id"]))["status"] == "failed"
    [event] = await wait_for_events(sandbox.receiver, payment["id"], 1)
    assert event["type"] == "payment.failed"
    assert event["data"]["status"] == "failed"

    async def succeeded() -> dict[str, Any] | None:
        current = await api_payment(sandbox, payment["id"])
        return current if current["status"] == "succeeded" else None

    current = await eventually(succeeded, timeout=10)
    assert time.monotonic() - started >= LATE_AFTER * 0.9
    assert current["failure_code"] is None
    await flush(sandbox)
    assert [e["type"] for e in sandbox.receiver.acknowledged(payment["id"])] == ["payment.failed"]


# Webhook delivery


async def test_webhook_is_retried_with_the_same_id_until_acknowledged(sandbox: Sandbox) -> None:
    sandbox.receiver.fail_next = 2
    async with sandbox.api() as api, sandbox.browser() as browser:
        payment = (await create(api, "retried", method="wallet")).json()
        assert (await browser.post(payment["redirect_url"])).status_code == 303
    await wait_for_events(sandbox.receiver, payment["id"], 1)
    tries = sandbox.receiver.tries(payment["id"])
    assert [call.status for call in tries] == [500, 500, 200]
    assert len({call.headers["webhook-id"] for call in tries}) == 1
    assert len({call.body for call in tries}) == 1
    stamps = [int(call.headers["webhook-timestamp"]) for call in tries]
    assert stamps == sorted(stamps)
    for call in tries:
        verified(call)
    await flush(sandbox)
    assert len(sandbox.receiver.tries(payment["id"])) == 3


# Refunds and cancellations


async def test_refunds(sandbox: Sandbox) -> None:
    payment = await paid_payment(sandbox, "refundable", amount=1000)
    path = f"/v1/payments/{payment['id']}/refunds"
    async with sandbox.api() as api:

        async def refund(amount: int, key: str) -> httpx.Response:
            return await api.post(path, json={"amount": amount}, headers={"Idempotency-Key": key})

        first = await refund(300, "r-1")
        assert first.status_code == 201
        assert first.json() == {
            "id": first.json()["id"],
            "payment_id": payment["id"],
            "amount": 300,
        }
        replay = await refund(300, "r-1")
        assert replay.status_code in (200, 201) and replay.json() == first.json()
        assert (await refund(400, "r-1")).json() == {"error": "conflict"}
        assert (await api_payment(sandbox, payment["id"]))["refunded"] == 300

        too_much = await refund(701, "r-2")
        assert (too_much.status_code, too_much.json()) == (
            409,
            {"error": "amount_exceeds_remaining"},
        )
        rest = await refund(700, "r-2")  # the refused key was not used up
        assert rest.status_code == 201 and rest.json()["id"] != first.json()["id"]
        after = await api_payment(sandbox, payment["id"])
        assert (after["status"], after["refunded"]) == ("succeeded", 1000)
        assert (await refund(1, "r-3")).json() == {"error": "amount_exceeds_remaining"}
        assert (await refund(0, "r-4")).status_code == 400

        pending = (await create(api, "not-paid-yet")).json()
        response = await api.post(
            f"/v1/payments/{pending['id']}/refunds",
            json={"amount": 100},
            headers={"Idempotency-Key": "r-5"},
        )
        assert (response.status_code, response.json()) == (409, {"error": "not_refundable"})
        response = await api.post(
            "/v1/payments/pay_nope/refunds", json={"amount": 1}, headers={"Idempotency-Key": "r-6"}
        )
        assert response.status_code == 404

    events = await wait_for_events(sandbox.receiver, payment["id"], 3)
    assert [(e["type"], e["data"]["refunded"]) for e in events] == [
        ("payment.succeeded", 0),
        ("refund.succeeded", 300),
        ("refund.succeeded", 1000),
    ]
    await flush(sandbox)
    assert len(sandbox.receiver.acknowledged(payment["id"])) == 3


async def test_cancel_rules(sandbox: Sandbox) -> None:
    paid = await paid_payment(sandbox, "paid")
    async with sandbox.api() as api, sandbox.browser() as browser:

        async def cancel(payment_id: str, key: str) -> httpx.Response:
            return await api.post(
                f"/v1/payments/{payment_id}/cancel", headers={"Idempotency-Key": key}
            )

        payment = (await create(api, "to-cancel")).json()
        canceled = await cancel(payment["id"], "c-1")
        assert canceled.status_code == 200
        assert canceled.json() == {**payment, "status": "canceled", "redirect_url": None}
        assert (await cancel(payment["id"], "c-1")).json() == canceled.json()
        again = await cancel(payment["id"], "c-2")
        assert (again.status_code, again.json()) == (200, canceled.json())
        page = await browser.get(payment["redirect_url"])
        assert page.status_code == 409 and "取り消" in page.text
        assert (await pay_card(browser, payment, OK_CARD)).status_code == 409

        refused = await cancel(paid["id"], "c-3")
        assert (refused.status_code, refused.json()) == (409, {"error": "not_cancelable"})
        assert (await cancel(paid["id"], "c-1")).json() == {"error": "conflict"}
        assert (await cancel("pay_nope", "c-4")).status_code == 404
        assert (await api.post(f"/v1/payments/{payment['id']}/cancel")).status_code == 400

    [event] = await wait_for_events(sandbox.receiver, payment["id"], 1)
    assert (event["type"], event["data"]["status"]) == ("payment.canceled", "canceled")
    await flush(sandbox)
    assert len(sandbox.receiver.acknowledged(payment["id"])) == 1


# Persistence and card data


async def test_state_and_outbox_survive_a_restart(tmp_path: Path, receiver: Receiver) -> None:
    state_file = tmp_path / "agent" / "state.json"
    receiver.fail_next = 10**6  # our side is down: the webhook stays queued
    async with running_sandbox(state_file, receiver) as first:
        async with first.api() as api, first.browser() as browser:
            payment = (await create(api, "survivor", method="wallet")).json()
            assert (await browser.post(payment["redirect_url"])).status_code == 303

        async def tried() -> bool:
            return bool(receiver.tries(payment["id"]))

        await eventually(tried)
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    assert [p.name for p in state_file.parent.iterdir()] == ["state.json"]  # no temp files left

    receiver.fail_next = 0
    async with running_sandbox(state_file, receiver) as second:
        [event] = await wait_for_events(receiver, payment["id"], 1)
        assert event["type"] == "payment.succeeded"
        assert len({call.headers["webhook-id"] for call in receiver.tries(payment["id"])}) == 1
        async with second.api() as api:
            assert (await api_payment(second, payment["id"]))["status"] == "succeeded"
            replay = await create(api, "survivor", method="wallet")
            assert replay.status_code == 200 and replay.json()["id"] == payment["id"]
            conflict = await create(api, "survivor", amount=5)
            assert conflict.json() == {"error": "conflict"}


async def test_no_card_data_in_state_or_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    numbers = [OK_CARD, DECLINED, NO_ANSWER, LATE_SUCCESS, OTHER_VALID, "4242 4242 4242 4241"]
    async with sandbox.api() as api, sandbox.browser() as browser:
        for index, number in enumerate(numbers):
            payment = (await create(api, f"cards-{index}", reference=f"ref-{index}")).json()
            await pay_card(browser, payment, number)
    await flush(sandbox)
    saved = sandbox.state_file.read_text()
    assert "cards-0" in saved  # the books were written
    assert caplog.records  # and something was logged
    for number in numbers:
        for form in (number, number.replace(" ", ""), number.replace(" ", "-")):
            assert form not in saved
            assert form not in caplog.text
    assert EXPIRY not in saved and EXPIRY not in caplog.text
