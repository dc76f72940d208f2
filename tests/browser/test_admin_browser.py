"""The administration page in a real browser: an org admin creates, resets and locks an
account; an admin uploads a template, sees its problems in place, then sees it listed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli, sign_in

ORG, SYS = "brw-kanri", "brw-sys"
TEMPORARY = "Kaede-Suisha-3390"
RESET = "Yuzuriha-Kogane-5520"
EXAMPLE = Path(__file__).parents[2] / "examples" / "juminhyo-v1.json"


async def add(app: AppFixture, login: str, org: str, role: str) -> None:
    code, _, err = await cli(
        app,
        "user",
        "add",
        login,
        "--org",
        org,
        "--role",
        role,
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err


async def signed_in(page: Page, login: str, lands_on: str) -> None:
    await page.goto("/staff/")
    await page.fill('input[name="login"]', login)
    await page.fill('input[name="password"]', GOOD)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_url(f"**{lands_on}")


async def sign_in_status(app: AppFixture, login: str, password: str) -> tuple[int, str]:
    async with app.client("SA") as client:
        response = await sign_in(client, login, password)
    return response.status_code, response.json().get("error", "")


async def test_org_admin_manages_accounts_admin_uploads_a_template(
    app: AppFixture, open_page: Callable[..., Any]
) -> None:
    for org, name in ((ORG, "窓口管理課"), (SYS, "情報政策課")):
        code, _, err = await cli(app, "org", "add", org, "--name", name)
        assert code == 0, err
    await add(app, "brw-kacho", ORG, "org_admin")
    await add(app, "brw-root", SYS, "admin")

    page = await open_page("SA")
    await signed_in(page, "brw-kacho", "/staff/documents")
    await page.click("header nav >> text=管理")
    await page.wait_for_url("**/staff/admin")
    await expect(page.locator("#managed-org")).to_contain_text("窓口管理課")
    await expect(page.locator("#orgs")).to_have_count(0)  # organisations: admins only

    # A new account: a weak password is refused in place, then the account is made.
    await page.fill("#new-login", "brw-tanaka")
    await page.select_option("#new-role", "staff")
    await page.check('#create-account input[name="personal_info"]')
    await page.fill("#new-password", "password")
    await page.click("#create-account button[type=submit]")
    await expect(page.locator("#create-account .problem")).to_contain_text("短すぎます")
    await page.fill("#new-password", TEMPORARY)
    async with page.expect_navigation():
        await page.click("#create-account button[type=submit]")
    row = page.locator('tr[data-login="brw-tanaka"]')
    await expect(row).to_contain_text("次回サインイン時に変更")
    await expect(row).to_contain_text("令和")
    await expect(row).to_contain_text("取り扱う")
    assert await sign_in_status(app, "brw-tanaka", TEMPORARY) == (403, "password_expired")

    # A password reset: the old one stops working, the new one must be changed at sign-in.
    await row.locator('input[name="password"]').fill(RESET)
    async with page.expect_navigation():
        await row.locator("form.reset button").click()
    assert await sign_in_status(app, "brw-tanaka", TEMPORARY) == (401, "wrong_credentials")
    assert await sign_in_status(app, "brw-tanaka", RESET) == (403, "password_expired")

    # Locking asks first, then shows the account as locked; sign-in says so.
    page.once("dialog", lambda dialog: dialog.accept())
    async with page.expect_navigation():
        await row.locator("form.lock button").click()
    await expect(row.locator(".account-state")).to_contain_text("ロック中")
    await expect(row.locator("form.unlock button")).to_be_visible()
    assert await sign_in_status(app, "brw-tanaka", RESET) == (423, "locked")

    # An admin: organisations are shown; a template with mistakes is refused in place.
    admin = await open_page("SA")
    await signed_in(admin, "brw-root", "/staff/admin")
    await expect(admin.locator("#orgs")).to_be_visible()
    await admin.select_option("#choose-org-id", ORG)
    async with admin.expect_navigation():
        await admin.click("#choose-org button[type=submit]")
    await expect(admin.locator("#managed-org")).to_contain_text(ORG)
    await expect(admin.locator('tr[data-login="brw-tanaka"]')).to_be_visible()

    definition = json.loads(EXAMPLE.read_text(encoding="utf-8")) | {"id": "brw-juminhyo"}
    broken = json.loads(json.dumps(definition))
    broken["fields"][1]["kind"] = "handwriting"
    await admin.fill("#template-upload-text", json.dumps(broken, ensure_ascii=False))
    await admin.click("#template-upload button[type=submit]")
    problems = admin.locator("#template-upload .problems li")
    await expect(problems).to_have_count(1)
    await expect(problems.first).to_contain_text("fields.1.kind")
    await expect(problems.first).to_contain_text("次のいずれかにしてください")
    await expect(admin.locator('#template-rows tr[data-template="brw-juminhyo"]')).to_have_count(0)

    # The corrected file is taken, and listed.
    await admin.set_input_files(
        "#template-upload-file",
        files=[
            {
                "name": "juminhyo.json",
                "mimeType": "application/json",
                "buffer": json.dumps(definition, ensure_ascii=False).encode(),
            }
        ],
    )
    async with admin.expect_navigation():
        await admin.click("#template-upload button[type=submit]")
    listed = admin.locator('#template-rows tr[data-template="brw-juminhyo"]')
    await expect(listed).to_contain_text(definition["name"])
