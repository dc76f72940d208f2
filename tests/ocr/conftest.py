"""Fixtures shared by the OCR tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from infra.ocr.engine import OcrEngine
from infra.ocr.pool import serial_pool


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[OcrEngine]:
    """The real worker code in one thread of this process (pdfium + Tesseract, no spawn), one
    per test module."""
    ocr = OcrEngine(serial_pool())
    yield ocr
    ocr.close()
