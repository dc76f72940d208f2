"""What `madoguchi demo` picks up from examples/ and what it prints (pure parts)."""

from __future__ import annotations

from pathlib import Path

from handlers.demo.plan import ACCOUNTS, sign_in_guide, templates_and_samples

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_each_example_template_comes_with_its_samples(tmp_path: Path) -> None:
    for name in ("juminhyo-v1.json", "tegaki-v2.json", "koseki-tohon.json", "juminhyo-sample.pdf"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    for name in ("juminhyo-sample-2.png", "juminhyo-sample-notes.txt", "tegaki-v2-sample.pdf"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = {t.name: [s.name for s in samples] for t, samples in templates_and_samples(tmp_path)}
    assert found == {
        "juminhyo-v1.json": ["juminhyo-sample-2.png", "juminhyo-sample.pdf"],
        "tegaki-v2.json": ["tegaki-v2-sample.pdf"],
    }
    shipped = dict(templates_and_samples(EXAMPLES))
    assert len(shipped[EXAMPLES / "juminhyo-v1.json"]) >= 3


def test_the_guide_names_every_account_and_only_new_passwords() -> None:
    guide = sign_in_guide(
        "http://127.0.0.1:8000/staff/",
        {"demo-clerk": "Secret-One-1234", "demo-kacho": None},
        3,
        "app1",
        "ABCD-EFGH",
        "http://127.0.0.1:8000/",
    )
    for account in ACCOUNTS:
        assert account.login in guide
    assert "Secret-One-1234" in guide and guide.count("password unchanged") == len(ACCOUNTS) - 1
    assert "ABCD-EFGH" in guide and "app1" in guide and "loopback counts as SJ" in guide
    again = sign_in_guide("u/staff/", {}, 3, "app1", None, "u/")
    assert "access code" not in again
