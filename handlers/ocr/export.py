"""The digitised data of one org as a table: one row per document, one column per field.

Pure: takes statuses, results and templates, returns rows; encoding for Excel happens here
too (`utf-8-sig` so Excel detects UTF-8; `cp932` for older Japanese setups).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from handlers.shared.wareki import JST
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, DocumentStatus, FieldValueType

BASE_COLUMNS = [
    ("document_id", "文書ID"),
    ("template_id", "様式"),
    ("status", "状態"),
    ("scanned_at", "受付日時"),
    ("needs_review", "要確認"),
]


def field_columns(templates: Sequence[FormTemplate]) -> list[tuple[str, str]]:
    """(name, header) for every field of the templates, in template order, each name once."""
    columns: dict[str, str] = {}
    labels: dict[str, str] = {}
    for template in templates:
        for field in template.fields:
            if field.name in columns:
                continue
            header = field.label if field.label not in labels else f"{field.label}({field.name})"
            labels[header] = field.name
            columns[field.name] = header
    return list(columns.items())


# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV
# injection"): `=HYPERLINK(...)` in a corrected or handwritten field would become live.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """Text a spreadsheet shows as written: a leading quote where it would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "レ" if value else ""
    if isinstance(value, list):  # the options marked on a choice with `multiple`
        return inert("、".join(str(v) for v in value))
    if isinstance(value, str):
        return inert(value)
    return value


def table(
    statuses: Sequence[DocumentStatus],
    results: dict[str, DocumentResult],
    templates: Sequence[FormTemplate],
) -> tuple[list[str], list[dict[str, object]]]:
    """Header names and rows (dicts keyed by column name); verified values win over read ones."""
    fields = field_columns(templates)
    rows = []
    for status in statuses:
        result = results.get(status.document_id)
        values: dict[str, FieldValueType] = {}
        review = False
        if result is not None:
            values = {name: field.value for name, field in result.fields.items()}
            review = any(
                f.needs_review for n, f in result.fields.items() if n not in result.verified
            )
            values.update(result.verified)
        row: dict[str, object] = {
            "document_id": status.document_id,
            "template_id": status.template_id or "",
            "status": status.status,
            "scanned_at": status.scanned_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
            "needs_review": review,
        }
        row.update({name: values.get(name) for name, _ in fields})
        rows.append(row)
    return [name for name, _ in BASE_COLUMNS + fields], rows


def to_csv(
    columns: list[str], headers: list[str], rows: list[dict[str, object]], encoding: str
) -> tuple[bytes, int]:
    """The CSV bytes, and how many characters `encoding` could not hold (written as '?')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # Excel's line ending
    writer.writerow([inert(header) for header in headers])
    for row in rows:
        writer.writerow(
            [
                _cell(row[c]) if c not in ("needs_review",) else ("要" if row[c] else "")
                for c in columns
            ]
        )
    text = buffer.getvalue()
    encoded = text.encode(encoding, errors="replace")
    lost = (
        0
        if encoding.startswith("utf")
        else sum(1 for ch in text if ch.encode(encoding, errors="replace") == b"?" and ch != "?")
    )
    return encoded, lost


def headers_for(columns: list[str], templates: Sequence[FormTemplate]) -> list[str]:
    names = dict(BASE_COLUMNS + field_columns(templates))
    return [names[c] for c in columns]
