"""A real browser (Debian's chromium through Playwright) against the whole app.

The app tells network zones by client address; a browser on this machine always comes from
127.0.0.1, so each zone gets a small TCP relay that connects onward from that zone's address.
Each test page gets its own browser context (its own cookies). A failing test leaves a
screenshot of every page it opened under `test-artifacts/`. Every page a test leaves open is
checked with axe-core (all its rules: WCAG 2.x A/AA and best practices, JIS X 8341-3) when the
test ends, and `assert_accessible(page)` checks the states in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import ZONE_ADDRESSES, AppFixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
AXE = Axe()  # axe-core's script from the axe-playwright-python wheel, injected into the page


def axe_findings(violations: list[dict[str, Any]]) -> list[str]:
    """One line per rule broken: its id, impact, help and the first elements it names."""
    return [
        f"{v['id']} ({v.get('impact')}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
    ]


async def assert_accessible(page: Page) -> None:
    """Zero axe-core violations on the page as it is now."""
    await page.wait_for_load_state()
    results = await AXE.run(page)
    assert results.response["passes"] or results.response["violations"], "axe checked nothing"
    assert axe_findings(results.response["violations"]) == [], page.url


@pytest.fixture(scope="session")
def axe_ran_on() -> list[str]:
    """Every URL checked at the end of a test, for the test that proves the check runs."""
    return []


async def _relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    with contextlib.suppress(Exception):
        sink.close()


@pytest.fixture(scope="session")
async def zone_urls(app: AppFixture) -> AsyncIterator[dict[str | None, str]]:
    """zone -> a base URL whose requests reach the app from that zone's terminal address."""
    host, port = app.http_url.removeprefix("http://").split(":")
    servers = []
    urls: dict[str | None, str] = {}
    for zone, address in ZONE_ADDRESSES.items():

        async def connected(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str = address
        ) -> None:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                host, int(port), local_addr=(address, 0)
            )
            await asyncio.gather(_relay(reader, upstream_writer), _relay(upstream_reader, writer))

        server = await asyncio.start_server(connected, "127.0.0.1", 0)
        servers.append(server)
        urls[zone] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield urls
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert os.access(CHROMIUM, os.X_OK), "Debian chromium is missing: `make test` installs it"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        await launched.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
async def open_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    zone_urls: dict[str | None, str],
    axe_ran_on: list[str],
) -> AsyncIterator[Callable[..., Any]]:
    """`await open_page(zone)`: a fresh page (own cookies) whose base URL is in `zone`."""
    contexts = []
    pages: list[Page] = []

    async def opened(zone: str | None, **options: Any) -> Page:
        context = await browser.new_context(
            base_url=zone_urls[zone], locale="ja-JP", timezone_id="Asia/Tokyo", **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = await context.new_page()
        pages.append(page)
        return page

    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.passed:
        for page in pages:
            if not page.is_closed() and page.url.startswith("http"):
                await assert_accessible(page)
                axe_ran_on.append(page.url)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for number, page in enumerate(pages, start=1):
            with contextlib.suppress(Exception):
                await page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
    for context in contexts:
        await context.close()
