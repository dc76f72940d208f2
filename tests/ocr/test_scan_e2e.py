"""The OCR path end to end, as a scanner PC and a clerk use it: `madoguchi scan --wait --json`
against the running service, with files the test makes itself."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import pytest
from nats.js import JetStreamContext

from schemas.ocr import ReviewReason
from tests.conftest import AppFixture
from tests.ocr.corpus import EXAMPLES, FilledForm, filled_form, save_pdf, text_page
from tests.ocr.test_intake import pdf_encrypted, png_claiming, random_bytes
from tests.support import madoguchi, read_all

REVIEW_REASONS = set(get_args(ReviewReason))

ORG = "ocr-e2e"


async def cli(app: AppFixture, *args: str) -> tuple[int, str, str]:
    return await madoguchi(app.data_dir, *args, timeout=600)


@pytest.fixture(scope="module")
async def with_template(app: AppFixture) -> AppFixture:
    code, _out, err = await cli(app, "org", "add", ORG, "--name", "OCR試験課")
    assert code == 0 or "already exists" in err, err
    code, _out, err = await cli(
        app, "template", "add", str(EXAMPLES / "juminhyo-v1.json"), "--org", ORG
    )
    assert code == 0, err
    return app


async def test_bad_template_is_refused_with_the_field_named(
    app: AppFixture, tmp_path: Path
) -> None:
    broken = json.loads((EXAMPLES / "juminhyo-v1.json").read_text("utf-8"))
    broken["fields"][1]["kind"] = "handwriting"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    code, _, err = await cli(app, "template", "add", str(path), "--org", ORG)
    assert code != 0
    assert "fields.1.kind" in err and len(err.strip().splitlines()) == 1


@dataclass(frozen=True)
class Scanned:
    """Two filled forms and four bad files handed in by one `madoguchi scan` call."""

    forms: list[FilledForm]
    files: list[Path]
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
async def scanned(with_template: AppFixture, tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The scan that the reading test checks and the export test exports (made once, by
    whichever of them runs first)."""
    tmp_path = tmp_path_factory.mktemp("scanned")
    forms = [filled_form(seed) for seed in (101, 102)]
    files = {
        "form1.pdf": save_pdf([forms[0].image], tmp_path / "form1.pdf"),
        "empty.pdf": tmp_path / "empty.pdf",
        "noise.pdf": tmp_path / "noise.pdf",
        "locked.pdf": tmp_path / "locked.pdf",
        "bomb.png": tmp_path / "bomb.png",
        "form2.png": tmp_path / "form2.png",
    }
    files["empty.pdf"].write_bytes(b"")
    files["noise.pdf"].write_bytes(b"%PDF-1.7\n" + random_bytes(5000))
    files["locked.pdf"].write_bytes(pdf_encrypted(b"secret"))
    files["bomb.png"].write_bytes(png_claiming(50_000, 50_000))
    forms[1].image.save(files["form2.png"], dpi=(300, 300))

    code, out, err = await cli(
        with_template,
        "scan",
        *map(str, files.values()),
        "--org",
        ORG,
        "--template",
        "juminhyo-v1",
        "--personal-info",
        "--wait",
        "--json",
    )
    return Scanned(forms, list(files.values()), code, out, err)


async def test_scan_reads_forms_and_pages_and_refuses_bad_files_in_order(
    scanned: Scanned, js: JetStreamContext
) -> None:
    forms, code, out, err = scanned.forms, scanned.code, scanned.out, scanned.err
    files = scanned.files
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(files)
    statuses = [r["status"] for r in results]
    assert statuses == ["completed", "rejected", "rejected", "rejected", "rejected", "completed"]
    for rejected in results[1:5]:
        assert rejected["reason"] and any("\u3040" <= ch <= "\u9fff" for ch in rejected["reason"])
    for result, form in zip((results[0], results[5]), forms, strict=True):
        fields = result["fields"]
        assert set(fields) == set(form.expected)
        exact = [name for name, want in form.expected.items() if fields[name]["value"] == want]
        wrong_unflagged = [n for n in fields if n not in exact and not fields[n]["needs_review"]]
        assert len(exact) >= len(form.expected) - 1, (fields, form.expected)
        assert wrong_unflagged == []
        for value in fields.values():  # a flagged field says why, an unflagged one has no reason
            reason = {"review_reason"} if value["needs_review"] else set()
            assert set(value) == {"value", "confidence", "needs_review", *reason}
            assert not reason or value["review_reason"] in REVIEW_REASONS
            assert 0 <= value["confidence"] <= 100

    # Claim check: the events say how it went, never what the form says.
    bodies = b"".join(
        await read_all(js, f"ocr.completed.{ORG}") + await read_all(js, f"document.*.{ORG}")
    )
    for form in forms:
        for secret in (form.expected["name"], form.expected["address"], form.expected["phone"]):
            assert str(secret).encode() not in bodies


async def test_page_text_without_a_template(app: AppFixture, tmp_path: Path) -> None:
    page = text_page(7, lines=12)
    path = tmp_path / "letter.tiff"
    page.image.save(path, dpi=(300, 300))
    code, out, err = await cli(app, "scan", str(path), "--org", ORG, "--wait", "--json")
    assert code == 0, err
    (result,) = [json.loads(line) for line in out.splitlines()]
    assert result["status"] == "completed" and result["fields"] == {}
    (only,) = result["pages"]
    assert only["confidence"] > 70
    truth = "".join(page.truth.split())
    read = "".join(only["text"].split())
    assert truth[:10] in read  # first line right; the CER floor is measured in test_quality


async def test_unknown_template_is_refused_before_anything_is_stored(
    app: AppFixture, tmp_path: Path
) -> None:
    path = tmp_path / "x.png"
    text_page(8, lines=2).image.save(path)
    code, _, err = await cli(
        app, "scan", str(path), "--org", ORG, "--template", "nope-v9", "--wait"
    )
    assert code != 0 and "nope-v9" in err


async def test_export_csv_opens_in_excel_and_cp932_on_request(
    with_template: AppFixture, scanned: Scanned, js: JetStreamContext
) -> None:
    assert scanned.code == 0, scanned.err  # the two forms this export must hold
    before = len(await read_all(js, f"access.exported.{ORG}"))
    code, _out, err = await cli(with_template, "export", "--org", ORG, "--out", "/dev/stdout")
    assert code == 0, err
    exports = [json.loads(body) for body in await read_all(js, f"access.exported.{ORG}")]
    assert len(exports) == before + 1  # the command line's export is recorded as the web's is
    assert exports[-1]["actor"].startswith("cli:") and exports[-1]["rows"] >= 0
    code, _, err = await cli(
        with_template, "export", "--org", ORG, "--out", str(with_template.data_dir / "x.csv")
    )
    raw = (with_template.data_dir / "x.csv").read_bytes()
    (with_template.data_dir / "x.csv").unlink()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and {"文書ID", "状態", "氏名", "生年月日", "電話番号"} <= set(rows[0])
    completed = [r for r in rows if r["状態"] == "completed" and r["様式"] == "juminhyo-v1"]
    assert len(completed) >= 2
    assert all(r["生年月日"].count("-") == 2 for r in completed)

    code, _, err = await cli(
        with_template,
        "export",
        "--org",
        ORG,
        "--encoding",
        "cp932",
        "--out",
        str(with_template.data_dir / "y.csv"),
    )
    assert code == 0, err
    legacy = (with_template.data_dir / "y.csv").read_bytes()
    (with_template.data_dir / "y.csv").unlink()
    assert not legacy.startswith(b"\xef\xbb\xbf")
    assert "氏名" in legacy.decode("cp932")
