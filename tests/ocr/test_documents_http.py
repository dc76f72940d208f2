"""The documents API as staff use it: zones, PI flags, org boundaries, corrections, export."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from nats.js import JetStreamContext

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli
from tests.ocr.corpus import EXAMPLES, filled_form
from tests.support import eventually, read_all

ORG, OTHER = "kokuho", "nenkin"


@pytest.fixture(scope="module")
async def people(app: AppFixture) -> dict[str, str]:
    for org_id, name in ((ORG, "国保年金課"), (OTHER, "年金係")):
        code, _, err = await cli(app, "org", "add", org_id, "--name", name)
        assert code == 0, err
    users = {
        "pi": (ORG, ["--personal-info"]),
        "nopi": (ORG, []),
        "other": (OTHER, ["--personal-info"]),
    }
    for login, (org_id, flags) in users.items():
        code, _, err = await cli(
            app,
            "user",
            "add",
            f"doc-{login}",
            "--org",
            org_id,
            "--role",
            "staff",
            *flags,
            "--password-stdin",
            stdin=GOOD + "\n",
        )
        assert code == 0, err
    code, _, err = await cli(
        app, "template", "add", str(EXAMPLES / "juminhyo-v1.json"), "--org", ORG
    )
    assert code == 0, err
    return {name: f"doc-{name}" for name in users}


async def signed_in(
    app: AppFixture, login: str, zone: str | None
) -> tuple[httpx.AsyncClient, dict[str, str]]:
    client = app.client(zone)
    response = await client.post("/api/session", json={"login": login, "password": GOOD})
    assert response.status_code == 200, response.text
    return client, {"X-CSRF-Token": response.json()["csrf_token"]}


async def test_upload_read_correct_export_under_the_city_rules(
    app: AppFixture, people: dict[str, str], js: JetStreamContext, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    form = filled_form(303)
    path = tmp_path / "form.png"
    form.image.save(path, dpi=(300, 300))
    clerk, csrf = await signed_in(app, people["pi"], "SJ")
    files = {"file": ("申請書_山田.png", path.read_bytes(), "image/png")}
    data = {"template": "juminhyo-v1", "personal_info": "true"}
    assert (
        await clerk.post("/api/documents", files=files, data=data)
    ).status_code == 403  # no CSRF
    uploaded = await clerk.post("/api/documents", files=files, data=data, headers=csrf)
    assert uploaded.status_code == 202, uploaded.text
    document_id = uploaded.json()["document_id"]

    async def done() -> dict[str, object] | None:
        listing = (await clerk.get("/api/documents")).json()
        found = [d for d in listing if d["document_id"] == document_id and d["status"] != "queued"]
        return found[0] if found else None

    status = await eventually(done, timeout=120)
    assert status["status"] == "completed" and status["personal_info"] is True
    read = await clerk.get(f"/api/documents/{document_id}")
    assert read.status_code == 200 and read.headers["cache-control"] == "no-store"
    assert set(read.json()["fields"]) == set(form.expected)
    # The scan's page image is personal data too: never cached; a page it lacks is not there.
    image = await clerk.get(f"/staff/documents/{document_id}/pages/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["cache-control"] == "no-store"
    beyond = await clerk.get(f"/staff/documents/{document_id}/pages/99.png")
    assert beyond.status_code == 404 and beyond.headers["cache-control"] == "no-store"
    # Seeing the page is reading personal data: audited like the result, page by page.
    page_reads = [
        read
        for read in map(json.loads, await read_all(js, f"access.pi_read.{ORG}"))
        if read["resource_id"] == f"{document_id}/pages/1"
    ]
    assert [(r["action"], r["actor"]) for r in page_reads] == [("document.verify", "doc-pi")]

    # The same clerk from an internal-affairs terminal, a colleague without PI duties, and
    # another org: each refused, with the reason.
    async with app.client("SA") as sa:
        sa.cookies.update(clerk.cookies)
        assert (await sa.get(f"/api/documents/{document_id}")).json()["error"] == "zone_changed"
    elsewhere, _ = await signed_in(app, people["pi"], "SA")
    refused = await elsewhere.get(f"/api/documents/{document_id}")
    assert refused.status_code == 403 and refused.json()["error"] == "needs_sj"
    colleague, _ = await signed_in(app, people["nopi"], "SJ")
    refused = await colleague.get(f"/api/documents/{document_id}")
    assert refused.status_code == 403 and refused.json()["error"] == "not_pi_handler"
    stranger, _ = await signed_in(app, people["other"], "SJ")
    assert (await stranger.get(f"/api/documents/{document_id}")).status_code == 404
    async with app.client("SJ") as anonymous:
        assert (await anonymous.get(f"/api/documents/{document_id}")).status_code == 401

    bad = await clerk.patch(
        f"/api/documents/{document_id}/fields", headers=csrf, json={"birth_date": "令和99年13月1日"}
    )
    assert bad.status_code == 400 and bad.json()["detail"]["field"] == "birth_date"
    started_from = read.json()["revision"]
    assert read.headers["etag"] == f'"{started_from}"'
    fixed = await clerk.patch(
        f"/api/documents/{document_id}/fields",
        headers={**csrf, "If-Match": f'"{started_from}"'},
        json={"name": "山田 太郎", "birth_date": "昭和33年1月2日", "copies": 3},
    )
    assert fixed.status_code == 200, fixed.text
    fields = fixed.json()["fields"]
    assert fields["name"]["value"] == "山田 太郎" and fields["birth_date"]["value"] == "1958-01-02"
    assert fixed.json()["revision"] > started_from
    # A colleague who opened the document before that save: told, and nothing is lost.
    stale = await clerk.patch(
        f"/api/documents/{document_id}/fields",
        headers={**csrf, "If-Match": f'"{started_from}"'},
        json={"name": "山田 花子"},
    )
    assert stale.status_code == 409 and stale.json()["error"] == "changed", stale.text
    kept = (await clerk.get(f"/api/documents/{document_id}")).json()
    assert kept["fields"]["name"]["value"] == "山田 太郎"
    assert kept["revision"] == fixed.json()["revision"]
    verified = await read_all(js, f"ocr.verified.{ORG}")
    assert verified and b"birth_date" in verified[-1] and "山田".encode() not in verified[-1]

    exported = await clerk.get("/api/export?format=csv&encoding=utf-8-sig")
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    row = next(r for r in rows if r["文書ID"] == document_id)
    assert "氏名" in row, list(row)
    assert row["氏名"] == "山田 太郎" and row["生年月日"] == "1958-01-02" and row["必要通数"] == "3"
    legacy = await clerk.get("/api/export?format=csv&encoding=cp932")
    assert "山田 太郎" in legacy.content.decode("cp932")
    assert legacy.headers["Madoguchi-Replaced-Characters"] == "0"
    assert "Madoguchi-Replaced-Characters" not in exported.headers
    refused = await elsewhere.get("/api/export")
    assert refused.status_code == 403
    # A name Shift_JIS cannot hold (𠮷, U+20BB7): the export says how many became "?".
    outside = await clerk.patch(
        f"/api/documents/{document_id}/fields",
        headers={**csrf, "If-Match": f'"{kept["revision"]}"'},
        json={"name": "𠮷田 太郎"},
    )
    assert outside.status_code == 200, outside.text
    legacy = await clerk.get("/api/export?format=csv&encoding=cp932")
    assert legacy.headers["Madoguchi-Replaced-Characters"] == "1"
    assert "?田 太郎" in legacy.content.decode("cp932")
    exports = [json.loads(body) for body in await read_all(js, f"access.exported.{ORG}")]
    assert [e["actor"] for e in exports][-3:] == ["doc-pi"] * 3

    reads = b"".join(await read_all(js, f"access.pi_read.{ORG}"))
    assert document_id.encode() in reads and "山田".encode() not in reads
    assert await read_all(js, f"access.refused.{ORG}")
    for client in (clerk, elsewhere, colleague, stranger):
        await client.aclose()


async def test_a_document_past_its_retention_is_told_with_the_citys_period(
    app: AppFixture, people: dict[str, str]
) -> None:
    clerk, _ = await signed_in(app, people["pi"], "SJ")
    known = await clerk.get("/staff/documents")
    assert known.status_code == 200  # signed in and allowed: the 404 below is the document's
    for path in (
        "/staff/documents/doc-long-gone",
        "/staff/documents/doc-long-gone/pages/1.png",
        "/api/documents/doc-long-gone",
    ):
        page = await clerk.get(path)
        assert page.status_code == 404
        assert "保存期間（5日）を過ぎた" in page.text  # TEST_SETTINGS keeps the default 5d
