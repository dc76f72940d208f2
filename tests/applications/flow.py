"""Shared steps of the application tests: people, a procedure, a resident applying, paying."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
from PIL import Image

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli

ORG, OTHER = "shimin", "kaikei"
PROCEDURE_ID = "koseki-tohon"
PROCEDURE = {
    "id": PROCEDURE_ID,
    "name": "戸籍謄本の交付申請",
    "fields": [
        {"name": "name", "label": "氏名", "kind": "text", "required": True},
        {"name": "kana", "label": "フリガナ", "kind": "katakana", "required": True},
        {"name": "birth", "label": "生年月日", "kind": "date", "required": True},
        {"name": "copies", "label": "通数", "kind": "integer", "required": True},
    ],
    "attachment_kinds": ["identity_document"],
    "fee": 450,
}
RESIDENT_NAME = "窓口 花子"
ANSWERS = {
    "name": RESIDENT_NAME,
    "kana": "マドグチ ハナコ",
    "birth": "平成2年5月6日",
    "copies": "1",
}
CARD_OK, CARD_DECLINED, CARD_LATE = "4242424242424242", "4000000000000002", "4000000000000259"
USERS = {
    "clerk": (ORG, "staff", True),
    "clerk-nopi": (ORG, "staff", False),
    "cashier": (ORG, "payment_operator", False),
    "other-clerk": (OTHER, "staff", True),
    "other-cashier": (OTHER, "payment_operator", False),
}


def id_photo() -> bytes:
    """A small PNG standing in for a photographed licence."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 220, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


async def set_up(app: AppFixture, tmp: Path) -> None:
    for org_id, name in ((ORG, "市民課"), (OTHER, "会計課")):
        code, _, err = await cli(app, "org", "add", org_id, "--name", name)
        assert code == 0, err
    for login, (org_id, role, pi) in USERS.items():
        flags = ["--personal-info"] if pi else []
        code, _, err = await cli(
            app,
            "user",
            "add",
            f"ap-{login}",
            "--org",
            org_id,
            "--role",
            role,
            *flags,
            "--password-stdin",
            stdin=GOOD + "\n",
        )
        assert code == 0, err
    path = tmp / "procedure.json"
    path.write_text(json.dumps(PROCEDURE, ensure_ascii=False), encoding="utf-8")
    code, out, err = await cli(app, "procedure", "add", str(path), "--org", ORG)
    assert code == 0, err
    assert PROCEDURE_ID in out


async def staff(
    app: AppFixture, who: str, zone: str | None
) -> tuple[httpx.AsyncClient, dict[str, str]]:
    client = app.client(zone)
    response = await client.post("/api/session", json={"login": f"ap-{who}", "password": GOOD})
    assert response.status_code == 200, response.text
    return client, {"X-CSRF-Token": response.json()["csrf_token"]}


async def apply(
    resident: httpx.AsyncClient,
    answers: dict[str, str] | None = None,
    kind: str = "drivers_license",
) -> tuple[str, str]:
    response = await resident.post(
        "/api/applications",
        data={
            "procedure": PROCEDURE_ID,
            "answers": json.dumps(answers or ANSWERS, ensure_ascii=False),
            "attachment_kinds": kind,
        },
        files={"attachments": ("免許証_窓口花子.png", id_photo(), "image/png")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["application_id"], body["access_code"]


async def accepted(app: AppFixture, resident: httpx.AsyncClient, fee: int = 450) -> tuple[str, str]:
    """An application accepted with a fee, ready to be paid: (id, access code)."""
    application_id, code = await apply(resident)
    clerk, csrf = await staff(app, "clerk", "SJ")
    response = await clerk.post(
        f"/api/applications/{application_id}/accept", json={"fee": fee}, headers=csrf
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_payment"
    return application_id, code


async def pay_by_card(
    app: AppFixture, resident: httpx.AsyncClient, application_id: str, code: str, card: str
) -> tuple[str, httpx.Response]:
    """Start paying, fill in the agent's card page like a browser: (payment id, final page)."""
    started = await resident.post(
        f"/api/applications/{application_id}/payment",
        json={"access_code": code, "method": "card"},
    )
    assert started.status_code == 200, started.text
    redirect = started.json()["redirect_url"]
    assert redirect.startswith(app.agent_url)
    page = await resident.get(redirect)
    assert page.status_code == 200 and 'name="card_number"' in page.text
    submitted = await resident.post(
        redirect, data={"card_number": card, "expiry": "12/30", "cvc": "123"}
    )
    assert submitted.status_code == 303, submitted.text
    back = submitted.headers["location"]
    assert back.startswith(app.http_url + f"/applications/{application_id}/payment-return")
    final = await resident.get(back)
    assert final.status_code == 200
    payment_id = re.search(r"payment=([A-Za-z0-9_]+)", back)
    assert payment_id is not None
    return payment_id.group(1), final
