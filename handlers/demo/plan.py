"""What `madoguchi demo` creates and how it tells the newcomer where to sign in (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from infra.accounts import SYSTEM_ORG

DEMO_ORG, DEMO_ORG_NAME = "demo", "市民課（デモ）"
PROCEDURE_FILE = "koseki-tohon.json"
# A fictitious resident applying for a family-register copy.
APPLICATION_ANSWERS = {
    "applicant_name": "窓口 花子",
    "applicant_kana": "マドグチ ハナコ",
    "birth_date": "平成2年5月6日",
    "honseki": "窓口市中央町1-1",
    "phone": "03-1234-5678",
    "copies": "1",
    "abstract_only": "false",
}
ATTACHMENT_KIND = "drivers_license"
SCAN_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class DemoAccount:
    login: str
    org: str
    role: str
    personal_info: bool
    does: str  # what to look at when signed in as this account


ACCOUNTS = (
    DemoAccount("demo-clerk", DEMO_ORG, "staff", True, "文書 → 確認、申請 → 審査"),
    DemoAccount("demo-kacho", DEMO_ORG, "org_admin", True, "管理（職員のアカウント）、文書、申請"),
    DemoAccount("demo-cashier", DEMO_ORG, "payment_operator", False, "支払い（返金・取消）"),
    DemoAccount("demo-auditor", DEMO_ORG, "auditor", False, "madoguchi audit replay"),
    DemoAccount("demo-admin", SYSTEM_ORG, "admin", False, "管理（所属・様式・手続）"),
)


def templates_and_samples(examples: Path) -> list[tuple[Path, list[Path]]]:
    """Each example template with its example scans: `<name>-v1.json` goes with
    `<name>-sample*` and `<name>-v1-sample*` scans (PDF, PNG, JPEG, TIFF); a template without a
    sample is registered all the same."""
    found = []
    for template in sorted(examples.glob("*-v[0-9]*.json")):
        stems = {re.sub(r"-v\d+$", "", template.stem), template.stem}
        samples = sorted(
            {
                path
                for stem in stems
                for path in examples.glob(f"{stem}-sample*")
                if path.suffix.lower() in SCAN_SUFFIXES
            }
        )
        found.append((template, samples))
    return found


def template_id(template: Path) -> str:
    return template.stem


def sign_in_guide(
    staff_url: str,
    passwords: dict[str, str | None],
    documents: int,
    application_id: str | None,
    access_code: str | None,
    portal_url: str,
) -> str:
    """What the newcomer reads last: where to sign in as whom, and what is waiting (pure)."""
    lines = [
        "",
        f"madoguchi demo: organisation {DEMO_ORG} ({DEMO_ORG_NAME}) is ready.",
        "",
        f"Sign in at {staff_url} from this machine (without [zones], loopback counts as SJ).",
        "One-time passwords: each account chooses its own at the first sign-in.",
        "",
    ]
    width = max(len(a.login) for a in ACCOUNTS)
    for account in ACCOUNTS:
        password = passwords.get(account.login)
        shown = password if password else "(exists: password unchanged)"
        lines.append(f"  {account.login:<{width}}  {account.role:<16}  {shown:<28}  {account.does}")
    lines += [
        "",
        "  The admin created by `up` signs in as 'admin' with the password `up` printed once.",
        "",
        f"Documents: {documents} example scans (文書; open one to verify its fields).",
    ]
    if application_id:
        lines.append(f"Application waiting for review: {application_id} (申請).")
    if access_code:
        lines.append(
            f"Resident portal: {portal_url} (follow it with access code {access_code}, shown once)."
        )
    return "\n".join(lines) + "\n"
