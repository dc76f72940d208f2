"""Sign-in, lockout, expiry, password change, zone binding, CSRF and sign-out over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from nats.js import JetStreamContext

from tests.conftest import AppFixture
from tests.support import madoguchi, read_all

ORG = "shiminka"
GOOD = "Sakura-Kaidan-7731"


async def cli(app: AppFixture, *args: str, stdin: str = "") -> tuple[int, str, str]:
    return await madoguchi(app.data_dir, *args, stdin=stdin)


@pytest.fixture(scope="module")
async def org(app: AppFixture) -> str:
    code, _, err = await cli(app, "org", "add", ORG, "--name", "市民課")
    assert code == 0, err
    return ORG


async def add_user(app: AppFixture, login: str, *flags: str, password: str = GOOD) -> None:
    code, _, err = await cli(
        app, "user", "add", login, "--org", ORG, *flags, "--password-stdin", stdin=password + "\n"
    )
    assert code == 0, err


async def sign_in(client: httpx.AsyncClient, login: str, password: str = GOOD) -> httpx.Response:
    return await client.post("/api/session", json={"login": login, "password": password})


async def test_sign_in_sets_a_strict_http_only_cookie(app: AppFixture, org: str) -> None:
    await add_user(app, "sato", "--role", "staff", "--personal-info")
    async with app.client("SJ") as client:
        response = await sign_in(client, "sato")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["org"] == ORG and body["zone"] == "SJ" and body["csrf_token"]
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert "secure" not in cookie  # plain HTTP on loopback; Secure when served over TLS
        me = await client.get("/api/session")
        assert me.status_code == 200 and me.json()["login"] == "sato"
        signed_out = await client.delete(
            "/api/session", headers={"X-CSRF-Token": body["csrf_token"]}
        )
        assert signed_out.status_code == 200
        assert (await client.get("/api/session")).status_code == 401


async def test_wrong_password_and_unknown_login_look_the_same(app: AppFixture, org: str) -> None:
    await add_user(app, "suzuki", "--role", "staff")
    async with app.client("SA") as client:
        wrong = await sign_in(client, "suzuki", "not-the-password-1")
        unknown = await sign_in(client, "nobody-here", "not-the-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_lockout_after_failures_then_unlock(app: AppFixture, org: str) -> None:
    await add_user(app, "takahashi", "--role", "staff")
    await add_user(app, "kacho", "--role", "org_admin")
    async with app.client("SA") as client:
        for _ in range(5):
            assert (await sign_in(client, "takahashi", "wrong-password-xx")).status_code == 401
        locked = await sign_in(client, "takahashi")
        assert locked.status_code == 423 and locked.json()["error"] == "locked", locked.text
        # Locked: the same answer whatever the password (tests/security/test_sign_in_abuse.py).
        assert (await sign_in(client, "takahashi", "wrong-password-xx")).status_code == 423
    async with app.client("SA") as colleague:
        await add_user(app, "yamamoto", "--role", "staff")
        csrf = {"X-CSRF-Token": (await sign_in(colleague, "yamamoto")).json()["csrf_token"]}
        refused = await colleague.post("/api/users/takahashi/unlock", headers=csrf)
        assert refused.status_code == 403 and refused.json()["error"] == "role"
    async with app.client("SA") as admin:
        csrf = {"X-CSRF-Token": (await sign_in(admin, "kacho")).json()["csrf_token"]}
        unlocked = await admin.post("/api/users/takahashi/unlock", headers=csrf)
        assert unlocked.status_code == 200, unlocked.text
    async with app.client("SA") as client:
        assert (await sign_in(client, "takahashi")).status_code == 200


async def test_expired_password_signs_in_only_to_change_it(app: AppFixture, org: str) -> None:
    await add_user(app, "tanaka", "--role", "staff")
    code, _, err = await cli(
        app,
        "user",
        "passwd",
        "tanaka",
        "--must-change",
        "--password-stdin",
        stdin="Temporary-Kumo-5521\n",
    )
    assert code == 0, err
    async with app.client("SA") as client:
        expired = await sign_in(client, "tanaka", "Temporary-Kumo-5521")
        assert expired.status_code == 403 and expired.json()["error"] == "password_expired"
        csrf = {"X-CSRF-Token": expired.json()["csrf_token"]}
        blocked = await client.get("/api/documents")
        assert blocked.status_code in (401, 403)
        weak = await client.post(
            "/api/password",
            headers=csrf,
            json={"current": "Temporary-Kumo-5521", "new": "password1234"},
        )
        assert weak.status_code == 400 and "too_common" in weak.json()["detail"]["problems"]
        reused = await client.post(
            "/api/password", headers=csrf, json={"current": "Temporary-Kumo-5521", "new": GOOD}
        )
        assert reused.status_code == 400 and "reused" in reused.json()["detail"]["problems"]
        changed = await client.post(
            "/api/password",
            headers=csrf,
            json={"current": "Temporary-Kumo-5521", "new": "Hotaru-Nagare-8810"},
        )
        assert changed.status_code == 200, changed.text
        assert (await client.get("/api/session")).json()["login"] == "tanaka"
    async with app.client("SA") as fresh:
        assert (await sign_in(fresh, "tanaka", "Hotaru-Nagare-8810")).status_code == 200


async def test_a_cookie_replayed_from_another_zone_is_refused(app: AppFixture, org: str) -> None:
    await add_user(app, "ito", "--role", "staff", "--personal-info")
    async with app.client("SA") as client:
        assert (await sign_in(client, "ito")).status_code == 200
        cookie = client.cookies["madoguchi_session"]
    async with app.client("SJ") as elsewhere:
        elsewhere.cookies.set("madoguchi_session", cookie)
        refused = await elsewhere.get("/api/session")
    assert refused.status_code == 401 and refused.json()["error"] == "zone_changed"


async def test_state_changes_need_the_csrf_token(app: AppFixture, org: str) -> None:
    await add_user(app, "watanabe", "--role", "staff")
    async with app.client("SA") as client:
        assert (await sign_in(client, "watanabe")).status_code == 200
        refused = await client.delete("/api/session")
        assert refused.status_code == 403 and refused.json()["error"] == "csrf"
        assert (await client.get("/api/session")).status_code == 200  # still signed in


async def test_sign_in_events_are_audited_without_secrets(
    app: AppFixture, org: str, js: JetStreamContext
) -> None:
    # Its own sign-ins, so it passes alone and in any order.
    await add_user(app, "hayashi", "--role", "staff")
    await add_user(app, "shimizu", "--role", "staff")
    async with app.client("SA") as client:
        assert (await sign_in(client, "hayashi")).status_code == 200
        assert (await sign_in(client, "no-such-clerk", "wrong-password-yy")).status_code == 401
        for _ in range(5):
            assert (await sign_in(client, "shimizu", "wrong-password-zz")).status_code == 401
    signed_in = await read_all(js, f"access.signed_in.{ORG}")
    assert any(b'"actor":"hayashi"' in body for body in signed_in)
    failed = await read_all(js, "access.sign_in_failed.>")
    assert any(b'"actor":"unknown"' in body for body in failed)
    assert any(b'"actor":"shimizu"' in body for body in await read_all(js, f"access.locked.{ORG}"))
    bodies = b"".join(await read_all(js, "access.>"))
    assert b"sign_in_failed" not in bodies  # the type is in the subject, not the body
    assert GOOD.encode() not in bodies and b"wrong-password" not in bodies


async def test_user_commands_refuse_bad_input(app: AppFixture, org: str) -> None:
    code, _, err = await cli(
        app,
        "user",
        "add",
        "kato",
        "--org",
        ORG,
        "--role",
        "staff",
        "--password-stdin",
        stdin="password1234\n",
    )
    assert code != 0 and "too_common" in err
    code, _, err = await cli(
        app,
        "user",
        "add",
        "kato",
        "--org",
        "nowhere",
        "--role",
        "staff",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code != 0 and "nowhere" in err
    code, _, err = await cli(app, "org", "add", ORG, "--name", "again")
    assert code != 0 and "already exists" in err
    await add_user(app, "kimura", "--role", "staff", "--personal-info")
    code, out, _ = await cli(app, "user", "list", "--org", ORG)
    assert code == 0 and "kimura\tstaff personal-info" in out


async def test_lock_and_unlock_from_the_command_line(app: AppFixture, org: str) -> None:
    await add_user(app, "nakamura", "--role", "staff")
    assert (await cli(app, "user", "lock", "nakamura"))[0] == 0
    async with app.client("SA") as client:
        assert (await sign_in(client, "nakamura")).status_code == 423
        assert (await cli(app, "user", "unlock", "nakamura"))[0] == 0
        assert (await sign_in(client, "nakamura")).status_code == 200
