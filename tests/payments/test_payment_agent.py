"""The payment agent client against the sandbox over real HTTPS, and against a misbehaving
agent over loopback HTTP: TLS pinning to our CA, error codes, no bodies in messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from infra.payment_agent import (
    AgentPayment,
    AgentRefund,
    HttpPaymentAgent,
    PaymentAgent,
    PaymentAgentError,
)
from infra.tls import TlsFiles, client_context, init
from tests.conftest import free_port
from tests.payments.test_sandbox import (
    API_KEY,
    RETURN_URL,
    Receiver,
    Sandbox,
    receiver,  # noqa: F401  (fixtures)
    receiver_server,  # noqa: F401
    running_sandbox,
    serve,
    wait_for_events,
)


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return init(tmp_path / "tls")


@pytest.fixture
async def https_sandbox(
    tmp_path: Path,
    tls: TlsFiles,
    receiver: Receiver,  # noqa: F811
) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path / "agent.json", receiver, tls) as sandbox:
        yield sandbox


async def code_of(call: Any) -> str:
    with pytest.raises(PaymentAgentError) as caught:
        await call
    return caught.value.code


async def test_client_over_https(https_sandbox: Sandbox, tls: TlsFiles) -> None:
    agent: PaymentAgent = HttpPaymentAgent(
        https_sandbox.url, API_KEY, ca_file=tls.ca_file, timeout=5
    )
    try:

        async def create(key: str, amount: int = 1200, method: Any = "wallet") -> AgentPayment:
            return await agent.create_payment(
                reference="pay-7",
                amount=amount,
                method=method,
                return_url=RETURN_URL,
                idempotency_key=key,
            )

        payment = await create("k-1")
        assert payment == AgentPayment(
            id=payment.id,
            reference="pay-7",
            status="pending",
            amount=1200,
            refunded=0,
            method="wallet",
            redirect_url=f"{https_sandbox.url}/pay/{payment.id}",
            failure_code=None,
        )
        assert await create("k-1") == payment  # a retry after a timeout charges once
        assert await code_of(create("k-1", amount=1)) == "conflict"
        assert await agent.get_payment(payment.id) == payment

        assert payment.redirect_url is not None
        async with httpx.AsyncClient(verify=client_context(tls, with_client_cert=False)) as web:
            assert (await web.post(payment.redirect_url)).status_code == 303
        paid = await agent.get_payment(payment.id)
        assert (paid.status, paid.redirect_url) == ("succeeded", None)
        await wait_for_events(https_sandbox.receiver, payment.id, 1)

        refund = await agent.refund(payment.id, amount=200, idempotency_key="r-1")
        assert refund == AgentRefund(id=refund.id, payment_id=payment.id, amount=200)
        assert await agent.refund(payment.id, amount=200, idempotency_key="r-1") == refund
        assert (await agent.get_payment(payment.id)).refunded == 200
        too_much = agent.refund(payment.id, amount=1001, idempotency_key="r-2")
        assert await code_of(too_much) == "amount_exceeds_remaining"
        assert await code_of(agent.cancel(payment.id, idempotency_key="c-1")) == "not_cancelable"

        other = await create("k-2", method="card")
        canceled = await agent.cancel(other.id, idempotency_key="c-2")
        assert (canceled.id, canceled.status) == (other.id, "canceled")

        assert await code_of(agent.get_payment("pay_nope")) == "not_found"
        assert await code_of(agent.get_payment("../payments")) == "not_found"
    finally:
        await agent.aclose()

    intruder = HttpPaymentAgent(https_sandbox.url, "sk_wrong", ca_file=tls.ca_file)
    try:
        assert await code_of(intruder.get_payment(payment.id)) == "refused"
    finally:
        await intruder.aclose()


async def test_another_ca_is_not_trusted(https_sandbox: Sandbox, tmp_path: Path) -> None:
    other = init(tmp_path / "other-ca")
    agent = HttpPaymentAgent(https_sandbox.url, API_KEY, ca_file=other.ca_file, timeout=5)
    try:
        assert await code_of(agent.get_payment("pay_x")) == "tls"
    finally:
        await agent.aclose()
    system_only = HttpPaymentAgent(https_sandbox.url, API_KEY, timeout=5)
    try:
        assert await code_of(system_only.get_payment("pay_x")) == "tls"
    finally:
        await system_only.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "http://agent.example.jp",
        "http://10.0.0.5:8443",
        "http://127.0.0.1.example.jp",
        "http://[2001:db8::1]:80",
        "ftp://127.0.0.1/",
        "agent.example.jp",
    ],
)
async def test_plain_http_only_to_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        HttpPaymentAgent(url, API_KEY)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8081",
        "http://127.9.9.9",
        "http://localhost:8081",
        "http://[::1]:8081",
        "https://agent.example.jp",
    ],
)
async def test_allowed_urls(url: str) -> None:
    await HttpPaymentAgent(url, API_KEY).aclose()


async def test_unreachable_agent() -> None:
    agent = HttpPaymentAgent(f"http://127.0.0.1:{free_port()}", API_KEY, timeout=2)
    try:
        assert await code_of(agent.get_payment("pay_x")) == "unreachable"
    finally:
        await agent.aclose()


class FakeAgent:
    """An agent that answers what each test asks, and remembers the headers it got."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.headers: list[dict[str, str]] = []

    async def payments(self, request: Request) -> Response:
        self.headers.append(dict(request.headers))
        return JSONResponse({"error": "internal", "card": "SECRET-BODY"}, status_code=503)

    async def payment(self, request: Request) -> Response:
        self.headers.append(dict(request.headers))
        answers: dict[str, Response] = {
            "e500": PlainTextResponse("SECRET-BODY stack trace", status_code=500),
            "e409": JSONResponse({"error": "amount_exceeds_remaining"}, status_code=409),
            "e409odd": JSONResponse({"error": "SECRET-BODY!"}, status_code=409),
            "e409text": PlainTextResponse("SECRET-BODY", status_code=409),
            "e400": JSONResponse({"error": "invalid_request"}, status_code=400),
            "e422": PlainTextResponse("SECRET-BODY", status_code=422),
            "e302": Response(status_code=302, headers={"location": "https://evil.example/"}),
            "notjson": PlainTextResponse("SECRET-BODY", status_code=200),
            "shape": JSONResponse({"id": "SECRET-BODY", "status": "weird"}),
        }
        name = request.path_params["name"]
        if name == "slow":
            await self.release.wait()
        return answers.get(name, JSONResponse({"error": "not_found"}, status_code=404))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/payments", self.payments, methods=["POST"]),
                Route("/v1/payments/{name}", self.payment),
            ]
        )


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeAgent, str]]:
    agent = FakeAgent()
    async with serve(agent.app()) as url:
        try:
            yield agent, url
        finally:
            agent.release.set()  # or the server would wait on the slow answer to stop


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("e500", "agent_error"),
        ("e409", "amount_exceeds_remaining"),
        ("e409odd", "conflict"),
        ("e409text", "conflict"),
        ("e400", "refused"),
        ("e422", "refused"),
        ("e302", "agent_error"),
        ("notjson", "agent_error"),
        ("shape", "agent_error"),
        ("missing", "not_found"),
    ],
)
async def test_failures_map_to_codes_without_bodies(
    fake: tuple[FakeAgent, str], name: str, code: str
) -> None:
    _, url = fake
    agent = HttpPaymentAgent(url, API_KEY)
    try:
        with pytest.raises(PaymentAgentError) as caught:
            await agent.get_payment(name)
    finally:
        await agent.aclose()
    assert caught.value.code == code
    for text in (str(caught.value), repr(caught.value), repr(caught.value.__cause__)):
        assert "SECRET-BODY" not in text


async def test_headers_and_5xx_on_create(fake: tuple[FakeAgent, str]) -> None:
    server, url = fake
    agent = HttpPaymentAgent(url + "/", API_KEY)
    try:
        with pytest.raises(PaymentAgentError) as caught:
            await agent.create_payment(
                reference="pay-1",
                amount=100,
                method="card",
                return_url=RETURN_URL,
                idempotency_key="idem-1",
            )
    finally:
        await agent.aclose()
    assert (caught.value.code, caught.value.status) == ("agent_error", 503)
    assert "SECRET-BODY" not in str(caught.value)
    [headers] = server.headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["idempotency-key"] == "idem-1"


async def test_timeout_is_unreachable(fake: tuple[FakeAgent, str]) -> None:
    _, url = fake
    agent = HttpPaymentAgent(url, API_KEY, timeout=0.2)
    try:
        assert await code_of(agent.get_payment("slow")) == "unreachable"
    finally:
        await agent.aclose()
