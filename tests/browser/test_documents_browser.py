"""Staff work on scanned documents in a real browser: the list updates live while a scan is
read, flagged fields are corrected with the keyboard alone (Enter, Shift+Enter, Ctrl+S) beside
crops legible at the fields' real size, the CSV downloads for Excel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Download, Page, expect

from events.catalog import OCR_PROGRESS
from events.envelope import new_event_id
from handlers.ocr import records
from infra.pi_store import open_pi_store
from schemas.ocr import DocumentStatus, ReadingProgress
from tests.browser.conftest import assert_accessible
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli
from tests.ocr.corpus import EXAMPLES, filled_form
from tests.support import eventually, read_all

ORG = "b-kokuho"
CLERK = "b-clerk"


@pytest.fixture(scope="module")
async def clerk(app: AppFixture) -> str:
    code, _, err = await cli(app, "org", "add", ORG, "--name", "国保年金課")
    assert code == 0, err
    code, _, err = await cli(
        app,
        "user",
        "add",
        CLERK,
        "--org",
        ORG,
        "--role",
        "staff",
        "--personal-info",
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err
    code, _, err = await cli(
        app, "template", "add", str(EXAMPLES / "juminhyo-v1.json"), "--org", ORG
    )
    assert code == 0, err
    return CLERK


async def signed_in(open_page: Callable[..., Any], zone: str) -> Page:
    page: Page = await open_page(zone)
    await page.goto("/staff/")
    await page.fill('input[name="login"]', CLERK)
    await page.fill('input[name="password"]', GOOD)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_url("**/staff/documents")
    return page


async def test_the_list_updates_live_while_a_scan_is_read(
    app: AppFixture, clerk: str, open_page: Callable[..., Any], tmp_path: Path
) -> None:
    page = await signed_in(open_page, "SJ")
    await page.evaluate("window.stayedOpen = true")  # gone if the page reloads
    form = tmp_path / "form.png"
    filled_form(71).image.save(form, dpi=(300, 300))
    await page.set_input_files("#upload-file", str(form))
    await page.select_option("#upload-template", "juminhyo-v1")
    await page.check('input[name="personal_info"]')
    await page.click("#upload button[type=submit]")
    await expect(page.locator("#notice")).to_contain_text("アップロードしました")
    row = page.locator("#document-rows tr[data-document]").first
    await expect(row).to_have_attribute("data-status", "completed", timeout=90_000)
    assert await page.evaluate("window.stayedOpen") is True
    await expect(row).to_contain_text("令和")  # the time in 和暦


async def crops_are_legible(page: Page) -> None:
    """Every crop is drawn at 150 px per inch of paper or more (wrapped rows, never shrunk),
    from a source as fine, and each input shows its whole value."""
    await expect(page.locator("canvas.crop[data-rows]")).to_have_count(
        await page.locator("canvas.crop").count()
    )
    sizes = await page.locator("canvas.crop").evaluate_all(
        """els => els.map(c => {
            const [x, y, w, h] = c.dataset.crop.split(" ").map(Number);
            const rows = Number(c.dataset.rows);
            return {w, h, rows, shown: c.getBoundingClientRect().width, pixels: c.width};
        })"""
    )
    assert sizes
    for size in sizes:
        per_row_mm = (size["w"] + 3 * (size["rows"] - 1)) / size["rows"]
        assert size["shown"] >= per_row_mm / 25.4 * 150 - 1, size
        assert size["pixels"] >= per_row_mm / 25.4 * 150 - 1, size
    assert any(size["rows"] == 1 for size in sizes)
    clipped = await page.locator(".field input:not([type=checkbox])").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.name)"
    )
    assert clipped == []


async def downloaded(download: Download) -> bytes:
    return await asyncio.to_thread(Path(await download.path()).read_bytes)


async def _flag_two_fields(app: AppFixture, document_id: str) -> list[str]:
    """Make sure the read result has two flagged fields (the OCR may have read all well)."""
    client = await app.server.connect()
    store = open_pi_store(client.jetstream(), app.data_dir)
    result = await records.load_result(store, document_id)
    assert result is not None
    names = ["name_kana", "phone"]
    fields = dict(result.fields)
    for name in names:
        fields[name] = fields[name].model_copy(update={"needs_review": True})
    await records.save_result(store, result.model_copy(update={"fields": fields}))
    await client.close()
    return names


async def test_flagged_fields_are_corrected_by_keyboard_and_the_csv_downloads(
    app: AppFixture, clerk: str, open_page: Callable[..., Any], tmp_path: Path
) -> None:
    api = app.client("SJ")
    session = await api.post("/api/session", json={"login": CLERK, "password": GOOD})
    csrf = {"X-CSRF-Token": session.json()["csrf_token"]}
    form = tmp_path / "form.png"
    filled_form(72).image.save(form, dpi=(300, 300))
    uploaded = await api.post(
        "/api/documents",
        files={"file": ("f.png", form.read_bytes(), "image/png")},
        data={"template": "juminhyo-v1", "personal_info": "true"},
        headers=csrf,
    )
    document_id = uploaded.json()["document_id"]

    async def read() -> bool:
        got = await api.get(f"/api/documents/{document_id}")
        return got.status_code == 200 and got.json()["status"] == "completed"

    await eventually(read, timeout=90)
    flagged = await _flag_two_fields(app, document_id)

    page = await signed_in(open_page, "SJ")
    await page.goto(f"/staff/documents/{document_id}")
    await expect(page.locator("img.page-image")).to_have_count(1)
    assert await page.locator("img.page-image").evaluate(
        "img => img.complete && img.naturalWidth >= 210 / 25.4 * 150"  # a 150 dpi source at least
    )
    await expect(page.locator(".field.flagged")).to_have_count(2)
    await assert_accessible(page)  # verification with flagged fields
    assert (
        await page.locator("[tabindex]").evaluate_all(
            "els => els.filter(e => e.tabIndex > 0).length"
        )
        == 0
    )
    await crops_are_legible(page)
    first = page.locator(f'input[name="{flagged[0]}"]')
    second = page.locator(f'input[name="{flagged[1]}"]')
    await expect(first).to_be_focused()
    await expect(page.locator(".field-outline")).to_be_visible()  # the box on the page image
    await page.keyboard.press("Control+A")
    await page.keyboard.type("ヤマダ")
    await page.keyboard.press("Enter")
    await expect(second).to_be_focused()
    await page.keyboard.press("Shift+Enter")
    await expect(first).to_be_focused()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("03-1234-5678")
    await page.keyboard.press("Enter")
    await expect(page.locator("#save-fields")).to_be_focused()
    await page.keyboard.press("Shift+Enter")
    await expect(second).to_be_focused()
    await page.keyboard.press("Control+S")
    await expect(page.locator("#notice")).to_contain_text("保存しました", timeout=30_000)
    await expect(page.locator("#verified-by")).to_contain_text(CLERK, timeout=30_000)
    await expect(page.locator("#verified-by")).to_contain_text("令和")
    # Another clerk saves in between: this page's save is refused, and says so.
    other = await api.patch(
        f"/api/documents/{document_id}/fields", json={"copies": 3}, headers=csrf
    )
    assert other.status_code == 200, other.text
    await page.keyboard.press("Control+S")
    await expect(page.locator("#fields-problem")).to_contain_text("他の職員", timeout=30_000)

    shown = (await api.get(f"/api/documents/{document_id}")).json()["fields"]
    assert shown[flagged[0]]["value"] == "ヤマダ" and shown[flagged[1]]["value"] == "03-1234-5678"
    assert not shown[flagged[0]]["needs_review"]
    js = (await app.server.connect()).jetstream()
    verified = [json.loads(b) for b in await read_all(js, f"ocr.verified.{ORG}")]
    changed = [v for v in verified if v["document_id"] == document_id]
    assert changed and set(flagged) <= set(changed[0]["fields_changed"])
    assert "ヤマダ" not in json.dumps(changed, ensure_ascii=False)

    # The CSV for Excel: UTF-8 with a BOM, and Shift_JIS on request.
    await page.goto("/staff/documents")
    async with page.expect_download() as utf8:
        await page.click("#csv-utf8")
    data = await downloaded(await utf8.value)
    assert data.startswith(b"\xef\xbb\xbf") and "ヤマダ".encode() in data
    async with page.expect_download() as sjis:
        await page.click("#csv-sjis")
    data = await downloaded(await sjis.value)
    assert "ヤマダ".encode("cp932") in data


async def test_personal_documents_refuse_the_internal_affairs_network(
    app: AppFixture, clerk: str, open_page: Callable[..., Any]
) -> None:
    # A personal document of the test's own (the others' may not be there yet, or be first).
    client = await app.server.connect()
    document_id = new_event_id()
    status = DocumentStatus(
        document_id=document_id, org=ORG, status="completed", personal_info=True
    )
    await records.put_status(client.jetstream(), status)
    await client.close()
    page = await signed_in(open_page, "SA")
    await page.locator(f'#document-rows tr[data-document="{document_id}"] a').click()
    await expect(page.locator("#refusal")).to_contain_text("住民情報系（SJ）")


async def test_a_long_document_shows_pages_read_live(
    app: AppFixture, clerk: str, open_page: Callable[..., Any]
) -> None:
    """A 100-page scan being read: its row counts the pages as the notices come."""
    client = await app.server.connect()
    document_id = new_event_id()
    await records.put_status(
        client.jetstream(), DocumentStatus(document_id=document_id, org=ORG, status="queued")
    )
    page = await signed_in(open_page, "SJ")
    row = page.locator(f'#document-rows tr[data-document="{document_id}"]')
    await expect(row).to_contain_text("読取中")
    await expect(row.locator("td.pages")).to_have_text("")
    cell = row.locator("td.pages")

    async def shown() -> bool:
        # Published again until heard: the page's event stream may still be connecting.
        for done in (36, 37):
            notice = ReadingProgress(
                document_id=document_id, org=ORG, pages_read=done, pages_total=100
            )
            await client.publish(OCR_PROGRESS.subject(ORG), notice.model_dump_json().encode())
        return "37 / 100 ページ" in await cell.inner_text()

    await eventually(shown, timeout=15, every=0.3)
    assert await row.locator("progress").evaluate("bar => [bar.value, bar.max]") == [37, 100]
    await client.close()
