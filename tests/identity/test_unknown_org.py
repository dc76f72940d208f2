"""Definitions and accounts for an organisation nobody created are refused, naming it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli

EXAMPLES = Path(__file__).parents[2] / "examples"


async def test_commands_refuse_an_unknown_org_by_name(app: AppFixture) -> None:
    attempts = [
        ("template", "add", str(EXAMPLES / "juminhyo-v1.json"), "--org", "uo-nowhere"),
        ("procedure", "add", str(EXAMPLES / "koseki-tohon.json"), "--org", "uo-nowhere"),
        ("user", "add", "uo-clerk", "--org", "uo-nowhere", "--role", "staff", "--password-stdin"),
    ]
    for attempt in attempts:
        code, _, err = await cli(app, *attempt, stdin=GOOD + "\n")
        assert code != 0, attempt
        assert "'uo-nowhere'" in err and "org add uo-nowhere" in err, err
        assert len(err.strip().splitlines()) == 1, err
    # Nothing was saved for it.
    code, out, _ = await cli(app, "template", "list", "--org", "uo-nowhere")
    assert code == 0 and out == ""
