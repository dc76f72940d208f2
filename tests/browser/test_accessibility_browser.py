"""Every portal and staff page passes axe-core in the states a person meets: empty, with data,
with errors (JIS X 8341-3 / WCAG 2.x AA). The pages the other browser tests end on are checked
by the `open_page` fixture; this file walks the states they pass through or never show."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.applications.flow import ORG, PROCEDURE_ID, apply, id_photo
from tests.browser.conftest import assert_accessible
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli

EMPTY_ORG, EMPTY_CLERK = "a11y-empty", "a11y-clerk"


async def test_the_portal_in_every_state(
    resident: httpx.AsyncClient, open_page: Callable[..., Any], tmp_path: Path
) -> None:
    page: Page = await open_page(None)
    await page.goto("/")
    await expect(page.locator(f'a[href*="/apply/{PROCEDURE_ID}"]')).to_have_count(1)
    await assert_accessible(page)

    await page.click(f'a[href*="/apply/{PROCEDURE_ID}"]')
    await assert_accessible(page)  # the empty form
    photo = tmp_path / "licence.png"
    photo.write_bytes(id_photo())
    await page.fill("#f_name", "窓口 花子")
    await page.fill("#f_kana", "Madoguchi")  # latin letters where katakana is asked for
    await page.fill("#f_birth", "1990-05-06")
    await page.fill("#f_copies", "1")
    await page.set_input_files("#a_1", str(photo))
    await page.click("form button[type=submit]")
    await expect(page.locator("#p_kana")).to_be_visible()
    await assert_accessible(page)  # with an error on a field
    await page.fill("#f_kana", "マドグチ ハナコ")
    await page.set_input_files("#a_1", str(photo))
    await page.click("form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("申請を受け付けました")
    await assert_accessible(page)  # handed in: the access code

    application_id, code = await apply(resident)
    await page.goto("/")
    await page.fill("#application_id", application_id)
    await page.click('form[action="/applications"] button[type=submit]')
    await assert_accessible(page)  # asked for the access code
    await page.fill("#access_code", "WRONG-CODE")
    await page.click("form button[type=submit]")
    await assert_accessible(page)  # a wrong code
    await page.fill("#access_code", code)
    await page.click("form button[type=submit]")
    await expect(page.locator("main")).to_contain_text(application_id)
    await assert_accessible(page)  # the application's status


async def test_staff_sign_in_and_empty_lists(
    app: AppFixture, people: None, open_page: Callable[..., Any]
) -> None:
    code, _, err = await cli(app, "org", "add", EMPTY_ORG, "--name", "空の課")
    assert code == 0, err
    code, _, err = await cli(
        app, "user", "add", EMPTY_CLERK, "--org", EMPTY_ORG, "--role", "staff",
        "--personal-info", "--password-stdin", stdin=GOOD + "\n",
    )  # fmt: skip
    assert code == 0, err
    page: Page = await open_page("SJ")
    await page.goto("/staff/")
    await assert_accessible(page)  # the sign-in form
    await page.fill('input[name="login"]', EMPTY_CLERK)
    await page.fill('input[name="password"]', "not-the-password-1")
    await page.click("#sign-in button[type=submit]")
    await expect(page.locator("#sign-in-problem")).to_be_visible()
    await assert_accessible(page)  # refused
    await page.fill('input[name="password"]', GOOD)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_url("**/staff/documents")
    for path in ("/staff/documents", "/staff/applications", "/staff/payments"):
        await page.goto(path)
        await assert_accessible(page)  # nothing there yet
    await page.goto("/staff/admin")
    await assert_accessible(page)  # not allowed: the refusal page

    cashier: Page = await open_page("SJ")
    await cashier.goto("/staff/")
    await cashier.fill('input[name="login"]', "ap-clerk")
    await cashier.fill('input[name="password"]', GOOD)
    await cashier.click("#sign-in button[type=submit]")
    await cashier.wait_for_url("**/staff/documents")
    for path in ("/staff/applications", "/staff/payments"):
        await cashier.goto(path)
        await assert_accessible(cashier)  # with the applications of the other tests
    assert ORG  # the clerk's org holds the shared procedure
