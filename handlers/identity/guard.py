"""Who is calling, from where, and may they: the check every staff route makes.

`authorize(request, action, resource)` authenticates the session cookie, refuses a cookie
replayed from another zone, checks the CSRF token on state-changing calls, asks the one
authorization function, audits refusals, and returns the principal.
"""

from __future__ import annotations

from starlette.requests import Request

from events.catalog import EVENTS
from events.envelope import Publisher, new_event_id
from handlers.identity.authz import MESSAGES, Action, Resource, decide
from handlers.identity.sessions import load_session
from handlers.identity.zones import zone_of
from infra.metrics import ACCESS_REFUSALS
from infra.runtime import Runtime
from infra.web import ApiError
from schemas.accounts import Principal, Session, Zone
from schemas.events import AccessEvent, AccessRefused

ACCESS = Publisher(
    "identity",
    "guard:record_access",
    *(spec.model for spec in EVENTS if issubclass(spec.model, AccessEvent)),
)

SESSION_COOKIE = "madoguchi_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXPIRED = "パスワードの有効期限が切れています。変更してください。"


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def request_zone(request: Request) -> Zone | None:
    """A verified client certificate's zone first (TLS), else the client address's."""
    certified = request.scope.get("extensions", {}).get("tls", {}).get("client_cert_zone")
    if certified in ("SA", "SJ", "MN"):
        return certified  # type: ignore[no-any-return]
    client = request.client.host if request.client else None
    return zone_of(client, runtime_of(request).settings.zones_in_force)


async def current_session(request: Request, *, password_change: bool = False) -> Session:
    token = request.cookies.get(SESSION_COOKIE)
    session = await load_session(runtime_of(request).js, token) if token else None
    if session is None:
        raise ApiError(401, "sign_in_required", "サインインしてください。")
    if session.zone != request_zone(request):
        # A session belongs to the network it was opened from; a copied cookie elsewhere is void.
        raise ApiError(
            401, "zone_changed", "別のネットワークからは、もう一度サインインしてください。"
        )
    if (
        request.method not in SAFE_METHODS
        and request.headers.get(CSRF_HEADER) != session.csrf_token
    ):
        raise ApiError(403, "csrf", "画面を読み込み直してから、もう一度操作してください。")
    if session.password_change_only and not password_change:
        raise ApiError(
            403, "password_expired", "パスワードの有効期限が切れています。変更してください。"
        )
    return session


async def record_access(
    request: Request, event: type[AccessEvent], org: str, actor: str, **details: object
) -> None:
    """Publish an access event (sign-ins, refusals, reads of personal data, exports)."""
    await ACCESS(
        runtime_of(request).broker,
        event(
            event_id=new_event_id(),
            org=org,
            actor=actor,
            zone=request_zone(request),
            **details,
        ),
    )


async def authorize(
    request: Request,
    action: Action,
    resource: Resource | None = None,
    *,
    personal_info: bool = False,
) -> Principal:
    """The caller, if they may take `action` on `resource` (default: their own org's data)."""
    session = await current_session(request)
    if resource is None:
        resource = Resource(org=session.principal.org, personal_info=personal_info)
    decision = decide(session.principal, session.zone, action, resource)
    if not decision:
        ACCESS_REFUSALS.labels(decision.reason).inc()
        await record_access(
            request,
            AccessRefused,
            session.principal.org,
            session.principal.login,
            action=action,
            reason_code=decision.reason,
        )
        raise ApiError(403, decision.reason, MESSAGES[decision.reason])
    return session.principal
