"""The hosted pages residents pay on: a card form or a wallet approval, in Japanese, no script.

The typed card fields are checked and dropped within the request: never saved, logged or put
back into a page (an error page shows empty inputs).
"""

from __future__ import annotations

import datetime as dt

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from infra.payment_sandbox.books import Books, Refusal
from infra.payment_sandbox.cards import Outcome, check_card
from infra.payment_sandbox.state import Payment

JST = dt.timezone(dt.timedelta(hours=9))  # card expiry months are the resident's months

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("infra.payment_sandbox", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

# No caching of payment pages, no framing (clickjacking a pay button), nothing external.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
}

CLOSED = {
    "succeeded": ("お支払い済みです", "このお支払いはすでに完了しています。"),
    "failed": ("お支払いできませんでした", "このお支払いは完了できませんでした。"),
    "canceled": ("取り消されたお支払いです", "このお支払いは取り消されました。"),
    "pending": ("処理中です", "このお支払いはカード会社の応答を待っています。"),
}


def _render(template: str, status: int, **context: object) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _form(payment: Payment, errors: tuple[str, ...] = (), status: int = 200) -> HTMLResponse:
    template = "card.html" if payment.method == "card" else "wallet.html"
    return _render(template, status, amount=f"{payment.amount:,}", errors=errors)


def _closed(payment: Payment) -> HTMLResponse:
    title, message = CLOSED[payment.status]
    return _render("message.html", 409, title=title, message=message, return_url=payment.return_url)


def _not_found() -> HTMLResponse:
    message = "URLをご確認のうえ、申請のページからやり直してください。"
    return _render(
        "message.html", 404, title="お支払いが見つかりません", message=message, return_url=None
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def page_routes(books: Books) -> list[Route]:
    async def pay(request: Request) -> Response:
        payment = books.payment(request.path_params["payment_id"])
        if payment is None:
            return _not_found()
        if not books.payable(payment):
            return _closed(payment)
        if request.method == "GET":
            return _form(payment)
        outcome: Outcome = "succeed"  # a wallet approval
        if payment.method == "card":
            form = await request.form(max_files=0, max_fields=10)
            check = check_card(
                _field(form, "card_number"),
                _field(form, "expiry"),
                _field(form, "cvc"),
                dt.datetime.now(JST).date(),
            )
            if check.outcome is None:
                return _form(payment, check.errors, 422)
            outcome = check.outcome
        try:
            payment = books.settle(payment.id, outcome)
        except Refusal:  # canceled (or paid in another tab) while the form was being read
            return _closed(payment)
        return RedirectResponse(payment.return_url, status_code=303, headers=HEADERS)

    return [Route("/pay/{payment_id}", pay, methods=["GET", "POST"])]
