"""The first hour of a newcomer, from an empty data folder: `madoguchi up`, then
`madoguchi demo`; from this machine (loopback counts as SJ without `[zones]`) the admin and a
clerk sign in (choosing their own passwords) and see documents, verification and the
application; a resident pays on a phone; the payment operator sees the payment.

It takes the README's screenshots on the way (under `test-artifacts/screenshots/`, or into
`docs/images/` with `make screenshots`)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from handlers.demo.plan import templates_and_samples
from tests.browser.conftest import ARTIFACTS
from tests.support import madoguchi
from tests.test_up import Up

# The README's "First steps" pictures, each taken below (tests/test_docs_images.py checks them).
SCREENSHOTS = (
    "sign-in",
    "documents",
    "verification",
    "application-review",
    "portal-phone",
    "payment",
)
SHOTS = Path(os.environ.get("MADOGUCHI_SCREENSHOTS") or ARTIFACTS / "screenshots")
CHOSEN = "Hoshizora-Tanbo-4418"  # what each person chooses at the first sign-in
CARD_OK = "4242424242424242"
SLOW = 60_000  # ms: scrypt sign-ins and OCR on a busy machine take longer than expect's 5 s
EXAMPLES = Path(__file__).parents[2] / "examples"
SAMPLES = sum(len(samples) for _, samples in templates_and_samples(EXAMPLES))


async def _context(browser: Browser, base: str, **options: object) -> BrowserContext:
    context = await browser.new_context(
        base_url=base, locale="ja-JP", timezone_id="Asia/Tokyo", **options
    )
    context.set_default_timeout(30_000)
    return context


async def _shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"))  # playwright makes the folder


async def _first_sign_in(page: Page, login: str, one_time: str, shot: str | None = None) -> None:
    """Sign in with a one-time password; only the change form follows; choose CHOSEN."""
    await page.goto("/staff/")
    await page.fill("#login", login)
    if shot:
        await _shot(page, shot)
    await page.fill("#password", one_time)
    await page.click("#sign-in button[type=submit]")
    await expect(page.locator("#change-password")).to_be_visible(timeout=SLOW)
    await expect(page.locator("#sign-in")).to_be_hidden(timeout=SLOW)
    await page.fill("#new", CHOSEN)
    await page.fill("#new-again", CHOSEN)
    await page.click("#change-password button[type=submit]")
    await page.wait_for_url(re.compile(r".*/staff/(documents|admin|payments)$"), timeout=60_000)


def _passwords(printed: str) -> dict[str, str]:
    found = re.findall(r"^\s+(demo-[a-z]+)\s+\S+\s+(\S+)\s", printed, re.MULTILINE)
    return dict(found)


# Slow by nature (a whole `up`, the demo twice, OCR, four sign-ins): well above the default.
@pytest.mark.timeout(600)
async def test_up_then_demo_then_everyone_at_work(browser: Browser, tmp_path: Path) -> None:
    up = Up(tmp_path / "data")
    banner = await up.start()
    contexts: list[BrowserContext] = []
    try:
        admin_password = re.search(r"password[^:]*\): (\S+)", banner)
        assert admin_password is not None, banner
        base = f"http://127.0.0.1:{up.http_port}"
        code, printed, err = await madoguchi(up.data, "demo", "--url", base, timeout=600)
        assert code == 0, err
        passwords = _passwords(printed)
        assert set(passwords) >= {"demo-clerk", "demo-cashier", "demo-kacho", "demo-admin"}
        assert "Application waiting for review" in printed
        access_code = re.search(r"access code (\S+),", printed)
        application_id = re.search(r"Application waiting for review: (\S+) ", printed)
        assert access_code is not None and application_id is not None, printed
        # Run again: nothing is added twice, no password changes.
        code, repeated, err = await madoguchi(up.data, "demo", "--url", base, timeout=600)
        assert code == 0 and "access code" not in repeated, err
        assert repeated.count("password unchanged") == len(passwords), repeated
        assert f"Documents: {SAMPLES} example scans" in repeated, repeated

        # The admin made by `up` signs in from this machine and sees the demo organisation.
        admin = await _context(browser, base)
        contexts.append(admin)
        page = await admin.new_page()
        await _first_sign_in(page, "admin", admin_password.group(1))
        await expect(page.locator("main")).to_contain_text("demo", timeout=SLOW)

        # A clerk: documents read, one verified, the application under review.
        clerk = await _context(browser, base, viewport={"width": 1280, "height": 800})
        contexts.append(clerk)
        page = await clerk.new_page()
        await _first_sign_in(page, "demo-clerk", passwords["demo-clerk"], shot="sign-in")
        rows = page.locator("#document-rows tr[data-document]")
        await expect(rows).to_have_count(SAMPLES, timeout=SLOW)
        await expect(page.locator('#document-rows tr[data-status="completed"]')).to_have_count(
            SAMPLES, timeout=180_000
        )
        await _shot(page, "documents")
        flagged = page.locator("#document-rows tr[data-document]", has_text="件")
        target = flagged.first if await flagged.count() else rows.first
        await target.locator("a").click()
        await expect(page.locator("canvas.crop[data-rows]").first).to_be_visible(timeout=SLOW)
        await expect(page.locator(".field-outline")).to_be_visible(timeout=SLOW)
        await _shot(page, "verification")

        await page.goto("/staff/applications")
        await page.click(f'a[href="/staff/applications/{application_id.group(1)}"]')
        await expect(page.locator("#application-status")).to_have_text("審査中", timeout=SLOW)
        await expect(page.locator("main")).to_contain_text(
            "窓口 花子", timeout=SLOW
        )  # answers, on SJ
        await _shot(page, "application-review")
        await page.click("#accept button[type=submit]")
        await expect(page.locator("#application-status")).to_have_text("お支払い待ち", timeout=SLOW)

        # The resident, on a phone, finds the application and pays by card.
        phone = await _context(
            browser, base, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        contexts.append(phone)
        page = await phone.new_page()
        await page.goto(f"/applications/{application_id.group(1)}")
        await page.fill("#access_code", access_code.group(1))
        await page.click("button[type=submit]")
        await expect(page.locator("#status")).to_be_visible(timeout=SLOW)
        await _shot(page, "portal-phone")
        await page.click('button[value="card"]')
        await page.fill('input[name="card_number"]', CARD_OK)
        await page.fill('input[name="expiry"]', "12/30")
        await page.fill('input[name="cvc"]', "123")
        await page.click("button[type=submit]")
        await expect(page.locator("main")).to_contain_text("お支払いが完了しました", timeout=SLOW)

        # The payment operator sees the payment.
        cashier = await _context(browser, base, viewport={"width": 1280, "height": 800})
        contexts.append(cashier)
        page = await cashier.new_page()
        await _first_sign_in(page, "demo-cashier", passwords["demo-cashier"])
        await page.goto("/staff/payments")
        await page.locator("main a[href^='/staff/payments/']").first.click()
        await expect(page.locator("#payment-status")).to_be_visible(timeout=SLOW)
        await _shot(page, "payment")
    finally:
        for context in contexts:
            await context.close()
        assert await up.stop() == 0
    taken = await asyncio.to_thread(_sizes, SHOTS)
    assert all(taken.get(name, 0) > 10_000 for name in SCREENSHOTS), taken


def _sizes(folder: Path) -> dict[str, int]:
    return {path.stem: path.stat().st_size for path in folder.glob("*.png")}
