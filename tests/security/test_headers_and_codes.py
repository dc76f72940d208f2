"""Findings 13 and 15 against the running service: every page and answer carries the security
headers; an attachment is a download of a fixed type; an anonymous caller cannot tell which
applications exist; concurrent wrong access codes all count."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.applications.flow import apply, id_photo, staff
from tests.conftest import AppFixture


@pytest.mark.parametrize(
    "path", ["/", "/staff/", "/api/session", "/api/documents", "/healthz", "/nowhere"]
)
async def test_every_answer_carries_the_security_headers(app: AppFixture, path: str) -> None:
    async with app.client(None) as client:
        response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_an_attachment_is_a_download_of_a_fixed_type(
    app: AppFixture, resident: httpx.AsyncClient
) -> None:
    application_id, _ = await apply(resident)
    clerk, _ = await staff(app, "clerk", "MN")
    opened = await clerk.get(f"/api/applications/{application_id}/attachments/1")
    assert opened.status_code == 200 and opened.content == id_photo()
    assert opened.headers["content-type"] == "application/octet-stream"
    assert opened.headers["content-disposition"].startswith("attachment;")
    assert opened.headers["x-content-type-options"] == "nosniff"


async def test_an_anonymous_caller_cannot_tell_which_applications_exist(
    app: AppFixture, resident: httpx.AsyncClient
) -> None:
    application_id, _ = await apply(resident)
    answers = [
        await resident.get(f"/api/applications/{application_id}/attachments/1"),
        await resident.get(f"/api/applications/{application_id}/attachments/9"),
        await resident.get("/api/applications/00000000000000000000/attachments/1"),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert answers[0].json() == answers[1].json() == answers[2].json()


async def test_concurrent_wrong_access_codes_all_count(
    app: AppFixture, resident: httpx.AsyncClient
) -> None:
    application_id, code = await apply(resident)
    wrong = "AAAA-AAAA-AAAA"
    answers = await asyncio.gather(
        *(
            resident.get(f"/api/applications/{application_id}", params={"access_code": wrong})
            for _ in range(20)
        )
    )
    codes = [a.status_code for a in answers]
    assert set(codes) <= {404, 429} and codes.count(404) <= 4, codes  # the 5th wrong one locks
    right = await resident.get(f"/api/applications/{application_id}", params={"access_code": code})
    assert right.status_code == 429  # locked: even the right code waits
