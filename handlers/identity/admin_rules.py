"""The rules of account administration and the wording of validation problems. Pure.

Org admins manage the accounts of their own organisation, but never mint or touch the
accounts that stand above them (admin, auditor) or that move money (payment_operator):
otherwise resetting an admin's password would make an org admin an admin, and minting an
operator would let an org admin refund. Nobody locks or resets their own account here (a
password change has its own call, `/api/password`).
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from handlers.identity.policy import is_expired, locked
from schemas.accounts import ROLES, Principal, Role, User

PRIVILEGED: frozenset[Role] = frozenset({"admin", "auditor", "payment_operator"})

REFUSALS = {
    "role_not_grantable": "この役割のアカウントはシステム管理者だけが作成できます。",
    "privileged_account": (
        "システム管理者・監査担当・支払担当のアカウントはシステム管理者だけが変更できます。"
    ),
    "own_account": "自分のアカウントはここでは変更できません。",
}


def grantable_roles(manager: Role) -> tuple[Role, ...]:
    """The roles an account created by `manager` may have."""
    return ROLES if manager == "admin" else tuple(r for r in ROLES if r not in PRIVILEGED)


def account_refusal(manager: Principal, login: str, role: Role) -> str | None:
    """Why `manager` may not lock or reset the account `login` (a REFUSALS code), or None.

    The organisation is not checked here: `decide` does that for every call."""
    if login == manager.login:
        return "own_account"
    if role not in grantable_roles(manager.role):
        return "privileged_account"
    return None


class AccountSummary(BaseModel):
    """What an administrator sees of an account: never its password hash."""

    model_config = ConfigDict(frozen=True)

    login: str
    org: str
    role: Role
    personal_info: bool
    locked: bool
    locked_until: datetime | None
    must_change_password: bool
    password_expired: bool
    password_changed_at: datetime
    failed_attempts: int

    @classmethod
    def of(cls, user: User, now: datetime, expiry_days: int) -> AccountSummary:
        held = locked(user.locked_until, now)
        return cls(
            login=user.login,
            org=user.org,
            role=user.role,
            personal_info=user.personal_info,
            locked=held,
            locked_until=user.locked_until if held else None,
            must_change_password=user.must_change_password,
            password_expired=is_expired(user.password_changed_at, now, expiry_days),
            password_changed_at=user.password_changed_at,
            failed_attempts=user.failed_attempts,
        )


# --- validation problems, shown next to the form that caused them -------------------------

PROBLEM_TEXTS = {
    "missing": "必須の項目がありません。",
    "extra_forbidden": "この項目は使えません。",
    "json_invalid": "JSON として読めません（{error}）。",
    "json_type": "JSON を送ってください。",
    "model_type": "オブジェクト（{{ }}）にしてください。",
    "model_attributes_type": "オブジェクト（{{ }}）にしてください。",
    "dict_type": "オブジェクト（{{ }}）にしてください。",
    "tuple_type": "配列（[ ]）にしてください。",
    "list_type": "配列（[ ]）にしてください。",
    "string_type": "文字列にしてください。",
    "int_type": "整数にしてください。",
    "int_parsing": "整数にしてください。",
    "int_from_float": "整数にしてください。",
    "float_type": "数値にしてください。",
    "float_parsing": "数値にしてください。",
    "bool_type": "true か false にしてください。",
    "bool_parsing": "true か false にしてください。",
    "string_pattern_mismatch": "形式が正しくありません（{pattern}）。",
    "string_too_short": "{min_length} 文字以上にしてください。",
    "string_too_long": "{max_length} 文字以内にしてください。",
    "too_short": "{min_length} 個以上必要です。",
    "too_long": "{max_length} 個以内にしてください。",
    "greater_than_equal": "{ge} 以上にしてください。",
    "greater_than": "{gt} より大きくしてください。",
    "less_than_equal": "{le} 以下にしてください。",
    "less_than": "{lt} 未満にしてください。",
    "literal_error": "次のいずれかにしてください: {expected}。",
}
# The schemas' own checks (schemas/forms.py, schemas/applications.py), in Japanese.
VALUE_ERRORS = (
    (r"field '(?P<f>.+)': box_mm lies outside the page", "項目「{f}」の box_mm がページの外です。"),
    (
        r"field '(?P<f>.+)': box_mm needs x, y >= 0 and width, height > 0",
        "項目「{f}」の box_mm は x・y を 0 以上、幅・高さを 0 より大きくしてください。",
    ),
    (r"field name '(?P<f>.+)' is used twice", "項目名「{f}」が重複しています。"),
    (r"a field name is used twice", "項目名が重複しています。"),
    (r"unknown attachment kind '(?P<k>.+)'", "添付書類の種類「{k}」はありません。"),
)


def problem_text(error: ErrorDetails) -> str:
    """One pydantic error in Japanese; the library's English when we have no wording."""
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "value_error":
        for pattern, wording in VALUE_ERRORS:
            matched = re.fullmatch(pattern, message)
            if matched:
                return wording.format(**matched.groupdict())
        return message
    text = PROBLEM_TEXTS.get(error["type"])
    if text is None:
        return message
    try:
        return text.format(**{k: str(v) for k, v in error.get("ctx", {}).items()})
    except (KeyError, IndexError):
        return message


def validation_problems(exc: ValidationError) -> list[dict[str, str]]:
    """`[{"where": "fields.2.kind", "problem": "..."}]`; `where` is "" for the whole document.

    A list whose items failed also reports itself as too short ("0 items after validation"):
    that echo is dropped, the items' own problems say what is wrong."""
    errors = exc.errors(include_input=False, include_url=False)
    inner = {tuple(e["loc"][:i]) for e in errors for i in range(1, len(e["loc"]))}
    return [
        {"where": ".".join(map(str, e["loc"])), "problem": problem_text(e)}
        for e in errors
        if not (e["type"] == "too_short" and tuple(e["loc"]) in inner)
    ]
