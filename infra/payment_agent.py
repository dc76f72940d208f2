"""The outside payment agent, behind one interface: create, query, refund, cancel.

Card data never passes through here: the resident types it on the agent's hosted page. We
only send amounts and our own ids, and read back statuses. Every call that changes money
carries an idempotency key, so a retry after a timeout never charges or refunds twice.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from schemas.settings import is_loopback_host

T = TypeVar("T")

PaymentMethod = Literal["card", "wallet"]
AgentStatus = Literal["pending", "succeeded", "failed", "canceled"]


@dataclass(frozen=True)
class AgentPayment:
    id: str  # the agent's id for the payment
    reference: str  # our payment_id
    status: AgentStatus
    amount: int  # yen
    refunded: int  # yen refunded so far
    method: PaymentMethod
    redirect_url: str | None  # the hosted page, while pending
    failure_code: str | None = None  # e.g. "card_declined", when failed


@dataclass(frozen=True)
class AgentRefund:
    id: str
    payment_id: str  # the agent's payment id
    amount: int


class PaymentAgentError(Exception):
    """The agent refused or could not be reached. `code` is a short word, never card data:
    "unreachable", "tls", "not_found", "conflict", "amount_exceeds_remaining", "not_cancelable",
    "refused" (4xx otherwise), "agent_error" (5xx)."""

    def __init__(self, code: str, status: int | None = None) -> None:
        super().__init__(code if status is None else f"{code} ({status})")
        self.code = code
        self.status = status


class PaymentAgent(Protocol):
    async def create_payment(
        self,
        *,
        reference: str,
        amount: int,
        method: PaymentMethod,
        return_url: str,
        idempotency_key: str,
    ) -> AgentPayment: ...

    async def get_payment(self, agent_payment_id: str) -> AgentPayment: ...

    async def refund(
        self, agent_payment_id: str, *, amount: int, idempotency_key: str
    ) -> AgentRefund: ...

    async def cancel(self, agent_payment_id: str, *, idempotency_key: str) -> AgentPayment: ...

    async def aclose(self) -> None: ...


_ERROR_CODE = re.compile(r"[a-z_]{1,40}")
_PAYMENT = TypeAdapter(AgentPayment)
_REFUND = TypeAdapter(AgentRefund)


def _parsed(adapter: TypeAdapter[T], data: Any) -> T:
    try:
        return adapter.validate_python(data)
    except ValidationError:
        # from None: pydantic's message quotes the input, which is the agent's body.
        raise PaymentAgentError("agent_error") from None


def parse_payment(data: Any) -> AgentPayment:
    """The agent's payment object, from its API or a notice; PaymentAgentError if malformed."""
    return _parsed(_PAYMENT, data)


def _tls_failure(exc: BaseException) -> bool:
    """Whether a transport error was the TLS handshake (httpx wraps the ssl error twice)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _error_for(response: httpx.Response) -> PaymentAgentError:
    """The agent's refusal as a short code. Bodies are never quoted: they may carry data."""
    status = response.status_code
    if status == 404:
        return PaymentAgentError("not_found", status)
    if status == 409:
        code = "conflict"
        with contextlib.suppress(ValueError):
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, str) and _ERROR_CODE.fullmatch(error):
                code = error
        return PaymentAgentError(code, status)
    if 400 <= status < 500:
        return PaymentAgentError("refused", status)
    return PaymentAgentError("agent_error", status)


class HttpPaymentAgent:
    """The outside agent's JSON API over HTTPS (plain HTTP only to a loopback stand-in)."""

    def __init__(
        self, base_url: str, api_key: str, *, ca_file: Path | None = None, timeout: float = 10.0
    ) -> None:
        if not api_key:
            raise ValueError("payment agent API key is empty")
        url = httpx.URL(base_url)
        if url.scheme not in ("https", "http"):
            raise ValueError(f"payment agent URL must be https://, not {url.scheme or 'empty'}")
        if url.scheme == "http" and not is_loopback_host(url.host):
            raise ValueError(
                "payment agent URL must be https:// unless the agent is on loopback "
                f"(got http://{url.host})"
            )
        # Only the named CA, when given: a city's private agent must not be impersonable by
        # any public CA's certificate.
        try:
            context = (
                ssl.create_default_context(cafile=str(ca_file))
                if ca_file is not None
                else ssl.create_default_context()
            )
        except ssl.SSLError:
            raise ValueError(f"CA file {ca_file} is not a PEM certificate") from None
        except OSError as exc:
            raise ValueError(f"CA file {ca_file} does not load: {exc.strerror}") from None
        self._client = httpx.AsyncClient(
            base_url=str(url).rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            verify=context,
            timeout=timeout,
            follow_redirects=False,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
        try:
            response = await self._client.request(method, path, json=body, headers=headers)
        except httpx.TransportError as exc:
            code = "tls" if _tls_failure(exc) else "unreachable"
            raise PaymentAgentError(code) from exc
        except httpx.RequestError as exc:  # e.g. an undecodable body: the agent misbehaved
            raise PaymentAgentError("agent_error") from exc
        if not response.is_success:
            raise _error_for(response)
        try:
            return response.json()
        except ValueError:
            raise PaymentAgentError("agent_error", response.status_code) from None

    async def create_payment(
        self,
        *,
        reference: str,
        amount: int,
        method: PaymentMethod,
        return_url: str,
        idempotency_key: str,
    ) -> AgentPayment:
        body = {
            "reference": reference,
            "amount": amount,
            "method": method,
            "return_url": return_url,
        }
        data = await self._call("POST", "/v1/payments", body=body, idempotency_key=idempotency_key)
        return parse_payment(data)

    async def get_payment(self, agent_payment_id: str) -> AgentPayment:
        data = await self._call("GET", f"/v1/payments/{_segment(agent_payment_id)}")
        return parse_payment(data)

    async def refund(
        self, agent_payment_id: str, *, amount: int, idempotency_key: str
    ) -> AgentRefund:
        data = await self._call(
            "POST",
            f"/v1/payments/{_segment(agent_payment_id)}/refunds",
            body={"amount": amount},
            idempotency_key=idempotency_key,
        )
        return _parsed(_REFUND, data)

    async def cancel(self, agent_payment_id: str, *, idempotency_key: str) -> AgentPayment:
        data = await self._call(
            "POST",
            f"/v1/payments/{_segment(agent_payment_id)}/cancel",
            idempotency_key=idempotency_key,
        )
        return parse_payment(data)

    async def aclose(self) -> None:
        await self._client.aclose()


def _segment(value: str) -> str:
    """One path segment: an id can never reach another route ("../", "?")."""
    return quote(value, safe="")
