"""Signing in on the staff dashboard in a real browser: wrong password, lockout message,
expired password changed in place (only the change form, rules shown first, typed twice),
sign-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.async_api import expect

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli

ORG = "madoguchi-ka"


async def add(app: AppFixture, login: str, *flags: str) -> None:
    code, _, err = await cli(
        app,
        "user",
        "add",
        login,
        "--org",
        ORG,
        "--role",
        "staff",
        *flags,
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err


async def test_sign_in_wrong_lockout_expired_and_sign_out(
    app: AppFixture, open_page: Callable[..., Any]
) -> None:
    code, _, err = await cli(app, "org", "add", ORG, "--name", "窓口課")
    assert code == 0, err
    await add(app, "b-suzuki", "--personal-info")
    page = await open_page("SJ")
    await page.goto("/staff/")
    assert await page.locator('input[name="login"]').count() == 1
    assert await page.locator('input[name="password"]').count() == 1

    await page.fill('input[name="login"]', "b-suzuki")
    await page.fill('input[name="password"]', "wrong-password-1")
    await page.click("#sign-in button[type=submit]")
    await expect(page.locator("#sign-in-problem")).to_contain_text("パスワードが違います")

    await page.fill('input[name="password"]', GOOD)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_url("**/staff/documents")
    await expect(page.locator("header")).to_contain_text("b-suzuki")
    await expect(page.locator("h1")).to_have_text("文書")
    await page.click("#sign-out")
    await page.wait_for_url("**/staff/")
    await page.goto("/staff/documents")
    await page.wait_for_url("**/staff/")  # signed out: back to the sign-in form

    # Five wrong passwords lock the account; the right one then shows the lockout message.
    await add(app, "b-kato")
    locked = await open_page("SA")
    await locked.goto("/staff/")
    await locked.fill('input[name="login"]', "b-kato")
    for _ in range(5):
        await locked.fill('input[name="password"]', "wrong-password-1")
        await locked.click("#sign-in button[type=submit]")
        await expect(locked.locator("#sign-in-problem")).not_to_be_empty()
        await locked.evaluate("document.getElementById('sign-in-problem').textContent = ''")
    await locked.fill('input[name="password"]', GOOD)
    await locked.click("#sign-in button[type=submit]")
    await expect(locked.locator("#sign-in-problem")).to_contain_text("ロックされています")

    # A password that must change: the change form appears; a weak one is refused in place.
    await add(app, "b-ito")
    code, _, err = await cli(
        app, "user", "passwd", "b-ito", "--must-change", "--password-stdin", stdin=GOOD + "\n"
    )
    assert code == 0, err
    expired = await open_page("SA")
    await expired.goto("/staff/")
    await expired.fill('input[name="login"]', "b-ito")
    await expired.fill('input[name="password"]', GOOD)
    await expired.click("#sign-in button[type=submit]")
    await expect(expired.locator("#change-password")).to_be_visible(timeout=30_000)
    await expect(expired.locator("#sign-in")).to_be_hidden()  # only the change form
    await expect(expired.locator("#password-rules")).to_contain_text("12 文字以上")
    await expect(expired.locator("#new")).to_be_focused()
    await expired.fill("#new", "password")
    await expired.fill("#new-again", "password")
    await expired.click("#change-password button[type=submit]")
    await expect(expired.locator("#change-problems")).to_contain_text(
        "推測されやすい", timeout=30_000
    )
    await expired.fill("#new", "Hoshizora-Tanbo-4418")
    await expired.fill("#new-again", "Hoshizora-Tanbo-4419")
    await expired.click("#change-password button[type=submit]")
    await expect(expired.locator("#change-problems")).to_have_text(
        "確認のために入力した新しいパスワードが一致しません。もう一度入力してください。"
    )
    await expired.fill("#new-again", "Hoshizora-Tanbo-4418")
    await expired.click("#change-password button[type=submit]")
    await expired.wait_for_url("**/staff/documents")
