"""infra/alerts.yml: well-formed rules, in Japanese and English, on metrics the app exports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AppFixture

RULES = Path(__file__).resolve().parent.parent / "infra" / "alerts.yml"
PROMETHEUS_OWN = {"up"}  # series Prometheus makes itself when it scrapes
PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset"}
PROMQL_WORDS |= {"group_left", "group_right", "le", "inf", "nan"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The series an expression reads: identifiers that are not functions, keywords, label
    names (inside braces or `by (...)`), strings, numbers or durations."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    names = set(re.findall(r"\b([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()", text))
    return {name for name in names if name.lower() not in PROMQL_WORDS}


def exported_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        # A labelled metric nobody has incremented yet still has its HELP and TYPE lines.
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def test_metric_names_are_parsed_out_of_expressions() -> None:
    expr = (
        'histogram_quantile(0.9, sum by (le) (rate(a_seconds_bucket{job="x"}[15m]))) > 600'
        " and deriv(b_pending[10m]) > 0 or up == 0"
    )
    assert metric_names(expr) == {"a_seconds_bucket", "b_pending", "up"}


def test_every_rule_is_complete_and_bilingual() -> None:
    found = rules()
    assert len(found) >= 6
    for rule in found:
        assert rule["alert"].startswith("Madoguchi"), rule
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        notes = rule["annotations"]
        for key in ("summary", "description"):
            assert JAPANESE.search(notes[f"{key}_ja"]), (rule["alert"], key)
            assert notes[key].isascii(), (rule["alert"], key)
        if "for" in rule:
            assert re.fullmatch(r"\d+[smhd]", rule["for"]), rule["alert"]


@pytest.mark.parametrize(
    ("watching", "metric"),
    [
        ("dead letters appearing", "madoguchi_dead_letters"),
        ("consumer lag growing", "madoguchi_consumer_pending"),
        ("refusal burst", "madoguchi_access_refusals_total"),
        ("sign-in failure burst", "madoguchi_sign_in_failures_total"),
        ("webhook rejections", "madoguchi_webhook_rejections_total"),
        ("bus unreachable", "madoguchi_bus_up"),
        ("store filling", "madoguchi_store_used_bytes"),
        ("store limit", "madoguchi_store_limit_bytes"),
        ("process down", "up"),
    ],
)
def test_the_rules_watch_what_the_issue_asks(watching: str, metric: str) -> None:
    assert any(metric in metric_names(rule["expr"]) for rule in rules()), watching


async def test_every_metric_in_the_rules_is_exported(app: AppFixture) -> None:
    async with app.client(None) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    exported = exported_names(response.text)
    for rule in rules():
        unknown = metric_names(rule["expr"]) - exported - PROMETHEUS_OWN
        assert not unknown, f"{rule['alert']} reads {unknown}, which /metrics does not export"
