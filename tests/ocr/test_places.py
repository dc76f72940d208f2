"""Place names at the start of an address, against the official list (`handlers.ocr.places`):
tables of readings, and what a field's value and review become."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.ocr.places import Gazetteer, check_place, gazetteer, one_edit
from handlers.ocr.reading import field_value
from infra.ocr.readings import FieldReading
from schemas.forms import FormField

TODAY = date(2026, 11, 1)
ADDRESS = FormField(name="address", label="住所", kind="text", box_mm=(20.0, 40.0, 130.0, 11.0))
NAME = FormField(name="name", label="氏名", kind="text", box_mm=(20.0, 60.0, 90.0, 11.0))


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
        # A former name one edit from a listed one is taken for it: 浜松市's 中区 became 中央区.
        ("静岡県浜松市中区", CORRECTED, "静岡県浜松市中央区"),
        ("神奈川県横浜市保土ヶ谷区", KEPT, None),
        ("神奈川県横浜市保土ケ各区", CORRECTED, "神奈川県横浜市保土ケ谷区"),  # the longest ward
        # Like an address, but no listed place, or several, within one edit: to a person.
        ("富山県嘉嘉市新桜町", DOUBTFUL, None),
        ("神奈川県横浜市甲区本町", DOUBTFUL, None),  # 中区, 西区, 南区 ...
        ("静岡県浜松市北区", DOUBTFUL, None),  # a ward that no longer exists (浜名区 since 2024)
        ("沖縄県那覇巾泉崎", DOUBTFUL, None),  # 市 misread, or 市 dropped before 巾?
        ("大阪府の市役所", DOUBTFUL, None),  # not 大阪府堺市: の is no misread kanji
        ("札幌市甲区", DOUBTFUL, None),
        # One edit from 札幌市 (a designated city, never put right to) as well as from 三笠市.
        ("北海道三幌市北1条西2丁目", DOUBTFUL, None),
        ("奈良県山市1丁目", DOUBTFUL, None),  # 大和郡山市 has 郡 in its name: no 山市 made of it
        ("愛知県蒲郡市神明町", KEPT, None),
        # A postal code written first: kept as read, the place names after it checked.
        ("〒930-0094 富山県富山市新桜町", KEPT, None),
        ("930-0094富山県富山市新桜町", KEPT, None),
        ("〒９３０－００９４富山県富山市新桜町", KEPT, None),  # full-width, as a scan may hold
        ("〒060-0001札幌市中央区北一条西", KEPT, None),
        ("〒930-0094 冨山県富山市新桜町", CORRECTED, "〒930-0094 富山県富山市新桜町"),
        ("930-0094 冨山県 富山市 新桜町", CORRECTED, "930-0094 富山県富山市新桜町"),
        ("〒０６０－０００１北海道札幌市中夫区", CORRECTED, "〒０６０－０００１北海道札幌市中央区"),
        ("〒930一0094 富山県嘉山市新桜町", CORRECTED, "〒930一0094 富山県富山市新桜町"),  # - as 一
        ("〒930-0094 富山県嘉嘉市新桜町", DOUBTFUL, None),
        # Not an address: never touched.
        ("山田太郎", UNTOUCHED, None),
        ("千葉太郎", UNTOUCHED, None),  # one edit from 千葉県
        ("富山花子", UNTOUCHED, None),  # one edit from 富山市
        ("西村花子", UNTOUCHED, None),  # one edit from 東村 (沖縄県国頭郡東村)
        ("本人", UNTOUCHED, None),
        ("〒930-0094", UNTOUCHED, None),
        ("〒930-0094 山田太郎", UNTOUCHED, None),
        ("090-1234-5678", UNTOUCHED, None),  # a telephone number
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


def test_every_listed_place_is_kept_and_one_misread_character_is_never_put_wrong() -> None:
    places = gazetteer()
    for prefecture, names in places.municipalities.items():
        for name in names:
            written = prefecture + name
            kept = check_place(written + "1番地", places)
            assert kept is not None and not (kept.corrected or kept.doubtful), written
            at = len(written) - 1 - sum(map(ord, name)) % len(name)  # a character of the name
            if written[at] == "嘉":
                continue
            misread = written[:at] + "嘉" + written[at + 1 :] + "1番地"
            check = check_place(misread, places)
            assert check is not None, misread
            if check.corrected:
                assert check.value == written + "1番地", misread


def test_a_designated_city_misread_alone_is_never_put_to_another_place() -> None:
    places = gazetteer()
    cities = [
        form.written
        for forms in places.forms.by_prefecture.values()
        for form in forms
        if form.city_only
    ]
    assert len(cities) == 20  # every designated city, read without its ward
    for written in cities:
        for at in range(len(written)):
            for char in "嘉三森岬":
                misread = written[:at] + char + written[at + 1 :] + "北1条西2丁目"
                check = check_place(misread, places)
                if check is not None and check.corrected:
                    assert check.value == written + "北1条西2丁目", misread


def test_a_correction_after_a_postal_code_points_at_the_letter_put_right() -> None:
    # `edit_at` counts the code's letters (spaces not), as reading.py counts the value's.
    for read in ("〒930-0094 冨山県富山市", "〒930-0094冨山県富山市", "930 - 0094 冨山県富山市"):
        check = check_place(read, gazetteer())
        assert check is not None and check.corrected, read
        letters = "".join(read.split())
        assert (letters[check.edit_at], "".join(check.value.split())[check.edit_at]) == (
            "冨",
            "富",
        ), read


def test_a_list_is_read_from_its_lines() -> None:
    places = Gazetteer.from_lines(["# a comment", "富山県\t富山市 中新川郡上市町", ""])
    assert places.municipalities == {"富山県": ("富山市", "中新川郡上市町")}
    check = check_place("冨山県上市町", places)
    assert check is not None
    assert check.value == "富山県上市町"


def _reading(text: str, confidences: dict[str, float], line: float = 95.0) -> FieldReading:
    symbols = tuple((char, confidences.get(char, 98.0)) for char in text if not char.isspace())
    return FieldReading("address", text, line, 0.1, symbols=symbols)


def test_a_misread_place_name_is_put_right_and_sent_to_staff() -> None:
    # The value shows the listed name; staff compare it with the scan (a correction that is
    # trusted unseen could turn a right but unlisted name, or a lucky misreading, wrong).
    for read, unsure in (
        ("冨山県富山市新桜町5", {}),
        ("富山県嘉山市新桜町5", {"嘉": 70.0}),
        ("沖縄県那再市泉崎1371", {"再": 71.0}),
    ):
        value = field_value(ADDRESS, _reading(read, unsure), True, TODAY)
        shown = "沖縄県那覇市泉崎1371" if read.startswith("沖縄") else "富山県富山市新桜町5"
        assert (value.value, value.needs_review, value.review_reason) == (
            shown,
            True,
            "confusable",
        ), read


def test_a_place_name_after_a_postal_code_is_put_right_where_the_engine_doubted_it() -> None:
    read = "〒930-0094 富山県嘉山市新桜町5"
    doubted = field_value(ADDRESS, _reading(read, {"嘉": 70.0}), True, TODAY)
    assert (doubted.value, doubted.review_reason) == (
        "〒930-0094 富山県富山市新桜町5",
        "confusable",
    )
    # A doubted digit of the code (its letter 2, where 嘉 is in the names alone) says nothing
    # of the place name, read surely: as read.
    surely = field_value(ADDRESS, _reading(read, {"3": 70.0}), True, TODAY)
    assert (surely.value, surely.review_reason) == (read, "implausible")


def test_a_misread_ward_after_a_designated_city_follows_the_municipality_rule() -> None:
    # One edit from exactly one of 札幌市's wards (中央区), the engine unsure of that character.
    for read in ("北海道札幌市中夬区北1条西2丁目", "札幌市中夬区北1条西2丁目"):
        put_right = read.replace("夬", "央")
        doubted = field_value(ADDRESS, _reading(read, {"夬": 70.0}), True, TODAY)
        assert (doubted.value, doubted.review_reason) == (put_right, "confusable"), read
        surely = field_value(ADDRESS, _reading(read, {}), True, TODAY)
        assert (surely.value, surely.review_reason) == (read, "implausible"), read
    # Near none of them (甲区), or several (中区: 中央区 and 北区): as read, even if doubted.
    for read in ("北海道札幌市甲区北1条", "北海道札幌市中区北1条"):
        unsure = field_value(ADDRESS, _reading(read, {"甲": 70.0, "中": 70.0}), True, TODAY)
        assert (unsure.value, unsure.review_reason) == (read, "implausible"), read


def test_doubts_after_the_place_name_still_flag() -> None:
    value = field_value(ADDRESS, _reading("冨山県富山市高朗町5", {}), True, TODAY)
    assert (value.value, value.review_reason) == ("富山県富山市高朗町5", "confusable")


def test_a_place_name_one_edit_from_another_keeps_its_doubts() -> None:
    # 秋田市 is listed, but so is 北秋田市, one edit away: an unsure 秋 still goes to a person.
    value = field_value(ADDRESS, _reading("秋田県秋田市山王1", {"秋": 70.0}), True, TODAY)
    assert (value.value, value.review_reason) == ("秋田県秋田市山王1", "low_confidence")


def test_an_address_naming_no_listed_place_is_flagged_implausible() -> None:
    value = field_value(ADDRESS, _reading("富山県嘉嘉市新桜町5", {}), True, TODAY)
    assert (value.value, value.needs_review, value.review_reason) == (
        "富山県嘉嘉市新桜町5",
        True,
        "implausible",
    )


def test_a_name_is_not_taken_for_a_place() -> None:
    value = field_value(NAME, _reading("富山花子", {}), True, TODAY)
    assert (value.value, value.needs_review) == ("富山花子", False)


REAL_ADDRESSES = (
    # Written out by hand from public offices' addresses: every form an address starts with.
    *("東京都千代田区霞が関1-2-3", "北海道札幌市中央区北1条西2丁目", "大阪府大阪市北区梅田1-1"),
    *("京都府京都市中京区寺町通御池上る上本能寺前町488", "福岡県北九州市小倉北区城内1-1"),
    *(
        "埼玉県さいたま市浦和区常盤6-4-4",
        "神奈川県相模原市緑区西橋本5-4-20",
        "東京都府中市宮西町2-24",
    ),
    # 市 inside the name.
    *("千葉県市原市国分寺台中央1-1-1", "千葉県市川市八幡1-1-1", "三重県四日市市諏訪町1-5"),
    *("広島県廿日市市下平良1-11-1", "石川県野々市市三納1-1", "富山県中新川郡上市町法音寺1"),
    # 郡 with its town or village, and in a city's name.
    *("東京都西多摩郡奥多摩町氷川215", "長野県北佐久郡軽井沢町大字長倉2381-1"),
    *("北海道虻田郡ニセコ町字富士見47", "愛知県蒲郡市旭町17-1", "奈良県大和郡山市北郡山町248-4"),
    *("福島県南相馬市原町区本町2-27", "大阪府堺市堺区南瓦町3-1", "東京都小笠原村父島字西町"),
    *(
        "静岡県浜松市中央区元城町103-2",
        "茨城県つくば市研究学園1-1-1",
        "山梨県南都留郡富士河口湖町船津1700",
    ),
)


@pytest.mark.parametrize("address", REAL_ADDRESSES)
def test_real_addresses_of_every_form_are_kept_as_written(address: str) -> None:
    check = check_place(address, gazetteer())
    assert check is not None and not (check.corrected or check.doubtful)


@pytest.mark.parametrize(
    ("address", "street"),
    [
        ("東京都品川区大崎1丁目", "大崎1丁目"),
        ("東京都 品川区 大崎1丁目", "大崎1丁目"),  # spaces are not counted
        ("〒141-0032 東京都品川区大崎1丁目", "大崎1丁目"),
        ("神奈川県川崎市川崎区宮前町1-2", "宮前町1-2"),  # the ward too
        ("長野県富士見町落合", "落合"),
        ("北海道札幌市中央区北一条西", "北一条西"),
    ],
)
def test_where_the_listed_place_names_end(address: str, street: str) -> None:
    check = check_place(address, gazetteer())
    assert check is not None and not (check.corrected or check.doubtful)
    assert "".join(address.split())[check.names_end :] == street
