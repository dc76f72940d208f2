from __future__ import annotations

import json
import logging

import pytest

from infra.logs import JsonFormatter, MaskingFilter, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4111 1111 1111 1111 declined", "card [card] declined"),
        ("card 4111111111111111", "card [card]"),
        ("my number 1234 5678 9012", "my number [mynumber]"),
        ("call 03-1234-5678", "call [phone]"),
        ("mail yamada@example.jp", "mail [email]"),
        (
            "document 0ad8958299d7400ba64affc3fa721ea2 completed",
            "document 0ad8958299d7400ba64affc3fa721ea2 completed",
        ),
        ("3 pages, 9 fields", "3 pages, 9 fields"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_json_lines_mask_messages_and_extras() -> None:
    record = logging.makeLogRecord(
        {
            "name": "madoguchi.test",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "refused %s",
            "args": ("4111-1111-1111-1111",),
            "subject": "ocr.completed.a",
            "note": "tel 06-1234-5678",
        }
    )
    assert MaskingFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "refused [card]"
    assert line["level"] == "warning" and line["subject"] == "ocr.completed.a"
    assert line["note"] == "tel [phone]"
