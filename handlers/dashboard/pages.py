"""What every staff page shares: the templates, the signed-in check, the error page.

Pages ask the same guard as the API. A missing or expired session sends the browser to
the sign-in page; a refusal is shown as a page with the reason. Every page is `no-store`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from handlers.identity.authz import Action, Resource
from handlers.identity.guard import Guard
from handlers.shared.wareki import wareki_date, wareki_datetime
from infra.web import ApiError
from schemas.accounts import Principal, Session

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["wareki"] = wareki_date
templates.env.filters["wareki_dt"] = wareki_datetime
templates.env.filters["yen"] = lambda amount: "" if amount is None else f"{amount:,} 円"
ROLE_LABELS = {
    "staff": "職員",
    "org_admin": "所属管理者",
    "payment_operator": "支払担当",
    "auditor": "監査",
    "admin": "システム管理者",
}


class Refused(Exception):
    """A page the caller may not see: carries the response to send instead."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


@dataclass(frozen=True)
class Pages:
    """What every staff page does first and last: ask the guard, render a template."""

    guard: Guard
    city_name: str

    def render(
        self, request: Request, name: str, session: Session | None, code: int = 200, **context: Any
    ) -> Response:
        context |= {
            "session": session,
            "who": session.principal if session else None,
            "role_labels": ROLE_LABELS,
            "city_name": self.city_name,
        }
        return templates.TemplateResponse(request, name, context, status_code=code)

    def missing(self, request: Request, session: Session, reason: str) -> Refused:
        """A 404 page for a record that is not there (or no longer: retention ended it)."""
        return Refused(self.render(request, "refused.html", session, 404, reason=reason))

    async def signed_in(self, request: Request) -> Session:
        try:
            return await self.guard.session(request)
        except ApiError as refused:
            if refused.status == 401 or refused.code == "password_expired":
                raise Refused(RedirectResponse("/staff/", status_code=303)) from None
            raise Refused(
                self.render(request, "refused.html", None, refused.status, reason=refused.detail)
            ) from None

    async def allowed(
        self,
        request: Request,
        action: Action,
        resource: Resource | None = None,
        *,
        personal_info: bool = False,
    ) -> tuple[Session, Principal]:
        session = await self.signed_in(request)
        try:
            who = await self.guard.authorize(request, action, resource, personal_info=personal_info)
        except ApiError as refused:
            raise Refused(
                self.render(request, "refused.html", session, refused.status, reason=refused.detail)
            ) from None
        return session, who


Endpoint = Callable[..., Awaitable[Response]]


def page(endpoint: Endpoint) -> Endpoint:
    """A staff page: a refusal anywhere inside becomes the page (or redirect) it carries. The
    page's pieces (`pages`, stores, ...) are bound by keyword when its route is made."""

    @functools.wraps(endpoint)
    async def guarded(request: Request, **pieces: Any) -> Response:
        try:
            return await endpoint(request, **pieces)
        except Refused as refused:
            return refused.response

    return guarded
