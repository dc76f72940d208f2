"""Administration over real HTTP: accounts (create, lock, reset), organisations, templates and
procedures, each with its refusals; and the rules behind them as tables."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from pydantic import ValidationError

from handlers.identity.admin_rules import (
    account_refusal,
    grantable_roles,
    validation_problems,
)
from schemas.accounts import Principal, Role
from schemas.forms import FormTemplate
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli, sign_in
from tests.support import eventually, read_all

SYS, ORG_A, ORG_B, ORG_C = "adm-sys", "adm-a", "adm-b", "adm-c"
ROOT, KACHO_A, KACHO_B, STAFF_A = "adm-root", "adm-kacho-a", "adm-kacho-b", "adm-staff-a"
TEMPORARY = "Kaede-Suisha-3390"  # what an administrator hands out
EXAMPLES = Path(__file__).parents[2] / "examples"


# --- the rules, as tables -------------------------------------------------------------------


def who(role: Role, login: str = "boss") -> Principal:
    return Principal(login=login, org="x", role=role, personal_info=False)


@pytest.mark.parametrize(
    ("manager", "granted"),
    [
        ("admin", ("staff", "org_admin", "payment_operator", "auditor", "admin")),
        ("org_admin", ("staff", "org_admin")),  # finding 7: never payment_operator
    ],
)
def test_grantable_roles(manager: Role, granted: tuple[Role, ...]) -> None:
    assert grantable_roles(manager) == granted


@pytest.mark.parametrize(
    ("manager", "login", "role", "refusal"),
    [
        ("org_admin", "clerk", "staff", None),
        ("org_admin", "other-boss", "org_admin", None),
        ("org_admin", "cashier", "payment_operator", "privileged_account"),
        ("admin", "cashier", "payment_operator", None),
        ("org_admin", "root", "admin", "privileged_account"),
        ("org_admin", "checker", "auditor", "privileged_account"),
        ("org_admin", "boss", "org_admin", "own_account"),
        ("admin", "root", "admin", None),
        ("admin", "checker", "auditor", None),
        ("admin", "boss", "admin", "own_account"),
    ],
)
def test_account_refusal(manager: Role, login: str, role: Role, refusal: str | None) -> None:
    assert account_refusal(who(manager), login, role) == refusal


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{bad", [("", "JSON として読めません")]),
        ("[]", [("", "オブジェクト")]),
        ('{"id": "x", "name": "n", "fields": []}', [("fields", "1 個以上必要です")]),
        (
            '{"id": "x", "name": "n", "extra": 1, "fields": [{"name": "a", "label": "A",'
            ' "kind": "hand", "box_mm": [1, 2, 3]}]}',
            [
                ("fields.0.kind", "次のいずれか"),
                ("fields.0.box_mm.3", "必須の項目"),
                ("extra", "使えません"),
            ],
        ),
        (
            '{"id": "x", "name": "n", "fields": [{"name": "a", "label": "A", "kind": "text",'
            ' "box_mm": [1, 2, 300, 4]}]}',
            [("", "項目「a」の box_mm がページの外です。")],
        ),
    ],
)
def test_validation_problems_say_where_and_what(
    document: str, expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValidationError) as caught:
        FormTemplate.model_validate_json(document)
    problems = validation_problems(caught.value)
    assert [p["where"] for p in problems] == [where for where, _ in expected]
    for problem, (_, text) in zip(problems, expected, strict=True):
        assert text in problem["problem"]


# --- over HTTP ------------------------------------------------------------------------------

Session = tuple[httpx.AsyncClient, dict[str, str]]


@contextlib.asynccontextmanager
async def signed_in(
    app: AppFixture, login: str, password: str = GOOD, zone: str = "SA"
) -> AsyncIterator[Session]:
    """A client signed in as `login`, and the CSRF header its state changes carry."""
    async with app.client(zone) as client:
        response = await sign_in(client, login, password)
        assert response.status_code == 200, response.text
        yield client, {"X-CSRF-Token": response.json()["csrf_token"]}


async def first_sign_in(app: AppFixture, login: str, password: str = TEMPORARY) -> None:
    """A new account's first sign-in: it must choose its own password (GOOD, from now on)."""
    async with app.client("SA") as client:
        response = await sign_in(client, login, password)
        assert response.status_code == 403 and response.json()["error"] == "password_expired"
        csrf = {"X-CSRF-Token": response.json()["csrf_token"]}
        changed = await client.post(
            "/api/password", headers=csrf, json={"current": password, "new": GOOD}
        )
        assert changed.status_code == 200, changed.text


async def create(session: Session, login: str, role: str, org: str | None = None) -> None:
    client, csrf = session
    body: dict[str, Any] = {"login": login, "role": role, "password": TEMPORARY}
    if org is not None:
        body["org"] = org
    response = await client.post("/api/users", headers=csrf, json=body)
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
async def orgs(app: AppFixture) -> list[str]:
    """adm-a and adm-b, made over HTTP by an admin, each with an org admin; a staff in adm-a."""
    assert (await cli(app, "org", "add", SYS, "--name", "管理テスト"))[0] == 0
    code, _, err = await cli(
        app,
        "user",
        "add",
        ROOT,
        "--org",
        SYS,
        "--role",
        "admin",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err
    async with signed_in(app, ROOT) as root:
        client, csrf = root
        for org, name in ((ORG_A, "管理A課"), (ORG_B, "管理B課")):
            made = await client.post("/api/orgs", headers=csrf, json={"id": org, "name": name})
            assert made.status_code == 201, made.text
        await create(root, KACHO_A, "org_admin", ORG_A)
        await create(root, KACHO_B, "org_admin", ORG_B)
    for login in (KACHO_A, KACHO_B):
        await first_sign_in(app, login)
    async with signed_in(app, KACHO_A) as kacho:
        await create(kacho, STAFF_A, "staff")  # into the org admin's own organisation
    await first_sign_in(app, STAFF_A)
    return [ORG_A, ORG_B]


async def test_staff_and_other_zones_are_refused(app: AppFixture, orgs: list[str]) -> None:
    async with signed_in(app, STAFF_A) as (client, csrf):
        calls = [
            await client.get("/api/users"),
            await client.post(
                "/api/users", headers=csrf, json={"login": "x-y", "role": "staff", "password": GOOD}
            ),
            await client.post(f"/api/users/{KACHO_A}/lock", headers=csrf),
            await client.post(
                f"/api/users/{KACHO_A}/password", headers=csrf, json={"password": GOOD}
            ),
            await client.get("/api/orgs"),
            await client.post("/api/orgs", headers=csrf, json={"id": "adm-x", "name": "x"}),
            await client.get("/api/templates"),
            await client.post("/api/templates", headers=csrf, content=b"{}"),
            await client.get("/api/procedures"),
            await client.post("/api/procedures", headers=csrf, content=b"{}"),
        ]
        assert [(r.status_code, r.json()["error"]) for r in calls] == [(403, "role")] * len(calls)
        page = await client.get("/staff/admin")
        assert page.status_code == 403 and "権限がありません" in page.text
    async with signed_in(app, KACHO_A, zone="MN") as (client, _):
        refused = await client.get("/api/users")
        assert refused.status_code == 403 and refused.json()["error"] == "needs_sa"
    async with app.client("SA") as anonymous:
        assert (await anonymous.get("/api/users")).status_code == 401


async def test_org_admin_lists_own_accounts_without_secrets(
    app: AppFixture, orgs: list[str]
) -> None:
    async with signed_in(app, KACHO_A) as (client, _):
        listed = await client.get("/api/users")
        assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
        accounts = {a["login"]: a for a in listed.json()}
        assert {KACHO_A, STAFF_A} <= set(accounts) and KACHO_B not in accounts
        assert accounts[STAFF_A]["role"] == "staff" and not accounts[STAFF_A]["locked"]
        assert "password_hash" not in accounts[STAFF_A] and "scrypt" not in listed.text
        other = await client.get("/api/users", params={"org": ORG_B})
        assert other.status_code == 403 and other.json()["error"] == "other_org"
    async with signed_in(app, ROOT) as (client, _):
        listed = await client.get("/api/users", params={"org": ORG_B})
        assert [a["login"] for a in listed.json()] == [KACHO_B]
        missing = await client.get("/api/users", params={"org": "adm-nowhere"})
        assert missing.status_code == 404 and missing.json()["error"] == "no_org"


async def test_org_admin_creates_accounts_in_own_org_only(app: AppFixture, orgs: list[str]) -> None:
    async with signed_in(app, KACHO_A) as (client, csrf):

        async def attempt(**body: object) -> httpx.Response:
            fields = {"login": "adm-new-1", "role": "staff", "password": TEMPORARY} | body
            return await client.post("/api/users", headers=csrf, json=fields)

        other = await attempt(org=ORG_B)
        assert other.status_code == 403 and other.json()["error"] == "other_org"
        for role in ("admin", "auditor"):
            above = await attempt(role=role)
            assert above.status_code == 403 and above.json()["error"] == "role_not_grantable"
        weak = await attempt(password="password1234")
        assert weak.status_code == 400 and weak.json()["error"] == "password_policy"
        assert "too_common" in weak.json()["detail"]["problems"]
        assert weak.json()["detail"]["messages"][0].startswith("推測されやすい")
        short = await attempt(password="Ab1-x")
        assert "too_short" in short.json()["detail"]["problems"]
        named = await attempt(password="adm-new-1-Kumo-8812")
        assert named.json()["detail"]["problems"] == ["context_word"]
        bad = await attempt(login="Not A Login")
        assert bad.status_code == 400 and bad.json()["detail"]["fields"] == ["login"]
        assert bad.json()["detail"]["messages"][0].startswith("ログインID:")
        created = await attempt(personal_info=True)
        assert created.status_code == 201, created.text
        assert created.json()["org"] == ORG_A and created.json()["must_change_password"]
        again = await attempt()
        assert again.status_code == 409 and again.json()["error"] == "exists"
    async with app.client("SJ") as client:
        first = await sign_in(client, "adm-new-1", TEMPORARY)
        assert first.status_code == 403 and first.json()["error"] == "password_expired"


async def test_reset_makes_the_user_choose_a_new_password(app: AppFixture, orgs: list[str]) -> None:
    async with signed_in(app, KACHO_A) as kacho:
        await create(kacho, "adm-reset-1", "staff")
    await first_sign_in(app, "adm-reset-1")
    async with (
        signed_in(app, "adm-reset-1") as (user, _),
        signed_in(app, KACHO_A) as (client, csrf),
    ):
        url = "/api/users/adm-reset-1/password"
        weak = await client.post(url, headers=csrf, json={"password": "password"})
        assert weak.status_code == 400 and weak.json()["error"] == "password_policy"
        no_csrf = await client.post(url, json={"password": "Yuzuriha-Kogane-5520"})
        assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf"
        reset = await client.post(url, headers=csrf, json={"password": "Yuzuriha-Kogane-5520"})
        assert reset.status_code == 200 and reset.json()["must_change_password"], reset.text
        assert (await user.get("/api/session")).status_code == 401  # signed out at once
        own = await client.post(
            f"/api/users/{KACHO_A}/password", headers=csrf, json={"password": TEMPORARY}
        )
        assert own.status_code == 403 and own.json()["error"] == "own_account"
    async with app.client("SA") as client:
        assert (await sign_in(client, "adm-reset-1", GOOD)).status_code == 401
        expired = await sign_in(client, "adm-reset-1", "Yuzuriha-Kogane-5520")
        assert expired.status_code == 403 and expired.json()["error"] == "password_expired"


async def test_lock_signs_out_and_unlock_lets_in(app: AppFixture, orgs: list[str]) -> None:
    async with signed_in(app, KACHO_A) as kacho:
        await create(kacho, "adm-lock-1", "staff")
    await first_sign_in(app, "adm-lock-1")
    async with (
        signed_in(app, "adm-lock-1") as (user, _),
        signed_in(app, KACHO_A) as (client, csrf),
    ):
        locked = await client.post("/api/users/adm-lock-1/lock", headers=csrf)
        assert locked.status_code == 200 and locked.json()["locked"], locked.text
        assert (await user.get("/api/session")).status_code == 401
        listed = {a["login"]: a for a in (await client.get("/api/users")).json()}
        assert listed["adm-lock-1"]["locked"]
        assert datetime.fromisoformat(listed["adm-lock-1"]["locked_until"]) > datetime.now(UTC)
        async with app.client("SA") as again:
            refused = await sign_in(again, "adm-lock-1")
            assert refused.status_code == 423 and refused.json()["error"] == "locked"
        unlocked = await client.post("/api/users/adm-lock-1/unlock", headers=csrf)
        assert unlocked.status_code == 200, unlocked.text
    async with signed_in(app, "adm-lock-1"):
        pass


async def test_org_admin_cannot_touch_accounts_above_or_elsewhere(
    app: AppFixture, orgs: list[str]
) -> None:
    async with signed_in(app, ROOT) as root:
        await create(root, "adm-auditor-a", "auditor", ORG_A)  # an admin may
    async with signed_in(app, KACHO_A) as (client, csrf):
        above = await client.post("/api/users/adm-auditor-a/lock", headers=csrf)
        assert above.status_code == 403 and above.json()["error"] == "privileged_account"
        own = await client.post(f"/api/users/{KACHO_A}/lock", headers=csrf)
        assert own.status_code == 403 and own.json()["error"] == "own_account"
        elsewhere = await client.post(f"/api/users/{KACHO_B}/lock", headers=csrf)
        assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "other_org"
        nobody = await client.post("/api/users/adm-nobody/lock", headers=csrf)
        assert nobody.status_code == 404
    async with app.client("SA") as client:
        assert (await sign_in(client, KACHO_B)).status_code == 200  # not locked


async def test_admin_creates_organisations_whose_bus_users_work(
    app: AppFixture, orgs: list[str]
) -> None:
    async with signed_in(app, KACHO_A) as (client, csrf):
        refused = await client.post("/api/orgs", headers=csrf, json={"id": ORG_C, "name": "C"})
        assert refused.status_code == 403 and refused.json()["error"] == "role"
    async with signed_in(app, ROOT) as (client, csrf):
        listed = await client.get("/api/orgs")
        assert {"id": ORG_A, "name": "管理A課"} in listed.json()
        bad = await client.post("/api/orgs", headers=csrf, json={"id": "Not Ok", "name": "x"})
        assert bad.status_code == 400 and bad.json()["detail"]["fields"] == ["id"]
        again = await client.post("/api/orgs", headers=csrf, json={"id": ORG_A, "name": "again"})
        assert again.status_code == 409 and again.json()["error"] == "exists"
        made = await client.post("/api/orgs", headers=csrf, json={"id": ORG_C, "name": "管理C課"})
        assert made.status_code == 201 and made.json()["bus_users_live"], made.text
    code, out, err = await cli(app, "creds", "dashboard", "--org", ORG_C)
    assert code == 0, err
    creds = json.loads(out)
    assert creds["user"] == f"dashboard-{ORG_C}"

    async def connects() -> bool:
        try:
            client = await nats.connect(
                app.server.url,
                user=creds["user"],
                password=creds["password"],
                inbox_prefix=creds["inbox_prefix"],
                allow_reconnect=False,
                max_reconnect_attempts=0,
            )
        except Exception:
            return False
        await client.close()
        return True

    assert await eventually(connects, timeout=10, every=0.3)


def template(template_id: str, **changes: Any) -> bytes:
    definition = json.loads((EXAMPLES / "juminhyo-v1.json").read_text(encoding="utf-8"))
    return json.dumps(definition | {"id": template_id} | changes).encode()


def procedure(procedure_id: str, **changes: Any) -> bytes:
    definition = json.loads((EXAMPLES / "koseki-tohon.json").read_text(encoding="utf-8"))
    return json.dumps(definition | {"id": procedure_id} | changes).encode()


async def test_templates_are_checked_listed_and_kept_per_org(
    app: AppFixture, orgs: list[str]
) -> None:
    async with signed_in(app, KACHO_A) as (client, csrf):
        broken = json.loads(template("adm-juminhyo"))
        broken["fields"][1]["kind"] = "handwriting"
        broken["fields"][2]["box_mm"] = [10, 10, "wide", 5]
        refused = await client.post("/api/templates", headers=csrf, json=broken)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_definition"
        problems = {p["where"]: p["problem"] for p in refused.json()["detail"]}
        assert set(problems) == {"fields.1.kind", "fields.2.box_mm.2"}, problems
        assert "text" in problems["fields.1.kind"]
        garbled = await client.post("/api/templates", headers=csrf, content=b'{"id": ')
        assert garbled.status_code == 422 and garbled.json()["detail"][0]["where"] == ""
        saved = await client.post("/api/templates", headers=csrf, content=template("adm-juminhyo"))
        assert saved.status_code == 201 and not saved.json()["replaced"], saved.text
        replaced = await client.post(
            "/api/templates", headers=csrf, content=template("adm-juminhyo", name="改訂版")
        )
        assert replaced.status_code == 200 and replaced.json()["replaced"]
        listed = (await client.get("/api/templates")).json()
        assert [(t["id"], t["name"]) for t in listed] == [("adm-juminhyo", "改訂版")]
        other = await client.post(
            "/api/templates", headers=csrf, params={"org": ORG_B}, content=template("adm-x")
        )
        assert other.status_code == 403 and other.json()["error"] == "other_org"
    async with signed_in(app, KACHO_B) as (client, _):
        assert (await client.get("/api/templates")).json() == []
    async with signed_in(app, ROOT) as (client, csrf):
        seen = await client.get("/api/templates", params={"org": ORG_A})
        assert [t["id"] for t in seen.json()] == ["adm-juminhyo"]
        saved = await client.post(
            "/api/templates", headers=csrf, params={"org": ORG_B}, content=template("adm-b-form")
        )
        assert saved.status_code == 201 and saved.json()["org"] == ORG_B
        # An organisation nobody created is refused, by name, for every kind of definition.
        for path in ("/api/templates", "/api/procedures"):
            nowhere = await client.post(
                path, headers=csrf, params={"org": "adm-nowhere"}, content=b"{}"
            )
            assert nowhere.status_code == 404 and nowhere.json()["error"] == "no_org", path
            assert "所属「adm-nowhere」" in nowhere.json()["detail"], path
        account = await client.post(
            "/api/users",
            headers=csrf,
            json={
                "login": "adm-lost",
                "org": "adm-nowhere",
                "role": "staff",
                "password": TEMPORARY,
            },
        )
        assert account.status_code == 404 and "所属「adm-nowhere」" in account.json()["detail"]


async def test_procedures_are_checked_and_their_ids_unique_across_the_city(
    app: AppFixture, orgs: list[str]
) -> None:
    async with signed_in(app, KACHO_A) as (client, csrf):
        refused = await client.post(
            "/api/procedures",
            headers=csrf,
            content=procedure("adm-koseki", attachment_kinds=["selfie"], fee=-1),
        )
        assert refused.status_code == 422
        problems = {p["where"]: p["problem"] for p in refused.json()["detail"]}
        assert "0 以上" in problems["fee"], problems
        saved = await client.post("/api/procedures", headers=csrf, content=procedure("adm-koseki"))
        assert saved.status_code == 201, saved.text
        listed = (await client.get("/api/procedures")).json()
        assert [p["id"] for p in listed] == ["adm-koseki"] and listed[0]["fee"] == 450
    async with signed_in(app, KACHO_B) as (client, csrf):
        taken = await client.post("/api/procedures", headers=csrf, content=procedure("adm-koseki"))
        assert taken.status_code == 409 and taken.json()["error"] == "id_taken"
        unknown_kind = await client.post(
            "/api/procedures", headers=csrf, content=procedure("adm-b-proc", attachment_kinds=["x"])
        )
        assert unknown_kind.json()["detail"] == [
            {"where": "", "problem": "添付書類の種類「x」はありません。"}
        ]
    async with signed_in(app, ROOT) as (client, _):
        seen = await client.get("/api/procedures", params={"org": ORG_A})
        assert [p["id"] for p in seen.json()] == ["adm-koseki"]


async def test_the_admin_page_shows_what_each_role_may_do(app: AppFixture, orgs: list[str]) -> None:
    async with signed_in(app, KACHO_A) as (client, _):
        page = await client.get("/staff/admin")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert STAFF_A in page.text and 'id="create-account"' in page.text
        assert 'id="orgs"' not in page.text and 'value="admin"' not in page.text
        other = await client.get("/staff/admin", params={"org": ORG_B})
        assert other.status_code == 403 and "他の所属" in other.text
    async with signed_in(app, ROOT) as (client, _):
        page = await client.get("/staff/admin", params={"org": ORG_A})
        assert page.status_code == 200 and 'id="orgs"' in page.text and STAFF_A in page.text
        assert 'value="admin"' in page.text
        assert (await client.get("/staff/admin", params={"org": "adm-nowhere"})).status_code == 404


async def test_changes_are_audited_without_secrets(
    app: AppFixture, orgs: list[str], js: JetStreamContext
) -> None:
    """Every kind of change and refusal, made here (the other tests may not have run), then
    found in the audit events, with no password in any of them."""
    login, auditor, org_d = "adm-audit-1", "adm-audit-auditor", "adm-d"
    refused_before = len(await read_all(js, f"access.refused.{ORG_A}"))
    async with signed_in(app, ROOT) as root:
        client, csrf = root
        made = await client.post("/api/orgs", headers=csrf, json={"id": org_d, "name": "管理D課"})
        assert made.status_code == 201, made.text
        await create(root, auditor, "auditor", ORG_A)
        # Definitions in the test's own org: the other tests list adm-a's as theirs alone.
        for path, definition in (
            ("/api/templates", template("adm-audit-form")),
            ("/api/procedures", procedure("adm-audit-proc")),
        ):
            saved = await client.post(path, headers=csrf, params={"org": org_d}, content=definition)
            assert saved.status_code == 201, saved.text
    async with signed_in(app, KACHO_A) as kacho:
        client, csrf = kacho
        await create(kacho, login, "staff")
        users = "/api/users"
        weak = {"login": "adm-audit-2", "role": "staff", "password": "password1234"}
        assert (await client.post(users, headers=csrf, json=weak)).status_code == 400
        above = {"login": "adm-audit-2", "role": "auditor", "password": TEMPORARY}
        assert (await client.post(users, headers=csrf, json=above)).status_code == 403
        elsewhere = {"login": "adm-audit-2", "role": "staff", "password": TEMPORARY, "org": ORG_B}
        assert (await client.post(users, headers=csrf, json=elsewhere)).status_code == 403
        assert (await client.post(f"{users}/{auditor}/lock", headers=csrf)).status_code == 403
        assert (await client.post(f"{users}/{login}/lock", headers=csrf)).status_code == 200
        reset = await client.post(
            f"{users}/{login}/password", headers=csrf, json={"password": "Yuzuriha-Kogane-5520"}
        )
        assert reset.status_code == 200, reset.text

    changes = [json.loads(body) for body in await read_all(js, f"access.account_changed.{ORG_A}")]
    mine = {c["change"] for c in changes if c["resource_id"] == login}
    assert {"created", "locked", "password_reset"} <= mine, changes
    assert b'"org_created"' in b"".join(await read_all(js, f"access.account_changed.{org_d}"))
    saved_ones = b"".join(await read_all(js, f"access.definition_saved.{org_d}"))
    assert b'"adm-audit-form"' in saved_ones and b'"adm-audit-proc"' in saved_ones
    everything = b"".join(await read_all(js, "access.>"))
    for secret in (GOOD, TEMPORARY, "Yuzuriha-Kogane-5520", "password1234"):
        assert secret.encode() not in everything
    refused = await read_all(js, f"access.refused.{ORG_A}")
    codes = {json.loads(body)["reason_code"] for body in refused[refused_before:]}
    assert {"privileged_account", "role_not_grantable", "other_org"} <= codes, codes
