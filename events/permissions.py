"""Who may touch what on the bus: NATS users and permissions, derived from the catalog.

The service is `operator`; auditors share `auditor` (read-only replay of the event streams,
message by message: no consumers);
scanners and dashboards get a user per organisation that reaches that organisation's
subjects only. No client user is allowed `$JS.API.>` (that would read every stream of the
account, personal-data buckets included), nor another user's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from events.catalog import EVENTS, SCAN_SUBMIT, STREAMS

NatsRole = Literal["operator", "scanner", "dashboard", "auditor"]
NATS_ROLES: tuple[NatsRole, ...] = ("operator", "scanner", "dashboard", "auditor")
ORG_SCOPED_ROLES: frozenset[NatsRole] = frozenset({"scanner", "dashboard"})


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def _event_streams() -> tuple[str, ...]:
    return tuple(stream.name for stream in STREAMS)


def _auditor_api() -> tuple[str, ...]:
    # Replay by reading stored messages one by one (`STREAM.MSG.GET`, `DIRECT.GET`), never
    # through a consumer: whoever may create consumers may also name an existing one (and
    # change the service's `ocr`, `audit-chain`, ...) or make the server deliver into any
    # subject. Nothing on the KV_/OBJ_ streams that hold personal data.
    subjects = ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST"]
    for stream in _event_streams():
        subjects += [
            f"$JS.API.STREAM.INFO.{stream}",
            f"$JS.API.STREAM.MSG.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}.>",
        ]
    return tuple(subjects)


def nats_user(role: NatsRole, org: str | None = None) -> str:
    """The NATS user name: one per role, and one per organisation for org-scoped roles."""
    if role in ORG_SCOPED_ROLES:
        if org is None:
            raise ValueError(f"{role} credentials are per organisation")
        return f"{role}-{org}"
    return role


def inbox_prefix(user: str) -> str:
    """Each client user gets inboxes of its own, so no client can read another's replies
    (the service's JetStream replies carry personal data)."""
    return "_INBOX" if user == "operator" else f"_INBOX_{user}"


def permissions_for(role: NatsRole, org: str | None = None) -> Permissions:
    user_inbox = f"{inbox_prefix(nats_user(role, org))}.>"
    if role == "operator":
        return Permissions(publish=(">",), subscribe=(">",))
    if role == "scanner":
        # Hand scans in through the intake service, for its own org, and hear its replies:
        # nothing else (no events of its own, no JetStream API, nothing to read back).
        submit = SCAN_SUBMIT.subject(str(org)), SCAN_SUBMIT.upload_subjects(str(org))
        return Permissions(publish=submit, subscribe=(user_inbox,))
    if role == "dashboard":
        subjects = tuple(sorted({f"{spec.aggregate}.*.{org}" for spec in EVENTS}))
        return Permissions(publish=(), subscribe=subjects)
    if role == "auditor":
        return Permissions(publish=_auditor_api(), subscribe=(user_inbox,))
    raise ValueError(f"unknown NATS role {role!r}")
