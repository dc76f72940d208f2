"""The authorization function over every role x zone x PI flag x resource kind."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from handlers.identity.authz import Action, Resource, decide
from schemas.accounts import ROLES, Principal, Zone

ZONES: list[Zone | None] = ["SA", "SJ", "MN", None]
ACTIONS: list[Action] = list(get_args(Action))
RESOURCES = {
    "plain": Resource(org="shimin"),
    "personal": Resource(org="shimin", personal_info=True),
    "identity_doc": Resource(org="shimin", personal_info=True, identity_document=True),
    "other_org_plain": Resource(org="zeimu"),
    "other_org_personal": Resource(org="zeimu", personal_info=True),
}
GRID = list(itertools.product(ROLES, [True, False], ZONES, ACTIONS, RESOURCES))

# Who may do what, written from the city's rules (docs/DESIGN.md, "The city's rules"), not
# from the code: staff do their organisation's OCR and application work; an organisation's
# administrator also manages its accounts and definitions; refunds and cancellations are made
# only by the account type allowed to (payment operators, who also see applications to know
# what was paid); auditors read the audit record and nothing else; the city's administrator
# manages organisations, accounts and definitions but reads no one's data.
ROLE_TABLE = """
                    staff  org_admin  payment_operator  auditor  admin
document.read         Y        Y             .             .       .
document.upload       Y        Y             .             .       .
document.verify       Y        Y             .             .       .
document.export       Y        Y             .             .       .
application.read      Y        Y             Y             .       .
application.review    Y        Y             .             .       .
attachment.open       Y        Y             .             .       .
payment.read          .        .             Y             .       .
payment.refund        .        .             Y             .       .
payment.cancel        .        .             Y             .       .
user.manage           .        Y             .             .       Y
org.manage            .        .             .             .       Y
template.manage       .        Y             .             .       Y
procedure.manage      .        Y             .             .       Y
audit.read            .        .             .             Y       .
"""


def allowed_by_the_city() -> dict[str, frozenset[str]]:
    header, *rows = [line.split() for line in ROLE_TABLE.strip().splitlines()]
    return {
        role: frozenset(row[0] for row in rows if row[1 + column] == "Y")
        for column, role in enumerate(header)
    }


CITY_ROLE_ACTIONS = allowed_by_the_city()


def test_the_table_covers_every_role_and_action() -> None:
    assert set(CITY_ROLE_ACTIONS) == set(ROLES)
    rows = {line.split()[0] for line in ROLE_TABLE.strip().splitlines()[1:]}
    assert rows == set(ACTIONS)


@pytest.mark.parametrize(("role", "action"), list(itertools.product(ROLES, ACTIONS)))
def test_each_role_may_do_what_the_city_allows_and_nothing_else(role: str, action: Action) -> None:
    # Everything but the role in the action's favour: own org, a plain resource, an SA terminal.
    decision = decide(who(role, True), "SA", action, Resource(org="shimin"))
    assert decision.allowed == (action in CITY_ROLE_ACTIONS[role])
    if not decision.allowed:
        assert decision.reason == "role"


def who(role: str, pi: bool) -> Principal:
    return Principal(login="u1", org="shimin", role=role, personal_info=pi)  # type: ignore[arg-type]


@pytest.mark.parametrize(("role", "pi", "zone", "action", "resource"), GRID)
def test_every_combination_keeps_the_city_rules(
    role: str, pi: bool, zone: Zone | None, action: Action, resource: str
) -> None:
    target = RESOURCES[resource]
    decision = decide(who(role, pi), zone, action, target)
    if not decision.allowed:
        return
    # Anything allowed must satisfy every rule at once:
    assert action in CITY_ROLE_ACTIONS[role]
    assert zone is not None
    if target.org != "shimin":  # only the city's administrator and auditors cross orgs
        assert role in ("admin", "auditor")
    if target.identity_document:
        assert zone == "MN" and pi
    elif target.personal_info:
        assert zone == "SJ" and pi
    else:
        assert zone in ("SA", "SJ")
    if action in ("payment.refund", "payment.cancel"):
        assert role == "payment_operator"


EXPECTED = [
    # role, pi, zone, action, resource, allowed, reason
    ("staff", True, "SJ", "document.read", "personal", True, "ok"),
    ("staff", True, "SA", "document.read", "personal", False, "needs_sj"),
    ("staff", False, "SJ", "document.read", "personal", False, "not_pi_handler"),
    ("staff", True, "SA", "document.read", "plain", True, "ok"),
    ("staff", True, "SJ", "document.read", "plain", True, "ok"),
    ("staff", True, "MN", "document.read", "plain", False, "needs_sa"),
    ("staff", True, None, "document.read", "plain", False, "no_zone"),
    ("staff", True, "SJ", "document.read", "other_org_personal", False, "other_org"),
    ("staff", True, "SJ", "attachment.open", "identity_doc", False, "needs_mn"),
    ("staff", True, "MN", "attachment.open", "identity_doc", True, "ok"),
    ("staff", False, "MN", "attachment.open", "identity_doc", False, "not_pi_handler"),
    ("staff", True, "SJ", "payment.refund", "personal", False, "role"),
    ("payment_operator", True, "SJ", "payment.refund", "personal", True, "ok"),
    ("payment_operator", True, "SA", "payment.refund", "plain", True, "ok"),
    ("payment_operator", True, "SJ", "payment.refund", "other_org_personal", False, "other_org"),
    ("payment_operator", True, "SJ", "document.read", "personal", False, "role"),
    ("org_admin", False, "SA", "user.manage", "plain", True, "ok"),
    ("org_admin", False, "SA", "user.manage", "other_org_plain", False, "other_org"),
    ("admin", False, "SA", "org.manage", "other_org_plain", True, "ok"),
    ("admin", True, "SJ", "document.read", "personal", False, "role"),
    ("auditor", False, "SA", "audit.read", "other_org_plain", True, "ok"),
    ("auditor", True, "SJ", "document.read", "personal", False, "role"),
]


@pytest.mark.parametrize(
    ("role", "pi", "zone", "action", "resource", "allowed", "reason"), EXPECTED
)
def test_chosen_cases(
    role: str,
    pi: bool,
    zone: Zone | None,
    action: Action,
    resource: str,
    allowed: bool,
    reason: str,
) -> None:
    decision = decide(who(role, pi), zone, action, RESOURCES[resource])
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_each_role_can_do_its_work_somewhere() -> None:
    for role in ROLES:
        assert any(
            decide(who(role, pi), zone, action, RESOURCES[res]).allowed
            for pi, zone, action, res in itertools.product([True], ZONES, ACTIONS, RESOURCES)
        ), role
