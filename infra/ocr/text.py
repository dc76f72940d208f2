"""Cleaning Tesseract's page text for people to read."""

from __future__ import annotations

import unicodedata


def clean_page_text(text: str) -> str:
    """NFKC (full-width digits and circled numbers to ASCII), trimmed lines, no blank lines."""
    lines = (unicodedata.normalize("NFKC", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
