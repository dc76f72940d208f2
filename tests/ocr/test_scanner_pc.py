"""A scanner PC with nothing but `creds scanner --org shimin`: it hands scans in over the bus (in
another process, with a data folder of its own), staff see the results, and the same
credentials cannot hand in for another org, read anything back, or announce scans."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from handlers.ocr.scanner_client import (
    HandIn,
    PermissionRefused,
    ScannerBus,
    hand_in,
    load_credentials,
)
from schemas.events import DocumentScanned
from schemas.scan_intake import BusCredentials
from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD
from tests.ocr.corpus import EXAMPLES, font, mm
from tests.support import eventually, madoguchi

ORG, OTHER = "shimin", "zeimu"
SAMPLE = EXAMPLES / "juminhyo-sample.pdf"
STAFF = "scanpc-staff"


def twenty_pages(path: Path) -> Path:
    """A 20-page PDF of small pages, one typed line each (quick to read)."""
    pages = []
    for n in range(20):
        page = Image.new("L", (mm(100), mm(30)), 255)
        ImageDraw.Draw(page).text((mm(5), mm(10)), f"第{n + 1}頁 受付", font=font(5.0), fill=0)
        pages.append(page)
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=300.0)
    return path


async def ensure_org(app: AppFixture, org: str) -> None:
    code, _, err = await madoguchi(app.data_dir, "org", "add", org, "--name", f"{org}課")
    assert code == 0 or "exists" in err, err


@pytest.fixture(scope="module")
async def scanner_creds(app: AppFixture, tmp_path_factory: pytest.TempPathFactory) -> Path:
    for org in (ORG, OTHER):
        await ensure_org(app, org)
    code, _, err = await madoguchi(
        app.data_dir, "user", "add", STAFF, "--org", ORG, "--role", "staff", "--personal-info",
        "--password-stdin", stdin=GOOD + "\n",
    )  # fmt: skip
    assert code == 0, err
    out = tmp_path_factory.mktemp("scanner-pc") / "shimin.json"
    code, _, err = await madoguchi(
        app.data_dir, "creds", "scanner", "--org", ORG, "--out", str(out)
    )
    assert code == 0, err
    assert out.stat().st_mode & 0o077 == 0  # a secret: the owner's alone
    return out


async def scanner_pc(tmp_path: Path, creds: Path, *args: str) -> tuple[int, str, str]:
    """`madoguchi` on the scanner PC: a data folder of its own (empty), the credentials file."""
    url = load_credentials(creds).url
    pc_data = tmp_path / "pc-data"
    pc_data.mkdir(exist_ok=True)
    return await madoguchi(pc_data, *args, "--creds", str(creds), "--nats-url", url)


async def test_a_scanner_pc_hands_in_and_staff_see_the_results(
    app: AppFixture, scanner_creds: Path, tmp_path: Path
) -> None:
    bundle = twenty_pages(tmp_path / "bundle.pdf")
    code, out, err = await scanner_pc(
        tmp_path, scanner_creds, "scan", str(SAMPLE), str(bundle), "--personal-info", "--wait",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    replies = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in replies] == ["accepted", "accepted"]
    assert all(set(r) == {"document_id", "status"} for r in replies)  # no results read back
    assert not list((tmp_path / "pc-data").iterdir())  # nothing kept on the PC

    staff = app.client("SJ")
    staff.timeout = httpx.Timeout(60.0)  # the same process is reading 21 pages meanwhile
    signed = await staff.post("/api/session", json={"login": STAFF, "password": GOOD})
    assert signed.status_code == 200, signed.text

    async def read(document_id: str) -> dict[str, object] | None:
        found = (await staff.get(f"/api/documents/{document_id}")).json()
        return found if found.get("status") == "completed" else None

    sample = await eventually(lambda: read(replies[0]["document_id"]), timeout=120)
    bundle_result = await eventually(lambda: read(replies[1]["document_id"]), timeout=120)
    assert sample["pages"] and len(bundle_result["pages"]) == 20  # type: ignore[arg-type]
    # Every page arrived and was read (what OCR makes of one short line is not this test's).
    assert all(set("受付") <= set(page["text"]) for page in bundle_result["pages"])  # type: ignore[attr-defined]
    await staff.aclose()

    # The same file again: the same document, accepted, nothing new to read.
    code, out, err = await scanner_pc(tmp_path, scanner_creds, "scan", str(SAMPLE), "--json")
    assert code == 0, err
    assert json.loads(out) == replies[0]


async def test_the_scanner_hands_in_for_its_org_only_and_reads_nothing(
    app: AppFixture, scanner_creds: Path, tmp_path: Path
) -> None:
    code, _, err = await scanner_pc(
        tmp_path, scanner_creds, "scan", str(SAMPLE), "--org", OTHER, "--timeout", "30"
    )
    assert code != 0
    assert f'permissions violation for publish to "scan.submit.{OTHER}"' in err.lower()

    creds: BusCredentials = load_credentials(scanner_creds)
    bus = await ScannerBus().connect(creds, [creds.url])
    assert bus.client is not None
    with pytest.raises(PermissionRefused, match=f'publish to "scan.submit.{OTHER}"'):
        await hand_in(bus, SAMPLE, HandIn(OTHER, timeout=30))
    accepted = await hand_in(bus, SAMPLE, HandIn(ORG, timeout=30))
    assert accepted.status == "accepted" and accepted.document_id

    # Results: neither the events nor the stores.
    await bus.client.subscribe(f"ocr.completed.{ORG}")
    refusal = await eventually(lambda: refused(bus, f"ocr.completed.{ORG}"))
    assert "permissions violation for subscription" in refusal
    with pytest.raises(TimeoutError):
        await bus.client.jetstream(timeout=2).key_value("documents")
    refusal = await eventually(lambda: refused(bus, "$JS.API.STREAM.INFO.KV_documents"))
    assert "permissions violation for publish" in refusal

    # Announcing a document itself: refused, for one it never handed in as for its own.
    for document_id in ("0" * 32, accepted.document_id):
        event = DocumentScanned(
            event_id=f"{document_id}-own",
            org=ORG,
            document_id=document_id,
            personal_info=False,
            content_type="application/pdf",
            size_bytes=1,
            source="scanner",
        )
        await bus.client.publish(f"document.scanned.{ORG}", event.model_dump_json().encode())
    await bus.client.flush()
    announced = f'permissions violation for publish to "document.scanned.{ORG}"'
    await eventually(lambda: count_of(bus, announced, 2))
    await bus.close()


async def refused(bus: ScannerBus, subject: str) -> str | None:
    return bus.refused(subject)


async def count_of(bus: ScannerBus, message: str, expected: int) -> bool:
    return sum(message in r.lower() for r in bus.refusals) == expected
