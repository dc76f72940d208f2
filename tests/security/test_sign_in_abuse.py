"""Findings 4-9 and 14 over real HTTP against the running service: the lockout is no oracle and
counts every try, also concurrent ones; sign-in floods are turned away fast; forwarded
addresses are not believed; org admins cannot mint payment operators; a password change ends
the other sessions; sign-in is JSON only."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network
from pathlib import Path

import aiosqlite
import httpx
import pytest

from infra.web import server_limits
from schemas.settings import WebSettings
from tests.conftest import ZONE_ADDRESSES, AppFixture
from tests.identity.test_sign_in import GOOD, cli

ORG = "sec-signin"
WRONG = "Not-The-Password-42"


@pytest.fixture(scope="module")
async def org(app: AppFixture) -> str:
    code, _, err = await cli(app, "org", "add", ORG, "--name", "防御課")
    assert code == 0, err
    return ORG


async def add_user(app: AppFixture, login: str, role: str = "staff") -> None:
    code, _, err = await cli(
        app, "user", "add", login, "--org", ORG, "--role", role, "--password-stdin",
        stdin=GOOD + "\n",
    )  # fmt: skip
    assert code == 0, err


def client_from(app: AppFixture, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=app.http_url, transport=transport, timeout=60)


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await client.post("/api/session", json={"login": login, "password": password})


async def failed_attempts(app: AppFixture, login: str) -> int:
    query = "SELECT failed_attempts FROM users WHERE login = ?"
    async with aiosqlite.connect(Path(app.data_dir) / "accounts.sqlite3") as db:
        row = await (await db.execute(query, (login,))).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_locked_account_answers_the_same_whatever_the_password(
    app: AppFixture, org: str
) -> None:
    await add_user(app, "sec-locked")
    async with client_from(app, "127.0.1.1") as client:
        for _ in range(5):
            assert (await sign_in(client, "sec-locked", WRONG)).status_code == 401
        right = await sign_in(client, "sec-locked", GOOD)
        wrong = await sign_in(client, "sec-locked", WRONG)
        assert right.status_code == wrong.status_code == 423
        assert right.json() == wrong.json()
        assert await failed_attempts(app, "sec-locked") == 7  # tries during the lock count
        # A login that does not exist locks the same way: a lock tells nobody it exists.
        for _ in range(5):
            assert (await sign_in(client, "sec-nobody", WRONG)).status_code == 401
        ghost = await sign_in(client, "sec-nobody", WRONG)
        assert ghost.status_code == 423 and ghost.json() == right.json()


async def test_concurrent_wrong_passwords_all_count(app: AppFixture, org: str) -> None:
    await add_user(app, "sec-race")
    clients = [client_from(app, f"127.0.2.{n}") for n in range(1, 7)]
    try:
        answers = await asyncio.gather(
            *(sign_in(clients[n % 6], "sec-race", WRONG) for n in range(12))
        )
        assert [a.status_code for a in answers] == [401] * 12
        assert await failed_attempts(app, "sec-race") == 12
        assert (await sign_in(clients[0], "sec-race", GOOD)).status_code == 423
    finally:
        for client in clients:
            await client.aclose()


async def test_a_sign_in_flood_is_turned_away_and_a_real_sign_in_gets_through(
    app: AppFixture, org: str
) -> None:
    await add_user(app, "sec-real")
    async with client_from(app, "127.0.3.1") as flood, client_from(app, "127.0.3.2") as real:
        attempts = [sign_in(flood, f"sec-unknown-{n}", WRONG) for n in range(16)]
        *answers, mine = await asyncio.gather(*attempts, sign_in(real, "sec-real", GOOD))
        codes = [a.status_code for a in answers]
        assert codes.count(429) >= 12 and set(codes) <= {401, 429}, codes
        assert mine.status_code == 200, mine.text
        huge = await sign_in(real, "sec-real", "x" * 5000)  # never hashed
        assert huge.status_code in (400, 413), huge.text


async def test_x_forwarded_for_is_not_believed_from_an_unlisted_proxy(
    app: AppFixture, org: str
) -> None:
    await add_user(app, "sec-proxy")
    async with app.client(None) as client:
        response = await client.post(
            "/api/session",
            json={"login": "sec-proxy", "password": GOOD},
            headers={"X-Forwarded-For": "127.0.0.4"},  # the MN terminals' address
        )
    assert response.status_code == 200, response.text
    assert response.json()["zone"] is None


async def test_an_org_admin_cannot_mint_or_reset_a_payment_operator(
    app: AppFixture, org: str
) -> None:
    await add_user(app, "sec-boss", "org_admin")
    await add_user(app, "sec-cashier", "payment_operator")
    async with app.client("SA") as boss:
        signed_in = await sign_in(boss, "sec-boss", GOOD)
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        minted = await boss.post(
            "/api/users",
            headers=csrf,
            json={"login": "sec-minted", "role": "payment_operator", "password": GOOD},
        )
        assert minted.status_code == 403 and minted.json()["error"] == "role_not_grantable"
        reset = await boss.post(
            "/api/users/sec-cashier/password", headers=csrf, json={"password": "Kaze-Tooku-7391"}
        )
        assert reset.status_code == 403 and reset.json()["error"] == "privileged_account"
        staff = await boss.post(
            "/api/users",
            headers=csrf,
            json={"login": "sec-clerk", "role": "staff", "password": "Kaze-Tooku-7391"},
        )
        assert staff.status_code == 201, staff.text  # what an org admin may still do


async def test_a_password_change_ends_the_other_sessions(app: AppFixture, org: str) -> None:
    await add_user(app, "sec-changer")
    sa = ZONE_ADDRESSES["SA"]  # a password change verifies several hashes: a patient client
    async with client_from(app, sa) as mine, client_from(app, sa) as intruder:
        csrf = {"X-CSRF-Token": (await sign_in(mine, "sec-changer", GOOD)).json()["csrf_token"]}
        assert (await sign_in(intruder, "sec-changer", GOOD)).status_code == 200
        assert (await intruder.get("/api/session")).status_code == 200
        changed = await mine.post(
            "/api/password", headers=csrf, json={"current": GOOD, "new": "Yuki-Minato-4827"}
        )
        assert changed.status_code == 200, changed.text
        assert (await intruder.get("/api/session")).status_code == 401
        assert (await mine.get("/api/session")).json()["login"] == "sec-changer"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_sign_in_is_json_only(app: AppFixture, org: str, content_type: str) -> None:
    await add_user(app, f"sec-csrf-{content_type.split('/')[0]}")
    login = f"sec-csrf-{content_type.split('/')[0]}"
    body = f'{{"login": "{login}", "password": "{GOOD}"}}'
    async with app.client("SA") as client:
        response = await client.post(
            "/api/session", content=body, headers={"Content-Type": content_type}
        )
    assert response.status_code == 415 and "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("proxies", "believed"),
    [([], False), (["10.0.0.5"], True), (["10.0.0.0/24", "127.0.0.1"], True)],
)  # the default believes nobody (uvicorn's own default believes 127.0.0.1)
def test_forwarded_headers_are_believed_only_from_named_proxies(
    proxies: list[str], believed: bool
) -> None:
    options = server_limits(WebSettings.model_validate({"trusted_proxies": proxies}))
    assert options["proxy_headers"] is believed
    assert options["forwarded_allow_ips"] == [str(ip_network(p)) for p in proxies]
