"""Reading the settings file; the one-line error names the bad key."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from schemas.settings import Settings


class SettingsError(ValueError):
    """A settings file that cannot be used; the message is one line naming the key."""


def first_problem(error: ValidationError) -> str:
    """The first problem of a settings or definition file, one line naming where: `key.sub:
    message` (never the value: it may be a secret)."""
    first = error.errors(include_input=False, include_url=False)[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "value_error":  # our own validators' words, without "Value error, "
        message = str(first.get("ctx", {}).get("error", message))
    return f"{key}: {message}"


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(f"{path}: {first_problem(exc)}") from None
