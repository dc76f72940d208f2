"""Place names at the start of an address, against the official list (`handlers.ocr.places`):
tables of readings."""

from __future__ import annotations

import pytest

from handlers.ocr.places import Gazetteer, check_place, gazetteer, one_edit


def test_the_list_is_current_and_small() -> None:
    places = gazetteer()
    assert len(places.municipalities) == 47
    assert sum(map(len, places.municipalities.values())) > 1800
    assert "富山市" in places.municipalities["富山県"]
    assert "那覇市" in places.municipalities["沖縄県"]
    assert "諏訪郡富士見町" in places.municipalities["長野県"]
    # 浜松市's seven wards became three in January 2024; 那珂川町 became 那珂川市 in 2018.
    assert "浜松市中央区" in places.municipalities["静岡県"]
    assert "浜松市中区" not in places.municipalities["静岡県"]
    assert "那珂川市" in places.municipalities["福岡県"]
    assert len(places.forms.cities) == 20  # 政令指定都市


@pytest.mark.parametrize(
    ("read", "wanted", "edits"),
    [
        ("富山県", "富山県", 0),
        ("冨山県", "富山県", 1),  # one substituted
        ("那市", "那覇市", 1),  # one dropped
        ("那覇覇市", "那覇市", 1),  # one added
        ("嘉嘉県", "富山県", None),
        ("那", "那覇市", None),
        ("", "市", 1),
    ],
)
def test_one_edit(read: str, wanted: str, edits: int | None) -> None:
    assert one_edit(read, wanted) == edits


KEPT, CORRECTED, DOUBTFUL, UNTOUCHED = "kept", "corrected", "doubtful", "untouched"


@pytest.mark.parametrize(
    ("reading", "verdict", "value"),
    [
        # Listed: left as read.
        ("富山県富山市新桜町574番地28", KEPT, None),
        ("北海道札幌市中央区北一条西", KEPT, None),
        ("長野県諏訪郡富士見町1", KEPT, None),
        ("長野県富士見町1", KEPT, None),  # the 郡 left out
        ("神奈川県横浜市緑町1", KEPT, None),  # a designated city, its ward not written
        ("神奈川県茅ケ崎市", KEPT, None),  # 茅ヶ崎 with ケ
        ("東京都 千代田区 丸の内", KEPT, None),
        ("札幌市中央区北一条西", KEPT, None),  # no prefecture
        # One edit from exactly one listed name: put right (development-set misreadings).
        ("冨山県富山市新桜町574番地28", CORRECTED, "富山県富山市新桜町574番地28"),
        ("富山県嘉山市新桜町574番地28", CORRECTED, "富山県富山市新桜町574番地28"),
        ("高山県富山市新桜町", CORRECTED, "富山県富山市新桜町"),
        ("沖縄県那一市泉崎660番地23", CORRECTED, "沖縄県那覇市泉崎660番地23"),
        ("沖縄県那市泉崎660番地23", CORRECTED, "沖縄県那覇市泉崎660番地23"),  # 覇 dropped
        ("冨山県 富山市 新桜町", CORRECTED, "富山県富山市新桜町"),
        ("北海道札幌市中夫区北一条西", CORRECTED, "北海道札幌市中央区北一条西"),
        ("札幌市中夫区北一条西", CORRECTED, "札幌市中央区北一条西"),
        # Like an address, but no listed place, or several, within one edit: to a person.
        ("富山県嘉嘉市新桜町", DOUBTFUL, None),
        ("神奈川県横浜市甲区本町", DOUBTFUL, None),  # 中区, 西区, 南区 ...
        ("静岡県浜松市中区", DOUBTFUL, None),  # a ward that no longer exists
        ("沖縄県那覇巾泉崎", DOUBTFUL, None),  # 市 misread, or 市 dropped before 巾?
        ("大阪府の市役所", DOUBTFUL, None),  # not 大阪府堺市: の is no misread kanji
        ("札幌市甲区", DOUBTFUL, None),
        # Not an address: never touched.
        ("山田太郎", UNTOUCHED, None),
        ("千葉太郎", UNTOUCHED, None),  # one edit from 千葉県
        ("富山花子", UNTOUCHED, None),  # one edit from 富山市
        ("西村花子", UNTOUCHED, None),  # one edit from 東村 (沖縄県国頭郡東村)
        ("本人", UNTOUCHED, None),
        ("", UNTOUCHED, None),
    ],
)
def test_check_place(reading: str, verdict: str, value: str | None) -> None:
    check = check_place(reading, gazetteer())
    if verdict == UNTOUCHED:
        assert check is None
        return
    assert check is not None
    assert (check.corrected, check.doubtful) == (verdict == CORRECTED, verdict == DOUBTFUL)
    assert check.value == (value if verdict == CORRECTED else reading)


def test_a_list_is_read_from_its_lines() -> None:
    places = Gazetteer.from_lines(["# a comment", "富山県\t富山市 中新川郡上市町", ""])
    assert places.municipalities == {"富山県": ("富山市", "中新川郡上市町")}
    check = check_place("冨山県上市町", places)
    assert check is not None
    assert check.value == "富山県上市町"
