"""Staff pages over plain HTTP: the same authorization as the API, no-store, sign-in form."""

from __future__ import annotations

import httpx

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD


async def signed_in(app: AppFixture, login: str, zone: str) -> httpx.AsyncClient:
    client = app.client(zone)
    response = await client.post("/api/session", json={"login": login, "password": GOOD})
    assert response.status_code == 200, response.text
    return client


async def test_signed_out_pages_lead_to_the_sign_in_form(app: AppFixture, people: None) -> None:
    client = app.client("SA")
    form = await client.get("/staff/")
    assert form.status_code == 200
    assert 'name="login"' in form.text and 'name="password"' in form.text
    assert form.headers["cache-control"] == "no-store"
    for path in ("/staff/documents", "/staff/applications", "/staff/payments", "/staff/home"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/staff/"
    live = await client.get("/staff/live")
    assert live.status_code == 303


async def test_pages_ask_the_same_authorization_as_the_api(app: AppFixture, people: None) -> None:
    cashier = await signed_in(app, "ap-cashier", "SA")
    assert (await cashier.get("/staff/home")).headers["location"] == "/staff/payments"
    refused = await cashier.get("/staff/documents")
    assert refused.status_code == 403 and "権限がありません" in refused.text
    listing = await cashier.get("/staff/payments")
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"

    clerk = await signed_in(app, "ap-clerk", "SJ")
    assert (await clerk.get("/staff/payments")).status_code == 403
    queue = await clerk.get("/staff/applications")
    assert queue.status_code == 200 and "申請" in queue.text
    nowhere = app.client(None)
    response = await nowhere.post("/api/session", json={"login": "ap-clerk", "password": GOOD})
    assert response.status_code == 200  # signing in needs no zone; the work does
    page = await nowhere.get("/staff/documents")
    assert page.status_code == 403 and "ネットワーク" in page.text
