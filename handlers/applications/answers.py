"""Checking a resident's answers against the procedure (pure): each field's kind and whether
it is required. Problems come back per field, in Japanese, never quoting what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from handlers.shared.normalise import normalise
from schemas.applications import AnswerValue, Procedure

MAX_TEXT = 1000
PROBLEMS = {
    "required": "入力してください。",
    "too_long": f"{MAX_TEXT}文字以内で入力してください。",
    "not_a_date": "日付として読めません（例: 2026-04-01 または 令和8年4月1日）。",
    "implausible_date": "日付を確認してください。",
    "no_digits": "数字で入力してください。",
    "stray_hyphens": "ハイフンの位置を確認してください。",
    "not_an_integer": "整数で入力してください。",
    "unexpected_characters": "使えない文字が含まれています。",
    "ambiguous_characters": "使えない文字が含まれています。",
    "not_katakana": "全角カタカナで入力してください。",
    "expected_true_or_false": "はい／いいえで答えてください。",
    "unknown_field": "この手続にない項目です。",
}
_CHECKED = frozenset({"1", "true", "on", "yes"})
_UNCHECKED = frozenset({"", "0", "false", "off", "no"})
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}


def check_answers(
    procedure: Procedure, answers: Mapping[str, object], today: date
) -> tuple[dict[str, AnswerValue], dict[str, str]]:
    """(the normalised answers, {field name: problem message}); no problems means valid."""
    values: dict[str, AnswerValue] = {}
    problems: dict[str, str] = {}
    known = {field.name for field in procedure.fields}
    for name in answers:
        if name not in known:
            problems[name] = PROBLEMS["unknown_field"]
    for field in procedure.fields:
        raw = answers.get(field.name)
        if field.kind == "checkbox":
            text = str(raw).strip().lower() if raw is not None else ""
            if isinstance(raw, bool) or text in _CHECKED | _UNCHECKED:
                values[field.name] = raw if isinstance(raw, bool) else text in _CHECKED
                if field.required and not values[field.name]:
                    problems[field.name] = PROBLEMS["required"]
            else:
                problems[field.name] = PROBLEMS["expected_true_or_false"]
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int | type(None)):
            problems[field.name] = PROBLEMS["unexpected_characters"]
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            values[field.name] = None
            if field.required:
                problems[field.name] = PROBLEMS["required"]
            continue
        if len(text) > MAX_TEXT:
            problems[field.name] = PROBLEMS["too_long"]
            continue
        if field.kind == "katakana":
            text = text.translate(_HIRAGANA_TO_KATAKANA)  # typed, not misread: safe to convert
        parsed = normalise(field.kind, text, today=today)
        if not parsed.trusted:
            problem = parsed.problem or "unexpected_characters"
            if field.kind == "katakana" and problem == "unexpected_characters":
                problem = "not_katakana"
            problems[field.name] = PROBLEMS.get(problem, PROBLEMS["unexpected_characters"])
            continue
        values[field.name] = parsed.value
    return values, problems
