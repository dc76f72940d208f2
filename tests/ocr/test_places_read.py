"""A place name misread by the real reader is put right by the official list: VL Gothic's 茨城県
came back as 淡城県 on this page (the line at 70), and a name one edit from a prefecture
(千葉花子, 千葉県) is left as read.

One page holds every case, so the module costs one page read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.one_read import read_rendered

TODAY = date(2026, 11, 1)
# Debian's fonts-vlgothic (`make test` installs it with the other faces, `make fonts`).
VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")
WRITTEN = {
    "address": "茨城県水戸市笠原町978",
    "previous": "香川県高松市番町4丁目1",
    "send_to": "富山県富山市新桜町7",
    "name": "千葉花子",
}
FIELDS = [("address", "住所", 120), ("previous", "旧住所", 120), ("send_to", "送付先", 120)]
TEMPLATE = FormTemplate(
    id="places",
    name="住所変更届",
    fields=tuple(
        FormField(name=name, label=label, kind="text", box_mm=(60, 40 + 18 * n, width, 12))
        for n, (name, label, width) in enumerate([*FIELDS, ("name", "氏名", 90)])
    ),
)


pytestmark = pytest.mark.skipif(not VL_GOTHIC.is_file(), reason="fonts-vlgothic (make fonts)")


@pytest.fixture(scope="module")
async def result(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    folder = tmp_path_factory.mktemp("places")
    yield await read_rendered(TEMPLATE, dict(WRITTEN), VL_GOTHIC, folder, TODAY)


def test_a_misread_prefecture_is_put_right(result: DocumentResult) -> None:
    # Flagged all the same: the rest of the line was read with little confidence too.
    assert result.fields["address"].value == WRITTEN["address"]


def test_every_address_is_read_as_written(result: DocumentResult) -> None:
    for name in ("address", "previous", "send_to"):
        assert result.fields[name].value == WRITTEN[name], name


def test_a_name_like_a_prefecture_is_left_as_read(result: DocumentResult) -> None:
    assert result.fields["name"].value == WRITTEN["name"]
