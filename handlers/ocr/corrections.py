"""Staff corrections of read fields: each value checked against its field's kind (pure)."""

from __future__ import annotations

import re
from datetime import date

from handlers.shared.normalise import normalise
from schemas.forms import FormField, FormTemplate
from schemas.ocr import FieldValueType


class CorrectionError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def checked_corrections(
    template: FormTemplate, corrections: dict[str, object], today: date
) -> dict[str, FieldValueType]:
    """The corrections as stored values; a bad one raises CorrectionError naming the field."""
    specs = {field.name: field for field in template.fields}
    checked: dict[str, FieldValueType] = {}
    for name, value in corrections.items():
        spec = specs.get(name)
        if spec is None:
            raise CorrectionError(name, "unknown_field")
        kind = spec.kind
        if value is None:
            checked[name] = None
        elif kind == "choice":
            checked[name] = _choice(spec, value)
        elif kind == "checkbox":
            if not isinstance(value, bool):
                raise CorrectionError(name, "expected_true_or_false")
            checked[name] = value
        elif kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            checked[name] = value
        elif isinstance(value, str):
            parsed = normalise(kind, value, today=today)
            if not parsed.trusted and parsed.problem != "empty":
                raise CorrectionError(name, parsed.problem or "invalid")
            checked[name] = parsed.value
        else:
            raise CorrectionError(name, "expected_text")
    return checked


def _choice(spec: FormField, value: object) -> FieldValueType:
    """One of the printed options (a list of them where several may be marked)."""
    allowed = [option.value for option in spec.options]
    if spec.multiple and isinstance(value, str):  # typed on the verification page: 住民票、戸籍謄本
        value = [part.strip() for part in re.split(r"[、,，]", value) if part.strip()]
    if spec.multiple and isinstance(value, list):
        if not all(isinstance(v, str) and v in allowed for v in value):
            raise CorrectionError(spec.name, "unknown_option")
        return [v for v in allowed if v in value]
    if not isinstance(value, str) or value not in allowed:
        raise CorrectionError(spec.name, "unknown_option")
    return [value] if spec.multiple else value
