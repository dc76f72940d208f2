"""Intake of scans: every bad file is made here, in memory, and must be refused with the
right code and a reason a clerk can act on; good scans must pass.

Files go through the same steps as in production: precheck on size and head, probe on the
bytes, check on the facts.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from handlers.shared.uploads import (
    DEFAULT_LIMITS,
    SNIFF_BYTES,
    FileFacts,
    FileKind,
    Limits,
    Rejection,
    check,
    precheck,
    sniff,
)
from infra.ocr.probe import probe

MiB = 1024 * 1024
PT_PER_INCH = 72
A4_PT = (595, 842)
# Personal data a real scan would carry: it must never surface in a reason.
CANARY = "山田太郎"

# ---------------------------------------------------------------------------------------
# Makers. Hand-written bytes wherever a library would refuse to write something hostile.


def pdf_pages(*sizes_pt: tuple[float, float]) -> bytes:
    """A real PDF with blank pages of the given sizes, written by PDFium."""
    doc = pdfium.PdfDocument.new()
    try:
        for width, height in sizes_pt:
            doc.new_page(width, height)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
    finally:
        doc.close()


def pdf_from_objects(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A minimal PDF with a correct xref table; object n is objects[n - 1]."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_without_pages() -> bytes:
    return pdf_from_objects(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    )


# The standard security handler, revision 2 (RC4, 40-bit), PDF 32000-1 §7.6.3.
_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def pdf_encrypted(user: bytes, owner: bytes = b"owner", handler: bytes = b"/Standard") -> bytes:
    """A one-page PDF encrypted with RC4-40 (algorithms 2, 3 and 4 of §7.6.3.3).

    The page has no strings or streams, so no object needs encrypting: only /Encrypt's /O
    and /U entries must be right for a reader to accept (or refuse) the user password.
    """

    def pad(password: bytes) -> bytes:
        return (password + _PASSWORD_PAD)[:32]

    permissions = -4  # every permission granted
    file_id = b"madoguchi-intake"
    id_hex = file_id.hex().encode()
    o_entry = _rc4(_md5(pad(owner))[:5], pad(user))
    key = _md5(pad(user) + o_entry + permissions.to_bytes(4, "little", signed=True) + file_id)
    u_entry = _rc4(key[:5], _PASSWORD_PAD)
    encrypt = b"<< /Filter %s /V 1 /R 2 /O <%s> /U <%s> /P %d >>" % (
        handler,
        o_entry.hex().encode(),
        u_entry.hex().encode(),
        permissions,
    )
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            encrypt,
        ],
        trailer=b"/Encrypt 4 0 R /ID [<%s> <%s>]" % (id_hex, id_hex),
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height 8-bit grey pixels, with a one-byte IDAT:
    tiny on disk, enormous once decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + _png_chunk(b"IEND", b"")
    )


def tiff_claiming(*sizes: tuple[int, int], order: str = "<") -> bytes:
    """A TIFF with one 8-bit grey page header (IFD) per size, chained, and no real pixels.

    order: "<" little-endian (II), ">" big-endian (MM).
    """
    magic = b"II*\x00" if order == "<" else b"MM\x00*"
    out = bytearray(magic + struct.pack(order + "I", 8))
    for index, (width, height) in enumerate(sizes):
        # (tag, type: 3 SHORT / 4 LONG, value)
        entries = [
            (256, 4, width),  # ImageWidth
            (257, 4, height),  # ImageLength
            (258, 3, 8),  # BitsPerSample
            (259, 3, 1),  # Compression: none
            (262, 3, 1),  # PhotometricInterpretation: BlackIsZero
            (273, 4, 0),  # StripOffsets
            (277, 3, 1),  # SamplesPerPixel
            (278, 4, height),  # RowsPerStrip
            (279, 4, 1),  # StripByteCounts
        ]
        last = index == len(sizes) - 1
        next_ifd = 0 if last else len(out) + 2 + 12 * len(entries) + 4
        out += struct.pack(order + "H", len(entries))
        for tag, kind, value in entries:
            # A value shorter than 4 bytes is left-justified in its 4-byte field.
            if kind == 3:
                field = struct.pack(order + "HH", value, 0)
            else:
                field = struct.pack(order + "I", value)
            out += struct.pack(order + "HHI", tag, kind, 1) + field
        out += struct.pack(order + "I", next_ifd)
    return bytes(out)


def image(fmt: str, size: tuple[int, int] = (2480, 3508), pages: int = 1) -> bytes:
    """A real image written by Pillow (default: A4 at 300 dpi, bitonal when it can be)."""
    mode = "L" if fmt == "JPEG" else "1"
    frames = [Image.new(mode, size, color=255) for _ in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=pages > 1, append_images=frames[1:])
    return out.getvalue()


def random_bytes(size: int) -> bytes:
    return random.Random(20260401).randbytes(size)


# ---------------------------------------------------------------------------------------
# The pipeline as a caller runs it, from a file on disk.


def intake(path: Path, limits: Limits = DEFAULT_LIMITS) -> Rejection | None:
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    kind = precheck(size, head, limits)
    if isinstance(kind, Rejection):
        return kind
    return check(probe(path.read_bytes(), kind), limits)


_ALLOWED_LATIN = re.compile(r"PDF|TIFF|PNG|JPEG|MB|dpi")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def assert_clerk_reason(rejection: Rejection, name: str) -> None:
    reason = rejection.reason
    assert _JAPANESE.search(reason), reason
    assert reason.endswith("。"), reason
    # Only format names and units in Latin script: no file name, path or quoted content.
    assert not re.search(r"[A-Za-z]", _ALLOWED_LATIN.sub("", reason)), reason
    assert CANARY not in reason
    assert name not in reason
    assert Path(name).stem not in reason


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], bytes]
    code: str | None  # None: accepted


CASES = [
    # Refused on size and first bytes alone.
    Case("empty", lambda: b"", "empty"),
    Case("21 MB", lambda: b"%PDF-1.7\n" + bytes(21 * MiB), "too_large"),
    Case("random bytes", lambda: random_bytes(4096), "unsupported_type"),
    Case(
        "text renamed .pdf",
        lambda: f"氏名: {CANARY}\n住所: 東京都千代田区\n".encode(),
        "unsupported_type",
    ),
    Case("pdf header past 1024 bytes", lambda: b" " * 1024 + pdf_pages(A4_PT), "unsupported_type"),
    # Refused on structure.
    Case("truncated pdf", lambda: pdf_pages(A4_PT, A4_PT)[:-40], "corrupt"),
    Case("pdf header then garbage", lambda: b"%PDF-1.7\n" + random_bytes(4096), "corrupt"),
    Case("png magic then garbage", lambda: b"\x89PNG\r\n\x1a\n" + random_bytes(64), "corrupt"),
    Case("jpeg magic then garbage", lambda: b"\xff\xd8\xff" + random_bytes(64), "corrupt"),
    Case("tiff pointing past its end", lambda: b"II*\x00\xff\xff\xff\x7f", "corrupt"),
    Case("png claiming zero pixels", lambda: png_claiming(0, 0), "corrupt"),
    Case("encrypted pdf (user password)", lambda: pdf_encrypted(user=b"secret"), "encrypted"),
    Case(
        "pdf with an unknown security handler",
        lambda: pdf_encrypted(user=b"secret", handler=b"/Adobe.PubSec"),
        "encrypted",
    ),
    Case("pdf with no pages", pdf_without_pages, "no_pages"),
    Case("pdf with 101 pages", lambda: pdf_pages(*[A4_PT] * 101), "too_many_pages"),
    Case("tiff with 101 pages", lambda: tiff_claiming(*[(1, 1)] * 101), "too_many_pages"),
    # Decompression bombs: small files that would be huge once decoded or rendered.
    Case("png claiming 50000x50000", lambda: png_claiming(50_000, 50_000), "page_too_large"),
    Case("png claiming 10000x10000", lambda: png_claiming(10_000, 10_000), "page_too_large"),
    Case("tiff claiming 40000x40000", lambda: tiff_claiming((40_000, 40_000)), "page_too_large"),
    Case(
        "tiff whose second page is huge",
        lambda: tiff_claiming((2480, 3508), (20_000, 20_000)),
        "page_too_large",
    ),
    Case(
        "pdf page of 200x200 in (the spec's largest)",
        lambda: pdf_pages((200 * PT_PER_INCH, 200 * PT_PER_INCH)),
        "page_too_large",
    ),
    Case(
        "pdf page of 5000x5000 in",
        lambda: pdf_pages(A4_PT, (5000 * PT_PER_INCH, 5000 * PT_PER_INCH)),
        "page_too_large",
    ),
    Case("pdf page of A0", lambda: pdf_pages((2384, 3370)), "page_too_large"),
    # Good scans.
    Case("A4 pdf", lambda: pdf_pages(A4_PT), None),
    Case("A4 pdf, 100 pages", lambda: pdf_pages(*[A4_PT] * 100), None),
    Case("A1 pdf", lambda: pdf_pages((1684, 2384)), None),
    Case("pdf after 1000 bytes of junk", lambda: b"\n" * 1000 + pdf_pages(A4_PT), None),
    Case("pdf locked by an owner password only", lambda: pdf_encrypted(user=b""), None),
    Case("png", lambda: image("PNG"), None),
    Case("jpeg", lambda: image("JPEG"), None),
    Case("tiff, 2 pages", lambda: image("TIFF", pages=2), None),
    Case("tiff, big-endian", lambda: tiff_claiming((2480, 3508), order=">"), None),
    Case("A3 at 600 dpi", lambda: png_claiming(7016, 9921), None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_intake(case: Case, tmp_path: Path) -> None:
    name = f"申請書_{CANARY}.pdf"  # names never matter: only bytes do
    path = tmp_path / name
    path.write_bytes(case.make())

    rejection = intake(path)

    if case.code is None:
        assert rejection is None
    else:
        assert rejection is not None
        assert rejection.code == case.code
        assert_clerk_reason(rejection, name)


def test_bombs_are_small_on_disk() -> None:
    assert len(png_claiming(50_000, 50_000)) < 100
    assert len(tiff_claiming((40_000, 40_000))) < 200


def test_a_reason_depends_on_the_code_only(tmp_path: Path) -> None:
    reasons: dict[str, set[str]] = {}
    for index, case in enumerate(CASES):
        path = tmp_path / f"{index}.bin"
        path.write_bytes(case.make())
        rejection = intake(path)
        if rejection is not None:
            reasons.setdefault(rejection.code, set()).add(rejection.reason)
    assert {code: len(texts) for code, texts in reasons.items()} == dict.fromkeys(reasons, 1)
    assert set(reasons) == {
        "empty",
        "too_large",
        "unsupported_type",
        "encrypted",
        "corrupt",
        "no_pages",
        "too_many_pages",
        "page_too_large",
    }


# ---------------------------------------------------------------------------------------
# sniff and precheck


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\xff\xd8\xff\xdb", "jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        (b"x" * 1019 + b"%PDF-", "pdf"),  # the header's last allowed start
        (b"x" * 1020 + b"%PDF-", None),
        (b"II+\x00", None),  # BigTIFF: no scanner writes it
        (b"GIF89a", None),
        (b"PK\x03\x04", None),  # a .docx or .xlsx
        (b"\x89PN", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, kind: FileKind | None) -> None:
    assert sniff(head) == kind


def test_precheck_size_boundaries() -> None:
    limits = Limits(max_bytes=1000)
    assert precheck(1000, b"%PDF-1.7", limits) == "pdf"
    for size, code in [(1001, "too_large"), (0, "empty")]:
        rejection = precheck(size, b"%PDF-1.7", limits)
        assert isinstance(rejection, Rejection)
        assert rejection.code == code


def test_too_large_reason_names_the_limit() -> None:
    rejection = precheck(21 * MiB, b"%PDF-1.7", DEFAULT_LIMITS)
    assert isinstance(rejection, Rejection)
    assert "20 MB" in rejection.reason


# ---------------------------------------------------------------------------------------
# check, on facts alone


def pdf_facts(
    pages: int = 1, pixels: int = 1000, encrypted: bool = False, error: str | None = None
) -> FileFacts:
    return FileFacts("pdf", pages, pixels, encrypted, error)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (pdf_facts(pages=100), None),
        (pdf_facts(pages=101), "too_many_pages"),
        (pdf_facts(pixels=72_000_000), None),
        (pdf_facts(pixels=72_000_001), "page_too_large"),
        (pdf_facts(pages=0), "no_pages"),
        # Order: a locked or broken file's other facts mean nothing.
        (pdf_facts(pages=0, encrypted=True), "encrypted"),
        (pdf_facts(pages=0, error="corrupt"), "corrupt"),
        (pdf_facts(pages=500, pixels=10**12, encrypted=True), "encrypted"),
    ],
)
def test_check(given: FileFacts, code: str | None) -> None:
    rejection = check(given, DEFAULT_LIMITS)
    assert (rejection.code if rejection else None) == code


def test_limits_are_configurable() -> None:
    strict = Limits(max_pages=2, max_page_pixels=100)
    too_many = check(pdf_facts(pages=3), strict)
    assert too_many is not None
    assert too_many.code == "too_many_pages"
    assert "上限 2 ページ" in too_many.reason
    too_large = check(pdf_facts(pixels=101), strict)
    assert too_large is not None
    assert too_large.code == "page_too_large"
    assert check(pdf_facts(pages=2, pixels=100), strict) is None


# ---------------------------------------------------------------------------------------
# probe: exact facts, and never an exception


def test_probe_measures_pdf_pages_at_300_dpi() -> None:
    measured = probe(pdf_pages(A4_PT, (72, 72)), "pdf")
    # 595 x 842 pt -> 2480 x 3509 px (rounded up)
    assert measured == FileFacts("pdf", pages=2, largest_page_pixels=2480 * 3509)


def test_probe_reports_exact_sizes_pillow_would_only_warn_about() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning may escape
        measured = probe(png_claiming(10_000, 10_000), "png")
    assert measured == FileFacts("png", pages=1, largest_page_pixels=100_000_000)


def test_probe_counts_tiff_pages_and_finds_the_largest() -> None:
    measured = probe(tiff_claiming((10, 10), (30, 20), (5, 5)), "tiff")
    assert measured == FileFacts("tiff", pages=3, largest_page_pixels=600)


def test_probe_reads_a_pdf_locked_with_a_password_as_encrypted() -> None:
    measured = probe(pdf_encrypted(user=b"secret"), "pdf")
    assert measured.encrypted
    assert measured.error is None


def test_probe_trusts_the_kind_it_is_given() -> None:
    # A PNG probed as a TIFF (the caller's sniff and the bytes disagree) is broken.
    assert probe(image("PNG"), "tiff").error == "corrupt"


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("pdf", lambda: pdf_pages(A4_PT, A4_PT)),
        ("png", lambda: image("PNG", size=(64, 64))),
        ("jpeg", lambda: image("JPEG", size=(64, 64))),
        ("tiff", lambda: image("TIFF", size=(64, 64), pages=2)),
    ],
)
def test_probe_never_raises_on_damaged_files(kind: FileKind, make: Callable[[], bytes]) -> None:
    good = make()
    rng = random.Random(kind)
    for _ in range(60):
        damaged = bytearray(good[: rng.randrange(1, len(good) + 1)])
        for _ in range(rng.randrange(0, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        measured = probe(bytes(damaged), kind)
        assert isinstance(measured, FileFacts)
        assert measured.kind == kind
