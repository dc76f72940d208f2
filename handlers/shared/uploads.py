"""Upload checks, the one place both rooms take files in (scans in `ocr`, attachments in
`applications`): which files may go on to decoding, and why not.

Pure: no I/O, so every rule is testable with plain values.
`precheck` runs on the size and the first bytes alone; `check` runs on the facts that
`infra.ocr.probe` reads from the file's headers. Neither ever decodes pixels.

A rejection's reason is shown to a clerk: one short Japanese sentence or two saying what
to do next. It never quotes the file's name or content (both may hold personal data).
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.ocr.probe import PDF_RENDER_DPI, FileFacts, FileKind

__all__ = [
    "CONTENT_TYPES",
    "PDF_RENDER_DPI",
    "FileFacts",
    "FileKind",
    "Limits",
    "Rejection",
    "check",
    "precheck",
]

CONTENT_TYPES: dict[str, str] = {  # by FileKind
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "png": "image/png",
    "jpeg": "image/jpeg",
}

# Callers read this many leading bytes for `sniff`/`precheck`: the PDF header may sit
# anywhere in the first 1024 bytes (PDF 32000-1, annex H.3 note 13); images start at 0.
SNIFF_BYTES = 1024


_MAGIC: tuple[tuple[bytes, FileKind], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),  # little-endian TIFF
    (b"MM\x00*", "tiff"),  # big-endian TIFF
)


@dataclass(frozen=True)
class Limits:
    """What one scan may be. Defaults are sized for a city hall's scanners.

    max_bytes: 20 MiB, the usual ceiling for an online application's attachment.
    max_pages: 100; a longer bundle is split by the clerk, and `probe` stops counting
        pages a little past 1,000, so this must stay below that.
    max_page_pixels: 72 M. The largest real scan is A3 at 600 dpi (7016 x 9921 = 69.6 M);
        a PDF page measured at 300 dpi reaches the same size at A1 (69.7 M), so A0
        drawings are refused. Decoded as 8-bit RGB, 72 M pixels is ~216 MB, affordable in
        one OCR worker. It also stays below Pillow's own warning (~89.5 M) and refusal
        (~179 M) thresholds, so nothing accepted here is later refused by the decoder.
    No total-pixels limit: pages are decoded one at a time, so memory is bounded per page,
    and time is bounded by max_pages x max_page_pixels.
    """

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 100
    max_page_pixels: int = 72_000_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Rejection:
    """Why a file is refused: `problem` says what is wrong with the file, for any room;
    `reason` adds what a clerk at a scanner does next (a resident attaching files is told
    their own next step by the applications room, `attachments.file_problem`)."""

    code: str
    problem: str

    @property
    def reason(self) -> str:
        return self.problem + SCAN_NEXT_STEPS.get(self.code, "")


SCAN_NEXT_STEPS = {
    "empty": "もう一度スキャンしてください。",
    "too_large": "解像度を下げるか、ページを分けてスキャンしてください。",
    "unsupported_type": "PDF・TIFF・PNG・JPEG のいずれかでスキャンしてください。",
    "encrypted": "パスワードを解除してから、もう一度スキャンしてください。",
    "corrupt": "もう一度スキャンしてください。",
    "no_pages": "原稿を確認して、もう一度スキャンしてください。",
    "too_many_pages": "原稿を分けて、もう一度スキャンしてください。",
    "page_too_large": (
        "用紙サイズを確認し、解像度を 300 dpi 程度にして、もう一度スキャンしてください。"
    ),
}


def sniff(head: bytes) -> FileKind | None:
    """The file's kind by its magic bytes alone; names and extensions are never trusted."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return "pdf"
    return None


def precheck(size: int, head: bytes, limits: Limits = DEFAULT_LIMITS) -> FileKind | Rejection:
    """Reject what needs no parsing to reject; otherwise return the kind to probe as."""
    if size <= 0:
        return Rejection("empty", "ファイルの中身が空です。")
    if size > limits.max_bytes:
        mb = limits.max_bytes // (1024 * 1024)
        return Rejection("too_large", f"ファイルが大きすぎます（上限 {mb} MB）。")
    kind = sniff(head)
    if kind is None:
        return Rejection("unsupported_type", "対応していない形式のファイルです。")
    return kind


def check(facts: FileFacts, limits: Limits = DEFAULT_LIMITS) -> Rejection | None:
    """Reject a file whose structure makes it unreadable or too costly to decode."""
    # Encryption first: an encrypted file cannot be parsed, so its other facts are empty.
    if facts.encrypted:
        return Rejection("encrypted", "PDF にパスワードが設定されているため読み取れません。")
    if facts.error is not None:
        return Rejection("corrupt", "ファイルが壊れているか途中で切れているため読み取れません。")
    if facts.pages < 1:
        return Rejection("no_pages", "ページが 1 枚も含まれていません。")
    if facts.pages > limits.max_pages:
        return Rejection(
            "too_many_pages", f"ページ数が多すぎます（上限 {limits.max_pages} ページ）。"
        )
    if facts.largest_page_pixels > limits.max_page_pixels:
        return Rejection("page_too_large", "ページの画像が大きすぎるため読み取れません。")
    return None
