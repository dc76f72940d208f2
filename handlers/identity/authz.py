"""The one authorization decision: (who, from which zone, doing what, to what) -> allow or deny.

Pure and table-tested. Every HTTP route and every bus request path asks it. The city's rules
(DESIGN.md): nobody sees another organisation's data; work with personal information only
by people who handle it, from resident-information terminals (SJ); identity-document
attachments only from My Number terminals (MN); work without personal information from the
internal-affairs network (SA) or SJ; refunds and cancellations only by payment operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.accounts import Principal, Role, Zone

Action = Literal[
    "document.read",
    "document.upload",
    "document.verify",
    "document.export",
    "application.read",
    "application.review",
    "attachment.open",
    "payment.read",
    "payment.refund",
    "payment.cancel",
    "user.manage",
    "org.manage",
    "template.manage",
    "procedure.manage",
    "audit.read",
]

STAFF_WORK: frozenset[Action] = frozenset(
    {
        "document.read",
        "document.upload",
        "document.verify",
        "document.export",
        "application.read",
        "application.review",
        "attachment.open",
    }
)
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    "staff": STAFF_WORK,
    "org_admin": STAFF_WORK | {"user.manage", "template.manage", "procedure.manage"},
    "payment_operator": frozenset(
        {
            "application.read",
            "payment.read",
            "payment.refund",
            "payment.cancel",
        }
    ),
    "auditor": frozenset({"audit.read"}),
    "admin": frozenset({"user.manage", "org.manage", "template.manage", "procedure.manage"}),
}

# Actions an admin or auditor may take on any organisation; all others stay inside one's own.
CROSS_ORG: dict[Role, frozenset[Action]] = {
    "admin": frozenset({"user.manage", "org.manage", "template.manage", "procedure.manage"}),
    "auditor": frozenset({"audit.read"}),
}
NON_PI_ZONES: frozenset[Zone] = frozenset({"SA", "SJ"})


@dataclass(frozen=True)
class Resource:
    org: str
    personal_info: bool = False
    identity_document: bool = False  # an identity-document attachment (My Number network only)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # a code: "ok", "role", "other_org", "no_zone", "zone_sa_only", ...

    def __bool__(self) -> bool:
        return self.allowed


MESSAGES = {
    "role": "この操作を行う権限がありません。",
    "other_org": "他の所属のデータは扱えません。",
    "no_zone": "この端末のネットワークからは利用できません。",
    "not_pi_handler": "個人情報を取り扱う権限がありません。",
    "needs_sj": "個人情報を含む業務は住民情報系（SJ）端末からのみ行えます。",
    "needs_mn": "本人確認書類はマイナンバー系（MN）端末からのみ開けます。",
    "needs_sa": "この業務は内部事務系（SA）または住民情報系（SJ）端末から行ってください。",
}


def decide(who: Principal, zone: Zone | None, action: Action, resource: Resource) -> Decision:
    if action not in ROLE_ACTIONS[who.role]:
        return Decision(False, "role")
    if resource.org != who.org and action not in CROSS_ORG.get(who.role, frozenset()):
        return Decision(False, "other_org")
    if zone is None:
        return Decision(False, "no_zone")
    if resource.identity_document:
        if not who.personal_info:
            return Decision(False, "not_pi_handler")
        return Decision(zone == "MN", "ok" if zone == "MN" else "needs_mn")
    if resource.personal_info:
        if not who.personal_info:
            return Decision(False, "not_pi_handler")
        return Decision(zone == "SJ", "ok" if zone == "SJ" else "needs_sj")
    return Decision(zone in NON_PI_ZONES, "ok" if zone in NON_PI_ZONES else "needs_sa")
