"""Reviewing applications and refunding payments in a real browser, under the zone rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.async_api import Dialog, Page, expect

from tests.applications.flow import CARD_OK, RESIDENT_NAME, apply, pay_by_card
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD


async def signed_in(open_page: Callable[..., Any], login: str, zone: str, landing: str) -> Page:
    page: Page = await open_page(zone)
    await page.goto("/staff/")
    await page.fill('input[name="login"]', login)
    await page.fill('input[name="password"]', GOOD)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_url(f"**{landing}")
    return page


async def test_review_an_application_with_identity_documents_only_on_mn(
    app: AppFixture, resident: httpx.AsyncClient, open_page: Callable[..., Any]
) -> None:
    application_id, code = await apply(resident)
    page = await signed_in(open_page, "ap-clerk", "SJ", "/staff/documents")
    await page.click('nav a[href="/staff/applications"]')
    await page.click(f'a[href="/staff/applications/{application_id}"]')
    await expect(page.locator("main")).to_contain_text(RESIDENT_NAME)
    await expect(page.locator("main")).to_contain_text("平成2年5月6日（1990年）")
    refusal = page.locator("#attachments .refusal")
    await expect(refusal).to_contain_text("マイナンバー系（MN）端末からのみ")
    assert await page.locator("#attachments a").count() == 0

    at_mn = await signed_in(open_page, "ap-clerk", "MN", "/staff/documents")
    await at_mn.goto(f"/staff/applications/{application_id}")
    link = at_mn.locator("#attachments a")
    await expect(link).to_have_count(1)
    opened = await at_mn.request.get(await link.get_attribute("href") or "")
    assert opened.status == 200 and (await opened.body()).startswith(b"\x89PNG")

    await page.fill("#return-reason", "生年月日の確認をお願いします")
    await page.click("#return button[type=submit]")
    await expect(page.locator("#application-status")).to_have_text("補正依頼中")
    view = await resident.get(f"/api/applications/{application_id}", params={"access_code": code})
    assert view.json()["review_note"] == "生年月日の確認をお願いします"


async def test_accept_with_a_fee_then_refund_with_confirmation(
    app: AppFixture, resident: httpx.AsyncClient, open_page: Callable[..., Any]
) -> None:
    application_id, code = await apply(resident)
    clerk = await signed_in(open_page, "ap-clerk", "SJ", "/staff/documents")
    await clerk.goto(f"/staff/applications/{application_id}")
    await clerk.fill("#fee", "600")
    await clerk.click("#accept button[type=submit]")
    await expect(clerk.locator("#application-status")).to_have_text("お支払い待ち")

    payment_id, _ = await pay_by_card(app, resident, application_id, code, CARD_OK)

    cashier = await signed_in(open_page, "ap-cashier", "SA", "/staff/payments")
    await cashier.click(f'a[href="/staff/payments/{payment_id}"]')
    await expect(cashier.locator("#payment-history")).to_contain_text("支払い完了")
    await expect(cashier.locator("#payment-status")).to_have_text("お支払い済み")
    asked: list[str] = []

    async def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    cashier.on("dialog", confirm)
    await cashier.fill("#refund-amount", "250")
    await cashier.click("#refund button[type=submit]")
    await expect(cashier.locator("#payment-status")).to_have_text("一部返金済み")
    assert asked and "返金" in asked[0]
    await expect(cashier.locator("#payment-history")).to_contain_text("ap-cashier")
    await cashier.fill("#refund-amount", "999")
    assert not await cashier.locator("#refund-amount").evaluate("input => input.validity.valid")
    # Past the browser's own check, the server refuses too, and says why.
    await cashier.evaluate("document.getElementById('refund-amount').removeAttribute('max')")
    await cashier.click("#refund button[type=submit]")
    await expect(cashier.locator("#refund .problem")).to_contain_text("残額を超えています")
    await expect(cashier.locator("#payment-status")).to_have_text("一部返金済み")

    # Nothing of this is for a clerk: the payments page refuses them, saying why.
    await clerk.goto(f"/staff/payments/{payment_id}")
    await expect(clerk.locator("#refusal")).to_contain_text("権限がありません")
