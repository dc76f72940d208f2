"""Staff accounts, organisations and sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import OrgId

Role = Literal["staff", "org_admin", "payment_operator", "auditor", "admin"]
ROLES: tuple[Role, ...] = ("staff", "org_admin", "payment_operator", "auditor", "admin")
Zone = Literal["SA", "SJ", "MN"]
LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class Org(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: OrgId
    name: str = Field(min_length=1, max_length=100)


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    login: str = Field(pattern=LOGIN_PATTERN)
    org: OrgId
    role: Role
    personal_info: bool
    password_hash: str = Field(repr=False)
    password_changed_at: datetime
    must_change_password: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = None


class Principal(BaseModel):
    """Who is asking, as authorization sees them: no password, no secrets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    login: str
    org: str
    role: Role
    personal_info: bool


class Session(BaseModel):
    """A signed-in browser, kept server-side; the cookie holds only a random token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal: Principal
    zone: Zone | None
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    password_change_only: bool = False  # signed in with an expired password
