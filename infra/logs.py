"""Structured JSON logs, with a masking filter as the second line of defence.

The first line is by construction: log calls name ids, counts and error classes, never
field values or file names. The filter masks what still looks like personal data (My Number,
card and phone numbers, e-mail addresses) before a record is written anywhere.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import ClassVar

MASKS = [
    (re.compile(r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}\b"), "[card]"),  # 13-19 digit cards
    (re.compile(r"\b\d{4}[ -]?\d{4}[ -]?\d{4}\b"), "[mynumber]"),  # 12-digit My Number
    (re.compile(r"\b0\d{1,4}-\d{1,4}-\d{3,4}\b"), "[phone]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
]


def mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    STANDARD: ClassVar[frozenset[str]] = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self.STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the class only: messages may carry data
        return mask(json.dumps(entry, ensure_ascii=False, default=str))


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for every logger, FastStream's and uvicorn's included."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in (
        "faststream",
        "faststream.access",
        "faststream.access.nats",
        "uvicorn",
        "uvicorn.error",
    ):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
