"""Pure rules of applications: answers by field kind, required documents, access codes,
procedure definitions and the attachment-kind catalog."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from handlers.applications.access_codes import (
    ALPHABET,
    MAX_FAILURES,
    after_failure,
    code_matches,
    hash_code,
    locked,
    new_code,
)
from handlers.applications.answers import PROBLEMS, check_answers
from handlers.applications.attachments import MAX_ATTACHMENTS, kind_problems
from schemas.applications import ATTACHMENT_KINDS, Procedure, is_identity_document

TODAY = date(2026, 11, 27)
PROCEDURE = Procedure.model_validate(
    {
        "id": "kosekitohon",
        "name": "戸籍謄本の交付申請",
        "fields": [
            {"name": "name", "label": "氏名", "kind": "text", "required": True},
            {"name": "kana", "label": "フリガナ", "kind": "katakana", "required": True},
            {"name": "birth", "label": "生年月日", "kind": "date", "required": True},
            {"name": "phone", "label": "電話番号", "kind": "digits"},
            {"name": "copies", "label": "通数", "kind": "integer", "required": True},
            {"name": "agree", "label": "同意する", "kind": "checkbox", "required": True},
        ],
        "attachment_kinds": ["identity_document", "family_register"],
        "fee": 450,
    }
)
GOOD = {
    "name": "山田 太郎",
    "kana": "やまだ たろう",
    "birth": "昭和60年4月1日",
    "phone": "０６-１２３４-５６７８",
    "copies": "2",
    "agree": "on",
}


def test_good_answers_are_normalised() -> None:
    values, problems = check_answers(PROCEDURE, GOOD, TODAY)
    assert problems == {}
    assert values == {
        "name": "山田 太郎",
        "kana": "ヤマダ タロウ",  # typed hiragana becomes katakana
        "birth": "1985-04-01",
        "phone": "06-1234-5678",
        "copies": 2,
        "agree": True,
    }


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("name", "", "required"),
        ("name", "あ" * 1001, "too_long"),
        ("kana", "Yamada", "not_katakana"),
        ("birth", "いつか", "not_a_date"),
        ("birth", "平成40年1月1日", "implausible_date"),
        ("copies", "3.5", "not_an_integer"),
        ("phone", "電話なし", "no_digits"),
        ("agree", "", "required"),
        ("agree", "maybe", "expected_true_or_false"),
    ],
)
def test_each_bad_answer_is_named_with_its_problem(field: str, value: str, problem: str) -> None:
    _, problems = check_answers(PROCEDURE, {**GOOD, field: value}, TODAY)
    assert problems == {field: PROBLEMS[problem]}
    assert value not in problems[field] or not value  # never quotes what was typed


def test_unknown_fields_and_wrong_types_are_refused() -> None:
    _, problems = check_answers(PROCEDURE, {**GOOD, "extra": "x", "copies": [1]}, TODAY)
    assert set(problems) == {"extra", "copies"}


def test_json_values_are_accepted_as_typed() -> None:
    values, problems = check_answers(PROCEDURE, {**GOOD, "copies": 3, "agree": True}, TODAY)
    assert problems == {} and values["copies"] == 3 and values["agree"] is True


def test_required_documents_are_met_one_each() -> None:
    assert kind_problems(PROCEDURE, ["passport", "family_register"]) == {}
    assert kind_problems(PROCEDURE, ["family_register", "drivers_license"]) == {}
    missing = kind_problems(PROCEDURE, ["passport"])
    assert set(missing) == {"requirement_2"} and "戸籍謄本" in missing["requirement_2"]
    # one identity document cannot count twice, and a kind the procedure does not take is named
    assert set(kind_problems(PROCEDURE, ["tax_receipt", "passport"])) == {
        "attachment_1",
        "requirement_2",
    }
    assert "attachment_1" in kind_problems(PROCEDURE, ["no_such_kind", "passport"])
    too_many = ["passport", "family_register"] + ["passport"] * MAX_ATTACHMENTS
    assert "attachments" in kind_problems(PROCEDURE, too_many)


def test_the_catalog_covers_the_contract_ids_and_marks_identity_documents() -> None:
    for kind in (
        "mynumber_card_front",
        "drivers_license",
        "passport",
        "residence_card",
        "tax_receipt",
        "family_register",
    ):
        assert kind in ATTACHMENT_KINDS
    assert is_identity_document("mynumber_card_front") and is_identity_document("passport")
    assert not is_identity_document("tax_receipt") and not is_identity_document("will")
    assert not is_identity_document("no_such_kind")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"attachment_kinds": ["fax"]}, "unknown attachment kind"),
        ({"fee": -1}, "greater than or equal"),
        ({"id": "bad id"}, "String should match"),
        (
            {"fields": [{"name": "a", "label": "A", "kind": "text"}] * 2},
            "used twice",
        ),
        ({"fields": [{"name": "a", "label": "A", "kind": "photo"}]}, "Input should be"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_bad_procedures_are_refused_with_the_reason(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Procedure.model_validate({**PROCEDURE.model_dump(), **change})


def test_access_codes_are_hashed_and_forgiving_of_how_they_are_typed() -> None:
    code = new_code()
    assert len(code) == 14 and code.count("-") == 2
    assert set(code.replace("-", "")) <= set(ALPHABET)
    stored = hash_code(code)
    assert code.replace("-", "") not in stored
    assert code_matches(code, stored)
    full_width = (
        code.lower().replace("-", " ").translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    )
    assert code_matches(full_width, stored)
    assert not code_matches(new_code(), stored)
    assert hash_code(code) != stored  # salted


def test_wrong_codes_lock_after_five_for_fifteen_minutes() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    failures, until = 0, None
    for _ in range(MAX_FAILURES - 1):
        failures, until = after_failure(failures, now)
        assert until is None
    failures, until = after_failure(failures, now)
    assert until == now + timedelta(minutes=15) and failures == 0
    assert locked(until, now + timedelta(minutes=14))
    assert not locked(until, now + timedelta(minutes=15, seconds=1))
