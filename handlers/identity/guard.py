"""Who is calling, from where, and may they: the check every staff route makes.

`Guard.authorize(request, action, resource)` authenticates the session cookie, refuses a
cookie replayed from another zone, checks the CSRF token on state-changing calls, asks the one
authorization function, audits refusals, and returns the principal. Each room's routes are
bound to the one `Guard` the composition root built.
"""

from __future__ import annotations

from dataclasses import dataclass

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from starlette.requests import Request

from events.catalog import EVENTS
from events.envelope import Publisher, new_event_id
from handlers.identity.authz import MESSAGES, Action, Resource, decide
from handlers.identity.sessions import load_session
from handlers.identity.zones import zone_of
from infra.metrics import ACCESS_REFUSALS
from infra.web import ApiError
from schemas.accounts import Principal, Session, Zone
from schemas.events import AccessEvent, AccessRefused, PersonalDataRead
from schemas.settings import ZoneSettings

ACCESS = Publisher(
    "identity",
    "guard:record_access",
    *(spec.model for spec in EVENTS if issubclass(spec.model, AccessEvent)),
)

SESSION_COOKIE = "madoguchi_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXPIRED = "パスワードの有効期限が切れています。変更してください。"


@dataclass(frozen=True)
class Guard:
    """What the check needs: the session store, the zone map, the bus for access events."""

    js: JetStreamContext
    zones: ZoneSettings
    broker: NatsBroker

    def zone(self, request: Request) -> Zone | None:
        """A verified client certificate's zone first (TLS), else the client address's."""
        certified = request.scope.get("extensions", {}).get("tls", {}).get("client_cert_zone")
        if certified in ("SA", "SJ", "MN"):
            return certified  # type: ignore[no-any-return]
        client = request.client.host if request.client else None
        return zone_of(client, self.zones)

    async def session(self, request: Request, *, password_change: bool = False) -> Session:
        token = request.cookies.get(SESSION_COOKIE)
        session = await load_session(self.js, token) if token else None
        if session is None:
            raise ApiError(401, "sign_in_required", "サインインしてください。")
        if session.zone != self.zone(request):
            # A session belongs to the network it was opened from; a copied cookie elsewhere
            # is void.
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
        self, request: Request, event: type[AccessEvent], org: str, actor: str, **details: object
    ) -> None:
        """Publish an access event (sign-ins, refusals, reads of personal data, exports)."""
        await ACCESS(
            self.broker,
            event(
                event_id=new_event_id(),
                org=org,
                actor=actor,
                zone=self.zone(request),
                **details,
            ),
        )

    async def record_pi_read(
        self, request: Request, who: Principal, resource_id: str, action: Action
    ) -> None:
        """Audit `who` reading personal data (`access.pi_read`): answers, a result, a file."""
        await self.record_access(
            request, PersonalDataRead, who.org, who.login, resource_id=resource_id, action=action
        )

    async def authorize(
        self,
        request: Request,
        action: Action,
        resource: Resource | None = None,
        *,
        personal_info: bool = False,
    ) -> Principal:
        """The caller, if they may take `action` on `resource` (default: their own org's data)."""
        session = await self.session(request)
        if resource is None:
            resource = Resource(org=session.principal.org, personal_info=personal_info)
        decision = decide(session.principal, session.zone, action, resource)
        if not decision:
            ACCESS_REFUSALS.labels(decision.reason).inc()
            await self.record_access(
                request,
                AccessRefused,
                session.principal.org,
                session.principal.login,
                action=action,
                reason_code=decision.reason,
            )
            raise ApiError(403, decision.reason, MESSAGES[decision.reason])
        return session.principal
