"""Who may touch what on the bus: one NATS user per role, permissions derived from the catalog.

Per-organisation users and accounts belong to the identity work; here each role gets its own
user so a scanner or dashboard credential can never act as the service. Note that a user
allowed `$JS.API.>` could read every stream of its account, so no client role gets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from events.catalog import EVENTS, STREAMS

NatsRole = Literal["operator", "scanner", "dashboard", "auditor"]
NATS_ROLES: tuple[NatsRole, ...] = ("operator", "scanner", "dashboard", "auditor")
ORG_SCOPED_ROLES: frozenset[NatsRole] = frozenset({"scanner", "dashboard"})

INBOX = "_INBOX.>"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def _event_streams() -> tuple[str, ...]:
    return tuple(stream.name for stream in STREAMS)


def _auditor_api() -> tuple[str, ...]:
    # Read-only replay through ordered (ephemeral, push) consumers: create and inspect them,
    # read stream messages. No MSG.NEXT or ACK (that would steal the handlers' work), no
    # DELETE, no PURGE, and nothing on the KV_/OBJ_ streams that hold personal data.
    subjects = ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.FC.>"]
    for stream in _event_streams():
        subjects += [
            f"$JS.API.STREAM.INFO.{stream}",
            f"$JS.API.CONSUMER.CREATE.{stream}",
            f"$JS.API.CONSUMER.CREATE.{stream}.>",
            f"$JS.API.CONSUMER.INFO.{stream}.>",
            f"$JS.API.STREAM.MSG.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}.>",
        ]
    return tuple(subjects)


def permissions_for(role: NatsRole) -> Permissions:
    event_subjects = tuple(sorted({spec.all_orgs for spec in EVENTS}))
    if role == "operator":
        return Permissions(publish=(">",), subscribe=(">",))
    if role == "scanner":
        scanned = next(s for s in EVENTS if s.type_name == "document.scanned")
        return Permissions(publish=(scanned.all_orgs,), subscribe=(INBOX,))
    if role == "dashboard":
        return Permissions(publish=(), subscribe=(*event_subjects, INBOX))
    if role == "auditor":
        return Permissions(publish=_auditor_api(), subscribe=(INBOX,))
    raise ValueError(f"unknown NATS role {role!r}")
