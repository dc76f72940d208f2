"""A scanned PDF page is read from its JPEG, not rendered: the same pixels PDFium draws, in a
fraction of the time (measured in `make bench`), and every other page is still rendered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from infra.ocr import pdf_scan
from infra.ocr.tesseract import DPI
from infra.ocr.worker import load_page

A4_PT = (0.0, 0.0, 595.2, 841.92)


@pytest.mark.parametrize(
    ("matrix", "covers"),
    [
        ((595.2, 0, 0, 841.92, 0, 0), True),  # what a scanner writes
        ((595.0, 0, 0, 842.5, 0.3, -0.3), True),  # rounded to a point
        ((297.6, 0, 0, 420.96, 0, 0), False),  # a picture on a quarter of the page
        ((595.2, 0, 0, 841.92, 40, 0), False),  # shifted: the page's edge is blank
        ((-595.2, 0, 0, 841.92, 595.2, 0), False),  # mirrored
        ((595.2, 0, 0, -841.92, 0, 841.92), False),  # upside down
        ((0, 841.92, -595.2, 0, 595.2, 0), False),  # turned a quarter
    ],
)
def test_an_image_covers_the_page_only_upright_and_edge_to_edge(
    matrix: tuple[float, float, float, float, float, float], covers: bool
) -> None:
    assert pdf_scan.covers_page(matrix, A4_PT) is covers


def scan(mode: str = "L") -> Image.Image:
    page = Image.new("L", pdf_scan.page_pixels(A4_PT, DPI), 235)
    draw = ImageDraw.Draw(page)
    for n in range(40):  # stripes of ink: any shift, turn or scale shows in the difference
        draw.rectangle((100 + 50 * n, 300 + 60 * n, 130 + 50 * n, 700 + 60 * n), fill=20 + n)
    return page.convert(mode)


def pdf_of(image: Image.Image, path: Path, resolution: float = DPI) -> Path:
    image.save(path, "PDF", resolution=resolution)
    return path


def rendered(path: Path) -> np.ndarray:
    pdf = pdfium.PdfDocument(path)
    try:
        bitmap = pdf[0].render(scale=DPI / 72, grayscale=True)
        return np.asarray(bitmap.to_pil().convert("L"), dtype=np.int16)
    finally:
        pdf.close()


def difference(a: np.ndarray, b: np.ndarray) -> float:
    height, width = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    return float(np.abs(a[:height, :width] - b[:height, :width]).mean())


@pytest.mark.parametrize(("mode", "resolution"), [("L", DPI), ("RGB", DPI), ("L", 200)])
def test_a_scanned_page_is_its_jpeg_as_pdfium_would_draw_it(
    tmp_path: Path, mode: str, resolution: int
) -> None:
    path = pdf_of(
        scan(mode).resize((1653, 2339)) if resolution != DPI else scan(mode),
        tmp_path / "s.pdf",
        resolution,
    )
    pdf = pdfium.PdfDocument(path)
    try:
        taken = pdf_scan.scanned_page(pdf[0], DPI)
    finally:
        pdf.close()
    assert taken is not None and taken.mode == "L"
    assert taken.size == pdf_scan.page_pixels(A4_PT, DPI)
    page = np.asarray(load_page(str(path), "pdf", 0), dtype=np.int16)
    assert difference(page, np.asarray(taken, dtype=np.int16)) == 0  # load_page took it
    assert difference(page, rendered(path)) < 2.0  # the same picture, within JPEG's noise


def test_a_page_with_anything_else_on_it_is_rendered(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument(pdf_of(scan(), tmp_path / "s.pdf"))
    try:
        assert pdf_scan.scanned_page(pdf[0], DPI) is not None  # "nothing there" first
        pdf[0].set_rotation(90)  # a page turned when shown
        assert pdf_scan.scanned_page(pdf[0], DPI) is None
        pdf[0].set_rotation(0)
        page = pdf[0]
        mark = pdfium.PdfObject(pdfium.raw.FPDFPageObj_CreateNewRect(10, 10, 90, 90), pdf=pdf)
        page.insert_obj(mark)  # a drawn box beside the scan: no longer a bare scan
        page.gen_content()
        assert pdf_scan.scanned_page(page, DPI) is None
    finally:
        pdf.close()


def test_a_colour_scan_on_tinted_paper_is_taken_in_its_brightest_channel(tmp_path: Path) -> None:
    grey = scan()  # paper 235, stripes of ink 20..59
    # Orange paper: red as the grey, green and blue dimmed on the paper, the ink as dark.
    dimmed = [
        grey.point(lambda v, t=t: round(v * (t + (1 - t) * (1 - v / 235)))) for t in (0.8, 0.6)
    ]
    colour = Image.merge("RGB", [grey, *dimmed])
    path = pdf_of(colour, tmp_path / "s.pdf")
    page = np.asarray(load_page(str(path), "pdf", 0), dtype=np.int16)
    # In luminance the paper is about 196 (its contrast to the ink 17 % less); in red, 235.
    assert abs(float(np.median(page)) - 235) <= 3, np.median(page)
    assert difference(page, np.asarray(grey, dtype=np.int16)) < 2.0
    assert float(np.median(np.asarray(colour.convert("L")))) < 215  # (as it was taken before)
