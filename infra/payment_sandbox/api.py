"""The agent's JSON API, as a merchant (our payment room) calls it: bearer key, idempotency
keys on every call that moves money, `{"error": code}` on refusal."""

from __future__ import annotations

import hmac
import re
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.payment_sandbox.books import Books, Refusal
from infra.payment_sandbox.state import Method

Body = TypeVar("Body", bound=BaseModel)

_KEY = re.compile(r"[\x21-\x7e]{1,255}")
MAX_AMOUNT = 100_000_000  # yen; a typo guard, as real agents have


class CreateBody(BaseModel):
    model_config = ConfigDict(strict=True)

    reference: str = Field(min_length=1, max_length=200)
    amount: int = Field(gt=0, le=MAX_AMOUNT)
    method: Method
    return_url: str = Field(pattern=r"^https?://", max_length=2000)


class RefundBody(BaseModel):
    model_config = ConfigDict(strict=True)

    amount: int = Field(gt=0, le=MAX_AMOUNT)


def api_routes(books: Books, api_key: str) -> list[Route]:
    expected = f"Bearer {api_key}".encode()

    def authorize(request: Request) -> None:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise Refusal(401, "unauthorized")

    def idempotency_key(request: Request) -> str:
        key = request.headers.get("idempotency-key", "")
        if not _KEY.fullmatch(key):
            raise Refusal(400, "idempotency_key_required")
        return key

    async def parse(request: Request, model: type[Body]) -> Body:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError:
            raise Refusal(400, "invalid_request") from None

    def payment_json(payment_id: str, status: int = 200) -> Response:
        payment = books.payment(payment_id)
        if payment is None:
            raise Refusal(404, "not_found")
        return JSONResponse(books.public(payment), status_code=status)

    async def create(request: Request) -> Response:
        authorize(request)
        key = idempotency_key(request)
        body = await parse(request, CreateBody)
        payment, made = books.create(key, body.reference, body.amount, body.method, body.return_url)
        return payment_json(payment.id, 201 if made else 200)

    async def show(request: Request) -> Response:
        authorize(request)
        return payment_json(request.path_params["payment_id"])

    async def refund(request: Request) -> Response:
        authorize(request)
        key = idempotency_key(request)
        body = await parse(request, RefundBody)
        made, new = books.refund(key, request.path_params["payment_id"], body.amount)
        return JSONResponse(made.public(), status_code=201 if new else 200)

    async def cancel(request: Request) -> Response:
        authorize(request)
        key = idempotency_key(request)
        payment = books.cancel(key, request.path_params["payment_id"])
        return payment_json(payment.id)

    return [
        Route("/v1/payments", create, methods=["POST"]),
        Route("/v1/payments/{payment_id}", show, methods=["GET"]),
        Route("/v1/payments/{payment_id}/refunds", refund, methods=["POST"]),
        Route("/v1/payments/{payment_id}/cancel", cancel, methods=["POST"]),
    ]
